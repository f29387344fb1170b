//! Certificates (issued through ACME or uploaded) and ACME accounts. Private keys and
//! account credentials arrive sealed (key id, nonce, ciphertext) and leave the same way.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Certificates and ACME accounts.
#[async_trait]
pub trait CertificateStore: Send + Sync {
    /// Stores a certificate under its name, replacing the one of that name (which keeps its
    /// id and creation time) and clearing its renewal failures.
    async fn save_certificate(
        &self,
        org_id: &str,
        certificate: NewCertificate,
    ) -> StoreResult<CertificateRecord>;
    async fn get_certificate(&self, org_id: &str, name: &str) -> StoreResult<CertificateRecord>;
    /// The organization's certificates by name.
    async fn list_certificates(&self, org_id: &str) -> StoreResult<Vec<CertificateRecord>>;
    async fn delete_certificate(&self, org_id: &str, name: &str) -> StoreResult<()>;
    /// Records a failed renewal; the certificate itself is left as it is.
    async fn record_renewal_failure(
        &self,
        org_id: &str,
        id: &str,
        error: &str,
        attempts: i64,
        next_attempt_at: Timestamp,
    ) -> StoreResult<()>;
    /// ACME certificates of every organization past two thirds of their lifetime and not
    /// waiting out a backoff, soonest expiry first.
    async fn list_certificates_due(&self, now: Timestamp) -> StoreResult<Vec<CertificateRecord>>;
    /// Every certificate of every organization, for re-sealing keys under a new key.
    async fn list_all_certificates(&self) -> StoreResult<Vec<CertificateRecord>>;
    async fn replace_certificate_key(&self, id: &str, key: SecretValue) -> StoreResult<()>;

