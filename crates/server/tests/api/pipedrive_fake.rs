//! A stand-in for Pipedrive on `127.0.0.1:0` that checks every request against Pipedrive's
//! published OpenAPI documents (`tests/pipedrive-openapi/`): the path and method must be an
//! operation there, query parameters and the JSON body must validate against its schemas
//! (a small JSON-schema validator below: `$ref`, `allOf`/`oneOf`/`anyOf`, types, `nullable`,
//! `enum`, `required`, properties, items, `format: uuid/date`). A request that does not
//! validate is answered 400 and recorded in `violations`; tests assert there are none.
//!
//! It keeps what was created (persons, organizations, leads, deals, notes, activities),
//! answers searches from it, and can be told to answer some requests with 429 (with
//! rate-limit headers), 5xx, or to hold them.

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The two documents, parsed once, with the errata of `tests/pipedrive-openapi/README.md`.
pub struct Docs {
    pub v1: Value,
    pub v2: Value,
}

pub fn docs() -> &'static Docs {
    static DOCS: OnceLock<Docs> = OnceLock::new();
    DOCS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pipedrive-openapi");
        let load = |name: &str| -> Value {
            let text = std::fs::read_to_string(dir.join(name)).expect("vendored OpenAPI document");
            serde_yaml::from_str(&text).expect("the OpenAPI document is YAML")
        };
        let v1 = load("openapi-v1.yaml");
        let mut v2 = load("openapi-v2.yaml");
        for path in ["/persons", "/organizations"] {
            let schema = v2
                .pointer_mut(&format!(
                    "/paths/{}/post/requestBody/content/application~1json/schema",
                    path.replace('/', "~1")
                ))
                .expect("create operation");
            // Erratum: `required: [title]`, a property neither schema defines; Pipedrive wants `name`.
            assert_eq!(
                schema["required"],
                json!(["title"]),
                "erratum for {path} is stale"
            );
            assert!(schema["properties"]["title"].is_null());
            schema["required"] = json!(["name"]);
        }
        Docs { v1, v2 }
    })
}

/// Validates `value` against `schema` (resolving `$ref`s in `doc`); pushes problems to `out`.
pub fn validate(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let target = r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .unwrap_or_else(|| panic!("unresolvable $ref {r}"));
        return validate(doc, target, value, at, out);
    }
    if value.is_null() && schema["nullable"] == json!(true) {
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            validate(doc, s, value, at, out);
        }
    }
    if let Some(any) = schema["anyOf"].as_array() {
        let ok = any.iter().any(|s| {
            let mut o = Vec::new();
            validate(doc, s, value, at, &mut o);
            o.is_empty()
        });
        if !ok {
            out.push(format!("{at}: matches none of anyOf"));
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let n = one
            .iter()
            .filter(|s| {
                let mut o = Vec::new();
                validate(doc, s, value, at, &mut o);
                o.is_empty()
            })
            .count();
        if n != 1 {
            out.push(format!("{at}: matches {n} of oneOf, not exactly one"));
        }
    }
    if let Some(t) = schema["type"].as_str() {
        let ok = match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        if !ok {
            out.push(format!("{at}: expected {t}, got {value}"));
            return;
        }
    }
    if let Some(e) = schema["enum"].as_array() {
        if !e.contains(value) {
            out.push(format!("{at}: {value} is not one of {e:?}"));
        }
    }
    if let (Some(f), Some(s)) = (schema["format"].as_str(), value.as_str()) {
        let ok = match f {
            "uuid" => uuid::Uuid::parse_str(s).is_ok(),
            "date" => {
                s.len() == 10
                    && s.chars().enumerate().all(|(i, c)| {
                        if i == 4 || i == 7 {
                            c == '-'
                        } else {
                            c.is_ascii_digit()
                        }
                    })
            }
            _ => true,
        };
        if !ok {
            out.push(format!("{at}: {s:?} is not a {f}"));
        }
    }
    if let Some(obj) = value.as_object() {
        if let Some(req) = schema["required"].as_array() {
            for r in req {
                let r = r.as_str().unwrap();
                if !obj.contains_key(r) {
                    out.push(format!("{at}: required property {r:?} is missing"));
                }
            }
        }
        let props = schema["properties"].as_object();
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(doc, s, v, &format!("{at}.{k}"), out),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => out.push(format!("{at}: unknown property {k:?}")),
                    s @ Value::Object(_) => validate(doc, s, v, &format!("{at}.{k}"), out),
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            validate(doc, items, v, &format!("{at}[{i}]"), out);
        }
    }
}

