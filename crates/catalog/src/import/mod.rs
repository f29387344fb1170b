//! Importers from the template formats users already have. Each rewrites a foreign template
//! into a WindFlow [`Template`] (compose text with an `x-windflow.template` block) and
//! reports, per template, what it could not map ([`Note`]) or why the template could not be
//! imported at all ([`ImportFailure`]), each with a [`Reason`] code.
//!
//! Invariants: pure (the caller passes the text it fetched); never panics; nothing that
//! cannot be mapped is dropped silently; every returned template passes [`Template::parse`].

pub mod coolify;
pub mod portainer;

use std::fmt;

use indexmap::IndexMap;
use windflow_compose::Diagnostic;
use windflow_compose::yaml::{Node, Value};

use crate::template::{Input, Template};

/// Why something was not imported as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The text is not YAML (or not the expected shape).
    InvalidYaml,
    /// The text is not JSON (or not the expected shape).
    InvalidJson,
    /// The rewritten compose file does not load with WindFlow's compose loader.
    DoesNotLoad,
    /// A key WindFlow has no equivalent for (dropped, or kept and ignored).
    UnsupportedKey,
    /// A variable whose value the source computes in a way WindFlow cannot (given to the
    /// user as a plain input instead).
    UnmappedVariable,
    /// A bind mount of a path on the host: kept, but it depends on the target's files.
    HostPath,
    /// A value that needed a guess (a port, a domain's service).
    Guessed,
    /// A stack template whose compose file lives in a repository that was not provided.
    NeedsRepository,
    /// The source marks the template as not to be offered (`# ignore: true`).
    IgnoredUpstream,
    /// A template kind the importer does not handle.
    UnsupportedKind,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InvalidYaml => "invalid-yaml",
            Reason::InvalidJson => "invalid-json",
            Reason::DoesNotLoad => "does-not-load",
            Reason::UnsupportedKey => "unsupported-key",
            Reason::UnmappedVariable => "unmapped-variable",
            Reason::HostPath => "host-path",
            Reason::Guessed => "guessed",
            Reason::NeedsRepository => "needs-repository",
            Reason::IgnoredUpstream => "ignored-upstream",
            Reason::UnsupportedKind => "unsupported-kind",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something of an imported template that was not mapped as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub reason: Reason,
    /// Where (`services.app.exclude_from_hc`), when it is one place.
    pub path: String,
    pub message: String,
}

