//! The plumbing every aggregate's queries share: error mapping, JSON columns, `LIKE`
//! patterns, and [`impl_store!`], which implements [`Store`](crate::Store) and every
//! aggregate's trait for one backend's pool type.
//!
//! Every statement (in the aggregate modules: `users.rs`, `targets.rs`, …) uses `$n`
//! placeholders and, where it returns rows, `RETURNING`; both work on SQLite and PostgreSQL,
//! and the two schemas are column-for-column identical (`tests/migration_parity.rs` checks
//! it). Optional filters are written as `($n IS NULL OR column = $n)` so the text stays
//! static (sqlx caches one prepared statement per text and connection).
//!
//! *Invariants:* every organization-owned read and write names `org_id` in its `WHERE`
//! clause (or joins through a row that does); list methods run one or two queries whatever
//! the number of rows; multi-statement writes run in a transaction opened by the backend's
//! `begin_write` (SQLite: `BEGIN IMMEDIATE`, so writers queue on the busy timeout instead of
//! failing on a stale snapshot).

use crate::StoreError;

/// Maps any sqlx error that no call site expected.
/// Whether a stack row exists in the organization: checked by the aggregates that refer to
/// stacks (deployments, variables). Kept here so that `stacks` may read `deployments` (what
/// runs where) without the two modules importing each other.
pub(crate) const STACK_EXISTS: &str = "SELECT 1 FROM stacks WHERE org_id = $1 AND id = $2";

pub(crate) fn database_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::RowNotFound => StoreError::NotFound("record"),
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
            entity: "record",
            field: if is_primary_key(db.as_ref()) {
                "id"
            } else {
                "key"
            },
        },
        other => StoreError::Database(other.to_string()),
    }
}

/// Maps the errors of an insert or update: a unique violation becomes a conflict on
/// `field` (or `id` when the primary key clashed), a foreign-key violation means `missing`
/// does not exist.
pub(crate) fn write_error(
    entity: &'static str,
    field: &'static str,
    missing: &'static str,
) -> impl Fn(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
            entity,
            field: if is_primary_key(db.as_ref()) {
                "id"
            } else {
                field
            },
        },
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound(missing),
        _ => database_error(error),
    }
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// PostgreSQL names primary keys `<table>_pkey`; SQLite reports `UNIQUE constraint failed:
/// <table>.id` for a clash on an `id` column.
fn is_primary_key(db: &dyn sqlx::error::DatabaseError) -> bool {
    db.constraint().is_some_and(|c| c.ends_with("_pkey")) || db.message().ends_with(".id")
}

pub(crate) fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

pub(crate) fn parse_json(text: &str, column: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|error| {
        StoreError::Database(format!("column {column} holds invalid JSON: {error}"))
    })
}

/// A `LIKE … ESCAPE '\'` pattern matching values that contain `needle`, lowercased (the
/// query lowercases the column too, so the match ignores ASCII case on both backends).
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub(crate) fn unknown_value(column: &str, value: &str) -> StoreError {
    StoreError::Database(format!("column {column} holds unknown value {value:?}"))
}
