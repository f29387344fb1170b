//! Deployments, a leased job queue (queued → running under a worker's lease → a terminal
//! state), and each deployment's numbered event stream.
//!
//! *Invariant:* at most one deployment runs per (stack, target): claiming skips pairs that
//! have one running, and a partial unique index backs that up under concurrency.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// The deployment queue and deployment events.
#[async_trait]
pub trait DeploymentStore: Send + Sync {
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
    /// Records the services' domains and gateway settings the deployment deploys.
    async fn set_deployment_ingress(
        &self,
        id: &str,
        ingress: &serde_json::Value,
    ) -> StoreResult<()>;
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
    /// What runs where: per (stack, target), the last succeeded deployment when it is not a
    /// removal, for stacks not deleted; narrowed to one stack or one target. By stack name,
    /// then target name.
    async fn list_deployed(
        &self,
        org_id: &str,
        stack_id: Option<&str>,
        target_id: Option<&str>,
    ) -> StoreResult<Vec<Deployment>>;
    /// The newest deployment of each stack of the organization (any state), for lists.
    async fn latest_deployments(&self, org_id: &str) -> StoreResult<Vec<Deployment>>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! deployment_select {
    () => {
        "SELECT d.id, d.org_id, d.stack_id, d.stack_name, d.stack_version, d.target_id, \
         d.target_name, d.environment_id, d.environment_name, d.kind, d.state, d.requested_by, \
         u.username AS requested_by_name, d.idempotency_key, d.plan, d.placement, d.ingress, d.error, \
         d.cancel_requested, d.attempts, d.worker, d.lease_until, d.created_at, d.started_at, \
         d.finished_at FROM deployments d JOIN users u ON u.id = d.requested_by"
    };
}

// deployments
pub(crate) const INSERT_DEPLOYMENT: &str = "INSERT INTO deployments (id, org_id, stack_id, \
     stack_name, stack_version, target_id, target_name, environment_id, environment_name, \
     kind, state, requested_by, idempotency_key, created_at, placement) \
     SELECT $1, s.org_id, s.id, s.name, $4, t.id, t.name, e.id, e.name, $6, 'queued', $7, $8, $9, \
     $11 \
     FROM stacks s JOIN targets t ON t.org_id = s.org_id AND t.id = $5 \
     LEFT JOIN environments e ON e.org_id = s.org_id AND e.id = $10 \
     WHERE s.org_id = $2 AND s.id = $3 AND s.deleted_at IS NULL \
     AND EXISTS (SELECT 1 FROM stack_versions v WHERE v.stack_id = s.id AND v.version = $4) \
     AND ($10 IS NULL OR e.id IS NOT NULL) \
     RETURNING id";
pub(crate) const STACK_VERSION_EXISTS: &str =
    "SELECT 1 FROM stack_versions WHERE stack_id = $1 AND version = $2";
pub(crate) const TARGET_EXISTS: &str = "SELECT 1 FROM targets WHERE org_id = $1 AND id = $2";
pub(crate) const GET_DEPLOYMENT: &str =
    concat!(deployment_select!(), " WHERE d.org_id = $1 AND d.id = $2");
pub(crate) const GET_DEPLOYMENT_ANY_ORG: &str = concat!(deployment_select!(), " WHERE d.id = $1");
pub(crate) const FIND_IDEMPOTENT_DEPLOYMENT: &str = concat!(
    deployment_select!(),
    " WHERE d.org_id = $1 AND d.requested_by = $2 AND d.idempotency_key = $3"
);
pub(crate) const LIST_DEPLOYMENTS: &str = concat!(
    deployment_select!(),
    " WHERE d.org_id = $1 AND ($2 IS NULL OR d.stack_id = $2) \
     AND ($3 IS NULL OR d.target_id = $3) AND ($4 IS NULL OR d.state = $4) \
     ORDER BY d.seq DESC LIMIT $5 OFFSET $6"
);
pub(crate) const COUNT_DEPLOYMENTS: &str = "SELECT COUNT(*) FROM deployments d \
     WHERE d.org_id = $1 AND ($2 IS NULL OR d.stack_id = $2) \
     AND ($3 IS NULL OR d.target_id = $3) AND ($4 IS NULL OR d.state = $4)";
/// The oldest queued deployment whose (stack, target) has none running.
macro_rules! claimable {
    () => {
        "SELECT d.id FROM deployments d WHERE d.state = 'queued' AND NOT EXISTS \
         (SELECT 1 FROM deployments r WHERE r.stack_id = d.stack_id \
         AND r.target_id = d.target_id AND r.state = 'running') ORDER BY d.seq LIMIT 1"
    };
}
pub(crate) const CLAIM_DEPLOYMENT: &str = concat!(
    "UPDATE deployments SET state = 'running', worker = $1, lease_until = $3, \
     started_at = COALESCE(started_at, $2), attempts = attempts + 1 WHERE id = (",
    claimable!(),
    ") AND state = 'queued' RETURNING id"
);
pub(crate) const ANY_CLAIMABLE: &str = claimable!();
pub(crate) const RENEW_LEASE: &str = "UPDATE deployments SET lease_until = $3 \
     WHERE id = $1 AND worker = $2 AND state = 'running'";
pub(crate) const RECLAIM_EXPIRED: &str = "UPDATE deployments SET worker = $1, \
     lease_until = $3, attempts = attempts + 1 \
     WHERE state = 'running' AND lease_until < $2 RETURNING id";
pub(crate) const SET_DEPLOYMENT_PLAN: &str = "UPDATE deployments SET plan = $2 WHERE id = $1";
pub(crate) const SET_DEPLOYMENT_INGRESS: &str = "UPDATE deployments SET ingress = $2 WHERE id = $1";
pub(crate) const MOVE_DEPLOYMENT: &str = "UPDATE deployments SET target_id = t.id, \
     target_name = t.name, placement = $4, plan = NULL FROM targets t \
     WHERE deployments.id = $1 AND deployments.worker = $2 AND deployments.state = 'running' \
     AND t.id = $3 AND t.org_id = deployments.org_id RETURNING deployments.id";
pub(crate) const FINISH_DEPLOYMENT: &str = "UPDATE deployments SET state = $2, error = $3, \
     finished_at = $4, lease_until = NULL WHERE id = $1 AND state = 'running'";
pub(crate) const GET_DEPLOYMENT_STATE: &str = "SELECT state FROM deployments WHERE id = $1";
pub(crate) const GET_DEPLOYMENT_STATE_IN_ORG: &str =
    "SELECT state FROM deployments WHERE org_id = $1 AND id = $2";
pub(crate) const CANCEL_QUEUED: &str = "UPDATE deployments SET state = 'cancelled', \
     cancel_requested = TRUE, finished_at = $3 \
     WHERE org_id = $1 AND id = $2 AND state = 'queued'";
pub(crate) const CANCEL_RUNNING: &str = "UPDATE deployments SET cancel_requested = TRUE \
     WHERE org_id = $1 AND id = $2 AND state = 'running'";
pub(crate) const IS_CANCEL_REQUESTED: &str =
    "SELECT cancel_requested FROM deployments WHERE id = $1";
pub(crate) const LAST_EVENT_SEQ: &str =
    "SELECT COALESCE(MAX(seq), 0) FROM deployment_events WHERE deployment_id = $1";
pub(crate) const DEPLOYMENT_EXISTS: &str = "SELECT 1 FROM deployments WHERE id = $1";
pub(crate) const INSERT_EVENT: &str =
    "INSERT INTO deployment_events (deployment_id, seq, at, data) VALUES ($1, $2, $3, $4)";
pub(crate) const LIST_EVENTS: &str = "SELECT deployment_id, seq, at, data \
     FROM deployment_events WHERE deployment_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
pub(crate) const LAST_SUCCEEDED_DEPLOYMENT: &str = concat!(
    deployment_select!(),
    " WHERE d.org_id = $1 AND d.stack_id = $2 AND d.target_id = $3 \
     AND d.state = 'succeeded' AND ($4 IS NULL OR d.stack_version < $4) \
     ORDER BY d.seq DESC LIMIT 1"
);
pub(crate) const LIST_DEPLOYED: &str = concat!(
    deployment_select!(),
    " WHERE d.org_id = $1 AND ($2 IS NULL OR d.stack_id = $2) \
     AND ($3 IS NULL OR d.target_id = $3) AND d.state = 'succeeded' AND d.kind <> 'remove' \
     AND d.seq = (SELECT MAX(r.seq) FROM deployments r WHERE r.stack_id = d.stack_id \
     AND r.target_id = d.target_id AND r.state = 'succeeded') \
     AND EXISTS (SELECT 1 FROM stacks s WHERE s.id = d.stack_id AND s.deleted_at IS NULL) \
     ORDER BY d.stack_name, d.target_name"
);
pub(crate) const LATEST_DEPLOYMENTS: &str = concat!(
    deployment_select!(),
    " WHERE d.org_id = $1 AND d.seq = (SELECT MAX(r.seq) FROM deployments r \
     WHERE r.stack_id = d.stack_id)"
);
pub(crate) const COUNT_DEPLOYMENTS_BY_STATE: &str =
    "SELECT state, COUNT(*) AS n FROM deployments GROUP BY state";

/// How often `claim_deployment` retries after losing a race for a claimable deployment.
pub(crate) const CLAIM_ATTEMPTS: usize = 50;

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`DeploymentStore`] for `$store`, in the adapter's child module `deployments`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store), which defines the `Db`, `DbRow`,
/// `col`, `rows` and `exists` this body uses.
macro_rules! impl_deployment_store {
    ($store:ty) => {
        pub(super) mod deployments {
            use super::*;
            use $crate::deployments::{self as q, DeploymentStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::{StoreError, StoreResult};

            pub(super) fn deployment_from_row(row: &DbRow) -> StoreResult<Deployment> {
                let kind: String = col(row, "kind")?;
                let state: String = col(row, "state")?;
                let plan: Option<String> = col(row, "plan")?;
                Ok(Deployment {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    stack_id: col(row, "stack_id")?,
                    stack_name: col(row, "stack_name")?,
                    stack_version: col(row, "stack_version")?,
                    target_id: col(row, "target_id")?,
                    target_name: col(row, "target_name")?,
                    environment_id: col(row, "environment_id")?,
                    environment_name: col(row, "environment_name")?,
                    kind: DeploymentKind::parse(&kind)
                        .ok_or_else(|| sql::unknown_value("kind", &kind))?,
                    state: DeploymentState::parse(&state)
                        .ok_or_else(|| sql::unknown_value("state", &state))?,
                    requested_by: col(row, "requested_by")?,
                    requested_by_name: col(row, "requested_by_name")?,
                    idempotency_key: col(row, "idempotency_key")?,
                    plan: plan
                        .map(|text| sql::parse_json(&text, "plan"))
                        .transpose()?,
                    placement: col::<Option<String>>(row, "placement")?
                        .map(|text| sql::parse_json(&text, "placement"))
                        .transpose()?,
                    ingress: col::<Option<String>>(row, "ingress")?
                        .map(|text| sql::parse_json(&text, "ingress"))
                        .transpose()?,
                    error: col(row, "error")?,
                    cancel_requested: col(row, "cancel_requested")?,
                    attempts: col(row, "attempts")?,
                    worker: col(row, "worker")?,
                    lease_until: col(row, "lease_until")?,
                    created_at: col(row, "created_at")?,
                    started_at: col(row, "started_at")?,
                    finished_at: col(row, "finished_at")?,
                })
            }

            pub(super) fn event_from_row(row: &DbRow) -> StoreResult<DeploymentEvent> {
                Ok(DeploymentEvent {
                    deployment_id: col(row, "deployment_id")?,
                    seq: col(row, "seq")?,
                    at: col(row, "at")?,
                    data: sql::parse_json(&col::<String>(row, "data")?, "data")?,
                })
            }

            impl $store {
                async fn deployment_by_id(&self, id: &str) -> StoreResult<Deployment> {
                    let row = sqlx::query::<Db>(q::GET_DEPLOYMENT_ANY_ORG)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("deployment"))?;
                    deployment_from_row(&row)
                }

                async fn find_idempotent(
                    &self,
                    org_id: &str,
                    requested_by: &str,
                    key: &str,
                ) -> StoreResult<Option<Deployment>> {
                    sqlx::query::<Db>(q::FIND_IDEMPOTENT_DEPLOYMENT)
                        .bind(org_id)
                        .bind(requested_by)
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(deployment_from_row)
                        .transpose()
                }
            }

            #[async_trait::async_trait]
            impl DeploymentStore for $store {
                async fn create_deployment(
                    &self,
                    deployment: NewDeployment,
                ) -> StoreResult<(Deployment, bool)> {
                    let d = &deployment;
                    if let Some(key) = &d.idempotency_key {
                        let earlier = self
                            .find_idempotent(&d.org_id, &d.requested_by, key)
                            .await?;
                        if let Some(earlier) = earlier {
                            return Ok((earlier, false));
                        }
                    }
                    let inserted = sqlx::query_scalar::<Db, String>(q::INSERT_DEPLOYMENT)
                        .bind(&d.id)
                        .bind(&d.org_id)
                        .bind(&d.stack_id)
                        .bind(d.stack_version)
                        .bind(&d.target_id)
                        .bind(d.kind.as_str())
                        .bind(&d.requested_by)
                        .bind(&d.idempotency_key)
                        .bind(d.created_at)
                        .bind(&d.environment_id)
                        .bind(d.placement.as_ref().map(sql::json_text))
                        .fetch_optional(&self.pool)
                        .await;
                    match inserted {
                        Ok(Some(id)) => Ok((self.deployment_by_id(&id).await?, true)),
                        Ok(None) => {
                            // Say which reference is missing.
                            if !self
                                .exists($crate::sql::STACK_EXISTS, &d.org_id, Some(&d.stack_id))
                                .await?
                            {
                                return Err(StoreError::NotFound("stack"));
                            }
                            if !self
                                .exists(q::TARGET_EXISTS, &d.org_id, Some(&d.target_id))
                                .await?
                            {
                                return Err(StoreError::NotFound("target"));
                            }
                            let version = sqlx::query::<Db>(q::STACK_VERSION_EXISTS)
                                .bind(&d.stack_id)
                                .bind(d.stack_version)
                                .fetch_optional(&self.pool)
                                .await
                                .map_err(database_error)?;
                            if version.is_none() {
                                return Err(StoreError::NotFound("stack version"));
                            }
                            Err(StoreError::NotFound("environment"))
                        }
                        Err(error) if sql::is_unique_violation(&error) => {
                            // Another request with the same key won the race.
                            if let Some(key) = &d.idempotency_key {
                                if let Some(earlier) = self
                                    .find_idempotent(&d.org_id, &d.requested_by, key)
                                    .await?
                                {
                                    return Ok((earlier, false));
                                }
                            }
                            Err(write_error("deployment", "idempotency_key", "user")(error))
                        }
                        Err(error) => Err(write_error("deployment", "id", "user")(error)),
                    }
                }

                async fn get_deployment(&self, org_id: &str, id: &str) -> StoreResult<Deployment> {
                    let row = sqlx::query::<Db>(q::GET_DEPLOYMENT)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("deployment"))?;
                    deployment_from_row(&row)
                }

                async fn list_deployments(
                    &self,
                    org_id: &str,
                    filter: &DeploymentFilter,
                    page: PageRequest,
                ) -> StoreResult<Page<Deployment>> {
                    let state = filter.state.map(DeploymentState::as_str);
                    let mut conn = self.pool.acquire().await.map_err(database_error)?;
                    let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_DEPLOYMENTS)
                        .bind(org_id)
                        .bind(&filter.stack_id)
                        .bind(&filter.target_id)
                        .bind(state)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    let items = if total > page.offset && page.limit > 0 {
                        sqlx::query::<Db>(q::LIST_DEPLOYMENTS)
                            .bind(org_id)
                            .bind(&filter.stack_id)
                            .bind(&filter.target_id)
                            .bind(state)
                            .bind(page.limit)
                            .bind(page.offset)
                            .fetch_all(&mut *conn)
                            .await
                            .map_err(database_error)?
                    } else {
                        Vec::new()
                    };
                    Ok(Page {
                        items: rows(items, deployment_from_row)?,
                        total,
                    })
                }

                async fn claim_deployment(
                    &self,
                    worker: &str,
                    now: Timestamp,
                    lease_until: Timestamp,
                ) -> StoreResult<Option<Deployment>> {
                    // One statement picks and takes the row. Under PostgreSQL's READ COMMITTED two
                    // workers may pick the same row: the loser updates nothing (or trips the
                    // one-running index) and tries again while something is claimable.
                    for _ in 0..q::CLAIM_ATTEMPTS {
                        let claimed = sqlx::query_scalar::<Db, String>(q::CLAIM_DEPLOYMENT)
                            .bind(worker)
                            .bind(now)
                            .bind(lease_until)
                            .fetch_optional(&self.pool)
                            .await;
                        match claimed {
                            Ok(Some(id)) => return self.deployment_by_id(&id).await.map(Some),
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

                async fn renew_lease(
                    &self,
                    id: &str,
                    worker: &str,
                    lease_until: Timestamp,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<Db>(q::RENEW_LEASE)
                        .bind(id)
                        .bind(worker)
                        .bind(lease_until)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn reclaim_expired(
                    &self,
                    worker: &str,
                    now: Timestamp,
                    lease_until: Timestamp,
                ) -> StoreResult<Vec<Deployment>> {
                    let ids = sqlx::query_scalar::<Db, String>(q::RECLAIM_EXPIRED)
                        .bind(worker)
                        .bind(now)
                        .bind(lease_until)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    let mut reclaimed = Vec::with_capacity(ids.len());
                    for id in ids {
                        reclaimed.push(self.deployment_by_id(&id).await?);
                    }
                    Ok(reclaimed)
                }

                async fn set_deployment_plan(
                    &self,
                    id: &str,
                    plan: &serde_json::Value,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::SET_DEPLOYMENT_PLAN)
                        .bind(id)
                        .bind(sql::json_text(plan))
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "deployment")
                }

                async fn set_deployment_ingress(
                    &self,
                    id: &str,
                    ingress: &serde_json::Value,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::SET_DEPLOYMENT_INGRESS)
                        .bind(id)
                        .bind(sql::json_text(ingress))
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "deployment")
                }

                async fn move_deployment(
                    &self,
                    id: &str,
                    worker: &str,
                    target_id: &str,
                    placement: &serde_json::Value,
                ) -> StoreResult<Deployment> {
                    let moved = sqlx::query_scalar::<Db, String>(q::MOVE_DEPLOYMENT)
                        .bind(id)
                        .bind(worker)
                        .bind(target_id)
                        .bind(sql::json_text(placement))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(write_error("deployment", "target", "target"))?;
                    match moved {
                        Some(id) => self.deployment_by_id(&id).await,
                        None => Err(StoreError::NotFound("deployment")),
                    }
                }

                async fn finish_deployment(
                    &self,
                    id: &str,
                    finish: DeploymentFinish,
                ) -> StoreResult<()> {
                    if !finish.state.is_terminal() {
                        return Err(StoreError::Invalid(format!(
                            "a deployment cannot finish as {}: use succeeded, failed, rolled_back \
                             or cancelled",
                            finish.state
                        )));
                    }
                    let done = sqlx::query::<Db>(q::FINISH_DEPLOYMENT)
                        .bind(id)
                        .bind(finish.state.as_str())
                        .bind(&finish.error)
                        .bind(finish.at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    if done.rows_affected() > 0 {
                        return Ok(());
                    }
                    let state = sqlx::query_scalar::<Db, String>(q::GET_DEPLOYMENT_STATE)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("deployment"))?;
                    Err(StoreError::Invalid(format!(
                        "deployment {id} is {state}, not running: only a running deployment \
                         can finish"
                    )))
                }

                async fn cancel_deployment(
                    &self,
                    org_id: &str,
                    id: &str,
                    at: Timestamp,
                ) -> StoreResult<CancelOutcome> {
                    let done = sqlx::query::<Db>(q::CANCEL_QUEUED)
                        .bind(org_id)
                        .bind(id)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    if done.rows_affected() > 0 {
                        return Ok(CancelOutcome::Cancelled);
                    }
                    let done = sqlx::query::<Db>(q::CANCEL_RUNNING)
                        .bind(org_id)
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    if done.rows_affected() > 0 {
                        return Ok(CancelOutcome::Requested);
                    }
                    let state = sqlx::query_scalar::<Db, String>(q::GET_DEPLOYMENT_STATE_IN_ORG)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("deployment"))?;
                    Err(StoreError::Invalid(format!(
                        "deployment {id} has already finished ({state}): there is nothing to cancel"
                    )))
                }

                async fn is_cancel_requested(&self, id: &str) -> StoreResult<bool> {
                    sqlx::query_scalar::<Db, bool>(q::IS_CANCEL_REQUESTED)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("deployment"))
                }

                async fn append_deployment_events(
                    &self,
                    events: &[DeploymentEvent],
                ) -> StoreResult<()> {
                    if events.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.begin_write().await?;
                    // The next expected seq per deployment in this batch.
                    let mut next: Vec<(&str, i64)> = Vec::new();
                    for event in events {
                        let id = event.deployment_id.as_str();
                        let index = match next.iter().position(|(d, _)| *d == id) {
                            Some(index) => index,
                            None => {
                                let present = sqlx::query::<Db>(q::DEPLOYMENT_EXISTS)
                                    .bind(id)
                                    .fetch_optional(&mut *tx)
                                    .await
                                    .map_err(database_error)?;
                                if present.is_none() {
                                    return Err(StoreError::NotFound("deployment"));
                                }
                                let last = sqlx::query::<Db>(q::LAST_EVENT_SEQ)
                                    .bind(id)
                                    .fetch_one(&mut *tx)
                                    .await
                                    .map_err(database_error)?;
                                next.push((id, first::<i64>(&last)? + 1));
                                next.len() - 1
                            }
                        };
                        let expected = next[index].1;
                        if event.seq != expected {
                            return Err(StoreError::Invalid(format!(
                                "event {} of deployment {id} does not continue its sequence (the \
                                 next is {expected})",
                                event.seq
                            )));
                        }
                        next[index].1 += 1;
                        sqlx::query::<Db>(q::INSERT_EVENT)
                            .bind(id)
                            .bind(event.seq)
                            .bind(event.at)
                            .bind(sql::json_text(&event.data))
                            .execute(&mut *tx)
                            .await
                            .map_err(write_error("deployment event", "seq", "deployment"))?;
                    }
                    tx.commit().await.map_err(database_error)
                }

                async fn list_deployment_events(
                    &self,
                    deployment_id: &str,
                    after: i64,
                    limit: i64,
                ) -> StoreResult<Vec<DeploymentEvent>> {
                    let found = sqlx::query::<Db>(q::LIST_EVENTS)
                        .bind(deployment_id)
                        .bind(after)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, event_from_row)
                }

                async fn last_succeeded_deployment(
                    &self,
                    org_id: &str,
                    stack_id: &str,
                    target_id: &str,
                    before_version: Option<i64>,
                ) -> StoreResult<Option<Deployment>> {
                    sqlx::query::<Db>(q::LAST_SUCCEEDED_DEPLOYMENT)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(target_id)
                        .bind(before_version)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(deployment_from_row)
                        .transpose()
                }

                async fn list_deployed(
                    &self,
                    org_id: &str,
                    stack_id: Option<&str>,
                    target_id: Option<&str>,
                ) -> StoreResult<Vec<Deployment>> {
                    let found = sqlx::query::<Db>(q::LIST_DEPLOYED)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(target_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, deployment_from_row)
                }

                async fn latest_deployments(&self, org_id: &str) -> StoreResult<Vec<Deployment>> {
                    let found = sqlx::query::<Db>(q::LATEST_DEPLOYMENTS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, deployment_from_row)
                }

                async fn count_deployments_by_state(
                    &self,
                ) -> StoreResult<Vec<(DeploymentState, i64)>> {
                    let found = sqlx::query::<Db>(q::COUNT_DEPLOYMENTS_BY_STATE)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    let mut counts: Vec<(DeploymentState, i64)> =
                        DeploymentState::ALL.iter().map(|s| (*s, 0)).collect();
                    for row in &found {
                        let state: String = col(row, "state")?;
                        let state = DeploymentState::parse(&state)
                            .ok_or_else(|| sql::unknown_value("state", &state))?;
                        let n: i64 = col(row, "n")?;
                        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                            slot.1 = n;
                        }
                    }
                    Ok(counts)
                }
            }
        }
    };
}

pub(crate) use impl_deployment_store;
