//! Emoji reactions: one per (message, user, emoji); adding twice or removing what is not
//! there changes nothing.

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use uuid::Uuid;

use super::{blocks, messages, views::MessageView};
use crate::{
    accounts::User,
    db::stmt,
    error::{AppError, Result},
};

/// Whether a reaction is being added or taken back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toggle {
    Add,
    Remove,
}

/// Distinct emoji one message may carry.
const MAX_DISTINCT: i64 = 50;

pub async fn set(
    db: &DatabaseConnection,
    actor: &User,
    message: Uuid,
    emoji: String,
    toggle: Toggle,
) -> Result<MessageView> {
    let txn = db.begin().await?;
    let (row, member) = messages::visible(&txn, actor.id, message).await?;
    blocks::ensure_not_blocked_in(&txn, &member).await?;
    if row.deleted_at.is_some() {
        return Err(AppError::conflict("a deleted message cannot be reacted to"));
    }
    let changed = if toggle == Toggle::Add {
        #[derive(FromQueryResult)]
        struct Count {
            n: i64,
        }
        let distinct = Count::find_by_statement(stmt(
            "SELECT count(DISTINCT emoji) AS n FROM reactions WHERE message_id = $1 AND emoji <> $2",
            [message.into(), emoji.clone().into()],
        ))
        .one(&txn)
        .await?
        .map_or(0, |c| c.n);
        if distinct >= MAX_DISTINCT {
            return Err(AppError::validation(format!(
                "a message carries at most {MAX_DISTINCT} different reactions"
            )));
        }
        txn.execute_raw(stmt(
            "INSERT INTO reactions (message_id, user_id, emoji) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [message.into(), actor.id.into(), emoji.into()],
        ))
        .await?
        .rows_affected()
    } else {
        txn.execute_raw(stmt(
            "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
            [message.into(), actor.id.into(), emoji.into()],
        ))
        .await?
        .rows_affected()
    };
    let view = if changed > 0 {
        messages::announce_update(&txn, &row).await?
    } else {
        messages::view(&txn, &row).await?
    };
    txn.commit().await?;
    Ok(view)
}
