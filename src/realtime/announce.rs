//! Telling people about presence: who hears about whom, online and offline notices, and
//! the presence API's answers. The bookkeeping of who is online is [`super::presence`].

use sea_orm::FromQueryResult;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    Inner, Realtime,
    bus::{Audience, Ephemeral},
};
use crate::{
    accounts::{Status, User},
    db::stmt,
    error::Result,
    eventlog::Kind,
};

/// Presence changes are pushed to people who share a direct conversation or a group up to
/// this size with the user; larger rooms ask (`GET /api/chat/presence`) instead of being
/// told about everyone all the time.
pub const PRESENCE_PUSH_UP_TO: i32 = 100;

/// A user's presence (`presence` events and `GET /api/chat/presence`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresenceView {
    pub user_id: Uuid,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
}

impl Realtime {
    /// A presence heartbeat from a client without a stream (`online` false ends it).
    pub async fn heartbeat(&self, user: Uuid, online: bool) {
        let rt = &self.0;
        let connected = rt.registry.is_connected(user);
        if rt.presence.heartbeat(user, online, connected) && rt.presence.share_arrival(user).await {
            rt.announce_presence(user, true).await;
        }
    }

    /// The presence of each of `users`.
    pub async fn presence_of(&self, users: &[User]) -> Vec<PresenceView> {
        let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
        let online = self.0.presence.online_among(&ids).await;
        users
            .iter()
            .map(|u| PresenceView {
                user_id: u.id,
                status: Status::online(online.contains(&u.id)),
                last_seen: u.last_seen_at,
            })
            .collect()
    }

    /// Which of `users` are online.
    pub async fn online_among(&self, users: &[Uuid]) -> std::collections::HashSet<Uuid> {
        self.0.presence.online_among(users).await
    }

    /// The people whose presence `user` is told about.
    pub async fn presence_audience(&self, user: Uuid) -> Result<Vec<Uuid>> {
        self.0.presence_audience(user).await
    }
}

impl Inner {
    pub(super) async fn presence_audience(&self, user: Uuid) -> Result<Vec<Uuid>> {
        #[derive(FromQueryResult)]
        struct Row {
            user_id: Uuid,
        }
        Ok(Row::find_by_statement(stmt(
            // The small threads first, whatever the statistics say: planned the other way
            // round, every arrival reads all members of every big group the user is in.
            "WITH small AS MATERIALIZED (
               SELECT p.thread_id FROM thread_participants p
               JOIN threads t ON t.id = p.thread_id AND t.kind <> 'open' AND t.member_count <= $2
               WHERE p.user_id = $1 AND p.left_at IS NULL)
             SELECT DISTINCT q.user_id FROM small
             JOIN thread_participants q ON q.thread_id = small.thread_id AND q.left_at IS NULL
               AND q.user_id <> $1",
            [user.into(), PRESENCE_PUSH_UP_TO.into()],
        ))
        .all(&self.db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect())
    }

    /// Tells the user's audience they came online, or went offline (and records when they
    /// were last seen: a write only when leaving, so a crowd connecting writes nothing).
    pub(super) async fn announce_presence(&self, user: Uuid, online: bool) {
        #[derive(FromQueryResult)]
        struct Seen {
            last_seen_at: Option<OffsetDateTime>,
        }
        let seen = if online {
            Some(OffsetDateTime::now_utc())
        } else {
            let seen = Seen::find_by_statement(stmt(
                "UPDATE users SET last_seen_at = now() WHERE id = $1 RETURNING last_seen_at",
                [user.into()],
            ))
            .one(&self.db)
            .await;
            match seen {
                Ok(seen) => seen.and_then(|s| s.last_seen_at),
                Err(err) => {
                    tracing::warn!(%err, "recording last seen failed");
                    return;
                }
            }
        };
        let audience = match self.presence_audience(user).await {
            Ok(audience) => audience,
            Err(err) => {
                tracing::warn!(%err, "finding who to tell about presence failed");
                return;
            }
        };
        let view = PresenceView {
            user_id: user,
            status: Status::online(online),
            last_seen: seen,
        };
        let Ok(data) = serde_json::to_string(&view) else {
            return;
        };
        let message = Ephemeral {
            topic: Kind::Presence.as_str().into(),
            audience: Audience::Users { users: audience },
            subject: user,
            data,
        };
        self.deliver_ephemeral(&message).await;
        self.bus.publish(&message).await;
    }
}
