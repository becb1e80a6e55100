//! The IPC commands: each one hands its `args` to the engine and returns its answer. Every
//! failure reaches the UI as the engine's `{code, message}`.
//!
//! Argument convention (ui/src/backend/tauri.ts): a command with input takes exactly one
//! parameter named `args`, with snake_case fields, so Tauri's camelCase renaming of
//! parameter names never applies.

use crate::shell::Shell;
use frontdesk_client::types::*;
use frontdesk_client::{Engine, EngineError};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tauri::State;

type Result<T> = std::result::Result<T, EngineError>;

/// Reads a command's `args`. Taking them as JSON and reading them here (rather than letting
/// Tauri do it) keeps malformed input on the one `{code, message}` error path.
pub(crate) fn parse<T: DeserializeOwned>(args: Option<Value>) -> Result<T> {
    serde_json::from_value(args.unwrap_or(Value::Null)).map_err(|e| {
        EngineError::new(
            "invalid_args",
            format!("The app sent a request this version does not understand: {e}"),
        )
    })
}

#[tauri::command]
pub async fn session(engine: State<'_, Engine>, shell: State<'_, Shell>) -> Result<Session> {
    let mut s = engine.session().await?;
    // `--server URL` / FRONTDESK_SERVER preselects the server on the sign-in screen.
    if s.server_url.is_none() {
        s.server_url = shell.preselected_server.clone();
    }
    Ok(s)
}

#[tauri::command]
pub async fn sign_in(engine: State<'_, Engine>, args: Option<Value>) -> Result<Session> {
    let args: SignInArgs = parse(args)?;
    engine
        .sign_in(&args.server_url, &args.email, &args.password)
        .await
}

#[tauri::command]
pub async fn sign_out(engine: State<'_, Engine>) -> Result<()> {
    engine.sign_out().await
}

#[tauri::command]
pub fn sync_state(engine: State<'_, Engine>) -> SyncState {
    engine.sync_state()
}

#[tauri::command]
pub async fn list_folder(
    engine: State<'_, Engine>,
    shell: State<'_, Shell>,
    args: Option<Value>,
) -> Result<FolderPage> {
    let args: ListFolderArgs = parse(args)?;
    let page = engine
        .list_folder(args.folder, args.limit, args.before)
        .await?;
    shell.inbox_listed();
    Ok(page)
}

#[tauri::command]
pub async fn folder_counts(engine: State<'_, Engine>) -> Result<FolderCounts> {
    engine.folder_counts().await
}

#[tauri::command]
pub async fn open_conversation(
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<ConversationDetail> {
    let args: ConversationArgs = parse(args)?;
    engine.open_conversation(args.conversation_id).await
}

#[tauri::command]
pub async fn mark_read(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: ConversationArgs = parse(args)?;
    engine.mark_read(args.conversation_id).await
}

#[tauri::command]
pub async fn save_draft(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: DraftArgs = parse(args)?;
    engine.save_draft(args.conversation_id, &args.body).await
}

#[tauri::command]
pub async fn send_message(engine: State<'_, Engine>, args: Option<Value>) -> Result<Message> {
    let args: SendMessageArgs = parse(args)?;
    engine.send_message(args.conversation_id, &args.body).await
}

#[tauri::command]
pub async fn retry_message(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: MessageArgs = parse(args)?;
    engine.retry_message(args.message_id).await
}

#[tauri::command]
pub async fn discard_message(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: MessageArgs = parse(args)?;
    engine.discard_message(args.message_id).await
}

#[tauri::command]
pub async fn assign(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: ConversationArgs = parse(args)?;
    engine.assign(args.conversation_id).await
}

#[tauri::command]
pub async fn reassign(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: ReassignArgs = parse(args)?;
    engine
        .reassign(args.conversation_id, args.operator_id)
        .await
}

#[tauri::command]
pub async fn close(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: ConversationArgs = parse(args)?;
    engine.close(args.conversation_id).await
}

#[tauri::command]
pub async fn presence(engine: State<'_, Engine>) -> Result<Presence> {
    engine.presence().await
}

#[tauri::command]
pub async fn set_presence(engine: State<'_, Engine>, args: Option<Value>) -> Result<Presence> {
    let args: SetPresenceArgs = parse(args)?;
    engine.set_presence(args.online, args.open_chats).await
}

#[tauri::command]
pub async fn online_operators(engine: State<'_, Engine>) -> Result<Vec<OnlineOperator>> {
    engine.online_operators().await
}

#[tauri::command]
pub async fn typing(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: ConversationArgs = parse(args)?;
    engine.typing(args.conversation_id).await
}

#[tauri::command]
pub async fn search(engine: State<'_, Engine>, args: Option<Value>) -> Result<SearchResult> {
    let args: SearchArgs = parse(args)?;
    engine.search(&args.query, args.limit).await
}

#[tauri::command]
pub fn server_time_offset(engine: State<'_, Engine>) -> i64 {
    engine.server_time_offset()
}

/// Notifications are shown by the Rust side (they must arrive while the window is hidden);
/// this tells the UI whether the system can show them at all.
#[tauri::command]
pub fn notifications_available(shell: State<'_, Shell>) -> bool {
    shell.notifications_available()
}

#[tauri::command]
pub async fn update_details(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: UpdateDetailsArgs = parse(args)?;
    engine
        .update_details(args.conversation_id, args.details)
        .await
}

#[tauri::command]
pub async fn create_result(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: CreateResultArgs = parse(args)?;
    engine.create_result(args.conversation_id, args.kind).await
}

#[tauri::command]
pub async fn retry_result_push(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: ResultArgs = parse(args)?;
    engine
        .retry_result_push(args.conversation_id, args.result_id)
        .await
}

#[tauri::command]
pub async fn retry_sales_action(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: SalesActionArgs = parse(args)?;
    engine.retry_sales_action(args.action_id).await
}

#[tauri::command]
pub async fn discard_sales_action(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: SalesActionArgs = parse(args)?;
    engine.discard_sales_action(args.action_id).await
}

/// Opens a synced result in the CRM, in the default browser. The window names the result,
/// not an address: it cannot make the app open anything else.
#[tauri::command]
pub async fn open_result_link<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: State<'_, Engine>,
    args: Option<Value>,
) -> Result<()> {
    let args: ResultArgs = parse(args)?;
    let url = engine
        .result_link(args.conversation_id, args.result_id)
        .await?;
    open_in_browser(&app, &url)
}

/// Opens an address the engine produced (never one from the window) in the default browser.
pub(crate) fn open_in_browser<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    url: &str,
) -> Result<()> {
    use tauri::Manager;
    let opener = app
        .try_state::<tauri_plugin_opener::Opener<R>>()
        .ok_or_else(|| EngineError::new("cannot_open", "This build cannot open links."))?;
    opener.open_url(url, None::<&str>).map_err(|e| {
        EngineError::new(
            "cannot_open",
            format!("No browser could open {url} ({e}). Copy the address into a browser yourself."),
        )
    })
}

/// The language the operator chose in the window; OS notifications follow it.
#[tauri::command]
pub fn set_language(engine: State<'_, Engine>, args: Option<Value>) -> Result<()> {
    let args: SetLanguageArgs = parse(args)?;
    engine.set_language(&args.lang);
    Ok(())
}
