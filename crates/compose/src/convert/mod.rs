//! Typed conversion: the merged, interpolated [`Node`] tree → [`windflow_domain::StackSpec`].
//!
//! Every field is read through one of the typed helpers on [`Ctx`], which report a precise
//! diagnostic (file, line, path, expected type) and return `None` so conversion goes on and
//! collects every error in one pass. Cross references whose targets are all known here
//! (networks, volumes, secrets, configs) are checked here too; graph checks live in
//! `validate`.

mod ingress;
mod service;
pub mod syntax;
mod top;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use windflow_domain::{Network, StackSpec, units};

use crate::compat::{self, Section, Support};
use crate::diagnostic::Report;
use crate::yaml::{Node, Value};

pub(crate) struct Ctx<'a> {
    pub report: &'a mut Report,
    pub project: String,
    pub working_dir: PathBuf,
    /// The interpolation environment (process environment over `.env`).
    pub environment: &'a BTreeMap<String, String>,
    /// How many more ports range expansion may produce (bounds memory on hostile input).
    pub ports_left: usize,
    /// See [`crate::LoadOptions::isolated`].
    pub isolated: bool,
}

/// Most ports a whole stack may expand to (a full `1-65535` range, with room to spare).
pub(crate) const MAX_PORTS: usize = 200_000;

/// Converts the root node (already merged, profile-filtered) into a stack.
pub(crate) fn convert(root: &Node, ctx: &mut Ctx<'_>) -> StackSpec {
    let mut stack = StackSpec {
        name: ctx.project.clone(),
        working_dir: ctx.working_dir.clone(),
        ..StackSpec::default()
    };
    if ctx.map(root, "").is_none() {
        return stack;
    }
    check_top_level(root, ctx.report);
    if let Some(node) = root.get("networks") {
        stack.networks = top::networks(node, ctx);
    }
    if let Some(node) = root.get("volumes") {
        stack.volumes = top::volumes(node, ctx);
    }
    if let Some(node) = root.get("secrets") {
        stack.secrets = top::file_objects(node, "secrets", ctx);
    }
    if let Some(node) = root.get("configs") {
        stack.configs = top::file_objects(node, "configs", ctx);
    }
    let services = match root.get("services") {
        Some(node) => ctx.map(node, "services"),
        None => None,
    };
    if let Some(services) = services {
        let mut domain_nodes = BTreeMap::new();
        let mut tcp_nodes = BTreeMap::new();
        for (name, node) in services {
            let path = format!("services.{name}");
            if let Some(service) = service::convert(name, node, &path, &stack, ctx) {
                if let Some(domains) = node.at(&[ingress::EXTENSION, "domains"]) {
                    domain_nodes.insert(
                        name.clone(),
                        (
                            domains.clone(),
                            format!("{path}.{}.domains", ingress::EXTENSION),
                        ),
                    );
                }
                if let Some(tcp) = node.at(&[ingress::EXTENSION, "tcp"]) {
                    tcp_nodes.insert(
                        name.clone(),
                        (tcp.clone(), format!("{path}.{}.tcp", ingress::EXTENSION)),
                    );
                }
                stack.services.insert(name.clone(), service);
            }
        }
        ingress::check_unique_routes(&stack.services, &domain_nodes, ctx);
        ingress::check_unique_tcp(&stack.services, &tcp_nodes, ctx);
    }
    if !stack.networks.contains_key("default")
        && stack
            .services
            .values()
            .any(|s| s.networks.contains_key("default"))
    {
        stack.networks.insert(
            "default".into(),
            Network {
                name: format!("{}_default", ctx.project),
                ..Network::default()
            },
        );
    }
    stack
}

/// Warns about the top-level keys of a project that compose does not know, and the obsolete
/// `version`.
/// Checks the top-level keys of one file (the main model, or an included file's).
pub(crate) fn check_top_level(root: &Node, report: &mut Report) {
    if let Value::Map(map) = &root.value {
        check_keys(report, map, "", &compat::TOP);
    }
}

/// Checks every key of `map` against its section of the compatibility table: a refused key
/// is an error, a key that only matters to an interactive session or that the specification
/// does not define is a warning. Extensions (`x-*`) are always accepted.
fn check_keys(report: &mut Report, map: &IndexMap<String, Node>, path: &str, section: &Section) {
    for (key, node) in map {
        if key.starts_with("x-") {
            continue;
        }
        let line = Some(node.line);
        let at = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match section.support(key) {
            Some(Support::Yes | Support::Describes(_)) => {}
            Some(Support::Session(why)) => {
                report.warn(&node.file, line, &at, format!("{key:?} is ignored: {why}"))
            }
            Some(Support::Refused(why)) => report.error(
                &node.file,
                line,
                &at,
                format!("{key:?} is not supported: {why}"),
            ),
            None => report.warn(
                &node.file,
                line,
                path,
                format!("unknown key {key:?} (ignored)"),
            ),
        }
    }
}

