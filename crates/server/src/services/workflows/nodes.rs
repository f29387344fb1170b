//! What each node type does, through the same services the API uses: a `deploy` node queues
//! a deployment as its run's actor would by hand, and is refused where they could not.
//!
//! *Invariants:* a node touching a stack or a target checks both the run's starter and the
//! workflow's last editor; outbound calls (HTTP, git, notifications) go through the egress
//! check; a deployment is queued with an idempotency key naming the run, the node and the
//! attempt, so a resumed node waits for the deployment it already started instead of
//! starting another.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use windflow_domain::access::Permission;
use windflow_domain::deployment::{DeploymentKind, DeploymentState};
use windflow_engine::task::{ExecSpec, TaskIo};
use windflow_protocol as wire;
use windflow_storage::WorkflowRunRecord;
use windflow_workflow::{self as wf, Action, Expr, truthy};

use super::{Start, enqueue, resolve_inputs};
use crate::auth::{On, OrgAccess};
use crate::services;
use crate::services::deployments::{DeploymentRequest, TargetChoice};
use crate::state::{App, now_ms};

/// The most of a response body or a command's output a node keeps.
const MAX_OUTPUT: usize = 64 << 10;
/// How deep `call` nodes may nest.
const MAX_CALL_DEPTH: usize = 5;

/// What a node's attempt ended with.
pub(crate) enum Outcome {
    /// Done: its output and, for a condition or switch, the port it chose.
    Done { output: Value, port: Option<String> },
    /// Waiting until `wake_at` (a timer, a child run) or a decision (an approval).
    Wait {
        wake_at: Option<i64>,
        reference: Option<String>,
    },
}

fn done(output: Value) -> Outcome {
    Outcome::Done { output, port: None }
}

/// What a node runs with.
pub(crate) struct Env<'a> {
    pub app: &'a App,
    pub run: &'a WorkflowRunRecord,
    /// Who started the run (the last editor for a trigger).
    pub starter: &'a OrgAccess,
    /// Who last saved the workflow.
    pub editor: &'a OrgAccess,
    pub node: &'a wf::Node,
    pub attempt: i64,
    /// What the node's earlier attempt started and waits for (a child run).
    pub reference: Option<String>,
    pub logs: std::sync::Mutex<String>,
}

impl Env<'_> {
    fn log(&self, line: impl AsRef<str>) {
        if let Ok(mut logs) = self.logs.lock()
            && logs.len() < MAX_OUTPUT
        {
            logs.push_str(line.as_ref());
            logs.push('\n');
        }
    }

    /// Both the starter and the editor may do `permission` on `stack`.
    async fn require_on_stack(&self, permission: Permission, stack: &str) -> Result<(), String> {
        for (who, access) in [
            ("started the run", self.starter),
            ("last saved the workflow", self.editor),
        ] {
            access
                .require_on(self.app, permission, On::StackNamed(stack))
                .await
                .map_err(|e| format!("{} ({who}): {e}", access.caller.user.username))?;
        }
        Ok(())
    }

    fn org(&self) -> &str {
        &self.run.org_id
    }

    fn key(&self) -> String {
        format!("workflow:{}:{}:{}", self.run.id, self.node.id, self.attempt)
    }
}

