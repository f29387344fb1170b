//! `.env` and `env_file` parsing, following compose's rules:
//!
//! - `KEY=VALUE` lines, an optional `export ` prefix, blank lines and `#` comments;
//! - unquoted values are trimmed, and ` #` starts a comment;
//! - `'single quotes'` are literal and may span lines;
//! - `"double quotes"` may span lines and understand `\n`, `\r`, `\t`, `\"`, `\\` and `\$`;
//! - unquoted and double-quoted values are interpolated (`${VAR:-x}`), looking first in the
//!   given environment, then at keys defined earlier in the same file;
//! - a bare `KEY` takes its value from the environment, or is skipped when unset.

use indexmap::IndexMap;

use crate::interpolate::interpolate;

/// An error at a 1-based line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvError {
    pub line: usize,
    pub message: String,
}

/// Parses a dotenv file. `lookup` sees the caller's environment.
pub fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    let mut vars: IndexMap<String, String> = IndexMap::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rest = text;
    let mut line = 1usize;
    while !rest.is_empty() {
        let (current, after) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let start_line = line;
        let trimmed = current.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            rest = after;
            line += 1;
            continue;
        }
        let statement = current.trim_start();
        let statement = statement
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(statement);
        let Some(eq) = statement.find('=') else {
            let key = statement.trim();
            check_key(key, start_line)?;
            if let Some(value) = lookup(key) {
                vars.insert(key.to_string(), value);
            }
            rest = after;
            line += 1;
            continue;
        };
        let key = statement[..eq].trim();
        check_key(key, start_line)?;
        // The value may run over several lines when quoted, so continue from the full rest.
        let value_start = statement[eq + 1..].trim_start_matches([' ', '\t']);
        // `value_start` is a slice of `rest`: find where, so quoted values can run past `current`.
        let position = value_start.as_ptr() as usize - rest.as_ptr() as usize;
        let value_from_here = &rest[position..];
        let (value, consumed) = match value_start.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                let body = &value_from_here[1..];
                let close = find_closing(body, quote).ok_or_else(|| DotenvError {
                    line: start_line,
                    message: format!("unterminated quoted value for {key:?}"),
                })?;
                let raw = &body[..close];
                let value = if quote == '\'' {
                    raw.to_string()
                } else {
                    let unescaped = unescape(raw);
                    expand(&unescaped, &vars, lookup, start_line)?
                };
                (value, 1 + close + 1)
            }
            _ => {
                let mut value = value_start;
                if let Some(hash) = comment_start(value) {
                    value = &value[..hash];
                }
                let value = value.trim_end();
                (expand(value, &vars, lookup, start_line)?, value_start.len())
            }
        };
        vars.insert(key.to_string(), value);
        // Skip to the end of the line holding the end of the value.
        let consumed_text = &value_from_here[..consumed.min(value_from_here.len())];
        line += consumed_text.matches('\n').count();
        let after_value = &value_from_here[consumed.min(value_from_here.len())..];
        match after_value.find('\n') {
            Some(i) => {
                rest = &after_value[i + 1..];
                line += 1;
            }
            None => rest = "",
        }
    }
    Ok(vars)
}

fn check_key(key: &str, line: usize) -> Result<(), DotenvError> {
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(())
    } else {
        Err(DotenvError {
            line,
            message: format!("invalid variable name {key:?}"),
        })
    }
}

/// The byte index of the closing quote in `body`, skipping backslash escapes in double quotes.
fn find_closing(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

/// Where an inline comment starts in an unquoted value: a `#` after whitespace.
fn comment_start(value: &str) -> Option<usize> {
    if value.starts_with('#') {
        return Some(0);
    }
    let bytes = value.as_bytes();
    (1..bytes.len()).find(|&i| bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t'))
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            // Keep `\$` as `$$` so interpolation leaves a literal dollar.
            Some('$') => out.push_str("$$"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn expand(
    value: &str,
    vars: &IndexMap<String, String>,
    lookup: &dyn Fn(&str) -> Option<String>,
    line: usize,
) -> Result<String, DotenvError> {
    let combined = |name: &str| lookup(name).or_else(|| vars.get(name).cloned());
    interpolate(value, &combined)
        .map(|r| r.text)
        .map_err(|message| DotenvError { line, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let lookup = |name: &str| (name == "HOME").then(|| "/home/me".to_string());
        let got = match parse(input, &lookup) {
            Ok(vars) => vars
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!("!{}: {}", e.line, e.message),
        };
        assert_eq!(got, expected, "input: {input:?}");
    }

    #[test]
    fn plain_lines() {
        check(
            "A=1\nB = two \n\n# comment\nexport C=3",
            "A=\"1\" B=\"two\" C=\"3\"",
        );
        check(
            "A=x # comment\nB=x#notcomment",
            "A=\"x\" B=\"x#notcomment\"",
        );
        check("A=\nB=  ", "A=\"\" B=\"\"");
        check("EQ=a=b", "EQ=\"a=b\"");
        check("CRLF=x\r\n", "CRLF=\"x\"");
    }

    #[test]
    fn quotes() {
        check("A='lit $HOME \\n'", "A=\"lit $HOME \\\\n\"");
        check(
            "A=\"tab\\there\\n\\\"q\\\" \\$HOME\"",
            "A=\"tab\\there\\n\\\"q\\\" $HOME\"",
        );
        check("A=\"multi\nline\"\nB=2", "A=\"multi\\nline\" B=\"2\"");
        check("A='multi\nline' # c\nB=2", "A=\"multi\\nline\" B=\"2\"");
        check("A=\"x\" # comment", "A=\"x\"");
        check("A=\"open\nB=2", "!1: unterminated quoted value for \"A\"");
    }

    #[test]
    fn interpolation_uses_environment_then_earlier_keys() {
        check(
            "A=$HOME/x\nB=${A}/y\nC=\"${NOPE:-d}\"",
            "A=\"/home/me/x\" B=\"/home/me/x/y\" C=\"d\"",
        );
        check(
            "A=${X:?need X}",
            "!1: required variable \"X\" is missing a value: need X",
        );
    }

    #[test]
    fn bare_keys_come_from_the_environment() {
        check("HOME\nNOPE\nA=1", "HOME=\"/home/me\" A=\"1\"");
    }

    #[test]
    fn bad_keys_are_errors() {
        check(
            "A=1\nnot valid=2",
            "!2: invalid variable name \"not valid\"",
        );
    }
}
