//! The stack advisor: a deterministic review of a loaded stack against rules with a stable
//! id, a severity and a concrete fix (no model, no network: the same stack always gets the
//! same findings, in the same order).
//!
//! [`advise`] reviews a [`windflow_domain::StackSpec`]; [`advise_text`] loads a compose text
//! (isolated: no file besides the text is read), reviews it, applies the rules that need the
//! text itself and fills in each finding's line with [`locate_lines`]; [`render_text`]
//! prints findings as `compose.yaml:12: warning[no-healthcheck] service web …`.
//!
//! Invariants: pure — no I/O, no tokio, no clock, no environment; it never panics, whatever
//! the text (property tests). Findings are advice: nothing here blocks a deployment, and
//! [`has_errors`] is for callers (a CI lint) that choose to fail on errors.
//!
//! Each rule reports its findings with one fixed severity. Rule ids are kebab-case and stable:
//! they may be referred to by users and tools, so a rule is renamed never, removed rarely.
//!
//! | id | severity | what it finds |
//! |----|----------|---------------|
//! | `privileged` | error | `privileged: true`: every capability and every host device |
//! | `dangerous-capability` | error | `cap_add` of `ALL`, `SYS_ADMIN`, `NET_ADMIN`, `SYS_MODULE`, `SYS_RAWIO`, `SYS_PTRACE`, `DAC_READ_SEARCH`, `BPF` |
//! | `docker-socket` | error | the Docker socket (or the directory holding it) mounted, by a bind or a volume |
//! | `sensitive-host-mount` | error | a bind mount of `/`, `/etc`, `/root`, `/var/lib/docker`, `/proc`, `/sys`, `/dev`, `/boot` |
//! | `host-namespace` | error | `network_mode: host`, `pid: host` or `ipc: host` |
//! | `added-capability` | warning | any other `cap_add` entry |
//! | `unconfined-security-profile` | warning | `security_opt` of `seccomp:unconfined`, `apparmor:unconfined` or `label:disable` |
//! | `database-port-published` | warning | a well-known database port published on every host interface |
//! | `secret-in-environment` | warning | a literal value for an environment variable named like a secret |
//! | `latest-image-tag` | warning | an image tagged `latest` or not tagged (a digest is fine) |
//! | `no-healthcheck` | warning | no `healthcheck:` (one-shot jobs excepted) |
//! | `no-restart-policy` | info | `restart` unset or `no`, and no `deploy.restart_policy` |
//! | `no-memory-limit` | info | no memory limit (`deploy.resources.limits.memory` or `mem_limit`) |
//! | `runs-as-root` | info | no `user:`, or user `0`/`root` |
//! | `volume-without-backup` | info | a named volume with no `x-windflow` backup declaration (text only) |
//!
//! `volume-without-backup` reads `x-windflow` extensions that the loaded stack does not keep,
//! so only [`advise_text`] applies it. It is a placeholder for WindFlow's backups: a volume
//! counts as backed up when its definition has `x-windflow: {backup: …}`, or the top level
//! has `x-windflow: {backup: …}` (all volumes, or those listed in its `volumes:`).
//!
//! Fields are compose paths in the form [`windflow_compose::locate`] takes
//! (`services.db.ports[0]`). A finding about something missing points at the service
//! (`services.web`); one about a value points at that value.

mod rules;
mod text;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use windflow_compose::{LoadError, LoadOptions};
use windflow_domain::StackSpec;

/// How much a finding matters. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; often a deliberate choice.
    Info,
    /// Likely a mistake or a risk; fix it unless you know why not.
    Warning,
    /// A hole in the host's isolation: the container can take over the host or its engine.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`, as serialized and rendered.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of advice about one place in a stack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule's stable id, one of [`RULES`].
    pub rule: &'static str,
    pub severity: Severity,
    /// The service at fault; `None` for a stack-level finding (a volume).
    pub service: Option<String>,
    /// The compose path at fault, as [`windflow_compose::locate`] takes it
    /// (`services.db.ports[0]`, `services.web.environment.DB_PASSWORD`).
    pub field: String,
    /// The field's line in the compose text, filled by [`locate_lines`].
    pub line: Option<usize>,
    /// What is wrong, in one sentence naming the service and the value.
    pub message: String,
    /// What to do, concrete; may hold a compose snippet on the lines after the first.
    pub fix: String,
}

/// A finding as read back (its rule id owned), checked against [`RULES`].
#[derive(Deserialize)]
struct FindingWire {
    rule: String,
    severity: Severity,
    service: Option<String>,
    field: String,
    line: Option<usize>,
    message: String,
    fix: String,
}

/// Read back with its rule id checked against [`RULES`] (an unknown id is an error).
impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = FindingWire::deserialize(deserializer)?;
        Finding::try_from(wire).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<FindingWire> for Finding {
    type Error = String;

    fn try_from(wire: FindingWire) -> Result<Self, String> {
        let rule = rule(&wire.rule)
            .ok_or_else(|| format!("unknown advisor rule {:?}", wire.rule))?
            .id;
        Ok(Finding {
            rule,
            severity: wire.severity,
            service: wire.service,
            field: wire.field,
            line: wire.line,
            message: wire.message,
            fix: wire.fix,
        })
    }
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable, kebab-case.
    pub id: &'static str,
    /// The severity of every finding of this rule.
    pub severity: Severity,
    /// What the rule finds, one line.
    pub summary: &'static str,
}

