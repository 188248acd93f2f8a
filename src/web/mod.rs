//! The HTTP surface. [`router`] is the one route table: it reads like the product.

pub mod api;
mod assets;
pub mod errors;
pub mod extract;
pub mod format;
pub mod ops;
mod pages;
mod security;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, post},
};
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::{app::AppState, auth::session_store::PgSessionStore, error::AppError};

/// Largest request body outside uploads.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
pub const SESSION_COOKIE: &str = "confab_session";

pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home))
        .route(
            "/login",
            get(pages::auth::login_page).post(pages::auth::login),
        )
        .route(
            "/register",
            get(pages::auth::register_page).post(pages::auth::register),
        )
        .route("/logout", post(pages::auth::logout))
        .route("/settings", get(pages::settings::page))
        .route("/settings/profile", post(pages::settings::profile))
        .route("/settings/password", post(pages::settings::password))
        .route("/settings/tokens", post(pages::settings::create_token))
        .route(
            "/settings/tokens/{id}/revoke",
            post(pages::settings::revoke_token),
        )
        .route("/admin", get(pages::admin::page))
        .route("/admin/users/{id}", post(pages::admin::update_user))
        .merge(pages::chat::routes());

    let (api, openapi) = api::router().split_for_parts();
    let openapi = std::sync::Arc::new(openapi);

    let sessions = SessionManagerLayer::new(PgSessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));

    Router::new()
        .merge(pages)
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || std::future::ready(axum::Json(openapi.as_ref().clone()))),
        )
        .route("/avatars/{file}", get(assets::avatar))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/assets/{*path}", get(assets::asset))
        .fallback(|| async { AppError::NotFound("page") })
        .layer(middleware::from_fn_with_state(state.clone(), ring_after))
        .layer(middleware::from_fn(security::csrf))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            errors::render,
        ))
        .layer(middleware::from_fn(ops::track))
        .layer(middleware::from_fn(security::headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(ops::request_span)
                .on_failure(DefaultOnFailure::new().latency_unit(tower_http::LatencyUnit::Millis)),
        )
        .with_state(state)
}

/// Rings the doorbell after each request that may have written to the event log, so the
/// tailer delivers it now instead of at its next timer tick.
async fn ring_after(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path();
    let static_or_probe = ["/assets/", "/avatars/", "/healthz", "/readyz", "/metrics"]
        .iter()
        .any(|p| path.starts_with(p));
    let response = next.run(req).await;
    if !static_or_probe {
        state.realtime.ring();
    }
    response
}
