//! Kubernetes targets: a stack becomes a namespace of Deployments (or StatefulSets), Services,
//! Ingresses, claims, Secrets and ConfigMaps, applied server-side, rolled out health-gated and
//! rolled back — the container path's shape on a cluster.
//!
//! - [`spec`] translates a stack into objects without I/O (unit-tested as data); what has no
//!   Kubernetes equivalent is refused with the compose path of the field.
//! - [`plan`](mod@plan) is the planner: the live objects against the API server's answer to a
//!   dry-run apply of each desired one, to a [`KubePlan`]; no I/O.
//! - [`client`] is the driver: every API call (kube-rs), returning plain JSON.
//! - Here: [`plan`](fn@plan), [`up`] (translate, observe, plan; apply in waves — the
//!   namespace, then Secrets, ConfigMaps and claims, then Services, then workloads in
//!   `depends_on` order, each wave waited on until every pod is Ready; then Ingresses, then
//!   what is no longer desired is pruned), [`down`], [`rollback`], [`status`], [`logs`] and
//!   [`export`].
//!
//! A failed rollout (a pod that crashes, cannot get its image, or stays unready past its
//! healthcheck's worst case or the wait timeout) puts back every object the run changed, from
//! the body WindFlow last applied (`windflow.io/applied`): a Deployment returns to its previous
//! ReplicaSet, whose pods kept serving, since rollouts surge before they remove
//! (`maxUnavailable: 0`). Objects the run created are deleted.
//!
//! Invariants: only [`client`] imports kube; everything WindFlow applies carries
//! `windflow.io/stack=<project>`, and observe, prune and `down` select by that label, so nothing
//! else in a namespace is ever touched; Secrets and ConfigMaps are immutable and named by
//! content, so pods that have not rolled yet keep theirs until the deployment succeeded.

pub mod client;
pub mod plan;
pub mod spec;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use windflow_domain::StackSpec;

pub use client::{KubeNode, KubeTarget};
pub use plan::{Action, KubePlan, KubeStep};
pub use spec::{Contents, Kind, KubeOptions, Manifest, Refusal, Translation};

use crate::deploy::run::{UpError, UpOptions, UpOutcome};
use crate::driver::DriverError;
use crate::events::{EventKind, EventSink};
use crate::executor::{DeployFailure, RollbackReport};
use crate::history::{History, Revision};

/// The local history of deployments to a cluster's namespace, apart from the other modes'.
pub fn history_for(server: &str, namespace: &str) -> History {
    History::for_endpoint(&format!("kubernetes+{server}/{namespace}"))
}

fn invalid(message: impl Into<String>) -> UpError {
    UpError::Driver(DriverError::Engine {
        context: "stack".into(),
        message: message.into(),
    })
}

/// Reads the content of the stack's (non-external) secrets and configs.
pub fn read_contents(stack: &StackSpec) -> Result<Contents, String> {
    let mut contents = Contents::default();
    for (key, object) in &stack.secrets {
        if !object.external {
            let data = crate::swarm::spec::read_content("secret", key, object)?;
            contents.secrets.insert(key.clone(), data);
        }
    }
    for (key, object) in &stack.configs {
        if !object.external {
            let data = crate::swarm::spec::read_content("config", key, object)?;
            contents.configs.insert(key.clone(), data);
        }
    }
    Ok(contents)
}

