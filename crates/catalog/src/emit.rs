//! A [`Node`] tree back to YAML text: block style, keys in their order, strings plain when
//! that reads back as the same string, literal blocks (`|`) for multi-line text, double
//! quotes otherwise. What it writes parses back to the same values (tested on every imported
//! template and by a property test).

use windflow_compose::yaml::{Node, Value, resolve_plain};

/// The YAML text of `node`, a document of its own.
pub fn to_yaml(node: &Node) -> String {
    let mut out = String::new();
    match &node.value {
        Value::Map(map) if !map.is_empty() => write_map(&mut out, node, 0, false),
        Value::Seq(items) if !items.is_empty() => write_seq(&mut out, node, 0, false),
        _ => {
            out.push_str(&scalar(node, 0));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, node: &Node, indent: usize, inline_first: bool) {
    let Value::Map(map) = &node.value else {
        return;
    };
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&key_text(key));
        out.push(':');
        write_value(out, value, indent);
    }
}

fn write_seq(out: &mut String, node: &Node, indent: usize, inline_first: bool) {
    let Value::Seq(items) = &node.value else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push('-');
        match &item.value {
            Value::Map(map) if !map.is_empty() => {
                out.push(' ');
                write_map(out, item, indent + 2, true);
            }
            Value::Seq(inner) if !inner.is_empty() => {
                out.push(' ');
                write_seq(out, item, indent + 2, true);
            }
            _ => {
                out.push(' ');
                out.push_str(&scalar(item, indent + 2));
                out.push('\n');
            }
        }
    }
}

/// The value of a mapping entry whose `key:` is written at `indent`.
fn write_value(out: &mut String, value: &Node, indent: usize) {
    match &value.value {
        Value::Map(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, value, indent + 2, false);
        }
        Value::Seq(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, value, indent + 2, false);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(value, indent + 2));
            out.push('\n');
        }
    }
}

fn key_text(key: &str) -> String {
    if plain_safe(key) {
        key.to_string()
    } else {
        quoted(key)
    }
}

/// A scalar (or an empty collection) as it goes after `key: ` or `- `; a literal block's
/// lines are indented by `indent`.
fn scalar(node: &Node, indent: usize) -> String {
    match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => match node.raw.as_deref() {
            Some(raw) if resolve_plain(raw) == node.value => raw.to_string(),
            _ => i.to_string(),
        },
        Value::Float(f) => match node.raw.as_deref() {
            Some(raw) if resolve_plain(raw) == node.value => raw.to_string(),
            _ if f.is_nan() => ".nan".into(),
            _ if f.is_infinite() && *f > 0.0 => ".inf".into(),
            _ if f.is_infinite() => "-.inf".into(),
            _ => {
                let text = format!("{f:?}");
                if resolve_plain(&text) == node.value {
                    text
                } else {
                    format!("{f:e}")
                }
            }
        },
        Value::String(s) => string(s, indent),
        Value::Seq(_) => "[]".into(),
        Value::Map(_) => "{}".into(),
    }
}

fn string(s: &str, indent: usize) -> String {
    if plain_safe(s) {
        return s.to_string();
    }
    if let Some(block) = literal_block(s, indent) {
        return block;
    }
    quoted(s)
}

/// `s` in double quotes: JSON's escapes are YAML's.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Whether `s` can be written without quotes and read back as the same string.
fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`~ \t".contains(first) {
        return false;
    }
    if s.ends_with([' ', '\t', ':']) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains(":\t") || s.contains("\t#") {
        return false;
    }
    if s.chars().any(|c| {
        c.is_control() || c == '\u{feff}' || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}'
    }) {
        return false;
    }
    matches!(resolve_plain(s), Value::String(ref t) if t == s)
}

/// A literal block (`|`) for multi-line text whose first line does not start with a space.
fn literal_block(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n') || s.starts_with([' ', '\t', '\n']) {
        return None;
    }
    if s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || c == '\u{feff}'
            || c == '\u{85}'
            || c == '\u{2028}'
            || c == '\u{2029}'
    }) {
        return None;
    }
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    // A line of spaces only would be read as indentation; keep those quoted.
    if body
        .lines()
        .any(|l| !l.is_empty() && l.trim_start_matches(' ').is_empty())
    {
        return None;
    }
    let pad = " ".repeat(indent.max(1));
    let mut out = format!("|{chomp}\n");
    let mut lines = body.split('\n').peekable();
    while let Some(line) = lines.next() {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        if lines.peek().is_some() {
            out.push('\n');
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    // The caller ends the line.
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use windflow_compose::yaml::parse;

    fn strip(node: &Node) -> String {
        // Compare values only, not lines.
        fn walk(node: &Node, out: &mut String) {
            match &node.value {
                Value::Map(map) => {
                    out.push('{');
                    for (k, v) in map {
                        out.push_str(&format!("{k:?}:"));
                        walk(v, out);
                        out.push(',');
                    }
                    out.push('}');
                }
                Value::Seq(items) => {
                    out.push('[');
                    for v in items {
                        walk(v, out);
                        out.push(',');
                    }
                    out.push(']');
                }
                other => out.push_str(&format!("{other:?}")),
            }
        }
        let mut out = String::new();
        walk(node, &mut out);
        out
    }

    pub(crate) fn round_trips(text: &str) {
        let node = parse("a.yml", text).expect("parses");
        let emitted = to_yaml(&node);
        let again = parse("b.yml", &emitted).unwrap_or_else(|e| panic!("{emitted}\n{e:?}"));
        assert_eq!(strip(&node), strip(&again), "{emitted}");
    }

    #[test]
    fn writes_block_yaml_that_reads_back() {
        round_trips("a: 1\nb: [1, 2, {c: d}]\ne: {}\nf: []\ng: null\n");
        round_trips("s:\n  - - x\n    - y\n  - k: v\n    l: [w]\n");
        round_trips("q: \"a: b\"\nr: '#x'\nt: 'true'\nu: '010'\nv: '-x'\nw: '- y'\nx: \"\"\n");
        round_trips(
            "m: |\n  line one\n    indented\n\n  last\nn: |-\n  no newline\no: |+\n  keep\n\n",
        );
        round_trips("p: \"tab\\there\\u0001\"\nk: \"  lead\\nnext\"\n\"key with: colon\": 1\n");
        round_trips("mode: 0444\nf: 1.50\ne: 1e3\ni: .inf\nb: yes\nd: $${X} ${Y:-z}\n");
        round_trips("long: >\n  folded text\n  here\ncmd: [\"sh\", \"-c\", \"echo hi\"]\n");
    }

    proptest::proptest! {
        #[test]
        fn any_string_reads_back(s in "\\PC{0,30}|[ \\n:#'\"a-z-]{0,30}") {
            let mut map = indexmap::IndexMap::new();
            map.insert(s.clone(), Node::new(Value::String(s.clone()), 1, "x".into()));
            let node = Node::new(Value::Map(map), 1, "x".into());
            let emitted = to_yaml(&node);
            let again = parse("b.yml", &emitted).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{emitted:?} {e:?}")))?;
            proptest::prop_assert_eq!(again.get(&s).and_then(Node::as_str), Some(s.as_str()), "{:?}", emitted);
        }
    }
}
