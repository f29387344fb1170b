//! Any text as a workflow document, and any text as a template: a workflow or an error, never
//! a panic. A document that reads validates, schedules and survives a JSON round trip; a
//! template that parses renders against a small context within the limits.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use windflow_workflow::{Template, Workflow, advance, graph, outcome, validate};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(wf) = Workflow::from_yaml(&text) {
        let _ = validate(&wf);
        let states = BTreeMap::new();
        let _ = advance(&wf, &states);
        let _ = outcome(&wf, &states);
        let _ = graph::cycle(&wf);
        for node in &wf.nodes {
            let _ = graph::ancestors(&wf, &node.id);
        }
        // NaN positions do not compare equal to themselves; the rest must come back as is.
        let finite = wf.nodes.iter().all(|n| {
            n.position
                .is_none_or(|p| p.x.is_finite() && p.y.is_finite())
        });
        if finite {
            let back = Workflow::from_json(wf.to_json()).expect("a workflow reads back");
            assert_eq!(back, wf);
        }
    }
    if let Ok(template) = Template::parse(&text) {
        let ctx = serde_json::json!({
            "trigger": {"ref": "refs/heads/main", "list": [1, "a", null]},
            "inputs": {"v": "1.0"},
            "nodes": {"a": {"output": {"x": text}}},
            "run": {"id": "r"},
        });
        let _ = template.references();
        let _ = template.render(&ctx);
    }
});
