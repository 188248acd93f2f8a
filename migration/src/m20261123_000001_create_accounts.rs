//! Accounts: users, browser sessions and API tokens.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"
            CREATE TABLE users (
                id              uuid PRIMARY KEY,
                username        text NOT NULL,
                display_name    text NOT NULL,
                email           text,
                password_hash   text NOT NULL,
                system_role     text NOT NULL DEFAULT 'MEMBER'
                                CHECK (system_role IN ('OWNER', 'ADMIN', 'MEMBER')),
                avatar_key      text,
                last_seen_at    timestamptz,
                deactivated_at  timestamptz,
                created_at      timestamptz NOT NULL DEFAULT now(),
                updated_at      timestamptz NOT NULL DEFAULT now()
            );
            CREATE UNIQUE INDEX users_username_key ON users (lower(username));
            CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;

            CREATE TABLE sessions (
                id           text PRIMARY KEY,
                user_id      uuid REFERENCES users (id) ON DELETE CASCADE,
                data         jsonb NOT NULL,
                expires_at   timestamptz NOT NULL
            );
            CREATE INDEX sessions_user_id_idx ON sessions (user_id);
            CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

            CREATE TABLE api_tokens (
                id            uuid PRIMARY KEY,
                user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                name          text NOT NULL,
                token_hash    bytea NOT NULL UNIQUE,
                created_at    timestamptz NOT NULL DEFAULT now(),
                last_used_at  timestamptz,
                revoked_at    timestamptz
            );
            CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);
            "#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE api_tokens; DROP TABLE sessions; DROP TABLE users;")
            .await?;
        Ok(())
    }
}
