//! The Pipedrive connector (B8): the admin's connection settings (token sealed with
//! [`crate::secrets`]) and the push worker.
//!
//! The queue is the `crm_results` table: a result created while a connection is configured is
//! `pending` with a due time. The worker pushes each due result step by step — organization
//! (found by name, else created), person (found by email, else created), the lead / deal /
//! activity, the note with the transcript — and stores every remote id as soon as it exists,
//! so a retry or a restart continues where it stopped and never creates a second remote copy.
//! A 429 waits for the time Pipedrive names (`x-ratelimit-reset`, `Retry-After`); a spent
//! burst budget (`x-ratelimit-remaining: 0`) pauses the worker before the next call; 5xx and
//! network errors back off exponentially; after [`MAX_ATTEMPTS`] failed attempts, or on any
//! other refusal, the result is `failed` with the reason, and an operator can retry it.

pub mod api;

use crate::{now_ms, AppState};
use api::{CallError, Client};
use frontdesk_core::crm::html_escape;
use frontdesk_protocol::ResultKind;
use frontdesk_store::{PushJob, PushUpdate, Store, StoreError, PUSH_ENABLED_META};
use reqwest::Method;
use std::sync::Arc;
use std::time::Duration;

/// Attempts that failed with a server or network error before a push is given up.
pub const MAX_ATTEMPTS: i64 = 6;
const DOMAIN_META: &str = "pipedrive.company_domain";
const TOKEN_META: &str = "pipedrive.api_token_sealed";
/// Leads carry this `origin_id` (pipedrive-api.md: tag objects with their origin).
pub const ORIGIN_ID: &str = "frontdesk";

/// The configured connection.
#[derive(Clone, Debug)]
pub struct Settings {
    pub company_domain: String,
    pub api_token: String,
}

/// Checks a company domain: the `acme` of `acme.pipedrive.com`.
pub fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 63
        && d.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !d.starts_with('-')
        && !d.ends_with('-')
}

pub async fn load(state: &AppState) -> Result<Option<Settings>, StoreError> {
    let (Some(domain), Some(sealed)) = (
        state.store.meta(DOMAIN_META).await?,
        state.store.meta(TOKEN_META).await?,
    ) else {
        return Ok(None);
    };
    if domain.is_empty() || sealed.is_empty() {
        return Ok(None);
    }
    match state.secret_key.open(&sealed) {
        Some(api_token) => Ok(Some(Settings {
            company_domain: domain,
            api_token,
        })),
        None => {
            tracing::error!(
                "the stored Pipedrive token does not open with this secret key; set it again"
            );
            Ok(None)
        }
    }
}

pub async fn save(state: &AppState, settings: Option<Settings>) -> Result<(), StoreError> {
    let store = &state.store;
    match settings {
        Some(s) => {
            store
                .set_meta(TOKEN_META, state.secret_key.seal(&s.api_token))
                .await?;
            store.set_meta(DOMAIN_META, s.company_domain).await?;
            store.set_meta(PUSH_ENABLED_META, "1".into()).await?;
        }
        None => {
            store.set_meta(PUSH_ENABLED_META, "0".into()).await?;
            store.set_meta(TOKEN_META, String::new()).await?;
            store.set_meta(DOMAIN_META, String::new()).await?;
        }
    }
    state.crm_wake.notify_one();
    Ok(())
}

/// The link to a pushed record in Pipedrive's web app.
fn link(domain: &str, job: &PushJob, remote_id: &str) -> String {
    let base = format!("https://{domain}.pipedrive.com");
    match job.result.kind {
        ResultKind::Lead => format!("{base}/leads/inbox/{remote_id}"),
        ResultKind::Deal => format!("{base}/deal/{remote_id}"),
        ResultKind::Activity => format!("{base}/activities/list"),
    }
}

/// Starts the push worker.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        loop {
            let pause = match round(&state, &http).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "pipedrive push round failed");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = state.crm_wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = wait_shutdown(state.shutdown.clone()) => return,
            }
        }
    });
}

