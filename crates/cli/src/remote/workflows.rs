//! `windflow workflow`: workflow files applied and validated (parsed and checked here first,
//! so a mistake is reported at its line without a round trip), runs started and followed
//! node by node, approvals decided, webhooks issued, and the notification channels that
//! `notify` nodes send through.
//!
//! *Invariant:* a secret (a webhook signing key, a Slack or Discord URL, an SMTP password,
//! an ntfy or Gotify token) is never a command-line value: it comes from a file, standard
//! input or the environment, and is never printed back. The one exception is a workflow's
//! webhook secret, which the server makes and shows once, to be pasted into the
//! repository's webhook settings.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use windflow_protocol::{
    ApprovalDecision, CreateNotificationChannelRequest, NotificationChannel, Problem,
    PutWorkflowRequest, StartWorkflowRunRequest, ValidateWorkflowRequest, Workflow, WorkflowIssue,
    WorkflowNodeRun, WorkflowRun, WorkflowSummary, WorkflowValidation, WorkflowVersion,
    WorkflowWebhook,
};

use super::ServerArgs;
use super::backups::{read_file, read_secret};
use super::client::ApiError;
use super::commands::{Session, connect, format_time, interrupts, segment};
use crate::failure::Failure;
use crate::render::{self, print_json, warning_text};
use crate::{Global, Output, exit};

type Result<T> = std::result::Result<T, Failure>;

/// The environment variables a channel's secrets are read from when no file is given.
pub const CHANNEL_URL_ENV: &str = "WINDFLOW_CHANNEL_URL";
pub const CHANNEL_SECRET_ENV: &str = "WINDFLOW_CHANNEL_SECRET";
pub const CHANNEL_TOKEN_ENV: &str = "WINDFLOW_CHANNEL_TOKEN";
pub const CHANNEL_PASSWORD_ENV: &str = "WINDFLOW_CHANNEL_PASSWORD";

/// An invalid workflow file: nothing was saved (the exit code of an invalid compose file).
const INVALID_FILE: u8 = exit::INVALID_STACK;

