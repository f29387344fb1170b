//! Variable interpolation as the compose-spec defines it.
//!
//! | Syntax            | Result                                                         |
//! |-------------------|----------------------------------------------------------------|
//! | `$VAR`, `${VAR}`  | the value, or empty (and a warning) when unset                 |
//! | `${VAR:-default}` | `default` when VAR is unset or empty                           |
//! | `${VAR-default}`  | `default` when VAR is unset                                    |
//! | `${VAR:?message}` | an error when VAR is unset or empty                            |
//! | `${VAR?message}`  | an error when VAR is unset                                     |
//! | `${VAR:+alt}`     | `alt` when VAR is set and not empty, else empty                |
//! | `${VAR+alt}`      | `alt` when VAR is set, else empty                              |
//! | `$$`              | a literal `$`                                                  |
//!
//! Defaults, alternates and messages are interpolated themselves (`${A:-${B:-x}}`). A `$`
//! followed by anything else is kept literally; a malformed `${...}` is an error.

use std::collections::BTreeMap;

/// Deepest nesting of `${...}` inside defaults.
const MAX_NESTING: usize = 32;

/// The result of interpolating one string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interpolated {
    pub text: String,
    /// Variables that were referenced without a default and are not set, in order.
    pub unset: Vec<String>,
}

