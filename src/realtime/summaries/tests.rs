//! The summaries' arithmetic and encoding, without a database.

use super::*;
use crate::eventlog::Position;

fn created(thread: Uuid, author: Uuid, seq: i64) -> LoggedEvent {
    LoggedEvent {
        position: Position::parse("1-1").expect("a position"),
        kind: Some(Kind::MessageCreated),
        thread_id: Some(thread),
        user_id: None,
        payload: serde_json::json!({
            "id": Uuid::now_v7(), "seq": seq, "userId": author, "content": "hi",
            "createdAt": "2026-12-04T10:00:00Z",
        })
        .to_string(),
        created_at: OffsetDateTime::now_utc(),
    }
}

#[test]
fn messages_count_for_everyone_but_their_author_and_only_once() {
    let summaries = Summaries::default();
    let (thread, ana, bob) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    summaries.note(&created(thread, ana, 1));
    {
        let mut threads = summaries.threads.lock().unwrap();
        let s = threads.get_mut(&thread).unwrap();
        for user in [ana, bob] {
            s.people.insert(
                user,
                Personal {
                    unread: if user == bob { 1 } else { 0 },
                    archived: true,
                    role: ThreadRole::Member,
                    name: String::new(),
                    peer_id: None,
                },
            );
        }
    }
    // Already counted when loaded at seq 1.
    summaries.note(&created(thread, ana, 1));
    summaries.note(&created(thread, ana, 2));
    summaries.note(&created(thread, ana, 3));
    assert_eq!(summaries.unread(thread, bob), Some(3));
    assert_eq!(summaries.unread(thread, ana), Some(0));
    summaries.note(&created(thread, bob, 4));
    assert_eq!(summaries.unread(thread, bob), Some(0));
    assert_eq!(summaries.unread(thread, ana), Some(1));
}

#[test]
fn a_members_json_is_their_whole_view() {
    let view = ThreadView {
        id: Uuid::now_v7(),
        kind: crate::entities::threads::ThreadKind::Direct,
        name: "Bob \"the\" builder".into(),
        participants: Vec::new(),
        member_count: 2,
        last_message: None,
        unread_count: 7,
        updated_at: OffsetDateTime::now_utc(),
        archived: true,
        role: ThreadRole::Admin,
        peer_id: Some(Uuid::now_v7()),
    };
    let json = common_json(&view).unwrap() + &personal_json(&Personal::of(&view)).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, serde_json::to_value(&view).unwrap());
}

#[test]
fn big_groups_are_updated_less_often() {
    assert_eq!(spacing(2), FLUSH_EVERY);
    assert_eq!(spacing(1_000), FLUSH_EVERY * 4);
    assert_eq!(spacing(100_000), FLUSH_MAX);
}
