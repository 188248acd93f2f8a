//! People: start a direct conversation, block and unblock.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::to_chat;
use crate::web::pages::PageCtx;
use crate::{
    accounts::{self, UserView},
    auth::CurrentUser,
    chat::{self},
    error::Result,
    web::AppState,
    web::extract::{Path, Query},
};

pub struct Person {
    u: UserView,
    blocked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/people.html")]
pub struct PeoplePage {
    ctx: PageCtx,
    q: String,
    people: Vec<Person>,
}

#[derive(Deserialize)]
pub struct PeopleQuery {
    q: Option<String>,
}

pub(in crate::web) async fn people(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    Query(q): Query<PeopleQuery>,
) -> Result<Response> {
    let q = q.q.unwrap_or_default();
    let blocked = chat::blocks::list(&state.db, user.id()).await?;
    let people = accounts::search(&state.db, &q, 100)
        .await?
        .iter()
        .filter(|u| u.id != user.id())
        .map(|u| Person {
            blocked: blocked.contains(&u.id),
            u: UserView::new(u),
        })
        .collect();
    Ok(PeoplePage { ctx, q, people }.into_response())
}

pub(in crate::web) async fn message_person(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(other): Path<Uuid>,
) -> Result<Response> {
    let thread = chat::threads::direct(&state.db, &user.user, other).await?;
    Ok(to_chat(thread.id))
}

pub(in crate::web) async fn block(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(other): Path<Uuid>,
) -> Result<Response> {
    chat::blocks::block(&state.db, &user.user, other).await?;
    Ok(Redirect::to("/people").into_response())
}

pub(in crate::web) async fn unblock(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(other): Path<Uuid>,
) -> Result<Response> {
    chat::blocks::unblock(&state.db, &user.user, other).await?;
    Ok(Redirect::to("/people").into_response())
}
