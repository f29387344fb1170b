//! Backups: an organization's backup repositories (where restic writes; their secret
//! settings and password sealed), stacks' backup policies, the backup operations (a leased
//! queue like deployments: queued → running under a server's lease → a terminal status) and
//! the restic snapshots the backups wrote.
//!
//! *Invariants:* at most one operation runs per repository (restic locks it): claiming skips
//! repositories that have one running, and a partial unique index backs that up under
//! concurrency. A repository a policy uses cannot be deleted. Runs and snapshots keep their
//! stack's id and name without referring to it: they outlive the stack.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Backup repositories, policies, runs and snapshots.
#[async_trait]
pub trait BackupStore: Send + Sync {
    // ---- repositories -------------------------------------------------------------------
    /// `Conflict` on `name` when the organization has a repository of that name.
    async fn create_backup_repository(
        &self,
        repository: BackupRepositoryRecord,
    ) -> StoreResult<BackupRepositoryRecord>;
    /// `NotFound` when absent or of another organization.
    async fn get_backup_repository(
        &self,
        org_id: &str,
        id: &str,
    ) -> StoreResult<BackupRepositoryRecord>;
    /// The organization's repository named `name`, if any.
    async fn find_backup_repository(
        &self,
        org_id: &str,
        name: &str,
    ) -> StoreResult<Option<BackupRepositoryRecord>>;
    /// The organization's repositories, by name.
    async fn list_backup_repositories(
        &self,
        org_id: &str,
    ) -> StoreResult<Vec<BackupRepositoryRecord>>;
    /// Updates the name, the settings and `updated_at` of the repository (`org_id`, `id`) and,
    /// when `credentials` is `Some`, its sealed credentials (`None` keeps the sealed value:
    /// they are write-only). The kind, the password and the check results stay. `Conflict` on
    /// `name`; `NotFound` when absent or of another organization.
    async fn update_backup_repository(
        &self,
        repository: BackupRepositoryRecord,
    ) -> StoreResult<BackupRepositoryRecord>;
    /// Records that `restic init` created the repository.
    async fn mark_backup_repository_initialized(&self, id: &str, at: Timestamp) -> StoreResult<()>;
    /// Records the outcome of a reachability or `restic check` run.
    async fn record_backup_repository_check(
        &self,
        id: &str,
        at: Timestamp,
        ok: bool,
        message: Option<&str>,
    ) -> StoreResult<()>;
    /// Deletes the repository record with its runs and snapshots (not the data it holds).
    /// Refused (`Invalid`, naming the repository and the stacks) while a backup policy uses
    /// it, or while an operation on it is queued or running.
    async fn delete_backup_repository(&self, org_id: &str, id: &str) -> StoreResult<()>;
    /// Every repository of every organization, for re-sealing under a new key.
    async fn list_all_backup_repositories(&self) -> StoreResult<Vec<BackupRepositoryRecord>>;
    /// Replaces the sealed secrets (after re-sealing): `credentials` as given (`None` = the
    /// repository has none) and the password.
    async fn replace_backup_repository_secrets(
        &self,
        id: &str,
        credentials: Option<SecretValue>,
        password: SecretValue,
    ) -> StoreResult<()>;

    // ---- policies -----------------------------------------------------------------------
    /// Sets (or replaces) the stack's policy. `NotFound` when the stack or the repository is
    /// not the organization's.
    async fn set_backup_policy(
        &self,
        policy: BackupPolicyRecord,
    ) -> StoreResult<BackupPolicyRecord>;
    /// The stack's policy, if it has one.
    async fn get_backup_policy(&self, stack_id: &str) -> StoreResult<Option<BackupPolicyRecord>>;
    /// `NotFound` when the stack has no policy.
    async fn delete_backup_policy(&self, stack_id: &str) -> StoreResult<()>;
    /// The organization's policies, by stack name.
    async fn list_backup_policies(&self, org_id: &str) -> StoreResult<Vec<BackupPolicyRecord>>;
    /// Enabled policies of stacks not deleted with a backup, check or drill due at `now`
    /// (`next_*_at <= now`), for the scheduler.
    async fn list_due_backup_policies(
        &self,
        now: Timestamp,
    ) -> StoreResult<Vec<BackupPolicyRecord>>;
    /// Stores when the stack's next backup, check and drill are due (`None`: not scheduled).
    async fn set_backup_policy_schedule(
        &self,
        stack_id: &str,
        next_backup_at: Option<Timestamp>,
        next_check_at: Option<Timestamp>,
        next_drill_at: Option<Timestamp>,
    ) -> StoreResult<()>;

