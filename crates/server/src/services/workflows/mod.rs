//! Workflows: an organization's automations saved as versioned documents
//! (`windflow_workflow::Workflow`), started by a person, a cron schedule, a signed webhook or
//! a platform event, and run durably by `runner` (a leased queue with one row per node).
//!
//! *Invariants:* a document is saved only when it parses and validates, and only as a new
//! version of the one its editor read; editing needs `Configure` (admin), starting a run
//! needs `Deploy` organization-wide, and every node that touches a stack or a target checks, when it
//! runs, both who started the run and who last saved the workflow; webhook keys are sealed and
//! shown once; a run executes the version it was queued with.

pub mod git;
pub mod nodes;
pub mod runner;
pub mod triggers;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use windflow_domain::access::{Permission, Role};
use windflow_protocol as wire;
use windflow_storage::{WorkflowNodeRunRecord, WorkflowRecord, WorkflowRunRecord};
use windflow_workflow::{self as wf, Action, ConcurrencyPolicy, Trigger};

use crate::auth::OrgAccess;
use crate::convert::time as ts;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{App, new_id, now_ms};

/// Where webhooks are called (`POST`, public; the body is signed).
pub const WEBHOOK_PATH: &str = "/api/v1/hooks/workflows";
/// The most runs a list returns.
const MAX_LIST: i64 = 500;

/// The document's problems, as field errors (a 422).
fn invalid(issues: Vec<wire::WorkflowIssue>) -> ApiError {
    let message = match issues.first() {
        Some(first) if issues.len() == 1 => format!("{}: {}", first.field, first.message),
        Some(first) => format!(
            "{}: {} (and {} more problems)",
            first.field,
            first.message,
            issues.len() - 1
        ),
        None => "the workflow is not valid".into(),
    };
    ApiError::Invalid {
        message,
        errors: issues
            .into_iter()
            .map(|i| wire::FieldError {
                field: i.field,
                message: i.message,
                line: None,
            })
            .collect(),
    }
}

/// Reads a document from the API's JSON: a parse error names its field path.
fn parse(document: Value) -> Result<wf::Workflow, wire::WorkflowIssue> {
    wf::Workflow::from_json(document).map_err(|e| wire::WorkflowIssue {
        field: e.path.clone().unwrap_or_else(|| "document".into()),
        message: e.message.clone(),
    })
}

/// What is wrong with a document: its parse error, or every validation issue, and what
/// only the server knows (the channels, stacks and targets it names must exist).
pub async fn validate(
    app: &App,
    org_id: &str,
    document: Value,
) -> ApiResult<wire::WorkflowValidation> {
    let doc = match parse(document) {
        Ok(doc) => doc,
        Err(issue) => {
            return Ok(wire::WorkflowValidation {
                issues: vec![issue],
            });
        }
    };
    let mut issues: Vec<wire::WorkflowIssue> = wf::validate::validate(&doc)
        .into_iter()
        .map(|i| wire::WorkflowIssue {
            field: i.field,
            message: i.message,
        })
        .collect();
    issues.extend(references(app, org_id, &doc).await?);
    Ok(wire::WorkflowValidation { issues })
}

