//! Static assets, compiled into the binary (so the server runs from anywhere) and served
//! with validators and caching headers.

use std::sync::LazyLock;

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

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