/// Checks one request against the documents: the operation exists, its query parameters and
/// its body validate. Returns the problems (empty: valid).
pub fn check_request(method: &Method, path: &str, query: &str, body: &[u8]) -> Vec<String> {
    let d = docs();
    let (doc, rest) = if let Some(rest) = path.strip_prefix("/api/v1") {
        (&d.v1, rest)
    } else if let Some(rest) = path.strip_prefix("/api/v2") {
        (&d.v2, rest)
    } else {
        return vec![format!("{path} is neither /api/v1 nor /api/v2")];
    };
    let m = method.as_str().to_lowercase();
    let Some(op) = doc["paths"][rest].get(&m) else {
        return vec![format!(
            "{method} {path}: no such operation in the published document"
        )];
    };
    let mut out = Vec::new();
    let given: HashMap<String, String> = url_pairs(query);
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let mut known = Vec::new();
    for p in &params {
        let p = if let Some(r) = p["$ref"].as_str() {
            doc.pointer(r.strip_prefix('#').unwrap()).unwrap().clone()
        } else {
            p.clone()
        };
        if p["in"] != "query" {
            continue;
        }
        let name = p["name"].as_str().unwrap().to_owned();
        known.push(name.clone());
        match given.get(&name) {
            None if p["required"] == json!(true) => {
                out.push(format!("query parameter {name:?} is required"))
            }
            None => {}
            Some(raw) => {
                let schema = &p["schema"];
                let value = match schema["type"].as_str() {
                    Some("boolean") => match raw.as_str() {
                        "true" => json!(true),
                        "false" => json!(false),
                        _ => json!(raw),
                    },
                    Some("integer") => raw.parse::<i64>().map(|n| json!(n)).unwrap_or(json!(raw)),
                    Some("number") => raw.parse::<f64>().map(|n| json!(n)).unwrap_or(json!(raw)),
                    _ => json!(raw),
                };
                validate(doc, schema, &value, &format!("query.{name}"), &mut out);
            }
        }
    }
    for k in given.keys() {
        if !known.contains(k) {
            out.push(format!("query parameter {k:?} is not documented"));
        }
    }
    match op.pointer("/requestBody/content/application~1json/schema") {
        Some(schema) => match serde_json::from_slice::<Value>(body) {
            Ok(v) => validate(doc, schema, &v, "body", &mut out),
            Err(e) => out.push(format!("the body is not JSON: {e}")),
        },
        None if !body.is_empty() => out.push("this operation takes no body".into()),
        None => {}
    }
    out
}

fn url_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(n) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(n);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the stand-in should do with matching requests instead of answering normally.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 with `x-ratelimit-reset: secs`.
    RateLimited { reset_secs: u32 },
    /// A server error with this status.
    Status(u16),
    /// Hold the request this long, then answer normally.
    Hold(Duration),
    /// Answer normally but say the burst budget is spent (`x-ratelimit-remaining: 0`).
    BudgetSpent { reset_secs: u32 },
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Value,
    pub at: Instant,
    pub status: u16,
}

#[derive(Default)]
pub struct Inner {
    pub token: String,
    pub seen: Vec<Seen>,
    pub violations: Vec<String>,
    /// (method, path, fault, times left).
    pub faults: Vec<(String, String, Fault, u32)>,
    pub persons: Vec<Value>,
    pub organizations: Vec<Value>,
    pub leads: Vec<Value>,
    pub deals: Vec<Value>,
    pub notes: Vec<Value>,
    pub activities: Vec<Value>,
    next_id: i64,
}

#[derive(Clone)]
pub struct Fake {
    pub inner: Arc<Mutex<Inner>>,
    pub base: String,
}

