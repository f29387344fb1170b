//! Who holds what in an organization beyond a membership: teams, custom roles, roles granted
//! on the organization (to teams), an environment or a stack (to users or teams), and
//! service accounts with their API tokens. Every change clears the authorization cache, so
//! it takes effect on the next request, and is audited.
//!
//! What a grant means is `windflow_domain::access::Grants`; the checks are
//! [`OrgAccess::require`](crate::auth::OrgAccess::require) and
//! [`OrgAccess::require_on`](crate::auth::OrgAccess::require_on).

use serde_json::json;
use windflow_domain::access::{Permission, PermissionSet, Scope};
use windflow_protocol::{
    self as wire, ApiToken, CreateCustomRoleRequest, CreateGrantRequest,
    CreateServiceAccountRequest, CreateTeamRequest, CreateTokenRequest, CreatedToken,
    GrantScopeKind,
};
use windflow_storage::{
    CustomRole, GrantRole, GrantSubject, NewRoleGrant, NewServiceAccount, NewTeam, Role, RoleGrant,
    ServiceAccount, Team,
};

use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult, named};
use crate::services;
use crate::state::{App, new_id, now_ms};

// ---- teams --------------------------------------------------------------------------------

pub async fn teams(app: &App, access: &OrgAccess) -> ApiResult<Vec<wire::Team>> {
    let teams = app.store.list_teams(&access.org.id).await?;
    Ok(teams.into_iter().map(team).collect())
}

pub async fn create_team(
    app: &App,
    access: &OrgAccess,
    request: CreateTeamRequest,
) -> ApiResult<wire::Team> {
    services::names::check_name("name", &request.name)?;
    let created = app
        .store
        .create_team(NewTeam {
            id: new_id(),
            org_id: access.org.id.clone(),
            name: request.name,
            description: request.description.trim().to_string(),
            created_at: now_ms(),
        })
        .await?;
    audit(
        app,
        access,
        "team.create",
        &format!("team/{}", created.name),
        json!({}),
    )
    .await;
    Ok(team(created))
}

