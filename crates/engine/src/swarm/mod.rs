//! Swarm targets: a stack becomes Swarm services, overlay networks, secrets and configs on a
//! Swarm manager — what `docker stack deploy` does — with WindFlow's plan, events and history.
//!
//! - [`spec`] translates a stack into Swarm objects without I/O (unit-tested as data).
//! - [`up`] observes what runs (services, networks, secrets, configs labelled
//!   `com.docker.stack.namespace=<project>`), plans the difference ([`SwarmPlan`]), applies it
//!   in dependency order (networks, secrets and configs, then services), and waits until each
//!   changed service converged: its `UpdateStatus` completed and as many running tasks as
//!   replicas carry the new task template. When Swarm rolls an update back (or pauses it and
//!   WindFlow asks for the rollback), the deployment fails with the last failing task's error
//!   and says the previous version serves again. Secrets and configs are immutable in Swarm:
//!   they are named by content hash, services move to the new name, and unused ones are
//!   removed after a successful deployment.
//! - [`down`], [`rollback`], [`services`] (with tasks) and [`nodes`] (the inventory).
//!
//! Invariant: the Swarm path talks to the engine only through the `DockerDriver`'s client
//! (a Swarm manager is a Docker engine, so the container `Driver` still works on it); it
//! reports through the same typed events and records the same history as the container path.

pub mod spec;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{
    LocalNodeState, SecretSpec, Service as SwarmService, ServiceSpec, ServiceUpdateStatusStateEnum,
    SwarmInitRequest, Task, TaskState,
};
use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListNodesOptions, ListSecretsOptions,
    ListServicesOptions, ListTasksOptions, UpdateServiceOptions,
};
use serde::{Deserialize, Serialize};
use windflow_domain::Stack;
use windflow_domain::naming::{LABEL_CONFIG_HASH, LABEL_DEFINITION_HASH, LABEL_STACK_VERSION};
use windflow_domain::plan::definition_hash;

use crate::deploy::{UpError, UpOptions, UpOutcome};
use crate::docker::DockerDriver;
use crate::driver::{Driver, DriverError, ProgressUpdate};
use crate::events::{EventKind, EventSink};
use crate::executor::{DeployFailure, RollbackReport};
use crate::history::{History, Revision};
use spec::{
    DesiredService, FileContent, LABEL_OBJECT_KEY, LABEL_STACK_NAMESPACE, LABEL_TASK_HASH,
    Resolved, SpecOptions,
};

/// The history of Swarm deployments for an endpoint, kept apart from the container path's.
pub fn history_for(endpoint: &str) -> History {
    History::for_endpoint(&format!("swarm+{endpoint}"))
}

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

/// One node of the Swarm, for the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub labels: BTreeMap<String, String>,
}

/// The nodes of the Swarm `driver` manages.
pub async fn nodes(driver: &DockerDriver) -> Result<Vec<SwarmNode>, DriverError> {
    ensure_manager(driver).await?;
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

/// A service as it runs.
#[derive(Debug, Clone)]
struct ObservedService {
    id: String,
    version: u64,
    hash: Option<String>,
}

/// What runs for a project on the Swarm.
#[derive(Debug, Clone, Default)]
struct SwarmObserved {
    services: BTreeMap<String, ObservedService>,
    /// Name → (id, definition hash).
    networks: BTreeMap<String, (String, Option<String>)>,
    /// Name → id.
    secrets: BTreeMap<String, String>,
    configs: BTreeMap<String, String>,
}

async fn observe(driver: &DockerDriver, project: &str) -> Result<SwarmObserved, DriverError> {
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
            (
                n.id.unwrap_or_default(),
                labels.get(LABEL_DEFINITION_HASH).cloned(),
            ),
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

/// One change on the Swarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SwarmStep {
    CreateNetwork {
        key: String,
        name: String,
    },
    CreateSecret {
        key: String,
        name: String,
    },
    CreateConfig {
        key: String,
        name: String,
    },
    CreateService {
        key: String,
        name: String,
        replicas: Option<u64>,
    },
    UpdateService {
        key: String,
        name: String,
        id: String,
        version: u64,
    },
    RemoveService {
        name: String,
        id: String,
    },
    RemoveSecret {
        name: String,
        id: String,
    },
    RemoveConfig {
        name: String,
        id: String,
    },
    RemoveNetwork {
        name: String,
        id: String,
    },
}

impl SwarmStep {
    pub fn describe(&self) -> String {
        match self {
            Self::CreateNetwork { name, .. } => format!("create network {name}"),
            Self::CreateSecret { name, .. } => format!("create secret {name}"),
            Self::CreateConfig { name, .. } => format!("create config {name}"),
            Self::CreateService {
                name,
                replicas: Some(n),
                ..
            } => format!("create service {name} ({n} replica(s))"),
            Self::CreateService { name, .. } => format!("create service {name} (global)"),
            Self::UpdateService { name, .. } => format!("update service {name}"),
            Self::RemoveService { name, .. } => format!("remove service {name}"),
            Self::RemoveSecret { name, .. } => format!("remove unused secret {name}"),
            Self::RemoveConfig { name, .. } => format!("remove unused config {name}"),
            Self::RemoveNetwork { name, .. } => format!("remove network {name}"),
        }
    }

    fn is_removal(&self) -> bool {
        matches!(
            self,
            Self::RemoveService { .. }
                | Self::RemoveSecret { .. }
                | Self::RemoveConfig { .. }
                | Self::RemoveNetwork { .. }
        )
    }
}

/// What `up` would change on the Swarm, in the order it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwarmPlan {
    pub project: String,
    pub steps: Vec<SwarmStep>,
    pub warnings: Vec<String>,
}

