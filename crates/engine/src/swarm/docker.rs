//! The Swarm driver: every Engine API call of the Swarm path (through bollard, on the
//! `DockerDriver`'s client) — Swarm membership, nodes, the project's services, networks,
//! secrets and configs, their creation, update and removal, and task inspection — returning
//! the Swarm path's own plain types, so planning, applying, converging and rolling back never
//! see bollard.
//!
//! Errors keep the texts the Swarm path always reported: calls that name a step map to
//! `DriverError` (404 → `NotFound`, transport → `Unreachable`); the calls converge and
//! rollback poll return the engine's message as text.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    ConfigSpec, LocalNodeState, SecretSpec, ServiceSpec, ServiceUpdateStatusStateEnum,
    SwarmInitRequest, Task, TaskState,
};
use bollard::query_parameters::{
    ListConfigsOptions, ListContainersOptions, ListNetworksOptions, ListNodesOptions,
    ListSecretsOptions, ListServicesOptions, ListTasksOptions, UpdateServiceOptions,
};
use windflow_domain::Network;
use windflow_domain::naming::{LABEL_CONFIG_HASH, LABEL_DEFINITION_HASH, LABEL_STACK_VERSION};

use super::plan::{ObservedNetwork, ObservedService, SwarmObserved};
use super::spec::{self, LABEL_STACK_NAMESPACE, LABEL_TASK_HASH};
use super::{ServiceStatus, SwarmNode, TaskStatus};
use crate::docker::DockerDriver;
use crate::driver::{Driver, DriverError};

fn engine_error(
    driver: &DockerDriver,
    context: impl Into<String>,
) -> impl Fn(bollard::errors::Error) -> DriverError {
    let context = context.into();
    let endpoint = driver.endpoint().to_string();
    move |e| match e {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message,
        } => DriverError::NotFound {
            resource: format!("{context} ({message})"),
        },
        bollard::errors::Error::DockerResponseServerError { message, .. } => DriverError::Engine {
            context: context.clone(),
            message,
        },
        bollard::errors::Error::HyperResponseError { .. }
        | bollard::errors::Error::IOError { .. }
        | bollard::errors::Error::SocketNotFoundError(_)
        | bollard::errors::Error::RequestTimeoutError => DriverError::Unreachable {
            endpoint: endpoint.clone(),
            message: e.to_string(),
        },
        other => DriverError::Engine {
            context: context.clone(),
            message: other.to_string(),
        },
    }
}

/// Fails unless the engine is an active Swarm manager, saying what to do.
pub async fn ensure_manager(driver: &DockerDriver) -> Result<(), DriverError> {
    let info = driver
        .client()
        .info()
        .await
        .map_err(engine_error(driver, "engine info"))?;
    match not_a_manager(&info.swarm.unwrap_or_default()) {
        None => Ok(()),
        Some(why) => Err(DriverError::Engine {
            context: format!("the Docker engine at {}", driver.endpoint()),
            message: why.to_string(),
        }),
    }
}

/// Why an engine with this Swarm state cannot take Swarm deployments (`None`: it can).
fn not_a_manager(swarm: &bollard::models::SwarmInfo) -> Option<&'static str> {
    let active = swarm.local_node_state == Some(LocalNodeState::ACTIVE);
    if active && swarm.control_available == Some(true) {
        None
    } else if active {
        Some("is a Swarm worker, not a manager: point -H at a manager node")
    } else {
        Some("is not a Swarm manager: run `docker swarm init` or pick --mode containers")
    }
}

/// Makes the engine a single-node Swarm manager when it is not in a Swarm yet (idempotent).
pub async fn init_if_inactive(
    driver: &DockerDriver,
    advertise_addr: &str,
) -> Result<(), DriverError> {
    let info = driver
        .client()
        .info()
        .await
        .map_err(engine_error(driver, "engine info"))?;
    if info.swarm.and_then(|s| s.local_node_state) == Some(LocalNodeState::ACTIVE) {
        return Ok(());
    }
    match driver
        .client()
        .init_swarm(SwarmInitRequest {
            advertise_addr: Some(advertise_addr.to_string()),
            listen_addr: Some("0.0.0.0:2377".into()),
            ..Default::default()
        })
        .await
    {
        Ok(_) => Ok(()),
        // Initialized concurrently by another test process.
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 503, ..
        }) => Ok(()),
        Err(e) => Err(engine_error(driver, "swarm init")(e)),
    }
}

