//! The workflow document: the same shape as JSON over the API and as YAML in files. Every
//! string setting of a node is a template (see [`crate::expr::Template`]) and stays a string
//! here; the engine renders it at run time. Serializing leaves out defaults and absent
//! settings, so an exported document stays as short as the one that was written.

use std::fmt;
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A workflow document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The inputs of a manual run, in declaration order.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, InputSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    #[serde(default, skip_serializing_if = "Concurrency::is_default")]
    pub concurrency: Concurrency,
    #[serde(default)]
    pub nodes: Vec<Node>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<Edge>,
}

/// One declared input of a manual run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The value when the run does not give one (`null` when written as such).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub default: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
}

/// What starts a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    Manual,
    Cron {
        /// croner syntax, 5 or 6 fields.
        schedule: String,
        /// An IANA zone; UTC when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone: Option<String>,
    },
    Webhook {
        #[serde(default)]
        provider: WebhookProvider,
        /// Only pushes to this branch start a run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<String>,
    },
    Event {
        event: EventKind,
        /// Only events of this stack start a run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stack: Option<String>,
    },
}

impl Trigger {
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Cron { .. } => "cron",
            Trigger::Webhook { .. } => "webhook",
            Trigger::Event { .. } => "event",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookProvider {
    #[default]
    Generic,
    Github,
    Gitlab,
    Gitea,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    DeploymentSucceeded,
    DeploymentFailed,
    DeploymentRolledBack,
    TargetDown,
    TargetUp,
    CertificateExpiring,
    ContainerUnhealthy,
    ContainerRestarting,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::DeploymentSucceeded,
        EventKind::DeploymentFailed,
        EventKind::DeploymentRolledBack,
        EventKind::TargetDown,
        EventKind::TargetUp,
        EventKind::CertificateExpiring,
        EventKind::ContainerUnhealthy,
        EventKind::ContainerRestarting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::DeploymentSucceeded => "deployment_succeeded",
            EventKind::DeploymentFailed => "deployment_failed",
            EventKind::DeploymentRolledBack => "deployment_rolled_back",
            EventKind::TargetDown => "target_down",
            EventKind::TargetUp => "target_up",
            EventKind::CertificateExpiring => "certificate_expiring",
            EventKind::ContainerUnhealthy => "container_unhealthy",
            EventKind::ContainerRestarting => "container_restarting",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// How many runs of the workflow may be active at once, and what happens to one more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concurrency {
    #[serde(default = "one")]
    pub limit: u32,
    #[serde(default)]
    pub policy: ConcurrencyPolicy,
}

impl Default for Concurrency {
    fn default() -> Concurrency {
        Concurrency {
            limit: 1,
            policy: ConcurrencyPolicy::Queue,
        }
    }
}

impl Concurrency {
    fn is_default(&self) -> bool {
        *self == Concurrency::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcurrencyPolicy {
    /// The new run waits for a slot.
    #[default]
    Queue,
    /// The new run is not started.
    Skip,
    /// The oldest active run is cancelled to make room.
    CancelOlder,
}

/// One step of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    /// A label shown on the canvas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub action: Action,
    #[serde(default, skip_serializing_if = "Retry::is_default")]
    pub retry: Retry,
    /// Per attempt, a duration such as "2m".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub continue_on_error: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// Attempts after the first failure; the wait before each doubles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    #[serde(default)]
    pub count: u32,
    #[serde(default = "ten_seconds")]
    pub backoff: String,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            count: 0,
            backoff: ten_seconds(),
        }
    }
}

impl Retry {
    fn is_default(&self) -> bool {
        *self == Retry::default()
    }
}

