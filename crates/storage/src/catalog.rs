//! The template catalog: sources a server administrator added and the templates last
//! imported from each (the cache served offline), and which template each stack came from.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Catalog sources, their templates, and stacks' templates.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// `Conflict` on `name` when a source of that name exists.
    async fn create_catalog_source(
        &self,
        source: CatalogSourceRecord,
    ) -> StoreResult<CatalogSourceRecord>;
    async fn list_catalog_sources(&self) -> StoreResult<Vec<CatalogSourceRecord>>;
    async fn get_catalog_source(&self, name: &str) -> StoreResult<CatalogSourceRecord>;
    /// Removes the source and its cached templates.
    async fn delete_catalog_source(&self, name: &str) -> StoreResult<()>;
    /// A successful refresh: the source's templates replaced whole, in one transaction, and
    /// its report and refresh time stored.
    async fn replace_catalog_templates(
        &self,
        source_id: &str,
        templates: Vec<CatalogTemplateRow>,
        report: serde_json::Value,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// A failed refresh: the error is kept beside the previous templates, which stay.
    async fn record_catalog_refresh_error(
        &self,
        source_id: &str,
        error: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Every cached template of every source (without their text), by source then id.
    async fn list_catalog_templates(&self) -> StoreResult<Vec<CatalogTemplateRow>>;
    async fn get_catalog_template(
        &self,
        source_id: &str,
        template_id: &str,
    ) -> StoreResult<CatalogTemplateRow>;

    /// Records (or replaces) the template a stack was created from or upgraded to.
    async fn set_stack_template(&self, org_id: &str, template: StackTemplate) -> StoreResult<()>;
    async fn get_stack_template(
        &self,
        org_id: &str,
        stack_id: &str,
    ) -> StoreResult<Option<StackTemplate>>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! source_columns {
    () => {
        "id, name, kind, url, path, reference, format, refresh_interval_s, refreshed_at, \
         refresh_error, report, created_at"
    };
}

pub(crate) const INSERT_SOURCE: &str = concat!(
    "INSERT INTO catalog_sources (id, name, kind, url, path, reference, format, \
     refresh_interval_s, refreshed_at, refresh_error, report, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ",
    source_columns!()
);
pub(crate) const LIST_SOURCES: &str = concat!(
    "SELECT ",
    source_columns!(),
    " FROM catalog_sources ORDER BY name"
);
pub(crate) const GET_SOURCE: &str = concat!(
    "SELECT ",
    source_columns!(),
    " FROM catalog_sources WHERE name = $1"
);
pub(crate) const DELETE_SOURCE: &str = "DELETE FROM catalog_sources WHERE name = $1";
pub(crate) const DELETE_SOURCE_TEMPLATES: &str =
    "DELETE FROM catalog_templates WHERE source_id = $1";
pub(crate) const INSERT_TEMPLATE: &str = "INSERT INTO catalog_templates (source_id, \
     template_id, version, name, description, categories, text) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const SET_REFRESHED: &str = "UPDATE catalog_sources SET refreshed_at = $2, \
     refresh_error = NULL, report = $3 WHERE id = $1";
pub(crate) const SET_REFRESH_ERROR: &str =
    "UPDATE catalog_sources SET refreshed_at = $2, refresh_error = $3 WHERE id = $1";
pub(crate) const LIST_TEMPLATES: &str = "SELECT source_id, template_id, version, name, \
     description, categories, '' AS text FROM catalog_templates ORDER BY source_id, template_id";
pub(crate) const GET_TEMPLATE: &str = "SELECT source_id, template_id, version, name, \
     description, categories, text FROM catalog_templates \
     WHERE source_id = $1 AND template_id = $2";
pub(crate) const SET_STACK_TEMPLATE: &str = "INSERT INTO stack_templates (org_id, stack_id, \
     source, template_id, version, size, inputs, updated_by, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (stack_id) DO UPDATE SET source = excluded.source, \
     template_id = excluded.template_id, version = excluded.version, size = excluded.size, \
     inputs = excluded.inputs, updated_by = excluded.updated_by, \
     updated_at = excluded.updated_at \
     WHERE stack_templates.org_id = excluded.org_id";
pub(crate) const GET_STACK_TEMPLATE: &str = "SELECT stack_id, source, template_id, version, \
     size, inputs, updated_by, updated_at FROM stack_templates \
     WHERE org_id = $1 AND stack_id = $2";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`CatalogStore`] for `$store`, in the adapter's child module `catalog`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_catalog_store {
    ($store:ty) => {
        pub(super) mod catalog {
            use super::*;
            use $crate::catalog::{self as q, CatalogStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::{StoreError, StoreResult};

            fn source_from_row(row: &DbRow) -> StoreResult<CatalogSourceRecord> {
                let report: String = col(row, "report")?;
                Ok(CatalogSourceRecord {
                    id: col(row, "id")?,
                    name: col(row, "name")?,
                    kind: col(row, "kind")?,
                    url: col(row, "url")?,
                    path: col(row, "path")?,
                    reference: col(row, "reference")?,
                    format: col(row, "format")?,
                    refresh_interval_s: col(row, "refresh_interval_s")?,
                    refreshed_at: col(row, "refreshed_at")?,
                    refresh_error: col(row, "refresh_error")?,
                    report: sql::parse_json(&report, "report")?,
                    created_at: col(row, "created_at")?,
                })
            }

            fn template_from_row(row: &DbRow) -> StoreResult<CatalogTemplateRow> {
                let categories: String = col(row, "categories")?;
                let categories =
                    serde_json::from_value(sql::parse_json(&categories, "categories")?)
                        .map_err(|e| StoreError::Database(format!("column categories: {e}")))?;
                Ok(CatalogTemplateRow {
                    source_id: col(row, "source_id")?,
                    template_id: col(row, "template_id")?,
                    version: col(row, "version")?,
                    name: col(row, "name")?,
                    description: col(row, "description")?,
                    categories,
                    text: col(row, "text")?,
                })
            }

            fn stack_template_from_row(row: &DbRow) -> StoreResult<StackTemplate> {
                let size: String = col(row, "size")?;
                let inputs: String = col(row, "inputs")?;
                Ok(StackTemplate {
                    stack_id: col(row, "stack_id")?,
                    source: col(row, "source")?,
                    template_id: col(row, "template_id")?,
                    version: col(row, "version")?,
                    size: sql::parse_json(&size, "size")?,
                    inputs: sql::parse_json(&inputs, "inputs")?,
                    updated_by: col(row, "updated_by")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            #[async_trait::async_trait]
            impl CatalogStore for $store {
                async fn create_catalog_source(
                    &self,
                    s: CatalogSourceRecord,
                ) -> StoreResult<CatalogSourceRecord> {
                    let row = sqlx::query::<Db>(q::INSERT_SOURCE)
                        .bind(&s.id)
                        .bind(&s.name)
                        .bind(&s.kind)
                        .bind(&s.url)
                        .bind(&s.path)
                        .bind(&s.reference)
                        .bind(&s.format)
                        .bind(s.refresh_interval_s)
                        .bind(s.refreshed_at)
                        .bind(&s.refresh_error)
                        .bind(sql::json_text(&s.report))
                        .bind(s.created_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("catalog source", "name", "catalog source"))?;
                    source_from_row(&row)
                }

                async fn list_catalog_sources(&self) -> StoreResult<Vec<CatalogSourceRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_SOURCES)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, source_from_row)
                }

                async fn get_catalog_source(&self, name: &str) -> StoreResult<CatalogSourceRecord> {
                    let row = sqlx::query::<Db>(q::GET_SOURCE)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("catalog source"))?;
                    source_from_row(&row)
                }

                async fn delete_catalog_source(&self, name: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_SOURCE)
                        .bind(name)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "catalog source")
                }

                async fn replace_catalog_templates(
                    &self,
                    source_id: &str,
                    templates: Vec<CatalogTemplateRow>,
                    report: serde_json::Value,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query::<Db>(q::SET_REFRESHED)
                        .bind(source_id)
                        .bind(at)
                        .bind(sql::json_text(&report))
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "catalog source")?;
                    sqlx::query::<Db>(q::DELETE_SOURCE_TEMPLATES)
                        .bind(source_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    for t in &templates {
                        sqlx::query::<Db>(q::INSERT_TEMPLATE)
                            .bind(source_id)
                            .bind(&t.template_id)
                            .bind(&t.version)
                            .bind(&t.name)
                            .bind(&t.description)
                            .bind(sql::json_text(&serde_json::json!(t.categories)))
                            .bind(&t.text)
                            .execute(&mut *tx)
                            .await
                            .map_err(write_error("catalog template", "id", "catalog source"))?;
                    }
                    tx.commit().await.map_err(database_error)
                }

                async fn record_catalog_refresh_error(
                    &self,
                    source_id: &str,
                    error: &str,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::SET_REFRESH_ERROR)
                        .bind(source_id)
                        .bind(at)
                        .bind(error)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "catalog source")
                }

                async fn list_catalog_templates(&self) -> StoreResult<Vec<CatalogTemplateRow>> {
                    let found = sqlx::query::<Db>(q::LIST_TEMPLATES)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, template_from_row)
                }

                async fn get_catalog_template(
                    &self,
                    source_id: &str,
                    template_id: &str,
                ) -> StoreResult<CatalogTemplateRow> {
                    let row = sqlx::query::<Db>(q::GET_TEMPLATE)
                        .bind(source_id)
                        .bind(template_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("template"))?;
                    template_from_row(&row)
                }

                async fn set_stack_template(
                    &self,
                    org_id: &str,
                    t: StackTemplate,
                ) -> StoreResult<()> {
                    if !self
                        .exists($crate::sql::STACK_EXISTS, org_id, Some(&t.stack_id))
                        .await?
                    {
                        return Err(StoreError::NotFound("stack"));
                    }
                    sqlx::query::<Db>(q::SET_STACK_TEMPLATE)
                        .bind(org_id)
                        .bind(&t.stack_id)
                        .bind(&t.source)
                        .bind(&t.template_id)
                        .bind(&t.version)
                        .bind(sql::json_text(&t.size))
                        .bind(sql::json_text(&t.inputs))
                        .bind(&t.updated_by)
                        .bind(t.updated_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("stack template", "stack", "stack"))?;
                    Ok(())
                }

                async fn get_stack_template(
                    &self,
                    org_id: &str,
                    stack_id: &str,
                ) -> StoreResult<Option<StackTemplate>> {
                    let row = sqlx::query::<Db>(q::GET_STACK_TEMPLATE)
                        .bind(org_id)
                        .bind(stack_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.as_ref().map(stack_template_from_row).transpose()
                }
            }
        }
    };
}

pub(crate) use impl_catalog_store;
