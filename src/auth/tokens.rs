//! API tokens for bots and scripts: shown once, stored as a SHA-256 hash, revocable.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::revoked;
use crate::{
    entities::{api_tokens, users},
    error::{AppError, Result},
    realtime::registry::Revocation,
};

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
pub async fn revoke(db: &DatabaseConnection, user: Uuid, id: Uuid) -> Result<()> {
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
    revoked(&txn, user, Revocation::Token(id)).await?;
    txn.commit().await?;
    Ok(())
}

/// The active user a bearer token belongs to, and the token's id, if the token is live.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<(users::Model, Uuid)>> {
    if !token.starts_with(PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    let Some(row) = api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(digest(token)))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let user = users::Entity::find_by_id(row.user_id).one(db).await?;
    Ok(user
        .filter(|u| u.deactivated_at.is_none())
        .map(|u| (u, row.id)))
}
