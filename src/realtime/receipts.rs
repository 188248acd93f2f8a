//! Delivery receipts: a message is delivered to a recipient once it reached one of their
//! streams. Streams report what they sent; reports are folded per (thread, user) and
//! written together every [`FLUSH_EVERY`], in one statement, with their `delivered`
//! events.
//!
//! Which events a receipt produces is [`reads::record_deliveries`]'s business.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use crate::{chat::reads, error::Result};

pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Receipts written per transaction. Every write transaction holds back the log's
/// horizon while it runs (see `log`), so a big group's receipts go in short pieces.
const CHUNK: usize = 200;

#[derive(Default)]
pub struct Receipts {
    pending: Mutex<HashMap<(Uuid, Uuid), i64>>,
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
        // Per thread, so a group's everyone-receipt is decided with all of its pointers.
        batch.sort_unstable_by_key(|((t, u), _)| (*t, *u));
        let mut written = false;
        let mut rest = batch.as_slice();
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(rest.len().min(CHUNK));
            let threads: Vec<Uuid> = chunk.iter().map(|((t, _), _)| *t).collect();
            let users: Vec<Uuid> = chunk.iter().map(|((_, u), _)| *u).collect();
            let seqs: Vec<i64> = chunk.iter().map(|(_, s)| *s).collect();
            let outcome = async {
                let txn = db.begin().await?;
                // Receipts can wait; sends should not wait for receipts. A row a send holds
                // makes this piece give up and go back into the next flush.
                txn.execute_unprepared("SET LOCAL lock_timeout = '20ms'")
                    .await?;
                let wrote = reads::record_deliveries(&txn, &threads, &users, &seqs).await?;
                txn.commit().await?;
                Ok::<_, crate::error::AppError>(wrote)
            }
            .await;
            match outcome {
                Ok(wrote) => written |= wrote,
                // Busy rows (or a database hiccup): these go into the next flush.
                Err(err) => {
                    tracing::debug!(%err, n = chunk.len(), "receipts deferred");
                    for &((t, u), s) in chunk {
                        self.record(t, u, s);
                    }
                }
            }
            rest = tail;
        }
        Ok(written)
    }
}
