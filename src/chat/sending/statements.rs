//! The two statements of a batch of sends, and the columns the second one takes.

use std::sync::LazyLock;

use sea_orm::FromQueryResult;
use time::OffsetDateTime;
use uuid::Uuid;

use super::NewMessage;
use crate::{
    chat::mentions,
    entities::messages,
    eventlog::{self, Kind, NONE},
};

/// One send after the first statement: whether it may go ahead, and if so the seqs its
/// thread reserved (`last_seq` is the thread's newest after the batch) under the lock.
#[derive(FromQueryResult)]
pub(super) struct Checked {
    pub(super) member: bool,
    pub(super) blocked: bool,
    pub(super) reply_ok: bool,
    pub(super) last_seq: Option<i64>,
    pub(super) reserved: Option<i32>,
    pub(super) member_count: Option<i32>,
    pub(super) at: Option<OffsetDateTime>,
}

/// The rules, then the seqs: each send's checks, and for the threads of the sends that pass
/// them, the seqs reserved under the threads' row locks (taken in id order, so concurrent
/// batches cannot deadlock). One statement.
pub(super) const CHECK_AND_RESERVE: &str = "
    WITH r AS (
      SELECT thread, author, NULLIF(reply, $4) AS reply, i
      FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS r(thread, author, reply, i)),
    c AS (
      SELECT r.i, r.thread, (p.user_id IS NOT NULL) AS member,
        COALESCE(t.kind = 'direct' AND EXISTS (
           SELECT 1 FROM thread_participants q JOIN blocks b
             ON b.blocker_id = q.user_id AND b.blocked_id = r.author
           WHERE q.thread_id = r.thread AND q.user_id <> r.author), false) AS blocked,
        (r.reply IS NULL OR EXISTS (
           SELECT 1 FROM messages m WHERE m.id = r.reply AND m.thread_id = r.thread)) AS reply_ok
      FROM r
      LEFT JOIN threads t ON t.id = r.thread
      LEFT JOIN thread_participants p
        ON p.thread_id = r.thread AND p.user_id = r.author AND p.left_at IS NULL),
    n AS (
      SELECT thread AS id, count(*)::int AS n FROM c
      WHERE member AND NOT blocked AND reply_ok GROUP BY thread),
    -- The update joins only the locked rows, which carry their counts: joining `n` as
    -- well made the planner loop over one CTE per row of the other (quadratic in the
    -- batch; its estimates for unnest are a guess).
    locked AS (
      SELECT t.id, n.n FROM threads t JOIN n ON n.id = t.id ORDER BY t.id FOR UPDATE OF t),
    u AS (
      UPDATE threads t SET last_seq = t.last_seq + l.n, last_activity_at = now()
      FROM locked l
      WHERE t.id = l.id
      RETURNING t.id, t.last_seq, l.n AS reserved, t.member_count, now() AS at)
    SELECT c.member, c.blocked, c.reply_ok, u.last_seq, u.reserved, u.member_count, u.at
    FROM c LEFT JOIN u ON u.id = c.thread AND c.member AND NOT c.blocked AND c.reply_ok
    ORDER BY c.i";

