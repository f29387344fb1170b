//! Merging compose files (`-f a.yml -f b.yml`) and `extends`, with compose's rules:
//!
//! - mappings merge recursively, scalars are replaced;
//! - `command`, `entrypoint` and `healthcheck.test` are replaced as a whole;
//! - `ports` merge by `{ip, target, published, protocol}`, `volumes` by target, `secrets` and
//!   `configs` by source; other sequences are appended without duplicates;
//! - `environment`, `labels`, `extra_hosts`, `sysctls`, `build.args`, `depends_on`,
//!   `networks`, ... merge as mappings whether written as lists or mappings, because
//!   [`normalize_service`] first brings both forms to the mapping form;
//! - `!reset` drops the inherited value, `!override` replaces it instead of merging.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use crate::convert::syntax::{parse_port, parse_volume, port_key};
use crate::yaml::{MergeTag, Node, Value};

/// Brings the fields of a service that have a list form and a mapping form (or a string form
/// and a list form) to one form, so that files merge by meaning. The converter accepts both
/// forms, so this changes no result on its own.
pub fn normalize_service(service: &mut Node) {
    let Some(fields) = service.as_map_mut() else {
        return;
    };
    for (key, value) in fields.iter_mut() {
        match key.as_str() {
            "build" => {
                if let Value::String(_) = value.value {
                    let context = std::mem::replace(
                        value,
                        Node::new(Value::Null, value.line, value.file.clone()),
                    );
                    let mut map = IndexMap::new();
                    map.insert("context".to_string(), context);
                    value.value = Value::Map(map);
                }
                if let Some(build) = value.as_map_mut() {
                    for (k, v) in build.iter_mut() {
                        match k.as_str() {
                            "args" | "labels" => list_to_map(v, '='),
                            "extra_hosts" => hosts_to_map(v),
                            _ => {}
                        }
                    }
                }
            }
            "environment" | "labels" | "sysctls" | "annotations" => list_to_map(value, '='),
            "extra_hosts" => hosts_to_map(value),
            "depends_on" | "networks" => names_to_map(value),
            "env_file" | "dns" | "dns_search" | "tmpfs" => string_to_list(value),
            "deploy" => {
                if let Some(labels) = value.as_map_mut().and_then(|d| d.get_mut("labels")) {
                    list_to_map(labels, '=');
                }
            }
            _ => {}
        }
    }
}

/// Normalizes every service of a file's root.
pub fn normalize_root(root: &mut Node) {
    if let Some(services) = root.as_map_mut().and_then(|r| r.get_mut("services"))
        && let Some(services) = services.as_map_mut()
    {
        for service in services.values_mut() {
            normalize_service(service);
        }
    }
}

fn scalar_items(items: &[Node]) -> Option<Vec<(String, &Node)>> {
    items
        .iter()
        .map(|item| item.scalar_text().map(|t| (t, item)))
        .collect()
}

/// `[K=V, K]` → `{K: V, K: null}`; left alone when any item is not a scalar.
fn list_to_map(node: &mut Node, separator: char) {
    let Value::Seq(items) = &node.value else {
        return;
    };
    let Some(texts) = scalar_items(items) else {
        return;
    };
    let mut map = IndexMap::new();
    for (text, item) in texts {
        let (key, value) = match text.split_once(separator) {
            Some((k, v)) => (k.to_string(), Value::String(v.to_string())),
            None => (text, Value::Null),
        };
        map.insert(key, Node::new(value, item.line, item.file.clone()));
    }
    node.value = Value::Map(map);
}

/// `["host:ip", "host=ip"]` → `{host: ip}`; left alone when an item has no separator.
fn hosts_to_map(node: &mut Node) {
    let Value::Seq(items) = &node.value else {
        return;
    };
    let Some(texts) = scalar_items(items) else {
        return;
    };
    let mut map = IndexMap::new();
    for (text, item) in texts {
        let split = match text.find('=') {
            Some(eq) => Some((&text[..eq], &text[eq + 1..])),
            None => text.split_once(':'),
        };
        let Some((host, ips)) = split else {
            return;
        };
        // A host may have several addresses: repeated (`h:1.1.1.1`, `h:::1`) or listed
        // (`h=1.1.1.1,::1`), as compose-go's HostsList reads them.
        for ip in ips.split(',') {
            let ip = Node::new(Value::String(ip.to_string()), item.line, item.file.clone());
            match map.get_mut(host) {
                None => {
                    map.insert(host.to_string(), ip);
                }
                Some(Node {
                    value: Value::Seq(list),
                    ..
                }) => list.push(ip),
                Some(first) => {
                    let earlier = first.clone();
                    first.value = Value::Seq(vec![earlier, ip]);
                }
            }
        }
    }
    node.value = Value::Map(map);
}

