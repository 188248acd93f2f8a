//! Avatars: `/avatars/{id}.svg`, the identicon every user has (derived from their id,
//! public); `/avatars/{id}/{file}`, a profile picture, for logged-in users. A picture's URL
//! names that one picture, so it is cached for good; a replaced or removed one redirects to
//! the user's current avatar. Also reading an uploaded picture from a multipart body.

use axum::{
    extract::{Multipart, State, multipart::MultipartRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{AppState, api::attachments::broken, extract::Path};
use crate::{
    accounts,
    attachments::{avatars, upload::too_large},
    auth::CurrentUser,
    error::{AppError, Result},
};

/// `/avatars/{id}.svg`: a symmetric 5×5 identicon derived from the user id.
pub async fn identicon(Path(file): Path<String>) -> Result<Response> {
    let id: Uuid = file
        .strip_suffix(".svg")
        .and_then(|s| s.parse().ok())
        .ok_or(AppError::NotFound("avatar"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400, immutable"),
        ],
        identicon_svg(id),
    )
        .into_response())
}

/// `/avatars/{id}/{file}`: a user's profile picture.
pub async fn picture(
    State(state): State<AppState>,
    _viewer: CurrentUser,
    Path((id, file)): Path<(Uuid, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let owner = accounts::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound("avatar"))?;
    let etag = format!("\"{file}\"");
    let Some(key) = owner
        .avatar_key
        .as_deref()
        .filter(|_| accounts::picture_file(&owner) == Some(file.as_str()))
    else {
        // An old link (the picture was replaced or removed): the user's avatar now.
        return Ok((
            StatusCode::TEMPORARY_REDIRECT,
            [
                (header::LOCATION, accounts::image_url(&owner)),
                (header::CACHE_CONTROL, "private, no-cache".to_owned()),
            ],
        )
            .into_response());
    };
    let cache = [
        (
            header::ETAG,
            HeaderValue::from_str(&etag).map_err(AppError::internal)?,
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=31536000, immutable"),
        ),
    ];
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let picture = avatars::open(state.attachments.files(), key).await?;
    Ok((
        cache,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(picture.content_type),
        )],
        picture.bytes,
    )
        .into_response())
}

/// The bytes of the `file` field of an uploaded picture, at most `max` of them.
pub async fn read_picture(
    multipart: std::result::Result<Multipart, MultipartRejection>,
    max: usize,
) -> Result<Vec<u8>> {
    let mut multipart = multipart.map_err(|r| {
        AppError::UnsupportedMediaType(format!(
            "expected a multipart/form-data body with a `file` field ({})",
            r.body_text()
        ))
    })?;
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if bytes.len() + chunk.len() > max {
                return Err(too_large(max));
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(AppError::validation("choose a picture to upload"));
        }
        return Ok(bytes);
    }
    Err(AppError::validation("choose a picture to upload"))
}

fn identicon_svg(id: Uuid) -> String {
    let hash = Sha256::digest(id.as_bytes());
    let hue = u16::from_be_bytes([hash[0], hash[1]]) % 360;
    let mut cells = String::new();
    for row in 0..5u8 {
        for col in 0..3u8 {
            let bit = row * 3 + col;
            if hash[2 + usize::from(bit / 8)] >> (bit % 8) & 1 == 1 {
                for x in [col, 4 - col] {
                    cells.push_str(&format!(
                        "<rect x=\"{}\" y=\"{}\" width=\"1\" height=\"1\"/>",
                        x + 1,
                        row + 1
                    ));
                    if col == 2 {
                        break;
                    }
                }
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 7 7\" shape-rendering=\"crispEdges\">\
         <rect width=\"7\" height=\"7\" fill=\"hsl({hue},45%,92%)\"/>\
         <g fill=\"hsl({hue},55%,45%)\">{cells}</g></svg>"
    )
}
