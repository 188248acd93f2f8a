//! One-time links an admin hands out: an invite (registers one account even when
//! registration is closed) or a password reset for one user. Only the SHA-256 of the
//! link's secret is stored; each link expires and works once (`used_at`).

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
            CREATE TABLE one_time_links (
                id          uuid PRIMARY KEY,
                purpose     text NOT NULL CHECK (purpose IN ('invite', 'password_reset')),
                token_hash  bytea NOT NULL UNIQUE,
                user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
                created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
                expires_at  timestamptz NOT NULL,
                used_at     timestamptz,
                created_at  timestamptz NOT NULL DEFAULT now(),
                CHECK ((purpose = 'password_reset') = (user_id IS NOT NULL))
            );
            "#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute(manager, "DROP TABLE one_time_links;").await
    }
}
