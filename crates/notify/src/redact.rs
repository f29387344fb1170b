//! Masking known secret values in text that leaves the crate (error messages, answer bodies).

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted]";

/// `text` with every occurrence of each of `secrets` replaced by [`REDACTED`], longest first
/// (so a URL goes before its path). Empty secrets are ignored.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.to_string();
    for secret in secrets {
        if text.contains(secret) {
            text = text.replace(secret, REDACTED);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_secret_first() {
        let secrets = vec!["/p/TOKEN".to_string(), "https://h/p/TOKEN".to_string()];
        assert_eq!(
            redact("GET https://h/p/TOKEN and /p/TOKEN", &secrets),
            "GET [redacted] and [redacted]"
        );
        assert_eq!(redact("nothing", &[String::new()]), "nothing");
    }
}
