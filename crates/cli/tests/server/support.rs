//! Shared setup for the server tests.

use std::path::PathBuf;

use windflow_testkit::postgres;
use windflow_testkit::server::{Database, Server};

pub fn bin() -> PathBuf {
    windflow_testkit::locate_windflow_bin(option_env!("CARGO_BIN_EXE_windflow"))
        .expect("the windflow binary")
}

/// The databases every API test runs against: SQLite always, PostgreSQL unless a developer
/// set `WINDFLOW_SKIP_POSTGRES=1` (CI never does).
pub async fn databases(prefix: &str) -> Vec<Database> {
    let mut list = vec![Database::Sqlite];
    if let Some(db) = postgres::fresh_database(prefix).await {
        list.push(Database::Postgres(db));
    }
    list
}

pub async fn start(database: Database) -> Server {
    Server::start(&bin(), database)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}
