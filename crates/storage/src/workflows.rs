//! Workflows: an organization's automations (a versioned document, its webhook route and
//! cron schedule), their runs (a leased queue like deployments: queued → running under a
//! server's lease → waiting for a timer or an approval → … → a terminal status) with one row
//! per node, and the notification channels their nodes send to.
//!
//! *Invariants:* versions are immutable and numbered without gaps (a save names the version
//! it replaces, so two concurrent saves cannot both win); a run executes the version it was
//! queued with; a run is taken by one server at a time (the lease), and a queued run is only
//! taken while its workflow has fewer running or waiting runs than its concurrency limit; a
//! node's row is written before and after it runs, so a resumed run never repeats a node that
//! completed. Channel credentials and webhook keys are stored sealed.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Workflows, their versions and runs, and notification channels.
#[async_trait]
pub trait WorkflowStore: Send + Sync {
    // ---- workflows ----------------------------------------------------------------------
    /// Stores a new workflow (its `version` is 1) with its first version. `Conflict` on
    /// `name` when the organization has a workflow of that name.
    async fn create_workflow(&self, workflow: WorkflowRecord) -> StoreResult<WorkflowRecord>;
    /// Saves `document` as version `replaces + 1` of the workflow and makes it current,
    /// with the cron schedule it implies. `Conflict` on `version` when the current version
    /// is no longer `replaces` (someone saved in between); `NotFound` when absent, deleted
    /// or of another organization.
    #[allow(clippy::too_many_arguments)]
    async fn add_workflow_version(
        &self,
        org_id: &str,
        id: &str,
        replaces: i64,
        document: &serde_json::Value,
        author: &str,
        at: Timestamp,
        next_cron_at: Option<Timestamp>,
    ) -> StoreResult<WorkflowRecord>;
    /// `NotFound` when absent, deleted or of another organization.
    async fn get_workflow(&self, org_id: &str, id: &str) -> StoreResult<WorkflowRecord>;
    /// The organization's workflow named `name`, if any (not deleted).
    async fn find_workflow(&self, org_id: &str, name: &str) -> StoreResult<Option<WorkflowRecord>>;
    /// The organization's workflows, by name.
    async fn list_workflows(&self, org_id: &str) -> StoreResult<Vec<WorkflowRecord>>;
    /// Deletes the workflow softly (runs keep its name); its webhook stops at once and its
    /// queued or waiting runs are cancelled. `NotFound` when absent or of another
    /// organization.
    async fn delete_workflow(&self, org_id: &str, id: &str, at: Timestamp) -> StoreResult<()>;
    /// The workflow's versions, newest first.
    async fn list_workflow_versions(
        &self,
        workflow_id: &str,
    ) -> StoreResult<Vec<WorkflowVersionRecord>>;
    /// `NotFound` when the workflow has no such version.
    async fn get_workflow_version(
        &self,
        workflow_id: &str,
        version: i64,
    ) -> StoreResult<WorkflowVersionRecord>;
    /// Sets the webhook route and its sealed signing key (replacing any earlier pair).
    async fn set_workflow_webhook(
        &self,
        org_id: &str,
        id: &str,
        token: &str,
        secret: &SecretValue,
    ) -> StoreResult<()>;
    /// The workflow (not deleted) whose webhook route is `token`.
    async fn find_workflow_by_webhook(&self, token: &str) -> StoreResult<Option<WorkflowRecord>>;
    /// Workflows (not deleted, enabled) whose cron trigger is due at `now`.
    async fn list_due_cron_workflows(&self, now: Timestamp) -> StoreResult<Vec<WorkflowRecord>>;
    /// Moves the workflow's next cron time from `expected` to `next`; `false` when another
    /// server moved it first (it fires the trigger, this one does not).
    async fn advance_workflow_cron(
        &self,
        id: &str,
        expected: Option<Timestamp>,
        next: Option<Timestamp>,
    ) -> StoreResult<bool>;
    /// Every workflow not deleted, for re-sealing under a new key.
    async fn list_all_workflows(&self) -> StoreResult<Vec<WorkflowRecord>>;

