//! frontdesk-desktop: the operator app's Tauri shell. Wiring only — the logic (sync, cache,
//! outbox, notifications' rules) is the `frontdesk-client` engine; the screens are `ui/`.
//!
//! - [`commands`]: one IPC command per engine call, `{code, message}` errors;
//! - [`events`]: engine events to the window, the tray and the OS notifications;
//! - [`tray`]: the tray icon and menu (D4); [`notify`]: OS notifications (S15, D3);
//! - [`shell`]: the command line and the shell's own small state.

pub mod admin;
pub mod commands;
pub mod events;
pub mod notify;
pub mod shell;
pub mod tray;

use frontdesk_client::{default_data_dir, Engine};
use shell::{Args, Shell};
use tauri::{Manager, RunEvent, WindowEvent};

/// The command handler, shared by the app and the IPC tests.
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static
{
    tauri::generate_handler![
        commands::session,
        commands::sign_in,
        commands::sign_out,
        commands::sync_state,
        commands::list_folder,
        commands::folder_counts,
        commands::open_conversation,
        commands::mark_read,
        commands::save_draft,
        commands::send_message,
        commands::retry_message,
        commands::discard_message,
        commands::assign,
        commands::reassign,
        commands::close,
        commands::presence,
        commands::set_presence,
        commands::online_operators,
        commands::typing,
        commands::search,
        commands::server_time_offset,
        commands::notifications_available,
        commands::update_details,
        commands::create_result,
        commands::retry_result_push,
        commands::retry_sales_action,
        commands::discard_sales_action,
        commands::open_result_link,
        commands::set_language,
        admin::playbooks,
        admin::playbook_templates,
        admin::create_playbook,
        admin::playbook,
        admin::save_playbook,
        admin::validate_playbook,
        admin::preview_playbook,
        admin::set_playbook_active,
        admin::set_playbook_origins,
        admin::playbook_snippet,
        admin::open_demo_page,
        admin::operators,
        admin::create_operator,
        admin::disable_operator,
    ]
}

/// Opens the engine (cache, token, sync) before the app is built, so every command finds it.
pub async fn open_engine() -> Result<Engine, frontdesk_client::EngineError> {
    Engine::open(default_data_dir()).await
}

pub fn run() {
    let args = Args::parse(std::env::args(), std::env::var("FRONTDESK_SERVER").ok());
    let shell = Shell::new(args.server.clone(), notify::available());
    let engine = match tauri::async_runtime::block_on(open_engine()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("frontdesk-desktop: {} ({})", e.message, e.code);
            std::process::exit(1);
        }
    };
    let hidden = args.hidden;
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        // Used from Rust only (a synced result's CRM page); the window gets no opener permission.
        .plugin(tauri_plugin_opener::init())
        .manage(engine)
        .manage(shell)
        .invoke_handler(handler())
        .setup(move |app| {
            let handle = app.handle().clone();
            notify::init(&handle);
            let tray = tray::build(&handle)?;
            events::spawn(handle.clone(), tray);
            if hidden {
                if let Some(w) = app.get_webview_window("main") {
                    w.hide()?;
                }
            }
            Ok(())
        })
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished
                && !webview.state::<Shell>().notifications_available()
            {
                // Said once the page listens; later attempts say it again.
                let app = webview.app_handle().clone();
                tauri::async_runtime::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                    notify::unavailable(&app);
                });
            }
        })
        .on_window_event(|window, event| {
            // Closing the window keeps the app in the tray; Quit is in the tray's menu.
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .build(tauri::generate_context!())
        .expect("the desktop app could not start");
    app.run(|_app, event| {
        // The last window hidden is not a reason to exit: only Quit (exit code set) is.
        if let RunEvent::ExitRequested {
            api, code: None, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}
