//! Reading threads as their members see them: the list, one thread, one thread for many
//! viewers at once (for delivery).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult};
use time::OffsetDateTime;
use uuid::Uuid;

use super::LISTED_PARTICIPANTS;
use crate::{
    accounts::{self, UserView},
    chat::views::{LastMessage, ThreadView},
    db::stmt,
    entities::{thread_participants::ThreadRole, threads::ThreadKind, users},
    error::{AppError, Result},
};

#[derive(FromQueryResult)]
struct ThreadRow {
    viewer: Uuid,
    id: Uuid,
    kind: ThreadKind,
    name: Option<String>,
    last_activity_at: OffsetDateTime,
    archived: bool,
    role: ThreadRole,
    unread_count: i64,
    member_count: i64,
    last_id: Option<Uuid>,
    last_author_id: Option<Uuid>,
    last_content: Option<String>,
    last_created_at: Option<OffsetDateTime>,
    last_deleted_at: Option<OffsetDateTime>,
}

#[derive(FromQueryResult)]
struct ParticipantRow {
    thread_id: Uuid,
    user_id: Uuid,
}

/// Which of the viewer's threads to list.
#[derive(Clone, Copy, Debug)]
pub enum Filter {
    Active,
    Archived,
    One(Uuid),
}

/// Which views list the thread's participants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    Every,
    /// Only the first view of each thread: the others leave `participants` empty.
    First,
}

/// The viewer's threads as they see them, newest activity first.
pub async fn list(
    conn: &impl ConnectionTrait,
    viewer: Uuid,
    filter: Filter,
) -> Result<Vec<ThreadView>> {
    Ok(query(conn, &[viewer], filter, None, Listing::Every)
        .await?
        .into_iter()
        .map(|(_, view)| view)
        .collect())
}

/// One thread as each of `viewers` sees it (those who are members).
pub async fn views_for(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    viewers: &[Uuid],
) -> Result<Vec<(Uuid, ThreadView)>> {
    query(conn, viewers, Filter::One(thread), None, Listing::Every).await
}

/// Like [`views_for`], but as if the thread's messages ended at `upto_seq`: its last
/// message and unread counts leave out any message after it (messages committed
/// meanwhile that a reader of the log has not reached yet).
pub async fn views_upto(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    viewers: &[Uuid],
    upto_seq: i64,
) -> Result<Vec<(Uuid, ThreadView)>> {
    query(
        conn,
        viewers,
        Filter::One(thread),
        Some(upto_seq),
        Listing::Every,
    )
    .await
}

/// Like [`views_for`] (or [`views_upto`], with `upto_seq`), for a caller that keeps each
/// viewer's own fields and the shared ones once: only the first view lists the
/// participants. A big group's participants are not built again for every member.
pub async fn own_views(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    viewers: &[Uuid],
    upto_seq: Option<i64>,
) -> Result<Vec<(Uuid, ThreadView)>> {
    query(conn, viewers, Filter::One(thread), upto_seq, Listing::First).await
}