    async fn get_acme_account(
        &self,
        org_id: &str,
        directory_url: &str,
    ) -> StoreResult<Option<AcmeAccountRecord>>;
    /// Stores a new account; `Conflict` when the organization has one with that directory.
    async fn create_acme_account(&self, account: AcmeAccountRecord) -> StoreResult<()>;
    /// Every ACME account of every organization, for re-sealing under a new key.
    async fn list_all_acme_accounts(&self) -> StoreResult<Vec<AcmeAccountRecord>>;
    async fn replace_acme_account_credentials(
        &self,
        org_id: &str,
        directory_url: &str,
        credentials: SecretValue,
    ) -> StoreResult<()>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! certificate_columns {
    () => {
        "id, org_id, name, source, domains, chain_pem, key_key_id, key_nonce, key_ciphertext, \
         issuer, serial, not_before, not_after, renewal_error, renewal_attempts, \
         next_attempt_at, created_at, updated_at"
    };
}

pub(crate) const SAVE_CERTIFICATE: &str = concat!(
    "INSERT INTO certificates (id, org_id, name, source, domains, chain_pem, key_key_id, \
     key_nonce, key_ciphertext, issuer, serial, not_before, not_after, renewal_attempts, \
     created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $14) \
     ON CONFLICT (org_id, name) DO UPDATE SET source = excluded.source, \
     domains = excluded.domains, chain_pem = excluded.chain_pem, \
     key_key_id = excluded.key_key_id, key_nonce = excluded.key_nonce, \
     key_ciphertext = excluded.key_ciphertext, issuer = excluded.issuer, \
     serial = excluded.serial, not_before = excluded.not_before, \
     not_after = excluded.not_after, renewal_error = NULL, renewal_attempts = 0, \
     next_attempt_at = NULL, updated_at = excluded.updated_at RETURNING ",
    certificate_columns!()
);
pub(crate) const GET_CERTIFICATE: &str = concat!(
    "SELECT ",
    certificate_columns!(),
    " FROM certificates WHERE org_id = $1 AND name = $2"
);
pub(crate) const LIST_CERTIFICATES: &str = concat!(
    "SELECT ",
    certificate_columns!(),
    " FROM certificates WHERE org_id = $1 ORDER BY name"
);
pub(crate) const DELETE_CERTIFICATE: &str =
    "DELETE FROM certificates WHERE org_id = $1 AND name = $2";
pub(crate) const RECORD_RENEWAL_FAILURE: &str = "UPDATE certificates SET renewal_error = $3, \
     renewal_attempts = $4, next_attempt_at = $5 WHERE org_id = $1 AND id = $2";
pub(crate) const LIST_CERTIFICATES_DUE: &str = concat!(
    "SELECT ",
    certificate_columns!(),
    " FROM certificates WHERE source = 'acme' \
     AND not_before + (not_after - not_before) * 2 / 3 <= $1 \
     AND (next_attempt_at IS NULL OR next_attempt_at <= $1) ORDER BY not_after, id"
);
pub(crate) const LIST_ALL_CERTIFICATES: &str = concat!(
    "SELECT ",
    certificate_columns!(),
    " FROM certificates ORDER BY org_id, id"
);
pub(crate) const REPLACE_CERTIFICATE_KEY: &str = "UPDATE certificates SET key_key_id = $2, \
     key_nonce = $3, key_ciphertext = $4 WHERE id = $1";
pub(crate) const GET_ACME_ACCOUNT: &str = "SELECT org_id, directory_url, contact, \
     credentials_key_id, credentials_nonce, credentials_ciphertext, created_at \
     FROM acme_accounts WHERE org_id = $1 AND directory_url = $2";
pub(crate) const LIST_ALL_ACME_ACCOUNTS: &str = "SELECT org_id, directory_url, contact, \
     credentials_key_id, credentials_nonce, credentials_ciphertext, created_at \
     FROM acme_accounts ORDER BY org_id, directory_url";
pub(crate) const REPLACE_ACME_ACCOUNT_CREDENTIALS: &str = "UPDATE acme_accounts SET \
     credentials_key_id = $3, credentials_nonce = $4, credentials_ciphertext = $5 \
     WHERE org_id = $1 AND directory_url = $2";
pub(crate) const INSERT_ACME_ACCOUNT: &str = "INSERT INTO acme_accounts (org_id, \
     directory_url, contact, credentials_key_id, credentials_nonce, credentials_ciphertext, \
     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`CertificateStore`] for `$store`, in the adapter's child module
/// `certificates`. Expanded by [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_certificate_store {
    ($store:ty) => {
        pub(super) mod certificates {
            use super::*;
            use $crate::certificates::{self as q, CertificateStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::{StoreError, StoreResult};

            fn certificate_from_row(row: &DbRow) -> StoreResult<CertificateRecord> {
                let source: String = col(row, "source")?;
                let domains: String = col(row, "domains")?;
                let domains: Vec<String> =
                    serde_json::from_value(sql::parse_json(&domains, "domains")?)
                        .map_err(|e| StoreError::Database(format!("column domains: {e}")))?;
                Ok(CertificateRecord {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    name: col(row, "name")?,
                    source: CertificateSource::parse(&source)
                        .ok_or_else(|| sql::unknown_value("source", &source))?,
                    domains,
                    chain_pem: col(row, "chain_pem")?,
                    key: SecretValue {
                        key_id: col(row, "key_key_id")?,
                        nonce: col(row, "key_nonce")?,
                        ciphertext: col(row, "key_ciphertext")?,
                    },
                    issuer: col(row, "issuer")?,
                    serial: col(row, "serial")?,
                    not_before: col(row, "not_before")?,
                    not_after: col(row, "not_after")?,
                    renewal_error: col(row, "renewal_error")?,
                    renewal_attempts: col(row, "renewal_attempts")?,
                    next_attempt_at: col(row, "next_attempt_at")?,
                    created_at: col(row, "created_at")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            fn account_from_row(row: &DbRow) -> StoreResult<AcmeAccountRecord> {
                Ok(AcmeAccountRecord {
                    org_id: col(row, "org_id")?,
                    directory_url: col(row, "directory_url")?,
                    contact: col(row, "contact")?,
                    credentials: SecretValue {
                        key_id: col(row, "credentials_key_id")?,
                        nonce: col(row, "credentials_nonce")?,
                        ciphertext: col(row, "credentials_ciphertext")?,
                    },
                    created_at: col(row, "created_at")?,
                })
            }

            #[async_trait::async_trait]
            impl CertificateStore for $store {
                async fn save_certificate(
                    &self,
                    org_id: &str,
                    c: NewCertificate,
                ) -> StoreResult<CertificateRecord> {
                    let domains = serde_json::json!(c.domains);
                    let row = sqlx::query::<Db>(q::SAVE_CERTIFICATE)
                        .bind(&c.id)
                        .bind(org_id)
                        .bind(&c.name)
                        .bind(c.source.as_str())
                        .bind(sql::json_text(&domains))
                        .bind(&c.chain_pem)
                        .bind(&c.key.key_id)
                        .bind(&c.key.nonce)
                        .bind(&c.key.ciphertext)
                        .bind(&c.issuer)
                        .bind(&c.serial)
                        .bind(c.not_before)
                        .bind(c.not_after)
                        .bind(c.at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("certificate", "name", "organization"))?;
                    certificate_from_row(&row)
                }

                async fn get_certificate(
                    &self,
                    org_id: &str,
                    name: &str,
                ) -> StoreResult<CertificateRecord> {
                    let row = sqlx::query::<Db>(q::GET_CERTIFICATE)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("certificate"))?;
                    certificate_from_row(&row)
                }

                async fn list_certificates(
                    &self,
                    org_id: &str,
                ) -> StoreResult<Vec<CertificateRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_CERTIFICATES)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, certificate_from_row)
                }

                async fn delete_certificate(&self, org_id: &str, name: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_CERTIFICATE)
                        .bind(org_id)
                        .bind(name)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "certificate")
                }

                async fn record_renewal_failure(
                    &self,
                    org_id: &str,
                    id: &str,
                    error: &str,
                    attempts: i64,
                    next_attempt_at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::RECORD_RENEWAL_FAILURE)
                        .bind(org_id)
                        .bind(id)
                        .bind(error)
                        .bind(attempts)
                        .bind(next_attempt_at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "certificate")
                }

