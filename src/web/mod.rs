//! The HTTP surface: the route table ([`router::routes`]), the middleware around it, and
//! the handlers it names (JSON API, pages, assets, ops).

pub mod api;
mod assets;
mod avatars;
mod body_timeout;
mod docs;
pub mod errors;
pub mod extract;
pub mod format;
pub mod mention_links;
pub mod multipart;
pub mod ops;
mod pages;
mod router;
mod security;
mod state;

pub use state::{AppState, Parts as AppStateParts};

use axum::{Router, extract::DefaultBodyLimit, middleware};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::auth::session_store::PgSessionStore;

/// Largest request body outside uploads.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
pub const SESSION_COOKIE: &str = "confab_session";

/// The route table ([`router::routes`]) behind the middleware every request goes through.
pub fn router(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(PgSessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(state.config.session_idle).unwrap_or(time::Duration::days(14)),
        ));

    // Two middleware functions rather than one per concern: each `from_fn` layer costs
    // every request a clone of the stack inside it and two allocations.
    router::routes()
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), frame))
        // No failure hook: `errors::render` logs each server error, once, in this span.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(ops::request_span)
                .on_failure(()),
        )
        // Outermost: a request id (the client's, or a new one) before anything logs, and
        // the same id on the response.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Around each request, outermost first: security headers on the response
/// ([`security::headers`]), its metrics and access line ([`ops::track`]), errors rendered
/// for their audience ([`errors::render`]), and a deadline for its body
/// ([`body_timeout::limit`]).
async fn frame(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    security::headers(&state, req, async |req| {
        ops::track(req, async |req| {
            errors::render(&state, req, async |req| {
                body_timeout::limit(&state, req, async |req| next.run(req).await).await
            })
            .await
        })
        .await
    })
    .await
}

/// Inside the session layer: the CSRF checks ([`security::csrf`]), then the doorbell
/// ([`ring_after`]).
async fn guard(
    axum::extract::State(state): axum::extract::State<AppState>,
    session: tower_sessions::Session,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    security::csrf(&state, session, req, async |req| {
        ring_after(&state, req, next).await
    })
    .await
}

/// Put in a response's extensions by a safe (`GET`) request that wrote events anyway (a
/// conversation page marks it read), so [`ring_after`] rings for it.
#[derive(Clone, Copy, Debug)]
pub struct WroteEvents;

/// Rings the doorbell after each request that may have written to the event log, so the
/// tailer delivers it now instead of at its next timer tick: a state-changing request that
/// succeeded, or a response marked [`WroteEvents`]. Errors (404s included), page views and
/// probes write nothing, so they ring nothing (a ring missed costs at most the tailer's
/// `EVENT_POLL_MS`).
async fn ring_after(
    state: &AppState,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let changes = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let response = next.run(req).await;
    let succeeded = response.status().is_success() || response.status().is_redirection();
    if (changes && succeeded) || response.extensions().get::<WroteEvents>().is_some() {
        state.realtime.ring();
    }
    response
}
