//! Messages: the paged history, sending (idempotent by `clientId`), editing with history,
//! and soft deletion.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

pub use super::message_views::{recent_by, view, views};
use super::{
    blocks,
    fields::MessageContent,
    mentions, reads,
    threads::{self, Membership},
    views::{MessageHistory, MessagePage, MessageVersion, MessageView},
};
use crate::{
    accounts::User,
    db::stmt,
    entities::{messages, threads::ThreadKind},
    error::{AppError, Result},
    eventlog::{self, Kind, Scope},
};

pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 200;
/// Earlier versions kept per message.
pub const KEPT_EDITS: i64 = 50;

/// Finds a message the viewer may see (a member of its thread); "not found" otherwise.
pub async fn visible(
    conn: &impl ConnectionTrait,
    viewer: Uuid,
    id: Uuid,
) -> Result<(messages::Model, Membership)> {
    let message = messages::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("message"))?;
    let member = threads::membership(conn, message.thread_id, viewer)
        .await
        .map_err(|_| AppError::NotFound("message"))?;
    Ok((message, member))
}

/// The newest `limit` messages older than `before` (oldest first), with a cursor for more.
/// Fetching counts as delivery to the viewer.
pub async fn page(
    db: &DatabaseConnection,
    viewer: Uuid,
    thread: Uuid,
    before: Option<Uuid>,
    limit: Option<u64>,
) -> Result<MessagePage> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::validation(format!(
            "limit must be 1 to {MAX_PAGE}"
        )));
    }
    let member = threads::membership(db, thread, viewer).await?;
    let mut query = messages::Entity::find().filter(messages::Column::ThreadId.eq(thread));
    if let Some(before) = before {
        let cursor = messages::Entity::find_by_id(before)
            .filter(messages::Column::ThreadId.eq(thread))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("before is not a message of this conversation"))?;
        query = query.filter(messages::Column::Seq.lt(cursor.seq));
    }
    let mut rows = query
        .order_by_desc(messages::Column::Seq)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    rows.reverse();
    if let Some(newest) = rows.last()
        && newest.seq > member.delivered_seq
    {
        reads::mark_delivered(db, &member, newest.seq).await?;
    }
    let next_cursor = more.then(|| rows.first().map(|m| m.id)).flatten();
    Ok(MessagePage {
        messages: views(db, thread, rows).await?,
        next_cursor,
    })
}

pub(super) async fn by_client_id(
    db: &impl ConnectionTrait,
    author: Uuid,
    client_id: Option<&str>,
) -> Result<Option<messages::Model>> {
    let Some(client_id) = client_id else {
        return Ok(None);
    };
    Ok(messages::Entity::find()
        .filter(messages::Column::AuthorId.eq(author))
        .filter(messages::Column::ClientId.eq(client_id))
        .one(db)
        .await?)
}

/// Edits the author's own message, keeping the previous text in `message_edits`.
pub async fn edit(
    db: &DatabaseConnection,
    actor: &User,
    id: Uuid,
    content: MessageContent,
) -> Result<MessageView> {
    let txn = db.begin().await?;
    let (message, member) = visible(&txn, actor.id, id).await?;
    if message.author_id != actor.id {
        return Err(AppError::forbidden("only the author can edit a message"));
    }
    blocks::ensure_not_blocked_in(&txn, &member).await?;
    if message.deleted_at.is_some() {
        return Err(AppError::conflict("a deleted message cannot be edited"));
    }
    if message.content == content.as_str() {
        let view = view(&txn, &message).await?;
        txn.commit().await?;
        return Ok(view);
    }
    // The history keeps the newest KEPT_EDITS versions: it grows with use, not without
    // bound.
    txn.execute_raw(stmt(
        "WITH added AS (
           INSERT INTO message_edits (message_id, previous_content) VALUES ($1, $2))
         DELETE FROM message_edits WHERE message_id = $1 AND id IN (
           SELECT id FROM message_edits WHERE message_id = $1
           ORDER BY edited_at DESC, id DESC OFFSET $3)",
        [
            id.into(),
            message.content.clone().into(),
            (KEPT_EDITS - 1).into(),
        ],
    ))
    .await?;
    let updated = messages::Model::find_by_statement(stmt(
        "UPDATE messages SET content = $2, edited_at = now() WHERE id = $1
         RETURNING id, thread_id, seq, author_id, content, reply_to_id, client_id, created_at, edited_at, deleted_at",
        [id.into(), content.into_inner().into()],
    ))
    .one(&txn)
    .await?
    .ok_or(AppError::NotFound("message"))?;
    if updated.content.contains('@') || message.content.contains('@') {
        mentions::rewrite(&txn, &updated).await?;
    }
    let view = announce_update(&txn, &updated).await?;
    txn.commit().await?;
    Ok(view)
}

