//! Accounts: registration, credentials, profile, the admin's powers over users ([`admin`])
//! and their one-time links ([`links`]). No HTTP types here; callers hand in validated
//! fields and get models or `AppError`s back.

mod admin;
pub mod fields;
pub mod links;
pub mod notifications;
mod view;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
    TransactionTrait,
    sea_query::{Expr, ExprTrait, Func},
};
use time::OffsetDateTime;
use tower_sessions::session::Id as SessionId;
use uuid::Uuid;

pub use self::admin::{AdminChange, admin_target, admin_update, operator_update};
use self::fields::{DisplayName, Email, Password, Username};
pub use self::view::{Status, UserView, image_url, picture_file};
use crate::{
    auth::{password, session_store::PgSessionStore, token_cache::TokenCache, tokens},
    config::Registration,
    entities::users::{self, SystemRole},
    error::{AppError, Result},
    eventlog::{self, Kind, Scope},
};

pub type User = users::Model;

pub struct NewAccount {
    pub username: Username,
    pub password: Password,
    pub name: Option<DisplayName>,
    pub email: Option<Email>,
}

/// An arbitrary constant serialising registrations, so exactly one first user is OWNER.
const REGISTRATION_LOCK: i64 = 0x00C0_FAB0_0002;

/// Creates an account. The first account becomes OWNER and may always register; after it,
/// `Registration::Closed` refuses newcomers. `welcome` runs in the same transaction once
/// the user row exists (the chat layer puts the newcomer in its open rooms), so an account
/// never exists half set up.
pub async fn register(
    db: &DatabaseConnection,
    new: NewAccount,
    registration: Registration,
    welcome: impl AsyncFnOnce(&DatabaseTransaction, &User) -> Result<()>,
) -> Result<User> {
    // Refuse before hashing: a closed server spends no argon2 on strangers. (The check is
    // repeated under the lock below, where the very first account is decided.)
    if registration == Registration::Closed && users::Entity::find().count(db).await? > 0 {
        return Err(AppError::forbidden("registration is closed on this server"));
    }
    let hash = password::hash(new.password.into_inner()).await?;
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!(
        "SELECT pg_advisory_xact_lock({REGISTRATION_LOCK})"
    ))
    .await?;
    let first = users::Entity::find().count(&txn).await? == 0;
    if !first && registration == Registration::Closed {
        return Err(AppError::forbidden("registration is closed on this server"));
    }
    // An address another account already has is not stored, and the answer is the same
    // as with a fresh one: registration must not tell strangers whose address is in use.
    // (Registrations are serialised by the lock above, so the check cannot race.)
    let email = match new.email.map(Email::into_inner) {
        Some(email) if email_in_use(&txn, &email).await? => None,
        other => other,
    };
    let now = OffsetDateTime::now_utc();
    let display_name = new
        .name
        .map(DisplayName::into_inner)
        .unwrap_or_else(|| new.username.as_str().to_owned());
    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(new.username.as_str().to_owned()),
        display_name: Set(display_name),
        email: Set(email),
        password_hash: Set(hash),
        system_role: Set(if first {
            SystemRole::Owner
        } else {
            SystemRole::Member
        }),
        avatar_key: Set(None),
        last_seen_at: Set(None),
        deactivated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::conflict("that username is taken"),
        _ => e.into(),
    })?;
    welcome(&txn, &user).await?;
    txn.commit().await?;
    Ok(user)
}

pub async fn find_by_username(db: &impl ConnectionTrait, username: &str) -> Result<Option<User>> {
    Ok(users::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(users::Column::Username))).eq(username.to_lowercase()),
        )
        .one(db)
        .await?)
}

/// The users with these ids, by id.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, User>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<User>> {
    Ok(users::Entity::find_by_id(id).one(db).await?)
}

/// Checks a username and password. Unknown users and wrong passwords get the same answer,
/// after the same amount of work.
pub async fn authenticate(db: &DatabaseConnection, username: &str, pass: &str) -> Result<User> {
    let user = find_by_username(db, username.trim()).await?;
    let ok = password::verify(
        pass.to_owned(),
        user.as_ref().map(|u| u.password_hash.clone()),
        password::Budget::Login,
    )
    .await?;
    match user {
        Some(user) if ok && user.deactivated_at.is_none() => Ok(user),
        Some(_) if ok => Err(AppError::forbidden("this account has been deactivated")),
        _ => Err(AppError::Unauthenticated(
            "invalid username or password".into(),
        )),
    }
}

