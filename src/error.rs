//! The one error type. Handlers return `Result<T>` and use `?`; `AppError` turns into a
//! response carrying an [`ErrorInfo`], and [`crate::web::errors::render`] — one middleware —
//! logs server errors once and renders every error as JSON (`/api`), an htmx fragment, or a
//! page.

use std::time::Duration;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("you need to log in")]
    Unauthorized,
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Validation(String),
    #[error("too many requests, try again in {} s", .retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    #[error("the request body was not received in time")]
    RequestTimeout,
    #[error("the server is shutting down or not ready")]
    Unavailable,
    /// The database did not answer (refused, timed out, connection lost): a 503 with
    /// `Retry-After`, and the pool reconnects by itself once it is back.
    #[error("the database is not answering; try again in a few seconds")]
    DatabaseUnavailable,
    /// The attachment storage (directory or bucket) failed: a 503 with `Retry-After`.
    #[error("the file storage is not answering; try again in a few seconds")]
    StorageUnavailable,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn validation(msg: impl Into<String>) -> Self {
        Self::Validation(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::Conflict(msg.into())
    }
    /// A server error that "cannot happen": an invariant broke.
    pub fn internal(msg: impl std::fmt::Display) -> Self {
        Self::Internal(anyhow::anyhow!("{msg}"))
    }

    /// A stable word naming the kind of error, for programs (`code` in JSON errors); the
    /// message beside it is for people and may change.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::Unauthorized | Self::Unauthenticated(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Self::Validation(_) => ErrorCode::Validation,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::RequestTimeout => ErrorCode::RequestTimeout,
            Self::Unavailable => ErrorCode::Unavailable,
            Self::DatabaseUnavailable => ErrorCode::DatabaseUnavailable,
            Self::StorageUnavailable => ErrorCode::StorageUnavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable | Self::DatabaseUnavailable | Self::StorageUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// An internal error whose cause is the database not answering becomes
    /// [`AppError::DatabaseUnavailable`], wherever on the way it was wrapped.
    fn classified(self) -> Self {
        match self {
            Self::Internal(err) if crate::db_errors::unavailable_in(&err) => {
                tracing::warn!(error = %format!("{err:#}"), "the database is not answering");
                Self::DatabaseUnavailable
            }
            other => other,
        }
    }
}

/// Failures of the layers below that are the server's fault, never the caller's.
macro_rules! internal_from {
    ($($source:ty),* $(,)?) => {
        $(impl From<$source> for AppError {
            fn from(err: $source) -> Self {
                Self::Internal(err.into())
            }
        })*
    };
}

/// How long a client is asked to wait when the database is away.
const DATABASE_RETRY_AFTER_SECS: u64 = 5;

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Internal(err.into()).classified()
    }
}

internal_from!(
    askama::Error,
    serde_json::Error,
    tower_sessions::session::Error,
);

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

/// What kind of error a response is, as a stable word (`code` in every JSON error). New
/// codes may be added; existing ones keep their meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed (bad JSON, a missing field).
    BadRequest,
    /// No credentials, or credentials that are invalid, expired or revoked.
    Unauthorized,
    /// Logged in, but not allowed to do this.
    Forbidden,
    /// No such thing, or not visible to the caller.
    NotFound,
    MethodNotAllowed,
    /// The request clashes with the current state (a taken username).
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// A field's value is not acceptable; the message says which and why.
    Validation,
    /// Too many requests; retry after `Retry-After` seconds.
    RateLimited,
    /// The request body did not arrive in time.
    RequestTimeout,
    /// Shutting down or not ready; retry later.
    Unavailable,
    /// The database is not answering; retry after `Retry-After` seconds.
    DatabaseUnavailable,
    /// The file storage is not answering; retry after `Retry-After` seconds.
    StorageUnavailable,
    /// A server error (logged with the request id).
    Internal,
}

impl ErrorCode {
    /// The code of an error response that carries no [`ErrorInfo`] (the router's own 404,
    /// 405, or a rejection).
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::FORBIDDEN => Self::Forbidden,
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::CONFLICT => Self::Conflict,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Self::Validation,
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited,
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout,
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            s if s.is_server_error() => Self::Internal,
            _ => Self::BadRequest,
        }
    }
}

/// What an error response says; attached to the response for the rendering middleware.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub message: String,
    /// The stable code ([`AppError::code`]).
    pub code: ErrorCode,
    /// The cause chain of a server error, logged and shown only in development.
    pub details: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let this = self.classified();
        let status = this.status();
        let details = match &this {
            Self::Internal(err) => Some(format!("{err:#}")),
            _ => None,
        };
        let mut response = status.into_response();
        let retry_after = match &this {
            Self::RateLimited { retry_after } => Some(*retry_after),
            Self::DatabaseUnavailable | Self::StorageUnavailable => {
                Some(Duration::from_secs(DATABASE_RETRY_AFTER_SECS))
            }
            _ => None,
        };
        if let Some(retry_after) = retry_after {
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response.extensions_mut().insert(ErrorInfo {
            message: this.to_string(),
            code: this.code(),
            details,
        });
        response
    }
}
