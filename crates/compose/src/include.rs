//! `include`: other compose applications loaded as parts of this one, as compose-go's
//! `loader/include.go` does.
//!
//! Each entry — a path, or `{path, project_directory, env_file}` where `path` may list files
//! merged in order — is loaded as a project of its own: its project directory is
//! `project_directory` or the first file's directory; its interpolation environment is its
//! `env_file`s (or `.env` in its project directory) under the including project's
//! environment, which wins; its own `include`s and `extends` are processed; its relative paths
//! are made absolute against its project directory. Then its services, networks, volumes,
//! secrets and configs are copied into the including file, before that file's `extends` (which
//! may name an included service). A resource the including file (or an earlier entry) also
//! defines is merged under that definition with the `-f` merge rules, so the including side
//! wins: compose-go's `importResource` since it let an including file override an included
//! resource (before, a differing definition was an error). Paths written in `include` are
//! relative to the including project's directory. Including a file whose includes are being
//! loaded is a cycle, reported with its chain.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::convert::{absolute_path, normalize};
use crate::diagnostic::Report;
use crate::yaml::{Node, Value};
use crate::{EnvFile, Source};

/// The top-level sections an included project contributes.
const SECTIONS: &[&str] = &["services", "networks", "volumes", "secrets", "configs"];

/// Most included projects one load reads (a diamond of includes repeats work).
const MAX_INCLUDES: usize = 256;

/// What the includes of one load have in common.
#[derive(Default)]
pub(crate) struct Tracker {
    /// The files whose `include`s are being loaded, outermost first: (display, path).
    chain: Vec<(String, PathBuf)>,
    /// Included projects loaded so far.
    loaded: usize,
}

/// One `include` entry as written.
struct Entry<'n> {
    /// `include[i]`, for diagnostics.
    path: String,
    /// The files, as written, with the node that names each.
    files: Vec<(String, &'n Node)>,
    project_directory: Option<(String, &'n Node)>,
    env_files: Vec<(String, &'n Node)>,
}

/// The project `include` is part of: where its paths resolve and what interpolates it.
pub(crate) struct Including<'a> {
    /// The file holding the `include`.
    pub source: &'a Source,
    pub working_dir: &'a Path,
    pub environment: &'a BTreeMap<String, String>,
    pub isolated: bool,
}

/// Loads the projects `root`'s `include` names and copies their resources into `root`
/// (removing `include`). Returns the services it added that `root` did not define: they
/// were resolved in their own project, so `extends` must leave them alone.
pub(crate) fn apply(
    root: &mut Node,
    including: &Including<'_>,
    tracker: &mut Tracker,
    report: &mut Report,
) -> HashSet<String> {
    let mut added = HashSet::new();
    let Some(include) = root.as_map_mut().and_then(|m| m.shift_remove("include")) else {
        return added;
    };
    if include.is_null() {
        return added;
    }
    if including.isolated {
        report.error(
            &include.file,
            Some(include.line),
            "include",
            "include cannot be read here: a stack stored on the server reads no file of the server's; put the included services, networks and volumes in this file",
        );
        return added;
    }
    let entries = entries(&include, report);
    tracker.chain.push((
        including.source.display.clone(),
        including.source.path.clone(),
    ));
    for entry in &entries {
        if let Some(model) = load_entry(entry, including, tracker, report) {
            import(root, model, &mut added, report);
        }
    }
    tracker.chain.pop();
    added
}

/// The entries of an `include` list (malformed ones reported and left out).
fn entries<'n>(include: &'n Node, report: &mut Report) -> Vec<Entry<'n>> {
    let Value::Seq(items) = &include.value else {
        report.error(
            &include.file,
            Some(include.line),
            "include",
            format!(
                "expected a list of files or of mappings with path:, got {}",
                include.describe()
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("include[{i}]");
        let entry = match &item.value {
            Value::Map(fields) => {
                let mut entry = Entry {
                    path: path.clone(),
                    files: Vec::new(),
                    project_directory: None,
                    env_files: Vec::new(),
                };
                for (key, value) in fields {
                    let field = format!("{path}.{key}");
                    match key.as_str() {
                        "path" => entry.files = strings(value, &field, report),
                        "env_file" => entry.env_files = strings(value, &field, report),
                        "project_directory" => match &value.value {
                            Value::Null => {}
                            Value::Seq(_) | Value::Map(_) => report.error(
                                &value.file,
                                Some(value.line),
                                &field,
                                format!("expected a directory, got {}", value.describe()),
                            ),
                            _ => entry.project_directory = value.scalar_text().map(|d| (d, value)),
                        },
                        k if k.starts_with("x-") => {}
                        _ => report.warn(
                            &value.file,
                            Some(value.line),
                            &path,
                            format!("unknown key {key:?} (ignored)"),
                        ),
                    }
                }
                if entry.files.is_empty() {
                    if fields.get("path").is_none_or(|p| p.is_null()) {
                        report.error(
                            &item.file,
                            Some(item.line),
                            &path,
                            "include entry needs a path: the compose file(s) to include",
                        );
                    }
                    continue;
                }
                entry
            }
            _ => match item.scalar_text().filter(|_| !item.is_null()) {
                Some(file) => Entry {
                    path,
                    files: vec![(file, item)],
                    project_directory: None,
                    env_files: Vec::new(),
                },
                None => {
                    report.error(
                        &item.file,
                        Some(item.line),
                        &path,
                        format!(
                            "expected a file or a mapping with path:, got {}",
                            item.describe()
                        ),
                    );
                    continue;
                }
            },
        };
        out.push(entry);
    }
    out
}

/// A string or a list of strings (`path`, `env_file`), with the node of each.
fn strings<'n>(node: &'n Node, path: &str, report: &mut Report) -> Vec<(String, &'n Node)> {
    let items = crate::yaml::one_or_many(node, path);
    let mut out = Vec::new();
    for (item, item_path) in items {
        match &item.value {
            Value::Seq(_) | Value::Map(_) | Value::Null => report.error(
                &item.file,
                Some(item.line),
                &item_path,
                format!("expected a file path, got {}", item.describe()),
            ),
            _ => out.extend(item.scalar_text().map(|text| (text, item))),
        }
    }
    out
}

