//! The IPC layer on Tauri's mock runtime (no window, no display): commands reach the engine,
//! and every failure — the engine's, or arguments the command cannot read — is one
//! `{code, message}` shape.

use frontdesk_client::Engine;
use frontdesk_desktop::shell::Shell;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

struct App {
    _app: tauri::App<tauri::test::MockRuntime>,
    webview: tauri::WebviewWindow<tauri::test::MockRuntime>,
    _data: tempfile::TempDir,
}

async fn app() -> App {
    app_with_window("main").await
}

/// The app with its real configuration (capabilities, CSP) on the mock runtime, and one
/// window labelled `label`.
async fn app_with_window(label: &str) -> App {
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).await.expect("engine");
    let app = mock_builder()
        .manage(engine)
        .manage(Shell::new(Some("http://127.0.0.1:9".into()), false))
        .invoke_handler(frontdesk_desktop::handler())
        .build(tauri::generate_context!(test = true))
        .expect("mock app");
    let webview = WebviewWindowBuilder::new(&app, label, Default::default())
        .build()
        .expect("mock window");
    App {
        _app: app,
        webview,
        _data: data,
    }
}

fn invoke(app: &App, cmd: &str, body: Value) -> Result<Value, Value> {
    get_ipc_response(
        &app.webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

fn assert_error_shape(e: &Value, code: &str) {
    assert_eq!(e["code"], code, "{e}");
    assert!(
        e["message"].as_str().is_some_and(|m| m.len() > 10),
        "a message for people: {e}"
    );
    assert_eq!(
        e.as_object().unwrap().len(),
        2,
        "only code and message: {e}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_app_is_signed_out_with_the_preselected_server() {
    let app = app().await;
    let s = invoke(&app, "session", json!({})).unwrap();
    assert_eq!(s["signed_in"], false);
    assert_eq!(s["server_url"], "http://127.0.0.1:9");
    assert_eq!(
        invoke(&app, "notifications_available", json!({})).unwrap(),
        false
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn engine_errors_and_unreadable_arguments_share_one_shape() {
    let app = app().await;
    // Nobody listens on port 9: the engine says the server cannot be reached.
    let e = invoke(
        &app,
        "sign_in",
        json!({"args": {"server_url": "http://127.0.0.1:9", "email": "a@b.c", "password": "x"}}),
    )
    .unwrap_err();
    assert_error_shape(&e, "unreachable");
    // Arguments the command cannot read, or none at all.
    let e = invoke(
        &app,
        "assign",
        json!({"args": {"conversation_id": "not a uuid"}}),
    )
    .unwrap_err();
    assert_error_shape(&e, "invalid_args");
    let e = invoke(&app, "assign", json!({})).unwrap_err();
    assert_error_shape(&e, "invalid_args");
    // Signed out, a command that needs a session says so.
    let e = invoke(
        &app,
        "assign",
        json!({"args": {"conversation_id": uuid::Uuid::new_v4()}}),
    )
    .unwrap_err();
    assert!(e["code"].is_string() && e["message"].is_string(), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_answers_without_a_server() {
    let app = app().await;
    let page = invoke(
        &app,
        "list_folder",
        json!({"args": {"folder": "closed", "limit": 50, "before": null}}),
    )
    .unwrap();
    assert_eq!(page["rows"], json!([]));
    let hits = invoke(
        &app,
        "search",
        json!({"args": {"query": "billing", "limit": 20}}),
    )
    .unwrap();
    assert_eq!(hits["hits"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_without_the_capability_may_call_nothing() {
    // Least privilege: the app's commands are granted to the main window only.
    let app = app_with_window("elsewhere").await;
    let e = invoke(&app, "session", json!({})).unwrap_err();
    assert!(
        e.as_str().is_some_and(|m| m.contains("not allowed")),
        "refused by the capability: {e}"
    );
}
