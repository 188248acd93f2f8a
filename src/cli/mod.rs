//! The `confab` command line: `serve` (the default), `migrate`, and the operator's admin
//! commands (`user …`, `token …`) that work on `DATABASE_URL` directly, with no server
//! running. Arguments are parsed by clap; the work is done by the domain functions in
//! [`crate::accounts`] and [`crate::auth`]. A refusal is one line on stderr and exit code 1.

mod admin;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::{app::Application, config::Config, db, entities::users::SystemRole, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "confab",
    version,
    about = "Confab, a self-hosted team chat server, and its admin commands",
    long_about = "Confab, a self-hosted team chat server.\n\nWithout a command it runs the \
                  server. Every command reads its settings (DATABASE_URL first) from the \
                  environment and .env, and works without a running server."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default when no command is given).
    Serve,
    /// Create the database if missing, apply pending migrations, and exit.
    Migrate,
    /// Create and manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for bots and scripts.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account (even when REGISTRATION=closed). The first account is the OWNER.
    Create {
        username: String,
        /// Role of the new account (the very first account is always the owner).
        #[arg(long, value_enum, default_value_t = Role::Member)]
        role: Role,
        /// Display name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password and end the user's sessions (prints a generated one unless
    /// --password-stdin is given).
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Make a user an admin or a member.
    SetRole {
        username: String,
        #[arg(value_enum)]
        role: Role,
    },
    /// Deactivate an account: its sessions, tokens and streams end (--undo reactivates).
    Deactivate {
        username: String,
        #[arg(long)]
        undo: bool,
    },
    /// List every account with its role and status.
    List,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user (a bot account); the token is printed this once.
    Create {
        username: String,
        /// What the token is for, shown in the user's settings.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// The roles an operator can give (ownership belongs to the first account).
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Role {
    Member,
    Admin,
}

impl From<Role> for SystemRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Member => SystemRole::Member,
            Role::Admin => SystemRole::Admin,
        }
    }
}

/// Parses the arguments and runs the command; the process's exit code.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return refuse(format!("{err:#}")),
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::User(command) => admin::user(config, command).await,
        Command::Token(command) => admin::token(config, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => refuse(err),
    }
}

fn refuse(message: impl std::fmt::Display) -> ExitCode {
    // One line, whatever the error's chain looked like.
    let line = message.to_string().replace('\n', " ");
    eprintln!("confab: {line}");
    ExitCode::FAILURE
}

async fn serve(config: Config) -> Result<(), String> {
    telemetry::init(config.log_format);
    tracing::info!(?config, "starting Confab");
    let app = Application::build(config)
        .await
        .map_err(|e| format!("{e:#}"))?;
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| format!("{e:#}"))
}

async fn migrate(config: Config) -> Result<(), String> {
    telemetry::init(config.log_format);
    let db = db::connect_and_migrate(&config)
        .await
        .map_err(|e| format!("{e:#}"))?;
    db.close().await.ok();
    println!("migrations applied");
    Ok(())
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
