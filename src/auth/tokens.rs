//! API tokens for bots and scripts: shown once, stored as a SHA-256 hash, revocable.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    entities::{api_tokens, users},
    error::{AppError, Result},
    eventlog::{self, Revocation},
};

use super::token_cache::TokenCache;

const PREFIX: &str = "cfb_";
/// A user may hold this many live tokens.
const MAX_TOKENS: usize = 50;

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Creates a token; the plaintext is returned this once and never stored.
pub async fn create(
    db: &DatabaseConnection,
    user: Uuid,
    name: String,
) -> Result<(api_tokens::Model, String)> {
    if list(db, user).await?.len() >= MAX_TOKENS {
        return Err(AppError::conflict(format!(
            "you already have {MAX_TOKENS} tokens; revoke one first"
        )));
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let model = api_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        name: Set(name),
        token_hash: Set(digest(&token)),
        created_at: Set(OffsetDateTime::now_utc()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((model, token))
}

/// The user's live (unrevoked) tokens, newest first.
pub async fn list(db: &DatabaseConnection, user: Uuid) -> Result<Vec<api_tokens::Model>> {
    Ok(api_tokens::Entity::find()
        .filter(api_tokens::Column::UserId.eq(user))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .order_by_desc(api_tokens::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Revokes one of the user's tokens (its open streams close); someone else's token is
/// "not found".
pub async fn revoke(
    db: &DatabaseConnection,
    cache: &TokenCache,
    user: Uuid,
    id: Uuid,
) -> Result<()> {
    let txn = db.begin().await?;
    let result = api_tokens::Entity::update_many()
        .col_expr(
            api_tokens::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(api_tokens::Column::Id.eq(id))
        .filter(api_tokens::Column::UserId.eq(user))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::NotFound("token"));
    }
    eventlog::revoke(&txn, user, Revocation::Token(id)).await?;
    txn.commit().await?;
    cache.forget_user(user);
    Ok(())
}

/// Revokes every live token of `user` (their open streams close).
pub async fn revoke_all(db: &DatabaseConnection, cache: &TokenCache, user: Uuid) -> Result<u64> {
    let txn = db.begin().await?;
    let live: Vec<Uuid> = api_tokens::Entity::find()
        .filter(api_tokens::Column::UserId.eq(user))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if live.is_empty() {
        return Ok(0);
    }
    api_tokens::Entity::update_many()
        .col_expr(
            api_tokens::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(api_tokens::Column::Id.is_in(live.clone()))
        .exec(&txn)
        .await?;
    for id in &live {
        eventlog::revoke(&txn, user, Revocation::Token(*id)).await?;
    }
    txn.commit().await?;
    cache.forget_user(user);
    Ok(live.len() as u64)
}

/// The active user a bearer token belongs to, and the token's id, if the token is live.
/// Answered from the [`TokenCache`] when this process saw the token recently.
pub async fn authenticate(
    db: &DatabaseConnection,
    cache: &TokenCache,
    token: &str,
) -> Result<Option<(users::Model, Uuid)>> {
    if !token.starts_with(PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    let digest = digest(token);
    if let Some(hit) = cache.get(&digest) {
        return Ok(Some((hit.user, hit.token_id)));
    }
    let generation = cache.generation();
    // One round trip, with the log's head of the same snapshot for the cache.
    let row = db
        .query_one_raw(crate::db::stmt(
            &format!(
                "SELECT u.*, t.id AS token_id, {head} AS head
                 FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.deactivated_at IS NULL",
                head = eventlog::HEAD_SQL,
            ),
            [digest.clone().into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let user = users::Model::from_query_result(&row, "")?;
    let token_id: Uuid = row.try_get("", "token_id")?;
    let head: String = row.try_get("", "head")?;
    cache.put(
        digest,
        user.clone(),
        token_id,
        eventlog::head_from(&head)?,
        generation,
    );
    Ok(Some((user, token_id)))
}
