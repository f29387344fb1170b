//! `/orgs/{org}/environments`: dev, staging, prod… and their variables.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    CreateEnvironmentRequest, Environment, Problem, SetVariableRequest, Variable,
};

use super::body::Payload;
use crate::auth::{On, OrgAccess};
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_environments, create_environment))
        .routes(routes!(delete_environment))
        .routes(routes!(list_environment_variables))
        .routes(routes!(
            set_environment_variable,
            delete_environment_variable
        ))
}

/// Environments of the organization.
#[utoipa::path(get, path = "/orgs/{org}/environments", tag = "environments",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<Environment>), (status = 404, body = Problem)))]
async fn list_environments(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<Environment>>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::organizations::environments(&state, &access).await?,
    ))
}

/// Create an environment (admins).
#[utoipa::path(post, path = "/orgs/{org}/environments", tag = "environments",
    request_body = CreateEnvironmentRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = Environment), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn create_environment(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateEnvironmentRequest>,
) -> ApiResult<(StatusCode, Json<Environment>)> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let env = services::organizations::create_environment(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(env)))
}

/// Delete an environment no target or deployment uses (admins).
#[utoipa::path(delete, path = "/orgs/{org}/environments/{env}", tag = "environments",
    params(("org" = String, Path, description = "Organization slug"),
        ("env" = String, Path, description = "Environment name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn delete_environment(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, env)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    services::organizations::delete_environment(&state, &access, &env).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Variables every stack deployed in this environment gets (secret values are never shown).
#[utoipa::path(get, path = "/orgs/{org}/environments/{env}/variables", tag = "environments",
    params(("org" = String, Path, description = "Organization slug"),
        ("env" = String, Path, description = "Environment name")),
    responses((status = 200, body = Vec<Variable>), (status = 404, body = Problem)))]
async fn list_environment_variables(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, env)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Variable>>> {
    access.require(Permission::Read)?;
    let scope = services::organizations::env_scope(&state, &access, &env).await?;
    services::variables::list(&state, &access, &scope)
        .await
        .map(Json)
}

/// Set a variable or secret for the environment (admins). Secrets are write-only.
#[utoipa::path(put, path = "/orgs/{org}/environments/{env}/variables/{name}", tag = "environments",
    request_body = SetVariableRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("env" = String, Path, description = "Environment name"),
        ("name" = String, Path, description = "Variable name")),
    responses((status = 200, body = Variable), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_environment_variable(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, env, name)): Path<(String, String, String)>,
    body: Payload<SetVariableRequest>,
) -> ApiResult<Json<Variable>> {
    access
        .require_on(&state, Permission::Configure, On::EnvironmentNamed(&env))
        .await?;
    let request = body.parse()?;
    let scope = services::organizations::env_scope(&state, &access, &env).await?;
    services::variables::set(
        &state,
        &access,
        scope,
        &format!("environment/{env}"),
        &name,
        request,
    )
    .await
    .map(Json)
}

/// Delete a variable of the environment (admins).
#[utoipa::path(delete, path = "/orgs/{org}/environments/{env}/variables/{name}", tag = "environments",
    params(("org" = String, Path, description = "Organization slug"),
        ("env" = String, Path, description = "Environment name"),
        ("name" = String, Path, description = "Variable name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_environment_variable(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, env, name)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    access
        .require_on(&state, Permission::Configure, On::EnvironmentNamed(&env))
        .await?;
    let scope = services::organizations::env_scope(&state, &access, &env).await?;
    services::variables::delete(
        &state,
        &access,
        &scope,
        &format!("environment/{env}"),
        &name,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
