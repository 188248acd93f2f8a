//! `Sse`: a client of an event stream (`/api/chat/sse` or a page's `/events`), reading
//! parsed events with a hang guard.

use reqwest::StatusCode;
use serde_json::Value;

/// An SSE client of `/api/chat/sse` (or any event stream), reading parsed events.
pub struct Sse {
    events: std::pin::Pin<
        Box<
            dyn futures_util::Stream<
                    Item = Result<
                        eventsource_stream::Event,
                        eventsource_stream::EventStreamError<reqwest::Error>,
                    >,
                > + Send,
        >,
    >,
    /// The id of the last event that carried one.
    pub last_id: String,
}

/// How long a test waits for an event before failing (a hang guard, not a speed check).
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(15);

impl Sse {
    /// Opens a stream from a prepared request (any path, headers or credentials).
    pub async fn start(request: reqwest::RequestBuilder) -> Sse {
        use eventsource_stream::Eventsource;
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "opening the stream");
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "an event stream"
        );
        Sse {
            events: Box::pin(response.bytes_stream().eventsource()),
            last_id: String::new(),
        }
    }

    /// The next event, or `None` when the server ended the stream.
    pub async fn next_or_end(&mut self) -> Option<eventsource_stream::Event> {
        use futures_util::StreamExt;
        let next = tokio::time::timeout(PATIENCE, self.events.next())
            .await
            .expect("an event or the end of the stream in time");
        match next {
            Some(Ok(event)) => {
                if !event.id.is_empty() {
                    self.last_id = event.id.clone();
                }
                Some(event)
            }
            Some(Err(_)) | None => None,
        }
    }

    pub async fn next(&mut self) -> eventsource_stream::Event {
        self.next_or_end().await.expect("the stream is still open")
    }

    /// The next event named `kind` (skipping others), with its JSON data.
    pub async fn next_of(&mut self, kind: &str) -> (eventsource_stream::Event, Value) {
        loop {
            let event = self.next().await;
            if event.event == kind {
                let data = serde_json::from_str(&event.data).expect("event data is JSON");
                return (event, data);
            }
        }
    }

    /// The next event named `kind` whose data satisfies `pred` (a stream may start with
    /// events committed just before it opened, so tests look for the one they mean).
    pub async fn next_where(&mut self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let (_, data) = self.next_of(kind).await;
            if pred(&data) {
                return data;
            }
        }
    }

    /// The next event whose kind is one of `kinds` (skipping the rest).
    pub async fn next_among(&mut self, kinds: &[&str]) -> (eventsource_stream::Event, Value) {
        loop {
            let event = self.next().await;
            if kinds.contains(&event.event.as_str()) {
                let data = serde_json::from_str(&event.data).expect("event data is JSON");
                return (event, data);
            }
        }
    }

    /// Reads until the server ends the stream; panics if it does not.
    pub async fn expect_end(&mut self) {
        while self.next_or_end().await.is_some() {}
    }
}
