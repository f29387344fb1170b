//! Durable deployments: a pool of workers takes queued deployments from the store under a
//! lease, runs them through the engine (`windflow_engine::deploy`), records every event, and
//! ends each in a terminal state. A worker renews its lease while it runs; if the process
//! dies, the lease runs out and the next server to start reclaims the deployment and runs it
//! again from the engine's real state — the planner keeps what already matches and recovers
//! parked replicas, so nothing is created twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::Instrument;
use windflow_compose::LoadOptions;
use windflow_engine::deploy::{self, UpError, UpOptions};
use windflow_engine::events::{Event, EventKind, EventSink};
use windflow_engine::executor::ExecuteOptions;
use windflow_engine::history::History;
use windflow_storage::{
    Deployment, DeploymentEvent, DeploymentFinish, DeploymentKind, DeploymentState, Store,
};

use crate::services;
use crate::state::{AppState, now_ms};

/// Runs until `shutdown` turns true, then lets running deployments finish for the configured
/// grace period and checkpoints the rest (their lease is released, so the next start resumes
/// them at once).
pub async fn run_workers(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(state.config.workers));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();
    let mut running: Vec<(String, tokio::task::JoinHandle<()>)> = Vec::new();
    let mut last_reclaim = Instant::now() - Duration::from_secs(3600);
    loop {
        if *shutdown.borrow() {
            break;
        }
        running.retain(|(_, h)| !h.is_finished());
        let mut claimed = Vec::new();
        let now = now_ms();
        let lease_until = now + state.config.lease.as_millis() as i64;
        if last_reclaim.elapsed() > state.config.lease / 3 {
            last_reclaim = Instant::now();
            match state
                .store
                .reclaim_expired(&state.instance, now, lease_until)
                .await
            {
                Ok(list) => {
                    for d in &list {
                        tracing::warn!(deployment_id = %d.id, attempt = d.attempts, "resuming a deployment whose worker stopped");
                    }
                    claimed.extend(list);
                }
                Err(e) => tracing::error!(error = %e, "reclaiming deployments"),
            }
        }
        while permits.available_permits() > claimed.len() {
            match state
                .store
                .claim_deployment(&state.instance, now, lease_until)
                .await
            {
                Ok(Some(d)) => claimed.push(d),
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %e, "claiming a deployment");
                    break;
                }
            }
        }
        for deployment in claimed {
            let permit = permits.clone().acquire_owned().await.expect("semaphore");
            let state = state.clone();
            let done = done_tx.clone();
            let id = deployment.id.clone();
            let span = tracing::info_span!("deployment", deployment_id = %deployment.id, stack = %deployment.stack_name, target = %deployment.target_name);
            let handle = tokio::spawn(
                async move {
                    run_deployment(&state, deployment).await;
                    drop(permit);
                    let _ = done.send(());
                }
                .instrument(span),
            );
            running.push((id, handle));
        }
        tokio::select! {
            _ = state.jobs_wakeup.notified() => {}
            _ = done_rx.recv() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => {}
        }
    }
    // Shutting down: give running deployments the grace period, then checkpoint.
    running.retain(|(_, h)| !h.is_finished());
    if running.is_empty() {
        return;
    }
    tracing::info!(
        running = running.len(),
        grace_s = state.config.shutdown_grace.as_secs(),
        "waiting for running deployments"
    );
    let deadline = tokio::time::Instant::now() + state.config.shutdown_grace;
    for (id, handle) in running {
        if tokio::time::timeout_at(deadline, handle).await.is_err() {
            let _ = state
                .store
                .renew_lease(&id, &state.instance, now_ms())
                .await;
            tracing::warn!(deployment_id = %id, "checkpointed: it resumes when the server starts again");
        }
    }
}

