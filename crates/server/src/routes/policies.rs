//! Host-access policies: `/orgs/{org}/policy` (read by members, set by server
//! administrators) and the narrowings of an environment or a target (organization admins).

use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{HostPolicies, HostPolicy, Problem};

use super::body::Payload;
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiResult;
use crate::services::policies::{self, Narrowed};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_policy, set_policy))
        .routes(routes!(narrow_environment, widen_environment))
        .routes(routes!(narrow_target, widen_target))
}

/// The organization's host-access policy and the narrowings of its environments and
/// targets: what host-level features (bind mounts, the engine socket, privileged containers,
/// host namespaces, capabilities) its stacks may use.
#[utoipa::path(get, path = "/orgs/{org}/policy", tag = "policies",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = HostPolicies), (status = 404, body = Problem)))]
async fn get_policy(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<HostPolicies>> {
    access.require(Permission::Read)?;
    Ok(Json(policies::show(&state, &access.org.id).await?))
}

/// Set the organization's host-access policy (server administrators only, members or not).
/// It takes effect for every push, queued deployment and deployment that starts from now on.
#[utoipa::path(put, path = "/orgs/{org}/policy", tag = "policies", request_body = HostPolicy,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = HostPolicies), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Payload<HostPolicy>,
) -> ApiResult<Json<HostPolicies>> {
    caller.require_server_admin()?;
    let request = body.parse()?;
    Ok(Json(
        policies::set_organization(&state, &caller, &org, &request).await?,
    ))
}

/// Narrow the policy for deployments in one environment (admins): the stricter level and
/// only the host paths both allow.
#[utoipa::path(put, path = "/orgs/{org}/environments/{env}/policy", tag = "policies",
    request_body = HostPolicy,
    params(("org" = String, Path, description = "Organization slug"),
        ("env" = String, Path, description = "Environment name")),
    responses((status = 200, body = HostPolicies), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn narrow_environment(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<HostPolicy>,
) -> ApiResult<Json<HostPolicies>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let what = Narrowed::Environment(&name);
    Ok(Json(
        policies::narrow(&state, &access, what, Some(&request)).await?,
    ))
}

/// Remove an environment's narrowing (admins).
#[utoipa::path(delete, path = "/orgs/{org}/environments/{env}/policy", tag = "policies",
    params(("org" = String, Path, description = "Organization slug"),
        ("env" = String, Path, description = "Environment name")),
    responses((status = 200, body = HostPolicies), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn widen_environment(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<HostPolicies>> {
    access.require(Permission::Configure)?;
    let what = Narrowed::Environment(&name);
    Ok(Json(policies::narrow(&state, &access, what, None).await?))
}

/// Narrow the policy for deployments onto one target (admins).
#[utoipa::path(put, path = "/orgs/{org}/targets/{target}/policy", tag = "policies",
    request_body = HostPolicy,
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = HostPolicies), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn narrow_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<HostPolicy>,
) -> ApiResult<Json<HostPolicies>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let what = Narrowed::Target(&name);
    Ok(Json(
        policies::narrow(&state, &access, what, Some(&request)).await?,
    ))
}

/// Remove a target's narrowing (admins).
#[utoipa::path(delete, path = "/orgs/{org}/targets/{target}/policy", tag = "policies",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = HostPolicies), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn widen_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<HostPolicies>> {
    access.require(Permission::Configure)?;
    let what = Narrowed::Target(&name);
    Ok(Json(policies::narrow(&state, &access, what, None).await?))
}