/// The threads of `viewers` as each of them sees them, newest activity first.
async fn query(
    conn: &impl ConnectionTrait,
    viewers: &[Uuid],
    filter: Filter,
    upto_seq: Option<i64>,
    listing: Listing,
) -> Result<Vec<(Uuid, ThreadView)>> {
    if viewers.is_empty() {
        return Ok(Vec::new());
    }
    let (archived, only): (Option<bool>, Option<Uuid>) = match filter {
        Filter::Active => (Some(false), None),
        Filter::Archived => (Some(true), None),
        Filter::One(id) => (None, Some(id)),
    };
    let rows = ThreadRow::find_by_statement(stmt(
        "SELECT p.user_id AS viewer, t.id, t.kind, t.name, t.last_activity_at, p.archived, p.role,
           (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.seq > p.read_seq
              AND ($4::bigint IS NULL OR m.seq <= $4)
              AND m.author_id <> p.user_id AND m.deleted_at IS NULL) AS unread_count,
           t.member_count::bigint AS member_count,
           lm.id AS last_id, lm.author_id AS last_author_id, lm.content AS last_content,
           lm.created_at AS last_created_at, lm.deleted_at AS last_deleted_at
         FROM thread_participants p
         JOIN threads t ON t.id = p.thread_id
         LEFT JOIN LATERAL (SELECT id, author_id, content, created_at, deleted_at FROM messages
                            WHERE thread_id = t.id AND ($4::bigint IS NULL OR seq <= $4)
                            ORDER BY seq DESC LIMIT 1) lm ON true
         WHERE p.user_id = ANY($1) AND p.left_at IS NULL
           AND ($2::boolean IS NULL OR p.archived = $2)
           AND ($3::uuid IS NULL OR t.id = $3)
         ORDER BY t.last_activity_at DESC, t.id",
        [
            viewers.to_vec().into(),
            archived.into(),
            only.into(),
            upto_seq.into(),
        ],
    ))
    .all(conn)
    .await?;
    let mut listed: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.kind != ThreadKind::Open)
        .map(|r| r.id)
        .collect();
    listed.sort();
    listed.dedup();
    let mut members: HashMap<Uuid, Vec<users::Model>> = HashMap::new();
    if !listed.is_empty() {
        let participants = ParticipantRow::find_by_statement(stmt(
            "SELECT thread_id, user_id FROM (
               SELECT p.thread_id, p.user_id,
                      row_number() OVER (PARTITION BY p.thread_id ORDER BY p.joined_at, p.user_id) AS n
               FROM thread_participants p WHERE p.thread_id = ANY($1) AND p.left_at IS NULL
             ) p WHERE p.n <= $2 ORDER BY p.thread_id, p.n",
            [listed.into(), LISTED_PARTICIPANTS.into()],
        ))
        .all(conn)
        .await?;
        let people = accounts::find_many(conn, participants.iter().map(|p| p.user_id)).await?;
        for p in participants {
            if let Some(user) = people.get(&p.user_id) {
                members.entry(p.thread_id).or_default().push(user.clone());
            }
        }
    }
    let mut previous = None;
    Ok(rows
        .into_iter()
        .map(|row| {
            let listed = listing == Listing::Every || previous != Some(row.id);
            previous = Some(row.id);
            let viewer = row.viewer;
            let people = members.get(&row.id).map(Vec::as_slice).unwrap_or_default();
            let peer = (row.kind == ThreadKind::Direct)
                .then(|| people.iter().find(|u| u.id != viewer).cloned())
                .flatten();
            let name = match (&row.kind, &peer) {
                (ThreadKind::Direct, Some(peer)) => peer.display_name.clone(),
                _ => row.name.clone().unwrap_or_default(),
            };
            let view = ThreadView {
                id: row.id,
                kind: row.kind,
                name,
                participants: if listed {
                    people.iter().map(UserView::new).collect()
                } else {
                    Vec::new()
                },
                member_count: row.member_count,
                last_message: match (row.last_id, row.last_author_id, row.last_created_at) {
                    (Some(id), Some(user_id), Some(created_at)) => Some(LastMessage {
                        id,
                        user_id,
                        content: if row.last_deleted_at.is_some() {
                            String::new()
                        } else {
                            row.last_content.unwrap_or_default()
                        },
                        created_at,
                        deleted: row.last_deleted_at.is_some(),
                    }),
                    _ => None,
                },
                unread_count: row.unread_count,
                updated_at: row.last_activity_at,
                archived: row.archived,
                role: row.role,
                peer_id: peer.map(|p| p.id),
            };
            (viewer, view)
        })
        .collect())
}

/// One thread as `viewer` sees it; "not found" for non-members.
pub async fn view(conn: &impl ConnectionTrait, thread: Uuid, viewer: Uuid) -> Result<ThreadView> {
    list(conn, viewer, Filter::One(thread))
        .await?
        .pop()
        .ok_or(AppError::NotFound("conversation"))
}
