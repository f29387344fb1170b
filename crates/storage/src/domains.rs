//! Domains of a stack's services set in the control plane, per environment or for every
//! environment, over what the compose file's `x-windflow` says.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Stack domains.
#[async_trait]
pub trait DomainStore: Send + Sync {
    /// Sets (or replaces) the domains of one service of a stack for one environment, or for
    /// every environment when `environment_id` is `None`.
    async fn set_stack_domains(&self, org_id: &str, domains: StackDomains) -> StoreResult<()>;
    /// The stack's domain settings, by environment (every-environment first) then service.
    async fn list_stack_domains(
        &self,
        org_id: &str,
        stack_id: &str,
    ) -> StoreResult<Vec<StackDomains>>;
    async fn delete_stack_domains(
        &self,
        org_id: &str,
        stack_id: &str,
        environment_id: Option<&str>,
        service: &str,
    ) -> StoreResult<()>;
}

// ---- SQL --------------------------------------------------------------------------------

pub(crate) const SET_STACK_DOMAINS: &str = "INSERT INTO stack_domains (org_id, stack_id, \
     environment_id, service, ingress, updated_by, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (org_id, stack_id, environment_id, service) DO UPDATE SET \
     ingress = excluded.ingress, updated_by = excluded.updated_by, \
     updated_at = excluded.updated_at";
pub(crate) const LIST_STACK_DOMAINS: &str = "SELECT stack_id, environment_id, service, ingress, \
     updated_by, updated_at FROM stack_domains WHERE org_id = $1 AND stack_id = $2 \
     ORDER BY environment_id, service";
pub(crate) const DELETE_STACK_DOMAINS: &str = "DELETE FROM stack_domains WHERE org_id = $1 \
     AND stack_id = $2 AND environment_id = $3 AND service = $4";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`DomainStore`] for `$store`, in the adapter's child module `domains`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_domain_store {
    ($store:ty) => {
        pub(super) mod domains {
            use super::*;
            use $crate::domains::{self as q, DomainStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::{StoreError, StoreResult};

            fn domains_from_row(row: &DbRow) -> StoreResult<StackDomains> {
                let environment_id: String = col(row, "environment_id")?;
                let ingress: String = col(row, "ingress")?;
                let ingress = serde_json::from_value(sql::parse_json(&ingress, "ingress")?)
                    .map_err(|e| StoreError::Database(format!("column ingress: {e}")))?;
                Ok(StackDomains {
                    stack_id: col(row, "stack_id")?,
                    environment_id: (!environment_id.is_empty()).then_some(environment_id),
                    service: col(row, "service")?,
                    ingress,
                    updated_by: col(row, "updated_by")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            #[async_trait::async_trait]
            impl DomainStore for $store {
                async fn set_stack_domains(
                    &self,
                    org_id: &str,
                    d: StackDomains,
                ) -> StoreResult<()> {
                    if !self
                        .exists($crate::sql::STACK_EXISTS, org_id, Some(&d.stack_id))
                        .await?
                    {
                        return Err(StoreError::NotFound("stack"));
                    }
                    let ingress = serde_json::to_value(&d.ingress)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    sqlx::query::<Db>(q::SET_STACK_DOMAINS)
                        .bind(org_id)
                        .bind(&d.stack_id)
                        .bind(d.environment_id.as_deref().unwrap_or(""))
                        .bind(&d.service)
                        .bind(sql::json_text(&ingress))
                        .bind(&d.updated_by)
                        .bind(d.updated_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("stack domains", "service", "stack"))?;
                    Ok(())
                }

                async fn list_stack_domains(
                    &self,
                    org_id: &str,
                    stack_id: &str,
                ) -> StoreResult<Vec<StackDomains>> {
                    let found = sqlx::query::<Db>(q::LIST_STACK_DOMAINS)
                        .bind(org_id)
                        .bind(stack_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, domains_from_row)
                }

                async fn delete_stack_domains(
                    &self,
                    org_id: &str,
                    stack_id: &str,
                    environment_id: Option<&str>,
                    service: &str,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_STACK_DOMAINS)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(environment_id.unwrap_or(""))
                        .bind(service)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "stack domains")
                }
            }
        }
    };
}

pub(crate) use impl_domain_store;
