//! The workflow workers: runs are claimed under a lease (`WorkflowStore::claim_workflow_run`),
//! their graph is driven by `windflow_workflow::graph::advance`, independent branches run at
//! once, and each node's state is written before and after it runs. A run that waits (an
//! approval, a timer, a retry's backoff, a called workflow) is parked with its wake-up time
//! and its lease released. The same loop fires due cron triggers and prunes old runs.
//!
//! *Invariants:* a run is driven by one server at a time (its lease; a server that loses it
//! stops at once); a node that completed is never run again (its row says so); a node whose
//! server died mid-attempt runs that attempt again, and a `deploy` node then finds the
//! deployment it queued (its idempotency key) instead of queuing another.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::Instrument;
use windflow_storage::{WorkflowNodeRunRecord, WorkflowRunRecord};
use windflow_workflow::{self as wf, Action, NodeState, NodeStatus, RunOutcome, Template};

use super::nodes::{self, Env, Outcome};
use super::{actor, document_of, triggers};
use crate::auth::OrgAccess;
use crate::state::{App, AppState, now_ms};

/// How long a node attempt may run when it names no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
/// How often a running run looks for a cancel request.
const CANCEL_POLL: Duration = Duration::from_millis(500);

/// Runs until `shutdown` turns true; runs still going then are checkpointed (their lease is
/// released, so the next start resumes them at once).
pub async fn run_workers(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(state.config.workers.max(4)));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();
    let mut running: Vec<(String, tokio::task::JoinHandle<()>)> = Vec::new();
    let mut last_cron = Instant::now() - Duration::from_secs(60);
    let mut last_prune = Instant::now() - Duration::from_secs(86_400);
    loop {
        if *shutdown.borrow() {
            break;
        }
        running.retain(|(_, h)| !h.is_finished());
        if last_cron.elapsed() >= Duration::from_millis(500) {
            last_cron = Instant::now();
            triggers::fire_due_crons(&state).await;
        }
        if last_prune.elapsed() >= Duration::from_secs(3600) {
            last_prune = Instant::now();
            let before = now_ms() - state.config.workflow_retention.as_millis() as i64;
            match state.store.prune_workflow_runs(before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(runs = n, "pruned finished workflow runs"),
                Err(e) => tracing::warn!(error = %e, "pruning workflow runs"),
            }
        }
        while permits.available_permits() > 0 {
            let now = now_ms();
            let lease_until = now + state.config.lease.as_millis() as i64;
            let run = match state
                .store
                .claim_workflow_run(&state.instance, now, lease_until)
                .await
            {
                Ok(Some(run)) => run,
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %e, "claiming a workflow run");
                    break;
                }
            };
            if run.attempts > 1 && run.started_at.is_some() {
                tracing::info!(run = %run.id, attempt = run.attempts, "taking up a workflow run");
            }
            let permit = permits.clone().acquire_owned().await.expect("semaphore");
            let app = state.clone();
            let done = done_tx.clone();
            let id = run.id.clone();
            let span =
                tracing::info_span!("workflow_run", run = %run.id, workflow = %run.workflow_name);
            let handle = tokio::spawn(
                async move {
                    drive(&app, run).await;
                    drop(permit);
                    let _ = done.send(());
                }
                .instrument(span),
            );
            running.push((id, handle));
        }
        tokio::select! {
            _ = state.workflow_wakeup.notified() => {}
            _ = done_rx.recv() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = shutdown.changed() => {}
        }
    }
    let deadline = tokio::time::Instant::now() + state.config.shutdown_grace;
    for (id, handle) in running {
        if tokio::time::timeout_at(deadline, handle).await.is_err() {
            let _ = state
                .store
                .renew_workflow_lease(&id, &state.instance, now_ms())
                .await;
            tracing::warn!(run = %id, "checkpointed: the workflow run resumes when the server starts again");
        }
    }
}

