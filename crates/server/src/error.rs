//! The one error type of the HTTP API and its `{code, message}` JSON body, plus extractors
//! that turn axum's plain-text rejections into that body.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use frontdesk_core::Rejection;
use frontdesk_protocol::ErrorBody;
use frontdesk_store::StoreError;
use serde::de::DeserializeOwned;

/// An error answered to an HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Sent as `Retry-After` (429s).
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }
    /// A 429 that says when to try again, in the message and in `Retry-After`.
    pub fn too_many_requests(code: &'static str, what: &str, secs: u64) -> Self {
        let plural = if secs == 1 { "" } else { "s" };
        ApiError {
            retry_after_secs: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                code,
                format!("{what} Try again in {secs} second{plural}."),
            )
        }
    }
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "The request body is larger than {} bytes.",
                frontdesk_protocol::MAX_REQUEST_BYTES
            ),
        )
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn conversation_not_found() -> Self {
        Self::not_found(
            "conversation_not_found",
            "No such conversation, or it is not visible to you.",
        )
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code.to_owned(),
            message: self.message.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        let message = r.to_string();
        match r {
            Rejection::NotVisible => ApiError::conversation_not_found(),
            Rejection::Closed => ApiError::conflict("conversation_closed", message),
            Rejection::AlreadyAssigned => ApiError::conflict("already_assigned", message),
            Rejection::NotWaiting => ApiError::conflict("not_waiting", message),
            Rejection::NotAssignee => ApiError::forbidden("not_assignee", message),
            Rejection::TargetOffline => ApiError::conflict("operator_offline", message),
            Rejection::SameOperator => ApiError::conflict("same_operator", message),
            Rejection::AlreadyRequested => ApiError::conflict("already_requested", message),
            Rejection::NotExpired => ApiError::conflict("not_expired", message),
            Rejection::NotAssigned => ApiError::conflict("not_assigned", message),
            Rejection::OfflineMode => ApiError::conflict("offline_mode", message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("not_found", "Not found."),
            StoreError::Rejected(r) => r.into(),
            StoreError::Conflict(m) => ApiError::conflict("conflict", m),
            StoreError::InvalidAnswer(m) => ApiError::unprocessable("invalid_answer", m),
            StoreError::Forbidden(m) => ApiError::forbidden("forbidden", m),
            StoreError::StaleVersion(current) => ApiError::conflict(
                "version_conflict",
                format!("Someone else saved this meanwhile (now version {current}). Reload it, then apply your changes again."),
            ),
            StoreError::StaleCard => ApiError::conflict(
                "stale_card",
                "The bot is not waiting for this answer any more; reload the conversation.",
            ),
            StoreError::Storage(detail) => {
                tracing::error!(%detail, "storage error");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "The server could not save or read data right now; nothing was changed. Try again shortly.",
                )
            }
        }
    }
}

/// `axum::Json` whose rejections are [`ApiError`]s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(json_rejection(r)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let status = r.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::payload_too_large();
    }
    let code = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        _ => "invalid_json",
    };
    let message = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "Send the body as JSON with `Content-Type: application/json`.".into()
        }
        _ => r.body_text(),
    };
    ApiError::new(status, code, message)
}

/// `axum::extract::Path` whose rejections are [`ApiError`]s.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(ApiError::bad_request(
                "invalid_id",
                format!("The id in the path is not valid: {}", e.body_text()),
            )),
            Err(e) => Err(ApiError::bad_request("invalid_path", e.body_text())),
        }
    }
}

/// `axum::extract::Query` whose rejections are [`ApiError`]s.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::bad_request("invalid_query", e.body_text()))
            }
            Err(e) => Err(ApiError::bad_request("invalid_query", e.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rejection_maps_to_a_client_error() {
        for r in [
            Rejection::NotVisible,
            Rejection::Closed,
            Rejection::AlreadyAssigned,
            Rejection::NotWaiting,
            Rejection::NotAssignee,
            Rejection::TargetOffline,
            Rejection::SameOperator,
            Rejection::AlreadyRequested,
            Rejection::NotExpired,
            Rejection::NotAssigned,
            Rejection::OfflineMode,
        ] {
            let e = ApiError::from(r);
            assert!(e.status.is_client_error(), "{e:?}");
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn storage_failures_are_not_500() {
        let e = ApiError::from(StoreError::Storage("disk full".into()));
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!e.message.contains("disk full"), "internal detail leaked");
    }
}
