//! Who is in a thread, a page at a time, online members first ("who is here" beside a
//! room). Presence is not the chat layer's: the caller says who is online.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use super::membership;
use crate::{
    accounts::{Status, UserView},
    db::stmt,
    entities::users,
    error::Result,
};

/// Members per page, at most.
pub const MAX_PAGE: u64 = 200;

/// One page of a thread's members.
pub struct Roster {
    /// Online first, then by name.
    pub members: Vec<UserView>,
    /// Active members in all.
    pub total: i64,
    /// Of them, online now.
    pub online: i64,
    /// Where the next page starts, if there is one.
    pub next_offset: Option<u64>,
}

/// The members of `thread` from `offset`, `limit` of them (at most [`MAX_PAGE`]), as
/// `viewer` may see them: "not found" unless the viewer is a member. `online` is who is
/// online among the thread's members (see [`member_ids`]).
pub async fn roster(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    viewer: Uuid,
    online: &HashSet<Uuid>,
    offset: u64,
    limit: u64,
) -> Result<Roster> {
    membership(conn, thread, viewer).await?;
    let limit = limit.clamp(1, MAX_PAGE);
    let online_ids: Vec<Uuid> = online.iter().copied().collect();
    let mut rows = users::Model::find_by_statement(stmt(
        "SELECT u.* FROM thread_participants p JOIN users u ON u.id = p.user_id
         WHERE p.thread_id = $1 AND p.left_at IS NULL AND u.deactivated_at IS NULL
         ORDER BY (u.id = ANY($2)) DESC, lower(u.display_name), u.id
         OFFSET $3 LIMIT $4",
        [
            thread.into(),
            online_ids.clone().into(),
            // Far past any thread's size, however large it is asked for.
            i64::try_from(offset).unwrap_or(i64::MAX).into(),
            (limit as i64 + 1).into(),
        ],
    ))
    .all(conn)
    .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    #[derive(FromQueryResult)]
    struct Counts {
        total: i64,
        online: i64,
    }
    let counts = Counts::find_by_statement(stmt(
        "SELECT count(*) AS total, count(*) FILTER (WHERE u.id = ANY($2)) AS online
         FROM thread_participants p JOIN users u ON u.id = p.user_id
         WHERE p.thread_id = $1 AND p.left_at IS NULL AND u.deactivated_at IS NULL",
        [
            thread.into(),
            online.iter().copied().collect::<Vec<Uuid>>().into(),
        ],
    ))
    .one(conn)
    .await?
    .unwrap_or(Counts {
        total: 0,
        online: 0,
    });
    Ok(Roster {
        members: rows
            .iter()
            .map(|u| UserView {
                status: Status::online(online.contains(&u.id)),
                last_seen: u.last_seen_at,
                ..UserView::new(u)
            })
            .collect(),
        total: counts.total,
        online: counts.online,
        next_offset: more.then_some(offset.saturating_add(limit)),
    })
}

/// The ids of the thread's active members, for asking who of them is online; "not found"
/// unless `viewer` is a member.
pub async fn member_ids(
    conn: &impl ConnectionTrait,
    thread: Uuid,
    viewer: Uuid,
) -> Result<Vec<Uuid>> {
    membership(conn, thread, viewer).await?;
    super::active_member_ids(conn, thread).await
}
