//! Chat pages: the conversation list, a conversation, people, and their form posts.
//! With htmx, message actions return the message partial; without JavaScript every form
//! posts and redirects back (303).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use uuid::Uuid;

use super::PageCtx;
use crate::{
    accounts::{self, UserView},
    app::AppState,
    auth::CurrentUser,
    chat::{
        self, MessageView, ThreadView,
        fields::{self, MessageContent},
        messages::NewMessage,
        threads::Filter,
        views::DeliveryStatus,
    },
    entities::threads::ThreadKind,
    error::{AppError, Result},
    web::extract::{Form, IsHtmx, Path, Query},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chats", get(chats))
        .route("/chats/new", post(create_group))
        .route("/chats/{id}", get(conversation))
        .route("/chats/{id}/messages", get(older).post(send))
        .route("/chats/{id}/messages/{mid}/edit", get(edit_form).post(edit))
        .route("/chats/{id}/messages/{mid}/delete", post(delete))
        .route("/chats/{id}/messages/{mid}/react", post(react))
        .route("/chats/{id}/read", post(read))
        .route("/chats/{id}/leave", post(leave))
        .route("/chats/{id}/archive", post(archive))
        .route("/chats/{id}/unarchive", post(unarchive))
        .route("/chats/{id}/rename", post(rename))
        .route("/people", get(people))
        .route("/people/{id}/message", post(message_person))
        .route("/people/{id}/block", post(block))
        .route("/people/{id}/unblock", post(unblock))
}

/// Quick reactions offered under every message.
const QUICK_REACTIONS: [&str; 3] = ["👍", "❤️", "😂"];

fn render(t: &impl Template) -> Result<Response> {
    let html = t.render().map_err(|e| AppError::Internal(e.into()))?;
    Ok(Html(html).into_response())
}

fn to_chat(id: Uuid) -> Response {
    Redirect::to(&format!("/chats/{id}")).into_response()
}

// ---------- the conversation list ----------

pub struct ThreadItem {
    t: ThreadView,
    is_direct: bool,
    letter: String,
    preview: String,
    preview_deleted: bool,
}

impl ThreadItem {
    fn new(t: ThreadView) -> Self {
        let letter = t
            .name
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_else(|| "#".into());
        let (preview, preview_deleted) = match &t.last_message {
            Some(m) if m.deleted => (String::new(), true),
            Some(m) => (m.content.chars().take(80).collect(), false),
            None => (String::new(), false),
        };
        Self {
            is_direct: t.kind == ThreadKind::Direct,
            letter,
            preview,
            preview_deleted,
            t,
        }
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

async fn chats(
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
    let mut threads = chat::threads::list(&state.db, user.id(), filter).await?;
    threads.sort_by_key(|t| std::cmp::Reverse(t.updated_at));
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
        threads: threads.into_iter().map(ThreadItem::new).collect(),
        others,
    }
    .into_response())
}

/// `name` plus any number of `members` checkboxes.
async fn create_group(
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
    let thread = chat::threads::create_group(&state.db, &user.user, name, &members).await?;
    Ok(to_chat(thread.id))
}

// ---------- one conversation ----------

pub struct Reaction {
    emoji: String,
    count: usize,
    mine: bool,
}

/// A message as the viewer sees it.
pub struct Msg {
    v: MessageView,
    mine: bool,
    editing: bool,
    time: String,
    reactions: Vec<Reaction>,
    /// Quick reactions the viewer has not used yet.
    quick: Vec<&'static str>,
}

impl Msg {
    fn new(v: MessageView, viewer: Uuid, editing: bool) -> Self {
        let t = v.created_at;
        let time = format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute());
        let reactions: Vec<Reaction> = v
            .reactions
            .iter()
            .map(|r| Reaction {
                emoji: r.emoji.clone(),
                count: r.count,
                mine: r.user_ids.contains(&viewer),
            })
            .collect();
        let quick = QUICK_REACTIONS
            .iter()
            .copied()
            .filter(|q| !reactions.iter().any(|r| r.emoji == *q && r.mine))
            .collect();
        Self {
            mine: v.user_id == viewer,
            editing: editing && v.user_id == viewer && v.deleted_at.is_none(),
            time,
            reactions,
            quick,
            v,
        }
    }
}

/// One message, alone (htmx swaps).
#[derive(Template)]
#[template(path = "partials/message.html")]
pub struct MessagePartial {
    m: Msg,
    csrf: String,
    thread_id: Uuid,
    is_group: bool,
}

/// A page of messages (oldest first) with its "Load older" button.
#[derive(Template)]
#[template(path = "partials/messages_page.html")]
pub struct MessagesPartial {
    msgs: Vec<Msg>,
    next: Option<Uuid>,
    csrf: String,
    thread_id: Uuid,
    is_group: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/chat.html")]
pub struct ChatPage {
    ctx: PageCtx,
    t: ThreadItem,
    msgs: Vec<Msg>,
    next: Option<Uuid>,
    csrf: String,
    thread_id: Uuid,
    is_group: bool,
}

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<Uuid>,
    edit: Option<Uuid>,
}

