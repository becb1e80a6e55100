//! Pipedrive's REST API as the connector uses it: typed request bodies (checked against the
//! published OpenAPI documents by the tests) and one call that reads the envelope and the
//! rate-limit headers.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `{value, primary}` of a person's email or phone (v2).
#[derive(Clone, Debug, Serialize)]
pub struct ContactValue {
    pub value: String,
    pub primary: bool,
}

/// `POST /api/v2/persons`.
#[derive(Clone, Debug, Serialize)]
pub struct NewPerson {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ContactValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<ContactValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<i64>,
}

/// `address` of an organization (v2).
#[derive(Clone, Debug, Serialize)]
pub struct Address {
    pub value: String,
}

/// `POST /api/v2/organizations`.
#[derive(Clone, Debug, Serialize)]
pub struct NewOrganization {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// `value` of a lead (v1).
#[derive(Clone, Debug, Serialize)]
pub struct LeadValue {
    pub amount: f64,
    pub currency: String,
}

/// `POST /api/v1/leads`: needs a person or an organization.
#[derive(Clone, Debug, Serialize)]
pub struct NewLead {
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<LeadValue>,
    /// Tags the lead as Frontdesk's.
    pub origin_id: String,
}

/// `POST /api/v2/deals`.
#[derive(Clone, Debug, Serialize)]
pub struct NewDeal {
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub status: String,
}

/// `POST /api/v1/notes`: HTML content on a lead or a deal.
#[derive(Clone, Debug, Serialize)]
pub struct NewNote {
    pub content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<i64>,
}

/// `POST /api/v2/activities`.
#[derive(Clone, Debug, Serialize)]
pub struct NewActivity {
    pub subject: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_time: Option<String>,
}

/// `{success, data, error}`.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(default)]
    data: serde_json::Value,
    #[serde(default)]
    error: Option<String>,
}

/// Why a call did not succeed, and what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// 429: wait this long (from `x-ratelimit-reset` / `Retry-After`, if given).
    RateLimited(Option<Duration>),
    /// 5xx, a network error or an unreadable answer: retry with backoff.
    Transient(String),
    /// Any other refusal (bad token, invalid request): retrying does not help.
    Permanent(String),
}

/// A Pipedrive account as the connector talks to it.
pub struct Client {
    pub http: reqwest::Client,
    /// `https://acme.pipedrive.com`, or the stand-in server of the tests.
    pub base: String,
    pub token: String,
}

/// The burst budget left after a call: when it is spent, wait `reset` before the next.
#[derive(Debug, Clone, Copy, Default)]
pub struct Budget {
    pub remaining: Option<i64>,
    pub reset: Option<Duration>,
}

fn header_num(h: &reqwest::header::HeaderMap, name: &str) -> Option<f64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Why no answer came, for the operator who reads it under a result: short, and without
/// the request's address (reqwest's own text names the whole URL).
fn unreachable(e: &reqwest::Error) -> String {
    let why = if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "the connection failed"
    } else {
        "a network error"
    };
    format!("Pipedrive could not be reached ({why}).")
}

impl Client {
    /// One call; on success the envelope's `data` and the rate-limit budget.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(serde_json::Value, Budget), CallError> {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path_and_query))
            .header("x-api-token", &self.token)
            .timeout(Duration::from_secs(30));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| CallError::Transient(unreachable(&e)))?;
        let status = resp.status();
        let h = resp.headers();
        let reset = header_num(h, "x-ratelimit-reset")
            .or_else(|| header_num(h, "retry-after"))
            .map(|s| Duration::from_millis((s.max(0.0) * 1000.0) as u64));
        let budget = Budget {
            remaining: header_num(h, "x-ratelimit-remaining").map(|r| r as i64),
            reset,
        };
        let text = resp.text().await.unwrap_or_default();
        if status.as_u16() == 429 {
            return Err(CallError::RateLimited(reset));
        }
        let envelope: Option<Envelope> = serde_json::from_str(&text).ok();
        let said = envelope
            .as_ref()
            .and_then(|e| e.error.clone())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        if status.is_server_error() {
            return Err(CallError::Transient(format!(
                "Pipedrive answered {}: {said}",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            let hint = if status.as_u16() == 401 {
                " (check the API token)"
            } else {
                ""
            };
            return Err(CallError::Permanent(format!(
                "Pipedrive refused the request ({}): {said}{hint}",
                status.as_u16()
            )));
        }
        match envelope {
            Some(e) => Ok((e.data, budget)),
            None => Err(CallError::Transient(
                "Pipedrive's answer was not JSON".into(),
            )),
        }
    }
}

/// `data.id` as a number.
pub fn id_number(data: &serde_json::Value) -> Result<i64, CallError> {
    data["id"]
        .as_i64()
        .ok_or_else(|| CallError::Transient("Pipedrive's answer has no id".into()))
}

/// The first exact hit of a v2 search (`data.items[0].item.id`).
pub fn first_hit(data: &serde_json::Value) -> Option<i64> {
    data["items"].as_array()?.first()?["item"]["id"].as_i64()
}

/// Percent-encodes a query value.
pub fn query_value(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
