//! Profiles and the checks that need the whole project: dependencies that exist and form no
//! cycle, unique container names, `network_mode: service:x` targets.

use std::collections::{BTreeMap, BTreeSet};

use windflow_domain::StackSpec;

use crate::diagnostic::Report;
use crate::yaml::{Node, Value};

/// The profiles a service lists (malformed lists are left to the converter to report).
fn profiles_of(service: &Node) -> Vec<String> {
    match service.get("profiles").map(|p| &p.value) {
        Some(Value::Seq(items)) => items.iter().filter_map(Node::scalar_text).collect(),
        Some(_) => service
            .get("profiles")
            .and_then(Node::scalar_text)
            .into_iter()
            .collect(),
        None => Vec::new(),
    }
}

/// Removes services whose profiles are all inactive. An enabled service that requires a
/// disabled one is an error; an optional dependency (`required: false`) on it is dropped.
pub(crate) fn apply_profiles(root: &mut Node, active: &[String], report: &mut Report) {
    let Some(services) = root
        .as_map_mut()
        .and_then(|r| r.get_mut("services"))
        .and_then(Node::as_map_mut)
    else {
        return;
    };
    let all = active.iter().any(|p| p == "*");
    let disabled: BTreeMap<String, Vec<String>> = services
        .iter()
        .filter_map(|(name, service)| {
            let profiles = profiles_of(service);
            let enabled = profiles.is_empty() || all || profiles.iter().any(|p| active.contains(p));
            (!enabled).then(|| (name.clone(), profiles))
        })
        .collect();
    if disabled.is_empty() {
        return;
    }
    services.retain(|name, _| !disabled.contains_key(name));
    for (name, service) in services.iter_mut() {
        let Some(depends_on) = service
            .as_map_mut()
            .and_then(|s| s.get_mut("depends_on"))
            .and_then(Node::as_map_mut)
        else {
            continue;
        };
        depends_on.retain(|dependency, spec| {
            let Some(profiles) = disabled.get(dependency) else {
                return true;
            };
            let required = match spec.get("required").map(|r| &r.value) {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => !matches!(s.as_str(), "false" | "no" | "off"),
                _ => true,
            };
            if required {
                let list = profiles
                    .iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                report.error(
                    &spec.file,
                    Some(spec.line),
                    &format!("services.{name}.depends_on"),
                    format!(
                        "service {name:?} depends on {dependency:?}, which is disabled by its profiles (activate profile {list}, or set required: false)"
                    ),
                );
            }
            false
        });
    }
}

/// Where to point a diagnostic about a service field: the field's node, else the service.
fn locate<'n>(root: &'n Node, service: &str, keys: &[&str]) -> Option<&'n Node> {
    let mut path = vec!["services", service];
    path.extend_from_slice(keys);
    while path.len() >= 2 {
        if let Some(node) = root.at(&path) {
            return Some(node);
        }
        path.pop();
    }
    None
}

fn error_at(
    report: &mut Report,
    root: &Node,
    service: &str,
    keys: &[&str],
    path: &str,
    message: String,
) {
    match locate(root, service, keys) {
        Some(node) => report.error(&node.file, Some(node.line), path, message),
        None => report.error(&root.file, None, path, message),
    }
}

pub(crate) fn validate(stack: &StackSpec, root: &Node, report: &mut Report) {
    for (name, service) in &stack.services {
        // Links and shared namespaces name their service; each also implies a dependency,
        // reported once under the field the user wrote.
        let mut referenced: Vec<(&str, &str)> = service
            .links
            .iter()
            .map(|l| ("links", l.split_once(':').map_or(l.as_str(), |(s, _)| s)))
            .collect();
        referenced.extend(service.shared_parents());
        let mut reported = Vec::new();
        for (field, target) in referenced {
            if !stack.services.contains_key(target) && !reported.contains(&target) {
                reported.push(target);
                error_at(
                    report,
                    root,
                    name,
                    &[field],
                    &format!("services.{name}.{field}"),
                    format!("{field} refers to undefined service {target:?}"),
                );
            }
        }
        for (dependency, spec) in &service.depends_on {
            if spec.required
                && !stack.services.contains_key(dependency)
                && !reported.contains(&dependency.as_str())
            {
                error_at(
                    report,
                    root,
                    name,
                    &["depends_on", dependency],
                    &format!("services.{name}.depends_on"),
                    format!("service {name:?} depends on undefined service {dependency:?}"),
                );
            }
        }
    }
    check_cycles(stack, root, report);
    let mut container_names: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, service) in &stack.services {
        if let Some(container_name) = service.container_name.as_deref()
            && let Some(first) = container_names.insert(container_name, name)
        {
            error_at(
                report,
                root,
                name,
                &["container_name"],
                &format!("services.{name}.container_name"),
                format!("container_name {container_name:?} is already used by service {first:?}"),
            );
        }
    }
}

/// Reports each dependency cycle once, naming it (`a -> b -> a`).
fn check_cycles(stack: &StackSpec, root: &Node, report: &mut Report) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = stack
        .services
        .keys()
        .map(|k| (k.as_str(), Mark::New))
        .collect();
    let mut reported: BTreeSet<Vec<&str>> = BTreeSet::new();
    for start in stack.services.keys() {
        if marks[start.as_str()] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (service, its dependencies, next index).
        let mut stack_frames: Vec<(&str, Vec<&str>, usize)> = Vec::new();
        let deps = |name: &str| -> Vec<&str> {
            stack.services[name]
                .depends_on
                .keys()
                .map(String::as_str)
                .filter(|d| stack.services.contains_key(*d))
                .collect()
        };
        marks.insert(start, Mark::Active);
        stack_frames.push((start, deps(start), 0));
        while let Some((name, children, next)) = stack_frames.last_mut() {
            let name: &str = name;
            if *next >= children.len() {
                marks.insert(name, Mark::Done);
                stack_frames.pop();
                continue;
            }
            let child = children[*next];
            *next += 1;
            match marks[child] {
                Mark::New => {
                    marks.insert(child, Mark::Active);
                    let child_deps = deps(child);
                    stack_frames.push((child, child_deps, 0));
                }
                Mark::Active => {
                    let from = stack_frames
                        .iter()
                        .position(|(n, _, _)| *n == child)
                        .unwrap_or(0);
                    let mut cycle: Vec<&str> =
                        stack_frames[from..].iter().map(|(n, _, _)| *n).collect();
                    let mut members = cycle.clone();
                    members.sort_unstable();
                    if reported.insert(members) {
                        let first = cycle[0];
                        cycle.push(child);
                        error_at(
                            report,
                            root,
                            first,
                            &["depends_on", cycle[1]],
                            &format!("services.{first}.depends_on"),
                            format!("dependency cycle: {}", cycle.join(" -> ")),
                        );
                    }
                }
                Mark::Done => {}
            }
        }
    }
}
