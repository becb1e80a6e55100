//! Sales records: a conversation's editable details (S12), the leads, deals and activities
//! created from it (S13, S14), their push to Pipedrive (B8), the audit trail (B10) and the
//! admin's Pipedrive connection.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

/// The contact (person) of a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct ContactDetails {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub phones: Vec<String>,
}

/// The organization of a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct OrganizationDetails {
    #[serde(default)]
    pub name: Option<String>,
    /// One line, as typed.
    #[serde(default)]
    pub address: Option<String>,
}

/// What an operator edits in the Details panel (S12). Until the first edit it is what the
/// playbook captured. `PUT` replaces all of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct SalesDetailsView {
    /// Deal value in whole units of `currency` (0 – 10^12).
    #[serde(default)]
    pub value: Option<i64>,
    /// ISO 4217 code such as `EUR`; required with a value.
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub contact: ContactDetails,
    #[serde(default)]
    pub organization: OrganizationDetails,
    /// The operator's notes (at most 10,000 characters).
    #[serde(default)]
    pub notes: Option<String>,
    /// The last edit (absent while nobody edited: the playbook's captures).
    #[serde(default)]
    pub updated_at: Option<i64>,
    #[serde(default)]
    pub updated_by_name: Option<String>,
}

/// `PUT /api/conversations/{id}/details`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct UpdateDetailsRequest {
    #[serde(default)]
    #[ts(optional = nullable)]
    pub value: Option<i64>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub currency: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub contact: Option<ContactDetails>,
    #[serde(default)]
    #[ts(optional)]
    pub organization: Option<OrganizationDetails>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub notes: Option<String>,
}

/// What is created from a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    Lead,
    Deal,
    /// Only from a playbook's follow-up card.
    Activity,
}

impl ResultKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultKind::Lead => "lead",
            ResultKind::Deal => "deal",
            ResultKind::Activity => "activity",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "lead" => Some(ResultKind::Lead),
            "deal" => Some(ResultKind::Deal),
            "activity" => Some(ResultKind::Activity),
            _ => None,
        }
    }
}

/// `POST /api/conversations/{id}/results`: create a lead or a deal from the details (S13).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct CreateResultRequest {
    /// `lead` or `deal`.
    pub kind: ResultKind,
    /// Chosen by the client: the same key again (a double click, a retried request) returns
    /// the result created the first time.
    pub idempotency_key: Uuid,
    /// Default: the organization's or the contact's name, then "Live chat lead".
    #[serde(default)]
    #[ts(optional = nullable)]
    pub title: Option<String>,
}

/// Where a created result stands with Pipedrive (B8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// No CRM connection was configured when it was created: it lives in Frontdesk only.
    Local,
    /// Waiting in the push queue (also while retrying after a rate limit or a server error).
    Pending,
    /// In Pipedrive; `url` links to it.
    Synced,
    /// Given up; `error` says why. `POST …/retry` queues it again.
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct SyncView {
    pub status: SyncStatus,
    /// The record in Pipedrive (synced).
    pub url: Option<String>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub attempts: i64,
    /// When the next attempt is due (pending).
    pub next_attempt_at: Option<i64>,
}

/// A lead, deal or activity created from a conversation ("Created results", S13).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct CreatedResultView {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub kind: ResultKind,
    pub title: String,
    pub value: Option<i64>,
    pub currency: Option<String>,
    /// The person and organization it is linked to.
    pub person_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    /// `Live chat` (an operator created it) or `Chatbot` (a playbook's follow-up card).
    pub source: String,
    /// The page where the chat converted (B7).
    pub converted_url: Option<String>,
    /// Deals: the stage in the default pipeline.
    pub stage: Option<String>,
    pub created_at: i64,
    /// The operator who created it (absent for the bot).
    pub created_by: Option<Uuid>,
    pub created_by_name: Option<String>,
    pub sync: SyncView,
}

/// One line of the audit trail (B10): who did what to a conversation, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: crate::ActorView,
    /// `assigned`, `reassigned`, `closed`, `released`, `details_changed`, `lead_created`,
    /// `deal_created`, `activity_created`, `push_retried`.
    pub action: String,
    /// The fields that changed (`details_changed`).
    pub fields: Vec<String>,
    /// The created result it is about, if any.
    pub result_id: Option<Uuid>,
    /// That result's title, or the operator a conversation was assigned to.
    pub note: Option<String>,
}

/// `PUT /api/admin/crm/pipedrive`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct PipedriveSettingsRequest {
    /// The company's subdomain: `acme` for `https://acme.pipedrive.com`.
    pub company_domain: String,
    /// A Pipedrive API token. Stored encrypted; never shown again.
    pub api_token: String,
}

/// The Pipedrive connection as an admin sees it (the token is never shown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
pub struct PipedriveSettingsView {
    pub configured: bool,
    pub company_domain: Option<String>,
    /// Created results per sync status.
    pub pending: i64,
    pub failed: i64,
}

impl From<&frontdesk_core::crm::SalesDetails> for SalesDetailsView {
    /// The view of stored details, without who edited them last.
    fn from(d: &frontdesk_core::crm::SalesDetails) -> Self {
        SalesDetailsView {
            value: d.value,
            currency: d.currency.clone(),
            contact: ContactDetails {
                name: d.contact_name.clone(),
                emails: d.emails.clone(),
                phones: d.phones.clone(),
            },
            organization: OrganizationDetails {
                name: d.organization_name.clone(),
                address: d.organization_address.clone(),
            },
            notes: d.notes.clone(),
            updated_at: None,
            updated_by_name: None,
        }
    }
}

impl From<SalesDetailsView> for frontdesk_core::crm::SalesDetails {
    fn from(v: SalesDetailsView) -> Self {
        frontdesk_core::crm::SalesDetails {
            value: v.value,
            currency: v.currency,
            contact_name: v.contact.name,
            emails: v.contact.emails,
            phones: v.contact.phones,
            organization_name: v.organization.name,
            organization_address: v.organization.address,
            notes: v.notes,
        }
    }
}

impl From<UpdateDetailsRequest> for frontdesk_core::crm::SalesDetails {
    /// What the request asks to store, before [`frontdesk_core::crm::normalize`] checks it.
    fn from(r: UpdateDetailsRequest) -> Self {
        let contact = r.contact.unwrap_or_default();
        let org = r.organization.unwrap_or_default();
        frontdesk_core::crm::SalesDetails {
            value: r.value,
            currency: r.currency,
            contact_name: contact.name,
            emails: contact.emails,
            phones: contact.phones,
            organization_name: org.name,
            organization_address: org.address,
            notes: r.notes,
        }
    }
}
