//! What an organization sees of, and does to, the containers on its targets' engines: the
//! inventory, live stats, inspect, start/stop/restart and logs (of one container or of a
//! stack). The handlers in `routes::containers` and `routes::logs` authorize and call one
//! function here.
//!
//! *Invariants:*
//! - every call first checks that the target's engine is the organization's
//!   (`tenancy::guard_engine`: its engine ID is not owned by another organization, unless a
//!   server administrator shared it);
//! - an organization sees and acts only on the containers of its own stacks: a container
//!   belongs to the organization when its `com.docker.compose.project` label (or, for a Swarm
//!   task, `com.docker.stack.namespace`) names one of the organization's stacks; any other
//!   container answers exactly as a missing one does. The inventory lists only those
//!   containers and the networks and volumes of those projects; images are listed whole only
//!   on an engine no other organization reaches, else only the images of the listed
//!   containers;
//! - the organization's secret values are masked in everything returned (inspect JSON, log
//!   lines); for a role that may not deploy (viewer) every environment value of an inspected
//!   container is masked too, names kept.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use serde_json::Value;
use windflow_domain::access::{Permission, Resource};
use windflow_domain::naming::{LABEL_PROJECT, LABEL_SERVICE};
use windflow_engine::driver::{Driver, DriverError, LogOptions, LogStream};
use windflow_engine::inventory as engine;
use windflow_protocol::LogLine;
use windflow_protocol::inventory::{
    ContainerAction, ContainerStats, Inventory, InventoryContainer, InventoryImage,
    InventoryNetwork, InventoryVolume, PortMapping,
};
use windflow_storage::{PageRequest, StackFilter, Target};

use crate::auth::{On, OrgAccess};
use crate::error::{ApiError, ApiResult};
use crate::secrets::{mask_text, mask_value, maskable};
use crate::services;
use crate::state::App;
use services::targets::tenancy::EngineTenancy;

/// The label Swarm task containers carry their stack in.
const LABEL_STACK_NAMESPACE: &str = windflow_engine::swarm::spec::LABEL_STACK_NAMESPACE;

/// How long one engine call of these endpoints may take before the answer is a 503.
const ENGINE_TIMEOUT: Duration = Duration::from_secs(15);

/// What replaces an environment value a viewer may not read.
pub const ENV_MASK: &str = "••••••";

/// What the organization may see on one engine: its stacks (compose projects) and the secret
/// values to mask.
struct OrgView {
    target: Target,
    driver: Arc<dyn Driver>,
    tenancy: EngineTenancy,
    stacks: HashSet<String>,
    secrets: Vec<String>,
}

impl OrgView {
    fn owns(&self, project: Option<&str>) -> bool {
        project.is_some_and(|p| self.stacks.contains(p))
    }

    /// The same answer for a container that does not exist and one of another organization.
    fn not_found(&self, container: &str) -> ApiError {
        ApiError::NotFound(format!("container {container} on {}", self.target.name))
    }

    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, DriverError>>,
    ) -> ApiResult<T> {
        bounded(&self.target.name, call).await
    }

    /// The inspect JSON of a container of the organization's stacks; 404 otherwise.
    async fn own_container(&self, container: &str) -> ApiResult<Value> {
        let container = container_ref(container)?;
        let inspect = match self.bounded(self.driver.inspect_container(container)).await {
            Err(ApiError::NotFound(_)) => return Err(self.not_found(container)),
            other => other?,
        };
        if self.owns(container_project(&inspect)) {
            Ok(inspect)
        } else {
            Err(self.not_found(container))
        }
    }
}

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

/// The stack an inspected container belongs to: its compose project, or its Swarm stack.
fn container_project(inspect: &Value) -> Option<&str> {
    let labels = inspect.pointer("/Config/Labels")?;
    labels
        .get(LABEL_PROJECT)
        .or_else(|| labels.get(LABEL_STACK_NAMESPACE))
        .and_then(Value::as_str)
}

