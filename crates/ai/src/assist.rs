//! Diagnosing a failed deployment and proposing optimizations: prompt builders, and the
//! calls that check a proposed compose file before it reaches the caller.

use std::collections::HashMap;

use crate::check::{Problem, format_problems};
use crate::error::AiError;
use crate::extract::extract_fenced_yaml;
use crate::generate::feedback_prompt;
use crate::provider::{ChatOptions, Message, Provider, Usage, excerpt};
use crate::redact::{COMPOSE_MARKER, Redactor, redact_compose};

/// Log lines kept per service (the last ones).
pub const MAX_LOG_LINES: usize = 60;
/// Characters kept per log line or event.
const MAX_LINE_CHARS: usize = 400;
/// Events and findings kept (the last ones).
const MAX_ITEMS: usize = 50;
/// Characters of the prose kept as a cause or summary.
const MAX_PROSE_CHARS: usize = 4000;

/// What went wrong, for [`diagnose`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiagnoseInput {
    /// The compose file as deployed.
    pub compose: String,
    /// The plan that ran, in a few lines.
    pub plan_summary: String,
    /// The deployment's events (oldest first).
    pub events: Vec<String>,
    /// Per service, its last log lines (oldest first).
    pub logs: Vec<(String, Vec<String>)>,
    /// What WindFlow's own advisors found.
    pub findings: Vec<String>,
}

/// The model's diagnosis, its fix checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    pub cause: String,
    /// A complete corrected compose file that passed the check, when the model proposed one,
    /// with the redacted secrets put back where the model kept their lines (so it holds
    /// secrets, as the compose file does).
    pub fix_compose: Option<String>,
    /// A unified diff from the compose file to the fix.
    pub diff: Option<String>,
    /// What happened to the proposal (dropped because it did not load, …).
    pub notes: Vec<String>,
    /// The model's last answer.
    pub raw: String,
    pub usage: Usage,
}

/// Measured usage of one service, for [`optimize`].
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceUsage {
    pub service: String,
    pub memory_peak_bytes: u64,
    /// Average CPU use, in cores (0.5 = half a core).
    pub cpu: f64,
}

/// A running stack and what it uses, for [`optimize`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OptimizeInput {
    pub compose: String,
    pub usage: Vec<ServiceUsage>,
    pub findings: Vec<String>,
}

/// The model's proposal, its compose file checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub summary: String,
    /// The proposed complete compose file, when it passed the check, with the redacted
    /// secrets put back where the model kept their lines.
    pub compose: Option<String>,
    /// A unified diff from the compose file to the proposal.
    pub diff: Option<String>,
    pub notes: Vec<String>,
    pub raw: String,
    pub usage: Usage,
}

/// The system prompt for [`diagnose`].
pub const DIAGNOSE_SYSTEM_PROMPT: &str = "\
You are WindFlow's deployment doctor. A deployment of the compose file below failed or is \
unhealthy. From the plan, the events, the logs and the findings, find the most likely cause.

Answer in this form:
CAUSE: two to five sentences naming the service at fault and the evidence (quote the log line \
or event).
FIX: one to three sentences saying what to change.
Then, only if the compose file must change, the complete corrected compose file in one ```yaml \
fenced block (the whole file, not a patch). Keep secrets as they are (`${VAR}` references or \
`<redacted…>` markers); never invent secret values. No host paths, no privileged mode, no Docker \
socket.";

/// The system prompt for [`optimize`].
pub const OPTIMIZE_SYSTEM_PROMPT: &str = "\
You are WindFlow's stack tuner. Given a running compose file and each service's measured peak \
memory and CPU, propose resource limits and reservations with headroom (peak memory + 25 %, \
rounded up), and other safe improvements the findings point to (healthchecks, pinned tags, \
restart policies).

Answer in this form:
SUMMARY: up to eight short lines, one change each, with its reason.
Then the complete proposed compose file in one ```yaml fenced block (the whole file, not a \
patch). Change nothing else. Keep secrets as they are (`${VAR}` references or `<redacted…>` \
markers).";

fn last<T>(items: &[T], n: usize) -> &[T] {
    &items[items.len().saturating_sub(n)..]
}

fn push_list(text: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    text.push_str(&format!("\n{title}:\n"));
    for item in last(items, MAX_ITEMS) {
        text.push_str(&format!("- {}\n", excerpt(item.trim_end(), MAX_LINE_CHARS)));
    }
}

fn push_compose(text: &mut String, compose: &str) {
    text.push_str("Compose file (compose.yaml):\n```yaml\n");
    text.push_str(redact_compose(compose).trim_end());
    text.push_str("\n```\n");
}

