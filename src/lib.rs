//! Confab: a self-hosted team chat server.
//!
//! ```text
//! browser page ─┐ htmx form posts / GET pages          ┌─ SSE /events (HTML fragments)
//! API client ───┤ JSON /api/* (cookie or Bearer)       ├─ SSE /api/chat/sse (JSON)
//!               ▼                                      │
//!        web       — route table, extractors, templates, the one error renderer
//!               ▼                                      │
//!        attachments — file storage (directory or S3), uploads, image jobs, profile pictures
//!        realtime  — log tailer, per-user streams ─────┘  (reads the log; asks chat)
//!        chat      — conversations, messages, reads, blocks, attachment rows: rules and
//!                    authorization
//!        accounts  — users, roles, profiles
//!        auth      — passwords, sessions, tokens, CSRF, rate limits
//!               ▼  one transaction: the change + its event rows
//!        eventlog  — the append-only log: kinds, positions, the one writer
//!        entities, db, config, error — SeaORM entities, connection, settings, errors
//! ```
//!
//! Imports only run down this list: `web` may use everything below it; `attachments` uses
//! `chat` (to announce a processed image), `realtime` (to ring for it) and `accounts` (to
//! name a profile picture); `realtime` uses `chat`, `accounts`, `auth` and `eventlog`;
//! `chat` uses `accounts`; nothing below `realtime` imports it. [`app`] sits on top and
//! wires it together (shared by `main` and the tests); [`cli`] is the `confab` command
//! above it all: `serve` (the default), `migrate`, and the operator's `user` and `token`
//! commands.

pub mod accounts;
pub mod app;
pub mod attachments;
pub mod auth;
pub mod chat;
pub mod cli;
pub mod config;
pub mod connections;
pub mod db;
pub mod db_errors;
pub mod entities;
pub mod error;
pub mod eventlog;
pub mod realtime;
pub mod telemetry;
pub mod web;
