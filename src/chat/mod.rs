//! The chat domain: conversations, membership, messages, reactions, read pointers and
//! blocks. Rules and authorization live here (a non-member gets "not found"); no HTTP
//! types. Every change writes its events to the log in the same transaction.

pub mod attachments;
pub mod blocks;
pub mod contacts;
pub mod fields;
pub mod markup;
pub mod mentions;
mod message_views;
pub mod messages;
pub mod reactions;
pub mod reads;
pub mod search;
pub mod sending;
pub mod threads;
pub mod views;
pub mod window;
pub mod writer;

pub use message_views::{ParentQuote, parent_quotes};
pub use views::{MessagePage, MessageView, ThreadView};