/// A node's place on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// What a node does, with its settings. Every string setting is a template, except the
/// expressions of `condition` and `switch` (expressions without `${{ }}`), `switch.cases`,
/// `http.method`, `approval.role` and the durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    Deploy {
        #[serde(default)]
        stack: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
        /// Target labels, e.g. "env=staging".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        selector: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        environment: Option<String>,
        #[serde(default = "latest", skip_serializing_if = "is_latest")]
        version: String,
    },
    Rollback {
        #[serde(default)]
        stack: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
    },
    GitUpdate {
        #[serde(default)]
        stack: String,
        #[serde(default)]
        repository: String,
        /// A branch or a tag.
        #[serde(default = "main_branch", skip_serializing_if = "is_main_branch")]
        reference: String,
        #[serde(default = "compose_yaml", skip_serializing_if = "is_compose_yaml")]
        path: String,
    },
    Wait {
        #[serde(default)]
        duration: String,
    },
    Condition {
        #[serde(default)]
        expression: String,
    },
    Switch {
        /// An expression.
        #[serde(default)]
        value: String,
        #[serde(default)]
        cases: Vec<String>,
    },
    Join {},
    Http {
        #[serde(default = "get", skip_serializing_if = "is_get")]
        method: String,
        #[serde(default)]
        url: String,
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        headers: IndexMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        /// Empty: any 2xx.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        expect_status: Vec<u16>,
    },
    Exec {
        #[serde(default)]
        stack: String,
        #[serde(default)]
        service: String,
        #[serde(default)]
        command: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
    },
    /// How long the approval may wait is the node's `timeout` (a node-level setting, so the
    /// approval has none of its own).
    Approval {
        /// viewer, operator or admin: the least role that may decide.
        #[serde(default = "operator", skip_serializing_if = "is_operator")]
        role: String,
        #[serde(default)]
        message: String,
    },
    Notify {
        #[serde(default)]
        channel: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default)]
        message: String,
    },
    Ai {
        #[serde(default)]
        prompt: String,
    },
    Call {
        #[serde(default)]
        workflow: String,
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        inputs: IndexMap<String, String>,
    },
    Set {
        #[serde(default)]
        values: IndexMap<String, String>,
    },
}

impl Action {
    /// The node type as written in documents.
    pub fn type_name(&self) -> &'static str {
        match self {
            Action::Deploy { .. } => "deploy",
            Action::Rollback { .. } => "rollback",
            Action::GitUpdate { .. } => "git_update",
            Action::Wait { .. } => "wait",
            Action::Condition { .. } => "condition",
            Action::Switch { .. } => "switch",
            Action::Join {} => "join",
            Action::Http { .. } => "http",
            Action::Exec { .. } => "exec",
            Action::Approval { .. } => "approval",
            Action::Notify { .. } => "notify",
            Action::Ai { .. } => "ai",
            Action::Call { .. } => "call",
            Action::Set { .. } => "set",
        }
    }

    /// The named outputs of a branching node (`condition`: "true", "false"; `switch`: each
    /// case then "default"); `None` for a node with one unnamed output.
    pub fn ports(&self) -> Option<Vec<String>> {
        match self {
            Action::Condition { .. } => Some(vec!["true".to_string(), "false".to_string()]),
            Action::Switch { cases, .. } => {
                let mut ports = cases.clone();
                ports.push("default".to_string());
                Some(ports)
            }
            _ => None,
        }
    }

    /// Every template setting as (setting, text); the entries of a map or a list share their
    /// setting's name (see [`Action::template_settings`] for their full paths).
    pub fn templates(&self) -> Vec<(&'static str, &str)> {
        self.template_settings()
            .into_iter()
            .map(|(setting, _, text)| (setting, text))
            .collect()
    }

    /// Every template setting as (setting, path below the node, text), e.g.
    /// `("headers", "headers.Authorization", "Bearer ${{ inputs.token }}")`.
    pub fn template_settings(&self) -> Vec<(&'static str, String, &str)> {
        let mut out: Vec<(&'static str, String, &str)> = Vec::new();
        fn one<'a>(out: &mut Vec<(&'static str, String, &'a str)>, name: &'static str, v: &'a str) {
            out.push((name, name.to_string(), v));
        }
        fn opt<'a>(
            out: &mut Vec<(&'static str, String, &'a str)>,
            name: &'static str,
            v: &'a Option<String>,
        ) {
            if let Some(v) = v {
                out.push((name, name.to_string(), v));
            }
        }
        fn map<'a>(
            out: &mut Vec<(&'static str, String, &'a str)>,
            name: &'static str,
            m: &'a IndexMap<String, String>,
        ) {
            for (k, v) in m {
                out.push((name, format!("{name}.{k}"), v));
            }
        }
        match self {
            Action::Deploy {
                stack,
                target,
                selector,
                environment,
                version,
            } => {
                one(&mut out, "stack", stack);
                opt(&mut out, "target", target);
                opt(&mut out, "selector", selector);
                opt(&mut out, "environment", environment);
                one(&mut out, "version", version);
            }
            Action::Rollback { stack, target } => {
                one(&mut out, "stack", stack);
                opt(&mut out, "target", target);
            }
            Action::GitUpdate {
                stack,
                repository,
                reference,
                path,
            } => {
                one(&mut out, "stack", stack);
                one(&mut out, "repository", repository);
                one(&mut out, "reference", reference);
                one(&mut out, "path", path);
            }
            Action::Wait { .. }
            | Action::Condition { .. }
            | Action::Switch { .. }
            | Action::Join {} => {}
            Action::Http {
                url, headers, body, ..
            } => {
                one(&mut out, "url", url);
                map(&mut out, "headers", headers);
                opt(&mut out, "body", body);
            }
            Action::Exec {
                stack,
                service,
                command,
                target,
            } => {
                one(&mut out, "stack", stack);
                one(&mut out, "service", service);
                for (i, part) in command.iter().enumerate() {
                    out.push(("command", format!("command[{i}]"), part));
                }
                opt(&mut out, "target", target);
            }
            Action::Approval { message, .. } => one(&mut out, "message", message),
            Action::Notify {
                channel,
                title,
                message,
            } => {
                one(&mut out, "channel", channel);
                opt(&mut out, "title", title);
                one(&mut out, "message", message);
            }
            Action::Ai { prompt } => one(&mut out, "prompt", prompt),
            Action::Call { workflow, inputs } => {
                one(&mut out, "workflow", workflow);
                map(&mut out, "inputs", inputs);
            }
            Action::Set { values } => map(&mut out, "values", values),
        }
        out
    }

    /// The settings that are expressions (no `${{ }}`): `condition.expression`,
    /// `switch.value`.
    pub fn expressions(&self) -> Vec<(&'static str, &str)> {
        match self {
            Action::Condition { expression } => vec![("expression", expression.as_str())],
            Action::Switch { value, .. } => vec![("value", value.as_str())],
            _ => Vec::new(),
        }
    }
}

