//! Swarm targets: a stack becomes Swarm services, overlay networks, secrets and configs on a
//! Swarm manager — what `docker stack deploy` does — with WindFlow's plan, events and history.
//! It has the container path's shape: a pure translation and planner, one driver module for
//! the Engine API, and the orchestration between them.
//!
//! - [`spec`] translates a stack into Swarm objects (Engine API specs) without I/O
//!   (unit-tested as data); mounts go through `docker::engine_mount`, the container path's
//!   translation.
//! - [`plan`](mod@plan) is the planner: desired objects and hashes against what runs, as plain data, to
//!   a [`SwarmPlan`]; no I/O, tests are data in, data out.
//! - [`docker`] is the Swarm driver: every Engine API call (observe the project's services,
//!   networks, secrets and configs labelled `com.docker.stack.namespace=<project>`; create,
//!   update and remove them; inspect rollouts and tasks; nodes), returning plain types.
//! - `apply` runs a plan in dependency order (networks, secrets and configs, then services)
//!   and waits until each changed service converged: its `UpdateStatus` completed and as many
//!   running tasks as replicas carry the new task template. When Swarm rolls an update back
//!   (or pauses it and WindFlow asks for the rollback), the deployment fails with the last
//!   failing task's error and says the previous version serves again.
//! - Here: [`up`] (pin images, translate, observe, plan, apply, record), [`plan`](fn@plan),
//!   [`down`], [`rollback`], [`services`] (with tasks) and [`nodes`] (the inventory). Secrets
//!   and configs are immutable in Swarm: they are named by content hash, services move to the
//!   new name, and unused ones are removed after a successful deployment.
//!
//! `windflow_engine::deploy` dispatches to this path for a target in `DeployMode::Swarm`.
//!
//! Invariants: only [`docker`] (and the pure [`spec`] translation, for the spec types) sees
//! bollard; the Swarm path talks to the engine only through the `DockerDriver`'s client (a
//! Swarm manager is a Docker engine, so the container `Driver` still works on it); it reports
//! through the same typed events and records the same history as the container path.

mod apply;
pub mod docker;
pub mod plan;
pub mod spec;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use windflow_domain::StackSpec;
use windflow_domain::ingress::with_gateway;
use windflow_domain::naming::GATEWAY_NETWORK_KEY;
use windflow_domain::plan::{PlanError, definition_hash};

use crate::deploy::run::{UpError, UpOptions, UpOutcome};
use crate::docker::DockerDriver;
use crate::driver::{Driver, DriverError, ProgressUpdate};
use crate::events::{EventKind, EventSink};
use crate::history::{History, Revision};
pub use docker::{ensure_manager, init_if_inactive};
use plan::{DesiredNetwork, DesiredObject, PlannedService, SwarmDesired};
pub use plan::{SwarmPlan, SwarmStep};
use spec::{DesiredService, FileContent, Resolved, SpecOptions};

/// The history of Swarm deployments for an endpoint, kept apart from the container path's.
pub fn history_for(endpoint: &str) -> History {
    History::for_endpoint(&format!("swarm+{endpoint}"))
}

/// One node of a Swarm (one definition, in the domain).
pub use windflow_domain::observed::SwarmNode;

/// The nodes of the Swarm `driver` manages.
pub async fn nodes(driver: &DockerDriver) -> Result<Vec<SwarmNode>, DriverError> {
    ensure_manager(driver).await?;
    docker::nodes(driver).await
}

/// Stack key → (Swarm name, id) of secrets or configs.
type ObjectNames = BTreeMap<String, (String, String)>;

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

