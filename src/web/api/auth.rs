//! `/api/auth/*`: register, log in, log out.

use axum::{http::StatusCode, response::IntoResponse};
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::ToSchema;

use crate::{
    accounts::{self, NewAccount, UserView},
    auth, chat,
    error::Result,
    web::AppState,
    web::{
        errors::ErrorBody,
        extract::{ClientIp, Json},
    },
};
use axum::extract::State;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    username: String,
    password: String,
    name: Option<String>,
    email: Option<String>,
}

/// Creates an account and logs it in. The first account becomes OWNER.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody, description = "registration closed"),
        (status = 409, body = ErrorBody, description = "username or email taken"), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    Json(body): Json<RegisterBody>,
) -> Result<impl IntoResponse> {
    state.limiters.register(ip)?;
    let new = NewAccount::parse(
        &body.username,
        &body.password,
        body.name.as_deref(),
        body.email.as_deref(),
    )?;
    let user = chat::threads::sign_up(&state.db, new, state.config.registration).await?;
    auth::start_session(&session, user.id).await?;
    Ok((StatusCode::CREATED, Json(UserView::new(&user))))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// Logs in with username and password; sets the session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "deactivated"),
        (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    Json(body): Json<LoginBody>,
) -> Result<Json<UserView>> {
    let attempt = accounts::authenticate(&state.db, &body.username, &body.password);
    let user = state.limiters.login(ip, &body.username, attempt).await?;
    auth::start_session(&session, user.id).await?;
    Ok(Json(UserView::new(&user)))
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(session: Session) -> Result<StatusCode> {
    auth::end_session(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}
