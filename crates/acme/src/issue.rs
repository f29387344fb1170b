//! Issuance: one order for all names, a challenge per identifier through the integrator's
//! solvers (always cleaned up), a fresh key and CSR, finalization, and the chain.

use std::time::Duration;

use instant_acme::{
    AuthorizationStatus, ChallengeType, Identifier, NewOrder, OrderStatus, RetryPolicy,
};
use rcgen::{CertificateParams, DistinguishedName, KeyPair};
use serde::{Deserialize, Serialize};

use crate::account::AcmeAccount;
use crate::certificate::{CertificateInfo, certificate_info};
use crate::error::AcmeError;
use crate::secret::Secret;
use crate::solver::{ChallengeKind, ChallengeSolvers, dns01_fqdn};

/// The certificate's key type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyAlgorithm {
    #[default]
    EcdsaP256,
    EcdsaP384,
}

/// Timeouts and key type for one issuance.
#[derive(Debug, Clone)]
pub struct IssueOptions {
    pub key_algorithm: KeyAlgorithm,
    /// How long the CA may take to validate all challenges.
    pub validation_timeout: Duration,
    /// How long the CA may take to sign after finalization.
    pub certificate_timeout: Duration,
    /// The first wait between polls; each next wait is 1.5 times longer (or what the CA's
    /// `Retry-After` says).
    pub poll_delay: Duration,
}

impl Default for IssueOptions {
    fn default() -> Self {
        Self {
            key_algorithm: KeyAlgorithm::EcdsaP256,
            validation_timeout: Duration::from_secs(180),
            certificate_timeout: Duration::from_secs(120),
            poll_delay: Duration::from_millis(250),
        }
    }
}

/// A certificate fresh from the CA, for the caller to store (the key sealed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedCertificate {
    /// The leaf followed by the intermediates, PEM.
    pub chain_pem: String,
    /// The certificate's private key, PKCS#8 PEM.
    pub key_pem: Secret,
    pub info: CertificateInfo,
}

/// One challenge response a solver published, to be removed afterwards.
#[derive(Debug, Clone)]
struct Presented {
    kind: ChallengeKind,
    identifier: String,
    /// The HTTP-01 token or the DNS-01 record name.
    key: String,
    /// The DNS-01 TXT value (empty for HTTP-01).
    value: String,
}

/// Removes every published challenge response: explicitly through `finish`, or, when the
/// issuing future is dropped half-way, from a task spawned on drop.
struct Cleanup {
    solvers: ChallengeSolvers,
    presented: Vec<Presented>,
}

impl Cleanup {
    async fn finish(mut self) {
        let presented = std::mem::take(&mut self.presented);
        remove_all(&self.solvers, presented).await;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.presented.is_empty() {
            return;
        }
        let presented = std::mem::take(&mut self.presented);
        let solvers = self.solvers.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move { remove_all(&solvers, presented).await });
            }
            Err(_) => tracing::warn!(
                count = presented.len(),
                "issuance abandoned outside a runtime; challenge responses left in place"
            ),
        }
    }
}

async fn remove_all(solvers: &ChallengeSolvers, presented: Vec<Presented>) {
    for p in presented {
        let result = match p.kind {
            ChallengeKind::Http01 => match &solvers.http01 {
                Some(solver) => solver.cleanup(&p.key).await,
                None => Ok(()),
            },
            ChallengeKind::Dns01 => match &solvers.dns01 {
                Some(solver) => solver.cleanup(&p.key, &p.value).await,
                None => Ok(()),
            },
        };
        if let Err(error) = result {
            // A leftover response is harmless to the certificate; report and go on.
            tracing::warn!(identifier = %p.identifier, kind = %p.kind, %error, "challenge cleanup failed");
        }
    }
}