/// The stack as the objects it becomes, or every refusal (`path: message`).
pub fn translate(stack: &StackSpec, options: &KubeOptions) -> Result<Translation, UpError> {
    let contents = read_contents(stack).map_err(invalid)?;
    spec::translate(stack, &contents, options).map_err(|refusals| {
        invalid(
            refusals
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

/// The manifests `up` would apply, as one YAML stream (`windflow export --format kubernetes`),
/// without WindFlow's own bookkeeping annotation.
pub fn export(translation: &Translation) -> Vec<Value> {
    translation
        .objects
        .iter()
        .map(|o| {
            let mut body = o.body.clone();
            if let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut)
                && let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut)
            {
                a.remove(spec::APPLIED_ANNOTATION);
                if a.is_empty() {
                    meta.remove("annotations");
                }
            }
            body
        })
        .collect()
}

/// What a plan needs from the cluster, and the plan.
struct Observed {
    namespace_exists: bool,
    live: BTreeMap<(Kind, String), Value>,
    plan: KubePlan,
}

async fn observe(
    target: &KubeTarget,
    project: &str,
    translation: &Translation,
) -> Result<Observed, UpError> {
    let namespace_exists = target.get_namespace().await?.is_some();
    let live = if namespace_exists {
        target.live(project).await?
    } else {
        BTreeMap::new()
    };
    // The server's own answer to each apply, for the objects that exist.
    let existing: Vec<&Manifest> = translation
        .objects
        .iter()
        .filter(|o| o.kind != Kind::Namespace && live.contains_key(&(o.kind, o.name.clone())))
        .collect();
    let answers = futures::future::join_all(
        existing
            .iter()
            .map(|o| target.apply(o.kind, &o.name, &o.body, true)),
    )
    .await;
    let mut dry_run = BTreeMap::new();
    for (o, answer) in existing.iter().zip(answers) {
        dry_run.insert((o.kind, o.name.clone()), plan::strip(&answer?));
    }
    let stripped = live
        .iter()
        .map(|(k, v)| (k.clone(), plan::strip(v)))
        .collect();
    let plan = plan::plan(translation, namespace_exists, &stripped, &dry_run);
    Ok(Observed {
        namespace_exists,
        live,
        plan,
    })
}

/// Observes and plans without changing anything.
pub async fn plan(target: &KubeTarget, stack: &StackSpec) -> Result<KubePlan, UpError> {
    let translation = translate(stack, &target.options)?;
    Ok(observe(target, &stack.name, &translation).await?.plan)
}

/// Deploys `stack` into the target's namespace, waits until every changed workload rolled out,
/// and records the outcome.
pub async fn up(
    target: &KubeTarget,
    stack: &StackSpec,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<UpOutcome, UpError> {
    let started = Instant::now();
    let translation = translate(stack, &target.options)?;
    let observed = observe(target, &stack.name, &translation).await?;
    let announced = crate::deploy::run::announce(
        history,
        &stack.name,
        &observed.plan.warnings,
        observed.plan.describe(),
        events,
    )?;
    let Some((version, changes)) = announced else {
        return Ok(UpOutcome {
            version: None,
            changes: vec![],
        });
    };
    let result = apply(target, stack, &translation, &observed, options, events).await;
    events.emit(EventKind::Finished {
        elapsed_ms: started.elapsed().as_millis() as u64,
        ok: result.is_ok(),
    });
    crate::deploy::run::record(
        history,
        version,
        &options.source,
        "up --mode kubernetes",
        changes,
        stack.clone(),
        result,
    )
}

/// What a run changed, to undo on failure: objects created, and the previous live body of
/// objects updated.
#[derive(Default)]
struct Journal {
    created: Vec<(Kind, String)>,
    updated: Vec<(Kind, String, Value)>,
}

/// One run's application of objects: what the plan changes, what was live, what was done
/// (for the undo), and the step counter of its events.
struct Applier<'a> {
    target: &'a KubeTarget,
    changed: BTreeMap<(Kind, String), Action>,
    live: &'a BTreeMap<(Kind, String), Value>,
    events: &'a EventSink,
    journal: Journal,
    step: usize,
}

impl Applier<'_> {
    /// Applies `o` when the plan changes it (journaled); whether it was applied.
    async fn apply(&mut self, o: &Manifest) -> Result<bool, String> {
        let key = (o.kind, o.name.clone());
        let Some(action) = self.changed.get(&key) else {
            return Ok(false);
        };
        let verb = if *action == Action::Create {
            "create"
        } else {
            "update"
        };
        let target = self.target;
        run_step(
            self.events,
            &mut self.step,
            format!("{verb} {}", o.id()),
            async { target.apply(o.kind, &o.name, &o.body, false).await },
        )
        .await?;
        match self.live.get(&key) {
            Some(previous) => self
                .journal
                .updated
                .push((o.kind, o.name.clone(), previous.clone())),
            None => self.journal.created.push(key),
        }
        Ok(true)
    }
}

async fn apply(
    target: &KubeTarget,
    stack: &StackSpec,
    translation: &Translation,
    observed: &Observed,
    options: &UpOptions,
    events: &EventSink,
) -> Result<(), DeployFailure> {
    let project = &stack.name;
    let mut run = Applier {
        target,
        changed: observed
            .plan
            .steps
            .iter()
            .map(|s| ((s.kind, s.name.clone()), s.action))
            .collect(),
        live: &observed.live,
        events,
        journal: Journal::default(),
        step: 0,
    };
    let result = async {
        if !observed.namespace_exists {
            let ns = &translation.objects[0];
            run_step(
                events,
                &mut run.step,
                format!("create {}", ns.id()),
                async { target.create_namespace(&ns.body).await },
            )
            .await?;
        }
        // Everything before the workloads, in translation order.
        for o in translation.objects.iter().filter(|o| {
            !o.kind.is_workload() && o.kind != Kind::Ingress && o.kind != Kind::Namespace
        }) {
            run.apply(o).await?;
        }
        for wave in &translation.waves {
            let mut rolled = Vec::new();
            for (key, kind, name) in wave {
                let o = translation
                    .objects
                    .iter()
                    .find(|o| o.kind == *kind && &o.name == name)
                    .expect("a wave names a translated workload");
                let before: BTreeSet<String> = pod_names(target, project, name).await?;
                if run.apply(o).await? {
                    rolled.push((key.clone(), *kind, name.clone(), before));
                }
            }
            // The wave's workloads roll out together; each is waited on.
            let waits = rolled.iter().map(|(key, kind, name, before)| {
                let worst = stack.services[key]
                    .healthcheck
                    .as_ref()
                    .filter(|h| !h.disable)
                    .map(|h| h.worst_case());
                wait_rollout(
                    target, project, *kind, name, before, worst, options, events, key,
                )
            });
            for result in futures::future::join_all(waits).await {
                result?;
            }
        }
        for o in translation
            .objects
            .iter()
            .filter(|o| o.kind == Kind::Ingress)
        {
            run.apply(o).await?;
        }
        // Prune what the stack no longer declares (claims are never pruned by `up`).
        for s in observed
            .plan
            .steps
            .iter()
            .filter(|s| s.action == Action::Delete)
        {
            run_step(
                events,
                &mut run.step,
                format!("delete {}/{}", s.kind.short(), s.name),
                target.delete(s.kind, &s.name),
            )
            .await?;
        }
        Ok::<(), String>(())
    }
    .await;
    let Err(message) = result else {
        return Ok(());
    };
    let rollback = if options.execute.rollback {
        Some(undo(target, project, run.journal, options, events).await)
    } else {
        None
    };
    Err(DeployFailure { message, rollback })
}

/// Runs one labelled step, reporting it.
async fn run_step<T>(
    events: &EventSink,
    step: &mut usize,
    label: String,
    work: impl Future<Output = Result<T, DriverError>>,
) -> Result<T, String> {
    *step += 1;
    let id = *step;
    events.emit(EventKind::StepStarted {
        step: id,
        label: label.clone(),
    });
    let started = Instant::now();
    let result = work.await;
    events.emit(EventKind::StepFinished {
        step: id,
        label,
        elapsed_ms: started.elapsed().as_millis() as u64,
        error: result.as_ref().err().map(ToString::to_string),
    });
    result.map_err(|e| e.to_string())
}

async fn pod_names(
    target: &KubeTarget,
    project: &str,
    service: &str,
) -> Result<BTreeSet<String>, String> {
    Ok(target
        .service_pods(project, service)
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .filter_map(|p| p["metadata"]["uid"].as_str().map(str::to_string))
        .collect())
}

/// Container states that never become ready by waiting.
const FATAL_WAITING: [&str; 7] = [
    "CrashLoopBackOff",
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
];

fn i64_at(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// Whether a workload finished rolling out: every replica updated and ready, nothing old left.
fn rolled_out(kind: Kind, object: &Value) -> bool {
    let replicas = object
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let observed =
        i64_at(object, "/status/observedGeneration") >= i64_at(object, "/metadata/generation");
    let updated = i64_at(object, "/status/updatedReplicas") == replicas;
    let ready = i64_at(object, "/status/readyReplicas") == replicas;
    match kind {
        Kind::Deployment => {
            observed
                && updated
                && ready
                && i64_at(object, "/status/availableReplicas") == replicas
                && i64_at(object, "/status/replicas") == replicas
        }
        Kind::StatefulSet => {
            observed
                && updated
                && ready
                && object.pointer("/status/currentRevision")
                    == object.pointer("/status/updateRevision")
        }
        _ => true,
    }
}

fn pod_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// Why a new pod can never become ready, when it cannot.
fn fatal(pod: &Value, worst: Option<Duration>) -> Option<String> {
    for status in pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(waiting) = status.pointer("/state/waiting") {
            let reason = waiting["reason"].as_str().unwrap_or_default();
            if FATAL_WAITING.contains(&reason) {
                let message = waiting["message"].as_str().unwrap_or_default();
                return Some(
                    format!("{reason}: {message}")
                        .trim_end_matches(": ")
                        .to_string(),
                );
            }
        }
        // Restarted for a failing liveness probe or an exit, again and again.
        if status["restartCount"].as_i64().unwrap_or(0) >= 3 && !pod_ready(pod) {
            let last = status.pointer("/lastState/terminated");
            return Some(match last {
                Some(t) => format!(
                    "restarted {} times, last exit {} ({})",
                    status["restartCount"],
                    t["exitCode"],
                    t["reason"].as_str().unwrap_or_default()
                ),
                None => format!("restarted {} times", status["restartCount"]),
            });
        }
        // Running past its healthcheck's worst case and still not ready: unhealthy.
        if let (Some(worst), Some(running)) = (worst, status.pointer("/state/running/startedAt"))
            && !pod_ready(pod)
            && let Some(started) = running.as_str().and_then(|s| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
            })
        {
            let age = time::OffsetDateTime::now_utc() - started;
            if age.whole_seconds() > (worst.as_secs() + 5) as i64 {
                return Some(format!(
                    "not ready {}s after it started: its healthcheck keeps failing",
                    age.whole_seconds()
                ));
            }
        }
    }
    None
}

