//! `AcmeAccount`: an account at one ACME directory, created or restored from sealed
//! credentials; issuance (`issue.rs`) and revocation go through it.

use std::fmt;
use std::time::Duration;

use instant_acme::{Account, NewAccount as AcmeNewAccount, RevocationRequest};
use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

use crate::certificate::chain_der;
use crate::client::{AcmeHttpClient, RetryAfter, from_acme, root_store};
use crate::error::AcmeError;
use crate::secret::Secret;

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt's staging directory (untrusted certificates, generous rate limits).
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// How long one HTTP request to the CA may take (connect included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Which ACME CA to talk to, and the root that signs its HTTPS certificate when it is not
/// publicly trusted (Pebble, step-ca, an internal CA). Not secret: store it as plain config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeDirectory {
    /// The directory URL (`https://…/directory`).
    pub url: String,
    /// A PEM root (or roots) to trust for the CA's HTTPS endpoint instead of the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root_pem: Option<String>,
}

impl AcmeDirectory {
    /// Let's Encrypt production.
    pub fn lets_encrypt() -> Self {
        Self::custom(LETS_ENCRYPT_PRODUCTION, None)
    }

    /// Let's Encrypt staging.
    pub fn lets_encrypt_staging() -> Self {
        Self::custom(LETS_ENCRYPT_STAGING, None)
    }

    /// Any ACME directory; `trusted_root_pem` for a CA whose HTTPS certificate is not signed
    /// by a system root.
    pub fn custom(url: impl Into<String>, trusted_root_pem: Option<String>) -> Self {
        Self {
            url: url.into(),
            trusted_root_pem,
        }
    }
}

/// What a new account registers with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    /// Where the CA may write about the account (optional at Let's Encrypt).
    pub contact_email: Option<String>,
    /// The operator agreed to the CA's terms of service; creation is refused otherwise.
    pub terms_of_service_agreed: bool,
}

/// The account's credentials (its URL and private key, as JSON). Store them sealed;
/// `Debug` prints `[redacted]`. Serializes to a plain string for the sealed store.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountCredentials(Secret);

impl AccountCredentials {
    /// Wraps credentials read back from the sealed store.
    pub fn from_sealed(json: Secret) -> Self {
        Self(json)
    }

    /// The JSON to seal.
    pub fn expose(&self) -> &Secret {
        &self.0
    }
}

impl fmt::Debug for AccountCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountCredentials([redacted])")
    }
}

/// Why a certificate is revoked (RFC 5280 §5.3.1, the reasons ACME CAs accept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
}

impl From<RevocationReason> for instant_acme::RevocationReason {
    fn from(reason: RevocationReason) -> Self {
        match reason {
            RevocationReason::Unspecified => Self::Unspecified,
            RevocationReason::KeyCompromise => Self::KeyCompromise,
            RevocationReason::AffiliationChanged => Self::AffiliationChanged,
            RevocationReason::Superseded => Self::Superseded,
            RevocationReason::CessationOfOperation => Self::CessationOfOperation,
        }
    }
}

/// An account at an ACME CA. Cheap to clone.
#[derive(Clone)]
pub struct AcmeAccount {
    pub(crate) inner: Account,
    pub(crate) directory: AcmeDirectory,
    pub(crate) retry_after: RetryAfter,
}

impl fmt::Debug for AcmeAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcmeAccount")
            .field("id", &self.inner.id())
            .field("directory", &self.directory.url)
            .finish()
    }
}

fn builder(
    directory: &AcmeDirectory,
) -> Result<(instant_acme::AccountBuilder, RetryAfter), AcmeError> {
    let roots = root_store(directory.trusted_root_pem.as_deref())?;
    let retry_after = RetryAfter::default();
    let http = AcmeHttpClient::new(roots, REQUEST_TIMEOUT, retry_after.clone())?;
    Ok((Account::builder_with_http(Box::new(http)), retry_after))
}

#[derive(Deserialize)]
struct CredentialsDirectory {
    directory: Option<String>,
}