/// Changes the password after checking the current one, ends the user's other sessions
/// (`keep` is the caller's own session, if it is one) and revokes their API tokens: a
/// password change is how someone locks out whoever else holds their credentials.
pub async fn change_password(
    db: &DatabaseConnection,
    cache: &TokenCache,
    user: &User,
    current: &str,
    new: Password,
    keep: Option<&SessionId>,
) -> Result<()> {
    let stored = Some(user.password_hash.clone());
    if !password::verify(current.to_owned(), stored, password::Budget::Account).await? {
        return Err(AppError::validation(WRONG_CURRENT_PASSWORD));
    }
    set_password(db, cache, user.id, new, keep).await
}

/// Sets a new password without asking for the old one (an operator's reset, or a reset
/// link), and ends the user's sessions except `keep`.
pub async fn set_password(
    db: &DatabaseConnection,
    cache: &TokenCache,
    user: Uuid,
    new: Password,
    keep: Option<&SessionId>,
) -> Result<()> {
    let hash = password::hash(new.into_inner()).await?;
    users::ActiveModel {
        id: Set(user),
        password_hash: Set(hash),
        updated_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .update(db)
    .await?;
    PgSessionStore::delete_user_sessions(db, user, keep).await?;
    tokens::revoke_all(db, cache, user).await?;
    Ok(())
}

async fn email_in_use(conn: &impl ConnectionTrait, email: &str) -> Result<bool> {
    Ok(users::Entity::find()
        .filter(sea_orm::sea_query::Expr::cust_with_values(
            "lower(email) = lower($1)",
            [email.to_owned()],
        ))
        .count(conn)
        .await?
        > 0)
}

/// What a password change answers when the current password given is wrong.
pub const WRONG_CURRENT_PASSWORD: &str = "current password is wrong";

pub async fn update_profile(
    db: &DatabaseConnection,
    cache: &TokenCache,
    user: &User,
    name: DisplayName,
) -> Result<User> {
    let updated = users::ActiveModel {
        id: Set(user.id),
        display_name: Set(name.into_inner()),
        updated_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .update(db)
    .await?;
    changed(db, cache, user.id).await?;
    Ok(updated)
}

/// Names `key` (`None`: no picture, the identicon) as `user`'s profile picture; returns the
/// updated user and the key it replaced, whose object the caller removes.
pub async fn set_avatar_key(
    db: &DatabaseConnection,
    cache: &TokenCache,
    user: Uuid,
    key: Option<String>,
) -> Result<(User, Option<String>)> {
    let txn = db.begin().await?;
    let current = users::Entity::find_by_id(user)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let updated = users::ActiveModel {
        id: Set(user),
        avatar_key: Set(key),
        updated_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    // In the same transaction: once the key is set, the cached copies are sure to go.
    eventlog::append(
        &txn,
        Scope::User(user),
        Kind::UserChanged,
        &serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    cache.forget_user(user);
    Ok((updated, current.avatar_key))
}

/// Tells every instance that `user`'s account changed, so none keeps serving a stale
/// copy of it (a cached token's user); this instance forgets at once.
pub(crate) async fn changed(db: &DatabaseConnection, cache: &TokenCache, user: Uuid) -> Result<()> {
    eventlog::append(
        db,
        Scope::User(user),
        Kind::UserChanged,
        &serde_json::json!({}),
    )
    .await?;
    cache.forget_user(user);
    Ok(())
}

/// Users whose username or display name contains `q` (all users when `q` is empty).
pub async fn search(db: &DatabaseConnection, q: &str, limit: u64) -> Result<Vec<User>> {
    let mut query = users::Entity::find()
        .filter(users::Column::DeactivatedAt.is_null())
        .order_by_asc(Expr::expr(Func::lower(Expr::col(users::Column::Username))));
    let q = q.trim();
    if !q.is_empty() {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_', '\\'], ""));
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(users::Column::Username)))
                .like(pattern.clone())
                .or(Expr::expr(Func::lower(Expr::col(users::Column::DisplayName))).like(pattern)),
        );
    }
    Ok(sea_orm::QuerySelect::limit(query, limit).all(db).await?)
}

pub async fn list_all(db: &DatabaseConnection) -> Result<Vec<User>> {
    Ok(users::Entity::find()
        .order_by_asc(users::Column::CreatedAt)
        .all(db)
        .await?)
}

impl NewAccount {
    /// Validates raw registration input (from a form or JSON).
    pub fn parse(
        username: &str,
        password: &str,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<Self> {
        fn blank_to_none(v: Option<&str>) -> Option<&str> {
            v.filter(|s| !s.trim().is_empty())
        }
        Ok(Self {
            username: Username::parse(username)?,
            password: Password::parse(password)?,
            name: blank_to_none(name).map(DisplayName::parse).transpose()?,
            email: blank_to_none(email).map(Email::parse).transpose()?,
        })
    }
}