impl SwarmPlan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn describe(&self) -> Vec<String> {
        self.steps.iter().map(SwarmStep::describe).collect()
    }
}

/// Stack key → (Swarm name, id) of secrets or configs.
type ObjectNames = BTreeMap<String, (String, String)>;
/// Plan steps with their 1-based numbers (the events' step ids).
type NumberedSteps<'a> = Vec<(usize, &'a SwarmStep)>;

/// Everything `up` needs, computed before anything changes.
struct Prepared {
    resolved: Resolved,
    secrets: Vec<FileContent>,
    configs: Vec<FileContent>,
    services: Vec<DesiredService>,
    plan: SwarmPlan,
}

fn invalid(message: impl Into<String>) -> UpError {
    UpError::Driver(DriverError::Engine {
        context: "stack".into(),
        message: message.into(),
    })
}

async fn prepare(
    driver: &DockerDriver,
    stack: &Stack,
    options: SpecOptions,
    images: BTreeMap<String, String>,
) -> Result<Prepared, UpError> {
    ensure_manager(driver).await?;
    let project = &stack.name;
    let observed = observe(driver, project).await?;
    let mut resolved = Resolved {
        images,
        ..Default::default()
    };
    let mut warnings = Vec::new();

    let files = |kind: &str,
                 objects: &BTreeMap<String, windflow_domain::FileObject>,
                 existing: &BTreeMap<String, String>|
     -> Result<(Vec<FileContent>, ObjectNames), UpError> {
        let mut contents = Vec::new();
        let mut names = BTreeMap::new();
        for (key, object) in objects {
            if object.external {
                names.insert(key.clone(), (object.name.clone(), String::new()));
                continue;
            }
            let data = spec::read_content(kind, key, object).map_err(invalid)?;
            let name = spec::versioned_name(&object.name, &data);
            let id = existing.get(&name).cloned().unwrap_or_default();
            names.insert(key.clone(), (name.clone(), id));
            contents.push(FileContent {
                key: key.clone(),
                name,
                data,
                external: false,
                labels: object.labels.clone(),
            });
        }
        Ok((contents, names))
    };
    let (secrets, secret_names) = files("secret", &stack.secrets, &observed.secrets)?;
    let (configs, config_names) = files("config", &stack.configs, &observed.configs)?;
    resolved.secrets = secret_names;
    resolved.configs = config_names;
    // External objects: they must exist; their ids come from the engine.
    for (key, (name, id)) in resolved.secrets.iter_mut() {
        if stack.secrets[key].external {
            *id = lookup_secret(driver, name).await?;
        }
    }
    for (key, (name, id)) in resolved.configs.iter_mut() {
        if stack.configs[key].external {
            *id = lookup_config(driver, name).await?;
        }
    }

    let mut services = Vec::new();
    for key in stack.dependency_order() {
        let service = &stack.services[key];
        for k in spec::unsupported_keys(service) {
            warnings.push(format!("service {key}: {k} is ignored on Swarm"));
        }
        services.push(
            spec::service_spec(stack, key, &resolved, options)
                .map_err(|e| invalid(e.to_string()))?,
        );
    }

    let mut steps = Vec::new();
    for (key, network) in &stack.networks {
        if network.external {
            continue;
        }
        match observed.networks.get(&network.name) {
            None => steps.push(SwarmStep::CreateNetwork {
                key: key.clone(),
                name: network.name.clone(),
            }),
            Some((_, hash)) if hash.as_deref() != Some(definition_hash(network).as_str()) => {
                warnings.push(format!(
                    "network {}: its definition changed, but an overlay network in use cannot be changed in place; `windflow down --mode swarm` and up again to recreate it",
                    network.name
                ));
            }
            Some(_) => {}
        }
    }
    for s in &secrets {
        if !observed.secrets.contains_key(&s.name) {
            steps.push(SwarmStep::CreateSecret {
                key: s.key.clone(),
                name: s.name.clone(),
            });
        }
    }
    for c in &configs {
        if !observed.configs.contains_key(&c.name) {
            steps.push(SwarmStep::CreateConfig {
                key: c.key.clone(),
                name: c.name.clone(),
            });
        }
    }
    for d in &services {
        match observed.services.get(&d.name) {
            None => steps.push(SwarmStep::CreateService {
                key: d.key.clone(),
                name: d.name.clone(),
                replicas: d.replicas,
            }),
            Some(o) if o.hash.as_deref() != Some(d.hash.as_str()) => {
                steps.push(SwarmStep::UpdateService {
                    key: d.key.clone(),
                    name: d.name.clone(),
                    id: o.id.clone(),
                    version: o.version,
                });
            }
            Some(_) => {}
        }
    }
    let desired_services: BTreeSet<&str> = services.iter().map(|d| d.name.as_str()).collect();
    for (name, o) in &observed.services {
        if !desired_services.contains(name.as_str()) {
            steps.push(SwarmStep::RemoveService {
                name: name.clone(),
                id: o.id.clone(),
            });
        }
    }
    // Unused secrets and configs go only when something else changes (or is left over).
    let used_secrets: BTreeSet<&str> = resolved.secrets.values().map(|(n, _)| n.as_str()).collect();
    let used_configs: BTreeSet<&str> = resolved.configs.values().map(|(n, _)| n.as_str()).collect();
    for (name, id) in &observed.secrets {
        if !used_secrets.contains(name.as_str()) {
            steps.push(SwarmStep::RemoveSecret {
                name: name.clone(),
                id: id.clone(),
            });
        }
    }
    for (name, id) in &observed.configs {
        if !used_configs.contains(name.as_str()) {
            steps.push(SwarmStep::RemoveConfig {
                name: name.clone(),
                id: id.clone(),
            });
        }
    }
    let desired_networks: BTreeSet<&str> =
        stack.networks.values().map(|n| n.name.as_str()).collect();
    for (name, (id, _)) in &observed.networks {
        if !desired_networks.contains(name.as_str()) {
            steps.push(SwarmStep::RemoveNetwork {
                name: name.clone(),
                id: id.clone(),
            });
        }
    }
    Ok(Prepared {
        resolved,
        secrets,
        configs,
        services,
        plan: SwarmPlan {
            project: project.clone(),
            steps,
            warnings,
        },
    })
}

