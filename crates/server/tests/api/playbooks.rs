//! Playbooks through the real server: admin API, the engine driven by a visitor, the
//! livechat card's handoff and offline path, origins and rate limits.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) async fn demo_playbook(api: &Api, admin: &Operator) -> String {
    let (status, list) = api.get("/api/playbooks", &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "the demo playbook is seeded on the first run"
    );
    assert_eq!(list[0]["active"], true);
    list[0]["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn playbook_visitor(api: &Api, playbook: &str) -> Visitor {
    let (status, body) = api
        .call(
            "POST",
            "/api/visitor/session",
            None,
            Some(json!({"playbook_id": playbook})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    Visitor {
        id: body["visitor_id"].as_str().unwrap().to_owned(),
        token: body["token"].as_str().unwrap().to_owned(),
    }
}

async fn answer(api: &Api, v: &Visitor, state: &Value, body: Value) -> (StatusCode, Value) {
    let mut body = body;
    body["card_id"] = state["prompt"]["card_id"].clone();
    api.post("/api/visitor/answer", &v.token, body).await
}

#[tokio::test]
async fn a_qualification_flow_captures_fields_and_creates_follow_ups() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let playbook = demo_playbook(&api, &admin).await;
    let v = playbook_visitor(&api, &playbook).await;
    let (status, s) = api
        .post(
            "/api/visitor/start",
            &v.token,
            json!({"page_url": "https://acme.test/pricing", "referrer": "https://search.test/"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["conversation"]["state"], "bot");
    assert_eq!(s["prompt"]["kind"], "choice");
    assert_eq!(s["prompt"]["answers"][0], "Talk to a person");
    assert_eq!(s["messages"][0]["author"], "bot");
    // Starting again returns the same conversation.
    let (_, again) = api.post("/api/visitor/start", &v.token, json!({})).await;
    assert_eq!(again["conversation"]["id"], s["conversation"]["id"]);

    let (_, s) = answer(&api, &v, &s, json!({"choice": 1})).await; // I want a demo
    let (_, s) = answer(&api, &v, &s, json!({"choice": 2})).await; // more than 50
    assert_eq!(s["prompt"]["kind"], "text");
    assert_eq!(s["prompt"]["field"], "name");
    let (_, s) = answer(&api, &v, &s, json!({"text": "Ada Lovelace"})).await;
    // An invalid email is refused with a message the visitor can act on; nothing advances.
    let (status, err) = answer(&api, &v, &s, json!({"text": "ada@"})).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_answer"))
    );
    assert!(err["message"].as_str().unwrap().contains("valid email"));
    let (status, stale) = api
        .post(
            "/api/visitor/answer",
            &v.token,
            json!({"card_id": "start", "choice": 0}),
        )
        .await;
    assert_eq!(
        (status, stale["code"].as_str()),
        (StatusCode::CONFLICT, Some("stale_card"))
    );
    let (_, s) = answer(&api, &v, &s, json!({"text": "ada@example.com"})).await;
    let (status, s) = answer(
        &api,
        &v,
        &s,
        json!({"text": "Analytical Engines", "page_url": "https://acme.test/signup"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["conversation"]["state"], "closed");
    assert_eq!(s["conversation"]["qualified"], true);
    assert!(s["prompt"].is_null());

    let id = s["conversation"]["id"].as_str().unwrap();
    assert_eq!(api.folder(&admin, "closed").await, vec![id.to_owned()]);
    let (_, detail) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    let d = &detail["details"];
    assert_eq!(d["page_url"], "https://acme.test/pricing");
    assert_eq!(d["referrer"], "https://search.test/");
    assert_eq!(d["converted_url"], "https://acme.test/signup");
    let fields: Vec<(String, String)> = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_owned(),
                f["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        fields.contains(&("email".into(), "ada@example.com".into())),
        "{fields:?}"
    );
    assert!(fields.contains(&("organization".into(), "Analytical Engines".into())));
    let kinds: Vec<&str> = d["follow_ups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["deal", "activity"]);
    assert_eq!(d["follow_ups"][0]["page_url"], "https://acme.test/signup");
    // A follow-up is a real record now; without a CRM connection it lives in Frontdesk only.
    assert_eq!(d["follow_ups"][0]["status"], "local");
    assert_eq!(detail["conversation"]["visitor_name"], "Ada Lovelace");
    // The transcript shows the visitor's answers.
    assert!(detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["author"] == "visitor" && m["body"] == "I want a demo"));
}

#[tokio::test]
async fn the_livechat_card_goes_live_only_with_someone_online() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let playbook = demo_playbook(&api, &admin).await;

    // Nobody online: straight to the offline path, whose first card asks for the name (S4).
    let v = playbook_visitor(&api, &playbook).await;
    let (_, s) = api.post("/api/visitor/start", &v.token, json!({})).await;
    let (_, s) = answer(&api, &v, &s, json!({"choice": 0})).await;
    assert_eq!(s["conversation"]["state"], "offline");
    assert_eq!(s["prompt"]["field"], "name");
    assert!(s["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["body"].as_str().unwrap().contains("nobody is available")));
    let (_, s) = answer(&api, &v, &s, json!({"text": "Grace"})).await;
    let (_, s) = answer(&api, &v, &s, json!({"text": "grace@example.com"})).await;
    assert_eq!(s["conversation"]["state"], "closed");
    let id = s["conversation"]["id"].as_str().unwrap();
    let (_, detail) = api
        .get(&format!("/api/conversations/{id}"), &admin.token)
        .await;
    assert_eq!(detail["details"]["follow_ups"][0]["kind"], "lead");

    // Someone online: Unassigned, then the operator's name replaces the bot's (S9).
    let mut ws = api.go_online(&admin).await;
    let v = playbook_visitor(&api, &playbook).await;
    let (_, s) = api.post("/api/visitor/start", &v.token, json!({})).await;
    let (_, s) = answer(&api, &v, &s, json!({"choice": 0})).await;
    assert_eq!(s["conversation"]["state"], "waiting");
    assert!(s["prompt"].is_null());
    let id = s["conversation"]["id"].as_str().unwrap().to_owned();
    ws.until(|f| about(f, &id)).await;
    assert_eq!(
        api.post(
            &format!("/api/conversations/{id}/assign"),
            &admin.token,
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, s) = api.get("/api/visitor/conversation", &v.token).await;
    assert_eq!(s["conversation"]["display_name"], "Admin");
    // Typing reaches the visitor's stream, not stored.
    let mut vws = Ws::visitor(&api, &v.token, None).await;
    vws.ready().await;
    ws.send(json!({"type": "typing", "conversation_id": id}))
        .await;
    let t = vws.until(|f| f["type"] == "typing").await;
    assert_eq!(t["name"], "Admin");
}

#[tokio::test]
async fn the_wait_time_expires_into_the_offline_flow() {
    let server = Server::start(&["--wait-time-secs", "1"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let playbook = demo_playbook(&api, &admin).await;
    let _ws = api.go_online(&admin).await;
    let v = playbook_visitor(&api, &playbook).await;
    let mut vws = Ws::visitor(&api, &v.token, None).await;
    vws.ready().await;
    let (_, s) = api.post("/api/visitor/start", &v.token, json!({})).await;
    let (_, s) = answer(&api, &v, &s, json!({"choice": 0})).await;
    assert_eq!(s["conversation"]["state"], "waiting");
    let prompt = vws
        .until(|f| f["event"]["kind"] == "bot_prompt" && f["event"]["prompt"]["kind"] == "text")
        .await;
    assert_eq!(prompt["event"]["prompt"]["field"], "name");
    let (_, s) = api.get("/api/visitor/conversation", &v.token).await;
    assert_eq!(s["conversation"]["state"], "offline");
    let offline = s["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"].as_str().unwrap().contains("nobody is available"))
        .count();
    assert_eq!(offline, 1);
}

#[tokio::test]
async fn playbook_administration_is_for_admins_and_validates() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let op = api.operator(&admin, "Olga").await;
    // Operators are refused every admin action.
    for (method, path, body) in [
        ("GET", "/api/playbooks".to_owned(), None),
        (
            "POST",
            "/api/playbooks".to_owned(),
            Some(json!({"template": "chat_with_your_leads"})),
        ),
        ("GET", "/api/playbook-templates".to_owned(), None),
    ] {
        let (s, b) = api.call(method, &path, Some(&op.token), body).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("admin_only")),
            "{method} {path}"
        );
    }
    let (status, created) = api
        .post(
            "/api/playbooks",
            &admin.token,
            json!({"template": "chat_with_your_leads", "language": "de"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["active"], false);
    assert_eq!(created["definition"]["appearance"]["language"], "de");
    let id = created["id"].as_str().unwrap().to_owned();
    // Inactive: no widget.
    assert_eq!(
        api.call("GET", &format!("/api/widget/{id}"), None, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Two livechat cards on one path: refused with the path named.
    let mut bad = created["definition"].clone();
    bad["cards"]["offline-email"] = json!({"kind": "live_chat", "online_message": "a", "wait_secs": 60, "offline_message": "b", "offline_next": "offline-lead"});
    let (status, err) = api
        .call(
            "PUT",
            &format!("/api/playbooks/{id}"),
            Some(&admin.token),
            Some(json!({"definition": bad})),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_playbook"))
    );
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("two livechat cards"),
        "{err}"
    );
    let (_, report) = api
        .post(
            "/api/playbooks/validate",
            &admin.token,
            json!({"definition": bad}),
        )
        .await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"][0]["card"], "livechat");
    let (status, _) = api
        .call(
            "PUT",
            &format!("/api/playbooks/{id}"),
            Some(&admin.token),
            Some(json!({"definition": created["definition"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, act) = api
        .post(
            &format!("/api/playbooks/{id}/activate"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(
        (act["active"].as_bool(), act["version"].as_i64()),
        (Some(true), Some(2))
    );
    let (status, cfg) = api
        .call("GET", &format!("/api/widget/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cfg["language"], "de");
    assert_eq!(cfg["texts"]["send"], "Senden");
    let (_, snip) = api
        .get(&format!("/api/playbooks/{id}/snippet"), &admin.token)
        .await;
    let snippet = snip["snippet"].as_str().unwrap();
    assert!(
        snippet.contains(&id) && snippet.contains("/widget.js") && snippet.contains("q.push"),
        "{snippet}"
    );

    // Allowed sites: the widget's session and stream check the page's Origin.
    let (status, err) = api
        .call(
            "PUT",
            &format!("/api/playbooks/{id}/origins"),
            Some(&admin.token),
            Some(json!({"origins": ["not a url"]})),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_origin"))
    );
    let (status, _) = api
        .call(
            "PUT",
            &format!("/api/playbooks/{id}/origins"),
            Some(&admin.token),
            Some(json!({"origins": ["https://www.acme.test"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let session = |origin: &'static str| {
        let api = api.clone();
        let id = id.clone();
        async move {
            let resp = api
                .http
                .post(format!("{}/api/visitor/session", api.base))
                .header("origin", origin)
                .json(&json!({"playbook_id": id}))
                .send()
                .await
                .unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(
        session("https://www.acme.test").await.0,
        StatusCode::CREATED
    );
    let (status, err) = session("https://evil.test").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("origin_not_allowed"))
    );
    // The widget's stream refuses a foreign page too (cross-site WebSocket hijacking).
    let (_, ok) = session("https://www.acme.test").await;
    let token = ok["token"].as_str().unwrap();
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        format!("{}/api/visitor/stream?access_token={token}", api.ws_base),
    )
    .unwrap();
    req.headers_mut()
        .insert("origin", "https://evil.test".parse().unwrap());
    let Err(err) = tokio_tungstenite::connect_async(req).await else {
        panic!("a foreign page's stream must be refused")
    };
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn a_flood_of_visitor_sessions_is_rate_limited_without_slowing_operators() {
    let server = Server::start(&["--visitor-rate-per-address", "10"]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut created = 0;
    let mut limited = None;
    for _ in 0..40 {
        let (status, body) = api
            .call("POST", "/api/visitor/session", None, Some(json!({})))
            .await;
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited = Some(body);
                break;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, 10, "the burst allowance");
    let body = limited.expect("the flood was limited");
    assert_eq!(body["code"], "rate_limited");
    assert!(body["message"].as_str().unwrap().contains("Try again in"));
    // Operators are not limited.
    for _ in 0..30 {
        assert_eq!(
            api.get("/api/conversations?folder=unassigned", &admin.token)
                .await
                .0,
            StatusCode::OK
        );
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test]
async fn the_widget_may_call_visitor_endpoints_from_another_site() {
    let server = Server::start(&[]);
    let api = server.api();
    let preflight = |path: &'static str| {
        let api = api.clone();
        async move {
            api.http
                .request(reqwest::Method::OPTIONS, format!("{}{path}", api.base))
                .header("origin", "https://www.acme.test")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type",
                )
                .send()
                .await
                .unwrap()
        }
    };
    let r = preflight("/api/visitor/session").await;
    assert!(r.status().is_success(), "preflight answered {}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("authorization"));
    // Operator endpoints stay closed to other sites.
    let r = preflight("/api/conversations").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

/// The demo playbook with its livechat card's settings changed (a new version).
async fn with_livechat_card(api: &Api, admin: &Operator, playbook: &str, wait_secs: u32) {
    let (_, pb) = api
        .get(&format!("/api/playbooks/{playbook}"), &admin.token)
        .await;
    let mut def = pb["definition"].clone();
    let cards = def["cards"].as_object_mut().unwrap();
    let card = cards
        .values_mut()
        .find(|c| c["kind"] == "live_chat")
        .expect("the demo has a livechat card");
    card["wait_secs"] = json!(wait_secs);
    card["online_message"] = json!("A specialist joins you in a moment.");
    card["offline_message"] = json!("Our specialists are away; leave your details.");
    let (status, body) = api
        .call(
            "PUT",
            &format!("/api/playbooks/{playbook}"),
            Some(&admin.token),
            Some(json!({"definition": def})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn said(state: &Value, text: &str) -> bool {
    state["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["body"] == text)
}

/// Asking for a person while the playbook runs goes through the playbook's livechat card: its
/// wait time and texts, its offline flow, and the bot's open question is closed.
#[tokio::test]
async fn asking_for_a_person_mid_playbook_uses_the_livechat_card() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let playbook = demo_playbook(&api, &admin).await;
    with_livechat_card(&api, &admin, &playbook, 600).await;

    // Nobody online: the card's offline message, then its offline flow asks for the name.
    let v = playbook_visitor(&api, &playbook).await;
    let (_, s) = api.post("/api/visitor/start", &v.token, json!({})).await;
    assert_eq!(s["prompt"]["kind"], "choice");
    let (status, c) = api.post("/api/visitor/livechat", &v.token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["state"], "offline");
    let (_, s) = api.get("/api/visitor/conversation", &v.token).await;
    assert!(
        said(&s, "Our specialists are away; leave your details."),
        "{s}"
    );
    assert_eq!(s["prompt"]["field"], "name", "the offline flow runs: {s}");
    let (status, _) = answer(&api, &v, &s, json!({"text": "Grace"})).await;
    assert_eq!(status, StatusCode::OK);

    // Someone online: Unassigned for the card's wait time, with its online message, and the
    // bot's question is no longer open.
    let _ws = api.go_online(&admin).await;
    let v = playbook_visitor(&api, &playbook).await;
    let (_, s) = api.post("/api/visitor/start", &v.token, json!({})).await;
    let card = s["prompt"]["card_id"].clone();
    let before = s["conversation"]["updated_at"].as_i64().unwrap();
    let (status, c) = api.post("/api/visitor/livechat", &v.token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["state"], "waiting");
    let wait = c["wait_deadline"].as_i64().unwrap() - before;
    assert!(
        (590_000..=610_000).contains(&wait),
        "waits {wait} ms, not the card's 600 s"
    );
    let (_, s) = api.get("/api/visitor/conversation", &v.token).await;
    assert!(said(&s, "A specialist joins you in a moment."), "{s}");
    assert!(s["prompt"].is_null(), "the bot's question is closed: {s}");
    let (status, err) = api
        .post(
            "/api/visitor/answer",
            &v.token,
            json!({"card_id": card, "choice": 1}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("stale_card"))
    );
}

/// A playbook without a livechat card offers no person: asking for one is refused clearly.
#[tokio::test]
async fn asking_for_a_person_in_a_playbook_without_livechat_is_refused() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let (_, demo) = api
        .get(
            &format!("/api/playbooks/{}", demo_playbook(&api, &admin).await),
            &admin.token,
        )
        .await;
    let definition = json!({
        "name": "Newsletter",
        "appearance": demo["definition"]["appearance"],
        "start": "ask",
        "cards": {
            "ask": {"kind": "question", "text": "Subscribe?", "answers": [{"label": "Yes", "next": "end"}]},
            "end": {"kind": "qualified", "text": "Thanks!"}
        }
    });
    let (status, created) = api
        .post(
            "/api/playbooks",
            &admin.token,
            json!({"definition": definition}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, _) = api
        .post(
            &format!("/api/playbooks/{id}/activate"),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let _ws = api.go_online(&admin).await;
    let v = playbook_visitor(&api, id).await;
    api.post("/api/visitor/start", &v.token, json!({})).await;
    let (status, err) = api.post("/api/visitor/livechat", &v.token, json!({})).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("no_livechat")),
        "{err}"
    );
    let (_, s) = api.get("/api/visitor/conversation", &v.token).await;
    assert_eq!(s["conversation"]["state"], "bot");
    assert_eq!(s["prompt"]["card_id"], "ask", "nothing changed");
}

/// The widget's stream checks the page's Origin against the playbook; when that check cannot
/// be made the connection is refused, never let through.
#[tokio::test]
async fn the_visitor_stream_refuses_when_the_origin_check_cannot_be_made() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let playbook = demo_playbook(&api, &admin).await;
    let v = playbook_visitor(&api, &playbook).await;
    let url = format!(
        "{}/api/visitor/stream?access_token={}",
        api.ws_base, v.token
    );
    let connect = |origin: &'static str| {
        let url = url.clone();
        async move {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut req = url.into_client_request().unwrap();
            req.headers_mut().insert("origin", origin.parse().unwrap());
            tokio_tungstenite::connect_async(req).await.map(|_| ())
        }
    };
    assert!(
        connect("https://evil.test").await.is_err(),
        "a foreign site is refused"
    );
    // The visitor's playbook can no longer be read (a damaged row).
    let damage = format!(
        "UPDATE visitors SET playbook_id = 'damaged' WHERE id = '{}'",
        v.id
    );
    execute_sql(
        &server.data,
        &damage,
        // Foreign keys are triggers there; replica mode skips them for this session.
        &format!("SET session_replication_role = replica; {damage}"),
    );
    assert!(
        connect("https://evil.test").await.is_err(),
        "a failed lookup must not skip the Origin check"
    );
}
