//! Chat pages: the conversation list, a conversation, people, and their form posts (routed
//! in the route table, `web::router`), plus what they share.

pub mod conversation;
pub mod history;
pub mod list;
pub mod live;
pub mod manage;
pub mod members;
pub mod message_posts;
mod message_view;
pub mod people;
mod send_form;

use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};
use uuid::Uuid;

use crate::error::{AppError, Result};

/// Quick reactions offered under every message.
pub(super) const QUICK_REACTIONS: [&str; 3] = ["👍", "❤️", "😂"];

pub(super) fn render(t: &impl Template) -> Result<Response> {
    let html = t.render()?;
    Ok(Html(html).into_response())
}

/// One conversation-list item.
#[derive(Template)]
#[template(path = "partials/thread_item.html")]
struct ThreadItemPartial {
    item: list::ThreadItem,
}

pub(super) fn thread_item_html(item: list::ThreadItem) -> Result<String> {
    ThreadItemPartial { item }.render().map_err(AppError::from)
}

pub(super) fn to_chat(id: Uuid) -> Response {
    Redirect::to(&format!("/chats/{id}")).into_response()
}
