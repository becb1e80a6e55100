//! Playbook administration (S1, S6): admins only; operators get 403 `admin_only`.

use crate::auth::AdminSession;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::{now_ms, AppState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use frontdesk_core::playbook::{AnswerError, Playbook};
use frontdesk_core::preview::{PreviewAction, PreviewAuthor, PreviewState, Situation};
use frontdesk_core::templates::{template, TEMPLATES};
use frontdesk_core::Language;
use frontdesk_protocol::*;
use frontdesk_store::{PlaybookRecord, StoreError};
use uuid::Uuid;

pub fn view(p: &PlaybookRecord) -> PlaybookView {
    PlaybookView {
        id: p.id,
        version: p.version,
        active: p.active,
        allowed_origins: p.allowed_origins.clone(),
        definition: serde_json::to_value(&p.definition).unwrap_or_default(),
        updated_at: p.updated_at,
    }
}

/// Parses and validates a definition; all problems in one clear message.
fn parse(definition: serde_json::Value) -> Result<Playbook, ApiError> {
    let p: Playbook = serde_json::from_value(definition).map_err(|e| {
        ApiError::unprocessable(
            "invalid_playbook",
            format!("The playbook is not well-formed: {e}"),
        )
    })?;
    p.validate().map_err(|errors| {
        let list: Vec<String> = errors
            .iter()
            .map(|e| match &e.card {
                Some(c) => format!("card `{c}`: {}", e.message),
                None => e.message.clone(),
            })
            .collect();
        ApiError::unprocessable(
            "invalid_playbook",
            format!(
                "The playbook has {} problem(s): {}",
                list.len(),
                list.join("; ")
            ),
        )
    })?;
    Ok(p)
}

fn not_found(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => {
            ApiError::not_found("playbook_not_found", "No playbook with this id.")
        }
        other => other.into(),
    }
}

/// The templates a playbook can start from (S1).
#[utoipa::path(get, path = "/api/playbook-templates", tag = "playbooks", security(("bearer" = [])),
    responses((status = 200, body = Vec<TemplateView>), (status = 403, body = ErrorBody)))]
pub async fn templates(_admin: AdminSession) -> Json<Vec<TemplateView>> {
    Json(
        TEMPLATES
            .iter()
            .map(|(key, name)| TemplateView {
                key: (*key).into(),
                name: (*name).into(),
            })
            .collect(),
    )
}

/// All playbooks.
#[utoipa::path(get, path = "/api/playbooks", tag = "playbooks", security(("bearer" = [])),
    responses((status = 200, body = Vec<PlaybookView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminSession,
) -> Result<Json<Vec<PlaybookView>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_playbooks()
            .await?
            .iter()
            .map(view)
            .collect(),
    ))
}

/// Create a playbook (inactive until activated).
#[utoipa::path(post, path = "/api/playbooks", tag = "playbooks", security(("bearer" = [])), request_body = NewPlaybook,
    responses((status = 201, body = PlaybookView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiJson(req): ApiJson<NewPlaybook>,
) -> Result<(StatusCode, Json<PlaybookView>), ApiError> {
    let definition = match (req.definition, req.template) {
        (Some(d), None) => parse(d)?,
        (None, Some(key)) => {
            let lang = match req.language.as_deref() {
                None => Language::En,
                Some(tag) => Language::from_tag(tag).ok_or_else(|| {
                    ApiError::unprocessable("invalid_field", "`language` must be `en` or `de`.")
                })?,
            };
            template(&key, lang).ok_or_else(|| {
                ApiError::unprocessable(
                    "unknown_template",
                    format!("There is no template `{key}`."),
                )
            })?
        }
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_body",
                "Send either `definition` or `template`.",
            ))
        }
    };
    let record = state
        .store
        .create_playbook(Uuid::now_v7(), definition, false, now_ms())
        .await?;
    Ok((StatusCode::CREATED, Json(view(&record))))
}

/// Check a definition without saving it.
#[utoipa::path(post, path = "/api/playbooks/validate", tag = "playbooks", security(("bearer" = [])), request_body = DefinitionBody,
    responses((status = 200, body = ValidationReport), (status = 403, body = ErrorBody)))]
