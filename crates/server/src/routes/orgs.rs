//! `/orgs`: organizations and their members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    CreateOrganizationRequest, Member, Membership, Organization, Problem, SetMemberRequest,
};

use super::body::Payload;
use crate::auth::{Caller, OrgAccess};
use crate::convert;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

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
    Ok(Json(
        services::organizations::memberships(&state, &caller).await?,
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
    let org = services::organizations::create(&state, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(org)))
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
    Ok(Json(
        services::organizations::members(&state, &access).await?,
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
    Ok(Json(
        services::organizations::set_member(&state, &access, request).await?,
    ))
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
    services::organizations::remove_member(&state, &access, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
