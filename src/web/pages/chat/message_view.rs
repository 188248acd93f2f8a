//! How messages and the conversation heading look on a page: the view models and the
//! partials that the page, htmx answers and the page stream all render.

use askama::Template;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{QUICK_REACTIONS, list::ThreadItem};
use crate::{
    chat::{self, MessageView, ParentQuote, views::DeliveryStatus},
    error::{AppError, Result},
    web::pages::stamp::Stamp,
};

/// How a partial lands on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Swap {
    /// Where the request put it (the page itself, or an htmx target).
    InPlace,
    /// Out of band: it replaces the element with its id, wherever that is (the stream).
    OutOfBand,
}

/// Whether a message shows as text or as its edit form (the author's own, not deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Read,
    Edit,
}

impl Swap {
    pub fn is_out_of_band(self) -> bool {
        self == Self::OutOfBand
    }
}

pub struct Reaction {
    pub(super) emoji: String,
    pub(super) count: usize,
    pub(super) mine: bool,
}

/// A message as the viewer sees it.
pub struct MessageItem {
    pub(super) message: MessageView,
    pub(super) mine: bool,
    pub(super) editing: bool,
    pub(super) time: Stamp,
    /// The first message the viewer had not read when the page opened ("New" above it).
    pub(super) first_unread: bool,
    pub(super) reactions: Vec<Reaction>,
    /// Quick reactions the viewer has not used yet.
    pub(super) quick: Vec<&'static str>,
    /// How the partial lands on the page.
    pub(super) swap: Swap,
    /// The quote of the message this one replies to (see [`quote_parents`]).
    pub(super) parent: Option<ParentQuote>,
}

impl MessageItem {
    pub(super) fn new(message: MessageView, viewer: Uuid, mode: Mode) -> Self {
        let time = Stamp::new(message.created_at);
        let reactions: Vec<Reaction> = message
            .reactions
            .iter()
            .map(|r| Reaction {
                emoji: r.emoji.clone(),
                count: r.count,
                mine: r.user_ids.contains(&viewer),
            })
            .collect();
        let quick = QUICK_REACTIONS
            .iter()
            .copied()
            .filter(|q| !reactions.iter().any(|r| r.emoji == *q && r.mine))
            .collect();
        Self {
            mine: message.user_id == viewer,
            editing: mode == Mode::Edit
                && message.user_id == viewer
                && message.deleted_at.is_none(),
            time,
            first_unread: false,
            reactions,
            quick,
            swap: Swap::InPlace,
            parent: None,
            message,
        }
    }
}

/// Fills in the quote of each reply's parent, whether or not the parent is on the page.
pub(super) async fn quote_parents(
    conn: &impl ConnectionTrait,
    items: &mut [MessageItem],
) -> Result<()> {
    let ids: Vec<Uuid> = items.iter().filter_map(|m| m.message.reply_to_id).collect();
    let quotes = chat::parent_quotes(conn, &ids).await?;
    for m in items.iter_mut() {
        m.parent = m
            .message
            .reply_to_id
            .and_then(|id| quotes.get(&id).cloned());
    }
    Ok(())
}

/// The conversation's heading: name, members, and the other person's presence.
#[derive(Template)]
#[template(path = "partials/chat_heading.html")]
pub struct ChatHeading {
    pub(super) chat: ThreadItem,
    pub(super) swap: Swap,
}

/// One message's ticks (status and "read by N of M"), alone.
#[derive(Template)]
#[template(path = "partials/ticks.html")]
struct TicksPartial {
    m: MessageItem,
    is_group: bool,
}

/// The HTML of one message for `viewer`, landing as `swap` says.
pub(super) async fn message_html(
    conn: &impl ConnectionTrait,
    message: MessageView,
    viewer: Uuid,
    csrf: &str,
    is_group: bool,
    swap: Swap,
) -> Result<String> {
    let thread_id = message.thread_id;
    let mut m = [MessageItem::new(message, viewer, Mode::Read)];
    quote_parents(conn, &mut m).await?;
    let [mut m] = m;
    m.swap = swap;
    MessagePartial {
        m,
        csrf: csrf.to_owned(),
        thread_id,
        is_group,
    }
    .render()
    .map_err(AppError::from)
}

/// The ticks of one of the viewer's messages, replacing those on the page.
pub(super) fn ticks_html(message: MessageView, viewer: Uuid, is_group: bool) -> Result<String> {
    let mut m = MessageItem::new(message, viewer, Mode::Read);
    m.swap = Swap::OutOfBand;
    TicksPartial { m, is_group }
        .render()
        .map_err(AppError::from)
}

/// One message, alone (htmx swaps).
#[derive(Template)]
#[template(path = "partials/message.html")]
pub struct MessagePartial {
    pub(super) m: MessageItem,
    pub(super) csrf: String,
    pub(super) thread_id: Uuid,
    pub(super) is_group: bool,
}

/// A page of messages (oldest first) with its "Load older" button.
#[derive(Template)]
#[template(path = "partials/messages_page.html")]
pub struct MessagesPartial {
    pub(super) msgs: Vec<MessageItem>,
    pub(super) next: Option<Uuid>,
    pub(super) csrf: String,
    pub(super) thread_id: Uuid,
    pub(super) is_group: bool,
}
