//! Background work on attachments: images processed off the request path (metadata
//! stripped, dimensions, thumbnail; a `message.updated` when their message is already
//! sent), and a sweep that removes uploads never sent and retries processing that a
//! restart interrupted.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use sea_orm::{DatabaseConnection, EntityTrait};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{
    images::{self, Processed},
    slots::Slots,
    storage::Files,
    upload::{MAX_IMAGE_BYTES, hex},
};
use crate::{
    chat::attachments::{self as rows, Finished},
    entities::attachments,
    realtime::Realtime,
};

/// How long an image may stay unprocessed before the sweep tries again (a restart or a
/// crash interrupted it).
const STUCK_AFTER: Duration = Duration::from_secs(60);

/// Runs attachment jobs; cheap to clone.
#[derive(Clone)]
pub struct Processor {
    db: DatabaseConnection,
    files: Files,
    realtime: Realtime,
    /// Image decoding takes CPU and up to [`images::MAX_DECODED_BYTES`] of memory: one
    /// at a time.
    permits: Arc<Semaphore>,
    /// Images being processed (the sweep leaves them alone).
    in_flight: Arc<Mutex<HashSet<Uuid>>>,
    slots: Slots,
}

impl Processor {
    pub fn new(db: DatabaseConnection, files: Files, realtime: Realtime) -> Self {
        Self {
            db,
            files,
            realtime,
            permits: Arc::new(Semaphore::new(1)),
            in_flight: Arc::default(),
            slots: Slots::default(),
        }
    }

    pub fn files(&self) -> &Files {
        &self.files
    }

    /// Upload slots (see [`Slots`]).
    pub fn slots(&self) -> &Slots {
        &self.slots
    }

    /// Processes an image upload in the background (unless it already is).
    pub fn start(&self, id: Uuid) {
        if !self.lock_in_flight().insert(id) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Ok(_permit) = this.permits.acquire().await
                && let Err(err) = this.process(id).await
            {
                tracing::warn!(%err, %id, "processing an image failed; the sweep retries it");
            }
            this.lock_in_flight().remove(&id);
        });
    }

    fn lock_in_flight(&self) -> std::sync::MutexGuard<'_, HashSet<Uuid>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn process(&self, id: Uuid) -> anyhow::Result<()> {
        let Some(row) = attachments::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(());
        };
        if row.ready {
            return Ok(());
        }
        let original = if row.size <= MAX_IMAGE_BYTES {
            Some(self.files.read(&row.storage_key).await?)
        } else {
            None
        };
        let processed = match original.clone() {
            Some(bytes) => tokio::task::spawn_blocking(move || images::process(bytes)).await?,
            None => Err(anyhow::anyhow!("too large to process")),
        };
        let done = match processed {
            Ok(Processed {
                served,
                width,
                height,
                thumbnail: (thumb, kind),
            }) => {
                let thumb_key = format!(
                    "{}.{}",
                    Files::new_key("thumb"),
                    if kind == "image/png" { "png" } else { "jpg" }
                );
                self.files.put(&thumb_key, thumb.into()).await?;
                let digest = sha256(&served);
                let size = i64::try_from(served.len())?;
                // Same key: nothing served it yet (it was not ready).
                self.files.put(&row.storage_key, served).await?;
                rows::Processed::Image {
                    width: i32::try_from(width)?,
                    height: i32::try_from(height)?,
                    thumbnail_key: thumb_key,
                    size,
                    sha256: digest,
                }
            }
            Err(err) => {
                tracing::info!(%err, %id, "an upload that looked like an image is kept as a file");
                // Still served without its metadata when its container can be read.
                let stripped = match original {
                    Some(bytes) => tokio::task::spawn_blocking(move || images::strip_only(bytes))
                        .await?
                        .ok(),
                    None => None,
                };
                let mut kept = None;
                if let Some(served) = stripped {
                    kept = Some((i64::try_from(served.len())?, sha256(&served)));
                    self.files.put(&row.storage_key, served).await?;
                }
                rows::Processed::NotAnImage { stripped: kept }
            }
        };
        let thumbnail = done.thumbnail_key().map(str::to_owned);
        match rows::finish_processing(&self.db, id, done).await? {
            Finished::Done => self.realtime.ring(),
            // Processed twice (the sweep and the first run): keep one thumbnail.
            Finished::AlreadyDone => self.files.remove(thumbnail).await,
            // Deleted meanwhile (its message, or swept): what was written here goes too.
            Finished::Gone => {
                self.files
                    .remove(thumbnail.into_iter().chain([row.storage_key]))
                    .await
            }
        }
        Ok(())
    }

    /// Every minute (or `ttl / 4`, if shorter): removes uploads older than `ttl` that were
    /// never sent, and retries images left unprocessed.
    pub fn spawn_sweeper(&self, ttl: Duration, stop: CancellationToken) {
        let this = self.clone();
        let every = (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = tick.tick() => this.sweep(ttl).await,
                    () = stop.cancelled() => break,
                }
            }
        });
    }

    pub async fn sweep(&self, ttl: Duration) {
        // (Images being processed here are skipped by `start`.)
        match rows::expired_uploads(&self.db, ttl).await {
            Ok(keys) => self.files.remove(keys).await,
            Err(err) => tracing::warn!(%err, "sweeping unsent uploads failed"),
        }
        match rows::unprocessed(&self.db, STUCK_AFTER).await {
            Ok(ids) => ids.into_iter().for_each(|id| self.start(id)),
            Err(err) => tracing::warn!(%err, "looking for unprocessed images failed"),
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
}