    // ---- runs (a leased job queue) ------------------------------------------------------
    /// Queues a run with the node rows it starts from (a re-run copies the nodes it keeps).
    /// `NotFound` when the workflow is not the organization's.
    async fn create_workflow_run(
        &self,
        run: WorkflowRunRecord,
        nodes: &[WorkflowNodeRunRecord],
    ) -> StoreResult<WorkflowRunRecord>;
    /// `NotFound` when absent or of another organization.
    async fn get_workflow_run(&self, org_id: &str, id: &str) -> StoreResult<WorkflowRunRecord>;
    /// The organization's runs, optionally of one workflow, newest first.
    async fn list_workflow_runs(
        &self,
        org_id: &str,
        workflow_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<WorkflowRunRecord>>;
    /// The workflow's queued, running and waiting runs, oldest first.
    async fn active_workflow_runs(&self, workflow_id: &str) -> StoreResult<Vec<WorkflowRunRecord>>;
    /// Takes the oldest run that is due: a queued one whose workflow has room under its
    /// concurrency limit, a waiting one whose `wake_at` has passed, or a running one whose
    /// lease ran out (its server died). Marks it running under `owner` until `lease_until`
    /// (`attempts` + 1). Atomic: two claimers never get the same run.
    async fn claim_workflow_run(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Option<WorkflowRunRecord>>;
    /// Extends the lease; `false` when the run is no longer running under `owner`.
    async fn renew_workflow_lease(
        &self,
        id: &str,
        owner: &str,
        lease_until: Timestamp,
    ) -> StoreResult<bool>;
    /// Parks a running run: `waiting` until `wake_at` (`None`: until someone decides an
    /// approval) and releases its lease. `false` when it is not running under `owner`.
    async fn park_workflow_run(
        &self,
        id: &str,
        owner: &str,
        wake_at: Option<Timestamp>,
    ) -> StoreResult<bool>;
    /// Ends a run (`succeeded`, `failed` or `cancelled`) and its lease. `Invalid` for another
    /// status or a run that has already finished.
    async fn finish_workflow_run(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Cancels a queued or waiting run at once, or flags a running one for its server to
    /// stop; returns the run. `Invalid` for a finished run; `NotFound` when absent or of
    /// another organization.
    async fn request_workflow_run_cancel(
        &self,
        org_id: &str,
        id: &str,
        at: Timestamp,
    ) -> StoreResult<WorkflowRunRecord>;
    /// Whether a cancel was requested. `NotFound` when absent.
    async fn is_workflow_run_cancel_requested(&self, id: &str) -> StoreResult<bool>;
    /// Writes one node's state (insert or replace).
    async fn save_workflow_node_run(&self, node: &WorkflowNodeRunRecord) -> StoreResult<()>;
    /// The run's nodes, in the order they started.
    async fn list_workflow_node_runs(
        &self,
        run_id: &str,
    ) -> StoreResult<Vec<WorkflowNodeRunRecord>>;
    /// Records a decision on a waiting approval node (`status` `succeeded` or `failed`,
    /// its output and error) and queues its run again, in one transaction. `false` when the
    /// node is not waiting (decided already, timed out or cancelled).
    async fn decide_workflow_approval(
        &self,
        run_id: &str,
        node_id: &str,
        status: &str,
        output: &serde_json::Value,
        error: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// Deletes finished runs (with their nodes) that finished before `before`; returns how
    /// many.
    async fn prune_workflow_runs(&self, before: Timestamp) -> StoreResult<u64>;

    // ---- notification channels ----------------------------------------------------------
    /// `Conflict` on `name` when the organization has a channel of that name.
    async fn create_notification_channel(
        &self,
        channel: NotificationChannelRecord,
    ) -> StoreResult<NotificationChannelRecord>;
    /// The organization's channels, by name.
    async fn list_notification_channels(
        &self,
        org_id: &str,
    ) -> StoreResult<Vec<NotificationChannelRecord>>;
    /// The organization's channel named `name`, if any.
    async fn find_notification_channel(
        &self,
        org_id: &str,
        name: &str,
    ) -> StoreResult<Option<NotificationChannelRecord>>;
    /// `NotFound` when absent or of another organization.
    async fn delete_notification_channel(&self, org_id: &str, id: &str) -> StoreResult<()>;
    /// Every channel of every organization, for re-sealing under a new key.
    async fn list_all_notification_channels(&self) -> StoreResult<Vec<NotificationChannelRecord>>;
    /// Replaces the channel's sealed credentials (after re-sealing).
    async fn replace_notification_channel_secret(
        &self,
        id: &str,
        secret: Option<SecretValue>,
    ) -> StoreResult<()>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! workflow_columns {
    () => {
        "id, org_id, name, version, document, enabled, webhook_token, webhook_secret_key_id, \
         webhook_secret_nonce, webhook_secret_ciphertext, next_cron_at, created_by, created_at, \
         updated_by, updated_at"
    };
}
macro_rules! run_columns {
    () => {
        "id, org_id, workflow_id, workflow_name, version, status, trigger_kind, trigger_payload, \
         inputs, requested_by, parent_run, concurrency_limit, lease_owner, lease_expires_at, \
         attempts, cancel_requested, wake_at, error, created_at, started_at, finished_at"
    };
}
macro_rules! node_columns {
    () => {
        "run_id, node_id, status, port, attempt, input, output, logs, error, reference, wake_at, \
         started_at, finished_at"
    };
}
macro_rules! channel_columns {
    () => {
        "id, org_id, name, kind, settings, secret_key_id, secret_nonce, secret_ciphertext, \
         created_by, created_at, updated_at"
    };
}

pub(crate) const INSERT_WORKFLOW: &str = concat!(
    "INSERT INTO workflows (",
    workflow_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING ",
    workflow_columns!()
);
pub(crate) const INSERT_VERSION: &str = "INSERT INTO workflow_versions (workflow_id, version, \
     document, author, created_at) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const ADVANCE_VERSION: &str = concat!(
    "UPDATE workflows SET version = version + 1, document = $4, updated_by = $5, \
     updated_at = $6, next_cron_at = $7 \
     WHERE org_id = $1 AND id = $2 AND version = $3 AND deleted_at IS NULL RETURNING ",
    workflow_columns!()
);
pub(crate) const GET_WORKFLOW: &str = concat!(
    "SELECT ",
    workflow_columns!(),
    " FROM workflows WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL"
);
pub(crate) const FIND_WORKFLOW: &str = concat!(
    "SELECT ",
    workflow_columns!(),
    " FROM workflows WHERE org_id = $1 AND name = $2 AND deleted_at IS NULL"
);
pub(crate) const LIST_WORKFLOWS: &str = concat!(
    "SELECT ",
    workflow_columns!(),
    " FROM workflows WHERE org_id = $1 AND deleted_at IS NULL ORDER BY name"
);
pub(crate) const LIST_ALL_WORKFLOWS: &str = concat!(
    "SELECT ",
    workflow_columns!(),
    " FROM workflows WHERE deleted_at IS NULL ORDER BY org_id, id"
);
pub(crate) const DELETE_WORKFLOW: &str = "UPDATE workflows SET deleted_at = $3, \
     webhook_token = NULL, next_cron_at = NULL \
     WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL";
pub(crate) const CANCEL_PENDING_RUNS_OF_WORKFLOW: &str = "UPDATE workflow_runs SET \
     status = 'cancelled', cancel_requested = TRUE, finished_at = $2, lease_expires_at = NULL, \
     error = 'the workflow was deleted' WHERE workflow_id = $1 AND status IN ('queued', 'waiting')";
pub(crate) const FLAG_RUNNING_RUNS_OF_WORKFLOW: &str = "UPDATE workflow_runs SET \
     cancel_requested = TRUE WHERE workflow_id = $1 AND status = 'running'";
pub(crate) const LIST_VERSIONS: &str = "SELECT workflow_id, version, document, author, created_at \
     FROM workflow_versions WHERE workflow_id = $1 ORDER BY version DESC";
pub(crate) const GET_VERSION: &str = "SELECT workflow_id, version, document, author, created_at \
     FROM workflow_versions WHERE workflow_id = $1 AND version = $2";
pub(crate) const SET_WEBHOOK: &str = "UPDATE workflows SET webhook_token = $3, \
     webhook_secret_key_id = $4, webhook_secret_nonce = $5, webhook_secret_ciphertext = $6 \
     WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL";
pub(crate) const FIND_BY_WEBHOOK: &str = concat!(
    "SELECT ",
    workflow_columns!(),
    " FROM workflows WHERE webhook_token = $1 AND deleted_at IS NULL"
);
pub(crate) const LIST_DUE_CRON: &str = concat!(
    "SELECT ",
    workflow_columns!(),
    " FROM workflows WHERE next_cron_at <= $1 AND enabled = TRUE AND deleted_at IS NULL \
     ORDER BY next_cron_at"
);
pub(crate) const ADVANCE_CRON: &str = "UPDATE workflows SET next_cron_at = $3 \
     WHERE id = $1 AND next_cron_at = $2 AND deleted_at IS NULL";
pub(crate) const ADVANCE_CRON_FROM_NONE: &str = "UPDATE workflows SET next_cron_at = $2 \
     WHERE id = $1 AND next_cron_at IS NULL AND deleted_at IS NULL";

// runs
pub(crate) const INSERT_RUN: &str = concat!(
    "INSERT INTO workflow_runs (",
    run_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18, $19, $20, $21) RETURNING ",
    run_columns!()
);
pub(crate) const WORKFLOW_EXISTS: &str =
    "SELECT 1 FROM workflows WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL";
pub(crate) const GET_RUN: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM workflow_runs WHERE org_id = $1 AND id = $2"
);
pub(crate) const LIST_RUNS: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM workflow_runs WHERE org_id = $1 AND ($2 IS NULL OR workflow_id = $2) \
     ORDER BY seq DESC LIMIT $3"
);
pub(crate) const ACTIVE_RUNS: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM workflow_runs WHERE workflow_id = $1 AND status IN ('queued', 'running', 'waiting') \
     ORDER BY seq"
);
pub(crate) const CLAIM_RUN: &str = concat!(
    "UPDATE workflow_runs SET status = 'running', lease_owner = $1, lease_expires_at = $3, \
     started_at = COALESCE(started_at, $2), attempts = attempts + 1, wake_at = NULL \
     WHERE id = (SELECT r.id FROM workflow_runs r WHERE \
     (r.status = 'running' AND r.lease_expires_at < $2) \
     OR (r.status = 'waiting' AND r.wake_at <= $2) \
     OR (r.status = 'queued' AND (SELECT COUNT(*) FROM workflow_runs o \
         WHERE o.workflow_id = r.workflow_id AND o.status IN ('running', 'waiting')) \
         < r.concurrency_limit) \
     ORDER BY r.seq LIMIT 1) \
     AND (status IN ('queued', 'waiting') OR lease_expires_at < $2) RETURNING ",
    run_columns!()
);
/// Whether any run is due (the claim's condition without the concurrency limit).
pub(crate) const ANY_DUE: &str = "SELECT 1 FROM workflow_runs r WHERE \
     (r.status = 'running' AND r.lease_expires_at < $1) \
     OR (r.status = 'waiting' AND r.wake_at <= $1) \
     OR (r.status = 'queued' AND (SELECT COUNT(*) FROM workflow_runs o \
         WHERE o.workflow_id = r.workflow_id AND o.status IN ('running', 'waiting')) \
         < r.concurrency_limit) LIMIT 1";
