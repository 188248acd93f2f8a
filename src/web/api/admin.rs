//! `/api/admin/users`: list users, change roles, deactivate (OWNER/ADMIN only).

use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    accounts::{self, AdminChange, UserView},
    auth::extract::AdminUser,
    entities::users::SystemRole,
    error::Result,
    web::AppState,
    web::{
        errors::ErrorBody,
        extract::{Json, Path},
    },
};

/// Every user, including deactivated ones.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    responses((status = 200, body = [UserView]), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Vec<UserView>>> {
    let users = accounts::list_all(&state.db).await?;
    Ok(Json(users.iter().map(UserView::for_admin).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateUser {
    system_role: Option<SystemRole>,
    deactivated: Option<bool>,
}

/// Changes a user's role or deactivates/reactivates them. Deactivation ends their sessions.
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin", request_body = UpdateUser,
    params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<UpdateUser>,
) -> Result<Json<UserView>> {
    let change = AdminChange {
        system_role: body.system_role,
        deactivated: body.deactivated,
    };
    let user = accounts::admin_update(&state.db, &state.tokens, &admin.user, id, change).await?;
    Ok(Json(UserView::for_admin(&user)))
}
