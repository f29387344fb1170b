//! Redaction of secrets from everything sent to a model.
//!
//! Two layers: [`Redactor`] replaces known secret values (the stack's environment secrets,
//! registry passwords, …) and their encoded forms wherever they appear; [`redact_compose`]
//! replaces, by heuristic, the values of environment-like keys that look secret
//! (`DB_PASSWORD: x`, `- API_TOKEN=x`) and passwords in URLs (`postgres://u:x@db`), for the
//! secrets nobody declared.
//!
//! Markers are `<redacted:NAME>` rather than `[REDACTED:NAME]`: a `[` starts a flow sequence
//! in YAML, so a bracketed marker would turn a redacted compose file into a different (often
//! invalid) one, and the model would "fix" the marker.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// Secret values shorter than this are not redacted: replacing every `ab` in a prompt would
/// destroy it, and such a value protects nothing.
pub const MIN_SECRET_LEN: usize = 4;

/// Replaces known secret values, and their base64 and URL-encoded forms, with
/// `<redacted:NAME>` markers.
#[derive(Clone, Default)]
pub struct Redactor {
    /// (name, value) as given, for [`Redactor::merge`] and [`Redactor::restore`].
    secrets: Vec<(String, String)>,
    /// (pattern, marker), longest pattern first.
    patterns: Vec<(String, String)>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The patterns are the secrets: never print them.
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor for unnamed secret values; they are named `secret-1`, `secret-2`, … in
    /// the order given.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        Self::named(
            secrets
                .into_iter()
                .enumerate()
                .map(|(i, value)| (format!("secret-{}", i + 1), value)),
        )
    }

    /// A redactor for `(name, value)` pairs; the marker names the secret
    /// (`<redacted:DB_PASSWORD>`) so the model can still reason about which value it was.
    pub fn named(secrets: impl IntoIterator<Item = (String, String)>) -> Self {
        let secrets: Vec<(String, String)> = secrets
            .into_iter()
            .filter(|(_, value)| value.chars().count() >= MIN_SECRET_LEN)
            .map(|(name, value)| (sanitize_name(&name), value))
            .collect();
        let mut patterns = Vec::new();
        for (name, value) in &secrets {
            let marker = marker(name);
            for form in encoded_forms(value) {
                patterns.push((form, marker.clone()));
            }
        }
        patterns.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        patterns.dedup_by(|a, b| a.0 == b.0);
        Self { secrets, patterns }
    }

    /// This redactor with the secrets of `other` too.
    pub fn merge(self, other: &Redactor) -> Self {
        Self::named(
            self.secrets
                .into_iter()
                .chain(other.secrets.iter().cloned()),
        )
    }

    /// `text` with each `<redacted:NAME>` marker replaced by the value again, for text that
    /// stays with the user (a fix to apply); names given to two different values stay
    /// markers.
    pub fn restore(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, value) in &self.secrets {
            let ambiguous = self
                .secrets
                .iter()
                .any(|(other, other_value)| other == name && other_value != value);
            if !ambiguous {
                out = out.replace(&marker(name), value);
            }
        }
        out
    }

    /// Whether this redactor knows no secret.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// `text` with every known secret (and encoded form) replaced by its marker. One pass,
    /// longest match first, so a marker is never itself rewritten.
    pub fn redact(&self, text: &str) -> String {
        if self.patterns.is_empty() {
            return text.to_string();
        }
        // The first bytes patterns start with: most positions are skipped without a compare.
        let mut starts = [false; 256];
        for (pattern, _) in &self.patterns {
            starts[usize::from(pattern.as_bytes()[0])] = true;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        'scan: while let Some(c) = rest.chars().next() {
            if !starts[usize::from(rest.as_bytes()[0])] {
                out.push(c);
                rest = &rest[c.len_utf8()..];
                continue;
            }
            for (pattern, marker) in &self.patterns {
                if rest.starts_with(pattern.as_str()) {
                    out.push_str(marker);
                    rest = &rest[pattern.len()..];
                    continue 'scan;
                }
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }
}

fn marker(name: &str) -> String {
    format!("<redacted:{name}>")
}

fn sanitize_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(64)
        .collect();
    if clean.is_empty() {
        "secret".to_string()
    } else {
        clean
    }
}

