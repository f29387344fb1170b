//! Agents: enrollment tokens and the agents of an organization (`/orgs/{org}/agents…`), the
//! enrollment itself (`POST /agents/enroll`, authenticated by the token in its body) and the
//! agents' WebSocket (`GET /agents/connect`, authenticated by the agent's credential).

use std::net::SocketAddr;

use axum::Json;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::Problem;
use windflow_protocol::agent::{
    Agent, CreateEnrollmentRequest, EnrollRequest, EnrollResponse, Enrollment,
};

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_enrollment))
        .routes(routes!(list_agents))
        .routes(routes!(revoke_agent))
        .routes(routes!(enroll))
        .route("/agents/connect", get(connect))
}

/// Create a single-use enrollment token for a new agent target (admins). Shown once.
#[utoipa::path(post, path = "/orgs/{org}/agents/enrollments", tag = "targets",
    request_body = CreateEnrollmentRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = Enrollment), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_enrollment(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateEnrollmentRequest>,
) -> ApiResult<(StatusCode, Json<Enrollment>)> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let enrollment = services::agents::create_enrollment(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(enrollment)))
}

/// The organization's agents, with their connection state.
#[utoipa::path(get, path = "/orgs/{org}/agents", tag = "targets",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<Agent>), (status = 404, body = Problem)))]
async fn list_agents(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<Agent>>> {
    access.require(Permission::Read)?;
    Ok(Json(services::agents::list(&state, &access).await?))
}

/// Revoke an agent (admins): its credential stops working, its live link closes at once and
/// its target is marked down. The target stays (delete it separately).
#[utoipa::path(delete, path = "/orgs/{org}/agents/{agent}", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("agent" = String, Path, description = "Agent id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn revoke_agent(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    services::agents::revoke(&state, &access, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Trade an enrollment token for an agent identity (called by `windflow agent`). Creates the
/// agent's target. The credential is shown once.
#[utoipa::path(post, path = "/agents/enroll", tag = "targets", request_body = EnrollRequest,
    security(()),
    responses((status = 201, body = EnrollResponse), (status = 403, body = Problem),
        (status = 409, body = Problem)))]
async fn enroll(
    State(state): State<AppState>,
    Json(request): Json<EnrollRequest>,
) -> ApiResult<(StatusCode, Json<EnrollResponse>)> {
    let enrolled = services::agents::enroll(&state, request).await?;
    Ok((StatusCode::CREATED, Json(enrolled)))
}

/// The agents' WebSocket. Authenticated by `Authorization: Bearer <agent credential>`.
async fn connect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let credential = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    let agent = match services::agents::authenticate(&state, credential).await {
        Ok(agent) => agent,
        Err(e) => return e.into_response(),
    };
    let address = Some(peer.ip().to_string());
    // tungstenite zero-fills its whole read buffer (128 KiB by default) on every read, so
    // each idle link would keep 128 KiB resident; agents' messages are small, and a larger
    // frame grows the buffer as needed (bench/agents.sh: 500 idle links, 102 → 48 MiB).
    upgrade
        .read_buffer_size(8 << 10)
        .max_message_size(64 << 20)
        .on_upgrade(move |socket| services::agents::serve(state, agent, socket, address))
}
