//! `confab user …` and `confab token …`: the operator's account commands, run against the
//! database with the same domain functions the web uses (registration, password hashing,
//! role changes, deactivation, tokens). Output is for people: one line per fact.

use std::io::BufRead;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sea_orm::DatabaseConnection;

use super::{TokenCommand, UserCommand};
use crate::auth::token_cache::TokenCache;
use crate::{
    accounts::{
        self, AdminChange, NewAccount, User,
        fields::{self, Password},
    },
    auth::tokens,
    chat,
    config::{Config, Registration},
    db,
    entities::users::SystemRole,
    error::AppError,
};

type Outcome = Result<(), String>;

/// An error as the operator should read it: the message, or the cause of a server error.
fn say(err: AppError) -> String {
    match err {
        AppError::Internal(err) => format!("{err:#}"),
        other => other.to_string(),
    }
}

async fn connect(config: &Config) -> Result<DatabaseConnection, String> {
    db::connect_and_migrate(config)
        .await
        .map_err(|e| format!("{e:#}"))
}

async fn existing(db: &DatabaseConnection, username: &str) -> Result<User, String> {
    accounts::find_by_username(db, username)
        .await
        .map_err(say)?
        .ok_or_else(|| format!("no user named {username:?}"))
}

/// The password from stdin's first line, or a generated one (and whether it was).
fn password(from_stdin: bool) -> Result<(String, bool), String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("reading the password from stdin: {e}"))?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        return Ok((line, false));
    }
    let mut bytes = [0u8; 15];
    rand::rng().fill_bytes(&mut bytes);
    Ok((URL_SAFE_NO_PAD.encode(bytes), true))
}

fn role_name(role: SystemRole) -> &'static str {
    match role {
        SystemRole::Owner => "owner",
        SystemRole::Admin => "admin",
        SystemRole::Member => "member",
    }
}

pub(super) async fn user(config: Config, command: UserCommand) -> Outcome {
    let db = connect(&config).await?;
    let result = run_user(&db, command).await;
    db.close().await.ok();
    result
}

async fn run_user(db: &DatabaseConnection, command: UserCommand) -> Outcome {
    match command {
        UserCommand::Create {
            username,
            role,
            name,
            email,
            password_stdin,
        } => {
            let (pass, generated) = password(password_stdin)?;
            let new = NewAccount::parse(&username, &pass, name.as_deref(), email.as_deref())
                .map_err(say)?;
            // The operator creates accounts whatever REGISTRATION says (in the open rooms,
            // as a sign-up on the web is).
            let mut user = chat::threads::sign_up(db, new, Registration::Open)
                .await
                .map_err(say)?;
            let role = SystemRole::from(role);
            if user.system_role != SystemRole::Owner && user.system_role != role {
                let change = AdminChange {
                    system_role: Some(role),
                    deactivated: None,
                };
                user = accounts::operator_update(db, &TokenCache::default(), &user, change)
                    .await
                    .map_err(say)?;
            }
            println!(
                "created {} ({}, id {})",
                user.username,
                role_name(user.system_role),
                user.id
            );
            if generated {
                println!("password: {pass}");
            }
            Ok(())
        }
        UserCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let user = existing(db, &username).await?;
            let (pass, generated) = password(password_stdin)?;
            let new = Password::parse(&pass).map_err(say)?;
            accounts::set_password(db, &TokenCache::default(), user.id, new, None)
                .await
                .map_err(say)?;
            println!("password of {} reset; their sessions ended", user.username);
            if generated {
                println!("password: {pass}");
            }
            Ok(())
        }
        UserCommand::SetRole { username, role } => {
            let user = existing(db, &username).await?;
            let change = AdminChange {
                system_role: Some(role.into()),
                deactivated: None,
            };
            let user = accounts::operator_update(db, &TokenCache::default(), &user, change)
                .await
                .map_err(say)?;
            println!("{} is now {}", user.username, role_name(user.system_role));
            Ok(())
        }
        UserCommand::Deactivate { username, undo } => {
            let user = existing(db, &username).await?;
            let change = AdminChange {
                system_role: None,
                deactivated: Some(!undo),
            };
            let user = accounts::operator_update(db, &TokenCache::default(), &user, change)
                .await
                .map_err(say)?;
            let state = if undo { "reactivated" } else { "deactivated" };
            println!("{} {state}", user.username);
            Ok(())
        }
        UserCommand::List => {
            let users = accounts::list_all(db).await.map_err(say)?;
            println!("{:<32} {:<7} {:<12} id", "username", "role", "status");
            for u in users {
                let status = if u.deactivated_at.is_some() {
                    "deactivated"
                } else {
                    "active"
                };
                let role = role_name(u.system_role);
                println!("{:<32} {role:<7} {status:<12} {}", u.username, u.id);
            }
            Ok(())
        }
    }
}

pub(super) async fn token(config: Config, command: TokenCommand) -> Outcome {
    let db = connect(&config).await?;
    let result = match command {
        TokenCommand::Create { username, name } => create_token(&db, &username, name).await,
    };
    db.close().await.ok();
    result
}

async fn create_token(db: &DatabaseConnection, username: &str, name: String) -> Outcome {
    let user = existing(db, username).await?;
    if user.deactivated_at.is_some() {
        return Err(format!("{} is deactivated", user.username));
    }
    let name = fields::label(&name, "token name").map_err(say)?;
    let (_, token) = tokens::create(db, user.id, name).await.map_err(say)?;
    eprintln!("token for {} (shown once; store it now):", user.username);
    println!("{token}");
    Ok(())
}
