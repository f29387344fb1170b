//! Writing a stack from a description: ask, extract, check with WindFlow's own checks, feed
//! the problems back, and return only a stack the checks accept.

use std::time::Duration;

pub use crate::check::Round;
use crate::check::{COMPOSE_FILE, Problem, format_problems};
use crate::error::AiError;
use crate::extract::extract_yaml;
use crate::provider::{ChatOptions, Message, Provider, Usage, excerpt};

/// Rounds (questions to the model) when the request does not say.
pub const DEFAULT_MAX_ROUNDS: usize = 3;
/// Catalog entries offered as context, at most.
const MAX_CATALOG_HINTS: usize = 40;
/// Characters of the user's description kept.
const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Characters of each answer kept in [`Round::answer_excerpt`].
const ANSWER_EXCERPT_CHARS: usize = 600;

/// A catalog entry offered to the model as a known-good starting point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogHint {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The images (with tags) the catalog entry uses.
    pub images: Vec<String>,
}

/// What the stack will run on, so the model sizes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetHint {
    pub cpus: Option<f64>,
    pub memory_bytes: Option<u64>,
    pub free_disk_bytes: Option<u64>,
    /// The engine or target kind: `docker`, `podman`, `swarm`, `kubernetes`, …
    pub kind: String,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    pub description: String,
    pub context: Vec<CatalogHint>,
    pub target: Option<TargetHint>,
    /// Questions to the model, the first included; at least 1.
    pub max_rounds: usize,
}

impl GenerateRequest {
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            context: Vec::new(),
            target: None,
            max_rounds: DEFAULT_MAX_ROUNDS,
        }
    }
}

/// A generated stack that passed the check.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub compose: String,
    /// Every round, the accepted one last.
    pub rounds: Vec<Round>,
    /// Tokens spent over all rounds.
    pub usage: Usage,
}

/// What [`generate`] is doing, for progress displays.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Round `round` (1-based) of `max_rounds` is asking the model.
    Asking { round: usize, max_rounds: usize },
    /// The model answered.
    Answered {
        round: usize,
        usage: Usage,
        duration: Duration,
    },
    /// The answer was checked.
    Checked {
        round: usize,
        errors: usize,
        warnings: usize,
    },
}

/// The system prompt for [`generate`].
pub const GENERATE_SYSTEM_PROMPT: &str = "\
You are WindFlow's stack author. You write one Docker Compose file (the compose specification) \
for what the user describes.

Rules:
- Answer with exactly one complete compose file in a single ```yaml fenced block. At most three \
short sentences before it, nothing after it.
- Top level: `services:`, plus `volumes:` and `networks:` when used. No `version:` key.
- Pin every image to a specific version tag (`postgres:16.4`, never `postgres` or `:latest`).
- Give every long-running service a `healthcheck:`, and make dependants wait with \
`depends_on: {name: {condition: service_healthy}}`.
- Secrets (passwords, tokens, keys) are `${VAR}` references, e.g. \
`POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}`, never literal values.
- Keep data in named volumes declared under the top-level `volumes:`; no host paths \
(no `./data:/x` or `/srv/x:/x` binds).
- Never use `privileged: true`, `network_mode: host`, `pid: host`, added capabilities, or the \
Docker socket (`/var/run/docker.sock`).
- Set `restart: unless-stopped` on long-running services.
- Publish only the ports the user must reach.";

/// The first user message: the description, the catalog and the target.
pub fn generate_prompt(request: &GenerateRequest) -> String {
    let mut text = format!(
        "Write a compose file for this:\n\n{}\n",
        excerpt(request.description.trim(), MAX_DESCRIPTION_CHARS)
    );
    if !request.context.is_empty() {
        text.push_str(
            "\nWindFlow's catalog has these vetted stacks; reuse their images and tags when they fit:\n",
        );
        for hint in request.context.iter().take(MAX_CATALOG_HINTS) {
            text.push_str(&format!(
                "- {} ({}): {} — images: {}\n",
                hint.name,
                hint.id,
                excerpt(hint.description.trim(), 200),
                hint.images.join(", ")
            ));
        }
    }
    if let Some(target) = &request.target {
        let mut parts = vec![format!("a {} engine", target.kind)];
        if let Some(cpus) = target.cpus {
            parts.push(format!("{cpus} CPUs"));
        }
        if let Some(memory) = target.memory_bytes {
            parts.push(format!("{} of memory", human_bytes(memory)));
        }
        if let Some(disk) = target.free_disk_bytes {
            parts.push(format!("{} of free disk", human_bytes(disk)));
        }
        text.push_str(&format!(
            "\nIt will run on {}. Set memory limits (`deploy.resources.limits.memory`) that fit.\n",
            parts.join(", ")
        ));
    }
    text
}

/// The message that sends `problems` back and asks for a corrected file.
pub fn feedback_prompt(problems: &[Problem]) -> String {
    format!(
        "WindFlow checked your compose file and rejected it:\n{}\n\nAnswer with the corrected, \
         complete compose file in one ```yaml block (the whole file, not a patch), keeping \
         everything that was right.",
        format_problems(problems)
    )
}

