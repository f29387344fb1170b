//! A template: one compose file whose top-level `x-windflow.template` block names it,
//! declares its inputs and its size classes. [`Template::parse`] reads and checks one.
//!
//! The format, as users write it (also `docs/templates.md`):
//!
#![doc = include_str!("../../../docs/templates.md")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use windflow_compose::fields::FieldReader as Reader;
use windflow_compose::yaml::{self, Node, Value};
use windflow_compose::{Diagnostic, LoadOptions};

use crate::formula::Formula;
pub use crate::input::{
    BUILTINS, Generator, Input, InputKind, MAX_GENERATED, SIZE_UNITS, Size, Sizes, is_input_name,
};
use crate::input::{builtin_values, check_value};
use crate::vars;

/// One template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// A slug (`[a-z0-9-]`), unique within its source.
    pub id: String,
    pub name: String,
    /// The template's own version (not the application's).
    pub version: String,
    pub description: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub logo: Option<String>,
    pub documentation: Option<String>,
    /// The main port users reach.
    pub port: Option<u16>,
    pub inputs: Vec<Input>,
    pub sizes: Sizes,
    /// The whole compose text, `x-windflow.template` included: what a deployment stores.
    pub compose: String,
    /// Where the template came from (`builtin`, `coolify:ghost.yaml`); set by the catalog,
    /// not by authors.
    pub source: Option<String>,
}

/// The keys `x-windflow.template` knows.
const TEMPLATE_KEYS: &[&str] = &[
    "id",
    "name",
    "version",
    "description",
    "categories",
    "tags",
    "logo",
    "documentation",
    "port",
    "inputs",
    "sizes",
    "source",
];

/// The keys of one input.
const INPUT_KEYS: &[&str] = &[
    "name",
    "label",
    "description",
    "type",
    "generate",
    "required",
    "default",
    "options",
    "min",
    "max",
    "pattern",
    "formula",
    "unit",
];

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

impl Template {
    /// Reads and checks a template. `file` names it in diagnostics. Checks, besides every
    /// field of `x-windflow.template`: that every `${VAR}` the compose part uses is an input
    /// or a built-in (`WINDFLOW_*`), and that the compose part loads with WindFlow's compose
    /// loader (isolated: no file is read) when every input has a placeholder value.
    pub fn parse(file: &str, text: &str) -> Result<Template, Vec<Diagnostic>> {
        let root = yaml::parse(file, text)?;
        let mut r = Reader::new(file);
        if root.as_map().is_none() {
            r.error(
                &root,
                "",
                "expected a compose file (a mapping) with x-windflow.template",
            );
            return Err(r.errors);
        }
        let Some(block) = root.at(&["x-windflow", "template"]) else {
            r.error(
                &root,
                "x-windflow.template",
                "not a template: the top-level x-windflow.template block is missing",
            );
            return Err(r.errors);
        };
        const AT: &str = "x-windflow.template";
        if block.as_map().is_none() {
            r.error(
                block,
                AT,
                format!("expected a mapping, got {}", block.describe()),
            );
            return Err(r.errors);
        }
        r.known_keys(block, AT, TEMPLATE_KEYS);
        let field = |key: &str| block.get(key);

        let id = match field("id") {
            Some(node) => {
                let id = r.text(node, &format!("{AT}.id")).unwrap_or_default();
                if !id.is_empty() && !is_slug(&id) {
                    r.error(
                        node,
                        &format!("{AT}.id"),
                        format!("invalid id {id:?}: use lower-case letters, digits and hyphens"),
                    );
                }
                id
            }
            None => {
                r.error(
                    block,
                    &format!("{AT}.id"),
                    "missing: the template's id (a slug)",
                );
                String::new()
            }
        };
        let name = field("name")
            .and_then(|n| r.text(n, &format!("{AT}.name")))
            .unwrap_or_else(|| id.clone());
        let version = field("version")
            .and_then(|n| r.text(n, &format!("{AT}.version")))
            .unwrap_or_else(|| "1.0.0".into());
        let description = field("description")
            .and_then(|n| r.text(n, &format!("{AT}.description")))
            .unwrap_or_default();
        let categories = field("categories")
            .map(|n| r.words(n, &format!("{AT}.categories")))
            .unwrap_or_default();
        let tags = field("tags")
            .map(|n| r.words(n, &format!("{AT}.tags")))
            .unwrap_or_default();
        let logo = field("logo").and_then(|n| r.text(n, &format!("{AT}.logo")));
        let documentation =
            field("documentation").and_then(|n| r.text(n, &format!("{AT}.documentation")));
        let source = field("source").and_then(|n| r.text(n, &format!("{AT}.source")));
        let port = field("port").and_then(|n| {
            let at = format!("{AT}.port");
            let number = r.number(n, &at)?;
            if number.fract() != 0.0 || !(1.0..=65535.0).contains(&number) {
                r.error(
                    n,
                    &at,
                    format!("invalid port {number}: expected 1 to 65535"),
                );
                return None;
            }
            Some(number as u16)
        });
        let sizes = match field("sizes") {
            Some(node) => read_sizes(&mut r, node, &format!("{AT}.sizes")),
            None => Sizes::default(),
        };
        let mut inputs = Vec::new();
        if let Some(node) = field("inputs") {
            let at = format!("{AT}.inputs");
            match &node.value {
                Value::Seq(items) => {
                    let mut seen = BTreeSet::new();
                    for (i, item) in items.iter().enumerate() {
                        let path = format!("{at}[{i}]");
                        if let Some(input) = read_input(&mut r, item, &path) {
                            if !seen.insert(input.name.clone()) {
                                r.error(
                                    item,
                                    &path,
                                    format!("input {:?} is declared twice", input.name),
                                );
                            }
                            inputs.push(input);
                        }
                    }
                }
                Value::Null => {}
                _ => r.error(
                    node,
                    &at,
                    format!("expected a list, got {}", node.describe()),
                ),
            }
        }

        // Every variable the compose part uses is an input or a built-in.
        let known: BTreeSet<&str> = inputs
            .iter()
            .map(|i| i.name.as_str())
            .chain(BUILTINS.iter().copied())
            .collect();
        if let Some(map) = root.as_map() {
            for (key, node) in map {
                if key == "x-windflow" {
                    continue;
                }
                check_references(&mut r, node, key, &known);
            }
        }

        if !r.errors.is_empty() {
            return Err(r.errors);
        }
        let template = Template {
            id,
            name,
            version,
            description,
            categories,
            tags,
            logo,
            documentation,
            port,
            inputs,
            sizes,
            compose: text.to_string(),
            source,
        };
        template.check_loads(file)?;
        Ok(template)
    }