/// Interpolates `text`, looking variables up with `lookup`. The error is a message such as
/// `required variable "DB" is missing a value: set it in .env`.
pub fn interpolate(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Interpolated, String> {
    let mut unset = Vec::new();
    let text = expand(text, lookup, &mut unset, 0)?;
    Ok(Interpolated { text, unset })
}

/// Interpolates `text` against a map of variables (for tests, fuzzing and callers that have
/// the environment as a map).
pub fn interpolate_with_map(
    text: &str,
    environment: &BTreeMap<String, String>,
) -> Result<Interpolated, String> {
    interpolate(text, &|name| environment.get(name).cloned())
}

fn expand(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
    depth: usize,
) -> Result<String, String> {
    if depth > MAX_NESTING {
        return Err(format!(
            "invalid interpolation format for {text:?}: nested too deeply"
        ));
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let Some(offset) = text[i..].find('$') else {
            out.push_str(&text[i..]);
            break;
        };
        out.push_str(&text[i..i + offset]);
        i += offset;
        match bytes.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                let close = matching_brace(text, i + 2).ok_or_else(|| {
                    format!("invalid interpolation format for {text:?}: missing closing brace")
                })?;
                let inner = &text[i + 2..close];
                out.push_str(&braced(inner, text, lookup, unset, depth)?);
                i = close + 1;
            }
            Some(&b) if b == b'_' || b.is_ascii_alphabetic() => {
                let start = i + 1;
                let end = start + name_len(&text[start..]);
                let name = &text[start..end];
                match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => unset.push(name.to_string()),
                }
                i = end;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
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

/// Index of the `}` closing a `${` whose content starts at `start`. Braces balance as in
/// compose-go: a nested `${` and a plain `{` (a JSON default, `${J:-{"a":1}}`) each open one;
/// `$$` is skipped.
fn matching_brace(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 1usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 2,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 2;
            }
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

fn braced(
    inner: &str,
    whole: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
    depth: usize,
) -> Result<String, String> {
    let invalid = || format!("invalid interpolation format for {whole:?}: \"${{{inner}}}\"");
    let len = name_len(inner);
    if len == 0 {
        return Err(invalid());
    }
    let name = &inner[..len];
    let rest = &inner[len..];
    let value = lookup(name);
    if rest.is_empty() {
        return Ok(value.unwrap_or_else(|| {
            unset.push(name.to_string());
            String::new()
        }));
    }
    let (colon, rest) = match rest.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let mut chars = rest.chars();
    let op = chars.next().ok_or_else(invalid)?;
    let arg = chars.as_str();
    // With a colon, an empty value counts as unset.
    let present = value.as_deref().is_some_and(|v| !(colon && v.is_empty()));
    match op {
        '-' => {
            if present {
                Ok(value.unwrap_or_default())
            } else {
                expand(arg, lookup, unset, depth + 1)
            }
        }
        '+' => {
            if present {
                expand(arg, lookup, unset, depth + 1)
            } else {
                Ok(String::new())
            }
        }
        '?' => {
            if present {
                Ok(value.unwrap_or_default())
            } else {
                let message = expand(arg, lookup, unset, depth + 1)?;
                if message.is_empty() {
                    Err(format!("required variable {name:?} is missing a value"))
                } else {
                    Err(format!(
                        "required variable {name:?} is missing a value: {message}"
                    ))
                }
            }
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        [
            ("SET", "value"),
            ("EMPTY", ""),
            ("B", "bee"),
            ("PORT", "8080"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// `expected` is the text, `!message` for an error, and `text|VAR,VAR` lists unset vars.
    fn check(input: &str, expected: &str) {
        let got = match interpolate_with_map(input, &env()) {
            Ok(r) if r.unset.is_empty() => r.text,
            Ok(r) => format!("{}|{}", r.text, r.unset.join(",")),
            Err(e) => format!("!{e}"),
        };
        assert_eq!(got, expected, "input: {input:?}");
    }

    #[test]
    fn compose_spec_table() {
        check("${SET}", "value");
        check("$SET", "value");
        check("${UNSET}", "|UNSET");
        check("$UNSET", "|UNSET");
        check("${UNSET:-default}", "default");
        check("${EMPTY:-default}", "default");
        check("${SET:-default}", "value");
        check("${UNSET-default}", "default");
        check("${EMPTY-default}", "");
        check("${SET-default}", "value");
        check(
            "${UNSET:?must be set}",
            "!required variable \"UNSET\" is missing a value: must be set",
        );
        check(
            "${EMPTY:?must be set}",
            "!required variable \"EMPTY\" is missing a value: must be set",
        );
        check("${SET:?must be set}", "value");
        check(
            "${UNSET?must be set}",
            "!required variable \"UNSET\" is missing a value: must be set",
        );
        check("${EMPTY?must be set}", "");
        check(
            "${UNSET:?}",
            "!required variable \"UNSET\" is missing a value",
        );
        check("${SET:+alt}", "alt");
        check("${EMPTY:+alt}", "");
        check("${UNSET:+alt}", "");
        check("${SET+alt}", "alt");
        check("${EMPTY+alt}", "alt");
        check("${UNSET+alt}", "");
    }

    #[test]
    fn defaults_with_braces_balance_them() {
        let json = |value: Option<&str>, input: &str| {
            let env: BTreeMap<String, String> = value
                .map(|v| [("JSON".to_string(), v.to_string())].into())
                .unwrap_or_default();
            interpolate_with_map(input, &env).map(|r| r.text)
        };
        // compose-go's expectations: the default ends at its balancing brace.
        let set = Some(r#"{"json":2}"#);
        assert_eq!(
            json(set, r#"ok ${JSON:-{"json":1}}"#).unwrap(),
            r#"ok {"json":2}"#
        );
        assert_eq!(
            json(None, r#"ok ${JSON:-{"json":1}}"#).unwrap(),
            r#"ok {"json":1}"#
        );
        assert_eq!(
            json(None, r#"ok ${JSON-{"json":1}}"#).unwrap(),
            r#"ok {"json":1}"#
        );
        assert_eq!(
            json(set, r#"ok ${JSON:+{"alt":1}}"#).unwrap(),
            r#"ok {"alt":1}"#
        );
        assert_eq!(
            json(set, r#"ok ${JSON+{"alt":1}}"#).unwrap(),
            r#"ok {"alt":1}"#
        );
        assert_eq!(json(None, "${JSON:-{{a}}}x").unwrap(), "{{a}}x");
        // A brace that never closes is an error, not text swallowed.
        assert!(json(None, "${JSON:-{}").is_err());
    }

    #[test]
    fn escapes_and_literals() {
        check("$$", "$");
        check("$${SET}", "${SET}");
        check("a$$b", "a$b");
        check("cost: 5$", "cost: 5$");
        check("$1 and $-", "$1 and $-");
        check("no vars here", "no vars here");
        check("héllo ${SET} wörld", "héllo value wörld");
    }

    #[test]
    fn embedded_and_nested() {
        check("http://localhost:${PORT}/x", "http://localhost:8080/x");
        check("$SET-suffix", "value-suffix");
        check("${UNSET:-${B}}", "bee");
        check("${UNSET:-${ALSO_UNSET:-x}}", "x");
        check("${UNSET:-a ${B} c}", "a bee c");
        check("${SET:+${B}${B}}", "beebee");
        check("${UNSET:-$$}", "$");
        check("${UNSET:-${ALSO}}", "|ALSO");
    }

    #[test]
    fn malformed_is_an_error() {
        check("${}", "!invalid interpolation format for \"${}\": \"${}\"");
        check(
            "${SET",
            "!invalid interpolation format for \"${SET\": missing closing brace",
        );
        check(
            "${1A}",
            "!invalid interpolation format for \"${1A}\": \"${1A}\"",
        );
        check(
            "${SET:x}",
            "!invalid interpolation format for \"${SET:x}\": \"${SET:x}\"",
        );
        check(
            "${SET.x}",
            "!invalid interpolation format for \"${SET.x}\": \"${SET.x}\"",
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = format!("{}x{}", "${A:-".repeat(100), "}".repeat(100));
        assert!(interpolate_with_map(&text, &env()).is_err());
        let text = format!("{}x{}", "${A:-".repeat(10), "}".repeat(10));
        assert_eq!(interpolate_with_map(&text, &env()).unwrap().text, "x");
    }
}