/// Literal names of channels, stacks, targets and workflows that do not exist.
async fn references(
    app: &App,
    org_id: &str,
    doc: &wf::Workflow,
) -> ApiResult<Vec<wire::WorkflowIssue>> {
    let literal = |text: &str| !text.is_empty() && !text.contains("${{");
    let mut out = Vec::new();
    for node in &doc.nodes {
        let mut stacks = Vec::new();
        let mut targets = Vec::new();
        match &node.action {
            Action::Deploy { stack, target, .. } | Action::Rollback { stack, target } => {
                stacks.push(stack);
                targets.extend(target.iter());
            }
            Action::GitUpdate { stack, .. } => stacks.push(stack),
            Action::Exec { stack, target, .. } => {
                stacks.push(stack);
                targets.extend(target.iter());
            }
            Action::Notify { channel, .. }
                if literal(channel)
                    && app
                        .store
                        .find_notification_channel(org_id, channel)
                        .await?
                        .is_none() =>
            {
                out.push(issue(
                    &node.id,
                    "channel",
                    format!("there is no notification channel named {channel}"),
                ));
            }
            Action::Call { workflow, .. }
                if literal(workflow)
                    && workflow != &doc.name
                    && app.store.find_workflow(org_id, workflow).await?.is_none() =>
            {
                out.push(issue(
                    &node.id,
                    "workflow",
                    format!("there is no workflow named {workflow}"),
                ));
            }
            _ => {}
        }
        for stack in stacks.into_iter().filter(|s| literal(s)) {
            match app.store.get_stack(org_id, stack).await {
                Ok(_) => {}
                Err(windflow_storage::StoreError::NotFound(_)) => out.push(issue(
                    &node.id,
                    "stack",
                    format!("there is no stack named {stack}"),
                )),
                Err(e) => return Err(e.into()),
            }
        }
        for target in targets.into_iter().filter(|t| literal(t)) {
            match app.store.get_target(org_id, target).await {
                Ok(_) => {}
                Err(windflow_storage::StoreError::NotFound(_)) => out.push(issue(
                    &node.id,
                    "target",
                    format!("there is no target named {target}"),
                )),
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(out)
}

fn issue(node: &str, setting: &str, message: String) -> wire::WorkflowIssue {
    wire::WorkflowIssue {
        field: format!("nodes.{node}.{setting}"),
        message,
    }
}

/// The document of a stored workflow (it validated when it was saved).
pub(crate) fn document_of(value: &Value) -> ApiResult<wf::Workflow> {
    wf::Workflow::from_json(value.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("a stored workflow does not parse: {e}")))
}

/// When the document's cron triggers fire next after `after` (the soonest of them).
pub(crate) fn next_cron(doc: &wf::Workflow, after: i64) -> Option<i64> {
    doc.triggers
        .iter()
        .filter_map(|t| match t {
            Trigger::Cron { schedule, timezone } => {
                triggers::next_fire(schedule, timezone.as_deref(), after)
            }
            _ => None,
        })
        .min()
}

pub async fn find(app: &App, org_id: &str, name: &str) -> ApiResult<WorkflowRecord> {
    app.store
        .find_workflow(org_id, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("workflow {name}")))
}

async fn username(app: &App, user_id: &str) -> String {
    match app.store.get_user(user_id).await {
        Ok(user) => user.username,
        Err(_) => user_id.to_string(),
    }
}

/// The address webhooks are called at: `--public-url`, else `http://localhost:<port>`.
fn public_base(app: &App) -> String {
    match &app.config.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("http://localhost:{}", app.config.listen.port()),
    }
}

fn webhook_url(app: &App, w: &WorkflowRecord) -> Option<String> {
    w.webhook_token
        .as_ref()
        .map(|token| format!("{}{WEBHOOK_PATH}/{token}", public_base(app)))
}

async fn wire_workflow(
    app: &App,
    w: &WorkflowRecord,
    version: Option<(i64, &Value)>,
) -> wire::Workflow {
    let (number, document) = version.unwrap_or((w.version, &w.document));
    wire::Workflow {
        name: w.name.clone(),
        version: number,
        enabled: w.enabled,
        document: document.clone(),
        webhook_url: webhook_url(app, w),
        created_at: ts(w.created_at),
        updated_at: ts(w.updated_at),
        updated_by: username(app, &w.updated_by).await,
    }
}

pub async fn list(app: &App, access: &OrgAccess) -> ApiResult<Vec<wire::WorkflowSummary>> {
    let mut out = Vec::new();
    for w in app.store.list_workflows(&access.org.id).await? {
        let last = app
            .store
            .list_workflow_runs(&access.org.id, Some(&w.id), 1)
            .await?
            .into_iter()
            .next();
        let doc = document_of(&w.document)?;
        let mut kinds: Vec<String> = doc.triggers.iter().map(|t| t.kind().to_string()).collect();
        kinds.dedup();
        out.push(wire::WorkflowSummary {
            name: w.name.clone(),
            description: doc.description.clone(),
            version: w.version,
            enabled: w.enabled,
            triggers: kinds,
            updated_at: ts(w.updated_at),
            updated_by: username(app, &w.updated_by).await,
            last_run: last.map(|r| wire::WorkflowRunBrief {
                id: r.id,
                status: r.status,
                created_at: ts(r.created_at),
            }),
        });
    }
    Ok(out)
}

