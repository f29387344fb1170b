//! The scheduler, as pure functions of the document and the nodes' states: which nodes run
//! next, which are skipped, and how the run ends.
//!
//! A node runs when all its predecessors are settled, if at least one incoming edge is
//! *active* (its source succeeded, and the edge has no port or the port the source chose);
//! otherwise it is skipped. Nodes with no incoming edges run at start. A node that failed
//! without `continue_on_error` fails the run: nodes not yet started are skipped.
//!
//! Edges that name an unknown node are ignored here (validation reports them); nodes on a
//! cycle never become ready.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::model::Workflow;

/// Where a node of a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    #[default]
    Pending,
    Running,
    /// Waiting for an approval or a timer.
    Waiting,
    Succeeded,
    Failed,
    Skipped,
    Cancelled,
}

impl NodeStatus {
    pub const ALL: [NodeStatus; 7] = [
        NodeStatus::Pending,
        NodeStatus::Running,
        NodeStatus::Waiting,
        NodeStatus::Succeeded,
        NodeStatus::Failed,
        NodeStatus::Skipped,
        NodeStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Pending => "pending",
            NodeStatus::Running => "running",
            NodeStatus::Waiting => "waiting",
            NodeStatus::Succeeded => "succeeded",
            NodeStatus::Failed => "failed",
            NodeStatus::Skipped => "skipped",
            NodeStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<NodeStatus> {
        NodeStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Finished one way or another: it will not change any more.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            NodeStatus::Succeeded
                | NodeStatus::Failed
                | NodeStatus::Skipped
                | NodeStatus::Cancelled
        )
    }
}

/// A node's state in a run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NodeState {
    pub status: NodeStatus,
    /// The port a `condition` or `switch` chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
}

impl NodeState {
    pub fn new(status: NodeStatus) -> NodeState {
        NodeState { status, port: None }
    }

    pub fn with_port(status: NodeStatus, port: &str) -> NodeState {
        NodeState {
            status,
            port: Some(port.to_string()),
        }
    }
}

/// What the engine does next: start `ready` (in topological order), mark `skip` skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Advance {
    pub ready: Vec<String>,
    pub skip: Vec<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Succeeded,
    Failed,
}

/// The edges between known nodes, as (from, to, port).
fn known_edges(wf: &Workflow) -> impl Iterator<Item = (&str, &str, Option<&str>)> {
    wf.edges
        .iter()
        .filter(|e| wf.node(&e.from).is_some() && wf.node(&e.to).is_some())
        .map(|e| (e.from.as_str(), e.to.as_str(), e.port.as_deref()))
}

/// The node ids so that every node comes after its predecessors; ties in document order.
/// Nodes on a cycle come last, in document order.
pub fn topological_order(wf: &Workflow) -> Vec<String> {
    let index: BTreeMap<&str, usize> = wf
        .nodes
        .iter()
        .enumerate()
        .rev()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut incoming = vec![0usize; wf.nodes.len()];
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); wf.nodes.len()];
    for (from, to, _) in known_edges(wf) {
        let (f, t) = (index[from], index[to]);
        incoming[t] += 1;
        successors[f].push(t);
    }
    let mut ready: BTreeSet<usize> = (0..wf.nodes.len())
        .filter(|&i| incoming[i] == 0 && index[wf.nodes[i].id.as_str()] == i)
        .collect();
    let mut placed = vec![false; wf.nodes.len()];
    let mut order = Vec::with_capacity(wf.nodes.len());
    while let Some(i) = ready.pop_first() {
        placed[i] = true;
        order.push(wf.nodes[i].id.clone());
        for &s in &successors[i] {
            incoming[s] -= 1;
            if incoming[s] == 0 {
                ready.insert(s);
            }
        }
    }
    let mut seen: BTreeSet<String> = order.iter().cloned().collect();
    for node in &wf.nodes {
        if seen.insert(node.id.clone()) {
            order.push(node.id.clone());
        }
    }
    order
}

/// Every node from which `id` can be reached (not `id` itself, unless it is on a cycle).
pub fn ancestors(wf: &Workflow, id: &str) -> BTreeSet<String> {
    walk(wf, id, true)
}

/// `id` and every node reachable from it: what runs again when a run is re-run from `id`.
pub fn downstream(wf: &Workflow, id: &str) -> BTreeSet<String> {
    let mut out = walk(wf, id, false);
    if wf.node(id).is_some() {
        out.insert(id.to_string());
    }
    out
}

