//! Conversations and membership: the list and each member's view of a thread ([`query`]),
//! who is in a thread and leaving it ([`membership`]), groups ([`groups`]), direct
//! conversations, one per pair ([`direct`]), the open room everyone is in ([`open`]), and
//! a thread's members a page at a time, online first ([`roster`]).

mod direct;
mod groups;
mod membership;
mod open;
mod query;
mod roster;

pub use direct::direct;
pub use groups::{add_members, create_group, remove_member, rename};
pub use membership::{Membership, active_member_ids, announce, leave, membership, set_archived};
pub use open::{sign_up, sign_up_invited};
pub use query::{Filter, list, own_views, view, views_for, views_upto};
pub use roster::{MAX_PAGE as MAX_ROSTER_PAGE, Roster, member_ids, roster};

/// Most members a group may have.
pub const MAX_GROUP_MEMBERS: usize = 20_000;
/// Most user ids one create/add call may name.
pub const MAX_IDS_PER_CALL: usize = 1_000;
/// Members listed in a Thread object.
const LISTED_PARTICIPANTS: i64 = 100;
