//! Confab: a self-hosted team chat server (see `DESIGN.md`, mirrored here in brief).
//!
//! ```text
//! browser page ─┐ htmx form posts / GET pages          ┌─ SSE /events (HTML fragments)
//! API client ───┤ JSON /api/* (cookie or Bearer)       ├─ SSE /api/chat/sse (JSON)
//!               ▼                                      │
//!        web      — routes, extractors, templates, the one error renderer
//!               ▼
//!        accounts, chat — domain rules and authorization; no axum types
//!               ▼  one transaction: the change + its event rows
//!        PostgreSQL via SeaORM (entities) ── doorbell ──► realtime tailer ──► streams
//! ```
//!
//! - [`app`] builds the server (shared by `main` and the tests) and runs it until shutdown.
//! - [`config`] is the typed configuration, passed as a value.
//! - [`auth`] is passwords, sessions, tokens, CSRF and rate limits.
//! - [`web`] is the HTTP surface: one route table in [`web::router`].

pub mod accounts;
pub mod app;
pub mod auth;
pub mod chat;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod eventlog;
pub mod realtime;
pub mod telemetry;
pub mod web;
