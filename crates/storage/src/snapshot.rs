//! The database as a whole, for `windflow admin backup` and `restore`: a consistent copy of a
//! SQLite file taken while the server writes to it, the schema's migration version, and
//! whether a database already holds WindFlow's tables.
//!
//! These functions open their own short-lived connection and never run migrations: a backup
//! must not change the database it copies, and a restore looks before it writes.
//! (PostgreSQL is copied by the host's `pg_dump`, which the server runs itself.)

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection as _, PgConnection};

use crate::{DatabaseLocation, StoreError, StoreResult};

const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The newest migration this build knows for `location`'s backend: a restored database with
/// a higher version was made by a newer WindFlow.
pub fn known_schema_version(location: &DatabaseLocation) -> i64 {
    let migrator = match location {
        DatabaseLocation::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
        DatabaseLocation::Postgres(_) => sqlx::migrate!("./migrations/postgres"),
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

async fn sqlite_connection(path: &Path, read_only: bool) -> StoreResult<SqliteConnection> {
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(crate::sql::database_error)?
        .filename(path)
        .create_if_missing(false)
        .read_only(read_only)
        .busy_timeout(BUSY_TIMEOUT);
    SqliteConnection::connect_with(&options)
        .await
        .map_err(|error| StoreError::Database(format!("opening {}: {error}", path.display())))
}

/// Copies the SQLite database at `source` into `destination` (which must not exist, or be
/// empty) with `VACUUM INTO`: one read transaction, so the copy is consistent even while a
/// server writes to `source` (WAL lets it go on writing meanwhile).
pub async fn copy_sqlite(source: &Path, destination: &Path) -> StoreResult<()> {
    if !source.is_file() {
        return Err(StoreError::Invalid(format!(
            "no SQLite database at {}",
            source.display()
        )));
    }
    let mut connection = sqlite_connection(source, false).await?;
    let destination_text = destination.to_str().ok_or_else(|| {
        StoreError::Invalid(format!("{} is not a UTF-8 path", destination.display()))
    })?;
    let result = sqlx::query("VACUUM INTO ?")
        .bind(destination_text)
        .execute(&mut connection)
        .await
        .map_err(|error| {
            StoreError::Database(format!(
                "copying {} into {}: {error}",
                source.display(),
                destination.display()
            ))
        });
    let _ = connection.close().await;
    result.map(|_| ())
}

/// The highest applied migration of the database at `location`, `None` when it has no
/// migration table (an empty database).
pub async fn schema_version(location: &DatabaseLocation) -> StoreResult<Option<i64>> {
    const HAS_TABLE_SQLITE: &str =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'";
    const HAS_TABLE_PG: &str = "SELECT COUNT(*) FROM information_schema.tables \
                                WHERE table_schema = current_schema() \
                                AND table_name = '_sqlx_migrations'";
    const VERSION: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";
    match location {
        DatabaseLocation::Sqlite(path) => {
            let mut c = sqlite_connection(path, true).await?;
            let tables: i64 = sqlx::query_scalar(HAS_TABLE_SQLITE)
                .fetch_one(&mut c)
                .await
                .map_err(crate::sql::database_error)?;
            let version = if tables == 0 {
                None
            } else {
                sqlx::query_scalar::<_, Option<i64>>(VERSION)
                    .fetch_one(&mut c)
                    .await
                    .map_err(crate::sql::database_error)?
            };
            let _ = c.close().await;
            Ok(version)
        }
        DatabaseLocation::Postgres(url) => {
            let mut c = pg_connection(url).await?;
            let tables: i64 = sqlx::query_scalar(HAS_TABLE_PG)
                .fetch_one(&mut c)
                .await
                .map_err(crate::sql::database_error)?;
            let version = if tables == 0 {
                None
            } else {
                sqlx::query_scalar::<_, Option<i64>>(VERSION)
                    .fetch_one(&mut c)
                    .await
                    .map_err(crate::sql::database_error)?
            };
            let _ = c.close().await;
            Ok(version)
        }
    }
}

/// How many tables the database at `location` holds (in PostgreSQL: in its current schema);
/// 0 for a SQLite file that does not exist or is empty.
pub async fn table_count(location: &DatabaseLocation) -> StoreResult<i64> {
    match location {
        DatabaseLocation::Sqlite(path) => {
            match std::fs::metadata(path) {
                Ok(meta) if meta.len() > 0 => {}
                Ok(_) => return Ok(0),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                Err(e) => {
                    return Err(StoreError::Database(format!(
                        "reading {}: {e}",
                        path.display()
                    )));
                }
            }
            let mut c = sqlite_connection(path, true).await?;
            let count =
                sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
                    .fetch_one(&mut c)
                    .await
                    .map_err(crate::sql::database_error)?;
            let _ = c.close().await;
            Ok(count)
        }
        DatabaseLocation::Postgres(url) => {
            let mut c = pg_connection(url).await?;
            let count = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema()",
            )
            .fetch_one(&mut c)
            .await
            .map_err(crate::sql::database_error)?;
            let _ = c.close().await;
            Ok(count)
        }
    }
}

async fn pg_connection(url: &str) -> StoreResult<PgConnection> {
    tokio::time::timeout(Duration::from_secs(15), PgConnection::connect(url))
        .await
        .map_err(|_| StoreError::Database("no answer from PostgreSQL within 15s".into()))?
        .map_err(|error| StoreError::Database(format!("connecting to PostgreSQL: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_copy_of_a_live_database_has_its_tables_and_version() {
        let dir = std::env::temp_dir().join(format!("wf-snapshot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join("windflow.db");
        let location = DatabaseLocation::Sqlite(source.clone());
        assert_eq!(table_count(&location).await.unwrap(), 0);
        let store = crate::SqliteStore::open(&source).await.unwrap();
        let copy = dir.join("copy.db");
        copy_sqlite(&source, &copy).await.unwrap();
        drop(store);
        let copied = DatabaseLocation::Sqlite(copy);
        assert!(table_count(&copied).await.unwrap() > 5);
        assert_eq!(
            schema_version(&copied).await.unwrap(),
            Some(known_schema_version(&copied))
        );
        assert!(
            copy_sqlite(&dir.join("missing.db"), &dir.join("x.db"))
                .await
                .is_err()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
