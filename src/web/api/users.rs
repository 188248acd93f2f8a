//! `/api/me` (and its profile picture) and `/api/users`.

use axum::extract::{Multipart, State, multipart::MultipartRejection};
use serde::Deserialize;
use utoipa::IntoParams;

use super::live::with_presence;
use crate::{
    accounts::{self, UserView},
    attachments::avatars,
    auth::CurrentUser,
    error::Result,
    web::AppState,
    web::{
        api::attachments::UploadForm,
        avatars::read_picture,
        errors::ErrorBody,
        extract::{Json, Query},
    },
};

/// The caller.
#[utoipa::path(get, path = "/api/me", tag = "users",
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, user: CurrentUser) -> Result<Json<UserView>> {
    let mut views = with_presence(&state, &user.user, std::slice::from_ref(&user.user)).await?;
    Ok(Json(views.remove(0)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Matches usernames and display names (case-insensitive).
    #[serde(default)]
    q: String,
}

/// Active users, optionally filtered by `q`; at most 100.
#[utoipa::path(get, path = "/api/users", tag = "users", params(UserQuery),
    responses((status = 200, body = [UserView]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<UserQuery>,
) -> Result<Json<Vec<UserView>>> {
    if query.q.chars().count() > 64 {
        return Err(crate::error::AppError::validation(
            "q must be at most 64 characters",
        ));
    }
    let users = accounts::search(&state.db, &query.q, 100).await?;
    Ok(Json(with_presence(&state, &user.user, &users).await?))
}

/// Sets the caller's profile picture (multipart, field `file`): a PNG, JPEG, GIF or WebP
/// image (told by its bytes) of at most 5 MiB, or `MAX_UPLOAD_BYTES` if that is less. It is
/// cropped to its centre square, scaled to 256 px and encoded again without its metadata;
/// `image` then points at it (served to logged-in users), and the picture it replaces is
/// deleted.
#[utoipa::path(put, path = "/api/me/avatar", tag = "users",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "larger than the limit"),
        (status = 415, body = ErrorBody, description = "not a multipart body"),
        (status = 422, body = ErrorBody, description = "not a picture Confab reads"),
        (status = 503, body = ErrorBody, description = "the file storage failed")))]
pub async fn set_avatar(
    State(state): State<AppState>,
    user: CurrentUser,
    multipart: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Json<UserView>> {
    let max = avatars::max_bytes(state.config.max_upload_bytes);
    let raw = read_picture(multipart, max).await?;
    let files = state.attachments.files();
    let updated = avatars::set(&state.db, &state.tokens, files, &user.user, raw).await?;
    let mut views = with_presence(&state, &updated, std::slice::from_ref(&updated)).await?;
    Ok(Json(views.remove(0)))
}

/// Removes the caller's profile picture: their avatar is the identicon again.
#[utoipa::path(delete, path = "/api/me/avatar", tag = "users",
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
pub async fn remove_avatar(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<UserView>> {
    let files = state.attachments.files();
    let updated = avatars::remove(&state.db, &state.tokens, files, &user.user).await?;
    let mut views = with_presence(&state, &updated, std::slice::from_ref(&updated)).await?;
    Ok(Json(views.remove(0)))
}