impl AcmeAccount {
    /// Registers a new account (a fresh ECDSA P-256 key) at `directory`. Returns the account
    /// and the credentials to seal and store.
    pub async fn create(
        directory: &AcmeDirectory,
        new: &NewAccount,
    ) -> Result<(AcmeAccount, AccountCredentials), AcmeError> {
        if !new.terms_of_service_agreed {
            return Err(AcmeError::InvalidRequest(
                "the CA's terms of service must be agreed to before creating an account".into(),
            ));
        }
        let contact = match &new.contact_email {
            Some(email) => {
                let email = email.trim();
                if email.is_empty()
                    || !email.contains('@')
                    || email.contains(|c: char| c.is_whitespace() || c == ',' || c == ':')
                {
                    return Err(AcmeError::InvalidRequest(format!(
                        "the contact email {email:?} is not an email address"
                    )));
                }
                vec![format!("mailto:{email}")]
            }
            None => Vec::new(),
        };
        let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
        let (builder, retry_after) = builder(directory)?;
        let (inner, credentials) = builder
            .create(
                &AcmeNewAccount {
                    contact: &contact,
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                directory.url.clone(),
                None,
            )
            .await
            .map_err(|e| from_acme(e, retry_after.take()))?;
        tracing::info!(account = inner.id(), directory = %directory.url, "ACME account created");
        let json = serde_json::to_string(&credentials)
            .map_err(|e| AcmeError::Protocol(format!("serializing the credentials: {e}")))?;
        Ok((
            AcmeAccount {
                inner,
                directory: directory.clone(),
                retry_after,
            },
            AccountCredentials(Secret::new(json)),
        ))
    }

    /// Restores an account from stored credentials (fetches the CA's directory).
    pub async fn restore(
        directory: &AcmeDirectory,
        credentials: &AccountCredentials,
    ) -> Result<AcmeAccount, AcmeError> {
        let json = credentials.0.expose();
        let stored: CredentialsDirectory = serde_json::from_str(json).map_err(|e| {
            AcmeError::InvalidRequest(format!("the stored ACME credentials are unreadable: {e}"))
        })?;
        if let Some(url) = stored.directory.as_deref()
            && url != directory.url
        {
            return Err(AcmeError::InvalidRequest(format!(
                "the stored ACME credentials belong to {url}, not {}",
                directory.url
            )));
        }
        let parsed: instant_acme::AccountCredentials = serde_json::from_str(json).map_err(|e| {
            AcmeError::InvalidRequest(format!("the stored ACME credentials are unreadable: {e}"))
        })?;
        let (builder, retry_after) = builder(directory)?;
        let inner = builder
            .from_credentials(parsed)
            .await
            .map_err(|e| from_acme(e, retry_after.take()))?;
        Ok(AcmeAccount {
            inner,
            directory: directory.clone(),
            retry_after,
        })
    }

    /// The account's URL at the CA.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The CA this account belongs to.
    pub fn directory(&self) -> &AcmeDirectory {
        &self.directory
    }

    /// Revokes the leaf of `chain_pem` (issued to this account).
    pub async fn revoke(&self, chain_pem: &str, reason: RevocationReason) -> Result<(), AcmeError> {
        let ders = chain_der(chain_pem)?;
        let leaf = CertificateDer::from(ders[0].as_slice());
        self.inner
            .revoke(&RevocationRequest {
                certificate: &leaf,
                reason: Some(reason.into()),
            })
            .await
            .map_err(|e| self.map(e))?;
        tracing::info!(account = self.inner.id(), ?reason, "certificate revoked");
        Ok(())
    }

    pub(crate) fn map(&self, error: instant_acme::Error) -> AcmeError {
        from_acme(error, self.retry_after.take())
    }
}

/// Revokes the leaf of `chain_pem` through `account`; see `AcmeAccount::revoke`.
pub async fn revoke(
    account: &AcmeAccount,
    chain_pem: &str,
    reason: RevocationReason,
) -> Result<(), AcmeError> {
    account.revoke(chain_pem, reason).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug() {
        let credentials = AccountCredentials::from_sealed(Secret::new(
            r#"{"id":"https://ca/acct/1","key_pkcs8":"MIGHAgEAMBMG","directory":"https://ca/dir"}"#,
        ));
        assert_eq!(format!("{credentials:?}"), "AccountCredentials([redacted])");
        let json = serde_json::to_string(&credentials).unwrap();
        let back: AccountCredentials = serde_json::from_str(&json).unwrap();
        assert_eq!(back, credentials);
    }

    #[tokio::test]
    async fn credentials_are_restored_only_at_their_own_directory() {
        let credentials = AccountCredentials::from_sealed(Secret::new(
            r#"{"id":"https://ca/acct/1","key_pkcs8":"MIGHAgEAMBMG","directory":"https://other-ca/dir"}"#,
        ));
        let error = AcmeAccount::restore(&AcmeDirectory::lets_encrypt_staging(), &credentials)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "invalid ACME request: the stored ACME credentials belong to https://other-ca/dir, not {LETS_ENCRYPT_STAGING}"
            )
        );
        let garbage = AccountCredentials::from_sealed(Secret::new("{"));
        let error = AcmeAccount::restore(&AcmeDirectory::lets_encrypt_staging(), &garbage)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("unreadable"), "{error}");
    }

    #[tokio::test]
    async fn a_contact_must_be_an_email_address() {
        for bad in [
            "",
            "ops",
            "ops@example.com, evil@example.com",
            "mailto:ops@x",
        ] {
            let error = AcmeAccount::create(
                &AcmeDirectory::lets_encrypt_staging(),
                &NewAccount {
                    contact_email: Some(bad.into()),
                    terms_of_service_agreed: true,
                },
            )
            .await
            .unwrap_err();
            assert!(
                error.to_string().contains("is not an email address"),
                "{bad}: {error}"
            );
        }
    }

    #[tokio::test]
    async fn an_account_needs_the_terms_of_service_agreed() {
        let error = AcmeAccount::create(
            &AcmeDirectory::lets_encrypt_staging(),
            &NewAccount::default(),
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("terms of service"), "{error}");
    }
}
