//! `/orgs/{org}/targets/{target}/nodes`: the nodes of a `swarm` target's Swarm (the target
//! inventory of Swarm nodes). Reading needs `Read`.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_engine::swarm;
use windflow_protocol::Problem;
use windflow_storage::TargetKind;

use crate::auth::OrgAccess;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(swarm_nodes))
}

/// One node of a Swarm.
#[derive(Debug, Serialize, ToSchema)]
pub struct SwarmNode {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// `ready`, `down`, ...
    pub state: String,
    pub address: Option<String>,
    pub leader: bool,
    pub engine_version: Option<String>,
    pub os: Option<String>,
    pub arch: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
}

/// The nodes of the Swarm a `swarm` target manages.
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/nodes", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = Vec<SwarmNode>), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 503, body = Problem)))]
async fn swarm_nodes(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, target)): Path<(String, String)>,
) -> ApiResult<Json<Vec<SwarmNode>>> {
    access.require(Permission::Read)?;
    let target = services::targets::find(&state, &access.org.id, &target).await?;
    if target.kind != TargetKind::Swarm {
        return Err(ApiError::Conflict {
            message: format!(
                "target {} is a {} target, not a swarm target",
                target.name,
                target.kind.as_str()
            ),
            field: None,
        });
    }
    // The manager's engine must be this organization's (or shared with it).
    let engine = services::targets::driver(&state, &target)?;
    services::targets::tenancy::guard_engine(&state, &target, &engine, false, Some(&access.caller))
        .await?;
    let driver = crate::services::targets::config::docker_driver(&state.keyring, &target)?;
    let nodes = tokio::time::timeout(Duration::from_secs(15), swarm::nodes(&driver))
        .await
        .map_err(|_| {
            ApiError::Unavailable(format!("target {}: no answer within 15 s", target.name))
        })?
        .map_err(|e| ApiError::Unavailable(format!("target {}: {e}", target.name)))?;
    Ok(Json(
        nodes
            .into_iter()
            .map(|n| SwarmNode {
                id: n.id,
                hostname: n.hostname,
                role: n.role,
                availability: n.availability,
                state: n.state,
                address: n.address,
                leader: n.leader,
                engine_version: n.engine_version,
                os: n.os,
                arch: n.arch,
                labels: n.labels,
            })
            .collect(),
    ))
}
