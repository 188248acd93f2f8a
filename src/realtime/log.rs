//! The append-only event log.
//!
//! Every change a client must see is written here in the same transaction as the change.
//! An event is *thread-scoped* (delivered to the thread's members at delivery time) or
//! *user-scoped* (delivered to one user, e.g. their own view of a thread).
//!
//! # Commit-order safe positions
//! A plain sequence is not enough: two transactions can take ids 5 and 6 and commit 6
//! first, so a reader that saw 6 would skip 5. Each row also records `xid`, the id of the
//! transaction that wrote it (`pg_current_xact_id()`). A reader only takes rows whose
//! `xid` is below `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below that
//! horizon has finished, so no row can still appear there. Rows are read in
//! `(xid, id)` order and the position is that pair. Any row committed later belongs to a
//! transaction that was running (or not yet started) when the reader looked, so its `xid`
//! is at or above the horizon, hence above every position already handed out: positions
//! only ever grow, and nothing is skipped.

use sea_orm::{ConnectionTrait, DbErr, Statement};
use serde::Serialize;
use uuid::Uuid;

/// Who an event is for.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    Thread(Uuid),
    User(Uuid),
}

/// Appends one event in the caller's transaction.
pub async fn append(
    conn: &impl ConnectionTrait,
    scope: Scope,
    kind: &str,
    payload: &impl Serialize,
) -> Result<(), DbErr> {
    let payload = serde_json::to_value(payload).map_err(|e| DbErr::Custom(e.to_string()))?;
    let (thread, user) = match scope {
        Scope::Thread(id) => (Some(id), None),
        Scope::User(id) => (None, Some(id)),
    };
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO events (thread_id, user_id, kind, payload) VALUES ($1, $2, $3, $4)",
        [thread.into(), user.into(), kind.into(), payload.into()],
    ))
    .await?;
    Ok(())
}
