//! The two migration sets must build the same schema: one SQL text serves both backends, so
//! a column added to `migrations/sqlite` but not to `migrations/postgres` (or nullable in one
//! and `NOT NULL` in the other) would only fail on one backend, and only on the query that
//! touches it.
//!
//! The test applies every migration to a fresh SQLite file and a fresh PostgreSQL database
//! (through `WINDFLOW_TEST_DATABASE_URL`, as the conformance suite does: a missing URL fails,
//! unless a developer sets `WINDFLOW_SKIP_POSTGRES=1`), reads the columns back from
//! `sqlite_master`/`pragma_table_info` and `information_schema.columns`, and compares, per
//! table and column: presence, nullability, whether a default exists, and the type family.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sqlx::Row as _;
use windflow_storage::{PgStore, SqliteStore};

/// What the comparison looks at in one column.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    /// The declared type as the backend reports it (`BIGINT`, `bigint`, …).
    declared_type: String,
    not_null: bool,
    has_default: bool,
}

/// `(table, column)` → column, in name order.
type Schema = BTreeMap<(String, String), Column>;

/// The type family of a column, as the queries use it: both backends must store the same kind
/// of value. SQLite's `INTEGER` holds the booleans (0/1) and the `INTEGER PRIMARY KEY` row ids
/// that PostgreSQL declares `BOOLEAN` and `BIGSERIAL`.
fn compatible(sqlite_type: &str, postgres_type: &str) -> bool {
    matches!(
        (sqlite_type.to_ascii_uppercase().as_str(), postgres_type),
        ("TEXT", "text")
            | ("BIGINT", "bigint")
            | ("INTEGER", "boolean" | "bigint" | "integer")
            | ("BLOB", "bytea")
    )
}

/// An `INTEGER PRIMARY KEY` column is SQLite's row id: never null, numbered without a
/// declared default, like PostgreSQL's `BIGSERIAL NOT NULL` (whose default is its sequence).
fn is_sqlite_row_id(declared_type: &str, primary_key_columns: i64, pk: i64) -> bool {
    declared_type.eq_ignore_ascii_case("INTEGER") && primary_key_columns == 1 && pk == 1
}

async fn sqlite_schema(store: &SqliteStore) -> Schema {
    let rows = sqlx::query(
        "SELECT m.name AS table_name, p.name AS column_name, p.type AS declared_type, \
         p.\"notnull\" AS not_null, p.pk AS pk, p.dflt_value IS NOT NULL AS has_default, \
         (SELECT COUNT(*) FROM pragma_table_info(m.name) k WHERE k.pk > 0) AS pk_columns \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
         ORDER BY m.name, p.cid",
    )
    .fetch_all(store.pool())
    .await
    .expect("reading the SQLite schema");
    let mut schema = Schema::new();
    for row in rows {
        let declared_type: String = row.get("declared_type");
        let pk: i64 = row.get("pk");
        let pk_columns: i64 = row.get("pk_columns");
        let row_id = is_sqlite_row_id(&declared_type, pk_columns, pk);
        let column = Column {
            not_null: row.get::<i64, _>("not_null") != 0 || row_id,
            has_default: row.get::<i64, _>("has_default") != 0 || row_id,
            declared_type,
        };
        schema.insert((row.get("table_name"), row.get("column_name")), column);
    }
    schema
}

async fn postgres_schema(store: &PgStore) -> Schema {
    let rows = sqlx::query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
         data_type::text AS declared_type, is_nullable = 'NO' AS not_null, \
         column_default IS NOT NULL AS has_default \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(store.pool())
    .await
    .expect("reading the PostgreSQL schema");
    rows.into_iter()
        .map(|row| {
            let column = Column {
                declared_type: row.get("declared_type"),
                not_null: row.get("not_null"),
                has_default: row.get("has_default"),
            };
            ((row.get("table_name"), row.get("column_name")), column)
        })
        .collect()
}

