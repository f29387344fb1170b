//! Swarm targets: the nodes of the Swarm a `swarm` target manages.

use std::time::Duration;

use windflow_engine::swarm;
use windflow_protocol::SwarmNode;
use windflow_storage::TargetKind;

use crate::auth::OrgAccess;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::App;

/// The nodes of the Swarm the target called `target` manages; its manager's engine must be
/// the organization's (or shared with it).
pub async fn nodes(app: &App, access: &OrgAccess, target: &str) -> ApiResult<Vec<SwarmNode>> {
    let target = services::targets::find(app, &access.org.id, target).await?;
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
    let engine = services::targets::driver(app, &target)?;
    services::targets::tenancy::guard_engine(app, &target, &engine, false, Some(&access.caller))
        .await?;
    let driver = services::targets::config::docker_driver(&app.keyring, &target)?;
    let nodes = tokio::time::timeout(Duration::from_secs(15), swarm::nodes(&driver))
        .await
        .map_err(|_| {
            ApiError::Unavailable(format!("target {}: no answer within 15 s", target.name))
        })?
        .map_err(|e| ApiError::Unavailable(format!("target {}: {e}", target.name)))?;
    Ok(nodes)
}
