//! `/orgs/{org}/targets/{target}/…`: what a target's engine holds (inventory), containers'
//! live CPU and memory, a container's inspect JSON and log, and start/stop/restart. Reading
//! needs `Read`; acting on a container needs `Deploy` and is audited.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_engine::driver::{Driver, DriverError, LogOptions, LogStream};
use windflow_engine::inventory as engine;
use windflow_protocol::inventory::{
    ContainerAction, ContainerLogQuery, ContainerStats, Inventory, InventoryContainer,
    InventoryImage, InventoryNetwork, InventoryVolume, PortMapping,
};
use windflow_protocol::{LogLine, Problem};

use crate::auth::OrgAccess;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(target_inventory))
        .routes(routes!(target_stats))
        .routes(routes!(inspect_container))
        .routes(routes!(container_action))
        .routes(routes!(container_logs))
}

/// How long one engine call of these endpoints may take before the answer is a 503.
const ENGINE_TIMEOUT: Duration = Duration::from_secs(15);

fn engine_error(target: &str, e: DriverError) -> ApiError {
    match e {
        DriverError::NotFound { resource } => ApiError::NotFound(format!("{resource} on {target}")),
        other => ApiError::Unavailable(format!("target {target}: {other}")),
    }
}

async fn bounded<T>(
    target: &str,
    call: impl std::future::Future<Output = Result<T, DriverError>>,
) -> ApiResult<T> {
    match tokio::time::timeout(ENGINE_TIMEOUT, call).await {
        Ok(result) => result.map_err(|e| engine_error(target, e)),
        Err(_) => Err(ApiError::Unavailable(format!(
            "target {target}: no answer within {} s",
            ENGINE_TIMEOUT.as_secs()
        ))),
    }
}

/// Resolves the target of the path and its driver.
async fn target_driver(
    state: &AppState,
    access: &OrgAccess,
    target: &str,
) -> ApiResult<(String, std::sync::Arc<dyn Driver>)> {
    let target = state.find_target(&access.org.id, target).await?;
    let driver = state.driver(&target)?;
    Ok((target.name, driver))
}

/// A container id or name as the engine accepts it: no path separators or query syntax.
fn container_ref(container: &str) -> ApiResult<&str> {
    let ok = !container.is_empty()
        && container.len() <= 128
        && container
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(container)
    } else {
        Err(ApiError::NotFound(format!("container {container:?}")))
    }
}

/// Every container (with its stack and service), image, network and volume on the target.
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
    let (target, driver) = target_driver(&state, &access, &target).await?;
    let inventory = bounded(&target, driver.inventory()).await?;
    Ok(Json(wire_inventory(inventory)))
}

/// CPU and memory of every running container of the target (one sample each, taken in
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
    let (target, driver) = target_driver(&state, &access, &target).await?;
    let inventory = bounded(&target, driver.inventory()).await?;
    let running: Vec<String> = inventory
        .containers
        .into_iter()
        .filter(|c| c.state == windflow_domain::observed::ContainerState::Running)
        .map(|c| c.id)
        .collect();
    let samples = futures::stream::iter(running)
        .map(|id| {
            let driver = driver.clone();
            async move { tokio::time::timeout(ENGINE_TIMEOUT, driver.container_stats(&id)).await }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    // A container that stopped between the listing and its sample is simply left out.
    let mut stats: Vec<ContainerStats> = samples
        .into_iter()
        .filter_map(|s| s.ok()?.ok())
        .map(|s| ContainerStats {
            id: s.id,
            cpu_percent: s.cpu_percent,
            memory_bytes: s.memory_bytes,
            memory_limit_bytes: s.memory_limit_bytes,
        })
        .collect();
    stats.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Json(stats))
}

/// The engine's full description of a container (its own JSON, as `docker inspect` shows it).
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
    let container = container_ref(&container)?;
    let (target, driver) = target_driver(&state, &access, &target).await?;
    Ok(Json(
        bounded(&target, driver.inspect_container(container)).await?,
    ))
}

/// Start, stop or restart a container.
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
    access.require(Permission::Deploy)?;
    let container = container_ref(&container)?;
    let (target, driver) = target_driver(&state, &access, &target).await?;
    let timeout = Some(Duration::from_secs(10));
    let result = match action {
        ContainerAction::Start => bounded(&target, driver.start_container(container)).await,
        ContainerAction::Stop => bounded(&target, driver.stop_container(container, timeout)).await,
        ContainerAction::Restart => {
            bounded(&target, driver.restart_container(container, timeout)).await
        }
    };
    state
        .audit_org(
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
/// with `follow`); without `follow` the stream ends with an `end` event.
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
    let container = container_ref(&container)?.to_string();
    let (target, driver) = target_driver(&state, &access, &target).await?;
    let status = bounded(&target, driver.container_status(&container)).await?;
    let service = bounded(&target, driver.inspect_container(&container))
        .await?
        .pointer("/Config/Labels/com.docker.compose.service")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let options = LogOptions {
        follow: query.follow,
        tail: Some(query.tail.unwrap_or(200)),
        since: None,
        timestamps: false,
    };
    let lines = driver
        .logs(&status.id, options)
        .await
        .map_err(|e| engine_error(&target, e))?;
    let name = status.name;
    let events = lines
        .filter_map(move |line| {
            let payload = line.ok().map(|line| LogLine {
                container: name.clone(),
                service: service.clone(),
                stream: match line.stream {
                    LogStream::Stdout => "stdout".into(),
                    LogStream::Stderr => "stderr".into(),
                },
                text: line.text,
            });
            async move { SseEvent::default().event("log").json_data(payload?).ok() }
        })
        .chain(futures::stream::once(async {
            SseEvent::default().event("end").data("{}")
        }))
        .map(Ok);
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

fn wire_inventory(inventory: engine::Inventory) -> Inventory {
    Inventory {
        containers: inventory
            .containers
            .into_iter()
            .map(|c| InventoryContainer {
                id: c.id,
                name: c.name,
                image: c.image,
                state: c.state.as_str().to_string(),
                status: c.status,
                stack: c.project,
                service: c.service,
                ports: c
                    .ports
                    .into_iter()
                    .map(|p| PortMapping {
                        host_ip: p.host_ip,
                        host_port: p.host_port,
                        container_port: p.container_port,
                        protocol: p.protocol,
                    })
                    .collect(),
                created: c.created,
            })
            .collect(),
        images: inventory
            .images
            .into_iter()
            .map(|i| InventoryImage {
                id: i.id,
                tags: i.tags,
                size_bytes: i.size_bytes,
                created: i.created,
                containers: i.containers,
            })
            .collect(),
        networks: inventory
            .networks
            .into_iter()
            .map(|n| InventoryNetwork {
                id: n.id,
                name: n.name,
                driver: n.driver,
                scope: n.scope,
                internal: n.internal,
                stack: n.project,
            })
            .collect(),
        volumes: inventory
            .volumes
            .into_iter()
            .map(|v| InventoryVolume {
                name: v.name,
                driver: v.driver,
                mountpoint: v.mountpoint,
                stack: v.project,
            })
            .collect(),
    }
}