/// The messages [`diagnose`] sends (before the provider's redactor): the compose file with
/// secret-looking values redacted, the plan, and the last events, log lines and findings.
pub fn diagnose_messages(input: &DiagnoseInput) -> Vec<Message> {
    let mut text = String::new();
    push_compose(&mut text, &input.compose);
    if !input.plan_summary.trim().is_empty() {
        text.push_str(&format!(
            "\nPlan:\n{}\n",
            excerpt(input.plan_summary.trim(), MAX_PROSE_CHARS)
        ));
    }
    push_list(&mut text, "Events (oldest first)", &input.events);
    for (service, lines) in &input.logs {
        if lines.is_empty() {
            continue;
        }
        let shown = last(lines, MAX_LOG_LINES);
        text.push_str(&format!(
            "\nLast {} log lines of service {service}:\n```\n",
            shown.len()
        ));
        for line in shown {
            text.push_str(&excerpt(line.trim_end(), MAX_LINE_CHARS));
            text.push('\n');
        }
        text.push_str("```\n");
    }
    push_list(&mut text, "WindFlow's findings", &input.findings);
    vec![Message::system(DIAGNOSE_SYSTEM_PROMPT), Message::user(text)]
}

/// The messages [`optimize`] sends (before the provider's redactor).
pub fn optimize_messages(input: &OptimizeInput) -> Vec<Message> {
    let mut text = String::new();
    push_compose(&mut text, &input.compose);
    if !input.usage.is_empty() {
        text.push_str("\nMeasured usage:\n");
        for usage in input.usage.iter().take(MAX_ITEMS) {
            text.push_str(&format!(
                "- {}: peak memory {} MiB, CPU {:.2} cores\n",
                usage.service,
                usage.memory_peak_bytes.div_ceil(1 << 20),
                usage.cpu
            ));
        }
    }
    push_list(&mut text, "WindFlow's findings", &input.findings);
    vec![Message::system(OPTIMIZE_SYSTEM_PROMPT), Message::user(text)]
}

/// Asks the model what went wrong and checks the fix it proposes with `check` (a fix that
/// does not load is fed back once, then dropped with a note).
pub async fn diagnose(
    provider: &Provider,
    input: &DiagnoseInput,
    check: impl Fn(&str) -> Vec<Problem>,
) -> Result<Diagnosis, AiError> {
    let outcome = ask_and_check(
        provider,
        diagnose_messages(input),
        &input.compose,
        &check,
        "fix",
    )
    .await?;
    Ok(Diagnosis {
        cause: prose(&outcome.first_answer, "CAUSE:"),
        fix_compose: outcome.compose,
        diff: outcome.diff,
        notes: outcome.notes,
        raw: outcome.raw,
        usage: outcome.usage,
    })
}

/// Asks the model for resource limits and improvements, and checks the compose file it
/// proposes with `check` (fed back once, then dropped with a note).
pub async fn optimize(
    provider: &Provider,
    input: &OptimizeInput,
    check: impl Fn(&str) -> Vec<Problem>,
) -> Result<Proposal, AiError> {
    let outcome = ask_and_check(
        provider,
        optimize_messages(input),
        &input.compose,
        &check,
        "proposal",
    )
    .await?;
    Ok(Proposal {
        summary: prose(&outcome.first_answer, "SUMMARY:"),
        compose: outcome.compose,
        diff: outcome.diff,
        notes: outcome.notes,
        raw: outcome.raw,
        usage: outcome.usage,
    })
}

struct Outcome {
    /// The first answer (its prose is the cause or summary).
    first_answer: String,
    raw: String,
    compose: Option<String>,
    diff: Option<String>,
    notes: Vec<String>,
    usage: Usage,
}

/// One question, the extract+check of its compose file, and at most one repair round. The
/// check runs on the model's own text (its messages go back to the model); the secrets are
/// put back only into the accepted file.
async fn ask_and_check(
    provider: &Provider,
    mut messages: Vec<Message>,
    original: &str,
    check: &impl Fn(&str) -> Vec<Problem>,
    what: &str,
) -> Result<Outcome, AiError> {
    let options = ChatOptions::default();
    let first = provider.chat(&messages, &options).await?;
    let mut usage = first.usage;
    let mut notes = Vec::new();
    let mut raw = first.text.clone();
    let mut compose = extract_fenced_yaml(&first.text);
    if let Some(text) = &compose {
        let problems = check(text);
        if problems.iter().any(Problem::is_error) {
            tracing::info!(what, "proposed compose file rejected; asking once more");
            messages.push(Message::assistant(first.text.clone()));
            messages.push(Message::user(feedback_prompt(&problems)));
            let second = provider.chat(&messages, &options).await?;
            usage += second.usage;
            raw = second.text.clone();
            compose = extract_fenced_yaml(&second.text);
            let problems = match &compose {
                Some(text) => check(text),
                None => vec![Problem::error(
                    "answer",
                    None,
                    "",
                    "no compose file in the corrected answer",
                )],
            };
            if problems.iter().any(Problem::is_error) {
                notes.push(format!(
                    "the proposed {what} was dropped: WindFlow's checks rejected it twice:\n{}",
                    format_problems(&problems)
                ));
                compose = None;
            }
        }
    }
    if let Some(text) = compose.take() {
        let seen = provider.redactor().redact(&redact_compose(original));
        let (restored, placeholders) = restore_secrets(original, &seen, &text, provider.redactor());
        if placeholders {
            notes.push(format!(
                "the proposed {what} still holds redacted placeholders (<redacted…>) where the \
                 model changed a line with a secret: put the values back before applying it"
            ));
        }
        if restored.trim() == original.trim() {
            notes.push(format!(
                "the proposed {what} does not change the compose file"
            ));
        } else {
            compose = Some(restored);
        }
    }
    let diff = compose.as_deref().map(|new| unified_diff(original, new));
    Ok(Outcome {
        first_answer: first.text,
        raw,
        compose,
        diff,
        notes,
        usage,
    })
}

