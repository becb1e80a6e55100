//! Which operators are connected on which node (presence across nodes).

use super::rows::parse_id;
use super::write_tx::PgTx;
use crate::*;
use sqlx::PgConnection;

/// Nodes silent for this long are forgotten with their rows (they died long ago).
const FORGET_AFTER_MS: Millis = 24 * 3600 * 1000;

pub async fn publish(
    tx: &mut PgTx,
    node: uuid::Uuid,
    connected: &[OperatorId],
    now: Millis,
) -> StoreResult<()> {
    let node = node.to_string();
    let r = sqlx::query(
        "INSERT INTO nodes (id, seen_at) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
    )
    .bind(&node)
    .bind(now)
    .execute(tx.conn())
    .await;
    tx.check(r)?;
    let r = sqlx::query("DELETE FROM node_connections WHERE node_id = $1")
        .bind(&node)
        .execute(tx.conn())
        .await;
    tx.check(r)?;
    let ids: Vec<String> = connected.iter().map(|o| o.to_string()).collect();
    let r = sqlx::query(
        "INSERT INTO node_connections (node_id, operator_id) SELECT $1, UNNEST($2::text[])",
    )
    .bind(&node)
    .bind(&ids)
    .execute(tx.conn())
    .await;
    tx.check(r)?;
    let r = sqlx::query("DELETE FROM nodes WHERE seen_at < $1")
        .bind(now - FORGET_AFTER_MS)
        .execute(tx.conn())
        .await;
    tx.check(r).map(drop)
}

pub async fn connected_elsewhere(
    c: &mut PgConnection,
    node: uuid::Uuid,
    fresh_after: Millis,
) -> StoreResult<Vec<OperatorId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT c.operator_id FROM node_connections c JOIN nodes n ON n.id = c.node_id
         WHERE n.id <> $1 AND n.seen_at >= $2",
    )
    .bind(node.to_string())
    .bind(fresh_after)
    .fetch_all(c)
    .await?;
    ids.iter().map(|id| parse_id(id)).collect()
}
