//! YAML text → [`Node`] tree that remembers where every value came from.
//!
//! Built on saphyr-parser's event stream. Plain scalars are typed by the YAML 1.2 core schema
//! (`true`, `null`, `~`, `42`, `0x1f`, `1.5`, `.inf`); quoted and block scalars stay strings.
//! Anchors, aliases and merge keys (`<<: *base`) are expanded here, with a cap on the expanded
//! size (billion laughs) and on nesting depth (so later recursive passes cannot overflow the
//! stack). Duplicate keys are errors.
//!
//! Invariant: never panics, whatever the input.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::diagnostic::Diagnostic;

/// Largest "weight" a document may expand to, aliases included: one per value plus one per
/// 32 bytes of text, so neither many small values nor many copies of a long string can
/// exhaust memory.
pub const MAX_WEIGHT: usize = 200_000;
/// Deepest nesting of sequences and mappings.
pub const MAX_DEPTH: usize = 64;

/// A compose-specific YAML tag that changes how files merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeTag {
    /// `!reset`: remove the value inherited from earlier files.
    Reset,
    /// `!override`: replace the inherited value instead of merging into it.
    Override,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(IndexMap<String, Node>),
}

/// A YAML value with its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// 1-based line. For a mapping value it is the line of its key.
    pub line: usize,
    /// The file as the user named it.
    pub file: Arc<str>,
    pub tag: Option<MergeTag>,
    /// The source text of a typed plain scalar (`0444`, `1.10`, `yes`), used when a number or
    /// boolean is read as text.
    pub raw: Option<Box<str>>,
}

impl Node {
    pub fn new(value: Value, line: usize, file: Arc<str>) -> Self {
        Self {
            value,
            line,
            file,
            tag: None,
            raw: None,
        }
    }

    pub fn as_map(&self) -> Option<&IndexMap<String, Node>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut IndexMap<String, Node>> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The text of a scalar: strings as they are, numbers and booleans as written.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(
                self.raw
                    .as_deref()
                    .map_or_else(|| b.to_string(), str::to_string),
            ),
            Value::Int(i) => Some(
                self.raw
                    .as_deref()
                    .map_or_else(|| i.to_string(), str::to_string),
            ),
            Value::Float(f) => Some(
                self.raw
                    .as_deref()
                    .map_or_else(|| f.to_string(), str::to_string),
            ),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// A short description for "expected X, got Y" messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "null".into(),
            Value::String(s) => format!("{s:?}"),
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
            _ => self.scalar_text().unwrap_or_default(),
        }
    }

    /// The node at a key path, if every step is a mapping holding the key.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        let mut node = self;
        for key in keys {
            node = node.get(key)?;
        }
        Some(node)
    }

    /// The weight of this tree (see [`MAX_WEIGHT`]).
    pub fn weight(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::weight).sum(),
            Value::Map(map) => map.iter().map(|(k, v)| k.len() / 32 + v.weight()).sum(),
            Value::String(s) => s.len() / 32,
            _ => 0,
        }
    }
}

/// Parses one YAML document. Returns every problem found (syntax errors stop at the first).
///
/// A flow collection whose continuation lines sit at or left of its key's column (`test: [`
/// … `]` on its own line at the column of `test:`) is refused by the YAML 1.2 scanner but
/// accepted by go-yaml and PyYAML, so real compose files use it. When the scanner refuses a
/// file for its indentation, the file is read again with those lines indented one column
/// past their key ([`relax_flow_indentation`]: spaces only, so every line keeps its number);
/// if that still fails, the first error stands.
pub fn parse(file: &str, text: &str) -> Result<Node, Vec<Diagnostic>> {
    match parse_text(file, text) {
        Err(errors)
            if errors
                .iter()
                .any(|d| d.message.contains("invalid indentation")) =>
        {
            match relax_flow_indentation(text) {
                Some(relaxed) => parse_text(file, &relaxed).map_err(|_| errors),
                None => Err(errors),
            }
        }
        parsed => parsed,
    }
}

