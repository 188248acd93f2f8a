//! `/settings`: display name, password, API tokens. With htmx each form swaps the settings
//! panel in place; without JavaScript the form posts and the whole page comes back.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::PageCtx;
use crate::{
    accounts::{
        self,
        fields::{self, DisplayName, Password},
    },
    auth::{CurrentUser, tokens},
    entities::api_tokens,
    error::{AppError, Result},
    web::AppState,
    web::extract::{Form, IsHtmx, Path},
};

/// The settings panel, rendered alone for htmx and inside the page otherwise.
#[derive(Template)]
#[template(path = "partials/settings.html")]
pub struct SettingsPanel {
    csrf: String,
    name: String,
    username: String,
    tokens: Vec<api_tokens::Model>,
    notice: Option<Notice>,
    new_token: Option<String>,
}

pub struct Notice {
    section: &'static str,
    ok: bool,
    text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings.html")]
pub struct SettingsPage {
    ctx: PageCtx,
    panel: SettingsPanel,
}

async fn respond(
    state: &AppState,
    user: &accounts::User,
    ctx: PageCtx,
    htmx: bool,
    notice: Option<Notice>,
    new_token: Option<String>,
) -> Result<Response> {
    let status = match &notice {
        Some(n) if !n.ok => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        _ => axum::http::StatusCode::OK,
    };
    let panel = SettingsPanel {
        csrf: ctx.csrf.clone(),
        name: user.display_name.clone(),
        username: user.username.clone(),
        tokens: tokens::list(&state.db, user.id).await?,
        notice,
        new_token,
    };
    // htmx swaps error statuses too, so the panel shows its own message either way.
    if htmx {
        let html = panel.render()?;
        return Ok((status, axum::response::Html(html)).into_response());
    }
    Ok((status, SettingsPage { ctx, panel }).into_response())
}

/// Turns a rule violation into a message in the panel; server errors stay errors.
fn notice(section: &'static str, outcome: Result<&'static str>) -> Result<Notice> {
    match outcome {
        Ok(text) => Ok(Notice {
            section,
            ok: true,
            text: text.into(),
        }),
        Err(
            e @ (AppError::Internal(_)
            | AppError::DatabaseUnavailable
            | AppError::RateLimited { .. }),
        ) => Err(e),
        Err(e) => Ok(Notice {
            section,
            ok: false,
            text: e.to_string(),
        }),
    }
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
) -> Result<Response> {
    respond(&state, &user.user, ctx, false, None, None).await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    name: String,
}

pub async fn profile(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Form(form): Form<ProfileForm>,
) -> Result<Response> {
    let mut current = user.user.clone();
    let outcome = async {
        let name = DisplayName::parse(&form.name)?;
        current = accounts::update_profile(&state.db, &state.tokens, &user.user, name).await?;
        Ok("Saved.")
    }
    .await;
    let notice = notice("profile", outcome)?;
    respond(&state, &current, ctx, htmx, Some(notice), None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub async fn password(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    let outcome = async {
        let new = Password::parse(&form.new_password)?;
        let keep = user.session().and_then(|s| s.id());
        let change = accounts::change_password(
            &state.db,
            &state.tokens,
            &user.user,
            &form.current_password,
            new,
            keep.as_ref(),
        );
        state.limiters.password_check(user.id(), change).await?;
        Ok("Password changed. Your other sessions have been logged out and your API tokens revoked.")
    }
    .await;
    let notice = notice("password", outcome)?;
    respond(&state, &user.user, ctx, htmx, Some(notice), None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Form(form): Form<TokenForm>,
) -> Result<Response> {
    let mut secret = None;
    let outcome = async {
        let name = fields::label(&form.name, "token name")?;
        secret = Some(tokens::create(&state.db, user.id(), name).await?.1);
        Ok("Token created. Copy it now: it will not be shown again.")
    }
    .await;
    let notice = notice("tokens", outcome)?;
    let mut response = respond(&state, &user.user, ctx, htmx, Some(notice), secret).await?;
    // The page shows the new token: no cache may keep it.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    tokens::revoke(&state.db, &state.tokens, user.id(), id).await?;
    let notice = notice("tokens", Ok("Token revoked."))?;
    respond(&state, &user.user, ctx, htmx, Some(notice), None).await
}
