//! Sign-in, device sessions, operator accounts and presence.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// A name for this device in the operator's list of sessions, e.g. "Desktop on ann-laptop".
    #[serde(default)]
    #[ts(optional = nullable)]
    pub device: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …` (or `access_token=` on the stream).
    pub token: String,
    /// When the session ends if it is not used; every use moves this forward (sliding expiry).
    pub expires_at: i64,
    /// This device session's id (to find it in `GET /api/me/sessions`).
    pub session_id: Uuid,
    pub operator: OperatorView,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum RoleView {
    Admin,
    Operator,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct OperatorView {
    pub id: Uuid,
    pub display_name: String,
    pub email: String,
    pub role: RoleView,
    pub disabled: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct NewOperatorRequest {
    pub display_name: String,
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    pub role: RoleView,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Choose online or offline (S7). The choice belongs to the operator, not to a device: every
/// device of theirs shows the same, and it survives a server restart.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct PresenceRequest {
    /// Whether the operator wants to receive chats.
    pub online: bool,
    /// When going offline: what to do with the open conversations assigned to you (B4).
    /// Without it they stay assigned to you, and `holding` in the answer lists them.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub handover: Option<Handover>,
}

/// Where an operator's open conversations go when they go offline (B4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Handover {
    /// Back to Unassigned (or offline mode when nobody else is online).
    Unassigned,
    /// To a colleague who is online.
    Operator { operator_id: Uuid },
}

/// An operator's own presence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct PresenceView {
    /// What the operator chose.
    pub chose_online: bool,
    /// Chose online and holds a live realtime connection (or is within the grace period).
    pub online: bool,
    /// Open conversations assigned to this operator (to offer a handover before going offline).
    pub holding: Vec<Uuid>,
}

/// One operator's presence, as every operator's stream shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct OperatorPresence {
    pub operator_id: Uuid,
    pub display_name: String,
    pub chose_online: bool,
    /// Whether chats can be routed to them now (chose online and connected).
    pub online: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct OnlineOperator {
    pub id: Uuid,
    pub display_name: String,
}

/// A signed-in device (one bearer token).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
pub struct DeviceSession {
    pub id: Uuid,
    /// The name the device gave when signing in.
    pub device: Option<String>,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    /// The session of the token that asked.
    pub current: bool,
}