/// An arrow of the graph: `to` runs after `from`; from a branching node, only when `from`
/// chose `port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
}

/// A document that does not read as a workflow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// 1-based; `None` for JSON documents, which have no lines.
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// The field at fault, e.g. `nodes[2].retry.count`, when known.
    pub path: Option<String>,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
            write!(f, ": ")?;
        }
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// The largest document read, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

impl Workflow {
    /// Reads a YAML document; errors carry the line and column and, when known, the field.
    pub fn from_yaml(text: &str) -> Result<Workflow, ParseError> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        let mut path: Option<String> = None;
        let result = serde_saphyr::with_deserializer_from_str(text, |de| {
            let mut track = serde_path_to_error::Track::new();
            let tracked = serde_path_to_error::Deserializer::new(de, &mut track);
            Workflow::deserialize(tracked).inspect_err(|_| {
                path = Some(track.path().to_string());
            })
        });
        result.map_err(|e| {
            let location = e.location();
            let inner = e.without_snippet();
            let message = strip_location(&inner.to_string());
            ParseError {
                line: location.map(|l| l.line()).filter(|l| *l > 0),
                column: location.map(|l| l.column()).filter(|c| *c > 0),
                path: path.filter(|p| !p.is_empty() && p != "."),
                message,
            }
        })
    }

    /// Reads a JSON document (as received by the API); errors name the field.
    pub fn from_json(value: serde_json::Value) -> Result<Workflow, ParseError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            ParseError {
                line: None,
                column: None,
                path: (!path.is_empty() && path != ".").then_some(path),
                message: e.into_inner().to_string(),
            }
        })
    }

    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self).expect("a workflow serializes to YAML")
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a workflow serializes to JSON")
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

fn too_large() -> ParseError {
    ParseError {
        line: None,
        column: None,
        path: None,
        message: format!("the document is larger than {MAX_DOCUMENT_BYTES} bytes"),
    }
}

/// serde-saphyr appends " at line L column C" to some messages; the position is kept apart.
fn strip_location(message: &str) -> String {
    let first = message.lines().next().unwrap_or("").trim();
    match first.rfind(" at line ") {
        Some(at) => first[..at].trim_end().to_string(),
        None => first.to_string(),
    }
}

