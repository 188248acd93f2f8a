//! Receiving one uploaded file: streamed to storage as it arrives (never held whole in
//! memory), capped at `MAX_UPLOAD_BYTES` while streaming, hashed, its type sniffed from its
//! first bytes, then recorded as an unsent upload.

use std::io::Cursor;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    images::INLINE_TYPES,
    storage::{Files, Writer},
};
use crate::{
    entities::attachments,
    error::{AppError, Result},
};

/// How much of the start of a file is kept for sniffing its type and an image's size.
const HEAD_BYTES: usize = 64 * 1024;
/// Images larger than this are kept as plain files (no thumbnail, no inline view).
pub const MAX_IMAGE_BYTES: i64 = 32 * 1024 * 1024;
/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 200;

/// Streams `body` into storage and records it as `uploader`'s unsent upload.
pub async fn store<E: std::fmt::Display>(
    db: &DatabaseConnection,
    files: &Files,
    uploader: Uuid,
    file_name: Option<&str>,
    mut body: impl Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    max_bytes: usize,
) -> Result<attachments::Model> {
    let key = Files::new_key("file");
    let mut writer: Writer = files.writer(&key).await.map_err(storage_failed)?;
    let mut hasher = Sha256::new();
    let mut size = 0usize;
    let mut head = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|e| AppError::bad_request(format!("the upload broke off: {e}")))?;
        size += chunk.len();
        if size > max_bytes {
            // Dropping the writer aborts the upload: nothing is left behind.
            return Err(too_large(max_bytes));
        }
        hasher.update(&chunk);
        if head.len() < HEAD_BYTES {
            let take = chunk.len().min(HEAD_BYTES - head.len());
            head.extend_from_slice(&chunk[..take]);
        }
        writer.write(chunk).await.map_err(storage_failed)?;
    }
    if size == 0 {
        return Err(AppError::validation("the file is empty"));
    }
    writer.finish().await.map_err(storage_failed)?;
    let content_type = sniff(&head);
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    let is_image = INLINE_TYPES.contains(&content_type) && size <= MAX_IMAGE_BYTES;
    let (width, height) = if is_image {
        dimensions(&head)
    } else {
        (None, None)
    };
    let row = attachments::ActiveModel {
        id: Set(Uuid::now_v7()),
        uploader_id: Set(uploader),
        message_id: Set(None),
        position: Set(0),
        name: Set(clean_name(file_name)),
        content_type: Set(content_type.to_owned()),
        size: Set(size),
        sha256: Set(hex(&hasher.finalize())),
        storage_key: Set(key.clone()),
        is_image: Set(is_image),
        // An image is served once its metadata is stripped.
        ready: Set(!is_image),
        width: Set(width),
        height: Set(height),
        thumbnail_key: Set(None),
        created_at: Set(time::OffsetDateTime::now_utc()),
    };
    match row.insert(db).await {
        Ok(model) => Ok(model),
        Err(err) => {
            files.remove([key]).await;
            Err(err.into())
        }
    }
}

pub fn too_large(max_bytes: usize) -> AppError {
    AppError::PayloadTooLarge(format!(
        "the file is too large: at most {} bytes ({:.1} MB) are accepted",
        max_bytes,
        max_bytes as f64 / 1e6
    ))
}

pub fn storage_failed(err: object_store::Error) -> AppError {
    tracing::error!(%err, "the attachment storage failed");
    AppError::StorageUnavailable
}

/// The type of a file from its first bytes: a known signature, else UTF-8 text, else
/// unknown binary. The name and the client's `Content-Type` are never trusted.
pub fn sniff(head: &[u8]) -> &'static str {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type();
    }
    match std::str::from_utf8(head) {
        Ok(_) => "text/plain",
        // Cut inside a character at the end of the sniffed part: still text.
        Err(e) if e.error_len().is_none() => "text/plain",
        Err(_) => "application/octet-stream",
    }
}

fn dimensions(head: &[u8]) -> (Option<i32>, Option<i32>) {
    image::ImageReader::new(Cursor::new(head))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_dimensions().ok())
        .map_or((None, None), |(w, h)| {
            (i32::try_from(w).ok(), i32::try_from(h).ok())
        })
}

/// The name to show: the last path segment of what the client sent, without control
/// characters or bidirectional overrides (which make "txt.exe" read "exe.txt"), at most
/// [`MAX_NAME_CHARS`]; "file" when nothing is left. It is only ever shown and sent back
/// in `Content-Disposition`, never used as a path.
pub fn clean_name(raw: Option<&str>) -> String {
    let last = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = last
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        "file".to_owned()
    } else {
        name.to_owned()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_name(Some("C:\\Users\\me\\report.pdf")), "report.pdf");
        assert_eq!(clean_name(Some("a\u{0}b\r\nc.txt")), "abc.txt");
        assert_eq!(clean_name(Some("invoice\u{202e}txt.exe")), "invoicetxt.exe");
        assert_eq!(clean_name(Some("..")), "file");
        assert_eq!(clean_name(Some("dir/")), "file");
        assert_eq!(clean_name(None), "file");
        assert_eq!(clean_name(Some("Résumé 📄.pdf")), "Résumé 📄.pdf");
    }

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(
            sniff(b"<html><script>alert(1)</script></html>"),
            "text/html"
        );
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(&[0xff, 0x00, 0xfe, 0x01]), "application/octet-stream");
        // A multi-byte character cut at the end of the sniffed part is still text.
        assert_eq!(sniff("héllo".as_bytes()[..2].as_ref()), "text/plain");
    }
}
