//! `extends`: a service built on another one, in the same file (`extends: base` or
//! `extends: {service: base}`) or in another file (`extends: {file: common.yml, service:
//! base}`), recursively. The base is merged under the extending service with the same rules
//! as `-f` files. Relative paths of a base from another file are made absolute against that
//! file's directory first. Cycles are errors.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::convert::absolute_path;
use crate::convert::syntax::parse_volume;
use crate::diagnostic::Report;
use crate::yaml::{Node, Value};

/// Longest chain of `extends` followed.
const MAX_CHAIN: usize = 32;

/// A parsed, interpolated, normalized compose file.
pub(crate) struct File {
    pub display: String,
    pub path: PathBuf,
    pub root: Node,
    /// Services of `root` whose `extends` were resolved in their own project (imported by
    /// `include`): left as they are.
    pub resolved: HashSet<String>,
}

pub(crate) struct Resolver<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    report: &'a mut Report,
    /// Every file seen: the main files and the files loaded for `extends`, by path.
    files: Vec<File>,
    reported_cycles: HashSet<Vec<String>>,
    /// See [`crate::LoadOptions::isolated`].
    pub isolated: bool,
    /// Weight of the bases copied into services so far (see [`MAX_COPIED_WEIGHT`]).
    copied: usize,
}

/// Most weight `extends` may copy in total: a base shared by many services is copied into each,
/// so a small file could otherwise grow without bound.
const MAX_COPIED_WEIGHT: usize = 4 * crate::yaml::MAX_WEIGHT;

impl<'a> Resolver<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>, report: &'a mut Report) -> Self {
        Self {
            lookup,
            report,
            files: Vec::new(),
            reported_cycles: HashSet::new(),
            isolated: false,
            copied: 0,
        }
    }

    /// The root of `files[index]` with the `extends` of its services resolved.
    pub fn resolve_file(&mut self, files: &[File], index: usize) -> Node {
        let file = &files[index];
        let at = match self.files.iter().position(|f| f.path == file.path) {
            Some(at) => at,
            None => {
                self.files.push(File {
                    display: file.display.clone(),
                    path: file.path.clone(),
                    root: file.root.clone(),
                    resolved: file.resolved.clone(),
                });
                self.files.len() - 1
            }
        };
        let mut root = file.root.clone();
        let names: Vec<String> = root
            .get("services")
            .and_then(Node::as_map)
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default();
        for name in names {
            let mut chain = Vec::new();
            if let Some(resolved) = self.resolve_service(at, &name, &mut chain)
                && let Some(slot) = root
                    .as_map_mut()
                    .and_then(|r| r.get_mut("services"))
                    .and_then(Node::as_map_mut)
                    .and_then(|s| s.get_mut(&name))
            {
                *slot = resolved;
            }
        }
        root
    }

    fn key(&self, file: usize, service: &str) -> String {
        format!("{}:{service}", self.files[file].display)
    }

    fn resolve_service(
        &mut self,
        file: usize,
        name: &str,
        chain: &mut Vec<String>,
    ) -> Option<Node> {
        let mut service = self.files[file].root.at(&["services", name])?.clone();
        if self.files[file].resolved.contains(name) {
            return Some(service);
        }
        let Some(extends) = service.get("extends").cloned() else {
            return Some(service);
        };
        let path = format!("services.{name}.extends");
        chain.push(self.key(file, name));
        let base = self.resolve_base(file, &extends, &path, chain);
        chain.pop();
        // On failure `extends` stays in place: it tells the converter the service is incomplete.
        let Some((base_file, mut base)) = base else {
            return Some(service);
        };
        self.copied = self.copied.saturating_add(base.weight());
        if self.copied > MAX_COPIED_WEIGHT {
            if self.copied != usize::MAX {
                self.report.error(
                    &extends.file,
                    Some(extends.line),
                    &path,
                    "extends copies too much: the project grows too large",
                );
                self.copied = usize::MAX;
            }
            return Some(service);
        }
        if let Some(fields) = service.as_map_mut() {
            fields.shift_remove("extends");
        }
        if base_file != file
            && let Some(dir) = self.files[base_file].path.parent().map(Path::to_path_buf)
        {
            rebase_paths(&mut base, &dir);
        }
        let mut merge_path = vec!["services".to_string(), name.to_string()];
        crate::merge::merge(base, service, &mut merge_path)
    }

    /// The resolved base service named by an `extends` value, and the file it lives in.
    fn resolve_base(
        &mut self,
        file: usize,
        extends: &Node,
        path: &str,
        chain: &mut Vec<String>,
    ) -> Option<(usize, Node)> {
        let (base_name, file_node) = match &extends.value {
            Value::Map(fields) => {
                for key in fields.keys() {
                    if key != "service" && key != "file" {
                        self.report.warn(
                            &extends.file,
                            Some(extends.line),
                            path,
                            format!("unknown key {key:?} (ignored)"),
                        );
                    }
                }
                let Some(service) = fields.get("service").and_then(Node::scalar_text) else {
                    self.report.error(
                        &extends.file,
                        Some(extends.line),
                        path,
                        "extends needs a service name",
                    );
                    return None;
                };
                (service, fields.get("file"))
            }
            _ => match extends.scalar_text() {
                Some(service) => (service, None),
                None => {
                    self.report.error(
                        &extends.file,
                        Some(extends.line),
                        path,
                        format!(
                            "expected a service name or a mapping, got {}",
                            extends.describe()
                        ),
                    );
                    return None;
                }
            },
        };
        let base_file = match file_node {
            None => file,
            Some(node) => self.load_other(file, node, &format!("{path}.file"))?,
        };
        let key = self.key(base_file, &base_name);
        if let Some(start) = chain.iter().position(|k| *k == key) {
            let mut cycle: Vec<String> = chain[start..].to_vec();
            cycle.push(key);
            let mut members = cycle.clone();
            members.sort();
            members.dedup();
            if self.reported_cycles.insert(members) {
                let same_file = base_file == file && chain.len() - start == 1
                    || cycle
                        .iter()
                        .all(|k| k.starts_with(&format!("{}:", self.files[file].display)));
                let shown: Vec<String> = cycle
                    .iter()
                    .map(|k| {
                        if same_file {
                            k.rsplit_once(':').map_or(k.clone(), |(_, s)| s.to_string())
                        } else {
                            k.clone()
                        }
                    })
                    .collect();
                self.report.error(
                    &extends.file,
                    Some(extends.line),
                    path,
                    format!("extends cycle: {}", shown.join(" -> ")),
                );
            }
            return None;
        }
        if chain.len() >= MAX_CHAIN {
            self.report.error(
                &extends.file,
                Some(extends.line),
                path,
                format!("extends chain longer than {MAX_CHAIN} services"),
            );
            return None;
        }
        if self.files[base_file]
            .root
            .at(&["services", &base_name])
            .is_none()
        {
            let display = self.files[base_file].display.clone();
            self.report.error(
                &extends.file,
                Some(extends.line),
                path,
                format!("extends: service {base_name:?} not found in {display}"),
            );
            return None;
        }
        let base = self.resolve_service(base_file, &base_name, chain)?;
        Some((base_file, base))
    }

    /// Loads (once) the file an `extends.file` names, relative to the extending file.
    fn load_other(&mut self, file: usize, node: &Node, path: &str) -> Option<usize> {
        let Some(name) = node.scalar_text() else {
            self.report.error(
                &node.file,
                Some(node.line),
                path,
                format!("expected a file path, got {}", node.describe()),
            );
            return None;
        };
        if self.isolated {
            self.report.error(
                &node.file,
                Some(node.line),
                path,
                format!(
                    "extends file {name:?} cannot be read here: put the base service in this file"
                ),
            );
            return None;
        }
        let dir = self.files[file]
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let target = absolute_path(&name, &dir, None);
        if let Some(i) = self.files.iter().position(|f| f.path == target) {
            return Some(i);
        }
        let display = match Path::new(&self.files[file].display).parent() {
            Some(parent) if !parent.as_os_str().is_empty() && !Path::new(&name).is_absolute() => {
                parent.join(&name).display().to_string()
            }
            _ => name.clone(),
        };
        let text = match crate::read_text(&target) {
            Ok(text) => text,
            Err(message) => {
                self.report.error(
                    &node.file,
                    Some(node.line),
                    path,
                    format!("cannot read extends file {name:?}: {message}"),
                );
                return None;
            }
        };
        let root = crate::parse_file(&display, &text, self.lookup, self.report)?;
        self.files.push(File {
            display,
            path: target,
            root,
            resolved: HashSet::new(),
        });
        Some(self.files.len() - 1)
    }
}