/// A setting's text (a number or boolean a template produced, as text).
fn text(settings: &Value, key: &str) -> String {
    match settings.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A value as text: a string as it is, anything else as JSON.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn optional(settings: &Value, key: &str) -> Option<String> {
    Some(text(settings, key)).filter(|s| !s.is_empty())
}

async fn egress(app: &App, raw: &str, what: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    crate::egress::check(
        &app.config.workflow_allowed_endpoints,
        raw,
        &url,
        what,
        "--workflow-allow-endpoint",
    )
    .await
    .map_err(|e| e.to_string())
}

/// Runs one attempt of the node with its rendered settings.
pub(crate) async fn perform(
    env: &Env<'_>,
    settings: &Value,
    context: &Value,
) -> Result<Outcome, String> {
    match &env.node.action {
        Action::Deploy { .. } => deploy(env, settings).await,
        Action::Rollback { .. } => rollback(env, settings).await,
        Action::GitUpdate { .. } => git_update(env, settings).await,
        Action::Wait { duration } => {
            let wait = wf::parse_duration(duration)?;
            env.log(format!("waiting {duration}"));
            Ok(Outcome::Wait {
                wake_at: Some(now_ms() + wait.as_millis() as i64),
                reference: None,
            })
        }
        Action::Condition { expression } => {
            let value = Expr::parse(expression)
                .map_err(|e| e.to_string())?
                .eval(context)
                .map_err(|e| e.to_string())?;
            let port = if truthy(&value) { "true" } else { "false" };
            env.log(format!("{expression} → {port}"));
            Ok(Outcome::Done {
                output: json!({"value": value}),
                port: Some(port.into()),
            })
        }
        Action::Switch { value, cases } => {
            let value = Expr::parse(value)
                .map_err(|e| e.to_string())?
                .eval(context)
                .map_err(|e| e.to_string())?;
            let key = as_text(&value);
            let port = if cases.contains(&key) {
                key
            } else {
                "default".into()
            };
            env.log(format!("→ {port}"));
            Ok(Outcome::Done {
                output: json!({"value": value}),
                port: Some(port),
            })
        }
        Action::Join {} => Ok(done(json!({}))),
        Action::Http { .. } => http(env, settings).await,
        Action::Exec { .. } => exec(env, settings).await,
        Action::Approval { role, .. } => {
            let wake_at = match &env.node.timeout {
                Some(t) => Some(now_ms() + wf::parse_duration(t)?.as_millis() as i64),
                None => None,
            };
            env.log(format!(
                "waiting for a decision by a member with the {role} role"
            ));
            Ok(Outcome::Wait {
                wake_at,
                reference: None,
            })
        }
        Action::Notify { .. } => notify(env, settings).await,
        Action::Ai { .. } => {
            let prompt = text(settings, "prompt");
            let answer = services::ai::prompt(
                env.app,
                env.starter,
                &prompt,
                &format!("workflow-run/{}", env.run.id),
            )
            .await
            .map_err(|e| e.to_string())?;
            Ok(done(json!({"text": answer})))
        }
        Action::Call { .. } => call(env, settings).await,
        Action::Set { .. } => Ok(done(settings.get("values").cloned().unwrap_or(json!({})))),
    }
}

/// The target a node names, or the one target its stack runs on.
async fn target_of(env: &Env<'_>, stack: &str, settings: &Value) -> Result<String, String> {
    if let Some(target) = optional(settings, "target") {
        return Ok(target);
    }
    let detail = services::stacks::show(env.app, env.starter, stack)
        .await
        .map_err(|e| e.to_string())?;
    match detail.deployed.as_slice() {
        [one] => Ok(one.target.clone()),
        [] => Err(format!("stack {stack} runs nowhere yet: name a target")),
        many => Err(format!(
            "stack {stack} runs on {} targets: name one",
            many.len()
        )),
    }
}

/// Waits for a deployment to end: its output, or why it did not succeed.
async fn await_deployment(env: &Env<'_>, id: &str) -> Result<windflow_storage::Deployment, String> {
    loop {
        let d = env
            .app
            .store
            .get_deployment(env.org(), id)
            .await
            .map_err(|e| e.to_string())?;
        if d.state.is_terminal() {
            env.log(format!("deployment {id} {}", d.state.as_str()));
            return if d.state == DeploymentState::Succeeded {
                Ok(d)
            } else {
                Err(format!(
                    "deployment {id} of {} on {} ended {}{}",
                    d.stack_name,
                    d.target_name,
                    d.state.as_str(),
                    d.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ))
            };
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn deploy(env: &Env<'_>, settings: &Value) -> Result<Outcome, String> {
    let stack = text(settings, "stack");
    env.require_on_stack(Permission::Deploy, &stack).await?;
    let version = match text(settings, "version").as_str() {
        "" | "latest" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| format!("version {v:?} is not a number or \"latest\""))?,
        ),
    };
    let selector: Option<BTreeMap<String, String>> = optional(settings, "selector").map(|s| {
        s.split(',')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect()
    });
    let environment = optional(settings, "environment");
    let named = match (&selector, optional(settings, "target")) {
        (Some(_), _) => None,
        (None, Some(t)) => Some(t),
        (None, None) => Some(target_of(env, &stack, settings).await?),
    };
    let choice = match (&named, &selector) {
        (Some(t), _) => TargetChoice::Named(t),
        (None, Some(s)) => TargetChoice::Selector {
            selector: s,
            strategy: wire::PlacementStrategy::default(),
            failover: false,
        },
        (None, None) => unreachable!("a target or a selector"),
    };
    let (deployment, created) = services::deployments::queue(
        env.app,
        env.starter,
        DeploymentRequest {
            stack: &stack,
            version,
            target: choice,
            environment: environment.as_deref(),
            kind: DeploymentKind::Deploy,
            idempotency_key: Some(env.key()),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    env.log(format!(
        "{} deployment {} of {} version {} on {}",
        if created { "queued" } else { "resumed" },
        deployment.id,
        deployment.stack_name,
        deployment.stack_version,
        deployment.target_name
    ));
    let d = await_deployment(env, &deployment.id).await?;
    Ok(done(json!({
        "deployment": d.id,
        "status": d.state.as_str(),
        "version": d.stack_version,
        "target": d.target_name,
    })))
}

async fn rollback(env: &Env<'_>, settings: &Value) -> Result<Outcome, String> {
    let stack = text(settings, "stack");
    env.require_on_stack(Permission::Deploy, &stack).await?;
    let target = target_of(env, &stack, settings).await?;
    let (deployment, _) = services::deployments::queue_rollback(
        env.app,
        env.starter,
        &stack,
        &target,
        None,
        Some(env.key()),
    )
    .await
    .map_err(|e| e.to_string())?;
    env.log(format!(
        "rolling {stack} back to version {} on {target} (deployment {})",
        deployment.stack_version, deployment.id
    ));
    let d = await_deployment(env, &deployment.id).await?;
    Ok(done(json!({
        "deployment": d.id,
        "status": d.state.as_str(),
        "version": d.stack_version,
        "target": d.target_name,
    })))
}

async fn git_update(env: &Env<'_>, settings: &Value) -> Result<Outcome, String> {
    let stack = text(settings, "stack");
    env.require_on_stack(Permission::Configure, &stack).await?;
    let repository = text(settings, "repository");
    let reference = optional(settings, "reference").unwrap_or_else(|| "main".into());
    let path = optional(settings, "path").unwrap_or_else(|| "compose.yaml".into());
    super::git::check_request(&repository, &reference, &path)?;
    egress(env.app, &repository, "the repository").await?;
    let timeout = env
        .node
        .timeout
        .as_deref()
        .and_then(|t| wf::parse_duration(t).ok())
        .unwrap_or(Duration::from_secs(120));
    let scratch = env.app.config.data_dir.join("workflows").join("git");
    let fetched = super::git::fetch_file(&scratch, &repository, &reference, &path, timeout).await?;
    env.log(format!("{repository} at {reference} is {}", fetched.commit));
    let current = services::stacks::find(env.app, env.org(), &stack)
        .await
        .map_err(|e| e.to_string())?;
    let latest = env
        .app
        .store
        .get_stack_version(env.org(), &current.id, current.latest_version)
        .await
        .map_err(|e| e.to_string())?;
    if latest.content == fetched.content {
        env.log(format!(
            "{path} is unchanged: stack {stack} stays at version {}",
            current.latest_version
        ));
        return Ok(done(json!({
            "commit": fetched.commit,
            "version": current.latest_version,
            "changed": false,
        })));
    }
    let short: String = fetched.commit.chars().take(12).collect();
    let detail = services::stacks::update(
        env.app,
        env.starter,
        &stack,
        Some(current.latest_version),
        wire::UpdateStackRequest {
            content: fetched.content,
            message: Some(format!("{path} from {repository} at {reference} ({short})")),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    env.log(format!(
        "stack {stack} is now at version {}",
        detail.current.version
    ));
    Ok(done(json!({
        "commit": fetched.commit,
        "version": detail.current.version,
        "changed": true,
    })))
}

async fn http(env: &Env<'_>, settings: &Value) -> Result<Outcome, String> {
    let method = optional(settings, "method").unwrap_or_else(|| "GET".into());
    let url = text(settings, "url");
    egress(env.app, &url, "the HTTP node's URL").await?;
    let timeout = env
        .node
        .timeout
        .as_deref()
        .and_then(|t| wf::parse_duration(t).ok())
        .unwrap_or(Duration::from_secs(30));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| e.to_string())?;
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("{method:?} is not an HTTP method"))?;
    let mut request = client.request(method.clone(), &url);
    if let Some(Value::Object(headers)) = settings.get("headers") {
        for (name, value) in headers {
            request = request.header(name.as_str(), as_text(value));
        }
    }
    if let Some(body) = optional(settings, "body") {
        request = request.body(body);
    }
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            format!("{method} {url}: timed out after {timeout:?}")
        } else {
            format!("{method} {url}: {e}")
        }
    })?;
    let status = response.status().as_u16();
    let headers: serde_json::Map<String, Value> = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or_default())))
        .collect();
    let json_body = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json"));
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    use futures::StreamExt;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("reading the answer: {e}"))?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_OUTPUT {
            bytes.truncate(MAX_OUTPUT);
            break;
        }
    }
    let text_body = String::from_utf8_lossy(&bytes).into_owned();
    let body = if json_body {
        serde_json::from_str(&text_body).unwrap_or(Value::String(text_body.clone()))
    } else {
        Value::String(text_body.clone())
    };
    env.log(format!("{method} {url} → {status}"));
    let expected: Vec<u16> = settings
        .get("expect_status")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_u64())
                .map(|v| v as u16)
                .collect()
        })
        .unwrap_or_default();
    let ok = if expected.is_empty() {
        (200..300).contains(&status)
    } else {
        expected.contains(&status)
    };
    if !ok {
        let tail: String = text_body.chars().take(300).collect();
        return Err(format!("{method} {url} answered {status}: {tail}"));
    }
    Ok(done(
        json!({"status": status, "headers": headers, "body": body}),
    ))
}

