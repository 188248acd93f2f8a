//! `/api/tokens`: create (shown once), list, revoke.

use axum::{
    extract::State,
    http::{StatusCode, header},
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    accounts::fields,
    auth::{CurrentUser, tokens},
    entities::api_tokens,
    error::{AppError, Result},
    web::AppState,
    web::{
        errors::ErrorBody,
        extract::{Json, Path},
    },
};

#[derive(Deserialize, ToSchema)]
pub struct CreateToken {
    name: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedToken {
    id: Uuid,
    name: String,
    /// The secret; shown only in this response.
    token: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    id: Uuid,
    name: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<&api_tokens::Model> for TokenView {
    fn from(t: &api_tokens::Model) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            created_at: t.created_at,
        }
    }
}

/// Creates an API token for the caller. The token is shown once (and never cached).
/// Only a logged-in session can create tokens: a token cannot mint more tokens, so
/// revoking a leaked one contains the leak.
#[utoipa::path(post, path = "/api/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody, description = "called with a token"),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<CreateToken>,
) -> Result<(
    StatusCode,
    [(header::HeaderName, &'static str); 1],
    Json<CreatedToken>,
)> {
    if user.session().is_none() {
        return Err(AppError::forbidden(
            "API tokens can only be created from a logged-in session, not with a token",
        ));
    }
    let name = fields::label(&body.name, "token name")?;
    let (model, token) = tokens::create(&state.db, user.id(), name).await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(CreatedToken {
            id: model.id,
            name: model.name,
            token,
        }),
    ))
}

/// The caller's live tokens (no secrets).
#[utoipa::path(get, path = "/api/tokens", tag = "tokens", responses((status = 200, body = [TokenView])))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<TokenView>>> {
    let list = tokens::list(&state.db, user.id()).await?;
    Ok(Json(list.iter().map(TokenView::from).collect()))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    tokens::revoke(&state.db, &state.tokens, user.id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