async fn wait_shutdown(mut rx: tokio::sync::watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Pushes what is due; returns how long to sleep before the next round.
async fn round(state: &AppState, http: &reqwest::Client) -> Result<Duration, StoreError> {
    let idle = Duration::from_secs(1);
    let Some(settings) = load(state).await? else {
        return Ok(idle);
    };
    let client = Client {
        http: http.clone(),
        base: state
            .config
            .pipedrive_base_url
            .clone()
            .unwrap_or_else(|| format!("https://{}.pipedrive.com", settings.company_domain))
            .trim_end_matches('/')
            .to_owned(),
        token: settings.api_token.clone(),
    };
    let store = state.store.clone();
    // One job at a time, each read fresh: a person or organization the previous job pushed
    // has its remote id by then.
    for _ in 0..20 {
        // One node pushes at a time (several nodes share the queue); asked before each job,
        // so a node that lost the role stops.
        if !store.lead_pushes().await? {
            break;
        }
        let Some(job) = store.due_pushes(now_ms(), 1).await?.pop() else {
            break;
        };
        let id = job.result.id;
        let attempts = job.result.sync.attempts;
        let mut pusher = Pusher {
            store: store.clone(),
            client: &client,
            pause: None,
        };
        let outcome = pusher.push(job, &settings.company_domain).await;
        let now = now_ms();
        let update = match outcome {
            Ok(url) => PushUpdate::Synced { url },
            Err(CallError::RateLimited(wait)) => {
                let wait = wait
                    .unwrap_or(Duration::from_secs(2))
                    .max(Duration::from_millis(100));
                tracing::info!(result = %id, wait_ms = wait.as_millis() as u64, "pipedrive rate limit; waiting");
                PushUpdate::RetryAt {
                    at: now + wait.as_millis() as i64,
                    error: "Pipedrive's rate limit was reached; waiting".into(),
                    attempt_failed: false,
                }
            }
            Err(CallError::Transient(e)) if attempts + 1 < MAX_ATTEMPTS => {
                let backoff = state.config.crm_retry_base_ms as i64 * (1i64 << attempts.min(10));
                tracing::info!(result = %id, error = %e, backoff_ms = backoff, "pipedrive push will be retried");
                PushUpdate::RetryAt {
                    at: now + backoff.min(3_600_000),
                    error: e,
                    attempt_failed: true,
                }
            }
            Err(CallError::Transient(e)) | Err(CallError::Permanent(e)) => {
                tracing::warn!(result = %id, error = %e, "pipedrive push failed");
                PushUpdate::Failed { error: e }
            }
        };
        let limited = matches!(
            update,
            PushUpdate::RetryAt {
                attempt_failed: false,
                ..
            }
        );
        store.record_push(id, update, now).await?;
        if limited {
            // The whole account is limited, not this result: stop the round.
            break;
        }
        if let Some(p) = pusher.pause {
            tokio::time::sleep(p).await;
        }
    }
    Ok(match store.next_push_at().await? {
        Some(at) => Duration::from_millis((at - now_ms()).clamp(10, 1000) as u64),
        None => idle,
    })
}

struct Pusher<'a> {
    store: Arc<dyn Store>,
    client: &'a Client,
    /// Set when the burst budget is spent: wait this long before the next call.
    pause: Option<Duration>,
}