/// The messages and their events; the authors have read their own messages, and archived
/// memberships of these threads come back (those rows are returned, one row with NULLs
/// if there are none). One statement.
pub(super) static INSERT_AND_TOUCH: LazyLock<String> = LazyLock::new(|| {
    let events = eventlog::insert_sql(
        Kind::MessageCreated,
        "SELECT e.thread_id, NULL::uuid AS user_id, e.payload::json AS payload
         FROM unnest($2::uuid[], $10::text[]) WITH ORDINALITY AS e(thread_id, payload, i)
         ORDER BY e.i",
    );
    let mentions = eventlog::insert_sql(
        Kind::MentionsUpdated,
        &format!(
            "SELECT NULL::uuid AS thread_id, n.user_id,
               json_build_object('unread', n.new + {}) AS payload
             FROM (SELECT user_id, count(*) AS new FROM mi GROUP BY user_id) n",
            mentions::unread_sql("n.user_id")
        ),
    );
    format!(
        "
    WITH m AS (
      INSERT INTO messages (id, thread_id, seq, author_id, content, reply_to_id, client_id, created_at)
      SELECT id, thread_id, seq, author_id, content, NULLIF(reply_to_id, $8), NULLIF(client_id, ''), $9
      FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::uuid[], $7::text[])
        AS m(id, thread_id, seq, author_id, content, reply_to_id, client_id)
      ON CONFLICT (author_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
      RETURNING id, thread_id, seq, author_id),
    e AS ({events}),
    -- Mentions: usually no send names anyone, and these arrays are empty.
    c AS (SELECT * FROM unnest($11::uuid[], $12::text[]) AS c(message_id, name)),
    mi AS (
      INSERT INTO mentions (user_id, message_id, thread_id, seq, created_at)
      SELECT r.user_id, r.message_id, r.thread_id, r.seq, $9 FROM ({resolved}) r
      RETURNING user_id),
    me AS ({mentions}),
    s AS (
      SELECT thread_id, user_id, max(seq) AS seq
      FROM unnest($2::uuid[], $4::uuid[], $3::bigint[]) AS s(thread_id, user_id, seq)
      GROUP BY thread_id, user_id),
    x AS (
      SELECT q.thread_id, q.user_id, q.archived AND q.left_at IS NULL AS unarchived, s.seq
      FROM s JOIN thread_participants q ON q.thread_id = s.thread_id AND q.user_id = s.user_id
      UNION ALL
      -- Usually nobody archived these threads: the partial index answers that at once.
      SELECT q.thread_id, q.user_id, true, NULL
      FROM thread_participants q
      WHERE q.thread_id IN (SELECT thread_id FROM s) AND q.archived AND q.left_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM s WHERE s.thread_id = q.thread_id AND s.user_id = q.user_id)),
    t AS (
      UPDATE thread_participants p
      SET archived = p.archived AND NOT x.unarchived,
          read_seq = GREATEST(p.read_seq, COALESCE(x.seq, 0)),
          delivered_seq = GREATEST(p.delivered_seq, COALESCE(x.seq, 0))
      FROM x WHERE p.thread_id = x.thread_id AND p.user_id = x.user_id
      RETURNING x.thread_id, x.user_id, x.unarchived)
    SELECT (SELECT count(*) FROM m) AS inserted, t.thread_id, t.user_id
    FROM (SELECT 1) one LEFT JOIN t ON t.unarchived",
        resolved = mentions::resolved_sql(),
    )
});

#[derive(FromQueryResult)]
pub(super) struct Inserted {
    pub(super) inserted: i64,
    pub(super) thread_id: Option<Uuid>,
    pub(super) user_id: Option<Uuid>,
}

/// The new messages, column by column, for one `unnest` insert.
#[derive(Default)]
pub(super) struct Columns {
    pub(super) ids: Vec<Uuid>,
    pub(super) threads: Vec<Uuid>,
    pub(super) seqs: Vec<i64>,
    pub(super) authors: Vec<Uuid>,
    pub(super) contents: Vec<String>,
    /// [`NONE`] for "no reply".
    pub(super) replies: Vec<Uuid>,
    /// Empty for "no clientId" (a clientId is never empty).
    pub(super) client_ids: Vec<String>,
    /// Each message's `message.created` payload.
    pub(super) payloads: Vec<String>,
    /// The transaction's time: every message of the batch is created at it.
    pub(super) at: Option<OffsetDateTime>,
    /// The names each message mentions, one `(message id, name)` per name.
    pub(super) mention_ids: Vec<Uuid>,
    pub(super) mention_names: Vec<String>,
}

impl Columns {
    /// Adds a message and returns it as it will be stored.
    pub(super) fn push(
        &mut self,
        author: Uuid,
        new: &NewMessage,
        seq: i64,
        at: OffsetDateTime,
    ) -> messages::Model {
        let message = messages::Model {
            id: Uuid::now_v7(),
            thread_id: new.thread,
            seq,
            author_id: author,
            content: new.content.as_str().to_owned(),
            reply_to_id: new.reply_to,
            client_id: new.client_id.clone(),
            created_at: at,
            edited_at: None,
            deleted_at: None,
        };
        self.ids.push(message.id);
        self.threads.push(new.thread);
        self.seqs.push(seq);
        self.authors.push(author);
        self.contents.push(message.content.clone());
        self.replies.push(new.reply_to.unwrap_or(NONE));
        self.client_ids
            .push(new.client_id.clone().unwrap_or_default());
        self.at = Some(at);
        for name in mentions::names(&message.content) {
            self.mention_ids.push(message.id);
            self.mention_names.push(name);
        }
        message
    }

    pub(super) fn values(&self) -> Vec<sea_orm::Value> {
        vec![
            self.ids.clone().into(),
            self.threads.clone().into(),
            self.seqs.clone().into(),
            self.authors.clone().into(),
            self.contents.clone().into(),
            self.replies.clone().into(),
            self.client_ids.clone().into(),
            NONE.into(),
            self.at.into(),
            self.payloads.clone().into(),
            self.mention_ids.clone().into(),
            self.mention_names.clone().into(),
        ]
    }
}
