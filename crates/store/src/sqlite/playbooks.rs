//! Playbook storage: every saved version is kept; a conversation pins the version it started on.

use super::rows::parse_id;
use crate::*;
use frontdesk_core::playbook::Playbook;
use rusqlite::{params, Connection, OptionalExtension};

const COLS: &str = "p.id, p.version, p.active, p.allowed_origins, v.definition, p.updated_at";
const FROM: &str =
    "playbooks p JOIN playbook_versions v ON v.playbook_id = p.id AND v.version = p.version";

fn bad(e: impl std::fmt::Display) -> StoreError {
    StoreError::Storage(format!("bad playbook in database: {e}"))
}

fn record(r: &rusqlite::Row) -> rusqlite::Result<(String, i64, bool, String, String, i64)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn parse(
    (id, version, active, origins, definition, updated_at): (
        String,
        i64,
        bool,
        String,
        String,
        i64,
    ),
) -> StoreResult<PlaybookRecord> {
    Ok(PlaybookRecord {
        id: parse_id(&id)?,
        version,
        active,
        allowed_origins: serde_json::from_str(&origins).map_err(bad)?,
        definition: serde_json::from_str(&definition).map_err(bad)?,
        updated_at,
    })
}

pub fn load(c: &Connection, id: uuid::Uuid) -> StoreResult<PlaybookRecord> {
    let row = c
        .prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE p.id = ?1"))?
        .query_row([id.to_string()], record)?;
    parse(row)
}

pub fn list(c: &Connection) -> StoreResult<Vec<PlaybookRecord>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLS} FROM {FROM} ORDER BY p.created_at, p.id"
    ))?;
    let rows = st.query_map([], record)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(parse).collect()
}

/// A specific version's definition (what a running conversation uses).
pub fn definition(c: &Connection, id: uuid::Uuid, version: i64) -> StoreResult<Playbook> {
    let json: String = c
        .prepare_cached(
            "SELECT definition FROM playbook_versions WHERE playbook_id = ?1 AND version = ?2",
        )?
        .query_row(params![id.to_string(), version], |r| r.get(0))?;
    serde_json::from_str(&json).map_err(bad)
}

fn to_json(p: &Playbook) -> StoreResult<String> {
    serde_json::to_string(p).map_err(|e| StoreError::Storage(e.to_string()))
}

pub fn create(
    tx: &Connection,
    id: uuid::Uuid,
    definition: &Playbook,
    active: bool,
    now: Millis,
) -> StoreResult<PlaybookRecord> {
    tx.execute(
        "INSERT INTO playbooks (id, version, active, created_at, updated_at) VALUES (?1, 1, ?2, ?3, ?3)",
        params![id.to_string(), active, now],
    )?;
    tx.execute(
        "INSERT INTO playbook_versions (playbook_id, version, definition, created_at) VALUES (?1, 1, ?2, ?3)",
        params![id.to_string(), to_json(definition)?, now],
    )?;
    load(tx, id)
}

pub fn update(
    tx: &Connection,
    id: uuid::Uuid,
    definition: &Playbook,
    base_version: Option<i64>,
    now: Millis,
) -> StoreResult<PlaybookRecord> {
    let current = load(tx, id)?;
    check_base_version(current.version, base_version)?;
    let version = current.version + 1;
    tx.execute(
        "INSERT INTO playbook_versions (playbook_id, version, definition, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id.to_string(), version, to_json(definition)?, now],
    )?;
    tx.execute(
        "UPDATE playbooks SET version = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.to_string(), version, now],
    )?;
    load(tx, id)
}

pub fn set_active(
    tx: &Connection,
    id: uuid::Uuid,
    active: bool,
    now: Millis,
) -> StoreResult<PlaybookRecord> {
    if tx.execute(
        "UPDATE playbooks SET active = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.to_string(), active, now],
    )? == 0
    {
        return Err(StoreError::NotFound);
    }
    load(tx, id)
}

pub fn set_origins(
    tx: &Connection,
    id: uuid::Uuid,
    origins: &[String],
    now: Millis,
) -> StoreResult<PlaybookRecord> {
    let json = serde_json::to_string(origins).map_err(|e| StoreError::Storage(e.to_string()))?;
    if tx.execute(
        "UPDATE playbooks SET allowed_origins = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.to_string(), json, now],
    )? == 0
    {
        return Err(StoreError::NotFound);
    }
    load(tx, id)
}

pub fn meta(c: &Connection, key: &str) -> StoreResult<Option<String>> {
    Ok(c.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn set_meta(tx: &Connection, key: &str, value: &str) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}
