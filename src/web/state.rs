//! What every handler may reach: the state the router is built with.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::{
    attachments::jobs::Processor,
    auth::{rate_limit::Limiters, token_cache::TokenCache},
    chat::writer::Writer,
    config::Config,
    realtime::Realtime,
};

/// Everything a request handler may need. Cloning it is one reference count: every
/// middleware layer and handler of every request takes a clone, so it must stay that cheap
/// however many parts it holds.
#[derive(Clone)]
pub struct AppState(Arc<Parts>);

impl AppState {
    pub fn new(parts: Parts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl axum::extract::FromRef<AppState> for DatabaseConnection {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl axum::extract::FromRef<AppState> for Arc<TokenCache> {
    fn from_ref(state: &AppState) -> Self {
        state.tokens.clone()
    }
}

/// What [`AppState`] holds.
pub struct Parts {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub limiters: Arc<Limiters>,
    /// Cancelled when the server begins shutting down; long-lived streams end on it.
    pub shutdown: CancellationToken,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Live delivery: the tailer, open streams, typing and presence.
    pub realtime: Realtime,
    /// Tokens authenticated recently (the realtime tailer keeps it current).
    pub tokens: Arc<TokenCache>,
    /// Writes sent messages in batches.
    pub writer: Writer,
    /// Attachment storage and the image jobs.
    pub attachments: Processor,
}

impl Parts {
    /// Deletes a message (see `chat::messages::delete`) and removes its files from storage.
    pub async fn delete_message(
        &self,
        actor: &crate::accounts::User,
        id: uuid::Uuid,
    ) -> crate::error::Result<()> {
        let files = crate::chat::messages::delete(&self.db, actor, id).await?;
        self.attachments.files().remove(files).await;
        Ok(())
    }

    /// Removes `uploader`'s unsent uploads `ids` (a request that stored them failed).
    pub async fn discard_uploads(&self, uploader: uuid::Uuid, ids: Vec<uuid::Uuid>) {
        match crate::chat::attachments::discard(&self.db, uploader, ids).await {
            Ok(keys) => self.attachments.files().remove(keys).await,
            Err(err) => tracing::warn!(%err, "discarding uploads failed; the sweep removes them"),
        }
    }
}
