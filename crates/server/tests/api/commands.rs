//! The binary's commands for people without the desktop app: resetting an admin's password,
//! and staying online as an operator from a terminal.

use crate::support::*;
use reqwest::StatusCode;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn frontdesk(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
        .args(args)
        .output()
        .expect("run frontdesk-server")
}

fn printed_password(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .unwrap_or_else(|| panic!("no password printed: {stdout}"))
        .trim()
        .to_owned()
}

#[tokio::test]
async fn a_lost_admin_password_is_reset_from_the_command_line() {
    let server = Server::start(&[]);
    let api = server.api();
    let old = api.admin(&server).await;
    let storage = storage_args(&server.data);
    let reset = |email: &str| {
        let mut args = vec!["admin", "reset-password", email];
        args.extend(storage.iter().map(String::as_str));
        frontdesk(&args)
    };

    // While the server runs: a new one-time password; the old password and sessions stop working.
    let out = reset(ADMIN_EMAIL);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let password = printed_password(&out);
    assert_ne!(Some(&password), server.admin_password.as_ref());
    assert_eq!(
        api.get("/api/me", &old.token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = api
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(serde_json::json!({"email": ADMIN_EMAIL, "password": server.admin_password})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    api.login(ADMIN_EMAIL, &password).await;

    // An unknown email creates a new admin.
    let out = reset("boss@example.com");
    assert!(out.status.success());
    let boss = api.login("boss@example.com", &printed_password(&out)).await;
    let (_, me) = api.get("/api/me", &boss.token).await;
    assert_eq!(me["role"], "admin");

    // A malformed email is refused with a message, and nothing is created.
    let out = reset("not an email");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("email"));
}

#[tokio::test]
async fn an_operator_stays_online_with_the_shipped_command() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
        .args([
            "operator",
            "online",
            "--server",
            &server.base,
            "--token",
            &admin.token,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, online) = api.get("/api/operators/online", &admin.token).await;
        if online
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == admin.id.as_str())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the command never put the operator online"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // With it running, a visitor's request for a person goes to Unassigned, not offline.
    let v = api.visitor(None).await;
    assert_eq!(api.ask_for_person(&v).await["state"], "waiting");
    let _ = child.kill();
    let _ = child.wait();
}