fn walk(wf: &Workflow, id: &str, backwards: bool) -> BTreeSet<String> {
    let mut neighbours: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to, _) in known_edges(wf) {
        let (a, b) = if backwards { (to, from) } else { (from, to) };
        neighbours.entry(a).or_default().push(b);
    }
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([id]);
    while let Some(current) = queue.pop_front() {
        for &next in neighbours.get(current).into_iter().flatten() {
            if seen.insert(next.to_string()) {
                queue.push_back(next);
            }
        }
    }
    seen
}

/// One cycle of the graph, as the node ids along it (the first is not repeated), if any.
pub fn cycle(wf: &Workflow) -> Option<Vec<String>> {
    let order = topological_order(wf);
    // Nodes that Kahn's algorithm could not place are on a cycle or downstream of one.
    let mut successors: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to, _) in known_edges(wf) {
        successors.entry(from).or_default().push(to);
    }
    // An iterative depth-first search with colours finds a back edge.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new(); // 1 = on the stack, 2 = done
    for start in order.iter().map(String::as_str) {
        if colour.contains_key(start) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        colour.insert(start, 1);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let children = successors.get(node).map(Vec::as_slice).unwrap_or(&[]);
            if *next < children.len() {
                let child = children[*next];
                *next += 1;
                match colour.get(child) {
                    Some(1) => {
                        let at = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                        return Some(stack[at..].iter().map(|(n, _)| n.to_string()).collect());
                    }
                    Some(_) => {}
                    None => {
                        colour.insert(child, 1);
                        stack.push((child, 0));
                    }
                }
            } else {
                colour.insert(node, 2);
                stack.pop();
            }
        }
    }
    None
}

fn status_of(states: &BTreeMap<String, NodeState>, id: &str) -> NodeStatus {
    states.get(id).map(|s| s.status).unwrap_or_default()
}

/// A failure that fails the run: a failed node without `continue_on_error`.
fn run_failed(wf: &Workflow, states: &BTreeMap<String, NodeState>) -> bool {
    wf.nodes
        .iter()
        .any(|n| status_of(states, &n.id) == NodeStatus::Failed && !n.continue_on_error)
}

