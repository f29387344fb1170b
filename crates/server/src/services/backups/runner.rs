//! The backup workers: queued runs are claimed under a lease (one operation per repository
//! at a time — restic's locks), carried out, and ended in a terminal state. If the server
//! dies, the lease runs out and the next start takes the run again: it first removes the
//! helpers the dead attempt left and the repository's stale locks, then starts the operation
//! over (restic's deduplication makes a repeated backup cheap; a restore's staging is
//! rebuilt, and a half-done swap is undone first).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tracing::Instrument;
use windflow_backup::engines::{self, Engine};
use windflow_backup::restic;
use windflow_backup::{Consistency, Invocation, Policy};
use windflow_domain::Volume;
use windflow_domain::observed::{ContainerState, Health};
use windflow_engine::driver::Driver;
use windflow_engine::task::{TaskIo, TaskMount, TaskSpec};
use windflow_storage::{BackupRunRecord, BackupSnapshotRecord, Stack, Target};

use super::helper::{self, DataMount, Helper, Item, Repo, ServiceContainer};
use super::{LABEL_RUN, open_repo, policy_of, target_driver};
use crate::state::{App, AppState, now_ms};

/// How long a restored stack has to come back healthy.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(180);

/// Runs until `shutdown` turns true.
pub async fn run_workers(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(tokio::sync::Semaphore::new(
        state.config.backup_workers.max(1),
    ));
    let mut last_reclaim = Instant::now() - Duration::from_secs(3600);
    loop {
        if *shutdown.borrow() {
            return;
        }
        let now = now_ms();
        let lease = state.config.lease;
        let lease_until = now + lease.as_millis() as i64;
        let mut claimed = Vec::new();
        if last_reclaim.elapsed() > lease / 3 {
            last_reclaim = Instant::now();
            match state
                .store
                .reclaim_expired_backup_runs(&state.instance, now, lease_until)
                .await
            {
                Ok(list) => {
                    for r in &list {
                        tracing::warn!(run = %r.id, kind = %r.kind, attempt = r.attempts, "resuming a backup run whose worker stopped");
                    }
                    claimed.extend(list);
                }
                Err(e) => tracing::error!(error = %e, "reclaiming backup runs"),
            }
        }
        while permits.available_permits() > claimed.len() {
            match state
                .store
                .claim_backup_run(&state.instance, now, lease_until)
                .await
            {
                Ok(Some(r)) => claimed.push(r),
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %e, "claiming a backup run");
                    break;
                }
            }
        }
        for run in claimed {
            let permit = permits.clone().acquire_owned().await.expect("semaphore");
            let state = state.clone();
            let span = tracing::info_span!("backup", run = %run.id, kind = %run.kind, stack = ?run.stack_name);
            tokio::spawn(
                async move {
                    let _permit = permit;
                    carry_out(&state, run).await;
                    state.backup_wakeup.notify_one();
                }
                .instrument(span),
            );
        }
        tokio::select! {
            _ = state.backup_wakeup.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Why a run stopped early.
enum Stop {
    Cancelled,
    LeaseLost,
}

/// Keeps the lease and watches for cancellation; returns when the run must stop.
async fn guard(app: &App, id: &str) -> Stop {
    let lease = app.config.lease;
    loop {
        tokio::time::sleep(lease / 4).await;
        match app
            .store
            .renew_backup_lease(id, &app.instance, now_ms() + lease.as_millis() as i64)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Stop::LeaseLost,
            Err(e) => tracing::warn!(error = %e, run = id, "renewing a backup lease"),
        }
        if let Ok(true) = app.store.is_backup_run_cancel_requested(id).await {
            return Stop::Cancelled;
        }
    }
}

/// The run's progress, written to the store as it goes.
pub(crate) struct Progress<'a> {
    app: &'a App,
    id: String,
    pub value: Value,
}

impl Progress<'_> {
    async fn save(&self) {
        if let Err(e) = self
            .app
            .store
            .update_backup_run_result(&self.id, &self.value)
            .await
        {
            tracing::warn!(error = %e, run = %self.id, "recording backup progress");
        }
    }

    async fn push(&mut self, list: &str, entry: Value) {
        match self.value.get_mut(list).and_then(Value::as_array_mut) {
            Some(items) => items.push(entry),
            None => self.value[list] = json!([entry]),
        }
        self.save().await;
    }
}

async fn carry_out(app: &App, run: BackupRunRecord) {
    let started = Instant::now();
    let mut progress = Progress {
        app,
        id: run.id.clone(),
        value: json!({}),
    };
    let outcome = {
        let work = execute(app, &run, &mut progress);
        tokio::pin!(work);
        tokio::select! {
            result = &mut work => Ok(result),
            stop = guard(app, &run.id) => Err(stop),
        }
    };
    let (status, error) = match outcome {
        Ok(Ok(())) => ("succeeded", None),
        Ok(Err(message)) => ("failed", Some(message)),
        Err(Stop::Cancelled) => ("cancelled", Some("cancelled".to_string())),
        // Another worker holds the run now: leave it.
        Err(Stop::LeaseLost) => return,
    };
    if status != "succeeded" {
        // The helpers of an interrupted step are removed, not left running.
        if let Some(target_id) = run_target(&run)
            && let Ok(target) = app.store.get_target_by_id(&run.org_id, &target_id).await
            && let Ok(driver) = crate::services::targets::driver(app, &target)
        {
            let _ = driver.remove_labelled(LABEL_RUN, &run.id).await;
        }
    }
    progress.value["duration_ms"] = json!(started.elapsed().as_millis() as u64);
    if let Err(e) = app
        .store
        .finish_backup_run(&run.id, status, &progress.value, error.as_deref(), now_ms())
        .await
    {
        tracing::error!(error = %e, "recording the end of a backup run");
    }
    metrics::counter!("windflow_backup_runs_total", "kind" => run.kind.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("windflow_backup_duration_seconds", "kind" => run.kind.clone())
        .record(started.elapsed().as_secs_f64());
    if let Some(added) = progress.value.get("added_bytes").and_then(Value::as_u64) {
        metrics::counter!("windflow_backup_added_bytes_total").increment(added);
    }
    super::publish_metrics(app).await;
    match (status, &error) {
        ("succeeded", _) => tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "backup run succeeded"
        ),
        (_, Some(e)) => {
            tracing::warn!(error = %e, "backup run {status}");
            if run.kind == "drill" {
                metrics::counter!("windflow_backup_drill_failures_total").increment(1);
            }
            // Failures are alert events: in the audit trail, with the run.
            crate::services::audit::record_as(
                app,
                crate::services::audit::Actor {
                    id: None,
                    name: "windflow",
                    ip: None,
                },
                Some(&run.org_id),
                &format!("backup.{}.{status}", run.kind),
                &format!("backup/runs/{}", run.id),
                json!({"stack": run.stack_name, "error": e}),
            )
            .await;
        }
        _ => {}
    }
}

