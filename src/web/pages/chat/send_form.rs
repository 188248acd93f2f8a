//! The send form's fields, from a URL-encoded post (uploads already made by the page's
//! script, named in `attachment_ids`) or, without JavaScript, a multipart post carrying
//! the files themselves (each streamed to storage as it arrives).

use axum::{
    body::{Body, to_bytes},
    extract::{FromRequest, Request},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    chat::attachments::MAX_PER_MESSAGE,
    error::{AppError, Result},
    web::{
        AppState, MAX_BODY_BYTES,
        api::attachments::{broken, receive},
        extract::Form,
        multipart::{CheckedMultipart, is_multipart, text},
    },
};

#[derive(Deserialize, Default)]
pub struct SendForm {
    #[serde(default)]
    pub content: String,
    pub client_id: Option<String>,
    pub reply_to_id: Option<String>,
    /// Uploads to send, comma-separated.
    pub attachment_ids: Option<String>,
}

/// The form and the uploads it sends.
pub async fn read(state: &AppState, uploader: Uuid, req: Request) -> Result<(SendForm, Vec<Uuid>)> {
    if !is_multipart(req.headers()) {
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| AppError::PayloadTooLarge("request body is too large".into()))?;
        let Form(form) =
            Form::<SendForm>::from_request(Request::from_parts(parts, Body::from(bytes)), state)
                .await?;
        let ids = ids(form.attachment_ids.as_deref())?;
        return Ok((form, ids));
    }
    let CheckedMultipart(mut multipart) = CheckedMultipart::from_request(req, state).await?;
    let mut form = SendForm::default();
    let mut uploaded = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        match field.name().unwrap_or("") {
            "content" => form.content = text(field, 64 * 1024).await?,
            "client_id" => form.client_id = Some(text(field, 256).await?),
            "reply_to_id" => form.reply_to_id = Some(text(field, 256).await?),
            "attachment_ids" => form.attachment_ids = Some(text(field, 8 * 1024).await?),
            // A file input left empty still sends a part, with no name and no bytes.
            "file" if field.file_name().is_none_or(str::is_empty) => {}
            "file" if uploaded.len() >= MAX_PER_MESSAGE => {
                return Err(AppError::validation(format!(
                    "a message can carry at most {MAX_PER_MESSAGE} attachments"
                )));
            }
            "file" => uploaded.push(receive(state, uploader, field).await?.id),
            other => {
                return Err(AppError::validation(format!(
                    "unexpected form field {other:?}"
                )));
            }
        }
    }
    let mut all = ids(form.attachment_ids.as_deref())?;
    all.extend(uploaded);
    Ok((form, all))
}

fn ids(list: Option<&str>) -> Result<Vec<Uuid>> {
    list.unwrap_or("")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| AppError::validation("an attached file is unknown"))
        })
        .collect()
}
