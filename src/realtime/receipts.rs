//! Delivery receipts: a message is delivered to a recipient once it reached one of their
//! streams. Streams report what they sent; reports are folded per (thread, user) and
//! written together every [`FLUSH_EVERY`], in one statement, with their `delivered`
//! events.
//!
//! Which events a receipt produces is [`reads::record_deliveries`]'s business.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use sea_orm::{DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use crate::{chat::reads, error::Result};

pub const FLUSH_EVERY: Duration = Duration::from_millis(500);

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
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<bool> {
        let batch = std::mem::take(&mut *self.pending.lock().expect("receipts lock"));
        if batch.is_empty() {
            return Ok(false);
        }
        let mut threads = Vec::with_capacity(batch.len());
        let mut users = Vec::with_capacity(batch.len());
        let mut seqs = Vec::with_capacity(batch.len());
        for ((t, u), s) in batch {
            threads.push(t);
            users.push(u);
            seqs.push(s);
        }
        let txn = db.begin().await?;
        let written = reads::record_deliveries(&txn, &threads, &users, &seqs).await?;
        txn.commit().await?;
        Ok(written)
    }
}
