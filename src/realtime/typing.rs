//! Typing notices: ephemeral, rate-limited per user and thread, sent to the thread's
//! other members on every instance and never stored.

use std::time::{Duration, Instant};

use uuid::Uuid;

use super::{
    Realtime,
    bus::{Audience, Ephemeral},
};
use crate::{accounts::User, chat, error::Result, eventlog::Kind};

/// At most one typing notice per user and thread in this interval.
pub const TYPING_EVERY: Duration = Duration::from_secs(2);

impl Realtime {
    /// Tells the thread's other members that `user` is typing (at most every
    /// [`TYPING_EVERY`]); "not found" for non-members.
    pub async fn typing(&self, user: &User, thread: Uuid) -> Result<()> {
        let rt = &self.0;
        let member = chat::threads::membership(&rt.db, thread, user.id).await?;
        chat::blocks::ensure_not_blocked_in(&rt.db, &member).await?;
        {
            let mut typing = rt.typing.lock().expect("typing lock");
            let now = Instant::now();
            match typing.get(&(user.id, thread)) {
                Some(at) if now.duration_since(*at) < TYPING_EVERY => return Ok(()),
                _ => typing.insert((user.id, thread), now),
            };
        }
        let message = Ephemeral {
            topic: Kind::Typing.as_str().into(),
            audience: Audience::Thread { thread },
            subject: user.id,
            data: serde_json::json!({
                "threadId": thread, "userId": user.id, "name": user.display_name,
            })
            .to_string(),
        };
        rt.deliver_ephemeral(&message).await;
        rt.bus.publish(&message).await;
        Ok(())
    }
}
