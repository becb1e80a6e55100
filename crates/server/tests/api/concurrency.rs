//! Race-proof claim (B3): many operators press "Assign to me" at the same moment.

use crate::support::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn fifty_concurrent_assigns_have_exactly_one_winner() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let operators = join_all((0..50).map(|i| {
        let (api, admin) = (api.clone(), admin.clone());
        async move { api.operator(&admin, &format!("Op{i}")).await }
    }))
    .await;
    let _ws = api.go_online(&operators[0]).await;

    for round in 0..3 {
        let v = api.visitor(None).await;
        let id = api.ask_for_person(&v).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let results = join_all(operators.iter().map(|op| {
            let api = api.clone();
            let path = format!("/api/conversations/{id}/assign");
            async move { (op.id.clone(), api.post(&path, &op.token, json!({})).await) }
        }))
        .await;
        let winners: Vec<_> = results
            .iter()
            .filter(|(_, (s, _))| *s == StatusCode::OK)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {} winners", winners.len());
        for (_, (status, body)) in results.iter().filter(|(_, (s, _))| *s != StatusCode::OK) {
            assert_eq!(
                (*status, body["code"].as_str()),
                (StatusCode::CONFLICT, Some("already_assigned")),
                "{body}"
            );
        }
        let winner = &winners[0].0;
        for op in &operators {
            let mine = api.folder(op, "mine").await;
            assert_eq!(
                mine.contains(&id),
                &op.id == winner,
                "round {round}: {} sees it in mine",
                op.name
            );
        }
    }
}

#[tokio::test]
async fn a_visitor_has_one_open_conversation_however_often_they_ask() {
    let server = Server::start(&[]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let _ws = api.go_online(&admin).await;
    let v = api.visitor(None).await;
    let ids = join_all((0..20).map(|_| {
        let (api, v) = (api.clone(), v.clone());
        async move {
            api.ask_for_person(&v).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    }))
    .await;
    assert!(
        ids.iter().all(|i| i == &ids[0]),
        "one conversation: {ids:?}"
    );
    assert_eq!(api.folder(&admin, "unassigned").await.len(), 1);
}
