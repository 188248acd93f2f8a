//! Who may see whose presence: people who share a direct conversation or a group (the
//! open room, which everyone is in, does not count), with no block between them.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::{db::stmt, error::Result};

/// The members of `people` who are `viewer`'s contacts, `viewer` included if named.
pub async fn contacts_among(
    conn: &impl ConnectionTrait,
    viewer: Uuid,
    people: &[Uuid],
) -> Result<HashSet<Uuid>> {
    #[derive(FromQueryResult)]
    struct Row {
        user_id: Uuid,
    }
    let others: Vec<Uuid> = people.iter().copied().filter(|&p| p != viewer).collect();
    let mut contacts = HashSet::new();
    if others.len() < people.len() {
        contacts.insert(viewer);
    }
    if others.is_empty() {
        return Ok(contacts);
    }
    let rows = Row::find_by_statement(stmt(
        "SELECT DISTINCT other.user_id
         FROM thread_participants mine
         JOIN threads t ON t.id = mine.thread_id AND t.kind <> 'open'
         JOIN thread_participants other
           ON other.thread_id = mine.thread_id AND other.left_at IS NULL
          AND other.user_id = ANY($2)
         WHERE mine.user_id = $1 AND mine.left_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM blocks b
             WHERE (b.blocker_id = $1 AND b.blocked_id = other.user_id)
                OR (b.blocker_id = other.user_id AND b.blocked_id = $1))",
        [viewer.into(), others.into()],
    ))
    .all(conn)
    .await?;
    contacts.extend(rows.into_iter().map(|r| r.user_id));
    Ok(contacts)
}
