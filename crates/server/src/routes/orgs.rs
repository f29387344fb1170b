//! `/orgs`: organizations and their members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    CreateOrganizationRequest, Member, Membership, Organization, Problem, SetMemberRequest,
};
use windflow_storage::{NewOrganization, Role};

use super::body::Payload;
use crate::auth::{Caller, OrgAccess};
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{AppState, new_id, now_ms};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org))
        .routes(routes!(list_members, set_member))
        .routes(routes!(remove_member))
}

/// The organizations you belong to, with your role in each.
#[utoipa::path(get, path = "/orgs", tag = "organizations",
    responses((status = 200, body = Vec<Membership>), (status = 401, body = Problem)))]
async fn list_orgs(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Membership>>> {
    let list = state.store.list_user_organizations(&caller.user.id).await?;
    Ok(Json(
        list.into_iter()
            .map(|(org, role)| Membership {
                organization: convert::organization(org),
                role: convert::role(role),
            })
            .collect(),
    ))
}

/// Create an organization (server administrators); you become its owner.
#[utoipa::path(post, path = "/orgs", tag = "organizations", request_body = CreateOrganizationRequest,
    responses((status = 201, body = Organization), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_org(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload<CreateOrganizationRequest>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    caller.require_server_admin()?;
    let request = body.parse()?;
    crate::services::stacks::check_name("slug", &request.slug)?;
    let org = state
        .store
        .create_organization(NewOrganization {
            id: new_id(),
            name: request.name.unwrap_or_else(|| request.slug.clone()),
            slug: request.slug,
            created_at: now_ms(),
        })
        .await?;
    state
        .store
        .set_member(&org.id, &caller.user.id, Role::Owner)
        .await?;
    services::audit::record(
        &state,
        &caller,
        Some(&org.id),
        "organization.create",
        &format!("organization/{}", org.slug),
        json!({}),
    )
    .await;
    Ok((StatusCode::CREATED, Json(convert::organization(org))))
}

/// One organization you belong to.
#[utoipa::path(get, path = "/orgs/{org}", tag = "organizations",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Organization), (status = 404, body = Problem)))]
async fn get_org(access: OrgAccess) -> ApiResult<Json<Organization>> {
    access.require(Permission::Read)?;
    Ok(Json(convert::organization(access.org)))
}

/// Members and their roles.
#[utoipa::path(get, path = "/orgs/{org}/members", tag = "organizations",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<Member>), (status = 404, body = Problem)))]
async fn list_members(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<Member>>> {
    access.require(Permission::Read)?;
    let members = state.store.list_members(&access.org.id).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|m| Member {
                user: convert::user(m.user),
                role: convert::role(m.role),
            })
            .collect(),
    ))
}

/// Add a member or change their role (owners).
#[utoipa::path(put, path = "/orgs/{org}/members", tag = "organizations", request_body = SetMemberRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Member), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn set_member(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<SetMemberRequest>,
) -> ApiResult<Json<Member>> {
    access.require(Permission::ManageMembers)?;
    let request = body.parse()?;
    let user = match state.store.find_user_credentials(&request.user).await? {
        Some(c) => c.user,
        None => state
            .store
            .get_user(&request.user)
            .await
            .map_err(|_| ApiError::NotFound(format!("user {:?}", request.user)))?,
    };
    let role = convert::role_from(request.role);
    if role != Role::Owner {
        ensure_another_owner(&state, &access, &user.id).await?;
    }
    state
        .store
        .set_member(&access.org.id, &user.id, role)
        .await?;
    state.auth_cache.clear();
    services::audit::record_org(
        &state,
        &access,
        "member.set",
        &format!("user/{}", user.username),
        json!({ "role": role.as_str() }),
    )
    .await;
    Ok(Json(Member {
        user: convert::user(user),
        role: request.role,
    }))
}

/// Remove a member (owners). The last owner cannot be removed.
#[utoipa::path(delete, path = "/orgs/{org}/members/{user}", tag = "organizations",
    params(("org" = String, Path, description = "Organization slug"),
        ("user" = String, Path, description = "The member's id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn remove_member(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::ManageMembers)?;
    if state
        .store
        .get_member_role(&access.org.id, &user_id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound("member".into()));
    }
    ensure_another_owner(&state, &access, &user_id).await?;
    state.store.remove_member(&access.org.id, &user_id).await?;
    state.auth_cache.clear();
    services::audit::record_org(
        &state,
        &access,
        "member.remove",
        &format!("user/{user_id}"),
        json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Refuses a change that would leave the organization without an owner.
async fn ensure_another_owner(
    state: &AppState,
    access: &OrgAccess,
    leaving: &str,
) -> ApiResult<()> {
    let members = state.store.list_members(&access.org.id).await?;
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