impl Fake {
    pub async fn start(token: &str) -> Fake {
        let inner = Arc::new(Mutex::new(Inner {
            token: token.to_owned(),
            next_id: 100,
            ..Default::default()
        }));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        docs();
        Fake {
            inner,
            base: format!("http://{addr}"),
        }
    }

    /// The next `times` requests of `method path` get `fault`.
    pub fn inject(&self, method: &str, path: &str, fault: Fault, times: u32) {
        self.inner
            .lock()
            .unwrap()
            .faults
            .push((method.into(), path.into(), fault, times));
    }

    pub fn with<T>(&self, f: impl FnOnce(&Inner) -> T) -> T {
        f(&self.inner.lock().unwrap())
    }

    pub fn seen(&self, method: &str, path: &str) -> Vec<Seen> {
        self.with(|i| {
            i.seen
                .iter()
                .filter(|s| s.method == method && s.path == path)
                .cloned()
                .collect()
        })
    }

    pub fn assert_no_violations(&self) {
        let v = self.with(|i| i.violations.clone());
        assert!(
            v.is_empty(),
            "requests that do not match Pipedrive's OpenAPI documents: {v:#?}"
        );
    }
}

fn envelope(data: Value) -> Value {
    json!({"success": true, "data": data, "additional_data": {}})
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let fault = {
        let mut i = inner.lock().unwrap();
        let pos = i
            .faults
            .iter()
            .position(|(m, p, _, n)| *m == method.as_str() && *p == path && *n > 0);
        pos.map(|p| {
            i.faults[p].3 -= 1;
            i.faults[p].2.clone()
        })
    };
    if let Some(Fault::Hold(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let mut i = inner.lock().unwrap();
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let record = |i: &mut Inner, status: u16| {
        i.seen.push(Seen {
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
            body: parsed.clone(),
            at: Instant::now(),
            status,
        })
    };
    if headers.get("x-api-token").and_then(|v| v.to_str().ok()) != Some(i.token.as_str()) {
        record(&mut i, 401);
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"success": false, "error": "unauthorized access", "errorCode": 401})),
        )
            .into_response();
    }
    match &fault {
        Some(Fault::RateLimited { reset_secs }) => {
            record(&mut i, 429);
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("x-ratelimit-limit", "20".to_owned()),
                    ("x-ratelimit-remaining", "0".to_owned()),
                    ("x-ratelimit-reset", reset_secs.to_string()),
                ],
                axum::Json(json!({"success": false, "error": "Request over limit"})),
            )
                .into_response();
        }
        Some(Fault::Status(s)) => {
            record(&mut i, *s);
            let status = StatusCode::from_u16(*s).unwrap();
            return (
                status,
                axum::Json(json!({"success": false, "error": format!("injected {s}")})),
            )
                .into_response();
        }
        _ => {}
    }
    let problems = check_request(&method, &path, &query, &body);
    if !problems.is_empty() {
        i.violations
            .push(format!("{method} {path}?{query} {parsed}: {problems:?}"));
        record(&mut i, 400);
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"success": false, "error": problems.join("; ")})),
        )
            .into_response();
    }
    // Rules the documents state only in prose.
    if path == "/api/v1/leads"
        && parsed["person_id"].is_null()
        && parsed["organization_id"].is_null()
    {
        i.violations.push(format!(
            "a lead without person_id or organization_id: {parsed}"
        ));
    }
    if path == "/api/v1/notes"
        && ["lead_id", "deal_id", "person_id", "org_id", "project_id"]
            .iter()
            .all(|k| parsed[*k].is_null())
    {
        i.violations
            .push(format!("a note attached to nothing: {parsed}"));
    }
    i.next_id += 1;
    let id = i.next_id;
    let q = url_pairs(&query);
    let data = match (method.as_str(), path.as_str()) {
        ("GET", "/api/v2/persons/search") => {
            let term = q.get("term").cloned().unwrap_or_default().to_lowercase();
            let items: Vec<Value> = i
                .persons
                .iter()
                .filter(|p| {
                    p["emails"]
                        .as_array()
                        .map(|e| e.iter().any(|e| e["value"].as_str().unwrap_or("").to_lowercase() == term))
                        .unwrap_or(false)
                })
                .map(|p| json!({"result_score": 1.0, "item": {"id": p["id"], "type": "person", "name": p["name"]}}))
                .collect();
            json!({"items": items})
        }
        ("GET", "/api/v2/organizations/search") => {
            let term = q.get("term").cloned().unwrap_or_default().to_lowercase();
            let items: Vec<Value> = i
                .organizations
                .iter()
                .filter(|o| o["name"].as_str().unwrap_or("").to_lowercase() == term)
                .map(|o| json!({"result_score": 1.0, "item": {"id": o["id"], "type": "organization", "name": o["name"]}}))
                .collect();
            json!({"items": items})
        }
        ("POST", p) => {
            let mut item = parsed.clone();
            let list = match p {
                "/api/v2/persons" => &mut i.persons,
                "/api/v2/organizations" => &mut i.organizations,
                "/api/v2/deals" => &mut i.deals,
                "/api/v2/activities" => &mut i.activities,
                "/api/v1/notes" => &mut i.notes,
                "/api/v1/leads" => &mut i.leads,
                _ => unreachable!("validated against the documents"),
            };
            item["id"] = if p == "/api/v1/leads" {
                json!(uuid::Uuid::new_v4())
            } else {
                json!(id)
            };
            list.push(item.clone());
            item
        }
        _ => json!({}),
    };
    let status = if path == "/api/v1/leads" { 201 } else { 200 };
    record(&mut i, status);
    let mut response = (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(envelope(data)),
    )
        .into_response();
    if let Some(Fault::BudgetSpent { reset_secs }) = fault {
        let h = response.headers_mut();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", reset_secs.to_string().parse().unwrap());
    } else {
        response
            .headers_mut()
            .insert("x-ratelimit-remaining", "19".parse().unwrap());
    }
    response
}

