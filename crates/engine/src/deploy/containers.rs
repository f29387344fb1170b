//! The container path: observe through a [`Driver`], plan with
//! `windflow_domain::plan`, run the plan with the [`executor`](crate::executor).

use windflow_domain::StackSpec;
use windflow_domain::ingress::with_gateway;
use windflow_domain::observed::Observed;
use windflow_domain::plan::{Action, Plan, PlanOptions, plan_down, plan_up};

use super::run::{UpError, UpOptions, UpOutcome, pin_images, record, rollback_target};
use crate::driver::Driver;
use crate::events::{EventKind, EventSink};
use crate::executor::{ExecuteOptions, execute_down, execute_up};
use crate::history::{History, Revision};

/// Observes and plans without changing anything.
pub async fn plan(
    driver: &dyn Driver,
    stack: &StackSpec,
    options: &PlanOptions,
) -> Result<(Observed, Plan), UpError> {
    let stack = &*with_gateway(stack);
    let observed = driver.observe(&stack.name, Some(stack)).await?;
    let plan = plan_up(stack, &observed, options)?;
    Ok((observed, plan))
}

/// Deploys `stack`: images first (pull or build what is needed), then a plan against the
/// engine's real state with every image id known, then the executor. The outcome lands in
/// the history either way.
pub async fn up(
    driver: &dyn Driver,
    stack: &StackSpec,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<UpOutcome, UpError> {
    let stack = &*with_gateway(stack);
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
                // What the first plan did not refresh was fresh enough.
                observed
                    .image_refreshed
                    .insert(image.clone(), observed.observed_at);
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
    // The containers carry the version the caller deploys (the control plane's stack
    // version), else this history's revision number (the CLI's vocabulary).
    let execute = ExecuteOptions {
        stack_version: options.execute.stack_version.or(Some(version)),
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
    let stack = StackSpec {
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
    let target = rollback_target(history, project, to, None)?;
    let options = UpOptions {
        source: format!("rollback to v{}", target.version),
        ..options.clone()
    };
    let outcome = up(driver, &target.stack, history, &options, events).await?;
    Ok((target, outcome))
}
