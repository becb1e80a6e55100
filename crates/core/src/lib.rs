//! frontdesk-core: the rules of Frontdesk, with no IO.
//!
//! - [`ids`]: typed identifiers.
//! - [`conversation`]: the conversation lifecycle as a pure state machine, and what
//!   each transition emits (messages, folder changes) to which audience.
//! - [`visibility`]: who may see which conversation — the one place that decides it.
//! - [`inbox`]: which folder a visible conversation is in, and its row's preview.
//! - [`playbook`]: chatbot playbooks — the card graph, its validation and the engine.
//! - [`crm`]: sales details and records — who may edit and create, checks, CSV safety.
//! - [`templates`]: ready-made playbooks; [`i18n`]: bot-side texts in English and German.
//!
//! Time is passed in as unix milliseconds; nothing here reads a clock, a socket or a disk.

pub mod conversation;
pub mod crm;
pub mod i18n;
pub mod ids;
pub mod inbox;
pub mod playbook;
pub mod preview;
pub mod templates;
pub mod visibility;

pub use conversation::*;
pub use i18n::Language;
pub use ids::*;
pub use inbox::{folder_of, Folder};
pub use visibility::*;