/// `text` with every line that continues a flow collection (`[…]`, `{…}` opened in block
/// context) indented one column past the line that opened it, when it was not; `None` when
/// nothing needed it. Block scalars (`|`, `>`) are left as they are, and quotes and comments
/// are followed so that brackets inside them do not count.
pub fn relax_flow_indentation(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut changed = false;
    // Inside a flow collection: its depth, the opening line's indentation, an open quote.
    let mut depth = 0usize;
    let mut opener_indent = 0usize;
    let mut quote: Option<char> = None;
    // Inside a block scalar: the indentation of the line that introduced it.
    let mut block_scalar: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line[indent..].trim_end_matches(['\n', '\r']);
        if let Some(parent) = block_scalar {
            if content.is_empty() || indent > parent {
                out.push_str(line);
                continue;
            }
            block_scalar = None;
        }
        if depth > 0 {
            if indent <= opener_indent && !content.is_empty() && !content.starts_with('\t') {
                out.push_str(&" ".repeat(opener_indent + 1 - indent));
                changed = true;
            }
            out.push_str(line);
            scan_flow(content, &mut depth, &mut quote);
            continue;
        }
        out.push_str(line);
        if content.starts_with('#') {
            continue;
        }
        // Where the line's value starts: after `- ` entries, and after a `key: `.
        let mut value = content;
        while let Some(rest) = value
            .strip_prefix("- ")
            .or_else(|| value.strip_prefix("-\t"))
        {
            value = rest.trim_start();
        }
        if !value.starts_with(['[', '{']) {
            value = match key_separator(value) {
                Some(at) => value[at..].trim_start(),
                None => continue,
            };
        }
        if value.starts_with(['|', '>']) {
            block_scalar = Some(indent);
        } else if value.starts_with(['[', '{']) {
            opener_indent = indent;
            quote = None;
            scan_flow(value, &mut depth, &mut quote);
        }
    }
    changed.then_some(out)
}

/// Where the value of a `key: value` line starts (just past `:`), outside quotes.
fn key_separator(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if i == 0 && (c == '"' || c == '\'') => quote = Some(c),
            None if c == '#' && i > 0 && bytes[i - 1] == b' ' => return None,
            None if c == ':' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) => {
                return Some(i + 1);
            }
            None => {}
        }
    }
    None
}

/// Follows a flow collection through `text`: nesting, quotes (which may span lines) and
/// comments; stops counting once the outermost collection closes.
fn scan_flow(text: &str, depth: &mut usize, quote: &mut Option<char>) {
    let mut previous = ' ';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match *quote {
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some('\'') if c == '\'' && chars.peek() == Some(&'\'') => {
                chars.next();
            }
            Some(q) if c == q => *quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' if matches!(previous, ' ' | '\t' | '[' | '{' | ',' | ':') => {
                    *quote = Some(c);
                }
                '#' if matches!(previous, ' ' | '\t') => return,
                '[' | '{' => *depth += 1,
                ']' | '}' => {
                    *depth = depth.saturating_sub(1);
                    if *depth == 0 {
                        return;
                    }
                }
                _ => {}
            },
        }
        previous = c;
    }
}

fn parse_text(file: &str, text: &str) -> Result<Node, Vec<Diagnostic>> {
    let file: Arc<str> = Arc::from(file);
    let mut builder = Builder {
        file: file.clone(),
        frames: Vec::new(),
        anchors: HashMap::new(),
        weight: 0,
        documents: 0,
        root: None,
        errors: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Err(e)) => {
                builder.errors.push(Diagnostic::new(
                    &*file,
                    Some(e.marker().line().max(1)),
                    "",
                    format!("invalid YAML: {}", e.info()),
                ));
                return Err(builder.errors);
            }
            Some(Ok((event, span))) => {
                if let Err(d) = builder.event(event, span) {
                    builder.errors.push(d);
                    return Err(builder.errors);
                }
            }
        }
    }
    if !builder.errors.is_empty() {
        return Err(builder.errors);
    }
    Ok(builder
        .root
        .unwrap_or_else(|| Node::new(Value::Null, 1, file.clone())))
}

enum Frame {
    Seq {
        items: Vec<Node>,
        line: usize,
        anchor: usize,
        tag: Option<MergeTag>,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        line: usize,
        anchor: usize,
        tag: Option<MergeTag>,
    },
}

struct Anchored {
    node: Node,
    size: usize,
    depth: usize,
}

struct Builder {
    file: Arc<str>,
    frames: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    weight: usize,
    documents: usize,
    root: Option<Node>,
    errors: Vec<Diagnostic>,
}

