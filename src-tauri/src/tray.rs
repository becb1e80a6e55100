//! The system tray (D4): an icon that shows online or offline, and a menu with "Show inbox",
//! "Go online", "Go offline" and "Quit". The menu and the icon follow the engine's presence
//! events, so they always agree with the window's toggle — also when presence changes
//! elsewhere (another device, a dropped connection).

use frontdesk_client::types::{OpenChatsChoice, Presence};
use frontdesk_client::Engine;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime, Wry};

pub const TRAY_ID: &str = "main";
const ICON_ONLINE: &[u8] = include_bytes!("../../icons/tray-online.png");
const ICON_OFFLINE: &[u8] = include_bytes!("../../icons/tray-offline.png");

/// The menu items whose state changes with presence.
pub struct TrayMenu {
    go_online: MenuItem<Wry>,
    go_offline: MenuItem<Wry>,
}

pub fn build(app: &AppHandle) -> tauri::Result<TrayMenu> {
    // Linux trays open the menu on every click: "Show inbox" comes first.
    let show = MenuItem::with_id(app, "show", "Show inbox", true, None::<&str>)?;
    let go_online = MenuItem::with_id(app, "go_online", "Go online", true, None::<&str>)?;
    let go_offline = MenuItem::with_id(app, "go_offline", "Go offline", false, None::<&str>)?;
    let quit_item = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[&show, &go_online, &go_offline, &separator, &quit_item],
    )?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(ICON_OFFLINE)?)
        .tooltip("Frontdesk — offline")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "show" => show_window(app),
            "go_online" => set_presence(app, true),
            "go_offline" => set_presence(app, false),
            "quit" => quit(app),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            // Windows and macOS report clicks on the icon (Linux trays do not).
            if let tauri::tray::TrayIconEvent::Click {
                button: tauri::tray::MouseButton::Left,
                button_state: tauri::tray::MouseButtonState::Up,
                ..
            } = event
            {
                show_window(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(TrayMenu {
        go_online,
        go_offline,
    })
}

impl TrayMenu {
    /// Shows `presence` in the icon, its label and the menu.
    pub fn show(&self, app: &AppHandle, presence: &Presence) {
        let _ = self.go_online.set_enabled(!presence.chose_online);
        let _ = self.go_offline.set_enabled(presence.chose_online);
        if let Some(tray) = app.tray_by_id(TRAY_ID) {
            let icon = if presence.online {
                ICON_ONLINE
            } else {
                ICON_OFFLINE
            };
            if let Ok(img) = Image::from_bytes(icon) {
                let _ = tray.set_icon(Some(img));
            }
            let label = match (presence.chose_online, presence.online) {
                (true, true) => "Frontdesk — online",
                (true, false) => "Frontdesk — online once connected",
                _ => "Frontdesk — offline",
            };
            let _ = tray.set_tooltip(Some(label));
            // Linux shows no tooltip: a short label beside the icon instead.
            #[cfg(target_os = "linux")]
            let _ = tray.set_title(Some(if presence.online { "Online" } else { "Offline" }));
        }
    }
}

pub fn show_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// The tray's toggle goes through the engine like the window's: going offline while holding
/// open conversations changes nothing yet and brings up the window's question (B4).
fn set_presence(app: &AppHandle, online: bool) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let engine = app.state::<Engine>();
        if let Err(e) = engine.set_presence(online, None).await {
            crate::events::show_error(&app, &e);
        }
    });
}

/// Quit goes offline first and hands open conversations back, so no visitor waits on an app
/// that is gone; then the engine stops and the app exits.
fn quit(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let engine = app.state::<Engine>();
        if engine.session().await.is_ok_and(|s| s.signed_in) {
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(3),
                engine.set_presence(false, Some(OpenChatsChoice::Release)),
            )
            .await;
        }
        engine.shutdown().await;
        app.exit(0);
    });
}