/// `[a, b]` → `{a: null, b: null}`.
fn names_to_map(node: &mut Node) {
    let Value::Seq(items) = &node.value else {
        return;
    };
    let Some(texts) = scalar_items(items) else {
        return;
    };
    let map = texts
        .into_iter()
        .map(|(name, item)| (name, Node::new(Value::Null, item.line, item.file.clone())))
        .collect();
    node.value = Value::Map(map);
}

fn string_to_list(node: &mut Node) {
    if let Value::String(_) = node.value {
        let item = node.clone();
        node.value = Value::Seq(vec![Node { tag: None, ..item }]);
    }
}

enum SeqRule {
    Replace,
    ByKey(fn(&Node) -> String),
    AppendUnique,
}

fn seq_rule(path: &[String]) -> SeqRule {
    if path.len() < 3 || path[0] != "services" {
        return SeqRule::AppendUnique;
    }
    match path[2..].join(".").as_str() {
        "command" | "entrypoint" | "healthcheck.test" => SeqRule::Replace,
        "ports" => SeqRule::ByKey(port_merge_key),
        "volumes" => SeqRule::ByKey(volume_merge_key),
        "secrets" | "configs" => SeqRule::ByKey(source_merge_key),
        _ => SeqRule::AppendUnique,
    }
}

fn text_of(node: Option<&Node>) -> String {
    node.and_then(Node::scalar_text).unwrap_or_default()
}

fn port_merge_key(node: &Node) -> String {
    match &node.value {
        Value::Map(m) => port_key(
            Some(&text_of(m.get("host_ip"))),
            &text_of(m.get("target")),
            Some(&text_of(m.get("published"))),
            m.get("protocol")
                .and_then(Node::scalar_text)
                .as_deref()
                .unwrap_or("tcp"),
        ),
        _ => {
            let text = node.scalar_text().unwrap_or_default();
            match parse_port(&text).as_deref() {
                Ok([port]) => port_key(
                    Some(port.host_ip.as_deref().unwrap_or("")),
                    &port.target.to_string(),
                    Some(port.published.as_deref().unwrap_or("")),
                    &port.protocol,
                ),
                _ => text,
            }
        }
    }
}

fn volume_merge_key(node: &Node) -> String {
    match &node.value {
        Value::Map(m) => text_of(m.get("target")),
        _ => {
            let text = node.scalar_text().unwrap_or_default();
            parse_volume(&text).map(|v| v.target).unwrap_or(text)
        }
    }
}

fn source_merge_key(node: &Node) -> String {
    match &node.value {
        Value::Map(m) => text_of(m.get("source")),
        _ => node.scalar_text().unwrap_or_default(),
    }
}

fn identity(node: &Node) -> Option<String> {
    match &node.value {
        Value::Seq(_) | Value::Map(_) => None,
        Value::Null => Some(String::new()),
        _ => node.scalar_text(),
    }
}

