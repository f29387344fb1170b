//! A fresh PostgreSQL database per test.
//!
//! Tests get an admin-capable URL from `WINDFLOW_TEST_DATABASE_URL` (what
//! `scripts/ensure-postgres.sh` prints: a role with CREATEDB), create a database with a
//! unique name through it, and drop that database when the guard goes out of scope.
//!
//! Invariant: a missing URL is a failure, never a silent pass. Only a developer's
//! `WINDFLOW_SKIP_POSTGRES=1` turns it into a skip; `scripts/test.sh` and `.ci/run` provide
//! the URL and ignore the skip switch in CI.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// The admin-capable URL the PostgreSQL tests create their databases through.
pub const TEST_DATABASE_URL_ENV: &str = "WINDFLOW_TEST_DATABASE_URL";

/// Set to `1` to skip PostgreSQL-backed tests locally.
pub const SKIP_POSTGRES_ENV: &str = "WINDFLOW_SKIP_POSTGRES";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Whether the developer asked to skip PostgreSQL-backed tests.
pub fn skip_postgres() -> bool {
    std::env::var(SKIP_POSTGRES_ENV).is_ok_and(|value| value == "1")
}

/// A database created for one test; dropped (best effort, with `WITH (FORCE)`) on drop.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    name: String,
    admin_url: String,
}

impl TestDatabase {
    /// The URL of the fresh database, for `PgStore::connect` or the server's `--database-url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::env::var("WINDFLOW_KEEP_TEST_DATABASES").is_ok_and(|value| value == "1") {
            eprintln!(
                "keeping database {} (WINDFLOW_KEEP_TEST_DATABASES=1)",
                self.name
            );
            return;
        }
        // Drop may run inside a runtime, where blocking on it is forbidden: use a thread with
        // its own runtime, as ProjectGuard does.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| anyhow!(error).context("building a cleanup runtime"))?;
            runtime.block_on(drop_database(&admin_url, &name))
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("dropping test database {} failed: {error:#}", self.name),
            Err(_) => eprintln!("dropping test database {} panicked", self.name),
        }
    }
}

/// A fresh, empty database named after `prefix`, or `None` when the developer set
/// `WINDFLOW_SKIP_POSTGRES=1` and no URL is configured (it prints "skipped").
///
/// # Panics
/// When `WINDFLOW_TEST_DATABASE_URL` is unset (and the skip switch is not), or the database
/// cannot be created, with the command that fixes it.
pub async fn fresh_database(prefix: &str) -> Option<TestDatabase> {
    let Some(admin_url) = std::env::var(TEST_DATABASE_URL_ENV)
        .ok()
        .filter(|url| !url.is_empty())
    else {
        if skip_postgres() {
            eprintln!("skipped: {SKIP_POSTGRES_ENV}=1 and {TEST_DATABASE_URL_ENV} is not set");
            return None;
        }
        panic!(
            "{TEST_DATABASE_URL_ENV} is not set: run \
             `export {TEST_DATABASE_URL_ENV}=$(scripts/ensure-postgres.sh)` (or set \
             {SKIP_POSTGRES_ENV}=1 to skip the PostgreSQL tests locally)"
        );
    };
    match create_database(&admin_url, prefix).await {
        Ok(database) => Some(database),
        Err(error) => panic!(
            "creating a test database through {TEST_DATABASE_URL_ENV} failed: {error:#} \
             (run scripts/ensure-postgres.sh)"
        ),
    }
}

/// Creates a uniquely named database through `admin_url`.
pub async fn create_database(admin_url: &str, prefix: &str) -> anyhow::Result<TestDatabase> {
    let name = database_name(prefix);
    let mut admin = connect(admin_url).await?;
    // The name is ours (letters, digits and underscores), so quoting it is enough.
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .with_context(|| format!("CREATE DATABASE {name}"))?;
    let _ = admin.close().await;
    Ok(TestDatabase {
        url: url_with_database(admin_url, &name)?,
        name,
        admin_url: admin_url.to_string(),
    })
}

async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut admin = connect(admin_url).await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .with_context(|| format!("DROP DATABASE {name}"))?;
    let _ = admin.close().await;
    Ok(())
}

async fn connect(url: &str) -> anyhow::Result<PgConnection> {
    tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url))
        .await
        .map_err(|_| anyhow!("no answer from PostgreSQL within {CONNECT_TIMEOUT:?}"))?
        .context("connecting to PostgreSQL")
}

/// `wf_<prefix>_<pid>_<counter>_<random>`, lowercase, at most 63 bytes (PostgreSQL's limit).
fn database_name(prefix: &str) -> String {
    let unique = crate::unique_project(prefix).replace('-', "_");
    let mut name = format!("wf_{unique}");
    if name.len() > 63 {
        // Keep the unique tail; the prefix is only for humans.
        name = format!("wf_{}", &unique[unique.len() - 59..]);
    }
    name
}

/// `url` with its database path replaced by `database` (query parameters kept).
fn url_with_database(url: &str, database: &str) -> anyhow::Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .with_context(|| format!("{TEST_DATABASE_URL_ENV} is not a URL"))?;
    if scheme != "postgres" && scheme != "postgresql" {
        bail!("{TEST_DATABASE_URL_ENV} must be a postgres:// URL, not {scheme}://");
    }
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query.split('/').next().unwrap_or_default();
    let mut result = format!("{scheme}://{authority}/{database}");
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_the_new_database() {
        let check = |url: &str, expected: &str| {
            assert_eq!(url_with_database(url, "db1").unwrap(), expected, "{url}");
        };
        check(
            "postgres://windflow:windflow@127.0.0.1:5432/postgres",
            "postgres://windflow:windflow@127.0.0.1:5432/db1",
        );
        check("postgresql://u@h", "postgresql://u@h/db1");
        check(
            "postgres://u:p@h:1/x?sslmode=disable",
            "postgres://u:p@h:1/db1?sslmode=disable",
        );
        assert!(url_with_database("mysql://h/x", "db1").is_err());
    }

    #[test]
    fn database_names_are_unique_and_short() {
        let long = "a".repeat(100);
        let a = database_name(&long);
        let b = database_name(&long);
        assert_ne!(a, b);
        assert!(a.len() <= 63, "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{a}"
        );
    }
}