    /// The input called `name`.
    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// Loads the compose part with a placeholder for every input.
    fn check_loads(&self, file: &str) -> Result<(), Vec<Diagnostic>> {
        let mut environment = BTreeMap::new();
        for input in &self.inputs {
            environment.insert(input.name.clone(), placeholder(input));
        }
        let size = self.sizes.medium;
        for (name, value) in builtin_values(&size) {
            environment.insert(name.to_string(), value);
        }
        let options = LoadOptions {
            working_dir: Some(PathBuf::from("/windflow/templates").join(&self.id)),
            project_name: Some(if self.id.is_empty() {
                "template".into()
            } else {
                self.id.clone()
            }),
            environment,
            isolated: true,
            ..LoadOptions::default()
        };
        windflow_compose::load_from_str(file, &self.compose, &options)
            .map(|_| ())
            .map_err(|e| e.diagnostics)
    }
}

/// A value of the right shape for `input`, to check that the compose part loads.
pub(crate) fn placeholder(input: &Input) -> String {
    if let Some(default) = &input.default
        && check_value(input, default).is_ok()
    {
        return check_value(input, default).unwrap_or_default();
    }
    match input.kind {
        InputKind::String | InputKind::Secret => "placeholder".into(),
        InputKind::Number => input.min.unwrap_or(1.0).to_string(),
        InputKind::Boolean => "true".into(),
        InputKind::Enum => input.options.first().cloned().unwrap_or_default(),
        // Distinct per input: two services may not share a domain.
        InputKind::Domain => format!(
            "{}.example.test",
            input
                .name
                .to_ascii_lowercase()
                .replace('_', "-")
                .trim_matches('-')
        ),
        InputKind::Port => input
            .min
            .map_or_else(|| "8080".into(), |m| (m as u16).max(1).to_string()),
        InputKind::Size => "64m".into(),
    }
}

