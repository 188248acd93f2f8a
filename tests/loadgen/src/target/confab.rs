//! Setting Confab up through its JSON API: registering users (bounded concurrency: each is
//! an argon2 hash), API tokens, a big group, direct conversations; and sending a message.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use anyhow::{Context, Result, bail};
use hyper::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::http::{Answer, Conn, Server};
use crate::progress::Progress;

const PASSWORD: &str = "loadgen-password-1";
/// Most ids one `create` or `add` call takes.
const BATCH: usize = 1000;

/// A registered user and the `Authorization` header value of its API token.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub auth: String,
}

/// The answer when it has status `want`; an error naming `what` otherwise.
fn expect(answer: Answer, want: &[StatusCode], what: &str) -> Result<Value> {
    if !want.contains(&answer.status) {
        bail!("{what}: HTTP {} {}", answer.status, answer.snippet());
    }
    answer.json().with_context(|| what.to_owned())
}

fn string_field(v: &Value, field: &str, what: &str) -> Result<String> {
    v[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{what}: the answer has no string {field:?}: {v}"))
}

/// Registers `count` users named `lg<tag>_<i>`, each with an API token.
pub async fn register(
    server: &Arc<Server>,
    count: usize,
    tag: &str,
    concurrency: usize,
    progress: bool,
) -> Result<Vec<Account>> {
    let bar = Progress::start("registering users", count, progress);
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.clamp(1, count.max(1)) {
        let (server, next, done, tag) =
            (server.clone(), next.clone(), bar.counter(), tag.to_owned());
        workers.spawn(async move {
            let mut conn = Conn::new(server);
            let mut made = Vec::new();
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= count {
                    return anyhow::Ok(made);
                }
                made.push((i, register_one(&mut conn, &format!("lg{tag}_{i}")).await?));
                done.fetch_add(1, Relaxed);
            }
        });
    }
    let mut accounts: Vec<Option<Account>> = vec![None; count];
    while let Some(joined) = workers.join_next().await {
        for (i, account) in joined.context("a registration worker panicked")?? {
            accounts[i] = Some(account);
        }
    }
    bar.finish();
    accounts
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .context("some users were not registered")
}

async fn register_one(conn: &mut Conn, username: &str) -> Result<Account> {
    let what = format!("registering {username}");
    let answer = conn
        .post_json(
            "/api/auth/register",
            None,
            &json!({"username": username, "password": PASSWORD}),
        )
        .await?;
    let cookie = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("confab_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let user = expect(answer, &[StatusCode::CREATED], &what)?;
    let id = string_field(&user, "id", &what)?;
    let cookie = cookie.with_context(|| format!("{what}: no confab_session cookie"))?;
    let what = format!("creating a token for {username}");
    let answer = conn
        .post_json(
            "/api/tokens",
            Some(("cookie", &cookie)),
            &json!({"name": "loadgen"}),
        )
        .await?;
    let token = string_field(
        &expect(answer, &[StatusCode::CREATED], &what)?,
        "token",
        &what,
    )?;
    Ok(Account {
        id,
        auth: format!("Bearer {token}"),
    })
}

/// Creates a group of `owner` and `members` (in batches of at most 1000 ids); its id.
pub async fn group(server: &Arc<Server>, owner: &Account, members: &[Account]) -> Result<String> {
    let mut conn = Conn::new(server.clone());
    let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    let mut batches = ids.chunks(BATCH);
    let first = batches.next().unwrap_or_default();
    let answer = conn
        .post_json(
            "/api/threads",
            Some(("authorization", &owner.auth)),
            &json!({"action": "create", "name": "bench", "participantIds": first}),
        )
        .await?;
    let thread = expect(answer, &[StatusCode::CREATED], "creating the group")?;
    let thread_id = string_field(&thread, "id", "creating the group")?;
    for batch in batches {
        let answer = conn
            .post_json(
                "/api/threads",
                Some(("authorization", &owner.auth)),
                &json!({"action": "add", "threadId": thread_id, "userIds": batch}),
            )
            .await?;
        expect(answer, &[StatusCode::OK], "adding members to the group")?;
    }
    Ok(thread_id)
}

/// Starts the direct conversation of each pair (the first one asks); their thread ids.
pub async fn directs(
    server: &Arc<Server>,
    pairs: Vec<(Account, Account)>,
    concurrency: usize,
    progress: bool,
) -> Result<Vec<String>> {
    let bar = Progress::start("starting direct conversations", pairs.len(), progress);
    let pairs = Arc::new(pairs);
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (server, pairs, next, done) =
            (server.clone(), pairs.clone(), next.clone(), bar.counter());
        workers.spawn(async move {
            let mut conn = Conn::new(server);
            let mut made = Vec::new();
            while let Some((a, b)) = pairs.get(next.fetch_add(1, Relaxed)) {
                let answer = conn
                    .post_json(
                        "/api/threads",
                        Some(("authorization", &a.auth)),
                        &json!({"action": "create", "participantIds": [b.id]}),
                    )
                    .await?;
                let what = "starting a direct conversation";
                let thread = expect(answer, &[StatusCode::OK, StatusCode::CREATED], what)?;
                made.push((a.id.clone(), string_field(&thread, "id", what)?));
                done.fetch_add(1, Relaxed);
            }
            anyhow::Ok(made)
        });
    }
    let mut by_asker = std::collections::HashMap::new();
    while let Some(joined) = workers.join_next().await {
        by_asker.extend(joined.context("a set-up worker panicked")??);
    }
    bar.finish();
    pairs
        .iter()
        .map(|(a, _)| {
            by_asker
                .remove(&a.id)
                .context("a direct conversation is missing")
        })
        .collect()
}

/// Posts one message; `Ok` only for 201 Created.
pub async fn send(
    conn: &mut Conn,
    auth: &str,
    thread_id: &str,
    content: &str,
    client_id: &str,
) -> Result<()> {
    let answer = conn
        .post_json(
            "/api/messages",
            Some(("authorization", auth)),
            &json!({"threadId": thread_id, "content": content, "clientId": client_id}),
        )
        .await?;
    if answer.status != StatusCode::CREATED {
        bail!(
            "POST /api/messages: HTTP {} {}",
            answer.status,
            answer.snippet()
        );
    }
    Ok(())
}
