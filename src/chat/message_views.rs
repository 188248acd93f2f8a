//! Messages as clients see them: author, reactions, and how far each got (sent,
//! delivered, read; "read by N of M"), built from the stored rows in a few queries per
//! page, whatever its size.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::{
    attachments::AttachmentView,
    views::{DeliveryStatus, MessageView, ReactionView},
};
use crate::{
    accounts::{self, User, UserView},
    db::stmt,
    entities::{messages, reactions},
    error::{AppError, Result},
};

/// Everyone's read and delivered pointers in a thread, to derive message status.
struct Pointers(Vec<MemberPointers>);

struct MemberPointers {
    user: Uuid,
    read_seq: i64,
    delivered_seq: i64,
}

/// How far one message got: its status and how many of its recipients read it.
#[derive(Clone, Copy, Debug)]
pub struct Receipt {
    pub status: DeliveryStatus,
    pub read_by: usize,
    pub recipients: usize,
}

impl Pointers {
    async fn load(conn: &impl ConnectionTrait, thread: Uuid) -> Result<Self> {
        #[derive(FromQueryResult)]
        struct Row {
            user_id: Uuid,
            read_seq: i64,
            delivered_seq: i64,
        }
        let rows = Row::find_by_statement(stmt(
            "SELECT user_id, read_seq, delivered_seq FROM thread_participants
             WHERE thread_id = $1 AND left_at IS NULL",
            [thread.into()],
        ))
        .all(conn)
        .await?;
        Ok(Self(
            rows.into_iter()
                .map(|r| MemberPointers {
                    user: r.user_id,
                    read_seq: r.read_seq,
                    delivered_seq: r.delivered_seq,
                })
                .collect(),
        ))
    }

    /// How far message `seq` written by `author` got.
    fn receipt(&self, author: Uuid, seq: i64) -> Receipt {
        let recipients = self.0.iter().filter(|p| p.user != author);
        let (mut total, mut read, mut delivered) = (0, 0, 0);
        for p in recipients {
            total += 1;
            read += usize::from(p.read_seq >= seq);
            delivered += usize::from(p.delivered_seq >= seq || p.read_seq >= seq);
        }
        let status = if total > 0 && read == total {
            DeliveryStatus::Read
        } else if total > 0 && delivered == total {
            DeliveryStatus::Delivered
        } else {
            DeliveryStatus::Sent
        };
        Receipt {
            status,
            read_by: read,
            recipients: total,
        }
    }
}

/// Builds the public views of messages of one thread (authors, reactions, status).
pub async fn views(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    rows: Vec<messages::Model>,
) -> Result<Vec<MessageView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let authors = accounts::find_many(conn, rows.iter().map(|m| m.author_id)).await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut by_message: HashMap<Uuid, Vec<ReactionView>> = HashMap::new();
    for r in reactions::Entity::find()
        .filter(reactions::Column::MessageId.is_in(ids.iter().copied()))
        .order_by_asc(reactions::Column::CreatedAt)
        .all(conn)
        .await?
    {
        let list = by_message.entry(r.message_id).or_default();
        match list.iter_mut().find(|v| v.emoji == r.emoji) {
            Some(v) => {
                v.count += 1;
                v.user_ids.push(r.user_id);
            }
            None => list.push(ReactionView {
                emoji: r.emoji,
                count: 1,
                user_ids: vec![r.user_id],
            }),
        }
    }
    let mut files = super::attachments::for_messages(conn, &ids).await?;
    let pointers = Pointers::load(conn, thread).await?;
    rows.into_iter()
        .map(|m| {
            let author = authors.get(&m.author_id).ok_or_else(|| {
                AppError::internal(format_args!("author {} missing", m.author_id))
            })?;
            let receipt = pointers.receipt(m.author_id, m.seq);
            let reactions = by_message.remove(&m.id).unwrap_or_default();
            let attached = files.remove(&m.id).unwrap_or_default();
            Ok(assemble(m, author, reactions, attached, receipt))
        })
        .collect()
}

/// The view of one message from its parts; a deleted message shows no text, reactions or
/// attachments.
pub(super) fn assemble(
    m: messages::Model,
    author: &User,
    reactions: Vec<ReactionView>,
    attachments: Vec<AttachmentView>,
    receipt: Receipt,
) -> MessageView {
    let deleted = m.deleted_at.is_some();
    MessageView {
        id: m.id,
        thread_id: m.thread_id,
        user_id: m.author_id,
        user: UserView::new(author),
        content_html: if deleted {
            String::new()
        } else {
            super::markup::to_html(&m.content)
        },
        content: if deleted { String::new() } else { m.content },
        created_at: m.created_at,
        edited_at: m.edited_at,
        deleted_at: m.deleted_at,
        reply_to_id: m.reply_to_id,
        client_id: m.client_id,
        attachments: if deleted { Vec::new() } else { attachments },
        reactions: if deleted { Vec::new() } else { reactions },
        status: receipt.status,
        read_count: receipt.read_by,
        recipient_count: receipt.recipients,
        seq: m.seq,
    }
}

/// The newest `limit` messages `author` wrote in `thread` (their statuses change as the
/// others receive and read them).
pub async fn recent_by(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    author: Uuid,
    limit: u64,
) -> Result<Vec<MessageView>> {
    let rows = messages::Entity::find()
        .filter(messages::Column::ThreadId.eq(thread))
        .filter(messages::Column::AuthorId.eq(author))
        .filter(messages::Column::DeletedAt.is_null())
        .order_by_desc(messages::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?;
    views(conn, thread, rows).await
}

/// One message as everyone sees it.
pub async fn view(conn: &impl ConnectionTrait, message: &messages::Model) -> Result<MessageView> {
    views(conn, message.thread_id, vec![message.clone()])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("message view vanished"))
}

/// The message a reply answers, as its quote shows it.
#[derive(Clone, Debug)]
pub struct ParentQuote {
    pub author: String,
    /// The start of its text, on one line (empty when deleted).
    pub text: String,
    pub deleted: bool,
}

/// Characters of a parent's text a quote shows.
const QUOTE_CHARS: usize = 80;

/// The quotes of the messages `ids` (the parents of replies on a page), by id. Replies stay
/// in their parent's thread, so whoever sees the reply may see its quote.
pub async fn parent_quotes(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, ParentQuote>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
        author: String,
        content: String,
        deleted: bool,
    }
    let rows = Row::find_by_statement(stmt(
        "SELECT m.id, u.display_name AS author, m.content, m.deleted_at IS NOT NULL AS deleted
         FROM messages m JOIN users u ON u.id = m.author_id WHERE m.id = ANY($1)",
        [ids.to_vec().into()],
    ))
    .all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let line = r.content.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut text: String = line.chars().take(QUOTE_CHARS).collect();
            if line.chars().count() > QUOTE_CHARS {
                text.push('…');
            }
            let quote = ParentQuote {
                author: r.author,
                text: if r.deleted { String::new() } else { text },
                deleted: r.deleted,
            };
            (r.id, quote)
        })
        .collect())
}
