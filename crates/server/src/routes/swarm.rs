//! `/orgs/{org}/targets/{target}/nodes`: the nodes of a `swarm` target's Swarm (the target
//! inventory of Swarm nodes). Reading needs `Read`.

use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{Problem, SwarmNode};

use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(swarm_nodes))
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
    Ok(Json(
        services::swarm::nodes(&state, &access, &target).await?,
    ))
}
