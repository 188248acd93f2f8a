//! A window of a conversation around one message (a link to a message opens there), and
//! the pages newer than a message that fill it in towards the present. Older pages come
//! from [`super::messages::page`].

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{messages::DEFAULT_PAGE, reads, threads, views::MessageView};
use crate::{
    entities::messages,
    error::{AppError, Result},
};

/// Messages (oldest first) with cursors for the pages on either side.
pub struct Window {
    pub messages: Vec<MessageView>,
    /// Pass as `before` for older messages; `None` at the start of the conversation.
    pub older: Option<Uuid>,
    /// Pass as `after` for newer messages; `None` when the newest is shown.
    pub newer: Option<Uuid>,
}

/// The conversation around `message`: half a page before it, it, and what follows.
/// Non-members get "conversation not found"; a message of another conversation (or none)
/// is "message not found".
pub async fn around(
    db: &DatabaseConnection,
    viewer: Uuid,
    thread: Uuid,
    message: Uuid,
) -> Result<Window> {
    let member = threads::membership(db, thread, viewer).await?;
    let target = in_thread(db, thread, message).await?;
    let half = DEFAULT_PAGE / 2;
    let mut older = rows(db, thread, Side::Before(target.seq), half).await?;
    let has_older = older.len() as u64 > half;
    older.truncate(half as usize);
    older.reverse();
    let mut newer = rows(db, thread, Side::From(target.seq), half).await?;
    let has_newer = newer.len() as u64 > half;
    newer.truncate(half as usize);
    older.extend(newer);
    finish(db, &member, thread, older, has_older, has_newer).await
}

/// Up to a page of messages newer than `after` (oldest first).
pub async fn after(
    db: &DatabaseConnection,
    viewer: Uuid,
    thread: Uuid,
    after: Uuid,
) -> Result<Window> {
    let member = threads::membership(db, thread, viewer).await?;
    let cursor = in_thread(db, thread, after)
        .await
        .map_err(|_| AppError::validation("after is not a message of this conversation"))?;
    let mut rows = rows(db, thread, Side::From(cursor.seq + 1), DEFAULT_PAGE).await?;
    let has_newer = rows.len() as u64 > DEFAULT_PAGE;
    rows.truncate(DEFAULT_PAGE as usize);
    finish(db, &member, thread, rows, false, has_newer).await
}

async fn in_thread(db: &DatabaseConnection, thread: Uuid, id: Uuid) -> Result<messages::Model> {
    messages::Entity::find_by_id(id)
        .filter(messages::Column::ThreadId.eq(thread))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("message"))
}

enum Side {
    /// Below this seq, newest first.
    Before(i64),
    /// From this seq up, oldest first.
    From(i64),
}

/// One more than `limit` rows, to tell whether there are more.
async fn rows(
    db: &DatabaseConnection,
    thread: Uuid,
    side: Side,
    limit: u64,
) -> Result<Vec<messages::Model>> {
    let query = messages::Entity::find().filter(messages::Column::ThreadId.eq(thread));
    let query = match side {
        Side::Before(seq) => query
            .filter(messages::Column::Seq.lt(seq))
            .order_by_desc(messages::Column::Seq),
        Side::From(seq) => query
            .filter(messages::Column::Seq.gte(seq))
            .order_by_asc(messages::Column::Seq),
    };
    Ok(query.limit(limit + 1).all(db).await?)
}

async fn finish(
    db: &DatabaseConnection,
    member: &threads::Membership,
    thread: Uuid,
    rows: Vec<messages::Model>,
    has_older: bool,
    has_newer: bool,
) -> Result<Window> {
    if let Some(newest) = rows.last()
        && newest.seq > member.delivered_seq
    {
        reads::mark_delivered(db, member, newest.seq).await?;
    }
    let older = has_older.then(|| rows.first().map(|m| m.id)).flatten();
    let newer = has_newer.then(|| rows.last().map(|m| m.id)).flatten();
    Ok(Window {
        messages: super::messages::views(db, thread, rows).await?,
        older,
        newer,
    })
}
