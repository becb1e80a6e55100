//! Forwards the engine's events to the window (same names and payloads as
//! ui/src/backend/types.ts), and acts on the few the shell itself handles: the tray follows
//! presence, notifications are shown from here (so they arrive while the window is hidden),
//! and the B4 question brings the window up.

use crate::notify;
use crate::tray::{show_window, TrayMenu};
use frontdesk_client::types::EngineEvent;
use frontdesk_client::{Engine, EngineError};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

pub fn spawn(app: AppHandle, tray: TrayMenu) {
    let mut events = app.state::<Engine>().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(e) => e,
                // Fell behind: nothing is lost for the UI, which reloads on the next change.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            };
            let _ = app.emit(event.name(), event.payload());
            match &event {
                EngineEvent::Presence(p) => tray.show(&app, p),
                EngineEvent::Notification(n) => notify::show(&app, n),
                EngineEvent::OfflineWithOpenChats(_) => show_window(&app),
                EngineEvent::SessionEnded(_) => tray.show(&app, &Default::default()),
                _ => {}
            }
        }
    });
}

/// An error of a tray action, shown in the window (the tray has no place for text).
pub fn show_error(app: &AppHandle, e: &EngineError) {
    show_window(app);
    let _ = app.emit("error", e);
}