pub(crate) const RENEW_LEASE: &str = "UPDATE workflow_runs SET lease_expires_at = $3 \
     WHERE id = $1 AND lease_owner = $2 AND status = 'running'";
pub(crate) const PARK_RUN: &str = "UPDATE workflow_runs SET status = 'waiting', wake_at = $3, \
     lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2 AND status = 'running'";
pub(crate) const FINISH_RUN: &str = "UPDATE workflow_runs SET status = $2, error = $3, \
     finished_at = $4, lease_expires_at = NULL, wake_at = NULL \
     WHERE id = $1 AND status IN ('queued', 'running', 'waiting')";
pub(crate) const CANCEL_IDLE_RUN: &str = concat!(
    "UPDATE workflow_runs SET status = 'cancelled', cancel_requested = TRUE, finished_at = $3, \
     wake_at = NULL, error = 'cancelled' \
     WHERE org_id = $1 AND id = $2 AND status IN ('queued', 'waiting') RETURNING ",
    run_columns!()
);
pub(crate) const CANCEL_RUNNING_RUN: &str = concat!(
    "UPDATE workflow_runs SET cancel_requested = TRUE \
     WHERE org_id = $1 AND id = $2 AND status = 'running' RETURNING ",
    run_columns!()
);
pub(crate) const CANCEL_WAITING_NODES: &str = "UPDATE workflow_node_runs SET \
     status = 'cancelled', finished_at = $2, wake_at = NULL \
     WHERE run_id = $1 AND status IN ('waiting', 'pending')";
