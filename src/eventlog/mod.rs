//! The append-only event log: the bottom layer that every writer shares and the realtime
//! layer only reads.
//!
//! Every change a client must see is written here in the same transaction as the change
//! ([`append`], [`append_many`], or [`insert_sql`] inside a larger statement); nothing
//! else writes event rows. An event is *thread-scoped* (delivered to the thread's members
//! at delivery time) or *user-scoped* (delivered to one user, e.g. their own view of a
//! thread); a user-scoped event may also name the thread it is about. Each [`Kind`] is
//! named once, in [`kind`].
//!
//! # Commit-order safe positions
//! A plain sequence is not enough: two transactions can take ids 5 and 6 and commit 6
//! first, so a reader that saw 6 would skip 5. Each row also records `xid`, the id of the
//! transaction that wrote it (`pg_current_xact_id()`). A reader only takes rows whose
//! `xid` is below `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below that
//! horizon has finished, so no row can still appear there. Rows are read in
//! `(xid, id)` order and the [`Position`] is that pair. Any row committed later belongs to
//! a transaction that was running (or not yet started) when the reader looked, so its
//! `xid` is at or above the horizon, hence above every position already handed out:
//! positions only ever grow, and nothing is skipped.
//!
//! The price: an event becomes readable only once every older write transaction in the
//! PostgreSQL cluster has finished, so one long-running write transaction (in any
//! database of the cluster) holds delivery back until it ends. Confab's own transactions
//! are short; readers notice rows that are committed but not yet below the horizon
//! ([`Batch::held_back`]) and look again soon instead of waiting for the next doorbell.
//!
//! # Retention
//! Events older than the retention are pruned; the newest pruned position is kept, so a
//! reader resuming from below it knows it may have missed events (it gets a `reset`).

pub mod kind;
mod position;
mod read;
mod write;

pub use kind::{Kind, Life};
pub use position::Position;
pub use read::{
    Batch, HEAD_SQL, LoggedEvent, backlog_exceeds, head, head_from, prune, pruned_upto, read_after,
    read_for_user,
};
pub use write::{NONE, Revocation, Scope, append, append_many, insert_sql, redact_message, revoke};
