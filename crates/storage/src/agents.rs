//! Agents: one-time enrollment tokens traded for an agent credential and a target of kind
//! `agent`, and the agents' last-seen records.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Agent enrollments and agents.
#[async_trait]
pub trait AgentStore: Send + Sync {
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

// ---- SQL --------------------------------------------------------------------------------

// agents
pub(crate) const INSERT_AGENT_ENROLLMENT: &str = "INSERT INTO agent_enrollments (id, org_id, \
     hash, target_name, environment_id, labels, created_by, expires_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
pub(crate) const USE_AGENT_ENROLLMENT: &str = "UPDATE agent_enrollments SET used_at = $2 \
     WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 \
     RETURNING org_id, target_name, environment_id, labels";
pub(crate) const INSERT_AGENT: &str = "INSERT INTO agents (id, org_id, target_id, \
     credential_hash, version, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
macro_rules! agent_select {
    () => {
        "SELECT a.id, a.org_id, a.target_id, t.name AS target_name, a.version, a.address, \
         a.last_seen_at, a.revoked_at, a.created_at FROM agents a JOIN targets t ON t.id = \
         a.target_id "
    };
}
pub(crate) const FIND_AGENT_BY_CREDENTIAL: &str = concat!(
    agent_select!(),
    "WHERE a.credential_hash = $1 AND a.revoked_at IS NULL"
);
pub(crate) const LIST_AGENTS: &str = concat!(
    agent_select!(),
    "WHERE a.org_id = $1 ORDER BY a.created_at, a.id"
);
pub(crate) const GET_AGENT: &str = concat!(agent_select!(), "WHERE a.org_id = $1 AND a.id = $2");
pub(crate) const REVOKE_AGENT: &str = "UPDATE agents SET revoked_at = COALESCE(revoked_at, $3) \
     WHERE org_id = $1 AND id = $2";
pub(crate) const RECORD_AGENT_SEEN: &str = "UPDATE agents SET version = COALESCE($2, version), \
     address = COALESCE($3, address), last_seen_at = $4 WHERE id = $1";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`AgentStore`] for `$store`, in the adapter's child module `agents`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store), which defines the `Db`, `DbRow`,
/// `col`, `rows` and `exists` this body uses.
macro_rules! impl_agent_store {
    ($store:ty) => {
        pub(super) mod agents {
            use super::targets::target_from_row;
            use super::*;
            use $crate::agents::{self as q, AgentStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::{StoreError, StoreResult};

            pub(super) fn agent_from_row(row: &DbRow) -> StoreResult<AgentRecord> {
                Ok(AgentRecord {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    target_id: col(row, "target_id")?,
                    target_name: col(row, "target_name")?,
                    version: col(row, "version")?,
                    address: col(row, "address")?,
                    last_seen_at: col(row, "last_seen_at")?,
                    revoked_at: col(row, "revoked_at")?,
                    created_at: col(row, "created_at")?,
                })
            }

            #[async_trait::async_trait]
            impl AgentStore for $store {
                async fn create_agent_enrollment(
                    &self,
                    enrollment: NewAgentEnrollment,
                ) -> StoreResult<()> {
                    let labels = serde_json::Value::Object(enrollment.labels.clone());
                    sqlx::query::<Db>(q::INSERT_AGENT_ENROLLMENT)
                        .bind(&enrollment.id)
                        .bind(&enrollment.org_id)
                        .bind(&enrollment.hash)
                        .bind(&enrollment.target_name)
                        .bind(&enrollment.environment_id)
                        .bind(sql::json_text(&labels))
                        .bind(&enrollment.created_by)
                        .bind(enrollment.expires_at)
                        .bind(enrollment.created_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error(
                            "enrollment token",
                            "hash",
                            "organization or environment",
                        ))?;
                    Ok(())
                }

                async fn enroll_agent(
                    &self,
                    enrollment_hash: &str,
                    agent: NewAgent,
                    now: Timestamp,
                ) -> StoreResult<(AgentRecord, Target)> {
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query::<Db>(q::USE_AGENT_ENROLLMENT)
                        .bind(enrollment_hash)
                        .bind(now)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("enrollment token"))?;
                    let org_id: String = col(&row, "org_id")?;
                    let target_name: String = col(&row, "target_name")?;
                    let environment_id: Option<String> = col(&row, "environment_id")?;
                    let labels: String = col(&row, "labels")?;
                    let target_row = sqlx::query::<Db>($crate::targets::INSERT_TARGET)
                        .bind(&agent.target_id)
                        .bind(&org_id)
                        .bind(&environment_id)
                        .bind(&target_name)
                        .bind(TargetKind::Agent.as_str())
                        .bind(format!("agent://{}", agent.id))
                        .bind(labels)
                        .bind("{}")
                        .bind(agent.created_at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(write_error("target", "name", "organization or environment"))?;
                    let target = target_from_row(&target_row)?;
                    sqlx::query::<Db>(q::INSERT_AGENT)
                        .bind(&agent.id)
                        .bind(&org_id)
                        .bind(&agent.target_id)
                        .bind(&agent.credential_hash)
                        .bind(&agent.version)
                        .bind(agent.created_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(write_error("agent", "credential", "target"))?;
                    tx.commit().await.map_err(database_error)?;
                    let record = AgentRecord {
                        id: agent.id,
                        org_id,
                        target_id: target.id.clone(),
                        target_name: target.name.clone(),
                        version: agent.version,
                        address: None,
                        last_seen_at: None,
                        revoked_at: None,
                        created_at: agent.created_at,
                    };
                    Ok((record, target))
                }

                async fn find_agent_by_credential(
                    &self,
                    hash: &str,
                ) -> StoreResult<Option<AgentRecord>> {
                    sqlx::query::<Db>(q::FIND_AGENT_BY_CREDENTIAL)
                        .bind(hash)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(agent_from_row)
                        .transpose()
                }

                async fn list_agents(&self, org_id: &str) -> StoreResult<Vec<AgentRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_AGENTS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, agent_from_row)
                }

                async fn get_agent(&self, org_id: &str, id: &str) -> StoreResult<AgentRecord> {
                    let row = sqlx::query::<Db>(q::GET_AGENT)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("agent"))?;
                    agent_from_row(&row)
                }

                async fn revoke_agent(
                    &self,
                    org_id: &str,
                    id: &str,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REVOKE_AGENT)
                        .bind(org_id)
                        .bind(id)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "agent")
                }

                async fn record_agent_seen(
                    &self,
                    id: &str,
                    version: Option<&str>,
                    address: Option<&str>,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::RECORD_AGENT_SEEN)
                        .bind(id)
                        .bind(version)
                        .bind(address)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "agent")
                }
            }
        }
    };
}

pub(crate) use impl_agent_store;