fn check_references(r: &mut Reader<'_>, node: &Node, path: &str, known: &BTreeSet<&str>) {
    match &node.value {
        Value::String(s) if s.contains('$') => {
            let mut reported = BTreeSet::new();
            for reference in vars::references(s) {
                if !known.contains(reference.name.as_str())
                    && reported.insert(reference.name.clone())
                {
                    r.error(
                        node,
                        path,
                        format!(
                            "${{{}}} is neither an input of the template nor a built-in ({}); declare it under x-windflow.template.inputs, or write $$ for a literal dollar",
                            reference.name,
                            BUILTINS.join(", ")
                        ),
                    );
                }
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                check_references(r, item, &format!("{path}[{i}]"), known);
            }
        }
        Value::Map(map) => {
            for (key, value) in map {
                check_references(r, value, &format!("{path}.{key}"), known);
            }
        }
        _ => {}
    }
}

fn read_sizes(r: &mut Reader<'_>, node: &Node, path: &str) -> Sizes {
    let mut sizes = Sizes::default();
    if node.as_map().is_none() {
        r.error(
            node,
            path,
            format!("expected a mapping, got {}", node.describe()),
        );
        return sizes;
    }
    r.known_keys(node, path, &["small", "medium", "large"]);
    for (key, slot) in [
        ("small", &mut sizes.small),
        ("medium", &mut sizes.medium),
        ("large", &mut sizes.large),
    ] {
        let Some(class) = node.get(key) else {
            continue;
        };
        let at = format!("{path}.{key}");
        if class.as_map().is_none() {
            r.error(
                class,
                &at,
                format!("expected a mapping, got {}", class.describe()),
            );
            continue;
        }
        r.known_keys(class, &at, &["cpus", "memory", "disk"]);
        if let Some(n) = class.get("cpus") {
            match r.number(n, &format!("{at}.cpus")) {
                Some(c) if c > 0.0 && c <= 1024.0 => slot.cpus = c,
                Some(c) => r.error(
                    n,
                    &format!("{at}.cpus"),
                    format!("invalid cpus {c}: expected more than 0"),
                ),
                None => {}
            }
        }
        if let Some(n) = class.get("memory")
            && let Some(b) = r.bytes(n, &format!("{at}.memory"))
        {
            slot.memory_bytes = b;
        }
        if let Some(n) = class.get("disk")
            && let Some(b) = r.bytes(n, &format!("{at}.disk"))
        {
            slot.disk_bytes = b;
        }
    }
    sizes
}

