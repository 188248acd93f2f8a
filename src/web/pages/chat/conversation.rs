//! One conversation: its page, and the older and newer pages of its messages. The form
//! posts on its messages are in `message_posts`.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    list::ThreadItem,
    members::RosterView,
    message_view::{MessageItem, MessagePartial, MessagesPartial, Mode, Swap, quote_parents},
    render, to_chat,
};
use crate::web::pages::PageCtx;
use crate::{
    auth::CurrentUser,
    chat::{self, MessageView, threads::Filter, views::DeliveryStatus},
    entities::{thread_participants::ThreadRole, threads::ThreadKind},
    error::{AppError, Result},
    web::AppState,
    web::extract::{IsHtmx, Path, Query},
};

#[derive(Template, WebTemplate)]
#[template(path = "pages/chat.html")]
pub struct ChatPage {
    ctx: PageCtx,
    chat: ThreadItem,
    swap: Swap,
    msgs: Vec<MessageItem>,
    next: Option<Uuid>,
    /// Where newer messages continue (a page opened at one message).
    newer: Option<Uuid>,
    csrf: String,
    thread_id: Uuid,
    is_group: bool,
    viewer: Uuid,
    /// The conversation list beside the conversation.
    threads: Vec<ThreadItem>,
    /// The message being replied to.
    replying: Option<ReplyingTo>,
    /// Who is here (rooms and groups): the first page of members, online first.
    roster: Option<RosterView>,
}

/// The message the composer replies to.
pub struct ReplyingTo {
    id: Uuid,
    author: String,
    text: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<Uuid>,
    edit: Option<Uuid>,
    reply: Option<Uuid>,
    /// Open at this message (a link to it), with the conversation around it.
    message: Option<Uuid>,
}

pub(in crate::web) async fn conversation(
    State(state): State<AppState>,
    user: CurrentUser,
    mut ctx: PageCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    ctx.live_scope = format!("&thread={id}&list=1");
    let thread = chat::threads::view(&state.db, id, user.id()).await?;
    let page = match q.message {
        Some(mid) => {
            let window = chat::window::around(&state.db, user.id(), id, mid).await?;
            // Read as far as the page shows, not past it.
            if let Some(last) = window.messages.last() {
                chat::reads::mark_read(&state.db, &user.user, id, Some(last.id)).await?;
            }
            window
        }
        None => {
            if q.before.is_none() {
                chat::reads::mark_read(&state.db, &user.user, id, None).await?;
            }
            let page = chat::messages::page(&state.db, user.id(), id, q.before, None).await?;
            chat::window::Window {
                messages: page.messages,
                older: page.next_cursor,
                newer: None,
            }
        }
    };
    let viewer = user.id();
    let replying = match q.reply {
        Some(rid) => {
            let parent = reply_target(&state, viewer, rid).await?;
            (parent.thread_id == id && parent.deleted_at.is_none()).then_some(ReplyingTo {
                id: parent.id,
                author: parent.user.name,
                text: parent.content,
            })
        }
        None => None,
    };
    let mut msgs: Vec<MessageItem> = page
        .messages
        .into_iter()
        .map(|m| {
            let mode = if q.edit == Some(m.id) {
                Mode::Edit
            } else {
                Mode::Read
            };
            MessageItem::new(m, viewer, mode)
        })
        .collect();
    quote_parents(&state.db, &mut msgs).await?;
    if q.before.is_none() {
        mark_first_unread(&mut msgs, thread.unread_count);
    }
    let threads = ThreadItem::list(&state, viewer, Filter::Active, Some(id)).await?;
    let roster = RosterView::beside(&state, viewer, id, thread.kind).await?;
    Ok(ChatPage {
        is_group: thread.kind != ThreadKind::Direct,
        thread_id: id,
        csrf: ctx.csrf.clone(),
        ctx,
        chat: ThreadItem::with_presence(&state, vec![thread])
            .await
            .pop()
            .ok_or(AppError::NotFound("conversation"))?,
        swap: Swap::InPlace,
        msgs,
        next: page.older,
        newer: page.newer,
        replying,
        viewer,
        threads,
        roster,
    }
    .into_response()
    .pipe_wrote(q.before.is_none()))
}

