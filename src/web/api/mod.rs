//! The JSON API under `/api` (DESIGN.md §5), documented with utoipa: every route here is
//! registered through `routes!`, so the OpenAPI document cannot drift from the router.

mod admin;
mod auth;
pub mod live;
mod messages;
mod threads;
mod tokens;
mod users;

use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Confab API", description = "Team chat: JSON API and event stream."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "tokens", description = "API tokens for bots and scripts"),
        (name = "users", description = "People"),
        (name = "admin", description = "User management (OWNER/ADMIN)"),
        (name = "threads", description = "Conversations and membership"),
        (name = "messages", description = "Messages, reactions, read pointers"),
        (name = "live", description = "The event stream, typing and presence"),
    )
)]
struct ApiDoc;

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

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(users::me))
        .routes(routes!(users::list))
        .routes(routes!(tokens::create, tokens::list))
        .routes(routes!(tokens::revoke))
        .routes(routes!(admin::list_users))
        .routes(routes!(admin::update_user))
        .routes(routes!(threads::list, threads::act))
        .routes(routes!(threads::get))
        .routes(routes!(
            messages::list,
            messages::send,
            messages::edit,
            messages::delete
        ))
        .routes(routes!(messages::read))
        .routes(routes!(messages::react, messages::unreact))
        .routes(routes!(live::stream))
        .routes(routes!(live::typing))
        .routes(routes!(live::presence, live::set_presence))
        .routes(routes!(
            messages::block,
            messages::unblock,
            messages::blocked
        ))
}
