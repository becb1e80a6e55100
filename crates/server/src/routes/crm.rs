//! Sales records over REST: a conversation's editable details (S12), creating leads and deals
//! (S13, S14), retrying a push, the audit trail (B10), the admin's Pipedrive connection (B8)
//! and the CSV export.
//!
//! Visibility first (a conversation an operator may not see answers 404); who may edit is
//! `frontdesk_core::crm::may_edit_details`, applied by the store inside the write.

use crate::auth::{AdminSession, OperatorSession};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::routes::conversations::visible;
use crate::{now_ms, pipedrive, AppState};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use frontdesk_core::crm::{self as rules, SalesDetails};
use frontdesk_core::{ConversationId, Rejection};
use frontdesk_protocol::*;
use frontdesk_store::{Editor, ExportRow, NewResult, StoreError};
use uuid::Uuid;

fn editor(me: &OperatorSession) -> Editor {
    Editor {
        operator: me.id,
        role: me.role,
        name: me.display_name.clone(),
    }
}

/// Store errors of sales writes: the lifecycle's refusals, 403 for a closed conversation
/// someone else handled.
fn sales_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound | StoreError::Rejected(Rejection::NotVisible) => {
            ApiError::conversation_not_found()
        }
        StoreError::Rejected(Rejection::NotAssigned) => {
            ApiError::conflict("not_assigned", rules::NOT_ASSIGNED_MESSAGE)
        }
        StoreError::Forbidden(m) => ApiError::forbidden("not_handler", m),
        StoreError::Conflict(m) => ApiError::conflict("idempotency_key_taken", m),
        other => other.into(),
    }
}

