//! `/mentions`: the messages that mention the viewer, newest first, each linking to the
//! message in its conversation; and the nav's unread count, which the page stream replaces
//! when it changes.

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
    auth::CurrentUser,
    chat::mentions::{self, Mention},
    error::Result,
    web::{AppState, extract::Query, mention_links},
};

/// The nav's unread-mentions badge, alone (the page stream swaps it out of band).
#[derive(Template)]
#[template(path = "partials/mention_count.html")]
pub struct MentionCount {
    unread_mentions: i64,
    oob: bool,
}

impl MentionCount {
    pub fn live(unread: i64) -> Self {
        Self {
            unread_mentions: unread,
            oob: true,
        }
    }
}

pub struct MentionRow {
    mention: Mention,
    content_html: String,
    when: super::stamp::Stamp,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mentions.html")]
pub struct MentionsPage {
    ctx: PageCtx,
    rows: Vec<MentionRow>,
    next: Option<Uuid>,
}

#[derive(Deserialize)]
pub struct MentionsQuery {
    before: Option<Uuid>,
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    Query(q): Query<MentionsQuery>,
) -> Result<Response> {
    let page = mentions::list(&state.db, user.id(), q.before).await?;
    let rows = page
        .mentions
        .into_iter()
        .map(|mention| {
            let t = mention.message.created_at;
            MentionRow {
                content_html: mention_links::highlight(&mention.message.content_html),
                when: super::stamp::Stamp::new(t),
                mention,
            }
        })
        .collect();
    Ok(MentionsPage {
        ctx,
        rows,
        next: page.next_cursor,
    }
    .into_response())
}
