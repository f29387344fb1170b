//! Diagnostics: what went wrong (or looks suspicious), where, and in which field.

use std::fmt;

/// One finding about the compose files: an error or a warning, placed as precisely as known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// The file as the user named it (`compose.yml`, `../base.yml`).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The field at fault, e.g. `services.web.ports[1]`; empty for whole-file problems.
    pub path: String,
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        file: impl Into<String>,
        line: Option<usize>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The compose files could not be turned into a stack. Holds every error found in one pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Errors and warnings gathered while loading.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    seen_warnings: std::collections::HashSet<Diagnostic>,
}

impl Report {
    pub fn error(
        &mut self,
        file: &str,
        line: Option<usize>,
        path: &str,
        message: impl Into<String>,
    ) {
        self.errors
            .push(Diagnostic::new(file, line, path, message.into()));
    }

    pub fn warn(
        &mut self,
        file: &str,
        line: Option<usize>,
        path: &str,
        message: impl Into<String>,
    ) {
        let d = Diagnostic::new(file, line, path, message.into());
        if self.seen_warnings.insert(d.clone()) {
            self.warnings.push(d);
        }
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn into_error(self) -> LoadError {
        LoadError {
            diagnostics: self.errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(d: Diagnostic, expected: &str) {
        assert_eq!(d.to_string(), expected);
    }

    #[test]
    fn display_omits_unknown_parts() {
        check(
            Diagnostic::new(
                "compose.yml",
                Some(14),
                "services.web.ports[1]",
                "invalid port \"80:abc\"",
            ),
            "compose.yml:14: services.web.ports[1]: invalid port \"80:abc\"",
        );
        check(Diagnostic::new("a.yml", None, "", "boom"), "a.yml: boom");
        check(
            Diagnostic::new("a.yml", Some(2), "", "boom"),
            "a.yml:2: boom",
        );
    }

    #[test]
    fn load_error_lists_one_diagnostic_per_line() {
        let e = LoadError {
            diagnostics: vec![
                Diagnostic::new("a.yml", Some(1), "x", "one"),
                Diagnostic::new("a.yml", Some(2), "y", "two"),
            ],
        };
        assert_eq!(e.to_string(), "a.yml:1: x: one\na.yml:2: y: two");
    }
}
