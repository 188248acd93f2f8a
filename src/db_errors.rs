//! Which database errors mean "the database is not answering" (refused, timed out, the
//! connection lost, the server shutting down) rather than a bug: one place, used by
//! [`crate::error::AppError`] to answer 503 instead of 500.

use sea_orm::{DbErr, RuntimeErr, sqlx};

/// Marks a session store error caused by the database not answering (the store's errors
/// are strings, so the cause travels as this prefix).
pub const SESSION_STORE_MARKER: &str = "database unavailable: ";

/// Whether `err` says the database did not answer.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => match runtime {
            RuntimeErr::SqlxError(e) => sqlx_unavailable(e),
            #[allow(unreachable_patterns)]
            _ => false,
        },
        _ => false,
    }
}

fn sqlx_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        // Class 08 (connection exception) and 57P0x (admin shutdown, crash shutdown,
        // cannot connect now: the server is stopping or starting).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// Whether anything in `err`'s chain says the database did not answer.
pub fn unavailable_in(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        if let Some(db) = cause.downcast_ref::<DbErr>() {
            return is_unavailable(db);
        }
        if let Some(e) = cause.downcast_ref::<sqlx::Error>() {
            return sqlx_unavailable(e);
        }
        cause.to_string().contains(SESSION_STORE_MARKER)
    })
}
