//! What only the compose text knows: where an entry was written (a port before range
//! expansion, an environment entry in list form), whether a value was written or came from a
//! variable, and the `x-windflow` backup declarations the loaded stack does not keep.

use windflow_compose::yaml::{self, Node, Value};
use windflow_domain::{MountKind, StackSpec};

use crate::Finding;
use crate::rules::{RUNS_AS_ROOT, SECRET_IN_ENVIRONMENT, VOLUME_WITHOUT_BACKUP};

/// A compose text parsed with positions (anchors and merge keys expanded, nothing
/// interpolated).
pub(crate) struct Document {
    root: Node,
}

impl Document {
    /// `None` when the text is not YAML.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        yaml::parse("compose.yaml", text)
            .ok()
            .map(|root| Document { root })
    }

    /// A field of a service as written, from the rest of a finding's field after
    /// `services.<name>.`.
    fn service_field<'f>(&self, finding: &'f Finding) -> Option<(&Node, &'f str)> {
        let service = finding.service.as_deref()?;
        let rest = finding
            .field
            .strip_prefix("services.")?
            .strip_prefix(service)?
            .strip_prefix('.')?;
        let node = self.root.get("services")?.get(service)?;
        Some((node, rest))
    }

    /// Sets what `locate` cannot find alone: the written index (and line) of a port, the line
    /// of an environment entry in list form.
    pub(crate) fn refine(&self, finding: &mut Finding) {
        let Some((service, rest)) = self.service_field(finding) else {
            return;
        };
        if let Some(index) = rest
            .strip_prefix("ports[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok())
        {
            if let Some((written, line)) = written_port(service, index) {
                let prefix_len = finding.field.len() - rest.len();
                finding.field = format!("{}ports[{written}]", &finding.field[..prefix_len]);
                finding.line = Some(line);
            }
        } else if let Some(variable) = rest.strip_prefix("environment.")
            && let Some(Value::Seq(items)) = service.get("environment").map(|n| &n.value)
            && let Some(item) = items
                .iter()
                .find(|item| list_entry(item).is_some_and(|(name, _)| name == variable))
        {
            finding.line = Some(item.line);
        }
    }

    /// Whether a finding judges a value that the text takes from variables rather than
    /// writes, which the loaded stack cannot tell: an environment value (`${DB_PASSWORD}`, or
    /// a name listed without a value) for `secret-in-environment`, `user: ${UID}:${GID}` for
    /// `runs-as-root`.
    pub(crate) fn is_from_variable(&self, finding: &Finding) -> bool {
        let Some((service, rest)) = self.service_field(finding) else {
            return false;
        };
        if finding.rule == RUNS_AS_ROOT.id && rest == "user" {
            return service
                .get("user")
                .and_then(Node::scalar_text)
                .is_some_and(|text| from_variables_only(&text));
        }
        if finding.rule != SECRET_IN_ENVIRONMENT.id {
            return false;
        }
        let Some(variable) = rest.strip_prefix("environment.") else {
            return false;
        };
        let written = match service.get("environment").map(|n| &n.value) {
            Some(Value::Map(map)) => match map.get(variable) {
                Some(node) if node.is_null() => return true,
                Some(node) => Some(node.scalar_text()),
                None => None,
            },
            Some(Value::Seq(items)) => items
                .iter()
                .filter_map(list_entry)
                .find(|(name, _)| name == variable)
                .map(|(_, value)| value),
            _ => None,
        };
        match written {
            // Listed without a value: taken from the environment.
            Some(None) => true,
            Some(Some(text)) => from_variables_only(&text),
            None => false,
        }
    }

    /// `volume-without-backup`: each named volume some service uses, not external, that no
    /// `x-windflow` backup declaration covers.
    pub(crate) fn volumes_without_backup(&self, stack: &StackSpec) -> Vec<Finding> {
        let stack_backup = self
            .root
            .at(&["x-windflow", "backup"])
            .filter(|n| declared(n));
        let listed: Option<Vec<String>> =
            stack_backup
                .and_then(|n| n.get("volumes"))
                .map(|n| match &n.value {
                    Value::Seq(items) => items.iter().filter_map(Node::scalar_text).collect(),
                    _ => n.scalar_text().into_iter().collect(),
                });
        let mut findings = Vec::new();
        for (key, volume) in &stack.volumes {
            if volume.external {
                continue;
            }
            let covered_by_stack = match (&stack_backup, &listed) {
                (Some(_), Some(names)) => names.iter().any(|n| n == key),
                (Some(_), None) => true,
                (None, _) => false,
            };
            let covered_here = self
                .root
                .get("volumes")
                .and_then(|v| v.get(key))
                .and_then(|v| v.at(&["x-windflow", "backup"]))
                .is_some_and(declared);
            if covered_by_stack || covered_here {
                continue;
            }
            let users: Vec<&str> = stack
                .services
                .iter()
                .filter(|(_, s)| {
                    s.volumes.iter().any(|m| {
                        m.kind == MountKind::Volume && m.source.as_deref() == Some(key.as_str())
                    })
                })
                .map(|(name, _)| name.as_str())
                .collect();
            if users.is_empty() {
                continue;
            }
            findings.push(Finding {
                rule: VOLUME_WITHOUT_BACKUP.id,
                severity: VOLUME_WITHOUT_BACKUP.severity,
                service: None,
                field: format!("volumes.{key}"),
                line: None,
                message: format!(
                    "volume {key} (used by {}) has no backup declaration: its data exists only on the target's disk",
                    users.join(", ")
                ),
                fix: format!(
                    "declare a backup for it (read once WindFlow backups exist), and meanwhile back it up yourself:\nvolumes:\n  {key}:\n    x-windflow:\n      backup: {{}}"
                ),
            });
        }
        findings
    }
}

/// Whether an `x-windflow.backup` value declares a backup (`false` and null do not).
fn declared(node: &Node) -> bool {
    !node.is_null() && !matches!(node.value, Value::Bool(false))
}

/// An environment entry in list form: `NAME=value` → (`NAME`, `Some(value)`), `NAME` →
/// (`NAME`, `None`).
fn list_entry(item: &Node) -> Option<(String, Option<String>)> {
    let text = item.scalar_text()?;
    Some(match text.split_once('=') {
        Some((name, value)) => (name.trim().to_string(), Some(value.to_string())),
        None => (text.trim().to_string(), None),
    })
}

/// Whether a written value is made only of variables: with no variable set, nothing but
/// separators (the `:` of `${UID}:${GID}`) is left, or an error for `${VAR:?}`. A default
/// (`${VAR:-changeme}`) is written text.
fn from_variables_only(text: &str) -> bool {
    if !text.contains('$') {
        return false;
    }
    match windflow_compose::interpolate::interpolate(text, &|_| None) {
        Ok(result) => result.text.trim().trim_matches(':').is_empty(),
        Err(_) => true,
    }
}

/// The index as written, and line, of the `ports:` entry that holds expanded port `index`:
/// a short entry with ranges (`8000-8001:80-81`) expands to several ports, a long one to
/// one.
fn written_port(service: &Node, index: usize) -> Option<(usize, usize)> {
    let Value::Seq(items) = &service.get("ports")?.value else {
        return None;
    };
    let mut seen = 0;
    for (written, item) in items.iter().enumerate() {
        let count = match &item.value {
            Value::Map(_) => 1,
            _ => item
                .scalar_text()
                .and_then(|text| windflow_compose::parse_port(&text).ok())
                .map_or(1, |ports| ports.len().max(1)),
        };
        if index < seen + count {
            return Some((written, item.line));
        }
        seen += count;
    }
    None
}