pub async fn show(
    app: &App,
    access: &OrgAccess,
    name: &str,
    version: Option<i64>,
) -> ApiResult<wire::Workflow> {
    let w = find(app, &access.org.id, name).await?;
    match version {
        None => Ok(wire_workflow(app, &w, None).await),
        Some(number) => {
            let v = app.store.get_workflow_version(&w.id, number).await?;
            Ok(wire_workflow(app, &w, Some((v.version, &v.document))).await)
        }
    }
}

pub async fn versions(
    app: &App,
    access: &OrgAccess,
    name: &str,
) -> ApiResult<Vec<wire::WorkflowVersion>> {
    let w = find(app, &access.org.id, name).await?;
    let mut out = Vec::new();
    for v in app.store.list_workflow_versions(&w.id).await? {
        out.push(wire::WorkflowVersion {
            version: v.version,
            created_at: ts(v.created_at),
            author: username(app, &v.author).await,
        });
    }
    Ok(out)
}

/// Saves the document as the workflow `name` (created on first save). `.1` is whether a
/// new version was written (an identical document keeps the current one).
pub async fn save(
    app: &App,
    access: &OrgAccess,
    name: &str,
    request: wire::PutWorkflowRequest,
) -> ApiResult<(wire::Workflow, bool)> {
    let org = &access.org.id;
    let doc = parse(request.document).map_err(|i| invalid(vec![i]))?;
    if doc.name != name {
        return Err(invalid(vec![wire::WorkflowIssue {
            field: "name".into(),
            message: format!(
                "the document is named {:?} but is saved as {name:?}: the names must match",
                doc.name
            ),
        }]));
    }
    let check = validate(app, org, doc.to_json()).await?;
    if !check.issues.is_empty() {
        return Err(invalid(check.issues));
    }
    let document = doc.to_json();
    let now = now_ms();
    let user = &access.caller.user.id;
    let next_cron_at = next_cron(&doc, now);
    let existing = app.store.find_workflow(org, name).await?;
    let (saved, changed) = match existing {
        None => {
            let created = app
                .store
                .create_workflow(WorkflowRecord {
                    id: new_id(),
                    org_id: org.clone(),
                    name: name.to_string(),
                    version: 1,
                    document: document.clone(),
                    enabled: true,
                    webhook_token: None,
                    webhook_secret: None,
                    next_cron_at,
                    created_by: user.clone(),
                    created_at: now,
                    updated_by: user.clone(),
                    updated_at: now,
                })
                .await?;
            (created, true)
        }
        Some(current) if current.document == document => (current, false),
        Some(current) => {
            let base = request.base_version.unwrap_or(current.version);
            let saved = app
                .store
                .add_workflow_version(org, &current.id, base, &document, user, now, next_cron_at)
                .await
                .map_err(|e| match e {
                    windflow_storage::StoreError::Conflict { .. } => ApiError::Conflict {
                        message: format!(
                            "workflow {name} is at version {} but this edit is based on \
                             version {base}: reload it, merge, and save again",
                            current.version
                        ),
                        field: Some("base_version".into()),
                    },
                    other => other.into(),
                })?;
            (saved, true)
        }
    };
    if changed {
        services::audit::record_org(
            app,
            access,
            if saved.version == 1 {
                "workflow.create"
            } else {
                "workflow.update"
            },
            &format!("workflow/{name}"),
            json!({"version": saved.version, "nodes": doc.nodes.len()}),
        )
        .await;
    }
    Ok((wire_workflow(app, &saved, None).await, changed))
}

