//! Sales records through the real server: the Details panel (S12), creating leads and deals
//! (S13) also from closed conversations (S14), follow-up cards creating real records (S5),
//! returning visitors (B7), the audit trail (B10), the CSV export, and bad input.

use crate::playbooks::{demo_playbook, playbook_visitor};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) fn details_body() -> Value {
    json!({
        "value": 12000, "currency": "eur",
        "contact": {"name": "Ada Lovelace", "emails": ["Ada@Example.com"], "phones": ["+44 20 1234 5678"]},
        "organization": {"name": "Analytical Engines", "address": "12 Marylebone, London"},
        "notes": "Wants a demo next week."
    })
}

pub(crate) async fn create(
    api: &Api,
    op: &Operator,
    id: &str,
    kind: &str,
    key: &str,
) -> (StatusCode, Value) {
    api.post(
        &format!("/api/conversations/{id}/results"),
        &op.token,
        json!({"kind": kind, "idempotency_key": key}),
    )
    .await
}

async fn details(api: &Api, op: &Operator, id: &str) -> Value {
    let (status, d) = api
        .get(&format!("/api/conversations/{id}"), &op.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    d["details"].clone()
}

#[tokio::test]
async fn the_assignee_edits_details_others_get_the_event_rule_and_the_audit_says_who() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let bob = api.operator(&admin, "Bob").await;
    let _ann_ws = api.go_online(&ann).await;
    let (_v, id) = api.assigned_chat(&ann).await;
    let mut ann_ws = Ws::operator(&api, &ann.token, None).await;
    ann_ws.ready().await;
    let mut bob_ws = Ws::operator(&api, &bob.token, None).await;
    bob_ws.ready().await;

    let path = format!("/api/conversations/{id}/details");
    // Bob does not see Ann's chat: the same 404 as for a missing one, nothing changes.
    let (status, err) = api.put(&path, &bob.token, details_body()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("conversation_not_found"))
    );

    let (status, saved) = api.put(&path, &ann.token, details_body()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["currency"], "EUR", "normalised");
    assert_eq!(saved["value"], 12000);
    assert_eq!(saved["updated_by_name"], "Ann");
    let e = ann_ws
        .until(|f| f["type"] == "event" && f["event"]["kind"] == "details_changed")
        .await;
    assert_eq!(e["event"]["conversation_id"], id.as_str());
    assert_eq!(e["event"]["details"]["contact"]["name"], "Ada Lovelace");
    assert_eq!(e["actor"]["name"], "Ann");
    // Bob's stream carries nothing about the assigned conversation.
    let bob_frames = bob_ws.drain(Duration::from_millis(500)).await;
    assert!(
        !bob_frames
            .iter()
            .any(|f| f["event"]["kind"] == "details_changed"),
        "{bob_frames:?}"
    );
    let d = details(&api, &ann, &id).await;
    assert_eq!(d["sales"]["organization"]["name"], "Analytical Engines");
    assert_eq!(d["sales"]["notes"], "Wants a demo next week.");

    // Saving the same details again changes nothing: no event, no audit line.
    let (status, _) = api.put(&path, &ann.token, details_body()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ann_ws
        .drain(Duration::from_millis(300))
        .await
        .iter()
        .all(|f| f["event"]["kind"] != "details_changed"));

    // Closed: the handler (Ann) may still edit, Bob may see it but not change it.
    let (status, _) = api
        .post(
            &format!("/api/conversations/{id}/close"),
            &ann.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = api
        .put(&path, &bob.token, json!({"notes": "mine now"}))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_handler")),
        "{err}"
    );
    let mut changed = details_body();
    changed["notes"] = json!("Demo booked.");
    let (status, _) = api.put(&path, &ann.token, changed).await;
    assert_eq!(status, StatusCode::OK);
    // An admin may correct a closed conversation's details too.
    let (status, _) = api.put(&path, &admin.token, details_body()).await;
    assert_eq!(status, StatusCode::OK);

    let (status, trail) = api
        .get(&format!("/api/conversations/{id}/audit"), &bob.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let lines: Vec<(String, String)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("assigned".into(), "Ann".into()),
            ("details_changed".into(), "Ann".into()),
            ("closed".into(), "Ann".into()),
            ("details_changed".into(), "Ann".into()),
            ("details_changed".into(), "Admin".into()),
        ]
    );
    let first_change = &trail[1];
    let fields: Vec<&str> = first_change["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["value", "currency", "contact", "organization", "notes"]
    );
    assert_eq!(trail[3]["fields"], json!(["notes"]));
}

