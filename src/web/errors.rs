//! The one place errors become responses: JSON `{error, code, details?}` under `/api`, a flash
//! fragment for htmx, a readable page otherwise (401 on a page is a redirect to `/login`).
//! Server errors are logged here, once, inside the request's span.

use askama::Template;
use axum::{
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Serialize;

use crate::{
    error::{ErrorCode, ErrorInfo},
    web::AppState,
};

/// The JSON error body of every `/api` endpoint: a message for people and a stable code
/// for programs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words (may change between versions).
    pub error: String,
    /// What went wrong, as a stable word to branch on.
    pub code: ErrorCode,
    /// The cause of a server error, in development only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "partials/flash.html")]
pub struct Flash<'a> {
    pub kind: &'a str,
    pub message: &'a str,
}

enum Audience {
    Api,
    Htmx,
    Page,
}

pub async fn render(
    state: &AppState,
    req: Request,
    next: impl AsyncFnOnce(Request) -> Response,
) -> Response {
    let path = req.uri().path();
    // `/metrics` is read by Prometheus, not a browser: its refusal is JSON too.
    let audience = if path == "/api" || path.starts_with("/api/") || path == "/metrics" {
        Audience::Api
    } else if req.headers().contains_key("hx-request") {
        Audience::Htmx
    } else {
        Audience::Page
    };
    let here = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let mut response = next(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let info = match response.extensions_mut().remove::<ErrorInfo>() {
        Some(info) => info,
        // A handler that rendered its own error (a form with a message) is left alone.
        None if has_rendered_body(&response) => return response,
        None => ErrorInfo {
            message: status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase(),
            code: ErrorCode::for_status(status),
            details: None,
        },
    };
    if status.is_server_error() {
        tracing::error!(%status, error = %info.message, details = info.details.as_deref().unwrap_or(""), "request failed");
    } else {
        tracing::debug!(%status, error = %info.message, "request rejected");
    }
    // Headers that explain the error survive its rendering.
    let kept: Vec<_> = [header::RETRY_AFTER, header::CONTENT_RANGE]
        .into_iter()
        .filter_map(|name| Some((name.clone(), response.headers().get(&name)?.clone())))
        .collect();
    let mut out = match audience {
        Audience::Api => {
            let details = if state.config.is_development() {
                info.details
            } else {
                None
            };
            (
                status,
                axum::Json(ErrorBody {
                    error: info.message,
                    code: info.code,
                    details,
                }),
            )
                .into_response()
        }
        Audience::Htmx if status == StatusCode::UNAUTHORIZED => {
            let mut r = StatusCode::NO_CONTENT.into_response();
            r.headers_mut()
                .insert("hx-redirect", HeaderValue::from_static("/login"));
            r
        }
        Audience::Htmx => {
            let body = Flash {
                kind: "error",
                message: &info.message,
            }
            .render()
            .unwrap_or_default();
            let mut r = (status, Html(body)).into_response();
            r.headers_mut()
                .insert("hx-retarget", HeaderValue::from_static("#flash"));
            r.headers_mut()
                .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
            r
        }
        Audience::Page if status == StatusCode::UNAUTHORIZED => {
            Redirect::to(&format!("/login?next={}", encode(&here))).into_response()
        }
        Audience::Page => {
            let body = ErrorPage {
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("Error"),
                message: &info.message,
            }
            .render()
            .unwrap_or_default();
            (status, Html(body)).into_response()
        }
    };
    for (name, value) in kept {
        out.headers_mut().insert(name, value);
    }
    out
}

fn has_rendered_body(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"))
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