pub async fn delete(app: &App, access: &OrgAccess, name: &str) -> ApiResult<()> {
    let w = find(app, &access.org.id, name).await?;
    app.store
        .delete_workflow(&access.org.id, &w.id, now_ms())
        .await?;
    app.workflow_wakeup.notify_one();
    services::audit::record_org(
        app,
        access,
        "workflow.delete",
        &format!("workflow/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}

fn webhook_aad(workflow_id: &str) -> Vec<u8> {
    format!("workflow-webhook:{workflow_id}").into_bytes()
}

/// Makes (or replaces) the workflow's webhook: a new URL and a new signing key, shown once.
pub async fn rotate_webhook(
    app: &App,
    access: &OrgAccess,
    name: &str,
) -> ApiResult<wire::WorkflowWebhook> {
    let w = find(app, &access.org.id, name).await?;
    let token = hex::encode(crate::secrets::random_bytes::<20>());
    let secret = hex::encode(crate::secrets::random_bytes::<32>());
    let sealed = app.keyring.encrypt(&webhook_aad(&w.id), secret.as_bytes());
    app.store
        .set_workflow_webhook(&access.org.id, &w.id, &token, &sealed)
        .await?;
    services::audit::record_org(
        app,
        access,
        "workflow.webhook.rotate",
        &format!("workflow/{name}"),
        json!({}),
    )
    .await;
    Ok(wire::WorkflowWebhook {
        url: format!("{}{WEBHOOK_PATH}/{token}", public_base(app)),
        secret,
    })
}

/// The webhook key of a workflow, unsealed.
pub(crate) fn webhook_secret(app: &App, w: &WorkflowRecord) -> ApiResult<Option<String>> {
    let Some(sealed) = &w.webhook_secret else {
        return Ok(None);
    };
    let bytes = app
        .keyring
        .decrypt(&webhook_aad(&w.id), sealed)
        .map_err(ApiError::Internal)?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("a webhook key is not text")))
}

/// Re-seals every webhook key under the keyring's current key (key rotation).
pub async fn reseal_all(
    store: &dyn windflow_storage::Store,
    keyring: &crate::secrets::Keyring,
) -> anyhow::Result<usize> {
    let mut count = 0;
    for w in store.list_all_workflows().await? {
        let (Some(sealed), Some(token)) = (&w.webhook_secret, &w.webhook_token) else {
            continue;
        };
        let plain = keyring.decrypt(&webhook_aad(&w.id), sealed)?;
        store
            .set_workflow_webhook(
                &w.org_id,
                &w.id,
                token,
                &keyring.encrypt(&webhook_aad(&w.id), &plain),
            )
            .await?;
        count += 1;
    }
    Ok(count)
}

/// The inputs of a run: the declared ones, with their defaults; unknown or missing required
/// ones are refused.
fn resolve_inputs(doc: &wf::Workflow, given: &BTreeMap<String, Value>) -> ApiResult<Value> {
    let mut out = serde_json::Map::new();
    let mut issues = Vec::new();
    for name in given.keys() {
        if !doc.inputs.contains_key(name) {
            issues.push(wire::WorkflowIssue {
                field: format!("inputs.{name}"),
                message: format!("workflow {} declares no input named {name}", doc.name),
            });
        }
    }
    for (name, spec) in &doc.inputs {
        match given.get(name).or(spec.default.as_ref()) {
            Some(value) => {
                out.insert(name.clone(), value.clone());
            }
            None if spec.required => issues.push(wire::WorkflowIssue {
                field: format!("inputs.{name}"),
                message: "this input is required".into(),
            }),
            None => {
                out.insert(name.clone(), Value::Null);
            }
        }
    }
    if issues.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(invalid(issues))
    }
}

/// What starts a run.
pub(crate) struct Start {
    pub kind: &'static str,
    pub payload: Value,
    pub inputs: Value,
    pub requested_by: Option<String>,
    pub parent_run: Option<String>,
    /// Node rows kept from an earlier run (a re-run from a node).
    pub kept: Vec<WorkflowNodeRunRecord>,
    /// The version to run (the current one when `None`).
    pub version: Option<(i64, wf::Workflow)>,
}

