//! Playbook storage: every saved version is kept; a conversation pins the version it started on.
//! Also the `meta` key/value table.

use super::rows::parse_id;
use super::write_tx::PgTx;
use crate::*;
use frontdesk_core::playbook::Playbook;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};

const COLS: &str = "p.id, p.version, p.active, p.allowed_origins, v.definition, p.updated_at";
const FROM: &str =
    "playbooks p JOIN playbook_versions v ON v.playbook_id = p.id AND v.version = p.version";

fn bad(e: impl std::fmt::Display) -> StoreError {
    StoreError::Storage(format!("bad playbook in database: {e}"))
}

fn record(r: &PgRow) -> StoreResult<PlaybookRecord> {
    Ok(PlaybookRecord {
        id: parse_id(&r.try_get::<String, _>(0)?)?,
        version: r.try_get(1)?,
        active: r.try_get(2)?,
        allowed_origins: serde_json::from_str(&r.try_get::<String, _>(3)?).map_err(bad)?,
        definition: serde_json::from_str(&r.try_get::<String, _>(4)?).map_err(bad)?,
        updated_at: r.try_get(5)?,
    })
}

pub async fn load(c: &mut PgConnection, id: uuid::Uuid) -> StoreResult<PlaybookRecord> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLS} FROM {FROM} WHERE p.id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(c)
    .await?;
    record(&row)
}

pub async fn list(c: &mut PgConnection) -> StoreResult<Vec<PlaybookRecord>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLS} FROM {FROM} ORDER BY p.created_at, p.id"
    )))
    .fetch_all(c)
    .await?
    .iter()
    .map(record)
    .collect()
}

/// A specific version's definition (what a running conversation uses).
pub async fn definition(
    c: &mut PgConnection,
    id: uuid::Uuid,
    version: i64,
) -> StoreResult<Playbook> {
    let json: String = sqlx::query_scalar(
        "SELECT definition FROM playbook_versions WHERE playbook_id = $1 AND version = $2",
    )
    .bind(id.to_string())
    .bind(version)
    .fetch_one(c)
    .await?;
    serde_json::from_str(&json).map_err(bad)
}

fn to_json(p: &Playbook) -> StoreResult<String> {
    serde_json::to_string(p).map_err(|e| StoreError::Storage(e.to_string()))
}

async fn insert_version(
    tx: &mut PgTx,
    id: uuid::Uuid,
    version: i64,
    definition: &Playbook,
    now: Millis,
) -> StoreResult<()> {
    let r = sqlx::query(
        "INSERT INTO playbook_versions (playbook_id, version, definition, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.to_string())
    .bind(version)
    .bind(to_json(definition)?)
    .bind(now)
    .execute(tx.conn())
    .await;
    tx.check(r).map(drop)
}

pub async fn create(
    tx: &mut PgTx,
    id: uuid::Uuid,
    definition: &Playbook,
    active: bool,
    now: Millis,
) -> StoreResult<PlaybookRecord> {
    let r = sqlx::query(
        "INSERT INTO playbooks (id, version, active, created_at, updated_at) VALUES ($1, 1, $2, $3, $3)",
    )
    .bind(id.to_string())
    .bind(active)
    .bind(now)
    .execute(tx.conn())
    .await;
    tx.check(r)?;
    insert_version(tx, id, 1, definition, now).await?;
    load(tx.conn(), id).await
}

pub async fn update(
    tx: &mut PgTx,
    id: uuid::Uuid,
    definition: &Playbook,
    base_version: Option<i64>,
    now: Millis,
) -> StoreResult<PlaybookRecord> {
    // The row lock orders two concurrent saves: each gets its own version number, and the
    // second one's base version check sees the first one's save.
    let r = sqlx::query_scalar::<_, i64>("SELECT version FROM playbooks WHERE id = $1 FOR UPDATE")
        .bind(id.to_string())
        .fetch_one(tx.conn())
        .await;
    let current = tx.check(r)?;
    crate::check_base_version(current, base_version)?;
    let version = current + 1;
    insert_version(tx, id, version, definition, now).await?;
    let r = sqlx::query("UPDATE playbooks SET version = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(version)
        .bind(now)
        .execute(tx.conn())
        .await;
    tx.check(r)?;
    load(tx.conn(), id).await
}

pub async fn set_active(
    tx: &mut PgTx,
    id: uuid::Uuid,
    active: bool,
    now: Millis,
) -> StoreResult<PlaybookRecord> {
    let r = sqlx::query("UPDATE playbooks SET active = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(active)
        .bind(now)
        .execute(tx.conn())
        .await;
    if tx.check(r)?.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    load(tx.conn(), id).await
}

pub async fn set_origins(
    tx: &mut PgTx,
    id: uuid::Uuid,
    origins: &[String],
    now: Millis,
) -> StoreResult<PlaybookRecord> {
    let json = serde_json::to_string(origins).map_err(|e| StoreError::Storage(e.to_string()))?;
    let r = sqlx::query("UPDATE playbooks SET allowed_origins = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(json)
        .bind(now)
        .execute(tx.conn())
        .await;
    if tx.check(r)?.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    load(tx.conn(), id).await
}

pub async fn meta(c: &mut PgConnection, key: &str) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(c)
        .await?)
}

pub async fn set_meta(tx: &mut PgTx, key: &str, value: &str) -> StoreResult<()> {
    let r = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(tx.conn())
    .await;
    tx.check(r).map(drop)
}
