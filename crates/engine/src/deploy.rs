//! The operations users run — `up`, `down`, `rollback` — as observe → plan → execute → record.

use std::collections::BTreeMap;

use windflow_domain::Stack;
use windflow_domain::observed::Observed;
use windflow_domain::plan::{Action, Plan, PlanError, PlanOptions, plan_down, plan_up};

use crate::driver::{Driver, DriverError};
use crate::events::{EventKind, EventSink};
use crate::executor::{DeployFailure, ExecuteOptions, execute_down, execute_up};
use crate::history::{History, HistoryError, Revision, RevisionOutcome};

#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    pub plan: PlanOptions,
    pub execute: ExecuteOptions,
    /// What asked for this deployment, recorded in the history (`up`, `rollback to v3`).
    pub source: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpOutcome {
    /// The history version recorded, or `None` when nothing changed.
    pub version: Option<u64>,
    pub changes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error(transparent)]
    Driver(#[from] DriverError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("deployment of {project} failed: {failure}")]
    Failed {
        project: String,
        failure: DeployFailure,
    },
    #[error("{0}")]
    Rollback(String),
}

/// Observes and plans without changing anything.
pub async fn plan(
    driver: &dyn Driver,
    stack: &Stack,
    options: &PlanOptions,
) -> Result<(Observed, Plan), UpError> {
    let observed = driver.observe(&stack.name, Some(stack)).await?;
    let plan = plan_up(stack, &observed, options)?;
    Ok((observed, plan))
}

