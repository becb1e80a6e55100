//! The Pipedrive connector (B8) against a stand-in that validates every request against
//! Pipedrive's published OpenAPI documents (`pipedrive_fake.rs`): the push sequence, stored
//! remote ids, 429 and rate-limit headers, 5xx, a permanent refusal and its retry, a restart
//! in the middle of the queue, and the token at rest.

use crate::pipedrive_fake::{Fake, Fault};
use crate::sales::{create, details_body};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const TOKEN: &str = "pd-test-token-5f1e0c2b9a";

fn args(fake: &Fake) -> Vec<String> {
    vec![
        "--pipedrive-base-url".into(),
        fake.base.clone(),
        "--crm-retry-base-ms".into(),
        "100".into(),
    ]
}

fn start(fake: &Fake) -> Server {
    let a = args(fake);
    Server::start(&a.iter().map(String::as_str).collect::<Vec<_>>())
}

async fn connect(api: &Api, admin: &Operator) {
    let (s, view) = api
        .put(
            "/api/admin/crm/pipedrive",
            &admin.token,
            json!({"company_domain": "acme", "api_token": TOKEN}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["configured"], true);
    assert_eq!(view["company_domain"], "acme");
    assert!(
        !view.to_string().contains(TOKEN),
        "the token is never shown"
    );
}

/// Polls the result until its sync status is `want` (10 s at most).
async fn wait_status(
    api: &Api,
    op: &Operator,
    conversation: &str,
    result: &Value,
    want: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, d) = api
            .get(&format!("/api/conversations/{conversation}"), &op.token)
            .await;
        let r = d["details"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == result["id"])
            .cloned()
            .expect("the result is listed");
        if r["sync"]["status"] == want {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "still {} (want {want}): {r}",
            r["sync"]["status"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An operator's closed chat with details (Ada at Analytical Engines).
async fn chat_with_details(api: &Api, admin: &Operator) -> (Operator, String, Ws) {
    let ann = api.operator(admin, "Ann").await;
    let ws = api.go_online(&ann).await;
    let (v, id) = api.assigned_chat(&ann).await;
    api.send_as_visitor(&v, "<script>alert(1)</script> & hello")
        .await;
    api.put(
        &format!("/api/conversations/{id}/details"),
        &ann.token,
        details_body(),
    )
    .await;
    (ann, id, ws)
}

#[tokio::test]
async fn a_lead_and_a_deal_are_pushed_once_each_with_valid_requests_and_links() {
    let fake = Fake::start(TOKEN).await;
    let server = start(&fake);
    let api = server.api();
    let admin = api.admin(&server).await;
    connect(&api, &admin).await;
    let (ann, id, _online) = chat_with_details(&api, &admin).await;
    let mut ws = Ws::operator(&api, &ann.token, None).await;
    ws.ready().await;

    let (s, lead) = create(&api, &ann, &id, "lead", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{lead}");
    assert_eq!(lead["sync"]["status"], "pending");
    let synced = wait_status(&api, &ann, &id, &lead, "synced").await;
    // The status change is an event too.
    let e = ws
        .until(|f| {
            f["event"]["kind"] == "result_upsert"
                && f["event"]["result"]["sync"]["status"] == "synced"
        })
        .await;
    assert_eq!(e["event"]["result"]["id"], lead["id"]);

    let remote_lead = fake.with(|i| i.leads.clone());
    assert_eq!(remote_lead.len(), 1);
    let lead_id = remote_lead[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        synced["sync"]["url"],
        format!("https://acme.pipedrive.com/leads/inbox/{lead_id}")
    );
    assert_eq!(remote_lead[0]["title"], "Analytical Engines");
    assert_eq!(
        remote_lead[0]["value"],
        json!({"amount": 12000.0, "currency": "EUR"})
    );
    assert_eq!(remote_lead[0]["origin_id"], "frontdesk");
    let persons = fake.with(|i| i.persons.clone());
    let orgs = fake.with(|i| i.organizations.clone());
    assert_eq!(persons.len(), 1);
    assert_eq!(orgs.len(), 1);
    assert_eq!(persons[0]["name"], "Ada Lovelace");
    assert_eq!(persons[0]["emails"][0]["value"], "Ada@Example.com");
    assert_eq!(persons[0]["org_id"], orgs[0]["id"]);
    assert_eq!(remote_lead[0]["person_id"], persons[0]["id"]);
    assert_eq!(remote_lead[0]["organization_id"], orgs[0]["id"]);
    assert_eq!(orgs[0]["address"]["value"], "12 Marylebone, London");
    // The transcript note, HTML-escaped, on the lead.
    let notes = fake.with(|i| i.notes.clone());
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["lead_id"], lead_id.as_str());
    let content = notes[0]["content"].as_str().unwrap();
    assert!(
        content.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; hello"),
        "{content}"
    );
    assert!(!content.contains("<script>"));
    assert!(content.contains("Wants a demo next week."));

    // A deal from the same chat reuses the stored remote person and organization.
    let searches_before = fake.seen("GET", "/api/v2/persons/search").len();
    let (s, deal) = create(&api, &ann, &id, "deal", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(s, StatusCode::CREATED);
    let synced = wait_status(&api, &ann, &id, &deal, "synced").await;
    let deals = fake.with(|i| i.deals.clone());
    assert_eq!(deals.len(), 1);
    assert_eq!(
        synced["sync"]["url"],
        format!("https://acme.pipedrive.com/deal/{}", deals[0]["id"])
    );
    assert_eq!(deals[0]["person_id"], persons[0]["id"]);
    assert_eq!(deals[0]["value"], 12000.0);
    assert_eq!(deals[0]["currency"], "EUR");
    assert_eq!(fake.with(|i| i.persons.len()), 1, "no second remote person");
    assert_eq!(
        fake.seen("GET", "/api/v2/persons/search").len(),
        searches_before
    );
    assert_eq!(fake.with(|i| i.notes.len()), 2);
    assert_eq!(fake.with(|i| i.notes[1]["deal_id"].clone()), deals[0]["id"]);
    fake.assert_no_violations();
    assert!(
        fake.with(|i| i.seen.iter().all(|s| s.status < 400)),
        "every request was accepted"
    );
}

#[tokio::test]
async fn a_known_email_finds_the_remote_person_and_follow_ups_push_an_activity() {
    let fake = Fake::start(TOKEN).await;
    // Ada is already in Pipedrive.
    fake.inner.lock().unwrap().persons.push(
        json!({"id": 7, "name": "Ada L.", "emails": [{"value": "ada@example.com", "primary": true}]}),
    );
    let server = start(&fake);
    let api = server.api();
    let admin = api.admin(&server).await;
    connect(&api, &admin).await;
    let playbook = crate::playbooks::demo_playbook(&api, &admin).await;
    let v = crate::playbooks::playbook_visitor(&api, &playbook).await;
    let (_, mut s) = api.post("/api/visitor/start", &v.token, json!({})).await;
    for body in [
        json!({"choice": 1}),
        json!({"choice": 2}),
        json!({"text": "Ada Lovelace"}),
        json!({"text": "ada@example.com"}),
        json!({"text": "Analytical Engines"}),
    ] {
        let mut body = body;
        body["card_id"] = s["prompt"]["card_id"].clone();
        s = api.post("/api/visitor/answer", &v.token, body).await.1;
    }
    let id = s["conversation"]["id"].as_str().unwrap().to_owned();
    let (_, d) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    let results = d["details"]["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 2);
    for r in &results {
        wait_status(&api, &admin, &id, r, "synced").await;
    }
    assert_eq!(
        fake.with(|i| i.persons.len()),
        1,
        "found by email, not created"
    );
    let deals = fake.with(|i| i.deals.clone());
    let activities = fake.with(|i| i.activities.clone());
    assert_eq!(deals.len(), 1);
    assert_eq!(deals[0]["person_id"], 7);
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0]["person_id"], 7);
    assert_eq!(activities[0]["type"], "call");
    // The follow-ups show the push.
    let (_, d) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    for f in d["details"]["follow_ups"].as_array().unwrap() {
        assert_eq!(f["status"], "synced");
    }
    fake.assert_no_violations();
}

#[tokio::test]
async fn rate_limits_and_server_errors_delay_but_never_duplicate() {
    let fake = Fake::start(TOKEN).await;
    fake.inject(
        "GET",
        "/api/v2/organizations/search",
        Fault::BudgetSpent { reset_secs: 1 },
        1,
    );
    fake.inject(
        "POST",
        "/api/v2/persons",
        Fault::RateLimited { reset_secs: 1 },
        1,
    );
    fake.inject("POST", "/api/v1/leads", Fault::Status(502), 2);
    fake.inject("POST", "/api/v1/notes", Fault::Status(500), 1);
    let server = start(&fake);
    let api = server.api();
    let admin = api.admin(&server).await;
    connect(&api, &admin).await;
    let (ann, id, _online) = chat_with_details(&api, &admin).await;
    let (_, lead) = create(&api, &ann, &id, "lead", &uuid::Uuid::now_v7().to_string()).await;
    let synced = wait_status(&api, &ann, &id, &lead, "synced").await;
    assert_eq!(synced["sync"]["attempts"].as_i64(), Some(4), "{synced}");

    // The spent budget paused the next call for the reset time.
    let search = &fake.seen("GET", "/api/v2/organizations/search")[0];
    let next = fake
        .with(|i| i.seen.iter().find(|s| s.at > search.at).cloned())
        .unwrap();
    assert!(
        next.at.duration_since(search.at) >= Duration::from_millis(900),
        "next call {:?} after a spent budget",
        next.at.duration_since(search.at)
    );
    // After the 429 the person was created only after x-ratelimit-reset.
    let persons = fake.seen("POST", "/api/v2/persons");
    assert_eq!(
        persons.iter().map(|s| s.status).collect::<Vec<_>>(),
        vec![429, 200]
    );
    assert!(persons[1].at.duration_since(persons[0].at) >= Duration::from_millis(900));
    let leads = fake.seen("POST", "/api/v1/leads");
    assert_eq!(
        leads.iter().map(|s| s.status).collect::<Vec<_>>(),
        vec![502, 502, 201]
    );
    // One of each remotely, although requests were repeated.
    fake.with(|i| {
        assert_eq!(
            (
                i.persons.len(),
                i.organizations.len(),
                i.leads.len(),
                i.notes.len()
            ),
            (1, 1, 1, 1)
        )
    });
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_refusal_fails_with_the_reason_and_a_retry_finishes_without_a_second_copy() {
    let fake = Fake::start(TOKEN).await;
    fake.inject("POST", "/api/v1/notes", Fault::Status(503), 10);
    let server = start(&fake);
    let api = server.api();
    let admin = api.admin(&server).await;
    connect(&api, &admin).await;
    let (ann, id, _online) = chat_with_details(&api, &admin).await;
    let (_, deal) = create(&api, &ann, &id, "deal", &uuid::Uuid::now_v7().to_string()).await;
    let failed = wait_status(&api, &ann, &id, &deal, "failed").await;
    assert!(
        failed["sync"]["error"].as_str().unwrap().contains("503"),
        "{failed}"
    );
    assert_eq!(failed["sync"]["attempts"], 6);
    assert_eq!(fake.with(|i| i.deals.len()), 1, "the deal was created once");

    // Someone else may not retry (the conversation is Ann's); Ann may.
    let bob = api.operator(&admin, "Bob").await;
    let retry = format!(
        "/api/conversations/{id}/results/{}/retry",
        deal["id"].as_str().unwrap()
    );
    let (s, _) = api.post(&retry, &bob.token, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    fake.inner.lock().unwrap().faults.clear();
    let (s, again) = api.post(&retry, &ann.token, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["sync"]["status"], "pending");
    wait_status(&api, &ann, &id, &deal, "synced").await;
    fake.with(|i| assert_eq!((i.deals.len(), i.notes.len(), i.persons.len()), (1, 1, 1)));
    let (_, trail) = api
        .get(&format!("/api/conversations/{id}/audit"), &ann.token)
        .await;
    assert!(trail
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "push_retried"));

    // A wrong token: failed at once, with a hint.
    let (s, _) = api
        .put(
            "/api/admin/crm/pipedrive",
            &admin.token,
            json!({"company_domain": "acme", "api_token": "wrong"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, lead) = create(&api, &ann, &id, "lead", &uuid::Uuid::now_v7().to_string()).await;
    let failed = wait_status(&api, &ann, &id, &lead, "failed").await;
    assert!(
        failed["sync"]["error"].as_str().unwrap().contains("401"),
        "{failed}"
    );
    assert_eq!(failed["sync"]["attempts"], 1);
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_restart_in_the_middle_of_the_queue_continues_where_it_stopped() {
    let fake = Fake::start(TOKEN).await;
    // The note request hangs while the server is killed.
    fake.inject(
        "POST",
        "/api/v1/notes",
        Fault::Hold(Duration::from_secs(30)),
        1,
    );
    let data = tempfile::tempdir().unwrap();
    let a = args(&fake);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut server = Server::start_in(data.path(), &a);
    let api = server.api();
    let admin = api.admin(&server).await;
    connect(&api, &admin).await;
    let (ann, id, _online) = chat_with_details(&api, &admin).await;
    let (_, lead) = create(&api, &ann, &id, "lead", &uuid::Uuid::now_v7().to_string()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.seen("POST", "/api/v1/leads").is_empty() || fake.with(|i| i.faults[0].3) > 0 {
        assert!(Instant::now() < deadline, "the push did not reach the note");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.kill();
    let server = Server::start_in(data.path(), &a);
    let api = server.api();
    let ann = api.login(&ann.email, "correct horse").await;
    let synced = wait_status(&api, &ann, &id, &lead, "synced").await;
    fake.with(|i| {
        assert_eq!(
            (i.persons.len(), i.organizations.len(), i.leads.len()),
            (1, 1, 1),
            "no second remote copy after the restart"
        );
        // The held note may or may not have been stored before the kill; at most one more.
        assert!((1..=2).contains(&i.notes.len()));
    });
    assert!(synced["sync"]["url"].as_str().unwrap().contains(
        fake.with(|i| i.leads[0]["id"].as_str().unwrap().to_owned())
            .as_str()
    ));
    fake.assert_no_violations();
}

#[tokio::test]
async fn the_connection_is_for_admins_and_its_token_is_not_in_the_database() {
    let fake = Fake::start(TOKEN).await;
    let server = start(&fake);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let (s, err) = api.get("/api/admin/crm/pipedrive", &ann.token).await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin_only"))
    );
    let (s, err) = api
        .put(
            "/api/admin/crm/pipedrive",
            &ann.token,
            json!({"company_domain": "acme", "api_token": TOKEN}),
        )
        .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin_only"))
    );
    let (s, view) = api.get("/api/admin/crm/pipedrive", &admin.token).await;
    assert_eq!((s, &view["configured"]), (StatusCode::OK, &json!(false)));
    for (body, code) in [
        (
            json!({"company_domain": "acme.pipedrive.com/x", "api_token": TOKEN}),
            "invalid_domain",
        ),
        (
            json!({"company_domain": "acme", "api_token": " "}),
            "invalid_token",
        ),
    ] {
        let (s, err) = api
            .put("/api/admin/crm/pipedrive", &admin.token, body)
            .await;
        assert_eq!(
            (s, err["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code))
        );
    }
    // Retrying without a connection says so.
    let _ws = api.go_online(&ann).await;
    let (_v, id) = api.assigned_chat(&ann).await;
    let (_, lead) = create(&api, &ann, &id, "lead", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(lead["sync"]["status"], "local");
    let retry = format!(
        "/api/conversations/{id}/results/{}/retry",
        lead["id"].as_str().unwrap()
    );
    let (s, err) = api.post(&retry, &ann.token, json!({})).await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("crm_not_configured"))
    );
    let (s, err) = api
        .post(
            &format!(
                "/api/conversations/{id}/results/{}/retry",
                uuid::Uuid::now_v7()
            ),
            &ann.token,
            json!({}),
        )
        .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("result_not_found"))
    );

    connect(&api, &admin).await;
    // A Frontdesk-only result can be pushed later with a retry.
    let (s, _) = api.post(&retry, &ann.token, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    wait_status(&api, &ann, &id, &lead, "synced").await;

    // The token is not in any file of the data directory but the key file's sealed form.
    for entry in std::fs::read_dir(&server.data).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        let found = bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes());
        assert!(!found, "the token is readable in {}", path.display());
    }
    assert!(server.data.join("secret.key").exists());
    let (s, view) = api.delete("/api/admin/crm/pipedrive", &admin.token).await;
    assert_eq!((s, &view["configured"]), (StatusCode::OK, &json!(false)));
    fake.assert_no_violations();
}

#[tokio::test]
async fn an_unreachable_pipedrive_fails_with_a_short_reason_that_names_no_address() {
    // Nothing listens on port 9 here: every attempt fails to connect.
    let server = Server::start(&[
        "--pipedrive-base-url",
        "http://127.0.0.1:9",
        "--crm-retry-base-ms",
        "10",
    ]);
    let api = server.api();
    let admin = api.admin(&server).await;
    connect(&api, &admin).await;
    let (ann, id, _online) = chat_with_details(&api, &admin).await;
    let (_, lead) = create(&api, &ann, &id, "lead", &uuid::Uuid::now_v7().to_string()).await;
    let failed = wait_status(&api, &ann, &id, &lead, "failed").await;
    let reason = failed["sync"]["error"].as_str().unwrap();
    assert_eq!(
        reason,
        "Pipedrive could not be reached (the connection failed)."
    );
    assert_eq!(failed["sync"]["attempts"], 6);
}
