//! `/orgs/{org}/dns`: the DNS providers WindFlow writes records through, and the records it
//! created. Credentials go in, never out.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{CreateDnsProviderRequest, DnsProvider, DnsRecord, DnsZone, Problem};

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
        .routes(routes!(check_dns_records))
        .routes(routes!(list_dns_zones))
        .routes(routes!(enable_dnssec))
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

/// The DNS records WindFlow created for deployed stacks (the only ones it changes), each with
/// its last health check against the zone's authoritative servers (every 5 minutes).
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

/// Check every record against the zone's authoritative servers now; the records with their
/// new health. A new mismatch (or a recovery) is recorded in the audit log.
#[utoipa::path(post, path = "/orgs/{org}/dns/records/check", tag = "dns",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<DnsRecord>), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn check_dns_records(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<DnsRecord>>> {
    access.require(Permission::Deploy)?;
    services::dns::check_now(&state, &access).await.map(Json)
}

/// Every zone of the organization's DNS providers with its DNSSEC state: keys, and the DS
/// records to hand to the registrar. A provider that cannot be reached gives its zones an
/// `error` instead.
#[utoipa::path(get, path = "/orgs/{org}/dns/zones", tag = "dns",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<DnsZone>), (status = 404, body = Problem)))]
async fn list_dns_zones(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<DnsZone>>> {
    access.require(Permission::Read)?;
    services::dns::zones(&state, &access).await.map(Json)
}

/// Turn DNSSEC signing on for a zone. PowerDNS gets a key through its API; an RFC 2136
/// server cannot be told to sign, so an unsigned zone there is a 422 saying what to set on
/// the server (a zone it signs already is reported as it is). Returns the zone's state with
/// the DS records for the registrar.
#[utoipa::path(post, path = "/orgs/{org}/dns/zones/{zone}/dnssec", tag = "dns",
    params(("org" = String, Path, description = "Organization slug"),
        ("zone" = String, Path, description = "The zone (`example.com`)")),
    responses((status = 200, body = DnsZone), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 502, body = Problem)))]
async fn enable_dnssec(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, zone)): Path<(String, String)>,
) -> ApiResult<Json<DnsZone>> {
    access.require(Permission::Configure)?;
    services::dns::enable_dnssec(&state, &access, &zone)
        .await
        .map(Json)
}
