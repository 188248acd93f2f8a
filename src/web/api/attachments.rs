//! `/api/attachments`: upload a file (then send it with `attachmentIds`), read its
//! description, download it or its thumbnail.

use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use uuid::Uuid;

use super::files::{Which, serve};
use crate::{
    attachments::upload,
    auth::CurrentUser,
    chat::attachments::{self, AttachmentView},
    error::{AppError, Result},
    web::{
        AppState,
        errors::ErrorBody,
        extract::{Json, Path},
        multipart::parser,
    },
};

/// The multipart body of an upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file; its name is kept for display, its type is sniffed from its bytes.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// Uploads a file (multipart, field `file`), streamed to storage. Send it with a message
/// (`attachmentIds`) within a day, or it is removed. Images get width, height and (shortly
/// after, by `message.updated` once sent) a thumbnail.
#[utoipa::path(post, path = "/api/attachments", tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 400, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "larger than MAX_UPLOAD_BYTES; nothing is kept"),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the file storage failed")))]
pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    req: Request,
) -> Result<(StatusCode, Json<AttachmentView>)> {
    let mut multipart = parser(req, &state).await?;
    let mut stored: Option<crate::entities::attachments::Model> = None;
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        if field.name() != Some("file") || stored.is_some() {
            if let Some(row) = stored.take() {
                state.discard_uploads(user.id(), vec![row.id]).await;
            }
            return Err(AppError::validation("send exactly one field, named `file`"));
        }
        stored = Some(receive(&state, user.id(), field).await?);
    }
    let row = stored.ok_or_else(|| AppError::validation("the `file` field is missing"))?;
    Ok((StatusCode::CREATED, Json(AttachmentView::new(&row))))
}

/// Stores one multipart file field as `uploader`'s upload, and starts processing it if it
/// is an image. Uploads count against the message rate limit, and one person streams at
/// most a few at once (each holds a few storage parts in memory).
pub async fn receive(
    state: &AppState,
    uploader: Uuid,
    field: axum::extract::multipart::Field<'_>,
) -> Result<crate::entities::attachments::Model> {
    state.limiters.send_message(uploader)?;
    let _slot = state
        .attachments
        .slots()
        .take(uploader)
        .ok_or(AppError::RateLimited {
            retry_after: Duration::from_secs(2),
        })?;
    let name = field.file_name().map(str::to_owned);
    let row = upload::store(
        &state.db,
        state.attachments.files(),
        uploader,
        name.as_deref(),
        field,
        state.config.max_upload_bytes,
    )
    .await?;
    if !row.ready {
        state.attachments.start(row.id);
    }
    Ok(row)
}

pub fn broken(err: axum::extract::multipart::MultipartError) -> AppError {
    match err.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(err.body_text()),
        _ => AppError::bad_request(format!(
            "the multipart body is malformed: {}",
            err.body_text()
        )),
    }
}

/// An attachment's description, for members of the conversation it was sent in.
#[utoipa::path(get, path = "/api/attachments/{id}", tag = "attachments",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AttachmentView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Json<AttachmentView>> {
    let row = attachments::downloadable(&state.db, user.id(), id).await?;
    Ok(Json(AttachmentView::new(&row)))
}

/// The file. Images are shown inline; anything else (HTML and SVG included) is always a
/// download. Supports `Range`, `ETag`/`If-None-Match`.
#[utoipa::path(get, path = "/api/attachments/{id}/file", tag = "attachments",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "the file"), (status = 206, description = "the requested range"),
        (status = 304, description = "not modified"), (status = 404, body = ErrorBody),
        (status = 416, description = "the range is outside the file"),
        (status = 503, body = ErrorBody, description = "an image still being processed, or the storage failed")))]
pub async fn file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response> {
    serve(&state, user.id(), id, Which::File, &headers).await
}

/// An image's thumbnail (JPEG or PNG, at most 480 px a side).
#[utoipa::path(get, path = "/api/attachments/{id}/thumbnail", tag = "attachments",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "the thumbnail"), (status = 304, description = "not modified"),
        (status = 404, body = ErrorBody)))]
pub async fn thumbnail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response> {
    serve(&state, user.id(), id, Which::Thumbnail, &headers).await
}
