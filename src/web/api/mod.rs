//! The JSON API under `/api`, documented with utoipa: [`ApiDoc`] lists every handler, its
//! path and shapes come from each handler's `#[utoipa::path]`, and a test checks that each
//! documented operation is routed by the route table. [`events`] documents the stream's
//! payloads.

pub mod admin;
pub mod attachments;
pub mod auth;
pub mod events;
mod files;
pub mod live;
pub mod members;
pub mod mentions;
pub mod messages;
pub mod search;
pub mod threads;
pub mod tokens;
pub mod users;

use std::sync::LazyLock;

use axum::{http::header, response::IntoResponse};

use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    paths(
        auth::register, auth::login, auth::logout,
        users::me, users::list, users::set_avatar, users::remove_avatar,
        tokens::create, tokens::list, tokens::revoke,
        admin::list_users, admin::update_user,
        threads::list, threads::act, threads::get, members::list,
        messages::list, messages::send, messages::edit, messages::delete, messages::history,
        messages::read,
        messages::react, messages::unreact,
        messages::blocked, messages::block, messages::unblock,
        attachments::upload, attachments::get, attachments::file, attachments::thumbnail,
        search::search,
        mentions::list,
        live::stream, live::typing, live::presence, live::set_presence,
    ),
    info(title = "Confab API", description = "Team chat: JSON API and event stream."),
    modifiers(&Security),
    components(schemas(
        events::StreamEvent,
        events::MessageCreatedEvent,
        events::MessageUpdatedEvent,
        events::MessageDeletedEvent,
        events::ThreadUpdatedEvent,
        events::ThreadRemovedEvent,
        events::ReadEvent,
        events::DeliveredEvent,
        events::MentionsUpdatedEvent,
        events::TypingEvent,
        events::PresenceEvent,
        events::ResetEvent,
    )),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "tokens", description = "API tokens for bots and scripts"),
        (name = "users", description = "People"),
        (name = "admin", description = "User management (OWNER/ADMIN)"),
        (name = "threads", description = "Conversations and membership"),
        (name = "messages", description = "Messages, reactions, read pointers"),
        (name = "attachments", description = "Files sent with messages"),
        (name = "live", description = "The event stream, typing and presence"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(super::SESSION_COOKIE))),
        );
    }
}

/// The OpenAPI document as JSON, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .expect("the OpenAPI document serializes")
});

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}
