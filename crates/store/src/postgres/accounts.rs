//! Operators, sessions and visitors.

use super::rows::{self, parse_id, OPERATOR_COLS};
use super::write_tx::PgTx;
use crate::*;
use sqlx::{AssertSqlSafe, PgConnection, Row};

pub async fn create_operator(tx: &mut PgTx, op: &OperatorRecord, now: Millis) -> StoreResult<()> {
    let taken = sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS(SELECT 1 FROM operators WHERE lower(email) = lower($1))",
    )
    .bind(&op.email)
    .fetch_one(tx.conn())
    .await;
    if tx.check(taken)? {
        return Err(StoreError::Conflict(
            "an operator with this email already exists",
        ));
    }
    let r = sqlx::query(
        "INSERT INTO operators (id, email, display_name, role, password_hash, disabled, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(op.id.to_string())
    .bind(&op.email)
    .bind(&op.display_name)
    .bind(op.role.as_str())
    .bind(&op.password_hash)
    .bind(op.disabled)
    .bind(now)
    .execute(tx.conn())
    .await;
    tx.check(r).map(drop)
}

pub async fn list_operators(c: &mut PgConnection) -> StoreResult<Vec<OperatorRecord>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {OPERATOR_COLS} FROM operators ORDER BY created_at, id"
    )))
    .fetch_all(c)
    .await?
    .iter()
    .map(rows::operator)
    .collect()
}

pub async fn operator(c: &mut PgConnection, id: OperatorId) -> StoreResult<OperatorRecord> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {OPERATOR_COLS} FROM operators WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_one(c)
    .await?;
    rows::operator(&row)
}

pub async fn operator_by_email(c: &mut PgConnection, email: &str) -> StoreResult<OperatorRecord> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {OPERATOR_COLS} FROM operators WHERE lower(email) = lower($1)"
    )))
    .bind(email)
    .fetch_one(c)
    .await?;
    rows::operator(&row)
}