impl Note {
    pub fn new(reason: Reason, path: impl Into<String>, message: impl Into<String>) -> Note {
        Note {
            reason,
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] ", self.reason)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// A template that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFailure {
    /// The source file (and entry, for a list).
    pub template: String,
    pub reason: Reason,
    pub message: String,
    /// What the loader said, for [`Reason::DoesNotLoad`].
    pub diagnostics: Vec<Diagnostic>,
    /// What was noted before the failure.
    pub notes: Vec<Note>,
}

impl fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: [{}] {}", self.template, self.reason, self.message)?;
        for d in &self.diagnostics {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportFailure {}

/// The header of a template before its compose part is written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Header {
    pub id: String,
    pub name: String,
    pub description: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub logo: Option<String>,
    pub documentation: Option<String>,
    pub port: Option<u16>,
}

fn node(value: Value) -> Node {
    Node::new(value, 1, "import".into())
}

fn text(s: &str) -> Node {
    node(Value::String(s.to_string()))
}

fn list(items: &[String]) -> Node {
    node(Value::Seq(items.iter().map(|s| text(s)).collect()))
}

/// The `x-windflow` node of a template with `header` and `inputs`.
fn template_block(header: &Header, inputs: &[Input]) -> Node {
    let mut t = IndexMap::new();
    t.insert("id".to_string(), text(&header.id));
    t.insert("name".to_string(), text(&header.name));
    t.insert("version".to_string(), text("1.0.0"));
    t.insert("description".to_string(), text(&header.description));
    t.insert("categories".to_string(), list(&header.categories));
    t.insert("tags".to_string(), list(&header.tags));
    if let Some(logo) = &header.logo {
        t.insert("logo".to_string(), text(logo));
    }
    if let Some(doc) = &header.documentation {
        t.insert("documentation".to_string(), text(doc));
    }
    if let Some(port) = header.port {
        t.insert("port".to_string(), node(Value::Int(i64::from(port))));
    }
    let mut items = Vec::new();
    for input in inputs {
        let mut i = IndexMap::new();
        i.insert("name".to_string(), text(&input.name));
        if input.label != input.name {
            i.insert("label".to_string(), text(&input.label));
        }
        if let Some(d) = &input.description {
            i.insert("description".to_string(), text(d));
        }
        i.insert("type".to_string(), text(input.kind.as_str()));
        if let Some(g) = input.generate {
            i.insert("generate".to_string(), text(&g.to_string()));
        }
        if let Some(d) = &input.default {
            i.insert("default".to_string(), text(d));
        }
        let computed =
            input.default.is_some() || input.generate.is_some() || input.formula.is_some();
        if input.required == computed {
            i.insert("required".to_string(), node(Value::Bool(input.required)));
        }
        if !input.options.is_empty() {
            i.insert("options".to_string(), list(&input.options));
        }
        items.push(node(Value::Map(i)));
    }
    if !items.is_empty() {
        t.insert("inputs".to_string(), node(Value::Seq(items)));
    }
    let mut x = IndexMap::new();
    x.insert("template".to_string(), node(Value::Map(t)));
    node(Value::Map(x))
}

/// Writes `root` (a compose mapping, without `x-windflow`) as a template with `header` and
/// `inputs`, and checks it with [`Template::parse`].
pub(crate) fn finish(
    file: &str,
    header: &Header,
    inputs: &[Input],
    root: IndexMap<String, Node>,
    source: String,
    notes: Vec<Note>,
) -> Result<(Template, Vec<Note>), ImportFailure> {
    let mut root = root;
    declare_named_volumes(&mut root);
    let mut top = IndexMap::new();
    top.insert("x-windflow".to_string(), template_block(header, inputs));
    for (key, value) in root {
        if key != "x-windflow" {
            top.insert(key, value);
        }
    }
    let text = crate::emit::to_yaml(&node(Value::Map(top)));
    match Template::parse(file, &text) {
        Ok(mut template) => {
            template.source = Some(source);
            Ok((template, notes))
        }
        Err(diagnostics) => Err(ImportFailure {
            template: file.to_string(),
            reason: Reason::DoesNotLoad,
            message: format!(
                "the rewritten compose file does not load: {}",
                diagnostics
                    .first()
                    .map(|d| d.message.clone())
                    .unwrap_or_default()
            ),
            diagnostics,
            notes,
        }),
    }
}

/// Declares in the top-level `volumes:` every named volume a service mounts and the file
/// does not declare (Coolify creates them; compose wants them declared).
pub(crate) fn declare_named_volumes(top: &mut IndexMap<String, Node>) {
    let mut used = Vec::new();
    if let Some(services) = top.get("services").and_then(Node::as_map) {
        for service in services.values() {
            let Some(Value::Seq(volumes)) = service.get("volumes").map(|v| &v.value) else {
                continue;
            };
            for volume in volumes {
                let source = match &volume.value {
                    Value::String(short) if short.contains(':') => {
                        short.split(':').next().map(str::to_string)
                    }
                    Value::Map(fields)
                        if fields
                            .get("type")
                            .and_then(Node::as_str)
                            .is_none_or(|t| t == "volume") =>
                    {
                        fields.get("source").and_then(Node::scalar_text)
                    }
                    _ => None,
                };
                if let Some(source) = source
                    && is_volume_name(&source)
                    && !used.contains(&source)
                {
                    used.push(source);
                }
            }
        }
    }
    if used.is_empty() {
        return;
    }
    let entry = top
        .entry("volumes".to_string())
        .or_insert_with(|| node(Value::Map(IndexMap::new())));
    if entry.is_null() {
        *entry = node(Value::Map(IndexMap::new()));
    }
    if let Some(declared) = entry.as_map_mut() {
        for name in used {
            declared.entry(name).or_insert_with(|| node(Value::Null));
        }
    }
}

/// Whether a mount source is a volume name (not a path, not a variable).
fn is_volume_name(source: &str) -> bool {
    let mut chars = source.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A slug from any name: lower case, `[a-z0-9-]`, no leading, trailing or double hyphen.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(64);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("template");
    }
    out
}