/// Puts the "New" divider above the oldest of the `unread` newest messages of others
/// (at the top of the page when more are unread than it holds).
fn mark_first_unread(msgs: &mut [MessageItem], unread: i64) {
    let Ok(mut left) = usize::try_from(unread) else {
        return;
    };
    if left == 0 {
        return;
    }
    let mut first = None;
    for (i, m) in msgs.iter().enumerate().rev() {
        if left == 0 {
            break;
        }
        if !m.mine {
            left -= 1;
            first = Some(i);
        }
    }
    let first = if left > 0 { Some(0) } else { first };
    if let Some(m) = first.and_then(|i| msgs.get_mut(i)) {
        m.first_unread = true;
    }
}

/// Marks a response as having written events (the page marked the conversation read).
trait PipeWrote {
    fn pipe_wrote(self, wrote: bool) -> Response;
}

impl PipeWrote for Response {
    fn pipe_wrote(mut self, wrote: bool) -> Response {
        if wrote {
            self.extensions_mut().insert(crate::web::WroteEvents);
        }
        self
    }
}

async fn reply_target(state: &AppState, viewer: Uuid, id: Uuid) -> Result<MessageView> {
    let (model, _) = chat::messages::visible(&state.db, viewer, id).await?;
    chat::messages::view(&state.db, &model).await
}

#[derive(Deserialize)]
pub struct OlderQuery {
    before: Option<Uuid>,
    /// Newer messages than this one instead (a page opened at a message fills in).
    after: Option<Uuid>,
}

/// Messages newer than `after`, with the next "Load newer" link.
#[derive(Template)]
#[template(path = "partials/messages_newer.html")]
struct NewerPartial {
    msgs: Vec<MessageItem>,
    newer: Option<Uuid>,
    csrf: String,
    thread_id: Uuid,
    is_group: bool,
}

/// Older (or, with `after`, newer) messages: the partial for htmx, the page otherwise.
pub(in crate::web) async fn older(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
    Query(q): Query<OlderQuery>,
) -> Result<Response> {
    let thread = chat::threads::view(&state.db, id, user.id()).await?;
    if !htmx {
        let to = match (q.after, q.before) {
            (Some(a), _) => format!("/chats/{id}?message={a}#m-{a}"),
            (None, Some(b)) => format!("/chats/{id}?before={b}"),
            (None, None) => format!("/chats/{id}"),
        };
        return Ok(Redirect::to(&to).into_response());
    }
    let viewer = user.id();
    if let Some(after) = q.after {
        let window = chat::window::after(&state.db, viewer, id, after).await?;
        return render(&NewerPartial {
            msgs: read_items(&state, window.messages, viewer).await?,
            newer: window.newer,
            csrf: ctx.csrf,
            thread_id: id,
            is_group: thread.kind != ThreadKind::Direct,
        });
    }
    let page = chat::messages::page(&state.db, viewer, id, q.before, None).await?;
    render(&MessagesPartial {
        msgs: read_items(&state, page.messages, viewer).await?,
        next: page.next_cursor,
        csrf: ctx.csrf,
        thread_id: id,
        is_group: thread.kind != ThreadKind::Direct,
    })
}

/// Messages as the viewer reads them, with their replies' quotes.
async fn read_items(
    state: &AppState,
    messages: Vec<MessageView>,
    viewer: Uuid,
) -> Result<Vec<MessageItem>> {
    let mut items: Vec<MessageItem> = messages
        .into_iter()
        .map(|m| MessageItem::new(m, viewer, Mode::Read))
        .collect();
    quote_parents(&state.db, &mut items).await?;
    Ok(items)
}

/// The message partial for htmx, or back to the conversation.
pub(in crate::web) async fn message_response(
    state: &AppState,
    user: &CurrentUser,
    csrf: String,
    htmx: bool,
    thread: Uuid,
    m: MessageView,
    mode: Mode,
) -> Result<Response> {
    if !htmx {
        return Ok(to_chat(thread));
    }
    let t = chat::threads::view(&state.db, thread, user.id()).await?;
    let mut item = [MessageItem::new(m, user.id(), mode)];
    quote_parents(&state.db, &mut item).await?;
    let [m] = item;
    render(&MessagePartial {
        m,
        csrf,
        thread_id: thread,
        is_group: t.kind != ThreadKind::Direct,
    })
}

/// A message of this conversation the viewer can see.
pub(in crate::web) async fn message_in(
    state: &AppState,
    viewer: Uuid,
    thread: Uuid,
    mid: Uuid,
) -> Result<MessageView> {
    let (model, _) = chat::messages::visible(&state.db, viewer, mid).await?;
    if model.thread_id != thread {
        return Err(AppError::NotFound("message"));
    }
    chat::messages::view(&state.db, &model).await
}
