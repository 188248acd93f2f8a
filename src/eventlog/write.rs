//! Appending to the log: the one place that writes event rows. Every writer calls
//! [`append`] or [`append_many`] in its own transaction, or embeds [`insert_sql`] in a
//! larger statement when the rows are computed by SQL (a send, a delivery receipt).

use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Kind;
use crate::db::stmt;

/// Stands for "none" in uuid arrays (which cannot hold NULL here); never a real id.
pub const NONE: Uuid = Uuid::nil();

/// Who an event is for.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// Every member of the thread at delivery time.
    Thread(Uuid),
    /// One user.
    User(Uuid),
    /// One user, about one thread (e.g. they were removed from it).
    UserThread { user: Uuid, thread: Uuid },
}

impl Scope {
    fn columns(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Self::Thread(thread) => (Some(thread), None),
            Self::User(user) => (None, Some(user)),
            Self::UserThread { user, thread } => (Some(thread), Some(user)),
        }
    }
}

/// An `INSERT` that appends the rows of `rows`, in their order, as events of `kind`.
/// `rows` is a query with the columns `thread_id uuid, user_id uuid, payload json`;
/// the result can stand alone or as a part (`WITH e AS (…)`) of a larger statement.
pub fn insert_sql(kind: Kind, rows: &str) -> String {
    format!(
        "INSERT INTO events (thread_id, user_id, kind, payload)
         SELECT new_event.thread_id, new_event.user_id, '{kind}', new_event.payload
         FROM ({rows}) AS new_event"
    )
}

/// Appends one event in the caller's transaction.
pub async fn append(
    conn: &impl ConnectionTrait,
    scope: Scope,
    kind: Kind,
    payload: &impl Serialize,
) -> Result<(), DbErr> {
    append_many(conn, kind, [(scope, payload)]).await
}

/// Appends events of one kind, in order, in the caller's transaction (one statement).
pub async fn append_many<P: Serialize>(
    conn: &impl ConnectionTrait,
    kind: Kind,
    events: impl IntoIterator<Item = (Scope, P)>,
) -> Result<(), DbErr> {
    let mut threads = Vec::new();
    let mut users = Vec::new();
    let mut payloads = Vec::new();
    for (scope, payload) in events {
        let (thread, user) = scope.columns();
        threads.push(thread.unwrap_or(NONE));
        users.push(user.unwrap_or(NONE));
        payloads.push(serde_json::to_string(&payload).map_err(|e| DbErr::Custom(e.to_string()))?);
    }
    if payloads.is_empty() {
        return Ok(());
    }
    let sql = insert_sql(
        kind,
        "SELECT NULLIF(thread_id, $4) AS thread_id, NULLIF(user_id, $4) AS user_id,
           payload::json AS payload
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY
           AS e(thread_id, user_id, payload, i)
         ORDER BY i",
    );
    conn.execute_raw(stmt(
        &sql,
        [threads.into(), users.into(), payloads.into(), NONE.into()],
    ))
    .await?;
    Ok(())
}

/// Which of a user's credentials ended (the payload of an `auth.revoked` event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "revoke", content = "which", rename_all = "camelCase")]
pub enum Revocation {
    All,
    /// One session, by the digest of its id.
    Session(String),
    /// One API token, by id.
    Token(Uuid),
    /// Every session but one. Written by earlier versions only: a password change now
    /// names the sessions it ended ([`Revocation::Sessions`]).
    SessionsExcept(Option<String>),
    /// These sessions, by the digests of their ids.
    Sessions(Vec<String>),
}

/// Records, in the caller's transaction, that some of `user`'s credentials ended: their
/// open streams close as soon as the log reaches this point.
pub async fn revoke(
    conn: &impl ConnectionTrait,
    user: Uuid,
    which: Revocation,
) -> Result<(), DbErr> {
    append(conn, Scope::User(user), Kind::AuthRevoked, &which).await
}

/// Removes a deleted message's text from the events still retained: its
/// `message.created` and `message.updated` payloads become the tombstone, and a
/// `thread.updated` whose `lastMessage` it is shows it deleted. Run it in the deleting
/// transaction, so a replay never serves the text after the delete commits.
pub async fn redact_message(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    message: Uuid,
) -> Result<(), DbErr> {
    conn.execute_raw(stmt(
        &format!(
            "UPDATE events SET payload = (CASE
               WHEN kind = '{thread_updated}' THEN jsonb_set(payload::jsonb, '{{lastMessage}}',
                 (payload::jsonb -> 'lastMessage')
                   || jsonb_build_object('content', '', 'deleted', true))
               ELSE payload::jsonb || jsonb_build_object('content', '', 'contentHtml', '', 'reactions', '[]'::jsonb,
                 'attachments', '[]'::jsonb, 'deletedAt',
                 COALESCE(payload::jsonb -> 'deletedAt', to_jsonb(now())))
             END)::json
             WHERE thread_id = $1 AND (
               (kind IN ('{created}', '{updated}') AND payload ->> 'id' = $2)
               OR (kind = '{thread_updated}' AND payload -> 'lastMessage' ->> 'id' = $2))",
            thread_updated = Kind::ThreadUpdated,
            created = Kind::MessageCreated,
            updated = Kind::MessageUpdated,
        ),
        [thread.into(), message.to_string().into()],
    ))
    .await?;
    Ok(())
}
