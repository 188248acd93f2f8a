//! Multipart page forms (file uploads without JavaScript). The CSRF middleware cannot read
//! a token out of a streamed multipart body, so it lets such posts through only to the
//! paths in [`accepts_multipart`], and their handlers take a [`CheckedMultipart`]: it
//! exists only once the form's first field, `csrf_token`, matched the session's token.

use axum::{
    body::Body,
    extract::{FromRequest, Multipart, Request, multipart::Field},
};
use tower_sessions::Session;

use crate::{
    auth::csrf,
    error::AppError,
    web::{AppState, api::attachments::broken},
};

/// Page paths that take multipart forms (the rest refuse them at the CSRF check).
pub fn accepts_multipart(path: &str) -> bool {
    let mut parts = path.trim_matches('/').split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("chats"), Some(_), Some("messages"), None)
            | (Some("settings"), Some("avatar"), None, None)
    )
}

pub fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

/// A multipart form whose CSRF token (its first field) was checked; the rest of its
/// fields, in order.
pub struct CheckedMultipart(pub Multipart);

impl FromRequest<AppState> for CheckedMultipart {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let session = <Session as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, state,
        )
        .await
        .map_err(|_| AppError::internal("the session layer is missing"))?;
        let headers = parts.headers.clone();
        let mut multipart = parser(Request::from_parts(parts, body), state).await?;
        let expired =
            || AppError::forbidden("this form has expired; reload the page and try again");
        let field = multipart
            .next_field()
            .await
            .map_err(broken)?
            .ok_or_else(expired)?;
        if field.name() != Some(csrf::FIELD) {
            return Err(expired());
        }
        let token = text(field, 256).await?;
        if !csrf::verify(&session, &headers, &token).await? {
            return Err(expired());
        }
        Ok(Self(multipart))
    }
}

/// Room in a multipart body beyond its files: the other fields and the parts' headers.
const FORM_OVERHEAD: usize = 1024 * 1024;

/// The multipart parser over a body of at most `MAX_UPLOAD_BYTES` plus the form around
/// it. The parser buffers each part's headers until they end; this cap is what bounds
/// that, as it bounds the whole request.
pub async fn parser(req: Request, state: &AppState) -> Result<Multipart, AppError> {
    let limit = state.config.max_upload_bytes.saturating_add(FORM_OVERHEAD);
    let req = req.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    Multipart::from_request(req, state).await.map_err(|r| {
        AppError::UnsupportedMediaType(format!(
            "expected a multipart/form-data body ({})",
            r.body_text()
        ))
    })
}

/// A text field of at most `max` bytes.
pub async fn text(mut field: Field<'_>, max: usize) -> Result<String, AppError> {
    let name = field.name().unwrap_or("field").to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(broken)? {
        if bytes.len() + chunk.len() > max {
            return Err(AppError::PayloadTooLarge(format!(
                "the field {name} is too long"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::validation(format!("the field {name} is not UTF-8 text")))
}

#[cfg(test)]
mod tests {
    use super::accepts_multipart;

    #[test]
    fn only_the_upload_forms_take_multipart() {
        assert!(accepts_multipart(
            "/chats/0190c0de-0000-7000-8000-000000000000/messages"
        ));
        assert!(accepts_multipart("/settings/avatar"));
        assert!(!accepts_multipart("/chats/x/leave"));
        assert!(!accepts_multipart("/chats/x/messages/y/delete"));
        assert!(!accepts_multipart("/settings/profile"));
        assert!(!accepts_multipart("/logout"));
    }
}
