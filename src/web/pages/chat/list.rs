//! The conversation list and group creation.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::to_chat;
use crate::web::pages::PageCtx;
use crate::{
    accounts::{self, Status, UserView},
    auth::CurrentUser,
    chat::{self, ThreadView, fields, threads::Filter},
    entities::threads::ThreadKind,
    error::{AppError, Result},
    web::AppState,
    web::extract::{Form, Query},
};

/// A conversation as the list (and a conversation's header) shows it.
pub struct ThreadItem {
    pub(super) thread: ThreadView,
    pub(super) is_direct: bool,
    pub(super) letter: String,
    pub(super) preview: String,
    pub(super) preview_deleted: bool,
    /// A direct conversation's other person is online.
    pub(super) online: bool,
    /// Sent live after new activity: the list moves it to the top.
    pub(super) bump: bool,
    /// The conversation open beside the list (marked, its unread count not shown).
    pub(super) current: bool,
}

impl ThreadItem {
    pub(super) fn new(thread: ThreadView) -> Self {
        let letter = thread
            .name
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_else(|| "#".into());
        let (preview, preview_deleted) = match &thread.last_message {
            Some(m) if m.deleted => (String::new(), true),
            // Only files: the text is empty.
            Some(m) if m.content.is_empty() => ("📎 Attachment".to_owned(), false),
            Some(m) => (m.content.chars().take(80).collect(), false),
            None => (String::new(), false),
        };
        Self {
            is_direct: thread.kind == ThreadKind::Direct,
            letter,
            preview,
            preview_deleted,
            online: false,
            bump: false,
            current: false,
            thread,
        }
    }

    /// The items of `threads`, with their people's presence.
    pub(super) async fn with_presence(state: &AppState, threads: Vec<ThreadView>) -> Vec<Self> {
        let mut people: Vec<Uuid> = threads
            .iter()
            .flat_map(|t| t.participants.iter().map(|p| p.id))
            .collect();
        people.sort();
        people.dedup();
        let online = state.realtime.online_among(&people).await;
        threads
            .into_iter()
            .map(|mut t| {
                for p in &mut t.participants {
                    p.status = Status::online(online.contains(&p.id));
                }
                let online = t.peer_id.is_some_and(|p| online.contains(&p));
                Self {
                    online,
                    ..Self::new(t)
                }
            })
            .collect()
    }

    /// The viewer's conversations as the list shows them, newest activity first;
    /// `current` is the one open beside it.
    pub(super) async fn list(
        state: &AppState,
        viewer: Uuid,
        filter: Filter,
        current: Option<Uuid>,
    ) -> Result<Vec<Self>> {
        let mut threads = chat::threads::list(&state.db, viewer, filter).await?;
        threads.sort_by_key(|t| std::cmp::Reverse(t.updated_at));
        let mut items = Self::with_presence(state, threads).await;
        for item in &mut items {
            item.current = Some(item.thread.id) == current;
        }
        Ok(items)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/chats.html")]
pub struct ChatsPage {
    ctx: PageCtx,
    csrf: String,
    archived: bool,
    threads: Vec<ThreadItem>,
    others: Vec<UserView>,
}

#[derive(Deserialize)]
pub struct ChatsQuery {
    archived: Option<String>,
}

pub(in crate::web) async fn chats(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    Query(q): Query<ChatsQuery>,
) -> Result<Response> {
    let archived = q.archived.as_deref() == Some("1");
    let filter = if archived {
        Filter::Archived
    } else {
        Filter::Active
    };
    let mut ctx = ctx;
    ctx.live_scope = "&list=1".into();
    let threads = ThreadItem::list(&state, user.id(), filter, None).await?;
    let others = accounts::search(&state.db, "", 100)
        .await?
        .iter()
        .filter(|u| u.id != user.id())
        .map(UserView::new)
        .collect();
    Ok(ChatsPage {
        csrf: ctx.csrf.clone(),
        ctx,
        archived,
        threads,
        others,
    }
    .into_response())
}

/// `name` plus any number of `members` checkboxes.
pub(in crate::web) async fn create_group(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let mut name = String::new();
    let mut members = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => name = v,
            "members" => members
                .push(Uuid::parse_str(&v).map_err(|_| AppError::validation("unknown member"))?),
            _ => {}
        }
    }
    let name = fields::thread_name(&name)?;
    state.limiters.group_adds(user.id(), members.len())?;
    let thread = chat::threads::create_group(&state.db, &user.user, name, &members).await?;
    Ok(to_chat(thread.id))
}
