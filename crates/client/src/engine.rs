//! The engine: one object the desktop shell (or the CLI, or a test) holds. Every UI command
//! is one method here; everything the UI needs to hear comes from [`Engine::subscribe`].

use crate::api::{Api, ApiError};
use crate::cache::Cache;
use crate::error::{EngineError, Result};
use crate::notify::{Coalescer, Lang};
use crate::token::{TokenBackend, TokenStore};
use crate::types::*;
use frontdesk_protocol::{
    ClientFrame, ConversationView, Folder, Handover, MessageView, OperatorPresence, OperatorView,
    PresenceRequest, RoleView, MAX_MESSAGE_CHARS,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch, Notify};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Settings with sensible defaults; [`Engine::open`] uses `EngineOptions::default()`.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Events for one conversation within this window become one notification.
    pub notify_window: Duration,
    /// Closed conversations are kept this many days after closing (see [`Cache::prune_closed`]).
    pub retention_days: u32,
    /// The language of notification texts until the app says otherwise
    /// ([`Engine::set_language`]).
    pub lang: Lang,
    /// Longest wait between reconnection attempts.
    pub max_backoff: Duration,
    /// The name of this device in the operator's session list.
    pub device_name: String,
}

impl Default for EngineOptions {
    fn default() -> Self {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty());
        EngineOptions {
            notify_window: Duration::from_millis(1500),
            retention_days: 90,
            lang: Lang::from_env(),
            max_backoff: Duration::from_secs(30),
            device_name: match host {
                Some(h) => format!("Desktop on {h}"),
                None => "Desktop".into(),
            },
        }
    }
}

/// The data directory: `FRONTDESK_DESKTOP_DATA`, else the platform's per-user data folder.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FRONTDESK_DESKTOP_DATA").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if cfg!(target_os = "windows") {
        if let Some(a) = std::env::var_os("APPDATA") {
            return PathBuf::from(a).join("Frontdesk");
        }
    } else if cfg!(target_os = "macos") {
        if let Some(h) = &home {
            return h.join("Library/Application Support/Frontdesk");
        }
    } else if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("frontdesk-desktop");
    } else if let Some(h) = &home {
        return h.join(".local/share/frontdesk-desktop");
    }
    PathBuf::from("frontdesk-data")
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[derive(Clone)]
pub(crate) struct Signed {
    pub api: Api,
    pub operator: OperatorView,
}

/// The running connection: the sync and outbox tasks.
struct Link {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    frames: mpsc::UnboundedSender<ClientFrame>,
    reconnect: Arc<Notify>,
}

pub(crate) struct Inner {
    pub opts: EngineOptions,
    pub cache: Cache,
    tokens: TokenStore,
    events: broadcast::Sender<EngineEvent>,
    signed: RwLock<Option<Signed>>,
    sync: Mutex<SyncState>,
    link: tokio::sync::Mutex<Option<Link>>,
    pub outbox_wake: Notify,
    offset_ms: AtomicI64,
    /// The language of notification texts: the one chosen in the app.
    lang: Mutex<Lang>,
    /// The stream has said `ready` and is still up.
    pub live: AtomicBool,
}

impl Inner {
    pub fn emit(&self, e: EngineEvent) {
        // No subscriber is fine: the UI may not be listening yet.
        let _ = self.events.send(e);
    }

    pub fn inbox_changed(&self, ids: Vec<Uuid>) {
        if !ids.is_empty() {
            self.emit(EngineEvent::InboxChanged(ConversationIds {
                conversation_ids: ids,
            }));
        }
    }

    pub fn conversation_changed(&self, id: Uuid) {
        self.inbox_changed(vec![id]);
        self.emit(EngineEvent::ConversationChanged(ConversationRef {
            conversation_id: id,
        }));
    }

    pub fn me(&self) -> Option<Uuid> {
        self.signed.read().ok()?.as_ref().map(|s| s.operator.id)
    }

