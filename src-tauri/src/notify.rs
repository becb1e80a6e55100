//! OS notifications (S15, D3): shown from the Rust side for the engine's notification events
//! (the engine decides which events notify, coalesces bursts and skips my own actions and
//! catch-up replays); a click opens that conversation.

use crate::shell::Shell;
use crate::tray::show_window;
use frontdesk_client::types::Notification;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::{NotificationExt, PermissionState};

/// Whether the system can show notifications at all. On Linux that needs a notification
/// server on the session bus; without one, showing "succeeds" and nothing appears.
pub fn available() -> bool {
    #[cfg(target_os = "linux")]
    {
        notify_rust::get_server_information().is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// Asks for permission on first access and routes clicks to the conversation.
pub fn init(app: &AppHandle) {
    let n = app.notification();
    if !matches!(n.permission_state(), Ok(PermissionState::Granted)) {
        let _ = n.request_permission();
    }
    let handle = app.clone();
    // Registered before the first notification: earlier ones could not report clicks.
    let _ = n.on_action(move |action| {
        let Some(id) = action.notification().map(|n| n.id()) else {
            return;
        };
        if let Some(conversation_id) = handle.state::<Shell>().conversation_of(id) {
            show_window(&handle);
            let _ = handle.emit(
                "open_conversation",
                serde_json::json!({ "conversation_id": conversation_id }),
            );
        }
    });
}

pub fn show(app: &AppHandle, n: &Notification) {
    let shell = app.state::<Shell>();
    if !shell.notifications_available() {
        unavailable(app);
        return;
    }
    let id = shell.remember(n.conversation_id);
    let shown = app
        .notification()
        .builder()
        .id(id)
        .title(&n.title)
        .body(&n.body)
        .show();
    if shown.is_err() {
        unavailable(app);
    }
}

/// Tells the window that notifications cannot be shown, and what to do.
pub fn unavailable(app: &AppHandle) {
    let _ = app.emit(
        "notifications_unavailable",
        serde_json::json!({
            "message": "This computer shows no notifications: no notification service is running. New chats still appear here; start your desktop's notification service to be told while the window is hidden."
        }),
    );
}
