// Declares the app's own commands, so that each needs an explicit permission in
// capabilities/ (without this list every command is open to every window).
const COMMANDS: &[&str] = &[
    "session",
    "sign_in",
    "sign_out",
    "sync_state",
    "list_folder",
    "folder_counts",
    "open_conversation",
    "mark_read",
    "save_draft",
    "send_message",
    "retry_message",
    "discard_message",
    "assign",
    "reassign",
    "close",
    "presence",
    "set_presence",
    "online_operators",
    "typing",
    "search",
    "server_time_offset",
    "notifications_available",
    "update_details",
    "create_result",
    "retry_result_push",
    "retry_sales_action",
    "discard_sales_action",
    "open_result_link",
    "set_language",
    // an admin's set-up (the server refuses operators too)
    "playbooks",
    "playbook_templates",
    "create_playbook",
    "playbook",
    "save_playbook",
    "validate_playbook",
    "preview_playbook",
    "set_playbook_active",
    "set_playbook_origins",
    "playbook_snippet",
    "open_demo_page",
    "operators",
    "create_operator",
    "disable_operator",
];

fn main() {
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
