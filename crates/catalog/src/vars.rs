//! Finding the `${VAR}` references of a compose string, with their byte spans, as compose
//! interpolation reads them (`$$` is a literal dollar, `$VAR`, `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`, `${VAR:+alt}`, `${VAR+alt}`).
//! References nested in a default are found too. Total: any text gives a list, never a panic.

/// Deepest nesting of `${…}` followed inside defaults.
const MAX_NESTING: usize = 16;

/// One variable reference in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    /// The operator after the name (`:-`, `-`, `:?`, `?`, `:+`, `+`), if any.
    pub operator: Option<String>,
    /// The text after the operator (a default, message or alternate), as written.
    pub argument: Option<String>,
    /// Byte span of the whole reference (`$NAME` or `${…}`) in the scanned text.
    pub start: usize,
    pub end: usize,
    /// Whether the reference sits inside another one's default (its span is then relative
    /// to the outer text too, but rewriting should go through the outer one).
    pub nested: bool,
}

/// Every reference in `text`, outer ones first in order of appearance, nested ones after
/// their outer one.
pub fn references(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    scan(text, 0, 0, &mut out);
    out
}

fn scan(text: &str, base: usize, depth: usize, out: &mut Vec<Reference>) {
    if depth > MAX_NESTING {
        return;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => {
                let Some(close) = matching_brace(text, i + 2) else {
                    return;
                };
                let inner = &text[i + 2..close];
                let name_end = name_len(inner);
                let name = &inner[..name_end];
                let rest = &inner[name_end..];
                let (operator, argument) = [":-", ":?", ":+", "-", "?", "+"]
                    .iter()
                    .find(|op| rest.starts_with(**op))
                    .map_or((None, None), |op| {
                        (Some(op.to_string()), Some(rest[op.len()..].to_string()))
                    });
                if !name.is_empty() && (rest.is_empty() || operator.is_some()) {
                    out.push(Reference {
                        name: name.to_string(),
                        operator,
                        argument: argument.clone(),
                        start: base + i,
                        end: base + close + 1,
                        nested: depth > 0,
                    });
                    if let Some(argument) = &argument {
                        let offset = i + 2 + name_end + (rest.len() - argument.len());
                        scan(argument, base + offset, depth + 1, out);
                    }
                }
                i = close + 1;
            }
            Some(&b) if b == b'_' || b.is_ascii_alphabetic() => {
                let start = i + 1;
                let end = start + name_len(&text[start..]);
                out.push(Reference {
                    name: text[start..end].to_string(),
                    operator: None,
                    argument: None,
                    start: base + i,
                    end: base + end,
                    nested: depth > 0,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
}

/// Length of the variable name at the start of `s` (`[A-Za-z_][A-Za-z0-9_]*`), 0 if none.
fn name_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    match bytes.first() {
        Some(&b) if b == b'_' || b.is_ascii_alphabetic() => {}
        _ => return 0,
    }
    bytes
        .iter()
        .position(|&b| !(b == b'_' || b.is_ascii_alphanumeric()))
        .unwrap_or(bytes.len())
}

/// Index of the `}` closing a `${` whose content starts at `start` (nested `${` and `{`
/// each open one; `$$` is skipped), as the compose loader counts them.
fn matching_brace(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// `text` with every outer reference replaced by what `replace` returns for it (`None`
/// keeps it as written).
pub fn rewrite(text: &str, replace: &mut dyn FnMut(&Reference) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for reference in references(text).iter().filter(|r| !r.nested) {
        if let Some(new) = replace(reference) {
            out.push_str(&text[last..reference.start]);
            out.push_str(&new);
            last = reference.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &[(&str, Option<&str>, Option<&str>)]) {
        let found: Vec<_> = references(text)
            .into_iter()
            .map(|r| (r.name, r.operator, r.argument))
            .collect();
        let expected: Vec<_> = expected
            .iter()
            .map(|(n, o, a)| (n.to_string(), o.map(str::to_string), a.map(str::to_string)))
            .collect();
        assert_eq!(found, expected, "{text}");
    }

    #[test]
    fn finds_every_syntax() {
        check("plain", &[]);
        check("$$NOT and $${NOT}", &[]);
        check("$$$A", &[("A", None, None)]);
        check("a=$A b=${B}", &[("A", None, None), ("B", None, None)]);
        check(
            "${A:-x} ${B-y} ${C:?must} ${D+alt}",
            &[
                ("A", Some(":-"), Some("x")),
                ("B", Some("-"), Some("y")),
                ("C", Some(":?"), Some("must")),
                ("D", Some("+"), Some("alt")),
            ],
        );
        check(
            "${A:-${B:-z}}",
            &[
                ("A", Some(":-"), Some("${B:-z}")),
                ("B", Some(":-"), Some("z")),
            ],
        );
        check("cost $5 and ${", &[]);
    }

    #[test]
    fn rewrite_replaces_outer_references() {
        let out = rewrite("x=$A y=${B:-${A}} $$A", &mut |r| {
            (r.name == "A").then(|| "${NEW}".to_string())
        });
        assert_eq!(out, "x=${NEW} y=${B:-${A}} $$A");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[$_{}:?+a-zA-Z0-9 -]{0,40}") {
            for r in references(&text) {
                proptest::prop_assert!(r.start < r.end && r.end <= text.len());
            }
            let _ = rewrite(&text, &mut |_| Some(String::new()));
        }
    }
}