/// Merges `over` into `base`. `path` is the key path of the value (e.g. `services`, `web`,
/// `ports`), which decides how sequences merge. `None` means the value was reset.
pub fn merge(base: Node, over: Node, path: &mut Vec<String>) -> Option<Node> {
    match over.tag {
        Some(MergeTag::Reset) => return None,
        Some(MergeTag::Override) => return Some(Node { tag: None, ..over }),
        None => {}
    }
    match (base.value, over.value) {
        (Value::Map(mut base_map), Value::Map(over_map)) => {
            for (key, value) in over_map {
                path.push(key.clone());
                match base_map.get_mut(&key) {
                    Some(existing) => {
                        let placeholder =
                            Node::new(Value::Null, existing.line, existing.file.clone());
                        let old = std::mem::replace(existing, placeholder);
                        match merge(old, value, path) {
                            Some(merged) => *existing = merged,
                            None => {
                                base_map.shift_remove(&key);
                            }
                        }
                    }
                    None => {
                        if value.tag != Some(MergeTag::Reset) {
                            base_map.insert(key.clone(), Node { tag: None, ..value });
                        }
                    }
                }
                path.pop();
            }
            Some(Node {
                value: Value::Map(base_map),
                line: base.line,
                file: base.file,
                tag: None,
                raw: None,
            })
        }
        (Value::Seq(mut base_items), Value::Seq(over_items)) => {
            match seq_rule(path) {
                SeqRule::Replace => base_items = over_items,
                SeqRule::ByKey(key_of) => {
                    let mut index: HashMap<String, usize> = HashMap::new();
                    for (i, item) in base_items.iter().enumerate() {
                        index.entry(key_of(item)).or_insert(i);
                    }
                    for item in over_items {
                        let key = key_of(&item);
                        match index.get(&key) {
                            Some(&i) => base_items[i] = item,
                            None => {
                                index.insert(key, base_items.len());
                                base_items.push(item);
                            }
                        }
                    }
                }
                SeqRule::AppendUnique => {
                    let mut seen: HashSet<String> =
                        base_items.iter().filter_map(identity).collect();
                    for item in over_items {
                        let duplicate = identity(&item).is_some_and(|id| !seen.insert(id));
                        if !duplicate {
                            base_items.push(item);
                        }
                    }
                }
            }
            Some(Node {
                value: Value::Seq(base_items),
                line: over.line,
                file: over.file,
                tag: None,
                raw: None,
            })
        }
        (_, value) => Some(Node {
            value,
            tag: None,
            ..over
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    /// Renders a tree as compact flow YAML-ish text.
    fn render(node: &Node) -> String {
        match &node.value {
            Value::Null => "~".into(),
            Value::Seq(items) => format!(
                "[{}]",
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            ),
            Value::Map(map) => format!(
                "{{{}}}",
                map.iter()
                    .map(|(k, v)| format!("{k}: {}", render(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => node.scalar_text().unwrap_or_default(),
        }
    }

    fn check(base: &str, over: &str, expected: &str) {
        let mut base = parse("base.yml", base).unwrap();
        let mut over = parse("over.yml", over).unwrap();
        normalize_root(&mut base);
        normalize_root(&mut over);
        let merged = merge(base, over, &mut Vec::new()).unwrap();
        let services = merged.get("services").unwrap();
        assert_eq!(render(services), expected);
    }

    #[test]
    fn scalars_are_replaced_and_maps_merged() {
        check(
            "services: {web: {image: a, restart: always, deploy: {replicas: 1}}}",
            "services: {web: {image: b, deploy: {resources: {limits: {cpus: 1}}}}}",
            "{web: {image: b, restart: always, deploy: {replicas: 1, resources: {limits: {cpus: 1}}}}}",
        );
    }

    #[test]
    fn commands_are_replaced() {
        check(
            "services: {web: {command: [a, b], healthcheck: {test: [CMD, x], retries: 3}}}",
            "services: {web: {command: [c], healthcheck: {test: [CMD, y]}}}",
            "{web: {command: [c], healthcheck: {test: [CMD, y], retries: 3}}}",
        );
    }

    #[test]
    fn keyed_sequences() {
        check(
            "services: {web: {ports: ['8080:80', '443'], volumes: ['a:/data', './x:/x']}}",
            "services: {web: {ports: ['8080:80', {target: 443}, '9000:90'], volumes: ['b:/data', {type: tmpfs, target: /t}]}}",
            "{web: {ports: [8080:80, {target: 443}, 9000:90], volumes: [b:/data, ./x:/x, {type: tmpfs, target: /t}]}}",
        );
        check(
            "services: {web: {secrets: [a, {source: b, mode: 0400}]}}",
            "services: {web: {secrets: [{source: b, mode: 0440}, c]}}",
            "{web: {secrets: [a, {source: b, mode: 0440}, c]}}",
        );
    }

    #[test]
    fn list_and_map_forms_merge_as_maps() {
        check(
            "services: {web: {environment: [A=1, B=2], labels: {x: 1}, extra_hosts: ['h:1.1.1.1'], depends_on: [db]}}",
            "services: {web: {environment: {B: 3, C: 4}, labels: [y=2], extra_hosts: {g: 2.2.2.2}, depends_on: {cache: {condition: service_healthy}}}}",
            "{web: {environment: {A: 1, B: 3, C: 4}, labels: {x: 1, y: 2}, extra_hosts: {h: 1.1.1.1, g: 2.2.2.2}, depends_on: {db: ~, cache: {condition: service_healthy}}}}",
        );
    }

    #[test]
    fn a_host_keeps_every_address() {
        check(
            "services: {web: {extra_hosts: ['h:1.1.1.1', 'h:ff02::1', 'g=2.2.2.2,3.3.3.3']}}",
            "services: {web: {}}",
            "{web: {extra_hosts: {h: [1.1.1.1, ff02::1], g: [2.2.2.2, 3.3.3.3]}}}",
        );
    }

    #[test]
    fn other_sequences_append_without_duplicates() {
        check(
            "services: {web: {dns: 1.1.1.1, cap_add: [NET_ADMIN]}}",
            "services: {web: {dns: [8.8.8.8, 1.1.1.1], cap_add: [NET_ADMIN, SYS_TIME]}}",
            "{web: {dns: [1.1.1.1, 8.8.8.8], cap_add: [NET_ADMIN, SYS_TIME]}}",
        );
    }

    #[test]
    fn reset_and_override_tags() {
        check(
            "services: {web: {image: a, ports: ['80'], environment: {A: 1, B: 2}}}",
            "services: {web: {ports: !reset [], environment: !override {C: 3}}}",
            "{web: {image: a, environment: {C: 3}}}",
        );
    }

    #[test]
    fn build_string_merges_with_build_map() {
        check(
            "services: {web: {build: ./app}}",
            "services: {web: {build: {target: prod}}}",
            "{web: {build: {context: ./app, target: prod}}}",
        );
    }
}
