//! The `confab` admin commands, run as the built binary against a test server's database
//! while that server runs: what they do is seen over HTTP.

use std::process::{Output, Stdio};

use reqwest::StatusCode;
use tokio::{io::AsyncWriteExt, process::Command};

use crate::helpers::*;

/// Runs `confab args…` on `app`'s database, writing `stdin` to it.
async fn confab(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(args)
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:5432/{}", app.db_name),
        )
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the confab binary starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    child.wait_with_output().await.expect("confab ran")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the command refused with exit code 1 and one line saying `why`.
fn assert_refused(out: &Output, why: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(why), "{why:?} not in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn an_operator_creates_a_user_and_resets_their_password_from_the_command_line() {
    let app = spawn_app_with(&[("REGISTRATION", "closed")]).await;
    let owner = app.user("owner").await;
    assert_eq!(owner.json["systemRole"], "OWNER");

    let out = confab(
        &app,
        &["user", "create", "alice", "--password-stdin"],
        PASSWORD,
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("created alice (member"),
        "{}",
        stdout(&out)
    );
    let client = new_client();
    let login = app.login(&client, "alice", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK, "the new account logs in");
    assert_eq!(app.me(&client).await.status(), StatusCode::OK);

    let new_password = "a brand new secret";
    let out = confab(
        &app,
        &["user", "reset-password", "alice", "--password-stdin"],
        &format!("{new_password}\n"),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        app.me(&client).await.status(),
        StatusCode::UNAUTHORIZED,
        "the reset ended alice's session"
    );
    let old = app.login(&new_client(), "alice", PASSWORD).await;
    expect_error(old, StatusCode::UNAUTHORIZED).await;
    let new = app.login(&new_client(), "alice", new_password).await;
    assert_eq!(new.status(), StatusCode::OK, "the new password works");
}

#[tokio::test]
async fn a_generated_password_is_printed_once_and_works() {
    let app = spawn_app().await;
    let out = confab(&app, &["user", "create", "root"], "").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("created root (owner"),
        "the first account owns: {text}"
    );
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("the generated password is printed");
    let login = app.login(&new_client(), "root", password).await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn roles_deactivation_and_bot_tokens_work_from_the_command_line() {
    let app = spawn_app().await;
    app.user("owner").await;
    let bot = app.user("bot").await;

    let out = confab(&app, &["user", "set-role", "bot", "admin"], "").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = confab(&app, &["user", "list"], "").await;
    let row = stdout(&out)
        .lines()
        .find(|l| l.starts_with("bot "))
        .map(str::to_owned)
        .expect("bot is listed");
    assert!(row.contains("admin") && row.contains("active"), "{row}");

    let out = confab(&app, &["token", "create", "bot", "--name", "ci"], "").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    let me = app.get_as_bot(&token, "/api/me").await;
    let me = ok_json(me).await;
    assert_eq!(me["id"], bot.json["id"], "the token acts as the bot");

    let out = confab(&app, &["user", "deactivate", "bot"], "").await;
    assert!(out.status.success(), "{}", stderr(&out));
    // The server learns of it from the log (the command is another process).
    assert!(
        app.bot_answers_within_patience(&token, "/api/me", StatusCode::UNAUTHORIZED)
            .await,
        "the deactivated bot's token still worked"
    );
}

#[tokio::test]
async fn the_command_line_refuses_what_it_cannot_do_in_one_line() {
    let app = spawn_app().await;
    app.user("owner").await;
    let out = confab(&app, &["user", "reset-password", "ghost"], "").await;
    assert_refused(&out, "no user named \"ghost\"");
    let out = confab(&app, &["user", "set-role", "owner", "member"], "").await;
    assert_refused(&out, "the owner cannot be changed");
    let out = confab(
        &app,
        &["user", "create", "weak", "--password-stdin"],
        "short\n",
    )
    .await;
    assert_refused(&out, "password must be at least 8 characters");
    let out = confab(
        &app,
        &["user", "create", "Owner", "--password-stdin"],
        PASSWORD,
    )
    .await;
    assert_refused(&out, "that username is taken");
    let out = confab(&app, &["token", "create", "ghost"], "").await;
    assert_refused(&out, "no user named");

    // A role that does not exist is a usage error (clap's exit code 2), not a crash.
    let out = confab(&app, &["user", "set-role", "owner", "king"], "").await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid value 'king'"));

    let out = confab(&app, &["--help"], "").await;
    assert!(out.status.success());
    for command in ["serve", "migrate", "user", "token"] {
        assert!(stdout(&out).contains(command), "--help lists {command}");
    }
}

#[tokio::test]
async fn migrate_creates_and_migrates_a_database_without_a_server() {
    let db_name = format!("confab_test_{}", uuid::Uuid::new_v4().simple());
    let url = format!("postgres://postgres@127.0.0.1:5432/{db_name}");
    let out = Command::new(env!("CARGO_BIN_EXE_confab"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("confab ran");
    use sea_orm::{ConnectionTrait, Database};
    let db = Database::connect(&url).await;
    let tables = match &db {
        Ok(db) => db
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT tablename FROM pg_tables WHERE tablename IN ('users', 'one_time_links')",
            ))
            .await
            .map(|rows| rows.len())
            .unwrap_or(0),
        Err(_) => 0,
    };
    if let Ok(db) = db {
        db.close().await.ok();
    }
    let admin = Database::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
        ))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("migrations applied"));
    assert_eq!(tables, 2, "the schema is there");
}
