//! The background work of one instance: the tailer, heartbeats, receipts, presence
//! sweeps and pruning, each on its own timer until shutdown.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::{Inner, Realtime, presence, receipts, tailer, typing::TYPING_EVERY};
use crate::eventlog;

impl Realtime {
    /// Starts the background work (tailer, heartbeat, receipts, presence, pruning); it
    /// all ends, and every stream closes, when `stop` is cancelled.
    pub fn spawn(&self, stop: CancellationToken) {
        tokio::spawn(tailer::supervise(self.0.clone(), stop.clone()));
        self.every(&stop, self.0.settings.heartbeat, |rt| async move {
            rt.settle(rt.registry.heartbeat());
        });
        self.every(&stop, receipts::FLUSH_EVERY, |rt| async move {
            match rt.receipts.flush(&rt.db).await {
                Ok(true) => rt.bus.ring(),
                Ok(false) => {}
                Err(err) => tracing::warn!(%err, "recording delivery receipts failed"),
            }
        });
        self.every(&stop, Duration::from_secs(1), |rt| async move {
            rt.sweep().await;
        });
        self.every(&stop, presence::REFRESH_EVERY, |rt| async move {
            rt.presence.refresh_shared().await;
        });
        let prune_every = (self.0.settings.retention / 4)
            .clamp(Duration::from_millis(200), Duration::from_secs(600));
        self.every(&stop, prune_every, |rt| async move {
            rt.prune().await;
        });
        if let Some(mut rx) = self.0.arrivals.1.lock().expect("arrivals lock").take() {
            // One at a time: a thousand clients connecting at once should not take the
            // whole connection pool to announce themselves.
            let rt = self.0.clone();
            tokio::spawn(async move {
                while let Some(user) = rx.recv().await {
                    if rt.presence.share_arrival(user).await {
                        rt.announce_presence(user, true).await;
                    }
                }
            });
        }
        if let Some(rx) = self.0.ephemeral.1.lock().expect("ephemeral lock").take() {
            let rt = self.0.clone();
            tokio::spawn(async move {
                let mut rx = rx;
                while let Some(message) = rx.recv().await {
                    rt.deliver_ephemeral(&message).await;
                }
            });
        }
        let bus = self.0.bus.clone();
        let tx = self.0.ephemeral.0.clone();
        tokio::spawn(bus.run(tx, stop.clone()));
        let rt = self.0.clone();
        tokio::spawn(async move {
            stop.cancelled().await;
            rt.registry.close_all();
        });
    }

    fn every<F, Fut>(&self, stop: &CancellationToken, period: Duration, job: F)
    where
        F: Fn(Arc<Inner>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let rt = self.0.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => job(rt.clone()).await,
                    () = stop.cancelled() => break,
                }
            }
        });
    }
}

impl Inner {
    /// Once a second: users whose grace period ended go offline; old typing marks go.
    pub(super) async fn sweep(&self) {
        let gone = self.presence.sweep(|u| self.registry.is_connected(u));
        for user in gone {
            if self.presence.share_departure(user).await {
                self.announce_presence(user, false).await;
            }
        }
        let now = Instant::now();
        self.typing
            .lock()
            .expect("typing lock")
            .retain(|_, at| now.duration_since(*at) < TYPING_EVERY);
    }

    pub(super) async fn prune(&self) {
        let before = OffsetDateTime::now_utc() - self.settings.retention;
        const AT_ONCE: u64 = 5_000;
        loop {
            match eventlog::prune(&self.db, before, AT_ONCE).await {
                Ok(AT_ONCE) => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(%err, "pruning the event log failed");
                    break;
                }
            }
        }
    }
}
