//! The server's REST API, typed with `frontdesk-protocol`. Every failure becomes an
//! [`ApiError`]: the server's `{code, message}` with its status, or `unreachable` when no
//! answer came.

use crate::error::EngineError;
use frontdesk_protocol::*;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

/// A failed request: the HTTP status when the server answered, and the error.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: Option<u16>,
    pub error: EngineError,
}

impl ApiError {
    /// Worth trying again later unchanged: no answer, a server fault, or a rate limit.
    pub fn is_transient(&self) -> bool {
        match self.status {
            None => true,
            Some(s) => s >= 500 || s == 408 || s == 429,
        }
    }

    /// The session is gone (signed out, revoked, expired).
    pub fn is_unauthorized(&self) -> bool {
        self.status == Some(401)
    }
}

impl From<ApiError> for EngineError {
    fn from(e: ApiError) -> Self {
        e.error
    }
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

/// A client of one server, optionally signed in.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// Checks and normalizes a server address: `http(s)://host[:port]`, no trailing slash.
pub fn normalize_server_url(url: &str) -> Result<String, EngineError> {
    let url = url.trim().trim_end_matches('/');
    let bad = || {
        EngineError::new(
            "invalid_server_url",
            format!("`{url}` is not a server address. Use one like https://chat.example.com or http://127.0.0.1:8080."),
        )
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    if rest.is_empty() || rest.contains(char::is_whitespace) || rest.contains(['?', '#']) {
        return Err(bad());
    }
    reqwest::Url::parse(url).map_err(|_| bad())?;
    Ok(url.to_owned())
}

impl Api {
    pub fn new(server_url: &str) -> Result<Api, EngineError> {
        let base = normalize_server_url(server_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("frontdesk-desktop/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| EngineError::new("internal", format!("HTTP client: {e}")))?;
        Ok(Api {
            http,
            base,
            token: None,
        })
    }

    pub fn with_token(&self, token: String) -> Api {
        Api {
            token: Some(token),
            ..self.clone()
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The stream's WebSocket address for resuming after `since` in `epoch`.
    pub fn stream_url(&self, since: Option<(i64, &str)>) -> String {
        let ws = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            format!("ws://{}", self.base.trim_start_matches("http://"))
        };
        let mut url = format!(
            "{ws}/api/stream?access_token={}",
            self.token.as_deref().unwrap_or_default()
        );
        if let Some((position, epoch)) = since {
            url.push_str(&format!("&since={position}&epoch={epoch}"));
        }
        url
    }

    fn unreachable(&self, e: &reqwest::Error) -> ApiError {
        let what = if e.is_timeout() {
            "did not answer in time"
        } else if e.is_connect() {
            "refused or could not be found"
        } else {
            "could not be reached"
        };
        ApiError {
            status: None,
            error: EngineError::new(
                "unreachable",
                format!("The server at {} {what}. Check the address and your network; the app keeps your work and retries when the server is back.", self.base),
            ),
        }
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> ApiResult<(StatusCode, T)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| self.unreachable(&e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.unreachable(&e))?;
        if status.is_success() {
            let text: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            return serde_json::from_slice(text)
                .map(|v| (status, v))
                .map_err(|e| ApiError {
                    status: Some(status.as_u16()),
                    error: EngineError::new(
                        "unexpected_answer",
                        format!("The server's answer to {path} was not understood ({e}). Is this a Frontdesk server of a compatible version?"),
                    ),
                });
        }
        let error = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(b) => EngineError::new(b.code, b.message),
            Err(_) => EngineError::new(
                "server_error",
                format!("The server answered {status} without an explanation. Try again later; if it persists, tell your admin."),
            ),
        };
        Err(ApiError {
            status: Some(status.as_u16()),
            error,
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> ApiResult<T> {
        Ok(self.call(Method::GET, path, None::<&()>).await?.1)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> ApiResult<T> {
        Ok(self.call(Method::POST, path, Some(body)).await?.1)
    }

    pub async fn login(
        &self,
        email: &str,
        password: &str,
        device: &str,
    ) -> ApiResult<LoginResponse> {
        let req = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
            device: Some(device.to_owned()),
        };
        self.post("/api/auth/login", &req).await
    }

    pub async fn logout(&self) -> ApiResult<()> {
        self.call::<serde_json::Value>(Method::POST, "/api/auth/logout", None::<&()>)
            .await
            .map(|_| ())
    }

    pub async fn folder(
        &self,
        folder: Folder,
        cursor: Option<&str>,
        limit: u32,
        updated_after: Option<i64>,
    ) -> ApiResult<ConversationPage> {
        let folder = serde_json::to_value(folder).unwrap_or_default();
        let mut path = format!(
            "/api/conversations?folder={}&limit={limit}",
            folder.as_str().unwrap_or_default()
        );
        if let Some(c) = cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        if let Some(t) = updated_after {
            path.push_str(&format!("&updated_after={t}"));
        }
        self.get(&path).await
    }

    pub async fn conversation(&self, id: Uuid) -> ApiResult<ConversationDetail> {
        self.get(&format!("/api/conversations/{id}")).await
    }

    pub async fn messages_after(&self, id: Uuid, after_seq: i64) -> ApiResult<MessagePage> {
        self.get(&format!(
            "/api/conversations/{id}/messages?after_seq={after_seq}&limit=1000"
        ))
        .await
    }

    pub async fn changes(&self, since: i64, epoch: &str, limit: u32) -> ApiResult<ChangesPage> {
        self.get(&format!(
            "/api/sync/changes?since={since}&epoch={epoch}&limit={limit}"
        ))
        .await
    }

    pub async fn bulk_messages(
        &self,
        req: &BulkMessagesRequest,
    ) -> ApiResult<BulkMessagesResponse> {
        self.post("/api/sync/messages", req).await
    }

    /// Idempotent by `message_id`: 201 when stored now, 200 when it was stored before.
    pub async fn send(
        &self,
        conversation: Uuid,
        message_id: Uuid,
        body: &str,
    ) -> ApiResult<MessageView> {
        let req = SendMessageRequest {
            message_id,
            body: body.to_owned(),
        };
        self.post(&format!("/api/conversations/{conversation}/messages"), &req)
            .await
    }

    pub async fn assign(&self, id: Uuid) -> ApiResult<ConversationView> {
        self.post(
            &format!("/api/conversations/{id}/assign"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn reassign(&self, id: Uuid, operator_id: Uuid) -> ApiResult<ConversationView> {
        self.post(
            &format!("/api/conversations/{id}/reassign"),
            &ReassignRequest { operator_id },
        )
        .await
    }

    pub async fn close(&self, id: Uuid) -> ApiResult<ConversationView> {
        self.post(
            &format!("/api/conversations/{id}/close"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn set_presence(&self, req: &PresenceRequest) -> ApiResult<PresenceView> {
        Ok(self
            .call(Method::PUT, "/api/me/presence", Some(req))
            .await?
            .1)
    }

    pub async fn presence(&self) -> ApiResult<PresenceView> {
        self.get("/api/me/presence").await
    }

    pub async fn online_operators(&self) -> ApiResult<Vec<OnlineOperator>> {
        self.get("/api/operators/online").await
    }

    /// Replaces the conversation's sales details (S12).
    pub async fn update_details(
        &self,
        id: Uuid,
        req: &UpdateDetailsRequest,
    ) -> ApiResult<SalesDetailsView> {
        Ok(self
            .call(
                Method::PUT,
                &format!("/api/conversations/{id}/details"),
                Some(req),
            )
            .await?
            .1)
    }

    /// Creates a lead or deal (S13); idempotent by `req.idempotency_key`.
    pub async fn create_result(
        &self,
        id: Uuid,
        req: &CreateResultRequest,
    ) -> ApiResult<CreatedResultView> {
        self.post(&format!("/api/conversations/{id}/results"), req)
            .await
    }

    /// Queues a failed CRM push again (B8).
    pub async fn retry_result(&self, id: Uuid, result_id: Uuid) -> ApiResult<CreatedResultView> {
        self.post(
            &format!("/api/conversations/{id}/results/{result_id}/retry"),
            &serde_json::json!({}),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_are_checked_and_normalized() {
        assert_eq!(
            normalize_server_url(" https://chat.example.com/ ").unwrap(),
            "https://chat.example.com"
        );
        assert_eq!(
            normalize_server_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in ["", "chat.example.com", "ftp://x", "https://", "http://a b"] {
            let e = normalize_server_url(bad).unwrap_err();
            assert_eq!(e.code, "invalid_server_url", "{bad}");
        }
    }

    #[test]
    fn stream_url_follows_the_scheme_and_cursor() {
        let api = Api::new("https://chat.example.com")
            .unwrap()
            .with_token("t".into());
        assert_eq!(
            api.stream_url(Some((7, "e1"))),
            "wss://chat.example.com/api/stream?access_token=t&since=7&epoch=e1"
        );
        let api = Api::new("http://127.0.0.1:1")
            .unwrap()
            .with_token("t".into());
        assert_eq!(
            api.stream_url(None),
            "ws://127.0.0.1:1/api/stream?access_token=t"
        );
    }
}