/// Deploys `stack`: images first (pull or build what is needed), then a plan against the
/// engine's real state with every image id known, then the executor. The outcome lands in
/// the history either way.
pub async fn up(
    driver: &dyn Driver,
    stack: &Stack,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<UpOutcome, UpError> {
    let (mut observed, first) = plan(driver, stack, &options.plan).await?;
    let image_steps: Vec<_> = first
        .steps
        .iter()
        .filter(|s| {
            matches!(
                s.action,
                Action::PullImage { .. } | Action::BuildImage { .. }
            )
        })
        .cloned()
        .map(|mut s| {
            s.after.clear();
            s
        })
        .collect();
    let plan = if image_steps.is_empty() {
        first
    } else {
        let images = Plan {
            project: stack.name.clone(),
            steps: image_steps,
            warnings: vec![],
        };
        let no_rollback = ExecuteOptions {
            rollback: false,
            ..options.execute.clone()
        };
        execute_up(driver, stack, &observed, &images, &no_rollback, events)
            .await
            .map_err(|failure| UpError::Failed {
                project: stack.name.clone(),
                failure,
            })?;
        let images: std::collections::BTreeSet<&String> =
            stack.services.values().map(|s| &s.image).collect();
        let ids =
            futures::future::join_all(images.iter().map(|image| driver.image_id(image))).await;
        for (image, id) in images.into_iter().zip(ids) {
            if let Some(id) = id? {
                observed.images.insert(image.clone(), id);
            }
        }
        let replan = PlanOptions {
            build: false,
            pull_always: false,
            ..options.plan.clone()
        };
        plan_up(stack, &observed, &replan)?
    };
    if plan.is_empty() {
        events.emit(EventKind::Planned { changes: vec![] });
        return Ok(UpOutcome {
            version: None,
            changes: vec![],
        });
    }

    let version = history.next_version(&stack.name)?;
    let execute = ExecuteOptions {
        stack_version: Some(version),
        ..options.execute.clone()
    };
    let changes = plan.describe();
    let result = execute_up(driver, stack, &observed, &plan, &execute, events).await;
    let pinned = pin_images(stack, &observed.images);
    record(
        history,
        version,
        &options.source,
        "up",
        changes,
        pinned,
        result,
    )
}

/// `stack` with each service's image replaced by the id (or digest reference) it resolved
/// to, as recorded in the history: a rollback deploys exactly what ran.
pub(crate) fn pin_images(stack: &Stack, images: &BTreeMap<String, String>) -> Stack {
    let mut pinned = stack.clone();
    for service in pinned.services.values_mut() {
        if let Some(id) = images.get(&service.image) {
            service.image = id.clone();
        }
    }
    pinned
}

/// Appends version `version` of the pinned stack to the history with the outcome of its
/// execution (`source`, or `default_source` when empty, says what asked for it), and turns
/// that outcome into `up`'s answer.
pub(crate) fn record(
    history: &History,
    version: u64,
    source: &str,
    default_source: &str,
    changes: Vec<String>,
    pinned: Stack,
    result: Result<(), DeployFailure>,
) -> Result<UpOutcome, UpError> {
    let outcome = match &result {
        Ok(()) => RevisionOutcome::Deployed,
        Err(failure) => RevisionOutcome::Failed {
            message: failure.message.clone(),
            restored: failure
                .rollback
                .as_ref()
                .is_some_and(|r| r.errors.is_empty()),
        },
    };
    let project = pinned.name.clone();
    history.append(
        &project,
        Revision {
            version,
            deployed_at: 0,
            outcome,
            source: if source.is_empty() {
                default_source.to_string()
            } else {
                source.to_string()
            },
            changes: changes.clone(),
            stack: pinned,
        },
    )?;
    result.map_err(|failure| UpError::Failed { project, failure })?;
    Ok(UpOutcome {
        version: Some(version),
        changes,
    })
}

/// Removes a project's containers and networks (and volumes with `volumes`), found by labels
/// alone: no compose file is needed.
pub async fn down(
    driver: &dyn Driver,
    project: &str,
    volumes: bool,
    events: &EventSink,
) -> Result<Plan, UpError> {
    let observed = driver.observe(project, None).await?;
    let plan = plan_down(project, &observed, volumes);
    let stack = Stack {
        name: project.to_string(),
        ..Default::default()
    };
    events.emit(EventKind::Planned {
        changes: plan.describe(),
    });
    execute_down(driver, &stack, &plan, events)
        .await
        .map_err(|e| UpError::Rollback(format!("removing {project}: {e}")))?;
    Ok(plan)
}

/// Puts back an earlier deployed version: `to`, or the one deployed before the current one.
pub async fn rollback(
    driver: &dyn Driver,
    project: &str,
    to: Option<u64>,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<(Revision, UpOutcome), UpError> {
    let target = rollback_target(history, project, to, false)?;
    let options = UpOptions {
        source: format!("rollback to v{}", target.version),
        ..options.clone()
    };
    let outcome = up(driver, &target.stack, history, &options, events).await?;
    Ok((target, outcome))
}

/// The revision a rollback deploys again: version `to`, or the last successfully deployed
/// version before the current one whose stack differs from it. `swarm` names the Swarm
/// history in the messages.
pub(crate) fn rollback_target(
    history: &History,
    project: &str,
    to: Option<u64>,
    swarm: bool,
) -> Result<Revision, UpError> {
    let (kind, list) = if swarm {
        (
            "Swarm ",
            format!("windflow history --mode swarm -p {project}"),
        )
    } else {
        ("", format!("windflow history -p {project}"))
    };
    let revisions = history.load(project)?;
    let deployed: Vec<&Revision> = revisions
        .iter()
        .filter(|r| r.outcome == RevisionOutcome::Deployed)
        .collect();
    let target = match to {
        Some(v) => deployed.iter().find(|r| r.version == v).ok_or_else(|| {
            UpError::Rollback(format!(
                "{project} has no successfully deployed {kind}version {v}; `{list}` lists them"
            ))
        })?,
        None => {
            let current = deployed.last().ok_or_else(|| {
                UpError::Rollback(format!(
                    "{project} has no {kind}deployment history on this endpoint"
                ))
            })?;
            deployed
                .iter()
                .rev()
                .find(|r| r.version < current.version && r.stack != current.stack)
                .ok_or_else(|| {
                    UpError::Rollback(format!(
                        "{project} has no earlier version to roll back to (current: v{})",
                        current.version
                    ))
                })?
        }
    };
    Ok((*target).clone())
}
