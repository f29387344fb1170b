//! Stack content: validating a compose file as the server will deploy it (isolated: it reads
//! no file of the server's), turning diagnostics into field errors with lines, and diffing
//! versions.

use std::collections::BTreeMap;

use windflow_compose::{Diagnostic, LoadOptions, Loaded};
use windflow_domain::policy::HostAccessPolicy;
use windflow_protocol::{Advice, FieldError, StackDiff, Validation};
use windflow_storage::{Store, VariableScope, VariableValue};

use crate::convert;
use crate::error::ApiError;
use crate::services;

/// Largest compose file accepted.
pub const MAX_CONTENT_BYTES: usize = 1 << 20;

pub fn field_error(d: &Diagnostic) -> FieldError {
    FieldError {
        field: if d.path.is_empty() {
            "content".into()
        } else {
            d.path.clone()
        },
        message: d.message.clone(),
        line: d.line.map(|l| l as u32),
    }
}

/// Loads `content` as project `name` with `environment` for interpolation.
pub fn load(
    name: &str,
    content: &str,
    environment: BTreeMap<String, String>,
) -> Result<Loaded, Vec<Diagnostic>> {
    let options = LoadOptions {
        project_name: Some(name.to_string()),
        environment,
        isolated: true,
        working_dir: Some(std::path::PathBuf::from("/nonexistent/windflow-stack")),
        ..LoadOptions::default()
    };
    windflow_compose::load_from_str("compose.yaml", content, &options).map_err(|e| e.diagnostics)
}

/// What the server would make of `content` under the organization's host-access `policy`:
/// errors with lines (what the compose file gets wrong, then what the policy refuses),
/// warnings, services.
pub fn validate(
    name: &str,
    content: &str,
    environment: BTreeMap<String, String>,
    policy: &HostAccessPolicy,
) -> Validation {
    if content.len() > MAX_CONTENT_BYTES {
        return Validation {
            valid: false,
            errors: vec![FieldError {
                field: "content".into(),
                message: format!("larger than {} KiB", MAX_CONTENT_BYTES >> 10),
                line: None,
            }],
            warnings: Vec::new(),
            services: Vec::new(),
            advice: Vec::new(),
        };
    }
    match load(name, content, environment) {
        Ok(loaded) => {
            let mut refused = services::policies::violations(content, &loaded.stack, policy);
            refused.extend(backup_problems(content, &loaded.stack));
            Validation {
                valid: refused.is_empty(),
                errors: refused,
                warnings: loaded.warnings.iter().map(field_error).collect(),
                services: loaded.stack.services.keys().cloned().collect(),
                advice: advice(content, &loaded.stack),
            }
        }
        Err(diagnostics) => Validation {
            valid: false,
            errors: diagnostics.iter().map(field_error).collect(),
            warnings: Vec::new(),
            services: Vec::new(),
            advice: Vec::new(),
        },
    }
}

/// What is wrong with the stack's `x-windflow.backup` block, if it has one: its fields, and
/// the volumes and services it names.
fn backup_problems(content: &str, stack: &windflow_domain::StackSpec) -> Vec<FieldError> {
    match windflow_backup::Policy::from_compose("compose.yaml", content) {
        Ok(None) => Vec::new(),
        Ok(Some(policy)) => {
            let volumes: Vec<&str> = stack.volumes.keys().map(String::as_str).collect();
            let services: Vec<&str> = stack.services.keys().map(String::as_str).collect();
            policy
                .problems_in_stack(&volumes, &services)
                .into_iter()
                .map(|(field, message)| FieldError {
                    field,
                    message,
                    line: None,
                })
                .collect()
        }
        Err(diagnostics) => diagnostics.iter().map(field_error).collect(),
    }
}

/// The advisor's findings on a loaded stack, with the lines of `content`.
pub fn advice(content: &str, stack: &windflow_domain::StackSpec) -> Vec<Advice> {
    windflow_advisor::advise_loaded(content, stack)
        .into_iter()
        .map(convert::advice)
        .collect()
}

