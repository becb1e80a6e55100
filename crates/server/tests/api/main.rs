//! End-to-end tests: each starts the real `frontdesk-server` binary on `127.0.0.1:0` with a
//! fresh database and drives it over real HTTP and WebSockets. The database is SQLite, or
//! PostgreSQL with `FRONTDESK_TEST_BACKEND=postgres`; `cluster` runs several nodes on one
//! PostgreSQL database whatever the backend.

mod access;
mod bad_input;
mod client_model;
mod cluster;
mod commands;
mod concurrency;
mod durability;
mod events;
mod folders;
mod lifecycle;
mod liveness;
mod login_throttle;
mod messages;
mod openapi;
mod pipedrive;
mod pipedrive_fake;
mod playbook_editing;
mod playbooks;
mod presence;
mod resume;
mod sales;
mod sessions;
mod support;
mod sync;
mod walk;
