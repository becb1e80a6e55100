//! End-to-end tests: each starts the real `frontdesk-server` binary on `127.0.0.1:0` with a
//! fresh SQLite directory and drives it over real HTTP and WebSockets.

mod access;
mod bad_input;
mod client_model;
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
mod playbooks;
mod presence;
mod resume;
mod sales;
mod sessions;
mod support;
mod sync;
mod walk;