fn read_input(r: &mut Reader<'_>, node: &Node, path: &str) -> Option<Input> {
    if node.as_map().is_none() {
        r.error(
            node,
            path,
            format!("expected a mapping, got {}", node.describe()),
        );
        return None;
    }
    r.known_keys(node, path, INPUT_KEYS);
    let Some(name_node) = node.get("name") else {
        r.error(
            node,
            &format!("{path}.name"),
            "missing: the ${VARIABLE} this input sets",
        );
        return None;
    };
    let name = r.text(name_node, &format!("{path}.name"))?;
    if !is_input_name(&name) {
        r.error(
            name_node,
            &format!("{path}.name"),
            format!("invalid input name {name:?}: use [A-Z_][A-Z0-9_]*"),
        );
    }
    if name.starts_with("WINDFLOW_") {
        r.error(
            name_node,
            &format!("{path}.name"),
            format!("{name:?}: WINDFLOW_* names are reserved for built-in variables"),
        );
    }
    let kind = match node.get("type") {
        Some(n) => {
            let text = r.text(n, &format!("{path}.type"))?;
            match InputKind::parse(&text) {
                Some(kind) => kind,
                None => {
                    r.error(
                        n,
                        &format!("{path}.type"),
                        format!(
                            "unknown type {text:?} (use {})",
                            InputKind::ALL.map(InputKind::as_str).join(", ")
                        ),
                    );
                    return None;
                }
            }
        }
        None => InputKind::String,
    };
    let mut input = Input::new(&name, kind);
    let at = |key: &str| format!("{path}.{key}");
    if let Some(n) = node.get("label") {
        input.label = r.text(n, &at("label")).unwrap_or(name.clone());
    }
    input.description = node
        .get("description")
        .and_then(|n| r.text(n, &at("description")));
    if let Some(n) = node.get("generate") {
        let text = r.text(n, &at("generate"))?;
        match Generator::parse(&text) {
            Ok(g) => input.generate = Some(g),
            Err(e) => r.error(n, &at("generate"), e),
        }
    }
    if let Some(n) = node.get("default") {
        input.default = match &n.value {
            Value::Null => None,
            _ => r.text(n, &at("default")),
        };
    }
    if let Some(n) = node.get("options") {
        input.options = r.words(n, &at("options"));
        if kind != InputKind::Enum {
            r.error(n, &at("options"), "options are for inputs of type enum");
        }
    }
    if kind == InputKind::Enum && input.options.is_empty() {
        r.error(
            node,
            &at("options"),
            "an enum input needs options: [a, b, …]",
        );
    }
    for (key, slot) in [("min", &mut input.min), ("max", &mut input.max)] {
        if let Some(n) = node.get(key) {
            if !matches!(kind, InputKind::Number | InputKind::Port | InputKind::Size) {
                r.error(
                    n,
                    &at(key),
                    format!("{key} is for number, port and size inputs"),
                );
            }
            *slot = if kind == InputKind::Size {
                r.bytes(n, &at(key)).map(|b| b as f64)
            } else {
                r.number(n, &at(key))
            };
        }
    }
    if let Some(n) = node.get("pattern") {
        let text = r.text(n, &at("pattern"))?;
        if !matches!(kind, InputKind::String | InputKind::Secret) {
            r.error(n, &at("pattern"), "pattern is for string and secret inputs");
        }
        match regex::RegexBuilder::new(&text).size_limit(1 << 20).build() {
            Ok(_) => input.pattern = Some(text),
            Err(e) => r.error(
                n,
                &at("pattern"),
                format!("invalid regular expression: {e}"),
            ),
        }
    }
    if let Some(n) = node.get("formula") {
        let text = r.text(n, &at("formula"))?;
        if !matches!(kind, InputKind::Number | InputKind::Size) {
            r.error(n, &at("formula"), "formula is for number and size inputs");
        }
        match Formula::parse(&text) {
            Ok(_) => input.formula = Some(text),
            Err(e) => r.error(n, &at("formula"), format!("invalid formula {text:?}: {e}")),
        }
    }
    if let Some(n) = node.get("unit") {
        let text = r.text(n, &at("unit"))?;
        if kind != InputKind::Size {
            r.error(n, &at("unit"), "unit is for size inputs");
        }
        if SIZE_UNITS.contains(&text.as_str()) {
            input.unit = Some(text);
        } else {
            r.error(
                n,
                &at("unit"),
                format!("unknown unit {text:?} (use {})", SIZE_UNITS.join(", ")),
            );
        }
    }
    let computed = input.default.is_some() || input.generate.is_some() || input.formula.is_some();
    input.required = match node.get("required") {
        Some(n) => match &n.value {
            Value::Bool(b) => *b,
            _ => {
                r.error(
                    n,
                    &at("required"),
                    format!("expected true or false, got {}", n.describe()),
                );
                !computed
            }
        },
        None => !computed,
    };
    if let Some(default) = &input.default
        && let Err(e) = check_value(&input, default)
        && let Some(n) = node.get("default")
    {
        r.error(n, &at("default"), format!("invalid default: {e}"));
    }
    Some(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTGRES: &str = r#"x-windflow:
  template:
    id: postgresql
    name: PostgreSQL
    version: "1.0.0"
    description: A database.
    categories: [database]
    tags: [sql]
    port: 5432
    inputs:
      - name: POSTGRES_PASSWORD
        type: secret
        generate: password
      - name: SHARED_BUFFERS
        type: size
        formula: memory / 4
        unit: MB
      - name: FLAVOUR
        type: enum
        options: [alpine, bookworm]
        default: alpine
    sizes:
      small: { cpus: 0.5, memory: 256MiB, disk: 1GiB }
services:
  db:
    image: postgres:16-${FLAVOUR}
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
    command: ["postgres", "-c", "shared_buffers=${SHARED_BUFFERS}"]
    mem_limit: ${WINDFLOW_MEMORY}
    cpus: ${WINDFLOW_CPUS}
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U $${POSTGRES_USER}"]
"#;

    fn errors(text: &str) -> Vec<String> {
        Template::parse("t.yaml", text)
            .expect_err("should fail")
            .into_iter()
            .map(|d| d.to_string())
            .collect()
    }

    #[test]
    fn reads_the_format() {
        let t = Template::parse("t.yaml", POSTGRES).unwrap();
        assert_eq!(t.id, "postgresql");
        assert_eq!(t.port, Some(5432));
        assert_eq!(t.inputs.len(), 3);
        let password = t.input("POSTGRES_PASSWORD").unwrap();
        assert_eq!(password.generate, Some(Generator::Password));
        assert!(!password.required && password.is_secret());
        assert_eq!(
            t.input("SHARED_BUFFERS").unwrap().unit.as_deref(),
            Some("MB")
        );
        assert_eq!(t.sizes.small.memory_bytes, 256 << 20);
        assert_eq!(t.sizes.large, Sizes::default().large);
        assert_eq!(t.compose, POSTGRES);
    }

    #[test]
    fn unknown_variables_are_reported_with_their_line() {
        let text = POSTGRES.replace("postgres:16-${FLAVOUR}", "postgres:${TAG}");
        let errors = errors(&text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("t.yaml:26: services.db.image: ${TAG} is neither"),
            "{errors:?}"
        );
    }

    #[test]
    fn fields_are_checked_with_file_line_and_field() {
        let text = POSTGRES
            .replace("type: enum", "type: choice")
            .replace("formula: memory / 4", "formula: memory // 4")
            .replace("id: postgresql", "id: Postgres SQL")
            .replace("generate: password", "generate: words");
        let errors = errors(&text);
        let joined = errors.join("\n");
        assert!(
            joined.contains("t.yaml:3: x-windflow.template.id: invalid id"),
            "{joined}"
        );
        assert!(
            joined.contains("t.yaml:13: x-windflow.template.inputs[0].generate: unknown generator"),
            "{joined}"
        );
        assert!(
            joined.contains("t.yaml:16: x-windflow.template.inputs[1].formula: invalid formula"),
            "{joined}"
        );
        assert!(
            joined
                .contains("t.yaml:19: x-windflow.template.inputs[2].type: unknown type \"choice\""),
            "{joined}"
        );
    }

    #[test]
    fn the_compose_part_must_load() {
        let text = POSTGRES.replace("command: [", "command: {");
        assert!(Template::parse("t.yaml", &text).is_err());
        let text = POSTGRES.replace(
            "    cpus: ${WINDFLOW_CPUS}\n",
            "    cpus: ${WINDFLOW_CPUS}\n    depends_on: [nothere]\n",
        );
        let errors = errors(&text);
        assert!(errors.iter().any(|e| e.contains("nothere")), "{errors:?}");
    }

    #[test]
    fn a_file_without_the_block_is_not_a_template() {
        let first = errors("services:\n  a:\n    image: x\n");
        assert!(
            first[0].contains("x-windflow.template block is missing"),
            "{first:?}"
        );
        let other = errors("- a\n");
        assert!(other[0].contains("expected a compose file"), "{other:?}");
    }

    #[test]
    fn defaults_are_checked_by_type() {
        let text = POSTGRES.replace("default: alpine", "default: debian");
        let errors = errors(&text);
        assert!(
            errors[0].contains("inputs[2].default: invalid default"),
            "{errors:?}"
        );
    }

    #[test]
    fn inputs_and_sizes_are_checked() {
        let text = POSTGRES
            .replace("- name: FLAVOUR", "- name: WINDFLOW_FLAVOUR")
            .replace("${FLAVOUR}", "${WINDFLOW_FLAVOUR}")
            .replace(
                "      - name: SHARED_BUFFERS",
                "      - name: POSTGRES_PASSWORD\n      - name: SHARED_BUFFERS",
            )
            .replace("memory: 256MiB", "memory: lots")
            .replace("unit: MB", "unit: MiB\n        required: maybe");
        let joined = errors(&text).join("\n");
        for expected in [
            "inputs[3].name: \"WINDFLOW_FLAVOUR\": WINDFLOW_* names are reserved",
            "inputs[1]: input \"POSTGRES_PASSWORD\" is declared twice",
            "sizes.small.memory: invalid size \"lots\"",
            "inputs[2].unit: unknown unit \"MiB\"",
            "inputs[2].required: expected true or false, got \"maybe\"",
        ] {
            assert!(
                joined.contains(expected),
                "missing {expected:?} in\n{joined}"
            );
        }
        let text = POSTGRES.replace("        options: [alpine, bookworm]\n", "");
        let joined = errors(&text).join("\n");
        assert!(joined.contains("an enum input needs options"), "{joined}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,200}") {
            let _ = Template::parse("t.yaml", &text);
        }

        #[test]
        fn never_panics_on_mangled_templates(cut in 0usize..1200, insert in "[ :${}\\[\\]a-z\\n-]{0,6}") {
            let mut text = POSTGRES.to_string();
            let at = cut.min(text.len());
            if text.is_char_boundary(at) {
                text.insert_str(at, &insert);
            }
            let _ = Template::parse("t.yaml", &text);
        }
    }
}
