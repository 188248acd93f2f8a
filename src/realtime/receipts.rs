//! Delivery receipts: a message is delivered to a recipient once it reached one of their
//! streams. Streams report what they sent; reports are folded per (thread, user) and
//! written together every [`FLUSH_EVERY`] with their `delivered` events: the members'
//! pointers in short pieces, then each touched group's delivered-to-everyone point once.
//!
//! Which events a receipt produces is [`reads::record_deliveries`]'s business.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Mutex,
    time::Duration,
};

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use crate::{chat::reads, error::Result};

pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Receipts written per transaction. Every write transaction holds back the log's
/// horizon while it runs (see `log`), so a big group's receipts go in short pieces.
const CHUNK: usize = 200;

#[derive(Default)]
pub struct Receipts {
    /// Written to once per message per recipient's stream: a fast hasher (the keys are
    /// ids the server made, not input an attacker picks).
    pending: Mutex<HashMap<(Uuid, Uuid), i64, foldhash::fast::RandomState>>,
    /// Threads whose members' pointers moved but whose delivered-to-everyone point could
    /// not be moved yet.
    unsettled: Mutex<BTreeSet<Uuid>>,
}

impl Receipts {
    /// `user` received message `seq` of `thread`.
    pub fn record(&self, thread: Uuid, user: Uuid, seq: i64) {
        let mut pending = self.pending.lock().expect("receipts lock");
        let entry = pending.entry((thread, user)).or_insert(seq);
        *entry = (*entry).max(seq);
    }

    /// Writes what was recorded since the last flush; returns whether events were written.
    /// What cannot be written now is kept for the next flush.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<bool> {
        let batch = std::mem::take(&mut *self.pending.lock().expect("receipts lock"));
        let mut batch: Vec<((Uuid, Uuid), i64)> = batch.into_iter().collect();
        // One lock order for every instance's pieces.
        batch.sort_unstable_by_key(|((t, u), _)| (*t, *u));
        let mut moved = std::mem::take(&mut *self.unsettled.lock().expect("receipts lock"));
        let mut written = false;
        for chunk in batch.chunks(CHUNK) {
            let threads: Vec<Uuid> = chunk.iter().map(|((t, _), _)| *t).collect();
            let users: Vec<Uuid> = chunk.iter().map(|((_, u), _)| *u).collect();
            let seqs: Vec<i64> = chunk.iter().map(|(_, s)| *s).collect();
            let outcome = briefly(db, async |txn| {
                reads::move_delivered(txn, &threads, &users, &seqs).await
            })
            .await;
            match outcome {
                Ok(wrote) => {
                    written |= wrote;
                    moved.extend(threads);
                }
                // Busy rows (or a database hiccup): these go into the next flush.
                Err(err) => {
                    tracing::debug!(%err, n = chunk.len(), "receipts deferred");
                    for &((t, u), s) in chunk {
                        self.record(t, u, s);
                    }
                }
            }
        }
        if moved.is_empty() {
            return Ok(written);
        }
        // A 10,000-member group's point is one pass over its members: once per flush, not
        // once per piece.
        let threads: Vec<Uuid> = moved.iter().copied().collect();
        match briefly(db, async |txn| {
            reads::move_delivered_to_everyone(txn, &threads).await
        })
        .await
        {
            Ok(wrote) => written |= wrote,
            Err(err) => {
                tracing::debug!(%err, n = threads.len(), "group receipts deferred");
                self.unsettled.lock().expect("receipts lock").extend(moved);
            }
        }
        Ok(written)
    }
}

/// Runs `work` in a short transaction that gives up on a row a send holds. Receipts can
/// wait; sends should not wait for receipts.
async fn briefly<T>(
    db: &DatabaseConnection,
    work: impl AsyncFnOnce(&sea_orm::DatabaseTransaction) -> Result<T>,
) -> Result<T> {
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL lock_timeout = '20ms'")
        .await?;
    let out = work(&txn).await?;
    txn.commit().await?;
    Ok(out)
}
