//! An empty Tauri 2 window with a tray icon and a four-item menu: what the desktop app's
//! memory is compared with (bench/desktop-app.sh builds and measures both the same way).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;

fn main() {
    tauri::Builder::default()
        .setup(|app| {
            let items = ["Show", "Online", "Offline", "Quit"]
                .iter()
                .map(|label| MenuItem::with_id(app, *label, *label, true, None::<&str>))
                .collect::<tauri::Result<Vec<_>>>()?;
            let refs: Vec<&dyn tauri::menu::IsMenuItem<_>> = items
                .iter()
                .map(|i| i as &dyn tauri::menu::IsMenuItem<_>)
                .collect();
            TrayIconBuilder::new()
                .icon(Image::from_bytes(include_bytes!(
                    "../../../icons/tray-offline.png"
                ))?)
                .menu(&Menu::with_items(app, &refs)?)
                .build(app)?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the empty window could not start");
}
