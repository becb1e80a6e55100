//! An admin's set-up commands (playbooks, preview, install, operators): each hands its
//! `args` to the engine (frontdesk_client::admin), like commands.rs.

use crate::commands::parse;
use frontdesk_client::admin::*;
use frontdesk_client::{Engine, EngineError};
use frontdesk_protocol::{
    DefinitionBody, NewOperatorRequest, NewPlaybook, OperatorView, PlaybookPreview, PlaybookView,
    PreviewRequest, SnippetView, TemplateView, ValidationReport,
};
use serde_json::Value;
use tauri::State;

type Result<T> = std::result::Result<T, EngineError>;

#[tauri::command]
pub async fn playbooks(engine: State<'_, Engine>) -> Result<Vec<PlaybookView>> {
    engine.playbooks().await
}

#[tauri::command]
pub async fn playbook_templates(engine: State<'_, Engine>) -> Result<Vec<TemplateView>> {
    engine.playbook_templates().await
}

#[tauri::command]
pub async fn create_playbook(
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<PlaybookView> {
    engine.create_playbook(&parse::<NewPlaybook>(args)?).await
}

#[tauri::command]
pub async fn playbook(engine: State<'_, Engine>, args: Option<Value>) -> Result<PlaybookView> {
    engine.playbook(parse::<PlaybookArgs>(args)?.id).await
}

#[tauri::command]
pub async fn save_playbook(engine: State<'_, Engine>, args: Option<Value>) -> Result<PlaybookView> {
    engine.save_playbook(parse(args)?).await
}

#[tauri::command]
pub async fn validate_playbook(
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<ValidationReport> {
    engine
        .validate_playbook(&parse::<DefinitionBody>(args)?)
        .await
}

#[tauri::command]
pub async fn preview_playbook(
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<PlaybookPreview> {
    engine
        .preview_playbook(&parse::<PreviewRequest>(args)?)
        .await
}

#[tauri::command]
pub async fn set_playbook_active(
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<PlaybookView> {
    engine.set_playbook_active(parse(args)?).await
}

#[tauri::command]
pub async fn set_playbook_origins(
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<PlaybookView> {
    engine.set_playbook_origins(parse(args)?).await
}

#[tauri::command]
pub async fn playbook_snippet(
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<SnippetView> {
    engine
        .playbook_snippet(parse::<PlaybookArgs>(args)?.id)
        .await
}

/// Opens the demo site running an active playbook, in the default browser. The window names
/// the playbook, not an address.
#[tauri::command]
pub async fn open_demo_page<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<()> {
    let url = engine
        .demo_page_url(parse::<PlaybookArgs>(args)?.id)
        .await?;
    crate::commands::open_in_browser(&app, &url)
}

#[tauri::command]
pub async fn operators(engine: State<'_, Engine>) -> Result<Vec<OperatorView>> {
    engine.operators().await
}

#[tauri::command]
pub async fn create_operator(
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<OperatorView> {
    engine
        .create_operator(&parse::<NewOperatorRequest>(args)?)
        .await
}

#[tauri::command]
pub async fn disable_operator(
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<OperatorView> {
    engine
        .disable_operator(parse::<OperatorArgs>(args)?.id)
        .await
}