/// Every difference between the two schemas, one line each (empty when they match).
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    let tables = |schema: &Schema| -> Vec<String> {
        let mut names: Vec<String> = schema.keys().map(|(table, _)| table.clone()).collect();
        names.dedup();
        names
    };
    let (sqlite_tables, postgres_tables) = (tables(sqlite), tables(postgres));
    for table in &sqlite_tables {
        if !postgres_tables.contains(table) {
            found.push(format!(
                "table {table} exists only in the SQLite migrations"
            ));
        }
    }
    for table in &postgres_tables {
        if !sqlite_tables.contains(table) {
            found.push(format!(
                "table {table} exists only in the PostgreSQL migrations"
            ));
        }
    }
    for ((table, name), lite) in sqlite {
        if !postgres_tables.contains(table) {
            continue;
        }
        let Some(pg) = postgres.get(&(table.clone(), name.clone())) else {
            found.push(format!("column {table}.{name} exists only in SQLite"));
            continue;
        };
        if !compatible(&lite.declared_type, &pg.declared_type) {
            found.push(format!(
                "column {table}.{name} is {} in SQLite but {} in PostgreSQL",
                lite.declared_type, pg.declared_type
            ));
        }
        if lite.not_null != pg.not_null {
            let nullable = |not_null: bool| if not_null { "NOT NULL" } else { "nullable" };
            found.push(format!(
                "column {table}.{name} is {} in SQLite but {} in PostgreSQL",
                nullable(lite.not_null),
                nullable(pg.not_null)
            ));
        }
        if lite.has_default != pg.has_default {
            let default = |has: bool| {
                if has {
                    "has a default"
                } else {
                    "has no default"
                }
            };
            found.push(format!(
                "column {table}.{name} {} in SQLite but {} in PostgreSQL",
                default(lite.has_default),
                default(pg.has_default)
            ));
        }
    }
    for (table, name) in postgres.keys() {
        if sqlite_tables.contains(table) && !sqlite.contains_key(&(table.clone(), name.clone())) {
            found.push(format!("column {table}.{name} exists only in PostgreSQL"));
        }
    }
    found
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_define_the_same_columns() {
    let dir = TempDir(std::env::temp_dir().join(format!(
        "windflow-storage-{}",
        windflow_testkit::unique_project("migration_parity")
    )));
    let sqlite = SqliteStore::open(&dir.0.join("windflow.db"))
        .await
        .expect("opening a SQLite store");
    let Some(database) = windflow_testkit::postgres::fresh_database("migration_parity").await
    else {
        return;
    };
    let postgres = PgStore::connect(database.url())
        .await
        .expect("connecting to the fresh PostgreSQL database");

    let sqlite_columns = sqlite_schema(&sqlite).await;
    let postgres_columns = postgres_schema(&postgres).await;
    postgres.close().await;

    assert!(
        sqlite_columns.len() > 100,
        "read only {} SQLite columns: is the schema query wrong?",
        sqlite_columns.len()
    );
    let found = differences(&sqlite_columns, &postgres_columns);
    assert!(
        found.is_empty(),
        "the SQLite and PostgreSQL migrations differ (add a migration to the backend that lags; \
         never edit an applied one):\n{}",
        found.join("\n")
    );
}

#[test]
fn differences_name_each_drift() {
    let column = |declared_type: &str, not_null: bool| Column {
        declared_type: declared_type.into(),
        not_null,
        has_default: false,
    };
    let key = |table: &str, name: &str| (table.to_string(), name.to_string());
    let sqlite = Schema::from([
        (key("users", "id"), column("TEXT", true)),
        (key("users", "is_admin"), column("INTEGER", true)),
        (key("users", "nickname"), column("TEXT", false)),
        (key("users", "locked_until"), column("BIGINT", false)),
        (key("sqlite_only", "id"), column("TEXT", true)),
    ]);
    let postgres = Schema::from([
        (key("users", "id"), column("text", true)),
        (key("users", "is_admin"), column("boolean", true)),
        (key("users", "locked_until"), column("text", true)),
        (key("users", "avatar"), column("bytea", false)),
    ]);
    assert_eq!(
        differences(&sqlite, &postgres),
        [
            "table sqlite_only exists only in the SQLite migrations",
            "column users.locked_until is BIGINT in SQLite but text in PostgreSQL",
            "column users.locked_until is nullable in SQLite but NOT NULL in PostgreSQL",
            "column users.nickname exists only in SQLite",
            "column users.avatar exists only in PostgreSQL",
        ]
    );
}
