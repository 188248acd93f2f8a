//! What one logged event means for delivery, decided once and used both by the live
//! tailer and by a stream replaying its backlog, so the two paths cannot disagree.

use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::delivery::{Delivery, Item, MessageMeta};
use crate::eventlog::{Kind, Life, LoggedEvent, Position, Revocation};

pub enum Route {
    /// For the thread's members at delivery time (but the item's subject).
    Members(Uuid, Item),
    /// For one user; first forget `invalidates`' members (they just left it).
    User {
        user: Uuid,
        item: Item,
        invalidates: Option<Uuid>,
    },
    /// The thread's name or members changed: each member gets it as they see it.
    ThreadViews {
        thread: Uuid,
        position: Position,
        written_at: OffsetDateTime,
    },
    /// Only the thread's member cache changes.
    MembersChanged(Uuid),
    /// Close the user's streams that `Revocation` covers.
    Revoke(Uuid, Revocation, Position),
    /// The user's account changed: forget what is cached about them.
    UserChanged(Uuid),
    /// Nothing to deliver (an unknown kind from a newer version, or a malformed row).
    Ignore,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatedMeta {
    seq: i64,
    user_id: Uuid,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptMeta {
    user_id: Option<Uuid>,
}

pub fn route(e: &LoggedEvent) -> Route {
    let Some(kind) = e.kind else {
        return Route::Ignore;
    };
    match kind {
        Kind::AuthRevoked => {
            return match (e.user_id, serde_json::from_str(&e.payload)) {
                (Some(user), Ok(which)) => Route::Revoke(user, which, e.position),
                _ => Route::Ignore,
            };
        }
        Kind::MembersChanged => return e.thread_id.map_or(Route::Ignore, Route::MembersChanged),
        Kind::UserChanged => return e.user_id.map_or(Route::Ignore, Route::UserChanged),
        Kind::ThreadChanged => {
            return e
                .thread_id
                .map_or(Route::Ignore, |thread| Route::ThreadViews {
                    thread,
                    position: e.position,
                    written_at: e.created_at,
                });
        }
        _ if kind.life() != Life::Logged => return Route::Ignore,
        _ => {}
    }
    let mut delivery =
        Delivery::new(Some(e.position), kind, e.thread_id, &e.payload).written(e.created_at);
    match kind {
        Kind::MessageCreated => {
            if let Ok(meta) = serde_json::from_str::<CreatedMeta>(&e.payload) {
                delivery.message = Some(MessageMeta {
                    seq: meta.seq,
                    author: meta.user_id,
                });
            }
        }
        // A member's receipt is news to everyone but its owner. A group's has no owner
        // and is written once for each author it concerns, to them (`reads`).
        Kind::Delivered => {
            if let Ok(ReceiptMeta {
                user_id: Some(owner),
            }) = serde_json::from_str(&e.payload)
            {
                delivery = delivery.about(owner);
            }
        }
        _ => {}
    }
    let item = delivery.shared();
    match (e.user_id, e.thread_id) {
        (Some(user), thread) => Route::User {
            user,
            item,
            invalidates: if kind == Kind::ThreadRemoved {
                thread
            } else {
                None
            },
        },
        (None, Some(thread)) => Route::Members(thread, item),
        (None, None) => Route::Ignore,
    }
}