/// Runs one deployment to a terminal state.
async fn run_deployment(state: &AppState, deployment: Deployment) {
    let started = Instant::now();
    let id = deployment.id.clone();
    // A first attempt starts the sequence; a resumed one continues its predecessor's.
    let first_seq = if deployment.attempts > 1 {
        match state.store.list_deployment_events(&id, 0, i64::MAX).await {
            Ok(events) => events.last().map_or(0, |e| e.seq),
            Err(e) => {
                tracing::error!(error = %e, "reading earlier events");
                0
            }
        }
    } else {
        0
    };
    let (recorder, recorder_task) = Recorder::start(state.clone(), id.clone(), first_seq);
    recorder.control(json!({
        "event": "state",
        "state": "running",
        "attempt": deployment.attempts,
        "resumed": deployment.attempts > 1,
    }));

    // Lease renewal and cancel requests.
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let watcher = {
        let state = state.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let period = state.config.lease / 3;
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            let mut last_renew = Instant::now();
            loop {
                tick.tick().await;
                if matches!(state.store.is_cancel_requested(&id).await, Ok(true)) {
                    let _ = cancel_tx.send(true);
                }
                if last_renew.elapsed() >= period {
                    last_renew = Instant::now();
                    let until = now_ms() + state.config.lease.as_millis() as i64;
                    match state.store.renew_lease(&id, &state.instance, until).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::error!("lost the lease; stopping");
                            let _ = cancel_tx.send(true);
                        }
                        Err(e) => tracing::warn!(error = %e, "renewing the lease"),
                    }
                }
            }
        })
    };

    if deployment.attempts == 1
        && let Some(placement) = services::targets::placement::parse(deployment.placement.as_ref())
    {
        recorder.control(json!({
            "event": "placement",
            "target": deployment.target_name,
            "reason": placement.reason,
        }));
    }
    let mut deployment = deployment;
    let outcome = loop {
        let outcome = execute(state, &deployment, cancel_rx.clone(), &recorder).await;
        let Err(failure) = &outcome else {
            break outcome;
        };
        if *cancel_rx.borrow() {
            break outcome;
        }
        match failover(state, &deployment, failure.message(), &recorder).await {
            Some(moved) => deployment = moved,
            None => break outcome,
        }
    };
    watcher.abort();
    let cancelled =
        *cancel_rx.borrow() || matches!(state.store.is_cancel_requested(&id).await, Ok(true));
    let (final_state, error) = match outcome {
        Ok(()) => (DeploymentState::Succeeded, None),
        Err(Outcome::Failed { message, restored }) => {
            let st = if cancelled {
                DeploymentState::Cancelled
            } else if restored {
                DeploymentState::RolledBack
            } else {
                DeploymentState::Failed
            };
            (st, Some(message))
        }
        Err(Outcome::NotStarted(message)) => {
            let st = if cancelled {
                DeploymentState::Cancelled
            } else {
                DeploymentState::Failed
            };
            (st, Some(message))
        }
    };
    let error = error.map(|e| recorder.redact(&e));
    recorder.control(json!({
        "event": "state",
        "state": final_state.as_str(),
        "error": error,
    }));
    drop(recorder);
    let _ = recorder_task.await;
    let finish = DeploymentFinish {
        state: final_state,
        error: error.clone(),
        at: now_ms(),
    };
    let finished = state.store.finish_deployment(&id, finish).await;
    // Stack lists show where stacks run and how their newest deployment went.
    state.list_cache.invalidate(&deployment.org_id);
    if let Err(e) = finished {
        tracing::error!(error = %e, "recording the end of a deployment");
    } else if final_state == DeploymentState::Succeeded && deployment.kind == DeploymentKind::Remove
    {
        services::stacks::finish_pending_delete(state, &deployment).await;
    }
    state.hub.close(&id);
    workflow_event(state, &deployment, final_state, error.as_deref()).await;
    let elapsed = started.elapsed();
    metrics::histogram!("windflow_deploy_duration_seconds", "state" => final_state.as_str())
        .record(elapsed.as_secs_f64());
    metrics::counter!("windflow_deployments_finished_total", "state" => final_state.as_str())
        .increment(1);
    tracing::info!(state = %final_state, elapsed_ms = elapsed.as_millis() as u64, error = ?error, "deployment finished");
}

