//! What the app's playbook editor relies on: saves that never overwrite a colleague's
//! unknowingly, a preview of an unsaved definition that creates nothing, and the demo site
//! trying an admin's own playbook.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn new_playbook(api: &Api, admin: &Operator) -> Value {
    let (status, created) = api
        .post(
            "/api/playbooks",
            &admin.token,
            json!({"template": "chat_with_your_leads", "language": "en"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

#[tokio::test]
async fn a_save_from_an_outdated_version_is_refused_and_overwrites_nothing() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let created = new_playbook(&api, &admin).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/playbooks/{id}");
    let version = created["version"].as_i64().unwrap();

    let mut first = created["definition"].clone();
    first["name"] = json!("Edited by Anna");
    let (status, saved) = api
        .put(
            &path,
            &admin.token,
            json!({"definition": first, "base_version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], version + 1);

    // Ben opened the same version before Anna saved.
    let mut second = created["definition"].clone();
    second["name"] = json!("Edited by Ben");
    let (status, err) = api
        .put(
            &path,
            &admin.token,
            json!({"definition": second, "base_version": version}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_conflict")),
        "{err}"
    );
    assert!(
        err["message"].as_str().unwrap().contains("Reload"),
        "says what to do: {err}"
    );
    let (_, now) = api.get(&path, &admin.token).await;
    assert_eq!(now["definition"]["name"], "Edited by Anna");
    assert_eq!(now["version"], version + 1);
}

#[tokio::test]
async fn the_preview_walks_an_unsaved_definition_and_creates_no_conversation() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let created = new_playbook(&api, &admin).await;
    let mut draft = created["definition"].clone();
    draft["appearance"]["primary_color"] = json!("#0f766e");
    draft["cards"]["livechat"]["offline_message"] = json!("Nobody is here right now.");
    let preview = |action: Value, anyone_online: bool, offline_mode: bool| {
        let body = json!({
            "definition": draft.clone(),
            "action": action,
            "anyone_online": anyone_online,
            "offline_mode": offline_mode,
        });
        let api = api.clone();
        let token = admin.token.clone();
        async move { api.post("/api/playbooks/preview", &token, body).await }
    };

    let (status, start) = preview(json!({"kind": "start"}), false, false).await;
    assert_eq!(status, StatusCode::OK, "{start}");
    assert_eq!(start["widget"]["appearance"]["primary_color"], "#0f766e");
    assert_eq!(start["widget"]["language"], "en");
    assert_eq!(start["state"], "bot");
    assert_eq!(start["prompt"]["card_id"], "start");
    assert_eq!(start["messages"][0]["author"], "bot");

    // Nobody online: the edited offline message, then the offline path's first question.
    let talk = json!({"kind": "answer", "card_id": "start", "choice": 0});
    let (status, offline) = preview(talk.clone(), false, false).await;
    assert_eq!(status, StatusCode::OK, "{offline}");
    assert_eq!(offline["state"], "offline");
    assert_eq!(offline["messages"][0]["body"], "Nobody is here right now.");
    assert_eq!(offline["prompt"]["card_id"], "offline-name");
    // Someone online: the chat would wait, for the card's wait time.
    let (_, waiting) = preview(talk, true, false).await;
    assert_eq!(waiting["state"], "waiting");
    assert_eq!(waiting["wait_secs"], 120);
    assert_eq!(waiting["livechat_card"], "livechat");

    // A bad email is refused as it would be in a real chat.
    let bad_email = json!({"kind": "answer", "card_id": "offline-email", "text": "no"});
    let (status, err) = preview(bad_email, false, true).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_answer"))
    );
    let email = json!({"kind": "answer", "card_id": "offline-email", "text": "ada@example.com"});
    let (_, done) = preview(email, false, true).await;
    assert_eq!(done["state"], "closed");
    assert_eq!(done["qualified"], true);
    assert_eq!(done["follow_ups"][0]["kind"], "lead");
    assert_eq!(done["captured"][0]["key"], "email");

    // A broken draft cannot be previewed: the problems are named.
    let mut broken = draft.clone();
    broken["start"] = json!("nowhere");
    let (status, err) = api
        .post(
            "/api/playbooks/preview",
            &admin.token,
            json!({"definition": broken, "action": {"kind": "start"}}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_playbook"))
    );

    // An operator may not preview.
    let op = api.operator(&admin, "Olga").await;
    let (status, err) = api
        .post(
            "/api/playbooks/preview",
            &op.token,
            json!({"definition": draft, "action": {"kind": "start"}}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin_only"))
    );

    // Nothing of it reached any inbox, nor the stream.
    for folder in ["unassigned", "mine", "offline", "closed"] {
        assert!(api.folder(&admin, folder).await.is_empty(), "{folder}");
    }
    let mut ws = Ws::operator(&api, &admin.token, None).await;
    let ready = loop {
        let f = ws.next().await;
        if f["type"] == "ready" {
            break f;
        }
    };
    let epoch = ready["epoch"].as_str().unwrap();
    let (status, changes) = api
        .get(
            &format!("/api/sync/changes?since=0&epoch={epoch}&limit=50"),
            &admin.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert_eq!(changes["conversations"], json!([]), "{changes}");
}

#[tokio::test]
async fn the_demo_site_tries_an_active_playbook_and_keeps_it_across_its_pages() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let created = new_playbook(&api, &admin).await;
    let id = created["id"].as_str().unwrap();
    let tried = format!("/demo?playbook={id}");

    let (status, err) = api.call("GET", &tried, None, None).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("playbook_not_found")),
        "an inactive playbook cannot be tried: {err}"
    );
    let (status, _) = api
        .post(
            &format!("/api/playbooks/{id}/activate"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for page in [tried.clone(), format!("/demo/pricing?playbook={id}")] {
        let (status, html) = api.call("GET", &page, None, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let html = html.as_str().unwrap();
        assert!(html.contains(&format!("playbookId: \"{id}\"")), "{page}");
        assert!(
            html.contains(&format!("href=\"/demo/pricing?playbook={id}\"")),
            "links keep the playbook: {page}"
        );
        assert!(!html.contains("{{"), "no placeholder left: {page}");
    }
    // Without the query: the seeded demo playbook, plain links.
    let (status, html) = api.call("GET", "/demo", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let html = html.as_str().unwrap();
    assert!(!html.contains(id));
    assert!(html.contains("href=\"/demo/pricing\""));
    let unknown = "/demo?playbook=0190a000-0000-7000-8000-000000000000";
    assert_eq!(
        api.call("GET", unknown, None, None).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, err) = api.call("GET", "/demo?playbook=nope", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
}

#[tokio::test]
async fn every_admin_call_is_refused_to_an_operator() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let op = api.operator(&admin, "Olga").await;
    let created = new_playbook(&api, &admin).await;
    let id = created["id"].as_str().unwrap();
    let definition = created["definition"].clone();
    let calls = [
        ("GET", "/api/playbook-templates".to_owned(), None),
        ("GET", "/api/playbooks".to_owned(), None),
        (
            "POST",
            "/api/playbooks".to_owned(),
            Some(json!({"template": "chat_with_your_leads"})),
        ),
        (
            "POST",
            "/api/playbooks/validate".to_owned(),
            Some(json!({"definition": definition})),
        ),
        (
            "POST",
            "/api/playbooks/preview".to_owned(),
            Some(json!({"definition": definition, "action": {"kind": "start"}})),
        ),
        ("GET", format!("/api/playbooks/{id}"), None),
        (
            "PUT",
            format!("/api/playbooks/{id}"),
            Some(json!({"definition": definition, "base_version": 1})),
        ),
        ("POST", format!("/api/playbooks/{id}/activate"), None),
        ("POST", format!("/api/playbooks/{id}/deactivate"), None),
        (
            "PUT",
            format!("/api/playbooks/{id}/origins"),
            Some(json!({"origins": []})),
        ),
        ("GET", format!("/api/playbooks/{id}/snippet"), None),
        ("GET", "/api/operators".to_owned(), None),
        (
            "POST",
            "/api/operators".to_owned(),
            Some(
                json!({"display_name": "X", "email": "x@example.com", "password": "long-enough-1", "role": "admin"}),
            ),
        ),
        ("POST", format!("/api/operators/{}/disable", admin.id), None),
    ];
    for (method, path, body) in calls {
        let (status, err) = api.call(method, &path, Some(&op.token), body).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("admin_only")),
            "{method} {path}: {err}"
        );
    }
    // And nothing changed.
    let (_, now) = api.get(&format!("/api/playbooks/{id}"), &admin.token).await;
    assert_eq!(now["version"], 1);
    assert_eq!(now["active"], false);
}

/// The bot's and Frontdesk's lines (not the visitor's) of a transcript, in order.
fn lines(messages: &[Value]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter(|m| m["author"] != "visitor")
        .map(|m| {
            (
                m["author"].as_str().unwrap().to_owned(),
                m["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_preview_says_what_a_real_chat_says() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let playbook = crate::playbooks::demo_playbook(&api, &admin).await;
    let (_, record) = api
        .get(&format!("/api/playbooks/{playbook}"), &admin.token)
        .await;
    let definition = record["definition"].clone();
    // Nobody is online: the qualification path, and the livechat card's offline path.
    let walks: [&[Value]; 2] = [
        &[
            json!({"choice": 1}),
            json!({"choice": 2}),
            json!({"text": "Ada Lovelace"}),
            json!({"text": "ada@example.com"}),
            json!({"text": "Analytical Engines"}),
        ],
        &[
            json!({"choice": 0}),
            json!({"text": "Ada Lovelace"}),
            json!({"text": "ada@example.com"}),
        ],
    ];
    for walk in walks {
        // A real visitor…
        let v = crate::playbooks::playbook_visitor(&api, &playbook).await;
        let (_, mut real) = api.post("/api/visitor/start", &v.token, json!({})).await;
        for input in walk {
            let mut body = input.clone();
            body["card_id"] = real["prompt"]["card_id"].clone();
            let (status, next) = api.post("/api/visitor/answer", &v.token, body).await;
            assert_eq!(status, StatusCode::OK, "{next}");
            real = next;
        }
        // …and the preview of the same definition, step by step.
        let mut said = Vec::new();
        let mut state = Value::Null;
        let mut action = json!({"kind": "start"});
        for input in std::iter::once(None).chain(walk.iter().map(Some)) {
            if let Some(input) = input {
                action = input.clone();
                action["kind"] = json!("answer");
                action["card_id"] = state["prompt"]["card_id"].clone();
            }
            let offline = state["state"] == "offline";
            let (status, step) = api
                .post(
                    "/api/playbooks/preview",
                    &admin.token,
                    json!({"definition": definition, "action": action, "anyone_online": false, "offline_mode": offline}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{step}");
            said.extend(step["messages"].as_array().unwrap().iter().cloned());
            state = step;
        }
        assert_eq!(
            lines(&said),
            lines(real["messages"].as_array().unwrap()),
            "walk {walk:?}"
        );
        assert_eq!(state["state"], real["conversation"]["state"]);
        assert_eq!(state["qualified"], real["conversation"]["qualified"]);
    }
}