    pub fn set_offset(&self, server_time: i64) {
        self.offset_ms
            .store(server_time - now_ms(), Ordering::Release);
    }

    /// Sets the sync state (and the outbox count) and tells subscribers if it changed.
    pub async fn set_sync(&self, state: SyncStateName, detail: Option<String>) {
        let live = state == SyncStateName::Live;
        let was_live = self.live.swap(live, Ordering::AcqRel);
        let (outbox, sales_outbox) = self.outbox_counts().await;
        self.publish_sync(SyncState {
            state,
            detail,
            outbox,
            sales_outbox,
        });
        // Presence shown while the connection is down must not claim chats can reach me.
        if live != was_live {
            self.emit_presence().await;
        }
    }

    /// My presence as the stream last reported it — except that without a live connection I
    /// am not receiving chats, whatever I chose.
    pub async fn my_presence(&self, me: Uuid) -> Result<Presence> {
        let mut p = self.cache.presence(me).await?;
        if !self.live.load(Ordering::Acquire) {
            p.online = false;
        }
        Ok(p)
    }

    /// Unsent messages and unsent sales changes.
    async fn outbox_counts(&self) -> (i64, i64) {
        (
            self.cache.outbox_len().await.unwrap_or(0),
            self.cache.sales_outbox_len().await.unwrap_or(0),
        )
    }

    /// Re-counts the outbox.
    pub async fn refresh_sync_state(&self) {
        let (outbox, sales_outbox) = self.outbox_counts().await;
        let mut s = self.sync.lock().unwrap_or_else(|p| p.into_inner()).clone();
        s.outbox = outbox;
        s.sales_outbox = sales_outbox;
        self.publish_sync(s);
    }

    fn publish_sync(&self, s: SyncState) {
        let mut cur = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        if *cur != s {
            *cur = s.clone();
            drop(cur);
            self.emit(EngineEvent::SyncState(s));
        }
    }

    pub async fn emit_presence(&self) {
        if let Some(me) = self.me() {
            if let Ok(p) = self.my_presence(me).await {
                self.emit(EngineEvent::Presence(p));
            }
        }
    }

    /// The server ended the session: forget the token, keep the cache (and its outbox).
    pub async fn end_session(&self, error: EngineError) {
        let signed = self.signed.write().ok().and_then(|mut s| s.take());
        if let Some(s) = signed {
            self.tokens
                .delete(&account(s.api.base(), s.operator.id))
                .await;
        }
        let _ = self.cache.set_signed_out().await;
        // The outbox and notifier stop with the session (the sync task is ending itself).
        if let Ok(link) = self.link.try_lock() {
            if let Some(l) = link.as_ref() {
                let _ = l.stop.send(true);
            }
        }
        self.set_sync(SyncStateName::Offline, Some(error.message.clone()))
            .await;
        self.emit(EngineEvent::SessionEnded(error));
    }
}

fn account(server_url: &str, operator: Uuid) -> String {
    format!("{server_url}#{operator}")
}

fn operator_for_ui(o: &OperatorView) -> Operator {
    Operator {
        id: o.id,
        display_name: o.display_name.clone(),
        email: o.email.clone(),
        role: match o.role {
            RoleView::Admin => Role::Admin,
            RoleView::Operator => Role::Operator,
        },
    }
}

/// A server error for an action that needs the server: no answer means `offline`.
pub(crate) fn needs_server(e: ApiError) -> EngineError {
    if e.status.is_none() {
        EngineError::offline()
    } else {
        e.error
    }
}

