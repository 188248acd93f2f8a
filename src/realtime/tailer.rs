//! The log tailer: one per instance. It reads the log in position order from where the
//! instance started, woken by the doorbell or its timer, and hands each event to the
//! streams of the users who may see it now. An event it cannot route (the database is
//! away) is retried, never skipped.

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;

use super::{
    Inner,
    delivery::Delivery,
    route::{Route, route},
};
use crate::{
    chat::threads,
    error::Result,
    eventlog::{self, Kind, LoggedEvent, Position},
};

const BATCH: u64 = 500;
/// Wait before looking again when committed events wait behind an older transaction;
/// doubles up to [`HELD_BACK_MAX`]. Write transactions are short, so the wait is too.
const HELD_BACK_RETRY: Duration = Duration::from_millis(1);
const HELD_BACK_MAX: Duration = Duration::from_millis(8);

/// Runs the tailer until `stop`. Should it ever panic, it starts again from the last
/// event it delivered, so live streams miss nothing.
pub(super) async fn supervise(rt: Arc<Inner>, stop: CancellationToken) {
    loop {
        let (task_rt, task_stop) = (rt.clone(), stop.clone());
        match tokio::spawn(async move { run(&task_rt, task_stop).await }).await {
            Ok(()) => return,
            Err(err) => {
                tracing::error!(%err, "the log tailer failed; restarting it");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    () = stop.cancelled() => return,
                }
            }
        }
    }
}

async fn run(rt: &Inner, stop: CancellationToken) {
    let resumed = *rt.tailer_at.lock().expect("tailer position lock");
    let mut at = match resumed {
        Some(p) => p,
        None => loop {
            match eventlog::head(&rt.db).await {
                Ok(p) => break p,
                Err(err) => {
                    tracing::warn!(%err, "the tailer cannot read the log head; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        () = stop.cancelled() => return,
                    }
                }
            }
        },
    };
    *rt.tailer_at.lock().expect("tailer position lock") = Some(at);
    let mut held_back_wait = HELD_BACK_RETRY;
    loop {
        let mut again = Some(rt.settings.poll);
        match eventlog::read_after(&rt.db, at, BATCH).await {
            Ok(batch) => {
                let full = batch.events.len() as u64 == BATCH;
                for event in batch.events {
                    if !deliver_until_done(rt, &event, &stop).await {
                        return;
                    }
                    rt.summaries.note(&event);
                    at = event.position;
                    *rt.tailer_at.lock().expect("tailer position lock") = Some(at);
                }
                if full {
                    again = None;
                } else if batch.held_back {
                    again = Some(held_back_wait.min(rt.settings.poll));
                    held_back_wait = (held_back_wait * 2).min(HELD_BACK_MAX);
                } else {
                    held_back_wait = HELD_BACK_RETRY;
                }
            }
            Err(err) => tracing::warn!(%err, "the tailer cannot read the log; retrying"),
        }
        if let Some(next) = rt.summaries.flush(rt).await {
            let soon = next.saturating_duration_since(std::time::Instant::now());
            again = again.map(|wait| wait.min(soon));
        }
        if let Some(wait) = again {
            tokio::select! {
                () = rt.bus.doorbell().notified() => {}
                () = tokio::time::sleep(wait) => {}
                () = stop.cancelled() => return,
            }
        }
    }
}

/// Delivers one event, retrying while the database is unavailable; false on shutdown.
async fn deliver_until_done(rt: &Inner, event: &LoggedEvent, stop: &CancellationToken) -> bool {
    loop {
        match dispatch(rt, event).await {
            Ok(()) => return true,
            Err(err) => {
                tracing::warn!(%err, position = %event.position, "delivering an event failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    () = stop.cancelled() => return false,
                }
            }
        }
    }
}

async fn dispatch(rt: &Inner, event: &LoggedEvent) -> Result<()> {
    match route(event) {
        Route::Members(thread, item) => {
            let members = rt.members.of(&rt.db, thread).await?;
            rt.handed(&item, rt.registry.deliver_to_members(&members, &item));
        }
        Route::User {
            user,
            item,
            invalidates,
        } => {
            if let Some(thread) = invalidates {
                rt.members.invalidate(thread);
            }
            rt.handed(&item, rt.registry.deliver_to_user(user, &item));
        }
        Route::ThreadViews {
            thread,
            position,
            written_at,
        } => {
            rt.members.invalidate(thread);
            let members = rt.members.of(&rt.db, thread).await?;
            let online = rt.registry.connected_among(&members);
            for (user, view) in threads::views_for(&rt.db, thread, &online).await? {
                let item = thread_updated(position, &view)?
                    .written(written_at)
                    .shared();
                rt.handed(&item, rt.registry.deliver_to_user(user, &item));
            }
        }
        Route::MembersChanged(thread) => rt.members.invalidate(thread),
        Route::Revoke(user, which, at) => {
            rt.tokens.forget_user(user);
            rt.settle(rt.registry.revoke(user, &which, at));
        }
        Route::UserChanged(user) => rt.tokens.forget_user(user),
        Route::Ignore => {}
    }
    Ok(())
}

/// A `thread.updated` delivery for one member.
pub(super) fn thread_updated(
    position: Position,
    view: &crate::chat::ThreadView,
) -> Result<Delivery> {
    let json = serde_json::to_string(view).map_err(|e| anyhow::anyhow!(e))?;
    Ok(Delivery::new(
        Some(position),
        Kind::ThreadUpdated,
        Some(view.id),
        &json,
    ))
}
