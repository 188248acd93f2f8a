//! Attachments: files uploaded to a message. A row is written when the upload finishes
//! (`message_id` NULL: not yet sent); sending a message claims its uploader's rows once.
//! `storage_key` is generated, never derived from the file name. Images get
//! `width`/`height` and a `thumbnail_key` from a background job; `ready` is false while
//! that job has not yet stripped the image's metadata (until then it is not served).

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
            CREATE TABLE attachments (
                id             uuid PRIMARY KEY,
                uploader_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                message_id     uuid REFERENCES messages (id) ON DELETE CASCADE,
                position       smallint NOT NULL DEFAULT 0,
                name           text NOT NULL,
                content_type   text NOT NULL,
                size           bigint NOT NULL,
                sha256         text NOT NULL,
                storage_key    text NOT NULL UNIQUE,
                is_image       boolean NOT NULL DEFAULT false,
                ready          boolean NOT NULL DEFAULT true,
                width          integer,
                height         integer,
                thumbnail_key  text,
                created_at     timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX attachments_by_message ON attachments (message_id, position)
                WHERE message_id IS NOT NULL;
            CREATE INDEX attachments_unclaimed ON attachments (created_at)
                WHERE message_id IS NULL;
            "#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute(manager, "DROP TABLE attachments;").await
    }
}
