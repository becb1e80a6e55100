//! Sign-in throttling (brute force): failed logins per account and per address get a clear 429
//! with a retry time; an operator signing in from an address they used before is not locked
//! out by someone guessing elsewhere.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// An API client whose connections come from `ip` (any 127.x address reaches the server).
fn from(server: &Server, ip: &str) -> Api {
    let mut api = server.api();
    api.http = reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    api
}

async fn login(api: &Api, email: &str, password: &str) -> (StatusCode, Value, Option<u64>) {
    let resp = api
        .http
        .post(format!("{}/api/auth/login", api.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|h| h.to_str().unwrap().parse().unwrap());
    (status, resp.json().await.unwrap(), retry_after)
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled_per_account_but_not_for_known_addresses() {
    let server = Server::start(&[]);
    let password = server.admin_password.clone().unwrap();
    let office = from(&server, "127.0.0.2");
    let attacker = from(&server, "127.0.0.3");
    let stranger = from(&server, "127.0.0.4");
    // The admin signed in from the office before.
    assert_eq!(
        login(&office, ADMIN_EMAIL, &password).await.0,
        StatusCode::OK
    );

    let mut throttled = None;
    for i in 0..30 {
        let (status, body, retry_after) =
            login(&attacker, ADMIN_EMAIL, &format!("guess {i}")).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some((i, body, retry_after));
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (after, body, retry_after) = throttled.expect("guessing is throttled");
    assert!(after <= 10, "throttled only after {after} wrong passwords");
    assert_eq!(body["code"], "too_many_login_attempts", "{body}");
    let secs = retry_after.expect("a Retry-After header");
    assert!((1..=60).contains(&secs), "retry after {secs} s");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{secs} second")),
        "{body}"
    );
    // Throttled means not even checked: the right password from the attacker's address is refused too.
    assert_eq!(
        login(&attacker, ADMIN_EMAIL, &password).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // An address that never signed in to this account waits as well …
    assert_eq!(
        login(&stranger, ADMIN_EMAIL, &password).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // … but the operator at their usual address is not locked out.
    assert_eq!(
        login(&office, ADMIN_EMAIL, &password).await.0,
        StatusCode::OK
    );
    // The lock is short: after the retry time the account accepts its password again.
    tokio::time::sleep(Duration::from_secs(secs)).await;
    assert_eq!(
        login(&stranger, ADMIN_EMAIL, &password).await.0,
        StatusCode::OK
    );
    // Failures are logged (without the password).
    let log = std::fs::read_to_string(server.data.join("server.log")).unwrap();
    assert!(log.contains("sign-in failed"), "failed sign-ins are logged");
    assert!(log.contains("sign-in throttled"));
    assert!(!log.contains("guess 3"), "passwords never reach the log");
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_throttled() {
    let server = Server::start(&[]);
    let attacker = from(&server, "127.0.0.5");
    let mut throttled = None;
    for i in 0..60 {
        let (status, body, retry_after) =
            login(&attacker, &format!("user{i}@example.com"), "password1").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some((i, body, retry_after));
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (after, body, retry_after) =
        throttled.expect("an address trying many accounts is throttled");
    assert!(after <= 30, "throttled only after {after} failures");
    assert_eq!(body["code"], "too_many_login_attempts");
    assert!(retry_after.is_some());
    // Another address is not affected.
    let password = server.admin_password.clone().unwrap();
    assert_eq!(
        login(&from(&server, "127.0.0.6"), ADMIN_EMAIL, &password)
            .await
            .0,
        StatusCode::OK
    );
}
