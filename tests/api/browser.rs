//! The pages in a real browser. `tests/browser/live.mjs` drives headless Chromium
//! (two people chatting) against a test server. This test installs what the script needs
//! when it is missing, runs it, restarts the server when it prints `RESTART` (answering
//! `RESTARTED` on its stdin), and passes when it exits 0. `tests/browser/api-docs.mjs`
//! loads the API reference page and fails on any console error; `tests/browser/mentions.mjs`
//! checks @-suggestions, the live unread-mentions count and links to a message;
//! `tests/browser/shell.mjs` checks the reading view at a desktop and a phone size and
//! runs axe-core on every page, light and dark, saving a screenshot of each;
//! `tests/browser/attention.mjs` checks the unread count in the tab title and the keyboard
//! (Up edits, Esc cancels, Ctrl+K switches conversation); `tests/browser/tabs.mjs` checks
//! the slower path when `/events` is refused and ten tabs of one browser over plain HTTP;
//! `tests/browser/uploads.mjs` uploads from the composer (progress, cancel, errors) and sees
//! the thumbnail arrive live; `tests/browser/reactions.mjs` picks a reaction from the emoji
//! picker and sees it live on the other person's page; `tests/browser/notify.mjs` checks
//! desktop notifications while the page is hidden; `tests/browser/members.mjs` sees a member
//! come online in the panel beside a group.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::Command,
};

use crate::helpers::*;

const CHROMIUM: &str = "/usr/bin/chromium";
/// A hang guard for the whole browser run, not a speed check.
const RUN_LIMIT: Duration = Duration::from_secs(180);

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

async fn run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .await
        .is_ok_and(|status| status.success())
}

/// Installs playwright-core (from the lock file) and Chromium if they are missing, once
/// per test process: the browser tests run in parallel, and two `npm ci` in one folder
/// at once break each other.
async fn prepare() {
    static PREPARED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    PREPARED.get_or_init(install).await;
}

async fn install() {
    let dir = browser_dir();
    let dir_str = dir.to_str().expect("a UTF-8 path");
    assert!(
        Command::new("node")
            .arg("--version")
            .output()
            .await
            .is_ok_and(|out| out.status.success()),
        "the browser tests need Node.js 20 or newer on PATH (apt-get install nodejs npm)"
    );
    let installed = ["playwright-core", "axe-core"]
        .iter()
        .all(|package| dir.join("node_modules").join(package).exists());
    if !installed {
        let verb = if dir.join("package-lock.json").exists() {
            "ci"
        } else {
            "install"
        };
        assert!(
            run(
                "npm",
                &[verb, "--prefix", dir_str, "--no-audit", "--no-fund"]
            )
            .await,
            "`npm {verb} --prefix tests/browser` failed"
        );
    }
    if !Path::new(CHROMIUM).exists() {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .await
            .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
        assert!(
            root,
            "the browser tests need Chromium at {CHROMIUM}: \
             sudo apt-get install -y --no-install-recommends chromium"
        );
        assert!(
            run("apt-get", &["update"]).await
                && run(
                    "apt-get",
                    &["install", "-y", "--no-install-recommends", "chromium"]
                )
                .await,
            "installing Chromium with apt-get failed"
        );
    }
}