/// The value itself, its base64 forms (both alphabets, padded or not, and the
/// alignment-independent middle part that appears when the value is encoded inside a longer
/// text, as in `user:password` for basic auth), and its URL-encoded forms.
fn encoded_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string()];
    let bytes = value.as_bytes();
    for engine in [&STANDARD, &URL_SAFE] {
        forms.push(engine.encode(bytes));
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        // Encoded after 0, 1 or 2 other bytes: the characters that depend only on the
        // value's own bytes. The first group shares bits with what precedes, the last
        // with what follows.
        for offset in 0..3usize {
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(bytes);
            let encoded = engine.encode(&shifted);
            let skip = if offset == 0 { 0 } else { 4 };
            let full_groups = shifted.len() / 3;
            let end = full_groups * 4;
            if end > skip && end - skip >= 8 {
                forms.push(encoded[skip..end].to_string());
            }
        }
    }
    let upper = percent_encode(value, false);
    if upper != value {
        forms.push(percent_encode(value, true));
        forms.push(upper);
    }
    let form = percent_encode(value, false).replace("%20", "+");
    if form != value {
        forms.push(form);
    }
    forms.retain(|f| f.len() >= MIN_SECRET_LEN);
    forms
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(value: &str, lowercase: bool) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else if lowercase {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The marker [`redact_compose`] puts in place of a value it judges secret.
pub const COMPOSE_MARKER: &str = "<redacted>";

/// Compose text with the values of secret-looking keys replaced by [`COMPOSE_MARKER`]:
/// `KEY: value`, `KEY=value`, `- KEY=value` and `"KEY": "value"` where a part of `KEY` reads
/// PASSWORD, SECRET, TOKEN, KEY, … (a `_FILE` key names a path and is kept; a value that is
/// only a `${VAR}` reference is kept), the lines of a block scalar under such a key
/// (`PRIVATE_KEY: |`), PEM private keys anywhere, and passwords in URLs
/// (`scheme://user:pw@host`). Line structure and indentation are preserved, so line numbers
/// still match.
pub fn redact_compose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Inside a secret block scalar: the indentation of its key.
    let mut block: Option<usize> = None;
    let mut in_pem = false;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let content = line.trim_start_matches([' ', '\t']);
        let indent = &line[..line.len() - content.len()];
        if let Some(key_indent) = block {
            if content.trim().is_empty() {
                out.push_str(line);
                continue;
            }
            if indent.len() > key_indent {
                out.push_str(indent);
                out.push_str(COMPOSE_MARKER);
                continue;
            }
            block = None;
        }
        if in_pem || (content.contains("-----BEGIN ") && content.contains("PRIVATE KEY-----")) {
            in_pem = !(content.contains("-----END ") && content.contains("PRIVATE KEY-----"));
            out.push_str(indent);
            out.push_str(COMPOSE_MARKER);
            continue;
        }
        if opens_secret_block(content) {
            block = Some(indent.len());
            out.push_str(line);
            continue;
        }
        let line = redact_line(line);
        out.push_str(&redact_url_passwords(&line));
    }
    out
}

/// `PRIVATE_KEY: |` (or `>-`, `|2`, …): a secret-looking key whose value is a block scalar.
fn opens_secret_block(content: &str) -> bool {
    let Some((key, value)) = content
        .strip_prefix("- ")
        .unwrap_or(content)
        .split_once(':')
    else {
        return false;
    };
    let key = key.trim().trim_matches(['"', '\'']);
    let value = value.split(" #").next().unwrap_or_default().trim();
    key_looks_secret(key)
        && value.starts_with(['|', '>'])
        && value[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
}

fn redact_line(line: &str) -> String {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return line.to_string();
    }
    let indent = &line[..line.len() - trimmed.len()];
    // `- KEY=value` (a list item) or `KEY=value` in a flow or command.
    let (dash, body) = match trimmed.strip_prefix("- ") {
        Some(rest) => ("- ", rest.trim_start()),
        None => ("", trimmed),
    };
    let unquoted = body.trim_start_matches(['"', '\'']);
    let quote = &body[..body.len() - unquoted.len()];
    let key_end = unquoted
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(unquoted.len());
    let key = &unquoted[..key_end];
    if key.is_empty() || !key_looks_secret(key) {
        return line.to_string();
    }
    let after_key_raw = &unquoted[key_end..];
    let after_key = after_key_raw
        .strip_prefix(['"', '\''])
        .unwrap_or(after_key_raw);
    let (separator, value) = if let Some(v) = after_key.strip_prefix('=') {
        ("=", v)
    } else if let Some(v) = after_key.strip_prefix(':') {
        if !(v.is_empty() || v.starts_with([' ', '\t'])) {
            return line.to_string();
        }
        (":", v)
    } else {
        return line.to_string();
    };
    let value_trimmed = value.trim();
    let bare = value_trimmed
        .trim_end_matches(',')
        .trim_matches(['"', '\'']);
    if bare.is_empty()
        || bare.starts_with('#')
        || is_reference(bare)
        || bare.starts_with(['[', '{', '|', '>', '&', '*'])
        || bare == COMPOSE_MARKER
    {
        return line.to_string();
    }
    let key_part = &body[..quote.len() + key_end + (after_key_raw.len() - after_key.len())];
    let space = if separator == ":" { " " } else { "" };
    let value_quote = if value_trimmed.starts_with('"') {
        "\""
    } else if value_trimmed.starts_with('\'') {
        "'"
    } else {
        ""
    };
    // `KEY=value"` inside a quoted list item keeps its closing quote.
    let closing = if separator == "=" && !quote.is_empty() && value_trimmed.ends_with(quote) {
        quote
    } else {
        value_quote
    };
    let comma = if value_trimmed.ends_with(',') {
        ","
    } else {
        ""
    };
    format!(
        "{indent}{dash}{key_part}{separator}{space}{value_quote}{COMPOSE_MARKER}{closing}{comma}"
    )
}

