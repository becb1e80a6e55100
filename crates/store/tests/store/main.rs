//! The store's conformance suite: each story runs on SQLite and on PostgreSQL (see
//! `harness.rs` for how PostgreSQL is started), plus the event-order test with several
//! PostgreSQL pools writing at once.

mod harness;
mod stories;
