//! Agents: single-use enrollment tokens, enrollment (which creates the agent's target),
//! revocation, and the live state of each agent's link (kept by `crate::agents`).

use axum::extract::ws::WebSocket;
use serde_json::json;
use windflow_protocol::agent::{
    Agent, CreateEnrollmentRequest, EnrollRequest, EnrollResponse, Enrollment,
};
use windflow_storage::{AgentRecord, NewAgent, NewAgentEnrollment, StoreError, TargetStatus};

use crate::auth::{OrgAccess, credential_hash, new_secret};
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{App, AppState, new_id, now_ms};

/// Prefix of enrollment tokens and agent credentials, so leaked ones are easy to scan for.
const ENROLLMENT_PREFIX: &str = "wfe_";
const CREDENTIAL_PREFIX: &str = "wfa_";

/// Creates a single-use enrollment token for a new agent target; the token is in the answer
/// only.
pub async fn create_enrollment(
    app: &App,
    access: &OrgAccess,
    request: CreateEnrollmentRequest,
) -> ApiResult<Enrollment> {
    services::names::check_name("target", &request.target)?;
    if app
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
    let environment_id = services::organizations::environment_id(
        app,
        &access.org.id,
        request.environment.as_deref(),
    )
    .await?;
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
    app.store
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
        app,
        access,
        "agent.enrollment_create",
        &format!("target/{}", request.target),
        json!({ "ttl_seconds": ttl }),
    )
    .await;
    Ok(Enrollment {
        token,
        target: request.target,
        expires_at: convert::time(expires_at),
    })
}

/// The organization's agents, with the state of their links.
pub async fn list(app: &App, access: &OrgAccess) -> ApiResult<Vec<Agent>> {
    let agents = app.store.list_agents(&access.org.id).await?;
    Ok(agents
        .into_iter()
        .map(|a| {
            let (connected, version, address) = crate::agents::live(&app.agents, &a.id);
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
        .collect())
}

/// Revokes an agent: its credential stops working, its live link closes at once and its
/// target is marked down. The target stays.
pub async fn revoke(app: &App, access: &OrgAccess, id: &str) -> ApiResult<()> {
    let agent = app.store.get_agent(&access.org.id, id).await?;
    app.store.revoke_agent(&access.org.id, id, now_ms()).await?;
    app.agents.revoke(id);
    services::targets::forget_driver(app, &agent.target_id);
    let _ = app
        .store
        .update_target_status(&agent.target_id, TargetStatus::Down, None, now_ms())
        .await;
    services::audit::record_org(
        app,
        access,
        "agent.revoke",
        &format!("target/{}", agent.target_name),
        json!({ "agent": id }),
    )
    .await;
    Ok(())
}

/// Trades an enrollment token for an agent identity and creates the agent's target.
pub async fn enroll(app: &App, request: EnrollRequest) -> ApiResult<EnrollResponse> {
    let credential = format!("{CREDENTIAL_PREFIX}{}", new_secret());
    let agent_id = new_id();
    let version = (!request.version.is_empty()).then(|| request.version.clone());
    let result = app
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
    Ok(EnrollResponse {
        agent_id: agent.id,
        credential,
        org: agent.org_id,
        target: target.name,
    })
}

/// The agent an agent credential (`Authorization: Bearer …`) belongs to.
pub async fn authenticate(app: &App, credential: &str) -> ApiResult<AgentRecord> {
    if credential.is_empty() {
        return Err(ApiError::Unauthenticated);
    }
    app.store
        .find_agent_by_credential(&credential_hash(credential))
        .await?
        .ok_or(ApiError::Unauthenticated)
}

/// Serves an authenticated agent's link until it closes.
pub async fn serve(app: AppState, agent: AgentRecord, socket: WebSocket, address: Option<String>) {
    crate::agents::serve_link(
        app.store.clone(),
        app.agents.clone(),
        agent,
        socket,
        address,
    )
    .await
}
