//! compose-spec loading: compose files in, a normalized [`windflow_domain::StackSpec`] out.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`yaml`]: text → a [`yaml::Node`] tree that keeps file and line for every value
//!    (anchors, aliases and `<<` merge keys expanded, duplicate keys rejected);
//! 2. [`interpolate`] (with [`dotenv`] for `.env` files): `${VAR:-default}` and friends in
//!    every string value, from the process environment over `.env`;
//! 3. `include`, [`merge`] and `extends`: each file's `include`d projects loaded as projects
//!    of their own (own directory and `.env`) and copied in, then several `-f` files and
//!    `extends:` combined with compose's merge rules;
//! 4. profiles: services of inactive profiles removed;
//! 5. `convert`: typed conversion into the domain's `StackSpec`, every short syntax expanded,
//!    every path absolute, every default applied;
//! 6. `validate`: cross references (dependencies, cycles, container names).
//!
//! [`render`] prints a loaded stack as `docker compose config` prints a project.
//!
//! Every stage reports into one list of [`Diagnostic`]s naming file, line and field, and goes
//! on after an error, so one run reports every bad field.
//!
//! Invariants: the only I/O is reading the compose files, `.env`/`env_file` files, `extends`
//! and `include` files (regular files only, size-capped); the loader never panics, whatever the
//! input (checked by property tests and a cargo-fuzz target); nothing here knows about
//! Docker, the engine or the CLI.

pub mod compat;
pub mod diagnostic;
pub mod dotenv;
pub mod fields;
pub mod interpolate;
pub mod merge;
pub mod render;
pub mod shell;
pub mod yaml;

mod convert;
mod extends;
mod include;
mod validate;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use windflow_domain::StackSpec;

pub use crate::convert::syntax::{ShortVolume, parse_port, parse_volume};
use crate::diagnostic::Report;
pub use crate::diagnostic::{Diagnostic, LoadError};
use crate::yaml::{Node, Value};

/// What to load and how (the CLI's `-f`, `-p`, `--project-directory`, `--env-file`,
/// `--profile`, and the process environment).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Compose files in merge order; empty means `compose.yaml`, `compose.yml`,
    /// `docker-compose.yaml` or `docker-compose.yml` (plus its `.override` sibling) in the
    /// working directory.
    pub files: Vec<PathBuf>,
    /// The project directory; defaults to the directory of the first file.
    pub working_dir: Option<PathBuf>,
    /// `-p`; else the top-level `name:`, else `COMPOSE_PROJECT_NAME`, else the project
    /// directory's name (normalized).
    pub project_name: Option<String>,
    /// `--env-file`; defaults to `.env` in the project directory when it exists.
    pub env_files: Vec<PathBuf>,
    /// `--profile` (added to `COMPOSE_PROFILES` from the environment).
    pub profiles: Vec<String>,
    /// The process environment; it wins over `.env` values.
    pub environment: BTreeMap<String, String>,
    /// Read no file besides the compose text itself: no `.env`, and `env_file`,
    /// `extends.file` or `include` are errors. For compose files stored on a server, whose
    /// paths would otherwise read the server's own files.
    pub isolated: bool,
}

/// The line of the field at `path` (`services.web.volumes[0]`, `services.web.sysctls.net.core.somaxconn`)
/// in the compose text, or of the nearest enclosing field written there (a field inherited
/// through `extends` or a default has no line of its own); `None` when the text does not parse.
pub fn locate(text: &str, path: &str) -> Option<usize> {
    let root = yaml::parse("compose.yaml", text).ok()?;
    let mut node = &root;
    let mut line = None;
    let mut rest = path;
    while !rest.is_empty() {
        let next = match &node.value {
            Value::Map(map) => map
                .iter()
                .filter(|(key, _)| {
                    rest.strip_prefix(key.as_str())
                        .is_some_and(|after| after.is_empty() || after.starts_with(['.', '[']))
                })
                .max_by_key(|(key, _)| key.len())
                .map(|(key, child)| (child, &rest[key.len()..])),
            Value::Seq(items) => rest.strip_prefix('[').and_then(|r| {
                let (index, after) = r.split_once(']')?;
                let child = items.get(index.parse::<usize>().ok()?)?;
                Some((child, after))
            }),
            _ => None,
        };
        let Some((child, after)) = next else { break };
        node = child;
        line = Some(child.line);
        rest = after.strip_prefix('.').unwrap_or(after);
    }
    line
}

/// A loaded stack and the warnings found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub stack: StackSpec,
    pub warnings: Vec<Diagnostic>,
}

