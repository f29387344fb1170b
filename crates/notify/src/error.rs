//! Why a delivery failed. Messages name the channel kind and a safe endpoint label (scheme,
//! host, port) and never contain a secret: no token, password, signing key, nor the URL of a
//! Slack or Discord webhook.

use std::time::Duration;

/// Everything that can go wrong delivering one message.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The HTTP client could not be built (the TLS backend failed to start).
    #[error("cannot start the notification HTTP client: {0}")]
    Client(String),
    /// The channel's settings are invalid ([`crate::Channel::validate`]); nothing was sent.
    #[error("the {kind} channel is invalid: {}", problems_text(problems))]
    InvalidChannel {
        kind: &'static str,
        problems: Vec<(String, String)>,
    },
    /// The message cannot be rendered for the channel (an e-mail header it cannot carry, …).
    #[error("cannot build the {kind} message: {reason}")]
    InvalidMessage { kind: &'static str, reason: String },
    /// The endpoint answered with a non-2xx status. `body` is at most 512 bytes of the answer,
    /// secrets masked.
    #[error(
        "the {kind} endpoint {endpoint} answered HTTP {status}{}",
        body_text(body)
    )]
    Status {
        kind: &'static str,
        endpoint: String,
        status: u16,
        body: String,
    },
    /// No complete answer within the notifier's timeout.
    #[error("the {kind} endpoint {endpoint} did not answer within {after:?}")]
    Timeout {
        kind: &'static str,
        endpoint: String,
        after: Duration,
    },
    /// Connection, TLS, protocol or SMTP failure (an SMTP server's rejection included).
    #[error("delivery to the {kind} endpoint {endpoint} failed: {reason}")]
    Delivery {
        kind: &'static str,
        endpoint: String,
        reason: String,
    },
}

impl NotifyError {
    /// The HTTP status of a [`NotifyError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            NotifyError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: timeouts, connection failures, 429 and 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            NotifyError::Timeout { .. } | NotifyError::Delivery { .. } => true,
            NotifyError::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

fn problems_text(problems: &[(String, String)]) -> String {
    problems
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn body_text(body: &str) -> String {
    if body.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", body.trim())
    }
}
