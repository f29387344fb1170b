//! The audit log: who did what to which resource, when, from where. Append-only.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    // ---- audit -----------------------------------------------------------------------
    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()>;
    /// Newest first. `org_id: None` lists server-level entries and every organization's.
    async fn list_audit(
        &self,
        org_id: Option<&str>,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>>;
}

// ---- SQL --------------------------------------------------------------------------------

// audit
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log \
     (id, org_id, actor_id, actor, action, resource, detail, ip, at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
macro_rules! audit_where {
    () => {
        " WHERE ($1 IS NULL OR org_id = $1) AND ($2 IS NULL OR actor = $2) \
         AND ($3 IS NULL OR substr(action, 1, length($3)) = $3) \
         AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5)"
    };
}
pub(crate) const LIST_AUDIT: &str = concat!(
    "SELECT id, org_id, actor_id, actor, action, resource, detail, ip, at FROM audit_log",
    audit_where!(),
    " ORDER BY at DESC, seq DESC LIMIT $6 OFFSET $7"
);
pub(crate) const COUNT_AUDIT: &str = concat!("SELECT COUNT(*) FROM audit_log", audit_where!());

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`AuditStore`] for `$store`, in the adapter's child module `audit`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store), which defines the `Db`, `DbRow`,
/// `col`, `rows` and `exists` this body uses.
macro_rules! impl_audit_store {
    ($store:ty) => {
        pub(super) mod audit {
            use super::*;
            use $crate::StoreResult;
            use $crate::audit::{self as q, AuditStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};

            pub(super) fn audit_from_row(row: &DbRow) -> StoreResult<AuditEntry> {
                Ok(AuditEntry {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    actor_id: col(row, "actor_id")?,
                    actor: col(row, "actor")?,
                    action: col(row, "action")?,
                    resource: col(row, "resource")?,
                    detail: sql::parse_json(&col::<String>(row, "detail")?, "detail")?,
                    ip: col(row, "ip")?,
                    at: col(row, "at")?,
                })
            }

            #[async_trait::async_trait]
            impl AuditStore for $store {
                async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_AUDIT)
                        .bind(&entry.id)
                        .bind(&entry.org_id)
                        .bind(&entry.actor_id)
                        .bind(&entry.actor)
                        .bind(&entry.action)
                        .bind(&entry.resource)
                        .bind(sql::json_text(&entry.detail))
                        .bind(&entry.ip)
                        .bind(entry.at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("audit entry", "id", "record"))?;
                    Ok(())
                }

                async fn list_audit(
                    &self,
                    org_id: Option<&str>,
                    filter: &AuditFilter,
                    page: PageRequest,
                ) -> StoreResult<Page<AuditEntry>> {
                    let mut conn = self.pool.acquire().await.map_err(database_error)?;
                    let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_AUDIT)
                        .bind(org_id)
                        .bind(&filter.actor)
                        .bind(&filter.action)
                        .bind(filter.since)
                        .bind(filter.until)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    let items = if total > page.offset && page.limit > 0 {
                        sqlx::query::<Db>(q::LIST_AUDIT)
                            .bind(org_id)
                            .bind(&filter.actor)
                            .bind(&filter.action)
                            .bind(filter.since)
                            .bind(filter.until)
                            .bind(page.limit)
                            .bind(page.offset)
                            .fetch_all(&mut *conn)
                            .await
                            .map_err(database_error)?
                    } else {
                        Vec::new()
                    };
                    Ok(Page {
                        items: rows(items, audit_from_row)?,
                        total,
                    })
                }
            }
        }
    };
}

pub(crate) use impl_audit_store;
