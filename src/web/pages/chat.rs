//! Chat pages: the conversation list, a conversation, people, and their form posts.

use axum::{Router, routing::get};

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/chats", get(super::chats))
}
