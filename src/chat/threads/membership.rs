//! Who is in a thread: the caller's membership (and with it, authorization), adding rows,
//! departing, archiving, and the events that tell members what changed.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, FromQueryResult, TransactionTrait,
};
use uuid::Uuid;

use super::{MAX_IDS_PER_CALL, query::views_for, view};
use crate::{
    accounts::User,
    chat::views::ThreadView,
    db::stmt,
    entities::{thread_participants::ThreadRole, threads::ThreadKind},
    error::{AppError, Result},
    eventlog::{self, Kind, Scope},
};

/// The caller's active membership in a thread.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Membership {
    pub thread_id: Uuid,
    pub user_id: Uuid,
    pub kind: ThreadKind,
    pub role: ThreadRole,
    pub read_seq: i64,
    pub delivered_seq: i64,
    pub last_seq: i64,
}

impl Membership {
    pub fn is_admin(&self) -> bool {
        self.role == ThreadRole::Admin
    }
}

/// The caller's membership, or "not found" (non-members learn nothing about a thread).
pub async fn membership(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    user: Uuid,
) -> Result<Membership> {
    Membership::find_by_statement(stmt(
        "SELECT p.thread_id, p.user_id, t.kind, p.role, p.read_seq, p.delivered_seq, t.last_seq
         FROM thread_participants p JOIN threads t ON t.id = p.thread_id
         WHERE p.thread_id = $1 AND p.user_id = $2 AND p.left_at IS NULL",
        [thread.into(), user.into()],
    ))
    .one(conn)
    .await?
    .ok_or(AppError::NotFound("conversation"))
}

/// Tells each of `users` how the thread now looks to them (a user-scoped event each: for
/// changes that concern a few people, such as archiving or reading).
pub async fn announce(txn: &DatabaseTransaction, thread: Uuid, users: &[Uuid]) -> Result<()> {
    for (user, view) in views_for(txn, thread, users).await? {
        eventlog::append(
            txn,
            Scope::UserThread { user, thread },
            Kind::ThreadUpdated,
            &view,
        )
        .await?;
    }
    Ok(())
}

/// Tells every member that the thread changed (name or members): one event, which each
/// member's stream turns into the thread as that member sees it.
pub(super) async fn changed(txn: &DatabaseTransaction, thread: Uuid) -> Result<()> {
    eventlog::append(
        txn,
        Scope::Thread(thread),
        Kind::ThreadChanged,
        &serde_json::json!({ "threadId": thread }),
    )
    .await?;
    Ok(())
}

/// Keeps `threads.member_count` right after members came or went.
async fn recount(txn: &DatabaseTransaction, thread: Uuid) -> Result<()> {
    txn.execute_raw(stmt(
        "UPDATE threads SET member_count = (SELECT count(*) FROM thread_participants
           WHERE thread_id = $1 AND left_at IS NULL) WHERE id = $1",
        [thread.into()],
    ))
    .await?;
    Ok(())
}

