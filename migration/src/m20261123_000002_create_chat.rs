//! Conversations, messages and the event log.
//!
//! `threads.last_seq` is bumped under the thread's row lock by every message insert, so
//! `messages.seq` is gapless and in commit order within a thread. `events` is the
//! append-only log read by the realtime tailer; `xid` (the writing transaction's id) makes
//! its positions commit-order safe (see `src/realtime/log.rs`).

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
            CREATE TABLE threads (
                id                uuid PRIMARY KEY,
                kind              text NOT NULL CHECK (kind IN ('direct', 'group', 'open')),
                name              text,
                direct_key        text UNIQUE,
                created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
                last_seq          bigint NOT NULL DEFAULT 0,
                created_at        timestamptz NOT NULL DEFAULT now(),
                last_activity_at  timestamptz NOT NULL DEFAULT now(),
                CHECK ((kind = 'direct') = (direct_key IS NOT NULL))
            );
            CREATE UNIQUE INDEX threads_one_open_room ON threads (kind) WHERE kind = 'open';

            CREATE TABLE thread_participants (
                thread_id      uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
                user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                role           text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
                joined_at      timestamptz NOT NULL DEFAULT now(),
                left_at        timestamptz,
                read_seq       bigint NOT NULL DEFAULT 0,
                delivered_seq  bigint NOT NULL DEFAULT 0,
                archived       boolean NOT NULL DEFAULT false,
                muted          boolean NOT NULL DEFAULT false,
                PRIMARY KEY (thread_id, user_id)
            );
            CREATE INDEX thread_participants_user_idx ON thread_participants (user_id) WHERE left_at IS NULL;

            CREATE TABLE messages (
                id           uuid PRIMARY KEY,
                thread_id    uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
                seq          bigint NOT NULL,
                author_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                content      text NOT NULL,
                reply_to_id  uuid REFERENCES messages (id) ON DELETE SET NULL,
                client_id    text,
                created_at   timestamptz NOT NULL DEFAULT now(),
                edited_at    timestamptz,
                deleted_at   timestamptz,
                search       tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,
                UNIQUE (thread_id, seq)
            );
            CREATE UNIQUE INDEX messages_client_id_key ON messages (author_id, client_id) WHERE client_id IS NOT NULL;
            CREATE INDEX messages_search_idx ON messages USING gin (search);

            CREATE TABLE message_edits (
                id                bigserial PRIMARY KEY,
                message_id        uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
                previous_content  text NOT NULL,
                edited_at         timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX message_edits_message_idx ON message_edits (message_id);

            CREATE TABLE reactions (
                message_id  uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
                user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                emoji       text NOT NULL,
                created_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (message_id, user_id, emoji)
            );

            CREATE TABLE blocks (
                blocker_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                blocked_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                created_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (blocker_id, blocked_id),
                CHECK (blocker_id <> blocked_id)
            );

            CREATE TABLE events (
                id          bigserial PRIMARY KEY,
                xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
                thread_id   uuid,
                user_id     uuid,
                kind        text NOT NULL,
                payload     jsonb NOT NULL,
                created_at  timestamptz NOT NULL DEFAULT now(),
                CHECK (thread_id IS NOT NULL OR user_id IS NOT NULL)
            );
            CREATE INDEX events_position_idx ON events (xid, id);
            CREATE INDEX events_created_at_idx ON events (created_at);

            INSERT INTO threads (id, kind, name) VALUES (gen_random_uuid(), 'open', 'General');
            "#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP TABLE events, blocks, reactions, message_edits, messages, \
                 thread_participants, threads;",
            )
            .await?;
        Ok(())
    }
}
