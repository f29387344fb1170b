//! WindFlow's durable state: users, sessions and API tokens, organizations and their
//! members, environments, targets, stacks and their immutable versions, variables and
//! encrypted secrets, deployments (a leased job queue) with their events, and the audit log.
//!
//! One trait, [`Store`], with one adapter per database: [`sqlite::SqliteStore`] (the embedded
//! default, WAL) and [`postgres::PgStore`]. Both run the *same* SQL text (written once in
//! `queries.rs`, `$n` placeholders and `RETURNING` work on both) against their own
//! migrations (`migrations/sqlite`, `migrations/postgres`), and both must pass the one
//! conformance suite in `tests/conformance.rs`.
//!
//! *Invariants:* the store knows nothing of HTTP, Docker or compose; it never sees a
//! plaintext password, token or secret (callers hand it hashes and ciphertexts); every
//! organization-owned record is read and written through its organization id, so a query
//! can never cross tenants by forgetting a filter.

pub mod postgres;
mod queries;
pub mod record;
pub mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

pub use postgres::PgStore;
pub use record::*;
pub use sqlite::SqliteStore;

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

/// The whole persistence surface of the control plane.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is (`sqlite`, `postgres`), for logs and `/health/ready`.
    fn backend(&self) -> &'static str;
    /// A trivial round trip, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;

    // ---- users ---------------------------------------------------------------------
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn get_user(&self, id: &str) -> StoreResult<User>;
    /// The user and their password hash, for logging in.
    async fn find_user_credentials(&self, username: &str) -> StoreResult<Option<UserCredentials>>;
    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<User>>;
    async fn count_users(&self) -> StoreResult<i64>;
    async fn set_password_hash(&self, user_id: &str, password_hash: &str) -> StoreResult<()>;
    /// Records a failed login: increments the counter and, once it reaches `lock_after`,
    /// sets `locked_until`. Returns the user as updated.
    async fn record_login_failure(
        &self,
        user_id: &str,
        lock_after: i64,
        locked_until: Timestamp,
    ) -> StoreResult<User>;
    /// Clears the failure counter and the lock, and stamps `last_login_at`.
    async fn record_login_success(&self, user_id: &str, at: Timestamp) -> StoreResult<()>;
    async fn set_user_disabled(&self, user_id: &str, disabled: bool) -> StoreResult<()>;

    // ---- sessions (browser) --------------------------------------------------------
    async fn create_session(&self, session: Session) -> StoreResult<()>;
    /// The session with this id hash if it has not expired at `now`.
    async fn get_session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64>;

    // ---- API tokens -------------------------------------------------------------------
    async fn create_api_token(&self, token: NewApiToken) -> StoreResult<ApiToken>;
    /// The token with this hash if it is not revoked and not expired at `now`.
    async fn find_api_token(&self, hash: &str, now: Timestamp) -> StoreResult<Option<ApiToken>>;
    async fn list_api_tokens(&self, user_id: &str) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of `user_id`'s tokens; `NotFound` if it is someone else's.
    async fn revoke_api_token(
        &self,
        user_id: &str,
        token_id: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    async fn touch_api_token(&self, token_id: &str, at: Timestamp) -> StoreResult<()>;

    // ---- organizations and members ---------------------------------------------------
    async fn create_organization(&self, org: NewOrganization) -> StoreResult<Organization>;
    async fn get_organization(&self, slug: &str) -> StoreResult<Organization>;
    async fn list_organizations(&self, page: PageRequest) -> StoreResult<Page<Organization>>;
    /// The organizations `user_id` belongs to, with their role in each.
    async fn list_user_organizations(
        &self,
        user_id: &str,
    ) -> StoreResult<Vec<(Organization, Role)>>;
    /// Adds or changes a membership.
    async fn set_member(&self, org_id: &str, user_id: &str, role: Role) -> StoreResult<()>;
    async fn remove_member(&self, org_id: &str, user_id: &str) -> StoreResult<()>;
    async fn get_member_role(&self, org_id: &str, user_id: &str) -> StoreResult<Option<Role>>;
    async fn list_members(&self, org_id: &str) -> StoreResult<Vec<Member>>;

    // ---- environments ----------------------------------------------------------------
    async fn create_environment(&self, env: NewEnvironment) -> StoreResult<Environment>;
    async fn get_environment(&self, org_id: &str, name: &str) -> StoreResult<Environment>;
    async fn list_environments(&self, org_id: &str) -> StoreResult<Vec<Environment>>;
    /// Refused (`Invalid`) while targets or deployments refer to it.
    async fn delete_environment(&self, org_id: &str, name: &str) -> StoreResult<()>;

    // ---- targets -------------------------------------------------------------------
    async fn create_target(&self, target: NewTarget) -> StoreResult<Target>;
    async fn get_target(&self, org_id: &str, name: &str) -> StoreResult<Target>;
    async fn get_target_by_id(&self, org_id: &str, id: &str) -> StoreResult<Target>;
    async fn list_targets(&self, org_id: &str) -> StoreResult<Vec<Target>>;
    /// Every target of every organization (health checks, metrics).
    async fn list_all_targets(&self) -> StoreResult<Vec<Target>>;
    async fn update_target_status(
        &self,
        target_id: &str,
        status: TargetStatus,
        info: Option<serde_json::Value>,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Refused (`Invalid`) while a queued or running deployment uses it, unless `force`.
    async fn delete_target(&self, org_id: &str, name: &str, force: bool) -> StoreResult<()>;
    /// Replaces the target's labels.
    async fn set_target_labels(
        &self,
        org_id: &str,
        name: &str,
        labels: serde_json::Map<String, serde_json::Value>,
    ) -> StoreResult<Target>;
    /// Replaces the target's connection settings (`config`).
    async fn set_target_config(
        &self,
        org_id: &str,
        name: &str,
        config: serde_json::Value,
    ) -> StoreResult<Target>;
    /// Appends to the target's health history (a second check in the same millisecond is
    /// dropped).
    async fn record_target_check(&self, check: TargetCheck) -> StoreResult<()>;
    /// The target's checks, newest first.
    async fn list_target_checks(
        &self,
        target_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<TargetCheck>>;
    /// Removes checks older than `before`; returns how many.
    async fn prune_target_checks(&self, before: Timestamp) -> StoreResult<u64>;

    // ---- host-access policies ---------------------------------------------------------
    /// The organization's policies: its own and those narrowing its environments and targets.
    async fn list_host_policies(&self, org_id: &str) -> StoreResult<Vec<HostPolicy>>;
    /// Sets (inserts or replaces) the policy of one scope.
    async fn set_host_policy(&self, policy: HostPolicy) -> StoreResult<()>;
    /// Removes the policy of one scope; `false` when it had none.
    async fn delete_host_policy(&self, org_id: &str, scope: &PolicyScope) -> StoreResult<bool>;

    // ---- stacks and versions ---------------------------------------------------------
    /// Creates the stack and its version 1 in one transaction.
    async fn create_stack(&self, stack: NewStack) -> StoreResult<(Stack, StackVersion)>;
    async fn get_stack(&self, org_id: &str, name: &str) -> StoreResult<Stack>;
    async fn get_stack_by_id(&self, org_id: &str, id: &str) -> StoreResult<Stack>;
    /// Stacks ordered by name; `filter.name_contains` narrows them.
    async fn list_stacks(
        &self,
        org_id: &str,
        filter: &StackFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Stack>>;
    /// Appends version `expected_latest + 1`; `Stale` when the latest is not `expected_latest`.
    async fn add_stack_version(
        &self,
        org_id: &str,
        stack_id: &str,
        expected_latest: i64,
        version: NewStackVersion,
    ) -> StoreResult<StackVersion>;
    async fn get_stack_version(
        &self,
        org_id: &str,
        stack_id: &str,
        version: i64,
    ) -> StoreResult<StackVersion>;
    /// Versions newest first, without their content.
    async fn list_stack_versions(
        &self,
        org_id: &str,
        stack_id: &str,
        page: PageRequest,
    ) -> StoreResult<Page<StackVersionSummary>>;
    /// Refused (`Invalid`) while a queued or running deployment uses it.
    async fn delete_stack(&self, org_id: &str, name: &str) -> StoreResult<()>;

    // ---- variables and secrets -------------------------------------------------------
    /// Inserts or replaces a variable in `scope`.
    async fn set_variable(&self, org_id: &str, variable: NewVariable) -> StoreResult<Variable>;
    async fn list_variables(
        &self,
        org_id: &str,
        scope: &VariableScope,
    ) -> StoreResult<Vec<Variable>>;
    async fn delete_variable(
        &self,
        org_id: &str,
        scope: &VariableScope,
        name: &str,
    ) -> StoreResult<()>;
    /// Every secret of every organization, for re-encrypting under a new key.
    async fn list_all_secrets(&self) -> StoreResult<Vec<Variable>>;
    /// Every secret of one organization, whatever its scope (to mask their values in what
    /// the server shows of its containers).
    async fn list_org_secrets(&self, org_id: &str) -> StoreResult<Vec<Variable>>;
    async fn replace_secret_value(&self, variable_id: &str, value: SecretValue) -> StoreResult<()>;

    // ---- deployments (a leased job queue) ---------------------------------------------
    /// Queues a deployment. With an idempotency key already used by the same user in the
    /// same organization, returns that earlier deployment instead (`.1 == false`).
    async fn create_deployment(&self, deployment: NewDeployment)
    -> StoreResult<(Deployment, bool)>;
    async fn get_deployment(&self, org_id: &str, id: &str) -> StoreResult<Deployment>;
    /// Newest first.
    async fn list_deployments(
        &self,
        org_id: &str,
        filter: &DeploymentFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Deployment>>;
    /// Takes the oldest queued deployment whose (stack, target) has none running, marks it
    /// running under `worker` with a lease until `lease_until`. Atomic: two workers never
    /// get the same deployment.
    async fn claim_deployment(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<Deployment>>;
    /// Extends the lease; `false` when the deployment is no longer held by `worker`.
    async fn renew_lease(
        &self,
        id: &str,
        worker: &str,
        lease_until: Timestamp,
    ) -> StoreResult<bool>;
    /// Running deployments whose lease ran out before `now` (their worker died): each is
    /// handed to `worker` with a fresh lease and returned, for resuming.
    async fn reclaim_expired(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<Deployment>>;
    async fn set_deployment_plan(&self, id: &str, plan: &serde_json::Value) -> StoreResult<()>;
    /// Moves a running deployment held by `worker` to another target of its organization
    /// (failover), recording the new placement. `Conflict` when the stack already runs a
    /// deployment there; `NotFound` when the lease was lost or the target is gone.
    async fn move_deployment(
        &self,
        id: &str,
        worker: &str,
        target_id: &str,
        placement: &serde_json::Value,
    ) -> StoreResult<Deployment>;
    /// Moves a running deployment to a terminal state. `Invalid` if it is not running.
    async fn finish_deployment(&self, id: &str, finish: DeploymentFinish) -> StoreResult<()>;
    /// Cancels a queued deployment at once (returns `Cancelled`), or flags a running one
    /// (returns `Requested`); `Invalid` for a finished one.
    async fn cancel_deployment(
        &self,
        org_id: &str,
        id: &str,
        at: Timestamp,
    ) -> StoreResult<CancelOutcome>;
    async fn is_cancel_requested(&self, id: &str) -> StoreResult<bool>;
    /// Appends events; their `seq` must continue the deployment's sequence.
    async fn append_deployment_events(&self, events: &[DeploymentEvent]) -> StoreResult<()>;
    /// Events with `seq > after`, oldest first, at most `limit`.
    async fn list_deployment_events(
        &self,
        deployment_id: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<DeploymentEvent>>;
    /// The latest succeeded deployment of `stack_id` on `target_id` before `before_version`
    /// (any version when `None`): what a rollback returns to.
    async fn last_succeeded_deployment(
        &self,
        org_id: &str,
        stack_id: &str,
        target_id: &str,
        before_version: Option<i64>,
    ) -> StoreResult<Option<Deployment>>;
    /// Count of deployments per state, for metrics.
    async fn count_deployments_by_state(&self) -> StoreResult<Vec<(DeploymentState, i64)>>;

    // ---- audit -----------------------------------------------------------------------
    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()>;
    /// Newest first. `org_id: None` lists server-level entries and every organization's.
    async fn list_audit(
        &self,
        org_id: Option<&str>,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>>;

    // ---- agents ----------------------------------------------------------------------
    async fn create_agent_enrollment(&self, enrollment: NewAgentEnrollment) -> StoreResult<()>;
    /// Trades an unused, unexpired enrollment token (by hash) for an agent and its target
    /// (kind `agent`, endpoint `agent://<id>`), in one transaction; the token is used up.
    /// `NotFound("enrollment token")` when it is unknown, used or expired; a `Conflict` on
    /// `name` when a target of that name appeared meanwhile.
    async fn enroll_agent(
        &self,
        enrollment_hash: &str,
        agent: NewAgent,
        now: Timestamp,
    ) -> StoreResult<(AgentRecord, Target)>;
    /// The unrevoked agent holding this credential.
    async fn find_agent_by_credential(&self, hash: &str) -> StoreResult<Option<AgentRecord>>;
    async fn list_agents(&self, org_id: &str) -> StoreResult<Vec<AgentRecord>>;
    async fn get_agent(&self, org_id: &str, id: &str) -> StoreResult<AgentRecord>;
    /// Kills the agent's credential (idempotent).
    async fn revoke_agent(&self, org_id: &str, id: &str, at: Timestamp) -> StoreResult<()>;
    /// Records a connection: the agent's version and address, and when.
    async fn record_agent_seen(
        &self,
        id: &str,
        version: Option<&str>,
        address: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<()>;
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
