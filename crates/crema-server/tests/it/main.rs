//! The server's black-box tests. Each test starts its own crema on a free port of 127.0.0.1
//! with a fresh database and talks to it over real HTTP and WebSockets.
//!
//! They are one test binary, not one per file: each binary links all of crema-server, about
//! 200 MB with debug info, and 23 of them filled 4.6 GB and 23 links in CI. `observability.rs`
//! stays a binary of its own because it counts process-wide metrics exactly.

mod common;
mod kb;
mod rt;

mod accounts_surfaces;
mod api_cafes;
mod api_content;
mod api_errors;
mod api_images;
mod api_menu;
mod api_orders;
mod api_reports;
mod availability;
mod concurrency;
mod hardening_http;
mod hardening_realtime;
mod invitations;
mod kaffebase_catalog;
mod kaffebase_content;
mod kaffebase_http;
mod kaffebase_import;
mod kaffebase_orders;
mod kaffebase_realtime;
mod kaffebase_session;
mod order_lines;
mod pairing;
mod realtime_protocol;
mod realtime_replay;
mod realtime_sse;
mod same_refusal;
mod security;
mod web_customer;
mod web_pages;
