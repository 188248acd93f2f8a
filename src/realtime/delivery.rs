//! What travels from the tailer to a stream: one [`Delivery`] per event, its SSE frame
//! encoded once and shared by every recipient (`Arc`), plus what a stream needs to know
//! about it without parsing the payload again.
//!
//! A delivery that differs per recipient only in its last fields (a member's own summary
//! of a thread) shares the start of its frame with the others ([`Delivery::opening`],
//! [`Delivery::continued`]): a big group's update is not the same kilobytes copied once
//! per member.

use std::sync::{Arc, LazyLock};

use bytes::{BufMut, Bytes, BytesMut};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::eventlog::{Kind, Position};

/// A new message's place, for delivery receipts.
#[derive(Clone, Copy, Debug)]
pub struct MessageMeta {
    pub seq: i64,
    pub author: Uuid,
}

#[derive(Debug)]
pub struct Delivery {
    /// `None` for ephemeral events (typing, presence) and the heartbeat: they carry no id.
    pub position: Option<Position>,
    pub kind: Kind,
    pub thread_id: Option<Uuid>,
    /// The user the event is about, who does not need it (the typist, the receipt's
    /// owner); `None` when everyone gets it.
    pub subject: Option<Uuid>,
    pub message: Option<MessageMeta>,
    /// When the change was written, for the send-to-deliver latency.
    pub written_at: Option<OffsetDateTime>,
    /// The whole SSE frame of the JSON stream, or its start when `rest` is not empty.
    pub frame: Bytes,
    /// The end of a frame whose start is shared with other recipients; usually empty.
    pub rest: Bytes,
    /// The payload's JSON text (a slice of `frame`); empty when the frame is in two parts.
    pub data: Bytes,
}

/// What a stream writes for one event: one piece, or a shared start and its own end.
pub struct Frame {
    pub start: Bytes,
    pub rest: Bytes,
}

impl IntoIterator for Frame {
    type Item = Bytes;
    type IntoIter = std::iter::Chain<std::iter::Once<Bytes>, std::option::IntoIter<Bytes>>;

    fn into_iter(self) -> Self::IntoIter {
        std::iter::once(self.start).chain((!self.rest.is_empty()).then_some(self.rest))
    }
}

impl From<Bytes> for Frame {
    fn from(start: Bytes) -> Self {
        Self {
            start,
            rest: Bytes::new(),
        }
    }
}

pub type Item = Arc<Delivery>;

/// The heartbeat comment, shared by every stream.
pub static HEARTBEAT: LazyLock<Item> = LazyLock::new(|| {
    Arc::new(Delivery {
        position: None,
        kind: Kind::Heartbeat,
        thread_id: None,
        subject: None,
        message: None,
        written_at: None,
        frame: Bytes::from_static(b":\n\n"),
        rest: Bytes::new(),
        data: Bytes::new(),
    })
});

impl Delivery {
    /// Builds a delivery whose frame is `id:` (when positioned), `event:` and `data:`.
    /// `json` must be one line (serde_json's compact output always is).
    pub fn new(
        position: Option<Position>,
        kind: Kind,
        thread_id: Option<Uuid>,
        json: &str,
    ) -> Self {
        let mut frame = BytesMut::with_capacity(json.len() + 64);
        if let Some(p) = position {
            frame.put_slice(b"id: ");
            frame.put_slice(p.to_string().as_bytes());
            frame.put_u8(b'\n');
        }
        put_event(&mut frame, kind);
        let start = frame.len();
        put_one_line(&mut frame, json);
        let end = frame.len();
        frame.put_slice(b"\n\n");
        let frame = frame.freeze();
        Self {
            position,
            kind,
            thread_id,
            subject: None,
            message: None,
            written_at: None,
            data: frame.slice(start..end),
            frame,
            rest: Bytes::new(),
        }
    }

    /// The start of frames of `kind` (without an `id:`) whose JSON starts with
    /// `json_start`, to share between the deliveries [`Self::continued`] builds from it.
    pub fn opening(kind: Kind, json_start: &str) -> Bytes {
        let mut start = BytesMut::with_capacity(json_start.len() + 32);
        put_event(&mut start, kind);
        put_one_line(&mut start, json_start);
        start.freeze()
    }

    /// A delivery whose frame is `opening` (shared, from [`Self::opening`] with the same
    /// `kind`) followed by the end of its JSON, `json_end`.
    pub fn continued(opening: &Bytes, kind: Kind, thread_id: Option<Uuid>, json_end: &str) -> Self {
        let mut rest = BytesMut::with_capacity(json_end.len() + 2);
        put_one_line(&mut rest, json_end);
        rest.put_slice(b"\n\n");
        Self {
            position: None,
            kind,
            thread_id,
            subject: None,
            message: None,
            written_at: None,
            frame: opening.clone(),
            rest: rest.freeze(),
            data: Bytes::new(),
        }
    }

    /// The frame as the JSON stream writes it.
    pub fn wire(&self) -> Frame {
        Frame {
            start: self.frame.clone(),
            rest: self.rest.clone(),
        }
    }

    pub fn about(mut self, subject: Uuid) -> Self {
        self.subject = Some(subject);
        self
    }

    pub fn written(mut self, at: OffsetDateTime) -> Self {
        self.written_at = Some(at);
        self
    }

    pub fn shared(self) -> Item {
        Arc::new(self)
    }
}

/// A frame's `event:` field and the start of its `data:` field.
fn put_event(frame: &mut BytesMut, kind: Kind) {
    frame.put_slice(b"event: ");
    frame.put_slice(kind.as_str().as_bytes());
    frame.put_slice(b"\ndata: ");
}

/// `json` as part of one `data:` line: never let a stray newline split the frame.
fn put_one_line(frame: &mut BytesMut, json: &str) {
    for chunk in json.split(['\n', '\r']) {
        frame.put_slice(chunk.as_bytes());
    }
}

/// The first bytes of every stream: how soon to reconnect, and a comment so proxies and
/// clients see the stream is open.
pub const HELLO: &[u8] = b"retry: 1000\n: connected\n\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_id_event_and_one_data_line() {
        let d = Delivery::new(
            Some(Position { xid: 7, id: 3 }),
            Kind::MessageCreated,
            None,
            "{\"a\":\"x\"}",
        );
        assert_eq!(
            &d.frame[..],
            b"id: 7-3\nevent: message.created\ndata: {\"a\":\"x\"}\n\n"
        );
        assert_eq!(&d.data[..], b"{\"a\":\"x\"}");
        let ephemeral = Delivery::new(None, Kind::Typing, None, "{}\r\n{}");
        assert_eq!(&ephemeral.frame[..], b"event: typing\ndata: {}{}\n\n");
    }

    #[test]
    fn a_continued_frame_is_the_shared_opening_and_its_own_end() {
        let opening = Delivery::opening(Kind::ThreadUpdated, "{\"a\":\n1");
        let d = Delivery::continued(&opening, Kind::ThreadUpdated, None, ",\"b\":2}");
        let whole = Delivery::new(None, Kind::ThreadUpdated, None, "{\"a\":1,\"b\":2}");
        assert_eq!([&d.frame[..], &d.rest[..]].concat(), &whole.frame[..]);
        // The opening's bytes are shared, not copied.
        assert_eq!(d.frame.as_ptr(), opening.as_ptr());
    }
}
