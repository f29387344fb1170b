//! One error enum for every ACME operation, and one for certificate inspection.
//!
//! The CA's problem documents (RFC 8555 §6.7) are mapped to what a user can act on: a
//! rejected name, a rate limit with the time to retry, a failed challenge with the CA's
//! own words, a CA that cannot be reached or whose TLS certificate is not trusted.

use std::time::SystemTime;

use thiserror::Error;

use crate::solver::ChallengeKind;

/// What went wrong talking to an ACME CA.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AcmeError {
    /// The request was refused before anything was sent (no names, a wildcard without a
    /// DNS-01 solver, terms of service not agreed to, …).
    #[error("invalid ACME request: {0}")]
    InvalidRequest(String),
    /// The operator-supplied root certificate for a private CA could not be read.
    #[error("the trusted root for the ACME CA is not a usable PEM certificate: {0}")]
    InvalidRootPem(String),
    /// The directory (or any later ACME URL) did not answer: refused, unresolvable, timed out.
    #[error("the ACME CA at {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// The CA's TLS certificate is not signed by a trusted root. For a private CA (Pebble,
    /// step-ca) supply its root with `AcmeDirectory::custom(url, Some(root_pem))`.
    #[error(
        "the ACME CA at {url} presented a TLS certificate that is not trusted ({reason}); \
         for a private CA, supply its root certificate"
    )]
    UntrustedCaRoot { url: String, reason: String },
    /// The CA refused to issue for a name (`rejectedIdentifier`, `unsupportedIdentifier`, `caa`).
    #[error("the CA refuses to issue for {identifier}: {detail}")]
    RejectedIdentifier { identifier: String, detail: String },
    /// The CA's rate limit was hit. `retry_after` is when the CA says to try again, when it
    /// said so.
    #[error("rate limited by the CA{}: {detail}", retry_after_text(.retry_after))]
    RateLimited {
        detail: String,
        retry_after: Option<SystemTime>,
    },
    /// The CA could not validate a challenge; `detail` is the CA's explanation.
    #[error("the {kind} challenge for {identifier} failed: {detail}")]
    ChallengeFailed {
        identifier: String,
        kind: ChallengeKind,
        detail: String,
    },
    /// The integrator's solver could not publish or remove a challenge response.
    #[error("the {kind} solver failed for {identifier}: {reason}")]
    Solver {
        identifier: String,
        kind: ChallengeKind,
        reason: String,
    },
    /// The certificate was already revoked.
    #[error("the certificate is already revoked: {detail}")]
    AlreadyRevoked { detail: String },
    /// Waiting for the CA took longer than the configured timeout.
    #[error("timed out waiting for the CA while {stage}")]
    Timeout { stage: &'static str },
    /// Any other refusal by the CA, with its problem type and detail.
    #[error("the CA refused the request: {detail} ({kind})")]
    Ca { kind: String, detail: String },
    /// The certificate the CA returned (or the one given to revoke) is unusable.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    /// A protocol or local failure that fits none of the above.
    #[error("ACME protocol error: {0}")]
    Protocol(String),
}

fn retry_after_text(at: &Option<SystemTime>) -> String {
    match at.and_then(|at| at.duration_since(SystemTime::now()).ok()) {
        Some(wait) => format!(" (retry in {}s)", wait.as_secs().max(1)),
        None => String::new(),
    }
}