/// The inspect JSON as the caller may see it: secret values masked everywhere, and every
/// environment value masked when `reveal_environment` is false.
fn masked_inspect(mut inspect: Value, secrets: &[String], reveal_environment: bool) -> Value {
    if let Some(env) = inspect
        .pointer_mut("/Config/Env")
        .and_then(Value::as_array_mut)
    {
        for entry in env.iter_mut() {
            let Some(text) = entry.as_str() else { continue };
            if let Some((name, value)) = text.split_once('=') {
                let secret = secrets.iter().any(|s| value.contains(s.as_str()));
                if !reveal_environment || secret {
                    *entry = Value::String(format!("{name}={ENV_MASK}"));
                }
            }
        }
    }
    mask_value(inspect, secrets)
}

/// The organization's view of a target's engine, after checking the engine is its own.
async fn org_view(app: &App, access: &OrgAccess, target: &str) -> ApiResult<OrgView> {
    let org = &access.org.id;
    let target = services::targets::find(app, org, target).await?;
    let driver = services::targets::driver(app, &target)?;
    let tenancy = services::targets::tenancy::guard_engine(
        app,
        &target,
        &driver,
        false,
        Some(&access.caller),
    )
    .await?;
    Ok(OrgView {
        target,
        driver,
        tenancy,
        stacks: org_stack_names(app, org).await?,
        secrets: org_secret_values(app, org).await?,
    })
}

async fn org_stack_names(app: &App, org_id: &str) -> ApiResult<HashSet<String>> {
    let mut names = HashSet::new();
    let mut offset = 0;
    loop {
        let page = app
            .store
            .list_stacks(
                org_id,
                &StackFilter::default(),
                PageRequest::new(500, offset),
            )
            .await?;
        let count = page.items.len() as i64;
        names.extend(page.items.into_iter().map(|s| s.name));
        offset += count;
        if count == 0 || offset >= page.total {
            return Ok(names);
        }
    }
}

/// The organization's secret values, decrypted here only to mask them.
pub async fn org_secret_values(app: &App, org_id: &str) -> ApiResult<Vec<String>> {
    let mut values = Vec::new();
    for variable in app.store.list_org_secrets(org_id).await? {
        values.push(app.keyring.reveal(&variable).map_err(ApiError::internal)?);
    }
    Ok(maskable(values))
}

/// The containers of the organization's stacks on the target, the networks and volumes
/// of those stacks, and the images (all of them on an engine the organization has to
/// itself, else those its containers use).
pub async fn target_inventory(app: &App, access: &OrgAccess, target: &str) -> ApiResult<Inventory> {
    let view = org_view(app, access, target).await?;
    let inventory = view.bounded(view.driver.inventory()).await?;
    Ok(wire_inventory(own_inventory(inventory, &view)))
}

/// CPU and memory of every running container of the organization's stacks on the target.
pub async fn target_stats(
    app: &App,
    access: &OrgAccess,
    target: &str,
) -> ApiResult<Vec<ContainerStats>> {
    let view = org_view(app, access, target).await?;
    let inventory = view.bounded(view.driver.inventory()).await?;
    let running: Vec<String> = inventory
        .containers
        .into_iter()
        .filter(|c| c.state == windflow_domain::observed::ContainerState::Running)
        .filter(|c| view.owns(c.project.as_deref()))
        .map(|c| c.id)
        .collect();
    let driver = view.driver.clone();
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
    Ok(stats)
}

/// The engine's description of a container of the organization's stacks, masked for
/// the caller's role.
pub async fn inspect_container(
    app: &App,
    access: &OrgAccess,
    target: &str,
    container: &str,
) -> ApiResult<Value> {
    let view = org_view(app, access, target).await?;
    let inspect = view.own_container(container).await?;
    let reveal = access.grants.allows(Permission::Deploy);
    Ok(masked_inspect(inspect, &view.secrets, reveal))
}

/// Starts, stops or restarts a container of the organization's stacks.
pub async fn act_on_container(
    app: &App,
    access: &OrgAccess,
    target: &str,
    container: &str,
    action: ContainerAction,
) -> ApiResult<()> {
    let view = org_view(app, access, target).await?;
    let inspect = view.own_container(container).await?;
    if !access.grants.allows(Permission::Deploy) {
        let stack = match container_project(&inspect) {
            Some(name) => Some(services::stacks::find(app, &access.org.id, name).await?),
            None => None,
        };
        let resource = Resource {
            stack: stack.as_ref().map(|s| s.id.as_str()),
            environment: view.target.environment_id.as_deref(),
        };
        access
            .require_on(app, Permission::Deploy, On::Ids(resource))
            .await?;
    }
    // The id checked above, not the name given: a name could be taken over meanwhile.
    let id = inspect["Id"].as_str().unwrap_or(container).to_string();
    let timeout = Some(Duration::from_secs(10));
    let driver = &view.driver;
    match action {
        ContainerAction::Start => view.bounded(driver.start_container(&id)).await,
        ContainerAction::Stop => view.bounded(driver.stop_container(&id, timeout)).await,
        ContainerAction::Restart => view.bounded(driver.restart_container(&id, timeout)).await,
    }
}