/// Starts the workflows waiting for this deployment's end (not the one that queued it).
async fn workflow_event(
    state: &AppState,
    deployment: &Deployment,
    final_state: DeploymentState,
    error: Option<&str>,
) {
    use windflow_workflow::EventKind;
    let kind = match final_state {
        DeploymentState::Succeeded => EventKind::DeploymentSucceeded,
        DeploymentState::Failed => EventKind::DeploymentFailed,
        DeploymentState::RolledBack => EventKind::DeploymentRolledBack,
        _ => return,
    };
    let org = &deployment.org_id;
    let origin = services::workflows::triggers::origin_workflow(
        state,
        org,
        deployment.idempotency_key.as_deref(),
    )
    .await;
    let payload = json!({
        "deployment": deployment.id,
        "stack": deployment.stack_name,
        "version": deployment.stack_version,
        "target": deployment.target_name,
        "state": final_state.as_str(),
        "error": error,
    });
    services::workflows::triggers::on_event(state, org, kind, payload, origin.as_deref()).await;
}

enum Outcome {
    /// Nothing on the target changed (bad stack, unreachable target…).
    NotStarted(String),
    /// The executor ran and failed; `restored` when the previous version runs again.
    Failed { message: String, restored: bool },
}

impl Outcome {
    fn message(&self) -> &str {
        match self {
            Outcome::NotStarted(message) | Outcome::Failed { message, .. } => message,
        }
    }
}

/// When a deployment placed by a selector that allows failover fails because its target
/// failed (it no longer answers a connection check — a stack that fails on a healthy target
/// would fail anywhere), moves it to the next eligible target and says so in its events.
async fn failover(
    state: &AppState,
    deployment: &Deployment,
    error: &str,
    recorder: &Recorder,
) -> Option<Deployment> {
    let mut placement = services::targets::placement::parse(deployment.placement.as_ref())?;
    if !placement.failover {
        return None;
    }
    let org = &deployment.org_id;
    let target = state
        .store
        .get_target_by_id(org, &deployment.target_id)
        .await
        .ok()?;
    if services::targets::check(state, &target).await.ok {
        return None;
    }
    placement.tried.push(deployment.target_name.clone());
    let needs = match state.store.get_stack_by_id(org, &deployment.stack_id).await {
        Ok(stack) => {
            services::deployments::stack_memory_needs(state, org, &stack, deployment.stack_version)
                .await
                .unwrap_or(0)
        }
        Err(_) => 0,
    };
    let choice = match services::targets::placement::choose_target(
        state,
        org,
        &placement.selector,
        placement.strategy,
        needs,
        &placement.tried,
    )
    .await
    {
        Ok(choice) => choice,
        Err(e) => {
            recorder.control(json!({
                "event": "failover",
                "from": deployment.target_name,
                "to": null,
                "error": recorder.redact(error),
                "reason": e.to_string(),
            }));
            return None;
        }
    };
    placement.reason = choice.reason.clone();
    match state
        .store
        .move_deployment(
            &deployment.id,
            &state.instance,
            &choice.target.id,
            &services::targets::placement::record(&placement),
        )
        .await
    {
        Ok(moved) => {
            tracing::warn!(from = %deployment.target_name, to = %moved.target_name, "target failed: the deployment moves");
            recorder.control(json!({
                "event": "failover",
                "from": deployment.target_name,
                "to": moved.target_name,
                "error": recorder.redact(error),
                "reason": choice.reason,
            }));
            Some(moved)
        }
        Err(e) => {
            recorder.control(json!({
                "event": "failover",
                "from": deployment.target_name,
                "to": null,
                "error": recorder.redact(error),
                "reason": format!("cannot move to {}: {e}", choice.target.name),
            }));
            None
        }
    }
}

