//! The message writer: sends wait in a queue and writer tasks take them in batches
//! ([`sending::send_many`]: one transaction per batch). An idle server writes each send at
//! once, as a batch of one; a busy one writes everything that queued up while the last
//! batch was committing, so throughput grows with load instead of the commit rate
//! capping it. Each thread belongs to one writer (by its id), so writers never wait for
//! each other's thread locks.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::sending::{self, NewMessage, Outcome};
use crate::{accounts::User, error::AppError};

/// Most sends written in one transaction.
const MAX_BATCH: usize = 256;
/// Sends waiting beyond this are refused (the server is overloaded).
const MAX_QUEUED: usize = 16_384;

struct Job {
    author: User,
    new: NewMessage,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Clone)]
pub struct Writer {
    queues: Arc<[mpsc::Sender<Job>]>,
}

impl Writer {
    /// Starts `tasks` writers on `db`; they stop once `stop` is cancelled and the queue is
    /// empty.
    pub fn start(db: DatabaseConnection, tasks: usize, stop: CancellationToken) -> Self {
        let tasks = tasks.max(1);
        let queues = (0..tasks)
            .map(|_| {
                let (tx, mut rx) = mpsc::channel(MAX_QUEUED / tasks);
                let (db, stop) = (db.clone(), stop.clone());
                tokio::spawn(async move {
                    loop {
                        // Queued sends are still written after `stop`; then the task ends.
                        let first = tokio::select! {
                            biased;
                            job = rx.recv() => job,
                            () = stop.cancelled() => None,
                        };
                        let Some(first) = first else { break };
                        let mut jobs = vec![first];
                        while jobs.len() < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(job) => jobs.push(job),
                                Err(_) => break,
                            }
                        }
                        write(&db, jobs).await;
                    }
                });
                tx
            })
            .collect();
        Self { queues }
    }

    /// Sends a message (see [`sending`] for the rules).
    pub async fn send(&self, author: &User, new: NewMessage) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            author: author.clone(),
            new,
            reply,
        };
        let queue = &self.queues[job.new.thread.as_u128() as usize % self.queues.len()];
        // A full queue means the database cannot keep up: refuse rather than pile up.
        queue.try_send(job).map_err(|_| AppError::Unavailable)?;
        answer.await.map_err(|_| unanswered())?
    }
}

fn unanswered() -> AppError {
    AppError::internal("the message writer dropped a send")
}

async fn write(db: &DatabaseConnection, jobs: Vec<Job>) {
    let started = std::time::Instant::now();
    metrics::histogram!("message_write_batch_size").record(jobs.len() as f64);
    let (sends, replies): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .map(|j| ((j.author, j.new), j.reply))
        .unzip();
    let outcomes = sending::send_many(db, sends).await;
    metrics::histogram!("message_write_batch_seconds").record(started.elapsed().as_secs_f64());
    for (reply, outcome) in replies.into_iter().zip(outcomes) {
        // The client may have gone; its message is stored either way.
        let _ = reply.send(outcome);
    }
}
