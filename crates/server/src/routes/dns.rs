//! `/orgs/{org}/dns`: the DNS providers WindFlow writes records through, and the records it
//! created. Credentials go in, never out.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{CreateDnsProviderRequest, DnsProvider, DnsRecord, Problem};

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_dns_providers, create_dns_provider))
        .routes(routes!(delete_dns_provider))
        .routes(routes!(list_dns_records))
}

/// The organization's DNS providers and the zones each manages (never a credential).
#[utoipa::path(get, path = "/orgs/{org}/dns/providers", tag = "dns",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<DnsProvider>), (status = 404, body = Problem)))]
async fn list_dns_providers(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<DnsProvider>>> {
    access.require(Permission::Read)?;
    services::dns::list(&state, &access).await.map(Json)
}

/// Register a DNS provider. Each zone is listed with the credential first: a wrong key or an
/// unknown zone is a 422 with the provider's message, and nothing is stored.
#[utoipa::path(post, path = "/orgs/{org}/dns/providers", tag = "dns",
    request_body = CreateDnsProviderRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = DnsProvider), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_dns_provider(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateDnsProviderRequest>,
) -> ApiResult<(StatusCode, Json<DnsProvider>)> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    services::dns::create(&state, &access, request)
        .await
        .map(|p| (StatusCode::CREATED, Json(p)))
}

/// Remove a DNS provider; refused (409) while WindFlow holds records through it.
#[utoipa::path(delete, path = "/orgs/{org}/dns/providers/{name}", tag = "dns",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Provider name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn delete_dns_provider(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    services::dns::delete(&state, &access, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The DNS records WindFlow created for deployed stacks (the only ones it changes).
#[utoipa::path(get, path = "/orgs/{org}/dns/records", tag = "dns",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<DnsRecord>), (status = 404, body = Problem)))]
async fn list_dns_records(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<DnsRecord>>> {
    access.require(Permission::Read)?;
    services::dns::records(&state, &access).await.map(Json)
}