/// A container's log lines (the organization's secret values masked).
pub async fn container_logs(
    app: &App,
    access: &OrgAccess,
    target: &str,
    container: &str,
    follow: bool,
    tail: u64,
) -> ApiResult<BoxStream<'static, LogLine>> {
    let view = org_view(app, access, target).await?;
    let inspect = view.own_container(container).await?;
    let id = inspect["Id"].as_str().unwrap_or(container).to_string();
    let name = inspect["Name"]
        .as_str()
        .unwrap_or(container)
        .trim_start_matches('/')
        .to_string();
    let service = inspect
        .pointer("/Config/Labels")
        .and_then(|l| l.get(LABEL_SERVICE))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let options = LogOptions {
        follow,
        tail: Some(tail),
        since: None,
        timestamps: true,
    };
    let lines = view
        .driver
        .logs(&id, options)
        .await
        .map_err(|e| engine_error(&view.target.name, e))?;
    Ok(log_lines(lines, name, service, Arc::new(view.secrets)).boxed())
}

/// What the running containers of `stack` on `target` use now, per service (memory summed
/// over its replicas, CPU in cores): the observed usage the optimizer sizes limits from.
pub async fn stack_usage(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    target: &str,
) -> ApiResult<Vec<(String, u64, f64)>> {
    let view = org_view(app, access, target).await?;
    let inventory = view.bounded(view.driver.inventory()).await?;
    let running: Vec<(String, String)> = inventory
        .containers
        .into_iter()
        .filter(|c| c.state == windflow_domain::observed::ContainerState::Running)
        .filter(|c| c.project.as_deref() == Some(stack) && view.owns(c.project.as_deref()))
        .filter_map(|c| Some((c.id, c.service?)))
        .collect();
    let mut usage: std::collections::BTreeMap<String, (u64, f64)> = Default::default();
    for (id, service) in running {
        if let Ok(Ok(sample)) =
            tokio::time::timeout(ENGINE_TIMEOUT, view.driver.container_stats(&id)).await
        {
            let entry = usage.entry(service).or_default();
            entry.0 += sample.memory_bytes;
            entry.1 += sample.cpu_percent / 100.0;
        }
    }
    Ok(usage
        .into_iter()
        .map(|(service, (memory, cpu))| (service, memory, cpu))
        .collect())
}

/// The logs of a stack's containers on a target (optionally one service's), merged, the
/// organization's secret values masked.
pub async fn stack_logs(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    query: &windflow_protocol::LogQuery,
) -> ApiResult<BoxStream<'static, LogLine>> {
    let stack = services::stacks::find(app, &access.org.id, stack).await?;
    let view = org_view(app, access, &query.target).await?;
    let target = &view.target.name;
    let observed = view
        .driver
        .observe(&stack.name, None)
        .await
        .map_err(|e| ApiError::Unavailable(format!("target {target}: {e}")))?;
    let mut containers: Vec<_> = observed
        .containers
        .into_iter()
        .filter(|c| query.service.as_ref().is_none_or(|s| &c.service == s))
        .collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(service) = &query.service
        && containers.is_empty()
    {
        return Err(ApiError::NotFound(format!(
            "service {service:?} of stack {} on {target}",
            stack.name
        )));
    }
    let options = LogOptions {
        follow: query.follow,
        tail: Some(query.tail.unwrap_or(100)),
        since: query.since,
        timestamps: true,
    };
    let secrets = Arc::new(view.secrets.clone());
    let mut streams = Vec::new();
    for container in containers {
        let lines = view
            .driver
            .logs(&container.id, options.clone())
            .await
            .map_err(|e| ApiError::Unavailable(format!("logs of {}: {e}", container.name)))?;
        streams.push(log_lines(lines, container.name, container.service, secrets.clone()).boxed());
    }
    Ok(futures::stream::select_all(streams).boxed())
}

