//! The executor: runs a plan's steps on a driver, in parallel where the DAG allows, gating
//! each service on its dependencies' conditions, and on failure puts the previous version
//! back.
//!
//! Invariant: until every service is ready, nothing of the previous version is destroyed.
//! Replaced containers are parked (renamed, and stopped only once their replacement is ready
//! or when a fixed host port forces stop-first), removed containers are removed last. A
//! failure therefore rolls back by removing what was created and un-parking what was parked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use tokio::sync::watch;
use windflow_domain::naming::{
    LABEL_CONTAINER_NUMBER, LABEL_PROJECT, LABEL_SERVICE, container_name, parked_name,
};
use windflow_domain::observed::{ContainerState, Health, Observed};
use windflow_domain::plan::{Action, Plan, RecreateStrategy, ReplicaAction, Step};
use windflow_domain::spec::{ContainerSpec, container_spec};
use windflow_domain::{Condition, StackSpec};

use crate::driver::{Driver, DriverError, LogOptions, ProgressUpdate};
use crate::events::{EventKind, EventSink};

#[derive(Debug, Clone)]
pub struct ExecuteOptions {
    /// The longest any one service may take to become ready (its healthcheck's own worst case
    /// is used when shorter).
    pub wait_timeout: Duration,
    /// Recorded on every container created (`io.windflow.stack-version`).
    pub stack_version: Option<u64>,
    /// Put the previous version back when a step fails (default). Off, the failed state stays
    /// for inspection.
    pub rollback: bool,
    /// When this turns `true` the deployment stops where it is and fails (and so rolls back):
    /// Ctrl-C in the CLI, a cancel request in the server.
    pub cancel: Option<watch::Receiver<bool>>,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        Self {
            wait_timeout: Duration::from_secs(300),
            stack_version: None,
            rollback: true,
            cancel: None,
        }
    }
}

/// Why a deployment failed, and what was done about it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}{}", rollback_summary(.rollback))]
pub struct DeployFailure {
    pub message: String,
    pub rollback: Option<RollbackReport>,
}

#[derive(Debug, Clone, Default)]
pub struct RollbackReport {
    pub restored: Vec<String>,
    pub removed: Vec<String>,
    pub errors: Vec<String>,
}

fn rollback_summary(report: &Option<RollbackReport>) -> String {
    let Some(r) = report else {
        return String::new();
    };
    let mut parts = Vec::new();
    if !r.restored.is_empty() {
        parts.push(format!("restored {}", r.restored.join(", ")));
    }
    // Kubernetes objects are named `kind/name`; containers are counted.
    if !r.removed.is_empty() && r.removed.iter().all(|x| x.contains('/')) {
        parts.push(format!("removed {}", r.removed.join(", ")));
    } else if !r.removed.is_empty() {
        parts.push(format!("removed {} new container(s)", r.removed.len()));
    }
    let mut text = if parts.is_empty() {
        "\nrolled back: nothing had changed".to_string()
    } else {
        format!("\nrolled back: {}", parts.join("; "))
    };
    if !r.errors.is_empty() {
        text.push_str(&format!("\nrollback problems: {}", r.errors.join("; ")));
    }
    text
}

#[derive(Debug, Clone, PartialEq)]
enum Gate {
    Pending,
    Started,
    /// Running, ready, and without a healthcheck: `service_healthy` can never hold.
    Running,
    Healthy,
    Completed,
    Failed(String),
}

impl Gate {
    fn satisfies(&self, condition: Condition) -> Option<Result<(), String>> {
        match (self, condition) {
            (Gate::Failed(e), _) => Some(Err(e.clone())),
            (Gate::Pending, _) => None,
            (_, Condition::ServiceStarted) => Some(Ok(())),
            (Gate::Healthy | Gate::Completed, Condition::ServiceHealthy) => Some(Ok(())),
            // As compose: waiting for the health of a container that has none is an error,
            // not a pass.
            (Gate::Running, Condition::ServiceHealthy) => Some(Err(
                "it has no healthcheck, so condition service_healthy can never hold: add a healthcheck to it or use condition: service_started".into(),
            )),
            (Gate::Completed, Condition::ServiceCompletedSuccessfully) => Some(Ok(())),
            (Gate::Healthy | Gate::Running, Condition::ServiceCompletedSuccessfully) => None,
            (Gate::Started, _) => None,
        }
    }
}

