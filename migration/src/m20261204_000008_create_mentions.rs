//! Mentions: one row per person a message mentions (`@username`, or everyone through
//! `@everyone`/`@here` in a group). `thread_id` and `seq` are the message's, kept here so
//! "unread" (a mention above the person's read pointer in that thread) is answered from
//! this table and `thread_participants` alone. Rows go with their message: a delete
//! removes them, an edit rewrites them.

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
            CREATE TABLE mentions (
                user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                message_id  uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
                thread_id   uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
                seq         bigint NOT NULL,
                created_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (user_id, message_id)
            );
            CREATE INDEX mentions_by_user_newest ON mentions (user_id, created_at DESC, message_id DESC);
            CREATE INDEX mentions_by_message ON mentions (message_id);
            "#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute(manager, "DROP TABLE mentions;").await
    }
}
