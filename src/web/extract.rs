//! Extractors whose rejections are `AppError`s, so bad input always gets the same clear
//! error shape (never axum's plain-text rejections), plus the client address.

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Bytes,
    extract::{
        ConnectInfo, FromRequest, FromRequestParts, Request,
        rejection::{FormRejection, PathRejection, QueryRejection},
    },
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::{error::AppError, web::AppState};

fn from_status(status: StatusCode, message: String) -> AppError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge("request body is too large".into())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(message),
        StatusCode::UNPROCESSABLE_ENTITY => AppError::Validation(message),
        _ => AppError::BadRequest(message),
    }
}

/// A JSON body (`Content-Type: application/json`), or a JSON response.
///
/// A body that is not JSON at all (cut short, a syntax error) is a 400 saying where it
/// breaks; JSON of the wrong shape (a missing or unknown field, a wrong type) is a 422.
/// The syntax is checked on its own first, so a cut-short body is never reported as a
/// problem with a field it happened to name.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(AppError::UnsupportedMediaType(
                "expected a JSON body with Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| from_status(r.status(), r.body_text()))?;
        Self::from_bytes(&bytes)
    }
}

impl<T: DeserializeOwned> Json<T> {
    /// Parses a JSON body: 400 for broken JSON, 422 for the wrong shape.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AppError> {
        if let Err(err) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            return Err(AppError::BadRequest(format!(
                "the body is not valid JSON: {err}"
            )));
        }
        if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
            return Err(nul_refused());
        }
        serde_json::from_slice(bytes)
            .map(Self)
            .map_err(|err| AppError::Validation(format!("the JSON body does not fit: {err}")))
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A URL-encoded form body.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);

impl From<FormRejection> for AppError {
    fn from(rejection: FormRejection) -> Self {
        from_status(rejection.status(), rejection.body_text())
    }
}

/// Query parameters. A NUL character (`%00`) is refused here: no text field may hold one
/// (PostgreSQL cannot store it), so it is bad input, never a server error later.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if parts
            .uri
            .query()
            .is_some_and(|q| q.to_ascii_lowercase().contains("%00"))
        {
            return Err(nul_refused());
        }
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

fn nul_refused() -> AppError {
    AppError::BadRequest("text may not contain NUL characters".into())
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::BadRequest(rejection.body_text())
    }
}

/// Path parameters; a malformed id is "not found", like an unknown one.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        match rejection {
            PathRejection::FailedToDeserializePathParams(_) => AppError::NotFound("resource"),
            other => AppError::Internal(anyhow::anyhow!(other.body_text())),
        }
    }
}

/// The client's IP: the peer address, or with `TRUST_PROXY=n` the `X-Forwarded-For` hop
/// `n` places from the right. Each proxy appends the address it was reached from, so the
/// hops left of that one are whatever the client wrote and are never believed.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let ConnectInfo(addr) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| AppError::internal("no peer address on request"))?;
        Ok(Self(client_ip(
            addr.ip(),
            &parts.headers,
            state.config.trust_proxy,
        )))
    }
}

/// The client address behind `proxies` proxies (see [`ClientIp`]).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, proxies: usize) -> IpAddr {
    if proxies == 0 {
        return peer;
    }
    // Every X-Forwarded-For header, in order, as one list of hops.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    hops.len()
        .checked_sub(proxies)
        .and_then(|i| hops[i].parse().ok())
        .unwrap_or(peer)
}

/// Whether the request came from htmx (and wants a fragment, not a page).
pub struct IsHtmx(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for IsHtmx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.contains_key("hx-request")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_hop_added_by_the_outermost_trusted_proxy() {
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let headers = |xff: &[&str]| {
            let mut h = HeaderMap::new();
            for v in xff {
                h.append("x-forwarded-for", v.parse().unwrap());
            }
            h
        };
        for (xff, proxies, client) in [
            (&["203.0.113.9"][..], 1, "203.0.113.9"),
            (&["6.6.6.6, 203.0.113.9"][..], 1, "203.0.113.9"),
            (&["6.6.6.6", "203.0.113.9"][..], 1, "203.0.113.9"),
            (&["6.6.6.6, 203.0.113.9, 10.0.0.2"][..], 2, "203.0.113.9"),
            (&["6.6.6.6, 2001:db8::7"][..], 1, "2001:db8::7"),
            (&["203.0.113.9"][..], 2, "10.0.0.1"),
            (&["6.6.6.6, garbage"][..], 1, "10.0.0.1"),
            (&[][..], 1, "10.0.0.1"),
            (&["6.6.6.6"][..], 0, "10.0.0.1"),
        ] {
            let got = client_ip(peer, &headers(xff), proxies);
            assert_eq!(got.to_string(), client, "{xff:?} behind {proxies}");
        }
    }
}
