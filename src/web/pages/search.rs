//! `/search`: the search page. Without JavaScript it is a plain GET form; with htmx the
//! results update as you type (debounced) and only the results are swapped.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use time::{Date, OffsetDateTime, macros::format_description};
use uuid::Uuid;

use super::{PageCtx, chat::render};
use crate::{
    accounts,
    auth::CurrentUser,
    chat::{
        ThreadView,
        search::{self, Cursor, Hit, Query as SearchQuery},
        threads::{self, Filter},
    },
    error::{AppError, Result},
    web::{
        AppState,
        extract::{IsHtmx, Query},
        format,
    },
};

#[derive(Deserialize, Default)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    /// A thread id, or empty for all.
    #[serde(default)]
    thread: String,
    /// An author's username, or empty for anyone.
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`, or empty.
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
    cursor: Option<String>,
}

/// One result as the page shows it.
pub struct ResultItem {
    hit: Hit,
    thread_name: String,
    snippet_html: String,
    when: super::stamp::Stamp,
}

#[derive(Template)]
#[template(path = "partials/search_results.html")]
pub struct ResultsPartial {
    /// Why there are no results to show (no query yet, or a problem with it).
    notice: Option<String>,
    results: Vec<ResultItem>,
    /// The query string of the next page, if there is one.
    next_page: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/search.html")]
pub struct SearchPage {
    ctx: PageCtx,
    form: SearchForm,
    threads: Vec<ThreadView>,
    /// The results partial, rendered (the same HTML htmx swaps in).
    results_html: String,
}

fn day(name: &str, raw: &str) -> Result<Option<OffsetDateTime>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Date::parse(raw, format_description!("[year]-[month]-[day]"))
        .map(|d| Some(d.midnight().assume_utc()))
        .map_err(|_| AppError::validation(format!("{name} must be a date (YYYY-MM-DD)")))
}

async fn query(state: &AppState, form: &SearchForm) -> Result<SearchQuery> {
    let author = match form.from.trim().trim_start_matches('@') {
        "" => None,
        name => Some(
            accounts::find_by_username(&state.db, name)
                .await?
                .ok_or_else(|| AppError::validation(format!("no one is called @{name}")))?
                .id,
        ),
    };
    let thread = match form.thread.trim() {
        "" => None,
        id => Some(
            id.parse::<Uuid>()
                .map_err(|_| AppError::validation("pick a conversation from the list"))?,
        ),
    };
    Ok(SearchQuery {
        words: SearchQuery::words(&form.q)?,
        thread,
        author,
        after: day("after", &form.after)?,
        before: day("before", &form.before)?.map(|d| d + time::Duration::days(1)),
        cursor: form.cursor.as_deref().map(Cursor::parse).transpose()?,
    })
}

async fn results(
    state: &AppState,
    viewer: Uuid,
    form: &SearchForm,
    threads: &[ThreadView],
) -> Result<ResultsPartial> {
    if form.q.trim().is_empty() {
        return Ok(ResultsPartial {
            notice: Some("Type a word to search the conversations you are in.".into()),
            results: Vec::new(),
            next_page: None,
        });
    }
    let query = match query(state, form).await {
        Ok(query) => query,
        Err(AppError::Validation(problem)) => {
            return Ok(ResultsPartial {
                notice: Some(problem),
                results: Vec::new(),
                next_page: None,
            });
        }
        Err(err) => return Err(err),
    };
    let found = search::search(&state.db, viewer, &query).await?;
    let next_page = found.next_cursor.map(|cursor| {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        next.append_pair("q", &form.q)
            .append_pair("thread", &form.thread)
            .append_pair("from", &form.from)
            .append_pair("after", &form.after)
            .append_pair("before", &form.before)
            .append_pair("cursor", &cursor.to_string());
        next.finish()
    });
    let results: Vec<ResultItem> = found
        .hits
        .into_iter()
        .map(|hit| ResultItem {
            thread_name: threads
                .iter()
                .find(|t| t.id == hit.thread_id)
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            snippet_html: format::snippet_html(&hit.snippet),
            when: super::stamp::Stamp::new(hit.created_at),
            hit,
        })
        .collect();
    Ok(ResultsPartial {
        notice: results.is_empty().then(|| "Nothing found.".into()),
        results,
        next_page,
    })
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    ctx: PageCtx,
    IsHtmx(htmx): IsHtmx,
    Query(form): Query<SearchForm>,
) -> Result<Response> {
    let threads = threads::list(&state.db, user.id(), Filter::Active).await?;
    let results = results(&state, user.id(), &form, &threads).await?;
    if htmx {
        return render(&results);
    }
    Ok(SearchPage {
        ctx,
        form,
        threads,
        results_html: results.render()?,
    }
    .into_response())
}