/// A line the engine prefixed with its timestamp (`2026-12-06T17:30:00.123456789Z text`) →
/// (the timestamp, the text).
fn split_timestamp(line: &str) -> (Option<&str>, &str) {
    match line.split_once(' ') {
        Some((at, text))
            if at.len() >= 20
                && at.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                && at.as_bytes()[10] == b'T' =>
        {
            (Some(at), text)
        }
        _ => (None, line),
    }
}

/// An engine log stream as `LogLine`s of one container, secret values masked; lines the
/// engine failed to deliver are left out.
fn log_lines(
    lines: BoxStream<'static, Result<windflow_engine::driver::LogLine, DriverError>>,
    container: String,
    service: String,
    secrets: Arc<Vec<String>>,
) -> impl Stream<Item = LogLine> + Send + 'static {
    lines.filter_map(move |line| {
        let payload = line.ok().map(|line| {
            let (at, text) = split_timestamp(&line.text);
            LogLine {
                container: container.clone(),
                service: service.clone(),
                stream: match line.stream {
                    LogStream::Stdout => "stdout".into(),
                    LogStream::Stderr => "stderr".into(),
                },
                text: mask_text(text, &secrets),
                at: at.map(str::to_string),
            }
        });
        async move { payload }
    })
}

/// The part of an engine's inventory the organization may see.
fn own_inventory(mut inventory: engine::Inventory, view: &OrgView) -> engine::Inventory {
    inventory
        .containers
        .retain(|c| view.owns(c.project.as_deref()));
    inventory
        .networks
        .retain(|n| view.owns(n.project.as_deref()));
    inventory
        .volumes
        .retain(|v| view.owns(v.project.as_deref()));
    if !view.tenancy.exclusive {
        let used: HashSet<&str> = inventory
            .containers
            .iter()
            .map(|c| c.image.as_str())
            .collect();
        inventory.images.retain(|i| {
            used.contains(i.id.as_str()) || i.tags.iter().any(|t| used.contains(t.as_str()))
        });
    }
    inventory
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

#[cfg(test)]
mod tests {

    #[test]
    fn engine_timestamps_are_split_from_the_text() {
        assert_eq!(
            super::split_timestamp("2026-12-06T17:30:00.123456789Z listening on :80"),
            (Some("2026-12-06T17:30:00.123456789Z"), "listening on :80")
        );
        assert_eq!(
            super::split_timestamp("no stamp here"),
            (None, "no stamp here")
        );
        assert_eq!(
            super::split_timestamp("2026 is a year"),
            (None, "2026 is a year")
        );
    }

    use super::*;
    use serde_json::json;

    fn check(reveal: bool, expected_env: Value, expected_cmd: Value) {
        let inspect = json!({
            "Id": "c1",
            "Config": {
                "Env": ["TOKEN=s3cret-value", "URL=https://u:s3cret-value@db", "MODE=prod", "BARE"],
                "Cmd": ["sh", "-c", "echo s3cret-value"],
                "Labels": {"com.docker.compose.project": "web"},
            }
        });
        let masked = masked_inspect(inspect, &maskable(vec!["s3cret-value".into()]), reveal);
        assert_eq!(masked["Config"]["Env"], expected_env);
        assert_eq!(masked["Config"]["Cmd"], expected_cmd);
        assert_eq!(container_project(&masked), Some("web"));
    }

    #[test]
    fn an_operator_sees_environment_values_but_no_secret() {
        check(
            true,
            json!(["TOKEN=••••••", "URL=••••••", "MODE=prod", "BARE"]),
            json!(["sh", "-c", "echo ******"]),
        );
    }

    #[test]
    fn a_viewer_sees_environment_names_only() {
        check(
            false,
            json!(["TOKEN=••••••", "URL=••••••", "MODE=••••••", "BARE"]),
            json!(["sh", "-c", "echo ******"]),
        );
    }

    #[test]
    fn a_swarm_task_belongs_to_its_stack() {
        let inspect = json!({"Config": {"Labels": {"com.docker.stack.namespace": "api"}}});
        assert_eq!(container_project(&inspect), Some("api"));
        assert_eq!(container_project(&json!({"Config": {"Labels": {}}})), None);
    }
}
