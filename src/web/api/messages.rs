//! `/api/messages`, `/api/messages/{id}/history`, `/api/messages/read`, `/api/reactions`, `/api/blocks`.

use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::CurrentUser,
    chat::{
        MessagePage, MessageView,
        attachments::MAX_PER_MESSAGE,
        blocks,
        fields::{self, MessageContent},
        messages,
        reactions::{self, Toggle},
        reads,
        sending::{NewMessage, Sent},
        views::MessageHistory,
    },
    error::{AppError, Result},
    web::AppState,
    web::{
        errors::ErrorBody,
        extract::{Json, Path, Query},
    },
};

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    thread_id: Uuid,
    /// A message id: return messages older than it.
    before: Option<Uuid>,
    /// 1–200, default 50.
    limit: Option<u64>,
}

/// A page of a conversation's messages, oldest first within the page.
#[utoipa::path(get, path = "/api/messages", tag = "messages", params(PageQuery),
    responses((status = 200, body = MessagePage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> Result<Json<MessagePage>> {
    Ok(Json(
        messages::page(&state.db, user.id(), q.thread_id, q.before, q.limit).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendBody {
    thread_id: Uuid,
    /// May be empty (or left out) when the message carries attachments.
    #[serde(default)]
    content: String,
    /// Idempotency key, unique per author: a repeat returns the first message.
    client_id: Option<String>,
    reply_to_id: Option<Uuid>,
    /// Up to 10 of your own uploads (`POST /api/attachments`) not yet sent.
    #[serde(default)]
    attachment_ids: Vec<Uuid>,
}

/// Sends a message (201), or returns the earlier one for a repeated `clientId` (200).
#[utoipa::path(post, path = "/api/messages", tag = "messages", request_body = SendBody,
    responses((status = 201, body = MessageView), (status = 200, body = MessageView, description = "repeat of a clientId"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the clientId was used in another conversation"), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<SendBody>,
) -> Result<(StatusCode, Json<MessageView>)> {
    state.limiters.send_message(user.id())?;
    if body.attachment_ids.len() > MAX_PER_MESSAGE {
        return Err(AppError::validation(format!(
            "a message can carry at most {MAX_PER_MESSAGE} attachments"
        )));
    }
    let new = NewMessage {
        thread: body.thread_id,
        content: MessageContent::parse_with_files(&body.content, !body.attachment_ids.is_empty())?,
        client_id: body
            .client_id
            .as_deref()
            .map(fields::client_id)
            .transpose()?,
        reply_to: body.reply_to_id,
        attachments: body.attachment_ids,
    };
    let (view, sent) = state.writer.send(&user.user, new).await?;
    let status = if sent == Sent::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EditBody {
    message_id: Uuid,
    content: String,
}

/// Edits one of the caller's messages (the previous text is kept).
#[utoipa::path(patch, path = "/api/messages", tag = "messages", request_body = EditBody,
    responses((status = 200, body = MessageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<EditBody>,
) -> Result<Json<MessageView>> {
    state.limiters.change(user.id())?;
    let content = MessageContent::parse(&body.content)?;
    Ok(Json(
        messages::edit(&state.db, &user.user, body.message_id, content).await?,
    ))
}

/// A message's kept versions, newest (the current text) first; none for a deleted one.
#[utoipa::path(get, path = "/api/messages/{id}/history", tag = "messages",
    params(("id" = Uuid, Path, description = "The message")),
    responses((status = 200, body = MessageHistory), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Json<MessageHistory>> {
    Ok(Json(messages::history(&state.db, user.id(), id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageRef {
    message_id: Uuid,
}

/// Deletes a message (a tombstone remains). Authors, group admins and system admins.
#[utoipa::path(delete, path = "/api/messages", tag = "messages", request_body = MessageRef,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<MessageRef>,
) -> Result<StatusCode> {
    state.delete_message(&user.user, body.message_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadBody {
    thread_id: Uuid,
    /// Read up to this message; the newest when absent.
    message_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadResult {
    unread_count: i64,
}

/// Moves the caller's read pointer forward.
#[utoipa::path(post, path = "/api/messages/read", tag = "messages", request_body = ReadBody,
    responses((status = 200, body = ReadResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ReadBody>,
) -> Result<Json<ReadResult>> {
    let unread_count =
        reads::mark_read(&state.db, &user.user, body.thread_id, body.message_id).await?;
    Ok(Json(ReadResult { unread_count }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReactionBody {
    message_id: Uuid,
    /// Exactly one emoji (any in the Unicode emoji list, skin tones, flags and sequences
    /// included); anything else is refused with 422. Stored fully qualified, so `❤` and
    /// `❤️` are one reaction.
    #[schema(example = "🎉")]
    emoji: String,
}

/// Adds the caller's reaction (adding it twice changes nothing).
#[utoipa::path(post, path = "/api/reactions", tag = "messages", request_body = ReactionBody,
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn react(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ReactionBody>,
) -> Result<Json<MessageView>> {
    state.limiters.change(user.id())?;
    let emoji = fields::emoji(&body.emoji)?;
    Ok(Json(
        reactions::set(&state.db, &user.user, body.message_id, emoji, Toggle::Add).await?,
    ))
}

/// Removes the caller's reaction.
#[utoipa::path(delete, path = "/api/reactions", tag = "messages", request_body = ReactionBody,
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn unreact(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ReactionBody>,
) -> Result<Json<MessageView>> {
    state.limiters.change(user.id())?;
    let emoji = fields::emoji(&body.emoji)?;
    Ok(Json(
        reactions::set(
            &state.db,
            &user.user,
            body.message_id,
            emoji,
            Toggle::Remove,
        )
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockBody {
    user_id: Uuid,
}

/// Blocks a user: they can no longer start or post in a direct conversation with you.
#[utoipa::path(post, path = "/api/blocks", tag = "users", request_body = BlockBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn block(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<BlockBody>,
) -> Result<StatusCode> {
    blocks::block(&state.db, &user.user, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a block.
#[utoipa::path(delete, path = "/api/blocks", tag = "users", request_body = BlockBody, responses((status = 204)))]
pub async fn unblock(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<BlockBody>,
) -> Result<StatusCode> {
    blocks::unblock(&state.db, &user.user, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The ids of the users the caller has blocked.
#[utoipa::path(get, path = "/api/blocks", tag = "users", responses((status = 200, body = [Uuid])))]
pub async fn blocked(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Vec<Uuid>>> {
    Ok(Json(blocks::list(&state.db, user.id()).await?))
}
