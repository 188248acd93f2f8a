//! Attachment rows and their rules: what a message carries, who may attach an upload
//! (its uploader, once, before it is sent) and who may download it (current members of
//! the conversation it was sent in; its uploader until then). The bytes are the
//! `attachments` module's.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    db::stmt,
    entities::{
        attachments::{self, Model},
        messages,
    },
    error::{AppError, Result},
};

/// Files one message may carry.
pub const MAX_PER_MESSAGE: usize = 10;

/// An uploaded file as clients see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentView {
    pub id: Uuid,
    /// The name it was uploaded with (as given, for display; never a storage path).
    pub name: String,
    /// Sniffed from the file's bytes, not taken from its name or the client.
    pub content_type: String,
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
    /// Where members download it (`Authorization` or the session cookie).
    pub url: String,
    /// A small preview, for images once it is made (a `message.updated` announces it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

impl AttachmentView {
    pub fn new(m: &Model) -> Self {
        Self {
            id: m.id,
            name: m.name.clone(),
            content_type: m.content_type.clone(),
            size: m.size,
            width: m.width,
            height: m.height,
            url: format!("/api/attachments/{}/file", m.id),
            thumbnail_url: m
                .thumbnail_key
                .as_ref()
                .map(|_| format!("/api/attachments/{}/thumbnail", m.id)),
        }
    }

    /// Shown inline (its thumbnail) rather than as a card.
    pub fn is_inline_image(&self) -> bool {
        self.thumbnail_url.is_some()
    }

    /// The size for people: "912 B", "14.2 KB", "3.1 MB".
    pub fn size_text(&self) -> String {
        let size = self.size as f64;
        match self.size {
            ..1000 => format!("{} B", self.size),
            1000..1_000_000 => format!("{:.1} KB", size / 1e3),
            1_000_000..1_000_000_000 => format!("{:.1} MB", size / 1e6),
            _ => format!("{:.1} GB", size / 1e9),
        }
    }
}

/// The attachments of these messages, in the order they were attached.
pub async fn for_messages(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<AttachmentView>>> {
    let mut by_message: HashMap<Uuid, Vec<AttachmentView>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_message);
    }
    for m in attachments::Entity::find()
        .filter(attachments::Column::MessageId.is_in(ids.iter().copied()))
        .order_by_asc(attachments::Column::Position)
        .all(conn)
        .await?
    {
        if let Some(message) = m.message_id {
            by_message
                .entry(message)
                .or_default()
                .push(AttachmentView::new(&m));
        }
    }
    Ok(by_message)
}

/// Locks the uploads a batch of sends names (in id order, so concurrent sends cannot
/// deadlock); a concurrent claim of the same upload waits for this transaction.
pub async fn lock(conn: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<HashMap<Uuid, Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = Model::find_by_statement(stmt(
        "SELECT * FROM attachments WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        [ids.into()],
    ))
    .all(conn)
    .await?;
    Ok(rows.into_iter().map(|m| (m.id, m)).collect())
}

/// The locked uploads one send attaches, if `author` may attach them all: their own,
/// not yet sent (not even earlier in this batch: `taken`), at most [`MAX_PER_MESSAGE`].
pub fn claimable(
    locked: &HashMap<Uuid, Model>,
    taken: &mut HashSet<Uuid>,
    author: Uuid,
    ids: &[Uuid],
) -> Result<Vec<AttachmentView>> {
    if ids.len() > MAX_PER_MESSAGE {
        return Err(AppError::validation(format!(
            "a message can carry at most {MAX_PER_MESSAGE} attachments"
        )));
    }
    let mut seen = HashSet::new();
    let mut views = Vec::with_capacity(ids.len());
    for id in ids {
        let usable = seen.insert(*id)
            && !taken.contains(id)
            && locked
                .get(id)
                .is_some_and(|m| m.uploader_id == author && m.message_id.is_none());
        if !usable {
            return Err(AppError::validation(format!(
                "attachment {id} is not an unsent upload of yours"
            )));
        }
        views.push(AttachmentView::new(&locked[id]));
    }
    taken.extend(ids.iter().copied());
    Ok(views)
}

/// Gives claimed uploads their message: `(attachment, message, position)` triples.
pub async fn claim(conn: &impl ConnectionTrait, claims: Vec<(Uuid, Uuid, i16)>) -> Result<()> {
    if claims.is_empty() {
        return Ok(());
    }
    let (ids, rest): (Vec<Uuid>, Vec<(Uuid, i16)>) =
        claims.into_iter().map(|(a, m, p)| (a, (m, p))).unzip();
    let (messages, positions): (Vec<Uuid>, Vec<i16>) = rest.into_iter().unzip();
    conn.execute_raw(stmt(
        "UPDATE attachments a SET message_id = x.m, position = x.p
         FROM unnest($1::uuid[], $2::uuid[], $3::smallint[]) AS x(id, m, p)
         WHERE a.id = x.id",
        [ids.into(), messages.into(), positions.into()],
    ))
    .await?;
    Ok(())
}

/// An attachment `viewer` may download: sent in a conversation they are a current member
/// of, in a message not deleted; or their own upload not yet sent. Anything else is "not
/// found", the same as an unknown id.
pub async fn downloadable(conn: &impl ConnectionTrait, viewer: Uuid, id: Uuid) -> Result<Model> {
    Model::find_by_statement(stmt(
        "SELECT a.* FROM attachments a
         LEFT JOIN messages m ON m.id = a.message_id
         WHERE a.id = $1 AND (
           (a.message_id IS NULL AND a.uploader_id = $2)
           OR (m.deleted_at IS NULL AND EXISTS (
             SELECT 1 FROM thread_participants p
             WHERE p.thread_id = m.thread_id AND p.user_id = $2 AND p.left_at IS NULL)))",
        [id.into(), viewer.into()],
    ))
    .one(conn)
    .await?
    .ok_or(AppError::NotFound("attachment"))
}