/// Lowercased, without a trailing dot, without duplicates, in the caller's order.
fn normalize(domains: &[String]) -> Result<Vec<String>, AcmeError> {
    let mut names: Vec<String> = Vec::new();
    for raw in domains {
        let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        let bare = name.strip_prefix("*.").unwrap_or(&name);
        if bare.is_empty()
            || bare.contains('*')
            || !bare
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            || bare.split('.').any(str::is_empty)
        {
            return Err(AcmeError::InvalidRequest(format!(
                "{raw:?} is not a domain name (IDNs must be given in punycode, wildcards as *.example.com)"
            )));
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(AcmeError::InvalidRequest(
            "a certificate needs at least one domain name".into(),
        ));
    }
    Ok(names)
}

impl AcmeAccount {
    /// Issues one certificate for all `domains` (wildcards included) with the default
    /// options; see `issue_with`.
    pub async fn issue(
        &self,
        domains: &[String],
        solvers: &ChallengeSolvers,
    ) -> Result<IssuedCertificate, AcmeError> {
        self.issue_with(domains, solvers, &IssueOptions::default())
            .await
    }

    /// Issues one certificate for all `domains`: one order, a challenge per name (DNS-01 for
    /// wildcards, else `solvers.preference` when available), a fresh private key, the CSR,
    /// finalization and the chain. Every published challenge response is removed before
    /// this returns, on success and on failure.
    pub async fn issue_with(
        &self,
        domains: &[String],
        solvers: &ChallengeSolvers,
        options: &IssueOptions,
    ) -> Result<IssuedCertificate, AcmeError> {
        let names = normalize(domains)?;
        for name in &names {
            if solvers.kind_for(name).is_none() {
                return Err(AcmeError::InvalidRequest(if name.starts_with("*.") {
                    format!("{name} is a wildcard, which needs a DNS-01 solver")
                } else {
                    format!("no challenge solver is configured for {name}")
                }));
            }
        }
        let mut cleanup = Cleanup {
            solvers: solvers.clone(),
            presented: Vec::new(),
        };
        let result = self.run_order(&names, solvers, options, &mut cleanup).await;
        cleanup.finish().await;
        result
    }

    async fn run_order(
        &self,
        names: &[String],
        solvers: &ChallengeSolvers,
        options: &IssueOptions,
        cleanup: &mut Cleanup,
    ) -> Result<IssuedCertificate, AcmeError> {
        let identifiers: Vec<Identifier> =
            names.iter().map(|n| Identifier::Dns(n.clone())).collect();
        tracing::info!(names = ?names, directory = %self.directory.url, "ordering a certificate");
        let mut order = self
            .inner
            .new_order(&NewOrder::new(&identifiers))
            .await
            .map_err(|e| self.map(e))?;

        // Publish and announce a response for every pending authorization.
        {
            let mut authorizations = order.authorizations();
            while let Some(authorization) = authorizations.next().await {
                let mut authorization = authorization.map_err(|e| self.map(e))?;
                let identifier = authorization.identifier().to_string();
                match authorization.status {
                    AuthorizationStatus::Valid => continue,
                    AuthorizationStatus::Pending => {}
                    other => {
                        return Err(AcmeError::Protocol(format!(
                            "the authorization for {identifier} is {other:?}, not pending"
                        )));
                    }
                }
                let kind = solvers.kind_for(&identifier).ok_or_else(|| {
                    AcmeError::InvalidRequest(format!("no challenge solver for {identifier}"))
                })?;
                let challenge_type = match kind {
                    ChallengeKind::Http01 => ChallengeType::Http01,
                    ChallengeKind::Dns01 => ChallengeType::Dns01,
                };
                let mut challenge = authorization.challenge(challenge_type).ok_or_else(|| {
                    AcmeError::Protocol(format!(
                        "the CA offers no {kind} challenge for {identifier}"
                    ))
                })?;
                let key_authorization = challenge.key_authorization();
                let solver_error = |e: crate::solver::SolverError| AcmeError::Solver {
                    identifier: identifier.clone(),
                    kind,
                    reason: e.to_string(),
                };
                match kind {
                    ChallengeKind::Http01 => {
                        let solver = solvers.http01.as_ref().expect("kind_for checked");
                        let token = challenge.token.clone();
                        // Recorded first: a present that fails half-way is cleaned up too.
                        cleanup.presented.push(Presented {
                            kind,
                            identifier: identifier.clone(),
                            key: token.clone(),
                            value: String::new(),
                        });
                        solver
                            .present(&token, key_authorization.as_str())
                            .await
                            .map_err(solver_error)?;
                    }
                    ChallengeKind::Dns01 => {
                        let solver = solvers.dns01.as_ref().expect("kind_for checked");
                        let fqdn = dns01_fqdn(&identifier);
                        let value = key_authorization.dns_value();
                        cleanup.presented.push(Presented {
                            kind,
                            identifier: identifier.clone(),
                            key: fqdn.clone(),
                            value: value.clone(),
                        });
                        solver.present(&fqdn, &value).await.map_err(solver_error)?;
                    }
                }
                tracing::debug!(%identifier, %kind, "challenge response published");
                challenge.set_ready().await.map_err(|e| self.map(e))?;
            }
        }

        let policy = |timeout| {
            RetryPolicy::new()
                .initial_delay(options.poll_delay)
                .backoff(1.5)
                .timeout(timeout)
        };
        match order.poll_ready(&policy(options.validation_timeout)).await {
            Ok(OrderStatus::Ready) => {}
            Ok(status) => {
                return Err(self.challenge_failure(&mut order).await.unwrap_or_else(|| {
                    AcmeError::Protocol(format!("the order became {status:?}"))
                }));
            }
            Err(instant_acme::Error::Timeout(_)) => {
                return Err(AcmeError::Timeout {
                    stage: "waiting for the CA to validate the challenges",
                });
            }
            Err(error) => {
                let mapped = self.map(error);
                return Err(self.challenge_failure(&mut order).await.unwrap_or(mapped));
            }
        }

        let (key_pair, csr_der) = csr(names, options.key_algorithm)?;
        order
            .finalize_csr(&csr_der)
            .await
            .map_err(|e| self.map(e))?;
        let chain_pem = match order
            .poll_certificate(&policy(options.certificate_timeout))
            .await
        {
            Ok(chain) => chain,
            Err(instant_acme::Error::Timeout(_)) => {
                return Err(AcmeError::Timeout {
                    stage: "waiting for the CA to sign the certificate",
                });
            }
            Err(error) => return Err(self.map(error)),
        };
        let info = certificate_info(&chain_pem)?;
        let missing: Vec<&String> = names.iter().filter(|n| !info.sans.contains(n)).collect();
        if !missing.is_empty() {
            return Err(AcmeError::Protocol(format!(
                "the CA's certificate does not cover {missing:?}"
            )));
        }
        tracing::info!(names = ?names, serial = %info.serial, not_after = %info.not_after, "certificate issued");
        Ok(IssuedCertificate {
            chain_pem,
            key_pem: Secret::new(key_pair.serialize_pem()),
            info,
        })
    }

    /// The CA's explanation of the first challenge that failed, if one did.
    async fn challenge_failure(&self, order: &mut instant_acme::Order) -> Option<AcmeError> {
        let mut authorizations = order.authorizations();
        while let Some(Ok(mut authorization)) = authorizations.next().await {
            let Ok(state) = authorization.refresh().await else {
                continue;
            };
            let identifier = state.identifier().to_string();
            for challenge in &state.challenges {
                let Some(problem) = &challenge.error else {
                    continue;
                };
                let kind = match challenge.r#type {
                    ChallengeType::Http01 => ChallengeKind::Http01,
                    ChallengeType::Dns01 => ChallengeKind::Dns01,
                    _ => continue,
                };
                let mut detail = problem
                    .detail
                    .clone()
                    .unwrap_or_else(|| "no detail given".into());
                if let Some(kind) = &problem.r#type {
                    detail.push_str(&format!(" ({kind})"));
                }
                return Some(AcmeError::ChallengeFailed {
                    identifier,
                    kind,
                    detail,
                });
            }
        }
        None
    }
}

