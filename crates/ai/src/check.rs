//! What WindFlow thinks of a proposed compose file: [`Problem`]s, and the default check
//! through WindFlow's own loader.

use std::fmt;
use std::path::PathBuf;

use windflow_compose::{Diagnostic, LoadOptions, Loaded, load_from_str, locate};
use windflow_domain::StackSpec;
use windflow_domain::policy::{self, HostAccessPolicy};

/// How bad a problem is: only errors reject a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a proposed compose file, placed as precisely as known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    /// The field at fault (`services.web.ports[0]`); empty for whole-file problems.
    pub field: String,
    pub message: String,
    pub severity: Severity,
}

impl Problem {
    pub fn error(
        file: impl Into<String>,
        line: Option<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            field: field.into(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn warning(
        file: impl Into<String>,
        line: Option<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, line, field, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn from_diagnostic(d: Diagnostic, severity: Severity) -> Self {
        Self {
            file: d.file,
            line: d.line,
            field: d.path,
            message: d.message,
            severity,
        }
    }
}

/// `file:line: field: message` (parts that are unknown left out), the form fed back to the
/// model.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)?;
        if self.severity == Severity::Warning {
            f.write_str(" (warning)")?;
        }
        Ok(())
    }
}

/// One question to the model and what the check found in its answer (kept by
/// [`crate::generate::generate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// The start of the model's answer.
    pub answer_excerpt: String,
    /// Everything the check found (no error in the accepted round).
    pub problems: Vec<Problem>,
}

/// The name proposed files are checked (and reported) under.
pub const COMPOSE_FILE: &str = "compose.yaml";

/// The default check: WindFlow's compose loader, isolated (no file besides the text is
/// read). Load errors are [`Severity::Error`] problems, warnings are warnings.
pub fn compose_check(text: &str) -> Vec<Problem> {
    match load(text) {
        Ok(loaded) => warnings(loaded),
        Err(problems) => problems,
    }
}

/// [`compose_check`], plus `policy` (the organization's host-access policy): each violation
/// is an error naming its field and line.
pub fn policy_check(text: &str, policy: &HostAccessPolicy) -> Vec<Problem> {
    match load(text) {
        Ok(loaded) => {
            let mut problems = violations(text, &loaded.stack, policy);
            problems.extend(warnings(loaded));
            problems
        }
        Err(problems) => problems,
    }
}

/// What [`crate::generate::generate`]'s prompt asks for, checked: the loader, the
/// `baseline` host-access policy (no host paths, engine socket, privileged mode, host
/// namespaces, …) as errors, and images without a pinned tag or services without a
/// healthcheck as warnings.
pub fn generation_check(text: &str) -> Vec<Problem> {
    let loaded = match load(text) {
        Ok(loaded) => loaded,
        Err(problems) => return problems,
    };
    let mut problems = violations(text, &loaded.stack, &HostAccessPolicy::baseline());
    for (name, service) in &loaded.stack.services {
        let field = format!("services.{name}");
        if service.build.is_none() && !is_pinned(&service.image) {
            let path = format!("{field}.image");
            problems.push(Problem::warning(
                COMPOSE_FILE,
                locate(text, &path),
                path,
                format!(
                    "image {:?} has no pinned version: name a version tag (not `latest`)",
                    service.image
                ),
            ));
        }
        if service.healthcheck.is_none() {
            problems.push(Problem::warning(
                COMPOSE_FILE,
                locate(text, &field),
                field,
                "no healthcheck: add one so dependants and deployments can wait for it",
            ));
        }
    }
    problems.extend(warnings(loaded));
    problems
}

/// Whether an image reference names a version: a digest, or a tag other than `latest`.
fn is_pinned(image: &str) -> bool {
    if image.contains('@') {
        return true;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => !tag.is_empty() && tag != "latest",
        None => false,
    }
}

fn load(text: &str) -> Result<Loaded, Vec<Problem>> {
    let options = LoadOptions {
        isolated: true,
        working_dir: Some(PathBuf::from("/windflow-ai")),
        ..LoadOptions::default()
    };
    load_from_str(COMPOSE_FILE, text, &options).map_err(|error| {
        error
            .diagnostics
            .into_iter()
            .map(|d| Problem::from_diagnostic(d, Severity::Error))
            .collect()
    })
}

fn warnings(loaded: Loaded) -> Vec<Problem> {
    loaded
        .warnings
        .into_iter()
        .map(|d| Problem::from_diagnostic(d, Severity::Warning))
        .collect()
}

fn violations(text: &str, stack: &StackSpec, policy: &HostAccessPolicy) -> Vec<Problem> {
    policy::check(stack, policy)
        .into_iter()
        .map(|v| Problem::error(COMPOSE_FILE, locate(text, &v.path), v.path, v.message))
        .collect()
}

/// `problems` as the feedback message lists them, errors first.
pub fn format_problems(problems: &[Problem]) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .filter(|p| p.is_error())
        .chain(problems.iter().filter(|p| !p.is_error()))
        .map(|p| format!("- {p}"))
        .collect();
    lines.dedup();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_stack_has_no_errors() {
        let problems =
            compose_check("services:\n  web:\n    image: nginx:1.27.3\n    ports: [\"8080:80\"]\n");
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let problems =
            compose_check("services:\n  web:\n    image: nginx:1.27.3\n    ports: [\"80/xyz\"]\n");
        let error = problems.iter().find(|p| p.is_error()).expect("an error");
        assert_eq!(error.file, COMPOSE_FILE);
        assert_eq!(error.line, Some(4));
        assert!(
            error
                .to_string()
                .starts_with("compose.yaml:4: services.web.ports"),
            "{error}"
        );
    }

    #[test]
    fn the_generation_check_enforces_the_prompt() {
        let text = "services:\n  web:\n    image: nginx\n    privileged: true\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n";
        let problems = generation_check(text);
        let errors: Vec<String> = problems
            .iter()
            .filter(|p| p.is_error())
            .map(|p| p.to_string())
            .collect();
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("compose.yaml:4: services.web.privileged")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("compose.yaml:6: services.web.volumes[0]")),
            "{errors:?}"
        );
        let warnings: Vec<String> = problems
            .iter()
            .filter(|p| !p.is_error())
            .map(|p| p.to_string())
            .collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("compose.yaml:3: services.web.image") && w.contains("pinned")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("no healthcheck")),
            "{warnings:?}"
        );
    }

    #[test]
    fn pinned_images() {
        for image in [
            "nginx:1.27.3",
            "ghcr.io/a/b:v2",
            "localhost:5000/app:1",
            "redis@sha256:abc",
        ] {
            assert!(is_pinned(image), "{image}");
        }
        for image in ["nginx", "nginx:latest", "localhost:5000/app"] {
            assert!(!is_pinned(image), "{image}");
        }
    }

    #[test]
    fn yaml_syntax_errors_are_errors() {
        let problems = compose_check("services:\n  web:\n    image: [nginx\n");
        assert!(
            problems.iter().any(|p| p.is_error() && p.line.is_some()),
            "{problems:?}"
        );
    }
}
