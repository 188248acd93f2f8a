//! The search benchmark: `seed-search` fills a Confab database with many messages straight
//! through SQL (set-based `INSERT … SELECT` over `generate_series`, in chunks), and `search`
//! times `GET /api/search` for one user over HTTP.
//!
//! The seeded text draws words from a vocabulary with a skewed (Zipf-like) frequency, so
//! the index has a few very common words and a long tail, plus three planted words:
//! [`RARE`] in about one message in 10,000, [`COMMON`] in about one in ten, and the
//! `deploy…` family (`deploy`, `deployed`, `deployment`, `deploying`) for the prefix
//! [`PREFIX`]. One user (the searcher) is a member of `user_threads` of the threads and
//! gets an API token, printed for `search --token`.

use std::{sync::Arc, time::Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use hyper::Method;
use sqlx::{Connection, PgConnection, Row};

use crate::http::{Conn, Server};

/// A word in about one message in 10,000.
pub const RARE: &str = "quokka";
/// A word in about one message in ten.
pub const COMMON: &str = "release";
/// A prefix of the `deploy…` words.
pub const PREFIX: &str = "deplo";

/// What to seed.
#[derive(Clone, Debug)]
pub struct Seed {
    pub database_url: String,
    pub messages: u64,
    pub threads: u64,
    /// Threads the searcher is a member of.
    pub user_threads: u64,
    /// Other users, spread over the threads (10 per thread).
    pub users: u64,
}

/// What was seeded.
#[derive(Debug)]
pub struct Seeded {
    pub username: String,
    /// An API token of the searcher.
    pub token: String,
    pub seconds: f64,
}

const BASE_WORDS: &[&str] = &[
    "the",
    "a",
    "to",
    "and",
    "of",
    "in",
    "is",
    "it",
    "for",
    "on",
    "we",
    "that",
    "this",
    "you",
    "with",
    "be",
    "are",
    "have",
    "not",
    "can",
    "will",
    "at",
    "so",
    "just",
    "but",
    "if",
    "do",
    "from",
    "what",
    "should",
    "about",
    "team",
    "meeting",
    "today",
    "tomorrow",
    "build",
    "test",
    "tests",
    "server",
    "client",
    "database",
    "query",
    "index",
    "bug",
    "fix",
    "fixed",
    "review",
    "merge",
    "branch",
    "main",
    "issue",
    "ticket",
    "customer",
    "latency",
    "memory",
    "cpu",
    "disk",
    "network",
    "config",
    "logs",
    "error",
    "errors",
    "warning",
    "metrics",
    "dashboard",
    "alert",
    "oncall",
    "incident",
    "rollback",
    "staging",
    "production",
    "cluster",
    "node",
    "pod",
    "container",
    "image",
    "docker",
    "cache",
    "redis",
    "postgres",
    "backup",
    "restore",
    "migration",
    "schema",
    "api",
    "endpoint",
    "token",
    "session",
    "login",
    "password",
    "user",
    "users",
    "admin",
    "design",
    "doc",
    "docs",
    "plan",
    "sprint",
    "demo",
    "lunch",
    "coffee",
    "thanks",
    "sure",
    "yes",
    "no",
    "maybe",
    "later",
    "soon",
    "now",
    "please",
    "check",
    "looks",
    "good",
    "great",
    "weird",
    "slow",
    "fast",
    "broken",
    "works",
    "green",
    "red",
];

/// The vocabulary: common words first (they are drawn most), then made-up words for a long
/// tail (about 6,000 distinct words in all).
fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = BASE_WORDS.iter().map(|w| (*w).to_owned()).collect();
    let onsets = [
        "b", "k", "d", "m", "t", "v", "pr", "st", "gl", "z", "fl", "n",
    ];
    let vowels = ["a", "e", "i", "o", "u", "ai", "ou"];
    let codas = ["n", "r", "s", "x", "l", "th", "m", "nd"];
    for o1 in onsets {
        for v1 in vowels {
            for o2 in onsets {
                for c in codas {
                    words.push(format!(
                        "{o1}{v1}{o2}{}{c}",
                        vowels[(o2.len() + c.len()) % 7]
                    ));
                }
            }
        }
    }
    words
}

