//! `/orgs/{org}/certificates`: the certificates the gateways serve — uploaded, or issued
//! through ACME. Keys go in, never out.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{Certificate, Problem, UploadCertificateRequest};

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_certificates))
        .routes(routes!(upload_certificate, delete_certificate))
        .routes(routes!(renew_certificate))
}

/// Renew an ACME certificate now (it is renewed on its own at two thirds of its lifetime);
/// the current one keeps serving if the renewal fails.
#[utoipa::path(post, path = "/orgs/{org}/certificates/{name}/renew", tag = "certificates",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Certificate name")),
    responses((status = 200, body = Certificate), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 502, body = Problem)))]
async fn renew_certificate(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<Certificate>> {
    access.require(Permission::Configure)?;
    services::certificates::renew(&state, &access, &name)
        .await
        .map(Json)
}

/// The organization's certificates with their expiry and renewal state (never a key).
#[utoipa::path(get, path = "/orgs/{org}/certificates", tag = "certificates",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<Certificate>), (status = 404, body = Problem)))]
async fn list_certificates(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<Certificate>>> {
    access.require(Permission::Read)?;
    services::certificates::list(&state, &access)
        .await
        .map(Json)
}

/// Store a certificate under a name (what `tls:` names): its chain, leaf first, and its key,
/// checked before anything is stored.
#[utoipa::path(put, path = "/orgs/{org}/certificates/{name}", tag = "certificates",
    request_body = UploadCertificateRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Certificate name")),
    responses((status = 200, body = Certificate), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn upload_certificate(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<UploadCertificateRequest>,
) -> ApiResult<Json<Certificate>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    services::certificates::upload(&state, &access, &name, request)
        .await
        .map(Json)
}

/// Delete a certificate.
#[utoipa::path(delete, path = "/orgs/{org}/certificates/{name}", tag = "certificates",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Certificate name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_certificate(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    services::certificates::delete(&state, &access, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
