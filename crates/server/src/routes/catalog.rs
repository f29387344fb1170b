//! `/orgs/{org}/templates`: the template catalog, deploying a template as a stack, and a
//! stack's template (upgrades with a diff); `/catalog/sources`: where the server imports
//! templates from (server administrators).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    CatalogSource, CreateCatalogSourceRequest, DeployTemplateRequest, Problem, StackTemplateInfo,
    TemplateDeployment, TemplateDetail, TemplateSummary, TemplateUpgrade, UpgradeTemplateRequest,
};

use super::body::Payload;
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(show_template))
        .routes(routes!(deploy_template))
        .routes(routes!(show_stack_template))
        .routes(routes!(upgrade_stack_template))
        .routes(routes!(list_sources, create_source))
        .routes(routes!(delete_source))
        .routes(routes!(refresh_source))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TemplateQuery {
    /// Search in names, ids, descriptions and tags.
    q: Option<String>,
    /// Only this category.
    category: Option<String>,
}

/// The catalog: WindFlow's built-in templates, then those of the server's catalog sources.
#[utoipa::path(get, path = "/orgs/{org}/templates", tag = "catalog",
    params(("org" = String, Path, description = "Organization slug"), TemplateQuery),
    responses((status = 200, body = Vec<TemplateSummary>), (status = 404, body = Problem)))]
async fn list_templates(
    State(state): State<AppState>,
    access: OrgAccess,
    Query(query): Query<TemplateQuery>,
) -> ApiResult<Json<Vec<TemplateSummary>>> {
    access.require(Permission::Read)?;
    services::catalog::list(&state, query.q.as_deref(), query.category.as_deref())
        .await
        .map(Json)
}

/// One template: its inputs, size classes, compose file and the advisor's findings on it.
#[utoipa::path(get, path = "/orgs/{org}/templates/{source}/{id}", tag = "catalog",
    params(("org" = String, Path, description = "Organization slug"),
        ("source" = String, Path, description = "`builtin` or a catalog source's name"),
        ("id" = String, Path, description = "The template's id")),
    responses((status = 200, body = TemplateDetail), (status = 404, body = Problem)))]
async fn show_template(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, source, id)): Path<(String, String, String)>,
) -> ApiResult<Json<TemplateDetail>> {
    access.require(Permission::Read)?;
    services::catalog::detail(&state, &source, &id)
        .await
        .map(Json)
}

/// Deploy a template as a new stack: inputs checked, secrets generated and stored
/// encrypted, sizing formulas computed for the size class (refused when the target cannot
/// fit it), the compose file loaded and checked against the host-access policy. With
/// `deploy`, a deployment onto `target` starts; with `dry_run`, nothing is created.
#[utoipa::path(post, path = "/orgs/{org}/templates/{source}/{id}/deploy", tag = "catalog",
    request_body = DeployTemplateRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("source" = String, Path, description = "`builtin` or a catalog source's name"),
        ("id" = String, Path, description = "The template's id")),
    responses((status = 201, body = TemplateDeployment), (status = 200, body = TemplateDeployment),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn deploy_template(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, source, id)): Path<(String, String, String)>,
    body: Payload<DeployTemplateRequest>,
) -> ApiResult<(StatusCode, Json<TemplateDeployment>)> {
    // Creating a stack is an admin's (deploying it too is then allowed).
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let dry_run = request.dry_run;
    let out = services::catalog::deploy(&state, &access, &source, &id, request).await?;
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(out)))
}

/// The template a stack was created from, and the catalog's newer version when there is one.
#[utoipa::path(get, path = "/orgs/{org}/stacks/{stack}/template", tag = "catalog",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 200, body = StackTemplateInfo), (status = 404, body = Problem)))]
async fn show_stack_template(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
) -> ApiResult<Json<StackTemplateInfo>> {
    access.require(Permission::Read)?;
    services::catalog::stack_template(&state, &access, &stack)
        .await
        .map(Json)
}

/// Upgrade a stack to the catalog's version of its template: its inputs (generated secrets
/// included) kept, the diff shown, a new stack version written unless `dry_run`.
#[utoipa::path(post, path = "/orgs/{org}/stacks/{stack}/template/upgrade", tag = "catalog",
    request_body = UpgradeTemplateRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 200, body = TemplateUpgrade), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem)))]
async fn upgrade_stack_template(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
    body: Payload<UpgradeTemplateRequest>,
) -> ApiResult<Json<TemplateUpgrade>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    services::catalog::upgrade(&state, &access, &stack, request)
        .await
        .map(Json)
}

/// The server's catalog sources with their last import report (server administrators).
#[utoipa::path(get, path = "/catalog/sources", tag = "catalog",
    responses((status = 200, body = Vec<CatalogSource>), (status = 403, body = Problem)))]
async fn list_sources(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<CatalogSource>>> {
    caller.require_server_admin()?;
    services::catalog::sources::list(&state).await.map(Json)
}

/// Add a catalog source (server administrators): a git repository or the URL of one file,
/// in Coolify, Portainer or WindFlow format. It is fetched and imported first; a source that
/// cannot be fetched is a 422 and nothing is stored.
#[utoipa::path(post, path = "/catalog/sources", tag = "catalog",
    request_body = CreateCatalogSourceRequest,
    responses((status = 201, body = CatalogSource), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_source(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload<CreateCatalogSourceRequest>,
) -> ApiResult<(StatusCode, Json<CatalogSource>)> {
    caller.require_server_admin()?;
    let request = body.parse()?;
    let source = services::catalog::sources::create(&state, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(source)))
}

/// Remove a catalog source and its templates (stacks made from them stay).
#[utoipa::path(delete, path = "/catalog/sources/{name}", tag = "catalog",
    params(("name" = String, Path, description = "Source name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_source(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_server_admin()?;
    services::catalog::sources::delete(&state, &caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Refresh a catalog source now. A failed refresh keeps the previous templates; its error
/// is in the answer.
#[utoipa::path(post, path = "/catalog/sources/{name}/refresh", tag = "catalog",
    params(("name" = String, Path, description = "Source name")),
    responses((status = 200, body = CatalogSource), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn refresh_source(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<CatalogSource>> {
    caller.require_server_admin()?;
    services::catalog::sources::refresh(&state, Some(&caller), &name)
        .await
        .map(Json)
}