/// The operator engine. Cheap to clone; all clones are the same engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Opens (or creates) the cache in `data_dir` and, when a session is stored, starts
    /// syncing. Works without a network: the cache is readable at once.
    pub async fn open(data_dir: impl AsRef<Path>) -> Result<Engine> {
        Engine::open_with(data_dir, EngineOptions::default()).await
    }

    pub async fn open_with(data_dir: impl AsRef<Path>, opts: EngineOptions) -> Result<Engine> {
        let dir = data_dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| {
            EngineError::new(
                "data_dir",
                format!("The data directory {} cannot be created: {e}. Set FRONTDESK_DESKTOP_DATA to a writable folder.", dir.display()),
            )
        })?;
        // The cache holds visitors' messages and the token file may sit here: owner only.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let cache = Cache::open(&dir.join("cache.sqlite")).await?;
        let retention_ms = opts.retention_days as i64 * 24 * 3600 * 1000;
        cache.prune_closed(now_ms() - retention_ms).await?;
        cache.purge_gone().await?;
        let (events, _) = broadcast::channel(1024);
        let lang = opts.lang;
        let inner = Arc::new(Inner {
            opts,
            cache,
            tokens: TokenStore::new(dir),
            events,
            signed: RwLock::new(None),
            sync: Mutex::new(SyncState {
                state: SyncStateName::Offline,
                detail: None,
                outbox: 0,
                sales_outbox: 0,
            }),
            link: tokio::sync::Mutex::new(None),
            outbox_wake: Notify::new(),
            offset_ms: AtomicI64::new(0),
            lang: Mutex::new(lang),
            live: AtomicBool::new(false),
        });
        let engine = Engine { inner };
        let stored = engine.inner.cache.session().await?;
        if let (Some(url), Some(op), Some(backend)) =
            (stored.server_url, stored.operator, stored.token_store)
        {
            match engine
                .inner
                .tokens
                .load(&account(&url, op.id), backend)
                .await
            {
                Ok(Some(token)) => {
                    let api = Api::new(&url)?.with_token(token);
                    engine.start(Signed { api, operator: op }).await;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "stored session unreadable"),
            }
        }
        engine.inner.refresh_sync_state().await;
        Ok(engine)
    }

    /// Engine events: sync state, inbox changes, presence, typing, notifications, session end.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    async fn start(&self, signed: Signed) {
        self.stop().await;
        *self.inner.signed.write().unwrap_or_else(|p| p.into_inner()) = Some(signed.clone());
        let (stop, stop_rx) = watch::channel(false);
        let (frames, frames_rx) = mpsc::unbounded_channel();
        let (notes, notes_rx) = mpsc::unbounded_channel();
        let reconnect = Arc::new(Notify::new());
        let inner = self.inner.clone();
        let tasks = vec![
            tokio::spawn(crate::sync::run(
                inner.clone(),
                signed.clone(),
                stop_rx.clone(),
                frames_rx,
                reconnect.clone(),
                notes,
            )),
            tokio::spawn(crate::outbox::run(
                inner.clone(),
                signed.api.clone(),
                stop_rx.clone(),
            )),
            tokio::spawn(notifier(inner, notes_rx, stop_rx)),
        ];
        *self.inner.link.lock().await = Some(Link {
            stop,
            tasks,
            frames,
            reconnect,
        });
    }

    /// Stops syncing (the cache stays open and readable).
    async fn stop(&self) {
        let link = self.inner.link.lock().await.take();
        if let Some(link) = link {
            let _ = link.stop.send(true);
            for t in link.tasks {
                if tokio::time::timeout(Duration::from_secs(5), t)
                    .await
                    .is_err()
                {
                    tracing::warn!("engine task did not stop in time");
                }
            }
        }
        self.inner.live.store(false, Ordering::Release);
    }

    /// Stops syncing and closes the cache; for quitting.
    pub async fn shutdown(&self) {
        self.stop().await;
        self.inner.cache.close().await;
    }

    pub(crate) fn signed(&self) -> Result<Signed> {
        self.inner
            .signed
            .read()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(EngineError::not_signed_in)
    }

    pub async fn session(&self) -> Result<Session> {
        let stored = self.inner.cache.session().await?;
        let signed = self.signed().ok();
        Ok(Session {
            server_url: stored.server_url,
            operator: signed.as_ref().map(|s| operator_for_ui(&s.operator)),
            signed_in: signed.is_some(),
        })
    }

    pub async fn sign_in(&self, server_url: &str, email: &str, password: &str) -> Result<Session> {
        let api = Api::new(server_url)?;
        let login = api
            .login(email, password, &self.inner.opts.device_name)
            .await?;
        if let Err(e) = self
            .inner
            .cache
            .check_switch(api.base(), login.operator.id)
            .await
        {
            let _ = api.with_token(login.token).logout().await;
            return Err(e);
        }
        let key = account(api.base(), login.operator.id);
        let backend: TokenBackend = self.inner.tokens.save(&key, &login.token).await?;
        self.stop().await;
        self.inner
            .cache
            .set_signed_in(api.base(), &login.operator, backend)
            .await?;
        let api = api.with_token(login.token);
        self.start(Signed {
            api,
            operator: login.operator,
        })
        .await;
        self.session().await
    }

    /// Signs out on the server (when reachable) and here. The cache is kept: signing in as
    /// the same operator again resumes it, outbox included; another operator starts empty.
    pub async fn sign_out(&self) -> Result<()> {
        let signed = self.signed().ok();
        self.stop().await;
        if let Some(s) = signed {
            if let Err(e) = s.api.logout().await {
                tracing::info!(error = %e.error, "server sign-out failed; forgetting the token anyway");
            }
            self.inner
                .tokens
                .delete(&account(s.api.base(), s.operator.id))
                .await;
        }
        *self.inner.signed.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.inner.cache.set_signed_out().await?;
        self.inner.set_sync(SyncStateName::Offline, None).await;
        Ok(())
    }

    pub fn sync_state(&self) -> SyncState {
        self.inner
            .sync
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub async fn list_folder(
        &self,
        folder: Folder,
        limit: u32,
        before: Option<String>,
    ) -> Result<FolderPage> {
        self.inner
            .cache
            .list_folder(folder, limit, before.as_deref())
            .await
    }

    pub async fn folder_counts(&self) -> Result<FolderCounts> {
        self.inner.cache.folder_counts().await
    }

    /// The conversation with its messages and details: refreshed from the server while
    /// connected (if it answers within a few seconds), else from the cache (offline review, D5).
    pub async fn open_conversation(&self, id: Uuid) -> Result<ConversationDetail> {
        let connected = self.inner.live.load(Ordering::Acquire);
        if let (Ok(s), true) = (self.signed(), connected) {
            match tokio::time::timeout(Duration::from_secs(4), s.api.conversation(id)).await {
                Ok(Ok(d)) => {
                    self.inner
                        .cache
                        .put_rows(std::slice::from_ref(&d.conversation))
                        .await?;
                    self.inner.cache.put_messages(&d.messages).await?;
                    self.inner.cache.set_details(id, &d.details).await?;
                }
                Ok(Err(e)) if e.status == Some(404) => {
                    return Err(e.error);
                }
                _ => {} // unreachable or slow: the cache answers
            }
        }
        let mut detail = self
            .inner
            .cache
            .detail(id)
            .await?
            .ok_or_else(EngineError::conversation_not_found)?;
        detail.sales_lock = match (self.signed(), self.inner.cache.row(id).await?) {
            (Ok(s), Some(row)) => crate::sales::lock(&row, &s.operator),
            _ => Some(SalesLock::NotVisible),
        };
        Ok(detail)
    }

    /// Saves the conversation's sales details (S12): checked here, then queued in the outbox
    /// (sent at once while connected, else when back online — B2).
    pub async fn update_details(
        &self,
        id: Uuid,
        details: frontdesk_protocol::UpdateDetailsRequest,
    ) -> Result<()> {
        self.may_edit_sales(id).await?;
        // The server's check, here, so a mistake is shown at once rather than after a
        // round trip (or, offline, hours later).
        if let Err(e) = frontdesk_core::crm::normalize(details.clone().into()) {
            return Err(EngineError::new(e.code(), e.message));
        }
        let now = now_ms() + self.server_time_offset();
        self.inner
            .cache
            .queue_details_edit(id, &details, now)
            .await?;
        self.queued(id).await;
        Ok(())
    }

    /// Creates a lead or deal from the conversation's details (S13, also when closed: S14),
    /// through the outbox; one click is one record, however often it is sent.
    pub async fn create_result(
        &self,
        id: Uuid,
        kind: frontdesk_protocol::ResultKind,
    ) -> Result<()> {
        use frontdesk_protocol::{CreateResultRequest, ResultKind};
        if !matches!(kind, ResultKind::Lead | ResultKind::Deal) {
            return Err(EngineError::new(
                "invalid_kind",
                "Only a lead or a deal can be created from a conversation.",
            ));
        }
        self.may_edit_sales(id).await?;
        let request = CreateResultRequest {
            kind,
            idempotency_key: Uuid::now_v7(),
            title: None,
        };
        let now = now_ms() + self.server_time_offset();
        self.inner.cache.queue_result(id, &request, now).await?;
        self.queued(id).await;
        Ok(())
    }

    /// Pushes a created result to the CRM again after it failed (B8); needs the server.
    pub async fn retry_result_push(&self, id: Uuid, result_id: Uuid) -> Result<()> {
        let result = self
            .signed()?
            .api
            .retry_result(id, result_id)
            .await
            .map_err(needs_server)?;
        self.inner.cache.put_result(&result).await?;
        self.inner.conversation_changed(id);
        Ok(())
    }

    /// The CRM page of a synced result, as the server reported it (https only).
    pub async fn result_link(&self, id: Uuid, result_id: Uuid) -> Result<String> {
        let detail = self
            .inner
            .cache
            .detail(id)
            .await?
            .ok_or_else(EngineError::conversation_not_found)?;
        detail
            .details
            .results
            .into_iter()
            .find(|r| r.id == result_id)
            .filter(|r| r.sync.status == frontdesk_protocol::SyncStatus::Synced)
            .and_then(|r| r.sync.url)
            .filter(|u| u.starts_with("https://"))
            .ok_or_else(|| {
                EngineError::new(
                    "no_link",
                    "This result is not in the CRM (yet), so there is nothing to open.",
                )
            })
    }

    /// A refused sales action back to the outbox.
    pub async fn retry_sales_action(&self, action_id: Uuid) -> Result<()> {
        let id = self
            .inner
            .cache
            .retry_sales(action_id)
            .await?
            .ok_or_else(EngineError::sales_action_not_found)?;
        self.queued(id).await;
        Ok(())
    }

    /// Drops an unsent sales action; the operator's explicit choice.
    pub async fn discard_sales_action(&self, action_id: Uuid) -> Result<()> {
        let id = self
            .inner
            .cache
            .discard_sales(action_id)
            .await?
            .ok_or_else(EngineError::sales_action_not_found)?;
        self.inner.conversation_changed(id);
        self.inner.refresh_sync_state().await;
        Ok(())
    }

    /// The sales rule, on what the cache knows; the server checks again when it arrives.
    async fn may_edit_sales(&self, id: Uuid) -> Result<()> {
        let s = self.signed()?;
        let row = self
            .inner
            .cache
            .row(id)
            .await?
            .ok_or_else(EngineError::conversation_not_found)?;
        match crate::sales::lock(&row, &s.operator) {
            None => Ok(()),
            Some(lock) => Err(crate::sales::lock_error(lock)),
        }
    }

    async fn queued(&self, id: Uuid) {
        self.inner.outbox_wake.notify_one();
        self.inner.conversation_changed(id);
        self.inner.refresh_sync_state().await;
    }

    pub async fn mark_read(&self, id: Uuid) -> Result<()> {
        if !self.inner.cache.mark_read(id).await? {
            return Err(EngineError::conversation_not_found());
        }
        self.inner.inbox_changed(vec![id]);
        Ok(())
    }

    pub async fn save_draft(&self, id: Uuid, body: &str) -> Result<()> {
        if !self.inner.cache.save_draft(id, body).await? {
            return Err(EngineError::conversation_not_found());
        }
        self.inner.inbox_changed(vec![id]);
        Ok(())
    }

    /// Puts the message in the durable outbox and returns it as `pending` at once; it is sent
    /// (idempotently, by its id) as soon as the server is reachable.
    pub async fn send_message(&self, id: Uuid, body: &str) -> Result<Message> {
        let s = self.signed()?;
        if body.trim().is_empty() {
            return Err(EngineError::new("empty_message", "The message is empty."));
        }
        let n = body.chars().count();
        if n > MAX_MESSAGE_CHARS {
            return Err(EngineError::new(
                "message_too_long",
                format!("The message has {n} characters; the limit is {MAX_MESSAGE_CHARS}. Split it into several messages."),
            ));
        }
        if self.inner.cache.row(id).await?.is_none() {
            return Err(EngineError::conversation_not_found());
        }
        let now = now_ms() + self.server_time_offset();
        let message = self
            .inner
            .cache
            .queue_message(id, Uuid::now_v7(), &s.operator, body, now)
            .await?;
        self.inner.outbox_wake.notify_one();
        self.inner.conversation_changed(id);
        self.inner.refresh_sync_state().await;
        Ok(message)
    }

    /// A failed message back to the outbox.
    pub async fn retry_message(&self, message_id: Uuid) -> Result<()> {
        if !self.inner.cache.retry(message_id).await? {
            return Err(EngineError::message_not_found());
        }
        if let Some((conv, _)) = self.inner.cache.message(message_id).await? {
            self.inner.conversation_changed(conv);
        }
        self.inner.outbox_wake.notify_one();
        self.inner.refresh_sync_state().await;
        Ok(())
    }

    /// Removes an unsent (failed or pending) message; the operator's explicit choice.
    pub async fn discard_message(&self, message_id: Uuid) -> Result<()> {
        let conv = self
            .inner
            .cache
            .discard(message_id)
            .await?
            .ok_or_else(EngineError::message_not_found)?;
        self.inner.conversation_changed(conv);
        self.inner.refresh_sync_state().await;
        Ok(())
    }

    async fn after_action(&self, row: ConversationView) -> Result<()> {
        let id = row.id;
        self.inner.cache.put_rows(&[row]).await?;
        self.inner.conversation_changed(id);
        Ok(())
    }

    pub async fn assign(&self, id: Uuid) -> Result<()> {
        let row = self.signed()?.api.assign(id).await.map_err(needs_server)?;
        self.after_action(row).await
    }

    pub async fn reassign(&self, id: Uuid, operator_id: Uuid) -> Result<()> {
        self.signed()?
            .api
            .reassign(id, operator_id)
            .await
            .map_err(needs_server)?;
        // The colleague's now and no longer visible to me: the answer's row must not be
        // cached as one of mine (its folder says "mine" for whoever holds it). The stream's
        // `conversation_removed` says the same, maybe later.
        self.inner.cache.hide(id).await?;
        self.inner.conversation_changed(id);
        Ok(())
    }

    pub async fn close(&self, id: Uuid) -> Result<()> {
        let row = self.signed()?.api.close(id).await.map_err(needs_server)?;
        self.after_action(row).await
    }

    /// My presence and who is online, as the stream last reported (works offline; while
    /// not connected I am shown as not receiving chats).
    pub async fn presence(&self) -> Result<Presence> {
        let me = self.signed()?.operator.id;
        self.inner.my_presence(me).await
    }

    /// Go online or offline (S7, B4). Going offline while holding open conversations without
    /// saying where they go changes nothing and emits `offline_with_open_chats`.
    pub async fn set_presence(
        &self,
        online: bool,
        open_chats: Option<OpenChatsChoice>,
    ) -> Result<Presence> {
        let s = self.signed()?;
        if !online && open_chats.is_none() {
            let holding = s.api.presence().await.map_err(needs_server)?.holding;
            if !holding.is_empty() {
                self.inner
                    .emit(EngineEvent::OfflineWithOpenChats(ConversationIds {
                        conversation_ids: holding,
                    }));
                return self.presence().await;
            }
        }
        let handover = match open_chats {
            Some(OpenChatsChoice::Release) => Some(Handover::Unassigned),
            Some(OpenChatsChoice::Reassign { operator_id }) => {
                Some(Handover::Operator { operator_id })
            }
            None => None,
        };
        let view = s
            .api
            .set_presence(&PresenceRequest { online, handover })
            .await
            .map_err(needs_server)?;
        self.inner
            .cache
            .update_presence(&OperatorPresence {
                operator_id: s.operator.id,
                display_name: s.operator.display_name.clone(),
                chose_online: view.chose_online,
                online: view.online,
            })
            .await?;
        self.inner.emit_presence().await;
        self.presence().await
    }

    /// Operators online now (me included): from the server, else as last reported.
    pub async fn online_operators(&self) -> Result<Vec<OnlineOperator>> {
        let s = self.signed()?;
        match s.api.online_operators().await {
            Ok(list) => Ok(list.into_iter().map(Into::into).collect()),
            Err(e) if e.status.is_none() => Ok(self.presence().await?.operators_online),
            Err(e) => Err(e.error),
        }
    }

    /// Tells the visitor I am typing (dropped when not connected: it is only a hint).
    pub async fn typing(&self, id: Uuid) -> Result<()> {
        self.signed()?;
        if let Some(link) = self.inner.link.lock().await.as_ref() {
            let _ = link.frames.send(ClientFrame::Typing {
                conversation_id: id,
            });
        }
        Ok(())
    }

    /// Full-text search over the cache (works offline).
    pub async fn search(&self, query: &str, limit: u32) -> Result<SearchResult> {
        self.inner.cache.search(query, limit).await
    }

    /// Notifications speak the language the operator chose in the app (`en`, `de`; a tag like
    /// `de-AT` works too), not only the system's.
    pub fn set_language(&self, tag: &str) {
        *self.inner.lang.lock().unwrap_or_else(|p| p.into_inner()) = Lang::from_tag(tag);
    }

    /// Milliseconds to add to the local clock to get the server's (from the last `ready`).
    pub fn server_time_offset(&self) -> i64 {
        self.inner.offset_ms.load(Ordering::Acquire)
    }

    /// Drops the current connection and reconnects at once ("retry now"; also how tests cut
    /// the socket).
    pub async fn reconnect(&self) {
        if let Some(link) = self.inner.link.lock().await.as_ref() {
            link.reconnect.notify_one();
        }
    }

    /// Every cached conversation with its stored messages, ordered by id — to compare with
    /// a fresh load from the server.
    pub async fn snapshot(&self) -> Result<Vec<(ConversationView, Vec<MessageView>)>> {
        self.inner.cache.snapshot().await
    }
}

/// Turns notification candidates into coalesced notifications.
async fn notifier(
    inner: Arc<Inner>,
    mut candidates: mpsc::UnboundedReceiver<crate::notify::Candidate>,
    mut stop: watch::Receiver<bool>,
) {
    let mut co = Coalescer::new(inner.opts.notify_window, inner.opts.lang);
    loop {
        let due = co.next_due();
        tokio::select! {
            c = candidates.recv() => match c {
                Some(c) => co.push(std::time::Instant::now(), c),
                None => return,
            },
            _ = async {
                match due {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            } => {
                co.set_lang(*inner.lang.lock().unwrap_or_else(|p| p.into_inner()));
                for n in co.take_due(std::time::Instant::now()) {
                    inner.emit(EngineEvent::Notification(n));
                }
            }
            _ = stop.changed() => return,
        }
    }
}