async fn exec(env: &Env<'_>, settings: &Value) -> Result<Outcome, String> {
    let stack = text(settings, "stack");
    env.require_on_stack(Permission::Deploy, &stack).await?;
    let service = text(settings, "service");
    let command: Vec<String> = settings
        .get("command")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(as_text).collect())
        .unwrap_or_default();
    if command.is_empty() {
        return Err("the command is empty".into());
    }
    let target_name = target_of(env, &stack, settings).await?;
    let target = services::targets::find(env.app, env.org(), &target_name)
        .await
        .map_err(|e| e.to_string())?;
    let driver = services::targets::driver(env.app, &target).map_err(|e| e.to_string())?;
    services::targets::tenancy::guard_engine(
        env.app,
        &target,
        &driver,
        false,
        Some(&env.starter.caller),
    )
    .await
    .map_err(|e| e.to_string())?;
    let observed = driver
        .observe(&stack, None)
        .await
        .map_err(|e| format!("target {target_name}: {e}"))?;
    let container = observed
        .containers
        .iter()
        .filter(|c| c.service == service)
        .find(|c| c.state == windflow_domain::observed::ContainerState::Running)
        .ok_or_else(|| {
            format!("service {service} of stack {stack} has no running container on {target_name}")
        })?;
    env.log(format!("exec in {}: {command:?}", container.name));
    let out = driver
        .exec(
            &container.id,
            &ExecSpec {
                cmd: command,
                env: Vec::new(),
                user: None,
                working_dir: None,
            },
            TaskIo::default(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let secrets = services::containers::org_secret_values(env.app, env.org())
        .await
        .map_err(|e| e.to_string())?;
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&out.stderr);
    if output.len() > MAX_OUTPUT {
        output = output
            .chars()
            .rev()
            .take(MAX_OUTPUT)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
    }
    let output = crate::secrets::mask_text(&output, &secrets);
    if out.exit_code != 0 {
        let tail: String = output
            .chars()
            .rev()
            .take(500)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!("the command exited with {}: {tail}", out.exit_code));
    }
    Ok(done(json!({"exit_code": out.exit_code, "output": output})))
}

