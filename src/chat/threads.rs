//! Conversations and membership: the list, direct conversations (one per pair), groups
//! (create, rename, add, remove, leave), the open room, and per-user archiving.

use std::collections::HashMap;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, FromQueryResult, TransactionTrait,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    blocks,
    views::{LastMessage, ThreadView},
};
use crate::{
    accounts::{self, User, UserView},
    db::stmt,
    entities::{threads::ThreadKind, users},
    error::{AppError, Result},
    eventlog::{self, Kind, Scope},
};

/// Most members a group may have.
pub const MAX_GROUP_MEMBERS: usize = 20_000;
/// Most user ids one create/add call may name.
pub const MAX_IDS_PER_CALL: usize = 1_000;
/// Members listed in a Thread object.
const LISTED_PARTICIPANTS: i64 = 100;

/// The caller's active membership in a thread.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Membership {
    pub thread_id: Uuid,
    pub user_id: Uuid,
    pub kind: ThreadKind,
    pub role: String,
    pub read_seq: i64,
    pub delivered_seq: i64,
    pub last_seq: i64,
}

impl Membership {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// The caller's membership, or "not found" (non-members learn nothing about a thread).
pub async fn membership(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    user: Uuid,
) -> Result<Membership> {
    Membership::find_by_statement(stmt(
        "SELECT p.thread_id, p.user_id, t.kind, p.role, p.read_seq, p.delivered_seq, t.last_seq
         FROM thread_participants p JOIN threads t ON t.id = p.thread_id
         WHERE p.thread_id = $1 AND p.user_id = $2 AND p.left_at IS NULL",
        [thread.into(), user.into()],
    ))
    .one(conn)
    .await?
    .ok_or(AppError::NotFound("conversation"))
}

#[derive(FromQueryResult)]
struct ThreadRow {
    viewer: Uuid,
    id: Uuid,
    kind: ThreadKind,
    name: Option<String>,
    last_activity_at: OffsetDateTime,
    archived: bool,
    role: String,
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

/// The viewer's threads as they see them, newest activity first.
pub async fn list(
    conn: &impl ConnectionTrait,
    viewer: Uuid,
    filter: Filter,
) -> Result<Vec<ThreadView>> {
    Ok(query(conn, &[viewer], filter)
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
    query(conn, viewers, Filter::One(thread)).await
}

/// The threads of `viewers` as each of them sees them, newest activity first.
async fn query(
    conn: &impl ConnectionTrait,
    viewers: &[Uuid],
    filter: Filter,
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
              AND m.author_id <> p.user_id AND m.deleted_at IS NULL) AS unread_count,
           t.member_count::bigint AS member_count,
           lm.id AS last_id, lm.author_id AS last_author_id, lm.content AS last_content,
           lm.created_at AS last_created_at, lm.deleted_at AS last_deleted_at
         FROM thread_participants p
         JOIN threads t ON t.id = p.thread_id
         LEFT JOIN LATERAL (SELECT id, author_id, content, created_at, deleted_at FROM messages
                            WHERE thread_id = t.id ORDER BY seq DESC LIMIT 1) lm ON true
         WHERE p.user_id = ANY($1) AND p.left_at IS NULL
           AND ($2::boolean IS NULL OR p.archived = $2)
           AND ($3::uuid IS NULL OR t.id = $3)
         ORDER BY t.last_activity_at DESC, t.id",
        [viewers.to_vec().into(), archived.into(), only.into()],
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
    Ok(rows
        .into_iter()
        .map(|row| {
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
                participants: people.iter().map(UserView::new).collect(),
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

/// Tells each of `users` how the thread now looks to them (a user-scoped event each: for
/// changes that concern a few people, such as archiving or reading).
pub async fn announce(txn: &DatabaseTransaction, thread: Uuid, users: &[Uuid]) -> Result<()> {
    for (user, view) in views_for(txn, thread, users).await? {
        eventlog::append(
            txn,
            Scope::UserThread { user, thread },
            Kind::ThreadUpdated,
            &view,
        )
        .await?;
    }
    Ok(())
}

/// Tells every member that the thread changed (name or members): one event, which each
/// member's stream turns into the thread as that member sees it.
async fn changed(txn: &DatabaseTransaction, thread: Uuid) -> Result<()> {
    eventlog::append(
        txn,
        Scope::Thread(thread),
        Kind::ThreadChanged,
        &serde_json::json!({ "threadId": thread }),
    )
    .await?;
    Ok(())
}

/// Keeps `threads.member_count` right after members came or went.
async fn recount(txn: &DatabaseTransaction, thread: Uuid) -> Result<()> {
    txn.execute_raw(stmt(
        "UPDATE threads SET member_count = (SELECT count(*) FROM thread_participants
           WHERE thread_id = $1 AND left_at IS NULL) WHERE id = $1",
        [thread.into()],
    ))
    .await?;
    Ok(())
}

/// The ids of the thread's active members.
pub async fn active_member_ids(conn: &impl ConnectionTrait, thread: Uuid) -> Result<Vec<Uuid>> {
    #[derive(FromQueryResult)]
    struct Row {
        user_id: Uuid,
    }
    Ok(Row::find_by_statement(stmt(
        "SELECT user_id FROM thread_participants WHERE thread_id = $1 AND left_at IS NULL",
        [thread.into()],
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|r| r.user_id)
    .collect())
}

/// Checks that every id names an active user; returns them de-duplicated.
async fn active_users(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    if ids.len() > MAX_IDS_PER_CALL {
        return Err(AppError::validation(format!(
            "at most {MAX_IDS_PER_CALL} users per call"
        )));
    }
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let found = Count::find_by_statement(stmt(
        "SELECT count(*) AS n FROM users WHERE id = ANY($1) AND deactivated_at IS NULL",
        [unique.clone().into()],
    ))
    .one(conn)
    .await?
    .map_or(0, |c| c.n);
    if found != unique.len() as i64 {
        return Err(AppError::NotFound("user"));
    }
    Ok(unique)
}

async fn insert_members(
    txn: &DatabaseTransaction,
    thread: Uuid,
    users: &[Uuid],
    role: &str,
) -> Result<Vec<Uuid>> {
    #[derive(FromQueryResult)]
    struct Row {
        user_id: Uuid,
    }
    // Re-adding someone who left brings them back with fresh pointers.
    let added = Row::find_by_statement(stmt(
        "INSERT INTO thread_participants (thread_id, user_id, role, read_seq, delivered_seq)
         SELECT $1, u, $3, t.last_seq, t.last_seq FROM unnest($2::uuid[]) AS u, threads t WHERE t.id = $1
         ON CONFLICT (thread_id, user_id) DO UPDATE
           SET left_at = NULL, joined_at = now(), role = EXCLUDED.role, archived = false,
               read_seq = EXCLUDED.read_seq, delivered_seq = EXCLUDED.delivered_seq
           WHERE thread_participants.left_at IS NOT NULL
         RETURNING user_id",
        [thread.into(), users.to_vec().into(), role.into()],
    ))
    .all(txn)
    .await?;
    if !added.is_empty() {
        recount(txn, thread).await?;
    }
    Ok(added.into_iter().map(|r| r.user_id).collect())
}

async fn touch(txn: &DatabaseTransaction, thread: Uuid) -> Result<()> {
    txn.execute_raw(stmt(
        "UPDATE threads SET last_activity_at = now() WHERE id = $1",
        [thread.into()],
    ))
    .await?;
    Ok(())
}

/// Creates a group named `name` with the creator (as admin) and `members`.
pub async fn create_group(
    db: &DatabaseConnection,
    creator: &User,
    name: String,
    members: &[Uuid],
) -> Result<ThreadView> {
    let txn = db.begin().await?;
    let mut members = active_users(&txn, members).await?;
    members.retain(|&id| id != creator.id);
    if members.len() + 1 > MAX_GROUP_MEMBERS {
        return Err(AppError::validation(format!(
            "a group has at most {MAX_GROUP_MEMBERS} members"
        )));
    }
    let id = Uuid::now_v7();
    txn.execute_raw(stmt(
        "INSERT INTO threads (id, kind, name, created_by) VALUES ($1, 'group', $2, $3)",
        [id.into(), name.into(), creator.id.into()],
    ))
    .await?;
    insert_members(&txn, id, &[creator.id], "admin").await?;
    insert_members(&txn, id, &members, "member").await?;
    changed(&txn, id).await?;
    let view = view(&txn, id, creator.id).await?;
    txn.commit().await?;
    Ok(view)
}

fn direct_key(a: Uuid, b: Uuid) -> String {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

/// The direct conversation between `me` and `other`, created if it does not exist yet.
/// Concurrent calls for the same pair meet on the unique `direct_key`.
pub async fn direct(db: &DatabaseConnection, me: &User, other: Uuid) -> Result<ThreadView> {
    if other == me.id {
        return Err(AppError::validation(
            "you cannot start a conversation with yourself",
        ));
    }
    let peer = accounts::find(db, other)
        .await?
        .filter(|u| u.deactivated_at.is_none())
        .ok_or(AppError::NotFound("user"))?;
    if blocks::is_blocked(db, peer.id, me.id).await? {
        return Err(AppError::forbidden("you cannot message this user"));
    }
    let txn = db.begin().await?;
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
    }
    let key = direct_key(me.id, peer.id);
    let created = Row::find_by_statement(stmt(
        "INSERT INTO threads (id, kind, direct_key, created_by) VALUES ($1, 'direct', $2, $3)
         ON CONFLICT (direct_key) DO NOTHING RETURNING id",
        [Uuid::now_v7().into(), key.clone().into(), me.id.into()],
    ))
    .one(&txn)
    .await?;
    let id = match created {
        Some(row) => {
            insert_members(&txn, row.id, &[me.id, peer.id], "member").await?;
            changed(&txn, row.id).await?;
            row.id
        }
        None => {
            Row::find_by_statement(stmt(
                "SELECT id FROM threads WHERE direct_key = $1",
                [key.into()],
            ))
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("direct thread vanished")))?
            .id
        }
    };
    let view = view(&txn, id, me.id).await?;
    txn.commit().await?;
    Ok(view)
}

/// Puts a new user in every open room.
pub async fn join_open_rooms(txn: &DatabaseTransaction, user: Uuid) -> Result<()> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
    }
    let rooms = Row::find_by_statement(stmt("SELECT id FROM threads WHERE kind = 'open'", []))
        .all(txn)
        .await?;
    for room in rooms {
        insert_members(txn, room.id, &[user], "member").await?;
        announce(txn, room.id, &[user]).await?;
        eventlog::append(
            txn,
            Scope::Thread(room.id),
            Kind::MembersChanged,
            &serde_json::json!({ "threadId": room.id, "userId": user }),
        )
        .await?;
    }
    Ok(())
}

async fn group_admin(txn: &DatabaseTransaction, thread: Uuid, actor: Uuid) -> Result<Membership> {
    let me = membership(txn, thread, actor).await?;
    if me.kind != ThreadKind::Group {
        return Err(AppError::validation("only groups can be changed this way"));
    }
    if !me.is_admin() {
        return Err(AppError::forbidden("only the group's admins can do that"));
    }
    Ok(me)
}

pub async fn rename(
    db: &DatabaseConnection,
    actor: &User,
    thread: Uuid,
    name: String,
) -> Result<ThreadView> {
    let txn = db.begin().await?;
    group_admin(&txn, thread, actor.id).await?;
    txn.execute_raw(stmt(
        "UPDATE threads SET name = $2 WHERE id = $1",
        [thread.into(), name.into()],
    ))
    .await?;
    touch(&txn, thread).await?;
    changed(&txn, thread).await?;
    let view = view(&txn, thread, actor.id).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn add_members(
    db: &DatabaseConnection,
    actor: &User,
    thread: Uuid,
    users: &[Uuid],
) -> Result<ThreadView> {
    let txn = db.begin().await?;
    group_admin(&txn, thread, actor.id).await?;
    let users = active_users(&txn, users).await?;
    let current = active_member_ids(&txn, thread).await?;
    let new_count = users.iter().filter(|u| !current.contains(u)).count();
    if current.len() + new_count > MAX_GROUP_MEMBERS {
        return Err(AppError::validation(format!(
            "a group has at most {MAX_GROUP_MEMBERS} members"
        )));
    }
    let added = insert_members(&txn, thread, &users, "member").await?;
    if !added.is_empty() {
        touch(&txn, thread).await?;
        changed(&txn, thread).await?;
    }
    let view = view(&txn, thread, actor.id).await?;
    txn.commit().await?;
    Ok(view)
}

/// Marks `user` as gone from the thread, tells them, and tells the rest.
async fn depart(txn: &DatabaseTransaction, thread: Uuid, user: Uuid) -> Result<()> {
    txn.execute_raw(stmt(
        "UPDATE thread_participants SET left_at = now(), role = 'member'
         WHERE thread_id = $1 AND user_id = $2 AND left_at IS NULL",
        [thread.into(), user.into()],
    ))
    .await?;
    // A group always keeps an admin: promote the longest-standing member if needed.
    txn.execute_raw(stmt(
        "UPDATE thread_participants SET role = 'admin'
         WHERE thread_id = $1 AND user_id = (
           SELECT user_id FROM thread_participants WHERE thread_id = $1 AND left_at IS NULL
           ORDER BY joined_at, user_id LIMIT 1)
         AND NOT EXISTS (SELECT 1 FROM thread_participants
                         WHERE thread_id = $1 AND left_at IS NULL AND role = 'admin')",
        [thread.into()],
    ))
    .await?;
    recount(txn, thread).await?;
    eventlog::append(
        txn,
        Scope::UserThread { user, thread },
        Kind::ThreadRemoved,
        &serde_json::json!({ "id": thread }),
    )
    .await?;
    touch(txn, thread).await?;
    changed(txn, thread).await?;
    Ok(())
}

pub async fn remove_member(
    db: &DatabaseConnection,
    actor: &User,
    thread: Uuid,
    user: Uuid,
) -> Result<ThreadView> {
    if user == actor.id {
        return Err(AppError::validation("to remove yourself, leave the group"));
    }
    let txn = db.begin().await?;
    group_admin(&txn, thread, actor.id).await?;
    membership(&txn, thread, user)
        .await
        .map_err(|_| AppError::NotFound("member"))?;
    depart(&txn, thread, user).await?;
    let view = view(&txn, thread, actor.id).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn leave(db: &DatabaseConnection, actor: &User, thread: Uuid) -> Result<()> {
    let txn = db.begin().await?;
    let me = membership(&txn, thread, actor.id).await?;
    match me.kind {
        ThreadKind::Group => {}
        ThreadKind::Direct => {
            return Err(AppError::validation(
                "you cannot leave a direct conversation; archive it instead",
            ));
        }
        ThreadKind::Open => return Err(AppError::validation("everyone stays in the open room")),
    }
    depart(&txn, thread, actor.id).await?;
    txn.commit().await?;
    Ok(())
}

/// Archives or unarchives the thread for `actor` only.
pub async fn set_archived(
    db: &DatabaseConnection,
    actor: &User,
    thread: Uuid,
    archived: bool,
) -> Result<ThreadView> {
    let txn = db.begin().await?;
    membership(&txn, thread, actor.id).await?;
    txn.execute_raw(stmt(
        "UPDATE thread_participants SET archived = $3 WHERE thread_id = $1 AND user_id = $2",
        [thread.into(), actor.id.into(), archived.into()],
    ))
    .await?;
    announce(&txn, thread, &[actor.id]).await?;
    let view = view(&txn, thread, actor.id).await?;
    txn.commit().await?;
    Ok(view)
}