/// The nodes of the Swarm, sorted by hostname.
pub(crate) async fn nodes(driver: &DockerDriver) -> Result<Vec<SwarmNode>, DriverError> {
    let nodes = driver
        .client()
        .list_nodes(None::<ListNodesOptions>)
        .await
        .map_err(engine_error(driver, "listing Swarm nodes"))?;
    let text = |v: Option<String>| v.unwrap_or_default();
    let mut out: Vec<SwarmNode> = nodes
        .into_iter()
        .map(|n| {
            let spec = n.spec.unwrap_or_default();
            let description = n.description.unwrap_or_default();
            let platform = description.platform.unwrap_or_default();
            let status = n.status.unwrap_or_default();
            SwarmNode {
                id: text(n.id),
                hostname: text(description.hostname),
                role: spec.role.map(|r| r.to_string()).unwrap_or_default(),
                availability: spec.availability.map(|a| a.to_string()).unwrap_or_default(),
                state: status.state.map(|s| s.to_string()).unwrap_or_default(),
                address: status.addr,
                leader: n.manager_status.and_then(|m| m.leader).unwrap_or(false),
                engine_version: description.engine.and_then(|e| e.engine_version),
                os: platform.os,
                arch: platform.architecture,
                labels: spec.labels.unwrap_or_default().into_iter().collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
    Ok(out)
}

fn namespace_filter(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        vec![format!("{LABEL_STACK_NAMESPACE}={project}")],
    )])
}

/// What runs for a project (labelled `com.docker.stack.namespace=<project>`).
pub(crate) async fn observe(
    driver: &DockerDriver,
    project: &str,
) -> Result<SwarmObserved, DriverError> {
    let docker = driver.client();
    let filter = namespace_filter(project);
    let (services, networks, secrets, configs) = tokio::join!(
        docker.list_services(Some(ListServicesOptions {
            filters: Some(filter.clone()),
            status: None,
        })),
        docker.list_networks(Some(ListNetworksOptions {
            filters: Some(filter.clone()),
        })),
        docker.list_secrets(Some(ListSecretsOptions {
            filters: Some(filter.clone()),
        })),
        docker.list_configs(Some(ListConfigsOptions {
            filters: Some(filter.clone()),
        })),
    );
    let mut observed = SwarmObserved::default();
    for s in services.map_err(engine_error(driver, "listing services"))? {
        let spec = s.spec.unwrap_or_default();
        let labels = spec.labels.unwrap_or_default();
        observed.services.insert(
            spec.name.unwrap_or_default(),
            ObservedService {
                id: s.id.unwrap_or_default(),
                version: s.version.and_then(|v| v.index).unwrap_or_default(),
                hash: labels.get(LABEL_CONFIG_HASH).cloned(),
            },
        );
    }
    for n in networks.map_err(engine_error(driver, "listing networks"))? {
        let labels = n.labels.unwrap_or_default();
        observed.networks.insert(
            n.name.unwrap_or_default(),
            ObservedNetwork {
                id: n.id.unwrap_or_default(),
                hash: labels.get(LABEL_DEFINITION_HASH).cloned(),
            },
        );
    }
    for s in secrets.map_err(engine_error(driver, "listing secrets"))? {
        let name = s.spec.and_then(|s| s.name).unwrap_or_default();
        observed.secrets.insert(name, s.id.unwrap_or_default());
    }
    for c in configs.map_err(engine_error(driver, "listing configs"))? {
        let name = c.spec.and_then(|s| s.name).unwrap_or_default();
        observed.configs.insert(name, c.id.unwrap_or_default());
    }
    Ok(observed)
}