#[tokio::test]
async fn two_people_chat_live_in_headless_chromium() {
    prepare().await;
    let mut app = spawn_app_with(&[("RATE_LIMITS", "off"), ("HEARTBEAT_SECS", "1")]).await;
    let mut script = Command::new("node")
        .arg(browser_dir().join("live.mjs"))
        .env("CONFAB_URL", &app.address)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let mut stdin = script.stdin.take().unwrap();
    let mut stdout = BufReader::new(script.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(script.stderr.take().unwrap()).lines();

    let mut output = String::new();
    let finished = tokio::time::timeout(RUN_LIMIT, async {
        let (mut out_open, mut err_open) = (true, true);
        while out_open || err_open {
            tokio::select! {
                line = stdout.next_line(), if out_open => match line.expect("reading stdout") {
                    Some(line) => {
                        println!("{line}");
                        output.push_str(&line);
                        output.push('\n');
                        if line.trim() == "RESTART" {
                            app.restart().await;
                            stdin.write_all(b"RESTARTED\n").await.expect("answering");
                            stdin.flush().await.expect("answering");
                        }
                    }
                    None => out_open = false,
                },
                line = stderr.next_line(), if err_open => match line.expect("reading stderr") {
                    Some(line) => {
                        eprintln!("{line}");
                        output.push_str(&line);
                        output.push('\n');
                    }
                    None => err_open = false,
                },
            }
        }
        script.wait().await.expect("node ran")
    })
    .await;

    match finished {
        Ok(status) => assert!(
            status.success(),
            "the browser script failed ({status}); screenshots in tests/browser/artifacts; \
             its output:\n{output}"
        ),
        Err(_) => panic!(
            "the browser script did not finish within {RUN_LIMIT:?}; its output so far:\n{output}"
        ),
    }
}

/// Runs one script of `tests/browser` against `app` to its end; its output.
async fn run_script(app: &TestApp, script: &str) -> String {
    let run = Command::new("node")
        .arg(browser_dir().join(script))
        .env("CONFAB_URL", &app.address)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(RUN_LIMIT, run)
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within {RUN_LIMIT:?}"))
        .expect("node ran");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{output}");
    assert!(
        out.status.success(),
        "{script} failed ({}); screenshots in tests/browser/artifacts; its output:\n{output}",
        out.status
    );
    output
}

#[tokio::test]
async fn the_api_reference_page_loads_without_console_errors() {
    prepare().await;
    let app = spawn_app().await;
    let output = run_script(&app, "api-docs.mjs").await;
    assert!(output.contains("ok no console errors"), "{output}");
}

#[tokio::test]
async fn mentions_are_suggested_and_their_count_rises_and_clears_live_in_headless_chromium() {
    prepare().await;
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("HEARTBEAT_SECS", "1")]).await;
    let output = run_script(&app, "mentions.mjs").await;
    assert!(output.contains("ok no console errors"), "{output}");
}

#[tokio::test]
async fn the_reading_view_fits_desktop_and_phone_and_every_page_passes_axe() {
    prepare().await;
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let output = run_script(&app, "shell.mjs").await;
    assert!(output.contains("ok no console errors"), "{output}");
}

#[tokio::test]
async fn the_title_counts_unread_and_the_keyboard_edits_and_switches_in_headless_chromium() {
    prepare().await;
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("HEARTBEAT_SECS", "1")]).await;
    let output = run_script(&app, "attention.mjs").await;
    assert!(output.contains("ok no console errors"), "{output}");
}

#[tokio::test]
async fn the_fallback_and_ten_tabs_stay_live_once_each_in_headless_chromium() {
    prepare().await;
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("HEARTBEAT_SECS", "1")]).await;
    let output = run_script(&app, "tabs.mjs").await;
    assert!(output.contains("ok no console errors"), "{output}");
}

#[tokio::test]
async fn uploads_show_progress_and_reach_the_other_open_page_with_their_thumbnail() {
    prepare().await;
    let app = spawn_app_with(&[
        ("RATE_LIMITS", "off"),
        ("HEARTBEAT_SECS", "1"),
        ("MAX_UPLOAD_BYTES", "3145728"),
    ])
    .await;
    let output = run_script(&app, "uploads.mjs").await;
    assert!(output.contains("ok no console errors"), "{output}");
}

#[tokio::test]
async fn a_reaction_picked_from_the_emoji_picker_shows_live_in_headless_chromium() {
    prepare().await;
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("HEARTBEAT_SECS", "1")]).await;
    let output = run_script(&app, "reactions.mjs").await;
    assert!(output.contains("ok no console errors"), "{output}");
}

#[tokio::test]
async fn a_direct_message_shows_a_desktop_notification_while_the_page_is_hidden_in_headless_chromium()
 {
    prepare().await;
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("HEARTBEAT_SECS", "1")]).await;
    let output = run_script(&app, "notify.mjs").await;
    assert!(output.contains("ok no console errors"), "{output}");
}

#[tokio::test]
async fn a_member_coming_online_shows_online_beside_the_group_in_headless_chromium() {
    prepare().await;
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("HEARTBEAT_SECS", "1")]).await;
    let output = run_script(&app, "members.mjs").await;
    assert!(output.contains("ok no console errors"), "{output}");
}