    // ---- runs (a leased job queue) ------------------------------------------------------
    /// Queues (or records) a run. `NotFound` when the repository, or the stack when given,
    /// is not the organization's.
    async fn create_backup_run(&self, run: BackupRunRecord) -> StoreResult<BackupRunRecord>;
    /// `NotFound` when absent or of another organization.
    async fn get_backup_run(&self, org_id: &str, id: &str) -> StoreResult<BackupRunRecord>;
    /// The organization's runs, optionally of one stack and one kind, newest first.
    async fn list_backup_runs(
        &self,
        org_id: &str,
        stack_id: Option<&str>,
        kind: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<BackupRunRecord>>;
    /// Takes the oldest queued run whose repository has none running, marks it running under
    /// `owner` with a lease until `lease_until` (`started_at` set on the first attempt,
    /// `attempts` + 1). Atomic: two claimers never get the same run, and never two runs of
    /// one repository.
    async fn claim_backup_run(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<BackupRunRecord>>;
    /// Extends the lease; `false` when the run is no longer running under `owner`.
    async fn renew_backup_lease(
        &self,
        id: &str,
        owner: &str,
        lease_until: Timestamp,
    ) -> StoreResult<bool>;
    /// Running runs whose lease ran out before `now` (their server died): each is handed to
    /// `owner` with a fresh lease (`attempts` + 1) and returned, for resuming or failing.
    async fn reclaim_expired_backup_runs(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<BackupRunRecord>>;
    /// Rewrites the run's progress.
    async fn update_backup_run_result(
        &self,
        id: &str,
        result: &serde_json::Value,
    ) -> StoreResult<()>;
    /// Moves a queued or running run to `status` (`succeeded`, `failed` or `cancelled`) and
    /// ends its lease (`lease_owner` stays, as who ran it). `Invalid` for another status or a
    /// run that has already finished.
    async fn finish_backup_run(
        &self,
        id: &str,
        status: &str,
        result: &serde_json::Value,
        error: Option<&str>,
        finished_at: Timestamp,
    ) -> StoreResult<()>;
    /// Cancels a queued run at once (`cancelled`, finished `at`) or flags a running one for
    /// its server to stop; returns the run. `Invalid` for a finished run; `NotFound` when
    /// absent or of another organization.
    async fn request_backup_run_cancel(
        &self,
        org_id: &str,
        id: &str,
        at: Timestamp,
    ) -> StoreResult<BackupRunRecord>;
    /// Whether a cancel was requested, polled by the server running it. `NotFound` when
    /// absent.
    async fn is_backup_run_cancel_requested(&self, id: &str) -> StoreResult<bool>;
    /// The stack's queued or running run of `kind` (the oldest), so a scheduled run is not
    /// queued twice.
    async fn active_backup_run(
        &self,
        stack_id: &str,
        kind: &str,
    ) -> StoreResult<Option<BackupRunRecord>>;
    /// Per stack not deleted, its latest succeeded backup: `(org_id, stack_id, stack_name,
    /// finished_at)`, for metrics.
    async fn last_backup_successes(&self) -> StoreResult<Vec<(String, String, String, Timestamp)>>;

    // ---- snapshots ----------------------------------------------------------------------
    /// Records the snapshots a backup wrote, in one transaction. `NotFound` when a
    /// snapshot's repository is not its organization's; `Conflict` on `id` when the
    /// repository already has the snapshot.
    async fn insert_backup_snapshots(&self, snapshots: &[BackupSnapshotRecord]) -> StoreResult<()>;
    /// The organization's snapshots, optionally of one stack, newest first.
    async fn list_backup_snapshots(
        &self,
        org_id: &str,
        stack_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<BackupSnapshotRecord>>;
    /// The organization's snapshot `id` (restic's id); `NotFound` when absent or of another
    /// organization.
    async fn get_backup_snapshot(
        &self,
        org_id: &str,
        id: &str,
    ) -> StoreResult<BackupSnapshotRecord>;
    /// Forgets the repository's snapshots `ids` (after `restic forget`), in one transaction;
    /// ids it does not hold are skipped.
    async fn delete_backup_snapshots(&self, repository_id: &str, ids: &[String])
    -> StoreResult<()>;
    /// The snapshots one run wrote, by item.
    async fn list_backup_snapshots_of_run(
        &self,
        run_id: &str,
    ) -> StoreResult<Vec<BackupSnapshotRecord>>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! repository_columns {
    () => {
        "id, org_id, name, kind, settings, credentials_key_id, credentials_nonce, \
         credentials_ciphertext, password_key_id, password_nonce, password_ciphertext, \
         initialized_at, checked_at, check_ok, check_message, created_by, created_at, \
         updated_at"
    };
}
macro_rules! policy_columns {
    () => {
        "org_id, stack_id, repository_id, enabled, settings, next_backup_at, next_check_at, \
         next_drill_at, updated_by, updated_at"
    };
}
macro_rules! run_columns {
    () => {
        "id, org_id, stack_id, stack_name, repository_id, kind, status, trigger, requested_by, \
         params, result, error, lease_owner, lease_expires_at, attempts, cancel_requested, \
         created_at, started_at, finished_at"
    };
}
macro_rules! snapshot_columns {
    () => {
        "id, org_id, repository_id, stack_id, stack_name, run_id, item, kind, engine, path, \
         files, size_bytes, added_bytes, duration_ms, created_at"
    };
}

// repositories
pub(crate) const INSERT_REPOSITORY: &str = concat!(
    "INSERT INTO backup_repositories (",
    repository_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18) RETURNING ",
    repository_columns!()
);
pub(crate) const GET_REPOSITORY: &str = concat!(
    "SELECT ",
    repository_columns!(),
    " FROM backup_repositories WHERE org_id = $1 AND id = $2"
);
pub(crate) const FIND_REPOSITORY: &str = concat!(
    "SELECT ",
    repository_columns!(),
    " FROM backup_repositories WHERE org_id = $1 AND name = $2"
);
pub(crate) const LIST_REPOSITORIES: &str = concat!(
    "SELECT ",
    repository_columns!(),
    " FROM backup_repositories WHERE org_id = $1 ORDER BY name"
);
pub(crate) const LIST_ALL_REPOSITORIES: &str = concat!(
    "SELECT ",
    repository_columns!(),
    " FROM backup_repositories ORDER BY org_id, id"
);
pub(crate) const UPDATE_REPOSITORY: &str = concat!(
    "UPDATE backup_repositories SET name = $3, settings = $4, \
     credentials_key_id = COALESCE($5, credentials_key_id), \
     credentials_nonce = COALESCE($6, credentials_nonce), \
     credentials_ciphertext = COALESCE($7, credentials_ciphertext), updated_at = $8 \
     WHERE org_id = $1 AND id = $2 RETURNING ",
    repository_columns!()
);
pub(crate) const MARK_REPOSITORY_INITIALIZED: &str =
    "UPDATE backup_repositories SET initialized_at = $2 WHERE id = $1";
pub(crate) const RECORD_REPOSITORY_CHECK: &str = "UPDATE backup_repositories SET checked_at = $2, \
     check_ok = $3, check_message = $4 WHERE id = $1";
pub(crate) const GET_REPOSITORY_NAME: &str =
    "SELECT name FROM backup_repositories WHERE org_id = $1 AND id = $2";
/// The names of the stacks whose policy uses a repository.
pub(crate) const REPOSITORY_POLICY_STACKS: &str = "SELECT s.name FROM backup_policies p \
     JOIN stacks s ON s.id = p.stack_id WHERE p.repository_id = $1 ORDER BY s.name";
pub(crate) const COUNT_REPOSITORY_ACTIVE_RUNS: &str = "SELECT COUNT(*) FROM backup_runs \
     WHERE repository_id = $1 AND status IN ('queued', 'running')";
pub(crate) const DELETE_REPOSITORY: &str =
    "DELETE FROM backup_repositories WHERE org_id = $1 AND id = $2";
pub(crate) const REPLACE_REPOSITORY_SECRETS: &str = "UPDATE backup_repositories SET \
     credentials_key_id = $2, credentials_nonce = $3, credentials_ciphertext = $4, \
     password_key_id = $5, password_nonce = $6, password_ciphertext = $7 WHERE id = $1";
pub(crate) const REPOSITORY_EXISTS: &str =
    "SELECT 1 FROM backup_repositories WHERE org_id = $1 AND id = $2";

// policies
pub(crate) const SET_POLICY: &str = concat!(
    "INSERT INTO backup_policies (",
    policy_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (stack_id) DO UPDATE SET repository_id = excluded.repository_id, \
     enabled = excluded.enabled, settings = excluded.settings, \
     next_backup_at = excluded.next_backup_at, next_check_at = excluded.next_check_at, \
     next_drill_at = excluded.next_drill_at, updated_by = excluded.updated_by, \
     updated_at = excluded.updated_at WHERE backup_policies.org_id = excluded.org_id \
     RETURNING ",
    policy_columns!()
);
pub(crate) const GET_POLICY: &str = concat!(
    "SELECT ",
    policy_columns!(),
    " FROM backup_policies WHERE stack_id = $1"
);
/// Also run by `delete_stack`: a deleted stack keeps no policy (stacks are deleted softly,
/// so the foreign key's cascade does not fire).
pub(crate) const DELETE_POLICY: &str = "DELETE FROM backup_policies WHERE stack_id = $1";
pub(crate) const LIST_POLICIES: &str = concat!(
    "SELECT ",
    policy_columns!(),
    " FROM backup_policies WHERE org_id = $1 \
     ORDER BY (SELECT s.name FROM stacks s WHERE s.id = backup_policies.stack_id), stack_id"
);
pub(crate) const LIST_DUE_POLICIES: &str = concat!(
    "SELECT ",
    policy_columns!(),
    " FROM backup_policies WHERE enabled = TRUE \
     AND (next_backup_at <= $1 OR next_check_at <= $1 OR next_drill_at <= $1) \
     AND EXISTS (SELECT 1 FROM stacks s WHERE s.id = backup_policies.stack_id \
     AND s.deleted_at IS NULL) ORDER BY org_id, stack_id"
);
pub(crate) const SET_POLICY_SCHEDULE: &str = "UPDATE backup_policies SET next_backup_at = $2, \
     next_check_at = $3, next_drill_at = $4 WHERE stack_id = $1";

// runs
pub(crate) const INSERT_RUN: &str = concat!(
    "INSERT INTO backup_runs (",
    run_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18, $19) RETURNING ",
    run_columns!()
);
pub(crate) const GET_RUN: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM backup_runs WHERE org_id = $1 AND id = $2"
);
pub(crate) const LIST_RUNS: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM backup_runs WHERE org_id = $1 AND ($2 IS NULL OR stack_id = $2) \
     AND ($3 IS NULL OR kind = $3) ORDER BY seq DESC LIMIT $4"
);
/// The oldest queued run whose repository has none running.
macro_rules! claimable {
    () => {
        "SELECT b.id FROM backup_runs b WHERE b.status = 'queued' AND NOT EXISTS \
         (SELECT 1 FROM backup_runs r WHERE r.repository_id = b.repository_id \
         AND r.status = 'running') ORDER BY b.seq LIMIT 1"
    };
}
pub(crate) const CLAIM_RUN: &str = concat!(
    "UPDATE backup_runs SET status = 'running', lease_owner = $1, lease_expires_at = $3, \
     started_at = COALESCE(started_at, $2), attempts = attempts + 1 WHERE id = (",
    claimable!(),
    ") AND status = 'queued' RETURNING ",
    run_columns!()
);
pub(crate) const ANY_CLAIMABLE: &str = claimable!();
pub(crate) const RENEW_LEASE: &str = "UPDATE backup_runs SET lease_expires_at = $3 \
     WHERE id = $1 AND lease_owner = $2 AND status = 'running'";
pub(crate) const RECLAIM_EXPIRED: &str = concat!(
    "UPDATE backup_runs SET lease_owner = $1, lease_expires_at = $3, attempts = attempts + 1 \
     WHERE status = 'running' AND lease_expires_at < $2 RETURNING ",
    run_columns!()
);
pub(crate) const UPDATE_RUN_RESULT: &str = "UPDATE backup_runs SET result = $2 WHERE id = $1";
pub(crate) const FINISH_RUN: &str = "UPDATE backup_runs SET status = $2, result = $3, \
     error = $4, finished_at = $5, lease_expires_at = NULL \
     WHERE id = $1 AND status IN ('queued', 'running')";
pub(crate) const GET_RUN_STATUS: &str = "SELECT status FROM backup_runs WHERE id = $1";
pub(crate) const GET_RUN_STATUS_IN_ORG: &str =
    "SELECT status FROM backup_runs WHERE org_id = $1 AND id = $2";
pub(crate) const CANCEL_QUEUED_RUN: &str = concat!(
    "UPDATE backup_runs SET status = 'cancelled', cancel_requested = TRUE, finished_at = $3 \
     WHERE org_id = $1 AND id = $2 AND status = 'queued' RETURNING ",
    run_columns!()
);
pub(crate) const CANCEL_RUNNING_RUN: &str = concat!(
    "UPDATE backup_runs SET cancel_requested = TRUE \
     WHERE org_id = $1 AND id = $2 AND status = 'running' RETURNING ",
    run_columns!()
);
pub(crate) const IS_CANCEL_REQUESTED: &str =
    "SELECT cancel_requested FROM backup_runs WHERE id = $1";
pub(crate) const ACTIVE_RUN: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM backup_runs WHERE stack_id = $1 AND kind = $2 \
     AND status IN ('queued', 'running') ORDER BY seq LIMIT 1"
);
pub(crate) const LAST_BACKUP_SUCCESSES: &str = "SELECT b.org_id, b.stack_id, b.stack_name, \
     b.finished_at FROM backup_runs b WHERE b.kind = 'backup' AND b.status = 'succeeded' \
     AND b.finished_at IS NOT NULL \
     AND b.seq = (SELECT r.seq FROM backup_runs r WHERE r.stack_id = b.stack_id \
     AND r.kind = 'backup' AND r.status = 'succeeded' AND r.finished_at IS NOT NULL \
     ORDER BY r.finished_at DESC, r.seq DESC LIMIT 1) \
     AND EXISTS (SELECT 1 FROM stacks s WHERE s.id = b.stack_id AND s.deleted_at IS NULL) \
     ORDER BY b.org_id, b.stack_name";

