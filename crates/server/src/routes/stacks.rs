//! `/orgs/{org}/stacks`: compose stacks, their immutable versions, diffs, validation, plan
//! previews, variables and secrets, rollbacks and logs. A stack's ETag is its newest version:
//! `PUT` with `If-Match` refuses to overwrite someone else's push.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    CreateStackRequest, Deployment, DiffQuery, Page, PageQuery, PlanPreview, PlanRequest, Problem,
    RollbackRequest, ServiceDomains, SetDomainsRequest, SetVariableRequest, Stack, StackDetail,
    StackDiff, StackListQuery, StackVersion, StackVersionSummary, UpdateStackRequest,
    ValidateRequest, Validation, Variable, VariableQuery,
};

use serde::Deserialize;
use utoipa::IntoParams;

use super::body::Payload;
use crate::auth::{On, OrgAccess};
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stacks, create_stack))
        .routes(routes!(get_stack, update_stack, delete_stack))
        .routes(routes!(list_versions))
        .routes(routes!(get_version))
        .routes(routes!(diff_versions))
        .routes(routes!(validate_content))
        .routes(routes!(plan_stack))
        .routes(routes!(rollback_stack))
        .routes(routes!(list_stack_variables))
        .routes(routes!(set_stack_variable, delete_stack_variable))
        .routes(routes!(list_stack_domains))
        .routes(routes!(set_stack_domains, delete_stack_domains))
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("a number is a header value")
}

/// The stack detail as JSON with its version as the `ETag`.
fn with_etag(detail: StackDetail) -> Response {
    let tag = etag(detail.stack.version);
    let mut response = Json(detail).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    response
}

/// Stacks of the organization, by name.
#[utoipa::path(get, path = "/orgs/{org}/stacks", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"), StackListQuery),
    responses((status = 200, body = Page<Stack>), (status = 404, body = Problem)))]
async fn list_stacks(
    State(state): State<AppState>,
    access: OrgAccess,
    Query(query): Query<StackListQuery>,
) -> ApiResult<Response> {
    access.require(Permission::Read)?;
    let body =
        services::stacks::list_json(&state, &access, query.limit, query.offset, query.q).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

/// Create a stack from a compose file (admins). The file is validated first; errors name
/// the line and field.
#[utoipa::path(post, path = "/orgs/{org}/stacks", tag = "stacks", request_body = CreateStackRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = StackDetail), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_stack(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateStackRequest>,
) -> ApiResult<Response> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let detail = services::stacks::create(&state, &access, request).await?;
    let mut response = with_etag(detail);
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// A stack with its newest version's content; the `ETag` header is that version.
#[utoipa::path(get, path = "/orgs/{org}/stacks/{stack}", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 200, body = StackDetail), (status = 404, body = Problem)))]
async fn get_stack(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    access.require(Permission::Read)?;
    let detail = services::stacks::show(&state, &access, &name).await?;
    Ok(with_etag(detail))
}

/// Push a new version (admins). With `If-Match: "<version>"` the write is refused (412) when
/// the stack moved on since that version was read.
#[utoipa::path(put, path = "/orgs/{org}/stacks/{stack}", tag = "stacks", request_body = UpdateStackRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"),
        ("If-Match" = Option<String>, Header, description = "The version this edit is based on")),
    responses((status = 200, body = StackDetail), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
async fn update_stack(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Payload<UpdateStackRequest>,
) -> ApiResult<Response> {
    access
        .require_on(&state, Permission::Configure, On::StackNamed(&name))
        .await?;
    let request = body.parse()?;
    let if_match = match headers.get(header::IF_MATCH) {
        Some(value) => {
            let text = value.to_str().unwrap_or("").trim().trim_start_matches("W/");
            Some(text.trim_matches('"').parse::<i64>().map_err(|_| {
                ApiError::BadRequest(format!(
                    "If-Match: expected a stack version like \"3\", got {text}"
                ))
            })?)
        }
        None => None,
    };
    let detail = services::stacks::update(&state, &access, &name, if_match, request).await?;
    Ok(with_etag(detail))
}

/// Query of `DELETE /stacks/{stack}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteStackQuery {
    /// Remove the stack from every target that runs it first (queues `remove` deployments,
    /// answers 202 with them), then delete it once they succeed.
    #[serde(default)]
    undeploy: bool,
}

