//! `/orgs/{org}/targets/{target}/…`: what a target's engine holds of the organization's
//! stacks (inventory), their containers' live CPU and memory, a container's inspect JSON and
//! log, and start/stop/restart. Reading needs `Read`; acting on a container needs `Deploy`
//! and is audited. What the organization may see is decided in `crate::services::containers`.

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::Problem;
use windflow_protocol::inventory::{ContainerAction, ContainerLogQuery, ContainerStats, Inventory};

use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(target_inventory))
        .routes(routes!(target_stats))
        .routes(routes!(inspect_container))
        .routes(routes!(container_action))
        .routes(routes!(container_logs))
}

/// The containers of the organization's stacks on the target (with their stack and
/// service), the networks and volumes of those stacks, and images (all of them on an engine
/// only this organization uses, else those its containers run).
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/inventory", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = Inventory), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
async fn target_inventory(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, target)): Path<(String, String)>,
) -> ApiResult<Json<Inventory>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::containers::target_inventory(&state, &access, &target).await?,
    ))
}

/// CPU and memory of every running container of the organization's stacks on the target (one sample each, taken in
/// parallel; the answer takes about the engine's sampling interval, ~1 s).
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/stats", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = Vec<ContainerStats>), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
async fn target_stats(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, target)): Path<(String, String)>,
) -> ApiResult<Json<Vec<ContainerStats>>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::containers::target_stats(&state, &access, &target).await?,
    ))
}

/// The engine's full description of a container of the organization's stacks (its own
/// JSON, as `docker inspect` shows it), with the organization's secret values masked and,
/// for viewers, every environment value masked (names kept).
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/containers/{container}", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name"),
        ("container" = String, Path, description = "Container id or name")),
    responses((status = 200, body = Object), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
async fn inspect_container(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, target, container)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::containers::inspect_container(&state, &access, &target, &container).await?,
    ))
}

/// Start, stop or restart a container of the organization's stacks.
#[utoipa::path(post, path = "/orgs/{org}/targets/{target}/containers/{container}/{action}", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name"),
        ("container" = String, Path, description = "Container id or name"),
        ("action" = String, Path, description = "`start`, `stop` or `restart`")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
async fn container_action(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, target, container, action)): Path<(String, String, String, ContainerAction)>,
) -> ApiResult<StatusCode> {
    // The container's stack and its target's environment are checked once it is read.
    access.require_somewhere(Permission::Deploy)?;
    let result =
        services::containers::act_on_container(&state, &access, &target, &container, action).await;
    services::audit::record_org(
        &state,
        &access,
        &format!("container.{}", action.as_str()),
        &format!("target/{target}/container/{container}"),
        json!({ "ok": result.is_ok() }),
    )
    .await;
    result?;
    Ok(StatusCode::NO_CONTENT)
}

/// A container's log as `log` events whose data is a `LogLine` (`tail` lines, then new ones
/// with `follow`), the organization's secret values masked; without `follow` the stream ends
/// with an `end` event.
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/containers/{container}/logs", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name"),
        ("container" = String, Path, description = "Container id or name"), ContainerLogQuery),
    responses((status = 200, description = "text/event-stream of LogLine", content_type = "text/event-stream"),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
async fn container_logs(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, target, container)): Path<(String, String, String)>,
    Query(query): Query<ContainerLogQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    access.require(Permission::Read)?;
    let lines = services::containers::container_logs(
        &state,
        &access,
        &target,
        &container,
        query.follow,
        query.tail.unwrap_or(200),
    )
    .await?;
    Ok(sse_log(lines))
}

/// Log lines as `log` events, then an `end` event.
pub fn sse_log(
    lines: impl Stream<Item = windflow_protocol::LogLine> + Send + 'static,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let events = lines
        .filter_map(|line| async move { SseEvent::default().event("log").json_data(line).ok() })
        .chain(futures::stream::once(async {
            SseEvent::default().event("end").data("{}")
        }))
        .map(Ok);
    Sse::new(events).keep_alive(KeepAlive::default())
}
