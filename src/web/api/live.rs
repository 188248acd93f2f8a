//! The JSON event stream (`/api/chat/sse`), typing notices and presence.

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::Stream;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    accounts::{self, UserView},
    auth::CurrentUser,
    chat,
    error::{AppError, Result},
    realtime::{
        PresenceView,
        stream::{JsonFrames, Subscription},
    },
    web::AppState,
    web::{
        api::events::StreamEvent,
        errors::ErrorBody,
        extract::{Json, Query},
    },
};

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Resume after this event id, for clients that cannot send `Last-Event-ID`.
    last_event_id: Option<String>,
}

/// Registers a stream for the caller, tied to their credential, resuming from the
/// `Last-Event-ID` header, else the `lastEventId` parameter.
pub async fn subscribe(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    last_event_id: Option<String>,
) -> Result<Subscription> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(last_event_id)
        .filter(|id| !id.trim().is_empty());
    state
        .realtime
        .subscribe(
            user.id(),
            user.credential(),
            user.expires_at(),
            resume.as_deref(),
        )
        .await
}

/// An SSE response around a stream body.
pub fn sse_response(
    body: impl Stream<Item = std::result::Result<bytes::Bytes, std::convert::Infallible>>
    + Send
    + 'static,
) -> Response {
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Proxies such as nginx must not buffer the stream.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// The caller's live events, as server-sent events.
///
/// `id:` is an opaque position, `event:` the kind, `data:` JSON (one schema per kind:
/// `StreamEvent` lists them, e.g. `MessageCreatedEvent`). Send `Last-Event-ID` (or
/// `?lastEventId=`) to receive what happened after that event first; an unknown or pruned
/// position gets a `reset` event. A comment line comes every `HEARTBEAT_SECS`. The stream
/// ends when the caller's session or token ends, and when the client falls too far behind
/// (it should reconnect with its last id).
#[utoipa::path(get, path = "/api/chat/sse", tag = "live", params(StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses((status = 200, content_type = "text/event-stream", body = StreamEvent,
        description = "Server-sent events; each frame's `event:` and `data:` are one of the StreamEvent shapes: \
            message.created, message.updated, message.deleted, thread.updated, thread.removed, read, delivered, \
            typing, presence, reset"),
        (status = 401, body = ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Response> {
    let subscription = subscribe(&state, &user, &headers, q.last_event_id).await?;
    Ok(sse_response(subscription.into_body(JsonFrames)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TypingBody {
    thread_id: Uuid,
}

/// Tells the conversation's other members that the caller is typing (send it every few
/// seconds while typing; repeats within 2 s are folded).
#[utoipa::path(post, path = "/api/typing", tag = "live", request_body = TypingBody,
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn typing(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<TypingBody>,
) -> Result<StatusCode> {
    state.realtime.typing(&user.user, body.thread_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PresenceQuery {
    /// Comma-separated user ids; by default, the people the caller shares a direct
    /// conversation or a small group with.
    user_ids: Option<String>,
}

/// Who is online, and when the others were last seen.
#[utoipa::path(get, path = "/api/chat/presence", tag = "live", params(PresenceQuery),
    responses((status = 200, body = [PresenceView]), (status = 422, body = ErrorBody)))]
pub async fn presence(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PresenceQuery>,
) -> Result<Json<Vec<PresenceView>>> {
    let ids: Vec<Uuid> = match q.user_ids.as_deref().map(str::trim) {
        Some(list) if !list.is_empty() => {
            let ids = list
                .split(',')
                .map(|id| id.trim().parse::<Uuid>())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|_| AppError::validation("userIds must be comma-separated user ids"))?;
            if ids.len() > 500 {
                return Err(AppError::validation("at most 500 userIds"));
            }
            ids
        }
        _ => state.realtime.presence_audience(user.id()).await?,
    };
    let contacts = chat::contacts::contacts_among(&state.db, user.id(), &ids).await?;
    let people = accounts::find_many(&state.db, contacts.iter().copied()).await?;
    let people: Vec<_> = ids
        .iter()
        .filter_map(|id| people.get(id))
        .filter(|person| person.deactivated_at.is_none())
        .cloned()
        .collect();
    Ok(Json(state.realtime.presence_of(&people).await))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PresenceBody {
    /// `ONLINE` (counts for 60 s; repeat to stay online without a stream) or `OFFLINE`.
    status: String,
}

/// Presence for clients without a stream open: a heartbeat.
#[utoipa::path(post, path = "/api/chat/presence", tag = "live", request_body = PresenceBody,
    responses((status = 200, body = UserView), (status = 422, body = ErrorBody)))]
pub async fn set_presence(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<PresenceBody>,
) -> Result<Json<UserView>> {
    let online = match body.status.as_str() {
        "ONLINE" => true,
        "OFFLINE" => false,
        _ => return Err(AppError::validation("status must be ONLINE or OFFLINE")),
    };
    state.realtime.heartbeat(user.id(), online).await;
    let mut views = with_presence(&state, &user.user, std::slice::from_ref(&user.user)).await?;
    Ok(Json(views.remove(0)))
}

/// The public views of `users` as `viewer` may see them: presence and last seen for
/// `viewer`'s contacts (see [`chat::contacts`]), `OFFLINE` and no last seen for others.
pub async fn with_presence(
    state: &AppState,
    viewer: &accounts::User,
    users: &[accounts::User],
) -> Result<Vec<UserView>> {
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let contacts = chat::contacts::contacts_among(&state.db, viewer.id, &ids).await?;
    let shown: Vec<accounts::User> = users
        .iter()
        .filter(|u| contacts.contains(&u.id))
        .cloned()
        .collect();
    let presence = state.realtime.presence_of(&shown).await;
    Ok(users
        .iter()
        .map(|u| match presence.iter().find(|p| p.user_id == u.id) {
            Some(p) => UserView {
                status: p.status,
                last_seen: p.last_seen,
                ..UserView::new(u)
            },
            None => UserView::new(u),
        })
        .collect())
}
