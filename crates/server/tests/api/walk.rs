//! Random lifecycle histories over the real API: visitors ask for a person and write,
//! operators assign, reassign, close, write and go offline with a handover. Refusals (a
//! lost race, a closed conversation) are part of the walk; every answer must be a 2xx or a
//! clear 404/409.

use crate::support::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// A random generator seeded from `var` if set, else at random; the seed is printed so a
/// failure can be replayed.
pub fn seeded(var: &str) -> (u64, StdRng) {
    let seed: u64 = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("{var}={seed}");
    (seed, StdRng::seed_from_u64(seed))
}

/// A server for random walks: no visitor rate limits, wait times that do not expire during
/// a test, and three operators — the admin, Ann and Bob. Those named in `online` choose
/// online and keep a stream open, read in the background.
pub async fn start(online: &[&str]) -> (Server, World, Vec<tokio::task::JoinHandle<()>>) {
    let server = Server::start(&[
        "--visitor-rate-per-address",
        "0",
        "--visitor-message-rate",
        "0",
        "--wait-time-secs",
        "3600",
    ]);
    let api = server.api();
    let admin = api.admin(&server).await;
    let ann = api.operator(&admin, "Ann").await;
    let bob = api.operator(&admin, "Bob").await;
    let ops = vec![admin, ann, bob];
    let mut readers = Vec::new();
    for op in ops.iter().filter(|o| online.contains(&o.name.as_str())) {
        let mut ws = api.go_online(op).await;
        readers.push(tokio::spawn(async move {
            while ws.next_within(Duration::from_secs(3600)).await.is_some() {}
        }));
    }
    let world = World {
        api,
        ops,
        conversations: Vec::new(),
    };
    (server, world, readers)
}

pub struct World {
    pub api: Api,
    pub ops: Vec<Operator>,
    pub conversations: Vec<(String, Visitor)>,
}

impl World {
    fn pick_op(&self, rng: &mut StdRng) -> &Operator {
        &self.ops[rng.gen_range(0..self.ops.len())]
    }

    fn pick_conversation(&self, rng: &mut StdRng) -> Option<&(String, Visitor)> {
        (!self.conversations.is_empty())
            .then(|| &self.conversations[rng.gen_range(0..self.conversations.len())])
    }

    /// One random action; returns what it did, for a failure message.
    pub async fn step(&mut self, rng: &mut StdRng) -> String {
        let api = self.api.clone();
        let action = rng.gen_range(0..10);
        let (what, status, body) = match action {
            0 | 1 => {
                let v = api.visitor(None).await;
                let c = api.ask_for_person(&v).await;
                let id = c["id"].as_str().unwrap().to_owned();
                self.conversations.push((id.clone(), v));
                return format!("new conversation {id} ({})", c["state"]);
            }
            2 => {
                let Some((id, _)) = self.pick_conversation(rng) else {
                    return "nothing".into();
                };
                let op = self.pick_op(rng);
                let (s, b) = api
                    .post(
                        &format!("/api/conversations/{id}/assign"),
                        &op.token,
                        json!({}),
                    )
                    .await;
                (format!("{} assigns {id}", op.name), s, b)
            }
            3 => {
                let Some((id, _)) = self.pick_conversation(rng) else {
                    return "nothing".into();
                };
                let (by, to) = (self.pick_op(rng), self.pick_op(rng));
                let (s, b) = api
                    .post(
                        &format!("/api/conversations/{id}/reassign"),
                        &by.token,
                        json!({"operator_id": to.id}),
                    )
                    .await;
                (format!("{} reassigns {id} to {}", by.name, to.name), s, b)
            }
            4 => {
                let Some((id, _)) = self.pick_conversation(rng) else {
                    return "nothing".into();
                };
                let op = self.pick_op(rng);
                let (s, b) = api
                    .post(
                        &format!("/api/conversations/{id}/close"),
                        &op.token,
                        json!({}),
                    )
                    .await;
                (format!("{} closes {id}", op.name), s, b)
            }
            5 => {
                let Some((id, v)) = self.pick_conversation(rng) else {
                    return "nothing".into();
                };
                let (s, b) = api.send_as_visitor(v, "a visitor's question").await;
                (format!("visitor writes in {id}"), s, b)
            }
            6 => {
                let Some((id, _)) = self.pick_conversation(rng) else {
                    return "nothing".into();
                };
                let op = self.pick_op(rng);
                let (s, b) = api.send_as_operator(op, id, "an operator's answer").await;
                (format!("{} writes in {id}", op.name), s, b)
            }
            9 => {
                // Closing time: everybody goes offline, handing their chats back.
                for op in &self.ops {
                    let (s, b) = api
                        .put(
                            "/api/me/presence",
                            &op.token,
                            json!({"online": false, "handover": {"to": "unassigned"}}),
                        )
                        .await;
                    assert_eq!(s, StatusCode::OK, "{b}");
                }
                return "everybody goes offline".into();
            }
            _ => {
                let i = rng.gen_range(0..self.ops.len());
                let op = self.ops[i].clone();
                let online = rng.gen_bool(0.6);
                let handover = match rng.gen_range(0..3) {
                    0 => json!(null),
                    1 => json!({"to": "unassigned"}),
                    _ => json!({"to": "operator", "operator_id": self.pick_op(rng).id}),
                };
                let (s, b) = api
                    .put(
                        "/api/me/presence",
                        &op.token,
                        json!({"online": online, "handover": handover}),
                    )
                    .await;
                (
                    format!("{} chooses online={online} handover={handover}", op.name),
                    s,
                    b,
                )
            }
        };
        assert!(
            status.is_success()
                || status == StatusCode::NOT_FOUND
                || status == StatusCode::CONFLICT,
            "{what}: {status} {body}"
        );
        if !status.is_success() {
            assert!(
                body["code"].is_string() && body["message"].is_string(),
                "{body}"
            );
        }
        format!("{what}: {status}")
    }
}
