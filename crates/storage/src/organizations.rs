//! Organizations (the tenants), their members with a role each, and their environments.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;
use crate::users::user_columns;

/// Organizations, their members and their environments.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
    // ---- organizations and members ---------------------------------------------------
    async fn create_organization(&self, org: NewOrganization) -> StoreResult<Organization>;
    async fn get_organization(&self, slug: &str) -> StoreResult<Organization>;
    /// The organization with id `id` (for work that outlives a request: workflow runs).
    async fn get_organization_by_id(&self, id: &str) -> StoreResult<Organization>;
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
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! org_columns {
    () => {
        "id, slug, name, created_at"
    };
    (o) => {
        "o.id, o.slug, o.name, o.created_at"
    };
}

macro_rules! environment_columns {
    () => {
        "id, org_id, name, description, created_at"
    };
}

// organizations and members
pub(crate) const INSERT_ORGANIZATION: &str = concat!(
    "INSERT INTO organizations (id, slug, name, created_at) VALUES ($1, $2, $3, $4) RETURNING ",
    org_columns!()
);
pub(crate) const GET_ORGANIZATION: &str = concat!(
    "SELECT ",
    org_columns!(),
    " FROM organizations WHERE slug = $1"
);
pub(crate) const GET_ORGANIZATION_BY_ID: &str = concat!(
    "SELECT ",
    org_columns!(),
    " FROM organizations WHERE id = $1"
);
pub(crate) const ORGANIZATION_EXISTS: &str = "SELECT 1 FROM organizations WHERE id = $1";
pub(crate) const USER_EXISTS: &str = "SELECT 1 FROM users WHERE id = $1";
pub(crate) const LIST_ORGANIZATIONS: &str = concat!(
    "SELECT ",
    org_columns!(),
    " FROM organizations ORDER BY slug LIMIT $1 OFFSET $2"
);
pub(crate) const COUNT_ORGANIZATIONS: &str = "SELECT COUNT(*) FROM organizations";
pub(crate) const LIST_USER_ORGANIZATIONS: &str = concat!(
    "SELECT ",
    org_columns!(o),
    ", m.role FROM memberships m JOIN organizations o ON o.id = m.org_id \
     WHERE m.user_id = $1 ORDER BY o.slug"
);
pub(crate) const SET_MEMBER: &str = "INSERT INTO memberships (org_id, user_id, role) \
     VALUES ($1, $2, $3) ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role";
pub(crate) const REMOVE_MEMBER: &str = "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2";
pub(crate) const GET_MEMBER_ROLE: &str =
    "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2";
pub(crate) const LIST_MEMBERS: &str = concat!(
    "SELECT ",
    user_columns!(u),
    ", m.role FROM memberships m JOIN users u ON u.id = m.user_id \
     WHERE m.org_id = $1 ORDER BY u.username"
);

// environments
pub(crate) const INSERT_ENVIRONMENT: &str = concat!(
    "INSERT INTO environments (id, org_id, name, description, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING ",
    environment_columns!()
);
pub(crate) const GET_ENVIRONMENT: &str = concat!(
    "SELECT ",
    environment_columns!(),
    " FROM environments WHERE org_id = $1 AND name = $2"
);
pub(crate) const ENVIRONMENT_EXISTS: &str =
    "SELECT 1 FROM environments WHERE org_id = $1 AND id = $2";
pub(crate) const LIST_ENVIRONMENTS: &str = concat!(
    "SELECT ",
    environment_columns!(),
    " FROM environments WHERE org_id = $1 ORDER BY name"
);
pub(crate) const COUNT_ENVIRONMENT_TARGETS: &str =
    "SELECT COUNT(*) FROM targets WHERE environment_id = $1";
pub(crate) const COUNT_ENVIRONMENT_DEPLOYMENTS: &str = "SELECT COUNT(*) FROM deployments \
     WHERE environment_id = $1 AND state IN ('queued', 'running')";
/// The history keeps the environment's name; only the link goes.
pub(crate) const DETACH_ENVIRONMENT_DEPLOYMENTS: &str =
    "UPDATE deployments SET environment_id = NULL WHERE environment_id = $1";
