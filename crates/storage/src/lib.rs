//! WindFlow's durable state: users, sessions and API tokens, organizations and their
//! members, environments, targets, stacks and their immutable versions, variables and
//! encrypted secrets, deployments (a leased job queue) with their events, agents, the audit
//! log, TLS certificates, DNS providers and records, stacks' domains, the template catalog,
//! AI providers, backups (repositories, policies, a leased queue of runs, snapshots), and
//! second factors with organizations' login policies, and single sign-on (OpenID Connect
//! providers, linked identities, mapped memberships).
//!
//! One trait, [`Store`], with one adapter per database: [`sqlite::SqliteStore`] (the embedded
//! default, WAL) and [`postgres::PgStore`]. `Store` is the sum of one trait per aggregate, and
//! each aggregate lives in one module holding its trait, its SQL and its implementation:
//!
//! | module             | trait                 | tables                                          |
//! |--------------------|-----------------------|-------------------------------------------------|
//! | `users.rs`         | [`UserStore`]         | `users`, `sessions`, `api_tokens`               |
//! | `organizations.rs` | [`OrganizationStore`] | `organizations`, `memberships`, `environments`  |
//! | `targets.rs`       | [`TargetStore`]       | `targets`, `target_checks`, `host_policies`     |
//! | `stacks.rs`        | [`StackStore`]        | `stacks`, `stack_versions`                      |
//! | `variables.rs`     | [`VariableStore`]     | `variables`                                     |
//! | `deployments.rs`   | [`DeploymentStore`]   | `deployments`, `deployment_events`              |
//! | `audit.rs`         | [`AuditStore`]        | `audit_log`                                     |
//! | `agents.rs`        | [`AgentStore`]        | `agent_enrollments`, `agents`                   |
//! | `certificates.rs`  | [`CertificateStore`]  | `certificates`, `acme_accounts`                 |
//! | `dns.rs`           | [`DnsStore`]          | `dns_providers`, `dns_records`                  |
//! | `domains.rs`       | [`DomainStore`]       | `stack_domains`                                 |
//! | `catalog.rs`       | [`CatalogStore`]      | `catalog_sources`, `catalog_templates`, `stack_templates` |
//! | `ai.rs`            | [`AiStore`]           | `ai_providers`, `ai_requests`                   |
//! | `backups.rs`       | [`BackupStore`]       | `backup_repositories`, `backup_policies`, `backup_runs`, `backup_snapshots` |
//! | `access.rs`        | [`AccessStore`]       | `teams`, `team_members`, `custom_roles`, `role_grants`, `service_accounts` |
//! | `passkeys.rs`      | [`PasskeyStore`]      | `passkeys`, `webauthn_ceremonies`               |
//! | `factors.rs`       | [`FactorStore`]       | `totp_factors`, `recovery_codes`, `org_login_policies` |
//! | `workflows.rs`     | [`WorkflowStore`]     | `workflows`, `workflow_versions`, `workflow_runs`, `workflow_node_runs`, `notification_channels` |
//! | `sso.rs`           | [`SsoStore`]          | `sso_providers`, `sso_identities`, `sso_grants`, `sso_logins`, `sso_sessions`, `sso_cli_codes` |
//!
//! `snapshot.rs` copies and inspects a database as a whole (server backups and restores).
//! `sql.rs` holds what they share (error mapping, JSON columns), `adapter.rs` the
//! `impl_store!` macro that assembles them into each adapter; `record.rs`
//! the records they read and write. Adding a method touches the aggregate's module, its
//! scenario in `tests/conformance/<aggregate>.rs`, and, for a schema change, one new
//! migration per backend (`migrations/sqlite`, `migrations/postgres`).
//!
//! Both adapters run the *same* SQL text (`$n` placeholders and `RETURNING` work on both)
//! against their own migrations, and both must pass the one conformance suite in
//! `tests/conformance/`; `tests/migration_parity.rs` checks that the two migration sets
//! define the same tables, columns and nullability.
//!
//! *Why a macro:* each aggregate's body is written once and expanded for each backend by a
//! `macro_rules!` (`impl_user_store!`, …, called from `impl_store!` in `sqlite.rs` and
//! `postgres.rs`) against that backend's concrete `sqlx` types. sqlx's `Any` driver would
//! erase those types (it knows no SQLite connect options such as WAL, the busy timeout or
//! `BEGIN IMMEDIATE`, and decodes through a narrower set of types), and code generic over
//! `DB: sqlx::Database` needs, on every method, bounds for each bound and decoded type
//! (`for<'q> T: Encode<'q, DB> + Type<DB>`, `&str: ColumnIndex<DB::Row>`, executors for
//! `&Pool<DB>` and `&mut DB::Connection`, …) that must also keep `async_trait`'s futures
//! `Send`; the macro keeps the bodies plain and the compiler checks each expansion.
//!
//! *Invariants:* the store knows nothing of HTTP, Docker or compose; it never sees a
//! plaintext password, token or secret (callers hand it hashes and ciphertexts); every
//! organization-owned record is read and written through its organization id, so a query
//! can never cross tenants by forgetting a filter; applied migrations are never edited (a
//! change is a new migration in both directories).

