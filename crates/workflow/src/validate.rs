//! Everything that can be said about a document before it runs: names, the graph (unknown
//! nodes, ports, duplicates, cycles), required settings, templates and what their expressions
//! refer to, durations, schedules and limits. Each issue names the field at fault, as
//! `name`, `nodes.<id>.<setting>`, `edges[<i>].to` or `triggers[<i>].schedule`.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds};
use serde::{Deserialize, Serialize};

use crate::expr::{Expr, ExprError, Template};
use crate::graph;
use crate::model::{Action, Node, Trigger, Workflow, parse_duration};

/// One problem of a document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Issue {
    pub field: String,
    pub message: String,
}

impl Issue {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Issue {
    /// The node the issue is about, when its field is `nodes.<id>` or below.
    pub fn node(&self) -> Option<&str> {
        let rest = self.field.strip_prefix("nodes.")?;
        Some(rest.split('.').next().unwrap_or(rest))
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The roots an expression may read.
pub const ROOTS: [&str; 4] = ["trigger", "inputs", "nodes", "run"];
/// The HTTP methods of an `http` node.
pub const HTTP_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/// The roles that may decide an approval.
pub const ROLES: [&str; 3] = ["viewer", "operator", "admin"];
/// The most retries of a node.
pub const MAX_RETRIES: u32 = 10;
/// The most concurrent runs of a workflow.
pub const MAX_CONCURRENCY: u32 = 100;

/// `[a-z0-9][a-z0-9-]{0,62}`
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// `[a-z0-9_]{1,64}`
pub fn is_valid_node_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// An input name usable as `inputs.<name>`: `[A-Za-z0-9_]{1,64}`.
fn is_valid_input_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// All the problems of a document, sorted by field then message.
pub fn validate(wf: &Workflow) -> Vec<Issue> {
    let mut issues = Vec::new();
    if !is_valid_name(&wf.name) {
        issues.push(Issue::new(
            "name",
            format!(
                "{:?} is not a valid workflow name (lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters)",
                wf.name
            ),
        ));
    }
    for name in wf.inputs.keys() {
        if !is_valid_input_name(name) {
            issues.push(Issue::new(
                format!("inputs.{name}"),
                "an input name is letters, digits and '_' (at most 64)",
            ));
        }
    }
    triggers(wf, &mut issues);
    if !(1..=MAX_CONCURRENCY).contains(&wf.concurrency.limit) {
        issues.push(Issue::new(
            "concurrency.limit",
            format!("must be between 1 and {MAX_CONCURRENCY}"),
        ));
    }
    if wf.nodes.is_empty() {
        issues.push(Issue::new("nodes", "a workflow needs at least one node"));
    }
    let mut first_index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, node) in wf.nodes.iter().enumerate() {
        if !is_valid_node_id(&node.id) {
            issues.push(Issue::new(
                format!("nodes[{i}].id"),
                format!(
                    "{:?} is not a valid node id (lowercase letters, digits and '_', 1 to 64 characters)",
                    node.id
                ),
            ));
        } else if let Some(first) = first_index.get(node.id.as_str()) {
            issues.push(Issue::new(
                format!("nodes[{i}].id"),
                format!("duplicate node id {} (also nodes[{first}])", node.id),
            ));
        }
        first_index.entry(node.id.as_str()).or_insert(i);
    }
    edges(wf, &mut issues);
    if let Some(cycle) = graph::cycle(wf) {
        let mut path = cycle.clone();
        path.push(cycle[0].clone());
        issues.push(Issue::new(
            "edges",
            format!(
                "a cycle: {} (a node cannot run after itself)",
                path.join(" → ")
            ),
        ));
    }
    for (i, node) in wf.nodes.iter().enumerate() {
        let prefix = if is_valid_node_id(&node.id) && first_index.get(node.id.as_str()) == Some(&i)
        {
            format!("nodes.{}", node.id)
        } else {
            format!("nodes[{i}]")
        };
        check_node(wf, node, &prefix, &mut issues);
    }
    issues.sort();
    issues.dedup();
    issues
}

/// `Ok` when the document has no issue.
pub fn check(wf: &Workflow) -> Result<(), Vec<Issue>> {
    let issues = validate(wf);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

/// Reads a cron schedule as triggers use it: croner syntax of 5 fields, or 6 with seconds
/// first, or an alias such as `@daily`.
pub fn parse_schedule(schedule: &str) -> Result<croner::Cron, String> {
    let text = schedule.trim();
    let fields = text.split_whitespace().count();
    if !(text.starts_with('@') || fields == 5 || fields == 6) {
        return Err(format!(
            "{text:?} is not a cron expression of 5 or 6 fields (e.g. \"0 3 * * *\")"
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(text)
        .map_err(|e| format!("invalid schedule {text:?}: {e}"))
}

fn triggers(wf: &Workflow, issues: &mut Vec<Issue>) {
    let mut webhooks = 0;
    for (i, trigger) in wf.triggers.iter().enumerate() {
        match trigger {
            Trigger::Cron { schedule, timezone } => {
                if let Err(message) = parse_schedule(schedule) {
                    issues.push(Issue::new(format!("triggers[{i}].schedule"), message));
                }
                if let Some(zone) = timezone
                    && Tz::from_str(zone).is_err()
                {
                    issues.push(Issue::new(
                        format!("triggers[{i}].timezone"),
                        format!("unknown time zone {zone:?} (an IANA name, e.g. Europe/Paris)"),
                    ));
                }
            }
            Trigger::Webhook { branch, .. } => {
                webhooks += 1;
                if webhooks > 1 {
                    issues.push(Issue::new(
                        format!("triggers[{i}]"),
                        "at most one webhook trigger per workflow",
                    ));
                }
                if branch.as_deref().is_some_and(|b| b.trim().is_empty()) {
                    issues.push(Issue::new(
                        format!("triggers[{i}].branch"),
                        "an empty branch (remove it to accept every branch)",
                    ));
                }
            }
            Trigger::Manual | Trigger::Event { .. } => {}
        }
    }
}

fn edges(wf: &Workflow, issues: &mut Vec<Issue>) {
    let mut seen: BTreeMap<(&str, &str, Option<&str>), usize> = BTreeMap::new();
    for (i, edge) in wf.edges.iter().enumerate() {
        let from = wf.node(&edge.from);
        if from.is_none() {
            issues.push(Issue::new(
                format!("edges[{i}].from"),
                format!("unknown node {:?}", edge.from),
            ));
        }
        if wf.node(&edge.to).is_none() {
            issues.push(Issue::new(
                format!("edges[{i}].to"),
                format!("unknown node {:?}", edge.to),
            ));
        }
        if edge.from == edge.to {
            issues.push(Issue::new(
                format!("edges[{i}]"),
                format!("an edge from {} to itself", edge.from),
            ));
        }
        let key = (edge.from.as_str(), edge.to.as_str(), edge.port.as_deref());
        if let Some(first) = seen.get(&key) {
            issues.push(Issue::new(
                format!("edges[{i}]"),
                format!("the same edge as edges[{first}]"),
            ));
        } else {
            seen.insert(key, i);
        }
        let Some(from) = from else { continue };
        match (from.action.ports(), &edge.port) {
            (Some(ports), None) => issues.push(Issue::new(
                format!("edges[{i}].port"),
                format!(
                    "an edge from the {} node {} needs a port (one of {})",
                    from.action.type_name(),
                    from.id,
                    ports.join(", ")
                ),
            )),
            (Some(ports), Some(port)) if !ports.contains(port) => issues.push(Issue::new(
                format!("edges[{i}].port"),
                format!(
                    "{} has no port {port:?} (one of {})",
                    from.id,
                    ports.join(", ")
                ),
            )),
            (None, Some(_)) => issues.push(Issue::new(
                format!("edges[{i}].port"),
                format!(
                    "{} ({}) has a single output: remove the port",
                    from.id,
                    from.action.type_name()
                ),
            )),
            _ => {}
        }
    }
}

fn check_node(wf: &Workflow, node: &Node, prefix: &str, issues: &mut Vec<Issue>) {
    let mut issue = |setting: &str, message: String| {
        issues.push(Issue::new(format!("{prefix}.{setting}"), message));
    };
    let required = |issue: &mut dyn FnMut(&str, String), setting: &str, value: &str| {
        if value.trim().is_empty() {
            issue(setting, format!("{setting} is required"));
        }
    };
    let duration = |issue: &mut dyn FnMut(&str, String), setting: &str, value: &str| {
        if let Err(message) = parse_duration(value) {
            issue(setting, message);
        }
    };

    if let Some(position) = node.position
        && !(position.x.is_finite() && position.y.is_finite())
    {
        issue("position", "coordinates must be finite numbers".to_string());
    }
    if node.retry.count > MAX_RETRIES {
        issue("retry.count", format!("at most {MAX_RETRIES} retries"));
    }
    duration(&mut issue, "retry.backoff", &node.retry.backoff);
    if let Some(timeout) = &node.timeout {
        duration(&mut issue, "timeout", timeout);
    }

    match &node.action {
        Action::Deploy {
            stack,
            target,
            selector,
            environment,
            ..
        } => {
            required(&mut issue, "stack", stack);
            let given = [target, selector, environment]
                .iter()
                .filter(|v| v.is_some())
                .count();
            if given > 1 {
                let setting = if target.is_some() {
                    "target"
                } else {
                    "selector"
                };
                issue(
                    setting,
                    "give at most one of target, selector and environment".to_string(),
                );
            }
        }
        Action::Rollback { stack, .. } => required(&mut issue, "stack", stack),
        Action::GitUpdate {
            stack,
            repository,
            reference,
            path,
        } => {
            required(&mut issue, "stack", stack);
            required(&mut issue, "repository", repository);
            required(&mut issue, "reference", reference);
            required(&mut issue, "path", path);
        }
        Action::Wait { duration: d } => {
            if d.trim().is_empty() {
                issue("duration", "duration is required".to_string());
            } else {
                duration(&mut issue, "duration", d);
            }
        }
        Action::Condition { expression } => required(&mut issue, "expression", expression),
        Action::Switch { value, cases } => {
            required(&mut issue, "value", value);
            if cases.is_empty() {
                issue("cases", "a switch needs at least one case".to_string());
            }
            let mut seen = BTreeSet::new();
            for (i, case) in cases.iter().enumerate() {
                if case.is_empty() {
                    issue(&format!("cases[{i}]"), "an empty case".to_string());
                } else if case == "default" {
                    issue(
                        &format!("cases[{i}]"),
                        "\"default\" is the port of values that match no case".to_string(),
                    );
                } else if !seen.insert(case) {
                    issue(&format!("cases[{i}]"), format!("duplicate case {case:?}"));
                }
            }
        }
        Action::Join {} => {}
        Action::Http {
            method,
            url,
            expect_status,
            ..
        } => {
            if !HTTP_METHODS.contains(&method.as_str()) {
                issue(
                    "method",
                    format!(
                        "unknown method {method:?} (one of {})",
                        HTTP_METHODS.join(", ")
                    ),
                );
            }
            required(&mut issue, "url", url);
            if let Some(bad) = expect_status.iter().find(|s| !(100..=599).contains(*s)) {
                issue(
                    "expect_status",
                    format!("{bad} is not an HTTP status (100 to 599)"),
                );
            }
        }
        Action::Exec {
            stack,
            service,
            command,
            ..
        } => {
            required(&mut issue, "stack", stack);
            required(&mut issue, "service", service);
            if command.first().is_none_or(|c| c.trim().is_empty()) {
                issue("command", "command is required".to_string());
            }
        }
        Action::Approval { role, message } => {
            if !ROLES.contains(&role.as_str()) {
                issue(
                    "role",
                    format!("unknown role {role:?} (one of {})", ROLES.join(", ")),
                );
            }
            required(&mut issue, "message", message);
        }
        Action::Notify {
            channel, message, ..
        } => {
            required(&mut issue, "channel", channel);
            required(&mut issue, "message", message);
        }
        Action::Ai { prompt } => required(&mut issue, "prompt", prompt),
        Action::Call { workflow, .. } => required(&mut issue, "workflow", workflow),
        Action::Set { values } => {
            if values.is_empty() {
                issue("values", "values is required".to_string());
            }
        }
    }

    let ancestors = graph::ancestors(wf, &node.id);
    for (_, path, text) in node.action.template_settings() {
        match Template::parse(text) {
            Ok(template) => {
                references(wf, &node.id, &ancestors, &template.references(), &mut |m| {
                    issue(&path, m)
                })
            }
            Err(e) => issue(&path, parse_message(&e)),
        }
    }
    for (setting, text) in node.action.expressions() {
        if text.trim().is_empty() {
            continue;
        }
        match parse_expression_setting(text) {
            Ok(expr) => references(wf, &node.id, &ancestors, &expr.roots(), &mut |m| {
                issue(setting, m)
            }),
            Err(e) => issue(setting, parse_message(&e)),
        }
    }
}

/// Reads the expression of a `condition` or `switch`; a whole-text `${{ … }}` around it is
/// accepted too.
pub fn parse_expression_setting(text: &str) -> Result<Expr, ExprError> {
    let trimmed = text.trim();
    if let Some(inner) = trimmed
        .strip_prefix("${{")
        .and_then(|rest| rest.strip_suffix("}}"))
    {
        let start = text.find("${{").unwrap_or(0) + 3;
        return Expr::parse(inner).map_err(|e| ExprError {
            offset: e.offset + start,
            message: e.message,
        });
    }
    Expr::parse(text)
}

fn parse_message(e: &ExprError) -> String {
    format!("invalid expression at offset {}: {}", e.offset, e.message)
}

fn references(
    wf: &Workflow,
    id: &str,
    ancestors: &BTreeSet<String>,
    roots: &[Vec<String>],
    issue: &mut dyn FnMut(String),
) {
    for path in roots {
        let root = path[0].as_str();
        let second = path.get(1).map(String::as_str);
        match (root, second) {
            ("nodes", Some(other)) => {
                if wf.node(other).is_none() {
                    issue(format!("refers to node {other}, which does not exist"));
                } else if !ancestors.contains(other) || other == id {
                    issue(format!(
                        "refers to node {other}, which does not run before this one"
                    ));
                }
            }
            ("inputs", Some(input)) if !wf.inputs.contains_key(input) => {
                issue(format!(
                    "refers to input {input}, which is not declared in inputs"
                ));
            }
            ("run", Some(field)) if !["id", "workflow"].contains(&field) => {
                issue(format!("run has no field {field} (id, workflow)"));
            }
            _ if !ROOTS.contains(&root) => issue(format!(
                "unknown name {root} (an expression reads trigger, inputs, nodes or run)"
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` lists the issues as `field: message`.
    fn check(yaml: &str, expected: &[&str]) {
        let wf = Workflow::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        let got: Vec<String> = validate(&wf).iter().map(Issue::to_string).collect();
        assert_eq!(got, expected, "document:\n{yaml}");
    }

    /// A valid document with `nodes` and `edges` (YAML lists, indented by two).
    fn doc(nodes: &str, edges: &str) -> String {
        format!(
            "name: test\ninputs:\n  version: {{}}\nnodes:\n{nodes}edges:\n{}",
            if edges.is_empty() { "  []\n" } else { edges }
        )
    }

    #[test]
    fn a_valid_document_has_no_issue() {
        check(
            &doc(
                "  - { id: a, type: deploy, stack: web, version: '${{ inputs.version }}' }\n  - { id: b, type: notify, channel: ops, message: '${{ nodes.a.output.version }}' }\n",
                "  - { from: a, to: b }\n",
            ),
            &[],
        );
        let wf = Workflow::from_yaml(&doc("  - { id: a, type: join }\n", "")).unwrap();
        assert_eq!(check_workflow(&wf), Ok(()));
    }

    #[test]
    fn issues_name_their_node() {
        let issue = |field: &str| Issue::new(field, "m");
        assert_eq!(issue("nodes.deploy_prod.stack").node(), Some("deploy_prod"));
        assert_eq!(issue("nodes.x").node(), Some("x"));
        assert_eq!(issue("nodes[2].id").node(), None);
        assert_eq!(issue("edges[3].to").node(), None);
    }

    fn check_workflow(wf: &Workflow) -> Result<(), Vec<Issue>> {
        super::check(wf)
    }

    #[test]
    fn names_and_ids() {
        check(
            "name: Bad_Name\nnodes:\n  - { id: a, type: join }\n",
            &[
                "name: \"Bad_Name\" is not a valid workflow name (lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters)",
            ],
        );
        check(
            "name: -x\nnodes:\n  - { id: a, type: join }\n",
            &[
                "name: \"-x\" is not a valid workflow name (lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters)",
            ],
        );
        check(
            "name: ok\nnodes: []\n",
            &["nodes: a workflow needs at least one node"],
        );
        check(
            &doc(
                "  - { id: A-b, type: join }\n  - { id: x, type: join }\n  - { id: x, type: join }\n",
                "",
            ),
            &[
                "nodes[0].id: \"A-b\" is not a valid node id (lowercase letters, digits and '_', 1 to 64 characters)",
                "nodes[2].id: duplicate node id x (also nodes[1])",
            ],
        );
        check(
            "name: ok\ninputs:\n  bad-name: {}\nnodes:\n  - { id: a, type: join }\n",
            &["inputs.bad-name: an input name is letters, digits and '_' (at most 64)"],
        );
    }

    #[test]
    fn edges() {
        check(
            &doc(
                "  - { id: a, type: join }\n  - { id: b, type: join }\n",
                "  - { from: a, to: b }\n  - { from: a, to: zz }\n  - { from: yy, to: b }\n  - { from: a, to: b }\n  - { from: b, to: b }\n",
            ),
            &[
                "edges: a cycle: b → b (a node cannot run after itself)",
                "edges[1].to: unknown node \"zz\"",
                "edges[2].from: unknown node \"yy\"",
                "edges[3]: the same edge as edges[0]",
                "edges[4]: an edge from b to itself",
            ],
        );
    }

    #[test]
    fn ports() {
        let nodes = "  - { id: c, type: condition, expression: 'true' }\n  - { id: s, type: switch, value: inputs.version, cases: [a, b] }\n  - { id: x, type: join }\n  - { id: y, type: join }\n";
        check(
            &doc(
                nodes,
                "  - { from: c, to: x, port: 'true' }\n  - { from: c, to: y, port: 'false' }\n  - { from: s, to: x, port: a }\n  - { from: s, to: y, port: default }\n",
            ),
            &[],
        );
        check(
            &doc(
                nodes,
                "  - { from: c, to: x }\n  - { from: c, to: y, port: maybe }\n  - { from: s, to: x, port: c }\n  - { from: x, to: y, port: 'true' }\n",
            ),
            &[
                "edges[0].port: an edge from the condition node c needs a port (one of true, false)",
                "edges[1].port: c has no port \"maybe\" (one of true, false)",
                "edges[2].port: s has no port \"c\" (one of a, b, default)",
                "edges[3].port: x (join) has a single output: remove the port",
            ],
        );
        check(
            &doc(
                "  - { id: s, type: switch, value: '1', cases: [a, a, default, ''] }\n",
                "",
            ),
            &[
                "nodes.s.cases[1]: duplicate case \"a\"",
                "nodes.s.cases[2]: \"default\" is the port of values that match no case",
                "nodes.s.cases[3]: an empty case",
            ],
        );
        check(
            &doc("  - { id: s, type: switch, value: '1' }\n", ""),
            &["nodes.s.cases: a switch needs at least one case"],
        );
    }

    #[test]
    fn cycles_name_their_nodes() {
        check(
            &doc(
                "  - { id: a, type: join }\n  - { id: b, type: join }\n  - { id: c, type: join }\n  - { id: d, type: join }\n",
                "  - { from: a, to: b }\n  - { from: b, to: c }\n  - { from: c, to: d }\n  - { from: d, to: b }\n",
            ),
            &["edges: a cycle: b → c → d → b (a node cannot run after itself)"],
        );
    }

    #[test]
    fn required_settings() {
        check(
            &doc(
                concat!(
                    "  - { id: d, type: deploy }\n",
                    "  - { id: r, type: rollback, stack: ' ' }\n",
                    "  - { id: g, type: git_update }\n",
                    "  - { id: w, type: wait }\n",
                    "  - { id: c, type: condition }\n",
                    "  - { id: h, type: http }\n",
                    "  - { id: e, type: exec, command: [] }\n",
                    "  - { id: p, type: approval }\n",
                    "  - { id: n, type: notify }\n",
                    "  - { id: i, type: ai }\n",
                    "  - { id: k, type: call }\n",
                    "  - { id: v, type: set }\n",
                ),
                "",
            ),
            &[
                "nodes.c.expression: expression is required",
                "nodes.d.stack: stack is required",
                "nodes.e.command: command is required",
                "nodes.e.service: service is required",
                "nodes.e.stack: stack is required",
                "nodes.g.repository: repository is required",
                "nodes.g.stack: stack is required",
                "nodes.h.url: url is required",
                "nodes.i.prompt: prompt is required",
                "nodes.k.workflow: workflow is required",
                "nodes.n.channel: channel is required",
                "nodes.n.message: message is required",
                "nodes.p.message: message is required",
                "nodes.r.stack: stack is required",
                "nodes.v.values: values is required",
                "nodes.w.duration: duration is required",
            ],
        );
    }

    #[test]
    fn templates_and_expressions_parse() {
        check(
            &doc(
                concat!(
                    "  - { id: a, type: deploy, stack: 'web-${{ 1 + }}' }\n",
                    "  - { id: b, type: condition, expression: 'trigger.ref ==' }\n",
                    "  - { id: h, type: http, url: 'http://x', headers: { Authorization: '${{ (' } }\n",
                    "  - { id: x, type: condition, expression: '${{ trigger.ref == \"x\" }}' }\n",
                ),
                "",
            ),
            &[
                "nodes.a.stack: invalid expression at offset 12: expected a value, found the end",
                "nodes.b.expression: invalid expression at offset 14: expected a value, found the end",
                "nodes.h.headers.Authorization: invalid expression at offset 0: '${{' without a closing '}}'",
            ],
        );
    }

    #[test]
    fn references() {
        check(
            &doc(
                concat!(
                    "  - { id: a, type: set, values: { x: '${{ nodes.b.output }}' } }\n",
                    "  - { id: b, type: set, values: { z: '${{ nodes.a.output.x }} ${{ nodes.b.status }}' } }\n",
                    "  - { id: c, type: condition, expression: 'nodes.zz.status == \"x\" || inputs.nope || env.HOME || run.who' }\n",
                    "  - { id: d, type: ai, prompt: '${{ nodes.c.output.value }} ${{ nodes[inputs.version] }} ${{ trigger.anything }} ${{ run.id }}' }\n",
                ),
                "  - { from: a, to: b }\n  - { from: c, to: d, port: 'true' }\n",
            ),
            &[
                "nodes.a.values.x: refers to node b, which does not run before this one",
                "nodes.b.values.z: refers to node b, which does not run before this one",
                "nodes.c.expression: refers to input nope, which is not declared in inputs",
                "nodes.c.expression: refers to node zz, which does not exist",
                "nodes.c.expression: run has no field who (id, workflow)",
                "nodes.c.expression: unknown name env (an expression reads trigger, inputs, nodes or run)",
            ],
        );
    }

    #[test]
    fn settings() {
        check(
            &doc(
                concat!(
                    "  - { id: d, type: deploy, stack: web, target: a, environment: prod }\n",
                    "  - { id: h, type: http, method: FETCH, url: x, expect_status: [200, 99, 600] }\n",
                    "  - { id: p, type: approval, role: owner, message: ok, timeout: forever }\n",
                    "  - { id: w, type: wait, duration: 31d }\n",
                    "  - { id: r, type: join, retry: { count: 11, backoff: soon } }\n",
                    "  - { id: z, type: join, position: { x: .inf, y: .nan } }\n",
                ),
                "",
            ),
            &[
                "nodes.d.target: give at most one of target, selector and environment",
                "nodes.h.expect_status: 99 is not an HTTP status (100 to 599)",
                "nodes.h.method: unknown method \"FETCH\" (one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)",
                "nodes.p.role: unknown role \"owner\" (one of viewer, operator, admin)",
                "nodes.p.timeout: \"forever\" is not a duration (e.g. \"500ms\", \"30s\", \"5m\", \"1h30m\", \"2d\")",
                "nodes.r.retry.backoff: \"soon\" is not a duration (e.g. \"500ms\", \"30s\", \"5m\", \"1h30m\", \"2d\")",
                "nodes.r.retry.count: at most 10 retries",
                "nodes.w.duration: \"31d\" is longer than 30 days",
                "nodes.z.position: coordinates must be finite numbers",
            ],
        );
    }

    #[test]
    fn triggers_and_concurrency() {
        check(
            concat!(
                "name: t\n",
                "triggers:\n",
                "  - { kind: cron, schedule: '0 3 * * *', timezone: Europe/Paris }\n",
                "  - { kind: cron, schedule: '0 0 3 * * *' }\n",
                "  - { kind: cron, schedule: '@daily' }\n",
                "  - { kind: cron, schedule: '0 3 * *' }\n",
                "  - { kind: cron, schedule: '0 25 * * *', timezone: Mars/Olympus }\n",
                "  - { kind: webhook, provider: github }\n",
                "  - { kind: webhook, branch: '' }\n",
                "  - { kind: event, event: target_down }\n",
                "concurrency: { limit: 0 }\n",
                "nodes:\n  - { id: a, type: join }\n",
            ),
            &[
                "concurrency.limit: must be between 1 and 100",
                "triggers[3].schedule: \"0 3 * *\" is not a cron expression of 5 or 6 fields (e.g. \"0 3 * * *\")",
                "triggers[4].schedule: invalid schedule \"0 25 * * *\": Component error: Number out of bounds.",
                "triggers[4].timezone: unknown time zone \"Mars/Olympus\" (an IANA name, e.g. Europe/Paris)",
                "triggers[6]: at most one webhook trigger per workflow",
                "triggers[6].branch: an empty branch (remove it to accept every branch)",
            ],
        );
    }
}

/// The first time strictly after `after_ms` (Unix milliseconds) a cron trigger fires, in
/// `timezone` (an IANA name; UTC when `None`), in Unix milliseconds; `None` when the schedule
/// or the zone does not read, or it never fires again.
pub fn next_fire(schedule: &str, timezone: Option<&str>, after_ms: i64) -> Option<i64> {
    use chrono::TimeZone;
    let cron = parse_schedule(schedule).ok()?;
    let zone: chrono_tz::Tz = match timezone {
        None => chrono_tz::UTC,
        Some(name) => name.parse().ok()?,
    };
    let after = chrono::Utc.timestamp_millis_opt(after_ms).single()?;
    let next = cron
        .find_next_occurrence(&after.with_timezone(&zone), false)
        .ok()?;
    Some(next.with_timezone(&chrono::Utc).timestamp_millis())
}

#[cfg(test)]
mod next_fire_tests {
    use super::next_fire;

    #[test]
    fn next_fire_follows_the_zone_and_seconds() {
        // 2024-01-01T00:00:00Z
        let t0 = 1_704_067_200_000;
        assert_eq!(next_fire("0 3 * * *", None, t0), Some(t0 + 3 * 3_600_000));
        // 03:00 in Paris (UTC+1 in winter) is 02:00 UTC.
        assert_eq!(
            next_fire("0 3 * * *", Some("Europe/Paris"), t0),
            Some(t0 + 2 * 3_600_000)
        );
        assert_eq!(next_fire("*/5 * * * * *", None, t0), Some(t0 + 5_000));
        assert_eq!(next_fire("0 3 * * *", Some("Mars/Olympus"), t0), None);
        assert_eq!(next_fire("nonsense", None, t0), None);
    }
}
