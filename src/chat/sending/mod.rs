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

use std::collections::{HashMap, HashSet};

use sea_orm::{DatabaseConnection, FromQueryResult, TransactionTrait};
use uuid::Uuid;

mod statements;

use self::statements::{CHECK_AND_RESERVE, Checked, Columns, INSERT_AND_TOUCH, Inserted};
use super::{
    attachments::{self, AttachmentView},
    fields::MessageContent,
    message_views::{Receipt, assemble},
    messages::{by_client_id, view},
    threads,
    views::{DeliveryStatus, MessageView},
};
use crate::{
    accounts::User,
    db::stmt,
    error::{AppError, Result},
    eventlog::NONE,
};

pub struct NewMessage {
    pub thread: Uuid,
    pub content: MessageContent,
    pub client_id: Option<String>,
    pub reply_to: Option<Uuid>,
    /// The author's unsent uploads this message carries.
    pub attachments: Vec<Uuid>,
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
            // A clientId names one send by its author: reused for another conversation it
            // is a client's mistake, never a reason to show that other message here.
            if existing.thread_id != new.thread {
                return Err(AppError::conflict(
                    "this clientId was already used for a message in another conversation",
                ));
            }
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
    // Attachments first: a send whose uploads cannot be claimed goes no further (it must
    // not reserve a seq it will not use).
    let mut outcomes: Vec<Option<Outcome>> = (0..sends.len()).map(|_| None).collect();
    let mut files: Vec<Vec<AttachmentView>> = vec![Vec::new(); sends.len()];
    let wanted: Vec<Uuid> = sends
        .iter()
        .flat_map(|(_, n)| n.attachments.iter().copied())
        .collect();
    if !wanted.is_empty() {
        // Two sends of a batch naming one upload: whichever is refused later must not
        // have used it up for the other, so they go one by one.
        let mut seen = HashSet::new();
        if sends.len() > 1 && !wanted.iter().all(|id| seen.insert(*id)) {
            return Err(Failure::Db(AppError::conflict(
                "an upload is named twice in a batch",
            )));
        }
        let locked = attachments::lock(&txn, wanted).await?;
        let mut taken = HashSet::new();
        for (i, (author, new)) in sends.iter().enumerate() {
            match attachments::claimable(&locked, &mut taken, author.id, &new.attachments) {
                Ok(views) => files[i] = views,
                // A retried send finds its uploads claimed by its first try: the retry
                // is answered like any repeat of a clientId.
                Err(_)
                    if by_client_id(&txn, author.id, new.client_id.as_deref())
                        .await?
                        .is_some() =>
                {
                    return Err(Failure::ClientIdTaken);
                }
                Err(err) => outcomes[i] = Some(Err(err)),
            }
        }
    }
    let going: Vec<usize> = (0..sends.len())
        .filter(|&i| outcomes[i].is_none())
        .collect();
    if going.is_empty() {
        txn.commit().await?;
        return Ok(outcomes.into_iter().flatten().collect());
    }
    let threads_of: Vec<Uuid> = going.iter().map(|&i| sends[i].1.thread).collect();
    let authors: Vec<Uuid> = going.iter().map(|&i| sends[i].0.id).collect();
    let replies: Vec<Uuid> = going
        .iter()
        .map(|&i| sends[i].1.reply_to.unwrap_or(NONE))
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
    if checked.len() != going.len() {
        return Err(Failure::Db(AppError::internal(
            "send checks do not match the sends",
        )));
    }
    // Each thread's new messages take the seqs just reserved, in batch order.
    let mut next: HashMap<Uuid, i64> = HashMap::new();
    let mut columns = Columns::default();
    let mut views = Vec::new();
    let mut claims = Vec::new();
    for (c, &i) in checked.iter().zip(&going) {
        let (author, new) = &sends[i];
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
            outcomes[i] = Some(Err(err));
            continue;
        }
        let (Some(last), Some(reserved), Some(member_count), Some(at)) =
            (c.last_seq, c.reserved, c.member_count, c.at)
        else {
            return Err(Failure::Db(AppError::internal("thread lock missing")));
        };
        let seq = next.entry(new.thread).or_insert(last - i64::from(reserved));
        *seq += 1;
        let message = columns.push(author.id, new, *seq, at);
        let attached = std::mem::take(&mut files[i]);
        claims.extend(
            attached
                .iter()
                .zip(0i16..)
                .map(|(a, position)| (a.id, message.id, position)),
        );
        // Nobody else has read it or reacted yet.
        let recipients = usize::try_from(member_count - 1).unwrap_or(0);
        let view = assemble(
            message,
            author,
            Vec::new(),
            attached,
            Receipt {
                status: DeliveryStatus::Sent,
                read_by: 0,
                recipients,
            },
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
    attachments::claim(&txn, claims).await?;
    txn.commit().await?;
    for (i, view) in views {
        outcomes[i] = Some(Ok((view, Sent::Created)));
    }
    Ok(outcomes.into_iter().flatten().collect())
}