const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];
const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// Largest file the loader reads.
const MAX_FILE_BYTES: u64 = 8 << 20;

/// One compose file to load: how the user named it, where it is, what it says.
struct Source {
    display: String,
    path: PathBuf,
    text: Result<String, String>,
}

/// Loads the compose files named by `options` (or found in the working directory).
pub fn load(options: &LoadOptions) -> Result<Loaded, LoadError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let mut files: Vec<(String, PathBuf)> = options
        .files
        .iter()
        .map(|f| (f.display().to_string(), absolute(f, &cwd)))
        .collect();
    if files.is_empty() {
        let dir = options
            .working_dir
            .as_deref()
            .map_or_else(|| cwd.clone(), |d| absolute(d, &cwd));
        let found = DEFAULT_FILES
            .iter()
            .find(|name| dir.join(name).is_file())
            .ok_or_else(|| LoadError {
                diagnostics: vec![Diagnostic::new(
                    dir.display().to_string(),
                    None,
                    "",
                    format!(
                        "no compose file found (looked for {})",
                        DEFAULT_FILES.join(", ")
                    ),
                )],
            })?;
        files.push((found.to_string(), dir.join(found)));
        if let Some(over) = OVERRIDE_FILES.iter().find(|name| dir.join(name).is_file()) {
            files.push((over.to_string(), dir.join(over)));
        }
    }
    let working_dir = match &options.working_dir {
        Some(dir) => absolute(dir, &cwd),
        None => files[0]
            .1
            .parent()
            .map_or_else(|| cwd.clone(), Path::to_path_buf),
    };
    let sources = files
        .into_iter()
        .map(|(display, path)| Source {
            text: read_text(&path),
            display,
            path,
        })
        .collect();
    load_sources(sources, working_dir, &cwd, options)
}

/// Loads one in-memory compose file called `name` (for tests and fuzzing). Relative paths
/// resolve against `options.working_dir`, or the current directory.
pub fn load_from_str(name: &str, yaml: &str, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let working_dir = options
        .working_dir
        .as_deref()
        .map_or_else(|| cwd.clone(), |d| absolute(d, &cwd));
    let source = Source {
        display: name.to_string(),
        path: working_dir.join(name),
        text: Ok(yaml.to_string()),
    };
    load_sources(vec![source], working_dir, &cwd, options)
}

fn load_sources(
    sources: Vec<Source>,
    working_dir: PathBuf,
    cwd: &Path,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let mut report = Report::default();
    let environment = environment(options, &working_dir, cwd, &mut report);
    let Some(mut root) = load_model(
        &sources,
        &working_dir,
        &environment,
        options.isolated,
        &mut include::Tracker::default(),
        &mut report,
    ) else {
        return Err(report.into_error());
    };

    let project = project_name(
        options,
        &root,
        &environment,
        &working_dir,
        &sources[0].display,
        &mut report,
    );

    let mut active: Vec<String> = options.profiles.clone();
    if let Some(list) = environment.get("COMPOSE_PROFILES") {
        active.extend(
            list.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        );
    }
    validate::apply_profiles(&mut root, &active, &mut report);

    let mut ctx = convert::Ctx {
        report: &mut report,
        project: project.unwrap_or_default(),
        working_dir: working_dir.clone(),
        environment: &environment,
        ports_left: convert::MAX_PORTS,
        isolated: options.isolated,
    };
    let mut stack = convert::convert(&root, &mut ctx);
    stack.config_files = sources.iter().map(|s| s.path.clone()).collect();
    validate::validate(&stack, &root, &mut report);

    if report.has_errors() {
        return Err(report.into_error());
    }
    Ok(Loaded {
        stack,
        warnings: report.warnings,
    })
}

