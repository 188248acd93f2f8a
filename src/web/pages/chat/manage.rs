//! Leaving, archiving, renaming a conversation and managing a group's members.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::to_chat;
use crate::{
    accounts,
    auth::CurrentUser,
    chat::{self, fields},
    error::{AppError, Result},
    web::AppState,
    web::extract::{Form, Path},
};

pub(in crate::web) async fn leave(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::threads::leave(&state.db, &user.user, id).await?;
    Ok(Redirect::to("/chats").into_response())
}

pub(in crate::web) async fn archive(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::threads::set_archived(&state.db, &user.user, id, true).await?;
    Ok(Redirect::to("/chats").into_response())
}

pub(in crate::web) async fn unarchive(
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

pub(in crate::web) async fn rename(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Form(form): Form<RenameForm>,
) -> Result<Response> {
    let name = fields::thread_name(&form.name)?;
    chat::threads::rename(&state.db, &user.user, id, name).await?;
    Ok(to_chat(id))
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    username: String,
}

pub(in crate::web) async fn add_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Form(form): Form<AddMemberForm>,
) -> Result<Response> {
    let member = accounts::find_by_username(&state.db, form.username.trim())
        .await?
        .ok_or(AppError::NotFound("user"))?;
    state.limiters.group_adds(user.id(), 1)?;
    chat::threads::add_members(&state.db, &user.user, id, &[member.id]).await?;
    Ok(to_chat(id))
}

pub(in crate::web) async fn remove_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, member)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    chat::threads::remove_member(&state.db, &user.user, id, member).await?;
    Ok(to_chat(id))
}