mod access;
mod adapter;
mod agents;
mod ai;
mod audit;
pub mod backups;
mod catalog;
mod certificates;
mod deployments;
mod dns;
mod domains;
pub mod factors;
mod organizations;
mod passkeys;
pub mod postgres;
pub mod record;
pub mod snapshot;
mod sql;
pub mod sqlite;
mod sso;
mod stacks;
mod targets;
mod users;
mod variables;
mod workflows;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

pub use access::AccessStore;
pub use agents::AgentStore;
pub use ai::AiStore;
pub use audit::AuditStore;
pub use backups::BackupStore;
pub use catalog::CatalogStore;
pub use certificates::CertificateStore;
pub use deployments::DeploymentStore;
pub use dns::DnsStore;
pub use domains::DomainStore;
pub use factors::{
    FactorStore, LoginPolicyRecord, PasswordLogin, SecondFactorRequirement, TotpFactor,
};
pub use organizations::OrganizationStore;
pub use passkeys::PasskeyStore;
pub use postgres::PgStore;
pub use record::*;
pub use sqlite::SqliteStore;
pub use sso::SsoStore;
pub use stacks::StackStore;
pub use targets::TargetStore;
pub use users::UserStore;
pub use variables::VariableStore;
pub use workflows::WorkflowStore;

/// Where the control plane keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// A SQLite file (created with its directory when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL URL, `postgres://…` or `postgresql://…`.
    Postgres(String),
}

/// The SQLite file name inside the data directory when no database URL is given.
pub const DEFAULT_SQLITE_FILE: &str = "windflow.db";

impl DatabaseLocation {
    /// Reads a `--database-url`/`WINDFLOW_DATABASE_URL` value: `postgres://` and
    /// `postgresql://` URLs name PostgreSQL; `sqlite://<path>` or `sqlite:<path>` a SQLite
    /// file; nothing at all means `<data_dir>/windflow.db`. Any other scheme is refused
    /// (`Invalid`), and a bare path is taken as a SQLite file.
    pub fn from_env_or_dir(database_url: Option<&str>, data_dir: &Path) -> StoreResult<Self> {
        let Some(url) = database_url.map(str::trim).filter(|url| !url.is_empty()) else {
            return Ok(DatabaseLocation::Sqlite(data_dir.join(DEFAULT_SQLITE_FILE)));
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseLocation::Postgres(url.to_string()));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "database URL {url:?} names no file: use sqlite:///path/to/windflow.db"
                )));
            }
            return Ok(DatabaseLocation::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(StoreError::Invalid(format!(
                "database URL scheme {scheme}:// is not supported: use postgres://… or \
                 sqlite:///path/to/windflow.db"
            )));
        }
        Ok(DatabaseLocation::Sqlite(PathBuf::from(url)))
    }

    /// The location for logs: the SQLite path, or the PostgreSQL URL without its password.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseLocation::Postgres(url) => redact_password(url),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Opens the store at `location`, creating or migrating its schema.
