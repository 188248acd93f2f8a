use confab::{app::Application, config::Config, telemetry};

// mimalloc keeps an idle stream's footprint small and hands argon2's 19 MiB blocks back to
// the system after each hash (glibc's allocator kept them, hundreds of MiB after a burst
// of registrations). Built without transparent huge pages (`no_thp`): with them its arena
// is backed by 2 MiB pages, and 19,000 idle streams cost 20 KiB each instead of 14.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format);
    tracing::info!(?config, "starting Confab");
    let app = Application::build(config).await?;
    app.run_until_stopped(shutdown_signal()).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
