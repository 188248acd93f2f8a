//! One open stream: it registers first, then replays what the client missed (when it
//! resumes) straight from the log, then forwards what the tailer hands it. Both phases
//! yield in position order and the stream drops anything at or below the last position
//! it sent, so the overlap between replay and live delivery reaches the client once.
//!
//! What a stream writes for an event is up to its [`Render`]: the JSON stream forwards the
//! shared frame, the page stream renders HTML for its viewer.

use std::{convert::Infallible, future::Future};

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{
    Inner, Realtime,
    delivery::{Delivery, Frame, HELLO, Item},
    route::{Route, route},
    summaries::summary,
    tailer::thread_updated,
};
use crate::{
    chat::threads,
    error::Result,
    eventlog::{self, Kind, Position},
};

const REPLAY_BATCH: u64 = 500;

/// How a stream turns an event into bytes for its client (`None`: nothing to send).
pub trait Render: Send + 'static {
    fn render(&mut self, item: &Delivery) -> impl Future<Output = Option<Frame>> + Send;

    /// What an open stream starts with: the `retry:` hint.
    fn hello(&self) -> Bytes {
        Bytes::from_static(HELLO)
    }
}

/// The JSON event stream: every event's shared frame as it is.
pub struct JsonFrames;

impl Render for JsonFrames {
    async fn render(&mut self, item: &Delivery) -> Option<Frame> {
        Some(item.wire())
    }
}

pub(super) enum Start {
    /// From now.
    Live(Position),
    /// Replay what came after this position first.
    Resume(Position),
    /// The client's position is unknown or too old: tell it to reload, then go on from now.
    Reset(Position),
}

/// Unregisters the stream when it ends, however it ends.
pub(super) struct Guard {
    pub(super) rt: Realtime,
    pub(super) user: Uuid,
    pub(super) id: u64,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.rt.0.stream_ended(self.user, self.id);
    }
}

/// A registered stream, not yet started.
pub struct Subscription {
    pub(super) guard: Guard,
    pub(super) rx: mpsc::Receiver<Item>,
    pub(super) start: Start,
}

impl Subscription {
    pub fn user(&self) -> Uuid {
        self.guard.user
    }

    /// The SSE body: a hello (with the `retry:` hint), the backlog or a `reset`, then live
    /// events and heartbeats until the client leaves, falls behind, or is shut out.
    pub fn into_body<R: Render>(
        self,
        render: R,
    ) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
        self.body(render, true)
    }

    /// The finite form of [`Self::into_body`] for clients that cannot hold a stream open
    /// (or need not): the hello, the backlog or a `reset`, then an `id:` of the position
    /// it read up to, and the end. Asked again from that position, it gives what came
    /// after, so repeated catch-ups deliver each event once.
    pub fn into_catch_up<R: Render>(
        self,
        render: R,
    ) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
        self.body(render, false)
    }

    fn body<R: Render>(
        self,
        mut render: R,
        follow: bool,
    ) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
        let Self {
            guard,
            mut rx,
            start,
        } = self;
        async_stream::stream! {
            let rt = guard.rt.0.clone();
            let user = guard.user;
            yield Ok(if follow { render.hello() } else { Bytes::from_static(HELLO) });
            let mut last = match start {
                Start::Live(p) => p,
                Start::Reset(p) => {
                    let reset = Delivery::new(Some(p), Kind::Reset, None, "{}");
                    for bytes in render.render(&reset).await.into_iter().flatten() {
                        yield Ok(bytes);
                    }
                    p
                }
                Start::Resume(from) => {
                    let mut cursor = from;
                    loop {
                        // Boxed: an idle stream should not carry a query's state around.
                        let batch = Box::pin(replay(&rt, user, cursor)).await;
                        let Ok(batch) = batch.inspect_err(|err| {
                            tracing::warn!(%err, "replaying a stream's backlog failed");
                        }) else {
                            return;
                        };
                        for item in &batch.items {
                            if let Some(frame) = render.render(item).await {
                                for bytes in frame {
                                    yield Ok(bytes);
                                }
                                rt.replayed(user, item);
                            }
                        }
                        cursor = batch.cursor;
                        if batch.done {
                            break;
                        }
                    }
                    cursor
                }
            };
            if !follow {
                yield Ok(Bytes::from(format!("id: {last}\n\n")));
                return;
            }
            while let Some(item) = rx.recv().await {
                if let Some(p) = item.position {
                    if p <= last {
                        continue;
                    }
                    last = p;
                }
                if let Some(frame) = render.render(&item).await {
                    for bytes in frame {
                        yield Ok(bytes);
                    }
                    rt.delivered(user, &item);
                }
            }
            drop(guard);
        }
    }
}

struct Replayed {
    items: Vec<Item>,
    /// The last position read.
    cursor: Position,
    /// Caught up: the rest comes live.
    done: bool,
}

/// The next part of a user's backlog after `after`, routed exactly as the tailer would.
async fn replay(rt: &Inner, user: Uuid, after: Position) -> Result<Replayed> {
    let batch = eventlog::read_for_user(&rt.db, user, after, REPLAY_BATCH).await?;
    let mut out = Replayed {
        done: (batch.events.len() as u64) < REPLAY_BATCH,
        items: Vec::with_capacity(batch.events.len()),
        cursor: after,
    };
    // Threads whose last message or unread count the backlog changed, with the seq of
    // the last message it brought: they get a `thread.updated` after it.
    let mut touched: Vec<(Uuid, Option<i64>)> = Vec::new();
    for event in &batch.events {
        out.cursor = event.position;
        match route(event) {
            Route::Members(thread, item) => {
                if matches!(
                    item.kind,
                    Kind::MessageCreated | Kind::MessageUpdated | Kind::MessageDeleted
                ) {
                    let seq = item.message.map(|m| m.seq);
                    match touched.iter_mut().find(|(t, _)| *t == thread) {
                        Some((_, upto)) => *upto = seq.max(*upto),
                        None => touched.push((thread, seq)),
                    }
                }
                if item.subject != Some(user) {
                    out.items.push(item);
                }
            }
            Route::User { item, .. } => {
                if item.subject != Some(user) {
                    out.items.push(item);
                }
            }
            Route::ThreadViews {
                thread,
                position,
                written_at,
            } => {
                for (_, view) in threads::views_for(&rt.db, thread, &[user]).await? {
                    out.items.push(
                        thread_updated(position, &view)?
                            .written(written_at)
                            .shared(),
                    );
                }
            }
            Route::Revoke(..)
            | Route::UserChanged(_)
            | Route::MembersChanged(_)
            | Route::Ignore => {}
        }
    }
    for (thread, upto) in touched {
        let views = match upto {
            Some(upto) => threads::views_upto(&rt.db, thread, &[user], upto).await?,
            None => threads::views_for(&rt.db, thread, &[user]).await?,
        };
        for (_, view) in views {
            out.items.push(summary(&view)?);
        }
    }
    Ok(out)
}
