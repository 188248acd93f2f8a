//! The append-only event log.
//!
//! Every change a client must see is written here in the same transaction as the change.
//! An event is *thread-scoped* (delivered to the thread's members at delivery time) or
//! *user-scoped* (delivered to one user, e.g. their own view of a thread); a user-scoped
//! event may also name the thread it is about.
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
//!
//! The price: an event becomes readable only once every older write transaction in the
//! PostgreSQL cluster has finished, so one long-running write transaction (in any
//! database of the cluster) holds delivery back until it ends. Confab's own transactions
//! are short; readers notice rows that are committed but not yet below the horizon
//! ([`Batch::held_back`]) and look again soon instead of waiting for the next doorbell.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::stmt;

/// Who an event is for.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// Every member of the thread at delivery time.
    Thread(Uuid),
    /// One user.
    User(Uuid),
    /// One user, about one thread (e.g. they were removed from it).
    UserThread(Uuid, Uuid),
}

/// What happened. The names are the stream's `event:` names; the last three are internal
/// (they steer delivery and never reach a client as such).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    MessageCreated,
    MessageUpdated,
    MessageDeleted,
    ThreadUpdated,
    ThreadRemoved,
    Read,
    Delivered,
    /// A thread's name or members changed: each member gets `thread.updated` as they see it.
    ThreadChanged,
    /// Members joined a thread without telling everyone (a new user in an open room).
    MembersChanged,
    /// Credentials of a user ended (logout, password change, deactivation, token revoked).
    AuthRevoked,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MessageCreated => "message.created",
            Self::MessageUpdated => "message.updated",
            Self::MessageDeleted => "message.deleted",
            Self::ThreadUpdated => "thread.updated",
            Self::ThreadRemoved => "thread.removed",
            Self::Read => "read",
            Self::Delivered => "delivered",
            Self::ThreadChanged => "thread.changed",
            Self::MembersChanged => "members.changed",
            Self::AuthRevoked => "auth.revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::MessageCreated,
            Self::MessageUpdated,
            Self::MessageDeleted,
            Self::ThreadUpdated,
            Self::ThreadRemoved,
            Self::Read,
            Self::Delivered,
            Self::ThreadChanged,
            Self::MembersChanged,
            Self::AuthRevoked,
        ]
        .into_iter()
        .find(|k| k.as_str() == raw)
    }
}

/// Appends one event in the caller's transaction.
pub async fn append(
    conn: &impl ConnectionTrait,
    scope: Scope,
    kind: Kind,
    payload: &impl Serialize,
) -> Result<(), DbErr> {
    let payload = serde_json::to_string(payload).map_err(|e| DbErr::Custom(e.to_string()))?;
    let (thread, user) = match scope {
        Scope::Thread(id) => (Some(id), None),
        Scope::User(id) => (None, Some(id)),
        Scope::UserThread(user, thread) => (Some(thread), Some(user)),
    };
    conn.execute_raw(stmt(
        "INSERT INTO events (thread_id, user_id, kind, payload) VALUES ($1, $2, $3, $4::json)",
        [
            thread.into(),
            user.into(),
            kind.as_str().into(),
            payload.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A place in the log: the writing transaction's id and the row id. Shown to clients as
/// the opaque string `"{xid}-{id}"`; `Position::START` is before everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// `None` for a kind this build does not know (written by a newer version).
    pub kind: Option<Kind>,
    /// The payload's JSON text, exactly as written.
    pub payload: String,
    pub created_at: OffsetDateTime,
}

/// What one read returned.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<LoggedEvent>,
    /// Committed events exist that are not yet below the horizon (an older transaction is
    /// still running): worth looking again shortly.
    pub held_back: bool,
}

#[derive(FromQueryResult)]
struct Row {
    xid: String,
    id: i64,
    thread_id: Option<Uuid>,
    user_id: Option<Uuid>,
    kind: String,
    payload: String,
    created_at: OffsetDateTime,
    held_back: bool,
}

const COLUMNS: &str = "e.xid::text AS xid, e.id, e.thread_id, e.user_id, e.kind, \
    e.payload::text AS payload, e.created_at";

/// The rows after `after` and below the horizon, in position order, plus whether
/// committed rows wait above the horizon (the newest row is there: one index probe).
/// With `user`, only what that user may see (`$4`).
async fn read(
    conn: &impl ConnectionTrait,
    after: Position,
    limit: u64,
    user: Option<Uuid>,
) -> Result<Batch, DbErr> {
    let filter = if user.is_some() {
        // A user's own events, and the events of the threads they are in right now.
        "AND (e.user_id = $4 OR (e.user_id IS NULL AND e.thread_id IN (
               SELECT p.thread_id FROM thread_participants p
               WHERE p.user_id = $4 AND p.left_at IS NULL)))"
    } else {
        ""
    };
    let sql = format!(
        "WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x)
         SELECT * FROM (
           SELECT {COLUMNS}, false AS held_back FROM events e, h
           WHERE (e.xid, e.id) > ($1::text::xid8, $2) AND e.xid < h.x {filter}
           ORDER BY e.xid, e.id LIMIT $3) rows
         UNION ALL
         SELECT '0', 0, NULL, NULL, '', '', now(), true
         FROM h WHERE (SELECT max(xid) FROM events) >= h.x"
    );
    let mut values = vec![
        after.xid.to_string().into(),
        after.id.into(),
        (limit as i64).into(),
    ];
    if let Some(user) = user {
        values.push(user.into());
    }
    let rows = Row::find_by_statement(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        values,
    ))
    .all(conn)
    .await?;
    let mut batch = Batch::default();
    for r in rows {
        if r.held_back {
            batch.held_back = true;
            continue;
        }
        batch.events.push(LoggedEvent {
            position: Position {
                xid: r
                    .xid
                    .parse()
                    .map_err(|_| DbErr::Custom(format!("bad xid {}", r.xid)))?,
                id: r.id,
            },
            thread_id: r.thread_id,
            user_id: r.user_id,
            kind: Kind::parse(&r.kind),
            payload: r.payload,
            created_at: r.created_at,
        });
    }
    Ok(batch)
}

