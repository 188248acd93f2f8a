//! Operations: health and readiness probes, Prometheus metrics (`confab_`-prefixed, with
//! help text; `METRICS_TOKEN` guards them), and per request: its span, its counters keyed
//! by the matched route, and its access line with the request id.

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use metrics_util::layers::{Layer, PrefixLayer};
use sea_orm::ConnectionTrait;
use subtle::ConstantTimeEq;

use crate::{
    error::{AppError, Result},
    telemetry::RequestUser,
    web::AppState,
};

/// The header carrying a request's id, taken from the client (or a proxy) when it sends
/// one, generated otherwise, and echoed on the response.
pub const REQUEST_ID: &str = "x-request-id";

/// Every metric's name starts with this (a prefix layer adds it, so call sites use the
/// short names): `confab_http_requests_total`, `confab_sse_open_streams`, ...
pub const METRIC_PREFIX: &str = "confab";

/// The process-wide Prometheus recorder (one per process, shared by every app in tests).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(PrefixLayer::new(METRIC_PREFIX).layer(recorder))
                .expect("no other metrics recorder is installed");
            describe_metrics();
            handle
        })
        .clone()
}

fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("seconds".into()),
            &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ],
        )
        .expect("static buckets are valid")
        .set_buckets_for_metric(
            Matcher::Suffix("message_write_batch_size".into()),
            &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
        )
        .expect("static buckets are valid")
        .build_recorder()
}

/// How often histogram samples are folded into their buckets.
pub const METRICS_UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Folds the histogram samples recorded since the last time into their buckets, every
/// `every` until `stop`. The recorder keeps each sample until then (8 bytes each: two
/// per request and one per message handed to streams): without this, a
/// server nobody scrapes grows by that for ever.
pub fn spawn_metrics_upkeep(
    handle: PrometheusHandle,
    every: Duration,
    stop: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => handle.run_upkeep(),
                () = stop.cancelled() => break,
            }
        }
    })
}

/// The help text of every metric Confab exports (`# HELP` lines on `/metrics`).
fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by method (OTHER for non-standard ones), matched route and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time from a request's arrival to its response head (an event stream's is its opening)"
    );
    describe_gauge!("sse_open_streams", "Event streams open on this instance");
    describe_counter!(
        "sse_events_delivered_total",
        "Events handed to open streams"
    );
    describe_counter!(
        "sse_queue_drops_total",
        "Streams closed because their client fell too far behind (queue full)"
    );
    describe_histogram!(
        "sse_send_to_deliver_seconds",
        Unit::Seconds,
        "Age of a message when it is handed to its recipients' streams (one sample per message, not per stream)"
    );
    describe_histogram!(
        "message_write_batch_size",
        "Messages the writer stored in one database batch"
    );
    describe_histogram!(
        "message_write_batch_seconds",
        Unit::Seconds,
        "Time the writer took to store one batch of messages"
    );
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// How long readiness waits for the database before saying 503.
const READY_WITHIN: Duration = Duration::from_millis(800);

/// Ready when the database answers (within [`READY_WITHIN`], on a connection checked just
/// now) and the server is not shutting down.
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    if state.shutdown.is_cancelled() {
        return Err(AppError::Unavailable);
    }
    match tokio::time::timeout(READY_WITHIN, state.db.execute_unprepared("SELECT 1")).await {
        Ok(Ok(_)) => Ok("ready"),
        Ok(Err(_)) | Err(_) => Err(AppError::DatabaseUnavailable),
    }
}

/// The Prometheus text format. With `METRICS_TOKEN` set, only for that bearer token.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    if let Some(expected) = &state.config.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .trim();
        if !bool::from(presented.as_bytes().ct_eq(expected.expose().as_bytes())) {
            return Err(AppError::Unauthenticated(
                "the metrics need the METRICS_TOKEN bearer token".into(),
            ));
        }
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response())
}

fn route_of(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into())
}

/// The method as a metric label: the standard methods by name, anything else `OTHER`, so a
/// client cannot create series at will.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// Probes and scrapes come every few seconds: their access lines are debug-level.
fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/metrics")
}

/// Per request: counts it and records its latency by method, matched route and status,
/// and writes its access line (info; debug for probes) with the request id and the user.
pub async fn track(mut req: Request, next: impl AsyncFnOnce(Request) -> Response) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = route_of(&req);
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let user = RequestUser::default();
    req.extensions_mut().insert(user.clone());
    let response = next(req).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let labels = [
        ("method", method_label(&method).to_owned()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let user_id = user.get().map(|u| u.to_string()).unwrap_or_default();
    macro_rules! access {
        ($level:expr) => {
            tracing::event!(
                $level,
                %method,
                %route,
                status,
                latency_ms,
                request_id = %request_id,
                user_id = %user_id,
                "access"
            )
        };
    }
    if is_probe(&route) {
        access!(tracing::Level::DEBUG);
    } else {
        access!(tracing::Level::INFO);
    }
    response
}

/// One span per request, named by the matched route so logs group by endpoint, carrying
/// the request id (and the user, once known). An event stream's span lives as long as the
/// stream, so it is a debug span: at the default level it costs an open stream nothing.
pub fn request_span(req: &Request) -> tracing::Span {
    let route = route_of(req);
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if route == "/api/chat/sse" || route == "/events" {
        return tracing::debug_span!(
            "stream",
            route = %route,
            uri = %req.uri().path(),
            request_id = %request_id,
            user_id = tracing::field::Empty,
        );
    }
    tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        uri = %req.uri().path(),
        request_id = %request_id,
        user_id = tracing::field::Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resident_bytes() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
        let pages: u64 = statm
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .expect("statm has a resident field");
        pages * 4096
    }

    /// 4 million samples are 32 MB held by the recorder until upkeep folds them into
    /// buckets; with the upkeep task running, the memory is reused instead.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn histogram_samples_do_not_accumulate() {
        let recorder = recorder();
        let stop = tokio_util::sync::CancellationToken::new();
        let upkeep =
            spawn_metrics_upkeep(recorder.handle(), Duration::from_millis(5), stop.clone());
        tokio::time::sleep(Duration::from_millis(20)).await;
        let before = resident_bytes();
        for _ in 0..40 {
            metrics::with_local_recorder(&recorder, || {
                let h = metrics::histogram!("request_seconds");
                for i in 0..100_000 {
                    h.record(f64::from(i) * 1e-6);
                }
            });
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let grown = resident_bytes().saturating_sub(before);
        stop.cancel();
        // A pass still folding samples in would hide them from the count below.
        upkeep.await.expect("the upkeep task ends");
        assert!(
            grown < 12 << 20,
            "resident memory grew by {} MiB over 4 million samples",
            grown >> 20
        );
        // Folded, not dropped: dropping them would lose nearly all. metrics-util's bucket
        // can miss samples recorded while upkeep swaps it out (seen under parallel tests:
        // 2 to 4 in 4 million, once 6,661 in a CI run), so 1 % may go missing.
        let text = recorder.handle().render();
        let counted: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("request_seconds_count "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        assert!(counted >= 3_960_000, "samples counted: {counted}\n{text}");
    }
}
