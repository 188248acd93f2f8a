//! `/api/me` and `/api/users`.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::live::with_presence;
use crate::{
    accounts::{self, UserView},
    auth::CurrentUser,
    error::Result,
    web::AppState,
    web::{
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
