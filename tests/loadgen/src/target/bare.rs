//! The bare-sse reference: every `GET /stream` gets every `POST /send` body, so all
//! streams share one audience and there is nothing to set up.

use anyhow::{Result, bail};
use bytes::Bytes;
use hyper::{Method, StatusCode};

use super::{NOBODY, Room, Setup};
use crate::http::Conn;
use crate::sse::StreamSpec;

/// `streams` streams and `senders` senders, all in one audience.
pub fn streams(streams: usize, senders: usize) -> Setup {
    let room = |author: usize| Room {
        thread: None,
        author: author as u32,
        audience: 0,
    };
    Setup {
        streams: (0..streams)
            .map(|_| StreamSpec {
                path: "/stream".into(),
                auth: None,
                user: NOBODY,
                audience: 0,
            })
            .collect(),
        rooms: (0..senders).map(room).collect(),
        warm_up: vec![room(0)],
    }
}

/// Posts one message; `Ok` only for 200.
pub async fn send(conn: &mut Conn, content: String) -> Result<()> {
    let answer = conn
        .call(
            Method::POST,
            "/send",
            &[("content-type", "text/plain")],
            Bytes::from(content),
        )
        .await?;
    if answer.status != StatusCode::OK {
        bail!("POST /send: HTTP {} {}", answer.status, answer.snippet());
    }
    Ok(())
}
