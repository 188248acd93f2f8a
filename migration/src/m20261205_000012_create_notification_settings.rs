//! Notification settings: one row per person who changed them from the defaults (desktop
//! notifications on, sound off); no row means the defaults.

use sea_orm_migration::prelude::*;

use crate::execute;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute(
            manager,
            r#"
            CREATE TABLE notification_settings (
                user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
                desktop     boolean NOT NULL DEFAULT true,
                sound       boolean NOT NULL DEFAULT false,
                updated_at  timestamptz NOT NULL DEFAULT now()
            );
            "#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute(manager, "DROP TABLE notification_settings;").await
    }
}
