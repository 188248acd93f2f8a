//! `/login`, `/register`, `/logout`: plain forms that work without JavaScript.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{PageCtx, safe_next};
use crate::{
    accounts::{self, NewAccount},
    auth::{self, CurrentUser},
    chat,
    config::Registration,
    error::{AppError, ErrorInfo, Result},
    web::AppState,
    web::extract::{ClientIp, Form, Query},
};

#[derive(Template, WebTemplate)]
#[template(path = "pages/login.html")]
pub struct LoginPage {
    ctx: PageCtx,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_page(
    user: Option<CurrentUser>,
    ctx: PageCtx,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return Redirect::to(&next).into_response();
    }
    LoginPage {
        ctx,
        error: None,
        username: String::new(),
        next,
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// Renders the form again with the error, keeping the typed username.
pub(super) fn form_error(err: AppError, page: impl IntoResponse) -> Result<Response> {
    if let AppError::Internal(_) = err {
        return Err(err);
    }
    // Keep the error's status and headers (Retry-After); the form is the body. Without
    // the ErrorInfo, the error renderer leaves this response as it is.
    let (mut parts, _) = err.into_response().into_parts();
    parts.extensions.remove::<ErrorInfo>();
    Ok((parts, page).into_response())
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    ctx: PageCtx,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let attempt = accounts::authenticate(&state.db, &form.username, &form.password);
    match state.limiters.login(ip, &form.username, attempt).await {
        Ok(user) => {
            auth::start_session(&session, user.id).await?;
            Ok(Redirect::to(&next).into_response())
        }
        Err(err) => {
            let page = LoginPage {
                ctx,
                error: Some(err.to_string()),
                username: form.username,
                next,
            };
            form_error(err, page)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/register.html")]
pub struct RegisterPage {
    ctx: PageCtx,
    error: Option<String>,
    closed: bool,
    username: String,
    name: String,
    email: String,
}

pub async fn register_page(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    ctx: PageCtx,
) -> Response {
    if user.is_some() {
        return Redirect::to("/chats").into_response();
    }
    RegisterPage {
        ctx,
        error: None,
        closed: state.config.registration == Registration::Closed,
        username: String::new(),
        name: String::new(),
        email: String::new(),
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct RegisterForm {
    username: String,
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    ctx: PageCtx,
    Form(form): Form<RegisterForm>,
) -> Result<Response> {
    let attempt = async {
        state.limiters.register(ip)?;
        let new = NewAccount::parse(
            &form.username,
            &form.password,
            Some(&form.name),
            Some(&form.email),
        )?;
        chat::threads::sign_up(&state.db, new, state.config.registration).await
    };
    match attempt.await {
        Ok(user) => {
            auth::start_session(&session, user.id).await?;
            Ok(Redirect::to("/chats").into_response())
        }
        Err(err) => {
            let page = RegisterPage {
                ctx,
                error: Some(err.to_string()),
                closed: state.config.registration == Registration::Closed,
                username: form.username,
                name: form.name,
                email: form.email,
            };
            form_error(err, page)
        }
    }
}

pub async fn logout(session: Session) -> Result<(StatusCode, [(&'static str, &'static str); 1])> {
    auth::end_session(&session).await?;
    Ok((StatusCode::SEE_OTHER, [("location", "/login")]))
}
