//! Groups: created with members, renamed and changed by their admins.

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::{
    MAX_GROUP_MEMBERS, Membership, active_member_ids, membership,
    membership::{active_users, changed, depart, insert_members, touch},
    view,
};
use crate::{
    accounts::User,
    chat::{blocks, views::ThreadView},
    db::stmt,
    entities::{thread_participants::ThreadRole, threads::ThreadKind},
    error::{AppError, Result},
};

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
    blocks::ensure_none_blocked(&txn, creator.id, &members).await?;
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
    insert_members(&txn, id, &[creator.id], ThreadRole::Admin).await?;
    insert_members(&txn, id, &members, ThreadRole::Member).await?;
    changed(&txn, id).await?;
    let view = view(&txn, id, creator.id).await?;
    txn.commit().await?;
    Ok(view)
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
    blocks::ensure_none_blocked(&txn, actor.id, &users).await?;
    let current = active_member_ids(&txn, thread).await?;
    let new_count = users.iter().filter(|u| !current.contains(u)).count();
    if current.len() + new_count > MAX_GROUP_MEMBERS {
        return Err(AppError::validation(format!(
            "a group has at most {MAX_GROUP_MEMBERS} members"
        )));
    }
    let added = insert_members(&txn, thread, &users, ThreadRole::Member).await?;
    if !added.is_empty() {
        touch(&txn, thread).await?;
        changed(&txn, thread).await?;
    }
    let view = view(&txn, thread, actor.id).await?;
    txn.commit().await?;
    Ok(view)
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