fn run_target(run: &BackupRunRecord) -> Option<String> {
    run.params
        .get("target_id")
        .and_then(Value::as_str)
        .map(str::to_string)
}

async fn execute(
    app: &App,
    run: &BackupRunRecord,
    progress: &mut Progress<'_>,
) -> Result<(), String> {
    let record = app
        .store
        .get_backup_repository(&run.org_id, &run.repository_id)
        .await
        .map_err(|e| format!("the repository: {e}"))?;
    let (repo, home_target) = open_repo(app, &record).map_err(|e| e.to_string())?;
    let target_id = run_target(run).unwrap_or(home_target);
    let target = app
        .store
        .get_target_by_id(&run.org_id, &target_id)
        .await
        .map_err(|e| format!("the target: {e}"))?;
    let driver = target_driver(app, &target)
        .await
        .map_err(|e| e.to_string())?;
    let helper = Helper::new(driver.clone(), &app.config.backup_image, &run.id);
    if run.attempts > 1 {
        // A previous attempt died: its helpers and restic locks are stale.
        helper.clean_up().await;
        let _ = helper
            .restic(
                &repo,
                Invocation::unlock(&repo.location),
                &[],
                TaskIo::default(),
            )
            .await;
    }
    let repo = Arc::new(repo);
    match run.kind.as_str() {
        "check" => check(app, run, &repo, &helper, progress).await,
        kind => {
            let stack_id = run.stack_id.as_deref().ok_or("the run names no stack")?;
            let stack = app
                .store
                .get_stack_by_id(&run.org_id, stack_id)
                .await
                .map_err(|e| format!("the stack: {e}"))?;
            let ctx = Ctx {
                app,
                run,
                repo,
                helper: Arc::new(helper),
                driver,
                target,
                stack,
            };
            match kind {
                "backup" => ctx.backup(progress).await,
                "restore" => ctx.restore(progress).await,
                "drill" => ctx.drill(progress).await,
                other => Err(format!("unknown backup operation {other}")),
            }
        }
    }
}

async fn check(
    app: &App,
    run: &BackupRunRecord,
    repo: &Repo,
    helper: &Helper,
    progress: &mut Progress<'_>,
) -> Result<(), String> {
    let read_data = run
        .params
        .get("read_data")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(100) as u8;
    let out = helper
        .restic(
            repo,
            Invocation::check(&repo.location, read_data),
            &[],
            TaskIo::default(),
        )
        .await?;
    let ok = out.success();
    let message = if ok {
        format!("no errors ({}% of the data read back)", read_data)
    } else {
        helper::failure(repo, &out).to_string()
    };
    progress.value["ok"] = json!(ok);
    progress.value["message"] = json!(message);
    progress.value["read_data"] = json!(read_data);
    let _ = app
        .store
        .record_backup_repository_check(&repo.id, now_ms(), ok, Some(&message))
        .await;
    if ok { Ok(()) } else { Err(message) }
}

/// Where a snapshot's item goes in the destination stack: what it replaces, and the services
/// stopped meanwhile.
pub(crate) fn destination(
    project: &str,
    snapshot: &BackupSnapshotRecord,
    containers: &[ServiceContainer],
) -> Result<(String, Vec<String>), String> {
    let mut stops = std::collections::BTreeSet::new();
    match snapshot.kind.as_str() {
        "database" => {
            let service = snapshot
                .item
                .strip_prefix("database:")
                .unwrap_or(&snapshot.item);
            helper::running(containers, service).ok_or_else(|| {
                format!("the stack {project} has no running service {service} to restore its database into")
            })?;
            Ok((
                format!(
                    "the database of service {service} (loaded into a scratch database, then swapped in)"
                ),
                Vec::new(),
            ))
        }
        "volume" => {
            let key = snapshot
                .item
                .strip_prefix("volume:")
                .unwrap_or(&snapshot.item);
            let mut volume = None;
            for c in containers {
                for m in &c.mounts {
                    if let Some(v) = &m.volume
                        && helper::volume_key(project, v) == key
                    {
                        volume = Some(v.clone());
                        stops.insert(c.service.clone());
                    }
                }
            }
            let volume = volume.ok_or_else(|| {
                format!("the stack {project} has no volume {key} on its target (deploy it first)")
            })?;
            Ok((format!("volume {volume}"), stops.into_iter().collect()))
        }
        "bind" => {
            let rest = snapshot
                .item
                .strip_prefix("bind:")
                .unwrap_or(&snapshot.item);
            let (service, path) = rest.split_once(':').ok_or("a malformed bind item")?;
            let source = containers
                .iter()
                .filter(|c| c.service == service)
                .flat_map(|c| &c.mounts)
                .find(|m| m.volume.is_none() && m.destination == path)
                .map(|m| m.source.clone())
                .ok_or_else(|| {
                    format!("the stack {project}'s service {service} mounts no folder at {path}")
                })?;
            Ok((format!("folder {source}"), vec![service.to_string()]))
        }
        other => Err(format!("unknown item kind {other}")),
    }
}

