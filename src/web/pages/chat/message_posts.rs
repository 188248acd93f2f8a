//! The form posts on a conversation's messages: send, edit, delete, react, read, typing.

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{message_view::Mode, send_form, to_chat};
use crate::web::pages::PageCtx;
use crate::{
    auth::CurrentUser,
    chat::{
        self,
        fields::{self, MessageContent},
        reactions::Toggle,
    },
    error::Result,
    web::AppState,
    web::extract::{Form, IsHtmx, Path},
};

use super::conversation::{message_in, message_response};

pub(in crate::web) async fn send(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
    req: Request,
) -> Result<Response> {
    state.limiters.send_message(user.id())?;
    let (form, attachments, stored) = send_form::read(&state, user.id(), req).await?;
    let sent = match send_form::new_message(form, id, attachments) {
        Ok(new) => state.writer.send(&user.user, new).await,
        Err(err) => Err(err),
    };
    let m = match sent {
        Ok((m, _)) => m,
        Err(err) => {
            // Files this form brought go with the failed send.
            state.discard_uploads(user.id(), stored).await;
            return Err(err);
        }
    };
    message_response(&state, &user, ctx.csrf, htmx, id, m, Mode::Read).await
}

pub(in crate::web) async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    let m = message_in(&state, user.id(), id, mid).await?;
    if !htmx {
        return Ok(Redirect::to(&format!("/chats/{id}?edit={mid}")).into_response());
    }
    message_response(&state, &user, ctx.csrf, true, id, m, Mode::Edit).await
}

#[derive(Deserialize)]
pub struct EditForm {
    content: String,
}

pub(in crate::web) async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
    Form(form): Form<EditForm>,
) -> Result<Response> {
    message_in(&state, user.id(), id, mid).await?;
    state.limiters.change(user.id())?;
    let content = MessageContent::parse(&form.content)?;
    let m = chat::messages::edit(&state.db, &user.user, mid, content).await?;
    message_response(&state, &user, ctx.csrf, htmx, id, m, Mode::Read).await
}

pub(in crate::web) async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    message_in(&state, user.id(), id, mid).await?;
    state.delete_message(&user.user, mid).await?;
    let m = message_in(&state, user.id(), id, mid).await?;
    message_response(&state, &user, ctx.csrf, htmx, id, m, Mode::Read).await
}

#[derive(Deserialize)]
pub struct ReactForm {
    emoji: String,
    on: String,
}

pub(in crate::web) async fn react(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
    Form(form): Form<ReactForm>,
) -> Result<Response> {
    message_in(&state, user.id(), id, mid).await?;
    state.limiters.change(user.id())?;
    let emoji = fields::emoji(&form.emoji)?;
    let toggle = if form.on == "1" {
        Toggle::Add
    } else {
        Toggle::Remove
    };
    let m = chat::reactions::set(&state.db, &user.user, mid, emoji, toggle).await?;
    message_response(&state, &user, ctx.csrf, htmx, id, m, Mode::Read).await
}

pub(in crate::web) async fn read(
    State(state): State<AppState>,
    user: CurrentUser,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::reads::mark_read(&state.db, &user.user, id, None).await?;
    if htmx {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(to_chat(id))
}

/// The viewer is typing in this conversation (htmx posts it while the composer changes).
pub(in crate::web) async fn typing(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    state.realtime.typing(&user.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
