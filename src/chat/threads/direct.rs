//! Direct conversations: one per pair of people, found or created.

use sea_orm::{DatabaseConnection, FromQueryResult, TransactionTrait};
use uuid::Uuid;

use super::{
    membership::{changed, insert_members},
    view,
};
use crate::{
    accounts::{self, User},
    chat::{blocks, views::ThreadView},
    db::stmt,
    entities::thread_participants::ThreadRole,
    error::{AppError, Result},
};

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
            insert_members(&txn, row.id, &[me.id, peer.id], ThreadRole::Member).await?;
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
            .ok_or_else(|| AppError::internal("direct thread vanished"))?
            .id
        }
    };
    let view = view(&txn, id, me.id).await?;
    txn.commit().await?;
    Ok(view)
}