pub async fn delete_team(app: &App, access: &OrgAccess, name: &str) -> ApiResult<()> {
    app.store
        .delete_team(&access.org.id, name)
        .await
        .map_err(named("team", name))?;
    app.auth_cache.clear();
    audit(
        app,
        access,
        "team.delete",
        &format!("team/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}

/// Adds a member of the organization to a team.
pub async fn add_team_member(
    app: &App,
    access: &OrgAccess,
    team_name: &str,
    user: &str,
) -> ApiResult<wire::Team> {
    let found = find_team(app, access, team_name).await?;
    let user_id = member_id(app, access, user).await?;
    app.store.add_team_member(&found.id, &user_id).await?;
    app.auth_cache.clear();
    audit(
        app,
        access,
        "team.member.add",
        &format!("team/{team_name}"),
        json!({ "user": user }),
    )
    .await;
    Ok(team(find_team(app, access, team_name).await?))
}

pub async fn remove_team_member(
    app: &App,
    access: &OrgAccess,
    team_name: &str,
    user: &str,
) -> ApiResult<()> {
    let found = find_team(app, access, team_name).await?;
    let user_id = member_id(app, access, user).await?;
    app.store
        .remove_team_member(&found.id, &user_id)
        .await
        .map_err(named("team member", user))?;
    app.auth_cache.clear();
    audit(
        app,
        access,
        "team.member.remove",
        &format!("team/{team_name}"),
        json!({ "user": user }),
    )
    .await;
    Ok(())
}

async fn find_team(app: &App, access: &OrgAccess, name: &str) -> ApiResult<Team> {
    app.store
        .get_team(&access.org.id, name)
        .await
        .map_err(named("team", name))
}

/// The id of the member named `user` (a user name or id); 422 when not a member: teams and
/// grants only ever hold the organization's members.
async fn member_id(app: &App, access: &OrgAccess, user: &str) -> ApiResult<String> {
    let found = services::users::find(app, user).await?;
    let not_member = || {
        ApiError::invalid(
            "user",
            format!("{user} is not a member of {}", access.org.slug),
        )
    };
    let found = found.ok_or_else(not_member)?;
    match app.store.get_member_role(&access.org.id, &found.id).await? {
        Some(_) => Ok(found.id),
        None => Err(not_member()),
    }
}

// ---- custom roles -------------------------------------------------------------------------

pub async fn roles(app: &App, access: &OrgAccess) -> ApiResult<Vec<wire::CustomRole>> {
    let roles = app.store.list_custom_roles(&access.org.id).await?;
    Ok(roles.into_iter().map(custom_role).collect())
}

pub async fn create_role(
    app: &App,
    access: &OrgAccess,
    request: CreateCustomRoleRequest,
) -> ApiResult<wire::CustomRole> {
    services::names::check_name("name", &request.name)?;
    if Role::parse(&request.name).is_some() {
        return Err(ApiError::invalid(
            "name",
            "is a built-in role's name; pick another",
        ));
    }
    let permissions = PermissionSet::of(request.permissions.iter().copied());
    if permissions.is_empty() {
        return Err(ApiError::invalid(
            "permissions",
            "name at least one of read, deploy, configure, audit, manage_members",
        ));
    }
    let created = app
        .store
        .create_custom_role(CustomRole {
            id: new_id(),
            org_id: access.org.id.clone(),
            name: request.name,
            description: request.description.trim().to_string(),
            permissions,
            created_at: now_ms(),
        })
        .await?;
    audit(
        app,
        access,
        "role.create",
        &format!("role/{}", created.name),
        json!({ "permissions": permission_names(created.permissions) }),
    )
    .await;
    Ok(custom_role(created))
}

pub async fn delete_role(app: &App, access: &OrgAccess, name: &str) -> ApiResult<()> {
    app.store
        .delete_custom_role(&access.org.id, name)
        .await
        .map_err(named("role", name))?;
    app.auth_cache.clear();
    audit(
        app,
        access,
        "role.delete",
        &format!("role/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}

// ---- grants -------------------------------------------------------------------------------

pub async fn grants(app: &App, access: &OrgAccess) -> ApiResult<Vec<wire::RoleGrant>> {
    let grants = app.store.list_grants(&access.org.id).await?;
    Ok(grants.into_iter().map(grant).collect())
}

pub async fn create_grant(
    app: &App,
    access: &OrgAccess,
    request: CreateGrantRequest,
) -> ApiResult<wire::RoleGrant> {
    let org = &access.org.id;
    let subject = match (&request.user, &request.team) {
        (Some(user), None) => GrantSubject::User(member_id(app, access, user).await?),
        (None, Some(team)) => GrantSubject::Team(find_team(app, access, team).await?.id),
        _ => {
            return Err(ApiError::invalid(
                "user",
                "name either a user or a team, not both",
            ));
        }
    };
    let (role, permissions) = match Role::parse(&request.role) {
        Some(role) => (GrantRole::Builtin(role), role.permissions()),
        None => {
            let custom = app
                .store
                .get_custom_role(org, &request.role)
                .await
                .map_err(|_| {
                    ApiError::invalid(
                        "role",
                        format!(
                            "{} is neither a built-in role (viewer, operator, admin, owner) \
                             nor a custom role of {}",
                            request.role, access.org.slug
                        ),
                    )
                })?;
            (GrantRole::Custom(custom.id), custom.permissions)
        }
    };
    let scope_name = || {
        request
            .scope_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ApiError::invalid("scope_name", "name the environment or the stack"))
    };
    let scope = match request.scope {
        GrantScopeKind::Organization => {
            if matches!(subject, GrantSubject::User(_)) {
                return Err(ApiError::invalid(
                    "scope",
                    "a user's organization role is their membership (PUT /members); \
                     grant users roles on an environment or a stack",
                ));
            }
            Scope::Organization
        }
        GrantScopeKind::Environment => {
            let name = scope_name()?;
            let env = services::organizations::find_environment(app, org, name).await?;
            Scope::Environment(env.id)
        }
        GrantScopeKind::Stack => {
            let name = scope_name()?;
            Scope::Stack(services::stacks::find(app, org, name).await?.id)
        }
    };
    if scope != Scope::Organization && permissions.scopable().is_empty() {
        return Err(ApiError::invalid(
            "role",
            "grants nothing on an environment or a stack: audit and member management \
             concern the whole organization",
        ));
    }
    let created = app
        .store
        .create_grant(NewRoleGrant {
            id: new_id(),
            org_id: org.clone(),
            subject,
            role,
            scope,
            created_at: now_ms(),
        })
        .await?;
    app.auth_cache.clear();
    let wire = grant(created);
    audit(
        app,
        access,
        "grant.create",
        &format!("grant/{}", wire.id),
        json!({
            "user": wire.user, "team": wire.team, "role": wire.role,
            "scope": wire.scope, "scope_name": wire.scope_name,
        }),
    )
    .await;
    Ok(wire)
}

pub async fn delete_grant(app: &App, access: &OrgAccess, id: &str) -> ApiResult<()> {
    app.store
        .delete_grant(&access.org.id, id)
        .await
        .map_err(named("grant", id))?;
    app.auth_cache.clear();
    audit(
        app,
        access,
        "grant.delete",
        &format!("grant/{id}"),
        json!({}),
    )
    .await;
    Ok(())
}

// ---- service accounts ---------------------------------------------------------------------

pub async fn service_accounts(
    app: &App,
    access: &OrgAccess,
) -> ApiResult<Vec<wire::ServiceAccount>> {
    let accounts = app.store.list_service_accounts(&access.org.id).await?;
    let members = app.store.list_members(&access.org.id).await?;
    Ok(accounts
        .into_iter()
        .map(|a| {
            let role = members
                .iter()
                .find(|m| m.user.id == a.user_id)
                .map_or(Role::Viewer, |m| m.role);
            service_account(access, a, role)
        })
        .collect())
}

pub async fn create_service_account(
    app: &App,
    access: &OrgAccess,
    request: CreateServiceAccountRequest,
) -> ApiResult<wire::ServiceAccount> {
    services::names::check_name("name", &request.name)?;
    let role = request.role.unwrap_or(Role::Viewer);
    if role == Role::Owner {
        return Err(ApiError::invalid(
            "role",
            "a service account cannot own the organization; admin is the most it may hold",
        ));
    }
    let created = app
        .store
        .create_service_account(NewServiceAccount {
            id: new_id(),
            org_id: access.org.id.clone(),
            user_id: new_id(),
            username: service_username(access, &request.name),
            name: request.name,
            description: request.description.trim().to_string(),
            role,
            created_by: Some(access.caller.user.id.clone()),
            created_at: now_ms(),
        })
        .await?;
    audit(
        app,
        access,
        "service_account.create",
        &format!("service-account/{}", created.name),
        json!({ "role": role.as_str() }),
    )
    .await;
    Ok(service_account(access, created, role))
}

pub async fn delete_service_account(app: &App, access: &OrgAccess, name: &str) -> ApiResult<()> {
    app.store
        .delete_service_account(&access.org.id, name, now_ms())
        .await
        .map_err(named("service account", name))?;
    app.auth_cache.clear();
    audit(
        app,
        access,
        "service_account.delete",
        &format!("service-account/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}

pub async fn service_account_tokens(
    app: &App,
    access: &OrgAccess,
    name: &str,
) -> ApiResult<Vec<ApiToken>> {
    let account = find_service_account(app, access, name).await?;
    let tokens = app.store.list_api_tokens(&account.user_id).await?;
    Ok(tokens.into_iter().map(convert::token).collect())
}

/// A token acting as the service account; its secret is in the answer only.
pub async fn create_service_account_token(
    app: &App,
    access: &OrgAccess,
    name: &str,
    request: CreateTokenRequest,
) -> ApiResult<CreatedToken> {
    let account = find_service_account(app, access, name).await?;
    let created =
        services::sessions::issue_token(app, &access.caller, &account.user_id, request).await?;
    audit(
        app,
        access,
        "service_account.token.create",
        &format!("service-account/{name}"),
        json!({ "token": created.token.id, "name": created.token.name }),
    )
    .await;
    Ok(created)
}

pub async fn revoke_service_account_token(
    app: &App,
    access: &OrgAccess,
    name: &str,
    token_id: &str,
) -> ApiResult<()> {
    let account = find_service_account(app, access, name).await?;
    app.store
        .revoke_api_token(&account.user_id, token_id, now_ms())
        .await
        .map_err(named("token", token_id))?;
    app.auth_cache.clear();
    audit(
        app,
        access,
        "service_account.token.revoke",
        &format!("service-account/{name}"),
        json!({ "token": token_id }),
    )
    .await;
    Ok(())
}

async fn find_service_account(
    app: &App,
    access: &OrgAccess,
    name: &str,
) -> ApiResult<ServiceAccount> {
    app.store
        .get_service_account(&access.org.id, name)
        .await
        .map_err(named("service account", name))
}

/// A service account belongs to its organization only: another organization cannot make it
/// a member.
pub async fn refuse_foreign_service_account(
    app: &App,
    access: &OrgAccess,
    user_id: &str,
) -> ApiResult<()> {
    match app.store.service_account_of(user_id).await? {
        Some(account) if account.org_id != access.org.id => Err(ApiError::invalid(
            "user",
            "is a service account of another organization",
        )),
        _ => Ok(()),
    }
}

/// The user name a service account's tokens act as: `<org>:<name>`, which no person's user
/// name can be (`:` is not allowed in them).
fn service_username(access: &OrgAccess, name: &str) -> String {
    format!("{}:{name}", access.org.slug)
}

// ---- wire ---------------------------------------------------------------------------------

async fn audit(
    app: &App,
    access: &OrgAccess,
    action: &str,
    target: &str,
    details: serde_json::Value,
) {
    services::audit::record_org(app, access, action, target, details).await;
}

fn permission_names(set: PermissionSet) -> Vec<&'static str> {
    set.iter().map(Permission::as_str).collect()
}

fn team(team: Team) -> wire::Team {
    wire::Team {
        name: team.name,
        description: team.description,
        members: team.members,
        created_at: convert::time(team.created_at),
    }
}

fn custom_role(role: CustomRole) -> wire::CustomRole {
    wire::CustomRole {
        name: role.name,
        description: role.description,
        permissions: role.permissions.iter().collect(),
        created_at: convert::time(role.created_at),
    }
}

fn grant(grant: RoleGrant) -> wire::RoleGrant {
    let (user, team) = match grant.subject {
        GrantSubject::User(_) => (Some(grant.subject_name), None),
        GrantSubject::Team(_) => (None, Some(grant.subject_name)),
    };
    let scope = match grant.scope {
        Scope::Organization => GrantScopeKind::Organization,
        Scope::Environment(_) => GrantScopeKind::Environment,
        Scope::Stack(_) => GrantScopeKind::Stack,
    };
    wire::RoleGrant {
        id: grant.id,
        user,
        team,
        custom: matches!(grant.role, GrantRole::Custom(_)),
        role: grant.role_name,
        scope,
        scope_name: grant.scope_name,
        created_at: convert::time(grant.created_at),
    }
}

fn service_account(
    access: &OrgAccess,
    account: ServiceAccount,
    role: Role,
) -> wire::ServiceAccount {
    wire::ServiceAccount {
        username: service_username(access, &account.name),
        name: account.name,
        description: account.description,
        role,
        created_at: convert::time(account.created_at),
    }
}
