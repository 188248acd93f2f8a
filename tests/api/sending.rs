//! Sends written in batches (many concurrent sends share a transaction): each send still
//! gets its own answer, refused sends refuse only themselves, repeated clientIds return
//! the first message, and every thread's seq stays gapless.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_burst_of_concurrent_sends_gets_one_right_answer_each() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("MESSAGE_WRITERS", "1")]).await;
    let [ana, bob, eve, cid] = app.users(["ana", "bob", "eve", "cid"]).await;
    let direct = ana.dm(&bob).await;
    let team = ana.group("team", &[&bob]).await;
    // Cid blocks ana, so ana's direct messages to cid are refused.
    let blocked = cid.dm(&ana).await;
    let r = cid.block(&ana).await;
    assert!(r.status().is_success());
    let other = bob.send(&team, "in another thread").await;

    // (client, body, expected status)
    let mut plan: Vec<(TestUser, Value, u16)> = Vec::new();
    for i in 0..30 {
        let (who, thread) = if i % 2 == 0 {
            (&ana, &direct)
        } else {
            (&bob, &team)
        };
        plan.push((
            (*who).clone(),
            json!({"threadId": thread["id"], "content": format!("m{i}"), "clientId": format!("c{i}")}),
            201,
        ));
    }
    // The same clientId again, in the same burst: one 201, then 200 with the same message.
    for _ in 0..3 {
        plan.push((
            ana.clone(),
            json!({"threadId": direct["id"], "content": "once", "clientId": "twice"}),
            0,
        ));
    }
    plan.push((
        eve.clone(),
        json!({"threadId": team["id"], "content": "not a member"}),
        404,
    ));
    plan.push((
        ana.clone(),
        json!({"threadId": blocked["id"], "content": "blocked"}),
        403,
    ));
    plan.push((
        ana.clone(),
        json!({"threadId": direct["id"], "content": "bad reply", "replyToId": other["id"]}),
        422,
    ));
    let tasks: Vec<_> = plan
        .into_iter()
        .map(|(user, body, expected)| {
            tokio::spawn(async move {
                let r = user.send_with(body.clone()).await;
                let status = r.status().as_u16();
                let answer: Value = r.json().await.unwrap();
                (body, expected, status, answer)
            })
        })
        .collect();
    let mut twice = Vec::new();
    for t in tasks {
        let (body, expected, status, answer) = t.await.unwrap();
        if expected == 0 {
            twice.push((status, answer));
            continue;
        }
        assert_eq!(status, expected, "{body} → {answer}");
        if status == 201 {
            assert_eq!(answer["content"], body["content"]);
            assert_eq!(answer["clientId"], body["clientId"]);
        } else {
            assert!(answer["error"].is_string(), "{answer}");
        }
    }
    let created: Vec<_> = twice.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(
        created.len(),
        1,
        "one send of the repeated clientId stored it"
    );
    assert!(twice.iter().all(|(s, _)| *s == 200 || *s == 201));
    let ids: Vec<&Value> = twice.iter().map(|(_, m)| &m["id"]).collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "all got the same message"
    );

    // Seqs: gapless per thread, one per stored message.
    for (thread, expected) in [(&direct, 16), (&team, 16)] {
        let messages = ana.messages(thread).await["messages"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(
            messages.len(),
            expected,
            "stored messages in {}",
            thread["id"]
        );
        let seqs: Vec<i64> = messages
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect();
        let want: Vec<i64> = (1..=expected as i64).collect();
        assert_eq!(seqs, want, "gapless and in order");
    }
}

/// The batch path itself, called directly with one batch holding every kind of send.
#[tokio::test]
async fn one_batch_applies_every_rule_to_each_send_on_its_own() {
    use confab::{
        accounts,
        chat::{
            fields::MessageContent,
            sending::{NewMessage, Sent, send_many},
        },
        error::AppError,
    };
    use uuid::Uuid;

    let app = spawn_app().await;
    let [ana, bob, cid, eve] = app.users(["ana", "bob", "cid", "eve"]).await;
    let direct = ana.dm(&bob).await;
    let blocked = cid.dm(&ana).await;
    let r = cid.block(&ana).await;
    assert!(r.status().is_success());
    let earlier = ana.send_as(&direct, "earlier", "known").await;
    let elsewhere = cid.send(&cid.dm(&bob).await, "elsewhere").await;

    let db = sea_orm::Database::connect(format!(
        "postgres://postgres@127.0.0.1:5432/{}",
        app.db_name
    ))
    .await
    .unwrap();
    let user = |v: &Value| Uuid::parse_str(v["id"].as_str().unwrap()).unwrap();
    let ana_model = accounts::find(&db, user(&ana.json)).await.unwrap().unwrap();
    let eve_model = accounts::find(&db, user(&eve.json)).await.unwrap().unwrap();
    let msg =
        |thread: &Value, text: &str, client: Option<&str>, reply: Option<&Value>| NewMessage {
            thread: user(thread),
            content: MessageContent::parse(text).unwrap(),
            client_id: client.map(str::to_owned),
            reply_to: reply.map(user),
            attachments: Vec::new(),
        };
    let outcomes = send_many(
        &db,
        vec![
            (ana_model.clone(), msg(&direct, "first", Some("k1"), None)),
            (eve_model, msg(&direct, "outsider", None, None)),
            (ana_model.clone(), msg(&blocked, "blocked", None, None)),
            (
                ana_model.clone(),
                msg(&direct, "bad reply", None, Some(&elsewhere)),
            ),
            (
                ana_model.clone(),
                msg(&direct, "again", Some("known"), None),
            ),
            (
                ana_model.clone(),
                msg(&direct, "reply", None, Some(&earlier)),
            ),
            (ana_model.clone(), msg(&direct, "last", Some("k2"), None)),
        ],
    )
    .await;
    let mut outcomes = outcomes.into_iter();
    let mut next = || outcomes.next().expect("one outcome per send");
    let (first, sent) = next().unwrap();
    assert_eq!((first.content.as_str(), sent), ("first", Sent::Created));
    assert!(matches!(next(), Err(AppError::NotFound(_))));
    assert!(matches!(next(), Err(AppError::Forbidden(_))));
    assert!(matches!(next(), Err(AppError::Validation(_))));
    let (again, sent) = next().unwrap();
    assert_eq!(sent, Sent::Existing);
    assert_eq!(again.id.to_string(), earlier["id"].as_str().unwrap());
    let (reply, _) = next().unwrap();
    assert_eq!(
        reply.reply_to_id.map(|id| id.to_string()).as_deref(),
        earlier["id"].as_str()
    );
    let (last, _) = next().unwrap();
    // Seqs continue from the earlier message, in batch order, without gaps.
    assert_eq!(
        (first.seq, reply.seq, last.seq),
        (
            earlier["seq"].as_i64().unwrap() + 1,
            earlier["seq"].as_i64().unwrap() + 2,
            earlier["seq"].as_i64().unwrap() + 3
        )
    );
    assert_eq!(first.recipient_count, 1);
    let stored = ana.messages(&direct).await;
    assert_eq!(stored["messages"].as_array().unwrap().len(), 4);
    db.close().await.unwrap();
}