/// Observes the project, translates the stack (secrets and configs read and named by
/// content, external ones looked up) and plans the difference.
async fn prepare(
    driver: &DockerDriver,
    stack: &StackSpec,
    options: SpecOptions,
    images: BTreeMap<String, String>,
) -> Result<Prepared, UpError> {
    ensure_manager(driver).await?;
    let project = &stack.name;
    if let Some(gateway) = stack.networks.get(GATEWAY_NETWORK_KEY) {
        // Created by the control plane before the stack deploys: a Swarm service can only
        // join a swarm-scoped (overlay) network.
        match docker::network_scope(driver, &gateway.name).await? {
            None => return Err(invalid(PlanError::MissingGateway.to_string())),
            Some(scope) if scope != "swarm" => {
                return Err(invalid(format!(
                    "the gateway network {} on this engine is a {scope} network; Swarm services need it to be an attachable overlay: deploy through the control plane (`windflow serve`), which recreates it",
                    gateway.name
                )));
            }
            Some(_) => {}
        }
    }
    let observed = docker::observe(driver, project).await?;
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
            *id = docker::secret_id(driver, name).await?.ok_or_else(|| {
                invalid(format!("external secret {name} does not exist on the Swarm: create it with `docker secret create {name} <file>`"))
            })?;
        }
    }
    for (key, (name, id)) in resolved.configs.iter_mut() {
        if stack.configs[key].external {
            *id = docker::config_id(driver, name).await?.ok_or_else(|| {
                invalid(format!("external config {name} does not exist on the Swarm: create it with `docker config create {name} <file>`"))
            })?;
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

    let object = |c: &FileContent| DesiredObject {
        key: c.key.clone(),
        name: c.name.clone(),
    };
    let used = |names: &ObjectNames| -> BTreeSet<String> {
        names.values().map(|(name, _)| name.clone()).collect()
    };
    let desired = SwarmDesired {
        project: project.clone(),
        networks: stack
            .networks
            .iter()
            .map(|(key, network)| DesiredNetwork {
                key: key.clone(),
                name: network.name.clone(),
                hash: definition_hash(network),
                external: network.external,
            })
            .collect(),
        secrets: secrets.iter().map(object).collect(),
        configs: configs.iter().map(object).collect(),
        used_secrets: used(&resolved.secrets),
        used_configs: used(&resolved.configs),
        services: services
            .iter()
            .map(|d| PlannedService {
                key: d.key.clone(),
                name: d.name.clone(),
                hash: d.hash.clone(),
                replicas: d.replicas,
            })
            .collect(),
        warnings,
    };
    let plan = plan::plan_up(&desired, &observed);
    Ok(Prepared {
        resolved,
        secrets,
        configs,
        services,
        plan,
    })
}

/// Pins each image: pulled (or built) when missing, then referenced by repository digest when
/// it has one (every node can pull that), else by its local id (no registry lookup at all,
/// like `docker stack deploy --resolve-image never`; other nodes need the same image).
async fn resolve_stack_images(
    driver: &DockerDriver,
    stack: &StackSpec,
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
                None => driver.pull_image(image, None, &progress).await,
            };
            events.emit(EventKind::StepFinished {
                step,
                label,
                elapsed_ms: started.elapsed().as_millis() as u64,
                error: result.as_ref().err().map(ToString::to_string),
            });
            result?;
        }
        let reference = docker::image_reference(driver, image)
            .await?
            .unwrap_or_else(|| image.clone());
        resolved.images.insert(image.clone(), reference);
    }
    Ok(())
}
/// Observes and plans without changing anything (missing images are not pulled; a service
/// whose image is missing shows as changed).
pub async fn plan(driver: &DockerDriver, stack: &StackSpec) -> Result<SwarmPlan, UpError> {
    let stack = &*with_gateway(stack);
    let mut images = BTreeMap::new();
    for service in stack.services.values() {
        if let Ok(Some(reference)) = docker::image_reference(driver, &service.image).await {
            images.insert(service.image.clone(), reference);
        }
    }
    let prepared = prepare(driver, stack, SpecOptions::default(), images).await?;
    Ok(prepared.plan)
}

/// Deploys `stack` as Swarm services and waits until they converged; records the outcome.
pub async fn up(
    driver: &DockerDriver,
    stack: &StackSpec,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<UpOutcome, UpError> {
    let started = Instant::now();
    // Services with domains or TCP forwards also join the gateway's overlay network.
    let stack = &*with_gateway(stack);
    let spec_options = SpecOptions {
        rollback_on_failure: options.execute.rollback,
    };
    // Pin images first, so the stack recorded (and every spec) names what really runs.
    let mut resolved = Resolved::default();
    resolve_stack_images(driver, stack, &mut resolved, events).await?;
    let pinned = crate::deploy::run::pin_images(stack, &resolved.images);
    let prepared = prepare(driver, stack, spec_options, resolved.images.clone()).await?;
    let announced = crate::deploy::run::announce(
        history,
        &stack.name,
        &prepared.plan.warnings,
        prepared.plan.describe(),
        events,
    )?;
    let Some((version, changes)) = announced else {
        return Ok(UpOutcome {
            version: None,
            changes: vec![],
        });
    };
    let result = apply::apply(driver, &pinned, prepared, version, options, events).await;
    events.emit(EventKind::Finished {
        elapsed_ms: started.elapsed().as_millis() as u64,
        ok: result.is_ok(),
    });
    crate::deploy::run::record(
        history,
        version,
        &options.source,
        "up --mode swarm",
        changes,
        pinned,
        result,
    )
}
/// Removes a project's services, then its networks, secrets and configs (volumes stay, as with
/// `docker stack rm`).
pub async fn down(
    driver: &DockerDriver,
    project: &str,
    events: &EventSink,
) -> Result<SwarmPlan, UpError> {
    ensure_manager(driver).await?;
    let observed = docker::observe(driver, project).await?;
    let plan = plan::plan_down(project, &observed);
    events.emit(EventKind::Planned {
        changes: plan.describe(),
    });
    let started = Instant::now();
    let mut problems = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let result =
            apply::run_step(events, i + 1, step.describe(), apply::remove(driver, step)).await;
        if let Err(e) = result {
            problems.push(e);
        }
    }
    // Tasks stop asynchronously: wait until their containers are gone, so the project is
    // really down when this returns.
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if docker::project_container_count(driver, project).await == 0 {
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
    let target =
        crate::deploy::run::rollback_target(history, project, to, Some(("Swarm", "swarm")))?;
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
    docker::services(driver, project).await
}
