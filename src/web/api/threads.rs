//! `/api/threads`: the conversation list and every membership action.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::CurrentUser,
    chat::{
        ThreadView, fields,
        threads::{self, Filter},
    },
    error::{AppError, Result},
    web::AppState,
    web::{
        errors::ErrorBody,
        extract::{Json, Path, Query},
    },
};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `true` lists the archived conversations instead.
    #[serde(default)]
    archived: bool,
}

/// The caller's conversations, newest activity first.
#[utoipa::path(get, path = "/api/threads", tag = "threads", params(ListQuery),
    responses((status = 200, body = [ThreadView]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<ThreadView>>> {
    let filter = if q.archived {
        Filter::Archived
    } else {
        Filter::Active
    };
    Ok(Json(threads::list(&state.db, user.id(), filter).await?))
}

/// One conversation as the caller sees it.
#[utoipa::path(get, path = "/api/threads/{id}", tag = "threads", params(("id" = Uuid, Path)),
    responses((status = 200, body = ThreadView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Json<ThreadView>> {
    Ok(Json(threads::view(&state.db, id, user.id()).await?))
}

/// What to do; `create` with one participant and no name finds or starts the direct
/// conversation with that user.
#[derive(Deserialize, ToSchema)]
#[serde(
    tag = "action",
    rename_all = "lowercase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum ThreadAction {
    Create {
        name: Option<String>,
        participant_ids: Vec<Uuid>,
        /// `direct` or `group`; inferred when absent.
        kind: Option<String>,
    },
    Leave {
        thread_id: Uuid,
    },
    Rename {
        thread_id: Uuid,
        name: String,
    },
    Add {
        thread_id: Uuid,
        /// The users to add (`userIds`, the older name, is accepted too).
        #[serde(alias = "userIds")]
        participant_ids: Vec<Uuid>,
    },
    Remove {
        thread_id: Uuid,
        /// The users to remove, as with `create` and `add`.
        #[serde(default)]
        participant_ids: Vec<Uuid>,
        /// One user to remove (the older form; may be combined with `participantIds`).
        user_id: Option<Uuid>,
    },
    Archive {
        thread_id: Uuid,
    },
    Unarchive {
        thread_id: Uuid,
    },
}

/// Creates a conversation or changes one (leave, rename, add, remove, archive, unarchive).
#[utoipa::path(post, path = "/api/threads", tag = "threads", request_body = ThreadAction,
    responses((status = 200, body = ThreadView), (status = 201, body = ThreadView, description = "group created"),
        (status = 204, description = "left"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(action): Json<ThreadAction>,
) -> Result<axum::response::Response> {
    let db = &state.db;
    let me = &user.user;
    let view = match action {
        ThreadAction::Create {
            name,
            participant_ids,
            kind,
        } => {
            let name = name.filter(|n| !n.trim().is_empty());
            let direct = match kind.as_deref() {
                Some("direct") => true,
                Some("group") => false,
                None => name.is_none() && participant_ids.len() == 1,
                Some(_) => return Err(AppError::validation("kind must be direct or group")),
            };
            if direct {
                let [other] = participant_ids[..] else {
                    return Err(AppError::validation(
                        "a direct conversation has exactly one other participant",
                    ));
                };
                threads::direct(db, me, other).await?
            } else {
                let name = match name {
                    Some(n) => fields::thread_name(&n)?,
                    None => return Err(AppError::validation("a group needs a name")),
                };
                state.limiters.group_adds(me.id, participant_ids.len())?;
                let view = threads::create_group(db, me, name, &participant_ids).await?;
                return Ok((StatusCode::CREATED, Json(view)).into_response());
            }
        }
        ThreadAction::Leave { thread_id } => {
            threads::leave(db, me, thread_id).await?;
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        ThreadAction::Rename { thread_id, name } => {
            threads::rename(db, me, thread_id, fields::thread_name(&name)?).await?
        }
        ThreadAction::Add {
            thread_id,
            participant_ids,
        } => {
            state.limiters.group_adds(me.id, participant_ids.len())?;
            threads::add_members(db, me, thread_id, &participant_ids).await?
        }
        ThreadAction::Remove {
            thread_id,
            mut participant_ids,
            user_id,
        } => {
            participant_ids.extend(user_id);
            participant_ids.sort();
            participant_ids.dedup();
            let Some((last, others)) = participant_ids.split_last() else {
                return Err(AppError::validation(
                    "participantIds names nobody to remove",
                ));
            };
            for &other in others {
                threads::remove_member(db, me, thread_id, other).await?;
            }
            threads::remove_member(db, me, thread_id, *last).await?
        }
        ThreadAction::Archive { thread_id } => {
            threads::set_archived(db, me, thread_id, true).await?
        }
        ThreadAction::Unarchive { thread_id } => {
            threads::set_archived(db, me, thread_id, false).await?
        }
    };
    Ok(Json(view).into_response())
}