pub(crate) const GET_RUN_STATUS_IN_ORG: &str =
    "SELECT status FROM workflow_runs WHERE org_id = $1 AND id = $2";
pub(crate) const IS_CANCEL_REQUESTED: &str =
    "SELECT cancel_requested FROM workflow_runs WHERE id = $1";
pub(crate) const UPSERT_NODE: &str = concat!(
    "INSERT INTO workflow_node_runs (",
    node_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
     ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, \
     port = excluded.port, attempt = excluded.attempt, input = excluded.input, \
     output = excluded.output, logs = excluded.logs, error = excluded.error, \
     reference = excluded.reference, wake_at = excluded.wake_at, \
     started_at = excluded.started_at, finished_at = excluded.finished_at"
);
pub(crate) const LIST_NODES: &str = concat!(
    "SELECT ",
    node_columns!(),
    " FROM workflow_node_runs WHERE run_id = $1 ORDER BY COALESCE(started_at, 0), node_id"
);
pub(crate) const DECIDE_NODE: &str = "UPDATE workflow_node_runs SET status = $3, output = $4, \
     error = $5, finished_at = $6, wake_at = NULL \
     WHERE run_id = $1 AND node_id = $2 AND status = 'waiting'";
pub(crate) const REQUEUE_RUN: &str = "UPDATE workflow_runs SET status = 'queued', wake_at = NULL \
     WHERE id = $1 AND status = 'waiting'";
pub(crate) const PRUNE_RUNS: &str = "DELETE FROM workflow_runs WHERE finished_at < $1 \
     AND status IN ('succeeded', 'failed', 'cancelled')";

// channels
pub(crate) const INSERT_CHANNEL: &str = concat!(
    "INSERT INTO notification_channels (",
    channel_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ",
    channel_columns!()
);
pub(crate) const LIST_CHANNELS: &str = concat!(
    "SELECT ",
    channel_columns!(),
    " FROM notification_channels WHERE org_id = $1 ORDER BY name"
);
pub(crate) const FIND_CHANNEL: &str = concat!(
    "SELECT ",
    channel_columns!(),
    " FROM notification_channels WHERE org_id = $1 AND name = $2"
);
pub(crate) const DELETE_CHANNEL: &str =
    "DELETE FROM notification_channels WHERE org_id = $1 AND id = $2";
pub(crate) const LIST_ALL_CHANNELS: &str = concat!(
    "SELECT ",
    channel_columns!(),
    " FROM notification_channels ORDER BY org_id, id"
);
pub(crate) const REPLACE_CHANNEL_SECRET: &str = "UPDATE notification_channels SET \
     secret_key_id = $2, secret_nonce = $3, secret_ciphertext = $4 WHERE id = $1";

/// Concurrent claimers may pick the same row; the loser updates nothing and tries again.
pub(crate) const CLAIM_ATTEMPTS: usize = 50;

