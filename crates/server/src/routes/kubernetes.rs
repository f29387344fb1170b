//! `/orgs/{org}/targets/{target}/kubernetes`: what WindFlow runs on a `kubernetes` target's
//! cluster — its stacks' namespaces, workloads and pods — and a pod's log. Reading needs
//! `Read`; only WindFlow's own stacks are shown.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{KubeStack, Problem};

use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(kubernetes_stacks))
        .routes(routes!(kubernetes_pod_log))
}

/// The WindFlow stacks on a `kubernetes` target: each namespace with its workloads and pods.
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/kubernetes", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = Vec<KubeStack>), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)))]
async fn kubernetes_stacks(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, target)): Path<(String, String)>,
) -> ApiResult<Json<Vec<KubeStack>>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::targets::kubernetes::stacks(&state, &access, &target).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogQuery {
    /// Lines from the end of the log (default 200, at most 5000).
    tail: Option<i64>,
}

/// The end of a pod's log (with timestamps), for a pod of a WindFlow stack on the target.
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/kubernetes/namespaces/{namespace}/pods/{pod}/log", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name"),
        ("namespace" = String, Path, description = "The stack's namespace"),
        ("pod" = String, Path, description = "Pod name"), LogQuery),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
async fn kubernetes_pod_log(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, target, namespace, pod)): Path<(String, String, String, String)>,
    Query(query): Query<LogQuery>,
) -> ApiResult<String> {
    access.require(Permission::Read)?;
    let tail = query.tail.unwrap_or(200).clamp(1, 5000);
    services::targets::kubernetes::pod_log(&state, &access, &target, &namespace, &pod, tail).await
}