/// Loads one entry's project: its model with paths absolute and `environment` keys
/// resolved in its own environment. `None` when it cannot be loaded (reported).
fn load_entry(
    entry: &Entry<'_>,
    including: &Including<'_>,
    tracker: &mut Tracker,
    report: &mut Report,
) -> Option<Node> {
    let home = including.environment.get("HOME").map(String::as_str);
    let mut sources = Vec::new();
    for (written, node) in &entry.files {
        let path = absolute_path(written, including.working_dir, home);
        if let Some(start) = tracker.chain.iter().position(|(_, p)| *p == path) {
            let mut names: Vec<&str> = tracker.chain[start..]
                .iter()
                .map(|(display, _)| display.as_str())
                .collect();
            names.push(&tracker.chain[start].0);
            report.error(
                &node.file,
                Some(node.line),
                &entry.path,
                format!("include cycle: {}", names.join(" -> ")),
            );
            return None;
        }
        let text = match crate::read_text(&path) {
            Ok(text) => text,
            Err(message) => {
                report.error(
                    &node.file,
                    Some(node.line),
                    &entry.path,
                    format!("cannot read included file {written:?}: {message}"),
                );
                return None;
            }
        };
        sources.push(Source {
            display: display_name(including, written, &path),
            path,
            text: Ok(text),
        });
    }
    tracker.loaded += 1;
    if tracker.loaded > MAX_INCLUDES {
        if tracker.loaded == MAX_INCLUDES + 1 {
            let node = entry.files[0].1;
            report.error(
                &node.file,
                Some(node.line),
                &entry.path,
                format!("more than {MAX_INCLUDES} included projects"),
            );
        }
        return None;
    }

    let (project_dir, project_dir_display) = match &entry.project_directory {
        Some((written, _)) => {
            let dir = absolute_path(written, including.working_dir, home);
            let display = dir.display().to_string();
            (dir, display)
        }
        None => {
            let dir = sources[0]
                .path
                .parent()
                .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
            let display = Path::new(&sources[0].display)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            (dir, display)
        }
    };
    let env_files: Vec<EnvFile<'_>> = if entry.env_files.is_empty() {
        vec![EnvFile {
            display: Path::new(&project_dir_display)
                .join(".env")
                .display()
                .to_string(),
            path: project_dir.join(".env"),
            required: false,
            named_at: None,
        }]
    } else {
        entry
            .env_files
            .iter()
            .filter(|(written, _)| written != "/dev/null")
            .map(|(written, node)| EnvFile {
                display: written.clone(),
                path: absolute_path(written, including.working_dir, home),
                required: true,
                named_at: Some((*node, entry.path.clone())),
            })
            .collect()
    };
    // compose-go: `environment.Clone().Merge(envFromFile)`, where Merge only adds what is unset.
    let mut environment = crate::read_env_files(&env_files, including.environment, report);
    environment.extend(including.environment.clone());

    let mut model = crate::load_model(
        &sources,
        &project_dir,
        &environment,
        including.isolated,
        tracker,
        report,
    )?;
    crate::convert::check_top_level(&model, report);
    rebase_paths(&mut model, &project_dir);
    resolve_environment(&mut model, &environment);
    Some(model)
}