#[derive(Debug, Default)]
struct Journal {
    created_networks: Vec<String>,
    created_volumes: Vec<String>,
    created: Vec<(String, String)>,
    parked: Vec<Parked>,
    started: Vec<(String, String)>,
}

/// A replica after its non-disruptive part was done, waiting to be started.
enum Prepared {
    Nothing,
    Start(String),
    Restart(String),
    New {
        id: String,
        replaces: Option<String>,
    },
}

#[derive(Debug, Clone)]
struct Parked {
    service: String,
    id: String,
    name: String,
    was_running: bool,
    stopped: bool,
}

struct Run<'a> {
    driver: &'a dyn Driver,
    stack: &'a StackSpec,
    observed: &'a Observed,
    events: EventSink,
    options: &'a ExecuteOptions,
    journal: Mutex<Journal>,
    gates: BTreeMap<String, watch::Sender<Gate>>,
    /// service → replica number → container id, as it stands now.
    current: Mutex<BTreeMap<String, BTreeMap<u32, String>>>,
}

/// Runs `plan` (from `plan_up`) for `stack`. On success the old containers are gone; on
/// failure (with `options.rollback`) the target runs what it ran before.
pub async fn execute_up(
    driver: &dyn Driver,
    stack: &StackSpec,
    observed: &Observed,
    plan: &Plan,
    options: &ExecuteOptions,
    events: &EventSink,
) -> Result<(), DeployFailure> {
    let started = Instant::now();
    events.emit(EventKind::Planned {
        changes: plan.describe(),
    });
    for warning in &plan.warnings {
        events.emit(EventKind::Warning {
            message: warning.clone(),
        });
    }
    let mut gates = BTreeMap::new();
    for name in stack.services.keys() {
        let initial =
            if plan.steps.iter().any(
                |s| matches!(&s.action, Action::DeployService { service, .. } if service == name),
            ) {
                Gate::Pending
            } else if stack.is_job(name) {
                Gate::Completed
            } else if observed
                .containers
                .iter()
                .filter(|c| &c.service == name)
                .all(|c| c.health.is_none())
            {
                Gate::Running
            } else {
                Gate::Healthy
            };
        gates.insert(name.clone(), watch::channel(initial).0);
    }
    let mut current: BTreeMap<String, BTreeMap<u32, String>> = BTreeMap::new();
    for c in &observed.containers {
        current
            .entry(c.service.clone())
            .or_default()
            .insert(c.number, c.id.clone());
    }
    let run = Run {
        driver,
        stack,
        observed,
        events: events.clone(),
        options,
        journal: Mutex::new(Journal::default()),
        gates,
        current: Mutex::new(current),
    };

    // Removals wait until everything else succeeded.
    let (removals, forward): (Vec<&Step>, Vec<&Step>) = plan
        .steps
        .iter()
        .partition(|s| matches!(s.action, Action::RemoveContainer { .. }));
    let result = run.run_dag(&forward).await;
    match result {
        Ok(()) => {
            run.retire_parked().await;
            let removal_result = run.run_dag(&removals).await;
            events.emit(EventKind::Finished {
                elapsed_ms: started.elapsed().as_millis() as u64,
                ok: true,
            });
            if let Err(message) = removal_result {
                // The new version runs; only a leftover remains. Say so without failing.
                events.emit(EventKind::Warning {
                    message: format!("cleanup incomplete: {message}"),
                });
            }
            Ok(())
        }
        Err(message) => {
            let rollback = if options.rollback {
                events.emit(EventKind::RollbackStarted {
                    reason: message.clone(),
                });
                let report = run.rollback().await;
                events.emit(EventKind::RollbackFinished {
                    restored: report.errors.is_empty(),
                });
                Some(report)
            } else {
                None
            };
            events.emit(EventKind::Finished {
                elapsed_ms: started.elapsed().as_millis() as u64,
                ok: false,
            });
            Err(DeployFailure { message, rollback })
        }
    }
}

