//! The embedded backend: one SQLite file in WAL mode.
//!
//! Connections enable foreign keys, `synchronous = NORMAL` and a 5 s busy timeout, so
//! concurrent writers wait for each other instead of failing with `SQLITE_BUSY`;
//! multi-statement writes start with `BEGIN IMMEDIATE` (taking the write lock up front, so a
//! transaction never has to upgrade a stale read snapshot, which no timeout can rescue).

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;

/// Pooled connections: WAL lets readers run beside the one writer.
const MAX_CONNECTIONS: u32 = 8;
/// How long a pooled connection beyond the first may sit unused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(20);
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The [`Store`](crate::Store) on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it and its directory when missing) the database at `path` and applies
    /// the migrations in `migrations/sqlite`.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|error| {
                StoreError::Database(format!("creating {}: {error}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(crate::sql::database_error)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // An idle server keeps one connection: the others (and their caches) close.
            .min_connections(1)
            .idle_timeout(Some(IDLE_TIMEOUT))
            .connect_with(options)
            .await
            .map_err(|error| {
                StoreError::Database(format!("opening {}: {error}", path.display()))
            })?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|error| {
                StoreError::Database(format!("migrating {}: {error}", path.display()))
            })?;
        Ok(Self { pool })
    }

    /// The connection pool, for callers that need the database itself (backups).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(crate::sql::database_error)
    }
}

crate::adapter::impl_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow, "sqlite");
