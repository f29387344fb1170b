//! The one error type of the crate: what went wrong talking to the provider, or why no
//! acceptable answer came back.

use std::time::Duration;

use crate::check::Round;

/// Everything that can go wrong between WindFlow and the model. Messages say what to do and
/// never contain the API key.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The provider's configuration cannot work (a base URL that does not parse, …).
    #[error("invalid AI provider configuration: {0}")]
    Config(String),
    /// No connection could be made (DNS, refused, TLS).
    #[error(
        "the AI provider at {url} is unreachable: {reason} (is it running, and is the base URL right?)"
    )]
    Unreachable { url: String, reason: String },
    /// 401 or 403: the key is missing, wrong or lacks access to the model.
    #[error(
        "the AI provider refused the API key (HTTP {status}): {message} (check the configured key; it is not shown here)"
    )]
    Unauthorized { status: u16, message: String },
    /// The whole request took longer than `timeout`, or the stream stalled longer than
    /// `idle_timeout` between two chunks.
    #[error("the AI provider did not answer within {after:?} ({what})")]
    Timeout { after: Duration, what: &'static str },
    /// The answer stopped before its end: `finish_reason: "length"` (the token limit), or the
    /// connection closed mid-stream.
    #[error("the model's answer was cut off: {reason}")]
    Truncated {
        reason: String,
        /// What arrived before the cut.
        partial: String,
    },
    /// The provider answered something that is not an OpenAI-compatible completion.
    #[error("the AI provider's answer is malformed: {0}")]
    Malformed(String),
    /// 429 after every retry.
    #[error(
        "the AI provider is rate limiting us (HTTP 429, {attempts} attempts): {message} (wait, or raise the provider's limits)"
    )]
    RateLimited { attempts: u32, message: String },
    /// Any other error status (after retries for 5xx).
    #[error("the AI provider failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    /// The caller cancelled the request.
    #[error("the AI request was cancelled")]
    Cancelled,
    /// Every round of [`crate::generate::generate`] produced a stack WindFlow's checks reject.
    #[error("{}", no_valid_stack(rounds))]
    NoValidStack { rounds: Vec<Round> },
}

fn no_valid_stack(rounds: &[Round]) -> String {
    let mut text = format!(
        "the model produced no stack that passes WindFlow's checks in {} round(s)",
        rounds.len()
    );
    if let Some(last) = rounds.last() {
        text.push_str("; the last answer's problems:");
        for problem in last.problems.iter().filter(|p| p.is_error()) {
            text.push_str("\n  ");
            text.push_str(&problem.to_string());
        }
    }
    text
}
