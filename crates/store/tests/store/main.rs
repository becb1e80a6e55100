//! The store's conformance suite: each story runs on SQLite and on PostgreSQL (see
//! `harness.rs` for how PostgreSQL is started), plus several PostgreSQL pools standing in for
//! server nodes: event order under concurrent writers, a claim race; and moving a SQLite
//! database to PostgreSQL.

mod harness;
mod moving;
mod several_nodes;
mod stories;