/// `${VAR}`, `${VAR:-x}` or `$VAR` alone: a reference, not a value.
fn is_reference(value: &str) -> bool {
    if let Some(inner) = value.strip_prefix("${") {
        return inner.ends_with('}') && !inner[..inner.len() - 1].contains('}');
    }
    value.strip_prefix('$').is_some_and(|name| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Whether an environment-like key names a secret.
pub fn key_looks_secret(key: &str) -> bool {
    const WORDS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "SECRET",
        "TOKEN",
        "KEY",
        "APIKEY",
        "PRIVATE",
        "CREDENTIAL",
        "CREDENTIALS",
        "AUTH",
        "SALT",
        "DSN",
    ];
    const INFIXES: &[&str] = &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY"];
    // Compose's own keys that merely reference secrets by name.
    if matches!(key, "secrets" | "secret" | "source" | "target") {
        return false;
    }
    let upper = key.to_ascii_uppercase();
    let parts: Vec<&str> = upper
        .split(['_', '-', '.'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts
        .last()
        .is_some_and(|p| matches!(*p, "FILE" | "PATH" | "DIR"))
    {
        return false;
    }
    parts.iter().any(|p| WORDS.contains(p)) || INFIXES.iter().any(|w| upper.contains(w))
}

/// `scheme://user:password@host` → `scheme://user:<redacted>@host`.
fn redact_url_passwords(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| matches!(c, '/' | ' ' | '"' | '\'' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) if !is_reference(&userinfo[colon + 1..]) => {
                        out.push_str(&userinfo[..colon + 1]);
                        out.push_str(COMPOSE_MARKER);
                        out.push_str(&authority[at..]);
                    }
                    _ => out.push_str(authority),
                }
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_compose(input: &str, expected: &str) {
        assert_eq!(redact_compose(input), expected, "input: {input}");
    }

    #[test]
    fn compose_values_of_secret_keys() {
        check_compose(
            "      DB_PASSWORD: hunter22",
            "      DB_PASSWORD: <redacted>",
        );
        check_compose(
            "      - API_TOKEN=abc123456",
            "      - API_TOKEN=<redacted>",
        );
        check_compose(
            "      - \"API_TOKEN=abc123456\"",
            "      - \"API_TOKEN=<redacted>\"",
        );
        check_compose(
            "      SECRET_KEY_BASE: \"zzz\"",
            "      SECRET_KEY_BASE: \"<redacted>\"",
        );
        check_compose("      MYSQLPASSWORD: x1", "      MYSQLPASSWORD: <redacted>");
        check_compose(
            "    \"AUTH_KEY\": \"v\",",
            "    \"AUTH_KEY\": \"<redacted>\",",
        );
    }

    #[test]
    fn compose_keeps_what_is_not_a_secret() {
        for line in [
            "      DB_PASSWORD: ${DB_PASSWORD}",
            "      DB_PASSWORD: $DB_PASSWORD",
            "      - DB_PASSWORD=${DB_PASSWORD:?set it}",
            "      POSTGRES_PASSWORD_FILE: /run/secrets/db",
            "    secrets:",
            "    secrets: [db_password]",
            "      KEYCLOAK_URL: http://kc:8080",
            "    image: postgres:16.4",
            "      # DB_PASSWORD: old",
            "      DB_PASSWORD:",
        ] {
            check_compose(line, line);
        }
    }

    #[test]
    fn compose_url_passwords() {
        check_compose(
            "      DATABASE_URL: postgres://app:s3cret@db:5432/app",
            "      DATABASE_URL: postgres://app:<redacted>@db:5432/app",
        );
        check_compose(
            "      DATABASE_URL: postgres://app:${PW}@db/app",
            "      DATABASE_URL: postgres://app:${PW}@db/app",
        );
        check_compose(
            "  url: https://example.com/a@b",
            "  url: https://example.com/a@b",
        );
    }

    #[test]
    fn compose_block_scalars_and_pem_keys() {
        check_compose(
            "      SSH_PRIVATE_KEY: |\n        line-one\n\n        line-two\n      NEXT: ok\n",
            "      SSH_PRIVATE_KEY: |\n        <redacted>\n\n        <redacted>\n      NEXT: ok\n",
        );
        check_compose(
            "    content: |\n      -----BEGIN RSA PRIVATE KEY-----\n      MIIEow\n      -----END RSA PRIVATE KEY-----\n      tail\n",
            "    content: |\n      <redacted>\n      <redacted>\n      <redacted>\n      tail\n",
        );
        // Not a secret key: the block stays.
        check_compose(
            "    command: |\n      echo hi\n",
            "    command: |\n      echo hi\n",
        );
    }

    #[test]
    fn compose_line_count_is_kept() {
        let text = "services:\n  db:\n    environment:\n      PASSWORD: x2345\n";
        assert_eq!(redact_compose(text).lines().count(), text.lines().count());
    }

    #[test]
    fn known_secrets_and_their_encodings() {
        let secret = "hunter2-s3cr3t/value";
        let redactor = Redactor::named([("DB_PASSWORD".to_string(), secret.to_string())]);
        let basic = STANDARD.encode(format!("admin:{secret}"));
        let text = format!(
            "plain {secret} b64 {} url {} basic {basic} end",
            STANDARD.encode(secret),
            percent_encode(secret, false)
        );
        let out = redactor.redact(&text);
        assert!(!out.contains(secret), "{out}");
        assert!(!out.contains(&STANDARD.encode(secret)), "{out}");
        assert!(!out.contains(&percent_encode(secret, false)), "{out}");
        // The middle of the basic-auth blob that encodes the secret is gone.
        let core = &STANDARD_NO_PAD.encode(format!("adm{secret}"))[4..];
        assert!(!out.contains(&core[..12]), "{out}");
        assert!(out.starts_with("plain <redacted:DB_PASSWORD> b64 <redacted:DB_PASSWORD>"));
    }

    #[test]
    fn markers_are_restored_for_the_user() {
        let redactor = Redactor::named([("PW".to_string(), "s3cret-value".to_string())])
            .merge(&Redactor::new(["another-one".to_string()]));
        let text = "a s3cret-value b another-one";
        let redacted = redactor.redact(text);
        assert_eq!(redacted, "a <redacted:PW> b <redacted:secret-1>");
        assert_eq!(redactor.restore(&redacted), text);
    }

    #[test]
    fn short_and_empty_secrets_are_ignored() {
        let redactor = Redactor::new(["".to_string(), "ab".to_string()]);
        assert!(redactor.is_empty());
        assert_eq!(redactor.redact("ab cd"), "ab cd");
    }

    proptest::proptest! {
        #[test]
        fn compose_redaction_never_panics_and_keeps_lines(text in "[ -~\n\té:|>\"'=\\-]{0,200}") {
            let out = redact_compose(&text);
            proptest::prop_assert_eq!(out.split('\n').count(), text.split('\n').count());
        }

        #[test]
        fn a_known_secret_never_survives(
            secret in "[ -~]{4,24}",
            before in "[ -~é]{0,30}",
            after in "[ -~é]{0,30}",
        ) {
            let redactor = Redactor::new([secret.clone()]);
            let out = redactor.redact(&format!("{before}{secret}{after}"));
            proptest::prop_assert!(!out.contains(&secret), "{out}");
        }
    }

    #[test]
    fn debug_never_prints_secrets() {
        let redactor = Redactor::new(["topsecretvalue".to_string()]);
        assert!(!format!("{redactor:?}").contains("topsecret"));
    }
}
