//! SeaORM entities: one module per table, in SeaORM's generated shape. Behaviour lives in
//! the domain modules, not here.

pub mod api_tokens;
pub mod attachments;
pub mod blocks;
pub mod events;
pub mod message_edits;
pub mod messages;
pub mod reactions;
pub mod sessions;
pub mod thread_participants;
pub mod threads;
pub mod users;
