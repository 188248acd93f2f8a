//! Full-text search over the messages a user may see now: the threads they are a current
//! member of (checked in the query itself), never deleted messages, edited ones by their
//! current text. Words match in any language (the `simple` dictionary, no stemming), and
//! each word also matches as a prefix, so what is typed so far already finds ("deplo"
//! finds "deployment"). Results are ranked, newest first among equals, and paged with a
//! keyset cursor, so pages never repeat or skip a hit.

use sea_orm::{ConnectionTrait, FromQueryResult};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    accounts::{self, UserView},
    db::stmt,
    error::{AppError, Result},
};

/// Hits per page.
pub const PAGE: i64 = 20;
/// Words one query may hold.
const MAX_WORDS: usize = 8;
/// Marks the start and end of a highlighted word in `ts_headline`'s output; control
/// characters never occur in stored message text shown as a snippet.
const START: char = '\u{1}';
const STOP: char = '\u{2}';

/// What to look for: the words (each also a prefix), and optional filters.
#[derive(Debug, Default)]
pub struct Query {
    pub words: Vec<String>,
    pub thread: Option<Uuid>,
    pub author: Option<Uuid>,
    pub after: Option<OffsetDateTime>,
    pub before: Option<OffsetDateTime>,
    pub cursor: Option<Cursor>,
}

impl Query {
    /// The words of `text`: letters and digits of any script, lowercased.
    pub fn words(text: &str) -> Result<Vec<String>> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            return Err(AppError::validation("q needs at least one word"));
        }
        if words.len() > MAX_WORDS || text.chars().count() > 200 {
            return Err(AppError::validation(format!(
                "q is at most {MAX_WORDS} words and 200 characters"
            )));
        }
        Ok(words)
    }

    fn tsquery(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("'{}':*", w.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// Where a page of hits ends: the last hit's rank and id.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cursor {
    pub rank: f32,
    pub id: Uuid,
}

impl Cursor {
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = || AppError::validation("cursor is not one this server gave out");
        let (rank, id) = raw.split_once('_').ok_or_else(bad)?;
        Ok(Self {
            rank: rank.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.rank, self.id)
    }
}

/// A piece of a snippet: plain text, or a word that matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    pub matched: bool,
}

/// One message found.
#[derive(Clone, Debug)]
pub struct Hit {
    pub message_id: Uuid,
    pub thread_id: Uuid,
    pub user: UserView,
    pub created_at: OffsetDateTime,
    pub snippet: Vec<Fragment>,
    pub rank: f32,
}

pub struct Hits {
    pub hits: Vec<Hit>,
    pub next_cursor: Option<Cursor>,
}

#[derive(FromQueryResult)]
struct Row {
    id: Uuid,
    thread_id: Uuid,
    author_id: Uuid,
    created_at: OffsetDateTime,
    rank: f32,
    headline: String,
}

/// The messages `viewer` may see that match `query`, best first.
pub async fn search(conn: &impl ConnectionTrait, viewer: Uuid, query: &Query) -> Result<Hits> {
    let (cursor_rank, cursor_id) = match query.cursor {
        Some(c) => (Some(c.rank), Some(c.id)),
        None => (None, None),
    };
    let rows = Row::find_by_statement(stmt(
        &format!(
            "WITH q AS (SELECT to_tsquery('simple', $2) AS q),
             hits AS (
               SELECT m.id, m.thread_id, m.author_id, m.created_at, m.content,
                      ts_rank(m.search, q.q)::real AS rank
               FROM messages m CROSS JOIN q
               -- The viewer's threads as an array, not a join: the thread index and the
               -- text index then meet in one bitmap (BitmapAnd), so a common word costs
               -- its hits in these threads, not its hits everywhere.
               WHERE m.thread_id = ANY(ARRAY(
                   SELECT p.thread_id FROM thread_participants p
                   WHERE p.user_id = $1 AND p.left_at IS NULL))
                 AND m.search @@ q.q AND m.deleted_at IS NULL
                 AND ($3::uuid IS NULL OR m.thread_id = $3)
                 AND ($4::uuid IS NULL OR m.author_id = $4)
                 AND ($5::timestamptz IS NULL OR m.created_at >= $5)
                 AND ($6::timestamptz IS NULL OR m.created_at < $6))
             SELECT h.id, h.thread_id, h.author_id, h.created_at, h.rank,
                    ts_headline('simple', h.content, q.q,
                      'StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15')
                      AS headline
             FROM hits h CROSS JOIN q
             WHERE $7::real IS NULL OR (h.rank, h.id) < ($7, $8)
             ORDER BY h.rank DESC, h.id DESC
             LIMIT $9"
        ),
        [
            viewer.into(),
            query.tsquery().into(),
            query.thread.into(),
            query.author.into(),
            query.after.into(),
            query.before.into(),
            cursor_rank.into(),
            cursor_id.into(),
            (PAGE + 1).into(),
        ],
    ))
    .all(conn)
    .await?;
    let more = rows.len() as i64 > PAGE;
    let rows = &rows[..rows.len().min(PAGE as usize)];
    let authors = accounts::find_many(conn, rows.iter().map(|r| r.author_id)).await?;
    let hits: Vec<Hit> = rows
        .iter()
        .filter_map(|r| {
            Some(Hit {
                message_id: r.id,
                thread_id: r.thread_id,
                user: UserView::new(authors.get(&r.author_id)?),
                created_at: r.created_at,
                snippet: fragments(&r.headline),
                rank: r.rank,
            })
        })
        .collect();
    let next_cursor = more
        .then(|| {
            hits.last().map(|h| Cursor {
                rank: h.rank,
                id: h.message_id,
            })
        })
        .flatten();
    Ok(Hits { hits, next_cursor })
}

/// Splits `ts_headline`'s output at its markers.
fn fragments(headline: &str) -> Vec<Fragment> {
    let mut out = Vec::new();
    let mut rest = headline;
    while let Some(start) = rest.find(START) {
        if start > 0 {
            out.push(Fragment {
                text: rest[..start].to_owned(),
                matched: false,
            });
        }
        let after = &rest[start + START.len_utf8()..];
        let stop = after.find(STOP).unwrap_or(after.len());
        out.push(Fragment {
            text: after[..stop].to_owned(),
            matched: true,
        });
        rest = after.get(stop + STOP.len_utf8()..).unwrap_or("");
    }
    if !rest.is_empty() {
        out.push(Fragment {
            text: rest.to_owned(),
            matched: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letters_and_digits_of_any_script_lowercased() {
        assert_eq!(
            Query::words("Deplo, ünïcode 42!").unwrap(),
            ["deplo", "ünïcode", "42"]
        );
        assert_eq!(Query::words("日本語 テスト").unwrap(), ["日本語", "テスト"]);
        assert!(Query::words("  !!! ").is_err());
        assert!(Query::words("a b c d e f g h i").is_err());
    }

    #[test]
    fn highlights_split_at_their_markers() {
        let parts = fragments("say \u{1}hello\u{2} <b> \u{1}x\u{2}");
        let marked: Vec<(&str, bool)> =
            parts.iter().map(|f| (f.text.as_str(), f.matched)).collect();
        assert_eq!(
            marked,
            [
                ("say ", false),
                ("hello", true),
                (" <b> ", false),
                ("x", true)
            ]
        );
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor {
            rank: 0.0607927,
            id: Uuid::nil(),
        };
        assert_eq!(Cursor::parse(&c.to_string()).unwrap(), c);
        assert!(Cursor::parse("nope").is_err());
    }
}
