//! Who holds what beyond a membership: teams of members, custom roles (named permission
//! sets), roles granted to a user or a team on the organization, one environment or one
//! stack, and service accounts (organization-owned principals that only hold API tokens).
//!
//! *Invariants:* a grant names exactly one subject (user or team), exactly one role (built-in
//! or custom) and at most one scope (environment or stack; neither means the organization) —
//! CHECK constraints hold it; every row is the organization's, and deleting a team, a custom
//! role, an environment, a stack or a user deletes the grants that name it (foreign keys).

use async_trait::async_trait;
use windflow_domain::access::{PermissionSet, Scope};

use crate::StoreResult;
use crate::record::*;

/// Teams, custom roles, scoped grants and service accounts.
#[async_trait]
pub trait AccessStore: Send + Sync {
    // ---- teams -----------------------------------------------------------------------
    async fn create_team(&self, team: NewTeam) -> StoreResult<Team>;
    async fn list_teams(&self, org_id: &str) -> StoreResult<Vec<Team>>;
    async fn get_team(&self, org_id: &str, name: &str) -> StoreResult<Team>;
    async fn delete_team(&self, org_id: &str, name: &str) -> StoreResult<()>;
    async fn add_team_member(&self, team_id: &str, user_id: &str) -> StoreResult<()>;
    async fn remove_team_member(&self, team_id: &str, user_id: &str) -> StoreResult<()>;

    // ---- custom roles ----------------------------------------------------------------
    async fn create_custom_role(&self, role: CustomRole) -> StoreResult<CustomRole>;
    async fn list_custom_roles(&self, org_id: &str) -> StoreResult<Vec<CustomRole>>;
    async fn get_custom_role(&self, org_id: &str, name: &str) -> StoreResult<CustomRole>;
    /// Deletes the role and every grant of it.
    async fn delete_custom_role(&self, org_id: &str, name: &str) -> StoreResult<()>;