#[tokio::test]
async fn unassigned_chats_must_be_taken_before_editing_and_bad_details_are_refused() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let _ws = api.go_online(&ann).await;
    let v = api.visitor(Some("Grace")).await;
    let id = api.ask_for_person(&v).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/conversations/{id}/details");
    let (status, err) = api.put(&path, &ann.token, details_body()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_assigned"))
    );
    let (status, err) = create(&api, &ann, &id, "lead", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_assigned"))
    );
    api.post(
        &format!("/api/conversations/{id}/assign"),
        &ann.token,
        json!({}),
    )
    .await;

    for (body, status, code) in [
        (
            json!({"value": 10}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_details",
        ),
        (
            json!({"value": 10, "currency": "EURO"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_details",
        ),
        (
            json!({"contact": {"emails": ["not an email"]}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_details",
        ),
        (
            json!({"notes": "x".repeat(10_001)}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "text_too_long",
        ),
        (
            json!({"value": "ten"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json!({"surprise": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ] {
        let (s, err) = api.put(&path, &ann.token, body.clone()).await;
        assert_eq!(
            (s, err["code"].as_str()),
            (status, Some(code)),
            "{body}: {err}"
        );
    }
    // Malformed JSON, unknown ids, bad kinds.
    let resp = api
        .http
        .put(format!("{}{path}", api.base))
        .bearer_auth(&ann.token)
        .header("content-type", "application/json")
        .body("{\"notes\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "invalid_json");
    let missing = uuid::Uuid::now_v7();
    let (s, err) = api
        .put(
            &format!("/api/conversations/{missing}/details"),
            &ann.token,
            details_body(),
        )
        .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("conversation_not_found"))
    );
    let (s, err) = api
        .put(
            "/api/conversations/not-a-uuid/details",
            &ann.token,
            details_body(),
        )
        .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_id"))
    );
    let (s, err) = create(
        &api,
        &ann,
        &id,
        "activity",
        &uuid::Uuid::now_v7().to_string(),
    )
    .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unsupported_kind"))
    );
    let (s, err) = create(
        &api,
        &ann,
        &id,
        "contract",
        &uuid::Uuid::now_v7().to_string(),
    )
    .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
    let (s, err) = api
        .post(
            &format!("/api/conversations/{id}/results"),
            &ann.token,
            json!({"kind": "lead", "idempotency_key": uuid::Uuid::now_v7(), "title": "t".repeat(201)}),
        )
        .await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("text_too_long"))
    );
    // Nothing of it was stored.
    let d = details(&api, &ann, &id).await;
    assert_eq!(d["sales"]["notes"], Value::Null);
    assert_eq!(d["results"], json!([]));
}

#[tokio::test]
async fn a_lead_and_a_deal_from_details_once_each_also_after_close_with_a_returning_visitor() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let _ws = api.go_online(&ann).await;
    let (v, id) = api.assigned_chat(&ann).await;
    api.send_as_visitor(&v, "Hello, I need 40 seats").await;
    api.send_as_operator(&ann, &id, "Happy to help!").await;
    let mut ws = Ws::operator(&api, &ann.token, None).await;
    ws.ready().await;
    api.put(
        &format!("/api/conversations/{id}/details"),
        &ann.token,
        details_body(),
    )
    .await;

    // A double click: two requests with one key, at once.
    let key = uuid::Uuid::now_v7().to_string();
    let (a, b) = tokio::join!(
        create(&api, &ann, &id, "lead", &key),
        create(&api, &ann, &id, "lead", &key)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CREATED],
        "{a:?} {b:?}"
    );
    assert_eq!(a.1["id"], b.1["id"]);
    let lead = a.1;
    assert_eq!(lead["kind"], "lead");
    assert_eq!(lead["title"], "Analytical Engines");
    assert_eq!(lead["value"], 12000);
    assert_eq!(lead["currency"], "EUR");
    assert_eq!(lead["source"], "Live chat");
    assert_eq!(lead["created_by_name"], "Ann");
    assert_eq!(lead["sync"]["status"], "local");
    assert!(lead["person_id"].is_string() && lead["organization_id"].is_string());
    // The same key for a deal is another request: refused, nothing created.
    let (s, err) = create(&api, &ann, &id, "deal", &key).await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency_key_taken"))
    );
    let e = ws
        .until(|f| f["type"] == "event" && f["event"]["kind"] == "result_upsert")
        .await;
    assert_eq!(e["event"]["result"]["id"], lead["id"]);
    assert!(
        ws.drain(Duration::from_millis(300))
            .await
            .iter()
            .all(|f| f["event"]["kind"] != "result_upsert"),
        "one record, one announcement"
    );

    // Closed: creating still works (S14); reopening does not.
    api.post(
        &format!("/api/conversations/{id}/close"),
        &ann.token,
        json!({}),
    )
    .await;
    let (s, deal) = create(&api, &ann, &id, "deal", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{deal}");
    assert_eq!(deal["stage"], "Qualified");
    assert_eq!(deal["person_id"], lead["person_id"], "one person per email");
    let (s, _) = api
        .post(
            &format!("/api/conversations/{id}/assign"),
            &ann.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let d = details(&api, &ann, &id).await;
    let ids: Vec<&Value> = d["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, vec![&lead["id"], &deal["id"]]);

    // The same visitor comes back: a new conversation, the same person (visitor id).
    let id2 = api.ask_for_person(&v).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(id2, id);
    api.post(
        &format!("/api/conversations/{id2}/assign"),
        &ann.token,
        json!({}),
    )
    .await;
    let (s, again) = create(&api, &ann, &id2, "lead", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(
        again["person_id"], lead["person_id"],
        "same visitor id, same person"
    );

    // Another visitor giving the same email (other case) is the same person, too.
    let (_w, id3) = api.assigned_chat(&ann).await;
    api.put(
        &format!("/api/conversations/{id3}/details"),
        &ann.token,
        json!({"contact": {"name": "A. Lovelace", "emails": ["ADA@example.COM"]}, "organization": {"name": "analytical  engines"}}),
    )
    .await;
    let (s, third) = create(&api, &ann, &id3, "deal", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(third["person_id"], lead["person_id"]);
    assert_eq!(
        third["organization_id"], lead["organization_id"],
        "organizations by name"
    );

    // The audit trail names the creations.
    let (_, trail) = api
        .get(&format!("/api/conversations/{id}/audit"), &ann.token)
        .await;
    let actions: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "assigned",
            "details_changed",
            "lead_created",
            "closed",
            "deal_created"
        ]
    );
    assert_eq!(trail[2]["result_id"], lead["id"]);
}

#[tokio::test]
async fn follow_up_cards_create_real_records_through_the_same_path() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let playbook = demo_playbook(&api, &admin).await;
    let v = playbook_visitor(&api, &playbook).await;
    let (_, mut s) = api
        .post(
            "/api/visitor/start",
            &v.token,
            json!({"page_url": "https://acme.test/pricing"}),
        )
        .await;
    for body in [
        json!({"choice": 1}),
        json!({"choice": 2}),
        json!({"text": "Ada Lovelace"}),
        json!({"text": "ada@example.com"}),
        json!({"text": "Analytical Engines", "page_url": "https://acme.test/signup"}),
    ] {
        let mut body = body;
        body["card_id"] = s["prompt"]["card_id"].clone();
        let (status, next) = api.post("/api/visitor/answer", &v.token, body).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        s = next;
    }
    let id = s["conversation"]["id"].as_str().unwrap().to_owned();
    let d = details(&api, &admin, &id).await;
    let results = d["results"].as_array().unwrap();
    let kinds: Vec<&str> = results
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["deal", "activity"]);
    for (f, r) in d["follow_ups"].as_array().unwrap().iter().zip(results) {
        assert_eq!(f["result_id"], r["id"]);
        assert_eq!(f["status"], "local");
        assert_eq!(r["source"], "Chatbot");
        assert_eq!(r["converted_url"], "https://acme.test/signup");
        assert_eq!(r["created_by"], Value::Null);
    }
    assert_eq!(d["sales"]["contact"]["emails"], json!(["ada@example.com"]));
    assert_eq!(d["sales"]["organization"]["name"], "Analytical Engines");
    let (_, trail) = api
        .get(&format!("/api/conversations/{id}/audit"), &admin.token)
        .await;
    let bot_created: Vec<(&str, &str)> = trail
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().ends_with("_created"))
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor"]["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        bot_created,
        vec![("deal_created", "bot"), ("activity_created", "bot")]
    );

    // An operator's lead from the same closed conversation links to the same person.
    let (s, lead) = create(&api, &admin, &id, "lead", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{lead}");
    assert_eq!(lead["person_id"], results[0]["person_id"]);
    assert_eq!(lead["converted_url"], "https://acme.test/signup");
}

#[tokio::test]
async fn the_csv_export_is_for_admins_and_cannot_inject_formulas() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let _ws = api.go_online(&ann).await;
    let (_v, id) = api.assigned_chat(&ann).await;
    api.put(
        &format!("/api/conversations/{id}/details"),
        &ann.token,
        json!({"contact": {"name": "=HYPERLINK(\"http://evil.test\",\"click\")", "phones": ["+1 555 0100"]},
               "organization": {"name": "@SUM(1+1)"}, "value": 5, "currency": "USD"}),
    )
    .await;
    let (s, _) = create(&api, &ann, &id, "lead", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = create(&api, &ann, &id, "deal", &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(s, StatusCode::CREATED);

    let (s, err) = api.get("/api/admin/export/leads.csv", &ann.token).await;
    assert_eq!(
        (s, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin_only"))
    );
    for (path, kind_rows) in [
        ("/api/admin/export/leads.csv", 1),
        ("/api/admin/export/deals.csv", 1),
    ] {
        let resp = api
            .http
            .get(format!("{}{path}", api.base))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let text = resp.text().await.unwrap();
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 1 + kind_rows, "{text}");
        assert!(lines[0].starts_with("\"id\",\"title\""));
        // Every cell is quoted; no cell starts with a formula character.
        for cell in lines[1].split("\",\"") {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "cell {cell:?} could run as a formula: {}",
                lines[1]
            );
        }
        assert!(
            lines[1].contains("\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"click\"\")\""),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("\"'@SUM(1+1)\""));
        assert!(lines[1].contains("\"'+1 555 0100\""));
    }
}