async fn execute(
    state: &AppState,
    deployment: &Deployment,
    cancel: watch::Receiver<bool>,
    recorder: &Recorder,
) -> Result<(), Outcome> {
    let not_started = |e: &dyn std::fmt::Display| Outcome::NotStarted(e.to_string());
    let store = state.store.as_ref();
    let org = &deployment.org_id;
    let version = store
        .get_stack_version(org, &deployment.stack_id, deployment.stack_version)
        .await
        .map_err(|e| not_started(&e))?;
    let target = store
        .get_target_by_id(org, &deployment.target_id)
        .await
        .map_err(|e| not_started(&e))?;
    // A cluster has no gateway of WindFlow's: its domains become Ingresses.
    let kubernetes = target.kind == windflow_storage::TargetKind::Kubernetes;
    if !kubernetes {
        let driver = services::targets::driver(state, &target).map_err(|e| not_started(&e))?;
        // Asked afresh: the endpoint may reach another engine than when it was registered,
        // and an engine another organization registered first is not this one's to deploy
        // onto.
        services::targets::tenancy::guard_engine(state, &target, &driver, true, None)
            .await
            .map_err(|e| not_started(&e))?;
    }
    let (environment, secrets) = resolve_variables(state, deployment)
        .await
        .map_err(|e| not_started(&format!("{e:#}")))?;
    recorder.add_secrets(secrets.clone());
    // How the target runs stacks (containers, Swarm services on its manager's engine, or
    // objects in the stack's namespace on a cluster).
    let environment_name = services::targets::kubernetes::environment_name(
        state,
        org,
        deployment.environment_id.as_deref(),
    )
    .await
    .map_err(|e| not_started(&e))?;
    let orchestrator = services::targets::orchestrator_for(
        state,
        &target,
        &deployment.stack_name,
        environment_name.as_deref(),
    )
    .await
    .map_err(|e| not_started(&e))?;
    let events = recorder.sink();

    if deployment.kind == DeploymentKind::Remove {
        return match deploy::down(&orchestrator, &deployment.stack_name, false, &events).await {
            Ok(_) => {
                // Its routes leave the target's gateway with it.
                if !kubernetes {
                    let changing = services::gateway::Changing {
                        stack_id: &deployment.stack_id,
                        stack_name: &deployment.stack_name,
                        spec: None,
                    };
                    sync_gateway(state, org, &target, changing, recorder).await;
                }
                Ok(())
            }
            Err(e) => Err(Outcome::Failed {
                message: e.to_string(),
                restored: false,
            }),
        };
    }

    let working_dir = state
        .config
        .data_dir
        .join("stacks")
        .join(&deployment.stack_id);
    let options = LoadOptions {
        project_name: Some(deployment.stack_name.clone()),
        environment,
        working_dir: Some(working_dir),
        isolated: true,
        ..LoadOptions::default()
    };
    let mut loaded = windflow_compose::load_from_str("compose.yaml", &version.content, &options)
        .map_err(|e| not_started(&e))?;
    services::domains::apply_stored_settings(
        store,
        org,
        &deployment.stack_id,
        deployment.environment_id.as_deref(),
        &mut loaded.stack,
    )
    .await
    .map_err(|e| not_started(&e))?;
    // Checked again at run time: another stack may have taken a domain since this was queued.
    let stack = store
        .get_stack_by_id(org, &deployment.stack_id)
        .await
        .map_err(|e| not_started(&e))?;
    if !kubernetes {
        services::domains::check_claims(state, org, &stack, &loaded.stack, &target)
            .await
            .map_err(|e| not_started(&e))?;
        // Services with domains join the gateway's network: it must be there first.
        services::gateway::prepare(state, &target, &loaded.stack)
            .await
            .map_err(|e| not_started(&format!("the target's gateway: {e:#}")))?;
    }
    // What the gateway serves for this deployment from now on, whatever the stack's domain
    // settings become before the next one.
    store
        .set_deployment_ingress(
            &deployment.id,
            &services::domains::ingress_record(&loaded.stack),
        )
        .await
        .map_err(|e| not_started(&e))?;
    // Checked again here, not only at push and queue: the policy may have tightened since.
    let policy = services::policies::OrgPolicies::load(store, org)
        .await
        .map_err(|e| not_started(&e))?
        .effective(deployment.environment_id.as_deref(), &target);
    let refused = services::policies::violations(&version.content, &loaded.stack, &policy);
    if !refused.is_empty() {
        return Err(not_started(&format!(
            "the host-access policy refuses this stack: {}",
            services::policies::describe(&refused)
        )));
    }
    for warning in &loaded.warnings {
        events.emit(EventKind::Warning {
            message: warning.to_string(),
        });
    }
    // The engine's record of what ran holds no secret value: the server deploys (and rolls
    // back) from stack versions and variables, never from this history.
    let history = History::at(
        state
            .config
            .data_dir
            .join("engine-history")
            .join(&deployment.target_id),
    )
    .withholding(secrets);
    let options = UpOptions {
        execute: ExecuteOptions {
            wait_timeout: state.config.deploy_timeout,
            stack_version: Some(deployment.stack_version as u64),
            rollback: true,
            cancel: Some(cancel),
        },
        source: format!("deployment {}", deployment.id),
        ..UpOptions::default()
    };
    let result = deploy::up(&orchestrator, &loaded.stack, &history, &options, &events).await;
    match result {
        Ok(_) => {
            if !kubernetes {
                let changing = services::gateway::Changing {
                    stack_id: &deployment.stack_id,
                    stack_name: &deployment.stack_name,
                    spec: Some(&loaded.stack),
                };
                sync_gateway(state, org, &target, changing, recorder).await;
            }
            Ok(())
        }
        Err(UpError::Failed { failure, .. }) => {
            let restored = failure
                .rollback
                .as_ref()
                .is_some_and(|r| r.errors.is_empty());
            Err(Outcome::Failed {
                message: failure.to_string(),
                restored,
            })
        }
        Err(e) => Err(not_started(&e)),
    }
}