                async fn list_certificates_due(
                    &self,
                    now: Timestamp,
                ) -> StoreResult<Vec<CertificateRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_CERTIFICATES_DUE)
                        .bind(now)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, certificate_from_row)
                }

                async fn list_all_certificates(&self) -> StoreResult<Vec<CertificateRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_ALL_CERTIFICATES)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, certificate_from_row)
                }

                async fn replace_certificate_key(
                    &self,
                    id: &str,
                    key: SecretValue,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REPLACE_CERTIFICATE_KEY)
                        .bind(id)
                        .bind(&key.key_id)
                        .bind(&key.nonce)
                        .bind(&key.ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "certificate")
                }

                async fn get_acme_account(
                    &self,
                    org_id: &str,
                    directory_url: &str,
                ) -> StoreResult<Option<AcmeAccountRecord>> {
                    sqlx::query::<Db>(q::GET_ACME_ACCOUNT)
                        .bind(org_id)
                        .bind(directory_url)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(account_from_row)
                        .transpose()
                }

                async fn create_acme_account(&self, a: AcmeAccountRecord) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_ACME_ACCOUNT)
                        .bind(&a.org_id)
                        .bind(&a.directory_url)
                        .bind(&a.contact)
                        .bind(&a.credentials.key_id)
                        .bind(&a.credentials.nonce)
                        .bind(&a.credentials.ciphertext)
                        .bind(a.created_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("ACME account", "directory", "organization"))?;
                    Ok(())
                }

                async fn list_all_acme_accounts(&self) -> StoreResult<Vec<AcmeAccountRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_ALL_ACME_ACCOUNTS)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, account_from_row)
                }

                async fn replace_acme_account_credentials(
                    &self,
                    org_id: &str,
                    directory_url: &str,
                    credentials: SecretValue,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REPLACE_ACME_ACCOUNT_CREDENTIALS)
                        .bind(org_id)
                        .bind(directory_url)
                        .bind(&credentials.key_id)
                        .bind(&credentials.nonce)
                        .bind(&credentials.ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "ACME account")
                }
            }
        }
    };
}

pub(crate) use impl_certificate_store;
