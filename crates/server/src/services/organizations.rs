//! Organizations, their members (with one role each; an organization always keeps an
//! owner) and their environments.

use serde_json::json;
use windflow_protocol::{
    CreateEnvironmentRequest, CreateOrganizationRequest, Environment as WireEnvironment, Member,
    Membership, Organization, SetMemberRequest,
};
use windflow_storage::{Environment, NewEnvironment, NewOrganization, Role, VariableScope};

use crate::auth::{Caller, OrgAccess};
use crate::convert;
use crate::error::{ApiError, ApiResult, named};
use crate::services;
use crate::state::{App, new_id, now_ms};

/// The organizations the caller belongs to, with their role in each.
pub async fn memberships(app: &App, caller: &Caller) -> ApiResult<Vec<Membership>> {
    let list = app.store.list_user_organizations(&caller.user.id).await?;
    with_grants(app, &caller.user.id, list).await
}

/// `user_id`'s organizations (`list`, as the store gives them), its role in each and what
/// its grants add there.
pub async fn with_grants(
    app: &App,
    user_id: &str,
    list: Vec<(windflow_storage::Organization, Role)>,
) -> ApiResult<Vec<Membership>> {
    let mut memberships = Vec::with_capacity(list.len());
    for (org, role) in list {
        let grants = crate::auth::load_grants(app, &org.id, user_id, role).await?;
        let scoped_permissions = windflow_domain::access::Permission::ALL
            .into_iter()
            .filter(|p| !role.allows(*p) && grants.allows_somewhere(*p))
            .collect();
        memberships.push(Membership {
            organization: convert::organization(org),
            role,
            scoped_permissions,
        });
    }
    Ok(memberships)
}

/// Creates an organization; its creator becomes its owner.
pub async fn create(
    app: &App,
    caller: &Caller,
    request: CreateOrganizationRequest,
) -> ApiResult<Organization> {
    services::names::check_name("slug", &request.slug)?;
    let org = app
        .store
        .create_organization(NewOrganization {
            id: new_id(),
            name: request.name.unwrap_or_else(|| request.slug.clone()),
            slug: request.slug,
            created_at: now_ms(),
        })
        .await?;
    app.store
        .set_member(&org.id, &caller.user.id, Role::Owner)
        .await?;
    services::audit::record(
        app,
        caller,
        Some(&org.id),
        "organization.create",
        &format!("organization/{}", org.slug),
        json!({}),
    )
    .await;
    Ok(convert::organization(org))
}

/// The organization's members and their roles.
pub async fn members(app: &App, access: &OrgAccess) -> ApiResult<Vec<Member>> {
    let members = app.store.list_members(&access.org.id).await?;
    Ok(members
        .into_iter()
        .map(|m| Member {
            user: convert::user(m.user),
            role: m.role,
        })
        .collect())
}

/// Adds a member or changes their role.
pub async fn set_member(
    app: &App,
    access: &OrgAccess,
    request: SetMemberRequest,
) -> ApiResult<Member> {
    let user = services::users::find(app, &request.user)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {:?}", request.user)))?;
    services::access::refuse_foreign_service_account(app, access, &user.id).await?;
    let role = request.role;
    if role != Role::Owner {
        ensure_another_owner(app, access, &user.id).await?;
    }
    app.store.set_member(&access.org.id, &user.id, role).await?;
    app.auth_cache.clear();
    services::audit::record_org(
        app,
        access,
        "member.set",
        &format!("user/{}", user.username),
        json!({ "role": role.as_str() }),
    )
    .await;
    Ok(Member {
        user: convert::user(user),
        role: request.role,
    })
}

/// Removes a member; never the last owner.
pub async fn remove_member(app: &App, access: &OrgAccess, user_id: &str) -> ApiResult<()> {
    if app
        .store
        .get_member_role(&access.org.id, user_id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound("member".into()));
    }
    ensure_another_owner(app, access, user_id).await?;
    app.store.remove_member(&access.org.id, user_id).await?;
    // Its teams and grants here go with it: a member added back starts from its role alone.
    app.store
        .remove_member_access(&access.org.id, user_id)
        .await?;
    app.auth_cache.clear();
    services::audit::record_org(
        app,
        access,
        "member.remove",
        &format!("user/{user_id}"),
        json!({}),
    )
    .await;
    Ok(())
}

/// Refuses a change that would leave the organization without an owner.
async fn ensure_another_owner(app: &App, access: &OrgAccess, leaving: &str) -> ApiResult<()> {
    let members = app.store.list_members(&access.org.id).await?;
    let owners = members
        .iter()
        .filter(|m| m.role == Role::Owner && m.user.id != leaving)
        .count();
    let leaving_is_owner = members
        .iter()
        .any(|m| m.user.id == leaving && m.role == Role::Owner);
    if leaving_is_owner && owners == 0 {
        return Err(ApiError::Conflict {
            message: "an organization needs at least one owner".into(),
            field: Some("role".into()),
        });
    }
    Ok(())
}

/// The organization's environments.
pub async fn environments(app: &App, access: &OrgAccess) -> ApiResult<Vec<WireEnvironment>> {
    let list = app.store.list_environments(&access.org.id).await?;
    Ok(list.into_iter().map(convert::environment).collect())
}

/// Creates an environment.
pub async fn create_environment(
    app: &App,
    access: &OrgAccess,
    request: CreateEnvironmentRequest,
) -> ApiResult<WireEnvironment> {
    services::names::check_name("name", &request.name)?;
    let env = app
        .store
        .create_environment(NewEnvironment {
            id: new_id(),
            org_id: access.org.id.clone(),
            name: request.name,
            description: request.description,
            created_at: now_ms(),
        })
        .await?;
    services::audit::record_org(
        app,
        access,
        "environment.create",
        &format!("environment/{}", env.name),
        json!({}),
    )
    .await;
    Ok(convert::environment(env))
}

/// Deletes an environment no target or deployment uses.
pub async fn delete_environment(app: &App, access: &OrgAccess, env: &str) -> ApiResult<()> {
    app.store.delete_environment(&access.org.id, env).await?;
    services::audit::record_org(
        app,
        access,
        "environment.delete",
        &format!("environment/{env}"),
        json!({}),
    )
    .await;
    Ok(())
}

/// The variable scope of the environment called `env`.
pub async fn env_scope(app: &App, access: &OrgAccess, env: &str) -> ApiResult<VariableScope> {
    let env = find_environment(app, &access.org.id, env).await?;
    Ok(VariableScope::Environment {
        environment_id: env.id,
    })
}

/// The organization's environment called `name`; 404 naming it otherwise.
pub async fn find_environment(app: &App, org_id: &str, name: &str) -> ApiResult<Environment> {
    app.store
        .get_environment(org_id, name)
        .await
        .map_err(named("environment", name))
}

/// The id of the environment called `name`, when a name is given; 404 naming it otherwise.
pub async fn environment_id(
    app: &App,
    org_id: &str,
    name: Option<&str>,
) -> ApiResult<Option<String>> {
    Ok(match name {
        Some(name) => Some(find_environment(app, org_id, name).await?.id),
        None => None,
    })
}
