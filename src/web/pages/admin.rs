//! `/admin`: the user list with role changes and deactivation (OWNER/ADMIN).

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
    accounts::{self, AdminChange, User},
    auth::extract::AdminUser,
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
    let updated = accounts::admin_update(&state.db, &admin.user, id, change).await?;
    if !htmx {
        return Ok(Redirect::to("/admin").into_response());
    }
    let panel = UsersPanel {
        csrf: ctx.csrf,
        me: admin.id(),
        users: accounts::list_all(&state.db).await?,
        notice: Some(format!("Updated {}.", updated.username)),
    };
    let html = panel.render()?;
    Ok(axum::response::Html(html).into_response())
}
