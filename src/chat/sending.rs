//! Sending messages, one or many at once.
//!
//! [`send_many`] writes a batch of sends in one transaction of two statements,
//! whatever the batch's size: a busy server turns many concurrent sends into a few
//! commits (group commit) instead of a transaction (four round trips) each. A single
//! send is a batch of one, so both go through the same rules:
//! - the author must be a member (non-members learn nothing: "not found"); a direct
//!   conversation with someone who blocked the author refuses it; a reply must point
//!   into the same conversation;
//! - a repeat of an author's `clientId` returns the first message and stores nothing;
//! - `seq` is taken under the thread's row lock, so it is gapless and in commit order per
//!   thread (threads are locked in id order, so concurrent batches cannot deadlock);
//! - the author has read their own message, and new activity unarchives the thread for
//!   whoever archived it;
//! - each message's `message.created` event is written in the same transaction.
//!
//! If a batch fails as a whole (a concurrent send with the same `clientId` won a race, or
//! the database refused), each send is retried alone, so one send never fails another.

use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use sea_orm::{DatabaseConnection, FromQueryResult, TransactionTrait};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    fields::MessageContent,
    messages::{assemble, by_client_id, view},
    threads,
    views::{DeliveryStatus, MessageView},
};
use crate::{
    accounts::User,
    db::stmt,
    entities::messages,
    error::{AppError, Result},
    eventlog::{self, Kind, NONE},
};

pub struct NewMessage {
    pub thread: Uuid,
    pub content: MessageContent,
    pub client_id: Option<String>,
    pub reply_to: Option<Uuid>,
}

/// Whether a send stored a new message or found the one this `clientId` already made.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    Created,
    Existing,
}

pub type Outcome = Result<(MessageView, Sent)>;

/// Sends every `(author, message)`; the outcomes come back in the same order.
pub async fn send_many(db: &DatabaseConnection, sends: Vec<(User, NewMessage)>) -> Vec<Outcome> {
    if sends.len() > 1 {
        match write(db, &sends).await {
            Ok(outcomes) => return outcomes,
            Err(err) => {
                tracing::debug!(%err, n = sends.len(), "a batch of sends failed; sending one by one")
            }
        }
        let mut outcomes = Vec::with_capacity(sends.len());
        for send in sends {
            outcomes.push(one(db, send).await);
        }
        return outcomes;
    }
    match sends.into_iter().next() {
        Some(send) => vec![one(db, send).await],
        None => Vec::new(),
    }
}

/// A batch of one; a lost `clientId` race is answered with the winner's message.
async fn one(db: &DatabaseConnection, send: (User, NewMessage)) -> Outcome {
    let sends = [send];
    match write(db, &sends).await {
        Ok(mut outcomes) => outcomes
            .pop()
            .unwrap_or_else(|| Err(AppError::internal("a send vanished"))),
        Err(Failure::ClientIdTaken) => {
            let [(author, new)] = &sends;
            let existing = by_client_id(db, author.id, new.client_id.as_deref())
                .await?
                .ok_or_else(|| AppError::internal("clientId conflict without a row"))?;
            Ok((view(db, &existing).await?, Sent::Existing))
        }
        Err(Failure::Db(err)) => Err(err),
    }
}

/// Why a whole batch was rolled back.
enum Failure {
    /// A concurrent send took one of the batch's `clientId`s.
    ClientIdTaken,
    Db(AppError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ClientIdTaken => f.write_str("a clientId was taken concurrently"),
            Self::Db(err) => write!(f, "{err:#}"),
        }
    }
}

