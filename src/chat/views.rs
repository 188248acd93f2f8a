//! The public shapes of conversations and messages (the API's `Thread` and `Message`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    accounts::UserView,
    entities::{thread_participants::ThreadRole, threads::ThreadKind},
};

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadView {
    pub id: Uuid,
    pub kind: ThreadKind,
    /// The group's name, or the other person's name in a direct conversation.
    pub name: String,
    /// Members (the first 100; the open room lists none: everyone is in it).
    pub participants: Vec<UserView>,
    pub member_count: i64,
    pub last_message: Option<LastMessage>,
    pub unread_count: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub archived: bool,
    /// The viewer's role in the thread: `admin` or `member`.
    pub role: ThreadRole,
    /// The other person in a direct conversation.
    pub peer_id: Option<Uuid>,
}

impl ThreadView {
    /// The other person in a direct conversation, as listed.
    pub fn peer(&self) -> Option<&UserView> {
        let id = self.peer_id?;
        self.participants.iter().find(|p| p.id == id)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastMessage {
    pub id: Uuid,
    pub user_id: Uuid,
    /// Empty when the message was deleted.
    pub content: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub deleted: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReactionView {
    pub emoji: String,
    pub count: usize,
    pub user_ids: Vec<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub id: Uuid,
    pub thread_id: Uuid,
    pub user_id: Uuid,
    pub user: UserView,
    /// Empty for a deleted message (the tombstone keeps its place).
    pub content: String,
    /// `content` as the pages show it: Markdown rendered to sanitized HTML (code, quotes,
    /// lists, emphasis, links with `rel="noopener nofollow ugc"`; no raw HTML, no images).
    pub content_html: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
    pub reply_to_id: Option<Uuid>,
    pub client_id: Option<String>,
    /// Files sent with the message, in the order they were attached.
    pub attachments: Vec<super::attachments::AttachmentView>,
    pub reactions: Vec<ReactionView>,
    pub status: DeliveryStatus,
    /// Recipients whose read pointer passed this message ("read by N of M").
    pub read_count: usize,
    pub recipient_count: usize,
    /// Position within the thread (commit order).
    pub seq: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// Pass as `before` to get the next older page; null when there is none.
    pub next_cursor: Option<Uuid>,
}

/// A message's kept versions, newest (the current text) first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageHistory {
    pub message_id: Uuid,
    pub thread_id: Uuid,
    pub versions: Vec<MessageVersion>,
}

/// One version of a message's text.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageVersion {
    pub content: String,
    /// `content` rendered as the pages show it.
    pub content_html: String,
    /// When this text was written; null when older versions were dropped (the history
    /// keeps the newest 50).
    #[serde(with = "time::serde::rfc3339::option")]
    pub since: Option<OffsetDateTime>,
    /// The message reads this way now.
    pub current: bool,
}

impl MessageVersion {
    pub fn new(content: String, since: Option<OffsetDateTime>, current: bool) -> Self {
        Self {
            content_html: super::markup::to_html(&content),
            content,
            since,
            current,
        }
    }
}
