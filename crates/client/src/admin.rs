//! Setting up live chat from the app (S1–S3, S6): playbooks, their live preview, where they
//! are installed, and operator accounts. Admins only; the server checks it again.
//!
//! Unlike conversations, none of this is cached or queued: an admin's change either reaches
//! the server now or fails with the reason (`offline` when it cannot be reached), and the
//! editor keeps the unsaved draft (ui/src/admin/draft.ts) so nothing is lost meanwhile.

use crate::engine::{needs_server, Engine};
use crate::error::{EngineError, Result};
use frontdesk_protocol::{
    DefinitionBody, NewOperatorRequest, NewPlaybook, OperatorView, OriginsBody, PlaybookPreview,
    PlaybookView, PreviewRequest, RoleView, SnippetView, TemplateView, UpdatePlaybookRequest,
    ValidationReport,
};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// One playbook.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct PlaybookArgs {
    pub id: Uuid,
}

/// Saves a new version of a playbook, from the version the editor started with.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct SavePlaybookArgs {
    pub id: Uuid,
    #[ts(type = "unknown")]
    pub definition: serde_json::Value,
    pub base_version: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct SetPlaybookActiveArgs {
    pub id: Uuid,
    pub active: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct SetOriginsArgs {
    pub id: Uuid,
    pub origins: Vec<String>,
}

/// One operator account.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct OperatorArgs {
    pub id: Uuid,
}

impl Engine {
    /// An admin request to the server, refused here already for operators.
    async fn admin<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T> {
        let s = self.signed()?;
        if s.operator.role != RoleView::Admin {
            return Err(EngineError::new(
                "admin_only",
                "Only admins can set up live chat. Ask an admin of your team.",
            ));
        }
        Ok(s.api
            .call(method, path, body)
            .await
            .map_err(needs_server)?
            .1)
    }

    pub async fn playbooks(&self) -> Result<Vec<PlaybookView>> {
        self.admin(Method::GET, "/api/playbooks", None::<&()>).await
    }

    pub async fn playbook_templates(&self) -> Result<Vec<TemplateView>> {
        self.admin(Method::GET, "/api/playbook-templates", None::<&()>)
            .await
    }

    pub async fn create_playbook(&self, req: &NewPlaybook) -> Result<PlaybookView> {
        self.admin(Method::POST, "/api/playbooks", Some(req)).await
    }

    pub async fn playbook(&self, id: Uuid) -> Result<PlaybookView> {
        self.admin(Method::GET, &format!("/api/playbooks/{id}"), None::<&()>)
            .await
    }

    /// 409 `version_conflict` when someone else saved since `base_version`.
    pub async fn save_playbook(&self, args: SavePlaybookArgs) -> Result<PlaybookView> {
        let body = UpdatePlaybookRequest {
            definition: args.definition,
            base_version: Some(args.base_version),
        };
        let path = format!("/api/playbooks/{}", args.id);
        self.admin(Method::PUT, &path, Some(&body)).await
    }

    /// The server's validation is the one source of truth; the editor shows its problems.
    pub async fn validate_playbook(&self, req: &DefinitionBody) -> Result<ValidationReport> {
        self.admin(Method::POST, "/api/playbooks/validate", Some(req))
            .await
    }

    pub async fn preview_playbook(&self, req: &PreviewRequest) -> Result<PlaybookPreview> {
        self.admin(Method::POST, "/api/playbooks/preview", Some(req))
            .await
    }

    pub async fn set_playbook_active(&self, args: SetPlaybookActiveArgs) -> Result<PlaybookView> {
        let verb = if args.active {
            "activate"
        } else {
            "deactivate"
        };
        let path = format!("/api/playbooks/{}/{verb}", args.id);
        self.admin(Method::POST, &path, None::<&()>).await
    }

    pub async fn set_playbook_origins(&self, args: SetOriginsArgs) -> Result<PlaybookView> {
        let path = format!("/api/playbooks/{}/origins", args.id);
        let body = OriginsBody {
            origins: args.origins,
        };
        self.admin(Method::PUT, &path, Some(&body)).await
    }

    pub async fn playbook_snippet(&self, id: Uuid) -> Result<SnippetView> {
        let path = format!("/api/playbooks/{id}/snippet");
        self.admin(Method::GET, &path, None::<&()>).await
    }

    /// The demo site running playbook `id` (which must be active), for "Try on the demo page".
    pub async fn demo_page_url(&self, id: Uuid) -> Result<String> {
        let p = self.playbook(id).await?;
        if !p.active {
            return Err(EngineError::new(
                "playbook_inactive",
                "Activate the playbook first: the demo page runs only active playbooks.",
            ));
        }
        Ok(format!("{}/demo?playbook={id}", self.signed()?.api.base()))
    }

    pub async fn operators(&self) -> Result<Vec<OperatorView>> {
        self.admin(Method::GET, "/api/operators", None::<&()>).await
    }

    pub async fn create_operator(&self, req: &NewOperatorRequest) -> Result<OperatorView> {
        self.admin(Method::POST, "/api/operators", Some(req)).await
    }

    /// Their sessions end at once and their open chats go back to Unassigned.
    pub async fn disable_operator(&self, id: Uuid) -> Result<OperatorView> {
        let path = format!("/api/operators/{id}/disable");
        self.admin(Method::POST, &path, None::<&()>).await
    }
}