impl From<AppError> for Failure {
    fn from(err: AppError) -> Self {
        Self::Db(err)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(err: serde_json::Error) -> Self {
        Self::Db(err.into())
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Db(err.into())
    }
}

/// One send after the first statement: whether it may go ahead, and if so the seqs its
/// thread reserved (`last_seq` is the thread's newest after the batch) under the lock.
#[derive(FromQueryResult)]
struct Checked {
    member: bool,
    blocked: bool,
    reply_ok: bool,
    last_seq: Option<i64>,
    reserved: Option<i32>,
    member_count: Option<i32>,
    at: Option<OffsetDateTime>,
}

/// The rules, then the seqs: each send's checks, and for the threads of the sends that pass
/// them, the seqs reserved under the threads' row locks (taken in id order, so concurrent
/// batches cannot deadlock). One statement.
const CHECK_AND_RESERVE: &str = "
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
    locked AS (
      SELECT t.id FROM threads t JOIN n ON n.id = t.id ORDER BY t.id FOR UPDATE OF t),
    u AS (
      UPDATE threads t SET last_seq = t.last_seq + n.n, last_activity_at = now()
      FROM n, locked l
      WHERE t.id = n.id AND l.id = n.id
      RETURNING t.id, t.last_seq, n.n AS reserved, t.member_count, now() AS at)
    SELECT c.member, c.blocked, c.reply_ok, u.last_seq, u.reserved, u.member_count, u.at
    FROM c LEFT JOIN u ON u.id = c.thread AND c.member AND NOT c.blocked AND c.reply_ok
    ORDER BY c.i";

/// The messages and their events; the authors have read their own messages, and archived
/// memberships of these threads come back (those rows are returned, one row with NULLs
/// if there are none). One statement.
static INSERT_AND_TOUCH: LazyLock<String> = LazyLock::new(|| {
    let events = eventlog::insert_sql(
        Kind::MessageCreated,
        "SELECT e.thread_id, NULL::uuid AS user_id, e.payload::json AS payload
         FROM unnest($2::uuid[], $10::text[]) WITH ORDINALITY AS e(thread_id, payload, i)
         ORDER BY e.i",
    );
    format!(
        "
    WITH m AS (
      INSERT INTO messages (id, thread_id, seq, author_id, content, reply_to_id, client_id, created_at)
      SELECT id, thread_id, seq, author_id, content, NULLIF(reply_to_id, $8), NULLIF(client_id, ''), $9
      FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::uuid[], $7::text[])
        AS m(id, thread_id, seq, author_id, content, reply_to_id, client_id)
      ON CONFLICT (author_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
      RETURNING 1),
    e AS ({events}),
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
    FROM (SELECT 1) one LEFT JOIN t ON t.unarchived"
    )
});

#[derive(FromQueryResult)]
struct Inserted {
    inserted: i64,
    thread_id: Option<Uuid>,
    user_id: Option<Uuid>,
}

/// The batch in one transaction of two statements. Rule violations are per send (in the
/// outcomes); a `Failure` means nothing was written.
async fn write(
    db: &DatabaseConnection,
    sends: &[(User, NewMessage)],
) -> std::result::Result<Vec<Outcome>, Failure> {
    // The same clientId twice in one batch: send them apart, so the repeat finds the
    // first (a clientId used before is found by the insert's conflict).
    let mut keys = HashSet::new();
    if sends
        .iter()
        .filter_map(|(a, n)| Some((a.id, n.client_id.as_deref()?)))
        .any(|key| !keys.insert(key))
    {
        return Err(Failure::ClientIdTaken);
    }
    let txn = db.begin().await?;
    let threads_of: Vec<Uuid> = sends.iter().map(|(_, n)| n.thread).collect();
    let authors: Vec<Uuid> = sends.iter().map(|(a, _)| a.id).collect();
    let replies: Vec<Uuid> = sends
        .iter()
        .map(|(_, n)| n.reply_to.unwrap_or(NONE))
        .collect();
    let checked = Checked::find_by_statement(stmt(
        CHECK_AND_RESERVE,
        [
            threads_of.into(),
            authors.into(),
            replies.into(),
            NONE.into(),
        ],
    ))
    .all(&txn)
    .await?;
    if checked.len() != sends.len() {
        return Err(Failure::Db(AppError::internal(
            "send checks do not match the sends",
        )));
    }
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(sends.len());
    // Each thread's new messages take the seqs just reserved, in batch order.
    let mut next: HashMap<Uuid, i64> = HashMap::new();
    let mut columns = Columns::default();
    let mut views = Vec::new();
    for (i, (c, (author, new))) in checked.iter().zip(sends).enumerate() {
        let refused = if !c.member {
            Some(AppError::NotFound("conversation"))
        } else if c.blocked {
            Some(AppError::forbidden("you cannot message this user"))
        } else if !c.reply_ok {
            Some(AppError::validation(
                "replyToId is not a message of this conversation",
            ))
        } else {
            None
        };
        if let Some(err) = refused {
            outcomes.push(Some(Err(err)));
            continue;
        }
        outcomes.push(None);
        let (Some(last), Some(reserved), Some(member_count), Some(at)) =
            (c.last_seq, c.reserved, c.member_count, c.at)
        else {
            return Err(Failure::Db(AppError::internal("thread lock missing")));
        };
        let seq = next.entry(new.thread).or_insert(last - i64::from(reserved));
        *seq += 1;
        let message = columns.push(author.id, new, *seq, at);
        // Nobody else has read it or reacted yet.
        let recipients = usize::try_from(member_count - 1).unwrap_or(0);
        let view = assemble(
            message,
            author,
            Vec::new(),
            (DeliveryStatus::Sent, 0, recipients),
        );
        columns.payloads.push(serde_json::to_string(&view)?);
        views.push((i, view));
    }
    if views.is_empty() {
        txn.commit().await?;
        return Ok(outcomes.into_iter().flatten().collect());
    }
    let rows = Inserted::find_by_statement(stmt(&INSERT_AND_TOUCH, columns.values()))
        .all(&txn)
        .await?;
    if rows.first().map_or(0, |r| r.inserted) != views.len() as i64 {
        // A clientId was used before (or concurrently): nothing of this batch stays.
        txn.rollback().await?;
        return Err(Failure::ClientIdTaken);
    }
    let mut unarchived: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in rows {
        if let (Some(thread), Some(user)) = (r.thread_id, r.user_id) {
            unarchived.entry(thread).or_default().push(user);
        }
    }
    for (thread, users) in unarchived {
        threads::announce(&txn, thread, &users).await?;
    }
    txn.commit().await?;
    for (i, view) in views {
        outcomes[i] = Some(Ok((view, Sent::Created)));
    }
    Ok(outcomes.into_iter().flatten().collect())
}

/// The new messages, column by column, for one `unnest` insert.
#[derive(Default)]
struct Columns {
    ids: Vec<Uuid>,
    threads: Vec<Uuid>,
    seqs: Vec<i64>,
    authors: Vec<Uuid>,
    contents: Vec<String>,
    /// [`NONE`] for "no reply".
    replies: Vec<Uuid>,
    /// Empty for "no clientId" (a clientId is never empty).
    client_ids: Vec<String>,
    /// Each message's `message.created` payload.
    payloads: Vec<String>,
    /// The transaction's time: every message of the batch is created at it.
    at: Option<OffsetDateTime>,
}

impl Columns {
    /// Adds a message and returns it as it will be stored.
    fn push(
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
        message
    }

    fn values(&self) -> Vec<sea_orm::Value> {
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
        ]
    }
}