fn human_bytes(bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    if bytes >= GIB {
        format!("{:.1} GiB", bytes as f64 / GIB as f64)
    } else {
        format!("{} MiB", bytes / MIB)
    }
}

/// Asks the model for a stack, checks each answer with `check` (the caller's loader and
/// advisor; [`crate::compose_check`] by default) and feeds the problems back, for up to
/// `request.max_rounds` rounds. Returns only a stack without error-level problems; else
/// [`AiError::NoValidStack`] with every round. Provider errors end the loop, except a cut
/// answer, which is fed back as a problem.
pub async fn generate(
    provider: &Provider,
    request: &GenerateRequest,
    check: impl Fn(&str) -> Vec<Problem>,
    mut events: impl FnMut(Progress),
) -> Result<Generated, AiError> {
    let max_rounds = request.max_rounds.max(1);
    let base = vec![
        Message::system(GENERATE_SYSTEM_PROMPT),
        Message::user(generate_prompt(request)),
    ];
    let mut messages = base.clone();
    let mut rounds = Vec::new();
    let mut usage = Usage::default();
    for round in 1..=max_rounds {
        events(Progress::Asking { round, max_rounds });
        let (answer, compose, problems) =
            match provider.chat(&messages, &ChatOptions::default()).await {
                Ok(completion) => {
                    usage += completion.usage;
                    events(Progress::Answered {
                        round,
                        usage: completion.usage,
                        duration: completion.duration,
                    });
                    let compose = extract_yaml(&completion.text);
                    let problems = match &compose {
                        Some(text) => check(text),
                        None => vec![Problem::error(
                            "answer",
                            None,
                            "",
                            "no compose file found: put the whole file in one ```yaml fenced block",
                        )],
                    };
                    (completion.text, compose, problems)
                }
                Err(AiError::Truncated { reason, partial }) => {
                    tracing::info!(round, %reason, "generated answer cut off; asking for less");
                    let problem = Problem::error(
                        COMPOSE_FILE,
                        None,
                        "",
                        "your answer was cut off at the token limit: answer with only the compose \
                     file, no explanation",
                    );
                    (partial, None, vec![problem])
                }
                Err(other) => return Err(other),
            };
        let errors = problems.iter().filter(|p| p.is_error()).count();
        events(Progress::Checked {
            round,
            errors,
            warnings: problems.len() - errors,
        });
        tracing::info!(round, errors, "generated stack checked");
        rounds.push(Round {
            answer_excerpt: excerpt(&answer, ANSWER_EXCERPT_CHARS),
            problems: problems.clone(),
        });
        if let (Some(compose), 0) = (compose, errors) {
            return Ok(Generated {
                compose,
                rounds,
                usage,
            });
        }
        // Only the last answer and its problems: the conversation stays short for small
        // context windows.
        messages = base.clone();
        if !answer.trim().is_empty() {
            messages.push(Message::assistant(answer));
        }
        messages.push(Message::user(feedback_prompt(&problems)));
    }
    Err(AiError::NoValidStack { rounds })
}
