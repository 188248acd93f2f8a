//! The open room: every user is in it, from sign-up on.

use sea_orm::{DatabaseConnection, DatabaseTransaction, FromQueryResult};
use uuid::Uuid;

use super::{announce, membership::insert_members};
use crate::{
    accounts::{self, NewAccount, User},
    config::Registration,
    db::stmt,
    entities::thread_participants::ThreadRole,
    error::Result,
    eventlog::{self, Kind, Scope},
};

/// Registers an account (see [`accounts::register`]) and puts the newcomer in every open
/// room, in one transaction.
pub async fn sign_up(
    db: &DatabaseConnection,
    new: NewAccount,
    registration: Registration,
) -> Result<User> {
    accounts::register(db, new, registration, async |txn, user| {
        join_open_rooms(txn, user.id).await
    })
    .await
}

/// Registers an account with an admin's invite link (whatever the registration setting)
/// and puts the newcomer in every open room, in one transaction that also spends the link.
pub async fn sign_up_invited(
    db: &DatabaseConnection,
    secret: &str,
    new: NewAccount,
) -> Result<User> {
    accounts::links::accept_invite(db, secret, new, async |txn, user| {
        join_open_rooms(txn, user.id).await
    })
    .await
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
        insert_members(txn, room.id, &[user], ThreadRole::Member).await?;
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