/// Every rule, most severe first (the table of the crate documentation).
pub const RULES: &[Rule] = &[
    rules::PRIVILEGED,
    rules::DANGEROUS_CAPABILITY,
    rules::DOCKER_SOCKET,
    rules::SENSITIVE_HOST_MOUNT,
    rules::HOST_NAMESPACE,
    rules::ADDED_CAPABILITY,
    rules::UNCONFINED_SECURITY_PROFILE,
    rules::DATABASE_PORT_PUBLISHED,
    rules::SECRET_IN_ENVIRONMENT,
    rules::LATEST_IMAGE_TAG,
    rules::NO_HEALTHCHECK,
    rules::NO_RESTART_POLICY,
    rules::NO_MEMORY_LIMIT,
    rules::RUNS_AS_ROOT,
    rules::VOLUME_WITHOUT_BACKUP,
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Reviews a loaded stack: every finding of every rule that needs only the stack, sorted by
/// (service, rule), stack-level findings first. Lines are not known here (see [`locate_lines`]).
///
/// `secret-in-environment` sees values after interpolation, so a value taken from a variable
/// counts as literal here; [`advise_text`] tells them apart from the text.
pub fn advise(stack: &StackSpec) -> Vec<Finding> {
    let mut findings = rules::check_stack(stack);
    sort(&mut findings);
    findings
}

/// Fills in each finding's line from the compose `text` it was found in, through
/// [`windflow_compose::locate`]. Two refinements that `locate` cannot make alone: a
/// `ports[i]` field indexes the stack's ports after range expansion (`8000-8001:80-81` is
/// two), so it is rewritten to the index of the entry as written; and an environment
/// variable written in list form (`- DB_PASSWORD=x`) gets the line of its entry.
pub fn locate_lines(text: &str, findings: &mut [Finding]) {
    let document = text::Document::parse(text);
    for finding in findings.iter_mut() {
        if let Some(document) = &document {
            document.refine(finding);
        }
        if finding.line.is_none() {
            finding.line = windflow_compose::locate(text, &finding.field);
        }
    }
}

/// Loads one compose text (isolated: no `.env`, `env_file`, `extends.file`, `include` or
/// `build` context is read; no variable is set, so `${VAR:?}` is the loader's error: pass
/// variables with [`advise_text_with`]), reviews it with [`advise`] and the rules that need
/// the text, and fills in lines. A text that does not load gives the loader's error.
pub fn advise_text(name: &str, text: &str) -> Result<Vec<Finding>, LoadError> {
    advise_text_with(name, text, &LoadOptions::default())
}

/// Where [`advise_text`] resolves relative paths when the options name no directory: a
/// path that names nothing on a host, so `./data` is never mistaken for a sensitive one (and
/// a text without `name:` is project `stack`).
pub const NEUTRAL_WORKING_DIR: &str = "/nonexistent/windflow-advisor/stack";

/// [`advise_text`] with the loader's options (the variables a deployment would set, a
/// project name); it is always isolated, whatever `options` says.
pub fn advise_text_with(
    name: &str,
    text: &str,
    options: &LoadOptions,
) -> Result<Vec<Finding>, LoadError> {
    let options = LoadOptions {
        isolated: true,
        // Relative bind paths resolve here, not in the process's directory (`.` must not
        // become the server's `/`).
        working_dir: Some(
            options
                .working_dir
                .clone()
                .unwrap_or_else(|| NEUTRAL_WORKING_DIR.into()),
        ),
        ..options.clone()
    };
    let loaded = windflow_compose::load_from_str(name, text, &options)?;
    Ok(advise_loaded(text, &loaded.stack))
}

/// The findings on `stack`, already loaded from `text` by the caller (with its own options:
/// the server's isolated load, the CLI's `.env` and `-f` files): what [`advise_text`] finds,
/// without loading again — values that come from variables are not taken for written
/// secrets, `x-windflow` backup declarations count, and lines are filled from `text`.
pub fn advise_loaded(text: &str, stack: &StackSpec) -> Vec<Finding> {
    let mut findings = rules::check_stack(stack);
    if let Some(document) = text::Document::parse(text) {
        findings.retain(|f| !document.is_from_variable(f));
        findings.extend(document.volumes_without_backup(stack));
    }
    sort(&mut findings);
    locate_lines(text, &mut findings);
    findings
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Findings as a compiler prints diagnostics, one block each:
///
/// ```text
/// compose.yaml:12: warning[no-healthcheck] service web has no healthcheck …
///   fix: add a healthcheck: …
/// ```
///
/// `color` adds ANSI colours (severity and rule); lines of a multi-line fix are indented
/// under it.
pub fn render_text(file: &str, findings: &[Finding], color: bool) -> String {
    let mut out = String::new();
    for finding in findings {
        let location = match finding.line {
            Some(line) => format!("{file}:{line}"),
            None => file.to_string(),
        };
        let (start, end) = if color {
            let code = match finding.severity {
                Severity::Error => "1;31",
                Severity::Warning => "1;33",
                Severity::Info => "1;36",
            };
            (format!("\x1b[{code}m"), "\x1b[0m")
        } else {
            (String::new(), "")
        };
        out.push_str(&format!(
            "{location}: {start}{}[{}]{end} {}\n",
            finding.severity, finding.rule, finding.message
        ));
        let mut lines = finding.fix.lines();
        let label = if color { "\x1b[1mfix:\x1b[0m" } else { "fix:" };
        out.push_str(&format!("  {label} {}\n", lines.next().unwrap_or_default()));
        for line in lines {
            out.push_str(&format!("      {line}\n"));
        }
    }
    out
}

/// By (service, rule); a stable sort, so a rule's findings in one service stay in the order
/// of the stack (ports, mounts, capabilities as written; variables and volumes by name).
fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| (&a.service, a.rule).cmp(&(&b.service, b.rule)));
}
