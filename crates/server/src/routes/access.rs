//! `/orgs/{org}/teams`, `/roles`, `/grants` and `/service-accounts`: teams of members, custom
//! roles, roles granted on the organization, an environment or a stack, and service accounts
//! with their API tokens. Reading needs viewer; changing needs owner (member management).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    ApiToken, CreateCustomRoleRequest, CreateGrantRequest, CreateServiceAccountRequest,
    CreateTeamRequest, CreateTokenRequest, CreatedToken, CustomRole, Problem, RoleGrant,
    ServiceAccount, Team,
};

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(delete_team))
        .routes(routes!(add_team_member, remove_team_member))
        .routes(routes!(list_roles, create_role))
        .routes(routes!(delete_role))
        .routes(routes!(list_grants, create_grant))
        .routes(routes!(delete_grant))
        .routes(routes!(list_service_accounts, create_service_account))
        .routes(routes!(delete_service_account))
        .routes(routes!(
            list_service_account_tokens,
            create_service_account_token
        ))
        .routes(routes!(revoke_service_account_token))
}

/// The organization's teams and their members.
#[utoipa::path(get, path = "/orgs/{org}/teams", tag = "access",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<Team>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_teams(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<Team>>> {
    access.require(Permission::Read)?;
    let teams = services::access::teams(&state, &access).await?;
    Ok(Json(teams))
}

/// Create a team (owners). Roles granted to a team hold for each of its members.
#[utoipa::path(post, path = "/orgs/{org}/teams", tag = "access", request_body = CreateTeamRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = Team), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_team(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateTeamRequest>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    access.require(Permission::ManageMembers)?;
    let request = body.parse()?;
    let team = services::access::create_team(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

/// Delete a team (owners); the roles granted to it go with it.
#[utoipa::path(delete, path = "/orgs/{org}/teams/{team}", tag = "access",
    params(("org" = String, Path, description = "Organization slug"),
        ("team" = String, Path, description = "Team name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_team(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, team)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::ManageMembers)?;
    services::access::delete_team(&state, &access, &team).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a member of the organization to a team (owners).
#[utoipa::path(put, path = "/orgs/{org}/teams/{team}/members/{user}", tag = "access",
    params(("org" = String, Path, description = "Organization slug"),
        ("team" = String, Path, description = "Team name"),
        ("user" = String, Path, description = "User name")),
    responses((status = 200, body = Team), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_team_member(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, team, user)): Path<(String, String, String)>,
) -> ApiResult<Json<Team>> {
    access.require(Permission::ManageMembers)?;
    let team = services::access::add_team_member(&state, &access, &team, &user).await?;
    Ok(Json(team))
}

/// Remove a user from a team (owners).
#[utoipa::path(delete, path = "/orgs/{org}/teams/{team}/members/{user}", tag = "access",
    params(("org" = String, Path, description = "Organization slug"),
        ("team" = String, Path, description = "Team name"),
        ("user" = String, Path, description = "User name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn remove_team_member(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, team, user)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::ManageMembers)?;
    services::access::remove_team_member(&state, &access, &team, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's custom roles.
#[utoipa::path(get, path = "/orgs/{org}/roles", tag = "access",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<CustomRole>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_roles(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<CustomRole>>> {
    access.require(Permission::Read)?;
    let roles = services::access::roles(&state, &access).await?;
    Ok(Json(roles))
}

/// Create a custom role from permissions (owners).
#[utoipa::path(post, path = "/orgs/{org}/roles", tag = "access", request_body = CreateCustomRoleRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = CustomRole), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_role(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateCustomRoleRequest>,
) -> ApiResult<(StatusCode, Json<CustomRole>)> {
    access.require(Permission::ManageMembers)?;
    let request = body.parse()?;
    let role = services::access::create_role(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(role)))
}

/// Delete a custom role (owners); every grant of it goes.
#[utoipa::path(delete, path = "/orgs/{org}/roles/{role}", tag = "access",
    params(("org" = String, Path, description = "Organization slug"),
        ("role" = String, Path, description = "Custom role name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_role(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, role)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::ManageMembers)?;
    services::access::delete_role(&state, &access, &role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every role granted to users and teams on the organization, its environments and its stacks.
#[utoipa::path(get, path = "/orgs/{org}/grants", tag = "access",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<RoleGrant>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_grants(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<RoleGrant>>> {
    access.require(Permission::Read)?;
    let grants = services::access::grants(&state, &access).await?;
    Ok(Json(grants))
}

/// Grant a role to a user or a team on the organization (teams), an environment or a stack (owners). Grants add to the membership role; they never narrow it.
#[utoipa::path(post, path = "/orgs/{org}/grants", tag = "access", request_body = CreateGrantRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = RoleGrant), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_grant(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateGrantRequest>,
) -> ApiResult<(StatusCode, Json<RoleGrant>)> {
    access.require(Permission::ManageMembers)?;
    let request = body.parse()?;
    let grant = services::access::create_grant(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(grant)))
}

/// Revoke a grant (owners); it stops counting at once.
#[utoipa::path(delete, path = "/orgs/{org}/grants/{id}", tag = "access",
    params(("org" = String, Path, description = "Organization slug"),
        ("id" = String, Path, description = "Grant id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_grant(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::ManageMembers)?;
    services::access::delete_grant(&state, &access, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's service accounts.
#[utoipa::path(get, path = "/orgs/{org}/service-accounts", tag = "access",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<ServiceAccount>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_service_accounts(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<ServiceAccount>>> {
    access.require(Permission::Read)?;
    let accounts = services::access::service_accounts(&state, &access).await?;
    Ok(Json(accounts))
}

/// Create a service account (owners): a member that never logs in and acts through API tokens, for CI. Grant it roles on environments or stacks like any member.
#[utoipa::path(post, path = "/orgs/{org}/service-accounts", tag = "access", request_body = CreateServiceAccountRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = ServiceAccount), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_service_account(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateServiceAccountRequest>,
) -> ApiResult<(StatusCode, Json<ServiceAccount>)> {
    access.require(Permission::ManageMembers)?;
    let request = body.parse()?;
    let account = services::access::create_service_account(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// Delete a service account (owners): its tokens stop working at once.
#[utoipa::path(delete, path = "/orgs/{org}/service-accounts/{name}", tag = "access",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Service account name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_service_account(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::ManageMembers)?;
    services::access::delete_service_account(&state, &access, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A service account's API tokens (never their secrets; owners).
#[utoipa::path(get, path = "/orgs/{org}/service-accounts/{name}/tokens", tag = "access",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Service account name")),
    responses((status = 200, body = Vec<ApiToken>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_service_account_tokens(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<Vec<ApiToken>>> {
    access.require(Permission::ManageMembers)?;
    let tokens = services::access::service_account_tokens(&state, &access, &name).await?;
    Ok(Json(tokens))
}

/// Create an API token for a service account (owners). Its secret is in this answer only.
#[utoipa::path(post, path = "/orgs/{org}/service-accounts/{name}/tokens", tag = "access", request_body = CreateTokenRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Service account name")),
    responses((status = 201, body = CreatedToken), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_service_account_token(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    access.require(Permission::ManageMembers)?;
    let request = body.parse()?;
    let created =
        services::access::create_service_account_token(&state, &access, &name, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revoke a service account's token (owners); it stops working at once.
#[utoipa::path(delete, path = "/orgs/{org}/service-accounts/{name}/tokens/{id}", tag = "access",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Service account name"),
        ("id" = String, Path, description = "Token id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn revoke_service_account_token(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::ManageMembers)?;
    services::access::revoke_service_account_token(&state, &access, &name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
