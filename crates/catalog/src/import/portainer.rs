//! Portainer's app-template lists (portainer/templates: `templates-2.0.json` is version 2,
//! version 3 has the same entries; `templates.json` and `templates-1.20.0.json` are the
//! older list without a version, where `type` is `container`/`stack` or a number).
//!
//! - A container template (type 1) becomes a one-service stack: image, ports, volumes
//!   (`{container}` → a named volume, `{container, bind}` → a bind mount, reported), command,
//!   restart policy, `privileged`, `interactive` (stdin_open + tty), network, hostname and
//!   labels kept as written so the advisor can flag them; each `env` entry becomes an input
//!   (label, description, default or preset, `select` → an enum).
//! - A stack template (type 2 swarm, 3 compose, 4 edge) points at a compose file in a git
//!   repository. The importer does not fetch: the caller's `stackfile` function returns the
//!   file's text when it has it (a mirror it trusts), and the template is imported from it;
//!   otherwise the entry fails with `needs-repository` and the URL.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::Value as Json;
use windflow_compose::yaml::{self, Node, Value};

use super::{Header, ImportFailure, Note, Reason, finish, slug};
use crate::template::{Input, InputKind, Template, is_input_name};

/// Where a stack template's compose file lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackFile {
    /// The repository (`https://github.com/portainer/templates`).
    pub repository: String,
    /// The file's path in it (`stacks/wordpress/docker-compose.yml`).
    pub path: String,
}

/// One entry of a list.
#[derive(Debug, Clone)]
pub struct Entry {
    pub title: String,
    pub result: Result<(Template, Vec<Note>), ImportFailure>,
}

/// Imports every entry of a list; stack templates fail with `needs-repository`.
pub fn import(path: &str, text: &str) -> Result<Vec<Entry>, ImportFailure> {
    import_with(path, text, &|_| None)
}

/// Imports every entry of a list, asking `stackfile` for the compose file of each stack
/// template.
pub fn import_with(
    path: &str,
    text: &str,
    stackfile: &dyn Fn(&StackFile) -> Option<String>,
) -> Result<Vec<Entry>, ImportFailure> {
    let fail = |message: String| ImportFailure {
        template: path.to_string(),
        reason: Reason::InvalidJson,
        message,
        diagnostics: Vec::new(),
        notes: Vec::new(),
    };
    let json: Json = serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let templates = match &json {
        Json::Array(items) => items,
        Json::Object(map) => {
            match map.get("version").and_then(Json::as_str) {
                Some("2" | "3") | None => {}
                Some(other) => {
                    return Err(fail(format!(
                        "unknown list version {other:?} (known: 2, 3)"
                    )));
                }
            }
            match map.get("templates") {
                Some(Json::Array(items)) => items,
                _ => return Err(fail("expected a \"templates\" list".into())),
            }
        }
        _ => return Err(fail("expected a list of templates".into())),
    };
    let mut ids = BTreeSet::new();
    let mut out = Vec::new();
    for (i, entry) in templates.iter().enumerate() {
        let title = entry
            .get("title")
            .and_then(Json::as_str)
            .unwrap_or("untitled")
            .to_string();
        let mut id = slug(&title);
        let base = id.clone();
        let mut n = 2;
        while !ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let name = format!("{path}#{i} ({title})");
        let result = import_entry(&name, &id, entry, stackfile);
        out.push(Entry { title, result });
    }
    Ok(out)
}