/// Gives the target's gateway its routes after a deployment changed them. What goes wrong
/// there is reported on the deployment, which itself succeeded: the previous routes (or
/// plain HTTP) keep serving.
async fn sync_gateway(
    state: &AppState,
    org: &str,
    target: &windflow_storage::Target,
    changing: services::gateway::Changing<'_>,
    recorder: &Recorder,
) {
    for message in services::dns::sync_records(state, org, target, &changing).await {
        recorder.engine_sink.emit(EventKind::Warning { message });
    }
    match services::gateway::sync(state, org, target, Some(changing)).await {
        Ok(report) => {
            if !report.routes.is_empty() || !report.issued.is_empty() {
                recorder.control(json!({
                    "event": "gateway",
                    "routes": report.routes,
                    "issued": report.issued,
                }));
            }
            for warning in report.warnings {
                recorder
                    .engine_sink
                    .emit(EventKind::Warning { message: warning });
            }
        }
        Err(e) => recorder.engine_sink.emit(EventKind::Warning {
            message: format!("the target's gateway was not updated: {e:#}"),
        }),
    }
}

/// The interpolation environment of a deployment: the environment's variables, under the
/// stack's, under the stack's for this environment. Secrets are decrypted here, at deploy
/// time only; their values are returned too so the recorder can mask them.
async fn resolve_variables(
    state: &AppState,
    deployment: &Deployment,
) -> anyhow::Result<(BTreeMap<String, String>, Vec<String>)> {
    let store: &dyn Store = state.store.as_ref();
    let org = &deployment.org_id;
    let scopes = services::variables::deployment_scopes(
        &deployment.stack_id,
        deployment.environment_id.as_deref(),
    );
    let mut values = BTreeMap::new();
    let mut secrets = Vec::new();
    for scope in scopes {
        for variable in store.list_variables(org, &scope).await? {
            let value = state.keyring.reveal(&variable)?;
            if matches!(variable.value, windflow_storage::VariableValue::Secret(_)) {
                secrets.push(value.clone());
            }
            values.insert(variable.name, value);
        }
    }
    Ok((values, secrets))
}