struct Ctx<'a> {
    app: &'a App,
    run: &'a BackupRunRecord,
    repo: Arc<Repo>,
    helper: Arc<Helper>,
    driver: Arc<dyn Driver>,
    target: Target,
    stack: Stack,
}

fn command_line(c: &ServiceContainer) -> Vec<String> {
    c.entrypoint.iter().chain(c.cmd.iter()).cloned().collect()
}

fn short(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect::<String>()
        .to_ascii_lowercase()
}

impl Ctx<'_> {
    /// A list of strings in the run's parameters.
    fn param_list(&self, key: &str) -> Vec<String> {
        self.run
            .params
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn mask(&self) -> Vec<String> {
        self.repo.secrets()
    }

    async fn containers(&self) -> Result<Vec<ServiceContainer>, String> {
        let list = helper::containers(&self.driver, &self.stack.name).await?;
        if list.is_empty() {
            return Err(format!(
                "the stack {} has no containers on {}",
                self.stack.name, self.target.name
            ));
        }
        Ok(list)
    }

    async fn hooks(
        &self,
        hooks: &[windflow_backup::Hook],
        containers: &[ServiceContainer],
    ) -> Result<(), String> {
        for h in hooks {
            let c = helper::running(containers, &h.service).ok_or_else(|| {
                format!("hook: the service {} has no running container", h.service)
            })?;
            helper::exec_ok(
                &self.driver,
                &c.id,
                h.command.clone(),
                Vec::new(),
                TaskIo::default(),
                &self.mask(),
            )
            .await
            .map_err(|e| format!("hook in {}: {e}", h.service))?;
        }
        Ok(())
    }

    // ---- backup ---------------------------------------------------------------------------

    async fn backup(&self, progress: &mut Progress<'_>) -> Result<(), String> {
        let record = self
            .app
            .store
            .get_backup_policy(&self.stack.id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the stack has no backup policy any more")?;
        let policy = policy_of(&record).map_err(|e| e.to_string())?;
        let containers = self.containers().await?;
        let items = helper::items(&self.stack.name, &policy, &containers);
        if items.is_empty() {
            return Err(format!(
                "nothing to back up: the stack {} has no named volume or database the policy selects",
                self.stack.name
            ));
        }
        progress.value["target"] = json!(self.target.name);
        progress.value["planned"] = json!(items.iter().map(|i| i.name.clone()).collect::<Vec<_>>());
        progress.save().await;
        self.hooks(&policy.hooks.pre, &containers).await?;
        let mut snapshots = Vec::new();
        let mut failure = None;
        for item in &items {
            let started = Instant::now();
            let result = match item.kind.as_str() {
                "database" => self.dump_item(&policy, &containers, item).await,
                _ => self.copy_item(&policy, &containers, item).await,
            };
            match result {
                Ok(summary) => {
                    let entry = json!({
                        "item": item.name,
                        "snapshot": summary.snapshot_id,
                        "files": summary.total_files_processed,
                        "size_bytes": summary.total_bytes_processed,
                        "added_bytes": summary.data_added,
                        "duration_ms": started.elapsed().as_millis() as u64,
                    });
                    progress.push("items", entry).await;
                    snapshots.push((item.clone(), summary, started.elapsed()));
                }
                Err(e) => {
                    failure = Some(format!("{}: {e}", item.name));
                    break;
                }
            }
        }
        // Post hooks run whatever happened (they undo what pre hooks did).
        let post = self.hooks(&policy.hooks.post, &containers).await;
        self.resolve_ids(&mut snapshots).await?;
        if let Some(failure) = failure {
            // A partial run's snapshots are forgotten: a backup is all its items or nothing.
            let ids: Vec<String> = snapshots
                .iter()
                .map(|(_, s, _)| s.snapshot_id.clone())
                .collect();
            if !ids.is_empty() {
                let _ = self
                    .helper
                    .restic(
                        &self.repo,
                        Invocation::forget_ids(&self.repo.location, &ids),
                        &[],
                        TaskIo::default(),
                    )
                    .await;
            }
            return Err(failure);
        }
        post?;
        let now = now_ms();
        let records: Vec<BackupSnapshotRecord> = snapshots
            .iter()
            .map(|(item, s, took)| BackupSnapshotRecord {
                id: s.snapshot_id.clone(),
                org_id: self.run.org_id.clone(),
                repository_id: self.repo.id.clone(),
                stack_id: self.stack.id.clone(),
                stack_name: self.stack.name.clone(),
                run_id: self.run.id.clone(),
                item: item.name.clone(),
                kind: item.kind.clone(),
                engine: item.engine.map(|e| e.to_string()),
                path: item.path.clone(),
                files: s.total_files_processed as i64,
                size_bytes: s.total_bytes_processed as i64,
                added_bytes: s.data_added as i64,
                duration_ms: took.as_millis() as i64,
                created_at: now,
            })
            .collect();
        self.app
            .store
            .insert_backup_snapshots(&records)
            .await
            .map_err(|e| e.to_string())?;
        let added: u64 = snapshots.iter().map(|(_, s, _)| s.data_added).sum();
        let size: u64 = snapshots
            .iter()
            .map(|(_, s, _)| s.total_bytes_processed)
            .sum();
        progress.value["added_bytes"] = json!(added);
        progress.value["size_bytes"] = json!(size);
        progress.value["items"] =
            json!(records.iter().map(|r| json!({
            "item": r.item, "snapshot": r.id, "files": r.files, "size_bytes": r.size_bytes,
            "added_bytes": r.added_bytes, "duration_ms": r.duration_ms,
        })).collect::<Vec<_>>());
        progress.save().await;
        if !policy.retention.keeps_everything() {
            self.apply_retention(&policy, progress).await?;
        }
        Ok(())
    }

    /// restic may print short snapshot ids: they are resolved to full ones.
    async fn resolve_ids(
        &self,
        snapshots: &mut [(Item, restic::BackupSummary, Duration)],
    ) -> Result<(), String> {
        if snapshots.iter().all(|(_, s, _)| s.snapshot_id.len() == 64) {
            return Ok(());
        }
        let out = self
            .helper
            .restic_ok(
                &self.repo,
                Invocation::snapshots(&self.repo.location, Some(&self.stack.id)),
                &[],
                TaskIo::default(),
            )
            .await?;
        let all = restic::snapshots(&out.stdout_text())?;
        for (_, s, _) in snapshots.iter_mut() {
            if let Some(full) = all.iter().find(|x| x.id.starts_with(&s.snapshot_id)) {
                s.snapshot_id = full.id.clone();
            }
        }
        Ok(())
    }

    async fn apply_retention(
        &self,
        policy: &Policy,
        progress: &mut Progress<'_>,
    ) -> Result<(), String> {
        self.helper
            .restic_ok(
                &self.repo,
                Invocation::forget(
                    &self.repo.location,
                    &self.stack.id,
                    &policy.retention.flags(),
                ),
                &[],
                TaskIo::default(),
            )
            .await
            .map_err(|e| format!("applying the retention: {e}"))?;
        let out = self
            .helper
            .restic_ok(
                &self.repo,
                Invocation::snapshots(&self.repo.location, Some(&self.stack.id)),
                &[],
                TaskIo::default(),
            )
            .await?;
        let kept: std::collections::HashSet<String> = restic::snapshots(&out.stdout_text())?
            .into_iter()
            .map(|s| s.id)
            .collect();
        let known = self
            .app
            .store
            .list_backup_snapshots(&self.run.org_id, Some(&self.stack.id), 10_000)
            .await
            .map_err(|e| e.to_string())?;
        let gone: Vec<String> = known
            .into_iter()
            .filter(|s| s.repository_id == self.repo.id && !kept.contains(&s.id))
            .map(|s| s.id)
            .collect();
        if !gone.is_empty() {
            self.app
                .store
                .delete_backup_snapshots(&self.repo.id, &gone)
                .await
                .map_err(|e| e.to_string())?;
        }
        progress.value["forgotten"] = json!(gone.len());
        Ok(())
    }

    /// Streams a database dump from its container into restic.
    async fn dump_item(
        &self,
        policy: &Policy,
        containers: &[ServiceContainer],
        item: &Item,
    ) -> Result<restic::BackupSummary, String> {
        let service = item.service.as_deref().unwrap_or_default();
        let engine = item.engine.ok_or("no engine")?;
        let c = helper::running(containers, service)
            .ok_or_else(|| format!("the service {service} has no running container to dump"))?;
        let conn = engines::connection(
            engine,
            &c.env,
            &command_line(c),
            policy.databases.get(service),
        );
        let command = engines::dump(engine, &conn).ok_or("this engine is not dumped")?;
        let mut mask = self.mask();
        mask.extend(conn.password.clone());
        self.put_command_files(&c.id, &command).await?;
        let (tx, rx) = mpsc::channel::<Bytes>(32);
        let stdin = ReceiverStream::new(rx)
            .map(Ok::<Bytes, std::io::Error>)
            .boxed();
        let (helper, repo) = (self.helper.clone(), self.repo.clone());
        let invocation = Invocation::backup_stdin(
            &repo.location,
            &self.stack.id,
            &item.name,
            &engine.dump_file(service),
        );
        let store = tokio::spawn(async move {
            helper
                .restic(
                    &repo,
                    invocation,
                    &[],
                    TaskIo {
                        stdin: Some(stdin),
                        stdout: None,
                    },
                )
                .await
        });
        let dumped = helper::exec_ok(
            &self.driver,
            &c.id,
            command.argv.clone(),
            command.env.clone(),
            TaskIo {
                stdin: None,
                stdout: Some(tx.clone()),
            },
            &mask,
        )
        .await;
        self.remove_command_files(&c.id, &command).await;
        if let Err(e) = dumped {
            // restic's input is not closed: it is stopped, so no snapshot of a partial dump.
            store.abort();
            self.helper.clean_up().await;
            return Err(format!("the dump failed: {e}"));
        }
        drop(tx);
        let out = store.await.map_err(|e| format!("the backup task: {e}"))??;
        if !out.success() {
            return Err(helper::failure(&self.repo, &out).to_string());
        }
        restic::backup_summary(&out.stdout_text())
            .ok_or_else(|| "restic printed no summary".to_string())
    }

    async fn put_command_files(
        &self,
        container: &str,
        command: &engines::Command,
    ) -> Result<(), String> {
        if command.files.is_empty() {
            return Ok(());
        }
        let files: Vec<windflow_engine::task::TaskFile> = command
            .files
            .iter()
            .map(|(path, contents)| windflow_engine::task::TaskFile {
                path: path.clone(),
                contents: contents.clone(),
                mode: 0o600,
            })
            .collect();
        self.driver
            .put_files(container, &files)
            .await
            .map_err(|e| e.to_string())
    }

    async fn remove_command_files(&self, container: &str, command: &engines::Command) {
        if let Some(argv) = command.cleanup() {
            let _ = helper::exec_ok(
                &self.driver,
                container,
                argv,
                Vec::new(),
                TaskIo::default(),
                &[],
            )
            .await;
        }
    }

    /// Backs up a volume or folder (the services using it stopped meanwhile when the policy
    /// asks for consistency).
    async fn copy_item(
        &self,
        policy: &Policy,
        containers: &[ServiceContainer],
        item: &Item,
    ) -> Result<restic::BackupSummary, String> {
        if let (Some(Engine::Redis), Some(service)) = (item.engine, item.service.as_deref())
            && let Some(c) = helper::running(containers, service)
        {
            let conn = engines::connection(
                Engine::Redis,
                &c.env,
                &command_line(c),
                policy.databases.get(service),
            );
            if let Some(flush) = engines::flush(Engine::Redis, &conn) {
                helper::exec_ok(
                    &self.driver,
                    &c.id,
                    flush.argv,
                    flush.env,
                    TaskIo::default(),
                    &self.mask(),
                )
                .await
                .map_err(|e| format!("saving Redis' data: {e}"))?;
            }
        }
        let users: Vec<&ServiceContainer> = containers
            .iter()
            .filter(|c| c.running && c.mounts.iter().any(|m| m.source == item.source))
            .collect();
        let stop = policy.consistency == Consistency::Stop;
        if stop {
            for c in &users {
                self.driver
                    .stop_container(&c.id, Some(Duration::from_secs(30)))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        let mount = DataMount {
            source: item.source.clone(),
            target: item.path.clone(),
            bind: item.kind == "bind",
            read_only: true,
        };
        let out = self
            .helper
            .restic(
                &self.repo,
                Invocation::backup_path(
                    &self.repo.location,
                    &self.stack.id,
                    &item.name,
                    &item.path,
                    &policy.exclude,
                ),
                &[mount],
                TaskIo::default(),
            )
            .await;
        if stop {
            for c in &users {
                if let Err(e) = self.driver.start_container(&c.id).await {
                    tracing::warn!(error = %e, container = %c.id, "starting a service again after its backup");
                }
            }
        }
        let out = out?;
        // 3: some files could not be read, the snapshot holds the rest.
        if !(out.success() || out.exit_code == 3) {
            return Err(helper::failure(&self.repo, &out).to_string());
        }
        restic::backup_summary(&out.stdout_text())
            .ok_or_else(|| "restic printed no summary".to_string())
    }

    // ---- restore --------------------------------------------------------------------------

    async fn restore(&self, progress: &mut Progress<'_>) -> Result<(), String> {
        let from_run = self
            .run
            .params
            .get("from_run")
            .and_then(Value::as_str)
            .ok_or("no backup named")?;
        let wanted = self.param_list("items");
        let paths = self.param_list("paths");
        let snapshots: Vec<BackupSnapshotRecord> = self
            .app
            .store
            .list_backup_snapshots_of_run(from_run)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|s| wanted.is_empty() || wanted.contains(&s.item))
            .collect();
        if snapshots.is_empty() {
            return Err(format!(
                "the backup {from_run} holds none of the items asked for (were its snapshots forgotten by the retention?)"
            ));
        }
        let containers = self.containers().await?;
        for s in &snapshots {
            let started = Instant::now();
            let result = match s.kind.as_str() {
                "database" => self.restore_database(&containers, s).await,
                _ => self.restore_volume(&containers, s, &paths).await,
            };
            result.map_err(|e| format!("{}: {e}", s.item))?;
            progress
                .push("items", json!({"item": s.item, "snapshot": s.id, "duration_ms": started.elapsed().as_millis() as u64}))
                .await;
        }
        self.health_gate(progress).await
    }

    /// Waits until every container of the stack runs, and is healthy when it has a check.
    async fn health_gate(&self, progress: &mut Progress<'_>) -> Result<(), String> {
        let deadline = Instant::now() + HEALTH_TIMEOUT;
        loop {
            let containers = helper::containers(&self.driver, &self.stack.name).await?;
            let mut waiting = Vec::new();
            for c in &containers {
                let status = self
                    .driver
                    .container_status(&c.id)
                    .await
                    .map_err(|e| e.to_string())?;
                let ok = status.state == ContainerState::Running
                    && !matches!(
                        status.health,
                        Some(Health::Starting) | Some(Health::Unhealthy)
                    );
                if !ok {
                    waiting.push(format!(
                        "{} ({:?}, {:?})",
                        c.service, status.state, status.health
                    ));
                }
            }
            if waiting.is_empty() {
                progress.value["healthy"] = json!(true);
                progress.save().await;
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the stack did not come back healthy within {} s: {}",
                    HEALTH_TIMEOUT.as_secs(),
                    waiting.join(", ")
                ));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn restore_volume(
        &self,
        containers: &[ServiceContainer],
        s: &BackupSnapshotRecord,
        paths: &[String],
    ) -> Result<(), String> {
        let project = &self.stack.name;
        let key_name = s.item.split_once(':').map(|(_, k)| k).unwrap_or(&s.item);
        let (dest_source, bind) = match s.kind.as_str() {
            "volume" => {
                let v = containers
                    .iter()
                    .flat_map(|c| &c.mounts)
                    .filter_map(|m| m.volume.clone())
                    .find(|v| helper::volume_key(project, v) == key_name)
                    .ok_or_else(|| format!("the stack {project} has no volume {key_name}"))?;
                (v, false)
            }
            _ => {
                let (service, path) = key_name.split_once(':').ok_or("a malformed bind item")?;
                let m = containers
                    .iter()
                    .filter(|c| c.service == service)
                    .flat_map(|c| &c.mounts)
                    .find(|m| m.volume.is_none() && m.destination == path)
                    .ok_or_else(|| format!("the service {service} mounts no folder at {path}"))?;
                (m.source.clone(), true)
            }
        };
        // 1. The snapshot is restored into a staging volume first: if it is unreadable, the
        //    live data has not been touched.
        let staging = format!("windflow-restore-{}-{}", short(&self.run.id), short(&s.id));
        self.driver
            .create_volume(
                "windflow-backup",
                &staging,
                &Volume {
                    name: staging.clone(),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        let result = self
            .swap_in(containers, s, paths, &staging, &dest_source, bind)
            .await;
        let _ = self.driver.remove_volume(&staging).await;
        result
    }

    async fn swap_in(
        &self,
        containers: &[ServiceContainer],
        s: &BackupSnapshotRecord,
        paths: &[String],
        staging: &str,
        dest_source: &str,
        bind: bool,
    ) -> Result<(), String> {
        let include: Vec<String> = paths
            .iter()
            .map(|p| format!("{}/{}", s.path.trim_end_matches('/'), p))
            .collect();
        let staging_mount = DataMount {
            source: staging.to_string(),
            target: s.path.clone(),
            bind: false,
            read_only: false,
        };
        self.helper
            .restic_ok(
                &self.repo,
                Invocation::restore(&self.repo.location, &s.id, &include),
                &[staging_mount],
                TaskIo::default(),
            )
            .await?;
        // 2. The services using the destination stop while it is replaced.
        let users: Vec<&ServiceContainer> = containers
            .iter()
            .filter(|c| c.running && c.mounts.iter().any(|m| m.source == dest_source))
            .collect();
        for c in &users {
            self.driver
                .stop_container(&c.id, Some(Duration::from_secs(30)))
                .await
                .map_err(|e| e.to_string())?;
        }
        let result = self
            .replace(staging, dest_source, bind, paths.is_empty())
            .await;
        // 3. They start again, on the restored data or (after a failure) the previous data.
        for c in &users {
            if let Err(e) = self.driver.start_container(&c.id).await {
                tracing::warn!(error = %e, container = %c.id, "starting a service after a restore");
            }
        }
        result
    }

    /// Replaces the destination's content with the staging volume's. A whole replacement
    /// moves the previous content aside inside the destination first (a rename, on the same
    /// filesystem), copies, and only then deletes the previous content; a failed copy puts
    /// the previous content back.
    async fn replace(
        &self,
        staging: &str,
        dest: &str,
        bind: bool,
        whole: bool,
    ) -> Result<(), String> {
        let mounts = [
            DataMount {
                source: staging.to_string(),
                target: "/staging".into(),
                bind: false,
                read_only: true,
            },
            DataMount {
                source: dest.to_string(),
                target: "/dest".into(),
                bind,
                read_only: false,
            },
        ];
        let h = &self.helper;
        if !whole {
            h.busybox(&["cp", "-a", "/staging/.", "/dest/"], &mounts)
                .await?;
            return Ok(());
        }
        let previous_name = format!(".windflow-previous-{}", short(&self.run.id));
        let previous = format!("/dest/{previous_name}");
        // A previous attempt died mid-swap: undo it first.
        if h.busybox(&["test", "-d", &previous], &mounts).await.is_ok() {
            self.put_back(&previous, &previous_name, &mounts).await?;
        }
        h.busybox(&["mkdir", "-p", &previous], &mounts).await?;
        h.busybox(
            &[
                "find",
                "/dest",
                "-mindepth",
                "1",
                "-maxdepth",
                "1",
                "!",
                "-name",
                &previous_name,
                "-exec",
                "mv",
                "{}",
                &format!("{previous}/"),
                ";",
            ],
            &mounts,
        )
        .await?;
        if let Err(e) = h
            .busybox(&["cp", "-a", "/staging/.", "/dest/"], &mounts)
            .await
        {
            self.put_back(&previous, &previous_name, &mounts).await?;
            return Err(format!(
                "copying the restored data failed, the previous data is back in place: {e}"
            ));
        }
        h.busybox(&["rm", "-rf", &previous], &mounts).await?;
        Ok(())
    }

    async fn put_back(
        &self,
        previous: &str,
        previous_name: &str,
        mounts: &[DataMount],
    ) -> Result<(), String> {
        let h = &self.helper;
        h.busybox(
            &[
                "find",
                "/dest",
                "-mindepth",
                "1",
                "-maxdepth",
                "1",
                "!",
                "-name",
                previous_name,
                "-exec",
                "rm",
                "-rf",
                "{}",
                ";",
            ],
            mounts,
        )
        .await?;
        h.busybox(
            &[
                "find",
                previous,
                "-mindepth",
                "1",
                "-maxdepth",
                "1",
                "-exec",
                "mv",
                "{}",
                "/dest/",
                ";",
            ],
            mounts,
        )
        .await?;
        h.busybox(&["rmdir", previous], mounts).await?;
        Ok(())
    }

    async fn restore_database(
        &self,
        containers: &[ServiceContainer],
        s: &BackupSnapshotRecord,
    ) -> Result<(), String> {
        let service = s.item.strip_prefix("database:").unwrap_or(&s.item);
        let engine: Engine = s.engine.as_deref().unwrap_or_default().parse()?;
        let c = helper::running(containers, service)
            .ok_or_else(|| format!("the service {service} has no running container"))?;
        self.load_dump(c, engine, s, 0).await
    }

    /// Loads a snapshot's dump into the database of container `c` and swaps it in. The first
    /// step is tried for `wait_s` seconds (a drill's database may still be starting).
    async fn load_dump(
        &self,
        c: &ServiceContainer,
        engine: Engine,
        s: &BackupSnapshotRecord,
        wait_s: u64,
    ) -> Result<(), String> {
        let conn = engines::connection(engine, &c.env, &command_line(c), None);
        let mut mask = self.mask();
        mask.extend(conn.password.clone());
        let steps = engines::restore(engine, &conn)?;
        let deadline = Instant::now() + Duration::from_secs(wait_s);
        let mut last_output = String::new();
        let result: Result<(), String> = async {
            for (i, step) in steps.iter().enumerate() {
                self.put_command_files(&c.id, step).await?;
                let outcome = if step.reads_dump {
                    self.pipe_dump(c, step, s, &mask).await
                } else {
                    let mut attempt = 0;
                    loop {
                        let r = helper::exec_ok(
                            &self.driver,
                            &c.id,
                            step.argv.clone(),
                            step.env.clone(),
                            TaskIo::default(),
                            &mask,
                        )
                        .await;
                        match r {
                            Ok(out) => break Ok(out.stdout_text()),
                            Err(e) if i == 0 && Instant::now() < deadline => {
                                let _ = e;
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                            Err(e) if attempt < step.retries => {
                                attempt += 1;
                                tracing::info!(error = %e, "retrying a restore step");
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                            Err(e) => break Err(e),
                        }
                    }
                };
                self.remove_command_files(&c.id, step).await;
                last_output = outcome?;
            }
            if matches!(engine, Engine::Mysql | Engine::Mariadb) {
                for step in engines::mysql_swap(engine, &conn, &last_output) {
                    helper::exec_ok(
                        &self.driver,
                        &c.id,
                        step.argv,
                        step.env,
                        TaskIo::default(),
                        &mask,
                    )
                    .await?;
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            if let Some(cleanup) = engines::restore_cleanup(engine, &conn) {
                let _ = helper::exec_ok(
                    &self.driver,
                    &c.id,
                    cleanup.argv,
                    cleanup.env,
                    TaskIo::default(),
                    &mask,
                )
                .await;
            }
            return Err(format!("{e} (the live database was left as it was)"));
        }
        Ok(())
    }

    /// Waits until a drill's freshly started database finished its first start.
    async fn wait_ready(&self, c: &ServiceContainer, engine: Engine) -> Result<(), String> {
        let conn = engines::connection(engine, &c.env, &command_line(c), None);
        let Some(probe) = engines::ready(engine, &conn) else {
            return Ok(());
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let r = helper::exec_ok(
                &self.driver,
                &c.id,
                probe.argv.clone(),
                probe.env.clone(),
                TaskIo::default(),
                &self.mask(),
            )
            .await;
            match r {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() > deadline => {
                    return Err(format!(
                        "the drill's {} did not become ready: {e}",
                        c.service
                    ));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    /// `restic dump` of the snapshot's file, piped into `step` in the database's container.
    async fn pipe_dump(
        &self,
        c: &ServiceContainer,
        step: &engines::Command,
        s: &BackupSnapshotRecord,
        mask: &[String],
    ) -> Result<String, String> {
        let (tx, rx) = mpsc::channel::<Bytes>(32);
        let (helper, repo) = (self.helper.clone(), self.repo.clone());
        let invocation = Invocation::dump(&repo.location, &s.id, &s.path);
        let reader = tokio::spawn(async move {
            helper
                .restic(
                    &repo,
                    invocation,
                    &[],
                    TaskIo {
                        stdin: None,
                        stdout: Some(tx),
                    },
                )
                .await
        });
        let stdin = ReceiverStream::new(rx)
            .map(Ok::<Bytes, std::io::Error>)
            .boxed();
        let loaded = helper::exec_ok(
            &self.driver,
            &c.id,
            step.argv.clone(),
            step.env.clone(),
            TaskIo {
                stdin: Some(stdin),
                stdout: None,
            },
            mask,
        )
        .await;
        let read = reader
            .await
            .map_err(|e| format!("reading the dump: {e}"))??;
        // A dump that was not read whole must not be swapped in, even if it loaded.
        if !read.success() {
            return Err(format!(
                "reading the dump: {}",
                helper::failure(&self.repo, &read)
            ));
        }
        loaded.map(|o| o.stdout_text())
    }

    // ---- drill ----------------------------------------------------------------------------

    /// Restores the latest backup into a throwaway copy of the stack's services (fresh
    /// volumes, no ports, no host folders), runs the policy's checks in it, and removes it.
    async fn drill(&self, progress: &mut Progress<'_>) -> Result<(), String> {
        let record = self
            .app
            .store
            .get_backup_policy(&self.stack.id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the stack has no backup policy")?;
        let policy = policy_of(&record).map_err(|e| e.to_string())?;
        let from = self
            .app
            .store
            .list_backup_runs(&self.run.org_id, Some(&self.stack.id), Some("backup"), 50)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|r| r.status == "succeeded")
            .ok_or("the stack has no successful backup to drill")?;
        let snapshots = self
            .app
            .store
            .list_backup_snapshots_of_run(&from.id)
            .await
            .map_err(|e| e.to_string())?;
        progress.value["from_run"] = json!(from.id);
        let containers = self.containers().await?;
        let tag = short(&self.run.id);
        let mut created_volumes: Vec<String> = Vec::new();
        let mut started: Vec<String> = Vec::new();
        let result = self
            .drill_in(
                &policy,
                &snapshots,
                &containers,
                &tag,
                &mut created_volumes,
                &mut started,
                progress,
            )
            .await;
        for id in &started {
            let _ = self.driver.remove_container(id, true).await;
        }
        for v in &created_volumes {
            let _ = self.driver.remove_volume(v).await;
        }
        progress.value["removed"] = json!(true);
        progress.save().await;
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn drill_in(
        &self,
        policy: &Policy,
        snapshots: &[BackupSnapshotRecord],
        containers: &[ServiceContainer],
        tag: &str,
        created_volumes: &mut Vec<String>,
        started: &mut Vec<String>,
        progress: &mut Progress<'_>,
    ) -> Result<(), String> {
        let project = &self.stack.name;
        // The services involved: those of database items, those mounting volume items, and
        // those the checks run in.
        let mut services: Vec<String> = Vec::new();
        let mut add = |s: &str| {
            if !services.iter().any(|x| x == s) {
                services.push(s.to_string());
            }
        };
        for s in snapshots {
            match s.kind.as_str() {
                "database" => add(s.item.strip_prefix("database:").unwrap_or(&s.item)),
                "volume" => {
                    let key = s.item.strip_prefix("volume:").unwrap_or(&s.item);
                    for c in containers {
                        if c.mounts.iter().any(|m| {
                            m.volume
                                .as_deref()
                                .is_some_and(|v| helper::volume_key(project, v) == key)
                        }) {
                            add(&c.service);
                        }
                    }
                }
                _ => {}
            }
        }
        for check in policy.drill.iter().flat_map(|d| &d.checks) {
            add(&check.service);
        }
        // 1. Fresh volumes, restored from the snapshots before anything starts.
        let mut volume_map: BTreeMap<String, String> = BTreeMap::new();
        for c in containers.iter().filter(|c| services.contains(&c.service)) {
            for m in &c.mounts {
                if let Some(v) = &m.volume
                    && !volume_map.contains_key(v)
                {
                    let fresh = format!(
                        "windflow-drill-{tag}-{}",
                        short(&helper::volume_key(project, v))
                    );
                    self.driver
                        .create_volume(
                            "windflow-backup",
                            &fresh,
                            &Volume {
                                name: fresh.clone(),
                                ..Default::default()
                            },
                        )
                        .await
                        .map_err(|e| e.to_string())?;
                    created_volumes.push(fresh.clone());
                    volume_map.insert(v.clone(), fresh);
                }
            }
        }
        for s in snapshots.iter().filter(|s| s.kind == "volume") {
            let key = s.item.strip_prefix("volume:").unwrap_or(&s.item);
            let Some((_, fresh)) = volume_map
                .iter()
                .find(|(v, _)| helper::volume_key(project, v) == key)
            else {
                continue;
            };
            let mount = DataMount {
                source: fresh.clone(),
                target: s.path.clone(),
                bind: false,
                read_only: false,
            };
            self.helper
                .restic_ok(
                    &self.repo,
                    Invocation::restore(&self.repo.location, &s.id, &[]),
                    &[mount],
                    TaskIo::default(),
                )
                .await?;
            progress
                .push("items", json!({"item": s.item, "snapshot": s.id}))
                .await;
        }
        // 2. The services, from their images, environment and command, on the fresh volumes.
        let mut drill_containers: BTreeMap<String, ServiceContainer> = BTreeMap::new();
        for service in &services {
            let Some(c) = containers.iter().find(|c| &c.service == service) else {
                return Err(format!("the stack has no service {service}"));
            };
            let spec = TaskSpec {
                name: format!("windflow-drill-{tag}-{}", short(service)),
                image: c.image.clone(),
                entrypoint: c.entrypoint.clone(),
                cmd: c.cmd.clone(),
                env: c.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                mounts: c
                    .mounts
                    .iter()
                    .filter_map(|m| {
                        let fresh = volume_map.get(m.volume.as_ref()?)?;
                        Some(TaskMount {
                            source: fresh.clone(),
                            target: m.destination.clone(),
                            read_only: false,
                            bind: false,
                        })
                    })
                    .collect(),
                files: Vec::new(),
                // The copy reaches nothing and nothing reaches it: checks run by exec.
                network_mode: Some("none".into()),
                labels: BTreeMap::from([(LABEL_RUN.to_string(), self.run.id.clone())]),
                hostname: Some(service.clone()),
                user: None,
            };
            let id = self
                .driver
                .start_task(&spec)
                .await
                .map_err(|e| e.to_string())?;
            started.push(id.clone());
            drill_containers.insert(
                service.clone(),
                ServiceContainer {
                    id,
                    running: true,
                    ..c.clone()
                },
            );
        }
        // 3. The dumps, once each database accepts connections.
        for s in snapshots.iter().filter(|s| s.kind == "database") {
            let service = s.item.strip_prefix("database:").unwrap_or(&s.item);
            let c = drill_containers.get(service).ok_or("no drill container")?;
            let engine: Engine = s.engine.as_deref().unwrap_or_default().parse()?;
            self.wait_ready(c, engine).await?;
            self.load_dump(c, engine, s, 30).await?;
            progress
                .push("items", json!({"item": s.item, "snapshot": s.id}))
                .await;
        }
        // 4. The checks.
        let checks = policy
            .drill
            .as_ref()
            .map(|d| d.checks.clone())
            .unwrap_or_default();
        if checks.is_empty() {
            progress.value["checks"] = json!([]);
            progress.value["note"] = json!(
                "no checks declared (x-windflow.backup.drill.checks): the drill proved the backup restores"
            );
            progress.save().await;
        }
        let mut failed = Vec::new();
        for check in &checks {
            let c = drill_containers
                .get(&check.service)
                .ok_or("no drill container")?;
            // A check may run while a service still starts: it is retried for a minute.
            let deadline = Instant::now() + Duration::from_secs(60);
            let (ok, output) = loop {
                let r = helper::exec_ok(
                    &self.driver,
                    &c.id,
                    check.command.clone(),
                    Vec::new(),
                    TaskIo::default(),
                    &self.mask(),
                )
                .await;
                let (ok, output) = match r {
                    Ok(out) => {
                        let text = out.stdout_text();
                        let ok = check.expect.as_deref().is_none_or(|e| text.contains(e));
                        (ok, text.trim().chars().take(2000).collect::<String>())
                    }
                    Err(e) => (false, e),
                };
                if ok || Instant::now() > deadline {
                    break (ok, output);
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            };
            if !ok {
                failed.push(format!("{} {:?}", check.service, check.command));
            }
            progress
                .push("checks", json!({"service": check.service, "command": check.command, "expect": check.expect, "ok": ok, "output": output}))
                .await;
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("the drill's checks failed: {}", failed.join("; ")))
        }
    }
}
