//! Stacks and their immutable, numbered versions (compose files with an author and a
//! message). Edits are optimistic: a new version names the version it was based on.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Stacks and their versions.
#[async_trait]
pub trait StackStore: Send + Sync {
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
    /// Deletes the stack (its row stays as a tombstone so its deployments stay listed; its
    /// variables and backup policy go). Refused (`Invalid`) while a queued or running
    /// deployment uses it or while it is deployed on a target.
    async fn delete_stack(&self, org_id: &str, name: &str, at: Timestamp) -> StoreResult<()>;
    /// Marks the stack for deletion once every target has removed it.
    async fn request_stack_delete(
        &self,
        org_id: &str,
        name: &str,
        at: Timestamp,
    ) -> StoreResult<Stack>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! stack_columns {
    () => {
        "id, org_id, name, description, latest_version, created_at, updated_at, \
         delete_requested_at"
    };
}

macro_rules! stack_version_select {
    () => {
        "SELECT v.stack_id, v.version, v.content, v.author_id, u.username AS author, v.message, \
         v.created_at FROM stack_versions v JOIN stacks s ON s.id = v.stack_id \
         JOIN users u ON u.id = v.author_id"
    };
}

// stacks and versions
pub(crate) const INSERT_STACK: &str = concat!(
    "INSERT INTO stacks (id, org_id, name, description, latest_version, created_at, \
     updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING ",
    stack_columns!()
);
pub(crate) const INSERT_STACK_VERSION: &str = "INSERT INTO stack_versions \
     (stack_id, version, content, author_id, message, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const GET_STACK: &str = concat!(
    "SELECT ",
    stack_columns!(),
    " FROM stacks WHERE org_id = $1 AND name = $2 AND deleted_at IS NULL"
);
pub(crate) const GET_STACK_BY_ID: &str = concat!(
    "SELECT ",
    stack_columns!(),
    " FROM stacks WHERE org_id = $1 AND id = $2"
);
pub(crate) const LIST_STACKS: &str = concat!(
    "SELECT ",
    stack_columns!(),
    " FROM stacks WHERE org_id = $1 AND deleted_at IS NULL \
     AND ($2 IS NULL OR LOWER(name) LIKE $2 ESCAPE '\\') ORDER BY name LIMIT $3 OFFSET $4"
);
pub(crate) const STACK_COUNT: &str = "SELECT stack_count FROM organizations WHERE id = $1";
pub(crate) const ADD_TO_STACK_COUNT: &str =
    "UPDATE organizations SET stack_count = stack_count + $2 WHERE id = $1";
pub(crate) const COUNT_STACKS: &str = "SELECT COUNT(*) FROM stacks \
     WHERE org_id = $1 AND deleted_at IS NULL AND ($2 IS NULL OR LOWER(name) LIKE $2 ESCAPE '\\')";
pub(crate) const BUMP_STACK_VERSION: &str = "UPDATE stacks SET \
     latest_version = latest_version + 1, updated_at = $4 \
     WHERE org_id = $1 AND id = $2 AND latest_version = $3 RETURNING latest_version";
pub(crate) const GET_LATEST_VERSION: &str =
    "SELECT latest_version FROM stacks WHERE org_id = $1 AND id = $2";
pub(crate) const GET_STACK_VERSION: &str = concat!(
    stack_version_select!(),
    " WHERE s.org_id = $1 AND v.stack_id = $2 AND v.version = $3"
);
pub(crate) const LIST_STACK_VERSIONS: &str = "SELECT v.version, u.username AS author, \
     v.message, v.created_at FROM stack_versions v JOIN stacks s ON s.id = v.stack_id \
     JOIN users u ON u.id = v.author_id WHERE s.org_id = $1 AND v.stack_id = $2 \
     ORDER BY v.version DESC LIMIT $3 OFFSET $4";
pub(crate) const COUNT_STACK_VERSIONS: &str = "SELECT COUNT(*) FROM stack_versions v \
     JOIN stacks s ON s.id = v.stack_id WHERE s.org_id = $1 AND v.stack_id = $2";
pub(crate) const GET_STACK_ID: &str =
    "SELECT id FROM stacks WHERE org_id = $1 AND name = $2 AND deleted_at IS NULL";
pub(crate) const COUNT_STACK_ACTIVE_DEPLOYMENTS: &str = "SELECT COUNT(*) FROM deployments \
     WHERE stack_id = $1 AND state IN ('queued', 'running')";