// snapshots
pub(crate) const INSERT_SNAPSHOT: &str = concat!(
    "INSERT INTO backup_snapshots (",
    snapshot_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
);
pub(crate) const LIST_SNAPSHOTS: &str = concat!(
    "SELECT ",
    snapshot_columns!(),
    " FROM backup_snapshots WHERE org_id = $1 AND ($2 IS NULL OR stack_id = $2) \
     ORDER BY created_at DESC, item, id LIMIT $3"
);
pub(crate) const GET_SNAPSHOT: &str = concat!(
    "SELECT ",
    snapshot_columns!(),
    " FROM backup_snapshots WHERE org_id = $1 AND id = $2 ORDER BY created_at DESC LIMIT 1"
);
pub(crate) const DELETE_SNAPSHOT: &str =
    "DELETE FROM backup_snapshots WHERE repository_id = $1 AND id = $2";
pub(crate) const LIST_RUN_SNAPSHOTS: &str = concat!(
    "SELECT ",
    snapshot_columns!(),
    " FROM backup_snapshots WHERE run_id = $1 ORDER BY item, id"
);

/// How often `claim_backup_run` retries after losing a race for a claimable run.
pub(crate) const CLAIM_ATTEMPTS: usize = 50;

/// The statuses a run can finish in.
pub(crate) const TERMINAL_STATUSES: [&str; 3] = ["succeeded", "failed", "cancelled"];

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`BackupStore`] for `$store`, in the adapter's child module `backups`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_backup_store {
    ($store:ty) => {
        pub(super) mod backups {
            use super::*;
            use $crate::backups::{self as q, BackupStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::{StoreError, StoreResult};

            /// A sealed value stored in three columns `<prefix>_key_id`, `<prefix>_nonce`,
            /// `<prefix>_ciphertext`; `None` when the ciphertext is NULL.
            fn sealed(
                row: &DbRow,
                key_id: &str,
                nonce: &str,
                ciphertext: &str,
            ) -> StoreResult<Option<SecretValue>> {
                let Some(ciphertext) = col::<Option<Vec<u8>>>(row, ciphertext)? else {
                    return Ok(None);
                };
                Ok(Some(SecretValue {
                    key_id: col::<Option<String>>(row, key_id)?.unwrap_or_default(),
                    nonce: col::<Option<Vec<u8>>>(row, nonce)?.unwrap_or_default(),
                    ciphertext,
                }))
            }

            fn repository_from_row(row: &DbRow) -> StoreResult<BackupRepositoryRecord> {
                let settings: String = col(row, "settings")?;
                let password = sealed(
                    row,
                    "password_key_id",
                    "password_nonce",
                    "password_ciphertext",
                )?
                .ok_or_else(|| StoreError::Database("column password_ciphertext is NULL".into()))?;
                Ok(BackupRepositoryRecord {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    name: col(row, "name")?,
                    kind: col(row, "kind")?,
                    settings: sql::parse_json(&settings, "settings")?,
                    credentials: sealed(
                        row,
                        "credentials_key_id",
                        "credentials_nonce",
                        "credentials_ciphertext",
                    )?,
                    password,
                    initialized_at: col(row, "initialized_at")?,
                    checked_at: col(row, "checked_at")?,
                    check_ok: col(row, "check_ok")?,
                    check_message: col(row, "check_message")?,
                    created_by: col(row, "created_by")?,
                    created_at: col(row, "created_at")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            fn policy_from_row(row: &DbRow) -> StoreResult<BackupPolicyRecord> {
                let settings: String = col(row, "settings")?;
                Ok(BackupPolicyRecord {
                    org_id: col(row, "org_id")?,
                    stack_id: col(row, "stack_id")?,
                    repository_id: col(row, "repository_id")?,
                    enabled: col(row, "enabled")?,
                    settings: sql::parse_json(&settings, "settings")?,
                    next_backup_at: col(row, "next_backup_at")?,
                    next_check_at: col(row, "next_check_at")?,
                    next_drill_at: col(row, "next_drill_at")?,
                    updated_by: col(row, "updated_by")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            fn run_from_row(row: &DbRow) -> StoreResult<BackupRunRecord> {
                let params: String = col(row, "params")?;
                let result: String = col(row, "result")?;
                Ok(BackupRunRecord {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    stack_id: col(row, "stack_id")?,
                    stack_name: col(row, "stack_name")?,
                    repository_id: col(row, "repository_id")?,
                    kind: col(row, "kind")?,
                    status: col(row, "status")?,
                    trigger: col(row, "trigger")?,
                    requested_by: col(row, "requested_by")?,
                    params: sql::parse_json(&params, "params")?,
                    result: sql::parse_json(&result, "result")?,
                    error: col(row, "error")?,
                    lease_owner: col(row, "lease_owner")?,
                    lease_expires_at: col(row, "lease_expires_at")?,
                    attempts: col(row, "attempts")?,
                    cancel_requested: col(row, "cancel_requested")?,
                    created_at: col(row, "created_at")?,
                    started_at: col(row, "started_at")?,
                    finished_at: col(row, "finished_at")?,
                })
            }

            fn snapshot_from_row(row: &DbRow) -> StoreResult<BackupSnapshotRecord> {
                Ok(BackupSnapshotRecord {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    repository_id: col(row, "repository_id")?,
                    stack_id: col(row, "stack_id")?,
                    stack_name: col(row, "stack_name")?,
                    run_id: col(row, "run_id")?,
                    item: col(row, "item")?,
                    kind: col(row, "kind")?,
                    engine: col(row, "engine")?,
                    path: col(row, "path")?,
                    files: col(row, "files")?,
                    size_bytes: col(row, "size_bytes")?,
                    added_bytes: col(row, "added_bytes")?,
                    duration_ms: col(row, "duration_ms")?,
                    created_at: col(row, "created_at")?,
                })
            }

            /// Why a repository cannot be deleted: the stacks whose policy uses it.
            fn repository_in_use(name: &str, stacks: &[String]) -> StoreError {
                StoreError::Invalid(format!(
                    "backup repository {name} is used by the backup policy of stack(s) {}: \
                     move those policies to another repository or delete them first",
                    stacks.join(", ")
                ))
            }

            #[async_trait::async_trait]
            impl BackupStore for $store {
                async fn create_backup_repository(
                    &self,
                    r: BackupRepositoryRecord,
                ) -> StoreResult<BackupRepositoryRecord> {
                    let credentials = r.credentials.as_ref();
                    let row = sqlx::query::<Db>(q::INSERT_REPOSITORY)
                        .bind(&r.id)
                        .bind(&r.org_id)
                        .bind(&r.name)
                        .bind(&r.kind)
                        .bind(sql::json_text(&r.settings))
                        .bind(credentials.map(|s| s.key_id.clone()))
                        .bind(credentials.map(|s| s.nonce.clone()))
                        .bind(credentials.map(|s| s.ciphertext.clone()))
                        .bind(&r.password.key_id)
                        .bind(&r.password.nonce)
                        .bind(&r.password.ciphertext)
                        .bind(r.initialized_at)
                        .bind(r.checked_at)
                        .bind(r.check_ok)
                        .bind(&r.check_message)
                        .bind(&r.created_by)
                        .bind(r.created_at)
                        .bind(r.updated_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("backup repository", "name", "organization"))?;
                    repository_from_row(&row)
                }

                async fn get_backup_repository(
                    &self,
                    org_id: &str,
                    id: &str,
                ) -> StoreResult<BackupRepositoryRecord> {
                    let row = sqlx::query::<Db>(q::GET_REPOSITORY)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("backup repository"))?;
                    repository_from_row(&row)
                }

                async fn find_backup_repository(
                    &self,
                    org_id: &str,
                    name: &str,
                ) -> StoreResult<Option<BackupRepositoryRecord>> {
                    let row = sqlx::query::<Db>(q::FIND_REPOSITORY)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.as_ref().map(repository_from_row).transpose()
                }

                async fn list_backup_repositories(
                    &self,
                    org_id: &str,
                ) -> StoreResult<Vec<BackupRepositoryRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_REPOSITORIES)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, repository_from_row)
                }

                async fn update_backup_repository(
                    &self,
                    r: BackupRepositoryRecord,
                ) -> StoreResult<BackupRepositoryRecord> {
                    let credentials = r.credentials.as_ref();
                    let row = sqlx::query::<Db>(q::UPDATE_REPOSITORY)
                        .bind(&r.org_id)
                        .bind(&r.id)
                        .bind(&r.name)
                        .bind(sql::json_text(&r.settings))
                        .bind(credentials.map(|s| s.key_id.clone()))
                        .bind(credentials.map(|s| s.nonce.clone()))
                        .bind(credentials.map(|s| s.ciphertext.clone()))
                        .bind(r.updated_at)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(write_error("backup repository", "name", "organization"))?
                        .ok_or(StoreError::NotFound("backup repository"))?;
                    repository_from_row(&row)
                }

                async fn mark_backup_repository_initialized(
                    &self,
                    id: &str,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::MARK_REPOSITORY_INITIALIZED)
                        .bind(id)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "backup repository")
                }

                async fn record_backup_repository_check(
                    &self,
                    id: &str,
                    at: Timestamp,
                    ok: bool,
                    message: Option<&str>,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::RECORD_REPOSITORY_CHECK)
                        .bind(id)
                        .bind(at)
                        .bind(ok)
                        .bind(message)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "backup repository")
                }

                async fn delete_backup_repository(
                    &self,
                    org_id: &str,
                    id: &str,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let name = sqlx::query_scalar::<Db, String>(q::GET_REPOSITORY_NAME)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("backup repository"))?;
                    let stacks = sqlx::query_scalar::<Db, String>(q::REPOSITORY_POLICY_STACKS)
                        .bind(id)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    if !stacks.is_empty() {
                        return Err(repository_in_use(&name, &stacks));
                    }
                    let active: i64 =
                        sqlx::query_scalar::<Db, i64>(q::COUNT_REPOSITORY_ACTIVE_RUNS)
                            .bind(id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(database_error)?;
                    if active > 0 {
                        return Err(StoreError::Invalid(format!(
                            "backup repository {name} has {active} queued or running backup \
                             operation(s): wait for them or cancel them first"
                        )));
                    }
                    let deleted = sqlx::query::<Db>(q::DELETE_REPOSITORY)
                        .bind(org_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await;
                    match deleted {
                        Ok(done) => not_found_unless(done.rows_affected(), "backup repository")?,
                        // A policy set meanwhile (PostgreSQL's READ COMMITTED): the foreign
                        // key refuses, and the stacks are read again outside the failed
                        // transaction.
                        Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                            drop(tx);
                            let stacks =
                                sqlx::query_scalar::<Db, String>(q::REPOSITORY_POLICY_STACKS)
                                    .bind(id)
                                    .fetch_all(&self.pool)
                                    .await
                                    .map_err(database_error)?;
                            return Err(repository_in_use(&name, &stacks));
                        }
                        Err(error) => return Err(database_error(error)),
                    }
                    tx.commit().await.map_err(database_error)
                }

                async fn list_all_backup_repositories(
                    &self,
                ) -> StoreResult<Vec<BackupRepositoryRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_ALL_REPOSITORIES)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, repository_from_row)
                }

                async fn replace_backup_repository_secrets(
                    &self,
                    id: &str,
                    credentials: Option<SecretValue>,
                    password: SecretValue,
                ) -> StoreResult<()> {
                    let credentials = credentials.as_ref();
                    let done = sqlx::query::<Db>(q::REPLACE_REPOSITORY_SECRETS)
                        .bind(id)
                        .bind(credentials.map(|s| s.key_id.clone()))
                        .bind(credentials.map(|s| s.nonce.clone()))
                        .bind(credentials.map(|s| s.ciphertext.clone()))
                        .bind(&password.key_id)
                        .bind(&password.nonce)
                        .bind(&password.ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "backup repository")
                }

                async fn set_backup_policy(
                    &self,
                    p: BackupPolicyRecord,
                ) -> StoreResult<BackupPolicyRecord> {
                    if !self
                        .exists($crate::sql::STACK_EXISTS, &p.org_id, Some(&p.stack_id))
                        .await?
                    {
                        return Err(StoreError::NotFound("stack"));
                    }
                    if !self
                        .exists(q::REPOSITORY_EXISTS, &p.org_id, Some(&p.repository_id))
                        .await?
                    {
                        return Err(StoreError::NotFound("backup repository"));
                    }
                    let row = sqlx::query::<Db>(q::SET_POLICY)
                        .bind(&p.org_id)
                        .bind(&p.stack_id)
                        .bind(&p.repository_id)
                        .bind(p.enabled)
                        .bind(sql::json_text(&p.settings))
                        .bind(p.next_backup_at)
                        .bind(p.next_check_at)
                        .bind(p.next_drill_at)
                        .bind(&p.updated_by)
                        .bind(p.updated_at)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(write_error("backup policy", "stack", "backup repository"))?
                        .ok_or(StoreError::NotFound("stack"))?;
                    policy_from_row(&row)
                }

                async fn get_backup_policy(
                    &self,
                    stack_id: &str,
                ) -> StoreResult<Option<BackupPolicyRecord>> {
                    let row = sqlx::query::<Db>(q::GET_POLICY)
                        .bind(stack_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.as_ref().map(policy_from_row).transpose()
                }

                async fn delete_backup_policy(&self, stack_id: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_POLICY)
                        .bind(stack_id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "backup policy")
                }

                async fn list_backup_policies(
                    &self,
                    org_id: &str,
                ) -> StoreResult<Vec<BackupPolicyRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_POLICIES)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, policy_from_row)
                }

                async fn list_due_backup_policies(
                    &self,
                    now: Timestamp,
                ) -> StoreResult<Vec<BackupPolicyRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_DUE_POLICIES)
                        .bind(now)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, policy_from_row)
                }

                async fn set_backup_policy_schedule(
                    &self,
                    stack_id: &str,
                    next_backup_at: Option<Timestamp>,
                    next_check_at: Option<Timestamp>,
                    next_drill_at: Option<Timestamp>,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::SET_POLICY_SCHEDULE)
                        .bind(stack_id)
                        .bind(next_backup_at)
                        .bind(next_check_at)
                        .bind(next_drill_at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "backup policy")
                }

                async fn create_backup_run(
                    &self,
                    r: BackupRunRecord,
                ) -> StoreResult<BackupRunRecord> {
                    if !self
                        .exists(q::REPOSITORY_EXISTS, &r.org_id, Some(&r.repository_id))
                        .await?
                    {
                        return Err(StoreError::NotFound("backup repository"));
                    }
                    if let Some(stack_id) = &r.stack_id {
                        if !self
                            .exists($crate::sql::STACK_EXISTS, &r.org_id, Some(stack_id))
                            .await?
                        {
                            return Err(StoreError::NotFound("stack"));
                        }
                    }
                    let row = sqlx::query::<Db>(q::INSERT_RUN)
                        .bind(&r.id)
                        .bind(&r.org_id)
                        .bind(&r.stack_id)
                        .bind(&r.stack_name)
                        .bind(&r.repository_id)
                        .bind(&r.kind)
                        .bind(&r.status)
                        .bind(&r.trigger)
                        .bind(&r.requested_by)
                        .bind(sql::json_text(&r.params))
                        .bind(sql::json_text(&r.result))
                        .bind(&r.error)
                        .bind(&r.lease_owner)
                        .bind(r.lease_expires_at)
                        .bind(r.attempts)
                        .bind(r.cancel_requested)
                        .bind(r.created_at)
                        .bind(r.started_at)
                        .bind(r.finished_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("backup run", "id", "backup repository"))?;
                    run_from_row(&row)
                }

                async fn get_backup_run(
                    &self,
                    org_id: &str,
                    id: &str,
                ) -> StoreResult<BackupRunRecord> {
                    let row = sqlx::query::<Db>(q::GET_RUN)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("backup run"))?;
                    run_from_row(&row)
                }

                async fn list_backup_runs(
                    &self,
                    org_id: &str,
                    stack_id: Option<&str>,
                    kind: Option<&str>,
                    limit: i64,
                ) -> StoreResult<Vec<BackupRunRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_RUNS)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(kind)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, run_from_row)
                }

                async fn claim_backup_run(
                    &self,
                    owner: &str,
                    now: Timestamp,
                    lease_until: Timestamp,
                ) -> StoreResult<Option<BackupRunRecord>> {
                    // One statement picks and takes the row. Under PostgreSQL's READ COMMITTED
                    // two claimers may pick the same row: the loser updates nothing (or trips
                    // the one-running-per-repository index) and tries again while something is
                    // claimable.
                    for _ in 0..q::CLAIM_ATTEMPTS {
                        let claimed = sqlx::query::<Db>(q::CLAIM_RUN)
                            .bind(owner)
                            .bind(now)
                            .bind(lease_until)
                            .fetch_optional(&self.pool)
                            .await;
                        match claimed {
                            Ok(Some(row)) => return run_from_row(&row).map(Some),
                            Ok(None) => {}
                            Err(error) if sql::is_unique_violation(&error) => {}
                            Err(error) => return Err(database_error(error)),
                        }
                        let claimable = sqlx::query::<Db>(q::ANY_CLAIMABLE)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(database_error)?;
                        if claimable.is_none() {
                            return Ok(None);
                        }
                        tokio::task::yield_now().await;
                    }
                    Ok(None)
                }

                async fn renew_backup_lease(
                    &self,
                    id: &str,
                    owner: &str,
                    lease_until: Timestamp,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<Db>(q::RENEW_LEASE)
                        .bind(id)
                        .bind(owner)
                        .bind(lease_until)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn reclaim_expired_backup_runs(
                    &self,
                    owner: &str,
                    now: Timestamp,
                    lease_until: Timestamp,
                ) -> StoreResult<Vec<BackupRunRecord>> {
                    let found = sqlx::query::<Db>(q::RECLAIM_EXPIRED)
                        .bind(owner)
                        .bind(now)
                        .bind(lease_until)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, run_from_row)
                }

                async fn update_backup_run_result(
                    &self,
                    id: &str,
                    result: &serde_json::Value,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::UPDATE_RUN_RESULT)
                        .bind(id)
                        .bind(sql::json_text(result))
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "backup run")
                }

                async fn finish_backup_run(
                    &self,
                    id: &str,
                    status: &str,
                    result: &serde_json::Value,
                    error: Option<&str>,
                    finished_at: Timestamp,
                ) -> StoreResult<()> {
                    if !q::TERMINAL_STATUSES.contains(&status) {
                        return Err(StoreError::Invalid(format!(
                            "a backup run cannot finish as {status}: use succeeded, failed or \
                             cancelled"
                        )));
                    }
                    let done = sqlx::query::<Db>(q::FINISH_RUN)
                        .bind(id)
                        .bind(status)
                        .bind(sql::json_text(result))
                        .bind(error)
                        .bind(finished_at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    if done.rows_affected() > 0 {
                        return Ok(());
                    }
                    let current = sqlx::query_scalar::<Db, String>(q::GET_RUN_STATUS)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("backup run"))?;
                    Err(StoreError::Invalid(format!(
                        "backup run {id} has already finished ({current})"
                    )))
                }

                async fn request_backup_run_cancel(
                    &self,
                    org_id: &str,
                    id: &str,
                    at: Timestamp,
                ) -> StoreResult<BackupRunRecord> {
                    let cancelled = sqlx::query::<Db>(q::CANCEL_QUEUED_RUN)
                        .bind(org_id)
                        .bind(id)
                        .bind(at)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    if let Some(row) = cancelled {
                        return run_from_row(&row);
                    }
                    let flagged = sqlx::query::<Db>(q::CANCEL_RUNNING_RUN)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    if let Some(row) = flagged {
                        return run_from_row(&row);
                    }
                    let status = sqlx::query_scalar::<Db, String>(q::GET_RUN_STATUS_IN_ORG)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("backup run"))?;
                    Err(StoreError::Invalid(format!(
                        "backup run {id} has already finished ({status}): there is nothing to \
                         cancel"
                    )))
                }

                async fn is_backup_run_cancel_requested(&self, id: &str) -> StoreResult<bool> {
                    sqlx::query_scalar::<Db, bool>(q::IS_CANCEL_REQUESTED)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("backup run"))
                }

                async fn active_backup_run(
                    &self,
                    stack_id: &str,
                    kind: &str,
                ) -> StoreResult<Option<BackupRunRecord>> {
                    sqlx::query::<Db>(q::ACTIVE_RUN)
                        .bind(stack_id)
                        .bind(kind)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(run_from_row)
                        .transpose()
                }

                async fn last_backup_successes(
                    &self,
                ) -> StoreResult<Vec<(String, String, String, Timestamp)>> {
                    let found = sqlx::query::<Db>(q::LAST_BACKUP_SUCCESSES)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    found
                        .iter()
                        .map(|row| {
                            Ok((
                                col(row, "org_id")?,
                                col(row, "stack_id")?,
                                col::<Option<String>>(row, "stack_name")?.unwrap_or_default(),
                                col(row, "finished_at")?,
                            ))
                        })
                        .collect()
                }

                async fn insert_backup_snapshots(
                    &self,
                    snapshots: &[BackupSnapshotRecord],
                ) -> StoreResult<()> {
                    if snapshots.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.begin_write().await?;
                    // The (organization, repository) pairs checked so far.
                    let mut checked: Vec<(&str, &str)> = Vec::new();
                    for s in snapshots {
                        let pair = (s.org_id.as_str(), s.repository_id.as_str());
                        if !checked.contains(&pair) {
                            let present = sqlx::query::<Db>(q::REPOSITORY_EXISTS)
                                .bind(&s.org_id)
                                .bind(&s.repository_id)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(database_error)?;
                            if present.is_none() {
                                return Err(StoreError::NotFound("backup repository"));
                            }
                            checked.push(pair);
                        }
                        sqlx::query::<Db>(q::INSERT_SNAPSHOT)
                            .bind(&s.id)
                            .bind(&s.org_id)
                            .bind(&s.repository_id)
                            .bind(&s.stack_id)
                            .bind(&s.stack_name)
                            .bind(&s.run_id)
                            .bind(&s.item)
                            .bind(&s.kind)
                            .bind(&s.engine)
                            .bind(&s.path)
                            .bind(s.files)
                            .bind(s.size_bytes)
                            .bind(s.added_bytes)
                            .bind(s.duration_ms)
                            .bind(s.created_at)
                            .execute(&mut *tx)
                            .await
                            .map_err(write_error("backup snapshot", "id", "backup repository"))?;
                    }
                    tx.commit().await.map_err(database_error)
                }

                async fn list_backup_snapshots(
                    &self,
                    org_id: &str,
                    stack_id: Option<&str>,
                    limit: i64,
                ) -> StoreResult<Vec<BackupSnapshotRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_SNAPSHOTS)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, snapshot_from_row)
                }

                async fn get_backup_snapshot(
                    &self,
                    org_id: &str,
                    id: &str,
                ) -> StoreResult<BackupSnapshotRecord> {
                    let row = sqlx::query::<Db>(q::GET_SNAPSHOT)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("backup snapshot"))?;
                    snapshot_from_row(&row)
                }

                async fn delete_backup_snapshots(
                    &self,
                    repository_id: &str,
                    ids: &[String],
                ) -> StoreResult<()> {
                    if ids.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.begin_write().await?;
                    for id in ids {
                        sqlx::query::<Db>(q::DELETE_SNAPSHOT)
                            .bind(repository_id)
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(database_error)?;
                    }
                    tx.commit().await.map_err(database_error)
                }

                async fn list_backup_snapshots_of_run(
                    &self,
                    run_id: &str,
                ) -> StoreResult<Vec<BackupSnapshotRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_RUN_SNAPSHOTS)
                        .bind(run_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, snapshot_from_row)
                }
            }
        }
    };
}

pub(crate) use impl_backup_store;