/// Delete a stack (admins). Its deployments stay listed. Refused (409) while a deployment of
/// it is queued or running, or while it runs on a target — unless `undeploy=true`.
#[utoipa::path(delete, path = "/orgs/{org}/stacks/{stack}", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"), DeleteStackQuery),
    responses((status = 204, description = "Deleted"),
        (status = 202, body = Vec<Deployment>, description = "Removals queued; the stack is deleted when they succeed"),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn delete_stack(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<DeleteStackQuery>,
) -> ApiResult<Response> {
    access
        .require_on(&state, Permission::Configure, On::StackNamed(&name))
        .await?;
    Ok(
        match services::stacks::delete(&state, &access, &name, query.undeploy).await? {
            services::stacks::Deletion::Deleted => StatusCode::NO_CONTENT.into_response(),
            services::stacks::Deletion::Pending(removals) => {
                let removals: Vec<Deployment> =
                    removals.into_iter().map(convert::deployment).collect();
                (StatusCode::ACCEPTED, Json(removals)).into_response()
            }
        },
    )
}

/// Versions, newest first.
#[utoipa::path(get, path = "/orgs/{org}/stacks/{stack}/versions", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"), PageQuery),
    responses((status = 200, body = Page<StackVersionSummary>), (status = 404, body = Problem)))]
async fn list_versions(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<Page<StackVersionSummary>>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::stacks::versions(&state, &access, &name, query.limit, query.offset).await?,
    ))
}

/// One version with its content.
#[utoipa::path(get, path = "/orgs/{org}/stacks/{stack}/versions/{version}", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"),
        ("version" = i64, Path, description = "Version number")),
    responses((status = 200, body = StackVersion), (status = 404, body = Problem)))]
async fn get_version(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name, version)): Path<(String, String, i64)>,
) -> ApiResult<Json<StackVersion>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::stacks::version(&state, &access, &name, version).await?,
    ))
}

/// A unified diff between two versions.
#[utoipa::path(get, path = "/orgs/{org}/stacks/{stack}/diff", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"), DiffQuery),
    responses((status = 200, body = StackDiff), (status = 404, body = Problem)))]
async fn diff_versions(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<DiffQuery>,
) -> ApiResult<Json<StackDiff>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::stacks::diff_versions(&state, &access, &name, query.from, query.to).await?,
    ))
}

/// Validate compose content without saving it: errors and warnings with lines and fields.
#[utoipa::path(post, path = "/orgs/{org}/stacks/{stack}/validate", tag = "stacks",
    request_body = ValidateRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name (need not exist yet)")),
    responses((status = 200, body = Validation), (status = 404, body = Problem)))]
async fn validate_content(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<ValidateRequest>,
) -> ApiResult<Json<Validation>> {
    access.require(Permission::Read)?;
    let request = body.parse()?;
    Ok(Json(
        services::stacks::validate_content(&state, &access, &name, &request.content).await?,
    ))
}

/// What deploying a version onto a target would change, computed against what the target
/// really runs now (operators).
#[utoipa::path(post, path = "/orgs/{org}/stacks/{stack}/plan", tag = "stacks", request_body = PlanRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 200, body = PlanPreview), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
async fn plan_stack(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<PlanRequest>,
) -> ApiResult<Json<PlanPreview>> {
    access.require_somewhere(Permission::Deploy)?;
    let request = body.parse()?;
    Ok(Json(
        services::deployments::preview_plan(&state, &access, &name, &request).await?,
    ))
}

/// Roll back to an earlier version on a target (operators): by default the last version
/// that succeeded there before the current one. Queued like any deployment.
#[utoipa::path(post, path = "/orgs/{org}/stacks/{stack}/rollback", tag = "stacks",
    request_body = RollbackRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request safe")),
    responses((status = 201, body = Deployment), (status = 200, body = Deployment),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn rollback_stack(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Payload<RollbackRequest>,
) -> ApiResult<Response> {
    access.require_somewhere(Permission::Deploy)?;
    let request = body.parse()?;
    let key = super::deployments::idempotency_key(&headers);
    let (deployment, created) = services::deployments::queue_rollback(
        &state,
        &access,
        &name,
        &request.target,
        request.version,
        key,
    )
    .await?;
    Ok(super::deployments::created_response(
        &access, deployment, created,
    ))
}

/// The stack's variables and secrets (secret values are never shown).
#[utoipa::path(get, path = "/orgs/{org}/stacks/{stack}/variables", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"), VariableQuery),
    responses((status = 200, body = Vec<Variable>), (status = 404, body = Problem)))]
