//! `/orgs/{org}/targets`: the engines stacks are deployed onto.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    CreateTargetRequest, GatewayInfo, Problem, Target, TargetCheck, TargetTest, TrustTargetRequest,
    UpdateTargetRequest,
};

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_targets, create_target))
        .routes(routes!(get_target, update_target, delete_target))
        .routes(routes!(test_target))
        .routes(routes!(trust_target))
        .routes(routes!(target_checks))
        .routes(routes!(target_gateway))
}

/// The target's gateway: the routes it serves, their certificates and the live state of the
/// replicas behind them.
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/gateway", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = GatewayInfo), (status = 404, body = Problem)))]
async fn target_gateway(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<GatewayInfo>> {
    access.require(Permission::Read)?;
    services::gateway::info(&state, &access, &name)
        .await
        .map(Json)
}

/// Targets of the organization, with their last known health.
#[utoipa::path(get, path = "/orgs/{org}/targets", tag = "targets",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<Target>), (status = 404, body = Problem)))]
async fn list_targets(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<Target>>> {
    access.require(Permission::Read)?;
    Ok(Json(services::targets::list(&state, &access).await?))
}

/// Register a target (admins). Its connection is tested at once; a failing test is reported
/// in `status` but does not refuse the target.
#[utoipa::path(post, path = "/orgs/{org}/targets", tag = "targets", request_body = CreateTargetRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = Target), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_target(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateTargetRequest>,
) -> ApiResult<(StatusCode, Json<Target>)> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let target = services::targets::create(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(target)))
}

/// One target.
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = Target), (status = 404, body = Problem)))]
async fn get_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<Target>> {
    access.require(Permission::Read)?;
    Ok(Json(services::targets::show(&state, &access, &name).await?))
}

/// Change a target's labels (admins; label values are strings, selectors match them), or
/// whether its engine is shared with this organization (server administrators).
#[utoipa::path(patch, path = "/orgs/{org}/targets/{target}", tag = "targets",
    request_body = UpdateTargetRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = Target), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<UpdateTargetRequest>,
) -> ApiResult<Json<Target>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    Ok(Json(
        services::targets::update(&state, &access, &name, request).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ChecksQuery {
    /// How many checks, newest first (default 100, at most 1000).
    limit: Option<i64>,
}

/// The target's health history: one entry per connection check (every 30 s and on demand),
/// newest first, kept for 7 days.
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/checks", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name"), ChecksQuery),
    responses((status = 200, body = Vec<TargetCheck>), (status = 404, body = Problem)))]
async fn target_checks(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<ChecksQuery>,
) -> ApiResult<Json<Vec<TargetCheck>>> {
    access.require(Permission::Read)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(
        services::targets::checks(&state, &access, &name, limit).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteTargetQuery {
    /// Remove it even while deployments use it.
    #[serde(default)]
    force: bool,
}

/// Remove a target (admins); refused while a deployment uses it, unless `force`.
#[utoipa::path(delete, path = "/orgs/{org}/targets/{target}", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name"), DeleteTargetQuery),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn delete_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<DeleteTargetQuery>,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    services::targets::delete(&state, &access, &name, query.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Test the connection now: engine version, OS and architecture, and how long it took.
#[utoipa::path(post, path = "/orgs/{org}/targets/{target}/test", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = TargetTest), (status = 404, body = Problem)))]
async fn test_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<TargetTest>> {
    access.require(Permission::Read)?;
    Ok(Json(services::targets::test(&state, &access, &name).await?))
}

/// Trust the host key of a target reached over SSH (admins): the key offered is pinned only
/// if its fingerprint is exactly the one given (check it on the host with
/// `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`); then the connection is tested.
#[utoipa::path(post, path = "/orgs/{org}/targets/{target}/trust", tag = "targets",
    request_body = TrustTargetRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = TargetTest), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem)))]
async fn trust_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<TrustTargetRequest>,
) -> ApiResult<Json<TargetTest>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let fingerprint = request.fingerprint.trim();
    Ok(Json(
        services::targets::trust(&state, &access, &name, fingerprint).await?,
    ))
}