impl Pusher<'_> {
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, CallError> {
        if let Some(p) = self.pause.take() {
            tokio::time::sleep(p).await;
        }
        let (data, budget) = self.client.call(method, path, body).await?;
        if budget.remaining == Some(0) {
            self.pause = Some(budget.reset.unwrap_or(Duration::from_secs(2)));
        }
        Ok(data)
    }

    async fn record(&self, id: uuid::Uuid, update: PushUpdate) -> Result<(), CallError> {
        self.store
            .record_push(id, update, now_ms())
            .await
            .map_err(|e| CallError::Transient(format!("could not record the push: {e}")))
    }

    /// Pushes the missing parts of one result; returns its link.
    async fn push(&mut self, job: PushJob, domain: &str) -> Result<String, CallError> {
        let rid = job.result.id;
        let mut org_id = job.organization.as_ref().and_then(|o| o.remote_id);
        if let (Some(org), None) = (&job.organization, org_id) {
            let path = format!(
                "/api/v2/organizations/search?term={}&fields=name&exact_match=true",
                api::query_value(&org.name)
            );
            let found = api::first_hit(&self.call(Method::GET, &path, None).await?);
            let id = match found {
                Some(id) => id,
                None => {
                    let new = api::NewOrganization {
                        name: org.name.clone(),
                        address: org.address.clone().map(|value| api::Address { value }),
                    };
                    let data = self
                        .call(Method::POST, "/api/v2/organizations", Some(body(&new)))
                        .await?;
                    api::id_number(&data)?
                }
            };
            self.record(
                rid,
                PushUpdate::OrganizationRemote {
                    organization: org.id,
                    remote_id: id,
                },
            )
            .await?;
            org_id = Some(id);
        }
        let mut person_id = job.person.as_ref().and_then(|p| p.remote_id);
        if let (Some(person), None) = (&job.person, person_id) {
            let mut found = None;
            for email in &person.emails {
                let path = format!(
                    "/api/v2/persons/search?term={}&fields=email&exact_match=true",
                    api::query_value(email)
                );
                found = api::first_hit(&self.call(Method::GET, &path, None).await?);
                if found.is_some() {
                    break;
                }
            }
            let id = match found {
                Some(id) => id,
                None => {
                    let values = |v: &[String]| {
                        v.iter()
                            .enumerate()
                            .map(|(i, value)| api::ContactValue {
                                value: value.clone(),
                                primary: i == 0,
                            })
                            .collect()
                    };
                    let new = api::NewPerson {
                        name: person.name.clone(),
                        emails: values(&person.emails),
                        phones: values(&person.phones),
                        org_id,
                    };
                    let data = self
                        .call(Method::POST, "/api/v2/persons", Some(body(&new)))
                        .await?;
                    api::id_number(&data)?
                }
            };
            self.record(
                rid,
                PushUpdate::PersonRemote {
                    person: person.id,
                    remote_id: id,
                },
            )
            .await?;
            person_id = Some(id);
        }
        let r = &job.result;
        let remote_id = match job.remote_id.clone() {
            Some(id) => id,
            None => {
                let data = match r.kind {
                    ResultKind::Lead => {
                        let new = api::NewLead {
                            title: r.title.clone(),
                            person_id,
                            organization_id: org_id,
                            value: r.value.zip(r.currency.clone()).map(|(v, currency)| {
                                api::LeadValue {
                                    amount: v as f64,
                                    currency,
                                }
                            }),
                            origin_id: ORIGIN_ID.into(),
                        };
                        if person_id.is_none() && org_id.is_none() {
                            return Err(CallError::Permanent(
                                "a lead needs a person or an organization".into(),
                            ));
                        }
                        self.call(Method::POST, "/api/v1/leads", Some(body(&new)))
                            .await?
                    }
                    ResultKind::Deal => {
                        let new = api::NewDeal {
                            title: r.title.clone(),
                            person_id,
                            org_id,
                            value: r.value.map(|v| v as f64),
                            currency: r.currency.clone(),
                            status: "open".into(),
                        };
                        self.call(Method::POST, "/api/v2/deals", Some(body(&new)))
                            .await?
                    }
                    ResultKind::Activity => {
                        let new = api::NewActivity {
                            subject: r.title.clone(),
                            kind: job.activity_type.clone().unwrap_or_else(|| "call".into()),
                            person_id,
                            org_id,
                            due_date: job.due_date.clone(),
                            due_time: job.due_time.clone(),
                        };
                        self.call(Method::POST, "/api/v2/activities", Some(body(&new)))
                            .await?
                    }
                };
                let id = match &data["id"] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    _ => return Err(CallError::Transient("Pipedrive's answer has no id".into())),
                };
                self.record(
                    rid,
                    PushUpdate::ItemRemote {
                        remote_id: id.clone(),
                    },
                )
                .await?;
                id
            }
        };
        if let (Some(note), None, false) = (
            &job.note,
            job.remote_note_id,
            r.kind == ResultKind::Activity,
        ) {
            let content = note
                .lines()
                .map(html_escape)
                .collect::<Vec<_>>()
                .join("<br>");
            let new = api::NewNote {
                content,
                lead_id: (r.kind == ResultKind::Lead).then(|| remote_id.clone()),
                deal_id: if r.kind == ResultKind::Deal {
                    Some(remote_id.parse().map_err(|_| {
                        CallError::Permanent(format!("deal id {remote_id} is not a number"))
                    })?)
                } else {
                    None
                },
            };
            let data = self
                .call(Method::POST, "/api/v1/notes", Some(body(&new)))
                .await?;
            self.record(
                rid,
                PushUpdate::NoteRemote {
                    remote_id: api::id_number(&data)?,
                },
            )
            .await?;
        }
        Ok(link(domain, &job, &remote_id))
    }
}

/// A request body as JSON.
fn body<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