/// The scope (`swarm`, `local`) of the network named exactly `name`, if there is one.
pub(crate) async fn network_scope(
    driver: &DockerDriver,
    name: &str,
) -> Result<Option<String>, DriverError> {
    match driver
        .client()
        .inspect_network(
            name,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
    {
        Ok(network) => Ok(Some(network.scope.unwrap_or_default())),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(engine_error(
            driver,
            format!("inspecting the network {name}"),
        )(e)),
    }
}

/// The id of the secret named exactly `name`, if there is one.
pub(crate) async fn secret_id(
    driver: &DockerDriver,
    name: &str,
) -> Result<Option<String>, DriverError> {
    let found = driver
        .client()
        .list_secrets(Some(ListSecretsOptions {
            filters: Some(HashMap::from([("name".into(), vec![name.to_string()])])),
        }))
        .await
        .map_err(engine_error(driver, "listing secrets"))?;
    Ok(found
        .into_iter()
        .find(|s| s.spec.as_ref().and_then(|s| s.name.as_deref()) == Some(name))
        .and_then(|s| s.id))
}

/// The id of the config named exactly `name`, if there is one.
pub(crate) async fn config_id(
    driver: &DockerDriver,
    name: &str,
) -> Result<Option<String>, DriverError> {
    let found = driver
        .client()
        .list_configs(Some(ListConfigsOptions {
            filters: Some(HashMap::from([("name".into(), vec![name.to_string()])])),
        }))
        .await
        .map_err(engine_error(driver, "listing configs"))?;
    Ok(found
        .into_iter()
        .find(|s| s.spec.as_ref().and_then(|s| s.name.as_deref()) == Some(name))
        .and_then(|s| s.id))
}

/// How a local image is pinned for the Swarm: its first repository digest, else its id
/// (`None` when it has neither).
pub(crate) async fn image_reference(
    driver: &DockerDriver,
    image: &str,
) -> Result<Option<String>, DriverError> {
    let inspected = driver
        .client()
        .inspect_image(image)
        .await
        .map_err(engine_error(driver, format!("image {image}")))?;
    Ok(inspected
        .repo_digests
        .unwrap_or_default()
        .into_iter()
        .next()
        .or(inspected.id))
}

/// Creates the overlay network of `network` (one that exists already is fine).
pub(crate) async fn create_network(
    driver: &DockerDriver,
    project: &str,
    network: &Network,
    context: &str,
) -> Result<(), DriverError> {
    let request = spec::network_request(project, network);
    match driver.client().create_network(request).await {
        Ok(_) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => Ok(()),
        Err(e) => Err(engine_error(driver, context)(e)),
    }
}

/// Secrets and configs: the two kinds of immutable file objects a service mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileObjectKind {
    Secret,
    Config,
}

/// Creates a secret or config holding `data`; returns its id.
pub(crate) async fn create_file_object(
    driver: &DockerDriver,
    kind: FileObjectKind,
    name: &str,
    labels: HashMap<String, String>,
    data: &[u8],
    context: &str,
) -> Result<String, DriverError> {
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(data);
    let docker = driver.client();
    let created = match kind {
        FileObjectKind::Secret => {
            docker
                .create_secret(SecretSpec {
                    name: Some(name.to_string()),
                    labels: Some(labels),
                    data: Some(data),
                    ..Default::default()
                })
                .await
        }
        FileObjectKind::Config => {
            docker
                .create_config(ConfigSpec {
                    name: Some(name.to_string()),
                    labels: Some(labels),
                    data: Some(data),
                    ..Default::default()
                })
                .await
        }
    };
    created.map(|r| r.id).map_err(engine_error(driver, context))
}

/// Creates a service.
pub(crate) async fn create_service(
    driver: &DockerDriver,
    spec: ServiceSpec,
    context: &str,
) -> Result<(), DriverError> {
    driver
        .client()
        .create_service(spec, None)
        .await
        .map(|_| ())
        .map_err(engine_error(driver, context))
}

