//! "Who is here": a room's or group's members, online first, beside the conversation
//! (the first page) and at `GET /chats/{id}/members?offset=` (the next pages: a list of
//! items for htmx's "Show more", a page of its own without JavaScript). Presence dots
//! follow the `presence` events live (`assets/app.js`).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::render;
use crate::{
    auth::CurrentUser,
    chat::{self, threads::Roster},
    entities::threads::ThreadKind,
    error::{AppError, Result},
    web::{
        AppState,
        api::members::{DEFAULT_PAGE, roster_of},
        extract::{IsHtmx, Path, Query},
        pages::PageCtx,
    },
};

/// One page of members as the panel and the members page show it.
pub struct RosterView {
    pub(super) thread_id: Uuid,
    pub(super) roster: Roster,
    pub(super) offset: u64,
}

impl RosterView {
    /// The first page beside the conversation: for rooms and groups, not direct ones.
    pub(super) async fn beside(
        state: &AppState,
        viewer: Uuid,
        thread: Uuid,
        kind: ThreadKind,
    ) -> Result<Option<Self>> {
        if kind == ThreadKind::Direct {
            return Ok(None);
        }
        let roster = roster_of(state, viewer, thread, 0, DEFAULT_PAGE).await?;
        Ok(Some(Self {
            thread_id: thread,
            roster,
            offset: 0,
        }))
    }

    fn previous_offset(&self) -> Option<u64> {
        (self.offset > 0).then(|| self.offset.saturating_sub(DEFAULT_PAGE))
    }
}

/// The members' list items and the next "Show more" (htmx appends them).
#[derive(Template)]
#[template(path = "partials/roster_items.html")]
struct RosterItems {
    r: RosterView,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/members.html")]
struct MembersPage {
    ctx: PageCtx,
    name: String,
    r: RosterView,
}

#[derive(Deserialize)]
pub struct MembersQuery {
    #[serde(default)]
    offset: u64,
}

pub(in crate::web) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
    Query(q): Query<MembersQuery>,
) -> Result<Response> {
    let thread = chat::threads::view(&state.db, id, user.id()).await?;
    if thread.kind == ThreadKind::Direct {
        return Err(AppError::NotFound("members list"));
    }
    let roster = roster_of(&state, user.id(), id, q.offset, DEFAULT_PAGE).await?;
    let r = RosterView {
        thread_id: id,
        roster,
        offset: q.offset,
    };
    if htmx {
        return render(&RosterItems { r });
    }
    Ok(MembersPage {
        ctx,
        name: thread.name,
        r,
    }
    .into_response())
}