pub async fn open(location: &DatabaseLocation) -> StoreResult<Arc<dyn Store>> {
    Ok(match location {
        DatabaseLocation::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        DatabaseLocation::Postgres(url) => Arc::new(PgStore::connect(url).await?),
    })
}

/// What can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist (in this organization).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique key is taken: the field (`name`, `username`, `slug`…) that clashes.
    #[error("{entity} with this {field} already exists")]
    Conflict {
        entity: &'static str,
        field: &'static str,
    },
    /// An optimistic-concurrency check failed: the record changed since it was read.
    #[error("{entity} was changed by someone else (expected version {expected}, found {found})")]
    Stale {
        entity: &'static str,
        expected: i64,
        found: i64,
    },
    /// The operation is not allowed in the record's current state.
    #[error("{0}")]
    Invalid(String),
    /// The database failed (connection, I/O, a bug in a query).
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The whole persistence surface of the control plane: the sum of one trait per aggregate,
/// plus what concerns the database as a whole. Callers hold an `Arc<dyn Store>` and call any
/// aggregate's methods on it directly (a trait object's supertrait methods need no import).
#[async_trait]
pub trait Store:
    UserStore
    + OrganizationStore
    + TargetStore
    + StackStore
    + VariableStore
    + DeploymentStore
    + AuditStore
    + AgentStore
    + CertificateStore
    + DnsStore
    + DomainStore
    + CatalogStore
    + AiStore
    + BackupStore
    + WorkflowStore
    + AccessStore
    + PasskeyStore
    + FactorStore
    + SsoStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is (`sqlite`, `postgres`), for logs and `/health/ready`.
    fn backend(&self) -> &'static str;
    /// A trivial round trip, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: Option<&str>, expected: Result<DatabaseLocation, &str>) {
        let got = DatabaseLocation::from_env_or_dir(url, Path::new("/var/lib/windflow"));
        match (got, expected) {
            (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{url:?}"),
            (Err(StoreError::Invalid(message)), Err(needle)) => {
                assert!(message.contains(needle), "{message}")
            }
            (got, expected) => panic!("{url:?}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn database_locations() {
        let sqlite = |p: &str| Ok(DatabaseLocation::Sqlite(PathBuf::from(p)));
        let postgres = |u: &str| Ok(DatabaseLocation::Postgres(u.to_string()));
        check(None, sqlite("/var/lib/windflow/windflow.db"));
        check(Some("  "), sqlite("/var/lib/windflow/windflow.db"));
        check(Some("postgres://u:p@h/db"), postgres("postgres://u:p@h/db"));
        check(Some("postgresql://h/db"), postgres("postgresql://h/db"));
        check(Some("sqlite:///data/wf.db"), sqlite("/data/wf.db"));
        check(Some("sqlite://wf.db?mode=rwc"), sqlite("wf.db"));
        check(Some("sqlite:relative/wf.db"), sqlite("relative/wf.db"));
        check(Some("/data/wf.db"), sqlite("/data/wf.db"));
        check(Some("sqlite://"), Err("names no file"));
        check(Some("mysql://h/db"), Err("mysql:// is not supported"));
    }

    #[test]
    fn passwords_are_redacted() {
        let location = DatabaseLocation::Postgres("postgres://wf:secret@db:5432/wf".into());
        assert_eq!(location.redacted(), "postgres://wf:***@db:5432/wf");
        let location = DatabaseLocation::Postgres("postgres://db/wf".into());
        assert_eq!(location.redacted(), "postgres://db/wf");
        let location = DatabaseLocation::Sqlite(PathBuf::from("/d/windflow.db"));
        assert_eq!(location.redacted(), "sqlite:///d/windflow.db");
    }
}