#[test]
fn the_validator_refuses_what_the_documents_refuse() {
    let post = Method::POST;
    // Valid bodies.
    assert!(check_request(
        &post,
        "/api/v2/persons",
        "",
        br#"{"name":"Ada","emails":[{"value":"a@b.io","primary":true}]}"#
    )
    .is_empty());
    assert!(check_request(
        &post,
        "/api/v1/leads",
        "",
        br#"{"title":"T","person_id":1,"value":{"amount":5,"currency":"EUR"}}"#
    )
    .is_empty());
    // A person without a name, a wrong type, a label the document types as boolean.
    assert!(!check_request(&post, "/api/v2/persons", "", br#"{"emails":[]}"#).is_empty());
    assert!(
        !check_request(&post, "/api/v2/deals", "", br#"{"title":"T","value":"12"}"#).is_empty()
    );
    assert!(!check_request(
        &post,
        "/api/v2/persons",
        "",
        br#"{"name":"A","emails":[{"value":"a@b.io","label":"work"}]}"#
    )
    .is_empty());
    // A lead value without a currency; a lead label that is not a UUID.
    assert!(!check_request(
        &post,
        "/api/v1/leads",
        "",
        br#"{"title":"T","value":{"amount":5}}"#
    )
    .is_empty());
    assert!(!check_request(
        &post,
        "/api/v1/leads",
        "",
        br#"{"title":"T","label_ids":["x"]}"#
    )
    .is_empty());
    // Notes need content; unknown operations and query parameters are refused.
    assert!(!check_request(
        &post,
        "/api/v1/notes",
        "",
        br#"{"lead_id":"6f1c2a4e-0000-4000-8000-000000000000"}"#
    )
    .is_empty());
    assert!(!check_request(&post, "/api/v1/persons/merge", "", b"{}").is_empty());
    assert!(!check_request(&Method::GET, "/api/v2/persons/search", "fields=email", b"").is_empty());
    assert!(!check_request(
        &Method::GET,
        "/api/v2/persons/search",
        "term=a&fields=mail",
        b""
    )
    .is_empty());
    assert!(!check_request(
        &Method::GET,
        "/api/v2/persons/search",
        "term=a&exact_match=yes",
        b""
    )
    .is_empty());
    assert!(check_request(
        &Method::GET,
        "/api/v2/persons/search",
        "term=a%40b.io&fields=email&exact_match=true",
        b""
    )
    .is_empty());
    assert_eq!(decode("a%40b.io"), "a@b.io");
}