impl AcmeError {
    /// When the CA asked to be retried, for the caller's scheduler (see
    /// `renewal::next_attempt_after_failure`).
    pub fn retry_after(&self) -> Option<SystemTime> {
        match self {
            AcmeError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// What is wrong with a certificate chain or key. Positions count from 1, leaf first.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    #[error("no PEM certificate found (expected -----BEGIN CERTIFICATE----- blocks)")]
    NoCertificate,
    #[error("the PEM text is malformed: {0}")]
    Pem(String),
    #[error("certificate #{position} in the chain cannot be parsed: {reason}")]
    Parse { position: usize, reason: String },
    #[error("the private key cannot be read: {0}")]
    Key(String),
    #[error(
        "the private key does not match the public key of certificate #1 ({subject}); \
         upload the key that was used for this certificate"
    )]
    KeyMismatch { subject: String },
    #[error(
        "certificate #{position} ({subject}) is not issued by certificate #{issuer_position} \
         ({issuer_subject}): {reason}; order the chain leaf first, each certificate followed by its issuer"
    )]
    ChainOrder {
        position: usize,
        subject: String,
        issuer_position: usize,
        issuer_subject: String,
        reason: String,
    },
    #[error("certificate #{position} ({subject}) expired at {not_after}")]
    Expired {
        position: usize,
        subject: String,
        not_after: String,
    },
    #[error("certificate #{position} ({subject}) is not valid before {not_before}")]
    NotYetValid {
        position: usize,
        subject: String,
        not_before: String,
    },
}

const PROBLEM_PREFIX: &str = "urn:ietf:params:acme:error:";

/// Maps an RFC 8555 problem document.
pub(crate) fn from_problem(
    problem: &instant_acme::Problem,
    retry_after: Option<SystemTime>,
) -> AcmeError {
    let kind = problem
        .r#type
        .as_deref()
        .unwrap_or("about:blank")
        .to_owned();
    let mut detail = problem
        .detail
        .clone()
        .unwrap_or_else(|| "no detail given".to_owned());
    for sub in &problem.subproblems {
        detail.push_str(&format!("; {sub}"));
    }
    let short = kind.strip_prefix(PROBLEM_PREFIX).unwrap_or(&kind);
    match short {
        "rejectedIdentifier" | "unsupportedIdentifier" | "caa" => {
            let identifier = problem
                .subproblems
                .iter()
                .filter_map(|sub| sub.identifier.as_ref())
                .map(|id| id.authorized(false).to_string())
                .collect::<Vec<_>>();
            AcmeError::RejectedIdentifier {
                identifier: if identifier.is_empty() {
                    "the requested names".to_owned()
                } else {
                    identifier.join(", ")
                },
                detail,
            }
        }
        "rateLimited" => AcmeError::RateLimited {
            detail,
            retry_after,
        },
        "alreadyRevoked" => AcmeError::AlreadyRevoked { detail },
        _ => AcmeError::Ca {
            kind: short.to_owned(),
            detail,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(json: &str) -> instant_acme::Problem {
        serde_json::from_str(json).unwrap()
    }

    fn check(json: &str, expected: &str) {
        let error = from_problem(&problem(json), None);
        assert_eq!(error.to_string(), expected);
    }

    #[test]
    fn problems_become_errors_a_user_can_act_on() {
        check(
            r#"{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"Error creating new order :: Cannot issue for \"localhost\"","status":400}"#,
            "the CA refuses to issue for the requested names: Error creating new order :: Cannot issue for \"localhost\"",
        );
        check(
            r#"{"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many certificates already issued","status":429}"#,
            "rate limited by the CA: too many certificates already issued",
        );
        check(
            r#"{"type":"urn:ietf:params:acme:error:alreadyRevoked","detail":"Certificate already revoked","status":400}"#,
            "the certificate is already revoked: Certificate already revoked",
        );
        check(
            r#"{"type":"urn:ietf:params:acme:error:unauthorized","detail":"no"}"#,
            "the CA refused the request: no (unauthorized)",
        );
    }

    #[test]
    fn rate_limits_carry_the_time_to_retry() {
        let at = SystemTime::now() + std::time::Duration::from_secs(3600);
        let error = from_problem(
            &problem(r#"{"type":"urn:ietf:params:acme:error:rateLimited","detail":"slow down"}"#),
            Some(at),
        );
        assert_eq!(error.retry_after(), Some(at));
        let text = error.to_string();
        assert!(
            text.starts_with("rate limited by the CA (retry in 3"),
            "{text}"
        );
    }
}
