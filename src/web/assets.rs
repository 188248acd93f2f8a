//! Static assets, compiled into the binary (so the server runs from anywhere) and served
//! with validators and caching headers; and identicon avatars.

use std::sync::LazyLock;

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::extract::Path;
use crate::error::AppError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    etag: String,
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        (
            $name,
            $type,
            include_bytes!(concat!("../../assets/", $name)).as_slice(),
        )
    };
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        asset!("app.css", "text/css; charset=utf-8"),
        asset!("app.js", "text/javascript; charset=utf-8"),
        asset!("mentions.js", "text/javascript; charset=utf-8"),
        asset!("shell.js", "text/javascript; charset=utf-8"),
        asset!("attention.js", "text/javascript; charset=utf-8"),
        asset!("stream.js", "text/javascript; charset=utf-8"),
        asset!("uploads.js", "text/javascript; charset=utf-8"),
        asset!("emoji.js", "text/javascript; charset=utf-8"),
        asset!("notify.js", "text/javascript; charset=utf-8"),
        asset!("emoji.json", "application/json"),
        asset!("vendor/htmx.min.js", "text/javascript; charset=utf-8"),
        asset!("vendor/hx-sse.min.js", "text/javascript; charset=utf-8"),
        asset!("favicon.svg", "image/svg+xml"),
        asset!("api-docs.js", "text/javascript; charset=utf-8"),
        asset!(
            "vendor/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8"
        ),
        asset!("vendor/swagger-ui.css", "text/css; charset=utf-8"),
    ]
    .into_iter()
    .map(|(name, content_type, body)| Asset {
        name,
        content_type,
        body,
        etag: format!("\"{}\"", &hex(&Sha256::digest(body))[..16]),
    })
    .collect()
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == path)
        .ok_or(AppError::NotFound("asset"))?;
    let cache = [
        (
            header::ETAG,
            HeaderValue::from_str(&asset.etag).expect("hex etag"),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600, must-revalidate"),
        ),
    ];
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == asset.etag.as_bytes())
    {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        )],
        asset.body,
    )
        .into_response())
}

/// `/avatars/{id}.svg`: a symmetric 5×5 identicon derived from the user id.
pub async fn avatar(Path(file): Path<String>) -> Result<Response, AppError> {
    let id: Uuid = file
        .strip_suffix(".svg")
        .and_then(|s| s.parse().ok())
        .ok_or(AppError::NotFound("avatar"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400, immutable"),
        ],
        identicon(id),
    )
        .into_response())
}

fn identicon(id: Uuid) -> String {
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