/// The ids of the thread's active members.
pub async fn active_member_ids(conn: &impl ConnectionTrait, thread: Uuid) -> Result<Vec<Uuid>> {
    #[derive(FromQueryResult)]
    struct Row {
        user_id: Uuid,
    }
    Ok(Row::find_by_statement(stmt(
        "SELECT user_id FROM thread_participants WHERE thread_id = $1 AND left_at IS NULL",
        [thread.into()],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|r| r.user_id)
    .collect())
}

/// Checks that every id names an active user; returns them de-duplicated.
pub(super) async fn active_users(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    if ids.len() > MAX_IDS_PER_CALL {
        return Err(AppError::validation(format!(
            "at most {MAX_IDS_PER_CALL} users per call"
        )));
    }
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let found = Count::find_by_statement(stmt(
        "SELECT count(*) AS n FROM users WHERE id = ANY($1) AND deactivated_at IS NULL",
        [unique.clone().into()],
    ))
    .one(conn)
    .await?
    .map_or(0, |c| c.n);
    if found != unique.len() as i64 {
        return Err(AppError::NotFound("user"));
    }
    Ok(unique)
}

pub(super) async fn insert_members(
    txn: &DatabaseTransaction,
    thread: Uuid,
    users: &[Uuid],
    role: ThreadRole,
) -> Result<Vec<Uuid>> {
    #[derive(FromQueryResult)]
    struct Row {
        user_id: Uuid,
    }
    // Re-adding someone who left brings them back with fresh pointers.
    let added = Row::find_by_statement(stmt(
        "INSERT INTO thread_participants (thread_id, user_id, role, read_seq, delivered_seq)
         SELECT $1, u, $3, t.last_seq, t.last_seq FROM unnest($2::uuid[]) AS u, threads t WHERE t.id = $1
         ON CONFLICT (thread_id, user_id) DO UPDATE
           SET left_at = NULL, joined_at = now(), role = EXCLUDED.role, archived = false,
               read_seq = EXCLUDED.read_seq, delivered_seq = EXCLUDED.delivered_seq
           WHERE thread_participants.left_at IS NOT NULL
         RETURNING user_id",
        [thread.into(), users.to_vec().into(), role.into()],
    ))
    .all(txn)
    .await?;
    if !added.is_empty() {
        recount(txn, thread).await?;
    }
    Ok(added.into_iter().map(|r| r.user_id).collect())
}

pub(super) async fn touch(txn: &DatabaseTransaction, thread: Uuid) -> Result<()> {
    txn.execute_raw(stmt(
        "UPDATE threads SET last_activity_at = now() WHERE id = $1",
        [thread.into()],
    ))
    .await?;
    Ok(())
}

/// Marks `user` as gone from the thread, tells them, and tells the rest.
pub(super) async fn depart(txn: &DatabaseTransaction, thread: Uuid, user: Uuid) -> Result<()> {
    txn.execute_raw(stmt(
        "UPDATE thread_participants SET left_at = now(), role = 'member'
         WHERE thread_id = $1 AND user_id = $2 AND left_at IS NULL",
        [thread.into(), user.into()],
    ))
    .await?;
    // A group always keeps an admin: promote the longest-standing member if needed.
    txn.execute_raw(stmt(
        "UPDATE thread_participants SET role = 'admin'
         WHERE thread_id = $1 AND user_id = (
           SELECT user_id FROM thread_participants WHERE thread_id = $1 AND left_at IS NULL
           ORDER BY joined_at, user_id LIMIT 1)
         AND NOT EXISTS (SELECT 1 FROM thread_participants
                         WHERE thread_id = $1 AND left_at IS NULL AND role = 'admin')",
        [thread.into()],
    ))
    .await?;
    recount(txn, thread).await?;
    eventlog::append(
        txn,
        Scope::UserThread { user, thread },
        Kind::ThreadRemoved,
        &serde_json::json!({ "id": thread }),
    )
    .await?;
    touch(txn, thread).await?;
    changed(txn, thread).await?;
    Ok(())
}

pub async fn leave(db: &DatabaseConnection, actor: &User, thread: Uuid) -> Result<()> {
    let txn = db.begin().await?;
    let me = membership(&txn, thread, actor.id).await?;
    match me.kind {
        ThreadKind::Group => {}
        ThreadKind::Direct => {
            return Err(AppError::validation(
                "you cannot leave a direct conversation; archive it instead",
            ));
        }
        ThreadKind::Open => return Err(AppError::validation("everyone stays in the open room")),
    }
    depart(&txn, thread, actor.id).await?;
    txn.commit().await?;
    Ok(())
}

/// Archives or unarchives the thread for `actor` only.
pub async fn set_archived(
    db: &DatabaseConnection,
    actor: &User,
    thread: Uuid,
    archived: bool,
) -> Result<ThreadView> {
    let txn = db.begin().await?;
    membership(&txn, thread, actor.id).await?;
    txn.execute_raw(stmt(
        "UPDATE thread_participants SET archived = $3 WHERE thread_id = $1 AND user_id = $2",
        [thread.into(), actor.id.into(), archived.into()],
    ))
    .await?;
    announce(&txn, thread, &[actor.id]).await?;
    let view = view(&txn, thread, actor.id).await?;
    txn.commit().await?;
    Ok(view)
}
