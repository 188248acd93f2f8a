//! The event stream's payloads, for the OpenAPI document only: one schema per event kind
//! (`MessageCreatedEvent`, ...) and [`StreamEvent`], the `oneOf` of them all that
//! `/api/chat/sse` answers with. The stream itself serializes the domain views
//! (`MessageView`, `ThreadView`, `PresenceView`) and small JSON objects; the test
//! `every_event_kind_matches_its_schema` keeps these shapes honest.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    chat::{MessageView, ThreadView},
    realtime::PresenceView,
};

/// `message.created`: a message was sent to one of the caller's conversations.
#[derive(Serialize, ToSchema)]
pub struct MessageCreatedEvent(pub MessageView);

/// `message.updated`: a message was edited, or its reactions changed.
#[derive(Serialize, ToSchema)]
pub struct MessageUpdatedEvent(pub MessageView);

/// `message.deleted`: a message became a tombstone.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageDeletedEvent {
    pub id: Uuid,
    pub thread_id: Uuid,
}

/// `thread.updated`: a conversation as the caller now sees it (name, members, archive
/// state, last message, unread count), whenever that changes for the caller. Updates
/// that follow messages and reads summarize events delivered under their own ids and
/// carry no `id:`; they are spaced out per conversation (at most four a second).
#[derive(Serialize, ToSchema)]
pub struct ThreadUpdatedEvent(pub ThreadView);

/// `thread.removed`: the caller left or was removed from a conversation.
#[derive(Serialize, ToSchema)]
pub struct ThreadRemovedEvent {
    pub id: Uuid,
}

/// `read`: a member's read pointer moved to `messageId`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadEvent {
    pub thread_id: Uuid,
    pub user_id: Uuid,
    pub message_id: Uuid,
}

/// `delivered`: `messageId` reached the member `userId`, or every member when `userId` is
/// null (in groups of more than 32 members; sent only to the authors of the messages it
/// newly covers).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredEvent {
    pub thread_id: Uuid,
    pub user_id: Option<Uuid>,
    pub message_id: Uuid,
}

/// `mentions.updated`: the caller's count of unread mentions changed (someone mentioned
/// them, a mention was edited away or deleted, or they read a conversation with one).
#[derive(Serialize, ToSchema)]
pub struct MentionsUpdatedEvent {
    pub unread: i64,
}

/// `typing`: another member is typing (sent at most every few seconds while they type).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypingEvent {
    pub thread_id: Uuid,
    pub user_id: Uuid,
    /// Their display name.
    pub name: String,
}

/// `presence`: someone the caller shares a conversation with came online or went away.
#[derive(Serialize, ToSchema)]
pub struct PresenceEvent(pub PresenceView);

/// `reset`: the stream cannot resume from the `Last-Event-ID` given (unknown or pruned):
/// reload threads and messages, then carry on with the events that follow.
#[derive(Serialize, ToSchema)]
pub struct ResetEvent {}

/// One frame of `/api/chat/sse`: its `event:` line is `event` here, its `data:` line the
/// JSON `data`, and its `id:` line an opaque position to resume from.
#[derive(Serialize, ToSchema)]
#[serde(tag = "event", content = "data")]
pub enum StreamEvent {
    #[serde(rename = "message.created")]
    MessageCreated(MessageCreatedEvent),
    #[serde(rename = "message.updated")]
    MessageUpdated(MessageUpdatedEvent),
    #[serde(rename = "message.deleted")]
    MessageDeleted(MessageDeletedEvent),
    #[serde(rename = "thread.updated")]
    ThreadUpdated(ThreadUpdatedEvent),
    #[serde(rename = "thread.removed")]
    ThreadRemoved(ThreadRemovedEvent),
    #[serde(rename = "read")]
    Read(ReadEvent),
    #[serde(rename = "delivered")]
    Delivered(DeliveredEvent),
    #[serde(rename = "mentions.updated")]
    MentionsUpdated(MentionsUpdatedEvent),
    #[serde(rename = "typing")]
    Typing(TypingEvent),
    #[serde(rename = "presence")]
    Presence(PresenceEvent),
    #[serde(rename = "reset")]
    Reset(ResetEvent),
}
