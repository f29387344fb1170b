//! Credentials (TSIG secrets, API keys) in a type that never prints them.

use std::fmt;

/// A credential. `Debug` prints `[redacted]` and there is no `Display`, so a secret cannot
/// reach a log line or an error message by accident; [`Secret::expose`] is the one way out.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Config {
            api_key: Secret,
        }
        let config = Config {
            api_key: Secret::new("hunter2-very-secret"),
        };
        let printed = format!("{config:?} {:#?}", config.api_key);
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
        assert_eq!(config.api_key.expose(), "hunter2-very-secret");
    }
}
