//! @mentions: which people a message names, stored per person, and each person's list and
//! unread count.
//!
//! - `@username` (any case) mentions that member of the conversation; names of
//!   non-members, and the author's own name, mention nobody.
//! - `@everyone` and `@here` mention every other member, in groups only (never in a direct
//!   conversation or the open room), and only when the group allows the author: its admins
//!   always, anyone in a group of up to [`EVERYONE_UP_TO`] members. Confab keeps no
//!   presence in the database, so `@here` reaches the same people as `@everyone`.
//! - A mention is *unread* while the person's read pointer in that conversation is below
//!   the message, so reading the conversation (opening it, or `POST /api/messages/read`)
//!   reads its mentions. A mention in a conversation the person left no longer counts.
//! - Sending stores mentions in the send's own statement (see `sending`); an edit rewrites
//!   them; a delete drops them. Whenever a person's unread count changes, they get a
//!   `mentions.updated` event `{unread}`.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, FromQueryResult};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{message_views, threads, views::MessageView};
use crate::{
    db::stmt,
    entities::messages,
    error::{AppError, Result},
    eventlog::{self, Kind},
};

/// `@everyone`/`@here` is open to every member of groups up to this size.
pub const EVERYONE_UP_TO: i32 = 50;
/// Names looked at per message; more are ignored.
pub const MAX_NAMES: usize = 50;
/// Mentions per page of the list.
pub const PAGE: u64 = 20;

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The names `text` mentions, lowercased, each once, in order: `@` at the start or after a
/// character that cannot be part of a name (so `a@b.example` is no mention), then a name.
/// A trailing `.` or `-` is punctuation, not part of the name.
pub fn names(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if !text.contains('@') {
        return out;
    }
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == '@' && !prev.is_some_and(name_char) {
            let rest = &text[i + 1..];
            let end = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
            let name = rest[..end].trim_end_matches(['.', '-']);
            if is_name(name) {
                let name = name.to_ascii_lowercase();
                if !out.contains(&name) {
                    out.push(name);
                    if out.len() == MAX_NAMES {
                        break;
                    }
                }
            }
        }
        prev = Some(c);
    }
    out
}

/// Whether `name` could be a username (the rules of `Username::parse`) or a group word.
pub fn is_name(name: &str) -> bool {
    (3..=32).contains(&name.len()) && name.starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// The mentioned members, given `c(message_id, name)` (the names) and
/// `m(id, thread_id, seq, author_id)` (their messages), as
/// `(message_id, thread_id, seq, user_id)` rows. Shared by sending and editing.
pub(crate) fn resolved_sql() -> String {
    format!(
        "SELECT m.id AS message_id, m.thread_id, m.seq, u.id AS user_id
         FROM c JOIN m ON m.id = c.message_id
         JOIN users u ON lower(u.username) = c.name
         JOIN thread_participants p
           ON p.thread_id = m.thread_id AND p.user_id = u.id AND p.left_at IS NULL
         WHERE u.id <> m.author_id
         UNION
         SELECT m.id, m.thread_id, m.seq, p.user_id
         FROM (SELECT DISTINCT message_id FROM c WHERE name IN ('everyone', 'here')) g
         JOIN m ON m.id = g.message_id
         JOIN threads t ON t.id = m.thread_id AND t.kind = 'group'
         JOIN thread_participants p
           ON p.thread_id = m.thread_id AND p.left_at IS NULL AND p.user_id <> m.author_id
         WHERE t.member_count <= {EVERYONE_UP_TO} OR EXISTS (
           SELECT 1 FROM thread_participants a
           WHERE a.thread_id = m.thread_id AND a.user_id = m.author_id
             AND a.left_at IS NULL AND a.role = 'admin')"
    )
}

/// The unread mentions of the user in column `user` (an SQL expression).
pub(crate) fn unread_sql(user: &str) -> String {
    format!(
        "(SELECT count(*) FROM mentions x
          JOIN thread_participants q
            ON q.thread_id = x.thread_id AND q.user_id = x.user_id AND q.left_at IS NULL
          WHERE x.user_id = {user} AND x.seq > q.read_seq)"
    )
}

/// The user's unread mentions.
pub async fn unread(conn: &impl ConnectionTrait, user: Uuid) -> Result<i64> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    Ok(Count::find_by_statement(stmt(
        &format!("SELECT {} AS n", unread_sql("$1")),
        [user.into()],
    ))
    .one(conn)
    .await?
    .map_or(0, |c| c.n))
}

/// Tells each of `users` their unread count now (in the caller's transaction).
pub(crate) async fn announce(conn: &impl ConnectionTrait, users: &[Uuid]) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let sql = eventlog::insert_sql(
        Kind::MentionsUpdated,
        &format!(
            "SELECT NULL::uuid AS thread_id, u.id AS user_id,
               json_build_object('unread', {}) AS payload
             FROM unnest($1::uuid[]) AS u(id)",
            unread_sql("u.id")
        ),
    );
    conn.execute_raw(stmt(&sql, [users.to_vec().into()]))
        .await?;
    Ok(())
}

