//! `GET /events`: the pages' live stream. The same events as the JSON stream, rendered
//! for this viewer from the same partials as the pages, as unnamed SSE events of
//! out-of-band swaps for htmx's `hx-sse` extension. Typing, presence and `reset` stay
//! JSON and go out as named events (DOM events that `assets/app.js` handles).
//!
//! A page says what it shows: `thread=` (an open conversation) and/or `list=1` (the
//! conversation list); `typing=all` asks for typing in every conversation. Events it
//! does not show still send their id (as a `position`
//! event), so a reconnect resumes from the newest position. `GET /events/catch-up` is
//! the finite form: what came since a position, answered at once.

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    list::ThreadItem,
    message_view::{ChatHeading, Swap, message_html, ticks_html},
    thread_item_html,
};
use crate::{
    auth::CurrentUser,
    chat::{self, MessageView, ThreadView},
    entities::threads::ThreadKind,
    error::{AppError, Result},
    eventlog::{Kind, Position},
    realtime::{
        delivery::{Delivery, Frame, HELLO},
        stream::{Render, Subscription},
    },
    web::AppState,
    web::{
        api::live::{sse_response, subscribe},
        extract::Query,
        pages::{PageCtx, mentions::MentionCount},
    },
};

/// The viewer's own messages whose ticks a receipt may have changed.
const TICKS_WINDOW: u64 = 50;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsQuery {
    last_event_id: Option<String>,
    thread: Option<Uuid>,
    list: Option<String>,
    /// `all`: typing in every conversation, whatever the page shows (a tab that holds
    /// the stream for the browser's other tabs passes it on to them).
    typing: Option<String>,
}