/// Seeds the database (its schema must exist: start Confab on it once, or `confab
/// migrate`).
pub async fn seed(plan: &Seed, progress: bool) -> Result<Seeded> {
    if plan.threads == 0 || plan.messages < plan.threads || plan.user_threads > plan.threads {
        bail!("need threads ≥ 1, messages ≥ threads, user-threads ≤ threads");
    }
    let started = Instant::now();
    let mut db = PgConnection::connect(&plan.database_url)
        .await
        .context("connecting to the database")?;
    let tag: String = sqlx::query_scalar("SELECT substr(md5(random()::text), 1, 6)")
        .fetch_one(&mut db)
        .await?;
    let username = format!("searcher_{tag}");
    let per_thread = plan.messages / plan.threads;
    let users = plan.users.max(10);
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO users (id, username, display_name, password_hash)
         SELECT gen_random_uuid(), 'seed_' || $1 || '_' || i, 'Seed ' || i, '!'
         FROM generate_series(1, $2::bigint) i",
    )
    .bind(&tag)
    .bind(users as i64)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO users (id, username, display_name, password_hash)
         VALUES (gen_random_uuid(), $1, 'Searcher', '!')",
    )
    .bind(&username)
    .execute(&mut *tx)
    .await?;
    let token: String = sqlx::query(
        "WITH t AS (SELECT 'cfb_' || md5(random()::text) || md5(clock_timestamp()::text) AS token)
         INSERT INTO api_tokens (id, user_id, name, token_hash)
         SELECT gen_random_uuid(), u.id, 'search benchmark', sha256(convert_to(t.token, 'UTF8'))
         FROM users u, t WHERE u.username = $1
         RETURNING (SELECT token FROM t)",
    )
    .bind(&username)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    // Threads are numbered 1..=threads in `name`; the searcher is in the first user_threads.
    sqlx::query(
        "INSERT INTO threads (id, kind, name, last_seq, member_count)
         SELECT gen_random_uuid(), 'group', 'seed ' || $1 || ' ' || i, $3, 0
         FROM generate_series(1, $2::bigint) i",
    )
    .bind(&tag)
    .bind(plan.threads as i64)
    .bind(per_thread as i64)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "WITH t AS (
           SELECT id, substring(name FROM '[0-9]+$')::bigint AS n FROM threads
           WHERE name LIKE 'seed ' || $1 || ' %'),
         u AS (
           SELECT id, substring(username FROM '[0-9]+$')::bigint AS n FROM users
           WHERE username LIKE 'seed\\_' || $1 || '\\_%')
         INSERT INTO thread_participants (thread_id, user_id, read_seq, delivered_seq)
         SELECT t.id, u.id, $3, $3 FROM t
         JOIN generate_series(0, 9) k ON true
         JOIN u ON u.n = 1 + (t.n * 7 + k * 13) % $2
         UNION ALL
         SELECT t.id, s.id, $3, $3 FROM t, users s
         WHERE s.username = $4 AND t.n <= $5
         ON CONFLICT DO NOTHING",
    )
    .bind(&tag)
    .bind(users as i64)
    .bind(per_thread as i64)
    .bind(&username)
    .bind(plan.user_threads as i64)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE threads t SET member_count = (
           SELECT count(*) FROM thread_participants p WHERE p.thread_id = t.id)
         WHERE name LIKE 'seed ' || $1 || ' %'",
    )
    .bind(&tag)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    let words = vocabulary();
    let chunk: u64 = 50_000;
    let mut done = 0u64;
    while done < plan.messages {
        let end = (done + chunk).min(plan.messages);
        // Message g goes to thread 1 + g % threads, as its (g / threads + 1)th message, by
        // one of that thread's members; 8–20 words each, drawn with power(random(), 3)
        // (skewed to the common words), plus the planted ones.
        sqlx::query(
            "WITH t AS (
               SELECT id, substring(name FROM '[0-9]+$')::bigint - 1 AS n FROM threads
               WHERE name LIKE 'seed ' || $1 || ' %'),
             members AS (
               SELECT p.thread_id, array_agg(p.user_id ORDER BY p.user_id) AS ids
               FROM thread_participants p JOIN t ON t.id = p.thread_id GROUP BY p.thread_id)
             INSERT INTO messages (id, thread_id, seq, author_id, content, created_at)
             SELECT gen_random_uuid(), t.id, g / $4 + 1,
               m.ids[1 + (g % array_length(m.ids, 1))::int],
               (SELECT string_agg(($5::text[])[1 + floor(power(random(), 3) * $6)::int], ' ')
                FROM generate_series(1, 8 + (g % 13))) ||
               CASE WHEN random() < 0.0001 THEN ' quokka' ELSE '' END ||
               CASE WHEN random() < 0.1 THEN ' release' ELSE '' END ||
               CASE WHEN random() < 0.02
                 THEN ' ' || (ARRAY['deploy', 'deployed', 'deployment', 'deploying'])[1 + (g % 4)]
                 ELSE '' END,
               now() - make_interval(secs => ($7 - g) * 2)
             FROM generate_series($2::bigint, $3::bigint - 1) g
             JOIN t ON t.n = g % $4
             JOIN members m ON m.thread_id = t.id",
        )
        .bind(&tag)
        .bind(done as i64)
        .bind(end as i64)
        .bind(plan.threads as i64)
        .bind(&words)
        .bind(words.len() as i64)
        .bind(plan.messages as f64)
        .execute(&mut db)
        .await
        .with_context(|| format!("inserting messages {done}..{end}"))?;
        done = end;
        if progress {
            eprintln!(
                "seed-search: {done}/{} messages ({:.0} s)",
                plan.messages,
                started.elapsed().as_secs_f64()
            );
        }
    }
    for analyze in [
        "ANALYZE messages",
        "ANALYZE thread_participants",
        "ANALYZE threads",
    ] {
        sqlx::query(analyze).execute(&mut db).await?;
    }
    Ok(Seeded {
        username,
        token,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One query's timings.
#[derive(Debug)]
pub struct Timing {
    pub label: &'static str,
    pub query: String,
    pub hits: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

/// Times `GET /api/search?q=…` for a rare word, a common word and a prefix, `runs` times
/// each (after two warm-up calls), one request at a time.
pub async fn bench(url: &str, token: &str, runs: usize) -> Result<Vec<Timing>> {
    let server = Arc::new(Server::resolve(url).await?);
    let mut conn = Conn::new(server);
    let auth = format!("Bearer {token}");
    let mut out = Vec::new();
    for (label, q) in [
        ("rare word", RARE),
        ("common word", COMMON),
        ("prefix", PREFIX),
    ] {
        let path = format!("/api/search?q={q}");
        let mut times = Vec::with_capacity(runs);
        let mut hits = 0;
        for i in 0..runs + 2 {
            let started = Instant::now();
            let answer = conn
                .call(
                    Method::GET,
                    &path,
                    &[("authorization", &auth)],
                    Bytes::new(),
                )
                .await?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            if !answer.status.is_success() {
                bail!("{path}: {} {}", answer.status, answer.snippet());
            }
            if i >= 2 {
                times.push(ms);
            }
            hits = answer.json()?["results"].as_array().map_or(0, Vec::len);
        }
        times.sort_by(f64::total_cmp);
        let at =
            |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
        out.push(Timing {
            label,
            query: q.to_owned(),
            hits,
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            max_ms: at(1.0),
        });
    }
    Ok(out)
}

/// The timings as a Markdown table.
pub fn table(timings: &[Timing]) -> String {
    let mut out = String::from(
        "| query | q | hits on page 1 | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|\n",
    );
    for t in timings {
        out.push_str(&format!(
            "| {} | `{}` | {} | {:.1} | {:.1} | {:.1} |\n",
            t.label, t.query, t.hits, t.p50_ms, t.p95_ms, t.max_ms
        ));
    }
    out
}
