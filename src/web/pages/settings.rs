//! `/settings`: profile picture, display name, password, API tokens. With htmx each form
//! swaps the settings panel in place; without JavaScript the form posts and the whole page
//! comes back (the picture form always posts the page: it carries a file).

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
    attachments::avatars,
    auth::{CurrentUser, tokens},
    entities::api_tokens,
    error::{AppError, Result},
    web::AppState,
    web::avatars::read_picture,
    web::extract::{Form, IsHtmx, Path},
    web::multipart::CheckedMultipart,
};

/// The settings panel, rendered alone for htmx and inside the page otherwise.
#[derive(Template)]
#[template(path = "partials/settings.html")]
pub struct SettingsPanel {
    csrf: String,
    name: String,
    username: String,
    /// The avatar shown now, and whether it is an uploaded picture (not the identicon).
    image: String,
    has_picture: bool,
    /// The largest picture accepted, for people ("5 MB").
    picture_limit: String,
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
        image: accounts::image_url(user),
        has_picture: user.avatar_key.is_some(),
        picture_limit: megabytes(avatars::max_bytes(state.config.max_upload_bytes)),
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
            | AppError::StorageUnavailable
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

fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 1.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{:.0} KB", bytes as f64 / 1e3)
    }
}

/// `POST /settings/avatar`, a multipart form: `csrf_token` first, then `file`.
pub async fn set_avatar(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    CheckedMultipart(multipart): CheckedMultipart,
) -> Result<Response> {
    let mut current = user.user.clone();
    let outcome = async {
        let max = avatars::max_bytes(state.config.max_upload_bytes);
        let raw = read_picture(Ok(multipart), max).await?;
        let files = state.attachments.files();
        current = avatars::set(&state.db, &state.tokens, files, &user.user, raw).await?;
        Ok("Picture saved.")
    }
    .await;
    let notice = notice("picture", outcome)?;
    respond(&state, &current, ctx, htmx, Some(notice), None).await
}

pub async fn remove_avatar(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
) -> Result<Response> {
    let files = state.attachments.files();
    let current = avatars::remove(&state.db, &state.tokens, files, &user.user).await?;
    let notice = notice("picture", Ok("Picture removed."))?;
    respond(&state, &current, ctx, htmx, Some(notice), None).await
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
