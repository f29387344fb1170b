//! The operations users run — `plan`, `up`, `down`, `rollback` and a project's `status` —
//! whatever runs the stack on the target.
//!
//! A target's [`DeployMode`] is chosen once, from the target's kind or the CLI's `--mode`, as
//! an [`Orchestrator`]: one variant per mode, each with its own path — [`containers`]
//! (observe → `windflow_domain::plan` → executor, through a `Driver`),
//! [`swarm`] (Swarm services on a manager) and [`kube`] (objects in a Kubernetes
//! namespace). The functions here dispatch on it,
//! so callers never branch on the mode; a new mode is a new variant. Either path records the
//! outcome in a [`History`].

pub mod containers;
pub mod run;

pub use run::{UpError, UpOptions, UpOutcome};

use std::sync::Arc;

use serde::Serialize;
use windflow_domain::StackSpec;
use windflow_domain::observed::ObservedContainer;
use windflow_domain::plan::{Plan, PlanOptions};

use crate::docker::DockerDriver;
use crate::driver::{Driver, DriverError};
use crate::events::EventSink;
use crate::history::{History, Revision};
use crate::kube::{self, KubePlan, KubeTarget, KubeWorkload};
use crate::swarm::{self, ServiceStatus, SwarmPlan};

/// How a target runs stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployMode {
    /// Containers the engine runs directly, as `docker compose` does.
    Containers,
    /// Services on a Swarm manager, as `docker stack deploy` does.
    Swarm,
    /// Objects in a namespace of a Kubernetes cluster, applied server-side.
    Kubernetes,
}

impl DeployMode {
    /// The local history of this mode's deployments on `endpoint` (the modes keep apart).
    /// For Kubernetes, `endpoint` is the API server's URL and the namespace.
    pub fn history_for(self, endpoint: &str) -> History {
        match self {
            Self::Containers => History::for_endpoint(endpoint),
            Self::Swarm => swarm::history_for(endpoint),
            Self::Kubernetes => History::for_endpoint(&format!("kubernetes+{endpoint}")),
        }
    }

    /// What a stack is deployed on, for messages ("deployed on the Swarm"); `None` when it
    /// is the engine itself.
    pub fn destination(self) -> Option<&'static str> {
        match self {
            Self::Containers => None,
            Self::Swarm => Some("the Swarm"),
            Self::Kubernetes => Some("Kubernetes"),
        }
    }

    /// Refuses plan options this mode cannot honour, naming the CLI flag.
    pub fn check(self, options: &PlanOptions) -> Result<(), String> {
        match self {
            Self::Containers => Ok(()),
            Self::Swarm | Self::Kubernetes => {
                let flag = if options.force_recreate {
                    Some("--force-recreate")
                } else if options.no_recreate {
                    Some("--no-recreate")
                } else if options.keep_orphans {
                    Some("--keep-orphans")
                } else {
                    None
                };
                match flag {
                    Some(flag) if self == Self::Swarm => Err(format!(
                        "{flag} does not apply to --mode swarm (Swarm replaces tasks itself)"
                    )),
                    Some(flag) => Err(format!(
                        "{flag} does not apply to --mode kubernetes (the cluster replaces pods itself)"
                    )),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A target with the mode it deploys in, chosen once: every operation below dispatches on it.
#[derive(Clone)]
pub enum Orchestrator {
    /// Containers through a [`Driver`] (a local or remote engine, an agent).
    Containers(Arc<dyn Driver>),
    /// Swarm services through the manager's engine.
    Swarm(DockerDriver),
    /// Objects in a namespace of a cluster, through its API server.
    Kubernetes(KubeTarget),
}

impl Orchestrator {
    /// `mode` on the Docker engine `driver` reaches.
    pub fn on_docker(mode: DeployMode, driver: DockerDriver) -> Self {
        match mode {
            DeployMode::Containers => Self::Containers(Arc::new(driver)),
            DeployMode::Swarm => Self::Swarm(driver),
            DeployMode::Kubernetes => unreachable!("a Kubernetes target is not a Docker engine"),
        }
    }

    pub fn mode(&self) -> DeployMode {
        match self {
            Self::Containers(_) => DeployMode::Containers,
            Self::Swarm(_) => DeployMode::Swarm,
            Self::Kubernetes(_) => DeployMode::Kubernetes,
        }
    }
}

/// What `up` would change, in the target's mode. Serialized as the mode's own plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DeployPlan {
    Containers(Plan),
    Swarm(SwarmPlan),
    Kubernetes(KubePlan),
}

impl DeployPlan {
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Containers(plan) => plan.is_empty(),
            Self::Swarm(plan) => plan.is_empty(),
            Self::Kubernetes(plan) => plan.is_empty(),
        }
    }

    /// One line per change.
    pub fn describe(&self) -> Vec<String> {
        match self {
            Self::Containers(plan) => plan.describe(),
            Self::Swarm(plan) => plan.describe(),
            Self::Kubernetes(plan) => plan.describe(),
        }
    }

    pub fn warnings(&self) -> &[String] {
        match self {
            Self::Containers(plan) => &plan.warnings,
            Self::Swarm(plan) => &plan.warnings,
            Self::Kubernetes(plan) => &plan.warnings,
        }
    }
}

/// What runs for a project, in the target's mode. Serialized as the mode's own list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ProjectStatus {
    /// The project's containers.
    Containers(Vec<ObservedContainer>),
    /// The project's Swarm services with their tasks.
    Swarm(Vec<ServiceStatus>),
    /// The project's workloads with their pods.
    Kubernetes(Vec<KubeWorkload>),
}

