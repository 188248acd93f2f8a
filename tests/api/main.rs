//! Confab's integration tests: one binary, the real server on a random port, a fresh
//! PostgreSQL database per test (dropped afterwards).

mod helpers;

mod accounts;
mod admin;
mod blocks_hold;
mod browser;
mod chat_api;
mod chat_pages;
mod event_log;
mod limits;
mod live;
mod loadgen;
mod ops;
mod page_stream;
mod pages;
mod redaction;
mod route_table;
mod security;
mod sending;
mod stream_access;
mod streams;
mod tokens;
