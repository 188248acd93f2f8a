//! A tower-sessions store on SeaORM's connection pool (the sqlx store does not fit sqlx 0.9).
//! Each row also records the user id, so all of a user's sessions can be ended at once.

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, TransactionTrait,
    sea_query::OnConflict,
};
use time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
};
use uuid::Uuid;

use super::SESSION_USER_KEY;
use crate::{
    entities::sessions,
    eventlog::{self, Revocation},
};

#[derive(Clone, Debug)]
pub struct PgSessionStore {
    db: DatabaseConnection,
}

impl PgSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Ends every session of `user`, except `keep` (the caller's own, when it stays), and
    /// the streams opened with them.
    pub async fn delete_user_sessions(
        db: &DatabaseConnection,
        user: Uuid,
        keep: Option<&Id>,
    ) -> crate::error::Result<u64> {
        #[derive(FromQueryResult)]
        struct Ended {
            id: String,
        }
        let txn = db.begin().await?;
        let ended = Ended::find_by_statement(crate::db::stmt(
            "DELETE FROM sessions WHERE user_id = $1 AND ($2::text IS NULL OR id <> $2)
             RETURNING id",
            [user.into(), keep.map(|k| k.to_string()).into()],
        ))
        .all(&txn)
        .await?;
        // The revocation names the sessions it ended, so it can never reach a session
        // that starts later, however late a stream sees it.
        let digests: Vec<String> = ended
            .iter()
            .filter_map(|row| row.id.parse::<Id>().ok())
            .map(|id| super::session_digest(&id))
            .collect();
        eventlog::revoke(&txn, user, Revocation::Sessions(digests)).await?;
        txn.commit().await?;
        Ok(ended.len() as u64)
    }

    fn row(record: &Record) -> session_store::Result<sessions::ActiveModel> {
        let user_id = record
            .data
            .get(SESSION_USER_KEY)
            .and_then(|v| serde_json::from_value::<Uuid>(v.clone()).ok());
        let data = serde_json::to_value(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        Ok(sessions::ActiveModel {
            id: sea_orm::Set(record.id.to_string()),
            user_id: sea_orm::Set(user_id),
            data: sea_orm::Set(data),
            expires_at: sea_orm::Set(record.expiry_date),
        })
    }
}

fn backend(err: sea_orm::DbErr) -> session_store::Error {
    let marker = if crate::db_errors::is_unavailable(&err) {
        crate::db_errors::SESSION_STORE_MARKER
    } else {
        ""
    };
    session_store::Error::Backend(format!("{marker}{err}"))
}

#[async_trait::async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; on the off chance of a collision, draw again.
        loop {
            let inserted = sessions::Entity::insert(Self::row(record)?)
                .on_conflict(
                    OnConflict::column(sessions::Column::Id)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sessions::Entity::insert(Self::row(record)?)
            .on_conflict(
                OnConflict::column(sessions::Column::Id)
                    .update_columns([
                        sessions::Column::UserId,
                        sessions::Column::Data,
                        sessions::Column::ExpiresAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = sessions::Entity::find_by_id(id.to_string())
            .filter(sessions::Column::ExpiresAt.gt(OffsetDateTime::now_utc()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_value(row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: row.expires_at,
        }))
    }

    /// Deletes the session; streams opened with it close.
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        #[derive(FromQueryResult)]
        struct Owner {
            user_id: Option<Uuid>,
        }
        let txn = self.db.begin().await.map_err(backend)?;
        let owner = Owner::find_by_statement(crate::db::stmt(
            "DELETE FROM sessions WHERE id = $1 RETURNING user_id",
            [id.to_string().into()],
        ))
        .one(&txn)
        .await
        .map_err(backend)?
        .and_then(|o| o.user_id);
        if let Some(user) = owner {
            eventlog::revoke(&txn, user, Revocation::Session(super::session_digest(id)))
                .await
                .map_err(backend)?;
        }
        txn.commit().await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for PgSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(OffsetDateTime::now_utc()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