/// The nodes to start and the nodes to skip now. Skips cascade: a node whose predecessors
/// are all settled once the returned skips are applied is in the same answer, so the engine
/// never needs to call twice for the same states. A missing state is `Pending`.
pub fn advance(wf: &Workflow, states: &BTreeMap<String, NodeState>) -> Advance {
    let order = topological_order(wf);
    let mut result = Advance::default();
    if run_failed(wf, states) {
        result.skip = order
            .into_iter()
            .filter(|id| status_of(states, id) == NodeStatus::Pending)
            .collect();
        return result;
    }
    let mut incoming: BTreeMap<&str, Vec<(&str, Option<&str>)>> = BTreeMap::new();
    for (from, to, port) in known_edges(wf) {
        incoming.entry(to).or_default().push((from, port));
    }
    let mut skipped: BTreeSet<&str> = BTreeSet::new();
    for id in &order {
        if status_of(states, id) != NodeStatus::Pending {
            continue;
        }
        let edges = incoming.get(id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let settled = |from: &str| skipped.contains(from) || status_of(states, from).is_settled();
        if !edges.iter().all(|(from, _)| settled(from)) {
            continue;
        }
        let active = edges.iter().any(|(from, port)| {
            !skipped.contains(from)
                && states.get(*from).is_some_and(|s| {
                    s.status == NodeStatus::Succeeded
                        && port.is_none_or(|p| s.port.as_deref() == Some(p))
                })
        });
        if edges.is_empty() || active {
            result.ready.push(id.clone());
        } else {
            skipped.insert(id.as_str());
            result.skip.push(id.clone());
        }
    }
    result
}

/// How the run ended, once every node is settled: failed if a node failed without
/// `continue_on_error`, succeeded otherwise. `None` while a node is pending, running or
/// waiting.
pub fn outcome(wf: &Workflow, states: &BTreeMap<String, NodeState>) -> Option<RunOutcome> {
    if !wf
        .nodes
        .iter()
        .all(|n| status_of(states, &n.id).is_settled())
    {
        return None;
    }
    let failed = wf.nodes.iter().any(|n| {
        let status = status_of(states, &n.id);
        status == NodeStatus::Cancelled || (status == NodeStatus::Failed && !n.continue_on_error)
    });
    Some(if failed {
        RunOutcome::Failed
    } else {
        RunOutcome::Succeeded
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workflow of `join` nodes (condition nodes when the id starts with `if`, switch nodes
    /// when it starts with `sw`) and edges written `a>b` or `a>b:port`.
    fn wf(nodes: &str, edges: &str) -> Workflow {
        use crate::model::{Action, Edge, Node};
        let nodes = nodes
            .split_whitespace()
            .map(|id| {
                let (id, continue_on_error) = match id.strip_suffix('?') {
                    Some(id) => (id, true),
                    None => (id, false),
                };
                let action = if id.starts_with("if") {
                    Action::Condition {
                        expression: "true".to_string(),
                    }
                } else if id.starts_with("sw") {
                    Action::Switch {
                        value: "1".to_string(),
                        cases: vec!["a".to_string(), "b".to_string()],
                    }
                } else {
                    Action::Join {}
                };
                Node {
                    id: id.to_string(),
                    name: None,
                    action,
                    retry: Default::default(),
                    timeout: None,
                    continue_on_error,
                    position: None,
                }
            })
            .collect();
        let edges = edges
            .split_whitespace()
            .map(|e| {
                let (e, port) = match e.split_once(':') {
                    Some((e, port)) => (e, Some(port.to_string())),
                    None => (e, None),
                };
                let (from, to) = e.split_once('>').expect("a>b");
                Edge {
                    from: from.to_string(),
                    to: to.to_string(),
                    port,
                }
            })
            .collect();
        Workflow {
            name: "test".to_string(),
            description: None,
            inputs: Default::default(),
            triggers: Vec::new(),
            concurrency: Default::default(),
            nodes,
            edges,
        }
    }

    /// States written `id=status` or `id=status:port`.
    fn states(text: &str) -> BTreeMap<String, NodeState> {
        text.split_whitespace()
            .map(|s| {
                let (id, rest) = s.split_once('=').expect("id=status");
                let (status, port) = match rest.split_once(':') {
                    Some((status, port)) => (status, Some(port.to_string())),
                    None => (rest, None),
                };
                let status = NodeStatus::parse(status).expect("a status");
                (id.to_string(), NodeState { status, port })
            })
            .collect()
    }

    /// `expected` is `ready: a b | skip: c d`.
    fn check(w: &Workflow, state: &str, expected: &str) {
        let advance = advance(w, &states(state));
        let got = format!(
            "ready: {} | skip: {}",
            advance.ready.join(" "),
            advance.skip.join(" ")
        );
        assert_eq!(got.replace("  ", " ").trim(), expected, "states: {state}");
    }

    #[test]
    fn linear_chain() {
        let w = wf("a b c", "a>b b>c");
        check(&w, "", "ready: a | skip:");
        check(&w, "a=running", "ready: | skip:");
        check(&w, "a=succeeded", "ready: b | skip:");
        check(&w, "a=succeeded b=waiting", "ready: | skip:");
        check(&w, "a=succeeded b=succeeded", "ready: c | skip:");
        check(&w, "a=succeeded b=succeeded c=succeeded", "ready: | skip:");
        assert_eq!(topological_order(&w), ["a", "b", "c"]);
    }

    #[test]
    fn start_nodes_in_document_order() {
        let w = wf("z y x", "y>x");
        check(&w, "", "ready: z y | skip:");
        assert_eq!(topological_order(&w), ["z", "y", "x"]);
    }

    #[test]
    fn condition_skips_the_other_branch_and_cascades() {
        let w = wf(
            "if1 yes yes2 no no2 no3",
            "if1>yes:true yes>yes2 if1>no:false no>no2 no2>no3",
        );
        check(&w, "if1=succeeded:true", "ready: yes | skip: no no2 no3");
        check(&w, "if1=succeeded:false", "ready: no | skip: yes yes2");
        // The condition failed: neither branch runs (and the run fails).
        check(&w, "if1=failed", "ready: | skip: yes yes2 no no2 no3");
    }

    #[test]
    fn switch_ports() {
        let w = wf("sw x y z", "sw>x:a sw>y:b sw>z:default");
        check(&w, "sw=succeeded:b", "ready: y | skip: x z");
        check(&w, "sw=succeeded:default", "ready: z | skip: x y");
    }

    #[test]
    fn diamond_join_waits_for_both() {
        let w = wf("a b c d", "a>b a>c b>d c>d");
        check(&w, "a=succeeded", "ready: b c | skip:");
        check(&w, "a=succeeded b=succeeded c=running", "ready: | skip:");
        check(
            &w,
            "a=succeeded b=succeeded c=succeeded",
            "ready: d | skip:",
        );
    }

    #[test]
    fn join_after_a_condition_still_runs() {
        let w = wf("if1 yes no end", "if1>yes:true if1>no:false yes>end no>end");
        check(&w, "if1=succeeded:true", "ready: yes | skip: no");
        check(
            &w,
            "if1=succeeded:true yes=running no=skipped",
            "ready: | skip:",
        );
        check(
            &w,
            "if1=succeeded:true yes=succeeded no=skipped",
            "ready: end | skip:",
        );
        // Both branches skipped: the join is skipped too.
        let w = wf("a if1 x y end", "a>if1 if1>x:true if1>y:true x>end y>end");
        check(
            &w,
            "a=succeeded if1=succeeded:false",
            "ready: | skip: x y end",
        );
    }

    #[test]
    fn failure_skips_what_has_not_started() {
        let w = wf("a b c d", "a>b a>c c>d");
        check(&w, "a=succeeded b=failed c=running", "ready: | skip: d");
        assert_eq!(outcome(&w, &states("a=succeeded b=failed c=running")), None);
        assert_eq!(
            outcome(&w, &states("a=succeeded b=failed c=succeeded d=skipped")),
            Some(RunOutcome::Failed)
        );
    }

    #[test]
    fn continue_on_error_does_not_fail_the_run() {
        let w = wf("a b? c d", "a>b b>c a>d");
        // b failed but may: the run goes on; b's own successors do not run.
        check(&w, "a=succeeded b=failed", "ready: d | skip: c");
        assert_eq!(
            outcome(&w, &states("a=succeeded b=failed c=skipped d=succeeded")),
            Some(RunOutcome::Succeeded)
        );
    }

    #[test]
    fn outcomes() {
        let w = wf("a b", "a>b");
        assert_eq!(outcome(&w, &states("")), None);
        assert_eq!(outcome(&w, &states("a=succeeded b=waiting")), None);
        assert_eq!(
            outcome(&w, &states("a=succeeded b=succeeded")),
            Some(RunOutcome::Succeeded)
        );
        assert_eq!(
            outcome(&w, &states("a=succeeded b=skipped")),
            Some(RunOutcome::Succeeded)
        );
        assert_eq!(
            outcome(&w, &states("a=succeeded b=cancelled")),
            Some(RunOutcome::Failed)
        );
    }

    #[test]
    fn ancestors_and_downstream() {
        let w = wf("a b c d e", "a>b b>c a>d d>c c>e");
        let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(ancestors(&w, "c"), set(&["a", "b", "d"]));
        assert_eq!(ancestors(&w, "a"), set(&[]));
        assert_eq!(downstream(&w, "b"), set(&["b", "c", "e"]));
        assert_eq!(downstream(&w, "a"), set(&["a", "b", "c", "d", "e"]));
        assert_eq!(downstream(&w, "nope"), set(&[]));
        assert_eq!(topological_order(&w), ["a", "b", "d", "c", "e"]);
    }

    #[test]
    fn cycles_never_run() {
        let w = wf("a b c", "a>b b>c c>b");
        assert_eq!(cycle(&w), Some(vec!["b".to_string(), "c".to_string()]));
        check(&w, "a=succeeded", "ready: | skip:");
        assert_eq!(topological_order(&w), ["a", "b", "c"]);
        assert_eq!(cycle(&wf("a b", "a>b")), None);
    }

    #[test]
    fn statuses() {
        for status in NodeStatus::ALL {
            assert_eq!(NodeStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.as_str());
        }
        let settled: Vec<&str> = NodeStatus::ALL
            .into_iter()
            .filter(|s| s.is_settled())
            .map(NodeStatus::as_str)
            .collect();
        assert_eq!(settled, ["succeeded", "failed", "skipped", "cancelled"]);
    }
}
