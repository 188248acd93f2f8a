//! The public shape of a user (the API's `User`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::entities::users::{self, SystemRole};

/// Whether a user is online (has an open stream) right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Online,
    #[default]
    Offline,
}

impl Status {
    pub fn online(online: bool) -> Self {
        if online { Self::Online } else { Self::Offline }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub name: String,
    /// Avatar URL (an identicon unless the user uploaded one).
    pub image: String,
    /// `ONLINE` while the user has an open stream, `OFFLINE` otherwise.
    pub status: Status,
    pub system_role: SystemRole,
    /// When the user was last online; shown only to people who share a conversation
    /// with them (and to admins).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
    /// Present only in admin listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<bool>,
}

impl UserView {
    pub fn new(user: &users::Model) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            name: user.display_name.clone(),
            image: image_url(user),
            status: Status::Offline,
            system_role: user.system_role,
            last_seen: None,
            deactivated: None,
        }
    }

    pub fn for_admin(user: &users::Model) -> Self {
        Self {
            deactivated: Some(user.deactivated_at.is_some()),
            last_seen: user.last_seen_at,
            ..Self::new(user)
        }
    }
}

/// The last part of the URL of `user`'s profile picture, if they have one.
pub fn picture_file(user: &users::Model) -> Option<&str> {
    user.avatar_key.as_deref()?.strip_prefix("avatar/")
}

/// Where `user`'s avatar is served: their picture, or the identicon when they have none.
pub fn image_url(user: &users::Model) -> String {
    match picture_file(user) {
        Some(file) => format!("/avatars/{}/{file}", user.id),
        None => format!("/avatars/{}.svg", user.id),
    }
}
