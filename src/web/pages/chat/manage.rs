//! Leaving, archiving and renaming a conversation.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::to_chat;
use crate::{
    app::AppState,
    auth::CurrentUser,
    chat::{self, fields},
    error::Result,
    web::extract::{Form, Path},
};

pub(super) async fn leave(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::threads::leave(&state.db, &user.user, id).await?;
    Ok(Redirect::to("/chats").into_response())
}

pub(super) async fn archive(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::threads::set_archived(&state.db, &user.user, id, true).await?;
    Ok(Redirect::to("/chats").into_response())
}

pub(super) async fn unarchive(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::threads::set_archived(&state.db, &user.user, id, false).await?;
    Ok(to_chat(id))
}

#[derive(Deserialize)]
pub struct RenameForm {
    name: String,
}

pub(super) async fn rename(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Form(form): Form<RenameForm>,
) -> Result<Response> {
    let name = fields::thread_name(&form.name)?;
    chat::threads::rename(&state.db, &user.user, id, name).await?;
    Ok(to_chat(id))
}