/// The message's view, told to its thread as a `message.updated` (in the caller's
/// transaction).
pub(crate) async fn announce_update(
    conn: &impl ConnectionTrait,
    message: &messages::Model,
) -> Result<MessageView> {
    let view = view(conn, message).await?;
    eventlog::append(
        conn,
        Scope::Thread(message.thread_id),
        Kind::MessageUpdated,
        &view,
    )
    .await?;
    Ok(view)
}

/// Deletes a message, leaving a tombstone. Authors delete their own; thread admins and
/// system admins may delete any. Returns the storage keys of its files, which are no
/// longer served: the caller removes them.
pub async fn delete(db: &DatabaseConnection, actor: &User, id: Uuid) -> Result<Vec<String>> {
    let txn = db.begin().await?;
    let (message, member) = visible(&txn, actor.id, id).await?;
    let allowed = message.author_id == actor.id
        || (member.is_admin() && member.kind == ThreadKind::Group)
        || actor.system_role.may_administer();
    if !allowed {
        return Err(AppError::forbidden(
            "only the author or an admin can delete a message",
        ));
    }
    if message.deleted_at.is_some() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    let files = super::attachments::detach_all(&txn, id).await?;
    txn.execute_raw(stmt(
        "UPDATE messages SET deleted_at = now(), content = '' WHERE id = $1",
        [id.into()],
    ))
    .await?;
    txn.execute_raw(stmt(
        "DELETE FROM message_edits WHERE message_id = $1",
        [id.into()],
    ))
    .await?;
    txn.execute_raw(stmt(
        "DELETE FROM reactions WHERE message_id = $1",
        [id.into()],
    ))
    .await?;
    mentions::drop_for(&txn, id).await?;
    eventlog::redact_message(&txn, message.thread_id, id).await?;
    eventlog::append(
        &txn,
        Scope::Thread(message.thread_id),
        Kind::MessageDeleted,
        &serde_json::json!({ "id": id, "threadId": message.thread_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(files)
}

/// Every kept version of a message, newest (the current text) first, for members of its
/// thread. A deleted message keeps none.
pub async fn history(db: &DatabaseConnection, viewer: Uuid, id: Uuid) -> Result<MessageHistory> {
    use crate::entities::message_edits;
    let (message, _) = visible(db, viewer, id).await?;
    if message.deleted_at.is_some() {
        return Ok(MessageHistory {
            message_id: id,
            thread_id: message.thread_id,
            versions: Vec::new(),
        });
    }
    let edits = message_edits::Entity::find()
        .filter(message_edits::Column::MessageId.eq(id))
        .order_by_asc(message_edits::Column::EditedAt)
        .order_by_asc(message_edits::Column::Id)
        .all(db)
        .await?;
    // A version was written when the one before it was replaced; the oldest kept one at
    // the message's creation, unless older versions were dropped (then it is unknown).
    let complete = i64::try_from(edits.len()).is_ok_and(|n| n < KEPT_EDITS);
    let mut since = complete.then_some(message.created_at);
    let mut versions = Vec::with_capacity(edits.len() + 1);
    for edit in edits {
        versions.push(MessageVersion::new(edit.previous_content, since, false));
        since = Some(edit.edited_at);
    }
    versions.push(MessageVersion::new(message.content, since, true));
    versions.reverse();
    Ok(MessageHistory {
        message_id: id,
        thread_id: message.thread_id,
        versions,
    })
}
