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

/// A place in the log: the writing transaction's id and the row id. Shown to clients as
/// the opaque string `"{xid}-{id}"`; `Position::START` is before everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub xid: u64,
    pub id: i64,
}

impl Position {
    pub const START: Self = Self { xid: 0, id: 0 };

    /// Parses a client's `Last-Event-ID`; `None` for anything malformed.
    pub fn parse(raw: &str) -> Option<Self> {
        let (xid, id) = raw.trim().split_once('-')?;
        Some(Self {
            xid: xid.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.xid, self.id)
    }
}

/// One committed event, as read from the log.
#[derive(Clone, Debug)]
pub struct LoggedEvent {
    pub position: Position,
    pub thread_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub kind: String,
    /// The payload's JSON text, serialized once at write time.
    pub payload: String,
}

#[derive(sea_orm::FromQueryResult)]
struct Row {
    xid: String,
    id: i64,
    thread_id: Option<Uuid>,
    user_id: Option<Uuid>,
    kind: String,
    payload: String,
}

/// Up to `limit` events after `after`, in position order, from transactions that have all
/// finished (below the snapshot's xmin horizon; see the module docs).
pub async fn read_after(
    conn: &impl ConnectionTrait,
    after: Position,
    limit: u64,
) -> Result<Vec<LoggedEvent>, DbErr> {
    use sea_orm::FromQueryResult;
    let rows = Row::find_by_statement(crate::db::stmt(
        "SELECT xid::text AS xid, id, thread_id, user_id, kind, payload::text AS payload
         FROM events
         WHERE (xid, id) > ($1::text::xid8, $2)
           AND xid < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY xid, id
         LIMIT $3",
        [
            after.xid.to_string().into(),
            after.id.into(),
            (limit as i64).into(),
        ],
    ))
    .all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(LoggedEvent {
                position: Position {
                    xid: r
                        .xid
                        .parse()
                        .map_err(|_| DbErr::Custom(format!("bad xid {}", r.xid)))?,
                    id: r.id,
                },
                thread_id: r.thread_id,
                user_id: r.user_id,
                kind: r.kind,
                payload: r.payload,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Position;

    #[test]
    fn positions_round_trip_and_order_by_transaction_first() {
        let p = Position { xid: 900, id: 12 };
        assert_eq!(Position::parse(&p.to_string()), Some(p));
        assert!(Position { xid: 901, id: 1 } > p);
        for bad in ["", "12", "a-b", "-1-2", "1-", "1-2-3"] {
            assert_eq!(Position::parse(bad), None, "{bad:?}");
        }
    }
}