/// The longest duration accepted anywhere in a workflow.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Reads a duration such as "500ms", "30s", "5m", "1h30m" or "2d" (at most 30 days).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty duration (e.g. \"30s\", \"5m\", \"1h30m\")".to_string());
    }
    let invalid = || {
        format!("{text:?} is not a duration (e.g. \"500ms\", \"30s\", \"5m\", \"1h30m\", \"2d\")")
    };
    let bytes = text.as_bytes();
    let mut total: u128 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 12 {
            return Err(invalid());
        }
        let number: u128 = text[start..i].parse().map_err(|_| invalid())?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let millis_per_unit: u128 = match &text[unit_start..i] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(invalid()),
        };
        total += number * millis_per_unit;
        if total > MAX_DURATION.as_millis() {
            return Err(format!("{text:?} is longer than 30 days"));
        }
    }
    Ok(Duration::from_millis(total as u64))
}

/// A value that is present, even `null`, is `Some`: `default: null` reads back as written.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn one() -> u32 {
    1
}
fn ten_seconds() -> String {
    "10s".to_string()
}
fn latest() -> String {
    "latest".to_string()
}
fn is_latest(s: &str) -> bool {
    s == "latest"
}
fn main_branch() -> String {
    "main".to_string()
}
fn is_main_branch(s: &str) -> bool {
    s == "main"
}
fn compose_yaml() -> String {
    "compose.yaml".to_string()
}
fn is_compose_yaml(s: &str) -> bool {
    s == "compose.yaml"
}
fn get() -> String {
    "GET".to_string()
}
fn is_get(s: &str) -> bool {
    s == "GET"
}
fn operator() -> String {
    "operator".to_string()
}
fn is_operator(s: &str) -> bool {
    s == "operator"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` is the duration in milliseconds, or `!message`.
    fn check_duration(text: &str, expected: &str) {
        let got = match parse_duration(text) {
            Ok(d) => d.as_millis().to_string(),
            Err(e) => format!("!{e}"),
        };
        assert_eq!(got, expected, "{text:?}");
    }

    #[test]
    fn durations() {
        check_duration("500ms", "500");
        check_duration("30s", "30000");
        check_duration("5m", "300000");
        check_duration("1h30m", "5400000");
        check_duration("2d", "172800000");
        check_duration(" 10s ", "10000");
        check_duration("30d", "2592000000");
        check_duration("31d", "!\"31d\" is longer than 30 days");
        check_duration(
            "99999999999999999999s",
            "!\"99999999999999999999s\" is not a duration (e.g. \"500ms\", \"30s\", \"5m\", \"1h30m\", \"2d\")",
        );
        check_duration("", "!an empty duration (e.g. \"30s\", \"5m\", \"1h30m\")");
        for bad in ["5", "m", "5x", "1.5s", "-1s", "5 m", "1h 30m", "s5"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    /// `expected` is `line:column path: message` of the error.
    fn check_error(yaml: &str, expected: &str) {
        let e = Workflow::from_yaml(yaml).expect_err(yaml);
        let got = format!(
            "{}:{} {}: {}",
            e.line.unwrap_or(0),
            e.column.unwrap_or(0),
            e.path.as_deref().unwrap_or("-"),
            e.message
        );
        assert_eq!(got, expected, "document:\n{yaml}");
    }

    #[test]
    fn yaml_errors_carry_lines() {
        check_error(
            "name: x\nnodes:\n  - id: a\n    type: deploy\n    stak: web\n",
            "5:5 nodes[0]: unknown field `stak`, expected one of stack, target, selector, environment, version",
        );
        check_error(
            "name: x\nnodes:\n  - id: a\n    type: deplo\n",
            "4:5 nodes[0]: unknown variant `deplo`, expected one of deploy, rollback, git_update, wait, condition, switch, join, http, exec, approval, notify, ai, call, set",
        );
        check_error(
            "name: x\nnodes:\n  - id: a\n    type: join\n    retry: { count: many }\n",
            "5:21 nodes[0].retry.count: invalid u32",
        );
        check_error(
            "name: x\nnodez: []\n",
            "2:1 nodez: unknown field `nodez`, expected one of name, description, inputs, triggers, concurrency, nodes, edges",
        );
        check_error(
            "name: x\ntriggers:\n  - kind: cron\n",
            "3:5 triggers[0]: missing field `schedule`",
        );
        check_error(
            "name: x\nedges:\n  - { from: a, too: b }\n",
            "3:16 edges[0].too: unknown field `too`, expected one of from, to, port",
        );
        let e = Workflow::from_yaml("name: x\nnodes: [\n").unwrap_err();
        assert!(e.line.is_some(), "{e:?}");
    }

    #[test]
    fn json_errors_name_the_field() {
        let e = Workflow::from_json(serde_json::json!({
            "name": "x",
            "nodes": [{"id": "a", "type": "join", "retry": {"count": "x"}}]
        }))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "nodes[0].retry.count: invalid type: string \"x\", expected u32"
        );
        let e = Workflow::from_json(serde_json::json!({"nodes": []})).unwrap_err();
        assert_eq!(e.to_string(), "missing field `name`");
    }

    #[test]
    fn defaults_and_short_exports() {
        let wf = Workflow::from_yaml(
            "name: x\nnodes:\n  - { id: a, type: deploy, stack: web }\n  - { id: b, type: http, url: u }\n  - { id: c, type: approval, message: m }\n  - { id: d, type: git_update, stack: s, repository: r }\n",
        )
        .unwrap();
        assert_eq!(
            wf.concurrency,
            Concurrency {
                limit: 1,
                policy: ConcurrencyPolicy::Queue
            }
        );
        let node = wf.node("a").unwrap();
        assert_eq!(
            node.retry,
            Retry {
                count: 0,
                backoff: "10s".to_string()
            }
        );
        assert!(matches!(&node.action, Action::Deploy { version, .. } if version == "latest"));
        assert!(
            matches!(&wf.node("b").unwrap().action, Action::Http { method, .. } if method == "GET")
        );
        assert!(
            matches!(&wf.node("c").unwrap().action, Action::Approval { role, .. } if role == "operator")
        );
        assert_eq!(
            wf.to_json(),
            serde_json::json!({
                "name": "x",
                "nodes": [
                    {"id": "a", "type": "deploy", "stack": "web"},
                    {"id": "b", "type": "http", "url": "u"},
                    {"id": "c", "type": "approval", "message": "m"},
                    {"id": "d", "type": "git_update", "stack": "s", "repository": "r"},
                ]
            })
        );
        assert_eq!(Workflow::from_json(wf.to_json()).unwrap(), wf);
    }

    #[test]
    fn input_defaults_read_back_as_written() {
        let wf = Workflow::from_yaml(
            "name: x\ninputs:\n  a: {default: ~}\n  c: {}\n  d: {default: [1, two]}\nnodes: []\n",
        )
        .unwrap();
        let defaults: Vec<Option<serde_json::Value>> =
            wf.inputs.values().map(|i| i.default.clone()).collect();
        assert_eq!(
            defaults,
            [
                Some(serde_json::Value::Null),
                None,
                Some(serde_json::json!([1, "two"]))
            ]
        );
        assert_eq!(Workflow::from_json(wf.to_json()).unwrap(), wf);
        assert_eq!(Workflow::from_yaml(&wf.to_yaml()).unwrap(), wf);
        // Non-finite defaults are refused by the YAML reader.
        let e = Workflow::from_yaml("name: x\ninputs:\n  b: {default: .nan}\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn ports_and_templates() {
        let wf = Workflow::from_yaml(concat!(
            "name: x\nnodes:\n",
            "  - { id: c, type: condition, expression: 'true' }\n",
            "  - { id: s, type: switch, value: v, cases: [blue, green] }\n",
            "  - { id: h, type: http, url: u, headers: { A: a, B: b }, body: '{}' }\n",
            "  - { id: e, type: exec, stack: s, service: w, command: [ls, -l] }\n",
        ))
        .unwrap();
        let ports = |id: &str| wf.node(id).unwrap().action.ports();
        assert_eq!(
            ports("c"),
            Some(vec!["true".to_string(), "false".to_string()])
        );
        assert_eq!(
            ports("s"),
            Some(vec![
                "blue".to_string(),
                "green".to_string(),
                "default".to_string()
            ])
        );
        assert_eq!(ports("h"), None);
        let action = &wf.node("h").unwrap().action;
        assert_eq!(action.type_name(), "http");
        assert_eq!(
            action.templates(),
            vec![
                ("url", "u"),
                ("headers", "a"),
                ("headers", "b"),
                ("body", "{}")
            ]
        );
        let settings: Vec<String> = wf
            .node("e")
            .unwrap()
            .action
            .template_settings()
            .into_iter()
            .map(|(_, path, _)| path)
            .collect();
        assert_eq!(settings, ["stack", "service", "command[0]", "command[1]"]);
        assert_eq!(
            wf.node("c").unwrap().action.expressions(),
            vec![("expression", "true")]
        );
        assert!(wf.node("nope").is_none());
    }
}