async fn notify(env: &Env<'_>, settings: &Value) -> Result<Outcome, String> {
    let channel = text(settings, "channel");
    let title = optional(settings, "title")
        .unwrap_or_else(|| format!("Workflow {}", env.run.workflow_name));
    let message = windflow_notify::Message::new(
        windflow_notify::Level::Info,
        title,
        text(settings, "message"),
    )
    .field("workflow", &env.run.workflow_name)
    .field("run", &env.run.id);
    let status = services::notifications::send(env.app, env.org(), &channel, &message).await?;
    env.log(format!(
        "sent to {channel}{}",
        status.map(|s| format!(" ({s})")).unwrap_or_default()
    ));
    Ok(done(
        json!({"channel": channel, "delivered": true, "status": status}),
    ))
}

/// Starts the called workflow's run, then waits for it (woken each second).
async fn call(env: &Env<'_>, settings: &Value) -> Result<Outcome, String> {
    if let Some(child) = &env.reference {
        let run = env
            .app
            .store
            .get_workflow_run(env.org(), child)
            .await
            .map_err(|e| e.to_string())?;
        return match run.status.as_str() {
            "succeeded" => {
                let outputs: serde_json::Map<String, Value> = env
                    .app
                    .store
                    .list_workflow_node_runs(child)
                    .await
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .map(|n| (n.node_id, n.output.unwrap_or(Value::Null)))
                    .collect();
                Ok(done(
                    json!({"run": child, "status": run.status, "outputs": outputs}),
                ))
            }
            "failed" | "cancelled" => Err(format!(
                "run {child} of workflow {} {}{}",
                run.workflow_name,
                run.status,
                run.error.map(|e| format!(": {e}")).unwrap_or_default()
            )),
            _ => Ok(Outcome::Wait {
                wake_at: Some(now_ms() + 1000),
                reference: Some(child.clone()),
            }),
        };
    }
    let name = text(settings, "workflow");
    if name == env.run.workflow_name {
        return Err("a workflow cannot call itself".into());
    }
    let mut depth = 0;
    let mut parent = env.run.parent_run.clone();
    while let Some(id) = parent {
        depth += 1;
        if depth >= MAX_CALL_DEPTH {
            return Err(format!("calls nest deeper than {MAX_CALL_DEPTH} workflows"));
        }
        parent = env
            .app
            .store
            .get_workflow_run(env.org(), &id)
            .await
            .ok()
            .and_then(|r| r.parent_run);
    }
    let w = super::find(env.app, env.org(), &name)
        .await
        .map_err(|e| e.to_string())?;
    let doc = super::document_of(&w.document).map_err(|e| e.to_string())?;
    let given: BTreeMap<String, Value> = settings
        .get("inputs")
        .and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let inputs = resolve_inputs(&doc, &given).map_err(|e| e.to_string())?;
    let child = enqueue(
        env.app,
        &w,
        Start {
            kind: "call",
            payload: json!({"parent_run": env.run.id, "parent_workflow": env.run.workflow_name}),
            inputs,
            requested_by: env.run.requested_by.clone(),
            parent_run: Some(env.run.id.clone()),
            kept: Vec::new(),
            version: None,
        },
    )
    .await
    .map_err(|e| e.to_string())?
    .ok_or_else(|| format!("workflow {name}'s concurrency policy skipped the call"))?;
    env.log(format!("started run {} of workflow {name}", child.id));
    Ok(Outcome::Wait {
        wake_at: Some(now_ms() + 1000),
        reference: Some(child.id),
    })
}