impl Builder {
    fn fail(&self, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&*self.file, Some(line), "", message)
    }

    fn count(&mut self, n: usize, line: usize) -> Result<(), Diagnostic> {
        self.weight = self.weight.saturating_add(n);
        if self.weight > MAX_WEIGHT {
            return Err(self.fail(
                line,
                "document too large after expanding aliases (too many values or too much text)",
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
        let line = span.start.line().max(1);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(self.fail(
                        line,
                        "multiple YAML documents in one file are not supported",
                    ));
                }
                Ok(())
            }
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id) else {
                    return Err(self.fail(line, "unknown alias"));
                };
                if self.frames.len() + anchored.depth > MAX_DEPTH {
                    return Err(self.fail(line, format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                let mut node = anchored.node.clone();
                let size = anchored.size;
                node.line = line;
                self.count(size, line)?;
                self.complete(node, 0, 0)
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1 + text.len() / 32, line)?;
                let node = self.scalar(&text, style, tag.as_deref(), line);
                self.complete(node, anchor, 0)
            }
            Event::SequenceStart(anchor, tag) => {
                self.count(1, line)?;
                if self.frames.len() >= MAX_DEPTH {
                    return Err(self.fail(line, format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                self.frames.push(Frame::Seq {
                    items: Vec::new(),
                    line,
                    anchor,
                    tag: merge_tag(tag.as_deref()),
                });
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                self.count(1, line)?;
                if self.frames.len() >= MAX_DEPTH {
                    return Err(self.fail(line, format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                self.frames.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    line,
                    anchor,
                    tag: merge_tag(tag.as_deref()),
                });
                Ok(())
            }
            Event::SequenceEnd => match self.frames.pop() {
                Some(Frame::Seq {
                    items,
                    line,
                    anchor,
                    tag,
                }) => {
                    let depth = 1 + items.iter().map(depth_of).max().unwrap_or(0);
                    let mut node = Node::new(Value::Seq(items), line, self.file.clone());
                    node.tag = tag;
                    self.complete(node, anchor, depth)
                }
                _ => Err(self.fail(line, "unbalanced sequence end")),
            },
            Event::MappingEnd => match self.frames.pop() {
                Some(Frame::Map {
                    entries,
                    line,
                    anchor,
                    tag,
                    ..
                }) => {
                    let map = self.build_map(entries);
                    let depth = 1 + map.values().map(depth_of).max().unwrap_or(0);
                    let mut node = Node::new(Value::Map(map), line, self.file.clone());
                    node.tag = tag;
                    self.complete(node, anchor, depth)
                }
                _ => Err(self.fail(line, "unbalanced mapping end")),
            },
        }
    }

    fn scalar(&self, text: &str, style: ScalarStyle, tag: Option<&Tag>, line: usize) -> Node {
        let merge = merge_tag(tag);
        let core = tag
            .filter(|t| t.is_yaml_core_schema())
            .map(|t| t.suffix.as_str());
        let value = match (style, core) {
            (_, Some("str")) => Value::String(text.to_string()),
            (ScalarStyle::Plain, _) | (_, Some(_)) => resolve_plain(text),
            _ => Value::String(text.to_string()),
        };
        let raw = match value {
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => Some(text.into()),
            _ => None,
        };
        Node {
            value,
            line,
            file: self.file.clone(),
            tag: merge,
            raw,
        }
    }

    /// Files a finished node into its parent (or as the document root).
    fn complete(&mut self, node: Node, anchor: usize, depth: usize) -> Result<(), Diagnostic> {
        if anchor > 0 {
            let size = node.weight();
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    size,
                    depth,
                },
            );
        }
        match self.frames.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map { entries, key, .. }) => {
                match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                }
                Ok(())
            }
        }
    }

    fn build_map(&mut self, entries: Vec<(Node, Node)>) -> IndexMap<String, Node> {
        let mut map: IndexMap<String, Node> = IndexMap::new();
        let mut merges: Vec<Node> = Vec::new();
        for (key, mut value) in entries {
            let name = match &key.value {
                Value::Seq(_) | Value::Map(_) => {
                    self.errors.push(Diagnostic::new(
                        &*self.file,
                        Some(key.line),
                        "",
                        "complex mapping keys are not supported",
                    ));
                    continue;
                }
                Value::Null => key.raw.as_deref().unwrap_or("null").to_string(),
                _ => key.scalar_text().unwrap_or_default(),
            };
            if name == "<<" && key.as_str().is_some() {
                merges.push(value);
                continue;
            }
            if let Some(first) = map.get(&name) {
                self.errors.push(Diagnostic::new(
                    &*self.file,
                    Some(key.line),
                    "",
                    format!(
                        "duplicate key {name:?} (first defined at line {})",
                        first.line
                    ),
                ));
                continue;
            }
            value.line = key.line;
            map.insert(name, value);
        }
        for merge in merges {
            let sources: Vec<Node> = match merge.value {
                Value::Map(_) => vec![merge],
                Value::Seq(items) => items,
                _ => {
                    self.errors.push(Diagnostic::new(
                        &*self.file,
                        Some(merge.line),
                        "",
                        "merge key \"<<\" expects a mapping or a list of mappings",
                    ));
                    continue;
                }
            };
            for source in sources {
                match source.value {
                    Value::Map(m) => {
                        for (k, v) in m {
                            map.entry(k).or_insert(v);
                        }
                    }
                    _ => self.errors.push(Diagnostic::new(
                        &*self.file,
                        Some(source.line),
                        "",
                        "merge key \"<<\" expects a mapping or a list of mappings",
                    )),
                }
            }
        }
        map
    }
}