async fn lookup_secret(driver: &DockerDriver, name: &str) -> Result<String, UpError> {
    let found = driver
        .client()
        .list_secrets(Some(ListSecretsOptions {
            filters: Some(HashMap::from([("name".into(), vec![name.to_string()])])),
        }))
        .await
        .map_err(engine_error(driver, "listing secrets"))?;
    found
        .into_iter()
        .find(|s| s.spec.as_ref().and_then(|s| s.name.as_deref()) == Some(name))
        .and_then(|s| s.id)
        .ok_or_else(|| invalid(format!("external secret {name} does not exist on the Swarm: create it with `docker secret create {name} <file>`")))
}

async fn lookup_config(driver: &DockerDriver, name: &str) -> Result<String, UpError> {
    let found = driver
        .client()
        .list_configs(Some(ListConfigsOptions {
            filters: Some(HashMap::from([("name".into(), vec![name.to_string()])])),
        }))
        .await
        .map_err(engine_error(driver, "listing configs"))?;
    found
        .into_iter()
        .find(|s| s.spec.as_ref().and_then(|s| s.name.as_deref()) == Some(name))
        .and_then(|s| s.id)
        .ok_or_else(|| invalid(format!("external config {name} does not exist on the Swarm: create it with `docker config create {name} <file>`")))
}

