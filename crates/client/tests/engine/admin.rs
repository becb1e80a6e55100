//! An admin's set-up from the app: online only, refused for operators before any request,
//! saves that never overwrite a colleague's, a preview that creates nothing.

use crate::support::*;
use frontdesk_client::admin::{SavePlaybookArgs, SetOriginsArgs, SetPlaybookActiveArgs};
use frontdesk_protocol::{NewPlaybook, PreviewActionBody, PreviewRequest};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_a_playbook_and_an_operator_is_refused() {
    let server = Server::start(&server_args());
    let proxy = Proxy::start(server.addr).await;
    let w = world(None, server).await;
    // Ann is an operator: refused, with the reason.
    assert_eq!(w.engine.playbooks().await.unwrap_err().code, "admin_only");

    let dir = tempfile::tempdir().unwrap();
    let admin = open_engine(dir.path()).await;
    let password = w.server.admin_password.clone().unwrap();
    admin
        .sign_in(&proxy.url(), ADMIN_EMAIL, &password)
        .await
        .unwrap();
    wait_live(&admin).await;
    let created = admin
        .create_playbook(&NewPlaybook {
            definition: None,
            template: Some("chat_with_your_leads".into()),
            language: Some("de".into()),
        })
        .await
        .unwrap();
    assert!(!created.active);
    let mut draft = created.definition.clone();
    draft["appearance"]["primary_color"] = json!("#7c3aed");

    let preview = admin
        .preview_playbook(&PreviewRequest {
            definition: draft.clone(),
            action: PreviewActionBody::Start,
            anyone_online: true,
            offline_mode: false,
        })
        .await
        .unwrap();
    assert_eq!(preview.widget.appearance.primary_color, "#7c3aed");
    assert_eq!(
        preview.messages[0].body,
        "Hallo! Wie können wir dir heute helfen?"
    );

    let saved = admin
        .save_playbook(SavePlaybookArgs {
            id: created.id,
            definition: draft.clone(),
            base_version: created.version,
        })
        .await
        .unwrap();
    assert_eq!(saved.version, created.version + 1);
    // A second window still on the first version: refused, with what to do.
    let stale = admin
        .save_playbook(SavePlaybookArgs {
            id: created.id,
            definition: created.definition.clone(),
            base_version: created.version,
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code, "version_conflict", "{}", stale.message);

    let origins = admin
        .set_playbook_origins(SetOriginsArgs {
            id: created.id,
            origins: vec!["https://www.example.com/".into()],
        })
        .await
        .unwrap();
    assert_eq!(origins.allowed_origins, ["https://www.example.com"]);
    assert_eq!(
        admin.demo_page_url(created.id).await.unwrap_err().code,
        "playbook_inactive"
    );
    admin
        .set_playbook_active(SetPlaybookActiveArgs {
            id: created.id,
            active: true,
        })
        .await
        .unwrap();
    assert_eq!(
        admin.demo_page_url(created.id).await.unwrap(),
        format!("{}/demo?playbook={}", proxy.url(), created.id)
    );
    let snippet = admin.playbook_snippet(created.id).await.unwrap();
    assert!(snippet.snippet.contains(&created.id.to_string()));

    // Without the server an admin's change fails plainly; nothing is queued.
    proxy.cut(true);
    wait_offline(&admin).await;
    assert_eq!(admin.playbooks().await.unwrap_err().code, "offline");
    proxy.unblock();
    assert_eq!(
        admin.playbook(created.id).await.unwrap().version,
        saved.version
    );
}
