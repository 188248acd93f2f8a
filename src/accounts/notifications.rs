//! A person's notification settings: desktop notifications for direct messages and
//! mentions (on unless turned off) and a sound with them (off unless turned on). Stored in
//! `notification_settings`; a person without a row has the defaults.

use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::{db::stmt, error::Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, FromQueryResult)]
pub struct NotificationSettings {
    pub desktop: bool,
    pub sound: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            desktop: true,
            sound: false,
        }
    }
}

/// The user's settings (the defaults if they never changed them).
pub async fn get(conn: &impl ConnectionTrait, user: Uuid) -> Result<NotificationSettings> {
    Ok(NotificationSettings::find_by_statement(stmt(
        "SELECT desktop, sound FROM notification_settings WHERE user_id = $1",
        [user.into()],
    ))
    .one(conn)
    .await?
    .unwrap_or_default())
}

pub async fn set(
    conn: &impl ConnectionTrait,
    user: Uuid,
    settings: NotificationSettings,
) -> Result<()> {
    conn.execute_raw(stmt(
        "INSERT INTO notification_settings (user_id, desktop, sound) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE
           SET desktop = EXCLUDED.desktop, sound = EXCLUDED.sound, updated_at = now()",
        [user.into(), settings.desktop.into(), settings.sound.into()],
    ))
    .await?;
    Ok(())
}