/// Pins each image: pulled (or built) when missing, then referenced by repository digest when
/// it has one (every node can pull that), else by its local id (no registry lookup at all,
/// like `docker stack deploy --resolve-image never`; other nodes need the same image).
async fn resolve_stack_images(
    driver: &DockerDriver,
    stack: &Stack,
    resolved: &mut Resolved,
    events: &EventSink,
) -> Result<(), UpError> {
    let mut step = 1000;
    for service in stack.services.values() {
        let image = &service.image;
        if resolved.images.contains_key(image) {
            continue;
        }
        if driver.image_id(image).await?.is_none() {
            step += 1;
            let label = if service.build.is_some() {
                format!("build image {image}")
            } else {
                format!("pull image {image}")
            };
            events.emit(EventKind::StepStarted {
                step,
                label: label.clone(),
            });
            let started = Instant::now();
            let progress = |p: ProgressUpdate| {
                events.emit(EventKind::StepProgress {
                    step,
                    id: p.id,
                    message: p.message,
                    current: p.current,
                    total: p.total,
                });
            };
            let result = match &service.build {
                Some(build) => driver.build_image(image, build, &progress).await,
                None => driver.pull_image(image, &progress).await,
            };
            events.emit(EventKind::StepFinished {
                step,
                label,
                elapsed_ms: started.elapsed().as_millis() as u64,
                error: result.as_ref().err().map(ToString::to_string),
            });
            result?;
        }
        let inspected = driver
            .client()
            .inspect_image(image)
            .await
            .map_err(engine_error(driver, format!("image {image}")))?;
        let reference = image_reference(inspected).unwrap_or_else(|| image.clone());
        resolved.images.insert(image.clone(), reference);
    }
    Ok(())
}

/// Observes and plans without changing anything (missing images are not pulled; a service
/// whose image is missing shows as changed).
pub async fn plan(driver: &DockerDriver, stack: &Stack) -> Result<SwarmPlan, UpError> {
    let mut images = BTreeMap::new();
    for service in stack.services.values() {
        if let Ok(inspected) = driver.client().inspect_image(&service.image).await
            && let Some(reference) = image_reference(inspected)
        {
            images.insert(service.image.clone(), reference);
        }
    }
    let prepared = prepare(driver, stack, SpecOptions::default(), images).await?;
    Ok(prepared.plan)
}

fn image_reference(inspected: bollard::models::ImageInspect) -> Option<String> {
    inspected
        .repo_digests
        .unwrap_or_default()
        .into_iter()
        .next()
        .or(inspected.id)
}

