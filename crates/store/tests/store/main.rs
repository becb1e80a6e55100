//! The store's conformance suite: each story runs on SQLite and on PostgreSQL (see
//! `harness.rs` for how PostgreSQL is started), plus several PostgreSQL pools standing in for
//! server nodes: event order under concurrent writers, a claim race.

mod harness;
mod several_nodes;
mod stories;