/// One project's model, before profiles and conversion: its files parsed and interpolated
/// with `environment`, each file's `include`s imported, `extends` resolved, the files merged
/// in order. The main project and each included one are loaded by it. `None` when a file
/// cannot be read or parsed (reported).
fn load_model(
    sources: &[Source],
    working_dir: &Path,
    environment: &BTreeMap<String, String>,
    isolated: bool,
    includes: &mut include::Tracker,
    report: &mut Report,
) -> Option<Node> {
    let lookup = |name: &str| environment.get(name).cloned();

    // Parse, interpolate and normalize each file.
    let mut files = Vec::new();
    for source in sources {
        let text = match &source.text {
            Ok(text) => text,
            Err(message) => {
                report.error(
                    &source.display,
                    None,
                    "",
                    format!("cannot read file: {message}"),
                );
                continue;
            }
        };
        if let Some(mut root) = parse_file(&source.display, text, &lookup, report) {
            // As compose-go: a file's includes come before its `extends`, which may name an
            // included service.
            let including = include::Including {
                source,
                working_dir,
                environment,
                isolated,
            };
            let resolved = include::apply(&mut root, &including, includes, report);
            files.push(extends::File {
                display: source.display.clone(),
                path: source.path.clone(),
                root,
                resolved,
            });
        }
    }
    if files.len() < sources.len() {
        return None;
    }

    // `extends`, then merge the files in order.
    let mut resolver = extends::Resolver::new(&lookup, report);
    resolver.isolated = isolated;
    let mut roots = Vec::new();
    for index in 0..files.len() {
        roots.push(resolver.resolve_file(&files, index));
    }
    drop(resolver);
    let mut roots = roots.into_iter();
    let mut root = roots.next()?;
    for over in roots {
        root = merge::merge(root, over, &mut Vec::new())
            .unwrap_or_else(|| Node::new(Value::Null, 1, sources[0].display.as_str().into()));
    }
    Some(root)
}

/// Parses one file, checks it is a mapping, interpolates and normalizes it.
pub(crate) fn parse_file(
    display: &str,
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    report: &mut Report,
) -> Option<Node> {
    let mut root = match yaml::parse(display, text) {
        Ok(root) => root,
        Err(errors) => {
            report.errors.extend(errors);
            return None;
        }
    };
    match &root.value {
        Value::Map(_) => {}
        Value::Null => {
            report.error(display, None, "", "empty compose file");
            return None;
        }
        _ => {
            report.error(
                display,
                Some(root.line),
                "",
                format!(
                    "expected a mapping at the top level, got {}",
                    root.describe()
                ),
            );
            return None;
        }
    }
    let mut warned = HashSet::new();
    interpolate_tree(&mut root, &mut String::new(), lookup, report, &mut warned);
    merge::normalize_root(&mut root);
    Some(root)
}