/// Validation as a request error: 422 with every diagnostic.
pub fn require_valid(validation: &Validation) -> Result<(), ApiError> {
    if validation.valid {
        return Ok(());
    }
    let first = &validation.errors[0];
    let message = match first.line {
        Some(line) => format!(
            "the compose file is invalid: line {line}: {}: {}",
            first.field, first.message
        ),
        None => format!(
            "the compose file is invalid: {}: {}",
            first.field, first.message
        ),
    };
    Err(ApiError::Invalid {
        message,
        errors: validation.errors.clone(),
    })
}

/// The names a stack's variables define (any scope), each with its value — or, for secrets,
/// a placeholder: enough to validate interpolation without decrypting anything.
pub async fn validation_environment(
    store: &dyn Store,
    org_id: &str,
    stack_id: Option<&str>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut environment = BTreeMap::new();
    let mut scopes = Vec::new();
    for env in store.list_environments(org_id).await? {
        scopes.push(VariableScope::Environment {
            environment_id: env.id.clone(),
        });
        if let Some(stack_id) = stack_id {
            scopes.push(VariableScope::Stack {
                stack_id: stack_id.to_string(),
                environment_id: Some(env.id),
            });
        }
    }
    if let Some(stack_id) = stack_id {
        scopes.push(VariableScope::Stack {
            stack_id: stack_id.to_string(),
            environment_id: None,
        });
    }
    for scope in scopes {
        for variable in store.list_variables(org_id, &scope).await? {
            let value = match variable.value {
                VariableValue::Plain(v) => v,
                VariableValue::Secret(_) => "secret".to_string(),
            };
            environment.insert(variable.name, value);
        }
    }
    Ok(environment)
}

pub fn diff(from: i64, from_text: &str, to: i64, to_text: &str) -> StackDiff {
    let diff = similar::TextDiff::from_lines(from_text, to_text);
    let mut added = 0;
    let mut removed = 0;
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("v{from}"), &format!("v{to}"))
        .to_string();
    StackDiff {
        from,
        to,
        unified,
        added_lines: added,
        removed_lines: removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_reports_lines() {
        let v = validate(
            "web",
            "services:\n  web:\n    image: nginx\n    ports: [\"99999:80\"]\n",
            BTreeMap::new(),
            &HostAccessPolicy::baseline(),
        );
        assert!(!v.valid);
        assert_eq!(v.errors[0].line, Some(4), "{:?}", v.errors);
        assert!(
            v.errors[0].field.starts_with("services.web.ports"),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn isolated_loading_refuses_server_files() {
        let v = validate(
            "web",
            "services:\n  web:\n    image: nginx\n    env_file: /etc/passwd\n",
            BTreeMap::new(),
            &HostAccessPolicy::privileged(),
        );
        assert!(!v.valid);
        assert!(
            v.errors[0].message.contains("stack variables"),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn the_policy_refuses_host_features_at_their_line() {
        let content = "services:\n  web:\n    image: nginx\n    volumes:\n      - /:/host\n    privileged: true\n";
        let v = validate(
            "web",
            content,
            BTreeMap::new(),
            &HostAccessPolicy::baseline(),
        );
        assert!(!v.valid);
        let got: Vec<_> = v
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.line))
            .collect();
        assert_eq!(
            got,
            [
                ("services.web.privileged", Some(6)),
                ("services.web.volumes[0]", Some(5))
            ]
        );
        assert!(v.errors[0].message.contains("(baseline)"), "{:?}", v.errors);
        let v = validate(
            "web",
            content,
            BTreeMap::new(),
            &HostAccessPolicy::privileged(),
        );
        assert!(v.valid, "{:?}", v.errors);
    }

    #[test]
    fn diffs_count_lines() {
        let d = diff(1, "a\nb\n", 2, "a\nc\nd\n");
        assert_eq!((d.added_lines, d.removed_lines), (2, 1));
        assert!(d.unified.contains("--- v1\n+++ v2\n"), "{}", d.unified);
    }
}
