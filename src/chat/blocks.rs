//! Blocking: a user who blocked someone gets nothing from them in their direct
//! conversation (no messages, edits, reactions or typing notices), and cannot be put in a
//! group by them.

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};
use uuid::Uuid;

use super::threads::Membership;
use crate::{
    accounts::{self, User},
    db::stmt,
    entities::threads::ThreadKind,
    error::{AppError, Result},
};

pub async fn block(db: &DatabaseConnection, actor: &User, user: Uuid) -> Result<()> {
    if user == actor.id {
        return Err(AppError::validation("you cannot block yourself"));
    }
    accounts::find(db, user)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    db.execute_raw(stmt(
        "INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [actor.id.into(), user.into()],
    ))
    .await?;
    Ok(())
}

pub async fn unblock(db: &DatabaseConnection, actor: &User, user: Uuid) -> Result<()> {
    db.execute_raw(stmt(
        "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2",
        [actor.id.into(), user.into()],
    ))
    .await?;
    Ok(())
}

/// The ids `actor` has blocked.
pub async fn list(db: &DatabaseConnection, actor: Uuid) -> Result<Vec<Uuid>> {
    #[derive(FromQueryResult)]
    struct Row {
        blocked_id: Uuid,
    }
    Ok(Row::find_by_statement(stmt(
        "SELECT blocked_id FROM blocks WHERE blocker_id = $1 ORDER BY created_at",
        [actor.into()],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|r| r.blocked_id)
    .collect())
}

/// Whether `blocker` has blocked `user`.
pub async fn is_blocked(conn: &impl ConnectionTrait, blocker: Uuid, user: Uuid) -> Result<bool> {
    Ok(conn
        .query_one_raw(stmt(
            "SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2",
            [blocker.into(), user.into()],
        ))
        .await?
        .is_some())
}

/// "Forbidden" when `member` acts in a direct conversation whose other person blocked them.
pub async fn ensure_not_blocked_in(conn: &impl ConnectionTrait, member: &Membership) -> Result<()> {
    if member.kind == ThreadKind::Direct
        && blocked_in_direct(conn, member.thread_id, member.user_id).await?
    {
        return Err(AppError::forbidden("you cannot message this user"));
    }
    Ok(())
}

/// "Forbidden" when any of `people` blocked `actor` (who wants to put them in a group).
pub async fn ensure_none_blocked(
    conn: &impl ConnectionTrait,
    actor: Uuid,
    people: &[Uuid],
) -> Result<()> {
    let blocked = conn
        .query_one_raw(stmt(
            "SELECT 1 FROM blocks WHERE blocked_id = $1 AND blocker_id = ANY($2) LIMIT 1",
            [actor.into(), people.to_vec().into()],
        ))
        .await?;
    if blocked.is_some() {
        return Err(AppError::forbidden(
            "someone you named does not accept conversations with you",
        ));
    }
    Ok(())
}

/// Whether the other person in direct thread `thread` has blocked `sender`.
pub async fn blocked_in_direct(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    sender: Uuid,
) -> Result<bool> {
    Ok(conn
        .query_one_raw(stmt(
            "SELECT 1 FROM thread_participants p JOIN blocks b
               ON b.blocker_id = p.user_id AND b.blocked_id = $2
             WHERE p.thread_id = $1 AND p.user_id <> $2",
            [thread.into(), sender.into()],
        ))
        .await?
        .is_some())
}