/// Interpolates every string value (never keys) of a tree.
pub(crate) fn interpolate_tree(
    node: &mut Node,
    path: &mut String,
    lookup: &dyn Fn(&str) -> Option<String>,
    report: &mut Report,
    warned: &mut HashSet<String>,
) {
    match &mut node.value {
        Value::String(text) => {
            if !text.contains('$') {
                return;
            }
            match interpolate::interpolate(text, lookup) {
                Ok(result) => {
                    for name in result.unset {
                        if warned.insert(name.clone()) {
                            report.warn(
                                &node.file,
                                Some(node.line),
                                path,
                                format!(
                                    "variable {name:?} is not set, defaulting to a blank string"
                                ),
                            );
                        }
                    }
                    *text = result.text;
                }
                Err(message) => report.error(&node.file, Some(node.line), path, message),
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                interpolate_tree(item, path, lookup, report, warned);
                path.truncate(len);
            }
        }
        Value::Map(map) => {
            for (key, value) in map.iter_mut() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                interpolate_tree(value, path, lookup, report, warned);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The interpolation environment: `--env-file`s (or `.env`), then the process environment
/// over them.
fn environment(
    options: &LoadOptions,
    working_dir: &Path,
    cwd: &Path,
    report: &mut Report,
) -> BTreeMap<String, String> {
    let mut files: Vec<EnvFile> = options
        .env_files
        .iter()
        .map(|f| EnvFile {
            display: f.display().to_string(),
            path: absolute(f, cwd),
            required: true,
            named_at: None,
        })
        .collect();
    if files.is_empty() && !options.isolated {
        files.push(EnvFile {
            display: ".env".into(),
            path: working_dir.join(".env"),
            required: false,
            named_at: None,
        });
    }
    let mut values = read_env_files(&files, &options.environment, report);
    values.extend(options.environment.clone());
    values
}

/// One env file to read for interpolation.
pub(crate) struct EnvFile<'n> {
    /// As the user named it.
    pub display: String,
    pub path: PathBuf,
    /// A missing required file is an error; a missing optional one (the default `.env`) is
    /// skipped.
    pub required: bool,
    /// The field that named it, where an unreadable file is reported (else the file itself).
    pub named_at: Option<(&'n Node, String)>,
}

/// The values of env files read in order, each able to use `outer` and the values before it
/// (`outer` wins) in its own `${...}`. `outer` itself is not part of the result.
pub(crate) fn read_env_files(
    files: &[EnvFile<'_>],
    outer: &BTreeMap<String, String>,
    report: &mut Report,
) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for file in files {
        let text = match read_text(&file.path) {
            Ok(text) => text,
            Err(message) => {
                if file.required {
                    match &file.named_at {
                        Some((node, path)) => report.error(
                            &node.file,
                            Some(node.line),
                            path,
                            format!("cannot read env file {:?}: {message}", file.display),
                        ),
                        None => report.error(
                            &file.display,
                            None,
                            "",
                            format!("cannot read env file: {message}"),
                        ),
                    }
                }
                continue;
            }
        };
        let lookup = |name: &str| outer.get(name).or_else(|| values.get(name)).cloned();
        match dotenv::parse(&text, &lookup) {
            Ok(vars) => values.extend(vars),
            Err(e) => report.error(&file.display, Some(e.line), "", e.message),
        }
    }
    values
}

fn project_name(
    options: &LoadOptions,
    root: &Node,
    environment: &BTreeMap<String, String>,
    working_dir: &Path,
    first_file: &str,
    report: &mut Report,
) -> Option<String> {
    let rule = "it must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit";
    let check = |name: &str, file: &str, line: Option<usize>, path: &str, report: &mut Report| {
        if is_valid_project_name(name) {
            Some(name.to_string())
        } else {
            report.error(
                file,
                line,
                path,
                format!("invalid project name {name:?}: {rule}"),
            );
            None
        }
    };
    if let Some(name) = &options.project_name {
        return check(name, "--project-name", None, "", report);
    }
    if let Some(node) = root.get("name") {
        match node.scalar_text() {
            Some(name) if !name.is_empty() => {
                return check(&name, &node.file, Some(node.line), "name", report);
            }
            Some(_) => {}
            None if node.is_null() => {}
            None => {
                report.error(
                    &node.file,
                    Some(node.line),
                    "name",
                    format!("expected a string, got {}", node.describe()),
                );
                return None;
            }
        }
    }
    if let Some(name) = environment
        .get("COMPOSE_PROJECT_NAME")
        .filter(|n| !n.is_empty())
    {
        return check(name, "COMPOSE_PROJECT_NAME", None, "", report);
    }
    let dir_name = working_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let normalized = normalize_project_name(&dir_name);
    if normalized.is_empty() {
        report.error(
            first_file,
            None,
            "",
            format!(
                "cannot derive a project name from the directory {dir_name:?}; set name: or use -p"
            ),
        );
        return None;
    }
    Some(normalized)
}

/// Lowercase `[a-z0-9_-]`, starting with a letter or digit.
pub fn is_valid_project_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A directory name made into a project name, as compose does: lowercased, other characters
/// dropped, leading `_`/`-` trimmed.
pub fn normalize_project_name(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    convert::absolute_path(&path.to_string_lossy(), cwd, None)
}

/// Reads a regular, UTF-8 file of at most [`MAX_FILE_BYTES`]; the error is a short reason.
pub(crate) fn read_text(path: &Path) -> Result<String, String> {
    let clean = |e: std::io::Error| {
        let text = e.to_string();
        match text.find(" (os error") {
            Some(i) => text[..i].to_string(),
            None => text,
        }
    };
    let meta = std::fs::metadata(path).map_err(clean)?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("larger than {} MiB", MAX_FILE_BYTES >> 20));
    }
    // The size can lie (files under /proc), so never read past the cap either.
    let mut bytes = Vec::new();
    let file = std::fs::File::open(path).map_err(clean)?;
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(clean)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {} MiB", MAX_FILE_BYTES >> 20));
    }
    String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn locates_fields_by_path() {
        let text = "services:\n  web:\n    image: busybox\n    volumes:\n      - /a:/a\n      - /:/host\n    sysctls:\n      net.core.somaxconn: 1024\n    privileged: true\n";
        for (path, line) in [
            ("services.web.volumes[1]", Some(6)),
            ("services.web.volumes[0]", Some(5)),
            ("services.web.sysctls.net.core.somaxconn", Some(8)),
            ("services.web.privileged", Some(9)),
            ("services.web.cap_add[0]", Some(2)),
            ("services.db", Some(1)),
        ] {
            assert_eq!(super::locate(text, path), line, "{path}");
        }
        assert_eq!(super::locate("{{{", "services"), None);
    }

    use super::*;

    #[test]
    fn project_names() {
        assert!(is_valid_project_name("my-app_2"));
        assert!(is_valid_project_name("2app"));
        assert!(!is_valid_project_name("My App"));
        assert!(!is_valid_project_name("-app"));
        assert!(!is_valid_project_name(""));
        assert_eq!(normalize_project_name("My App.v2"), "myappv2");
        assert_eq!(normalize_project_name("__x"), "x");
        assert_eq!(normalize_project_name("..."), "");
    }
}
