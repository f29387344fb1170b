//! WindFlow's ACME client: it registers accounts at an ACME CA (Let's Encrypt, or a private
//! CA such as Pebble or step-ca with an operator-supplied root), issues certificates for
//! several names at once (wildcards through DNS-01) with the integrator's challenge
//! solvers, revokes them, reads certificates (`CertificateInfo`, `check_uploaded` for
//! uploads) and says when to renew (`renewal`).
//!
//! The control plane owns storage: this crate returns serializable values (`AccountCredentials`,
//! `IssuedCertificate`) and the caller seals the secret parts.
//!
//! Invariants:
//! - It never removes, replaces or stores a certificate; a failed renewal leaves the
//!   working certificate to the caller, who keeps serving it (see `renewal`).
//! - It never logs or `Debug`-prints a private key or account credentials: they live in
//!   `Secret`, whose `Debug` is `[redacted]`.
//! - Every challenge response a solver published is cleaned up, whether issuance
//!   succeeded or failed.
//! - TLS uses rustls with the aws-lc-rs provider passed explicitly (no process-wide
//!   `CryptoProvider` is installed or required), like the rest of the workspace.
//! - It knows nothing of WindFlow's domain, storage, gateway or DNS providers: those
//!   implement `Http01Solver` and `Dns01Solver`.

mod account;
mod certificate;
mod client;
mod error;
mod issue;
pub mod renewal;
mod secret;
mod solver;

pub use account::{
    AccountCredentials, AcmeAccount, AcmeDirectory, LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING,
    NewAccount, REQUEST_TIMEOUT, RevocationReason, revoke,
};
pub use certificate::{CertificateInfo, certificate_info, chain_der, check_uploaded};
pub use error::{AcmeError, CertificateError};
pub use issue::{IssueOptions, IssuedCertificate, KeyAlgorithm};
pub use renewal::{next_attempt_after_failure, renewal_due, renewal_time};
pub use secret::Secret;
pub use solver::{
    ChallengeKind, ChallengeSolvers, Dns01Solver, Http01Solver, SolverError, dns01_fqdn,
};