impl Ctx<'_> {
    pub fn error(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        self.report
            .error(&node.file, Some(node.line), path, message);
    }

    pub fn warn(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        self.report.warn(&node.file, Some(node.line), path, message);
    }

    pub fn expected(&mut self, node: &Node, path: &str, what: &str) {
        let got = node.describe();
        self.error(node, path, format!("expected {what}, got {got}"));
    }

    /// See [`check_keys`].
    pub fn check_keys(&mut self, map: &IndexMap<String, Node>, path: &str, section: &Section) {
        check_keys(self.report, map, path, section);
    }

    pub fn map<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n IndexMap<String, Node>> {
        match &node.value {
            Value::Map(m) => Some(m),
            _ => {
                self.expected(node, path, "a mapping");
                None
            }
        }
    }

    /// A mapping, or nothing for `null` (`key:` with no value).
    pub fn map_or_null<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
    ) -> Option<&'n IndexMap<String, Node>> {
        if node.is_null() {
            return None;
        }
        self.map(node, path)
    }

    pub fn seq<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => Some(&[]),
            _ => {
                self.expected(node, path, "a list");
                None
            }
        }
    }

    /// A string; numbers and booleans are taken as written; `null` is absent.
    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Null => None,
            Value::Seq(_) | Value::Map(_) => {
                self.expected(node, path, "a string");
                None
            }
            _ => node.scalar_text(),
        }
    }

    /// A string, or a list of strings.
    pub fn string_or_list(&mut self, node: &Node, path: &str) -> Vec<String> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.string(item, &format!("{path}[{i}]")))
                .collect(),
            _ => self.string(node, path).into_iter().collect(),
        }
    }

    /// A list of strings (a lone string is an error).
    pub fn string_list(&mut self, node: &Node, path: &str) -> Vec<String> {
        match &node.value {
            Value::Seq(_) | Value::Null => self.string_or_list(node, path),
            _ => {
                self.expected(node, path, "a list");
                Vec::new()
            }
        }
    }

    pub fn int(&mut self, node: &Node, path: &str) -> Option<i64> {
        match &node.value {
            Value::Int(i) => Some(*i),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => Some(i),
                Err(_) => {
                    self.expected(node, path, "an integer");
                    None
                }
            },
            Value::Null => None,
            _ => {
                self.expected(node, path, "an integer");
                None
            }
        }
    }

    /// An integer in `T`'s range (e.g. `u32` for retries, replicas).
    pub fn int_in<T: TryFrom<i64>>(&mut self, node: &Node, path: &str) -> Option<T> {
        let i = self.int(node, path)?;
        match T::try_from(i) {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(node, path, format!("{i} is out of range"));
                None
            }
        }
    }

    pub fn float(&mut self, node: &Node, path: &str) -> Option<f64> {
        let parsed = match &node.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            Value::Null => return None,
            _ => None,
        };
        match parsed {
            Some(f) if f.is_finite() => Some(f),
            _ => {
                self.expected(node, path, "a number");
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "on" => Some(true),
                "false" | "no" | "n" | "off" => Some(false),
                _ => {
                    self.expected(node, path, "a boolean");
                    None
                }
            },
            Value::Null => None,
            _ => {
                self.expected(node, path, "a boolean");
                None
            }
        }
    }

    /// A Go duration (`1m30s`) or a number of seconds.
    /// Microseconds: an integer as written, or a duration (`10ms`).
    pub fn duration_micros(&mut self, node: &Node, path: &str) -> Option<i64> {
        match &node.value {
            Value::Int(i) => Some(*i),
            Value::String(s) if s.trim().parse::<i64>().is_ok() => s.trim().parse().ok(),
            _ => self
                .duration(node, path)
                .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX)),
        }
    }

    pub fn duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        let text = match &node.value {
            Value::Int(i) if *i >= 0 => return Some(Duration::from_secs(*i as u64)),
            Value::String(s) => s.clone(),
            Value::Null => return None,
            _ => {
                self.expected(node, path, "a duration like 30s or 1m30s");
                return None;
            }
        };
        match units::parse_duration(&text) {
            Ok(d) => Some(d),
            Err(message) => {
                self.error(node, path, message);
                None
            }
        }
    }

    /// A byte size (`512m`, `1gb`) or a number of bytes.
    pub fn bytes(&mut self, node: &Node, path: &str) -> Option<u64> {
        let text = match &node.value {
            Value::Int(i) if *i >= 0 => return Some(*i as u64),
            Value::String(s) => s.clone(),
            Value::Float(_) => node.scalar_text().unwrap_or_default(),
            Value::Null => return None,
            _ => {
                self.expected(node, path, "a size like 512m or 1g");
                return None;
            }
        };
        match units::parse_bytes(&text) {
            Ok(b) => Some(b),
            Err(message) => {
                self.error(node, path, message);
                None
            }
        }
    }

    /// A file mode: octal when written as a string or with a leading zero (`0444`, `"0440"`),
    /// decimal otherwise (as compose reads YAML 1.1 integers).
    pub fn file_mode(&mut self, node: &Node, path: &str) -> Option<u32> {
        let octal_text = match &node.value {
            Value::Int(i) => {
                let raw = node.raw.as_deref().unwrap_or("");
                if raw.len() > 1 && raw.starts_with('0') && raw.bytes().all(|b| b.is_ascii_digit())
                {
                    raw.to_string()
                } else {
                    return match u32::try_from(*i) {
                        Ok(m) if m <= 0o7777 => Some(m),
                        _ => {
                            self.error(node, path, format!("invalid file mode {i}"));
                            None
                        }
                    };
                }
            }
            Value::String(s) => s.trim().to_string(),
            Value::Null => return None,
            _ => {
                self.expected(node, path, "a file mode like 0440");
                return None;
            }
        };
        let digits = octal_text.strip_prefix("0o").unwrap_or(&octal_text);
        match u32::from_str_radix(digits, 8) {
            Ok(m) if m <= 0o7777 => Some(m),
            _ => {
                self.error(node, path, format!("invalid file mode {octal_text:?}"));
                None
            }
        }
    }

    /// A string map written as a mapping or as a list of `KEY=VALUE` (a bare `KEY` and a
    /// `null` value give an empty string). Used for labels, sysctls, driver options.
    pub fn string_map(&mut self, node: &Node, path: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match &node.value {
            Value::Map(map) => {
                for (key, value) in map {
                    let text = if value.is_null() {
                        String::new()
                    } else {
                        match self.string(value, &format!("{path}.{key}")) {
                            Some(t) => t,
                            None => continue,
                        }
                    };
                    out.insert(key.clone(), text);
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    if let Some(text) = self.string(item, &item_path) {
                        match text.split_once('=') {
                            Some((k, v)) => out.insert(k.to_string(), v.to_string()),
                            None => out.insert(text, String::new()),
                        };
                    }
                }
            }
            Value::Null => {}
            _ => self.expected(node, path, "a mapping or a list of KEY=VALUE"),
        }
        out
    }

    /// A path made absolute against the working directory, with `~` expanded and `.`/`..`
    /// resolved lexically.
    pub fn absolute(&self, path: &str) -> PathBuf {
        absolute_path(
            path,
            &self.working_dir,
            self.environment.get("HOME").map(String::as_str),
        )
    }
}