/// Rewrites the mentions of an edited message, and tells whoever gained or lost one.
pub(crate) async fn rewrite(conn: &impl ConnectionTrait, message: &messages::Model) -> Result<()> {
    let gone = drop_rows(conn, message.id).await?;
    let names = names(&message.content);
    let mut added = Vec::new();
    if !names.is_empty() {
        #[derive(FromQueryResult)]
        struct Added {
            user_id: Uuid,
        }
        let ids = vec![message.id; names.len()];
        added = Added::find_by_statement(stmt(
            &format!(
                "WITH c AS (SELECT * FROM unnest($1::uuid[], $2::text[]) AS c(message_id, name)),
                 m AS (SELECT id, thread_id, seq, author_id FROM messages WHERE id = $3),
                 r AS ({})
                 INSERT INTO mentions (user_id, message_id, thread_id, seq, created_at)
                 SELECT r.user_id, r.message_id, r.thread_id, r.seq, $4 FROM r
                 ON CONFLICT DO NOTHING
                 RETURNING user_id",
                resolved_sql()
            ),
            [
                ids.into(),
                names.into(),
                message.id.into(),
                message.created_at.into(),
            ],
        ))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    }
    let (gone, added): (HashSet<Uuid>, HashSet<Uuid>) =
        (gone.into_iter().collect(), added.into_iter().collect());
    let changed: Vec<Uuid> = gone.symmetric_difference(&added).copied().collect();
    announce(conn, &changed).await
}

/// Drops a deleted message's mentions and tells the people who had them.
pub(crate) async fn drop_for(conn: &impl ConnectionTrait, message: Uuid) -> Result<()> {
    let gone = drop_rows(conn, message).await?;
    announce(conn, &gone).await
}

async fn drop_rows(conn: &impl ConnectionTrait, message: Uuid) -> Result<Vec<Uuid>> {
    #[derive(FromQueryResult)]
    struct Gone {
        user_id: Uuid,
    }
    Ok(Gone::find_by_statement(stmt(
        "DELETE FROM mentions WHERE message_id = $1 RETURNING user_id",
        [message.into()],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|g| g.user_id)
    .collect())
}

/// After `user`'s read pointer in `thread` moved from `from` to `to`: their new count, if
/// that read any mention (one statement; nothing written otherwise).
pub(crate) async fn after_read(
    conn: &impl ConnectionTrait,
    user: Uuid,
    thread: Uuid,
    from: i64,
    to: i64,
) -> Result<()> {
    let sql = eventlog::insert_sql(
        Kind::MentionsUpdated,
        &format!(
            "SELECT NULL::uuid AS thread_id, $1::uuid AS user_id,
               json_build_object('unread', {}) AS payload
             WHERE EXISTS (SELECT 1 FROM mentions
               WHERE user_id = $1 AND thread_id = $2 AND seq > $3 AND seq <= $4)",
            unread_sql("$1")
        ),
    );
    conn.execute_raw(stmt(
        &sql,
        [user.into(), thread.into(), from.into(), to.into()],
    ))
    .await?;
    Ok(())
}

/// One mention in the list.
#[derive(Clone, Debug)]
pub struct Mention {
    pub message: MessageView,
    pub thread_name: String,
    /// Whether the reader's read pointer passed the message.
    pub read: bool,
}

pub struct MentionPage {
    pub mentions: Vec<Mention>,
    /// The last mention's message id: pass it as `before` for the next page.
    pub next_cursor: Option<Uuid>,
}

#[derive(FromQueryResult)]
struct Row {
    message_id: Uuid,
    read: bool,
}

/// The user's mentions, newest first, in conversations they are in now; `before` is a
/// `next_cursor` from an earlier page.
pub async fn list(
    conn: &impl ConnectionTrait,
    user: Uuid,
    before: Option<Uuid>,
) -> Result<MentionPage> {
    let cursor: Option<OffsetDateTime> = match before {
        Some(id) => {
            #[derive(FromQueryResult)]
            struct At {
                created_at: OffsetDateTime,
            }
            let at = At::find_by_statement(stmt(
                "SELECT created_at FROM mentions WHERE user_id = $1 AND message_id = $2",
                [user.into(), id.into()],
            ))
            .one(conn)
            .await?
            .ok_or_else(|| AppError::validation("before is not one of your mentions"))?;
            Some(at.created_at)
        }
        None => None,
    };
    let rows = Row::find_by_statement(stmt(
        "SELECT x.message_id, x.seq <= q.read_seq AS read
         FROM mentions x
         JOIN thread_participants q
           ON q.thread_id = x.thread_id AND q.user_id = x.user_id AND q.left_at IS NULL
         WHERE x.user_id = $1
           AND ($2::timestamptz IS NULL OR (x.created_at, x.message_id) < ($2, $3))
         ORDER BY x.created_at DESC, x.message_id DESC
         LIMIT $4",
        [
            user.into(),
            cursor.into(),
            before.into(),
            ((PAGE + 1) as i64).into(),
        ],
    ))
    .all(conn)
    .await?;
    let more = rows.len() as u64 > PAGE;
    let mut mentions = Vec::new();
    for row in rows.into_iter().take(PAGE as usize) {
        use sea_orm::EntityTrait;
        let Some(model) = messages::Entity::find_by_id(row.message_id)
            .one(conn)
            .await?
        else {
            continue;
        };
        let thread_name = threads::view(conn, model.thread_id, user).await?.name;
        mentions.push(Mention {
            message: message_views::view(conn, &model).await?,
            thread_name,
            read: row.read,
        });
    }
    let next_cursor = more
        .then(|| mentions.last().map(|m| m.message.id))
        .flatten();
    Ok(MentionPage {
        mentions,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn names_are_found_where_a_mention_can_start() {
        assert_eq!(names("hi @Alice and @bob."), ["alice", "bob"]);
        assert_eq!(
            names("@carol_1, (@dave-x) @alice"),
            ["carol_1", "dave-x", "alice"]
        );
        assert!(names("mail me at a@example.com").is_empty());
        assert!(names("no mentions here, @ alone, @x").is_empty());
        assert_eq!(names("@everyone look"), ["everyone"]);
        assert_eq!(names("@Bob @bob"), ["bob"]);
    }
}
