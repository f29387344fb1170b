//! Targets (the hosts and engines stacks are deployed to), their health history
//! (`target_checks`) and the host-access policies that narrow what may run on them.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Targets, their health checks and host-access policies.
#[async_trait]
pub trait TargetStore: Send + Sync {
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
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! target_columns {
    () => {
        "id, org_id, environment_id, name, kind, endpoint, labels, config, status, info, \
         checked_at, created_at"
    };
}

// targets
pub(crate) const INSERT_TARGET: &str = concat!(
    "INSERT INTO targets (id, org_id, environment_id, name, kind, endpoint, labels, config, \
     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
    target_columns!()
);
pub(crate) const GET_TARGET: &str = concat!(
    "SELECT ",
    target_columns!(),
    " FROM targets WHERE org_id = $1 AND name = $2"
);
pub(crate) const GET_TARGET_BY_ID: &str = concat!(
    "SELECT ",
    target_columns!(),
    " FROM targets WHERE org_id = $1 AND id = $2"
);
pub(crate) const LIST_TARGETS: &str = concat!(
    "SELECT ",
    target_columns!(),
    " FROM targets WHERE org_id = $1 ORDER BY name"
);
pub(crate) const LIST_ALL_TARGETS: &str = concat!(
    "SELECT ",
    target_columns!(),
    " FROM targets ORDER BY org_id, name"
);
pub(crate) const UPDATE_TARGET_STATUS: &str = "UPDATE targets SET status = $2, \
     info = COALESCE($3, info), checked_at = $4 WHERE id = $1";
pub(crate) const COUNT_TARGET_ACTIVE_DEPLOYMENTS: &str = "SELECT COUNT(*) FROM deployments \
     WHERE target_id = $1 AND state IN ('queued', 'running')";
pub(crate) const DELETE_TARGET: &str = "DELETE FROM targets WHERE id = $1";
pub(crate) const SET_TARGET_LABELS: &str = concat!(
    "UPDATE targets SET labels = $3 WHERE org_id = $1 AND name = $2 RETURNING ",
    target_columns!()
);
pub(crate) const SET_TARGET_CONFIG: &str = concat!(
    "UPDATE targets SET config = $3 WHERE org_id = $1 AND name = $2 RETURNING ",
    target_columns!()
);
pub(crate) const INSERT_TARGET_CHECK: &str = "INSERT INTO target_checks \
     (target_id, checked_at, status, latency_ms, error) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT DO NOTHING";
pub(crate) const LIST_TARGET_CHECKS: &str = "SELECT target_id, checked_at, status, latency_ms, \
     error FROM target_checks WHERE target_id = $1 ORDER BY checked_at DESC LIMIT $2";
pub(crate) const PRUNE_TARGET_CHECKS: &str = "DELETE FROM target_checks WHERE checked_at < $1";

// host-access policies
pub(crate) const LIST_HOST_POLICIES: &str = "SELECT org_id, scope, scope_id, policy, updated_at \
     FROM host_policies WHERE org_id = $1 ORDER BY scope, scope_id";
pub(crate) const SET_HOST_POLICY: &str = "INSERT INTO host_policies \
     (org_id, scope, scope_id, policy, updated_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (org_id, scope, scope_id) DO UPDATE SET policy = $4, updated_at = $5";
pub(crate) const DELETE_HOST_POLICY: &str =
    "DELETE FROM host_policies WHERE org_id = $1 AND scope = $2 AND scope_id = $3";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`TargetStore`] for `$store`, in the adapter's child module `targets`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store), which defines the `Db`, `DbRow`,