#[derive(Subcommand, Debug)]
#[command(
    after_help = "Exit codes: 0 ok, 1 failure (a followed run that fails or is cancelled), \
                  3 invalid workflow file (nothing was saved), 4 server unreachable."
)]
pub enum WorkflowCommand {
    /// List the organization's workflows with their last run.
    Ls {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Print a workflow's document as YAML (the current version, or --version N), after
    /// `#` comment lines with its version, author and webhook URL.
    Show {
        name: String,
        /// An earlier version.
        #[arg(long, value_name = "N")]
        version: Option<i64>,
        /// Only the document, without the comment lines (ready for `apply -f`).
        #[arg(long)]
        yaml: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Save a workflow file (YAML or JSON) as the workflow its `name` says: a new version
    /// when it changed. It is parsed and validated here first; nothing is sent when it is
    /// invalid.
    Apply {
        /// The workflow file; `-` reads standard input.
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: PathBuf,
        /// Refuse the save unless the workflow is still at this version.
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Check a workflow file without saving it: parsed here, then validated by the server
    /// (which also knows its stacks, targets and channels).
    Validate {
        /// The workflow file; `-` reads standard input.
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: PathBuf,
        /// Only check it here, without asking the server.
        #[arg(long)]
        local: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Delete a workflow. Asks first, unless --yes.
    Rm {
        name: String,
        /// Do not ask for confirmation (needed when standard input is not a terminal).
        #[arg(short = 'y', long)]
        yes: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Start a run (manual trigger) and print its id; --wait follows it node by node.
    Run {
        name: String,
        /// An input of the run, `KEY=VALUE` (VALUE is a string) or `KEY:=JSON` (VALUE is
        /// JSON: `count:=3`, `dry:=true`, `tags:='["a","b"]'`). Repeatable.
        #[arg(short = 'i', long = "input", value_name = "KEY=VALUE", value_parser = parse_input)]
        inputs: Vec<(String, Value)>,
        /// Follow the run to its end, printing each node's status; exit non-zero when it
        /// fails or is cancelled.
        #[arg(short = 'w', long)]
        wait: bool,
        /// Re-run from a node of an earlier run (with --from-node): the nodes before it keep
        /// that run's results.
        #[arg(long, value_name = "RUN", requires = "from_node")]
        from_run: Option<String>,
        /// The node to run again from (with --from-run).
        #[arg(long, value_name = "NODE", requires = "from_run")]
        from_node: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List a workflow's runs, newest first.
    Runs {
        name: String,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Print a run node by node: status, attempt, duration, logs, error and output.
    Logs {
        run: String,
        /// Follow the run to its end first (like `run --wait`).
        #[arg(short = 'f', long)]
        follow: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Approve (or --reject) a node of a run that waits for approval.
    Approve {
        run: String,
        node: String,
        /// Reject instead: the node fails, and so does the run.
        #[arg(long)]
        reject: bool,
        /// A note kept with the decision.
        #[arg(short = 'm', long, value_name = "TEXT")]
        comment: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Cancel a queued, running or waiting run.
    Cancel {
        run: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Make a new webhook secret for the workflow (the previous one stops working) and print
    /// the URL and the secret, once: configure them as the repository's webhook.
    Webhook {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List a workflow's saved versions, newest first.
    Versions {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Notification channels that `notify` nodes send through: list, add, remove, test.
    #[command(subcommand)]
    Channel(ChannelCommand),
}

#[derive(Subcommand, Debug)]
pub enum ChannelCommand {
    /// List the channels (never a credential).
    Ls {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Add a channel. Its secrets come from files (`-`: standard input) or the environment,
    /// never from the command line: a Slack or Discord URL from --url-file or
    /// WINDFLOW_CHANNEL_URL, a webhook signing secret from --secret-file or
    /// WINDFLOW_CHANNEL_SECRET, an ntfy or Gotify token from --token-file or
    /// WINDFLOW_CHANNEL_TOKEN, an SMTP password from --password-file or
    /// WINDFLOW_CHANNEL_PASSWORD.
    Add(Box<ChannelAddArgs>),
    /// Remove a channel. Asks first, unless --yes.
    Rm {
        name: String,
        /// Do not ask for confirmation (needed when standard input is not a terminal).
        #[arg(short = 'y', long)]
        yes: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Send a test notification through a channel.
    Test {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Args, Debug)]
pub struct ChannelAddArgs {
    /// The channel's name, as a `notify` node's `channel` names it.
    pub name: String,
    #[arg(long, value_parser = ["webhook", "slack", "discord", "email", "ntfy", "gotify"])]
    pub kind: String,
    /// webhook: the URL the JSON is POSTed to; ntfy: the server and topic
    /// (https://ntfy.sh/my-topic); gotify: the server's base URL. A Slack or Discord URL
    /// embeds its token: use --url-file.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// slack, discord: a file holding the webhook URL (`-`: standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "url")]
    pub url_file: Option<PathBuf>,
    /// webhook: a file holding the HMAC-SHA256 signing secret (optional).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// ntfy (optional), gotify: a file holding the access or application token.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// email: the SMTP server.
    #[arg(long = "smtp-host", value_name = "HOST")]
    pub host: Option<String>,
    /// email: the SMTP port (default: 465 with --security tls, 25 with none, else 587).
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// email: how the SMTP connection is protected.
    #[arg(long, value_parser = ["tls", "starttls", "none"])]
    pub security: Option<String>,
    /// email: accept any certificate of the SMTP server (a relay on a trusted network only).
    #[arg(long)]
    pub accept_invalid_certs: bool,
    /// email: the SMTP user name.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// email: a file holding the SMTP password.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// email: the sender, `name@example.com` or `WindFlow <name@example.com>`.
    #[arg(long, value_name = "ADDRESS")]
    pub from: Option<String>,
    /// email: a recipient (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    pub to: Vec<String>,
    #[command(flatten)]
    pub server: ServerArgs,
}

pub async fn workflow(g: &Global, command: &WorkflowCommand) -> Result<()> {
    match command {
        WorkflowCommand::Ls { server } => {
            let s = connect(server)?;
            let list: Vec<WorkflowSummary> = s.client.get(&s.org_path("/workflows")).await?;
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            let now = OffsetDateTime::now_utc();
            let mut table = render::table(["NAME", "VERSION", "TRIGGERS", "LAST RUN", "UPDATED"]);
            for w in &list {
                let name = if w.enabled {
                    w.name.clone()
                } else {
                    format!("{} (disabled)", w.name)
                };
                table.add_row([
                    name,
                    w.version.to_string(),
                    w.triggers.join(", "),
                    w.last_run
                        .as_ref()
                        .map(|r| format!("{} {}", r.status, age(r.created_at, now)))
                        .unwrap_or_else(|| "never".into()),
                    format!("{} by {}", format_time(&w.updated_at), w.updated_by),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        WorkflowCommand::Show {
            name,
            version,
            yaml,
            server,
        } => {
            let s = connect(server)?;
            let base = s.org_path(&format!("/workflows/{}", segment(name)));
            let path = match version {
                Some(v) => format!("{base}/versions/{v}"),
                None => base,
            };
            let workflow: Workflow = s.client.get(&path).await?;
            if g.output == Output::Json {
                print_json(&workflow);
                return Ok(());
            }
            if !yaml {
                println!(
                    "# {} version {}{}, saved by {} at {}",
                    workflow.name,
                    workflow.version,
                    if workflow.enabled { "" } else { " (disabled)" },
                    workflow.updated_by,
                    format_time(&workflow.updated_at)
                );
                if let Some(url) = &workflow.webhook_url {
                    println!("# webhook: {url}");
                }
            }
            print!("{}", document_yaml(&workflow.document));
            Ok(())
        }
        WorkflowCommand::Apply {
            file,
            if_version,
            server,
        } => apply(g, file, *if_version, server).await,
        WorkflowCommand::Validate {
            file,
            local,
            server,
        } => validate(g, file, *local, server).await,
        WorkflowCommand::Rm { name, yes, server } => {
            let s = connect(server)?;
            if !yes {
                confirm(&format!("Delete the workflow {name}?"))?;
            }
            s.client
                .delete(&s.org_path(&format!("/workflows/{}", segment(name))))
                .await?;
            if g.output == Output::Json {
                print_json(&json!({ "deleted": name }));
            } else {
                println!("deleted the workflow {name}");
            }
            Ok(())
        }
        WorkflowCommand::Run {
            name,
            inputs,
            wait,
            from_run,
            from_node,
            server,
        } => {
            let request = StartWorkflowRunRequest {
                inputs: input_map(inputs).map_err(|e| Failure::new(exit::USAGE, e))?,
                from_run: from_run.clone(),
                from_node: from_node.clone(),
            };
            let s = connect(server)?;
            let run: WorkflowRun = s
                .client
                .post(
                    &s.org_path(&format!("/workflows/{}/runs", segment(name))),
                    &request,
                )
                .await?;
            if !wait {
                if g.output == Output::Json {
                    print_json(&run);
                } else {
                    println!(
                        "started run {} of {} (version {}, {}); follow it with `windflow workflow logs {} --follow`",
                        run.id, run.workflow, run.version, run.status, run.id
                    );
                }
                return Ok(());
            }
            let run = follow(g, &s, run).await?;
            if g.output == Output::Json {
                print_json(&run);
            } else {
                println!("{}", final_line(&run, OffsetDateTime::now_utc()));
            }
            outcome(&run)
        }
        WorkflowCommand::Runs {
            name,
            limit,
            server,
        } => {
            let s = connect(server)?;
            let mut runs: Vec<WorkflowRun> = s
                .client
                .call(
                    s.client
                        .request(
                            Method::GET,
                            &s.org_path(&format!("/workflows/{}/runs", segment(name))),
                        )
                        .query(&[("limit", limit)]),
                )
                .await?;
            runs.truncate((*limit).max(0) as usize);
            if g.output == Output::Json {
                print_json(&runs);
                return Ok(());
            }
            let now = OffsetDateTime::now_utc();
            let mut table = render::table(["RUN", "STATUS", "TRIGGER", "STARTED", "DURATION"]);
            for run in &runs {
                table.add_row([
                    run.id.clone(),
                    run.status.clone(),
                    trigger_text(run),
                    run.started_at
                        .as_ref()
                        .map(format_time)
                        .unwrap_or_else(|| format!("({})", run.status)),
                    span_ms(run.started_at, run.finished_at, now)
                        .map(render::duration)
                        .unwrap_or_default(),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        WorkflowCommand::Logs {
            run,
            follow: follow_run,
            server,
        } => {
            let s = connect(server)?;
            let mut run = get_run(&s, run).await?;
            if *follow_run {
                run = follow(g, &s, run).await?;
            }
            if g.output == Output::Json {
                print_json(&run);
            } else {
                print!("{}", run_logs(&run, OffsetDateTime::now_utc()));
                if *follow_run {
                    println!("{}", final_line(&run, OffsetDateTime::now_utc()));
                }
            }
            if *follow_run {
                return outcome(&run);
            }
            Ok(())
        }
        WorkflowCommand::Approve {
            run,
            node,
            reject,
            comment,
            server,
        } => {
            let s = connect(server)?;
            let path = s.org_path(&format!(
                "/workflow-runs/{}/approvals/{}",
                segment(run),
                segment(node)
            ));
            let answer = post_lenient(
                &s,
                &path,
                Some(&ApprovalDecision {
                    approve: !reject,
                    comment: comment.clone(),
                }),
            )
            .await?;
            if g.output == Output::Json {
                print_json(
                    &answer
                        .unwrap_or_else(|| json!({ "run": run, "node": node, "approve": !reject })),
                );
            } else if *reject {
                println!("rejected node {node} of run {run}: the node fails");
            } else {
                println!("approved node {node} of run {run}");
            }
            Ok(())
        }
        WorkflowCommand::Cancel { run, server } => {
            let s = connect(server)?;
            let path = s.org_path(&format!("/workflow-runs/{}/cancel", segment(run)));
            let answer = post_lenient(&s, &path, None::<&Value>).await?;
            let parsed = answer
                .clone()
                .and_then(|a| serde_json::from_value::<WorkflowRun>(a).ok());
            if g.output == Output::Json {
                print_json(&answer.unwrap_or_else(|| json!({ "cancelled": run })));
            } else {
                match parsed {
                    Some(r) if is_finished(&r.status) && r.status != "cancelled" => {
                        println!("run {} has already ended: {}", r.id, r.status)
                    }
                    _ => println!("cancelling run {run}"),
                }
            }
            Ok(())
        }
        WorkflowCommand::Webhook { name, server } => {
            let s = connect(server)?;
            let hook: WorkflowWebhook = s
                .client
                .call(s.client.request(
                    Method::POST,
                    &s.org_path(&format!("/workflows/{}/webhook", segment(name))),
                ))
                .await?;
            if g.output == Output::Json {
                print_json(&hook);
            } else {
                println!("url     {}", hook.url);
                println!("secret  {}", hook.secret);
                eprintln!(
                    "Configure these as the repository's webhook (payload URL and secret; content type \
                     application/json). The secret is shown only this once; `windflow workflow webhook {name}` \
                     again makes a new one and the old one stops working."
                );
            }
            Ok(())
        }
        WorkflowCommand::Versions { name, server } => {
            let s = connect(server)?;
            let versions: Vec<WorkflowVersion> = s
                .client
                .get(&s.org_path(&format!("/workflows/{}/versions", segment(name))))
                .await?;
            if g.output == Output::Json {
                print_json(&versions);
                return Ok(());
            }
            let mut table = render::table(["VERSION", "AUTHOR", "CREATED"]);
            for v in &versions {
                table.add_row([
                    v.version.to_string(),
                    v.author.clone(),
                    format_time(&v.created_at),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        WorkflowCommand::Channel(command) => channel(g, command).await,
    }
}

// ---- apply / validate ----------------------------------------------------------------

/// A workflow file read and parsed here; its errors as `FILE:LINE:COL: message`.
fn load_file(file: &Path) -> Result<windflow_workflow::Workflow> {
    let text = read_file(file, "the workflow").map_err(|mut f| {
        f.code = INVALID_FILE;
        f
    })?;
    windflow_workflow::Workflow::from_yaml(&text)
        .map_err(|e| Failure::new(INVALID_FILE, parse_error_text(&file_name(file), &e)))
}

fn file_name(file: &Path) -> String {
    if file.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        file.display().to_string()
    }
}

/// `FILE:LINE:COL: field: message` (without line or field when unknown).
fn parse_error_text(file: &str, e: &windflow_workflow::ParseError) -> String {
    let mut text = file.to_string();
    if let Some(line) = e.line {
        text.push_str(&format!(":{line}"));
        if let Some(column) = e.column {
            text.push_str(&format!(":{column}"));
        }
    }
    text.push_str(": ");
    if let Some(path) = &e.path {
        text.push_str(&format!("{path}: "));
    }
    text.push_str(&e.message);
    text
}

/// One `FILE: field: message` line per issue.
fn issue_lines<'a>(file: &str, issues: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    issues
        .into_iter()
        .map(|(field, message)| {
            if field.is_empty() {
                format!("{file}: {message}")
            } else {
                format!("{file}: {field}: {message}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn local_issues(file: &str, wf: &windflow_workflow::Workflow) -> Option<Failure> {
    let issues = windflow_workflow::validate(wf);
    if issues.is_empty() {
        return None;
    }
    Some(Failure::new(
        INVALID_FILE,
        issue_lines(
            file,
            issues
                .iter()
                .map(|i| (i.field.as_str(), i.message.as_str())),
        ),
    ))
}

/// A 422 from the server: one line per field error.
fn rejected(g: &Global, file: &str, problem: &Problem) -> Failure {
    if g.output == Output::Json {
        print_json(problem);
    }
    if problem.errors.is_empty() {
        return Failure::new(
            INVALID_FILE,
            format!(
                "{file}: {}",
                problem.detail.as_deref().unwrap_or(&problem.title)
            ),
        );
    }
    Failure::new(
        INVALID_FILE,
        issue_lines(
            file,
            problem
                .errors
                .iter()
                .map(|e| (e.field.as_str(), e.message.as_str())),
        ),
    )
}

async fn apply(
    g: &Global,
    file: &Path,
    if_version: Option<i64>,
    server: &ServerArgs,
) -> Result<()> {
    let name = file_name(file);
    let wf = load_file(file)?;
    if let Some(failure) = local_issues(&name, &wf) {
        return Err(failure);
    }
    let s = connect(server)?;
    let path = s.org_path(&format!("/workflows/{}", segment(&wf.name)));
    let before = match s.client.get::<Workflow>(&path).await {
        Ok(existing) => Some(existing.version),
        Err(e) if e.status() == Some(404) => None,
        Err(e) => return Err(e.into()),
    };
    let saved: std::result::Result<Workflow, ApiError> = s
        .client
        .call(
            s.client
                .request(Method::PUT, &path)
                .json(&PutWorkflowRequest {
                    document: wf.to_json(),
                    base_version: if_version,
                }),
        )
        .await;
    let saved = match saved {
        Ok(saved) => saved,
        Err(ApiError::Problem(problem)) if problem.status == 422 => {
            return Err(rejected(g, &name, &problem));
        }
        Err(e) => return Err(e.into()),
    };
    if g.output == Output::Json {
        print_json(&saved);
    } else if before == Some(saved.version) {
        println!(
            "workflow {} unchanged (version {})",
            saved.name, saved.version
        );
    } else {
        println!("workflow {} saved as version {}", saved.name, saved.version);
    }
    Ok(())
}

async fn validate(g: &Global, file: &Path, local: bool, server: &ServerArgs) -> Result<()> {
    let name = file_name(file);
    let wf = load_file(file)?;
    if local {
        let issues = windflow_workflow::validate(&wf);
        if g.output == Output::Json {
            print_json(&WorkflowValidation {
                issues: issues
                    .iter()
                    .map(|i| WorkflowIssue {
                        field: i.field.clone(),
                        message: i.message.clone(),
                    })
                    .collect(),
            });
        }
        if let Some(failure) = local_issues(&name, &wf) {
            return Err(failure);
        }
        if g.output == Output::Text {
            println!("{name}: the workflow {} is valid", wf.name);
        }
        return Ok(());
    }
    let s = connect(server)?;
    let result: std::result::Result<WorkflowValidation, ApiError> = s
        .client
        .post(
            &s.org_path("/workflows/validate"),
            &ValidateWorkflowRequest {
                document: wf.to_json(),
            },
        )
        .await;
    let validation = match result {
        Ok(v) => v,
        Err(ApiError::Problem(problem)) if problem.status == 422 => {
            return Err(rejected(g, &name, &problem));
        }
        Err(e) => return Err(e.into()),
    };
    if g.output == Output::Json {
        print_json(&validation);
    }
    if !validation.issues.is_empty() {
        return Err(Failure::new(
            INVALID_FILE,
            issue_lines(
                &name,
                validation
                    .issues
                    .iter()
                    .map(|i| (i.field.as_str(), i.message.as_str())),
            ),
        ));
    }
    if g.output == Output::Text {
        println!("{name}: the workflow {} is valid", wf.name);
    }
    Ok(())
}

/// A document from the server as YAML: through the workflow model when it reads as one
/// (the same layout as `apply` files), else as it is.
fn document_yaml(document: &Value) -> String {
    let yaml = match windflow_workflow::Workflow::from_json(document.clone()) {
        Ok(wf) => wf.to_yaml(),
        Err(_) => serde_saphyr::to_string(document)
            .unwrap_or_else(|_| serde_json::to_string_pretty(document).unwrap_or_default()),
    };
    if yaml.ends_with('\n') {
        yaml
    } else {
        format!("{yaml}\n")
    }
}

// ---- inputs --------------------------------------------------------------------------

/// `KEY=VALUE` → a string; `KEY:=JSON` → that JSON value.
fn parse_input(text: &str) -> std::result::Result<(String, Value), String> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(format!("{text:?} is not KEY=VALUE (or KEY:=JSON)"));
    };
    let (key, value) = match key.strip_suffix(':') {
        Some(key) => (
            key,
            serde_json::from_str::<Value>(value)
                .map_err(|e| format!("{text:?}: the value after := is not JSON: {e}"))?,
        ),
        None => (key, Value::String(value.to_string())),
    };
    if key.is_empty() {
        return Err(format!("{text:?} has no KEY before ="));
    }
    Ok((key.to_string(), value))
}

/// The inputs of a run, each key once.
fn input_map(inputs: &[(String, Value)]) -> std::result::Result<BTreeMap<String, Value>, String> {
    let mut map = BTreeMap::new();
    for (key, value) in inputs {
        if map.insert(key.clone(), value.clone()).is_some() {
            return Err(format!("--input {key} is given more than once"));
        }
    }
    Ok(map)
}

// ---- runs ----------------------------------------------------------------------------

async fn get_run(s: &Session, id: &str) -> Result<WorkflowRun> {
    Ok(s.client
        .get(&s.org_path(&format!("/workflow-runs/{}", segment(id))))
        .await?)
}

/// POSTs (with a JSON body, or none) and returns the answer's JSON, if any.
async fn post_lenient(
    s: &Session,
    path: &str,
    body: Option<&impl serde::Serialize>,
) -> Result<Option<Value>> {
    let mut request = s
        .client
        .request(Method::POST, path)
        .timeout(Duration::from_secs(60));
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = s.client.send(request).await?;
    let text = response
        .text()
        .await
        .map_err(|e| Failure::from(s.client.transport(e)))?;
    Ok(serde_json::from_str(&text).ok())
}

fn is_finished(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "cancelled")
}

/// What started a run: `manual by alice`, `webhook`, `cron`.
fn trigger_text(run: &WorkflowRun) -> String {
    match (&run.requested_by, run.trigger.kind.as_str()) {
        (Some(by), kind) if !by.is_empty() => format!("{kind} by {by}"),
        (_, kind) => kind.to_string(),
    }
}

/// Milliseconds from `started` to `finished` (or to `now` while it runs).
fn span_ms(
    started: Option<OffsetDateTime>,
    finished: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<u64> {
    let started = started?;
    let end = finished.unwrap_or(now);
    Some((end - started).whole_milliseconds().max(0) as u64)
}

/// How long ago: `12s ago`, `5m ago`, `3h ago`, `2d ago`.
fn age(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let seconds = (now - at).whole_seconds().max(0);
    match seconds {
        0..60 => format!("{seconds}s ago"),
        60..3_600 => format!("{}m ago", seconds / 60),
        3_600..86_400 => format!("{}h ago", seconds / 3_600),
        _ => format!("{}d ago", seconds / 86_400),
    }
}

/// `run R succeeded in 3.2s`, with the error when it failed.
fn final_line(run: &WorkflowRun, now: OffsetDateTime) -> String {
    let took = span_ms(run.started_at, run.finished_at, now)
        .map(|ms| format!(" in {}", render::duration(ms)))
        .unwrap_or_default();
    format!("run {} of {} {}{took}", run.id, run.workflow, run.status)
}

/// A followed run's end as the exit code.
fn outcome(run: &WorkflowRun) -> Result<()> {
    match run.status.as_str() {
        "succeeded" => Ok(()),
        status => {
            let mut message = format!("run {} of {} {status}", run.id, run.workflow);
            if let Some(error) = &run.error {
                message.push_str(&format!(": {error}"));
            }
            for node in run.nodes.iter().filter(|n| n.status == "failed") {
                message.push_str(&format!(
                    "\n  node {}: {}",
                    node.node,
                    node.error.as_deref().unwrap_or("failed")
                ));
            }
            if status != "cancelled" {
                message.push_str(&format!(
                    "\nsee `windflow workflow logs {}`; re-run from a node with `windflow workflow run {} --from-run {} --from-node NODE`",
                    run.id, run.workflow, run.id
                ));
            }
            Err(Failure::new(exit::FAILURE, message))
        }
    }
}

/// The lines that say what changed in a run since `seen`: one `node <id>: <status>` per
/// node whose status (or attempt) changed, with how to decide a waiting approval.
fn progress_lines(run: &WorkflowRun, seen: &mut HashMap<String, (String, i64)>) -> Vec<String> {
    let mut lines = Vec::new();
    for node in &run.nodes {
        let state = (node.status.clone(), node.attempt);
        let previous = seen.get(&node.node);
        if previous == Some(&state) || (previous.is_none() && node.status == "pending") {
            continue;
        }
        seen.insert(node.node.clone(), state);
        lines.push(node_line(node));
        if node.status == "waiting"
            && let Some(approval) = &node.approval
        {
            let until = approval
                .expires_at
                .as_ref()
                .map(|at| format!(" (until {})", format_time(at)))
                .unwrap_or_default();
            lines.push(format!(
                "  waiting for approval by a{} {}{until}: {}",
                if approval.role.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "n"
                } else {
                    ""
                },
                approval.role,
                approval.message
            ));
            lines.push(format!(
                "  approve with `windflow workflow approve {} {}` (or reject with --reject)",
                run.id, node.node
            ));
        }
    }
    lines
}

/// `node deploy: running`, `node deploy: running (attempt 2)`, `node deploy: failed: …`.
fn node_line(node: &WorkflowNodeRun) -> String {
    let mut line = format!("node {}: {}", node.node, node.status);
    if node.attempt > 1 && node.status == "running" {
        line.push_str(&format!(" (attempt {})", node.attempt));
    }
    if let Some(port) = node.port.as_deref().filter(|_| node.status == "succeeded") {
        line.push_str(&format!(" (port {port})"));
    }
    if node.status == "failed"
        && let Some(error) = &node.error
    {
        line.push_str(&format!(": {}", first_line(error)));
    }
    line
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// How long the event stream may stay unreachable before `follow` gives up.
const RECONNECT_ATTEMPTS: u32 = 60;

/// Follows a run's event stream (each `run` event carries the whole run) until it ends,
/// printing node status changes on stderr. The first Ctrl-C asks the server to cancel the
/// run and keeps following; a second one stops watching.
async fn follow(g: &Global, s: &Session, mut run: WorkflowRun) -> Result<WorkflowRun> {
    let text = g.output == Output::Text;
    let mut seen = HashMap::new();
    let mut status = run.status.clone();
    if text {
        eprintln!(
            "run {} of {} (version {}): {}",
            run.id, run.workflow, run.version, run.status
        );
        for line in progress_lines(&run, &mut seen) {
            eprintln!("{line}");
        }
    }
    let path = s.org_path(&format!("/workflow-runs/{}/events", segment(&run.id)));
    let mut interrupts = interrupts("the run");
    let mut cancel_sent = false;
    let mut failures = 0u32;
    'connect: while !is_finished(&run.status) {
        let stream = match s.client.events(s.client.request(Method::GET, &path)).await {
            Ok(stream) => stream,
            Err(e) if e.is_connect() && failures < RECONNECT_ATTEMPTS => {
                failures += 1;
                if failures == 1 && text {
                    eprintln!(
                        "{}",
                        warning_text(&format!("lost the server ({e}); reconnecting"))
                    );
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut stream = std::pin::pin!(stream);
        loop {
            tokio::select! {
                item = stream.next() => match item {
                    Some(Ok(event)) => {
                        failures = 0;
                        if event.event == "end" {
                            run = get_run(s, &run.id).await?;
                            break 'connect;
                        }
                        if event.event != "run" {
                            continue;
                        }
                        let Ok(next) = serde_json::from_str::<WorkflowRun>(&event.data) else {
                            continue;
                        };
                        run = next;
                        if text {
                            for line in progress_lines(&run, &mut seen) {
                                eprintln!("{line}");
                            }
                            if run.status != status && !is_finished(&run.status) {
                                eprintln!("run {}: {}", run.id, run.status);
                            }
                        }
                        status = run.status.clone();
                        if is_finished(&run.status) {
                            break 'connect;
                        }
                    }
                    Some(Err(_)) | None => {
                        // The stream ended before the run did: connect again.
                        failures += 1;
                        if failures > RECONNECT_ATTEMPTS {
                            return Err(Failure::new(
                                exit::UNREACHABLE,
                                format!(
                                    "lost the event stream of run {}; see `windflow workflow logs {}`",
                                    run.id, run.id
                                ),
                            ));
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue 'connect;
                    }
                },
                Some(()) = interrupts.recv(), if !cancel_sent => {
                    cancel_sent = true;
                    eprintln!("{}", warning_text("interrupted: asking the server to cancel the run; Ctrl-C again to stop watching"));
                    let cancel = s.org_path(&format!("/workflow-runs/{}/cancel", segment(&run.id)));
                    if let Err(e) = s.client.send(s.client.request(Method::POST, &cancel)).await {
                        eprintln!("{}", warning_text(&format!("cancelling failed: {e}")));
                    }
                }
            }
        }
    }
    // The last event may have come before the node details settled: the run as stored.
    if run.nodes.is_empty()
        && let Ok(full) = get_run(s, &run.id).await
    {
        run = full;
    }
    Ok(run)
}

/// A run node by node: `== node (status, attempt N, duration)`, then its logs, error and
/// output.
fn run_logs(run: &WorkflowRun, now: OffsetDateTime) -> String {
    let mut out = format!(
        "run {} of {} version {}: {} ({}",
        run.id,
        run.workflow,
        run.version,
        run.status,
        trigger_text(run)
    );
    if let Some(ms) = span_ms(run.started_at, run.finished_at, now) {
        out.push_str(&format!(", {}", render::duration(ms)));
    }
    out.push_str(")\n");
    if let Some(error) = &run.error {
        out.push_str(&format!("error: {error}\n"));
    }
    for node in &run.nodes {
        let mut header = format!(
            "== {} ({}, attempt {}",
            node.node, node.status, node.attempt
        );
        if let Some(ms) = span_ms(node.started_at, node.finished_at, now) {
            header.push_str(&format!(", {}", render::duration(ms)));
        }
        header.push(')');
        out.push_str(&header);
        out.push('\n');
        if let Some(port) = &node.port {
            out.push_str(&format!("port: {port}\n"));
        }
        if let Some(approval) = node.approval.as_ref().filter(|_| node.status == "waiting") {
            out.push_str(&format!(
                "waiting for approval ({}): {}\napprove with `windflow workflow approve {} {}` (or --reject)\n",
                approval.role, approval.message, run.id, node.node
            ));
        }
        if !node.logs.is_empty() {
            out.push_str(&node.logs);
            if !node.logs.ends_with('\n') {
                out.push('\n');
            }
        }
        if let Some(error) = &node.error {
            out.push_str(&format!("error: {error}\n"));
        }
        if let Some(output) = node.output.as_ref().filter(|o| !is_empty_output(o)) {
            out.push_str("output: ");
            out.push_str(&serde_json::to_string_pretty(output).unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

fn is_empty_output(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Asks on the terminal; refused when standard input is not one.
fn confirm(question: &str) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            exit::USAGE,
            format!("{question} Not on a terminal: pass --yes"),
        ));
    }
    eprint!("{question} Type 'yes' to go on: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    if answer.trim() != "yes" {
        return Err(Failure::new(exit::FAILURE, "nothing was deleted"));
    }
    Ok(())
}

// ---- channels ------------------------------------------------------------------------

async fn channel(g: &Global, command: &ChannelCommand) -> Result<()> {
    match command {
        ChannelCommand::Ls { server } => {
            let s = connect(server)?;
            let list: Vec<NotificationChannel> =
                s.client.get(&s.org_path("/notification-channels")).await?;
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            let mut table = render::table(["NAME", "KIND", "SETTINGS", "CREATED"]);
            for c in &list {
                table.add_row([
                    c.name.clone(),
                    c.kind.clone(),
                    settings_text(&c.settings),
                    format_time(&c.created_at),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        ChannelCommand::Add(args) => {
            let channel = channel_settings(args, &|name| std::env::var(name).ok())?;
            let s = connect(&args.server)?;
            let created: NotificationChannel = s
                .client
                .post(
                    &s.org_path("/notification-channels"),
                    &CreateNotificationChannelRequest {
                        name: args.name.clone(),
                        channel,
                    },
                )
                .await?;
            if g.output == Output::Json {
                print_json(&created);
            } else {
                println!(
                    "added the {} channel {}; name it in a notify node's `channel`, and try it with `windflow workflow channel test {}`",
                    created.kind, created.name, created.name
                );
            }
            Ok(())
        }
        ChannelCommand::Rm { name, yes, server } => {
            let s = connect(server)?;
            if !yes {
                confirm(&format!("Remove the notification channel {name}?"))?;
            }
            s.client
                .delete(&s.org_path(&format!("/notification-channels/{}", segment(name))))
                .await?;
            if g.output == Output::Json {
                print_json(&json!({ "deleted": name }));
            } else {
                println!("removed the notification channel {name}");
            }
            Ok(())
        }
        ChannelCommand::Test { name, server } => {
            let s = connect(server)?;
            let path = s.org_path(&format!("/notification-channels/{}/test", segment(name)));
            let answer = post_lenient(&s, &path, None::<&Value>).await?;
            if g.output == Output::Json {
                print_json(&answer.unwrap_or_else(|| json!({ "channel": name, "sent": true })));
            } else {
                println!("sent a test notification through {name}");
            }
            Ok(())
        }
    }
}

/// A channel's public settings in one line; a secret shows as `token set`, never a value.
fn settings_text(settings: &Value) -> String {
    let Some(map) = settings.as_object() else {
        return String::new();
    };
    map.iter()
        .filter(|(key, _)| key.as_str() != "kind")
        .filter_map(|(key, value)| {
            if let Some(secret) = key.strip_suffix("_set") {
                return (value == &Value::Bool(true)).then(|| format!("{secret} set"));
            }
            Some(match value {
                Value::String(text) => format!("{key}={text}"),
                Value::Array(items) => format!(
                    "{key}={}",
                    items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string).unwrap_or(i.to_string()))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                other => format!("{key}={other}"),
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A secret from its file (`-`: standard input), else from the environment variable.
fn secret_value(
    file: Option<&Path>,
    env: &str,
    what: &str,
    getenv: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>> {
    if let Some(file) = file {
        return read_secret(file, what).map(Some);
    }
    Ok(getenv(env)
        .map(|v| v.trim_end_matches(['\n', '\r']).to_string())
        .filter(|v| !v.is_empty()))
}

/// The `channel` object of `channel add`: `kind` and its settings, secrets included.
fn channel_settings(
    args: &ChannelAddArgs,
    getenv: &dyn Fn(&str) -> Option<String>,
) -> Result<Value> {
    let usage = |message: String| Failure::new(exit::USAGE, message);
    let kind = args.kind.as_str();
    let not_for = |flag: &str, given: bool| -> Result<()> {
        if given {
            Err(usage(format!("{flag} does not apply to a {kind} channel")))
        } else {
            Ok(())
        }
    };
    let email = kind == "email";
    not_for("--smtp-host", !email && args.host.is_some())?;
    not_for("--port", !email && args.port.is_some())?;
    not_for("--security", !email && args.security.is_some())?;
    not_for(
        "--accept-invalid-certs",
        !email && args.accept_invalid_certs,
    )?;
    not_for("--username", !email && args.username.is_some())?;
    not_for("--password-file", !email && args.password_file.is_some())?;
    not_for("--from", !email && args.from.is_some())?;
    not_for("--to", !email && !args.to.is_empty())?;
    not_for(
        "--secret-file",
        kind != "webhook" && args.secret_file.is_some(),
    )?;
    not_for(
        "--token-file",
        !matches!(kind, "ntfy" | "gotify") && args.token_file.is_some(),
    )?;
    not_for(
        "--url-file",
        !matches!(kind, "slack" | "discord") && args.url_file.is_some(),
    )?;
    let mut channel = Map::new();
    channel.insert("kind".into(), Value::String(kind.into()));
    let public_url = || {
        args.url
            .clone()
            .ok_or_else(|| usage(format!("a {kind} channel needs --url")))
    };
    match kind {
        "webhook" => {
            channel.insert("url".into(), public_url()?.into());
            if let Some(secret) = secret_value(
                args.secret_file.as_deref(),
                CHANNEL_SECRET_ENV,
                "the signing secret",
                getenv,
            )? {
                channel.insert("secret".into(), secret.into());
            }
        }
        "slack" | "discord" => {
            if args.url.is_some() {
                return Err(usage(format!(
                    "a {kind} webhook URL embeds its token: pass it with --url-file FILE (or -) or {CHANNEL_URL_ENV}, not --url"
                )));
            }
            let url = secret_value(
                args.url_file.as_deref(),
                CHANNEL_URL_ENV,
                "the webhook URL",
                getenv,
            )?
            .ok_or_else(|| {
                usage(format!(
                    "a {kind} channel needs its webhook URL: --url-file FILE (or -) or {CHANNEL_URL_ENV}"
                ))
            })?;
            channel.insert("url".into(), url.into());
        }
        "ntfy" | "gotify" => {
            channel.insert("url".into(), public_url()?.into());
            let token = secret_value(
                args.token_file.as_deref(),
                CHANNEL_TOKEN_ENV,
                "the token",
                getenv,
            )?;
            match token {
                Some(token) => {
                    channel.insert("token".into(), token.into());
                }
                None if kind == "gotify" => {
                    return Err(usage(format!(
                        "a gotify channel needs its application token: --token-file FILE (or -) or {CHANNEL_TOKEN_ENV}"
                    )));
                }
                None => {}
            }
        }
        "email" => {
            not_for("--url", args.url.is_some())?;
            let host = args.host.clone().ok_or_else(|| {
                usage("an email channel needs --smtp-host (the SMTP server)".into())
            })?;
            let from = args
                .from
                .clone()
                .ok_or_else(|| usage("an email channel needs --from (the sender)".into()))?;
            if args.to.is_empty() {
                return Err(usage(
                    "an email channel needs at least one --to (a recipient)".into(),
                ));
            }
            let security = args.security.clone().unwrap_or_else(|| "starttls".into());
            let port = args.port.unwrap_or(match security.as_str() {
                "tls" => 465,
                "none" => 25,
                _ => 587,
            });
            channel.insert("host".into(), host.into());
            channel.insert("port".into(), port.into());
            channel.insert("security".into(), security.into());
            if args.accept_invalid_certs {
                channel.insert("accept_invalid_certs".into(), true.into());
            }
            if let Some(username) = &args.username {
                channel.insert("username".into(), username.clone().into());
            }
            let password = secret_value(
                args.password_file.as_deref(),
                CHANNEL_PASSWORD_ENV,
                "the SMTP password",
                getenv,
            )?;
            match (password, &args.username) {
                (Some(password), Some(_)) => {
                    channel.insert("password".into(), password.into());
                }
                (Some(_), None) if args.password_file.is_some() => {
                    return Err(usage("--password-file needs --username".into()));
                }
                (None, Some(_)) => {
                    return Err(usage(format!(
                        "--username needs its password: --password-file FILE (or -) or {CHANNEL_PASSWORD_ENV}"
                    )));
                }
                _ => {}
            }
            channel.insert("from".into(), from.into());
            channel.insert("to".into(), args.to.clone().into());
        }
        other => return Err(usage(format!("unknown channel kind {other}"))),
    }
    Ok(Value::Object(channel))
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use time::macros::datetime;

    use super::*;

    fn parses(args: &str) -> bool {
        let argv = ["windflow", "workflow"]
            .into_iter()
            .chain(args.split_whitespace());
        crate::Cli::try_parse_from(argv).is_ok()
    }

    #[test]
    fn inputs_are_strings_unless_given_as_json() {
        assert_eq!(parse_input("version=3"), Ok(("version".into(), json!("3"))));
        assert_eq!(parse_input("count:=3"), Ok(("count".into(), json!(3))));
        assert_eq!(parse_input("dry:=true"), Ok(("dry".into(), json!(true))));
        assert_eq!(
            parse_input(r#"tags:=["a","b"]"#),
            Ok(("tags".into(), json!(["a", "b"])))
        );
        assert_eq!(parse_input("empty="), Ok(("empty".into(), json!(""))));
        assert_eq!(
            parse_input("url=http://h/?a=b"),
            Ok(("url".into(), json!("http://h/?a=b")))
        );
        assert_eq!(parse_input("k=a:=b"), Ok(("k".into(), json!("a:=b"))));
        assert!(parse_input("novalue").is_err());
        assert!(parse_input("=v").is_err());
        assert!(parse_input(":=1").is_err());
        assert!(parse_input("n:=not json").is_err());
        let map = input_map(&[("a".into(), json!("1")), ("b".into(), json!(2))]).unwrap();
        assert_eq!(json!(map), json!({"a": "1", "b": 2}));
        assert!(input_map(&[("a".into(), json!("1")), ("a".into(), json!("2"))]).is_err());
    }

    #[test]
    fn durations_and_ages_read_short() {
        let start = datetime!(2026-01-01 10:00:00 UTC);
        let now = datetime!(2026-01-01 10:05:00 UTC);
        assert_eq!(span_ms(None, None, now), None);
        assert_eq!(
            span_ms(Some(start), Some(datetime!(2026-01-01 10:00:01.5 UTC)), now),
            Some(1500)
        );
        assert_eq!(span_ms(Some(start), None, now), Some(300_000));
        assert_eq!(span_ms(Some(now), Some(start), now), Some(0));
        assert_eq!(render::duration(300_000), "5m00s");
        assert_eq!(age(datetime!(2026-01-01 10:04:48 UTC), now), "12s ago");
        assert_eq!(age(start, now), "5m ago");
        assert_eq!(age(datetime!(2026-01-01 07:00:00 UTC), now), "3h ago");
        assert_eq!(age(datetime!(2025-12-29 10:05:00 UTC), now), "3d ago");
        assert_eq!(age(datetime!(2026-01-01 10:06:00 UTC), now), "0s ago");
    }

    #[test]
    fn local_errors_name_file_line_column_and_field() {
        let e = windflow_workflow::Workflow::from_yaml(
            "name: x\nnodes:\n  - id: a\n    type: join\n    retry: { count: many }\n",
        )
        .unwrap_err();
        assert_eq!(
            parse_error_text("wf.yaml", &e),
            "wf.yaml:5:21: nodes[0].retry.count: invalid u32"
        );
        let e = windflow_workflow::ParseError {
            line: Some(4),
            column: Some(11),
            path: Some("nodes[0].retry.count".into()),
            message: "invalid type".into(),
        };
        assert_eq!(
            parse_error_text("f.yaml", &e),
            "f.yaml:4:11: nodes[0].retry.count: invalid type"
        );
        let e = windflow_workflow::ParseError {
            line: None,
            column: None,
            path: None,
            message: "too large".into(),
        };
        assert_eq!(parse_error_text("f.yaml", &e), "f.yaml: too large");
    }

    #[test]
    fn validation_issues_print_one_per_line_with_their_field() {
        let wf = windflow_workflow::Workflow::from_yaml(
            "name: demo\nnodes:\n  - id: x\n    type: deploy\n    stack: ''\n  - id: y\n    type: wait\n    duration: 5s\nedges:\n  - { from: y, to: nowhere }\n",
        );
        let wf = wf.expect("parses");
        let failure = local_issues("wf.yaml", &wf).expect("invalid");
        assert_eq!(failure.code, INVALID_FILE);
        for line in failure.message.lines() {
            assert!(line.starts_with("wf.yaml: "), "{line}");
        }
        assert!(
            failure.message.contains("wf.yaml: edges[0]"),
            "{}",
            failure.message
        );
        assert_eq!(
            issue_lines(
                "f.yaml",
                [("nodes.x.stack", "is required"), ("", "no nodes")]
            ),
            "f.yaml: nodes.x.stack: is required\nf.yaml: no nodes"
        );
    }

    fn node(id: &str, status: &str, attempt: i64) -> WorkflowNodeRun {
        WorkflowNodeRun {
            node: id.into(),
            status: status.into(),
            port: None,
            attempt,
            input: None,
            output: None,
            logs: String::new(),
            error: None,
            started_at: None,
            finished_at: None,
            approval: None,
        }
    }

    fn run(nodes: Vec<WorkflowNodeRun>) -> WorkflowRun {
        WorkflowRun {
            id: "r1".into(),
            workflow: "demo".into(),
            version: 2,
            status: "running".into(),
            trigger: windflow_protocol::WorkflowTrigger {
                kind: "manual".into(),
                payload: json!({}),
            },
            inputs: json!({}),
            requested_by: Some("alice".into()),
            attempts: 1,
            error: None,
            created_at: datetime!(2026-01-01 10:00:00 UTC),
            started_at: Some(datetime!(2026-01-01 10:00:00 UTC)),
            finished_at: None,
            nodes,
        }
    }

    #[test]
    fn progress_prints_each_change_once_and_how_to_approve() {
        let mut seen = HashMap::new();
        let first = run(vec![node("a", "running", 1), node("b", "pending", 0)]);
        assert_eq!(progress_lines(&first, &mut seen), ["node a: running"]);
        assert!(progress_lines(&first, &mut seen).is_empty());
        let mut failed = node("a", "failed", 2);
        failed.error = Some("boom\nmore".into());
        let mut gate = node("b", "waiting", 1);
        gate.approval = Some(windflow_protocol::WorkflowApproval {
            role: "operator".into(),
            message: "ship it?".into(),
            expires_at: None,
        });
        let second = run(vec![node("a", "running", 2), gate]);
        let lines = progress_lines(&second, &mut seen);
        assert_eq!(lines[0], "node a: running (attempt 2)");
        assert_eq!(lines[1], "node b: waiting");
        assert!(lines[2].contains("an operator: ship it?"), "{}", lines[2]);
        assert!(
            lines[3].contains("windflow workflow approve r1 b"),
            "{}",
            lines[3]
        );
        let third = run(vec![failed]);
        assert_eq!(progress_lines(&third, &mut seen), ["node a: failed: boom"]);
    }

    #[test]
    fn logs_print_each_node_with_its_header_logs_error_and_output() {
        let mut a = node("pull", "succeeded", 1);
        a.started_at = Some(datetime!(2026-01-01 10:00:00 UTC));
        a.finished_at = Some(datetime!(2026-01-01 10:00:02 UTC));
        a.logs = "cloned\n".into();
        a.output = Some(json!({"commit": "abc"}));
        let mut b = node("deploy", "failed", 3);
        b.error = Some("target down".into());
        b.logs = "trying".into();
        let mut r = run(vec![a, b, node("notify", "skipped", 0)]);
        r.status = "failed".into();
        r.finished_at = Some(datetime!(2026-01-01 10:00:05 UTC));
        let text = run_logs(&r, datetime!(2026-01-01 11:00:00 UTC));
        let expected = "run r1 of demo version 2: failed (manual by alice, 5.0s)\n\
== pull (succeeded, attempt 1, 2.0s)\n\
cloned\n\
output: {\n  \"commit\": \"abc\"\n}\n\
== deploy (failed, attempt 3)\n\
trying\n\
error: target down\n\
== notify (skipped, attempt 0)\n";
        assert_eq!(text, expected);
        assert!(outcome(&r).is_err());
        r.status = "succeeded".into();
        assert!(outcome(&r).is_ok());
    }

    #[test]
    fn the_command_line_holds_no_secret_and_pairs_from_run_with_from_node() {
        for (args, ok) in [
            ("ls", true),
            ("show w --version 2 --yaml", true),
            ("apply -f wf.yaml", true),
            ("validate -f wf.yaml --local", true),
            ("rm w --yes", true),
            ("run w --input a=1 -i b:=2 --wait", true),
            ("run w --from-run r --from-node n", true),
            ("run w --from-run r", false),
            ("run w --from-node n", false),
            ("run w --input novalue", false),
            ("runs w --limit 5", true),
            ("logs r --follow", true),
            ("approve r n --reject --comment no", true),
            ("cancel r", true),
            ("webhook w", true),
            ("versions w", true),
            ("channel ls", true),
            ("channel add c --kind slack --url-file f", true),
            ("channel add c --kind slack --url-file f --url u", false),
            ("channel add c --kind webhook --url u --secret-file f", true),
            ("channel add c --kind webhook --url u --secret s", false),
            ("channel add c --kind gotify --url u --token t", false),
            (
                "channel add c --kind email --smtp-host h --port 587 --security starttls --username u --password-file f --from a@b --to c@d --to e@f",
                true,
            ),
            (
                "channel add c --kind email --smtp-host h --password p",
                false,
            ),
            ("channel add c --kind sms", false),
            ("channel rm c --yes", true),
            ("channel test c", true),
        ] {
            assert_eq!(parses(args), ok, "{args}");
        }
    }

    fn add_args(args: &str) -> ChannelAddArgs {
        let argv = ["windflow", "workflow", "channel", "add"]
            .into_iter()
            .chain(args.split_whitespace());
        match crate::Cli::try_parse_from(argv).unwrap().command {
            crate::Command::Workflow(WorkflowCommand::Channel(ChannelCommand::Add(args))) => *args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn channels_take_secrets_from_files_or_the_environment() {
        let dir = std::env::temp_dir().join(format!("wf-channel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = dir.join("secret");
        std::fs::write(&secret, "s3cr3t\n").unwrap();
        let secret = secret.display();
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let none = env(&[]);
        let build = |args: &str, getenv: &dyn Fn(&str) -> Option<String>| {
            channel_settings(&add_args(args), getenv).map_err(|f| f.message)
        };
        assert_eq!(
            build(
                &format!("c --kind webhook --url https://h --secret-file {secret}"),
                &none
            ),
            Ok(json!({"kind": "webhook", "url": "https://h", "secret": "s3cr3t"}))
        );
        assert_eq!(
            build("c --kind webhook --url https://h", &none),
            Ok(json!({"kind": "webhook", "url": "https://h"}))
        );
        assert_eq!(
            build(
                "c --kind slack",
                &env(&[(CHANNEL_URL_ENV, "https://hooks.slack.com/x\n")])
            ),
            Ok(json!({"kind": "slack", "url": "https://hooks.slack.com/x"}))
        );
        let e = build("c --kind discord --url https://discord/x", &none).unwrap_err();
        assert!(e.contains("--url-file"), "{e}");
        assert!(!e.contains("discord/x"), "a secret is echoed: {e}");
        assert!(build("c --kind slack", &none).is_err());
        assert!(build("c --kind gotify --url https://g", &none).is_err());
        assert_eq!(
            build(
                "c --kind gotify --url https://g",
                &env(&[(CHANNEL_TOKEN_ENV, "tok")])
            ),
            Ok(json!({"kind": "gotify", "url": "https://g", "token": "tok"}))
        );
        assert_eq!(
            build("c --kind ntfy --url https://ntfy.sh/t", &none),
            Ok(json!({"kind": "ntfy", "url": "https://ntfy.sh/t"}))
        );
        assert_eq!(
            build(
                &format!(
                    "c --kind email --smtp-host smtp --security tls --username u --password-file {secret} --from a@b --to c@d --to e@f"
                ),
                &none
            ),
            Ok(json!({
                "kind": "email", "host": "smtp", "port": 465, "security": "tls",
                "username": "u", "password": "s3cr3t", "from": "a@b", "to": ["c@d", "e@f"]
            }))
        );
        assert!(build("c --kind email --smtp-host smtp --from a@b", &none).is_err());
        assert!(
            build(
                "c --kind email --smtp-host smtp --username u --from a@b --to c",
                &none
            )
            .is_err()
        );
        assert!(build("c --kind slack --smtp-host smtp", &none).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn channel_settings_show_which_secrets_are_set_not_their_values() {
        assert_eq!(
            settings_text(&json!({
                "kind": "email", "host": "smtp", "port": 587, "password_set": true,
                "to": ["a@b", "c@d"], "token_set": false
            })),
            "host=smtp port=587 password set to=a@b,c@d"
        );
    }

    #[test]
    fn documents_print_as_yaml_that_applies_back() {
        let wf = windflow_workflow::Workflow::from_yaml(
            "name: demo\nnodes:\n  - id: w\n    type: wait\n    duration: 5s\n",
        )
        .unwrap();
        let yaml = document_yaml(&wf.to_json());
        assert_eq!(windflow_workflow::Workflow::from_yaml(&yaml).unwrap(), wf);
        let odd = json!({"name": "x", "future_field": 1});
        assert!(document_yaml(&odd).contains("future_field"));
    }
}