/// Deploys `stack` as Swarm services and waits until they converged; records the outcome.
pub async fn up(
    driver: &DockerDriver,
    stack: &Stack,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<UpOutcome, UpError> {
    let started = Instant::now();
    let spec_options = SpecOptions {
        rollback_on_failure: options.execute.rollback,
    };
    // Pin images first, so the stack recorded (and every spec) names what really runs.
    let mut resolved = Resolved::default();
    resolve_stack_images(driver, stack, &mut resolved, events).await?;
    let pinned = crate::deploy::pin_images(stack, &resolved.images);
    let prepared = prepare(driver, stack, spec_options, resolved.images.clone()).await?;
    for w in &prepared.plan.warnings {
        events.emit(EventKind::Warning { message: w.clone() });
    }
    if prepared.plan.is_empty() {
        events.emit(EventKind::Planned { changes: vec![] });
        return Ok(UpOutcome {
            version: None,
            changes: vec![],
        });
    }
    let version = history.next_version(&stack.name)?;
    let changes = prepared.plan.describe();
    events.emit(EventKind::Planned {
        changes: changes.clone(),
    });
    let result = apply(driver, &pinned, prepared, version, options, events).await;
    events.emit(EventKind::Finished {
        elapsed_ms: started.elapsed().as_millis() as u64,
        ok: result.is_ok(),
    });
    crate::deploy::record(
        history,
        version,
        &options.source,
        "up --mode swarm",
        changes,
        pinned,
        result,
    )
}

/// Runs one step with its events; returns the error text on failure.
async fn run_step<F, T>(
    events: &EventSink,
    step: usize,
    label: String,
    work: F,
) -> Result<T, String>
where
    F: Future<Output = Result<T, DriverError>>,
{
    events.emit(EventKind::StepStarted {
        step,
        label: label.clone(),
    });
    let started = Instant::now();
    let result = work.await.map_err(|e| e.to_string());
    events.emit(EventKind::StepFinished {
        step,
        label,
        elapsed_ms: started.elapsed().as_millis() as u64,
        error: result.as_ref().err().cloned(),
    });
    result
}

async fn apply(
    driver: &DockerDriver,
    stack: &Stack,
    mut prepared: Prepared,
    version: u64,
    options: &UpOptions,
    events: &EventSink,
) -> Result<(), DeployFailure> {
    let docker = driver.client();
    let fail = |message: String| DeployFailure {
        message,
        rollback: None,
    };
    let steps = prepared.plan.steps.clone();
    let (removals, forward): (NumberedSteps<'_>, NumberedSteps<'_>) = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (i + 1, s))
        .partition(|(_, s)| s.is_removal());

    // 1. Networks, secrets, configs.
    for (n, step) in &forward {
        match step {
            SwarmStep::CreateNetwork { key, .. } => {
                let request = spec::network_request(&stack.name, &stack.networks[key]);
                run_step(events, *n, step.describe(), async {
                    match docker.create_network(request).await {
                        Ok(_) => Ok(()),
                        Err(bollard::errors::Error::DockerResponseServerError {
                            status_code: 409,
                            ..
                        }) => Ok(()),
                        Err(e) => Err(engine_error(driver, step.describe())(e)),
                    }
                })
                .await
                .map_err(fail)?;
            }
            SwarmStep::CreateSecret { key, name } | SwarmStep::CreateConfig { key, name } => {
                let is_secret = matches!(step, SwarmStep::CreateSecret { .. });
                let list = if is_secret {
                    &prepared.secrets
                } else {
                    &prepared.configs
                };
                let content = list
                    .iter()
                    .find(|c| &c.key == key)
                    .expect("planned content");
                let mut labels: HashMap<String, String> =
                    content.labels.clone().into_iter().collect();
                labels.insert(LABEL_STACK_NAMESPACE.into(), stack.name.clone());
                labels.insert(LABEL_OBJECT_KEY.into(), key.clone());
                use base64::Engine;
                let data = base64::engine::general_purpose::STANDARD.encode(&content.data);
                let id = run_step(events, *n, step.describe(), async {
                    let created = if is_secret {
                        docker
                            .create_secret(SecretSpec {
                                name: Some(name.clone()),
                                labels: Some(labels),
                                data: Some(data),
                                ..Default::default()
                            })
                            .await
                    } else {
                        docker
                            .create_config(bollard::models::ConfigSpec {
                                name: Some(name.clone()),
                                labels: Some(labels),
                                data: Some(data),
                                ..Default::default()
                            })
                            .await
                    };
                    created
                        .map(|r| r.id)
                        .map_err(engine_error(driver, step.describe()))
                })
                .await
                .map_err(fail)?;
                let map = if is_secret {
                    &mut prepared.resolved.secrets
                } else {
                    &mut prepared.resolved.configs
                };
                if let Some(entry) = map.get_mut(key) {
                    entry.1 = id;
                }
            }
            _ => {}
        }
    }

    // 2. Services, in dependency order, then wait for all of them together.
    let mut changed: Vec<(DesiredService, bool)> = Vec::new();
    for (n, step) in &forward {
        let (key, existing) = match step {
            SwarmStep::CreateService { key, .. } => (key, None),
            SwarmStep::UpdateService {
                key, id, version, ..
            } => (key, Some((id.clone(), *version))),
            _ => continue,
        };
        let mut desired = prepared
            .services
            .iter()
            .find(|d| &d.key == key)
            .expect("planned service")
            .clone();
        spec::fill_object_ids(&mut desired.spec, &prepared.resolved);
        desired
            .spec
            .labels
            .get_or_insert_with(HashMap::new)
            .insert(LABEL_STACK_VERSION.into(), version.to_string());
        let body = desired.spec.clone();
        let result = run_step(events, *n, step.describe(), async {
            match &existing {
                None => docker
                    .create_service(body, None)
                    .await
                    .map(|_| ())
                    .map_err(engine_error(driver, step.describe())),
                Some((id, version)) => docker
                    .update_service(
                        id,
                        body,
                        UpdateServiceOptions {
                            version: *version as i32,
                            ..Default::default()
                        },
                        None,
                    )
                    .await
                    .map(|_| ())
                    .map_err(engine_error(driver, step.describe())),
            }
        })
        .await;
        if let Err(message) = result {
            return Err(undo(driver, &changed, message, options, events).await);
        }
        changed.push((desired, existing.is_none()));
    }
    let deadline = options.execute.wait_timeout;
    let waits = changed
        .iter()
        .map(|(d, _)| converge(driver, d, deadline, events));
    let results = futures::future::join_all(waits).await;
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if !failures.is_empty() {
        return Err(undo(driver, &changed, failures.join("\n"), options, events).await);
    }

    // 3. Removals, once the new version runs: services, then what nothing uses any more.
    let mut problems = Vec::new();
    for (n, step) in &removals {
        let result = match step {
            SwarmStep::RemoveService { id, .. } => {
                run_step(events, *n, step.describe(), async {
                    docker
                        .delete_service(id)
                        .await
                        .map_err(engine_error(driver, step.describe()))
                })
                .await
            }
            SwarmStep::RemoveSecret { id, .. } => {
                run_step(events, *n, step.describe(), async {
                    retry_in_use(|| docker.delete_secret(id))
                        .await
                        .map_err(engine_error(driver, step.describe()))
                })
                .await
            }
            SwarmStep::RemoveConfig { id, .. } => {
                run_step(events, *n, step.describe(), async {
                    retry_in_use(|| docker.delete_config(id))
                        .await
                        .map_err(engine_error(driver, step.describe()))
                })
                .await
            }
            SwarmStep::RemoveNetwork { id, .. } => {
                run_step(events, *n, step.describe(), async {
                    retry_in_use(|| docker.remove_network(id))
                        .await
                        .map_err(engine_error(driver, step.describe()))
                })
                .await
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            problems.push(e);
        }
    }
    if !problems.is_empty() {
        events.emit(EventKind::Warning {
            message: format!("cleanup incomplete: {}", problems.join("; ")),
        });
    }
    Ok(())
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

/// After a failure: services created by this deployment are removed; updated services were
/// rolled back by Swarm (or are asked to roll back when their update paused).
async fn undo(
    driver: &DockerDriver,
    changed: &[(DesiredService, bool)],
    message: String,
    options: &UpOptions,
    events: &EventSink,
) -> DeployFailure {
    if !options.execute.rollback {
        return DeployFailure {
            message,
            rollback: None,
        };
    }
    events.emit(EventKind::RollbackStarted {
        reason: message.clone(),
    });
    let docker = driver.client();
    let mut report = RollbackReport::default();
    for (desired, created) in changed {
        if *created {
            let result = docker.delete_service(&desired.name).await;
            let error = result.err().map(|e| e.to_string());
            events.emit(EventKind::RollbackAction {
                message: format!("remove service {}", desired.name),
                error: error.clone(),
            });
            match error {
                None => report.removed.push(desired.name.clone()),
                Some(e) => report.errors.push(format!("{}: {e}", desired.name)),
            }
            continue;
        }
        match rolled_back(driver, &desired.name, options.execute.wait_timeout).await {
            Ok(()) => {
                events.emit(EventKind::RollbackAction {
                    message: format!(
                        "service {}: the previous version serves again",
                        desired.name
                    ),
                    error: None,
                });
                report.restored.push(desired.name.clone());
            }
            Err(e) => {
                events.emit(EventKind::RollbackAction {
                    message: format!("service {}: roll back", desired.name),
                    error: Some(e.clone()),
                });
                report.errors.push(format!("{}: {e}", desired.name));
            }
        }
    }
    events.emit(EventKind::RollbackFinished {
        restored: report.errors.is_empty(),
    });
    DeployFailure {
        message,
        rollback: Some(report),
    }
}

/// Makes sure an updated service is back on its previous spec: waits for Swarm's own rollback,
/// or asks for it when the update paused or is still running.
async fn rolled_back(driver: &DockerDriver, name: &str, timeout: Duration) -> Result<(), String> {
    let docker = driver.client();
    let deadline = Instant::now() + timeout;
    let mut asked = false;
    loop {
        let service = docker
            .inspect_service(name, None)
            .await
            .map_err(|e| e.to_string())?;
        let state = service.update_status.as_ref().and_then(|u| u.state);
        match state {
            Some(ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED) => return Ok(()),
            Some(ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED) => {
                return Err(format!(
                    "Swarm paused the rollback: {}",
                    service
                        .update_status
                        .and_then(|u| u.message)
                        .unwrap_or_default()
                ));
            }
            Some(ServiceUpdateStatusStateEnum::ROLLBACK_STARTED) => {}
            _ if !asked => {
                asked = true;
                let version = service
                    .version
                    .as_ref()
                    .and_then(|v| v.index)
                    .unwrap_or_default();
                let spec = service.spec.clone().unwrap_or_default();
                docker
                    .update_service(
                        name,
                        spec,
                        UpdateServiceOptions {
                            version: version as i32,
                            rollback: Some("previous".into()),
                            ..Default::default()
                        },
                        None,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
            }
            _ => {}
        }
        if Instant::now() > deadline {
            return Err("the rollback did not finish in time".into());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn task_hash(task: &Task) -> Option<&str> {
    task.spec
        .as_ref()?
        .container_spec
        .as_ref()?
        .labels
        .as_ref()?
        .get(LABEL_TASK_HASH)
        .map(String::as_str)
}

fn task_time(task: &Task) -> String {
    task.status
        .as_ref()
        .and_then(|s| s.timestamp.as_ref())
        .map(|t| format!("{t:?}"))
        .unwrap_or_default()
}

async fn service_tasks(docker: &Docker, name: &str) -> Result<Vec<Task>, String> {
    docker
        .list_tasks(Some(ListTasksOptions {
            filters: Some(HashMap::from([("service".into(), vec![name.to_string()])])),
        }))
        .await
        .map_err(|e| format!("service {name}: listing tasks: {e}"))
}

/// The last error of a task of `hash` (the new spec), for messages.
fn last_task_error(tasks: &[Task], hash: &str) -> Option<String> {
    tasks
        .iter()
        .filter(|t| task_hash(t) == Some(hash))
        .filter(|t| {
            matches!(
                t.status.as_ref().and_then(|s| s.state),
                Some(TaskState::FAILED | TaskState::REJECTED | TaskState::SHUTDOWN)
            )
        })
        .filter_map(|t| {
            let status = t.status.as_ref()?;
            let text = status
                .err
                .clone()
                .filter(|e| !e.is_empty())
                .or_else(|| status.message.clone().filter(|m| m != "shutdown"))?;
            Some((task_time(t), text))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, text)| text)
}

/// Waits until `desired` converged: its update completed and every running task carries the
/// new template. Fails when Swarm rolls the update back, pauses it, or the new tasks keep
/// failing.
async fn converge(
    driver: &DockerDriver,
    desired: &DesiredService,
    timeout: Duration,
    events: &EventSink,
) -> Result<(), String> {
    let docker = driver.client();
    let name = &desired.name;
    let deadline = Instant::now() + timeout;
    let mut last_progress = String::new();
    let mut rolling_back = false;
    loop {
        let service: SwarmService = docker
            .inspect_service(name, None)
            .await
            .map_err(|e| format!("service {name}: {e}"))?;
        let tasks = service_tasks(docker, name).await?;
        let update = service.update_status.clone().unwrap_or_default();
        let why = || {
            last_task_error(&tasks, &desired.task_hash)
                .or_else(|| update.message.clone())
                .unwrap_or_else(|| "no task error was reported".into())
        };
        match update.state {
            Some(ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED) => {
                events.emit(EventKind::ServiceState {
                    service: desired.key.clone(),
                    state: "rolled_back".into(),
                    detail: Some(why()),
                });
                return Err(format!(
                    "service {name}: the update failed and Swarm rolled it back ({}): {}; the previous version is serving again",
                    desired.failure_action,
                    why()
                ));
            }
            Some(ServiceUpdateStatusStateEnum::ROLLBACK_STARTED) if !rolling_back => {
                rolling_back = true;
                events.emit(EventKind::ServiceState {
                    service: desired.key.clone(),
                    state: "rolling_back".into(),
                    detail: Some(why()),
                });
            }
            Some(ServiceUpdateStatusStateEnum::PAUSED) => {
                return Err(format!(
                    "service {name}: Swarm paused the update: {}",
                    why()
                ));
            }
            Some(ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED) => {
                return Err(format!(
                    "service {name}: the update failed and Swarm paused its rollback: {}",
                    why()
                ));
            }
            _ => {}
        }
        let running: Vec<&Task> = tasks
            .iter()
            .filter(|t| t.desired_state == Some(TaskState::RUNNING))
            .collect();
        let new_running = running
            .iter()
            .filter(|t| task_hash(t) == Some(desired.task_hash.as_str()))
            .filter(|t| t.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING))
            .count() as u64;
        let wanted = desired.replicas.unwrap_or(running.len().max(1) as u64);
        let settled = matches!(
            update.state,
            None | Some(ServiceUpdateStatusStateEnum::COMPLETED)
        );
        let progress = format!("{new_running}/{wanted} tasks running the new spec");
        if progress != last_progress {
            events.emit(EventKind::ServiceState {
                service: desired.key.clone(),
                state: "converging".into(),
                detail: Some(progress.clone()),
            });
            last_progress = progress;
        }
        if settled && new_running == wanted && running.len() as u64 == wanted {
            events.emit(EventKind::ServiceState {
                service: desired.key.clone(),
                state: "running".into(),
                detail: Some(format!("{new_running}/{wanted} tasks")),
            });
            return Ok(());
        }
        // A new service (or one updated with failure_action continue) has no rollback to
        // wait for: tasks that keep failing are the failure.
        let failed_new = tasks
            .iter()
            .filter(|t| task_hash(t) == Some(desired.task_hash.as_str()))
            .filter(|t| {
                matches!(
                    t.status.as_ref().and_then(|s| s.state),
                    Some(TaskState::FAILED | TaskState::REJECTED)
                )
            })
            .count() as u64;
        if settled && failed_new >= wanted.max(1) + 2 {
            events.emit(EventKind::ServiceState {
                service: desired.key.clone(),
                state: "failed".into(),
                detail: Some(why()),
            });
            return Err(format!(
                "service {name}: its tasks keep failing ({failed_new} failed): {}",
                why()
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "service {name}: not converged after {}s ({}); last task error: {}",
                timeout.as_secs(),
                last_progress,
                why()
            ));
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

/// Removes a project's services, then its networks, secrets and configs (volumes stay, as with
/// `docker stack rm`).
pub async fn down(
    driver: &DockerDriver,
    project: &str,
    events: &EventSink,
) -> Result<SwarmPlan, UpError> {
    ensure_manager(driver).await?;
    let observed = observe(driver, project).await?;
    let mut steps = Vec::new();
    for (name, s) in &observed.services {
        steps.push(SwarmStep::RemoveService {
            name: name.clone(),
            id: s.id.clone(),
        });
    }
    for (name, id) in &observed.secrets {
        steps.push(SwarmStep::RemoveSecret {
            name: name.clone(),
            id: id.clone(),
        });
    }
    for (name, id) in &observed.configs {
        steps.push(SwarmStep::RemoveConfig {
            name: name.clone(),
            id: id.clone(),
        });
    }
    for (name, (id, _)) in &observed.networks {
        steps.push(SwarmStep::RemoveNetwork {
            name: name.clone(),
            id: id.clone(),
        });
    }
    let plan = SwarmPlan {
        project: project.to_string(),
        steps,
        warnings: vec![],
    };
    events.emit(EventKind::Planned {
        changes: plan.describe(),
    });
    let started = Instant::now();
    let docker = driver.client();
    let mut problems = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let result = run_step(events, i + 1, step.describe(), async {
            let outcome = match step {
                SwarmStep::RemoveService { id, .. } => docker.delete_service(id).await,
                SwarmStep::RemoveSecret { id, .. } => {
                    retry_in_use(|| docker.delete_secret(id)).await
                }
                SwarmStep::RemoveConfig { id, .. } => {
                    retry_in_use(|| docker.delete_config(id)).await
                }
                SwarmStep::RemoveNetwork { id, .. } => {
                    retry_in_use(|| docker.remove_network(id)).await
                }
                _ => Ok(()),
            };
            outcome.map_err(engine_error(driver, step.describe()))
        })
        .await;
        if let Err(e) = result {
            problems.push(e);
        }
    }
    // Tasks stop asynchronously: wait until their containers are gone, so the project is
    // really down when this returns.
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let left = docker
            .list_containers(Some(bollard::query_parameters::ListContainersOptions {
                all: true,
                filters: Some(namespace_filter(project)),
                ..Default::default()
            }))
            .await
            .map(|c| c.len())
            .unwrap_or(0);
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    events.emit(EventKind::Finished {
        elapsed_ms: started.elapsed().as_millis() as u64,
        ok: problems.is_empty(),
    });
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(UpError::Rollback(format!(
            "removing {project}: {}",
            problems.join("; ")
        )))
    }
}

/// Deploys an earlier version again: `to`, or the one deployed before the current one.
pub async fn rollback(
    driver: &DockerDriver,
    project: &str,
    to: Option<u64>,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<(Revision, UpOutcome), UpError> {
    let target = crate::deploy::rollback_target(history, project, to, true)?;
    let options = UpOptions {
        source: format!("rollback to v{}", target.version),
        ..options.clone()
    };
    let outcome = up(driver, &target.stack, history, &options, events).await?;
    Ok((target, outcome))
}

/// A service of a project with its tasks, for `ps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub name: String,
    pub service: String,
    /// `replicated` or `global`.
    pub mode: String,
    pub running: u64,
    pub desired: u64,
    pub image: String,
    pub ports: Vec<String>,
    pub stack_version: Option<u64>,
    /// `updating`, `completed`, `rollback_completed`, ... (`None` before any update).
    pub update_state: Option<String>,
    pub tasks: Vec<TaskStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    pub id: String,
    pub slot: Option<i64>,
    pub node: String,
    pub state: String,
    pub desired_state: String,
    pub error: Option<String>,
}

/// The project's services with their replicas and tasks (current tasks first).
pub async fn services(
    driver: &DockerDriver,
    project: &str,
) -> Result<Vec<ServiceStatus>, DriverError> {
    ensure_manager(driver).await?;
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
        let mut tasks: Vec<Task> =
            service_tasks(docker, &name)
                .await
                .map_err(|message| DriverError::Engine {
                    context: format!("service {name}"),
                    message,
                })?;
        tasks.sort_by_key(|t| {
            (
                t.desired_state != Some(TaskState::RUNNING),
                t.slot.unwrap_or_default(),
                std::cmp::Reverse(task_time(t)),
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
                .map(|t| {
                    let status = t.status.clone().unwrap_or_default();
                    TaskStatus {
                        id: t.id.clone().unwrap_or_default(),
                        slot: t.slot,
                        node: t
                            .node_id
                            .as_ref()
                            .and_then(|n| nodes.get(n).cloned())
                            .unwrap_or_default(),
                        state: status.state.map(|s| s.to_string()).unwrap_or_default(),
                        desired_state: t.desired_state.map(|s| s.to_string()).unwrap_or_default(),
                        error: status.err.filter(|e| !e.is_empty()),
                    }
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