pub(crate) const DELETE_ENVIRONMENT: &str = "DELETE FROM environments WHERE id = $1";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`OrganizationStore`] for `$store`, in the adapter's child module `organizations`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store), which defines the `Db`, `DbRow`,
/// `col`, `rows` and `exists` this body uses.
macro_rules! impl_organization_store {
    ($store:ty) => {
        pub(super) mod organizations {
            use super::users::user_from_row;
            use super::*;
            use $crate::organizations::{self as q, OrganizationStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::{StoreError, StoreResult};

            pub(super) fn role_from_row(row: &DbRow) -> StoreResult<Role> {
                let role: String = col(row, "role")?;
                Role::parse(&role).ok_or_else(|| sql::unknown_value("role", &role))
            }

            pub(super) fn org_from_row(row: &DbRow) -> StoreResult<Organization> {
                Ok(Organization {
                    id: col(row, "id")?,
                    slug: col(row, "slug")?,
                    name: col(row, "name")?,
                    created_at: col(row, "created_at")?,
                })
            }

            pub(super) fn environment_from_row(row: &DbRow) -> StoreResult<Environment> {
                Ok(Environment {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    name: col(row, "name")?,
                    description: col(row, "description")?,
                    created_at: col(row, "created_at")?,
                })
            }

            #[async_trait::async_trait]
            impl OrganizationStore for $store {
                async fn create_organization(
                    &self,
                    org: NewOrganization,
                ) -> StoreResult<Organization> {
                    let row = sqlx::query::<Db>(q::INSERT_ORGANIZATION)
                        .bind(&org.id)
                        .bind(&org.slug)
                        .bind(&org.name)
                        .bind(org.created_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("organization", "slug", "organization"))?;
                    org_from_row(&row)
                }

                async fn get_organization(&self, slug: &str) -> StoreResult<Organization> {
                    let row = sqlx::query::<Db>(q::GET_ORGANIZATION)
                        .bind(slug)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("organization"))?;
                    org_from_row(&row)
                }

                async fn get_organization_by_id(&self, id: &str) -> StoreResult<Organization> {
                    let row = sqlx::query::<Db>(q::GET_ORGANIZATION_BY_ID)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("organization"))?;
                    org_from_row(&row)
                }

                async fn list_organizations(
                    &self,
                    page: PageRequest,
                ) -> StoreResult<Page<Organization>> {
                    let mut conn = self.pool.acquire().await.map_err(database_error)?;
                    let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_ORGANIZATIONS)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    let items = sqlx::query::<Db>(q::LIST_ORGANIZATIONS)
                        .bind(page.limit)
                        .bind(page.offset)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    Ok(Page {
                        items: rows(items, org_from_row)?,
                        total,
                    })
                }

                async fn list_user_organizations(
                    &self,
                    user_id: &str,
                ) -> StoreResult<Vec<(Organization, Role)>> {
                    let found = sqlx::query::<Db>(q::LIST_USER_ORGANIZATIONS)
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    found
                        .iter()
                        .map(|row| Ok((org_from_row(row)?, role_from_row(row)?)))
                        .collect()
                }

                async fn set_member(
                    &self,
                    org_id: &str,
                    user_id: &str,
                    role: Role,
                ) -> StoreResult<()> {
                    if !self.exists(q::ORGANIZATION_EXISTS, org_id, None).await? {
                        return Err(StoreError::NotFound("organization"));
                    }
                    if !self.exists(q::USER_EXISTS, user_id, None).await? {
                        return Err(StoreError::NotFound("user"));
                    }
                    sqlx::query::<Db>(q::SET_MEMBER)
                        .bind(org_id)
                        .bind(user_id)
                        .bind(role.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("member", "user", "organization or user"))?;
                    Ok(())
                }

                async fn remove_member(&self, org_id: &str, user_id: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REMOVE_MEMBER)
                        .bind(org_id)
                        .bind(user_id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "member")
                }

                async fn get_member_role(
                    &self,
                    org_id: &str,
                    user_id: &str,
                ) -> StoreResult<Option<Role>> {
                    sqlx::query::<Db>(q::GET_MEMBER_ROLE)
                        .bind(org_id)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(role_from_row)
                        .transpose()
                }

                async fn list_members(&self, org_id: &str) -> StoreResult<Vec<Member>> {
                    let found = sqlx::query::<Db>(q::LIST_MEMBERS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    found
                        .iter()
                        .map(|row| {
                            Ok(Member {
                                user: user_from_row(row)?,
                                role: role_from_row(row)?,
                            })
                        })
                        .collect()
                }

                // ---- environments ----------------------------------------------------------

                async fn create_environment(
                    &self,
                    env: NewEnvironment,
                ) -> StoreResult<Environment> {
                    let row = sqlx::query::<Db>(q::INSERT_ENVIRONMENT)
                        .bind(&env.id)
                        .bind(&env.org_id)
                        .bind(&env.name)
                        .bind(&env.description)
                        .bind(env.created_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("environment", "name", "organization"))?;
                    environment_from_row(&row)
                }

                async fn get_environment(
                    &self,
                    org_id: &str,
                    name: &str,
                ) -> StoreResult<Environment> {
                    let row = sqlx::query::<Db>(q::GET_ENVIRONMENT)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("environment"))?;
                    environment_from_row(&row)
                }

                async fn list_environments(&self, org_id: &str) -> StoreResult<Vec<Environment>> {
                    let found = sqlx::query::<Db>(q::LIST_ENVIRONMENTS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, environment_from_row)
                }

                async fn delete_environment(&self, org_id: &str, name: &str) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query::<Db>(q::GET_ENVIRONMENT)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("environment"))?;
                    let id: String = col(&row, "id")?;
                    let targets: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_ENVIRONMENT_TARGETS)
                        .bind(&id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    if targets > 0 {
                        return Err(StoreError::Invalid(format!(
                            "environment {name} still has {targets} target(s): move or delete them \
                             first"
                        )));
                    }
                    let deployments: i64 =
                        sqlx::query_scalar::<Db, i64>(q::COUNT_ENVIRONMENT_DEPLOYMENTS)
                            .bind(&id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(database_error)?;
                    if deployments > 0 {
                        return Err(StoreError::Invalid(format!(
                            "environment {name} has {deployments} queued or running \
                             deployment(s): wait for them or cancel them first"
                        )));
                    }
                    sqlx::query::<Db>(q::DETACH_ENVIRONMENT_DEPLOYMENTS)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    sqlx::query::<Db>(q::DELETE_ENVIRONMENT)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    tx.commit().await.map_err(database_error)
                }
            }
        }
    };
}

pub(crate) use impl_organization_store;
