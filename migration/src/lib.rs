//! Confab's schema, as append-only SeaORM migrations. Never edit a migration that has
//! shipped; add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_accounts;
mod m20261123_000002_create_chat;
mod m20261202_000003_live_delivery;
mod m20261204_000005_index_events_by_thread;
mod m20261204_000006_create_one_time_links;
mod m20261204_000008_create_mentions;
mod m20261205_000010_create_attachments;
mod m20261205_000012_create_notification_settings;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_accounts::Migration),
            Box::new(m20261123_000002_create_chat::Migration),
            Box::new(m20261202_000003_live_delivery::Migration),
            Box::new(m20261204_000005_index_events_by_thread::Migration),
            Box::new(m20261204_000006_create_one_time_links::Migration),
            Box::new(m20261204_000008_create_mentions::Migration),
            Box::new(m20261205_000010_create_attachments::Migration),
            Box::new(m20261205_000012_create_notification_settings::Migration),
        ]
    }
}

/// Runs one SQL script of a migration.
async fn execute(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await?;
    Ok(())
}