/// Up to `limit` events after `after`, in position order, from transactions that have all
/// finished (below the snapshot's xmin horizon; see the module docs).
pub async fn read_after(
    conn: &impl ConnectionTrait,
    after: Position,
    limit: u64,
) -> Result<Batch, DbErr> {
    read(conn, after, limit, None).await
}

/// Like [`read_after`], narrowed to what `user` may see now: their own events and those
/// of the threads they belong to at the time of reading.
pub async fn read_for_user(
    conn: &impl ConnectionTrait,
    user: Uuid,
    after: Position,
    limit: u64,
) -> Result<Batch, DbErr> {
    read(conn, after, limit, Some(user)).await
}

#[derive(FromQueryResult)]
struct Horizon {
    x: String,
}

/// The position "now": every event readable so far is before it, every event committed
/// later is after it.
pub async fn head(conn: &impl ConnectionTrait) -> Result<Position, DbErr> {
    let h = Horizon::find_by_statement(stmt(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x",
        [],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| DbErr::Custom("no snapshot".into()))?;
    let xid =
        h.x.parse()
            .map_err(|_| DbErr::Custom(format!("bad xid {}", h.x)))?;
    Ok(Position { xid, id: 0 })
}

#[derive(FromQueryResult)]
struct Pruned {
    xid: String,
    id: i64,
}

/// The newest position removed by pruning, if the log was ever pruned: a cursor below it
/// may have missed events.
pub async fn pruned_upto(conn: &impl ConnectionTrait) -> Result<Option<Position>, DbErr> {
    let row = Pruned::find_by_statement(stmt(
        "SELECT pruned_xid::text AS xid, pruned_id AS id FROM event_log_state",
        [],
    ))
    .one(conn)
    .await?;
    row.map(|r| {
        Ok(Position {
            xid: r
                .xid
                .parse()
                .map_err(|_| DbErr::Custom(format!("bad xid {}", r.xid)))?,
            id: r.id,
        })
    })
    .transpose()
}

/// Deletes events older than `before` (at most `limit` at a time) and records the newest
/// position removed. Returns how many were deleted.
pub async fn prune(
    conn: &impl ConnectionTrait,
    before: OffsetDateTime,
    limit: u64,
) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let deleted = Count::find_by_statement(stmt(
        "WITH doomed AS (
           SELECT xid, id FROM events WHERE created_at < $1
             AND xid < pg_snapshot_xmin(pg_current_snapshot())
           ORDER BY xid, id LIMIT $2),
         gone AS (
           DELETE FROM events e USING doomed d WHERE e.id = d.id RETURNING e.xid, e.id),
         newest AS (SELECT xid, id FROM gone ORDER BY xid DESC, id DESC LIMIT 1),
         saved AS (
           INSERT INTO event_log_state (pruned_xid, pruned_id) SELECT xid, id FROM newest
           ON CONFLICT (singleton) DO UPDATE
             SET pruned_xid = EXCLUDED.pruned_xid, pruned_id = EXCLUDED.pruned_id, pruned_at = now()
             WHERE (event_log_state.pruned_xid, event_log_state.pruned_id)
                 < (EXCLUDED.pruned_xid, EXCLUDED.pruned_id)
           RETURNING 1)
         SELECT count(*) AS n FROM gone",
        [before.into(), (limit as i64).into()],
    ))
    .one(conn)
    .await?
    .map_or(0, |c| c.n);
    Ok(deleted as u64)
}

#[cfg(test)]
mod tests {
    use super::{Kind, Position};

    #[test]
    fn positions_round_trip_and_order_by_transaction_first() {
        let p = Position { xid: 900, id: 12 };
        assert_eq!(Position::parse(&p.to_string()), Some(p));
        assert!(Position { xid: 901, id: 1 } > p);
        for bad in ["", "12", "a-b", "-1-2", "1-", "1-2-3"] {
            assert_eq!(Position::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in [Kind::MessageCreated, Kind::AuthRevoked, Kind::ThreadChanged] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("no.such.kind"), None);
    }
}
