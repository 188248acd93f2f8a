//! Message content and the run clock. Every message the load generator sends starts with
//! a marker, `LG|<seq>|<sent ns>|<from>|`, padded with letters to a fixed size, so a
//! receiver finds it with one substring search instead of parsing JSON. Nothing in it is
//! escaped by JSON, so the same bytes appear in bare-sse's `data:` and in Confab's Message.

use std::time::{Duration, Instant};

use memchr::memmem::Finder;

/// The bytes every marker starts with.
pub const PREFIX: &[u8] = b"LG|";

/// Sequence number of warm-up messages: they only tell that a stream is live.
pub const WARM_UP: u64 = 0;

/// Nanoseconds since the run began, on one monotonic clock shared by senders and receivers.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    base: Instant,
}

impl Clock {
    pub fn new() -> Self {
        Self {
            base: Instant::now(),
        }
    }

    pub fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    pub fn at(&self, ns: u64) -> Instant {
        self.base + Duration::from_nanos(ns)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// What a marker says: which message, when it was sent, and by which sender (a user index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    pub seq: u64,
    pub sent_ns: u64,
    pub from: u32,
}

/// The message text for `marker`, padded with letters to `size` bytes (never shorter than
/// the marker itself).
pub fn content(marker: Marker, size: usize) -> String {
    let mut text = format!("LG|{}|{}|{}|", marker.seq, marker.sent_ns, marker.from);
    let pad = size.saturating_sub(text.len());
    text.extend((0..pad).map(|i| (b'a' + (i % 26) as u8) as char));
    text
}

/// Finds the first well-formed marker in `data`.
pub fn find(finder: &Finder<'_>, data: &[u8]) -> Option<Marker> {
    // bare-sse's data is the content itself: the marker is usually right at the start.
    let start = if data.starts_with(PREFIX) {
        0
    } else {
        finder.find(data)?
    } + PREFIX.len();
    let mut rest = &data[start..];
    let seq = number(&mut rest)?;
    let sent_ns = number(&mut rest)?;
    let from = u32::try_from(number(&mut rest)?).ok()?;
    Some(Marker { seq, sent_ns, from })
}

/// Reads decimal digits up to a `|`, and steps past it.
fn number(rest: &mut &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for (i, &b) in rest.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            }
            b'|' if i > 0 => {
                *rest = &rest[i + 1..];
                return Some(value);
            }
            _ => return None,
        }
    }
    None
}

/// A finder for [`PREFIX`], built once per parser.
pub fn finder() -> Finder<'static> {
    Finder::new(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_round_trips_and_has_the_requested_size() {
        let m = Marker {
            seq: 42,
            sent_ns: 123_456_789,
            from: 7,
        };
        let text = content(m, 100);
        assert_eq!(text.len(), 100);
        assert!(text.bytes().all(|b| b.is_ascii_graphic()));
        let json = format!("{{\"content\":\"{text}\",\"id\":1}}");
        assert_eq!(find(&finder(), json.as_bytes()), Some(m));
    }

    #[test]
    fn short_sizes_keep_the_whole_marker() {
        let m = Marker {
            seq: 1,
            sent_ns: 2,
            from: 3,
        };
        assert_eq!(content(m, 0), "LG|1|2|3|");
    }

    #[test]
    fn malformed_markers_are_ignored() {
        let f = finder();
        for bad in [
            &b"LG|"[..],
            b"LG||1|2|",
            b"LG|1|2|",
            b"LG|1|x|2|",
            b"LG|99999999999999999999999|1|1|",
            b"LG|1|2|99999999999|",
        ] {
            assert_eq!(find(&f, bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