/// Updates service `id`, which must still be at `version`.
pub(crate) async fn update_service(
    driver: &DockerDriver,
    id: &str,
    version: u64,
    spec: ServiceSpec,
    context: &str,
) -> Result<(), DriverError> {
    driver
        .client()
        .update_service(
            id,
            spec,
            UpdateServiceOptions {
                version: version as i32,
                ..Default::default()
            },
            None,
        )
        .await
        .map(|_| ())
        .map_err(engine_error(driver, context))
}

/// Removes service `id`.
pub(crate) async fn remove_service(
    driver: &DockerDriver,
    id: &str,
    context: &str,
) -> Result<(), DriverError> {
    driver
        .client()
        .delete_service(id)
        .await
        .map_err(engine_error(driver, context))
}

/// Removes the service named `name`, for an undo: the error is the engine's text.
pub(crate) async fn remove_service_named(driver: &DockerDriver, name: &str) -> Result<(), String> {
    driver
        .client()
        .delete_service(name)
        .await
        .map_err(|e| e.to_string())
}

/// Removes secret `id`, waiting while tasks that shut down still use it (gone is fine).
pub(crate) async fn remove_secret(
    driver: &DockerDriver,
    id: &str,
    context: &str,
) -> Result<(), DriverError> {
    let docker = driver.client();
    retry_in_use(|| docker.delete_secret(id))
        .await
        .map_err(engine_error(driver, context))
}

/// Removes config `id`, waiting while tasks that shut down still use it (gone is fine).
pub(crate) async fn remove_config(
    driver: &DockerDriver,
    id: &str,
    context: &str,
) -> Result<(), DriverError> {
    let docker = driver.client();
    retry_in_use(|| docker.delete_config(id))
        .await
        .map_err(engine_error(driver, context))
}

/// Removes network `id`, waiting while tasks that shut down are still attached (gone is
/// fine).
pub(crate) async fn remove_network(
    driver: &DockerDriver,
    id: &str,
    context: &str,
) -> Result<(), DriverError> {
    let docker = driver.client();
    retry_in_use(|| docker.remove_network(id))
        .await
        .map_err(engine_error(driver, context))
}