/// Queues a run under the workflow's concurrency policy: `Ok(None)` when the policy skipped
/// it (the limit is reached and the policy is `skip`).
pub(crate) async fn enqueue(
    app: &App,
    w: &WorkflowRecord,
    start: Start,
) -> ApiResult<Option<WorkflowRunRecord>> {
    let (version, doc) = match start.version {
        Some(v) => v,
        None => (w.version, document_of(&w.document)?),
    };
    let limit = i64::from(doc.concurrency.limit.max(1));
    let active = app.store.active_workflow_runs(&w.id).await?;
    if active.len() as i64 >= limit {
        match doc.concurrency.policy {
            ConcurrencyPolicy::Queue => {}
            ConcurrencyPolicy::Skip => {
                tracing::info!(workflow = %w.name, active = active.len(), "a run was skipped: the workflow's concurrency limit is reached");
                metrics::counter!("windflow_workflow_runs_skipped_total").increment(1);
                return Ok(None);
            }
            ConcurrencyPolicy::CancelOlder => {
                let excess = active.len() as i64 - limit + 1;
                for older in active.iter().take(excess as usize) {
                    let _ = app
                        .store
                        .request_workflow_run_cancel(&w.org_id, &older.id, now_ms())
                        .await;
                }
            }
        }
    }
    let id = new_id();
    let kept: Vec<WorkflowNodeRunRecord> = start
        .kept
        .into_iter()
        .map(|mut n| {
            n.run_id = id.clone();
            n
        })
        .collect();
    let run = app
        .store
        .create_workflow_run(
            WorkflowRunRecord {
                id,
                org_id: w.org_id.clone(),
                workflow_id: w.id.clone(),
                workflow_name: w.name.clone(),
                version,
                status: "queued".into(),
                trigger_kind: start.kind.into(),
                trigger_payload: start.payload,
                inputs: start.inputs,
                requested_by: start.requested_by,
                parent_run: start.parent_run,
                concurrency_limit: limit,
                lease_owner: None,
                lease_expires_at: None,
                attempts: 0,
                cancel_requested: false,
                wake_at: None,
                error: None,
                created_at: now_ms(),
                started_at: None,
                finished_at: None,
            },
            &kept,
        )
        .await?;
    metrics::counter!("windflow_workflow_runs_queued_total", "trigger" => start.kind).increment(1);
    app.workflow_wakeup.notify_one();
    Ok(Some(run))
}

/// Starts a run by hand (console, CLI, API), or again from a node of an earlier run.
pub async fn start_run(
    app: &App,
    access: &OrgAccess,
    name: &str,
    request: wire::StartWorkflowRunRequest,
) -> ApiResult<wire::WorkflowRun> {
    let org = &access.org.id;
    let w = find(app, org, name).await?;
    let start = match (&request.from_run, &request.from_node) {
        (None, None) => {
            let doc = document_of(&w.document)?;
            Start {
                kind: "manual",
                payload: json!({}),
                inputs: resolve_inputs(&doc, &request.inputs)?,
                requested_by: Some(access.caller.user.id.clone()),
                parent_run: None,
                kept: Vec::new(),
                version: None,
            }
        }
        (Some(from_run), Some(from_node)) => {
            let earlier = app.store.get_workflow_run(org, from_run).await?;
            if earlier.workflow_id != w.id {
                return Err(ApiError::invalid(
                    "from_run",
                    format!("run {from_run} is not a run of workflow {name}"),
                ));
            }
            let doc = document_of(
                &app.store
                    .get_workflow_version(&w.id, earlier.version)
                    .await?
                    .document,
            )?;
            if doc.node(from_node).is_none() {
                return Err(ApiError::invalid(
                    "from_node",
                    format!(
                        "version {} of workflow {name} has no node {from_node}",
                        earlier.version
                    ),
                ));
            }
            let again: BTreeSet<String> = wf::graph::downstream(&doc, from_node);
            let kept = app
                .store
                .list_workflow_node_runs(&earlier.id)
                .await?
                .into_iter()
                .filter(|n| !again.contains(&n.node_id))
                .filter(|n| matches!(n.status.as_str(), "succeeded" | "skipped"))
                .collect();
            let inputs = if request.inputs.is_empty() {
                earlier.inputs.clone()
            } else {
                resolve_inputs(&doc, &request.inputs)?
            };
            Start {
                kind: if earlier.trigger_kind == "manual" {
                    "manual"
                } else {
                    "rerun"
                },
                payload: earlier.trigger_payload.clone(),
                inputs,
                requested_by: Some(access.caller.user.id.clone()),
                parent_run: None,
                kept,
                version: Some((earlier.version, doc)),
            }
        }
        _ => {
            return Err(ApiError::invalid(
                "from_node",
                "a re-run names both the earlier run (from_run) and the node (from_node)",
            ));
        }
    };
    let Some(run) = enqueue(app, &w, start).await? else {
        return Err(ApiError::Conflict {
            message: format!(
                "workflow {name} already has as many active runs as its concurrency limit \
                 allows, and its policy skips new ones"
            ),
            field: None,
        });
    };
    services::audit::record_org(
        app,
        access,
        "workflow.run",
        &format!("workflow/{name}"),
        json!({"run": run.id, "from_run": request.from_run, "from_node": request.from_node}),
    )
    .await;
    wire_run(app, &run, true).await
}

