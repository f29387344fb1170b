//! Challenge solvers: the traits the integrator implements to publish ACME challenge
//! responses, and the per-identifier choice between them.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// An error a solver reports; its text reaches the user inside `AcmeError::Solver`.
pub type SolverError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Serves HTTP-01 responses: `GET http://<name>/.well-known/acme-challenge/<token>` must
/// answer `200` with exactly `key_authorization` as the body (`text/plain` or
/// `application/octet-stream`), on port 80 of every address the name resolves to.
#[async_trait]
pub trait Http01Solver: Send + Sync {
    /// Starts serving `key_authorization` at `/.well-known/acme-challenge/<token>`; returns
    /// once the response is being served.
    async fn present(&self, token: &str, key_authorization: &str) -> Result<(), SolverError>;
    /// Stops serving the token. Called for every presented token, whether issuance
    /// succeeded or not.
    async fn cleanup(&self, token: &str) -> Result<(), SolverError>;
}

/// Publishes DNS-01 responses: a TXT record `txt_value` at `fqdn`
/// (`_acme-challenge.<name>`, without a trailing dot; for `*.example.com` it is
/// `_acme-challenge.example.com`). Two names may need two values at the same `fqdn` (a
/// wildcard and its base name): `present` adds a value, it must not replace the others.
#[async_trait]
pub trait Dns01Solver: Send + Sync {
    /// Adds the TXT value; returns once the CA's resolvers can see it (the provider waits
    /// for propagation to its authoritative servers).
    async fn present(&self, fqdn: &str, txt_value: &str) -> Result<(), SolverError>;
    /// Removes that TXT value (only that one). Called for every presented value, whether
    /// issuance succeeded or not.
    async fn cleanup(&self, fqdn: &str, txt_value: &str) -> Result<(), SolverError>;
}

/// The ACME challenge types WindFlow answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChallengeKind {
    #[serde(rename = "http-01")]
    Http01,
    #[serde(rename = "dns-01")]
    Dns01,
}

impl fmt::Display for ChallengeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChallengeKind::Http01 => "http-01",
            ChallengeKind::Dns01 => "dns-01",
        })
    }
}

/// The solvers available for one issuance and which one to prefer. Wildcards always use
/// DNS-01 (the only type a CA accepts for them); other names use `preference` when that
/// solver is present, else the other one.
#[derive(Clone)]
pub struct ChallengeSolvers {
    pub http01: Option<Arc<dyn Http01Solver>>,
    pub dns01: Option<Arc<dyn Dns01Solver>>,
    pub preference: ChallengeKind,
}

impl fmt::Debug for ChallengeSolvers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChallengeSolvers")
            .field("http01", &self.http01.is_some())
            .field("dns01", &self.dns01.is_some())
            .field("preference", &self.preference)
            .finish()
    }
}

impl ChallengeSolvers {
    /// Only HTTP-01 (no wildcards possible).
    pub fn http01(solver: Arc<dyn Http01Solver>) -> Self {
        Self {
            http01: Some(solver),
            dns01: None,
            preference: ChallengeKind::Http01,
        }
    }

    /// Only DNS-01.
    pub fn dns01(solver: Arc<dyn Dns01Solver>) -> Self {
        Self {
            http01: None,
            dns01: Some(solver),
            preference: ChallengeKind::Dns01,
        }
    }

    /// The challenge type for `name` (a wildcard starts with `*.`), or `None` when no
    /// configured solver can answer it.
    pub fn kind_for(&self, name: &str) -> Option<ChallengeKind> {
        let has = |kind| match kind {
            ChallengeKind::Http01 => self.http01.is_some(),
            ChallengeKind::Dns01 => self.dns01.is_some(),
        };
        if name.starts_with("*.") {
            return has(ChallengeKind::Dns01).then_some(ChallengeKind::Dns01);
        }
        let other = match self.preference {
            ChallengeKind::Http01 => ChallengeKind::Dns01,
            ChallengeKind::Dns01 => ChallengeKind::Http01,
        };
        [self.preference, other].into_iter().find(|&kind| has(kind))
    }
}

/// `_acme-challenge.<name>` for a DNS-01 challenge; a wildcard's `*.` is dropped.
pub fn dns01_fqdn(name: &str) -> String {
    let base = name.strip_prefix("*.").unwrap_or(name);
    format!("_acme-challenge.{}", base.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    #[async_trait]
    impl Http01Solver for Nothing {
        async fn present(&self, _: &str, _: &str) -> Result<(), SolverError> {
            Ok(())
        }
        async fn cleanup(&self, _: &str) -> Result<(), SolverError> {
            Ok(())
        }
    }
    #[async_trait]
    impl Dns01Solver for Nothing {
        async fn present(&self, _: &str, _: &str) -> Result<(), SolverError> {
            Ok(())
        }
        async fn cleanup(&self, _: &str, _: &str) -> Result<(), SolverError> {
            Ok(())
        }
    }

    fn check(
        http: bool,
        dns: bool,
        preference: ChallengeKind,
        name: &str,
        expected: Option<ChallengeKind>,
    ) {
        let solvers = ChallengeSolvers {
            http01: http.then(|| Arc::new(Nothing) as Arc<dyn Http01Solver>),
            dns01: dns.then(|| Arc::new(Nothing) as Arc<dyn Dns01Solver>),
            preference,
        };
        assert_eq!(
            solvers.kind_for(name),
            expected,
            "http={http} dns={dns} {preference} {name}"
        );
    }

    #[test]
    fn wildcards_take_dns01_and_other_names_the_preference_when_available() {
        use ChallengeKind::*;
        check(true, true, Http01, "*.example.com", Some(Dns01));
        check(true, false, Http01, "*.example.com", None);
        check(true, true, Http01, "example.com", Some(Http01));
        check(true, true, Dns01, "example.com", Some(Dns01));
        check(false, true, Http01, "example.com", Some(Dns01));
        check(true, false, Dns01, "example.com", Some(Http01));
        check(false, false, Dns01, "example.com", None);
    }

    #[test]
    fn the_txt_record_name_drops_the_wildcard() {
        assert_eq!(dns01_fqdn("*.example.com"), "_acme-challenge.example.com");
        assert_eq!(dns01_fqdn("example.com"), "_acme-challenge.example.com");
        assert_eq!(
            dns01_fqdn("a.example.com."),
            "_acme-challenge.a.example.com"
        );
    }
}
