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

// ---- the shared implementation ----------------------------------------------------------

/// Implements [`Store`](crate::Store) and every aggregate trait for `$store`, a struct with a
/// `pool` field of the backend's pool type and an `async fn begin_write(&self)` that opens a
/// write transaction. `$db` is the sqlx database type and `$row` its row type.
///
/// Expanded at the top of the adapter module (`sqlite.rs`, `postgres.rs`), it defines what
/// every aggregate body uses (`Db`, `DbRow`, `col`, `first`, `rows`, `not_found_unless`,
/// `exists`), then expands each aggregate's own macro (`impl_user_store!` in `users.rs`, …),
/// which puts that aggregate's implementation in a child module of the adapter.
macro_rules! impl_store {
    ($store:ty, $db:ty, $row:ty, $backend:literal) => {
        use sqlx::Row as _;

        type Db = $db;
        type DbRow = $row;

        /// Decodes a column, turning a decoding failure into `$crate::StoreError::Database`.
        fn col<'r, T>(row: &'r DbRow, name: &str) -> $crate::StoreResult<T>
        where
            T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
        {
            row.try_get::<T, _>(name)
                .map_err($crate::sql::database_error)
        }

        fn first<'r, T>(row: &'r DbRow) -> $crate::StoreResult<T>
        where
            T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
        {
            row.try_get::<T, _>(0usize)
                .map_err($crate::sql::database_error)
        }

        fn rows<T>(
            rows: Vec<DbRow>,
            decode: fn(&DbRow) -> $crate::StoreResult<T>,
        ) -> $crate::StoreResult<Vec<T>> {
            rows.iter().map(decode).collect()
        }

        fn not_found_unless(affected: u64, entity: &'static str) -> $crate::StoreResult<()> {
            if affected == 0 {
                Err($crate::StoreError::NotFound(entity))
            } else {
                Ok(())
            }
        }

        impl $store {
            async fn exists(
                &self,
                sql: &'static str,
                a: &str,
                b: Option<&str>,
            ) -> $crate::StoreResult<bool> {
                let mut query = sqlx::query::<Db>(sql).bind(a);
                if let Some(b) = b {
                    query = query.bind(b);
                }
                Ok(query
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::sql::database_error)?
                    .is_some())
            }
        }

        $crate::users::impl_user_store!($store);
        $crate::organizations::impl_organization_store!($store);
        $crate::targets::impl_target_store!($store);
        $crate::stacks::impl_stack_store!($store);
        $crate::variables::impl_variable_store!($store);
        $crate::deployments::impl_deployment_store!($store);
        $crate::audit::impl_audit_store!($store);
        $crate::agents::impl_agent_store!($store);

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> $crate::StoreResult<()> {
                sqlx::query::<Db>("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::database_error)?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_store;