/// Observes and plans without changing anything.
pub async fn plan(
    target: &Orchestrator,
    stack: &StackSpec,
    options: &PlanOptions,
) -> Result<DeployPlan, UpError> {
    Ok(match target {
        Orchestrator::Containers(driver) => {
            DeployPlan::Containers(containers::plan(driver.as_ref(), stack, options).await?.1)
        }
        Orchestrator::Swarm(manager) => DeployPlan::Swarm(swarm::plan(manager, stack).await?),
        Orchestrator::Kubernetes(cluster) => {
            DeployPlan::Kubernetes(kube::plan(cluster, stack).await?)
        }
    })
}

/// Deploys `stack` on the target and records the outcome in `history`.
pub async fn up(
    target: &Orchestrator,
    stack: &StackSpec,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<UpOutcome, UpError> {
    match target {
        Orchestrator::Containers(driver) => {
            containers::up(driver.as_ref(), stack, history, options, events).await
        }
        Orchestrator::Swarm(manager) => swarm::up(manager, stack, history, options, events).await,
        Orchestrator::Kubernetes(cluster) => {
            kube::up(cluster, stack, history, options, events).await
        }
    }
}

/// Removes a project, found by labels alone (no compose file needed). `volumes`: its named
/// volumes too (containers, and Kubernetes claims; Swarm keeps volumes, as `docker stack rm`
/// does).
pub async fn down(
    target: &Orchestrator,
    project: &str,
    volumes: bool,
    events: &EventSink,
) -> Result<DeployPlan, UpError> {
    Ok(match target {
        Orchestrator::Containers(driver) => DeployPlan::Containers(
            containers::down(driver.as_ref(), project, volumes, events).await?,
        ),
        Orchestrator::Swarm(manager) => {
            DeployPlan::Swarm(swarm::down(manager, project, events).await?)
        }
        Orchestrator::Kubernetes(cluster) => {
            DeployPlan::Kubernetes(kube::down(cluster, project, volumes, events).await?)
        }
    })
}

/// Puts back an earlier deployed version: `to`, or the one deployed before the current one.
pub async fn rollback(
    target: &Orchestrator,
    project: &str,
    to: Option<u64>,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<(Revision, UpOutcome), UpError> {
    match target {
        Orchestrator::Containers(driver) => {
            containers::rollback(driver.as_ref(), project, to, history, options, events).await
        }
        Orchestrator::Swarm(manager) => {
            swarm::rollback(manager, project, to, history, options, events).await
        }
        Orchestrator::Kubernetes(cluster) => {
            kube::rollback(cluster, project, to, history, options, events).await
        }
    }
}

/// What runs for `project` on the target.
pub async fn status(target: &Orchestrator, project: &str) -> Result<ProjectStatus, DriverError> {
    Ok(match target {
        Orchestrator::Containers(driver) => {
            ProjectStatus::Containers(driver.observe(project, None).await?.containers)
        }
        Orchestrator::Swarm(manager) => {
            ProjectStatus::Swarm(swarm::services(manager, project).await?)
        }
        Orchestrator::Kubernetes(cluster) => {
            ProjectStatus::Kubernetes(kube::status(cluster, project).await?)
        }
    })
}