pub(in crate::web) async fn events(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Response> {
    let (subscription, render) = page_stream(state, &user, ctx, &headers, q).await?;
    Ok(sse_response(subscription.into_body(render)).into_response())
}

/// `GET /events/catch-up`: the same events as `/events` with the same parameters, from the
/// same position, answered at once and closed: the backlog (or a `reset`), then an `id:`
/// line with the position to ask from next time. For a page whose stream cannot connect
/// (it asks every few seconds) and for tabs that leave the stream to another tab of the
/// browser (they ask when that tab says something happened). Plain text, not an event
/// stream, so a proxy that holds back or refuses event streams lets it through.
pub(in crate::web) async fn catch_up(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Response> {
    let (subscription, render) = page_stream(state, &user, ctx, &headers, q).await?;
    let mut response = Body::from_stream(subscription.into_catch_up(render)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The viewer's subscription from the page's position and the renderer for what the page
/// shows.
async fn page_stream(
    state: AppState,
    user: &CurrentUser,
    ctx: PageCtx,
    headers: &HeaderMap,
    q: EventsQuery,
) -> Result<(Subscription, PageRender)> {
    // The open conversation, if the viewer is (still) in it.
    let thread = match q.thread {
        Some(id) => match chat::threads::view(&state.db, id, user.id()).await {
            Ok(t) => Some((id, t.kind != ThreadKind::Direct)),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let subscription = subscribe(&state, user, headers, q.last_event_id).await?;
    let render = PageRender {
        state,
        viewer: user.id(),
        csrf: ctx.csrf,
        thread,
        list: q.list.as_deref() == Some("1"),
        all_typing: q.typing.as_deref() == Some("all"),
    };
    Ok((subscription, render))
}

struct PageRender {
    state: AppState,
    viewer: Uuid,
    csrf: String,
    /// The open conversation and whether it is a group.
    thread: Option<(Uuid, bool)>,
    list: bool,
    all_typing: bool,
}

impl Render for PageRender {
    /// The hello, then a `ready` event: the page knows its stream gets through (a proxy
    /// may pass the headers on and hold the rest back). Its `data:` is empty but there:
    /// a client that follows the spec drops events without one.
    fn hello(&self) -> Bytes {
        Bytes::from([HELLO, b"event: ready\ndata:\n\n"].concat())
    }

    async fn render(&mut self, item: &Delivery) -> Option<Frame> {
        match item.kind {
            Kind::Heartbeat | Kind::Presence | Kind::Reset => return Some(item.wire()),
            Kind::Typing if self.list || self.all_typing || self.shows(item.thread_id) => {
                return Some(item.wire());
            }
            Kind::Typing => return None,
            // A summary of message events this page already rendered itself (its list
            // item and heading come from those events).
            Kind::ThreadUpdated if item.position.is_none() => return None,
            _ => {}
        }
        let html = match self.html(item).await {
            Ok(html) => html,
            Err(err) => {
                tracing::warn!(%err, kind = item.kind.as_str(), "rendering a live update failed");
                String::new()
            }
        };
        match (html.is_empty(), item.position) {
            (false, position) => Some(frame(position, &html).into()),
            (true, Some(position)) => Some(moved(position).into()),
            (true, None) => None,
        }
    }
}

impl PageRender {
    fn shows(&self, thread: Option<Uuid>) -> bool {
        thread.is_some() && self.thread.map(|(t, _)| t) == thread
    }

    fn is_group(&self) -> bool {
        self.thread.is_some_and(|(_, group)| group)
    }

    /// The out-of-band swaps for one event (empty when the page shows none of it).
    async fn html(&mut self, item: &Delivery) -> Result<String> {
        let mut out = String::new();
        let shown = self.shows(item.thread_id);
        match item.kind {
            Kind::MessageCreated | Kind::MessageUpdated if shown => {
                let view: MessageView = parse(&item.data)?;
                let created = item.kind == Kind::MessageCreated;
                let html = message_html(
                    &self.state.db,
                    view,
                    self.viewer,
                    &self.csrf,
                    self.is_group(),
                    if created {
                        Swap::InPlace
                    } else {
                        Swap::OutOfBand
                    },
                )
                .await?;
                if created {
                    out.push_str(&format!(
                        "<div hx-swap-oob=\"beforeend:#messages\">{html}</div>"
                    ));
                } else {
                    out.push_str(&html);
                }
            }
            Kind::MessageDeleted if shown => {
                #[derive(Deserialize)]
                struct Deleted {
                    id: Uuid,
                }
                let Deleted { id } = parse(&item.data)?;
                let (model, _) = chat::messages::visible(&self.state.db, self.viewer, id).await?;
                let view = chat::messages::view(&self.state.db, &model).await?;
                out.push_str(
                    &message_html(
                        &self.state.db,
                        view,
                        self.viewer,
                        &self.csrf,
                        self.is_group(),
                        Swap::OutOfBand,
                    )
                    .await?,
                );
            }
            Kind::Read | Kind::Delivered if shown => {
                if let Some(thread) = item.thread_id {
                    let mine = chat::messages::recent_by(
                        &self.state.db,
                        thread,
                        self.viewer,
                        TICKS_WINDOW,
                    )
                    .await?;
                    for m in mine {
                        out.push_str(&ticks_html(m, self.viewer, self.is_group())?);
                    }
                }
            }
            Kind::ThreadUpdated if shown => {
                let view: ThreadView = parse(&item.data)?;
                let heading = ChatHeading {
                    chat: self.item(view, false).await,
                    swap: Swap::OutOfBand,
                };
                out.push_str(&render(&heading)?);
            }
            Kind::MentionsUpdated => {
                #[derive(Deserialize)]
                struct Count {
                    unread: i64,
                }
                let Count { unread } = parse(&item.data)?;
                out.push_str(&render(&MentionCount::live(unread))?);
            }
            Kind::ThreadRemoved if shown => {
                out.push_str(
                    "<div id=\"composer\" class=\"composer closed muted\" hx-swap-oob=\"true\">\
                     You are no longer a member of this conversation.</div>",
                );
            }
            _ => {}
        }
        if self.list {
            self.list_html(item, &mut out).await?;
        }
        Ok(out)
    }

    /// The conversation list's part: the thread's item, moved to the top on activity.
    async fn list_html(&mut self, item: &Delivery, out: &mut String) -> Result<()> {
        let Some(thread) = item.thread_id else {
            return Ok(());
        };
        let view = match item.kind {
            Kind::ThreadRemoved => {
                out.push_str(&format!("<div hx-swap-oob=\"delete:#t-{thread}\"></div>"));
                return Ok(());
            }
            Kind::ThreadUpdated => parse::<ThreadView>(&item.data)?,
            Kind::MessageCreated | Kind::MessageUpdated | Kind::MessageDeleted => {
                match chat::threads::view(&self.state.db, thread, self.viewer).await {
                    Ok(view) => view,
                    Err(AppError::NotFound(_)) => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
            _ => return Ok(()),
        };
        if view.archived {
            out.push_str(&format!("<div hx-swap-oob=\"delete:#t-{thread}\"></div>"));
            return Ok(());
        }
        let bump = item.kind == Kind::MessageCreated;
        let t = self.item(view, bump).await;
        out.push_str(&format!(
            "<div hx-swap-oob=\"afterbegin:#threads\">{}</div>",
            thread_item_html(t)?
        ));
        Ok(())
    }

    async fn item(&self, view: ThreadView, bump: bool) -> ThreadItem {
        let mut t = ThreadItem::with_presence(&self.state, vec![view])
            .await
            .pop()
            .expect("one item per view");
        t.bump = bump;
        t.current = self.shows(Some(t.thread.id));
        t
    }
}

fn parse<T: serde::de::DeserializeOwned>(data: &[u8]) -> Result<T> {
    serde_json::from_slice(data).map_err(AppError::from)
}

fn render(t: &impl askama::Template) -> Result<String> {
    t.render().map_err(AppError::from)
}

/// An event this page shows nothing of: a `position` event that only moves the client's
/// last id forward (named, so the page's script sees it: a tab that holds the stream for
/// others tells them something happened; see `assets/stream.js`).
fn moved(position: Position) -> Bytes {
    Bytes::from(format!("id: {position}\nevent: position\n\n"))
}

/// An unnamed SSE event: `id:` (when positioned), then one `data:` line per HTML line.
fn frame(position: Option<Position>, html: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(html.len() + 64);
    if let Some(p) = position {
        out.put_slice(b"id: ");
        out.put_slice(p.to_string().as_bytes());
        out.put_u8(b'\n');
    }
    for line in html.lines() {
        out.put_slice(b"data: ");
        out.put_slice(line.trim_end_matches('\r').as_bytes());
        out.put_u8(b'\n');
    }
    out.put_u8(b'\n');
    out.freeze()
}
