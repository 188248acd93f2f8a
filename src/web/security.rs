//! Browser-facing protections: security headers on every response, and CSRF checks on
//! every state-changing request (a session token for pages, an origin check for all).

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, header},
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

use super::MAX_BODY_BYTES;
use crate::{auth::csrf, error::AppError, web::AppState};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub async fn headers(
    state: &AppState,
    req: Request,
    next: impl AsyncFnOnce(Request) -> Response,
) -> Response {
    let mut response = next(req).await;
    // An event stream is not a document: these headers would only sit in the memory of
    // every open stream (hyper keeps the last response's header map per connection).
    if is_event_stream(response.headers()) {
        return response;
    }
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set("content-security-policy", CSP);
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("referrer-policy", "same-origin");
    set("cross-origin-opener-policy", "same-origin");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if state.config.secure_cookies() {
        set("strict-transport-security", "max-age=31536000");
    }
    response
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"text/event-stream")
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Rejects cross-site state changes: any unsafe request whose `Origin` is another site (or
/// whose `Sec-Fetch-Site` says cross-site), and any unsafe page request (outside `/api`)
/// without the session's CSRF token in the `x-csrf-token` header or `csrf_token` field.
pub async fn csrf(
    state: &AppState,
    session: Session,
    mut req: Request,
    next: impl AsyncFnOnce(Request) -> Response,
) -> Response {
    if is_safe(req.method()) {
        // A visitor without a token cookie may be shown a form: prepare a token for it,
        // set as a cookie if a form used it (see `csrf::anonymous_token`).
        if csrf::from_cookie(req.headers()).is_some() {
            return next(req).await;
        }
        let prepared = csrf::Prepared::new();
        req.extensions_mut().insert(prepared.clone());
        let mut response = next(req).await;
        if prepared.used.load(std::sync::atomic::Ordering::Relaxed)
            && let Ok(value) =
                HeaderValue::from_str(&prepared.cookie(state.config.secure_cookies()))
        {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        return response;
    }
    if is_cross_site(req.headers(), state.config.public_origin().as_deref()) {
        return AppError::forbidden("cross-site request refused").into_response();
    }
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return next(req).await;
    }
    let (parts, body) = req.into_parts();
    let header_token = parts
        .headers
        .get(csrf::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (presented, body) = match header_token {
        Some(token) => (Some(token), body),
        None if is_form(&parts.headers) => {
            let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
                return AppError::PayloadTooLarge("request body is too large".into())
                    .into_response();
            };
            let token = url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == csrf::FIELD)
                .map(|(_, v)| v.into_owned());
            (token, Body::from(bytes))
        }
        // A file upload form: its handler checks the token, the form's first field
        // (`multipart::CheckedMultipart`); other paths refuse multipart posts.
        None if super::multipart::is_multipart(&parts.headers)
            && super::multipart::accepts_multipart(parts.uri.path()) =>
        {
            return next(Request::from_parts(parts, body)).await;
        }
        None => (None, body),
    };
    match presented {
        Some(token) => match csrf::verify(&session, &parts.headers, &token).await {
            Ok(true) => next(Request::from_parts(parts, body)).await,
            Ok(false) => refused(),
            Err(e) => e.into_response(),
        },
        None => refused(),
    }
}

fn refused() -> Response {
    AppError::forbidden("this form has expired; reload the page and try again").into_response()
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

/// Whether the request comes from another site: `Sec-Fetch-Site: cross-site`, or an
/// `Origin` other than `PUBLIC_URL`'s origin when that is set (behind a proxy `Host` may be
/// rewritten), else other than the `Host` the request was sent to.
fn is_cross_site(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == "null" {
        return true;
    }
    if let Some(public) = public_origin {
        return !origin.trim_end_matches('/').eq_ignore_ascii_case(public);
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    !origin_host.eq_ignore_ascii_case(host)
}