fn text_of(entry: &Json, key: &str) -> Option<String> {
    match entry.get(key)? {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn kind_of(entry: &Json) -> Option<u64> {
    match entry.get("type")? {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => match s.as_str() {
            "container" => Some(1),
            "stack" => Some(2),
            "compose" => Some(3),
            "edge" => Some(4),
            _ => None,
        },
        _ => None,
    }
}

/// Strips HTML tags from Portainer's `note` and `description`.
fn plain_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn header(id: &str, entry: &Json) -> Header {
    let mut description = plain_text(&text_of(entry, "description").unwrap_or_default());
    if let Some(note) = text_of(entry, "note") {
        let note = plain_text(&note);
        if !note.is_empty() {
            description = format!("{description}\n\n{note}");
        }
    }
    let categories = entry
        .get("categories")
        .and_then(Json::as_array)
        .map(|c| {
            c.iter()
                .filter_map(Json::as_str)
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Header {
        id: id.to_string(),
        name: text_of(entry, "title").unwrap_or_else(|| id.to_string()),
        description,
        categories,
        tags: Vec::new(),
        logo: text_of(entry, "logo"),
        documentation: None,
        port: None,
    }
}

fn import_entry(
    name: &str,
    id: &str,
    entry: &Json,
    stackfile: &dyn Fn(&StackFile) -> Option<String>,
) -> Result<(Template, Vec<Note>), ImportFailure> {
    let fail = |reason: Reason, message: String, notes: Vec<Note>| ImportFailure {
        template: name.to_string(),
        reason,
        message,
        diagnostics: Vec::new(),
        notes,
    };
    let mut notes = Vec::new();
    if !entry.is_object() {
        return Err(fail(
            Reason::InvalidJson,
            "expected an object".into(),
            notes,
        ));
    }
    if let Some(platform) = text_of(entry, "platform")
        && platform != "linux"
    {
        return Err(fail(
            Reason::UnsupportedKind,
            format!("a {platform} template: WindFlow's targets run Linux containers"),
            notes,
        ));
    }
    if entry.get("administrator_only").and_then(Json::as_bool) == Some(true) {
        notes.push(Note::new(
            Reason::UnsupportedKey,
            "administrator_only",
            "dropped: who may deploy a template is the catalog's permission, not the template's",
        ));
    }
    match kind_of(entry) {
        Some(1) => container(name, id, entry, notes),
        Some(kind @ 2..=4) => {
            let source = match (entry.get("repository"), text_of(entry, "stackfile")) {
                (Some(repository), _) => StackFile {
                    repository: text_of(repository, "url").unwrap_or_default(),
                    path: text_of(repository, "stackfile").unwrap_or_default(),
                },
                (None, Some(url)) => raw_github(&url).unwrap_or(StackFile {
                    repository: url,
                    path: String::new(),
                }),
                (None, None) => {
                    return Err(fail(
                        Reason::InvalidJson,
                        "a stack template without repository or stackfile".into(),
                        notes,
                    ));
                }
            };
            let Some(text) = stackfile(&source) else {
                return Err(fail(
                    Reason::NeedsRepository,
                    format!(
                        "the compose file is {} in {}: fetch the repository and import it from there",
                        if source.path.is_empty() {
                            "the file"
                        } else {
                            &source.path
                        },
                        source.repository
                    ),
                    notes,
                ));
            };
            if kind == 2 {
                notes.push(Note::new(
                    Reason::UnsupportedKind,
                    "type",
                    "a Swarm stack file: its deploy settings apply on Swarm targets only",
                ));
            }
            stack(name, id, entry, &text, &source, notes)
        }
        _ => Err(fail(
            Reason::UnsupportedKind,
            format!("unknown template type {:?}", entry.get("type")),
            notes,
        )),
    }
}

/// `https://raw.githubusercontent.com/<owner>/<repo>/<branch>/<path>` → repository and path.
fn raw_github(url: &str) -> Option<StackFile> {
    let rest = url.strip_prefix("https://raw.githubusercontent.com/")?;
    let mut parts = rest.splitn(4, '/');
    let owner = parts.next()?;
    let repo = parts.next()?;
    let _branch = parts.next()?;
    let path = parts.next()?;
    Some(StackFile {
        repository: format!("https://github.com/{owner}/{repo}"),
        path: path.to_string(),
    })
}

fn string(s: impl Into<String>) -> Node {
    Node::new(Value::String(s.into()), 1, "import".into())
}

fn seq(items: Vec<Node>) -> Node {
    Node::new(Value::Seq(items), 1, "import".into())
}

fn map(m: IndexMap<String, Node>) -> Node {
    Node::new(Value::Map(m), 1, "import".into())
}

/// The inputs of a template's `env` list, and the variable each sets.
fn env_inputs(entry: &Json, notes: &mut Vec<Note>) -> Vec<(String, Input)> {
    let mut out: Vec<(String, Input)> = Vec::new();
    let Some(list) = entry.get("env").and_then(Json::as_array) else {
        return out;
    };
    for (i, env) in list.iter().enumerate() {
        let Some(variable) = text_of(env, "name") else {
            notes.push(Note::new(
                Reason::InvalidJson,
                format!("env[{i}]"),
                "an env entry without name: dropped",
            ));
            continue;
        };
        let mut input_name: String = variable
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        if input_name.starts_with(|c: char| c.is_ascii_digit()) {
            input_name.insert(0, '_');
        }
        while out.iter().any(|(_, i)| i.name == input_name) || input_name.starts_with("WINDFLOW_") {
            input_name.push('_');
        }
        if !is_input_name(&input_name) {
            notes.push(Note::new(
                Reason::UnmappedVariable,
                format!("env[{i}]"),
                format!("{variable:?} cannot be an input name: dropped"),
            ));
            continue;
        }
        let secret = ["PASSWORD", "SECRET", "TOKEN", "KEY"]
            .iter()
            .any(|w| input_name.contains(w));
        let mut input = Input::new(
            &input_name,
            if secret {
                InputKind::Secret
            } else {
                InputKind::String
            },
        );
        input.label = text_of(env, "label").unwrap_or_else(|| variable.clone());
        input.description = text_of(env, "description").map(|d| plain_text(&d));
        input.default = text_of(env, "default").or_else(|| text_of(env, "set"));
        if let Some(options) = env.get("select").and_then(Json::as_array) {
            input.kind = InputKind::Enum;
            for option in options {
                if let Some(value) = text_of(option, "value") {
                    if option.get("default").and_then(Json::as_bool) == Some(true) {
                        input.default = Some(value.clone());
                    }
                    input.options.push(value);
                }
            }
            if input.options.is_empty() {
                input.kind = InputKind::String;
            }
        }
        if env.get("preset").and_then(Json::as_bool) == Some(true) && input.default.is_none() {
            notes.push(Note::new(
                Reason::Guessed,
                format!("env[{i}]"),
                format!("{variable} is preset without a value: left for the user"),
            ));
        }
        // Portainer asks for every variable without a value; an empty default (or preset)
        // means "may stay empty".
        let preset = env.get("preset").and_then(Json::as_bool) == Some(true);
        if input.default.as_deref() == Some("") {
            input.default = None;
            input.required = false;
        } else {
            input.required = input.default.is_none() && !preset;
        }
        out.push((variable, input));
    }
    out
}

fn container(
    name: &str,
    id: &str,
    entry: &Json,
    mut notes: Vec<Note>,
) -> Result<(Template, Vec<Note>), ImportFailure> {
    let Some(image) = text_of(entry, "image") else {
        return Err(ImportFailure {
            template: name.to_string(),
            reason: Reason::InvalidJson,
            message: "a container template without image".into(),
            diagnostics: Vec::new(),
            notes,
        });
    };
    let service_name = text_of(entry, "name")
        .map(|n| slug(&n))
        .unwrap_or_else(|| id.to_string());
    let mut service = IndexMap::new();
    service.insert("image".to_string(), string(image));
    if let Some(command) = text_of(entry, "command") {
        // Docker runs it as written; compose would interpolate a `$`.
        service.insert("command".to_string(), string(command.replace('$', "$$")));
    }
    let restart = text_of(entry, "restart_policy").unwrap_or_else(|| "unless-stopped".into());
    service.insert("restart".to_string(), string(restart));
    if let Some(hostname) = text_of(entry, "hostname") {
        service.insert("hostname".to_string(), string(hostname));
    }
    if let Some(network) = text_of(entry, "network") {
        service.insert("network_mode".to_string(), string(network));
    }
    if entry.get("privileged").and_then(Json::as_bool) == Some(true) {
        service.insert(
            "privileged".to_string(),
            Node::new(Value::Bool(true), 1, "import".into()),
        );
    }
    if entry.get("interactive").and_then(Json::as_bool) == Some(true) {
        service.insert(
            "stdin_open".to_string(),
            Node::new(Value::Bool(true), 1, "import".into()),
        );
        service.insert(
            "tty".to_string(),
            Node::new(Value::Bool(true), 1, "import".into()),
        );
    }
    if let Some(ports) = entry.get("ports").and_then(Json::as_array) {
        let ports: Vec<Node> = ports.iter().filter_map(Json::as_str).map(string).collect();
        if !ports.is_empty() {
            service.insert("ports".to_string(), seq(ports));
        }
    }
    let mut named = IndexMap::new();
    if let Some(volumes) = entry.get("volumes").and_then(Json::as_array) {
        let mut mounts = Vec::new();
        for (i, volume) in volumes.iter().enumerate() {
            let Some(target) = text_of(volume, "container") else {
                notes.push(Note::new(
                    Reason::InvalidJson,
                    format!("volumes[{i}]"),
                    "a volume without container path: dropped",
                ));
                continue;
            };
            let read_only = volume.get("readonly").and_then(Json::as_bool) == Some(true);
            let suffix = if read_only { ":ro" } else { "" };
            match text_of(volume, "bind") {
                Some(host) => {
                    notes.push(Note::new(
                        Reason::HostPath,
                        format!("volumes[{i}]"),
                        format!("bind mount of {host:?} on the target host: kept as written"),
                    ));
                    mounts.push(string(format!("{host}:{target}{suffix}")));
                }
                None => {
                    let volume_name = slug(&format!("{service_name}-{}", target.trim_matches('/')));
                    named.insert(
                        volume_name.clone(),
                        Node::new(Value::Null, 1, "import".into()),
                    );
                    mounts.push(string(format!("{volume_name}:{target}{suffix}")));
                }
            }
        }
        if !mounts.is_empty() {
            service.insert("volumes".to_string(), seq(mounts));
        }
    }
    if let Some(labels) = entry.get("labels").and_then(Json::as_array) {
        let mut m = IndexMap::new();
        for label in labels {
            if let (Some(k), Some(v)) = (text_of(label, "name"), text_of(label, "value")) {
                m.insert(k, string(v.replace('$', "$$")));
            }
        }
        if !m.is_empty() {
            service.insert("labels".to_string(), map(m));
        }
    }
    let env = env_inputs(entry, &mut notes);
    if !env.is_empty() {
        let mut m = IndexMap::new();
        for (variable, input) in &env {
            m.insert(variable.clone(), string(format!("${{{}}}", input.name)));
        }
        service.insert("environment".to_string(), map(m));
    }
    let mut services = IndexMap::new();
    services.insert(service_name, map(service));
    let mut top = IndexMap::new();
    top.insert("services".to_string(), map(services));
    if !named.is_empty() {
        top.insert("volumes".to_string(), map(named));
    }
    let inputs: Vec<Input> = env.into_iter().map(|(_, i)| i).collect();
    let head = header(id, entry);
    finish(
        name,
        &head,
        &inputs,
        top,
        format!("portainer:{name}"),
        notes,
    )
}

fn stack(
    name: &str,
    id: &str,
    entry: &Json,
    text: &str,
    source: &StackFile,
    mut notes: Vec<Note>,
) -> Result<(Template, Vec<Note>), ImportFailure> {
    let root = yaml::parse(&source.path, text).map_err(|diagnostics| ImportFailure {
        template: name.to_string(),
        reason: Reason::InvalidYaml,
        message: format!("{} in {} is not YAML", source.path, source.repository),
        diagnostics,
        notes: notes.clone(),
    })?;
    let Value::Map(mut top) = root.value else {
        return Err(ImportFailure {
            template: name.to_string(),
            reason: Reason::InvalidYaml,
            message: "expected a compose file (a mapping at the top level)".into(),
            diagnostics: Vec::new(),
            notes,
        });
    };
    let (mut inputs, more) = super::coolify::plain_inputs(&mut top);
    notes.extend(more);
    // Labels, descriptions, defaults and options from the list's env entries.
    for (variable, described) in env_inputs(entry, &mut notes) {
        match inputs.iter_mut().find(|i| i.name == variable) {
            Some(input) => {
                input.label = described.label;
                input.description = described.description.or(input.description.take());
                if described.default.is_some() {
                    input.default = described.default;
                    input.required = false;
                } else if input.default.is_none() {
                    input.required = input.required || described.required;
                }
                if described.kind == InputKind::Secret {
                    input.kind = InputKind::Secret;
                }
                if !described.options.is_empty() {
                    input.kind = InputKind::Enum;
                    input.options = described.options;
                }
            }
            None => notes.push(Note::new(
                Reason::UnmappedVariable,
                "env",
                format!("{variable} is listed but the compose file does not use it: dropped"),
            )),
        }
    }
    let head = header(id, entry);
    finish(
        name,
        &head,
        &inputs,
        top,
        format!("portainer:{name} ({}/{})", source.repository, source.path),
        notes,
    )
}
