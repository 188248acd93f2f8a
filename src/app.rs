//! Building and running the server. `main` and the tests share [`Application::build`]: the
//! listener is bound before anything is spawned, so tests know the port without sleeping.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{Router, extract::ConnectInfo};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower_sessions::session_store::ExpiredDeletion;

use crate::{
    attachments::{jobs::Processor, storage::Files},
    auth::{password, rate_limit::Limiters, session_store::PgSessionStore},
    chat::writer::Writer,
    config::Config,
    db,
    realtime::Realtime,
    web,
    web::{AppState, AppStateParts},
};

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

/// How long shutdown waits for open connections before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl Application {
    /// Connects to (and migrates) the database, builds the router and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = db::connect_and_migrate(&config).await?;
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("binding {}", config.bind_addr))?;
        password::warm_up();
        let metrics = web::ops::metrics_handle();
        let realtime = Realtime::new(db.clone(), &config)
            .await
            .context("connecting to Redis")?;
        let shutdown = CancellationToken::new();
        let writer = Writer::start(db.clone(), config.message_writers, shutdown.clone());
        let files = Files::from_config(&config)?;
        let attachments = Processor::new(db.clone(), files, realtime.clone());
        let state = AppState::new(AppStateParts {
            attachments,
            db,
            tokens: realtime.tokens(),
            realtime,
            writer,
            limiters: Arc::new(Limiters::new(&config.rate_limits)),
            config: Arc::new(config),
            shutdown,
            metrics,
        });
        let router = web::router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then ends open streams and drains connections.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            state,
        } = self;
        tracing::info!(addr = %listener.local_addr()?, "listening");
        spawn_housekeeping(&state);
        state.realtime.spawn(state.shutdown.clone());

        // HTTP/1.1 only: browsers speak HTTP/2 to a TLS proxy in front, not to us, and an
        // HTTP/1 connection is what an idle stream costs in memory (README, Benchmarks).
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(state.config.header_read_timeout);
        let graceful = GracefulShutdown::new();
        let limits = crate::connections::ConnectionLimits::new(
            state.config.max_connections,
            state.config.max_connections_per_ip(),
        );
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, addr) = match accepted {
                        Ok(pair) => pair,
                        Err(err) => {
                            // Usually out of file descriptors: back off instead of spinning.
                            tracing::warn!(%err, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let Some(admitted) = limits.admit(addr.ip()) else {
                        tokio::spawn(crate::connections::refuse(stream));
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let router = router.clone();
                    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                        req.extensions_mut().insert(ConnectInfo(addr));
                        router.clone().oneshot(req)
                    });
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        let _admitted = admitted;
                        if let Err(err) = conn.await {
                            tracing::debug!(%err, "connection ended with an error");
                        }
                    });
                }
                () = &mut shutdown => break,
            }
        }
        tracing::info!("shutting down");
        drop(listener);
        state.shutdown.cancel();
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(SHUTDOWN_GRACE) => {
                tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; closing anyway");
            }
        }
        state.db.clone().close().await.ok();
        Ok(())
    }
}

/// Periodic chores that live as long as the server: metrics upkeep, the sweep of unsent
/// uploads, expired sessions, idle rate-limit keys.
fn spawn_housekeeping(state: &AppState) {
    web::ops::spawn_metrics_upkeep(
        state.metrics.clone(),
        web::ops::METRICS_UPKEEP_EVERY,
        state.shutdown.clone(),
    );
    state
        .attachments
        .spawn_sweeper(state.config.unattached_upload_ttl, state.shutdown.clone());
    let store = PgSessionStore::new(state.db.clone());
    let stop = state.shutdown.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(err) = store.delete_expired().await {
                        tracing::warn!(%err, "deleting expired sessions failed");
                    }
                }
                () = stop.cancelled() => break,
            }
        }
    });
    let limiters = state.limiters.clone();
    let stop = state.shutdown.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(crate::auth::rate_limit::SHRINK_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => limiters.shrink(),
                () = stop.cancelled() => break,
            }
        }
    });
}