/// How an included file is named in diagnostics: beside the including file's name when paths
/// resolve from that file's directory, else its absolute path.
fn display_name(including: &Including<'_>, written: &str, path: &Path) -> String {
    let beside = Path::new(written).is_relative()
        && !written.starts_with('~')
        && including.source.path.parent() == Some(including.working_dir);
    match Path::new(&including.source.display).parent() {
        Some(parent) if beside => normalize(&parent.join(written)).display().to_string(),
        _ => path.display().to_string(),
    }
}

/// Makes the relative paths of an included model absolute against its project directory:
/// those of its services (see [`crate::extends::rebase_paths`]) and secret and config files.
fn rebase_paths(model: &mut Node, dir: &Path) {
    let Some(sections) = model.as_map_mut() else {
        return;
    };
    if let Some(services) = sections.get_mut("services").and_then(Node::as_map_mut) {
        for service in services.values_mut() {
            crate::extends::rebase_paths(service, dir);
        }
    }
    for section in ["secrets", "configs"] {
        let Some(objects) = sections.get_mut(section).and_then(Node::as_map_mut) else {
            continue;
        };
        for object in objects.values_mut() {
            if let Some(file) = object.as_map_mut().and_then(|o| o.get_mut("file")) {
                crate::extends::rebase_path(file, dir);
            }
        }
    }
}

/// Gives `environment` keys written without a value their value in the included project's
/// environment, as compose-go's `ResolveEnvironment` does when it loads the project; keys it
/// does not set are left for the including project.
fn resolve_environment(model: &mut Node, environment: &BTreeMap<String, String>) {
    let Some(services) = model
        .as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(Node::as_map_mut)
    else {
        return;
    };
    for service in services.values_mut() {
        let Some(variables) = service
            .as_map_mut()
            .and_then(|s| s.get_mut("environment"))
            .and_then(Node::as_map_mut)
        else {
            continue;
        };
        for (key, value) in variables.iter_mut() {
            if value.is_null()
                && let Some(found) = environment.get(key)
            {
                value.value = Value::String(found.clone());
            }
        }
    }
}

/// Copies the resources of an included model into `root`; a resource `root` already has is
/// merged under it (compose-go's `importResource`: `override.MergeYaml(imported, existing)`).
fn import(root: &mut Node, model: Node, added: &mut HashSet<String>, report: &mut Report) {
    let Value::Map(sections) = model.value else {
        return;
    };
    let Some(target) = root.as_map_mut() else {
        return;
    };
    for (section, node) in sections {
        if !SECTIONS.contains(&section.as_str()) {
            continue;
        }
        let resources = match node.value {
            Value::Map(resources) => resources,
            Value::Null => continue,
            _ => {
                report.error(
                    &node.file,
                    Some(node.line),
                    &section,
                    format!("expected a mapping, got {}", node.describe()),
                );
                continue;
            }
        };
        let slot = target
            .entry(section.clone())
            .or_insert_with(|| Node::new(Value::Null, node.line, node.file.clone()));
        if slot.is_null() {
            slot.value = Value::Map(Default::default());
        }
        // A malformed section of the including file is reported when it is converted.
        let Some(existing) = slot.as_map_mut() else {
            continue;
        };
        for (name, resource) in resources {
            match existing.get_mut(&name) {
                Some(slot) => {
                    let placeholder = Node::new(Value::Null, slot.line, slot.file.clone());
                    let over = std::mem::replace(slot, placeholder);
                    let mut path = vec![section.clone(), name.clone()];
                    match crate::merge::merge(resource, over, &mut path) {
                        Some(merged) => *slot = merged,
                        None => {
                            existing.shift_remove(&name);
                        }
                    }
                }
                None => {
                    if section == "services" {
                        added.insert(name.clone());
                    }
                    existing.insert(name, resource);
                }
            }
        }
    }
}