async fn list_stack_variables(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<VariableQuery>,
) -> ApiResult<Json<Vec<Variable>>> {
    access.require(Permission::Read)?;
    let scope =
        services::stacks::stack_scope(&state, &access, &name, query.environment.as_deref()).await?;
    services::variables::list(&state, &access, &scope)
        .await
        .map(Json)
}

/// Set a variable or secret of the stack, for every environment or one (admins).
#[utoipa::path(put, path = "/orgs/{org}/stacks/{stack}/variables/{name}", tag = "stacks",
    request_body = SetVariableRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"),
        ("name" = String, Path, description = "Variable name"), VariableQuery),
    responses((status = 200, body = Variable), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_stack_variable(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack, name)): Path<(String, String, String)>,
    Query(query): Query<VariableQuery>,
    body: Payload<SetVariableRequest>,
) -> ApiResult<Json<Variable>> {
    access
        .require_on(&state, Permission::Configure, On::StackNamed(&stack))
        .await?;
    let request = body.parse()?;
    let scope =
        services::stacks::stack_scope(&state, &access, &stack, query.environment.as_deref())
            .await?;
    services::variables::set(
        &state,
        &access,
        scope,
        &format!("stack/{stack}"),
        &name,
        request,
    )
    .await
    .map(Json)
}

/// Delete a variable of the stack (admins).
#[utoipa::path(delete, path = "/orgs/{org}/stacks/{stack}/variables/{name}", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"),
        ("name" = String, Path, description = "Variable name"), VariableQuery),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_stack_variable(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack, name)): Path<(String, String, String)>,
    Query(query): Query<VariableQuery>,
) -> ApiResult<StatusCode> {
    access
        .require_on(&state, Permission::Configure, On::StackNamed(&stack))
        .await?;
    let scope =
        services::stacks::stack_scope(&state, &access, &stack, query.environment.as_deref())
            .await?;
    services::variables::delete(&state, &access, &scope, &format!("stack/{stack}"), &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The domains of the stack's services: the compose file's (`x-windflow`) and the control
/// plane's settings over them.
#[utoipa::path(get, path = "/orgs/{org}/stacks/{stack}/domains", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 200, body = Vec<ServiceDomains>), (status = 404, body = Problem)))]
async fn list_stack_domains(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<Vec<ServiceDomains>>> {
    access.require(Permission::Read)?;
    services::domains::list(&state, &access, &name)
        .await
        .map(Json)
}

/// Set a service's domains, for every environment or one, over its compose file's.
#[utoipa::path(put, path = "/orgs/{org}/stacks/{stack}/domains/{service}", tag = "stacks",
    request_body = SetDomainsRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"),
        ("service" = String, Path, description = "Service name"), VariableQuery),
    responses((status = 200, body = ServiceDomains), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_stack_domains(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack, service)): Path<(String, String, String)>,
    Query(query): Query<VariableQuery>,
    body: Payload<SetDomainsRequest>,
) -> ApiResult<Json<ServiceDomains>> {
    access
        .require_on(&state, Permission::Configure, On::StackNamed(&stack))
        .await?;
    let request = body.parse()?;
    services::domains::set(
        &state,
        &access,
        &stack,
        &service,
        query.environment.as_deref(),
        request,
    )
    .await
    .map(Json)
}

/// Remove a service's domains setting: the compose file's domains apply again.
#[utoipa::path(delete, path = "/orgs/{org}/stacks/{stack}/domains/{service}", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"),
        ("service" = String, Path, description = "Service name"), VariableQuery),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_stack_domains(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack, service)): Path<(String, String, String)>,
    Query(query): Query<VariableQuery>,
) -> ApiResult<StatusCode> {
    access
        .require_on(&state, Permission::Configure, On::StackNamed(&stack))
        .await?;
    services::domains::delete(
        &state,
        &access,
        &stack,
        &service,
        query.environment.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
