//! Read and delivered pointers. Both only move forward; a read message is also delivered.

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::{
    mentions,
    threads::{self, Membership},
};
use crate::{
    accounts::User,
    db::stmt,
    entities::messages,
    error::{AppError, Result},
    eventlog::{self, Kind, Scope},
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
        mentions::after_read(&txn, actor.id, thread, member.read_seq, seq).await?;
        if let Some(id) = message_at(&txn, thread, seq).await? {
            let payload = json!({ "threadId": thread, "userId": actor.id, "messageId": id });
            eventlog::append(&txn, Scope::Thread(thread), Kind::Read, &payload).await?;
        }
        threads::announce(&txn, thread, &[actor.id]).await?;
    }
    let unread = threads::view(&txn, thread, actor.id).await?.unread_count;
    txn.commit().await?;
    Ok(unread)
}

/// Threads up to this size get one `delivered` event per member; larger ones get one
/// event when the point delivered to everyone moves, sent to the authors of the messages
/// it newly covers (members × messages events would swamp a big group).
pub const PER_MEMBER_RECEIPTS_UP_TO: i32 = 32;

/// Records that messages up to `seq` reached the member (fetched or streamed).
pub async fn mark_delivered(
    conn: &impl ConnectionTrait,
    member: &Membership,
    seq: i64,
) -> Result<()> {
    record_deliveries(conn, &[member.thread_id], &[member.user_id], &[seq]).await?;
    Ok(())
}

/// Moves delivered pointers forward (`threads[i]`, `users[i]`, `seqs[i]`) and writes the
/// `delivered` events that follow: `{threadId, userId, messageId}` per member in small
/// threads, `{threadId, userId: null, messageId}` ("delivered to everyone up to here") in
/// larger ones, for the authors it concerns. Returns whether any event was written.
pub async fn record_deliveries(
    conn: &impl ConnectionTrait,
    threads: &[Uuid],
    users: &[Uuid],
    seqs: &[i64],
) -> Result<bool> {
    let per_member = move_delivered(conn, threads, users, seqs).await?;
    let mut touched = threads.to_vec();
    touched.sort_unstable();
    touched.dedup();
    let everyone = move_delivered_to_everyone(conn, &touched).await?;
    Ok(per_member || everyone)
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

/// The per-member half of [`record_deliveries`]: moves the pointers and writes the
/// per-member events of small threads. Returns whether any event was written.
pub async fn move_delivered(
    conn: &impl ConnectionTrait,
    threads: &[Uuid],
    users: &[Uuid],
    seqs: &[i64],
) -> Result<bool> {
    let n = Count::find_by_statement(stmt(
        &format!(
            "WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS i(thread_id, user_id, seq)),
         moved AS (
           UPDATE thread_participants p SET delivered_seq = i.seq FROM input i
           WHERE p.thread_id = i.thread_id AND p.user_id = i.user_id
             AND p.left_at IS NULL AND p.delivered_seq < i.seq AND p.read_seq < i.seq
           RETURNING p.thread_id, p.user_id, p.delivered_seq),
         written AS ({} RETURNING 1)
         SELECT count(*) AS n FROM written",
            eventlog::insert_sql(
                Kind::Delivered,
                "SELECT m.thread_id, NULL::uuid AS user_id,
                   json_build_object('threadId', m.thread_id, 'userId', m.user_id,
                                     'messageId', msg.id) AS payload
                 FROM moved m
                 JOIN threads t ON t.id = m.thread_id AND t.member_count <= $4
                 JOIN messages msg ON msg.thread_id = m.thread_id AND msg.seq = m.delivered_seq"
            )
        ),
        [
            threads.to_vec().into(),
            users.to_vec().into(),
            seqs.to_vec().into(),
            PER_MEMBER_RECEIPTS_UP_TO.into(),
        ],
    ))
    .one(conn)
    .await?
    .map_or(0, |c| c.n);
    Ok(n > 0)
}

/// The group half of [`record_deliveries`]: for the large ones among `threads`, moves the
/// point delivered to every member (read from the members' pointers) and tells it to the
/// members whose messages it newly covers, one event each, addressed to them alone: no
/// one else has a tick that changes (a 10,000-member group would otherwise get 10,000
/// frames a second, and every open page would look up its own messages for nothing).
/// One pass over each group's members, so call it once per batch of pointers, not once
/// per piece. Returns whether any event was written.
pub async fn move_delivered_to_everyone(
    conn: &impl ConnectionTrait,
    threads: &[Uuid],
) -> Result<bool> {
    // `before` is read before the row is locked: if another instance moved the point in
    // between, a few authors hear again about messages they already knew were delivered.
    let n = Count::find_by_statement(stmt(
        &format!(
            "WITH reached AS (
           SELECT t.id, t.delivered_upto AS before,
                  (SELECT min(GREATEST(p.delivered_seq, p.read_seq)) FROM thread_participants p
                   WHERE p.thread_id = t.id AND p.left_at IS NULL) AS upto
           FROM threads t WHERE t.id = ANY($1) AND t.member_count > $2),
         moved AS (
           UPDATE threads t SET delivered_upto = r.upto FROM reached r
           WHERE t.id = r.id AND r.upto > t.delivered_upto
           RETURNING t.id, t.delivered_upto, r.before),
         written AS ({} RETURNING 1)
         SELECT count(*) AS n FROM written",
            eventlog::insert_sql(
                Kind::Delivered,
                "SELECT m.id AS thread_id, a.author_id AS user_id,
                   json_build_object('threadId', m.id, 'userId', NULL, 'messageId', msg.id)
                     AS payload
                 FROM moved m
                 JOIN messages msg ON msg.thread_id = m.id AND msg.seq = m.delivered_upto
                 CROSS JOIN LATERAL (
                   SELECT DISTINCT w.author_id FROM messages w
                   JOIN thread_participants p ON p.thread_id = w.thread_id
                     AND p.user_id = w.author_id AND p.left_at IS NULL
                   WHERE w.thread_id = m.id AND w.seq > m.before AND w.seq <= m.delivered_upto) a"
            )
        ),
        [threads.to_vec().into(), PER_MEMBER_RECEIPTS_UP_TO.into()],
    ))
    .one(conn)
    .await?
    .map_or(0, |c| c.n);
    Ok(n > 0)
}
