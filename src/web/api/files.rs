//! Serving attachment bytes: access checked on every request (current members of the
//! conversation only), `Content-Disposition` with an RFC 6266 `filename*`, `nosniff`,
//! images inline and everything else as a download, single `Range`s, and an `ETag`.

use std::time::Duration;

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::TryStreamExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use uuid::Uuid;

use crate::{
    attachments::upload::storage_failed,
    chat::attachments,
    entities::attachments::Model,
    error::{AppError, Result},
    web::AppState,
};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Which {
    File,
    Thumbnail,
}

/// Content types that are documents or scripts to a browser.
const ACTIVE_TYPES: [&str; 7] = [
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
];

/// How long a download waits for an image's processing (usually well under a second).
const PROCESSING_WAIT: Duration = Duration::from_secs(5);

/// RFC 5987 `attr-char`s are left as they are; everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

pub async fn serve(
    state: &AppState,
    viewer: Uuid,
    id: Uuid,
    which: Which,
    headers: &HeaderMap,
) -> Result<Response> {
    let row = ready(state, viewer, id).await?;
    let (key, content_type, size, etag) = match which {
        Which::File => (
            row.storage_key.clone(),
            row.content_type.clone(),
            u64::try_from(row.size).unwrap_or(0),
            format!("\"{}\"", row.sha256),
        ),
        Which::Thumbnail => {
            let key = row
                .thumbnail_key
                .clone()
                .ok_or(AppError::NotFound("thumbnail"))?;
            let kind = if key.ends_with(".png") {
                "image/png"
            } else {
                "image/jpeg"
            };
            let etag = format!("\"{}\"", key.rsplit('/').next().unwrap_or(&key));
            (key, kind.to_owned(), 0, etag)
        }
    };
    let inline = which == Which::Thumbnail || (row.is_image && row.thumbnail_key.is_some());
    // Types a browser would run or render as a page are served as plain bytes, whatever
    // else protects them (a download, nosniff, a sandbox).
    let content_type = if ACTIVE_TYPES.contains(&content_type.as_str()) {
        "application/octet-stream".to_owned()
    } else {
        content_type
    };
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else if which == Which::Thumbnail {
        let stream = state
            .attachments
            .files()
            .stream(&key, None)
            .await
            .map_err(storage_failed)?;
        Body::from_stream(stream.map_err(std::io::Error::other)).into_response()
    } else {
        body(state, &key, size, headers, &etag).await?
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, value(&etag));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if response.status() != StatusCode::NOT_MODIFIED {
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, value(&content_type));
        h.insert(
            header::CONTENT_DISPOSITION,
            value(&disposition(inline, &row.name)),
        );
    }
    Ok(response)
}

/// The row, once a processed image is ready to serve (metadata stripped).
async fn ready(state: &AppState, viewer: Uuid, id: Uuid) -> Result<Model> {
    let deadline = tokio::time::Instant::now() + PROCESSING_WAIT;
    loop {
        let row = attachments::downloadable(&state.db, viewer, id).await?;
        if row.ready {
            return Ok(row);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(AppError::StorageUnavailable);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The whole file, or the one range asked for (206); several ranges get the whole file.
async fn body(
    state: &AppState,
    key: &str,
    size: u64,
    headers: &HeaderMap,
    etag: &str,
) -> Result<Response> {
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(asked) if if_range_ok => {
            match http_range_header::parse_range_header(asked).and_then(|r| r.validate(size)) {
                Ok(ranges) if ranges.len() == 1 => Some(ranges[0].clone()),
                // Several ranges (even overlapping ones) get the whole file.
                _ if asked.contains(',') => None,
                Ok(_) => None,
                // A suffix longer than the file is the whole file (RFC 9110, 14.1.2).
                Err(_) if size > 0 && is_long_suffix(asked, size) => Some(0..=size - 1),
                Err(_) => {
                    let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                    response
                        .headers_mut()
                        .insert(header::CONTENT_RANGE, value(&format!("bytes */{size}")));
                    return Ok(response);
                }
            }
        }
        _ => None,
    };
    let files = state.attachments.files();
    let (status, stream, length) = match &range {
        Some(r) => (
            StatusCode::PARTIAL_CONTENT,
            files
                .stream(key, Some(*r.start()..r.end() + 1))
                .await
                .map_err(storage_failed)?,
            r.end() + 1 - r.start(),
        ),
        None => (
            StatusCode::OK,
            files.stream(key, None).await.map_err(storage_failed)?,
            size,
        ),
    };
    let mut response = (
        status,
        Body::from_stream(stream.map_err(std::io::Error::other)),
    )
        .into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(r) = range {
        h.insert(
            header::CONTENT_RANGE,
            value(&format!("bytes {}-{}/{size}", r.start(), r.end())),
        );
    }
    Ok(response)
}

fn is_long_suffix(asked: &str, size: u64) -> bool {
    asked
        .trim()
        .strip_prefix("bytes=-")
        .and_then(|n| n.trim().parse::<u64>().ok())
        .is_some_and(|n| n > size)
}

/// `inline` or `attachment`, with a plain-ASCII `filename` for old clients and the exact
/// name in `filename*` (RFC 6266 / RFC 5987).
pub fn disposition(inline: bool, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

fn value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn dispositions_quote_nothing_dangerous() {
        assert_eq!(
            disposition(false, "a\"b\\c;d.txt"),
            "attachment; filename=\"a_b_c;d.txt\"; filename*=UTF-8''a%22b%5Cc%3Bd.txt"
        );
        assert_eq!(
            disposition(true, "Résumé.png"),
            "inline; filename=\"R_sum_.png\"; filename*=UTF-8''R%C3%A9sum%C3%A9.png"
        );
    }
}
