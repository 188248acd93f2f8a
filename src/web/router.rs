//! The route table: every path Confab answers, in one place, grouped by surface. Handlers
//! live in `pages`, `api`, `assets` and `ops`; the JSON API's OpenAPI document is generated
//! from the handlers' annotations (`api::ApiDoc`) and a test keeps it and this table in
//! step.

use axum::{
    Router,
    extract::DefaultBodyLimit,
    handler::Handler,
    routing::{get, post, put},
};

use super::{AppState, api, assets, avatars, docs, ops, pages};
use crate::error::AppError;

/// Every route, without the middleware stack (see [`super::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(account_pages())
        .merge(chat_pages())
        .merge(json_api())
        .merge(operations())
        .fallback(|| async { AppError::NotFound("page") })
}

/// Signing in and out, settings, administration.
fn account_pages() -> Router<AppState> {
    use pages::{admin, auth, links, settings};
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/register", get(auth::register_page).post(auth::register))
        .route("/logout", post(auth::logout))
        .route("/settings", get(settings::page))
        .route(
            "/settings/avatar",
            post(settings::set_avatar).layer(DefaultBodyLimit::disable()),
        )
        .route("/settings/avatar/remove", post(settings::remove_avatar))
        .route("/settings/profile", post(settings::profile))
        .route("/settings/password", post(settings::password))
        .route(
            "/settings/notifications",
            post(pages::notification_settings::save),
        )
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/admin", get(admin::page))
        .route("/admin/users/{id}", post(admin::update_user))
        .route("/admin/invites", post(admin::create_invite))
        .route(
            "/admin/users/{id}/reset-link",
            post(admin::create_reset_link),
        )
        .route(
            "/invite/{secret}",
            get(links::invite_page).post(links::accept_invite),
        )
        .route("/reset/{secret}", get(links::reset_page).post(links::reset))
}

/// The conversation list, a conversation and its form posts, people, and the page stream.
/// With htmx, message actions answer with the message partial; without JavaScript every
/// form posts and redirects back (303).
fn chat_pages() -> Router<AppState> {
    use pages::chat::{conversation, history, list, live, manage, members, message_posts, people};
    Router::new()
        .route("/chats", get(list::chats))
        .route("/chats/new", post(list::create_group))
        .route("/chats/{id}", get(conversation::conversation))
        .route(
            "/chats/{id}/messages",
            // Without JavaScript, files come with the form: the handler caps each one at
            // MAX_UPLOAD_BYTES and the rest of the form at the usual body limit.
            get(conversation::older).post(message_posts::send.layer(DefaultBodyLimit::disable())),
        )
        .route(
            "/chats/{id}/messages/{mid}/edit",
            get(message_posts::edit_form).post(message_posts::edit),
        )
        .route("/chats/{id}/messages/{mid}/history", get(history::page))
        .route(
            "/chats/{id}/messages/{mid}/delete",
            post(message_posts::delete),
        )
        .route(
            "/chats/{id}/messages/{mid}/react",
            post(message_posts::react),
        )
        .route("/chats/{id}/read", post(message_posts::read))
        .route("/chats/{id}/typing", post(message_posts::typing))
        .route("/chats/{id}/leave", post(manage::leave))
        .route("/chats/{id}/archive", post(manage::archive))
        .route("/chats/{id}/unarchive", post(manage::unarchive))
        .route("/chats/{id}/rename", post(manage::rename))
        .route(
            "/chats/{id}/members",
            get(members::page).post(manage::add_member),
        )
        .route(
            "/chats/{id}/members/{uid}/remove",
            post(manage::remove_member),
        )
        .route("/people", get(people::people))
        .route("/people/{id}/message", post(people::message_person))
        .route("/people/{id}/block", post(people::block))
        .route("/people/{id}/unblock", post(people::unblock))
        .route("/search", get(pages::search::page))
        .route("/mentions", get(pages::mentions::page))
        .route("/events", get(live::events))
        .route("/events/catch-up", get(live::catch_up))
}

/// The JSON API for bots, scripts and other front ends (cookie or `Authorization: Bearer`).
fn json_api() -> Router<AppState> {
    use api::{
        admin, attachments, auth, live, members, mentions, messages, search, threads, tokens, users,
    };
    Router::new()
        // Uploads stream past the body limit; `MAX_UPLOAD_BYTES` is enforced as they do.
        .route(
            "/api/attachments",
            post(attachments::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/attachments/{id}", get(attachments::get))
        .route("/api/attachments/{id}/file", get(attachments::file))
        .route(
            "/api/attachments/{id}/thumbnail",
            get(attachments::thumbnail),
        )
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/me", get(users::me))
        // The picture is read with its own cap (`avatars::max_bytes`).
        .route(
            "/api/me/avatar",
            put(users::set_avatar)
                .delete(users::remove_avatar)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/api/users", get(users::list))
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/api/admin/users", get(admin::list_users))
        .route(
            "/api/admin/users/{id}",
            axum::routing::patch(admin::update_user),
        )
        .route("/api/threads", get(threads::list).post(threads::act))
        .route("/api/threads/{id}", get(threads::get))
        .route("/api/threads/{id}/members", get(members::list))
        .route(
            "/api/messages",
            get(messages::list)
                .post(messages::send)
                .patch(messages::edit)
                .delete(messages::delete),
        )
        .route("/api/messages/read", post(messages::read))
        .route("/api/messages/{id}/history", get(messages::history))
        .route(
            "/api/reactions",
            post(messages::react).delete(messages::unreact),
        )
        .route(
            "/api/blocks",
            get(messages::blocked)
                .post(messages::block)
                .delete(messages::unblock),
        )
        .route("/api/search", get(search::search))
        .route("/api/mentions", get(mentions::list))
        .route("/api/typing", post(live::typing))
        .route(
            "/api/chat/presence",
            get(live::presence).post(live::set_presence),
        )
        .route("/api/chat/sse", get(live::stream))
        .route("/api/openapi.json", get(api::openapi_json))
        .route("/api/docs", get(docs::page))
}

/// Probes, metrics and static files.
fn operations() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/assets/{*path}", get(assets::asset))
        .route("/avatars/{file}", get(avatars::identicon))
        .route("/avatars/{id}/{file}", get(avatars::picture))
}
