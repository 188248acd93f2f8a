//! Read and delivered pointers. Both only move forward; a read message is also delivered.

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::threads::{self, Membership};
use crate::{
    accounts::User,
    db::stmt,
    entities::messages,
    error::{AppError, Result},
    realtime::log::{self, Scope},
};

#[derive(FromQueryResult)]
struct MessageAt {
    id: Uuid,
}

async fn message_at(conn: &impl ConnectionTrait, thread: Uuid, seq: i64) -> Result<Option<Uuid>> {
    Ok(MessageAt::find_by_statement(stmt(
        "SELECT id FROM messages WHERE thread_id = $1 AND seq = $2",
        [thread.into(), seq.into()],
    ))
    .one(conn)
    .await?
    .map(|m| m.id))
}

/// Marks the thread read up to `message` (or its newest message). Returns the new unread
/// count (0 when everything is read).
pub async fn mark_read(
    db: &DatabaseConnection,
    actor: &User,
    thread: Uuid,
    message: Option<Uuid>,
) -> Result<i64> {
    let txn = db.begin().await?;
    let member = threads::membership(&txn, thread, actor.id).await?;
    let seq = match message {
        Some(id) => {
            use sea_orm::EntityTrait;
            let m = messages::Entity::find_by_id(id).one(&txn).await?;
            match m {
                Some(m) if m.thread_id == thread => m.seq,
                _ => {
                    return Err(AppError::validation(
                        "messageId is not a message of this conversation",
                    ));
                }
            }
        }
        None => member.last_seq,
    };
    if seq > member.read_seq {
        txn.execute_raw(stmt(
            "UPDATE thread_participants SET read_seq = GREATEST(read_seq, $3), delivered_seq = GREATEST(delivered_seq, $3)
             WHERE thread_id = $1 AND user_id = $2",
            [thread.into(), actor.id.into(), seq.into()],
        ))
        .await?;
        if let Some(id) = message_at(&txn, thread, seq).await? {
            let payload = json!({ "threadId": thread, "userId": actor.id, "messageId": id });
            log::append(&txn, Scope::Thread(thread), "read", &payload).await?;
        }
        threads::announce(&txn, thread, &[actor.id]).await?;
    }
    let unread = threads::view(&txn, thread, actor.id).await?.unread_count;
    txn.commit().await?;
    Ok(unread)
}

/// Records that messages up to `seq` reached the member (fetched or streamed).
pub async fn mark_delivered(
    conn: &impl ConnectionTrait,
    member: &Membership,
    seq: i64,
) -> Result<()> {
    let moved = conn
        .execute_raw(stmt(
            "UPDATE thread_participants SET delivered_seq = $3
             WHERE thread_id = $1 AND user_id = $2 AND delivered_seq < $3",
            [member.thread_id.into(), member.user_id.into(), seq.into()],
        ))
        .await?
        .rows_affected();
    if moved > 0
        && let Some(id) = message_at(conn, member.thread_id, seq).await?
    {
        let payload =
            json!({ "threadId": member.thread_id, "userId": member.user_id, "messageId": id });
        log::append(conn, Scope::Thread(member.thread_id), "delivered", &payload).await?;
    }
    Ok(())
}