/// How a run's turn on this server ended.
enum End {
    Finished(&'static str, Option<String>),
    Parked(Option<i64>),
    /// The lease went to another server: stop without writing anything more.
    Lost,
}

/// Runs one claimed run until it ends, parks or loses its lease.
async fn drive(app: &App, run: WorkflowRunRecord) {
    let (lost_tx, lost_rx) = watch::channel(false);
    let keeper = {
        let app_store = app.store.clone();
        let instance = app.instance.clone();
        let lease = app.config.lease;
        let id = run.id.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 4).await;
                match app_store
                    .renew_workflow_lease(&id, &instance, now_ms() + lease.as_millis() as i64)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        let _ = lost_tx.send(true);
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, run = %id, "renewing a workflow lease"),
                }
            }
        })
    };
    let started = Instant::now();
    let end = match execute(app, &run, lost_rx).await {
        Ok(end) => end,
        Err(error) => End::Finished("failed", Some(error)),
    };
    keeper.abort();
    match end {
        End::Finished(status, error) => {
            if let Err(e) = app
                .store
                .finish_workflow_run(&run.id, status, error.as_deref(), now_ms())
                .await
            {
                tracing::warn!(error = %e, "recording the end of a workflow run");
            }
            metrics::counter!("windflow_workflow_runs_finished_total", "status" => status)
                .increment(1);
            metrics::histogram!("windflow_workflow_run_seconds", "status" => status)
                .record(started.elapsed().as_secs_f64());
            tracing::info!(status, error = ?error, "workflow run finished");
            // A parent waiting on this run looks again now.
            app.workflow_wakeup.notify_one();
        }
        End::Parked(wake_at) => {
            if let Err(e) = app
                .store
                .park_workflow_run(&run.id, &app.instance, wake_at)
                .await
            {
                tracing::warn!(error = %e, "parking a workflow run");
            }
        }
        End::Lost => tracing::warn!("another server took this workflow run over"),
    }
}

fn state_of(row: &WorkflowNodeRunRecord) -> NodeState {
    let status = NodeStatus::parse(&row.status).unwrap_or(NodeStatus::Pending);
    // A node whose server died mid-attempt is pending again.
    let status = if status == NodeStatus::Running {
        NodeStatus::Pending
    } else {
        status
    };
    NodeState {
        status,
        port: row.port.clone(),
    }
}

/// The expression context: the trigger, the inputs, the nodes' outputs, the run.
fn context(run: &WorkflowRunRecord, rows: &BTreeMap<String, WorkflowNodeRunRecord>) -> Value {
    let nodes: serde_json::Map<String, Value> = rows
        .iter()
        .map(|(id, row)| {
            (
                id.clone(),
                json!({"status": row.status, "output": row.output.clone().unwrap_or(Value::Null)}),
            )
        })
        .collect();
    json!({
        "trigger": run.trigger_payload,
        "inputs": run.inputs,
        "nodes": nodes,
        "run": {"id": run.id, "workflow": run.workflow_name},
    })
}

/// Settings that are not templates (expressions, names of ports, durations).
const NOT_TEMPLATES: [&str; 6] = ["type", "expression", "value", "cases", "method", "role"];

/// The node's settings with every template rendered.
fn render(action: &Action, ctx: &Value) -> Result<Value, String> {
    fn walk(value: Value, ctx: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(text) => Template::parse(&text)
                .and_then(|t| t.render(ctx))
                .map_err(|e| e.to_string())?,
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| walk(v, ctx))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| walk(v, ctx).map(|v| (k, v)))
                    .collect::<Result<_, _>>()?,
            ),
            other => other,
        })
    }
    let Value::Object(settings) = serde_json::to_value(action).map_err(|e| e.to_string())? else {
        return Ok(Value::Null);
    };
    let mut out = serde_json::Map::new();
    for (key, value) in settings {
        let rendered = if NOT_TEMPLATES.contains(&key.as_str()) || key == "duration" {
            value
        } else {
            walk(value, ctx).map_err(|e| format!("{key}: {e}"))?
        };
        out.insert(key, rendered);
    }
    Ok(Value::Object(out))
}

fn backoff(node: &wf::Node, attempt: i64) -> i64 {
    let base = wf::parse_duration(&node.retry.backoff)
        .unwrap_or(Duration::from_secs(10))
        .as_millis() as i64;
    let factor = 1_i64 << (attempt - 1).clamp(0, 10);
    base.saturating_mul(factor).min(24 * 3_600_000)
}

/// What a finished attempt left.
struct Attempt {
    node: String,
    attempt: i64,
    result: Result<Outcome, String>,
    logs: String,
}