fn depth_of(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
        Value::Map(map) => 1 + map.values().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

fn merge_tag(tag: Option<&Tag>) -> Option<MergeTag> {
    let tag = tag?;
    if tag.handle == "!" || tag.handle.is_empty() {
        match tag.suffix.as_str() {
            "reset" => return Some(MergeTag::Reset),
            "override" => return Some(MergeTag::Override),
            _ => {}
        }
    }
    None
}

/// Types a plain scalar by the YAML 1.2 core schema.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(octal) = text.strip_prefix("0o") {
        if !octal.is_empty()
            && octal.bytes().all(|b| (b'0'..=b'7').contains(&b))
            && let Ok(i) = i64::from_str_radix(octal, 8)
        {
            return Value::Int(i);
        }
        return Value::String(text.to_string());
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty()
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            && let Ok(i) = i64::from_str_radix(hex, 16)
        {
            return Value::Int(i);
        }
        return Value::String(text.to_string());
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::String(text.to_string()),
        };
    }
    if is_core_float(digits)
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::String(text.to_string())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` without the sign.
fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// A value that may be written as one item or as a list of them (`env_file: a.env` or
/// `env_file: [a.env, b.env]`): each item with its path (`path` or `path[i]`); none for null.
pub(crate) fn one_or_many<'n>(node: &'n Node, path: &str) -> Vec<(&'n Node, String)> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (item, format!("{path}[{i}]")))
            .collect(),
        Value::Null => Vec::new(),
        _ => vec![(node, path.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_collections_closed_at_their_keys_column_load_as_go_yaml_loads_them() {
        // Coolify's `transmission` template: `]` on its own line at the column of `test:`.
        let text = "h:\n  test: [ \"CMD\", \"true\",\n  ]\n  interval: 5s\n";
        check(
            text,
            r#"{h@1: {test@2: ["CMD", "true"], interval@4: "5s"}}"#,
        );
        // Further left than the key, a flow mapping, a nested collection, a quoted `]`.
        check(
            "a:\n  b: {x: 1,\n y: [1,\n 2], z: \"]\"\n}\n",
            r#"{a@1: {b@2: {x@2: 1, y@3: [1, 2], z@4: "]"}}}"#,
        );
        // Lines keep their numbers: what follows the relaxed collection is on its own line.
        let node = parse("t.yml", "a:\n  t: [1,\n  ]\n  u: 2\n").unwrap();
        assert_eq!(node.at(&["a", "u"]).map(|n| n.line), Some(4));
    }

    #[test]
    fn relaxing_touches_only_flow_continuations() {
        // Well indented: nothing to do.
        assert_eq!(relax_flow_indentation("a: [1,\n  2]\n"), None);
        // A block scalar's brackets are text, not a collection.
        assert_eq!(
            relax_flow_indentation("a: |\n  [section\n  k=v\nb: 1\n"),
            None
        );
        // A comment's bracket does not open anything.
        assert_eq!(relax_flow_indentation("a: 1 # [x\nb: 2\n"), None);
        assert_eq!(
            relax_flow_indentation("a:\n  t: [1,\n  ]\n").as_deref(),
            Some("a:\n  t: [1,\n   ]\n")
        );
        // Bad indentation that is not a flow continuation keeps its own error.
        let errors = parse("t.yml", "a:\n  b: 1\n c: 2\n").unwrap_err();
        assert!(errors[0].message.starts_with("invalid YAML"), "{errors:?}");
    }

    /// Renders a node tree compactly: `{a: [1, "x"]}` with lines as `@n` on collections.
    fn render(node: &Node) -> String {
        match &node.value {
            Value::Null => "~".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format!("{f:?}"),
            Value::String(s) => format!("{s:?}"),
            Value::Seq(items) => format!(
                "[{}]",
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            ),
            Value::Map(map) => format!(
                "{{{}}}",
                map.iter()
                    .map(|(k, v)| format!("{k}@{}: {}", v.line, render(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn check(input: &str, expected: &str) {
        match parse("t.yml", input) {
            Ok(node) => assert_eq!(render(&node), expected, "input: {input}"),
            Err(errors) => {
                let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
                assert_eq!(text.join("\n"), expected, "input: {input}");
            }
        }
    }

    #[test]
    fn core_schema_typing() {
        check(
            "a: true\nb: 'true'\nc: ~\nd: 42\ne: \"42\"\nf: 1.5\ng: 0x1F\nh: 0o17\ni: yes\nj: -3\nk: 1e3\nl: .inf\nm: 08080",
            "{a@1: true, b@2: \"true\", c@3: ~, d@4: 42, e@5: \"42\", f@6: 1.5, g@7: 31, h@8: 15, i@9: \"yes\", j@10: -3, k@11: 1000.0, l@12: inf, m@13: 8080}",
        );
        check("a: !!str 12", "{a@1: \"12\"}");
        check(
            "a: 1.2.3\nb: 99999999999999999999",
            "{a@1: \"1.2.3\", b@2: \"99999999999999999999\"}",
        );
    }

    #[test]
    fn mapping_values_take_their_key_line() {
        check(
            "a:\n  - x\n  - y\nb:\n  c: 1",
            "{a@1: [\"x\", \"y\"], b@4: {c@5: 1}}",
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        check(
            "x: &d {image: a, restart: always}\ny:\n  <<: *d\n  image: b\n",
            "{x@1: {image@1: \"a\", restart@1: \"always\"}, y@2: {image@4: \"b\", restart@1: \"always\"}}",
        );
        check(
            "a: &a {p: 1}\nb: &b {p: 2, q: 2}\nc:\n  <<: [*a, *b]\n",
            "{a@1: {p@1: 1}, b@2: {p@2: 2, q@2: 2}, c@3: {p@1: 1, q@2: 2}}",
        );
        check("a: &x [1]\nb: *x", "{a@1: [1], b@2: [1]}");
        check(
            "a:\n  <<: 3",
            "t.yml:2: merge key \"<<\" expects a mapping or a list of mappings",
        );
    }

    #[test]
    fn duplicate_keys_are_errors() {
        check(
            "services:\n  web:\n    image: a\n    image: b\n",
            "t.yml:4: duplicate key \"image\" (first defined at line 3)",
        );
    }

    #[test]
    fn syntax_errors_have_lines() {
        let errors = parse("t.yml", "a: [1, 2\nb: c\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.starts_with("invalid YAML"),
            "{:?}",
            errors[0]
        );
        assert!(errors[0].line.is_some());
    }

    #[test]
    fn billion_laughs_is_capped() {
        let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for name in names {
            doc.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let errors = parse("t.yml", &doc).unwrap_err();
        assert!(
            errors[0].message.contains("document too large"),
            "{errors:?}"
        );
    }

    #[test]
    fn deep_nesting_is_capped() {
        let doc = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let errors = parse("t.yml", &doc).unwrap_err();
        assert!(errors[0].message.contains("nesting deeper"), "{errors:?}");
        let mut block = String::new();
        for depth in 0..200 {
            block.push_str(&format!("{}k{depth}:\n", "  ".repeat(depth)));
        }
        let errors = parse("t.yml", &block).unwrap_err();
        assert!(errors[0].message.contains("nesting deeper"), "{errors:?}");
    }

    #[test]
    fn merge_tags_are_kept() {
        let node = parse("t.yml", "a: !reset []\nb: !override {x: 1}\n").unwrap();
        assert_eq!(node.get("a").unwrap().tag, Some(MergeTag::Reset));
        assert_eq!(node.get("b").unwrap().tag, Some(MergeTag::Override));
    }

    #[test]
    fn empty_document_is_null() {
        check("", "~");
        check("# only a comment\n", "~");
    }
}