fn invalid(e: rules::Invalid) -> ApiError {
    let status = if e.too_long {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ApiError::new(status, e.code(), e.message)
}

/// Replace the conversation's editable details (S12): deal value and currency, contact,
/// organization, notes. The assignee while it is open (any operator in offline mode); once
/// closed, the operator who handled it last or an admin. Each change is a `details_changed`
/// event and an audit entry.
#[utoipa::path(put, path = "/api/conversations/{id}/details", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = UpdateDetailsRequest,
    responses((status = 200, body = SalesDetailsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_details(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateDetailsRequest>,
) -> Result<Json<SalesDetailsView>, ApiError> {
    let c = visible(&state, me.id, id).await?;
    let details = rules::normalize(SalesDetails::from(req)).map_err(invalid)?;
    let view = state
        .store
        .update_sales_details(c.id, editor(&me), details, now_ms())
        .await
        .map_err(sales_error)?;
    Ok(Json(view))
}

/// Create a lead or a deal from the conversation's details (S13), also once it is closed
/// (S14): the person is found by email (or as this visitor's) or created, the organization
/// by name; the transcript becomes a note. Answered 201, or 200 with the first result when
/// the idempotency key was used before.
#[utoipa::path(post, path = "/api/conversations/{id}/results", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = CreateResultRequest,
    responses((status = 201, body = CreatedResultView), (status = 200, body = CreatedResultView, description = "Created before with this key"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_result(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CreateResultRequest>,
) -> Result<(StatusCode, Json<CreatedResultView>), ApiError> {
    let c = visible(&state, me.id, id).await?;
    if req.kind == ResultKind::Activity {
        return Err(ApiError::unprocessable(
            "unsupported_kind",
            "Operators create leads and deals; activities come from a playbook's follow-up cards.",
        ));
    }
    if let Some(t) = &req.title {
        let n = t.chars().count();
        if n > rules::MAX_TEXT_CHARS {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "text_too_long",
                format!(
                    "The title has {n} characters; the limit is {}.",
                    rules::MAX_TEXT_CHARS
                ),
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(ApiError::unprocessable(
                "invalid_details",
                "The title contains control characters.",
            ));
        }
    }
    let new = NewResult {
        kind: req.kind,
        idempotency_key: req.idempotency_key,
        title: req.title,
    };
    let (result, existed) = state
        .store
        .create_result(c.id, editor(&me), new, now_ms())
        .await
        .map_err(sales_error)?;
    state.crm_wake.notify_one();
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(result)))
}

/// Push a failed (or Frontdesk-only) result to Pipedrive again. Whoever may edit the
/// conversation's details may retry.
#[utoipa::path(post, path = "/api/conversations/{id}/results/{result_id}/retry", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id"), ("result_id" = Uuid, Path, description = "Created result id")),
    responses((status = 200, body = CreatedResultView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry_push(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath((id, result_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<CreatedResultView>, ApiError> {
    let c = visible(&state, me.id, id).await?;
    let not_found = || ApiError::not_found("result_not_found", "No such created result.");
    match state.store.result(result_id).await {
        Ok(r) if r.conversation_id == c.id.0 => {}
        Ok(_) | Err(StoreError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    }
    if pipedrive::load(&state).await?.is_none() {
        return Err(ApiError::conflict(
            "crm_not_configured",
            "No Pipedrive connection is configured; an admin sets it up first.",
        ));
    }
    let r = state
        .store
        .retry_push(result_id, editor(&me), now_ms())
        .await
        .map_err(sales_error)?;
    state.crm_wake.notify_one();
    Ok(Json(r))
}

/// The conversation's audit trail (B10): who assigned, reassigned, closed, changed the
/// details, created results, when.
#[utoipa::path(get, path = "/api/conversations/{id}/audit", tag = "sales", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = Vec<AuditEntry>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    me: OperatorSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let c = visible(&state, me.id, id).await?;
    Ok(Json(state.store.audit(ConversationId(c.id.0)).await?))
}

async fn settings_view(state: &AppState) -> Result<PipedriveSettingsView, ApiError> {
    let s = pipedrive::load(state).await?;
    let mut pending = 0;
    let mut failed = 0;
    for kind in [ResultKind::Lead, ResultKind::Deal, ResultKind::Activity] {
        for row in state.store.export_results(kind).await? {
            match row.result.sync.status {
                SyncStatus::Pending => pending += 1,
                SyncStatus::Failed => failed += 1,
                _ => {}
            }
        }
    }
    Ok(PipedriveSettingsView {
        configured: s.is_some(),
        company_domain: s.map(|s| s.company_domain),
        pending,
        failed,
    })
}

/// The Pipedrive connection (admins): whether it is configured, the company domain, and how
/// many results wait or failed. The token is never shown.
#[utoipa::path(get, path = "/api/admin/crm/pipedrive", tag = "sales", security(("bearer" = [])),
    responses((status = 200, body = PipedriveSettingsView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_pipedrive(
    State(state): State<AppState>,
    _admin: AdminSession,
) -> Result<Json<PipedriveSettingsView>, ApiError> {
    Ok(Json(settings_view(&state).await?))
}

/// Set the Pipedrive connection (admins). From now on, created results are pushed.
#[utoipa::path(put, path = "/api/admin/crm/pipedrive", tag = "sales", security(("bearer" = [])),
    request_body = PipedriveSettingsRequest,
    responses((status = 200, body = PipedriveSettingsView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_pipedrive(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiJson(req): ApiJson<PipedriveSettingsRequest>,
) -> Result<Json<PipedriveSettingsView>, ApiError> {
    let domain = req.company_domain.trim().to_lowercase();
    if !pipedrive::valid_domain(&domain) {
        return Err(ApiError::unprocessable(
            "invalid_domain",
            "The company domain is the `acme` of https://acme.pipedrive.com: letters, digits and hyphens.",
        ));
    }
    let token = req.api_token.trim().to_owned();
    if token.is_empty() || token.len() > 200 || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::unprocessable(
            "invalid_token",
            "The API token is the one shown under Personal preferences → API in Pipedrive.",
        ));
    }
    pipedrive::save(
        &state,
        Some(pipedrive::Settings {
            company_domain: domain,
            api_token: token,
        }),
    )
    .await?;
    Ok(Json(settings_view(&state).await?))
}

/// Remove the Pipedrive connection (admins). Pending results wait until one is set again.
#[utoipa::path(delete, path = "/api/admin/crm/pipedrive", tag = "sales", security(("bearer" = [])),
    responses((status = 200, body = PipedriveSettingsView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn delete_pipedrive(
    State(state): State<AppState>,
    _admin: AdminSession,
) -> Result<Json<PipedriveSettingsView>, ApiError> {
    pipedrive::save(&state, None).await?;
    Ok(Json(settings_view(&state).await?))
}

fn csv(rows: Vec<ExportRow>, filename: &str) -> Response {
    let mut out = rules::csv_line([
        "id",
        "title",
        "value",
        "currency",
        "stage",
        "person",
        "emails",
        "phones",
        "organization",
        "source",
        "converted_url",
        "owner",
        "created_at",
        "conversation_id",
        "sync_status",
        "pipedrive_url",
    ]);
    for r in rows {
        let x = &r.result;
        let status = match x.sync.status {
            SyncStatus::Local => "local",
            SyncStatus::Pending => "pending",
            SyncStatus::Synced => "synced",
            SyncStatus::Failed => "failed",
        };
        out.push_str(&rules::csv_line([
            x.id.to_string(),
            x.title.clone(),
            x.value.map(|v| v.to_string()).unwrap_or_default(),
            x.currency.clone().unwrap_or_default(),
            x.stage.clone().unwrap_or_default(),
            r.person_name.clone().unwrap_or_default(),
            r.person_emails.join("; "),
            r.person_phones.join("; "),
            r.organization_name.clone().unwrap_or_default(),
            x.source.clone(),
            x.converted_url.clone().unwrap_or_default(),
            x.created_by_name.clone().unwrap_or_default(),
            x.created_at.to_string(),
            x.conversation_id.to_string(),
            status.to_owned(),
            x.sync.url.clone().unwrap_or_default(),
        ]));
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        out,
    )
        .into_response()
}

/// Every lead as CSV (admins). Cells a spreadsheet would read as formulas are prefixed
/// with `'`.
#[utoipa::path(get, path = "/api/admin/export/leads.csv", tag = "sales", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export_leads(
    State(state): State<AppState>,
    _admin: AdminSession,
) -> Result<Response, ApiError> {
    let rows = state.store.export_results(ResultKind::Lead).await?;
    Ok(csv(rows, "leads.csv"))
}

/// Every deal as CSV (admins), spreadsheet-safe like the leads.
#[utoipa::path(get, path = "/api/admin/export/deals.csv", tag = "sales", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export_deals(
    State(state): State<AppState>,
    _admin: AdminSession,
) -> Result<Response, ApiError> {
    let rows = state.store.export_results(ResultKind::Deal).await?;
    Ok(csv(rows, "deals.csv"))
}
