//! Moving an installation from SQLite to PostgreSQL: copies every table of a SQLite
//! database into an empty PostgreSQL one, in one transaction. Ids, row numbers, event seqs
//! and the database's epoch are kept, so clients' stream cursors stay valid.

use crate::*;
use rusqlite::types::Value;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, AssertSqlSafe, PgPool};
use std::path::Path;

#[derive(Clone, Copy)]
enum Ty {
    Text,
    Int,
    Bool,
}

use Ty::*;

/// A table to copy: its name, its columns (the SQLite expression read for each, if it is
/// not the column itself) and whether PostgreSQL numbers its rows (identity columns).
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Ty)],
    identity: bool,
}

/// Parents before children (foreign keys).
const TABLES: &[Table] = &[
    Table {
        name: "operators",
        columns: &[
            ("id", Text),
            ("email", Text),
            ("display_name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("disabled", Bool),
            ("created_at", Int),
            ("chose_online", Bool),
        ],
        identity: false,
    },
    Table {
        name: "playbooks",
        columns: &[
            ("id", Text),
            ("version", Int),
            ("active", Bool),
            ("allowed_origins", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "playbook_versions",
        columns: &[
            ("playbook_id", Text),
            ("version", Int),
            ("definition", Text),
            ("created_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "visitors",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("created_at", Int),
            ("playbook_id", Text),
            ("language", Text),
        ],
        identity: false,
    },
    Table {
        name: "sessions",
        columns: &[
            ("token_hash", Text),
            ("operator_id", Text),
            ("visitor_id", Text),
            ("expires_at", Int),
            ("created_at", Int),
            ("id", Text),
            ("device", Text),
            ("last_used_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "conversations",
        columns: &[
            ("num", Int),
            ("id", Text),
            ("visitor_id", Text),
            ("state", Text),
            ("assignee_id", Text),
            ("wait_deadline", Int),
            ("display_name", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("playbook_id", Text),
            ("playbook_version", Int),
            ("bot_card", Text),
            ("qualified", Bool),
            ("language", Text),
            ("page_url", Text),
            ("referrer", Text),
            ("converted_url", Text),
            ("handled_by", Text),
            ("handled_by_name", Text),
            ("closed_at", Int),
            ("message_count", Int),
            ("last_message_at", Int),
            ("preview", Text),
            ("last_author", Text),
        ],
        identity: true,
    },
    Table {
        name: "messages",
        columns: &[
            ("num", Int),
            ("id", Text),
            ("conversation_id", Text),
            ("author_kind", Text),
            ("author_id", Text),
            ("author_name", Text),
            ("body", Text),
            ("created_at", Int),
            ("seq", Int),
        ],
        identity: true,
    },
    Table {
        name: "events",
        columns: &[
            ("seq", Int),
            ("conversation_id", Text),
            ("op_audience", Text),
            ("visitor_id", Text),
            ("payload", Text),
            ("created_at", Int),
            ("actor", Text),
        ],
        identity: false,
    },
    Table {
        name: "meta",
        columns: &[("key", Text), ("value", Text)],
        identity: false,
    },
    Table {
        name: "conversation_fields",
        columns: &[
            ("conversation_id", Text),
            ("key", Text),
            ("value", Text),
            ("updated_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "crm_persons",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("emails", Text),
            ("phones", Text),
            ("visitor_id", Text),
            ("remote_id", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "crm_person_emails",
        columns: &[("email", Text), ("person_id", Text)],
        identity: false,
    },
    Table {
        name: "crm_organizations",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("name_key", Text),
            ("address", Text),
            ("remote_id", Int),
            ("created_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "crm_results",
        columns: &[
            ("num", Int),
            ("id", Text),
            ("idempotency_key", Text),
            ("conversation_id", Text),
            ("kind", Text),
            ("title", Text),
            ("value", Int),
            ("currency", Text),
            ("person_id", Text),
            ("org_id", Text),
            ("owner_id", Text),
            ("owner_name", Text),
            ("source", Text),
            ("converted_url", Text),
            ("stage", Text),
            ("activity_type", Text),
            ("due_date", Text),
            ("due_time", Text),
            ("created_at", Int),
            ("sync_status", Text),
            ("sync_error", Text),
            ("sync_url", Text),
            ("attempts", Int),
            ("next_attempt_at", Int),
            ("remote_id", Text),
            ("remote_note_id", Int),
        ],
        identity: true,
    },
    Table {
        name: "crm_notes",
        columns: &[
            ("id", Text),
            ("result_id", Text),
            ("content", Text),
            ("created_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "conversation_sales",
        columns: &[
            ("conversation_id", Text),
            ("details", Text),
            ("updated_at", Int),
            ("updated_by_name", Text),
        ],
        identity: false,
    },
    Table {
        name: "audit_log",
        columns: &[
            ("num", Int),
            ("conversation_id", Text),
            ("at", Int),
            ("actor", Text),
            ("action", Text),
            ("fields", Text),
            ("result_id", Text),
            ("note", Text),
        ],
        identity: true,
    },
    Table {
        name: "follow_ups",
        columns: &[
            ("id", Text),
            ("conversation_id", Text),
            ("kind", Text),
            ("title", Text),
            ("fields", Text),
            ("page_url", Text),
            ("status", Text),
            ("created_at", Int),
            ("result_id", Text),
        ],
        identity: false,
    },
];

/// How many rows of each table were copied.
pub type Copied = Vec<(&'static str, u64)>;

fn storage(e: impl std::fmt::Display) -> StoreError {
    StoreError::Storage(e.to_string())
}

/// Copies the SQLite database in `sqlite_dir` (migrated to this version first) into the
/// PostgreSQL database at `url`, which must hold no operators or conversations yet.
pub async fn copy_from_sqlite(sqlite_dir: &Path, url: &str) -> StoreResult<Copied> {
    let path = sqlite_dir.join("frontdesk.sqlite3");
    if !path.exists() {
        return Err(StoreError::Storage(format!(
            "no Frontdesk database in {}",
            sqlite_dir.display()
        )));
    }
    // Opening it brings an older database's schema up to date.
    let dir = sqlite_dir.to_owned();
    tokio::task::spawn_blocking(move || SqliteStore::open(&dir, Arc::new(|_| {})).map(drop))
        .await
        .map_err(storage)??;
    let pool = PgPool::connect(url).await?;
    super::migrate(&pool).await?;
    let mut tx = pool.begin().await?;
    let empty: bool = sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM operators) AND NOT EXISTS (SELECT 1 FROM conversations)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if !empty {
        return Err(StoreError::Conflict(
            "the PostgreSQL database already holds Frontdesk data; copy into an empty one",
        ));
    }
    // A server may have started on it once (its own epoch, a demo playbook): SQLite's win.
    sqlx::raw_sql(
        "DELETE FROM playbook_versions; DELETE FROM playbooks; DELETE FROM meta; DELETE FROM events;",
    )
    .execute(&mut *tx)
    .await?;
    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let rows = read_table(&path, table).await?;
        let names: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let params: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) {} VALUES ({})",
            table.name,
            names.join(", "),
            if table.identity {
                "OVERRIDING SYSTEM VALUE"
            } else {
                ""
            },
            params.join(", ")
        );
        for row in &rows {
            let mut args = PgArguments::default();
            for ((_, ty), value) in table.columns.iter().zip(row) {
                bind(&mut args, *ty, value)?;
            }
            sqlx::query_with(AssertSqlSafe(sql.clone()), args)
                .execute(&mut *tx)
                .await?;
        }
        if table.identity {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{0}', 'num'), COALESCE((SELECT MAX(num) FROM {0}), 0) + 1, false)",
                table.name
            )))
            .execute(&mut *tx)
            .await?;
        }
        copied.push((table.name, rows.len() as u64));
    }
    // The next seq continues after the copied ones (and after pruned ones).
    sqlx::query(
        "UPDATE event_counter SET last_seq = GREATEST(
             COALESCE((SELECT MAX(seq) FROM events), 0),
             COALESCE((SELECT value::bigint FROM meta WHERE key = 'events_floor'), 0))",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    pool.close().await;
    Ok(copied)
}

async fn read_table(path: &Path, table: &'static Table) -> StoreResult<Vec<Vec<Value>>> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let c = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let names: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let order = if table.identity { "num" } else { "rowid" };
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {order}",
            names.join(", "),
            table.name
        );
        let mut st = c.prepare(&sql)?;
        let rows = st
            .query_map([], |r| {
                (0..names.len()).map(|i| r.get::<_, Value>(i)).collect()
            })?
            .collect::<Result<Vec<Vec<Value>>, _>>()?;
        Ok(rows)
    })
    .await
    .map_err(storage)?
}

fn bind(args: &mut PgArguments, ty: Ty, value: &Value) -> StoreResult<()> {
    let bad = || {
        StoreError::Storage(format!(
            "unexpected value in the SQLite database: {value:?}"
        ))
    };
    let r = match (ty, value) {
        (Text, Value::Null) => args.add(None::<String>),
        (Text, Value::Text(s)) => args.add(Some(s.clone())),
        (Int, Value::Null) => args.add(None::<i64>),
        (Int, Value::Integer(i)) => args.add(Some(*i)),
        (Bool, Value::Null) => args.add(None::<bool>),
        (Bool, Value::Integer(i)) => args.add(Some(*i != 0)),
        _ => return Err(bad()),
    };
    r.map_err(storage)
}

#[cfg(test)]
mod tests {
    use super::TABLES;
    use std::collections::BTreeSet;

    /// Every table and column of the SQLite schema is copied: a table added by a later
    /// migration and forgotten here would be lost silently when moving to PostgreSQL.
    #[test]
    fn the_copy_covers_every_sqlite_table_and_column() {
        let dir = tempfile::tempdir().unwrap();
        drop(crate::SqliteStore::open(dir.path(), std::sync::Arc::new(|_| {})).unwrap());
        let c = rusqlite::Connection::open(dir.path().join("frontdesk.sqlite3")).unwrap();
        let mut schema = BTreeSet::new();
        let tables: Vec<String> = c
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for t in tables {
            let columns: Vec<String> = c
                .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for col in columns {
                schema.insert(format!("{t}.{col}"));
            }
        }
        let copied: BTreeSet<String> = TABLES
            .iter()
            .flat_map(|t| {
                t.columns
                    .iter()
                    .map(move |(c, _)| format!("{}.{c}", t.name))
            })
            .collect();
        assert_eq!(
            schema.difference(&copied).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "not copied to PostgreSQL"
        );
        assert_eq!(
            copied.difference(&schema).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "not in the SQLite schema"
        );
    }
}
