//! Events by thread: deleting a message rewrites the retained events that carry its text,
//! and those are found through this index instead of a scan of the whole log.

use sea_orm_migration::prelude::*;

use crate::execute;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute(
            manager,
            "CREATE INDEX events_thread_idx ON events (thread_id) WHERE thread_id IS NOT NULL",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute(manager, "DROP INDEX events_thread_idx").await
    }
}
