//! Chat pages: the conversation list, a conversation, people, and their form posts.
//! With htmx, message actions return the message partial; without JavaScript every form
//! posts and redirects back (303).

mod conversation;
mod list;
mod live;
mod manage;
mod people;

use askama::Template;
use axum::{
    Router,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use uuid::Uuid;

use crate::{
    app::AppState,
    error::{AppError, Result},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chats", get(list::chats))
        .route("/chats/new", post(list::create_group))
        .route("/chats/{id}", get(conversation::conversation))
        .route(
            "/chats/{id}/messages",
            get(conversation::older).post(conversation::send),
        )
        .route(
            "/chats/{id}/messages/{mid}/edit",
            get(conversation::edit_form).post(conversation::edit),
        )
        .route(
            "/chats/{id}/messages/{mid}/delete",
            post(conversation::delete),
        )
        .route(
            "/chats/{id}/messages/{mid}/react",
            post(conversation::react),
        )
        .route("/chats/{id}/read", post(conversation::read))
        .route("/chats/{id}/typing", post(conversation::typing))
        .route("/events", get(live::events))
        .route("/chats/{id}/leave", post(manage::leave))
        .route("/chats/{id}/archive", post(manage::archive))
        .route("/chats/{id}/unarchive", post(manage::unarchive))
        .route("/chats/{id}/rename", post(manage::rename))
        .route("/chats/{id}/members", post(manage::add_member))
        .route(
            "/chats/{id}/members/{uid}/remove",
            post(manage::remove_member),
        )
        .route("/people", get(people::people))
        .route("/people/{id}/message", post(people::message_person))
        .route("/people/{id}/block", post(people::block))
        .route("/people/{id}/unblock", post(people::unblock))
}

/// Quick reactions offered under every message.
pub(super) const QUICK_REACTIONS: [&str; 3] = ["👍", "❤️", "😂"];

pub(super) fn render(t: &impl Template) -> Result<Response> {
    let html = t.render().map_err(|e| AppError::Internal(e.into()))?;
    Ok(Html(html).into_response())
}

/// One conversation-list item.
#[derive(Template)]
#[template(path = "partials/thread_item.html")]
struct ThreadItemPartial {
    item: list::ThreadItem,
}

pub(super) fn thread_item_html(item: list::ThreadItem) -> Result<String> {
    ThreadItemPartial { item }
        .render()
        .map_err(|e| AppError::Internal(e.into()))
}

pub(super) fn to_chat(id: Uuid) -> Response {
    Redirect::to(&format!("/chats/{id}")).into_response()
}
