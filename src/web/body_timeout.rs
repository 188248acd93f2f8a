//! A deadline for receiving a request body (`BODY_READ_TIMEOUT_SECS`), counted from the
//! end of the headers: a client that stops sending halfway gets a `408` instead of holding
//! a connection and a handler forever. File uploads (`multipart/form-data`) may take
//! longer, as long as they keep up an average of [`UPLOAD_MIN_BYTES_PER_SEC`] after that
//! first stretch: a slow phone upload gets through, a trickle that would hold an upload's
//! buffers for hours does not.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::{
    body::Body,
    extract::Request,
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;

use crate::{error::AppError, web::AppState};

#[derive(Debug, thiserror::Error)]
#[error("the request body was not received in time")]
struct TimedOut;

/// The slowest average rate an upload may keep once `BODY_READ_TIMEOUT_SECS` has passed.
pub const UPLOAD_MIN_BYTES_PER_SEC: u64 = 16 * 1024;

pub async fn limit(
    state: &AppState,
    req: Request,
    next: impl AsyncFnOnce(Request) -> Response,
) -> Response {
    // Nothing to wait for (a GET, most of them): no deadline to keep.
    if axum::body::HttpBody::is_end_stream(req.body()) {
        return next(req).await;
    }
    let timeout = state.config.body_read_timeout;
    let start = tokio::time::Instant::now();
    let mut deadline = start + timeout;
    let mut received: u64 = 0;
    let upload = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let fired = Arc::new(AtomicBool::new(false));
    let flag = fired.clone();
    let (parts, body) = req.into_parts();
    let mut inner = body.into_data_stream();
    let timed = async_stream::stream! {
        loop {
            match tokio::time::timeout_at(deadline, inner.next()).await {
                Ok(Some(chunk)) => {
                    if upload && let Ok(bytes) = &chunk {
                        received += bytes.len() as u64;
                        deadline = start
                            + timeout
                            + std::time::Duration::from_secs(received / UPLOAD_MIN_BYTES_PER_SEC);
                    }
                    yield chunk
                }
                Ok(None) => break,
                Err(_) => {
                    flag.store(true, Ordering::Relaxed);
                    yield Err(axum::Error::new(TimedOut));
                    break;
                }
            }
        }
    };
    let response = next(Request::from_parts(parts, Body::from_stream(timed))).await;
    if fired.load(Ordering::Relaxed) && !response.status().is_success() {
        return AppError::RequestTimeout.into_response();
    }
    response
}