async fn execute(
    app: &App,
    run: &WorkflowRunRecord,
    mut lost: watch::Receiver<bool>,
) -> Result<End, String> {
    let version = app
        .store
        .get_workflow_version(&run.workflow_id, run.version)
        .await
        .map_err(|e| e.to_string())?;
    let doc = document_of(&version.document).map_err(|e| e.to_string())?;
    let org = app
        .store
        .get_organization_by_id(&run.org_id)
        .await
        .map_err(|e| e.to_string())?;
    // The workflow's last editor: a deleted workflow's run was cancelled with it.
    let editor_id = match app.store.get_workflow(&run.org_id, &run.workflow_id).await {
        Ok(w) => w.updated_by,
        Err(_) => {
            return Ok(End::Finished(
                "cancelled",
                Some("the workflow was deleted".into()),
            ));
        }
    };
    let editor: OrgAccess = actor(app, &org, &editor_id)
        .await
        .map_err(|e| e.to_string())?;
    let starter: OrgAccess = match &run.requested_by {
        Some(id) => actor(app, &org, id).await.map_err(|e| e.to_string())?,
        None => editor.clone(),
    };
    let mut rows: BTreeMap<String, WorkflowNodeRunRecord> = app
        .store
        .list_workflow_node_runs(&run.id)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| (r.node_id.clone(), r))
        .collect();
    let mut in_flight: HashSet<String> = HashSet::new();
    let mut attempts = FuturesUnordered::new();
    let mut last_cancel_check = Instant::now() - CANCEL_POLL;
    loop {
        if *lost.borrow() {
            return Ok(End::Lost);
        }
        if last_cancel_check.elapsed() >= CANCEL_POLL {
            last_cancel_check = Instant::now();
            if app
                .store
                .is_workflow_run_cancel_requested(&run.id)
                .await
                .unwrap_or(false)
            {
                drop(attempts);
                let now = now_ms();
                for row in rows.values_mut() {
                    if matches!(row.status.as_str(), "running" | "waiting" | "pending") {
                        row.status = "cancelled".into();
                        row.finished_at = Some(now);
                        row.wake_at = None;
                        save(app, row).await;
                    }
                }
                return Ok(End::Finished("cancelled", Some("cancelled".into())));
            }
        }
        let now = now_ms();
        // Waiting nodes whose time came: a timer ends, an approval times out, a called run is
        // looked at again.
        for id in rows.keys().cloned().collect::<Vec<_>>() {
            let row = rows.get_mut(&id).expect("present");
            if row.status != "waiting" || row.wake_at.is_none_or(|t| t > now) {
                continue;
            }
            match doc.node(&id).map(|n| &n.action) {
                Some(Action::Wait { .. }) => {
                    row.status = "succeeded".into();
                    row.output = Some(json!({}));
                    row.finished_at = Some(now);
                    row.wake_at = None;
                }
                Some(Action::Approval { .. }) => {
                    row.status = "failed".into();
                    row.error = Some("nobody decided before the approval timed out".into());
                    row.finished_at = Some(now);
                    row.wake_at = None;
                }
                // A call: its node runs again, finds its child and looks at it.
                _ => {
                    row.status = "pending".into();
                    row.wake_at = None;
                }
            }
            save(app, row).await;
        }
        let states: BTreeMap<String, NodeState> = rows
            .iter()
            .map(|(id, row)| {
                let state = if in_flight.contains(id) {
                    NodeState::new(NodeStatus::Running)
                } else {
                    state_of(row)
                };
                (id.clone(), state)
            })
            .collect();
        let advance = wf::graph::advance(&doc, &states);
        for id in &advance.skip {
            let row = rows.entry(id.clone()).or_insert_with(|| new_row(run, id));
            row.status = "skipped".into();
            row.finished_at = Some(now);
            save(app, row).await;
        }
        for id in &advance.ready {
            if in_flight.contains(id) {
                continue;
            }
            let node = doc.node(id).expect("a node of the graph").clone();
            let row = rows.entry(id.clone()).or_insert_with(|| new_row(run, id));
            if row.status == "pending" && row.wake_at.is_some_and(|t| t > now) {
                continue; // a retry's backoff
            }
            // A retry is a new attempt; a resumed or woken attempt keeps its number.
            let attempt = match row.status.as_str() {
                "pending" if row.error.is_some() && row.reference.is_none() => row.attempt + 1,
                _ => row.attempt.max(1),
            };
            let ctx = context(run, &rows);
            let row = rows.get_mut(id).expect("inserted");
            row.attempt = attempt;
            row.status = "running".into();
            row.started_at = Some(row.started_at.unwrap_or(now));
            row.finished_at = None;
            row.wake_at = None;
            let settings = match render(&node.action, &ctx) {
                Ok(settings) => settings,
                Err(error) => {
                    row.status = "failed".into();
                    row.error = Some(format!("a setting could not be rendered: {error}"));
                    row.finished_at = Some(now);
                    save(app, row).await;
                    continue;
                }
            };
            row.input = Some(settings.clone());
            row.error = None;
            save(app, row).await;
            in_flight.insert(id.clone());
            let reference = row.reference.clone();
            let (app, run, starter, editor) = (app, run, &starter, &editor);
            attempts.push(async move {
                let env = Env {
                    app,
                    run,
                    starter,
                    editor,
                    node: &node,
                    attempt,
                    reference,
                    logs: std::sync::Mutex::new(String::new()),
                };
                let limit = node
                    .timeout
                    .as_deref()
                    .filter(|_| !matches!(node.action, Action::Approval { .. }))
                    .and_then(|t| wf::parse_duration(t).ok())
                    .unwrap_or(DEFAULT_TIMEOUT);
                let result = match tokio::time::timeout(
                    limit,
                    nodes::perform(&env, &settings, &ctx),
                )
                .await
                {
                    Ok(result) => result,
                    Err(_) => Err(format!("timed out after {limit:?}")),
                };
                Attempt {
                    node: node.id.clone(),
                    attempt,
                    result,
                    logs: env.logs.into_inner().unwrap_or_default(),
                }
            });
        }
        if attempts.is_empty() {
            let states: BTreeMap<String, NodeState> = rows
                .iter()
                .map(|(id, row)| (id.clone(), state_of(row)))
                .collect();
            if let Some(outcome) = wf::graph::outcome(&doc, &states) {
                return Ok(match outcome {
                    RunOutcome::Succeeded => End::Finished("succeeded", None),
                    RunOutcome::Failed => {
                        let failed: Vec<String> = rows
                            .values()
                            .filter(|r| r.status == "failed")
                            .map(|r| {
                                format!("{}: {}", r.node_id, r.error.clone().unwrap_or_default())
                            })
                            .collect();
                        End::Finished("failed", Some(failed.join("; ")))
                    }
                });
            }
            if !advance.skip.is_empty() {
                continue;
            }
            // Nothing can start now: sleep until the soonest timer (or a decision).
            let wake_at = rows
                .values()
                .filter(|r| matches!(r.status.as_str(), "waiting" | "pending"))
                .filter_map(|r| r.wake_at)
                .min();
            return Ok(End::Parked(wake_at));
        }
        let finished = tokio::select! {
            finished = attempts.next() => finished,
            _ = lost.changed() => return Ok(End::Lost),
            _ = tokio::time::sleep(CANCEL_POLL) => None,
        };
        let Some(finished) = finished else {
            continue;
        };
        in_flight.remove(&finished.node);
        let node = doc.node(&finished.node).expect("a node of the graph");
        let row = rows.get_mut(&finished.node).expect("started");
        let now = now_ms();
        if !row.logs.is_empty() && !finished.logs.is_empty() {
            row.logs
                .push_str(&format!("-- attempt {}\n", finished.attempt));
        }
        row.logs.push_str(&finished.logs);
        match finished.result {
            Ok(Outcome::Done { output, port }) => {
                row.status = "succeeded".into();
                row.output = Some(output);
                row.port = port;
                row.finished_at = Some(now);
                row.reference = None;
            }
            Ok(Outcome::Wait { wake_at, reference }) => {
                row.status = "waiting".into();
                row.wake_at = wake_at;
                row.reference = reference;
            }
            Err(error) if finished.attempt <= i64::from(node.retry.count) => {
                let wait = backoff(node, finished.attempt);
                row.logs.push_str(&format!(
                    "attempt {} failed: {error}; retrying in {} s\n",
                    finished.attempt,
                    wait / 1000
                ));
                row.status = "pending".into();
                row.error = Some(error);
                row.wake_at = Some(now + wait);
                row.reference = None;
            }
            Err(error) if node.continue_on_error => {
                row.status = "succeeded".into();
                row.output = Some(json!({"error": error}));
                row.error = Some(error);
                row.finished_at = Some(now);
            }
            Err(error) => {
                row.status = "failed".into();
                row.error = Some(error);
                row.finished_at = Some(now);
            }
        }
        metrics::counter!("windflow_workflow_nodes_total", "type" => node.action.type_name(), "status" => row.status.clone()).increment(1);
        save(app, row).await;
    }
}

fn new_row(run: &WorkflowRunRecord, node: &str) -> WorkflowNodeRunRecord {
    WorkflowNodeRunRecord {
        run_id: run.id.clone(),
        node_id: node.to_string(),
        status: "pending".into(),
        port: None,
        attempt: 0,
        input: None,
        output: None,
        logs: String::new(),
        error: None,
        reference: None,
        wake_at: None,
        started_at: None,
        finished_at: None,
    }
}

async fn save(app: &App, row: &WorkflowNodeRunRecord) {
    if let Err(e) = app.store.save_workflow_node_run(row).await {
        tracing::warn!(error = %e, node = %row.node_id, "recording a workflow node");
    }
}
