//! Reading the log: in position order, below the horizon (see the module docs of
//! [`crate::eventlog`]), for an instance's tailer or narrowed to one user for a replay;
//! the head position; pruning.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Kind, Position};
use crate::db::stmt;

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
                xid: parse_xid(&r.xid)?,
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
    let h = Horizon::find_by_statement(stmt(&format!("SELECT {HEAD_SQL} AS x"), []))
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::Custom("no snapshot".into()))?;
    head_from(&h.x)
}

/// The SQL expression (text) of [`head`], to read the head in the same snapshot as
/// something else; [`head_from`] turns its value into the position.
pub const HEAD_SQL: &str = "pg_snapshot_xmin(pg_current_snapshot())::text";

/// The position of a [`HEAD_SQL`] value.
pub fn head_from(raw: &str) -> Result<Position, DbErr> {
    Ok(Position {
        xid: parse_xid(raw)?,
        id: 0,
    })
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
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
            xid: parse_xid(&r.xid)?,
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

/// A transaction id as PostgreSQL prints an `xid8`.
fn parse_xid(raw: &str) -> Result<u64, DbErr> {
    raw.parse()
        .map_err(|_| DbErr::Custom(format!("bad xid {raw}")))
}

/// Whether more than `limit` events were logged after `after` (one bounded index walk):
/// a reader that far behind is told to reload instead of being replayed everything.
pub async fn backlog_exceeds(
    conn: &impl ConnectionTrait,
    after: Position,
    limit: u64,
) -> Result<bool, DbErr> {
    let n = Count::find_by_statement(stmt(
        "SELECT count(*) AS n FROM (
           SELECT 1 FROM events WHERE (xid, id) > ($1::text::xid8, $2) LIMIT $3) behind",
        [
            after.xid.to_string().into(),
            after.id.into(),
            (limit.saturating_add(1).min(i64::MAX as u64) as i64).into(),
        ],
    ))
    .one(conn)
    .await?
    .map_or(0, |c| c.n);
    Ok(n as u64 > limit)
}