pub async fn validate(
    _admin: AdminSession,
    ApiJson(req): ApiJson<DefinitionBody>,
) -> Json<ValidationReport> {
    let errors = match serde_json::from_value::<Playbook>(req.definition) {
        Err(e) => vec![ValidationProblem {
            card: None,
            message: format!("not well-formed: {e}"),
        }],
        Ok(p) => p
            .validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| ValidationProblem {
                card: e.card,
                message: e.message,
            })
            .collect(),
    };
    Json(ValidationReport {
        valid: errors.is_empty(),
        errors,
    })
}

/// One playbook.
#[utoipa::path(get, path = "/api/playbooks/{id}", tag = "playbooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Playbook id")),
    responses((status = 200, body = PlaybookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PlaybookView>, ApiError> {
    Ok(Json(view(
        &state.store.playbook(id).await.map_err(not_found)?,
    )))
}

/// Save a new version. Conversations already running keep the version they started with.
/// With `base_version`, a save from an outdated version is refused (409 `version_conflict`).
#[utoipa::path(put, path = "/api/playbooks/{id}", tag = "playbooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Playbook id")), request_body = UpdatePlaybookRequest,
    responses((status = 200, body = PlaybookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdatePlaybookRequest>,
) -> Result<Json<PlaybookView>, ApiError> {
    let definition = parse(req.definition)?;
    Ok(Json(view(
        &state
            .store
            .update_playbook(id, definition, req.base_version, now_ms())
            .await
            .map_err(not_found)?,
    )))
}

/// Activate: the widget may now run it.
#[utoipa::path(post, path = "/api/playbooks/{id}/activate", tag = "playbooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Playbook id")),
    responses((status = 200, body = PlaybookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn activate(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PlaybookView>, ApiError> {
    Ok(Json(view(
        &state
            .store
            .set_playbook_active(id, true, now_ms())
            .await
            .map_err(not_found)?,
    )))
}

/// Deactivate: new visitors can no longer start it; running conversations go on.
#[utoipa::path(post, path = "/api/playbooks/{id}/deactivate", tag = "playbooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Playbook id")),
    responses((status = 200, body = PlaybookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn deactivate(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PlaybookView>, ApiError> {
    Ok(Json(view(
        &state
            .store
            .set_playbook_active(id, false, now_ms())
            .await
            .map_err(not_found)?,
    )))
}

/// Checks `https://host[:port]` (or `http://`), lowercased, without path.
fn check_origin(o: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::unprocessable(
            "invalid_origin",
            format!("`{o}` is not a site address like https://www.example.com (no path)."),
        )
    };
    let lower = o.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, host) = lower.split_once("://").ok_or_else(bad)?;
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if !matches!(scheme, "http" | "https") || !host_ok {
        return Err(bad());
    }
    Ok(lower)
}

/// Set the sites where the widget may run (besides this server's own pages).
#[utoipa::path(put, path = "/api/playbooks/{id}/origins", tag = "playbooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Playbook id")), request_body = OriginsBody,
    responses((status = 200, body = PlaybookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_origins(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<OriginsBody>,
) -> Result<Json<PlaybookView>, ApiError> {
    if req.origins.len() > 50 {
        return Err(ApiError::unprocessable(
            "invalid_origin",
            "At most 50 sites per playbook.",
        ));
    }
    let origins = req
        .origins
        .iter()
        .map(|o| check_origin(o))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(view(
        &state
            .store
            .set_playbook_origins(id, origins, now_ms())
            .await
            .map_err(not_found)?,
    )))
}

/// The base address visitors' browsers reach this server at.
pub fn public_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

/// The install snippet (S6): a config object, a queue stub and an async loader.
pub fn install_snippet(server: &str, playbook: Uuid) -> String {
    format!(
        r#"<script>
  window.frontdeskConfig = {{ server: "{server}", playbookId: "{playbook}" }};
  (function (w, d) {{
    if (w.Frontdesk) return;
    var q = [];
    w.Frontdesk = {{
      q: q,
      on: function (name, handler) {{ q.push(["on", name, handler]); }},
      trigger: function (name) {{ q.push(["trigger", name]); }}
    }};
    var s = d.createElement("script");
    s.async = true;
    s.src = w.frontdeskConfig.server + "/widget.js";
    d.head.appendChild(s);
  }})(window, document);
</script>"#
    )
}

/// The snippet to paste into a website.
#[utoipa::path(get, path = "/api/playbooks/{id}/snippet", tag = "playbooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Playbook id")),
    responses((status = 200, body = SnippetView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn snippet(
    State(state): State<AppState>,
    _admin: AdminSession,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SnippetView>, ApiError> {
    let p = state.store.playbook(id).await.map_err(not_found)?;
    Ok(Json(SnippetView {
        snippet: install_snippet(&public_url(&state, &headers), p.id),
    }))
}

/// One step of the live preview of a definition (saved or not): what a visitor would see.
/// Nothing is stored and no conversation is created; the bot's path and the livechat handoff
/// come from the same rules as a real chat's.
#[utoipa::path(post, path = "/api/playbooks/preview", tag = "playbooks", security(("bearer" = [])), request_body = PreviewRequest,
    responses((status = 200, body = PlaybookPreview), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    _admin: AdminSession,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> Result<Json<PlaybookPreview>, ApiError> {
    let pb = parse(req.definition)?;
    let action = match req.action {
        PreviewActionBody::Start => PreviewAction::Start,
        PreviewActionBody::Answer {
            card_id,
            choice,
            text,
        } => PreviewAction::Answer {
            card: card_id,
            input: super::visitors::answer_input(choice, text)?,
        },
        PreviewActionBody::WaitExpired { card_id } => PreviewAction::WaitExpired { card: card_id },
    };
    let situation = Situation {
        anyone_online: req.anyone_online,
        offline_mode: req.offline_mode,
        // As for real chats: the server's wait time, when set, wins over the card's.
        wait_override_secs: state
            .config
            .wait_time_secs
            .map(|s| u32::try_from(s).unwrap_or(u32::MAX)),
    };
    let step = frontdesk_core::preview::preview(&pb, &action, situation).map_err(|e| match e {
        AnswerError::Invalid(m) => ApiError::unprocessable("invalid_answer", m),
        AnswerError::NotAwaiting => ApiError::conflict(
            "stale_card",
            "The bot is not waiting at this card in the previewed chat; start the preview again.",
        ),
    })?;
    let bot_name = pb.appearance.bot_name.clone();
    let (state, wait_secs, livechat_card, qualified) = match step.state {
        PreviewState::Bot => ("bot", None, None, None),
        PreviewState::Waiting { card, wait_secs } => ("waiting", Some(wait_secs), Some(card), None),
        PreviewState::Offline => ("offline", None, None, None),
        PreviewState::Closed { qualified } => ("closed", None, None, qualified),
    };
    Ok(Json(PlaybookPreview {
        widget: super::widget::widget_config(Uuid::nil(), &pb),
        messages: step
            .lines
            .into_iter()
            .map(|(author, body)| match author {
                PreviewAuthor::Bot => PreviewMessage {
                    author: AuthorKind::Bot,
                    author_name: bot_name.clone(),
                    body,
                },
                PreviewAuthor::System => PreviewMessage {
                    author: AuthorKind::System,
                    author_name: frontdesk_core::SYSTEM_AUTHOR_NAME.into(),
                    body,
                },
            })
            .collect(),
        prompt: step
            .prompt
            .map(|(card, spec)| Prompt::from_spec(&card, spec)),
        state: state.into(),
        wait_secs,
        livechat_card,
        qualified,
        captured: step
            .captured
            .into_iter()
            .map(|(key, value)| FieldValue { key, value })
            .collect(),
        follow_ups: step
            .follow_ups
            .into_iter()
            .map(|f| PreviewFollowUp {
                kind: f.kind.as_str().into(),
                title: f.title,
            })
            .collect(),
    }))
}