/// `col`, `rows` and `exists` this body uses.
macro_rules! impl_target_store {
    ($store:ty) => {
        pub(super) mod targets {
            use super::*;
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::targets::{self as q, TargetStore};
            use $crate::{StoreError, StoreResult};

            pub(super) fn target_from_row(row: &DbRow) -> StoreResult<Target> {
                let kind: String = col(row, "kind")?;
                let status: String = col(row, "status")?;
                let labels = match sql::parse_json(&col::<String>(row, "labels")?, "labels")? {
                    serde_json::Value::Object(map) => map,
                    _ => {
                        return Err(StoreError::Database(
                            "column labels is not an object".into(),
                        ))
                    }
                };
                let info: Option<String> = col(row, "info")?;
                Ok(Target {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    environment_id: col(row, "environment_id")?,
                    name: col(row, "name")?,
                    kind: TargetKind::parse(&kind)
                        .ok_or_else(|| sql::unknown_value("kind", &kind))?,
                    endpoint: col(row, "endpoint")?,
                    labels,
                    config: sql::parse_json(&col::<String>(row, "config")?, "config")?,
                    status: TargetStatus::parse(&status)
                        .ok_or_else(|| sql::unknown_value("status", &status))?,
                    info: info
                        .map(|text| sql::parse_json(&text, "info"))
                        .transpose()?,
                    checked_at: col(row, "checked_at")?,
                    created_at: col(row, "created_at")?,
                })
            }

            pub(super) fn target_check_from_row(row: &DbRow) -> StoreResult<TargetCheck> {
                let status: String = col(row, "status")?;
                Ok(TargetCheck {
                    target_id: col(row, "target_id")?,
                    checked_at: col(row, "checked_at")?,
                    status: TargetStatus::parse(&status)
                        .ok_or_else(|| sql::unknown_value("status", &status))?,
                    latency_ms: col(row, "latency_ms")?,
                    error: col(row, "error")?,
                })
            }

            pub(super) fn host_policy_from_row(row: &DbRow) -> StoreResult<HostPolicy> {
                let scope: String = col(row, "scope")?;
                let scope_id: String = col(row, "scope_id")?;
                let policy: String = col(row, "policy")?;
                Ok(HostPolicy {
                    org_id: col(row, "org_id")?,
                    scope: PolicyScope::parse(&scope, &scope_id)
                        .ok_or_else(|| sql::unknown_value("scope", &scope))?,
                    policy: serde_json::from_str(&policy)
                        .map_err(|_| sql::unknown_value("policy", &policy))?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            #[async_trait::async_trait]
            impl TargetStore for $store {
                async fn create_target(&self, target: NewTarget) -> StoreResult<Target> {
                    if let Some(environment_id) = &target.environment_id {
                        if !self
                            .exists(
                                $crate::organizations::ENVIRONMENT_EXISTS,
                                &target.org_id,
                                Some(environment_id),
                            )
                            .await?
                        {
                            return Err(StoreError::NotFound("environment"));
                        }
                    }
                    let labels = serde_json::Value::Object(target.labels.clone());
                    let row = sqlx::query::<Db>(q::INSERT_TARGET)
                        .bind(&target.id)
                        .bind(&target.org_id)
                        .bind(&target.environment_id)
                        .bind(&target.name)
                        .bind(target.kind.as_str())
                        .bind(&target.endpoint)
                        .bind(sql::json_text(&labels))
                        .bind(sql::json_text(&target.config))
                        .bind(target.created_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("target", "name", "organization or environment"))?;
                    target_from_row(&row)
                }

                async fn get_target(&self, org_id: &str, name: &str) -> StoreResult<Target> {
                    let row = sqlx::query::<Db>(q::GET_TARGET)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("target"))?;
                    target_from_row(&row)
                }

                async fn get_target_by_id(&self, org_id: &str, id: &str) -> StoreResult<Target> {
                    let row = sqlx::query::<Db>(q::GET_TARGET_BY_ID)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("target"))?;
                    target_from_row(&row)
                }

                async fn list_targets(&self, org_id: &str) -> StoreResult<Vec<Target>> {
                    let found = sqlx::query::<Db>(q::LIST_TARGETS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, target_from_row)
                }

                async fn list_all_targets(&self) -> StoreResult<Vec<Target>> {
                    let found = sqlx::query::<Db>(q::LIST_ALL_TARGETS)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, target_from_row)
                }

                async fn update_target_status(
                    &self,
                    target_id: &str,
                    status: TargetStatus,
                    info: Option<serde_json::Value>,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::UPDATE_TARGET_STATUS)
                        .bind(target_id)
                        .bind(status.as_str())
                        .bind(info.as_ref().map(sql::json_text))
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "target")
                }

                async fn delete_target(
                    &self,
                    org_id: &str,
                    name: &str,
                    force: bool,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query::<Db>(q::GET_TARGET)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("target"))?;
                    let id: String = col(&row, "id")?;
                    if !force {
                        let active: i64 =
                            sqlx::query_scalar::<Db, i64>(q::COUNT_TARGET_ACTIVE_DEPLOYMENTS)
                                .bind(&id)
                                .fetch_one(&mut *tx)
                                .await
                                .map_err(database_error)?;
                        if active > 0 {
                            return Err(StoreError::Invalid(format!(
                                "target {name} has {active} queued or running deployment(s): wait \
                                 for them or cancel them, or force the deletion"
                            )));
                        }
                        let deployed = sqlx::query::<Db>(crate::deployments::LIST_DEPLOYED)
                            .bind(org_id)
                            .bind(None::<&str>)
                            .bind(Some(id.as_str()))
                            .fetch_all(&mut *tx)
                            .await
                            .map_err(database_error)?;
                        if !deployed.is_empty() {
                            let stacks = deployed
                                .iter()
                                .map(|row| col::<String>(row, "stack_name"))
                                .collect::<StoreResult<Vec<_>>>()?;
                            return Err(StoreError::Invalid(format!(
                                "target {name} still runs {}: undeploy them first, or force the \
                                 deletion (their containers stay on the host, unmanaged)",
                                stacks.join(", ")
                            )));
                        }
                    }
                    sqlx::query::<Db>(q::DELETE_TARGET)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    tx.commit().await.map_err(database_error)
                }

                async fn set_target_labels(
                    &self,
                    org_id: &str,
                    name: &str,
                    labels: serde_json::Map<String, serde_json::Value>,
                ) -> StoreResult<Target> {
                    let row = sqlx::query::<Db>(q::SET_TARGET_LABELS)
                        .bind(org_id)
                        .bind(name)
                        .bind(sql::json_text(&serde_json::Value::Object(labels)))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("target"))?;
                    target_from_row(&row)
                }

                async fn set_target_config(
                    &self,
                    org_id: &str,
                    name: &str,
                    config: serde_json::Value,
                ) -> StoreResult<Target> {
                    let row = sqlx::query::<Db>(q::SET_TARGET_CONFIG)
                        .bind(org_id)
                        .bind(name)
                        .bind(sql::json_text(&config))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("target"))?;
                    target_from_row(&row)
                }

                // ---- host-access policies ---------------------------------------------------

                async fn list_host_policies(&self, org_id: &str) -> StoreResult<Vec<HostPolicy>> {
                    let rows = sqlx::query::<Db>(q::LIST_HOST_POLICIES)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows.iter().map(host_policy_from_row).collect()
                }

                async fn set_host_policy(&self, policy: HostPolicy) -> StoreResult<()> {
                    sqlx::query::<Db>(q::SET_HOST_POLICY)
                        .bind(&policy.org_id)
                        .bind(policy.scope.kind())
                        .bind(policy.scope.id())
                        .bind(policy.policy.to_string())
                        .bind(policy.updated_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("host policy", "scope", "organization"))?;
                    Ok(())
                }

                async fn delete_host_policy(
                    &self,
                    org_id: &str,
                    scope: &PolicyScope,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<Db>(q::DELETE_HOST_POLICY)
                        .bind(org_id)
                        .bind(scope.kind())
                        .bind(scope.id())
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn record_target_check(&self, check: TargetCheck) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_TARGET_CHECK)
                        .bind(&check.target_id)
                        .bind(check.checked_at)
                        .bind(check.status.as_str())
                        .bind(check.latency_ms)
                        .bind(&check.error)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("target check", "checked_at", "target"))?;
                    Ok(())
                }

                async fn list_target_checks(
                    &self,
                    target_id: &str,
                    limit: i64,
                ) -> StoreResult<Vec<TargetCheck>> {
                    let rows = sqlx::query::<Db>(q::LIST_TARGET_CHECKS)
                        .bind(target_id)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows.iter().map(target_check_from_row).collect()
                }

                async fn prune_target_checks(&self, before: Timestamp) -> StoreResult<u64> {
                    let done = sqlx::query::<Db>(q::PRUNE_TARGET_CHECKS)
                        .bind(before)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected())
                }
            }
        }
    };
}

pub(crate) use impl_target_store;
