//! The admin's powers over other users (role, deactivation), and the server operator's
//! (the `confab user` command): who may change whom, and applying the change.

use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{User, changed, find};
use crate::{
    auth::{session_store::PgSessionStore, token_cache::TokenCache},
    entities::users::{self, SystemRole},
    error::{AppError, Result},
    eventlog::{self, Revocation},
};

/// What an admin may change about another user.
#[derive(Debug, Default)]
pub struct AdminChange {
    pub system_role: Option<SystemRole>,
    pub deactivated: Option<bool>,
}

/// Applies an admin's change. Rules: only OWNER/ADMIN act; nobody changes the OWNER or
/// themselves; only the OWNER grants or removes ADMIN; ownership is not transferable here.
/// Deactivation ends every session of the user.
pub async fn admin_update(
    db: &DatabaseConnection,
    cache: &TokenCache,
    actor: &User,
    target_id: Uuid,
    change: AdminChange,
) -> Result<User> {
    let target = admin_target(db, actor, target_id).await?;
    let touches_admin = change.system_role == Some(SystemRole::Admin)
        || (change.system_role.is_some() && target.system_role == SystemRole::Admin);
    if touches_admin && actor.system_role != SystemRole::Owner {
        return Err(AppError::forbidden(
            "only the owner can grant or remove admin",
        ));
    }
    apply_change(db, cache, &target, change).await
}

/// The user `actor` may manage: only OWNER/ADMIN act; nobody acts on themselves or on the
/// OWNER; only the OWNER acts on an ADMIN.
pub async fn admin_target(db: &DatabaseConnection, actor: &User, target_id: Uuid) -> Result<User> {
    if !actor.system_role.may_administer() {
        return Err(AppError::forbidden("only admins can manage users"));
    }
    let target = find(db, target_id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if target.id == actor.id {
        return Err(AppError::forbidden(
            "you cannot change your own role or status",
        ));
    }
    if target.system_role == SystemRole::Owner {
        return Err(AppError::forbidden("the owner cannot be changed"));
    }
    if target.system_role == SystemRole::Admin && actor.system_role != SystemRole::Owner {
        return Err(AppError::forbidden("only the owner can change an admin"));
    }
    Ok(target)
}

/// The server operator's change (the `confab user` command): no acting user, so only the
/// rules about the target hold: the OWNER is not changed and ownership is not transferred.
pub async fn operator_update(
    db: &DatabaseConnection,
    cache: &TokenCache,
    target: &User,
    change: AdminChange,
) -> Result<User> {
    if target.system_role == SystemRole::Owner {
        return Err(AppError::forbidden("the owner cannot be changed"));
    }
    apply_change(db, cache, target, change).await
}

async fn apply_change(
    db: &DatabaseConnection,
    cache: &TokenCache,
    target: &User,
    change: AdminChange,
) -> Result<User> {
    let mut model = users::ActiveModel {
        id: Set(target.id),
        updated_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    };
    if let Some(role) = change.system_role {
        if role == SystemRole::Owner {
            return Err(AppError::validation("ownership cannot be transferred"));
        }
        model.system_role = Set(role);
    }
    if let Some(deactivated) = change.deactivated {
        model.deactivated_at = Set(deactivated.then(OffsetDateTime::now_utc));
    }
    let updated = model.update(db).await?;
    if updated.deactivated_at.is_some() {
        PgSessionStore::delete_user_sessions(db, updated.id, None).await?;
        // Their token streams close too.
        eventlog::revoke(db, updated.id, Revocation::All).await?;
    }
    changed(db, cache, updated.id).await?;
    Ok(updated)
}
