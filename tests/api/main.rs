//! Confab's integration tests: one binary, the real server on a random port, a fresh
//! PostgreSQL database per test (dropped afterwards).

mod helpers;

mod access_api;
mod accounts;
mod admin;
mod bad_input;
mod bad_input_api;
mod blocks_hold;
mod browser;
mod chat_pages;
mod cli;
mod connections;
mod contract;
mod database_away;
mod doorbell;
mod event_log;
mod event_schemas;
mod group_pages;
mod hardening;
mod invites;
mod limits;
mod live;
mod loadgen;
mod login_limits;
mod message_pages;
mod messages_api;
mod observability;
mod ops;
mod page_access;
mod page_stream;
mod pages;
mod private_pg;
mod reactions_reads_api;
mod redaction;
mod revocation;
mod route_table;
mod search_api;
mod search_pages;
mod security;
mod sending;
mod stream_access;
mod streams;
mod threads_api;
mod tokens;
mod unread_summaries;
