//! An incremental HTTP/1.1 response body decoder: chunked transfer encoding (payload
//! slices are handed on in place, never copied) or a body that runs until the connection
//! closes. Input may be split anywhere, even inside a chunk-size line.

use anyhow::{Result, bail};

/// How the body of an SSE response is framed.
#[derive(Debug)]
pub enum Body {
    Chunked(Chunked),
    UntilClose,
}

impl Body {
    /// Feeds `input`; `out` gets each payload slice. Returns `true` once the body ended.
    pub fn decode(
        &mut self,
        input: &[u8],
        out: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<bool> {
        match self {
            Body::Chunked(c) => c.decode(input, out),
            Body::UntilClose => out(input).map(|()| false),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size (`ext` once a `;` extension started).
    Size {
        value: u64,
        digits: u8,
        ext: bool,
    },
    Data(u64),
    DataCr,
    DataLf,
    Done,
}

/// The chunked-encoding state machine.
#[derive(Debug)]
pub struct Chunked {
    state: State,
}

impl Default for Chunked {
    fn default() -> Self {
        Self {
            state: State::Size {
                value: 0,
                digits: 0,
                ext: false,
            },
        }
    }
}

impl Chunked {
    fn decode(
        &mut self,
        mut input: &[u8],
        out: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<bool> {
        while !input.is_empty() {
            match &mut self.state {
                State::Data(remaining) => {
                    let take = input
                        .len()
                        .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                    *remaining -= take as u64;
                    let done = *remaining == 0;
                    out(&input[..take])?;
                    input = &input[take..];
                    if done {
                        self.state = State::DataCr;
                    }
                    continue;
                }
                State::Done => return Ok(true),
                _ => {}
            }
            let b = input[0];
            input = &input[1..];
            self.state = match (self.state, b) {
                (
                    State::Size {
                        value,
                        digits,
                        ext: false,
                    },
                    b,
                ) if b.is_ascii_hexdigit() => {
                    if digits >= 15 {
                        bail!("chunk size too large");
                    }
                    let d = (b as char).to_digit(16).unwrap_or(0);
                    State::Size {
                        value: value * 16 + u64::from(d),
                        digits: digits + 1,
                        ext: false,
                    }
                }
                (State::Size { value, digits, .. }, b';') => State::Size {
                    value,
                    digits,
                    ext: true,
                },
                (s @ State::Size { ext: true, .. }, b) if b != b'\n' => s,
                (s @ State::Size { .. }, b'\r' | b' ' | b'\t') => s,
                (State::Size { digits: 0, .. }, b'\n') => bail!("empty chunk size line"),
                (State::Size { value: 0, .. }, b'\n') => State::Done,
                (State::Size { value, .. }, b'\n') => State::Data(value),
                (State::DataCr, b'\r') => State::DataLf,
                (State::DataCr | State::DataLf, b'\n') => State::Size {
                    value: 0,
                    digits: 0,
                    ext: false,
                },
                (state, b) => bail!("malformed chunked body (byte {b:#04x} in state {state:?})"),
            };
        }
        Ok(self.state == State::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(wire: &[u8], piece: usize) -> (Vec<u8>, bool) {
        let mut body = Body::Chunked(Chunked::default());
        let mut got = Vec::new();
        let mut ended = false;
        for part in wire.chunks(piece) {
            ended = body
                .decode(part, &mut |p| {
                    got.extend_from_slice(p);
                    Ok(())
                })
                .unwrap();
        }
        (got, ended)
    }

    #[test]
    fn decodes_split_anywhere() {
        let wire = b"5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
        for piece in 1..wire.len() {
            let (got, ended) = decode_in_pieces(wire, piece);
            assert_eq!(got, b"helloabcdefghijklmnopqrstuvwxyz", "piece {piece}");
            assert!(ended);
        }
    }

    #[test]
    fn an_open_stream_has_not_ended() {
        let (got, ended) = decode_in_pieces(b"3\r\nabc\r\n4\r\nde", 4);
        assert_eq!(got, b"abcde");
        assert!(!ended);
    }

    #[test]
    fn garbage_is_an_error() {
        let mut body = Body::Chunked(Chunked::default());
        assert!(body.decode(b"zz\r\n", &mut |_| Ok(())).is_err());
        let mut body = Body::Chunked(Chunked::default());
        assert!(body.decode(b"2\r\nabX", &mut |_| Ok(())).is_err());
    }
}
