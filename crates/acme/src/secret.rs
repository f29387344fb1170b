//! `Secret`: a string that must never reach a log — a private key, the account credentials.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// A secret string. `Debug` prints `[redacted]`, there is no `Display`, and the memory is
/// zeroed on drop. It serializes to the plain string, because the caller's job is to seal it
/// (encrypt it at rest) — serialize it only into the sealed store.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for handing to TLS or to the sealed store — never to a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("-----BEGIN PRIVATE KEY-----abc");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
        assert_eq!(secret.expose(), "-----BEGIN PRIVATE KEY-----abc");
    }

    #[test]
    fn serializes_to_the_plain_value_for_the_sealed_store() {
        let secret = Secret::new("s3cret");
        let json = serde_json::to_string(&secret).unwrap();
        assert_eq!(json, "\"s3cret\"");
        let back: Secret = serde_json::from_str(&json).unwrap();
        assert_eq!(back, secret);
    }
}