macro_rules! impl_workflow_store {
    ($store:ty) => {
        pub(super) mod workflows {
            use super::*;
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::workflows::{self as q, WorkflowStore};
            use $crate::{StoreError, StoreResult};

            fn sealed(row: &DbRow, prefix: &str) -> StoreResult<Option<SecretValue>> {
                let Some(ciphertext) =
                    col::<Option<Vec<u8>>>(row, &format!("{prefix}_ciphertext"))?
                else {
                    return Ok(None);
                };
                Ok(Some(SecretValue {
                    key_id: col::<Option<String>>(row, &format!("{prefix}_key_id"))?
                        .unwrap_or_default(),
                    nonce: col::<Option<Vec<u8>>>(row, &format!("{prefix}_nonce"))?
                        .unwrap_or_default(),
                    ciphertext,
                }))
            }

            fn json(row: &DbRow, column: &str) -> StoreResult<serde_json::Value> {
                let text: String = col(row, column)?;
                sql::parse_json(&text, column)
            }

            fn optional_json(row: &DbRow, column: &str) -> StoreResult<Option<serde_json::Value>> {
                col::<Option<String>>(row, column)?
                    .map(|text| sql::parse_json(&text, column))
                    .transpose()
            }

            fn workflow_from_row(row: &DbRow) -> StoreResult<WorkflowRecord> {
                Ok(WorkflowRecord {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    name: col(row, "name")?,
                    version: col(row, "version")?,
                    document: json(row, "document")?,
                    enabled: col(row, "enabled")?,
                    webhook_token: col(row, "webhook_token")?,
                    webhook_secret: sealed(row, "webhook_secret")?,
                    next_cron_at: col(row, "next_cron_at")?,
                    created_by: col(row, "created_by")?,
                    created_at: col(row, "created_at")?,
                    updated_by: col(row, "updated_by")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            fn version_from_row(row: &DbRow) -> StoreResult<WorkflowVersionRecord> {
                Ok(WorkflowVersionRecord {
                    workflow_id: col(row, "workflow_id")?,
                    version: col(row, "version")?,
                    document: json(row, "document")?,
                    author: col(row, "author")?,
                    created_at: col(row, "created_at")?,
                })
            }

            fn run_from_row(row: &DbRow) -> StoreResult<WorkflowRunRecord> {
                Ok(WorkflowRunRecord {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    workflow_id: col(row, "workflow_id")?,
                    workflow_name: col(row, "workflow_name")?,
                    version: col(row, "version")?,
                    status: col(row, "status")?,
                    trigger_kind: col(row, "trigger_kind")?,
                    trigger_payload: json(row, "trigger_payload")?,
                    inputs: json(row, "inputs")?,
                    requested_by: col(row, "requested_by")?,
                    parent_run: col(row, "parent_run")?,
                    concurrency_limit: col(row, "concurrency_limit")?,
                    lease_owner: col(row, "lease_owner")?,
                    lease_expires_at: col(row, "lease_expires_at")?,
                    attempts: col(row, "attempts")?,
                    cancel_requested: col(row, "cancel_requested")?,
                    wake_at: col(row, "wake_at")?,
                    error: col(row, "error")?,
                    created_at: col(row, "created_at")?,
                    started_at: col(row, "started_at")?,
                    finished_at: col(row, "finished_at")?,
                })
            }

            fn node_from_row(row: &DbRow) -> StoreResult<WorkflowNodeRunRecord> {
                Ok(WorkflowNodeRunRecord {
                    run_id: col(row, "run_id")?,
                    node_id: col(row, "node_id")?,
                    status: col(row, "status")?,
                    port: col(row, "port")?,
                    attempt: col(row, "attempt")?,
                    input: optional_json(row, "input")?,
                    output: optional_json(row, "output")?,
                    logs: col(row, "logs")?,
                    error: col(row, "error")?,
                    reference: col(row, "reference")?,
                    wake_at: col(row, "wake_at")?,
                    started_at: col(row, "started_at")?,
                    finished_at: col(row, "finished_at")?,
                })
            }

            fn channel_from_row(row: &DbRow) -> StoreResult<NotificationChannelRecord> {
                Ok(NotificationChannelRecord {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    name: col(row, "name")?,
                    kind: col(row, "kind")?,
                    settings: json(row, "settings")?,
                    secret: sealed(row, "secret")?,
                    created_by: col(row, "created_by")?,
                    created_at: col(row, "created_at")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            fn split(
                secret: Option<&SecretValue>,
            ) -> (Option<String>, Option<Vec<u8>>, Option<Vec<u8>>) {
                match secret {
                    Some(s) => (
                        Some(s.key_id.clone()),
                        Some(s.nonce.clone()),
                        Some(s.ciphertext.clone()),
                    ),
                    None => (None, None, None),
                }
            }

            #[async_trait::async_trait]
            impl WorkflowStore for $store {
                async fn create_workflow(&self, w: WorkflowRecord) -> StoreResult<WorkflowRecord> {
                    let mut tx = self.begin_write().await?;
                    let (key_id, nonce, ciphertext) = split(w.webhook_secret.as_ref());
                    let row = sqlx::query::<Db>(q::INSERT_WORKFLOW)
                        .bind(&w.id)
                        .bind(&w.org_id)
                        .bind(&w.name)
                        .bind(1_i64)
                        .bind(sql::json_text(&w.document))
                        .bind(w.enabled)
                        .bind(&w.webhook_token)
                        .bind(key_id)
                        .bind(nonce)
                        .bind(ciphertext)
                        .bind(w.next_cron_at)
                        .bind(&w.created_by)
                        .bind(w.created_at)
                        .bind(&w.updated_by)
                        .bind(w.updated_at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(write_error("workflow", "name", "organization"))?;
                    sqlx::query::<Db>(q::INSERT_VERSION)
                        .bind(&w.id)
                        .bind(1_i64)
                        .bind(sql::json_text(&w.document))
                        .bind(&w.created_by)
                        .bind(w.created_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    let created = workflow_from_row(&row)?;
                    tx.commit().await.map_err(database_error)?;
                    Ok(created)
                }

                async fn add_workflow_version(
                    &self,
                    org_id: &str,
                    id: &str,
                    replaces: i64,
                    document: &serde_json::Value,
                    author: &str,
                    at: Timestamp,
                    next_cron_at: Option<Timestamp>,
                ) -> StoreResult<WorkflowRecord> {
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query::<Db>(q::ADVANCE_VERSION)
                        .bind(org_id)
                        .bind(id)
                        .bind(replaces)
                        .bind(sql::json_text(document))
                        .bind(author)
                        .bind(at)
                        .bind(next_cron_at)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    let Some(row) = row else {
                        let exists = sqlx::query::<Db>(q::WORKFLOW_EXISTS)
                            .bind(org_id)
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(database_error)?
                            .is_some();
                        return Err(if exists {
                            StoreError::Conflict {
                                entity: "workflow",
                                field: "version",
                            }
                        } else {
                            StoreError::NotFound("workflow")
                        });
                    };
                    let saved = workflow_from_row(&row)?;
                    sqlx::query::<Db>(q::INSERT_VERSION)
                        .bind(id)
                        .bind(saved.version)
                        .bind(sql::json_text(document))
                        .bind(author)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(write_error("workflow version", "version", "workflow"))?;
                    tx.commit().await.map_err(database_error)?;
                    Ok(saved)
                }

                async fn get_workflow(
                    &self,
                    org_id: &str,
                    id: &str,
                ) -> StoreResult<WorkflowRecord> {
                    let row = sqlx::query::<Db>(q::GET_WORKFLOW)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("workflow"))?;
                    workflow_from_row(&row)
                }

                async fn find_workflow(
                    &self,
                    org_id: &str,
                    name: &str,
                ) -> StoreResult<Option<WorkflowRecord>> {
                    sqlx::query::<Db>(q::FIND_WORKFLOW)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(workflow_from_row)
                        .transpose()
                }

                async fn list_workflows(&self, org_id: &str) -> StoreResult<Vec<WorkflowRecord>> {
                    sqlx::query::<Db>(q::LIST_WORKFLOWS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?
                        .iter()
                        .map(workflow_from_row)
                        .collect()
                }

                async fn delete_workflow(
                    &self,
                    org_id: &str,
                    id: &str,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query::<Db>(q::DELETE_WORKFLOW)
                        .bind(org_id)
                        .bind(id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("workflow"));
                    }
                    sqlx::query::<Db>(q::CANCEL_PENDING_RUNS_OF_WORKFLOW)
                        .bind(id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    sqlx::query::<Db>(q::FLAG_RUNNING_RUNS_OF_WORKFLOW)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    tx.commit().await.map_err(database_error)?;
                    Ok(())
                }

                async fn list_workflow_versions(
                    &self,
                    workflow_id: &str,
                ) -> StoreResult<Vec<WorkflowVersionRecord>> {
                    sqlx::query::<Db>(q::LIST_VERSIONS)
                        .bind(workflow_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?
                        .iter()
                        .map(version_from_row)
                        .collect()
                }

                async fn get_workflow_version(
                    &self,
                    workflow_id: &str,
                    version: i64,
                ) -> StoreResult<WorkflowVersionRecord> {
                    let row = sqlx::query::<Db>(q::GET_VERSION)
                        .bind(workflow_id)
                        .bind(version)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("workflow version"))?;
                    version_from_row(&row)
                }

                async fn set_workflow_webhook(
                    &self,
                    org_id: &str,
                    id: &str,
                    token: &str,
                    secret: &SecretValue,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::SET_WEBHOOK)
                        .bind(org_id)
                        .bind(id)
                        .bind(token)
                        .bind(&secret.key_id)
                        .bind(&secret.nonce)
                        .bind(&secret.ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("workflow", "webhook_token", "workflow"))?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("workflow"));
                    }
                    Ok(())
                }

                async fn find_workflow_by_webhook(
                    &self,
                    token: &str,
                ) -> StoreResult<Option<WorkflowRecord>> {
                    sqlx::query::<Db>(q::FIND_BY_WEBHOOK)
                        .bind(token)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(workflow_from_row)
                        .transpose()
                }

                async fn list_due_cron_workflows(
                    &self,
                    now: Timestamp,
                ) -> StoreResult<Vec<WorkflowRecord>> {
                    sqlx::query::<Db>(q::LIST_DUE_CRON)
                        .bind(now)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?
                        .iter()
                        .map(workflow_from_row)
                        .collect()
                }

                async fn advance_workflow_cron(
                    &self,
                    id: &str,
                    expected: Option<Timestamp>,
                    next: Option<Timestamp>,
                ) -> StoreResult<bool> {
                    let done = match expected {
                        Some(expected) => {
                            sqlx::query::<Db>(q::ADVANCE_CRON)
                                .bind(id)
                                .bind(expected)
                                .bind(next)
                                .execute(&self.pool)
                                .await
                        }
                        None => {
                            sqlx::query::<Db>(q::ADVANCE_CRON_FROM_NONE)
                                .bind(id)
                                .bind(next)
                                .execute(&self.pool)
                                .await
                        }
                    }
                    .map_err(database_error)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn list_all_workflows(&self) -> StoreResult<Vec<WorkflowRecord>> {
                    sqlx::query::<Db>(q::LIST_ALL_WORKFLOWS)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?
                        .iter()
                        .map(workflow_from_row)
                        .collect()
                }

                async fn create_workflow_run(
                    &self,
                    r: WorkflowRunRecord,
                    nodes: &[WorkflowNodeRunRecord],
                ) -> StoreResult<WorkflowRunRecord> {
                    let mut tx = self.begin_write().await?;
                    if sqlx::query::<Db>(q::WORKFLOW_EXISTS)
                        .bind(&r.org_id)
                        .bind(&r.workflow_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?
                        .is_none()
                    {
                        return Err(StoreError::NotFound("workflow"));
                    }
                    let row = sqlx::query::<Db>(q::INSERT_RUN)
                        .bind(&r.id)
                        .bind(&r.org_id)
                        .bind(&r.workflow_id)
                        .bind(&r.workflow_name)
                        .bind(r.version)
                        .bind(&r.status)
                        .bind(&r.trigger_kind)
                        .bind(sql::json_text(&r.trigger_payload))
                        .bind(sql::json_text(&r.inputs))
                        .bind(&r.requested_by)
                        .bind(&r.parent_run)
                        .bind(r.concurrency_limit)
                        .bind(&r.lease_owner)
                        .bind(r.lease_expires_at)
                        .bind(r.attempts)
                        .bind(r.cancel_requested)
                        .bind(r.wake_at)
                        .bind(&r.error)
                        .bind(r.created_at)
                        .bind(r.started_at)
                        .bind(r.finished_at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(write_error("workflow run", "id", "workflow"))?;
                    for node in nodes {
                        bind_node(sqlx::query::<Db>(q::UPSERT_NODE), node)
                            .execute(&mut *tx)
                            .await
                            .map_err(write_error("workflow node run", "node_id", "workflow run"))?;
                    }
                    let created = run_from_row(&row)?;
                    tx.commit().await.map_err(database_error)?;
                    Ok(created)
                }

                async fn get_workflow_run(
                    &self,
                    org_id: &str,
                    id: &str,
                ) -> StoreResult<WorkflowRunRecord> {
                    let row = sqlx::query::<Db>(q::GET_RUN)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("workflow run"))?;
                    run_from_row(&row)
                }

                async fn list_workflow_runs(
                    &self,
                    org_id: &str,
                    workflow_id: Option<&str>,
                    limit: i64,
                ) -> StoreResult<Vec<WorkflowRunRecord>> {
                    sqlx::query::<Db>(q::LIST_RUNS)
                        .bind(org_id)
                        .bind(workflow_id)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?
                        .iter()
                        .map(run_from_row)
                        .collect()
                }

                async fn active_workflow_runs(
                    &self,
                    workflow_id: &str,
                ) -> StoreResult<Vec<WorkflowRunRecord>> {
                    sqlx::query::<Db>(q::ACTIVE_RUNS)
                        .bind(workflow_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?
                        .iter()
                        .map(run_from_row)
                        .collect()
                }

                async fn claim_workflow_run(
                    &self,
                    owner: &str,
                    now: Timestamp,
                    lease_until: Timestamp,
                ) -> StoreResult<Option<WorkflowRunRecord>> {
                    for _ in 0..q::CLAIM_ATTEMPTS {
                        let claimed = sqlx::query::<Db>(q::CLAIM_RUN)
                            .bind(owner)
                            .bind(now)
                            .bind(lease_until)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(database_error)?;
                        if let Some(row) = claimed {
                            return run_from_row(&row).map(Some);
                        }
                        // Nothing taken: either nothing is due, or another claimer took the
                        // row picked; look again only in the second case.
                        let any = sqlx::query::<Db>(q::ANY_DUE)
                            .bind(now)
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(database_error)?;
                        if any.is_none() {
                            return Ok(None);
                        }
                    }
                    Ok(None)
                }

                async fn renew_workflow_lease(
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

                async fn park_workflow_run(
                    &self,
                    id: &str,
                    owner: &str,
                    wake_at: Option<Timestamp>,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<Db>(q::PARK_RUN)
                        .bind(id)
                        .bind(owner)
                        .bind(wake_at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn finish_workflow_run(
                    &self,
                    id: &str,
                    status: &str,
                    error: Option<&str>,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    if !matches!(status, "succeeded" | "failed" | "cancelled") {
                        return Err(StoreError::Invalid(format!(
                            "a workflow run cannot finish as {status}"
                        )));
                    }
                    let done = sqlx::query::<Db>(q::FINISH_RUN)
                        .bind(id)
                        .bind(status)
                        .bind(error)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Invalid(format!(
                            "workflow run {id} is not active"
                        )));
                    }
                    Ok(())
                }

                async fn request_workflow_run_cancel(
                    &self,
                    org_id: &str,
                    id: &str,
                    at: Timestamp,
                ) -> StoreResult<WorkflowRunRecord> {
                    let mut tx = self.begin_write().await?;
                    let cancelled = sqlx::query::<Db>(q::CANCEL_IDLE_RUN)
                        .bind(org_id)
                        .bind(id)
                        .bind(at)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    if let Some(row) = cancelled {
                        sqlx::query::<Db>(q::CANCEL_WAITING_NODES)
                            .bind(id)
                            .bind(at)
                            .execute(&mut *tx)
                            .await
                            .map_err(database_error)?;
                        let run = run_from_row(&row)?;
                        tx.commit().await.map_err(database_error)?;
                        return Ok(run);
                    }
                    let flagged = sqlx::query::<Db>(q::CANCEL_RUNNING_RUN)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    if let Some(row) = flagged {
                        let run = run_from_row(&row)?;
                        tx.commit().await.map_err(database_error)?;
                        return Ok(run);
                    }
                    let status = sqlx::query_scalar::<Db, String>(q::GET_RUN_STATUS_IN_ORG)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("workflow run"))?;
                    Err(StoreError::Invalid(format!(
                        "workflow run {id} has already finished ({status}): there is nothing \
                         to cancel"
                    )))
                }

                async fn is_workflow_run_cancel_requested(&self, id: &str) -> StoreResult<bool> {
                    sqlx::query_scalar::<Db, bool>(q::IS_CANCEL_REQUESTED)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("workflow run"))
                }

                async fn save_workflow_node_run(
                    &self,
                    node: &WorkflowNodeRunRecord,
                ) -> StoreResult<()> {
                    bind_node(sqlx::query::<Db>(q::UPSERT_NODE), node)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("workflow node run", "node_id", "workflow run"))?;
                    Ok(())
                }

                async fn list_workflow_node_runs(
                    &self,
                    run_id: &str,
                ) -> StoreResult<Vec<WorkflowNodeRunRecord>> {
                    sqlx::query::<Db>(q::LIST_NODES)
                        .bind(run_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?
                        .iter()
                        .map(node_from_row)
                        .collect()
                }

                async fn decide_workflow_approval(
                    &self,
                    run_id: &str,
                    node_id: &str,
                    status: &str,
                    output: &serde_json::Value,
                    error: Option<&str>,
                    at: Timestamp,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await?;
                    let decided = sqlx::query::<Db>(q::DECIDE_NODE)
                        .bind(run_id)
                        .bind(node_id)
                        .bind(status)
                        .bind(sql::json_text(output))
                        .bind(error)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    if decided.rows_affected() == 0 {
                        return Ok(false);
                    }
                    sqlx::query::<Db>(q::REQUEUE_RUN)
                        .bind(run_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    tx.commit().await.map_err(database_error)?;
                    Ok(true)
                }

                async fn prune_workflow_runs(&self, before: Timestamp) -> StoreResult<u64> {
                    let done = sqlx::query::<Db>(q::PRUNE_RUNS)
                        .bind(before)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected())
                }

                async fn create_notification_channel(
                    &self,
                    c: NotificationChannelRecord,
                ) -> StoreResult<NotificationChannelRecord> {
                    let (key_id, nonce, ciphertext) = split(c.secret.as_ref());
                    let row = sqlx::query::<Db>(q::INSERT_CHANNEL)
                        .bind(&c.id)
                        .bind(&c.org_id)
                        .bind(&c.name)
                        .bind(&c.kind)
                        .bind(sql::json_text(&c.settings))
                        .bind(key_id)
                        .bind(nonce)
                        .bind(ciphertext)
                        .bind(&c.created_by)
                        .bind(c.created_at)
                        .bind(c.updated_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("notification channel", "name", "organization"))?;
                    channel_from_row(&row)
                }

                async fn list_notification_channels(
                    &self,
                    org_id: &str,
                ) -> StoreResult<Vec<NotificationChannelRecord>> {
                    sqlx::query::<Db>(q::LIST_CHANNELS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?
                        .iter()
                        .map(channel_from_row)
                        .collect()
                }

                async fn find_notification_channel(
                    &self,
                    org_id: &str,
                    name: &str,
                ) -> StoreResult<Option<NotificationChannelRecord>> {
                    sqlx::query::<Db>(q::FIND_CHANNEL)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(channel_from_row)
                        .transpose()
                }

                async fn delete_notification_channel(
                    &self,
                    org_id: &str,
                    id: &str,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_CHANNEL)
                        .bind(org_id)
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("notification channel"));
                    }
                    Ok(())
                }

                async fn list_all_notification_channels(
                    &self,
                ) -> StoreResult<Vec<NotificationChannelRecord>> {
                    sqlx::query::<Db>(q::LIST_ALL_CHANNELS)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?
                        .iter()
                        .map(channel_from_row)
                        .collect()
                }

                async fn replace_notification_channel_secret(
                    &self,
                    id: &str,
                    secret: Option<SecretValue>,
                ) -> StoreResult<()> {
                    let (key_id, nonce, ciphertext) = split(secret.as_ref());
                    sqlx::query::<Db>(q::REPLACE_CHANNEL_SECRET)
                        .bind(id)
                        .bind(key_id)
                        .bind(nonce)
                        .bind(ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(())
                }
            }

            fn bind_node<'q>(
                query: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>,
                n: &'q WorkflowNodeRunRecord,
            ) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments> {
                query
                    .bind(&n.run_id)
                    .bind(&n.node_id)
                    .bind(&n.status)
                    .bind(&n.port)
                    .bind(n.attempt)
                    .bind(n.input.as_ref().map(sql::json_text))
                    .bind(n.output.as_ref().map(sql::json_text))
                    .bind(&n.logs)
                    .bind(&n.error)
                    .bind(&n.reference)
                    .bind(n.wake_at)
                    .bind(n.started_at)
                    .bind(n.finished_at)
            }
        }
    };
}

pub(crate) use impl_workflow_store;
