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
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::Problem;
use windflow_protocol::agent::{
    Agent, CreateEnrollmentRequest, EnrollRequest, EnrollResponse, Enrollment,
};
use windflow_storage::{NewAgent, NewAgentEnrollment, StoreError, TargetStatus};

use super::body::Payload;
use crate::auth::{OrgAccess, credential_hash, new_secret};
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{AppState, new_id, now_ms};

/// Prefix of enrollment tokens and agent credentials, so leaked ones are easy to scan for.
const ENROLLMENT_PREFIX: &str = "wfe_";
const CREDENTIAL_PREFIX: &str = "wfa_";

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
    crate::services::stacks::check_name("target", &request.target)?;
    if state
        .store
        .get_target(&access.org.id, &request.target)
        .await
        .is_ok()
    {
        return Err(ApiError::Conflict {
            message: format!("a target named {} exists already", request.target),
            field: Some("target".into()),
        });
    }
    let environment_id = match &request.environment {
        Some(name) => Some(
            services::organizations::find_environment(&state, &access.org.id, name)
                .await?
                .id,
        ),
        None => None,
    };
    let ttl = request.ttl_seconds.unwrap_or(3600);
    if !(60..=7 * 24 * 3600).contains(&ttl) {
        return Err(ApiError::invalid(
            "ttl_seconds",
            "must be between 60 and 604800",
        ));
    }
    let token = format!("{ENROLLMENT_PREFIX}{}", new_secret());
    let now = now_ms();
    let expires_at = now + ttl as i64 * 1000;
    state
        .store
        .create_agent_enrollment(NewAgentEnrollment {
            id: new_id(),
            org_id: access.org.id.clone(),
            hash: credential_hash(&token),
            target_name: request.target.clone(),
            environment_id,
            labels: request.labels,
            created_by: access.caller.user.id.clone(),
            expires_at,
            created_at: now,
        })
        .await?;
    services::audit::record_org(
        &state,
        &access,
        "agent.enrollment_create",
        &format!("target/{}", request.target),
        json!({ "ttl_seconds": ttl }),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(Enrollment {
            token,
            target: request.target,
            expires_at: convert::time(expires_at),
        }),
    ))
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
    let agents = state.store.list_agents(&access.org.id).await?;
    Ok(Json(
        agents
            .into_iter()
            .map(|a| {
                let (connected, version, address) = crate::agents::live(&state, &a.id);
                Agent {
                    connected,
                    version: version.or(a.version),
                    address: address.or(a.address),
                    last_seen_at: convert::opt_time(a.last_seen_at),
                    revoked: a.revoked_at.is_some(),
                    created_at: convert::time(a.created_at),
                    target: a.target_name,
                    id: a.id,
                }
            })
            .collect(),
    ))
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
    let agent = state.store.get_agent(&access.org.id, &id).await?;
    state
        .store
        .revoke_agent(&access.org.id, &id, now_ms())
        .await?;
    state.agents.revoke(&id);
    services::targets::forget_driver(&state, &agent.target_id);
    let _ = state
        .store
        .update_target_status(&agent.target_id, TargetStatus::Down, None, now_ms())
        .await;
    services::audit::record_org(
        &state,
        &access,
        "agent.revoke",
        &format!("target/{}", agent.target_name),
        json!({ "agent": id }),
    )
    .await;
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
    let credential = format!("{CREDENTIAL_PREFIX}{}", new_secret());
    let agent_id = new_id();
    let version = (!request.version.is_empty()).then(|| request.version.clone());
    let result = state
        .store
        .enroll_agent(
            &credential_hash(&request.token),
            NewAgent {
                id: agent_id.clone(),
                target_id: new_id(),
                credential_hash: credential_hash(&credential),
                version,
                created_at: now_ms(),
            },
            now_ms(),
        )
        .await;
    let (agent, target) = match result {
        Ok(done) => done,
        Err(StoreError::NotFound(_)) => {
            return Err(ApiError::Forbidden(
                "the enrollment token is unknown, used or expired; create a new one (POST /api/v1/orgs/{org}/agents/enrollments)".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(agent = %agent.id, target = %target.name, hostname = %request.hostname, "agent enrolled");
    Ok((
        StatusCode::CREATED,
        Json(EnrollResponse {
            agent_id: agent.id,
            credential,
            org: agent.org_id,
            target: target.name,
        }),
    ))
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
    if credential.is_empty() {
        return ApiError::Unauthenticated.into_response();
    }
    let agent = match state
        .store
        .find_agent_by_credential(&credential_hash(credential))
        .await
    {
        Ok(Some(agent)) => agent,
        Ok(None) => return ApiError::Unauthenticated.into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let address = Some(peer.ip().to_string());
    // tungstenite zero-fills its whole read buffer (128 KiB by default) on every read, so
    // each idle link would keep 128 KiB resident; agents' messages are small, and a larger
    // frame grows the buffer as needed (bench/agents.sh: 500 idle links, 102 → 48 MiB).
    upgrade
        .read_buffer_size(8 << 10)
        .max_message_size(64 << 20)
        .on_upgrade(move |socket| crate::agents::serve_link(state, agent, socket, address))
}
