//! The PostgreSQL backend, for installations that run several server replicas or want the
//! database managed elsewhere.
//!
//! Transactions run at READ COMMITTED; the queues (deployments, backup runs) stay correct
//! because claiming is a single `UPDATE … WHERE state = 'queued'` (a loser re-checks the row
//! and updates nothing), and partial unique indexes back it up: one running deployment per
//! (stack, target), one running backup run per repository.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::StoreError;

const MAX_CONNECTIONS: u32 = 16;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a pooled connection beyond the first may sit unused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// The [`Store`](crate::Store) on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and applies the
    /// migrations in `migrations/postgres`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // An idle server keeps one connection: the others (and their caches) close.
            .min_connections(1)
            .idle_timeout(Some(IDLE_TIMEOUT))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(|error| StoreError::Database(format!("connecting to PostgreSQL: {error}")))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|error| StoreError::Database(format!("migrating PostgreSQL: {error}")))?;
        Ok(Self { pool })
    }

    /// The connection pool, for callers that need the database itself.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection (tests do this before dropping their database).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(crate::sql::database_error)
    }
}

crate::adapter::impl_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow, "postgres");