async fn conversation(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let thread = chat::threads::view(&state.db, id, user.id()).await?;
    if q.before.is_none() {
        chat::reads::mark_read(&state.db, &user.user, id, None).await?;
    }
    let page = chat::messages::page(&state.db, user.id(), id, q.before, None).await?;
    let viewer = user.id();
    let msgs = page
        .messages
        .into_iter()
        .map(|m| {
            let editing = q.edit == Some(m.id);
            Msg::new(m, viewer, editing)
        })
        .collect();
    Ok(ChatPage {
        is_group: thread.kind != ThreadKind::Direct,
        thread_id: id,
        csrf: ctx.csrf.clone(),
        ctx,
        t: ThreadItem::new(thread),
        msgs,
        next: page.next_cursor,
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct OlderQuery {
    before: Option<Uuid>,
}

/// Older messages: the partial for htmx, the page otherwise.
async fn older(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
    Query(q): Query<OlderQuery>,
) -> Result<Response> {
    if !htmx {
        let to = match q.before {
            Some(b) => format!("/chats/{id}?before={b}"),
            None => format!("/chats/{id}"),
        };
        return Ok(Redirect::to(&to).into_response());
    }
    let thread = chat::threads::view(&state.db, id, user.id()).await?;
    let page = chat::messages::page(&state.db, user.id(), id, q.before, None).await?;
    let viewer = user.id();
    render(&MessagesPartial {
        msgs: page
            .messages
            .into_iter()
            .map(|m| Msg::new(m, viewer, false))
            .collect(),
        next: page.next_cursor,
        csrf: ctx.csrf,
        thread_id: id,
        is_group: thread.kind != ThreadKind::Direct,
    })
}

/// The message partial for htmx, or back to the conversation.
async fn message_response(
    state: &AppState,
    user: &CurrentUser,
    csrf: String,
    htmx: bool,
    thread: Uuid,
    m: MessageView,
    editing: bool,
) -> Result<Response> {
    if !htmx {
        return Ok(to_chat(thread));
    }
    let t = chat::threads::view(&state.db, thread, user.id()).await?;
    render(&MessagePartial {
        m: Msg::new(m, user.id(), editing),
        csrf,
        thread_id: thread,
        is_group: t.kind != ThreadKind::Direct,
    })
}

/// A message of this conversation the viewer can see.
async fn message_in(
    state: &AppState,
    viewer: Uuid,
    thread: Uuid,
    mid: Uuid,
) -> Result<MessageView> {
    let (model, _) = chat::messages::visible(&state.db, viewer, mid).await?;
    if model.thread_id != thread {
        return Err(AppError::NotFound("message"));
    }
    chat::messages::view(&state.db, &model).await
}

#[derive(Deserialize)]
pub struct SendForm {
    content: String,
    client_id: Option<String>,
}

async fn send(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
    Form(form): Form<SendForm>,
) -> Result<Response> {
    state.limiters.send_message(user.id())?;
    let content = MessageContent::parse(&form.content)?;
    let client_id = match form.client_id.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Some(fields::client_id(c)?),
        _ => None,
    };
    let (m, _) = chat::messages::send(
        &state.db,
        &user.user,
        NewMessage {
            thread: id,
            content,
            client_id,
            reply_to: None,
        },
    )
    .await?;
    message_response(&state, &user, ctx.csrf, htmx, id, m, false).await
}

async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    if !htmx {
        return Ok(Redirect::to(&format!("/chats/{id}?edit={mid}")).into_response());
    }
    let m = message_in(&state, user.id(), id, mid).await?;
    message_response(&state, &user, ctx.csrf, true, id, m, true).await
}

#[derive(Deserialize)]
pub struct EditForm {
    content: String,
}

async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
    Form(form): Form<EditForm>,
) -> Result<Response> {
    message_in(&state, user.id(), id, mid).await?;
    let content = MessageContent::parse(&form.content)?;
    let m = chat::messages::edit(&state.db, &user.user, mid, content).await?;
    message_response(&state, &user, ctx.csrf, htmx, id, m, false).await
}

async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    message_in(&state, user.id(), id, mid).await?;
    chat::messages::delete(&state.db, &user.user, mid).await?;
    let m = message_in(&state, user.id(), id, mid).await?;
    message_response(&state, &user, ctx.csrf, htmx, id, m, false).await
}

#[derive(Deserialize)]
pub struct ReactForm {
    emoji: String,
    on: String,
}

async fn react(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
    Form(form): Form<ReactForm>,
) -> Result<Response> {
    message_in(&state, user.id(), id, mid).await?;
    let emoji = fields::emoji(&form.emoji)?;
    let on = form.on == "1";
    let m = chat::reactions::set(&state.db, &user.user, mid, emoji, on).await?;
    message_response(&state, &user, ctx.csrf, htmx, id, m, false).await
}

async fn read(
    State(state): State<AppState>,
    user: CurrentUser,
    IsHtmx(htmx): IsHtmx,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::reads::mark_read(&state.db, &user.user, id, None).await?;
    if htmx {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(to_chat(id))
}

async fn leave(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::threads::leave(&state.db, &user.user, id).await?;
    Ok(Redirect::to("/chats").into_response())
}

async fn archive(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::threads::set_archived(&state.db, &user.user, id, true).await?;
    Ok(Redirect::to("/chats").into_response())
}

async fn unarchive(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    chat::threads::set_archived(&state.db, &user.user, id, false).await?;
    Ok(to_chat(id))
}

#[derive(Deserialize)]
pub struct RenameForm {
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Form(form): Form<RenameForm>,
) -> Result<Response> {
    let name = fields::thread_name(&form.name)?;
    chat::threads::rename(&state.db, &user.user, id, name).await?;
    Ok(to_chat(id))
}

// ---------- people ----------

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

async fn people(
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

async fn message_person(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(other): Path<Uuid>,
) -> Result<Response> {
    let thread = chat::threads::direct(&state.db, &user.user, other).await?;
    Ok(to_chat(thread.id))
}

async fn block(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(other): Path<Uuid>,
) -> Result<Response> {
    chat::blocks::block(&state.db, &user.user, other).await?;
    Ok(Redirect::to("/people").into_response())
}

async fn unblock(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(other): Path<Uuid>,
) -> Result<Response> {
    chat::blocks::unblock(&state.db, &user.user, other).await?;
    Ok(Redirect::to("/people").into_response())
}