/// Forgets a message's attachments (in the delete's transaction) and returns the storage
/// keys to remove once it commits.
pub async fn detach_all(conn: &impl ConnectionTrait, message: Uuid) -> Result<Vec<String>> {
    keys_of_deleted(
        conn,
        "DELETE FROM attachments WHERE message_id = $1
         RETURNING storage_key, thumbnail_key",
        [message.into()],
    )
    .await
}

/// Forgets `uploader`'s unsent uploads `ids` and returns their storage keys.
pub async fn discard(
    conn: &impl ConnectionTrait,
    uploader: Uuid,
    ids: Vec<Uuid>,
) -> Result<Vec<String>> {
    keys_of_deleted(
        conn,
        "DELETE FROM attachments WHERE id = ANY($1) AND uploader_id = $2 AND message_id IS NULL
         RETURNING storage_key, thumbnail_key",
        [ids.into(), uploader.into()],
    )
    .await
}

/// Forgets uploads never sent within `ttl` and returns their storage keys.
pub async fn expired_uploads(
    conn: &impl ConnectionTrait,
    ttl: std::time::Duration,
) -> Result<Vec<String>> {
    keys_of_deleted(
        conn,
        "DELETE FROM attachments
         WHERE message_id IS NULL AND created_at < now() - make_interval(secs => $1)
         RETURNING storage_key, thumbnail_key",
        [ttl.as_secs_f64().into()],
    )
    .await
}

async fn keys_of_deleted<const N: usize>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: [sea_orm::Value; N],
) -> Result<Vec<String>> {
    #[derive(FromQueryResult)]
    struct Keys {
        storage_key: String,
        thumbnail_key: Option<String>,
    }
    let rows = Keys::find_by_statement(stmt(sql, values)).all(conn).await?;
    Ok(rows
        .into_iter()
        .flat_map(|k| std::iter::once(k.storage_key).chain(k.thumbnail_key))
        .collect())
}

/// What processing made of an image upload.
pub enum Processed {
    Image {
        width: i32,
        height: i32,
        thumbnail_key: String,
        /// Of the stripped file now served.
        size: i64,
        sha256: String,
    },
    /// It did not decode: it is served as a plain file; `stripped` is the size and
    /// SHA-256 of what is served when its metadata could still be removed.
    NotAnImage { stripped: Option<(i64, String)> },
}

impl Processed {
    pub fn thumbnail_key(&self) -> Option<&str> {
        match self {
            Self::Image { thumbnail_key, .. } => Some(thumbnail_key),
            Self::NotAnImage { .. } => None,
        }
    }
}

/// What became of a processing result.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    Done,
    /// Another run recorded its result first.
    AlreadyDone,
    /// The upload is gone (its message was deleted, or it was swept).
    Gone,
}

/// Records a processed image; if its message was already sent, tells the conversation
/// (`message.updated`, with the thumbnail).
pub async fn finish_processing(
    db: &DatabaseConnection,
    id: Uuid,
    done: Processed,
) -> Result<Finished> {
    #[derive(FromQueryResult)]
    struct Updated {
        message_id: Option<Uuid>,
    }
    let (sql, values): (&str, Vec<sea_orm::Value>) = match done {
        Processed::Image {
            width,
            height,
            thumbnail_key,
            size,
            sha256,
        } => (
            "UPDATE attachments SET ready = true, width = $2, height = $3, thumbnail_key = $4,
               size = $5, sha256 = $6
             WHERE id = $1 AND NOT ready RETURNING message_id",
            vec![
                id.into(),
                width.into(),
                height.into(),
                thumbnail_key.into(),
                size.into(),
                sha256.into(),
            ],
        ),
        Processed::NotAnImage {
            stripped: Some((size, sha256)),
        } => (
            "UPDATE attachments SET ready = true, is_image = false, width = NULL, height = NULL,
               size = $2, sha256 = $3
             WHERE id = $1 AND NOT ready RETURNING message_id",
            vec![id.into(), size.into(), sha256.into()],
        ),
        Processed::NotAnImage { stripped: None } => (
            "UPDATE attachments SET ready = true, is_image = false, width = NULL, height = NULL
             WHERE id = $1 AND NOT ready RETURNING message_id",
            vec![id.into()],
        ),
    };
    let txn = db.begin().await?;
    let Some(updated) = Updated::find_by_statement(stmt(sql, values))
        .one(&txn)
        .await?
    else {
        let exists = attachments::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .is_some();
        txn.commit().await?;
        return Ok(if exists {
            Finished::AlreadyDone
        } else {
            Finished::Gone
        });
    };
    if let Some(message) = updated.message_id
        && let Some(message) = messages::Entity::find_by_id(message).one(&txn).await?
        && message.deleted_at.is_none()
    {
        super::messages::announce_update(&txn, &message).await?;
    }
    txn.commit().await?;
    Ok(Finished::Done)
}

/// Images still unprocessed after `stuck_after` (their job was interrupted).
pub async fn unprocessed(
    conn: &impl ConnectionTrait,
    stuck_after: std::time::Duration,
) -> Result<Vec<Uuid>> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    Ok(Id::find_by_statement(stmt(
        "SELECT id FROM attachments
         WHERE NOT ready AND created_at < now() - make_interval(secs => $1) LIMIT 100",
        [stuck_after.as_secs_f64().into()],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|r| r.id)
    .collect())
}