/// Waits until a workload rolled out; fails early when a new pod cannot become ready, with
/// its events and last log lines.
#[allow(clippy::too_many_arguments)]
async fn wait_rollout(
    target: &KubeTarget,
    project: &str,
    kind: Kind,
    name: &str,
    before: &BTreeSet<String>,
    worst: Option<Duration>,
    options: &UpOptions,
    events: &EventSink,
    service: &str,
) -> Result<(), String> {
    let deadline = Instant::now() + options.execute.wait_timeout;
    let mut cancel = options.execute.cancel.clone();
    loop {
        let object = target
            .get(kind, name)
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        if rolled_out(kind, &object) {
            events.emit(EventKind::ServiceState {
                service: service.to_string(),
                state: "healthy".into(),
                detail: Some(format!(
                    "{}/{name}: {} ready",
                    kind.short(),
                    i64_at(&object, "/status/readyReplicas")
                )),
            });
            return Ok(());
        }
        let pods = target
            .service_pods(project, name)
            .await
            .map_err(|e| e.to_string())?;
        let new: Vec<&Value> = pods
            .iter()
            // By uid: a StatefulSet's new pod has its predecessor's name.
            .filter(|p| {
                p["metadata"]["uid"]
                    .as_str()
                    .is_some_and(|n| !before.contains(n))
            })
            .collect();
        let failing = new
            .iter()
            .find_map(|p| fatal(p, worst).map(|why| (*p, why)));
        let timed_out = Instant::now() >= deadline;
        let cancelled = cancel.as_ref().is_some_and(|c| *c.borrow());
        if failing.is_some() || timed_out || cancelled {
            let (pod, why) = match failing {
                Some((pod, why)) => (Some(pod), why),
                None if cancelled => (None, "interrupted".to_string()),
                None => (
                    new.iter().find(|p| !pod_ready(p)).copied(),
                    format!(
                        "not rolled out within {}s",
                        options.execute.wait_timeout.as_secs()
                    ),
                ),
            };
            let mut message = format!("service {service} ({}/{name}): {why}", kind.short());
            if let Some(pod) = pod {
                message.push_str(&diagnose(target, pod).await);
            }
            events.emit(EventKind::ServiceState {
                service: service.to_string(),
                state: "failed".into(),
                detail: Some(why),
            });
            return Err(message);
        }
        let pause = tokio::time::sleep(Duration::from_millis(400));
        match cancel.as_mut() {
            Some(c) => {
                tokio::select! {
                    _ = pause => {}
                    _ = c.changed() => {}
                }
            }
            None => pause.await,
        }
    }
}

