//! Live delivery support.
//!
//! - `events.payload` becomes `json`: the text is kept as written (compact, the same key
//!   order as the API's objects), and streams forward it without re-encoding.
//! - `event_log_state` remembers how far the log has been pruned, so a stream resuming
//!   from an older position gets a `reset` instead of a silent gap.
//! - `threads.member_count` is kept by the membership code, so sends and receipts do not
//!   count a large group's rows every time; `threads.delivered_upto` is how far the thread
//!   is delivered to every member (announced once per move in large groups).
//! - A partial index finds the few archived memberships a new message must unarchive.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                r#"
            ALTER TABLE events ALTER COLUMN payload TYPE json USING payload::json;

            CREATE TABLE event_log_state (
                singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                pruned_xid   xid8 NOT NULL,
                pruned_id    bigint NOT NULL,
                pruned_at    timestamptz NOT NULL DEFAULT now()
            );

            ALTER TABLE threads ADD COLUMN member_count integer NOT NULL DEFAULT 0,
                                ADD COLUMN delivered_upto bigint NOT NULL DEFAULT 0;
            UPDATE threads t SET member_count = (
                SELECT count(*) FROM thread_participants p
                WHERE p.thread_id = t.id AND p.left_at IS NULL);

            CREATE INDEX thread_participants_archived_idx ON thread_participants (thread_id)
                WHERE archived AND left_at IS NULL;
            "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX thread_participants_archived_idx;
                 ALTER TABLE threads DROP COLUMN member_count, DROP COLUMN delivered_upto;
                 DROP TABLE event_log_state;
                 ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb;",
            )
            .await?;
        Ok(())
    }
}