/// Numbers a deployment's events, publishes each at once to live subscribers, and writes
/// them to the store in batches (as fast as the store takes them). Secret values are masked
/// before anything leaves.
#[derive(Clone)]
struct Recorder {
    sender: mpsc::UnboundedSender<serde_json::Value>,
    secrets: Arc<std::sync::Mutex<Vec<String>>>,
    engine_sink: EventSink,
}

impl Recorder {
    fn start(
        state: AppState,
        deployment_id: String,
        first_seq: i64,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, mut receiver) = mpsc::unbounded_channel::<serde_json::Value>();
        let (engine_sink, mut engine_events) = EventSink::channel();
        let secrets: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        // Engine events become JSON values on the same channel.
        let forward = sender.clone();
        tokio::spawn(async move {
            while let Some(event) = engine_events.recv().await {
                let _ = forward.send(engine_event_json(&event));
            }
        });
        let masks = secrets.clone();
        let task = tokio::spawn(async move {
            let mut seq = first_seq;
            let mut plan: Option<serde_json::Value> = None;
            while let Some(first) = receiver.recv().await {
                let mut batch = vec![first];
                while let Ok(more) = receiver.try_recv() {
                    batch.push(more);
                    if batch.len() >= 256 {
                        break;
                    }
                }
                let masks = masks.lock().expect("masks").clone();
                let events: Vec<DeploymentEvent> = batch
                    .into_iter()
                    .map(|data| {
                        seq += 1;
                        let data = crate::secrets::mask_value(data, &masks);
                        if data["event"] == "planned" {
                            plan = Some(data["changes"].clone());
                        }
                        DeploymentEvent {
                            deployment_id: deployment_id.clone(),
                            seq,
                            at: data["at_ms"].as_i64().unwrap_or_else(now_ms),
                            data,
                        }
                    })
                    .collect();
                if let Some(plan) = plan.take()
                    && let Err(e) = state.store.set_deployment_plan(&deployment_id, &plan).await
                {
                    tracing::error!(error = %e, "recording the plan");
                }
                // Stored first, then published: a live subscriber that sees a gap finds the
                // missing events in the store.
                if let Err(e) = state.store.append_deployment_events(&events).await {
                    tracing::error!(error = %e, "recording deployment events");
                }
                for event in events {
                    state.hub.publish(Arc::new(event));
                }
            }
        });
        (
            Recorder {
                sender,
                secrets,
                engine_sink,
            },
            task,
        )
    }

    fn sink(&self) -> EventSink {
        self.engine_sink.clone()
    }

    fn control(&self, mut data: serde_json::Value) {
        data["at_ms"] = json!(now_ms());
        let _ = self.sender.send(data);
    }

    fn add_secrets(&self, values: Vec<String>) {
        let mut secrets = self.secrets.lock().expect("masks");
        secrets.extend(values);
        *secrets = crate::secrets::maskable(std::mem::take(&mut *secrets));
    }

    fn redact(&self, text: &str) -> String {
        crate::secrets::mask_text(text, &self.secrets.lock().expect("masks"))
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // Closing the engine sink lets the forwarder, then the writer, finish.
        self.engine_sink = EventSink::discard();
    }
}

fn engine_event_json(event: &Event) -> serde_json::Value {
    serde_json::to_value(event).unwrap_or_else(|_| json!({"event": "unknown"}))
}
