//! The send form's fields, from a URL-encoded post (uploads already made by the page's
//! script, named in `attachment_ids`) or, without JavaScript, a multipart post carrying
//! the files themselves (each streamed to storage as it arrives).

use axum::{
    body::{Body, to_bytes},
    extract::{FromRequest, Multipart, Request},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    chat::{
        attachments::MAX_PER_MESSAGE,
        fields::{self, MessageContent},
        sending::NewMessage,
    },
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

/// The form, the uploads it sends, and those of them this request stored itself (to
/// discard if the send fails).
pub async fn read(
    state: &AppState,
    uploader: Uuid,
    req: Request,
) -> Result<(SendForm, Vec<Uuid>, Vec<Uuid>)> {
    if !is_multipart(req.headers()) {
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| AppError::PayloadTooLarge("request body is too large".into()))?;
        let Form(form) =
            Form::<SendForm>::from_request(Request::from_parts(parts, Body::from(bytes)), state)
                .await?;
        let ids = ids(form.attachment_ids.as_deref())?;
        return Ok((form, ids, Vec::new()));
    }
    let CheckedMultipart(mut multipart) = CheckedMultipart::from_request(req, state).await?;
    let mut form = SendForm::default();
    let mut stored = Vec::new();
    let read = fields(state, uploader, &mut multipart, &mut form, &mut stored).await;
    if let Err(err) = read {
        state.discard_uploads(uploader, stored).await;
        return Err(err);
    }
    let mut all = ids(form.attachment_ids.as_deref())?;
    all.extend(&stored);
    Ok((form, all, stored))
}

async fn fields(
    state: &AppState,
    uploader: Uuid,
    multipart: &mut Multipart,
    form: &mut SendForm,
    stored: &mut Vec<Uuid>,
) -> Result<()> {
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        match field.name().unwrap_or("") {
            "content" => form.content = text(field, 64 * 1024).await?,
            "client_id" => form.client_id = Some(text(field, 256).await?),
            "reply_to_id" => form.reply_to_id = Some(text(field, 256).await?),
            "attachment_ids" => form.attachment_ids = Some(text(field, 8 * 1024).await?),
            // A file input left empty still sends a part, with no name and no bytes.
            "file" if field.file_name().is_none_or(str::is_empty) => {}
            "file" if stored.len() >= MAX_PER_MESSAGE => {
                return Err(AppError::validation(format!(
                    "a message can carry at most {MAX_PER_MESSAGE} attachments"
                )));
            }
            "file" => stored.push(receive(state, uploader, field).await?.id),
            // The button that submitted the form, and whatever else a browser adds.
            _ => {
                text(field, 1024).await?;
            }
        }
    }
    Ok(())
}

fn ids(list: Option<&str>) -> Result<Vec<Uuid>> {
    let list = list.unwrap_or("");
    if list.split([',', ' ']).filter(|s| !s.is_empty()).count() > MAX_PER_MESSAGE {
        return Err(AppError::validation(format!(
            "a message can carry at most {MAX_PER_MESSAGE} attachments"
        )));
    }
    list.split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| AppError::validation("an attached file is unknown"))
        })
        .collect()
}

/// The message the form asks to send to `thread`.
pub fn new_message(form: SendForm, thread: Uuid, attachments: Vec<Uuid>) -> Result<NewMessage> {
    let content = MessageContent::parse_with_files(&form.content, !attachments.is_empty())?;
    let client_id = match form.client_id.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Some(fields::client_id(c)?),
        _ => None,
    };
    let reply_to = match form.reply_to_id.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => Some(
            r.parse::<Uuid>()
                .map_err(|_| AppError::validation("the message you reply to is unknown"))?,
        ),
        _ => None,
    };
    Ok(NewMessage {
        thread,
        content,
        client_id,
        reply_to,
        attachments,
    })
}