pub(crate) const DELETE_STACK: &str = "UPDATE stacks SET deleted_at = $2 WHERE id = $1";
pub(crate) const DELETE_STACK_VARIABLES: &str = "DELETE FROM variables WHERE stack_id = $1";
pub(crate) const REQUEST_STACK_DELETE: &str = concat!(
    "UPDATE stacks SET delete_requested_at = COALESCE(delete_requested_at, $3) \
     WHERE org_id = $1 AND name = $2 AND deleted_at IS NULL RETURNING ",
    stack_columns!()
);

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`StackStore`] for `$store`, in the adapter's child module `stacks`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store), which defines the `Db`, `DbRow`,
/// `col`, `rows` and `exists` this body uses.
macro_rules! impl_stack_store {
    ($store:ty) => {
        pub(super) mod stacks {
            use super::*;
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::stacks::{self as q, StackStore};
            use $crate::{StoreError, StoreResult};

            pub(super) fn stack_from_row(row: &DbRow) -> StoreResult<Stack> {
                Ok(Stack {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    name: col(row, "name")?,
                    description: col(row, "description")?,
                    latest_version: col(row, "latest_version")?,
                    created_at: col(row, "created_at")?,
                    updated_at: col(row, "updated_at")?,
                    delete_requested_at: col(row, "delete_requested_at")?,
                })
            }

            pub(super) fn stack_version_from_row(row: &DbRow) -> StoreResult<StackVersion> {
                Ok(StackVersion {
                    stack_id: col(row, "stack_id")?,
                    version: col(row, "version")?,
                    content: col(row, "content")?,
                    author_id: col(row, "author_id")?,
                    author: col(row, "author")?,
                    message: col(row, "message")?,
                    created_at: col(row, "created_at")?,
                })
            }

            #[async_trait::async_trait]
            impl StackStore for $store {
                async fn create_stack(
                    &self,
                    stack: NewStack,
                ) -> StoreResult<(Stack, StackVersion)> {
                    let mut tx = self.begin_write().await?;
                    // The counter first: concurrent creations in one organization queue here.
                    sqlx::query::<Db>(q::ADD_TO_STACK_COUNT)
                        .bind(&stack.org_id)
                        .bind(1i64)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    let row = sqlx::query::<Db>(q::INSERT_STACK)
                        .bind(&stack.id)
                        .bind(&stack.org_id)
                        .bind(&stack.name)
                        .bind(&stack.description)
                        .bind(stack.created_at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(write_error("stack", "name", "organization"))?;
                    let created = stack_from_row(&row)?;
                    let first = &stack.first_version;
                    sqlx::query::<Db>(q::INSERT_STACK_VERSION)
                        .bind(&stack.id)
                        .bind(1i64)
                        .bind(&first.content)
                        .bind(&first.author_id)
                        .bind(&first.message)
                        .bind(first.created_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(write_error("stack version", "version", "user"))?;
                    let row = sqlx::query::<Db>(q::GET_STACK_VERSION)
                        .bind(&stack.org_id)
                        .bind(&stack.id)
                        .bind(1i64)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    let version = stack_version_from_row(&row)?;
                    tx.commit().await.map_err(database_error)?;
                    Ok((created, version))
                }

                async fn get_stack(&self, org_id: &str, name: &str) -> StoreResult<Stack> {
                    let row = sqlx::query::<Db>(q::GET_STACK)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("stack"))?;
                    stack_from_row(&row)
                }

                async fn get_stack_by_id(&self, org_id: &str, id: &str) -> StoreResult<Stack> {
                    let row = sqlx::query::<Db>(q::GET_STACK_BY_ID)
                        .bind(org_id)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("stack"))?;
                    stack_from_row(&row)
                }

                async fn list_stacks(
                    &self,
                    org_id: &str,
                    filter: &StackFilter,
                    page: PageRequest,
                ) -> StoreResult<Page<Stack>> {
                    let pattern = filter.name_contains.as_deref().map(sql::contains_pattern);
                    let mut conn = self.pool.acquire().await.map_err(database_error)?;
                    // Unfiltered, the organization's counter is the total (one primary-key read);
                    // filtered, the matching names are counted on the (org_id, name) index.
                    let total: i64 = match &pattern {
                        None => sqlx::query_scalar::<Db, i64>(q::STACK_COUNT)
                            .bind(org_id)
                            .fetch_optional(&mut *conn)
                            .await
                            .map_err(database_error)?
                            .unwrap_or(0),
                        Some(pattern) => sqlx::query_scalar::<Db, i64>(q::COUNT_STACKS)
                            .bind(org_id)
                            .bind(pattern)
                            .fetch_one(&mut *conn)
                            .await
                            .map_err(database_error)?,
                    };
                    let items = if total > page.offset && page.limit > 0 {
                        sqlx::query::<Db>(q::LIST_STACKS)
                            .bind(org_id)
                            .bind(&pattern)
                            .bind(page.limit)
                            .bind(page.offset)
                            .fetch_all(&mut *conn)
                            .await
                            .map_err(database_error)?
                    } else {
                        Vec::new()
                    };
                    Ok(Page {
                        items: rows(items, stack_from_row)?,
                        total,
                    })
                }

                async fn add_stack_version(
                    &self,
                    org_id: &str,
                    stack_id: &str,
                    expected_latest: i64,
                    version: NewStackVersion,
                ) -> StoreResult<StackVersion> {
                    let mut tx = self.begin_write().await?;
                    let bumped = sqlx::query_scalar::<Db, i64>(q::BUMP_STACK_VERSION)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(expected_latest)
                        .bind(version.created_at)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    let Some(number) = bumped else {
                        let found = sqlx::query_scalar::<Db, i64>(q::GET_LATEST_VERSION)
                            .bind(org_id)
                            .bind(stack_id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(database_error)?
                            .ok_or(StoreError::NotFound("stack"))?;
                        return Err(StoreError::Stale {
                            entity: "stack",
                            expected: expected_latest,
                            found,
                        });
                    };
                    sqlx::query::<Db>(q::INSERT_STACK_VERSION)
                        .bind(stack_id)
                        .bind(number)
                        .bind(&version.content)
                        .bind(&version.author_id)
                        .bind(&version.message)
                        .bind(version.created_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(write_error("stack version", "version", "user"))?;
                    let row = sqlx::query::<Db>(q::GET_STACK_VERSION)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(number)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    let created = stack_version_from_row(&row)?;
                    tx.commit().await.map_err(database_error)?;
                    Ok(created)
                }

                async fn get_stack_version(
                    &self,
                    org_id: &str,
                    stack_id: &str,
                    version: i64,
                ) -> StoreResult<StackVersion> {
                    let row = sqlx::query::<Db>(q::GET_STACK_VERSION)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(version)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("stack version"))?;
                    stack_version_from_row(&row)
                }

                async fn list_stack_versions(
                    &self,
                    org_id: &str,
                    stack_id: &str,
                    page: PageRequest,
                ) -> StoreResult<Page<StackVersionSummary>> {
                    let mut conn = self.pool.acquire().await.map_err(database_error)?;
                    let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_STACK_VERSIONS)
                        .bind(org_id)
                        .bind(stack_id)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    // Every stack has a version 1, so none means no such stack in this org.
                    if total == 0 {
                        return Err(StoreError::NotFound("stack"));
                    }
                    let found = sqlx::query::<Db>(q::LIST_STACK_VERSIONS)
                        .bind(org_id)
                        .bind(stack_id)
                        .bind(page.limit)
                        .bind(page.offset)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    let items = found
                        .iter()
                        .map(|row| {
                            Ok(StackVersionSummary {
                                version: col(row, "version")?,
                                author: col(row, "author")?,
                                message: col(row, "message")?,
                                created_at: col(row, "created_at")?,
                            })
                        })
                        .collect::<StoreResult<Vec<_>>>()?;
                    Ok(Page { items, total })
                }

                async fn delete_stack(
                    &self,
                    org_id: &str,
                    name: &str,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let id = sqlx::query_scalar::<Db, String>(q::GET_STACK_ID)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("stack"))?;
                    let active: i64 =
                        sqlx::query_scalar::<Db, i64>(q::COUNT_STACK_ACTIVE_DEPLOYMENTS)
                            .bind(&id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(database_error)?;
                    if active > 0 {
                        return Err(StoreError::Invalid(format!(
                            "stack {name} has {active} queued or running deployment(s): wait for \
                             them or cancel them first"
                        )));
                    }
                    let deployed = sqlx::query::<Db>(crate::deployments::LIST_DEPLOYED)
                        .bind(org_id)
                        .bind(Some(id.as_str()))
                        .bind(None::<&str>)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    if !deployed.is_empty() {
                        let targets = deployed
                            .iter()
                            .map(|row| col::<String>(row, "target_name"))
                            .collect::<StoreResult<Vec<_>>>()?;
                        return Err(StoreError::Invalid(format!(
                            "stack {name} is deployed on {}: undeploy it there first (or delete \
                             with undeploy, which removes it everywhere, then deletes it)",
                            targets.join(", ")
                        )));
                    }
                    sqlx::query::<Db>(q::DELETE_STACK_VARIABLES)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    sqlx::query::<Db>(crate::backups::DELETE_POLICY)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    sqlx::query::<Db>(q::DELETE_STACK)
                        .bind(&id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    sqlx::query::<Db>(q::ADD_TO_STACK_COUNT)
                        .bind(org_id)
                        .bind(-1i64)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    tx.commit().await.map_err(database_error)
                }

                async fn request_stack_delete(
                    &self,
                    org_id: &str,
                    name: &str,
                    at: Timestamp,
                ) -> StoreResult<Stack> {
                    let row = sqlx::query::<Db>(q::REQUEST_STACK_DELETE)
                        .bind(org_id)
                        .bind(name)
                        .bind(at)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("stack"))?;
                    stack_from_row(&row)
                }
            }
        }
    };
}

pub(crate) use impl_stack_store;