/// See [`Ctx::absolute`].
pub(crate) fn absolute_path(path: &str, base: &Path, home: Option<&str>) -> PathBuf {
    let expanded: PathBuf = if path == "~" {
        PathBuf::from(home.unwrap_or("~"))
    } else if let Some(rest) = path.strip_prefix("~/") {
        match home {
            Some(home) => Path::new(home).join(rest),
            None => PathBuf::from(path),
        }
    } else {
        PathBuf::from(path)
    };
    let joined = if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    };
    normalize(&joined)
}

/// An absolute container path as compose-go cleans it (Go's `path.Clean`): no trailing `/`,
/// no empty or `.` segments, `..` resolved.
pub(crate) fn container_path(path: &str) -> String {
    normalize(Path::new(path)).to_string_lossy().into_owned()
}

/// `path` cleaned lexically: `.` dropped, `..` taking back the segment before it (never
/// above the root: `/..` is `/`), empty segments and a trailing `/` gone.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A node as JSON, for fields kept as written (`deploy.swarm`).
pub(crate) fn to_json(node: &Node) -> serde_json::Value {
    match &node.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::String(node.scalar_text().unwrap_or_default())),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Seq(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => {
            serde_json::Value::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths() {
        let base = Path::new("/srv/app");
        let check = |input: &str, expected: &str| {
            assert_eq!(
                absolute_path(input, base, Some("/home/me")),
                PathBuf::from(expected),
                "{input}"
            );
        };
        check("./data", "/srv/app/data");
        check("data/../other", "/srv/app/other");
        check("../x", "/srv/x");
        check("/abs/./y", "/abs/y");
        check("~/cfg", "/home/me/cfg");
        check(".", "/srv/app");
        check("/../etc", "/etc");
    }

    #[test]
    fn container_paths_are_cleaned_as_compose_cleans_them() {
        for (path, clean) in [
            ("/var/www/html/", "/var/www/html"),
            ("/", "/"),
            ("//data//x/", "/data/x"),
            ("/a/./b/../c", "/a/c"),
            ("/../etc", "/etc"),
            ("/data", "/data"),
        ] {
            assert_eq!(container_path(path), clean, "{path}");
        }
    }
}
