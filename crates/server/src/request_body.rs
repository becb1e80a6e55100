//! Request bodies are read before anyone answers. A handler that refuses a request early
//! (say, 401 before its JSON body arrived) would otherwise leave unread bytes on a kept-alive
//! connection, which hyper then closes without telling the client: the next request of a
//! pooled client on it is lost. Bodies are small ([`MAX_REQUEST_BYTES`]), so reading them
//! first is cheap; one that is too large is refused at once with `Connection: close`.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use frontdesk_protocol::MAX_REQUEST_BYTES;
use std::time::Duration;

/// How long a client may take to send a body once its headers arrived.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn read_body_first(req: Request, next: Next) -> Response {
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    match length {
        Some(n) if n > MAX_REQUEST_BYTES as u64 => {
            return closing(ApiError::payload_too_large());
        }
        Some(0) => return next.run(req).await,
        None if !chunked => return next.run(req).await,
        _ => {}
    }
    let (parts, body) = req.into_parts();
    let read = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_REQUEST_BYTES));
    match read.await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        // `to_bytes` fails on the length limit (a chunked body) or a broken connection.
        Ok(Err(_)) => closing(ApiError::payload_too_large()),
        Err(_) => closing(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!(
                "The request body did not arrive within {} seconds.",
                BODY_TIMEOUT.as_secs()
            ),
        )),
    }
}

/// An error after which the connection closes, announced so no client reuses it.
fn closing(error: ApiError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
