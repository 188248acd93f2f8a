//! `/admin`: the user list with role changes and deactivation, invite links and password
//! reset links (OWNER/ADMIN).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::PageCtx;
use crate::{
    accounts::{self, AdminChange, User, links},
    auth::{CurrentUser, extract::AdminUser},
    entities::users::SystemRole,
    error::{AppError, Result},
    web::AppState,
    web::extract::{Form, IsHtmx, Path},
};

#[derive(Template)]
#[template(path = "partials/admin_users.html")]
pub struct UsersPanel {
    csrf: String,
    me: Uuid,
    users: Vec<User>,
    notice: Option<String>,
    /// A one-time link just made, shown once for the admin to pass on.
    link: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin.html")]
pub struct AdminPage {
    ctx: PageCtx,
    panel: UsersPanel,
}

pub async fn page(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ctx: PageCtx,
) -> Result<Response> {
    let panel = UsersPanel {
        csrf: ctx.csrf.clone(),
        me: admin.id(),
        users: accounts::list_all(&state.db).await?,
        notice: None,
        link: None,
    };
    Ok(AdminPage { ctx, panel }.into_response())
}

#[derive(Deserialize)]
pub struct UpdateForm {
    system_role: Option<String>,
    deactivated: Option<String>,
}

pub async fn update_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
    Form(form): Form<UpdateForm>,
) -> Result<Response> {
    let system_role = match form.system_role.as_deref() {
        None | Some("") => None,
        Some("ADMIN") => Some(SystemRole::Admin),
        Some("MEMBER") => Some(SystemRole::Member),
        Some("OWNER") => Some(SystemRole::Owner),
        Some(_) => return Err(AppError::validation("unknown role")),
    };
    let deactivated = match form.deactivated.as_deref() {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(AppError::validation("deactivated must be true or false")),
    };
    let change = AdminChange {
        system_role,
        deactivated,
    };
    let updated = accounts::admin_update(&state.db, &state.tokens, &admin.user, id, change).await?;
    if !htmx {
        return Ok(Redirect::to("/admin").into_response());
    }
    let panel = UsersPanel {
        csrf: ctx.csrf,
        me: admin.id(),
        users: accounts::list_all(&state.db).await?,
        notice: Some(format!("Updated {}.", updated.username)),
        link: None,
    };
    let html = panel.render()?;
    Ok(axum::response::Html(html).into_response())
}

/// The panel (htmx) or the whole page showing a new one-time link: it is shown only here,
/// so there is no redirect, with or without JavaScript.
async fn show_link(
    state: &AppState,
    admin: &CurrentUser,
    ctx: PageCtx,
    htmx: bool,
    notice: String,
    path: String,
) -> Result<Response> {
    let base = state.config.public_url.as_deref().unwrap_or("");
    let panel = UsersPanel {
        csrf: ctx.csrf.clone(),
        me: admin.id(),
        users: accounts::list_all(&state.db).await?,
        notice: Some(notice),
        link: Some(format!("{base}{path}")),
    };
    if htmx {
        return Ok(axum::response::Html(panel.render()?).into_response());
    }
    Ok(AdminPage { ctx, panel }.into_response())
}

/// A one-time invite link (works with `REGISTRATION=closed`).
pub async fn create_invite(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
) -> Result<Response> {
    let secret = links::invite(&state.db, &admin.user).await?;
    let days = links::INVITE_TTL.as_secs() / 86_400;
    let notice = format!("Invite link for one account, valid {days} days:");
    show_link(
        &state,
        &admin,
        ctx,
        htmx,
        notice,
        format!("/invite/{secret}"),
    )
    .await
}

/// A one-time password reset link for a user.
pub async fn create_reset_link(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    let (user, secret) = links::reset_link(&state.db, &admin.user, id).await?;
    let hours = links::RESET_TTL.as_secs() / 3600;
    let notice = format!(
        "Password reset link for {}, valid {hours} hours:",
        user.username
    );
    show_link(
        &state,
        &admin,
        ctx,
        htmx,
        notice,
        format!("/reset/{secret}"),
    )
    .await
}
