//! The lean SSE client: one tokio task per stream over a raw `TcpStream`, reading into a
//! per-thread buffer, decoding the chunked body and parsing events in place, and recording
//! into the [`Hub`] the whole stream set shares. A stream that drops reconnects with `Last-Event-ID`; the orchestrator ends
//! streams by aborting their tasks (everything they learned is already in the hub).

pub mod chunked;
pub mod conn;
pub mod parser;
mod recorder;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::marker::Clock;
use crate::record::{Latencies, StreamRecord, lock};
use chunked::Body;
use parser::Parser;
use recorder::Recorder;

/// Each worker thread's read buffer.
const READ_BUF_BYTES: usize = 64 * 1024;
/// Buffer for a response head and the body bytes that come with it.
const HEAD_BUF: usize = 8 * 1024;
/// Reads one poll may do before letting other streams run.
const READS_PER_POLL: usize = 8;
const RECONNECT_DELAY: Duration = Duration::from_millis(250);
/// Longest wait for a connection and its response head.
const OPEN_TIMEOUT: Duration = Duration::from_secs(60);
const LATENCY_SHARDS: usize = 16;

thread_local! {
    static READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_BUF_BYTES].into_boxed_slice());
}

/// How to open one stream, and whose it is.
#[derive(Clone, Debug)]
pub struct StreamSpec {
    pub path: String,
    /// The `Authorization` header value, if any.
    pub auth: Option<String>,
    /// The user index (a marker's `from` equal to it is an echo of the user's own message).
    pub user: u32,
    /// Which messages this stream expects: those sent to the same audience.
    pub audience: u32,
}

/// What every stream of one set shares: the clock, the records, the latency shards.
pub struct Hub {
    pub clock: Clock,
    pub records: Vec<Mutex<StreamRecord>>,
    pub latencies: Latencies,
    pub opened: AtomicUsize,
    pub failed: AtomicUsize,
    pub warmed: AtomicUsize,
    window_start: AtomicU64,
    window_end: AtomicU64,
    gate: Semaphore,
}

impl Hub {
    pub fn new(clock: Clock, streams: usize, open_concurrency: usize) -> Self {
        Self {
            clock,
            records: (0..streams).map(|_| Mutex::default()).collect(),
            latencies: Latencies::new(LATENCY_SHARDS),
            opened: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            warmed: AtomicUsize::new(0),
            window_start: AtomicU64::new(u64::MAX),
            window_end: AtomicU64::new(u64::MAX),
            gate: Semaphore::new(open_concurrency.max(1)),
        }
    }

    /// Starts the measuring window (heartbeats and disconnects are counted inside it).
    pub fn open_window(&self) -> u64 {
        let now = self.clock.now_ns();
        self.window_end.store(u64::MAX, Relaxed);
        self.window_start.store(now, Relaxed);
        now
    }

    pub fn close_window(&self) -> u64 {
        let now = self.clock.now_ns();
        self.window_end.store(now, Relaxed);
        now
    }

    /// The window's start, if `now` is inside it.
    pub(crate) fn window_since(&self, now: u64) -> Option<u64> {
        let start = self.window_start.load(Relaxed);
        (now >= start && now < self.window_end.load(Relaxed)).then_some(start)
    }
}

/// Where the streams connect to, and what counts as a delivery there.
pub struct Endpoint {
    pub addr: SocketAddr,
    pub host: String,
    pub source_ips: u8,
    /// The event name carrying messages (`message` for bare-sse, `message.created` for Confab).
    pub event_name: &'static [u8],
}

/// Runs stream `idx` until aborted.
pub async fn run(hub: Arc<Hub>, ep: Arc<Endpoint>, idx: usize, spec: StreamSpec) {
    let mut parser = Parser::new(ep.event_name);
    let source = conn::source_ip(idx, ep.source_ips);
    let mut first = true;
    loop {
        let attempt = async {
            let mut stream = conn::connect(ep.addr, source).await?;
            let req = conn::request(&ep.host, &spec.path, spec.auth.as_deref(), parser.last_id());
            let mut head = vec![0u8; HEAD_BUF];
            let (body, range) = conn::open(&mut stream, &req, &mut head).await?;
            head.truncate(range.end);
            head.drain(..range.start);
            anyhow::Ok((stream, body, head))
        };
        let attempt = async {
            tokio::time::timeout(OPEN_TIMEOUT, attempt)
                .await
                .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within {OPEN_TIMEOUT:?}")))
        };
        let attempt = if first {
            let _permit = hub.gate.acquire().await;
            attempt.await
        } else {
            attempt.await
        };
        match attempt {
            Ok((mut stream, mut body, first_bytes)) => {
                {
                    let mut rec = lock(&hub.records[idx]);
                    if first {
                        rec.opened = true;
                        hub.opened.fetch_add(1, Relaxed);
                    } else {
                        rec.reconnects += 1;
                    }
                }
                first = false;
                let mut reader = Reader {
                    hub: &hub,
                    idx,
                    spec: &spec,
                    parser: &mut parser,
                };
                let why = match reader.consume(&mut body, &first_bytes) {
                    Ok(false) => reader.read(&mut stream, &mut body).await,
                    Ok(true) => "the server ended the stream".into(),
                    Err(e) => format!("{e:#}"),
                };
                let now = hub.clock.now_ns();
                let mut rec = lock(&hub.records[idx]);
                rec.disconnects += 1;
                if hub.window_since(now).is_some() {
                    rec.disconnects_in_window += 1;
                }
                rec.last_error = Some(why);
            }
            Err(e) => {
                lock(&hub.records[idx]).last_error = Some(format!("{e:#}"));
                if first {
                    hub.failed.fetch_add(1, Relaxed);
                    return;
                }
            }
        }
        parser.reset_connection();
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

struct Reader<'a> {
    hub: &'a Hub,
    idx: usize,
    spec: &'a StreamSpec,
    parser: &'a mut Parser,
}

impl Reader<'_> {
    /// Reads and records until the connection ends; returns why it ended.
    async fn read(&mut self, stream: &mut TcpStream, body: &mut Body) -> String {
        std::future::poll_fn(|cx| self.poll_read(cx, stream, body)).await
    }

    /// Reads whatever is there into this thread's buffer and records it. Streams keep no
    /// read buffer of their own: one per worker thread stays hot in cache.
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        stream: &mut TcpStream,
        body: &mut Body,
    ) -> Poll<String> {
        READ_BUF.with(|cell| {
            let mut buf = cell.borrow_mut();
            for _ in 0..READS_PER_POLL {
                let mut filled = ReadBuf::new(&mut buf[..]);
                let n = match Pin::new(&mut *stream).poll_read(cx, &mut filled) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(format!("reading the stream: {e}")),
                    Poll::Ready(Ok(())) => filled.filled().len(),
                };
                if n == 0 {
                    return Poll::Ready("the server closed the connection".into());
                }
                match self.consume(body, &buf[..n]) {
                    Ok(false) => {}
                    Ok(true) => return Poll::Ready("the server ended the stream".into()),
                    Err(e) => return Poll::Ready(format!("{e:#}")),
                }
            }
            // Let the other streams run; come back right after them.
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    }

    /// Records one read's worth of bytes, under one lock of the stream's record.
    fn consume(&mut self, body: &mut Body, bytes: &[u8]) -> anyhow::Result<bool> {
        let mut rec = lock(&self.hub.records[self.idx]);
        rec.reads += 1;
        let mut sink = Recorder::new(self.hub, self.idx, &mut rec, self.spec.user);
        let parser = &mut *self.parser;
        body.decode(bytes, &mut |payload| parser.feed(payload, &mut sink))
    }
}