/// Objects still referenced by tasks that are shutting down cannot be removed at once.
async fn retry_in_use<F, Fut>(mut call: F) -> Result<(), bollard::errors::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), bollard::errors::Error>>,
{
    let mut attempts = 0;
    loop {
        match call().await {
            Ok(()) => return Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(()),
            Err(e) if attempts < 40 => {
                attempts += 1;
                tracing::debug!(error = %e, "object in use; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// How many containers (of any state) the project's tasks still have on this engine; `0` when
/// the engine cannot tell.
pub(crate) async fn project_container_count(driver: &DockerDriver, project: &str) -> usize {
    driver
        .client()
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(namespace_filter(project)),
            ..Default::default()
        }))
        .await
        .map(|c| c.len())
        .unwrap_or(0)
}

/// The state of a service's last update (`UpdateStatus.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpdateState {
    /// The engine reported an empty state.
    Empty,
    Updating,
    Paused,
    Completed,
    RollbackStarted,
    RollbackPaused,
    RollbackCompleted,
}

impl From<ServiceUpdateStatusStateEnum> for UpdateState {
    fn from(state: ServiceUpdateStatusStateEnum) -> Self {
        match state {
            ServiceUpdateStatusStateEnum::EMPTY => Self::Empty,
            ServiceUpdateStatusStateEnum::UPDATING => Self::Updating,
            ServiceUpdateStatusStateEnum::PAUSED => Self::Paused,
            ServiceUpdateStatusStateEnum::COMPLETED => Self::Completed,
            ServiceUpdateStatusStateEnum::ROLLBACK_STARTED => Self::RollbackStarted,
            ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED => Self::RollbackPaused,
            ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED => Self::RollbackCompleted,
        }
    }
}

/// A service's rollout as inspected: its update's state and message, and what a rollback
/// request needs (the spec at its version).
#[derive(Debug, Clone)]
pub(crate) struct Rollout {
    /// `None` before any update.
    pub state: Option<UpdateState>,
    pub message: Option<String>,
    version: u64,
    spec: ServiceSpec,
}

/// Inspects the rollout of the service named `name`; the error is the engine's text.
pub(crate) async fn rollout(driver: &DockerDriver, name: &str) -> Result<Rollout, String> {
    let service = driver
        .client()
        .inspect_service(name, None)
        .await
        .map_err(|e| e.to_string())?;
    let update = service.update_status.unwrap_or_default();
    Ok(Rollout {
        state: update.state.map(UpdateState::from),
        message: update.message,
        version: service.version.and_then(|v| v.index).unwrap_or_default(),
        spec: service.spec.unwrap_or_default(),
    })
}

/// Asks Swarm to put the service named `name` back on its previous spec
/// (`rollback=previous`), at the version `rollout` was inspected at.
pub(crate) async fn request_rollback(
    driver: &DockerDriver,
    name: &str,
    rollout: &Rollout,
) -> Result<(), String> {
    driver
        .client()
        .update_service(
            name,
            rollout.spec.clone(),
            UpdateServiceOptions {
                version: rollout.version as i32,
                rollback: Some("previous".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A task of a service as the Swarm path reads it.
#[derive(Debug, Clone)]
pub(crate) struct TaskView {
    pub id: String,
    pub slot: Option<i64>,
    pub node_id: Option<String>,
    /// The task template's hash (`io.windflow.task-hash` on its container spec).
    pub hash: Option<String>,
    /// `running`, `failed`, ... (empty when unknown).
    pub state: String,
    pub desired_state: String,
    pub running: bool,
    pub desired_running: bool,
    /// Failed or rejected.
    pub failed: bool,
    pub shut_down: bool,
    /// The task's error, and its status message.
    pub error: Option<String>,
    pub message: Option<String>,
    /// When its status last changed, comparable as text.
    pub time: String,
}

impl From<Task> for TaskView {
    fn from(task: Task) -> Self {
        let hash = task
            .spec
            .as_ref()
            .and_then(|s| s.container_spec.as_ref())
            .and_then(|c| c.labels.as_ref())
            .and_then(|l| l.get(LABEL_TASK_HASH))
            .cloned();
        let status = task.status.unwrap_or_default();
        let state = status.state;
        Self {
            id: task.id.unwrap_or_default(),
            slot: task.slot,
            node_id: task.node_id,
            hash,
            state: state.map(|s| s.to_string()).unwrap_or_default(),
            desired_state: task
                .desired_state
                .map(|s| s.to_string())
                .unwrap_or_default(),
            running: state == Some(TaskState::RUNNING),
            desired_running: task.desired_state == Some(TaskState::RUNNING),
            failed: matches!(state, Some(TaskState::FAILED | TaskState::REJECTED)),
            shut_down: state == Some(TaskState::SHUTDOWN),
            error: status.err,
            message: status.message,
            time: status
                .timestamp
                .as_ref()
                .map(|t| format!("{t:?}"))
                .unwrap_or_default(),
        }
    }
}

/// The tasks of the service named `name`; the error is the engine's text, with the service.
pub(crate) async fn service_tasks(
    driver: &DockerDriver,
    name: &str,
) -> Result<Vec<TaskView>, String> {
    driver
        .client()
        .list_tasks(Some(ListTasksOptions {
            filters: Some(HashMap::from([("service".into(), vec![name.to_string()])])),
        }))
        .await
        .map(|tasks| tasks.into_iter().map(TaskView::from).collect())
        .map_err(|e| format!("service {name}: listing tasks: {e}"))
}

/// The project's services with their replicas and tasks (current tasks first), for `ps`.
pub(crate) async fn services(
    driver: &DockerDriver,
    project: &str,
) -> Result<Vec<ServiceStatus>, DriverError> {
    let docker = driver.client();
    let list = docker
        .list_services(Some(ListServicesOptions {
            filters: Some(namespace_filter(project)),
            status: Some(true),
        }))
        .await
        .map_err(engine_error(driver, "listing services"))?;
    let nodes: HashMap<String, String> = docker
        .list_nodes(None::<ListNodesOptions>)
        .await
        .map_err(engine_error(driver, "listing nodes"))?
        .into_iter()
        .map(|n| {
            (
                n.id.unwrap_or_default(),
                n.description.and_then(|d| d.hostname).unwrap_or_default(),
            )
        })
        .collect();
    let mut out = Vec::new();
    for s in list {
        let spec: ServiceSpec = s.spec.clone().unwrap_or_default();
        let labels = spec.labels.clone().unwrap_or_default();
        let name = spec.name.clone().unwrap_or_default();
        let status = s.service_status.clone().unwrap_or_default();
        let mode = if spec.mode.as_ref().and_then(|m| m.global.as_ref()).is_some() {
            "global"
        } else {
            "replicated"
        };
        let ports = s
            .endpoint
            .as_ref()
            .and_then(|e| e.ports.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                format!(
                    "*:{}->{}/{}",
                    p.published_port.unwrap_or_default(),
                    p.target_port.unwrap_or_default(),
                    p.protocol
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "tcp".into())
                )
            })
            .collect();
        let mut tasks =
            service_tasks(driver, &name)
                .await
                .map_err(|message| DriverError::Engine {
                    context: format!("service {name}"),
                    message,
                })?;
        tasks.sort_by_key(|t| {
            (
                !t.desired_running,
                t.slot.unwrap_or_default(),
                std::cmp::Reverse(t.time.clone()),
            )
        });
        out.push(ServiceStatus {
            service: labels
                .get(windflow_domain::naming::LABEL_SERVICE)
                .cloned()
                .unwrap_or_else(|| name.clone()),
            name: name.clone(),
            mode: mode.into(),
            running: status.running_tasks.unwrap_or_default(),
            desired: status.desired_tasks.unwrap_or_default(),
            image: labels
                .get(spec::LABEL_STACK_IMAGE)
                .cloned()
                .unwrap_or_default(),
            ports,
            stack_version: labels.get(LABEL_STACK_VERSION).and_then(|v| v.parse().ok()),
            update_state: s.update_status.and_then(|u| u.state).map(|s| s.to_string()),
            tasks: tasks
                .into_iter()
                .map(|t| TaskStatus {
                    node: t
                        .node_id
                        .as_ref()
                        .and_then(|n| nodes.get(n).cloned())
                        .unwrap_or_default(),
                    id: t.id,
                    slot: t.slot,
                    state: t.state,
                    desired_state: t.desired_state,
                    error: t.error.filter(|e| !e.is_empty()),
                })
                .collect(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use bollard::models::{LocalNodeState, SwarmInfo};

    use super::not_a_manager;

    fn check(state: LocalNodeState, control: Option<bool>, expected: Option<&str>) {
        let info = SwarmInfo {
            local_node_state: Some(state),
            control_available: control,
            ..Default::default()
        };
        assert_eq!(not_a_manager(&info), expected, "{state:?} {control:?}");
    }

    #[test]
    fn only_an_active_manager_takes_swarm_deployments() {
        check(LocalNodeState::ACTIVE, Some(true), None);
        check(
            LocalNodeState::ACTIVE,
            Some(false),
            Some("is a Swarm worker, not a manager: point -H at a manager node"),
        );
        let not_in_a_swarm =
            Some("is not a Swarm manager: run `docker swarm init` or pick --mode containers");
        check(LocalNodeState::INACTIVE, None, not_in_a_swarm);
        check(LocalNodeState::PENDING, None, not_in_a_swarm);
        check(LocalNodeState::LOCKED, Some(true), not_in_a_swarm);
        assert_eq!(not_a_manager(&SwarmInfo::default()), not_in_a_swarm);
    }
}