pub async fn set_presence_choice(
    tx: &mut PgTx,
    operator: OperatorId,
    online: bool,
) -> StoreResult<()> {
    let r = sqlx::query("UPDATE operators SET chose_online = $2 WHERE id = $1")
        .bind(operator.to_string())
        .bind(online)
        .execute(tx.conn())
        .await;
    if tx.check(r)?.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn disable_operator(tx: &mut PgTx, id: OperatorId) -> StoreResult<OperatorRecord> {
    let r = sqlx::query("UPDATE operators SET disabled = TRUE WHERE id = $1")
        .bind(id.to_string())
        .execute(tx.conn())
        .await;
    if tx.check(r)?.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    delete_operator_sessions(tx, id, None).await?;
    operator(tx.conn(), id).await
}

pub async fn set_password_hash(tx: &mut PgTx, id: OperatorId, hash: &str) -> StoreResult<()> {
    let r = sqlx::query("UPDATE operators SET password_hash = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(hash)
        .execute(tx.conn())
        .await;
    if tx.check(r)?.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn create_session(
    tx: &mut PgTx,
    id: uuid::Uuid,
    token_hash: &str,
    subject: Subject,
    expires_at: Millis,
    device: &Option<String>,
    now: Millis,
) -> StoreResult<()> {
    let (op, visitor) = match subject {
        Subject::Operator { id, .. } => (Some(id.to_string()), None),
        Subject::Visitor { id } => (None, Some(id.to_string())),
    };
    let r = sqlx::query(
        "INSERT INTO sessions (token_hash, operator_id, visitor_id, expires_at, created_at, id, device, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $5)",
    )
    .bind(token_hash)
    .bind(op)
    .bind(visitor)
    .bind(expires_at)
    .bind(now)
    .bind(id.to_string())
    .bind(device)
    .execute(tx.conn())
    .await;
    tx.check(r).map(drop)
}

pub async fn touch_session(
    tx: &mut PgTx,
    token_hash: &str,
    now: Millis,
    expires_at: Millis,
) -> StoreResult<()> {
    let r = sqlx::query(
        "UPDATE sessions SET last_used_at = $2, expires_at = GREATEST(expires_at, $3) WHERE token_hash = $1",
    )
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .execute(tx.conn())
    .await;
    tx.check(r).map(drop)
}

pub async fn operator_sessions(
    c: &mut PgConnection,
    operator: OperatorId,
) -> StoreResult<Vec<DeviceRecord>> {
    sqlx::query(
        "SELECT id, token_hash, device, created_at, last_used_at, expires_at
         FROM sessions WHERE operator_id = $1 ORDER BY last_used_at DESC, id",
    )
    .bind(operator.to_string())
    .fetch_all(c)
    .await?
    .iter()
    .map(|r| {
        Ok(DeviceRecord {
            id: parse_id(&r.try_get::<String, _>(0)?)?,
            token_hash: r.try_get(1)?,
            device: r.try_get(2)?,
            created_at: r.try_get(3)?,
            last_used_at: r.try_get(4)?,
            expires_at: r.try_get(5)?,
        })
    })
    .collect()
}

pub async fn delete_operator_session(
    tx: &mut PgTx,
    operator: OperatorId,
    id: uuid::Uuid,
) -> StoreResult<String> {
    let r = sqlx::query_scalar(
        "DELETE FROM sessions WHERE operator_id = $1 AND id = $2 RETURNING token_hash",
    )
    .bind(operator.to_string())
    .bind(id.to_string())
    .fetch_one(tx.conn())
    .await;
    tx.check(r)
}

/// Deletes the operator's sessions, except the one with the token hash `keep`.
pub async fn delete_operator_sessions(
    tx: &mut PgTx,
    operator: OperatorId,
    keep: Option<&str>,
) -> StoreResult<u64> {
    let r = sqlx::query(
        "DELETE FROM sessions WHERE operator_id = $1 AND ($2::text IS NULL OR token_hash <> $2)",
    )
    .bind(operator.to_string())
    .bind(keep)
    .execute(tx.conn())
    .await;
    Ok(tx.check(r)?.rows_affected())
}

pub async fn session(c: &mut PgConnection, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
    let Some(r) = sqlx::query(
        "SELECT s.operator_id, o.role, o.disabled, s.visitor_id, s.expires_at, COALESCE(o.display_name, v.name),
                s.id, s.last_used_at
         FROM sessions s
         LEFT JOIN operators o ON o.id = s.operator_id
         LEFT JOIN visitors v ON v.id = s.visitor_id
         WHERE s.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await?
    else {
        return Ok(None);
    };
    let op: Option<String> = r.try_get(0)?;
    let visitor: Option<String> = r.try_get(3)?;
    let subject = match (op, visitor) {
        (Some(op), _) => {
            if r.try_get::<Option<bool>, _>(2)? == Some(true) {
                return Ok(None);
            }
            let role: Option<String> = r.try_get(1)?;
            let role = role
                .as_deref()
                .and_then(Role::parse)
                .ok_or_else(|| StoreError::Storage("bad role".into()))?;
            Subject::Operator {
                id: parse_id(&op)?,
                role,
            }
        }
        (None, Some(v)) => Subject::Visitor { id: parse_id(&v)? },
        (None, None) => return Ok(None),
    };
    Ok(Some(SessionRecord {
        id: parse_id(&r.try_get::<String, _>(6)?)?,
        subject,
        expires_at: r.try_get(4)?,
        last_used_at: r.try_get(7)?,
        name: r.try_get(5)?,
    }))
}

pub async fn delete_session(tx: &mut PgTx, token_hash: &str) -> StoreResult<()> {
    let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(tx.conn())
        .await;
    tx.check(r).map(drop)
}

pub async fn create_visitor(tx: &mut PgTx, v: &VisitorRecord, now: Millis) -> StoreResult<()> {
    let r = sqlx::query(
        "INSERT INTO visitors (id, name, playbook_id, language, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(v.id.to_string())
    .bind(&v.name)
    .bind(v.playbook_id.map(|p| p.to_string()))
    .bind(&v.language)
    .bind(now)
    .execute(tx.conn())
    .await;
    tx.check(r).map(drop)
}

pub async fn visitor(c: &mut PgConnection, id: VisitorId) -> StoreResult<VisitorRecord> {
    let r = sqlx::query("SELECT name, playbook_id, language FROM visitors WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(c)
        .await?;
    let playbook_id: Option<String> = r.try_get(1)?;
    Ok(VisitorRecord {
        id,
        name: r.try_get(0)?,
        playbook_id: playbook_id.as_deref().map(parse_id).transpose()?,
        language: r.try_get(2)?,
    })
}
