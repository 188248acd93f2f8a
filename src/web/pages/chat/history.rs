//! `GET /chats/{id}/messages/{mid}/history`: a message's edit history, newest first.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{
    auth::CurrentUser,
    chat::{self, views::MessageVersion},
    error::{AppError, Result},
    web::{
        AppState,
        extract::Path,
        pages::{PageCtx, stamp::Stamp},
    },
};

/// One version as the page shows it.
pub struct VersionItem {
    version: MessageVersion,
    since: Option<Stamp>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/history.html")]
pub struct HistoryPage {
    ctx: PageCtx,
    thread_id: Uuid,
    message_id: Uuid,
    versions: Vec<VersionItem>,
}

pub(in crate::web) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    Path((thread_id, message_id)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    let history = chat::messages::history(&state.db, user.id(), message_id).await?;
    if history.thread_id != thread_id {
        return Err(AppError::NotFound("message"));
    }
    let versions = history
        .versions
        .into_iter()
        .map(|version| VersionItem {
            since: version.since.map(Stamp::new),
            version,
        })
        .collect();
    Ok(HistoryPage {
        ctx,
        thread_id,
        message_id,
        versions,
    }
    .into_response())
}
