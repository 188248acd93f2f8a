//! Profile pictures. An uploaded picture (PNG, JPEG, GIF or WebP, told by its bytes) is
//! turned upright, cropped to its centre square, scaled to at most [`SIDE`] pixels and
//! encoded again, so nothing of the original file is kept, its metadata (EXIF, GPS)
//! included. It is stored under a generated key, named in `users.avatar_key`; the one it
//! replaces is removed. Without a picture the avatar is the identicon.

use bytes::Bytes;
use image::imageops::FilterType;

use super::{
    images::{self, INLINE_TYPES},
    storage::Files,
    upload::storage_failed,
};
use crate::{
    accounts::{self, User},
    auth::token_cache::TokenCache,
    error::{AppError, Result},
};

/// Width and height of a profile picture, in pixels.
pub const SIDE: u32 = 256;
/// The largest picture file accepted (and never more than `MAX_UPLOAD_BYTES`).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// The largest picture accepted under `max_upload_bytes`.
pub fn max_bytes(max_upload_bytes: usize) -> usize {
    MAX_BYTES.min(max_upload_bytes)
}

/// A picture as stored: its bytes and their type.
pub struct Picture {
    pub bytes: Bytes,
    pub content_type: &'static str,
}

fn unusable() -> AppError {
    AppError::validation("the picture must be a PNG, JPEG, GIF or WebP image")
}

/// The profile picture made of `raw`, and the file extension for its type.
fn make(raw: &[u8]) -> Result<(Vec<u8>, &'static str)> {
    let format = image::guess_format(raw).map_err(|_| unusable())?;
    if !INLINE_TYPES.contains(&format.to_mime_type()) {
        return Err(unusable());
    }
    let (image, _) = images::decode(raw).map_err(|_| {
        AppError::validation("the picture could not be read: it is damaged or has too many pixels")
    })?;
    let side = SIDE.min(image.width()).min(image.height()).max(1);
    let square = image.resize_to_fill(side, side, FilterType::Lanczos3);
    let (bytes, content_type) = images::encode_preview(&square).map_err(AppError::internal)?;
    Ok((bytes, extension(content_type)))
}

fn extension(content_type: &str) -> &'static str {
    if content_type == "image/png" {
        "png"
    } else {
        "jpg"
    }
}

/// Makes `raw` `user`'s profile picture (off the async threads: decoding is CPU work).
pub async fn set(
    db: &sea_orm::DatabaseConnection,
    cache: &TokenCache,
    files: &Files,
    user: &User,
    raw: Vec<u8>,
) -> Result<User> {
    let (bytes, ext) = tokio::task::spawn_blocking(move || make(&raw))
        .await
        .map_err(AppError::internal)??;
    let key = format!("{}.{ext}", Files::new_key("avatar"));
    files
        .put(&key, bytes.into())
        .await
        .map_err(storage_failed)?;
    match accounts::set_avatar_key(db, cache, user.id, Some(key.clone())).await {
        Ok((updated, replaced)) => {
            files.remove(replaced).await;
            Ok(updated)
        }
        Err(err) => {
            files.remove([key]).await;
            Err(err)
        }
    }
}

/// Goes back to the identicon.
pub async fn remove(
    db: &sea_orm::DatabaseConnection,
    cache: &TokenCache,
    files: &Files,
    user: &User,
) -> Result<User> {
    let (updated, replaced) = accounts::set_avatar_key(db, cache, user.id, None).await?;
    files.remove(replaced).await;
    Ok(updated)
}

/// The stored picture under `key`.
pub async fn open(files: &Files, key: &str) -> Result<Picture> {
    let bytes = match files.read(key).await {
        Ok(bytes) => bytes,
        Err(object_store::Error::NotFound { .. }) => return Err(AppError::NotFound("avatar")),
        Err(err) => return Err(storage_failed(err)),
    };
    let content_type = if key.ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    };
    Ok(Picture {
        bytes,
        content_type,
    })
}
