//! Property tests: no text makes the expression, template or document readers panic; any
//! parsed expression evaluates against any JSON context within the limits; the scheduler
//! always brings a run to an outcome.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;
use windflow_workflow::expr::{Expr, Template};
use windflow_workflow::graph::{NodeState, NodeStatus, advance, outcome};
use windflow_workflow::{Workflow, validate};

/// Pieces of expressions, right and wrong, so that random sequences often parse.
const PIECES: &[&str] = &[
    "trigger",
    "inputs",
    "nodes",
    "run",
    ".",
    "ref",
    "a",
    "0",
    "[",
    "]",
    "(",
    ")",
    ",",
    "1",
    "2.5",
    "-",
    "!",
    "+",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    ">=",
    "&&",
    "||",
    "'x'",
    "\"y\"",
    "true",
    "null",
    "len(",
    "contains(",
    "default(",
    "split(",
    "join(",
    "replace(",
    "to_json(",
    "from_json(",
    "upper(",
    "trim(",
    "'[1,2]'",
    "','",
    "1e308",
    "9223372036854775807",
    " ",
];

fn expression() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat())
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z,\\[\\]0-9 ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("(a|ref|0|x|output|pull)", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn context() -> impl Strategy<Value = Value> {
    (json(), json(), json()).prop_map(|(trigger, inputs, nodes)| {
        serde_json::json!({"trigger": trigger, "inputs": inputs, "nodes": nodes, "run": {"id": "r"}})
    })
}

/// Lines of a workflow document, right and wrong.
const LINES: &[&str] = &[
    "name: wf",
    "name: Bad Name",
    "description: x",
    "inputs: {v: {default: 1}}",
    "triggers: [{kind: manual}, {kind: cron, schedule: '0 3 * * *'}]",
    "triggers: [{kind: cron, schedule: '99 * * * *', timezone: Nowhere}]",
    "triggers: [{kind: webhook}, {kind: webhook, provider: gitea}]",
    "triggers: [{kind: event, event: target_down}]",
    "concurrency: {limit: 0, policy: cancel_older}",
    "nodes:",
    "  - {id: a, type: deploy, stack: web, version: '${{ inputs.v }}'}",
    "  - {id: b, type: condition, expression: 'nodes.a.status == \"succeeded\"'}",
    "  - {id: c, type: switch, value: 'inputs.v', cases: [x, y]}",
    "  - {id: d, type: notify, channel: ops, message: '${{ nodes.zz.output }}'}",
    "  - {id: e, type: http, url: '${{ (', expect_status: [700]}",
    "  - {id: f, type: wait, duration: 99d}",
    "  - {id: a, type: join}",
    "  - {id: g, type: exec, stack: s, service: w, command: [ls]}",
    "  - {id: h, type: set, values: {k: '${{ run.id }}'}}",
    "  - {type: join}",
    "edges:",
    "  - {from: a, to: b}",
    "  - {from: b, to: c, port: 'true'}",
    "  - {from: c, to: d, port: x}",
    "  - {from: d, to: a}",
    "  - {from: a, to: a}",
    "  - {from: c, to: e}",
    "  - {from: q, to: r}",
    "  [",
    "\t",
];

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(LINES), 0..16).prop_map(|l| l.join("\n"))
}

proptest! {
    #[test]
    fn expression_reader_never_panics(text in ".{0,200}") {
        let _ = Expr::parse(&text);
        let _ = Template::parse(&text);
    }

    #[test]
    fn any_parsed_expression_evaluates_within_limits(text in expression(), ctx in context()) {
        if let Ok(expr) = Expr::parse(&text) {
            let _ = expr.roots();
            if let Ok(value) = expr.eval(&ctx) {
                prop_assert!(value.to_string().len() <= 4 << 20);
            }
        }
        let template = format!("x ${{{{ {text} }}}} ${{{{ {text} }}}}");
        if let Ok(template) = Template::parse(&template) {
            let _ = template.references();
            let _ = template.render(&ctx);
        }
    }

    #[test]
    fn document_reader_never_panics(text in document()) {
        if let Ok(wf) = Workflow::from_yaml(&text) {
            let _ = validate(&wf);
            let json = wf.to_json();
            prop_assert_eq!(Workflow::from_json(json).expect("reads back"), wf);
        }
    }

    #[test]
    fn arbitrary_yaml_never_panics(text in ".{0,300}") {
        if let Ok(wf) = Workflow::from_yaml(&text) {
            let _ = validate(&wf);
        }
    }

    /// Running a random graph, with random outcomes, always ends with an outcome, and no node
    /// starts twice or before its predecessors settled.
    #[test]
    fn runs_always_end(
        edges in prop::collection::vec((0usize..8, 0usize..8, prop::option::of(prop::bool::ANY)), 0..14),
        results in prop::collection::vec((prop::bool::weighted(0.85), prop::bool::ANY), 8),
    ) {
        let mut yaml = String::from("name: g\nnodes:\n");
        for i in 0..8usize {
            if i.is_multiple_of(3) {
                yaml.push_str(&format!("  - {{id: n{i}, type: condition, expression: 'true'}}\n"));
            } else {
                yaml.push_str(&format!("  - {{id: n{i}, type: join}}\n"));
            }
        }
        yaml.push_str("edges:\n");
        // Only forward edges, so the graph is acyclic; condition edges carry a port.
        for (a, b, port) in edges {
            let (from, to) = (a.min(b), a.max(b));
            if from == to {
                continue;
            }
            match (from.is_multiple_of(3), port) {
                (true, Some(p)) => yaml.push_str(&format!("  - {{from: n{from}, to: n{to}, port: '{p}'}}\n")),
                (true, None) => yaml.push_str(&format!("  - {{from: n{from}, to: n{to}, port: 'true'}}\n")),
                (false, _) => yaml.push_str(&format!("  - {{from: n{from}, to: n{to}}}\n")),
            }
        }
        let wf = Workflow::from_yaml(&yaml).expect("a generated document reads");
        let mut states: BTreeMap<String, NodeState> = BTreeMap::new();
        for _ in 0..20 {
            let step = advance(&wf, &states);
            if step.ready.is_empty() && step.skip.is_empty() {
                break;
            }
            for id in &step.skip {
                prop_assert!(!states.contains_key(id), "{} skipped twice", id);
                states.insert(id.clone(), NodeState::new(NodeStatus::Skipped));
            }
            for id in &step.ready {
                prop_assert!(!states.contains_key(id), "{} started twice", id);
                for e in wf.edges.iter().filter(|e| &e.to == id) {
                    prop_assert!(states.get(&e.from).is_some_and(|s| s.status.is_settled()));
                }
                let i: usize = id[1..].parse().unwrap();
                let (ok, port) = results[i];
                let state = if !ok {
                    NodeState::new(NodeStatus::Failed)
                } else if i.is_multiple_of(3) {
                    NodeState::with_port(NodeStatus::Succeeded, &port.to_string())
                } else {
                    NodeState::new(NodeStatus::Succeeded)
                };
                states.insert(id.clone(), state);
            }
        }
        prop_assert!(outcome(&wf, &states).is_some(), "no outcome: {:?}\n{}", states, yaml);
    }
}