/// The fix as the user can apply it: each line the redaction changed and the model kept is
/// the original line again, and named markers are their values again. Also says whether
/// placeholders remain.
fn restore_secrets(original: &str, seen: &str, fix: &str, redactor: &Redactor) -> (String, bool) {
    let mut lines: HashMap<&str, Option<&str>> = HashMap::new();
    let original_lines: Vec<&str> = original.lines().collect();
    let seen_lines: Vec<&str> = seen.lines().collect();
    if original_lines.len() == seen_lines.len() {
        for (before, after) in original_lines.iter().zip(&seen_lines) {
            if before != after {
                lines
                    .entry(after)
                    .and_modify(|known| {
                        // The same redacted line for two different originals: ambiguous.
                        if *known != Some(before) {
                            *known = None;
                        }
                    })
                    .or_insert(Some(before));
            }
        }
    }
    let mut restored = fix
        .lines()
        .map(|line| match lines.get(line) {
            Some(Some(before)) => before,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    if fix.ends_with('\n') {
        restored.push('\n');
    }
    let restored = redactor.restore(&restored);
    let placeholders = restored.contains(COMPOSE_MARKER) || restored.contains("<redacted:");
    (restored, placeholders)
}

/// The prose of an answer: the text before its first fence (or all of it), without the
/// leading `label`.
fn prose(answer: &str, label: &str) -> String {
    let before = answer
        .find("```")
        .or_else(|| answer.find("~~~"))
        .map_or(answer, |i| &answer[..i]);
    let text = before.trim();
    let text = text.strip_prefix(label).unwrap_or(text).trim();
    excerpt(text, MAX_PROSE_CHARS)
}

/// A unified diff of two compose files, `compose.yaml` → `compose.yaml (proposed)`.
pub fn unified_diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header("compose.yaml", "compose.yaml (proposed)")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_capped_to_the_last_lines() {
        let lines: Vec<String> = (0..200).map(|i| format!("line {i}")).collect();
        let input = DiagnoseInput {
            compose: "services: {}\n".into(),
            logs: vec![("web".into(), lines)],
            ..Default::default()
        };
        let text = &diagnose_messages(&input)[1].content;
        assert!(text.contains("line 199"));
        assert!(text.contains("line 140"));
        assert!(!text.contains("line 139\n"));
    }

    #[test]
    fn compose_secrets_are_redacted_in_prompts() {
        let input = OptimizeInput {
            compose: "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: hunter2x\n"
                .into(),
            ..Default::default()
        };
        let text = &optimize_messages(&input)[1].content;
        assert!(!text.contains("hunter2x"));
        assert!(text.contains("POSTGRES_PASSWORD: <redacted>"));
    }

    #[test]
    fn secrets_are_put_back_where_the_model_kept_their_lines() {
        let original = "services:\n  db:\n    environment:\n      DB_PASSWORD: hunter2x\n      A: s3cret-value\n      B: s3cret-value\n";
        let redactor = Redactor::named([("S".to_string(), "s3cret-value".to_string())]);
        let seen = redactor.redact(&redact_compose(original));
        assert_eq!(
            seen,
            "services:\n  db:\n    environment:\n      DB_PASSWORD: <redacted>\n      A: <redacted:S>\n      B: <redacted:S>\n"
        );
        let fix = seen.replace("environment:", "restart: always\n    environment:");
        let (restored, placeholders) = restore_secrets(original, &seen, &fix, &redactor);
        assert!(!placeholders);
        assert_eq!(
            restored,
            original.replace("environment:", "restart: always\n    environment:")
        );
        // A secret line the model rewrote keeps its placeholder, and says so.
        let fix = seen.replace("      DB_PASSWORD: <redacted>", "      DB_PASS: <redacted>");
        let (restored, placeholders) = restore_secrets(original, &seen, &fix, &redactor);
        assert!(placeholders);
        assert!(restored.contains("DB_PASS: <redacted>"));
    }

    #[test]
    fn prose_before_the_fence() {
        assert_eq!(
            prose(
                "CAUSE: the db is down.\nFIX: start it.\n```yaml\nx: 1\n```",
                "CAUSE:"
            ),
            "the db is down.\nFIX: start it."
        );
    }

    #[test]
    fn diffs_are_unified() {
        let diff = unified_diff("a: 1\nb: 2\n", "a: 1\nb: 3\n");
        assert!(
            diff.contains("--- compose.yaml\n+++ compose.yaml (proposed)\n"),
            "{diff}"
        );
        assert!(diff.contains("-b: 2\n+b: 3\n"), "{diff}");
    }
}