/// Runs a plan that only removes (from `plan_down`): containers first, then networks and
/// volumes. Failures are collected, not stopped at.
pub async fn execute_down(
    driver: &dyn Driver,
    stack: &StackSpec,
    plan: &Plan,
    events: &EventSink,
) -> Result<(), String> {
    let observed = Observed::default();
    let options = ExecuteOptions::default();
    let run = Run {
        driver,
        stack,
        observed: &observed,
        events: events.clone(),
        options: &options,
        journal: Mutex::new(Journal::default()),
        gates: BTreeMap::new(),
        current: Mutex::new(BTreeMap::new()),
    };
    let steps: Vec<&Step> = plan.steps.iter().collect();
    run.run_dag(&steps).await
}

impl<'a> Run<'a> {
    /// Runs steps as soon as the steps they wait for are done; stops launching at the first
    /// failure and waits for the running ones.
    async fn run_dag(&self, steps: &[&Step]) -> Result<(), String> {
        let ids: BTreeSet<usize> = steps.iter().map(|s| s.id).collect();
        let services: BTreeMap<usize, &str> = steps
            .iter()
            .filter_map(|s| match &s.action {
                Action::DeployService { service, .. } => Some((s.id, service.as_str())),
                _ => None,
            })
            .collect();
        let mut waiting: BTreeMap<usize, BTreeSet<usize>> = steps
            .iter()
            .map(|s| {
                let hard = s.after.iter().copied().filter(|a| {
                    ids.contains(a) && !self.is_gated_edge(s, services.get(a).copied())
                });
                (s.id, hard.collect())
            })
            .collect();
        let by_id: BTreeMap<usize, &Step> = steps.iter().map(|s| (s.id, *s)).collect();
        let mut running: FuturesUnordered<BoxFuture<'_, (usize, Result<(), String>)>> =
            FuturesUnordered::new();
        let mut failure: Option<String> = None;
        loop {
            if failure.is_none() {
                let ready: Vec<usize> = waiting
                    .iter()
                    .filter(|(_, deps)| deps.is_empty())
                    .map(|(id, _)| *id)
                    .collect();
                for id in ready {
                    waiting.remove(&id);
                    let step = by_id[&id];
                    running.push(Box::pin(async move { (id, self.run_step(step).await) }));
                }
            }
            let next = tokio::select! {
                next = running.next() => next,
                () = cancelled(self.options.cancel.clone()), if failure.is_none() => {
                    // Dropping the running steps stops them at their next await; each records
                    // what it did in the journal as soon as it did it, so rollback sees it.
                    running.clear();
                    self.release_gates("cancelled by the user");
                    failure = Some("cancelled by the user".to_string());
                    continue;
                }
            };
            let Some((id, result)) = next else {
                break;
            };
            match result {
                Ok(()) => {
                    for deps in waiting.values_mut() {
                        deps.remove(&id);
                    }
                }
                Err(e) => {
                    if failure.is_none() {
                        self.release_gates(&e);
                        failure = Some(e);
                    }
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None if !waiting.is_empty() => {
                Err("the plan has steps that can never run (a dependency cycle)".into())
            }
            None => Ok(()),
        }
    }

    /// Whether the edge from `step` to the deployment of `dependency` is ordered by the
    /// dependency gates rather than by the DAG: a service waits for its `depends_on` services
    /// only to *start* its containers, so it may park and create them meanwhile. A parent
    /// whose container it joins (`network_mode`, `pid`, `ipc`: `service:x`, `volumes_from`)
    /// stays a hard edge: that container must exist first.
    fn is_gated_edge(&self, step: &Step, dependency: Option<&str>) -> bool {
        let (Action::DeployService { service, .. }, Some(dependency)) = (&step.action, dependency)
        else {
            return false;
        };
        let definition = &self.stack.services[service];
        definition.depends_on.contains_key(dependency)
            && !definition
                .shared_parents()
                .iter()
                .any(|(_, parent)| *parent == dependency)
    }

    /// After a failure, services still waiting on a gate that will never open fail too.
    fn release_gates(&self, reason: &str) {
        for sender in self.gates.values() {
            sender.send_if_modified(|gate| {
                let pending = matches!(gate, Gate::Pending | Gate::Started);
                if pending {
                    *gate = Gate::Failed(format!("not deployed: {reason}"));
                }
                pending
            });
        }
    }

    async fn run_step(&self, step: &Step) -> Result<(), String> {
        let label = step_label(&step.action);
        let started = Instant::now();
        self.events.emit(EventKind::StepStarted {
            step: step.id,
            label: label.clone(),
        });
        let result = self.perform(step).await;
        self.events.emit(EventKind::StepFinished {
            step: step.id,
            label: label.clone(),
            elapsed_ms: started.elapsed().as_millis() as u64,
            error: result.as_ref().err().cloned(),
        });
        result
    }

    async fn perform(&self, step: &Step) -> Result<(), String> {
        let d = self.driver;
        let progress = |u: ProgressUpdate| {
            self.events.emit(EventKind::StepProgress {
                step: step.id,
                id: u.id,
                message: u.message,
                current: u.current,
                total: u.total,
            })
        };
        match &step.action {
            Action::CreateNetwork { key, name } => {
                let network = &self.stack.networks[key];
                d.create_network(&self.stack.name, key, network)
                    .await
                    .map_err(|e| e.to_string())?;
                self.journal
                    .lock()
                    .unwrap()
                    .created_networks
                    .push(name.clone());
                Ok(())
            }
            Action::CreateVolume { key, name } => {
                let volume = &self.stack.volumes[key];
                d.create_volume(&self.stack.name, key, volume)
                    .await
                    .map_err(|e| e.to_string())?;
                self.journal
                    .lock()
                    .unwrap()
                    .created_volumes
                    .push(name.clone());
                Ok(())
            }
            Action::PullImage { image, services } => {
                // The variant the services ask for (`platform:`), else the engine's own.
                let platform = services
                    .iter()
                    .find_map(|s| self.stack.services.get(s)?.platform.as_deref());
                d.pull_image(image, platform, &progress)
                    .await
                    .map_err(|e| e.to_string())
            }
            Action::BuildImage { service, image } => {
                let build = self.stack.services[service]
                    .build
                    .as_ref()
                    .ok_or("service has no build section")?;
                d.build_image(image, build, &progress)
                    .await
                    .map_err(|e| format!("service {service}: {e}"))
            }
            Action::DeployService {
                service,
                config_hash,
                strategy,
                replicas,
            } => {
                let result = self
                    .deploy_service(service, config_hash, *strategy, replicas)
                    .await;
                if let Err(e) = &result {
                    self.set_gate(service, Gate::Failed(e.clone()));
                    self.events.emit(EventKind::ServiceState {
                        service: service.clone(),
                        state: "failed".into(),
                        detail: Some(e.clone()),
                    });
                }
                result
            }
            Action::RemoveContainer { id, service, .. } => {
                // Stop gracefully first (the container's own stop signal and grace period),
                // as compose does, then remove.
                let grace = self
                    .stack
                    .services
                    .get(service)
                    .and_then(|s| s.stop_grace_period);
                d.stop_container(id, grace)
                    .await
                    .map_err(|e| e.to_string())?;
                d.remove_container(id, false)
                    .await
                    .map_err(|e| e.to_string())
            }
            Action::RemoveNetwork { name } => {
                d.remove_network(name).await.map_err(|e| e.to_string())
            }
            Action::RemoveVolume { name } => d.remove_volume(name).await.map_err(|e| e.to_string()),
        }
    }

    fn set_gate(&self, service: &str, gate: Gate) {
        if let Some(sender) = self.gates.get(service) {
            sender.send_replace(gate);
        }
    }

    /// Waits until `dependency` satisfies `condition`.
    async fn wait_for(
        &self,
        service: &str,
        dependency: &str,
        condition: Condition,
    ) -> Result<(), String> {
        let Some(sender) = self.gates.get(dependency) else {
            return Ok(());
        };
        let mut receiver = sender.subscribe();
        loop {
            if let Some(result) = receiver.borrow_and_update().satisfies(condition) {
                return result.map_err(|e| {
                    format!("service {service}: dependency {dependency} failed: {e}")
                });
            }
            if receiver.changed().await.is_err() {
                return Err(format!(
                    "service {service}: dependency {dependency} never became ready"
                ));
            }
        }
    }

    async fn deploy_service(
        &self,
        service: &str,
        config_hash: &str,
        strategy: RecreateStrategy,
        replicas: &[ReplicaAction],
    ) -> Result<(), String> {
        let definition = &self.stack.services[service];
        // Park and create first: creating does not depend on the dependencies being up, so
        // only the start waits for them (as compose does), and a dependency turning healthy
        // is followed by a start, not a create and a start.
        let prepared = futures::future::join_all(
            replicas
                .iter()
                .map(|action| self.prepare_replica(service, config_hash, action)),
        )
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
        for (dependency, d) in &definition.depends_on {
            if self.stack.services.contains_key(dependency) {
                self.wait_for(service, dependency, d.condition).await?;
            }
        }
        let activated = futures::future::join_all(
            prepared
                .iter()
                .map(|p| self.activate_replica(service, strategy, p)),
        )
        .await;
        let mut started_ids = Vec::new();
        for result in activated {
            if let Some(id) = result? {
                started_ids.push(id);
            }
        }
        self.set_gate(service, Gate::Started);
        self.events.emit(EventKind::ServiceState {
            service: service.into(),
            state: "started".into(),
            detail: None,
        });

        let job = self.stack.is_job(service);
        let limit = definition
            .healthcheck
            .as_ref()
            .filter(|h| !h.disable)
            .map_or(self.options.wait_timeout, |h| {
                (h.worst_case() + Duration::from_secs(10)).min(self.options.wait_timeout)
            });
        let readiness = futures::future::join_all(
            started_ids
                .iter()
                .map(|id| self.wait_ready(service, id, job, limit)),
        )
        .await;
        let mut gate = if job { Gate::Completed } else { Gate::Healthy };
        for r in readiness {
            match r? {
                Gate::Started if !job => gate = Gate::Running,
                other => gate = other,
            }
        }
        // The replacements are ready: the parked old replicas stop serving now (they stay
        // until the whole deployment succeeds, for rollback).
        self.stop_parked(service).await;
        let state = match gate {
            Gate::Completed => "completed",
            _ => "ready",
        };
        self.set_gate(service, gate);
        self.events.emit(EventKind::ServiceState {
            service: service.into(),
            state: state.into(),
            detail: None,
        });
        Ok(())
    }

    /// The part of a replica's change that does not disturb what runs: a replaced container
    /// is parked under another name (still serving) and its successor created, not started.
    async fn prepare_replica(
        &self,
        service: &str,
        config_hash: &str,
        action: &ReplicaAction,
    ) -> Result<Prepared, String> {
        match action {
            ReplicaAction::Keep { .. } => Ok(Prepared::Nothing),
            ReplicaAction::Start { id, .. } => Ok(Prepared::Start(id.clone())),
            ReplicaAction::Restart { id, .. } => Ok(Prepared::Restart(id.clone())),
            ReplicaAction::Create { number } => {
                let id = self.create(service, *number, config_hash).await?;
                Ok(Prepared::New { id, replaces: None })
            }
            ReplicaAction::Resume { number, id, parked } => {
                // As if this run had parked `parked` and created `id` itself, so success
                // retires the predecessor and failure restores it.
                let name = self
                    .stack
                    .services
                    .get(service)
                    .and_then(|s| s.container_name.clone())
                    .unwrap_or_else(|| container_name(&self.stack.name, service, *number));
                let mut journal = self.journal.lock().unwrap();
                journal.parked.push(Parked {
                    service: service.to_string(),
                    id: parked.clone(),
                    name,
                    was_running: true,
                    stopped: false,
                });
                journal.created.push((service.into(), id.clone()));
                drop(journal);
                self.current
                    .lock()
                    .unwrap()
                    .entry(service.into())
                    .or_default()
                    .insert(*number, id.clone());
                Ok(Prepared::New {
                    id: id.clone(),
                    replaces: Some(parked.clone()),
                })
            }
            ReplicaAction::Recreate { number, id, .. } => {
                let old = self.observed.containers.iter().find(|c| &c.id == id);
                let name = old.map_or_else(String::new, |c| c.name.clone());
                let was_running = old.is_some_and(|c| c.state == ContainerState::Running);
                self.driver
                    .rename_container(id, &parked_name(id, &name))
                    .await
                    .map_err(|e| e.to_string())?;
                self.journal.lock().unwrap().parked.push(Parked {
                    service: service.to_string(),
                    id: id.clone(),
                    name,
                    was_running,
                    stopped: !was_running,
                });
                let new = self.create(service, *number, config_hash).await?;
                Ok(Prepared::New {
                    id: new,
                    replaces: Some(id.clone()),
                })
            }
        }
    }

    /// Starts a prepared replica (after stopping the one it replaces when both cannot run at
    /// once); returns the id of a container to watch until ready.
    async fn activate_replica(
        &self,
        service: &str,
        strategy: RecreateStrategy,
        prepared: &Prepared,
    ) -> Result<Option<String>, String> {
        let d = self.driver;
        let grace = self.stack.services[service].stop_grace_period;
        match prepared {
            Prepared::Nothing => Ok(None),
            Prepared::Start(id) => {
                d.start_container(id).await.map_err(|e| e.to_string())?;
                self.journal
                    .lock()
                    .unwrap()
                    .started
                    .push((service.into(), id.clone()));
                Ok(Some(id.clone()))
            }
            Prepared::Restart(id) => {
                d.restart_container(id, grace)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Some(id.clone()))
            }
            Prepared::New { id, replaces } => {
                if let (Some(old), RecreateStrategy::StopFirst) = (replaces, strategy) {
                    d.stop_container(old, grace)
                        .await
                        .map_err(|e| e.to_string())?;
                    if let Some(p) = self
                        .journal
                        .lock()
                        .unwrap()
                        .parked
                        .iter_mut()
                        .find(|p| &p.id == old)
                    {
                        p.stopped = true;
                    }
                }
                let name = self
                    .observed
                    .containers
                    .iter()
                    .find(|c| Some(&c.id) == replaces.as_ref());
                d.start_container(id).await.map_err(|e| match name {
                    Some(old) => format!("{}: {e}", old.name),
                    None => e.to_string(),
                })?;
                Ok(Some(id.clone()))
            }
        }
    }

    async fn create(
        &self,
        service: &str,
        number: u32,
        config_hash: &str,
    ) -> Result<String, String> {
        let mut spec = container_spec(
            self.stack,
            service,
            number,
            config_hash,
            self.options.stack_version,
        );
        // `service:<name>` references (network_mode, pid, ipc, volumes_from) become the
        // engine's `container:<id>`: the parent's container exists, its step ran first.
        let parent_id = |field: &str, parent: &str| {
            self.current
                .lock()
                .unwrap()
                .get(parent)
                .and_then(|replicas| replicas.values().next().cloned())
                .ok_or_else(|| {
                    format!("service {service}: {field} service:{parent} has no container")
                })
        };
        let s = &mut spec.service;
        for (field, mode) in [
            ("network_mode", &mut s.network_mode),
            ("pid", &mut s.pid),
            ("ipc", &mut s.ipc),
        ] {
            if let Some(parent) = mode.as_deref().and_then(|m| m.strip_prefix("service:")) {
                *mode = Some(format!("container:{}", parent_id(field, parent)?));
            }
        }
        for entry in &mut s.volumes_from {
            if entry.starts_with("container:") {
                continue;
            }
            let (parent, access) = windflow_domain::volumes_from_parts(entry);
            let id = parent_id("volumes_from", parent)?;
            *entry = match access {
                Some(access) => format!("container:{id}:{access}"),
                None => format!("container:{id}"),
            };
        }
        let id = match self.driver.create_container(&spec).await {
            Ok(id) => id,
            Err(DriverError::Conflict { .. }) if self.remove_interrupted_create(&spec).await => {
                self.driver
                    .create_container(&spec)
                    .await
                    .map_err(|e| e.to_string())?
            }
            Err(e) => return Err(e.to_string()),
        };
        self.journal
            .lock()
            .unwrap()
            .created
            .push((service.into(), id.clone()));
        self.current
            .lock()
            .unwrap()
            .entry(service.into())
            .or_default()
            .insert(number, id.clone());
        Ok(id)
    }

    /// The name is taken by a container of this very replica that was never started: a create
    /// still in flight when an earlier attempt of this deployment was interrupted (the engine
    /// finishes it after the client is gone, so the plan did not see it). It is removed so the
    /// create can run again. Anything else holding the name — another project's container, or
    /// one that ever ran — is left alone and the conflict stands.
    async fn remove_interrupted_create(&self, spec: &ContainerSpec) -> bool {
        let Ok(found) = self.driver.inspect_container(&spec.name).await else {
            return false;
        };
        let label = |key: &str| found["Config"]["Labels"][key].as_str().map(str::to_owned);
        let same_replica = label(LABEL_PROJECT).as_deref() == Some(spec.project.as_str())
            && label(LABEL_SERVICE).as_deref() == Some(spec.service_name.as_str())
            && label(LABEL_CONTAINER_NUMBER) == Some(spec.number.to_string());
        let never_started = found["State"]["Status"] == "created"
            && found["State"]["StartedAt"]
                .as_str()
                .is_none_or(|t| t.starts_with("0001-01-01"));
        let Some(id) = found["Id"].as_str() else {
            return false;
        };
        same_replica && never_started && self.driver.remove_container(id, false).await.is_ok()
    }

    /// Watches a started container until it is ready: healthy when it has a healthcheck,
    /// exited 0 when it is a job, running otherwise.
    async fn wait_ready(
        &self,
        service: &str,
        id: &str,
        job: bool,
        limit: Duration,
    ) -> Result<Gate, String> {
        let deadline = Instant::now() + limit;
        // Polling starts fast and stays under 150 ms, so a chain of health-gated services loses
        // at most that per level to detection.
        let mut pause = Duration::from_millis(25);
        loop {
            let status = self
                .driver
                .container_status(id)
                .await
                .map_err(|e| e.to_string())?;
            let name = status.name.clone();
            let failure = |what: String| async move {
                let logs = self.last_logs(id).await;
                Err(format!("service {service}: container {name} {what}{logs}"))
            };
            match (status.state, status.health) {
                (ContainerState::Exited | ContainerState::Dead, _) => {
                    let code = status.exit_code.unwrap_or(-1);
                    if code == 0
                        && (job
                            || self.stack.services[service]
                                .restart
                                .as_deref()
                                .is_none_or(|r| r == "no"))
                    {
                        return Ok(Gate::Completed);
                    }
                    return failure(format!("exited with code {code}")).await;
                }
                (ContainerState::Restarting, _) => {
                    return failure(format!(
                        "is restarting after exiting with code {}",
                        status.exit_code.unwrap_or(-1)
                    ))
                    .await;
                }
                (ContainerState::Running, Some(Health::Unhealthy)) => {
                    let output = status
                        .health_output
                        .filter(|o| !o.is_empty())
                        .map(|o| format!(" (last check: {o})"))
                        .unwrap_or_default();
                    return failure(format!("is unhealthy{output}")).await;
                }
                (ContainerState::Running, Some(Health::Healthy)) if !job => {
                    return Ok(Gate::Healthy);
                }
                (ContainerState::Running, None) if !job => return Ok(Gate::Started),
                _ => {}
            }
            if Instant::now() >= deadline {
                let what = if job {
                    "did not finish"
                } else {
                    "did not become healthy"
                };
                return failure(format!("{what} within {}s", limit.as_secs())).await;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 3 / 2).min(Duration::from_millis(150));
        }
    }

    async fn last_logs(&self, id: &str) -> String {
        let Ok(mut stream) = self
            .driver
            .logs(
                id,
                LogOptions {
                    tail: Some(10),
                    ..Default::default()
                },
            )
            .await
        else {
            return String::new();
        };
        let mut lines = Vec::new();
        while let Some(Ok(line)) = stream.next().await {
            lines.push(format!("    {}", line.text));
        }
        if lines.is_empty() {
            String::new()
        } else {
            format!("\n  last log lines:\n{}", lines.join("\n"))
        }
    }

    async fn stop_parked(&self, service: &str) {
        let to_stop: Vec<Parked> = {
            let journal = self.journal.lock().unwrap();
            journal
                .parked
                .iter()
                .filter(|p| !p.stopped && p.service == service)
                .cloned()
                .collect()
        };
        let grace = self.stack.services[service].stop_grace_period;
        futures::future::join_all(
            to_stop
                .iter()
                .map(|p| self.driver.stop_container(&p.id, grace)),
        )
        .await;
        let mut journal = self.journal.lock().unwrap();
        for p in journal.parked.iter_mut() {
            if to_stop.iter().any(|s| s.id == p.id) {
                p.stopped = true;
            }
        }
    }

    async fn retire_parked(&self) {
        let parked: Vec<Parked> = self.journal.lock().unwrap().parked.clone();
        let results = futures::future::join_all(
            parked
                .iter()
                .map(|p| self.driver.remove_container(&p.id, false)),
        )
        .await;
        for (p, r) in parked.iter().zip(results) {
            if let Err(e) = r {
                self.events.emit(EventKind::Warning {
                    message: format!("could not remove the old {}: {e}", p.name),
                });
            }
        }
    }

    /// Undoes the journal, newest first.
    async fn rollback(&self) -> RollbackReport {
        let journal = std::mem::take(&mut *self.journal.lock().unwrap());
        let mut report = RollbackReport::default();
        let d = self.driver;
        let note = |report: &mut RollbackReport, message: String, result: Result<(), String>| {
            if let Err(e) = &result {
                report.errors.push(format!("{message}: {e}"));
            }
            self.events.emit(EventKind::RollbackAction {
                message,
                error: result.err(),
            });
        };
        let removals = futures::future::join_all(
            journal
                .created
                .iter()
                .map(|(_, id)| d.remove_container(id, true)),
        )
        .await;
        for ((service, id), r) in journal.created.iter().zip(removals) {
            note(
                &mut report,
                format!(
                    "removed new container {} of {service}",
                    &id[..id.len().min(12)]
                ),
                r.map_err(|e| e.to_string()),
            );
            report.removed.push(id.clone());
        }
        for p in journal.parked.iter().rev() {
            let mut result = d
                .rename_container(&p.id, &p.name)
                .await
                .map_err(|e| e.to_string());
            if result.is_ok() && p.was_running {
                result = d.start_container(&p.id).await.map_err(|e| e.to_string());
            }
            if result.is_ok() {
                report.restored.push(p.name.clone());
            }
            note(&mut report, format!("restored {}", p.name), result);
        }
        for (service, id) in &journal.started {
            let r = d.stop_container(id, None).await.map_err(|e| e.to_string());
            note(&mut report, format!("stopped {service} again"), r);
        }
        for name in journal.created_networks.iter().rev() {
            let r = d.remove_network(name).await.map_err(|e| e.to_string());
            note(&mut report, format!("removed new network {name}"), r);
        }
        for name in journal.created_volumes.iter().rev() {
            let r = d.remove_volume(name).await.map_err(|e| e.to_string());
            note(&mut report, format!("removed new volume {name}"), r);
        }
        report
    }
}

/// Resolves when `cancel` turns true; never, without one.
async fn cancelled(cancel: Option<watch::Receiver<bool>>) {
    match cancel {
        Some(mut receiver) => {
            if receiver.wait_for(|c| *c).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// A short human label for a step (`service web`, `pull nginx:1.25`).
pub fn step_label(action: &Action) -> String {
    match action {
        Action::CreateNetwork { name, .. } => format!("network {name}"),
        Action::CreateVolume { name, .. } => format!("volume {name}"),
        Action::PullImage { image, .. } => format!("pull {image}"),
        Action::BuildImage { image, .. } => format!("build {image}"),
        Action::DeployService { service, .. } => format!("service {service}"),
        Action::RemoveContainer { name, .. } => format!("remove {name}"),
        Action::RemoveNetwork { name } => format!("remove network {name}"),
        Action::RemoveVolume { name } => format!("remove volume {name}"),
    }
}
