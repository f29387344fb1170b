//! What every deploy mode shares: the options of a run, its outcome and its error, and the
//! record of a run in the [`History`] (with images pinned, so a rollback restores exactly
//! what ran). The modes (`deploy::containers`, `crate::swarm`) build on it; `deploy` itself
//! only dispatches.

use std::collections::BTreeMap;

use windflow_domain::StackSpec;
use windflow_domain::plan::{PlanError, PlanOptions};

use crate::driver::DriverError;
use crate::executor::{DeployFailure, ExecuteOptions};
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

/// Reports a mode's plan before it runs: its warnings, then its changes. `None` when it
/// changes nothing (nothing is recorded then); otherwise the history version this run records
/// and the change lines.
pub(crate) fn announce(
    history: &History,
    project: &str,
    warnings: &[String],
    changes: Vec<String>,
    events: &crate::events::EventSink,
) -> Result<Option<(u64, Vec<String>)>, UpError> {
    use crate::events::EventKind;
    for w in warnings {
        events.emit(EventKind::Warning { message: w.clone() });
    }
    if changes.is_empty() {
        events.emit(EventKind::Planned { changes: vec![] });
        return Ok(None);
    }
    let version = history.next_version(project)?;
    events.emit(EventKind::Planned {
        changes: changes.clone(),
    });
    Ok(Some((version, changes)))
}

/// `stack` with each service's image replaced by the id (or digest reference) it resolved
/// to, as recorded in the history: a rollback deploys exactly what ran.
pub(crate) fn pin_images(stack: &StackSpec, images: &BTreeMap<String, String>) -> StackSpec {
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
    pinned: StackSpec,
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

/// The revision a rollback deploys again: version `to`, or the last successfully deployed
/// version before the current one whose stack differs from it. `mode` names a mode other
/// than containers in the messages: (its name, its `--mode` value), e.g. `("Swarm", "swarm")`.
pub(crate) fn rollback_target(
    history: &History,
    project: &str,
    to: Option<u64>,
    mode: Option<(&str, &str)>,
) -> Result<Revision, UpError> {
    let (kind, list) = match mode {
        None => (String::new(), format!("windflow history -p {project}")),
        Some((name, flag)) => (
            format!("{name} "),
            format!("windflow history --mode {flag} -p {project}"),
        ),
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
