//! Runs a [`SwarmPlan`] through the Swarm driver: networks, secrets and configs first, then
//! the services in dependency order, then waits until every changed service converged; on
//! failure puts the previous version back; removals run only once the new version serves.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use windflow_domain::StackSpec;
use windflow_domain::naming::LABEL_STACK_VERSION;

use super::docker::{self as engine, FileObjectKind, TaskView, UpdateState};
use super::plan::SwarmStep;
use super::spec::{self, DesiredService, LABEL_OBJECT_KEY, LABEL_STACK_NAMESPACE};
use super::{Prepared, SwarmPlan};
use crate::deploy::run::UpOptions;
use crate::docker::DockerDriver;
use crate::driver::DriverError;
use crate::events::{EventKind, EventSink};
use crate::executor::{DeployFailure, RollbackReport};

/// Plan steps with their 1-based numbers (the events' step ids).
type NumberedSteps<'a> = Vec<(usize, &'a SwarmStep)>;

/// Runs one step with its events; returns the error text on failure.
pub(super) async fn run_step<F, T>(
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

/// Runs a removal step (the others do nothing here).
pub(super) async fn remove(driver: &DockerDriver, step: &SwarmStep) -> Result<(), DriverError> {
    let context = step.describe();
    match step {
        SwarmStep::RemoveService { id, .. } => engine::remove_service(driver, id, &context).await,
        SwarmStep::RemoveSecret { id, .. } => engine::remove_secret(driver, id, &context).await,
        SwarmStep::RemoveConfig { id, .. } => engine::remove_config(driver, id, &context).await,
        SwarmStep::RemoveNetwork { id, .. } => engine::remove_network(driver, id, &context).await,
        _ => Ok(()),
    }
}

pub(super) async fn apply(
    driver: &DockerDriver,
    stack: &StackSpec,
    mut prepared: Prepared,
    version: u64,
    options: &UpOptions,
    events: &EventSink,
) -> Result<(), DeployFailure> {
    let fail = |message: String| DeployFailure {
        message,
        rollback: None,
    };
    let plan: &SwarmPlan = &prepared.plan;
    let steps = plan.steps.clone();
    let (removals, forward): (NumberedSteps<'_>, NumberedSteps<'_>) = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (i + 1, s))
        .partition(|(_, s)| s.is_removal());

    // 1. Networks, secrets, configs.
    for (n, step) in &forward {
        match step {
            SwarmStep::CreateNetwork { key, .. } => {
                let context = step.describe();
                run_step(
                    events,
                    *n,
                    step.describe(),
                    engine::create_network(driver, &stack.name, &stack.networks[key], &context),
                )
                .await
                .map_err(fail)?;
            }
            SwarmStep::CreateSecret { key, name } | SwarmStep::CreateConfig { key, name } => {
                let kind = if matches!(step, SwarmStep::CreateSecret { .. }) {
                    FileObjectKind::Secret
                } else {
                    FileObjectKind::Config
                };
                let list = match kind {
                    FileObjectKind::Secret => &prepared.secrets,
                    FileObjectKind::Config => &prepared.configs,
                };
                let content = list
                    .iter()
                    .find(|c| &c.key == key)
                    .expect("planned content");
                let mut labels: HashMap<String, String> =
                    content.labels.clone().into_iter().collect();
                labels.insert(LABEL_STACK_NAMESPACE.into(), stack.name.clone());
                labels.insert(LABEL_OBJECT_KEY.into(), key.clone());
                let context = step.describe();
                let id = run_step(
                    events,
                    *n,
                    step.describe(),
                    engine::create_file_object(driver, kind, name, labels, &content.data, &context),
                )
                .await
                .map_err(fail)?;
                let map = match kind {
                    FileObjectKind::Secret => &mut prepared.resolved.secrets,
                    FileObjectKind::Config => &mut prepared.resolved.configs,
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
        let context = step.describe();
        let result = run_step(events, *n, step.describe(), async {
            match &existing {
                None => engine::create_service(driver, body, &context).await,
                Some((id, version)) => {
                    engine::update_service(driver, id, *version, body, &context).await
                }
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
        if let Err(e) = run_step(events, *n, step.describe(), remove(driver, step)).await {
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
    let mut report = RollbackReport::default();
    for (desired, created) in changed {
        if *created {
            let error = engine::remove_service_named(driver, &desired.name)
                .await
                .err();
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
    let deadline = Instant::now() + timeout;
    let mut asked = false;
    loop {
        let rollout = engine::rollout(driver, name).await?;
        match rollout.state {
            Some(UpdateState::RollbackCompleted) => return Ok(()),
            Some(UpdateState::RollbackPaused) => {
                return Err(format!(
                    "Swarm paused the rollback: {}",
                    rollout.message.unwrap_or_default()
                ));
            }
            Some(UpdateState::RollbackStarted) => {}
            _ if !asked => {
                asked = true;
                engine::request_rollback(driver, name, &rollout).await?;
            }
            _ => {}
        }
        if Instant::now() > deadline {
            return Err("the rollback did not finish in time".into());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The last error of a task of `hash` (the new spec), for messages.
fn last_task_error(tasks: &[TaskView], hash: &str) -> Option<String> {
    tasks
        .iter()
        .filter(|t| t.hash.as_deref() == Some(hash))
        .filter(|t| t.failed || t.shut_down)
        .filter_map(|t| {
            let text = t
                .error
                .clone()
                .filter(|e| !e.is_empty())
                .or_else(|| t.message.clone().filter(|m| m != "shutdown"))?;
            Some((t.time.clone(), text))
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
    let name = &desired.name;
    let deadline = Instant::now() + timeout;
    let mut last_progress = String::new();
    let mut rolling_back = false;
    loop {
        let update = engine::rollout(driver, name)
            .await
            .map_err(|e| format!("service {name}: {e}"))?;
        let tasks = engine::service_tasks(driver, name).await?;
        let why = || {
            last_task_error(&tasks, &desired.task_hash)
                .or_else(|| update.message.clone())
                .unwrap_or_else(|| "no task error was reported".into())
        };
        match update.state {
            Some(UpdateState::RollbackCompleted) => {
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
            Some(UpdateState::RollbackStarted) if !rolling_back => {
                rolling_back = true;
                events.emit(EventKind::ServiceState {
                    service: desired.key.clone(),
                    state: "rolling_back".into(),
                    detail: Some(why()),
                });
            }
            Some(UpdateState::Paused) => {
                return Err(format!(
                    "service {name}: Swarm paused the update: {}",
                    why()
                ));
            }
            Some(UpdateState::RollbackPaused) => {
                return Err(format!(
                    "service {name}: the update failed and Swarm paused its rollback: {}",
                    why()
                ));
            }
            _ => {}
        }
        let running: Vec<&TaskView> = tasks.iter().filter(|t| t.desired_running).collect();
        let new_running = running
            .iter()
            .filter(|t| t.hash.as_deref() == Some(desired.task_hash.as_str()))
            .filter(|t| t.running)
            .count() as u64;
        let wanted = desired.replicas.unwrap_or(running.len().max(1) as u64);
        let settled = matches!(update.state, None | Some(UpdateState::Completed));
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
            .filter(|t| t.hash.as_deref() == Some(desired.task_hash.as_str()))
            .filter(|t| t.failed)
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
