//! The SSE line and event parser, trimmed to what the load generator needs: whether the
//! event has the wanted name, the first marker in its `data:` lines, the `id:` to resume from, comments
//! (heartbeats) and `retry:`. Lines may be split across reads; only a split line is copied,
//! into a buffer that is reused, so steady-state parsing allocates nothing.

use anyhow::{Result, bail};
use memchr::memmem::Finder;

use crate::marker::{self, Marker};

/// Longest line accepted before the stream is considered broken.
const MAX_LINE: usize = 1 << 20;

/// What a parsed stream reports.
pub trait Sink {
    /// A comment line (`:` ...): a heartbeat.
    fn comment(&mut self);
    /// A `retry:` line.
    fn retry(&mut self);
    /// A dispatched event: whether its name is the one the parser was built for, and the
    /// first marker found in its data.
    fn event(&mut self, wanted: bool, marker: Option<Marker>);
}

pub struct Parser {
    finder: Finder<'static>,
    /// The event name that counts (`message` when an event has no `event:` line).
    want: &'static [u8],
    partial: Vec<u8>,
    wanted: bool,
    has_data: bool,
    marker: Option<Marker>,
    has_id: bool,
    pending_id: Vec<u8>,
    last_id: Vec<u8>,
}

impl Parser {
    pub fn new(want: &'static [u8]) -> Self {
        Self {
            finder: marker::finder(),
            want,
            partial: Vec::with_capacity(256),
            wanted: want == b"message",
            has_data: false,
            marker: None,
            has_id: false,
            pending_id: Vec::with_capacity(64),
            last_id: Vec::with_capacity(64),
        }
    }

    /// The id of the last dispatched event, to resume from (empty if none).
    pub fn last_id(&self) -> &[u8] {
        &self.last_id
    }

    /// Forgets a half-read event, for a new connection (the last id is kept).
    pub fn reset_connection(&mut self) {
        self.partial.clear();
        self.end_event();
        self.has_id = false;
    }

    pub fn feed(&mut self, mut data: &[u8], sink: &mut impl Sink) -> Result<()> {
        while let Some(end) = memchr::memchr(b'\n', data) {
            if self.partial.is_empty() {
                self.line(&data[..end], sink);
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&data[..end]);
                self.line(&line, sink);
                line.clear();
                self.partial = line;
            }
            data = &data[end + 1..];
        }
        if !data.is_empty() {
            if self.partial.len() + data.len() > MAX_LINE {
                bail!("an SSE line longer than {MAX_LINE} bytes");
            }
            self.partial.extend_from_slice(data);
        }
        Ok(())
    }

    fn line(&mut self, line: &[u8], sink: &mut impl Sink) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // The usual fields are matched by prefix; anything else takes the general path.
        let (field, value): (&[u8], &[u8]) = match line.first() {
            None => return self.dispatch(sink),
            Some(b':') => return sink.comment(),
            Some(b'd') if line.starts_with(b"data:") => (b"data", &line[5..]),
            Some(b'i') if line.starts_with(b"id:") => (b"id", &line[3..]),
            Some(b'e') if line.starts_with(b"event:") => (b"event", &line[6..]),
            _ => match memchr::memchr(b':', line) {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => (line, &b""[..]),
            },
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        match field {
            b"data" => {
                self.has_data = true;
                if self.marker.is_none() {
                    self.marker = marker::find(&self.finder, value);
                }
            }
            b"event" => self.wanted = value == self.want,
            b"id" if !value.contains(&0) => {
                self.pending_id.clear();
                self.pending_id.extend_from_slice(value);
                self.has_id = true;
            }
            b"retry" => sink.retry(),
            _ => {}
        }
    }

    fn dispatch(&mut self, sink: &mut impl Sink) {
        if self.has_id {
            std::mem::swap(&mut self.last_id, &mut self.pending_id);
            self.has_id = false;
        }
        if self.has_data {
            sink.event(self.wanted, self.marker);
        }
        self.end_event();
    }

    fn end_event(&mut self) {
        self.has_data = false;
        self.marker = None;
        self.wanted = self.want == b"message";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Seen {
        comments: usize,
        retries: usize,
        events: Vec<(bool, Option<u64>)>,
    }

    impl Sink for Seen {
        fn comment(&mut self) {
            self.comments += 1;
        }
        fn retry(&mut self) {
            self.retries += 1;
        }
        fn event(&mut self, wanted: bool, marker: Option<Marker>) {
            self.events.push((wanted, marker.map(|m| m.seq)));
        }
    }

    const WIRE: &[u8] = b"retry: 1000\n: hello\n\n\
        id: 7\nevent: message\ndata: LG|3|100|0|abc\n\n\
        : ping\r\n\
        id: p-9\r\nevent: message.created\r\ndata: {\"content\":\"LG|4|200|1|xyz\"}\r\n\r\n\
        event: presence\ndata: {\"status\":\"ONLINE\"}\n\n\
        data: no name\n\n";

    #[test]
    fn parses_events_split_anywhere() {
        for piece in 1..WIRE.len() {
            let mut parser = Parser::new(b"message.created");
            let mut seen = Seen::default();
            for part in WIRE.chunks(piece) {
                parser.feed(part, &mut seen).unwrap();
            }
            assert_eq!(seen.comments, 2, "piece {piece}");
            assert_eq!(seen.retries, 1);
            let expected = [
                (false, Some(3)),
                (true, Some(4)),
                (false, None),
                (false, None),
            ];
            assert_eq!(seen.events, expected);
            assert_eq!(parser.last_id(), b"p-9");
        }
    }

    #[test]
    fn a_reconnect_drops_the_half_read_event_but_keeps_the_last_id() {
        let mut parser = Parser::new(b"message");
        let mut seen = Seen::default();
        parser
            .feed(b"id: 5\ndata: LG|1|1|0|\n\nid: 6\ndata: LG|2|", &mut seen)
            .unwrap();
        parser.reset_connection();
        parser.feed(b"\n\n", &mut seen).unwrap();
        assert_eq!(seen.events, [(true, Some(1))]);
        assert_eq!(parser.last_id(), b"5");
    }
}