/// A failing pod's name, its events and its last log lines, for the error.
async fn diagnose(target: &KubeTarget, pod: &Value) -> String {
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
    let mut text = format!("\npod {name}");
    if let Ok(events) = target.events_of(uid).await {
        let interesting: Vec<&String> = events
            .iter()
            .filter(|e| !e.starts_with("Scheduled:") && !e.starts_with("Pulled:"))
            .collect();
        for e in interesting.iter().rev().take(5).rev() {
            text.push_str(&format!("\n  {e}"));
        }
    }
    let restarted = pod
        .pointer("/status/containerStatuses/0/restartCount")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        > 0;
    let log = match target.pod_log(name, Some(10), false, false).await {
        Ok(log) if !log.trim().is_empty() => Some(log),
        _ if restarted => target.pod_log(name, Some(10), true, false).await.ok(),
        _ => None,
    };
    if let Some(log) = log.filter(|l| !l.trim().is_empty()) {
        text.push_str("\nlast log lines:");
        for line in log.lines() {
            text.push_str(&format!("\n  {line}"));
        }
    }
    text
}

/// The body to apply again for an object's previous version: what WindFlow last applied to
/// it, else the live object without what the server writes.
fn previous_body(live: &Value) -> Value {
    let applied = live
        .pointer(&format!(
            "/metadata/annotations/{}",
            spec::APPLIED_ANNOTATION.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    match applied {
        Some(mut body) => {
            let text = body.to_string();
            body["metadata"]["annotations"][spec::APPLIED_ANNOTATION] = Value::String(text);
            body
        }
        None => plan::strip(live),
    }
}

/// Puts back what a failed run changed: previous bodies applied again, created objects deleted;
/// then waits for the restored workloads.
async fn undo(
    target: &KubeTarget,
    project: &str,
    journal: Journal,
    options: &UpOptions,
    events: &EventSink,
) -> RollbackReport {
    events.emit(EventKind::RollbackStarted {
        reason: "the rollout failed".into(),
    });
    let mut report = RollbackReport::default();
    for (kind, name, previous) in journal.updated.iter().rev() {
        let id = format!("{}/{name}", kind.short());
        let result = target
            .apply(*kind, name, &previous_body(previous), false)
            .await;
        events.emit(EventKind::RollbackAction {
            message: format!("restore {id}"),
            error: result.as_ref().err().map(ToString::to_string),
        });
        match result {
            Ok(_) => report.restored.push(id),
            Err(e) => report.errors.push(format!("{id}: {e}")),
        }
    }
    // A claim the run created stays, as a volume does in the container path: deleting it
    // under a terminating pod would leave it half-deleted for the next run.
    for (kind, name) in journal
        .created
        .iter()
        .rev()
        .filter(|(kind, _)| *kind != Kind::PersistentVolumeClaim)
    {
        let id = format!("{}/{name}", kind.short());
        let result = target.delete(*kind, name).await;
        events.emit(EventKind::RollbackAction {
            message: format!("remove {id}"),
            error: result.as_ref().err().map(ToString::to_string),
        });
        match result {
            Ok(()) => report.removed.push(id),
            Err(e) => report.errors.push(format!("{id}: {e}")),
        }
    }
    // The previous ReplicaSets serve again once the restored templates rolled back.
    let mut restore_options = options.clone();
    restore_options.execute.cancel = None;
    for (kind, name, _) in journal.updated.iter().filter(|(k, _, _)| k.is_workload()) {
        let deadline = Instant::now() + options.execute.wait_timeout;
        loop {
            match target.get(*kind, name).await {
                Ok(Some(object)) if rolled_out(*kind, &object) => break,
                Ok(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(400)).await
                }
                Ok(_) => {
                    report.errors.push(format!(
                        "{}/{name} did not roll back within {}s",
                        kind.short(),
                        options.execute.wait_timeout.as_secs()
                    ));
                    break;
                }
                Err(e) => {
                    report.errors.push(format!("{}/{name}: {e}", kind.short()));
                    break;
                }
            }
        }
    }
    let _ = project;
    events.emit(EventKind::RollbackFinished {
        restored: report.errors.is_empty(),
    });
    report
}

/// Removes the stack's objects (by label: nothing else in the namespace). `volumes`: its
/// claims too, and the namespace when WindFlow created it for this stack.
pub async fn down(
    target: &KubeTarget,
    project: &str,
    volumes: bool,
    events: &EventSink,
) -> Result<KubePlan, UpError> {
    let namespace = target.get_namespace().await?;
    let mut steps = Vec::new();
    if namespace.is_some() {
        let live = target.live(project).await?;
        // Ingresses and workloads first, claims last.
        let mut order: Vec<&(Kind, String)> = live.keys().collect();
        order.sort_by_key(|(kind, _)| std::cmp::Reverse(*kind));
        let mut step = 0;
        for (kind, name) in order {
            if *kind == Kind::PersistentVolumeClaim && !volumes {
                continue;
            }
            run_step(
                events,
                &mut step,
                format!("delete {}/{name}", kind.short()),
                target.delete(*kind, name),
            )
            .await
            .map_err(invalid)?;
            steps.push(KubeStep {
                action: Action::Delete,
                kind: *kind,
                name: name.clone(),
                service: None,
                fields: vec![],
            });
        }
        let ours = namespace
            .as_ref()
            .and_then(|n| {
                n.pointer(&format!(
                    "/metadata/labels/{}",
                    spec::STACK_LABEL.replace('/', "~1")
                ))
            })
            .and_then(Value::as_str)
            == Some(project);
        // Deleting a namespace deletes everything in it: only one that holds nothing else.
        let foreign = if volumes && ours {
            target.foreign_objects(project).await?
        } else {
            vec![]
        };
        if !foreign.is_empty() {
            events.emit(EventKind::Warning {
                message: format!(
                    "namespace {} is kept: it also holds {}",
                    target.namespace(),
                    foreign.join(", ")
                ),
            });
        }
        if volumes && ours && foreign.is_empty() {
            let ns = target.namespace().to_string();
            run_step(
                events,
                &mut step,
                format!("delete namespace/{ns}"),
                target.delete(Kind::Namespace, &ns),
            )
            .await
            .map_err(invalid)?;
            steps.push(KubeStep {
                action: Action::Delete,
                kind: Kind::Namespace,
                name: ns,
                service: None,
                fields: vec![],
            });
        }
    }
    // As `kubectl delete` does, wait until the objects are gone (their pods stopped, claims
    // released), so the stack can be deployed again at once.
    let deadline = Instant::now() + Duration::from_secs(120);
    for s in &steps {
        while target.get(s.kind, &s.name).await?.is_some() {
            if Instant::now() >= deadline {
                events.emit(EventKind::Warning {
                    message: format!(
                        "{}/{} is still being deleted after 120s (a finalizer holds it)",
                        s.kind.short(),
                        s.name
                    ),
                });
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    Ok(KubePlan {
        namespace: target.namespace().to_string(),
        steps,
        warnings: vec![],
    })
}

/// Deploys an earlier version again: `to`, or the last one before the current that differs.
pub async fn rollback(
    target: &KubeTarget,
    project: &str,
    to: Option<u64>,
    history: &History,
    options: &UpOptions,
    events: &EventSink,
) -> Result<(Revision, UpOutcome), UpError> {
    let revision = crate::deploy::run::rollback_target(
        history,
        project,
        to,
        Some(("Kubernetes", "kubernetes")),
    )?;
    let mut options = options.clone();
    options.source = format!("rollback to v{}", revision.version);
    let outcome = up(target, &revision.stack, history, &options, events).await?;
    Ok((revision, outcome))
}

/// One pod of a workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubePod {
    pub name: String,
    pub phase: String,
    pub ready: bool,
    pub restarts: i64,
    /// Why it is not running, when it is not (`CrashLoopBackOff`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// One service of the stack as the cluster runs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubeWorkload {
    pub service: String,
    pub kind: Kind,
    pub name: String,
    pub replicas: i64,
    pub ready: i64,
    pub updated: i64,
    pub pods: Vec<KubePod>,
}

fn pod_summary(pod: &Value) -> KubePod {
    let status = pod.pointer("/status/containerStatuses/0");
    KubePod {
        name: pod["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        phase: if pod.pointer("/metadata/deletionTimestamp").is_some() {
            "Terminating".to_string()
        } else {
            pod["status"]["phase"]
                .as_str()
                .unwrap_or("Unknown")
                .to_string()
        },
        ready: pod_ready(pod),
        restarts: status.and_then(|s| s["restartCount"].as_i64()).unwrap_or(0),
        reason: status
            .and_then(|s| s.pointer("/state/waiting/reason"))
            .and_then(Value::as_str)
            .map(str::to_string),
        node: pod["spec"]["nodeName"].as_str().map(str::to_string),
    }
}

/// The stack's workloads with their pods.
pub async fn status(target: &KubeTarget, project: &str) -> Result<Vec<KubeWorkload>, DriverError> {
    if target.get_namespace().await?.is_none() {
        return Ok(vec![]);
    }
    let live = target.live(project).await?;
    let mut workloads = Vec::new();
    for ((kind, name), object) in live.iter().filter(|((k, _), _)| k.is_workload()) {
        let pods = target.service_pods(project, name).await?;
        let mut pods: Vec<KubePod> = pods.iter().map(pod_summary).collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        workloads.push(KubeWorkload {
            service: object
                .pointer(&format!(
                    "/metadata/labels/{}",
                    spec::SERVICE_LABEL.replace('/', "~1")
                ))
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_string(),
            kind: *kind,
            name: name.clone(),
            replicas: object
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            ready: i64_at(object, "/status/readyReplicas"),
            updated: i64_at(object, "/status/updatedReplicas"),
            pods,
        });
    }
    Ok(workloads)
}

/// The pods of the stack's services (all, or those named), as (service, pod) pairs.
pub async fn pods_of(
    target: &KubeTarget,
    project: &str,
    services: &[String],
) -> Result<Vec<(String, String)>, DriverError> {
    let mut out = Vec::new();
    for workload in status(target, project).await? {
        if !services.is_empty() && !services.contains(&workload.service) {
            continue;
        }
        for pod in workload.pods {
            out.push((workload.service.clone(), pod.name));
        }
    }
    Ok(out)
}

/// The last `tail` lines of every pod of the stack's services (all, or those named).
pub async fn logs(
    target: &KubeTarget,
    project: &str,
    services: &[String],
    tail: Option<i64>,
    timestamps: bool,
) -> Result<Vec<(String, String, String)>, DriverError> {
    let mut out = Vec::new();
    for (service, pod) in pods_of(target, project, services).await? {
        let text = target.pod_log(&pod, tail, false, timestamps).await?;
        out.push((service, pod, text));
    }
    Ok(out)
}

/// Millicores of a CPU quantity (`2`, `1500m`).
pub(crate) fn quantity_millis(q: &str) -> Option<u64> {
    match q.strip_suffix('m') {
        Some(m) => m.parse().ok(),
        None => q.parse::<f64>().ok().map(|c| (c * 1000.0) as u64),
    }
}

/// Bytes of a memory quantity (`24Gi`, `1024Ki`, `1G`, `123`).
pub(crate) fn quantity_bytes(q: &str) -> Option<u64> {
    let suffixes: [(&str, u64); 10] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("Pi", 1 << 50),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
    ];
    for (suffix, factor) in suffixes {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().ok().map(|n| (n * factor as f64) as u64);
        }
    }
    q.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(quantity_millis("2"), Some(2000));
        assert_eq!(quantity_millis("1500m"), Some(1500));
        assert_eq!(quantity_bytes("24Gi"), Some(24 << 30));
        assert_eq!(quantity_bytes("1024Ki"), Some(1 << 20));
        assert_eq!(quantity_bytes("1G"), Some(1_000_000_000));
        assert_eq!(quantity_bytes("123"), Some(123));
        assert_eq!(quantity_bytes("x"), None);
    }

    #[test]
    fn a_rollout_is_done_when_every_replica_is_new_and_ready_and_nothing_old_is_left() {
        let d = |generation: i64, obs: i64, replicas: i64, updated: i64, ready: i64, total: i64| {
            serde_json::json!({
                "metadata": { "generation": generation },
                "spec": { "replicas": replicas },
                "status": { "observedGeneration": obs, "updatedReplicas": updated,
                            "readyReplicas": ready, "availableReplicas": ready, "replicas": total },
            })
        };
        assert!(rolled_out(Kind::Deployment, &d(2, 2, 2, 2, 2, 2)));
        assert!(
            !rolled_out(Kind::Deployment, &d(3, 2, 2, 2, 2, 2)),
            "not observed yet"
        );
        assert!(
            !rolled_out(Kind::Deployment, &d(2, 2, 2, 1, 2, 3)),
            "surge pod left"
        );
        assert!(
            !rolled_out(Kind::Deployment, &d(2, 2, 2, 2, 1, 2)),
            "one not ready"
        );
    }

    #[test]
    fn the_previous_body_is_what_windflow_applied() {
        let applied = serde_json::json!({ "kind": "Deployment", "metadata": { "name": "web" }, "spec": { "replicas": 1 } });
        let live = serde_json::json!({
            "kind": "Deployment",
            "metadata": { "name": "web", "resourceVersion": "9",
                          "annotations": { spec::APPLIED_ANNOTATION: applied.to_string() } },
            "spec": { "replicas": 1, "progressDeadlineSeconds": 600 },
            "status": {},
        });
        let body = previous_body(&live);
        assert_eq!(body["spec"], applied["spec"]);
        assert_eq!(
            body["metadata"]["annotations"][spec::APPLIED_ANNOTATION],
            applied.to_string()
        );
    }
}
