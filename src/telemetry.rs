//! Logging setup: text or JSON lines, `RUST_LOG` filtering, sqlx kept quiet; and the slot
//! through which a request's log lines learn who made it.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// Installs the global subscriber. Safe to call more than once (later calls are no-ops).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive("sqlx=warn".parse().expect("static directive"))
        .add_directive("sea_orm=warn".parse().expect("static directive"))
        .add_directive("sea_orm_migration=warn".parse().expect("static directive"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => registry.with(fmt::layer()).try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
    };
}

/// Who made the request, once authentication has found out: the request middleware puts
/// an empty slot in each request's extensions and the `CurrentUser` extractor fills it, so
/// the access line can name the user.
#[derive(Clone, Debug, Default)]
pub struct RequestUser(std::sync::Arc<std::sync::OnceLock<uuid::Uuid>>);

impl RequestUser {
    /// Records the user (in the slot and on the request's span); the first one counts.
    pub fn set(&self, user: uuid::Uuid) {
        if self.0.set(user).is_ok() {
            tracing::Span::current().record("user_id", tracing::field::display(user));
        }
    }

    pub fn get(&self) -> Option<uuid::Uuid> {
        self.0.get().copied()
    }
}