/// A fresh key pair and a CSR for `names` (no subject: the names are the SANs).
fn csr(names: &[String], algorithm: KeyAlgorithm) -> Result<(KeyPair, Vec<u8>), AcmeError> {
    let alg = match algorithm {
        KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
    };
    let key_pair = KeyPair::generate_for(alg)
        .map_err(|e| AcmeError::Protocol(format!("generating the certificate key: {e}")))?;
    let mut params = CertificateParams::new(names.to_vec())
        .map_err(|e| AcmeError::InvalidRequest(format!("building the CSR: {e}")))?;
    params.distinguished_name = DistinguishedName::new();
    let csr = params
        .serialize_request(&key_pair)
        .map_err(|e| AcmeError::Protocol(format!("signing the CSR: {e}")))?;
    Ok((key_pair, csr.der().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_and_checked_before_any_request() {
        let names =
            |list: &[&str]| normalize(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            names(&["Example.COM.", "example.com", "*.example.com"]).unwrap(),
            vec!["example.com", "*.example.com"]
        );
        for bad in [
            "",
            "a..b",
            "*",
            "a.*.b",
            "exa mple.com",
            "ex_ample.com",
            "*.",
            "ünicode.de",
        ] {
            assert!(names(&[bad]).is_err(), "{bad:?} accepted");
        }
        assert!(names(&[]).is_err());
    }

    #[test]
    fn the_csr_names_every_domain() {
        let (key, der) = csr(
            &["a.example".into(), "*.b.example".into()],
            KeyAlgorithm::EcdsaP256,
        )
        .unwrap();
        assert!(
            key.serialize_pem()
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        use x509_parser::prelude::FromDer;
        let (_, req) =
            x509_parser::certification_request::X509CertificationRequest::from_der(&der).unwrap();
        let text = format!(
            "{:?}",
            req.requested_extensions().map(|e| e.collect::<Vec<_>>())
        );
        assert!(
            text.contains("a.example") && text.contains("*.b.example"),
            "{text}"
        );
    }
}