    // ---- grants ----------------------------------------------------------------------
    async fn create_grant(&self, grant: NewRoleGrant) -> StoreResult<RoleGrant>;
    async fn list_grants(&self, org_id: &str) -> StoreResult<Vec<RoleGrant>>;
    async fn delete_grant(&self, org_id: &str, id: &str) -> StoreResult<()>;
    /// What `user_id` holds in the organization through grants — its own and its teams' —
    /// as (scope, permissions) pairs. The membership role is not included.
    async fn load_grants(
        &self,
        org_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<(Scope, PermissionSet)>>;
    /// Removes `user_id` from the organization's teams and deletes its grants there: what a
    /// member loses on leaving.
    async fn remove_member_access(&self, org_id: &str, user_id: &str) -> StoreResult<()>;

    // ---- service accounts ------------------------------------------------------------
    /// Creates the service account, its user row (no password: it never logs in) and its
    /// membership, in one transaction.
    async fn create_service_account(
        &self,
        account: NewServiceAccount,
    ) -> StoreResult<ServiceAccount>;
    async fn list_service_accounts(&self, org_id: &str) -> StoreResult<Vec<ServiceAccount>>;
    async fn get_service_account(&self, org_id: &str, name: &str) -> StoreResult<ServiceAccount>;
    /// Deletes the service account: its membership, grants, teams and tokens go at once; its
    /// user row stays, disabled and renamed, for the history that names it.
    async fn delete_service_account(
        &self,
        org_id: &str,
        name: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// The service account behind a user row, if it is one.
    async fn service_account_of(&self, user_id: &str) -> StoreResult<Option<ServiceAccount>>;
}

// ---- SQL --------------------------------------------------------------------------------

pub(crate) const INSERT_TEAM: &str = "INSERT INTO teams (id, org_id, name, description, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id, org_id, name, description, created_at";
pub(crate) const LIST_TEAMS: &str = "SELECT id, org_id, name, description, created_at \
     FROM teams WHERE org_id = $1 ORDER BY name";
pub(crate) const GET_TEAM: &str = "SELECT id, org_id, name, description, created_at \
     FROM teams WHERE org_id = $1 AND name = $2";
pub(crate) const LIST_ORG_TEAM_MEMBERS: &str = "SELECT tm.team_id, u.username FROM team_members tm \
     JOIN teams t ON t.id = tm.team_id JOIN users u ON u.id = tm.user_id \
     WHERE t.org_id = $1 ORDER BY u.username";
pub(crate) const LIST_TEAM_MEMBERS: &str = "SELECT u.username FROM team_members tm \
     JOIN users u ON u.id = tm.user_id WHERE tm.team_id = $1 ORDER BY u.username";
pub(crate) const DELETE_TEAM: &str = "DELETE FROM teams WHERE org_id = $1 AND name = $2";
pub(crate) const ADD_TEAM_MEMBER: &str = "INSERT INTO team_members (team_id, user_id) \
     VALUES ($1, $2) ON CONFLICT (team_id, user_id) DO NOTHING";
pub(crate) const REMOVE_TEAM_MEMBER: &str =
    "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2";

pub(crate) const INSERT_CUSTOM_ROLE: &str = "INSERT INTO custom_roles \
     (id, org_id, name, description, permissions, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
     RETURNING id, org_id, name, description, permissions, created_at";
pub(crate) const LIST_CUSTOM_ROLES: &str = "SELECT id, org_id, name, description, permissions, \
     created_at FROM custom_roles WHERE org_id = $1 ORDER BY name";
pub(crate) const GET_CUSTOM_ROLE: &str = "SELECT id, org_id, name, description, permissions, \
     created_at FROM custom_roles WHERE org_id = $1 AND name = $2";
pub(crate) const DELETE_CUSTOM_ROLE: &str =
    "DELETE FROM custom_roles WHERE org_id = $1 AND name = $2";

pub(crate) const INSERT_GRANT: &str = "INSERT INTO role_grants (id, org_id, user_id, team_id, \
     role, custom_role_id, environment_id, stack_id, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// A grant with the names its ids stand for: the shared head of [`LIST_GRANTS`] and
/// [`GET_GRANT`].
macro_rules! grants_with_names {
    () => {
        "SELECT g.id, g.org_id, g.user_id, g.team_id, g.role, \
         g.custom_role_id, g.environment_id, g.stack_id, g.created_at, \
         COALESCE(u.username, t.name) AS subject_name, COALESCE(g.role, r.name) AS role_name, \
         COALESCE(e.name, s.name) AS scope_name \
         FROM role_grants g \
         LEFT JOIN users u ON u.id = g.user_id LEFT JOIN teams t ON t.id = g.team_id \
         LEFT JOIN custom_roles r ON r.id = g.custom_role_id \
         LEFT JOIN environments e ON e.id = g.environment_id \
         LEFT JOIN stacks s ON s.id = g.stack_id "
    };
}
/// Every grant of the organization.
pub(crate) const LIST_GRANTS: &str = concat!(
    grants_with_names!(),
    "WHERE g.org_id = $1 ORDER BY g.created_at, g.id"
);
pub(crate) const GET_GRANT: &str =
    concat!(grants_with_names!(), "WHERE g.org_id = $1 AND g.id = $2");
pub(crate) const DELETE_GRANT: &str = "DELETE FROM role_grants WHERE org_id = $1 AND id = $2";
/// The grants that reach a user in an organization: its own, and its teams'.
pub(crate) const LOAD_GRANTS: &str = "SELECT g.role, r.permissions, g.environment_id, g.stack_id \
     FROM role_grants g LEFT JOIN custom_roles r ON r.id = g.custom_role_id \
     WHERE g.org_id = $1 AND (g.user_id = $2 OR g.team_id IN \
         (SELECT tm.team_id FROM team_members tm JOIN teams t ON t.id = tm.team_id \
          WHERE tm.user_id = $2 AND t.org_id = $1))";
pub(crate) const DELETE_MEMBER_GRANTS: &str =
    "DELETE FROM role_grants WHERE org_id = $1 AND user_id = $2";
pub(crate) const DELETE_MEMBER_TEAMS: &str = "DELETE FROM team_members WHERE user_id = $2 \
     AND team_id IN (SELECT id FROM teams WHERE org_id = $1)";
/// Whether the referenced rows are the organization's: a grant never crosses tenants.
pub(crate) const TEAM_IN_ORG: &str = "SELECT 1 FROM teams WHERE org_id = $1 AND id = $2";
pub(crate) const ROLE_IN_ORG: &str = "SELECT 1 FROM custom_roles WHERE org_id = $1 AND id = $2";
pub(crate) const ENVIRONMENT_IN_ORG: &str =
    "SELECT 1 FROM environments WHERE org_id = $1 AND id = $2";
pub(crate) const MEMBER_OF_ORG: &str =
    "SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2";

pub(crate) const INSERT_SA_USER: &str = "INSERT INTO users \
     (id, username, display_name, password_hash, is_admin, created_at) \
     VALUES ($1, $2, $3, '!service-account', FALSE, $4)";
pub(crate) const INSERT_SA_MEMBERSHIP: &str =
    "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)";
pub(crate) const INSERT_SERVICE_ACCOUNT: &str = "INSERT INTO service_accounts \
     (id, org_id, user_id, name, description, created_by, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     RETURNING id, org_id, user_id, name, description, created_by, created_at";
pub(crate) const LIST_SERVICE_ACCOUNTS: &str = "SELECT id, org_id, user_id, name, description, \
     created_by, created_at FROM service_accounts WHERE org_id = $1 AND deleted_at IS NULL ORDER BY name";
pub(crate) const GET_SERVICE_ACCOUNT: &str = "SELECT id, org_id, user_id, name, description, \
     created_by, created_at FROM service_accounts \
     WHERE org_id = $1 AND name = $2 AND deleted_at IS NULL";
pub(crate) const SERVICE_ACCOUNT_OF: &str = "SELECT id, org_id, user_id, name, description, \
     created_by, created_at FROM service_accounts WHERE user_id = $1";
/// Deleting a service account, in one transaction: what takes the user id alone…
pub(crate) const DELETE_SERVICE_ACCOUNT_ACCESS: [&str; 4] = [
    "UPDATE users SET disabled = TRUE, username = username || '~deleted-' || id WHERE id = $1",
    "DELETE FROM memberships WHERE user_id = $1",
    "DELETE FROM role_grants WHERE user_id = $1",
    "DELETE FROM team_members WHERE user_id = $1",
];
/// …and what also takes the time.
pub(crate) const DELETE_SERVICE_ACCOUNT_STAMPED: [&str; 2] = [
    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE user_id = $1",
    "UPDATE service_accounts SET deleted_at = $2 WHERE user_id = $1",
];

/// Custom roles store their permissions as comma-separated names.
pub(crate) fn permissions_text(set: PermissionSet) -> String {
    set.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

pub(crate) fn parse_permissions(text: &str) -> StoreResult<PermissionSet> {
    let mut permissions = Vec::new();
    for name in text.split(',').filter(|s| !s.is_empty()) {
        permissions.push(
            windflow_domain::access::Permission::parse(name)
                .ok_or_else(|| crate::sql::unknown_value("permission", name))?,
        );
    }
    Ok(PermissionSet::of(permissions))
}

pub(crate) fn scope_of(environment_id: Option<String>, stack_id: Option<String>) -> Scope {
    match (environment_id, stack_id) {
        (Some(id), _) => Scope::Environment(id),
        (None, Some(id)) => Scope::Stack(id),
        (None, None) => Scope::Organization,
    }
}

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`AccessStore`] for `$store`, in the adapter's child module `access`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_access_store {
    ($store:ty) => {
        pub(super) mod access {
            use super::*;
            use windflow_domain::access::{PermissionSet, Scope};
            use $crate::access::{self as q, AccessStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::{StoreError, StoreResult};

            fn team_from_row(row: &DbRow) -> StoreResult<Team> {
                Ok(Team {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    name: col(row, "name")?,
                    description: col(row, "description")?,
                    created_at: col(row, "created_at")?,
                    members: Vec::new(),
                })
            }

            fn custom_role_from_row(row: &DbRow) -> StoreResult<CustomRole> {
                let permissions: String = col(row, "permissions")?;
                Ok(CustomRole {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    name: col(row, "name")?,
                    description: col(row, "description")?,
                    permissions: q::parse_permissions(&permissions)?,
                    created_at: col(row, "created_at")?,
                })
            }

            fn grant_from_row(row: &DbRow) -> StoreResult<RoleGrant> {
                let subject = match (
                    col::<Option<String>>(row, "user_id")?,
                    col::<Option<String>>(row, "team_id")?,
                ) {
                    (Some(id), _) => GrantSubject::User(id),
                    (None, Some(id)) => GrantSubject::Team(id),
                    (None, None) => return Err(sql::unknown_value("grant subject", "none")),
                };
                let role = match (
                    col::<Option<String>>(row, "role")?,
                    col::<Option<String>>(row, "custom_role_id")?,
                ) {
                    (Some(name), _) => GrantRole::Builtin(
                        Role::parse(&name).ok_or_else(|| sql::unknown_value("role", &name))?,
                    ),
                    (None, Some(id)) => GrantRole::Custom(id),
                    (None, None) => return Err(sql::unknown_value("grant role", "none")),
                };
                Ok(RoleGrant {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    subject,
                    subject_name: col::<Option<String>>(row, "subject_name")?.unwrap_or_default(),
                    role,
                    role_name: col::<Option<String>>(row, "role_name")?.unwrap_or_default(),
                    scope: q::scope_of(col(row, "environment_id")?, col(row, "stack_id")?),
                    scope_name: col(row, "scope_name")?,
                    created_at: col(row, "created_at")?,
                })
            }

            fn service_account_from_row(row: &DbRow) -> StoreResult<ServiceAccount> {
                Ok(ServiceAccount {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    user_id: col(row, "user_id")?,
                    name: col(row, "name")?,
                    description: col(row, "description")?,
                    created_by: col(row, "created_by")?,
                    created_at: col(row, "created_at")?,
                })
            }

            impl $store {
                async fn in_org(
                    &self,
                    sql: &'static str,
                    org_id: &str,
                    id: &str,
                ) -> StoreResult<bool> {
                    self.exists(sql, org_id, Some(id)).await
                }
            }

            #[async_trait::async_trait]
            impl AccessStore for $store {
                async fn create_team(&self, team: NewTeam) -> StoreResult<Team> {
                    let row = sqlx::query::<Db>(q::INSERT_TEAM)
                        .bind(&team.id)
                        .bind(&team.org_id)
                        .bind(&team.name)
                        .bind(&team.description)
                        .bind(team.created_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("team", "name", "organization"))?;
                    team_from_row(&row)
                }

                async fn list_teams(&self, org_id: &str) -> StoreResult<Vec<Team>> {
                    let mut conn = self.pool.acquire().await.map_err(database_error)?;
                    let found = sqlx::query::<Db>(q::LIST_TEAMS)
                        .bind(org_id)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    let mut teams = rows(found, team_from_row)?;
                    let members = sqlx::query::<Db>(q::LIST_ORG_TEAM_MEMBERS)
                        .bind(org_id)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    for row in &members {
                        let team_id: String = col(row, "team_id")?;
                        let username: String = col(row, "username")?;
                        if let Some(team) = teams.iter_mut().find(|t| t.id == team_id) {
                            team.members.push(username);
                        }
                    }
                    Ok(teams)
                }

                async fn get_team(&self, org_id: &str, name: &str) -> StoreResult<Team> {
                    let mut conn = self.pool.acquire().await.map_err(database_error)?;
                    let row = sqlx::query::<Db>(q::GET_TEAM)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("team"))?;
                    let mut team = team_from_row(&row)?;
                    team.members = sqlx::query_scalar::<Db, String>(q::LIST_TEAM_MEMBERS)
                        .bind(&team.id)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    Ok(team)
                }

                async fn delete_team(&self, org_id: &str, name: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_TEAM)
                        .bind(org_id)
                        .bind(name)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "team")
                }

                async fn add_team_member(&self, team_id: &str, user_id: &str) -> StoreResult<()> {
                    sqlx::query::<Db>(q::ADD_TEAM_MEMBER)
                        .bind(team_id)
                        .bind(user_id)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("team member", "user", "team or user"))?;
                    Ok(())
                }

                async fn remove_team_member(
                    &self,
                    team_id: &str,
                    user_id: &str,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REMOVE_TEAM_MEMBER)
                        .bind(team_id)
                        .bind(user_id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "team member")
                }