fn is_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.starts_with('~')
        && !path.contains("://")
        && !path.starts_with("git@")
}

fn set_string(node: &mut Node, text: String) {
    node.value = Value::String(text);
    node.raw = None;
}

/// Makes a relative path (a secret's `file`) absolute against `dir`.
pub(crate) fn rebase_path(node: &mut Node, dir: &Path) {
    if let Some(text) = node.as_str().filter(|t| is_relative(t)).map(str::to_string) {
        set_string(
            node,
            absolute_path(&text, dir, None)
                .to_string_lossy()
                .into_owned(),
        );
    }
}

/// Makes the relative paths of a (normalized) service absolute against `dir`: build context,
/// bind mount sources and env files.
pub(crate) fn rebase_paths(service: &mut Node, dir: &Path) {
    let Some(fields) = service.as_map_mut() else {
        return;
    };
    let absolute = |p: &str| absolute_path(p, dir, None).to_string_lossy().into_owned();
    if let Some(context) = fields
        .get_mut("build")
        .and_then(Node::as_map_mut)
        .and_then(|b| b.get_mut("context"))
        && let Some(text) = context
            .as_str()
            .filter(|t| is_relative(t))
            .map(str::to_string)
    {
        set_string(context, absolute(&text));
    }
    if let Some(Value::Seq(items)) = fields.get_mut("env_file").map(|n| &mut n.value) {
        for item in items {
            let target = match &mut item.value {
                Value::Map(m) => match m.get_mut("path") {
                    Some(p) => p,
                    None => continue,
                },
                _ => item,
            };
            if let Some(text) = target
                .as_str()
                .filter(|t| is_relative(t))
                .map(str::to_string)
            {
                set_string(target, absolute(&text));
            }
        }
    }
    if let Some(Value::Seq(items)) = fields.get_mut("volumes").map(|n| &mut n.value) {
        for item in items {
            match &mut item.value {
                Value::String(spec) => {
                    if let Ok(short) = parse_volume(spec)
                        && let Some(source) = short.source.as_deref().filter(|s| s.starts_with('.'))
                    {
                        let mut text = format!("{}:{}", absolute(source), short.target);
                        if !short.options.is_empty() {
                            text.push(':');
                            text.push_str(&short.options.join(","));
                        }
                        *spec = text;
                    }
                }
                Value::Map(m) => {
                    let is_bind = m.get("type").and_then(Node::as_str) == Some("bind");
                    if let Some(source) = m.get_mut("source").filter(|_| is_bind)
                        && let Some(text) = source
                            .as_str()
                            .filter(|t| is_relative(t))
                            .map(str::to_string)
                    {
                        set_string(source, absolute(&text));
                    }
                }
                _ => {}
            }
        }
    }
}
