//! The OpenAPI document generated from the routes is whole: every `$ref` resolves (client
//! generators and fuzzers stop at a dangling one) and every documented path is served.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_in_the_openapi_document_resolves() {
    let server = Server::start(&[]);
    let api = server.api();
    let (status, doc) = api.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "OpenAPI 3"
    );
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(
        all.len() > 20,
        "the document uses references: {}",
        all.len()
    );
    for r in &all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local references: {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    for path in [
        "/api/sync/changes",
        "/api/sync/messages",
        "/api/me/presence",
        "/api/me/sessions",
        "/api/conversations/{id}/messages",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}