pub(crate) async fn wire_run(
    app: &App,
    run: &WorkflowRunRecord,
    with_nodes: bool,
) -> ApiResult<wire::WorkflowRun> {
    let mut nodes = Vec::new();
    if with_nodes {
        let doc = app
            .store
            .get_workflow_version(&run.workflow_id, run.version)
            .await
            .ok()
            .and_then(|v| wf::Workflow::from_json(v.document).ok());
        for n in app.store.list_workflow_node_runs(&run.id).await? {
            let approval = match doc.as_ref().and_then(|d| d.node(&n.node_id)) {
                Some(wf::Node {
                    action: Action::Approval { role, .. },
                    ..
                }) if n.status == "waiting" => Some(wire::WorkflowApproval {
                    role: role.clone(),
                    message: n
                        .input
                        .as_ref()
                        .and_then(|i| i.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    expires_at: n.wake_at.map(ts),
                }),
                _ => None,
            };
            nodes.push(wire::WorkflowNodeRun {
                node: n.node_id,
                status: n.status,
                port: n.port,
                attempt: n.attempt,
                input: n.input,
                output: n.output,
                logs: n.logs,
                error: n.error,
                started_at: n.started_at.map(ts),
                finished_at: n.finished_at.map(ts),
                approval,
            });
        }
    }
    let requested_by = match &run.requested_by {
        Some(id) => Some(username(app, id).await),
        None => None,
    };
    Ok(wire::WorkflowRun {
        id: run.id.clone(),
        workflow: run.workflow_name.clone(),
        version: run.version,
        status: run.status.clone(),
        trigger: wire::WorkflowTrigger {
            kind: run.trigger_kind.clone(),
            payload: run.trigger_payload.clone(),
        },
        inputs: run.inputs.clone(),
        requested_by,
        attempts: run.attempts,
        error: run.error.clone(),
        created_at: ts(run.created_at),
        started_at: run.started_at.map(ts),
        finished_at: run.finished_at.map(ts),
        nodes,
    })
}

pub async fn list_runs(
    app: &App,
    access: &OrgAccess,
    name: &str,
    limit: Option<i64>,
) -> ApiResult<Vec<wire::WorkflowRun>> {
    let w = find(app, &access.org.id, name).await?;
    let mut out = Vec::new();
    for run in app
        .store
        .list_workflow_runs(
            &access.org.id,
            Some(&w.id),
            limit.unwrap_or(50).clamp(1, MAX_LIST),
        )
        .await?
    {
        out.push(wire_run(app, &run, false).await?);
    }
    Ok(out)
}

pub async fn get_run(app: &App, access: &OrgAccess, id: &str) -> ApiResult<wire::WorkflowRun> {
    let run = app.store.get_workflow_run(&access.org.id, id).await?;
    wire_run(app, &run, true).await
}

pub async fn cancel_run(app: &App, access: &OrgAccess, id: &str) -> ApiResult<wire::WorkflowRun> {
    let run = app
        .store
        .request_workflow_run_cancel(&access.org.id, id, now_ms())
        .await?;
    app.workflow_wakeup.notify_one();
    services::audit::record_org(
        app,
        access,
        "workflow.run.cancel",
        &format!("workflow-run/{id}"),
        json!({"workflow": run.workflow_name}),
    )
    .await;
    wire_run(app, &run, true).await
}

/// Approves or rejects a waiting approval node: the caller needs the role the node names.
pub async fn decide(
    app: &App,
    access: &OrgAccess,
    run_id: &str,
    node_id: &str,
    decision: wire::ApprovalDecision,
) -> ApiResult<wire::WorkflowRun> {
    let run = app.store.get_workflow_run(&access.org.id, run_id).await?;
    let doc = document_of(
        &app.store
            .get_workflow_version(&run.workflow_id, run.version)
            .await?
            .document,
    )?;
    let Some(wf::Node {
        action: Action::Approval { role, .. },
        ..
    }) = doc.node(node_id)
    else {
        return Err(ApiError::NotFound(format!(
            "approval node {node_id} in run {run_id}"
        )));
    };
    let needed = Role::parse(role).unwrap_or(Role::Operator);
    let has = access.grants.organization_role().unwrap_or(Role::Viewer);
    if has < needed {
        return Err(ApiError::Forbidden(format!(
            "approving {node_id} needs the {needed} role in {}; yours is {has}",
            access.org.slug
        )));
    }
    let comment = decision
        .comment
        .as_deref()
        .map(|c| c.chars().take(2000).collect::<String>());
    let who = access.caller.user.username.clone();
    let (status, error) = if decision.approve {
        ("succeeded", None)
    } else {
        ("failed", Some(format!("rejected by {who}")))
    };
    let output = json!({
        "decision": if decision.approve { "approved" } else { "rejected" },
        "by": who,
        "comment": comment,
    });
    if !app
        .store
        .decide_workflow_approval(run_id, node_id, status, &output, error.as_deref(), now_ms())
        .await?
    {
        return Err(ApiError::Conflict {
            message: format!("node {node_id} of run {run_id} is not waiting for a decision"),
            field: None,
        });
    }
    app.workflow_wakeup.notify_one();
    services::audit::record_org(
        app,
        access,
        if decision.approve {
            "workflow.approval.approve"
        } else {
            "workflow.approval.reject"
        },
        &format!("workflow-run/{run_id}"),
        json!({"node": node_id, "workflow": run.workflow_name, "comment": comment}),
    )
    .await;
    get_run(app, access, run_id).await
}

/// The run as it changes: one item each time its status or a node changes, the last when it
/// has ended.
pub async fn follow_run(
    app: std::sync::Arc<App>,
    access: &OrgAccess,
    id: &str,
) -> ApiResult<impl futures::Stream<Item = wire::WorkflowRun> + use<>> {
    let first = get_run(&app, access, id).await?;
    let org_id = access.org.id.clone();
    let id = id.to_string();
    Ok(futures::stream::unfold(
        (app, org_id, id, Some(first), None::<String>, false),
        |(app, org_id, id, pending, last, done)| async move {
            if done {
                return None;
            }
            let mut pending = pending;
            loop {
                let run = match pending.take() {
                    Some(run) => run,
                    None => {
                        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                        let record = app.store.get_workflow_run(&org_id, &id).await.ok()?;
                        wire_run(&app, &record, true).await.ok()?
                    }
                };
                let key = serde_json::to_string(&(
                    &run.status,
                    run.nodes
                        .iter()
                        .map(|n| (&n.node, &n.status, n.attempt, &n.logs))
                        .collect::<Vec<_>>(),
                ))
                .unwrap_or_default();
                if last.as_deref() == Some(key.as_str()) {
                    continue;
                }
                let ended = matches!(run.status.as_str(), "succeeded" | "failed" | "cancelled");
                return Some((run, (app, org_id, id, None, Some(key), ended)));
            }
        },
    ))
}

/// The organization's member `user_id` as the actor of a run (who started it, or who last
/// saved the workflow): `Forbidden` when they are no longer a member.
pub(crate) async fn actor(
    app: &App,
    org: &windflow_storage::Organization,
    user_id: &str,
) -> ApiResult<OrgAccess> {
    let user = app.store.get_user(user_id).await?;
    let role = app
        .store
        .get_member_role(&org.id, user_id)
        .await?
        .ok_or_else(|| {
            ApiError::Forbidden(format!(
                "{} is no longer a member of {}",
                user.username, org.slug
            ))
        })?;
    let grants = crate::auth::load_grants(app, &org.id, user_id, role).await?;
    Ok(OrgAccess {
        caller: crate::auth::Caller {
            user,
            token: None,
            session: None,
            ip: None,
        },
        org: org.clone(),
        grants: std::sync::Arc::new(grants),
    })
}

/// Whether `access` may start or cancel runs: the operator role organization-wide (a
/// workflow is the organization's; a role granted on one stack or environment is not enough,
/// and each node checks its own stack again as it runs).
pub fn require_run(access: &OrgAccess) -> ApiResult<()> {
    access.require(Permission::Deploy)
}