                async fn create_custom_role(&self, role: CustomRole) -> StoreResult<CustomRole> {
                    let row = sqlx::query::<Db>(q::INSERT_CUSTOM_ROLE)
                        .bind(&role.id)
                        .bind(&role.org_id)
                        .bind(&role.name)
                        .bind(&role.description)
                        .bind(q::permissions_text(role.permissions))
                        .bind(role.created_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("role", "name", "organization"))?;
                    custom_role_from_row(&row)
                }

                async fn list_custom_roles(&self, org_id: &str) -> StoreResult<Vec<CustomRole>> {
                    let found = sqlx::query::<Db>(q::LIST_CUSTOM_ROLES)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, custom_role_from_row)
                }

                async fn get_custom_role(
                    &self,
                    org_id: &str,
                    name: &str,
                ) -> StoreResult<CustomRole> {
                    let row = sqlx::query::<Db>(q::GET_CUSTOM_ROLE)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("role"))?;
                    custom_role_from_row(&row)
                }

                async fn delete_custom_role(&self, org_id: &str, name: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_CUSTOM_ROLE)
                        .bind(org_id)
                        .bind(name)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "role")
                }

                async fn create_grant(&self, grant: NewRoleGrant) -> StoreResult<RoleGrant> {
                    let org = grant.org_id.as_str();
                    let (user_id, team_id) = match &grant.subject {
                        GrantSubject::User(id) => {
                            if !self.in_org(q::MEMBER_OF_ORG, org, id).await? {
                                return Err(StoreError::NotFound("member"));
                            }
                            (Some(id.as_str()), None)
                        }
                        GrantSubject::Team(id) => {
                            if !self.in_org(q::TEAM_IN_ORG, org, id).await? {
                                return Err(StoreError::NotFound("team"));
                            }
                            (None, Some(id.as_str()))
                        }
                    };
                    let (role, custom_role_id) = match &grant.role {
                        GrantRole::Builtin(role) => (Some(role.as_str()), None),
                        GrantRole::Custom(id) => {
                            if !self.in_org(q::ROLE_IN_ORG, org, id).await? {
                                return Err(StoreError::NotFound("role"));
                            }
                            (None, Some(id.as_str()))
                        }
                    };
                    let (environment_id, stack_id) = match &grant.scope {
                        Scope::Organization => (None, None),
                        Scope::Environment(id) => {
                            if !self.in_org(q::ENVIRONMENT_IN_ORG, org, id).await? {
                                return Err(StoreError::NotFound("environment"));
                            }
                            (Some(id.as_str()), None)
                        }
                        Scope::Stack(id) => {
                            if !self.in_org(sql::STACK_EXISTS, org, id).await? {
                                return Err(StoreError::NotFound("stack"));
                            }
                            (None, Some(id.as_str()))
                        }
                    };
                    sqlx::query::<Db>(q::INSERT_GRANT)
                        .bind(&grant.id)
                        .bind(org)
                        .bind(user_id)
                        .bind(team_id)
                        .bind(role)
                        .bind(custom_role_id)
                        .bind(environment_id)
                        .bind(stack_id)
                        .bind(grant.created_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("grant", "role", "organization"))?;
                    let row = sqlx::query::<Db>(q::GET_GRANT)
                        .bind(org)
                        .bind(&grant.id)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(database_error)?;
                    grant_from_row(&row)
                }

                async fn list_grants(&self, org_id: &str) -> StoreResult<Vec<RoleGrant>> {
                    let found = sqlx::query::<Db>(q::LIST_GRANTS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, grant_from_row)
                }

                async fn delete_grant(&self, org_id: &str, id: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_GRANT)
                        .bind(org_id)
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "grant")
                }

                async fn load_grants(
                    &self,
                    org_id: &str,
                    user_id: &str,
                ) -> StoreResult<Vec<(Scope, PermissionSet)>> {
                    let found = sqlx::query::<Db>(q::LOAD_GRANTS)
                        .bind(org_id)
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    found
                        .iter()
                        .map(|row| {
                            let permissions = match col::<Option<String>>(row, "role")? {
                                Some(name) => Role::parse(&name)
                                    .ok_or_else(|| sql::unknown_value("role", &name))?
                                    .permissions(),
                                None => q::parse_permissions(
                                    &col::<Option<String>>(row, "permissions")?.unwrap_or_default(),
                                )?,
                            };
                            Ok((
                                q::scope_of(col(row, "environment_id")?, col(row, "stack_id")?),
                                permissions,
                            ))
                        })
                        .collect()
                }

                async fn remove_member_access(
                    &self,
                    org_id: &str,
                    user_id: &str,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    for statement in [q::DELETE_MEMBER_GRANTS, q::DELETE_MEMBER_TEAMS] {
                        sqlx::query::<Db>(statement)
                            .bind(org_id)
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(database_error)?;
                    }
                    tx.commit().await.map_err(database_error)
                }

                async fn create_service_account(
                    &self,
                    account: NewServiceAccount,
                ) -> StoreResult<ServiceAccount> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query::<Db>(q::INSERT_SA_USER)
                        .bind(&account.user_id)
                        .bind(&account.username)
                        .bind(&account.name)
                        .bind(account.created_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(write_error("service account", "name", "organization"))?;
                    sqlx::query::<Db>(q::INSERT_SA_MEMBERSHIP)
                        .bind(&account.org_id)
                        .bind(&account.user_id)
                        .bind(account.role.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(write_error("service account", "name", "organization"))?;
                    let row = sqlx::query::<Db>(q::INSERT_SERVICE_ACCOUNT)
                        .bind(&account.id)
                        .bind(&account.org_id)
                        .bind(&account.user_id)
                        .bind(&account.name)
                        .bind(&account.description)
                        .bind(&account.created_by)
                        .bind(account.created_at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(write_error("service account", "name", "organization"))?;
                    let created = service_account_from_row(&row)?;
                    tx.commit().await.map_err(database_error)?;
                    Ok(created)
                }

                async fn list_service_accounts(
                    &self,
                    org_id: &str,
                ) -> StoreResult<Vec<ServiceAccount>> {
                    let found = sqlx::query::<Db>(q::LIST_SERVICE_ACCOUNTS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, service_account_from_row)
                }

                async fn get_service_account(
                    &self,
                    org_id: &str,
                    name: &str,
                ) -> StoreResult<ServiceAccount> {
                    let row = sqlx::query::<Db>(q::GET_SERVICE_ACCOUNT)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("service account"))?;
                    service_account_from_row(&row)
                }

                async fn delete_service_account(
                    &self,
                    org_id: &str,
                    name: &str,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let account = self.get_service_account(org_id, name).await?;
                    let mut tx = self.begin_write().await?;
                    for statement in q::DELETE_SERVICE_ACCOUNT_ACCESS {
                        sqlx::query::<Db>(statement)
                            .bind(&account.user_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(database_error)?;
                    }
                    for statement in q::DELETE_SERVICE_ACCOUNT_STAMPED {
                        sqlx::query::<Db>(statement)
                            .bind(&account.user_id)
                            .bind(at)
                            .execute(&mut *tx)
                            .await
                            .map_err(database_error)?;
                    }
                    tx.commit().await.map_err(database_error)
                }

                async fn service_account_of(
                    &self,
                    user_id: &str,
                ) -> StoreResult<Option<ServiceAccount>> {
                    sqlx::query::<Db>(q::SERVICE_ACCOUNT_OF)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(service_account_from_row)
                        .transpose()
                }
            }
        }
    };
}
pub(crate) use impl_access_store;
