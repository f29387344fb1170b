//! DNS providers (their settings, and their credential sealed) and the records WindFlow
//! created through them — the only records it ever changes or removes.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// DNS providers and WindFlow's records.
#[async_trait]
pub trait DnsStore: Send + Sync {
    /// `Conflict` on `name` when the organization has a provider of that name.
    async fn create_dns_provider(
        &self,
        org_id: &str,
        provider: NewDnsProvider,
    ) -> StoreResult<DnsProviderRecord>;
    async fn list_dns_providers(&self, org_id: &str) -> StoreResult<Vec<DnsProviderRecord>>;
    async fn get_dns_provider(&self, org_id: &str, name: &str) -> StoreResult<DnsProviderRecord>;
    /// Refused (`Invalid`) while WindFlow holds records through the provider: they would be
    /// left behind, unmanaged.
    async fn delete_dns_provider(&self, org_id: &str, name: &str) -> StoreResult<()>;
    /// Every provider holding a credential, for re-sealing under a new key.
    async fn list_all_dns_providers(&self) -> StoreResult<Vec<DnsProviderRecord>>;
    async fn replace_dns_provider_secret(&self, id: &str, secret: SecretValue) -> StoreResult<()>;

    /// Records (or updates the values of) a record WindFlow created. `Conflict` when the
    /// record belongs to another owner: one stack never takes over another's name.
    async fn save_dns_record(&self, record: DnsRecordRow) -> StoreResult<DnsRecordRow>;
    /// The organization's records, optionally only one owner's.
    async fn list_dns_records(
        &self,
        org_id: &str,
        owner: Option<&str>,
    ) -> StoreResult<Vec<DnsRecordRow>>;
    async fn delete_dns_record(&self, org_id: &str, id: &str) -> StoreResult<()>;
    /// Stores a health check's result for one record whose health the checker read as
    /// `previous` (compare and set): false, and nothing stored, when the record is gone or
    /// another check recorded a verdict meanwhile — so a change of health is reported once.
    async fn record_dns_check(
        &self,
        org_id: &str,
        id: &str,
        previous: DnsHealth,
        check: DnsCheck<'_>,
    ) -> StoreResult<bool>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! provider_columns {
    () => {
        "id, org_id, name, kind, config, secret_key_id, secret_nonce, secret_ciphertext, \
         created_at, updated_at"
    };
}
macro_rules! record_columns {
    () => {
        "id, org_id, provider_id, zone, name, record_type, record_values, owner, created_at, \
         health, health_detail, checked_at"
    };
}

pub(crate) const INSERT_DNS_PROVIDER: &str = concat!(
    "INSERT INTO dns_providers (id, org_id, name, kind, config, secret_key_id, secret_nonce, \
     secret_ciphertext, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING ",
    provider_columns!()
);
pub(crate) const LIST_DNS_PROVIDERS: &str = concat!(
    "SELECT ",
    provider_columns!(),
    " FROM dns_providers WHERE org_id = $1 ORDER BY name"
);
pub(crate) const GET_DNS_PROVIDER: &str = concat!(
    "SELECT ",
    provider_columns!(),
    " FROM dns_providers WHERE org_id = $1 AND name = $2"
);
pub(crate) const PROVIDER_HAS_RECORDS: &str = "SELECT 1 FROM dns_records r JOIN dns_providers p \
     ON p.id = r.provider_id WHERE p.org_id = $1 AND p.name = $2";
pub(crate) const DELETE_DNS_PROVIDER: &str =
    "DELETE FROM dns_providers WHERE org_id = $1 AND name = $2";
pub(crate) const LIST_ALL_DNS_PROVIDERS: &str = concat!(
    "SELECT ",
    provider_columns!(),
    " FROM dns_providers WHERE secret_ciphertext IS NOT NULL ORDER BY org_id, id"
);
pub(crate) const REPLACE_DNS_PROVIDER_SECRET: &str = "UPDATE dns_providers SET \
     secret_key_id = $2, secret_nonce = $3, secret_ciphertext = $4 \
     WHERE id = $1 AND secret_ciphertext IS NOT NULL";
pub(crate) const SAVE_DNS_RECORD: &str = concat!(
    "INSERT INTO dns_records (id, org_id, provider_id, zone, name, record_type, \
     record_values, owner, created_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM dns_providers \
     WHERE id = $3 AND org_id = $2 \
     ON CONFLICT (provider_id, name, record_type) DO UPDATE SET \
     record_values = excluded.record_values, \
     health = CASE WHEN dns_records.record_values = excluded.record_values \
         THEN dns_records.health ELSE 'unchecked' END, \
     health_detail = CASE WHEN dns_records.record_values = excluded.record_values \
         THEN dns_records.health_detail ELSE NULL END, \
     checked_at = CASE WHEN dns_records.record_values = excluded.record_values \
         THEN dns_records.checked_at ELSE NULL END \
     WHERE dns_records.owner = excluded.owner \
     RETURNING ",
    record_columns!()
);
pub(crate) const LIST_DNS_RECORDS: &str = concat!(
    "SELECT ",
    record_columns!(),
    " FROM dns_records WHERE org_id = $1 AND ($2 IS NULL OR owner = $2) \
     ORDER BY zone, name, record_type"
);
pub(crate) const DELETE_DNS_RECORD: &str = "DELETE FROM dns_records WHERE org_id = $1 AND id = $2";
pub(crate) const RECORD_DNS_CHECK: &str = "UPDATE dns_records SET health = $3, health_detail = $4, \
     checked_at = $5 WHERE org_id = $1 AND id = $2 AND health = $6 \
     AND (checked_at IS NULL OR checked_at <= $5)";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`DnsStore`] for `$store`, in the adapter's child module `dns`. Expanded by
/// [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_dns_store {
    ($store:ty) => {
        pub(super) mod dns {
            use super::*;
            use $crate::dns::{self as q, DnsStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::{StoreError, StoreResult};

            fn provider_from_row(row: &DbRow) -> StoreResult<DnsProviderRecord> {
                let config: String = col(row, "config")?;
                let ciphertext: Option<Vec<u8>> = col(row, "secret_ciphertext")?;
                let secret = match ciphertext {
                    Some(ciphertext) => Some(SecretValue {
                        key_id: col::<Option<String>>(row, "secret_key_id")?.unwrap_or_default(),
                        nonce: col::<Option<Vec<u8>>>(row, "secret_nonce")?.unwrap_or_default(),
                        ciphertext,
                    }),
                    None => None,
                };
                Ok(DnsProviderRecord {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    name: col(row, "name")?,
                    kind: col(row, "kind")?,
                    config: sql::parse_json(&config, "config")?,
                    secret,
                    created_at: col(row, "created_at")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            fn record_from_row(row: &DbRow) -> StoreResult<DnsRecordRow> {
                let values: String = col(row, "record_values")?;
                let values: Vec<String> =
                    serde_json::from_value(sql::parse_json(&values, "record_values")?)
                        .map_err(|e| StoreError::Database(format!("column record_values: {e}")))?;
                Ok(DnsRecordRow {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    provider_id: col(row, "provider_id")?,
                    zone: col(row, "zone")?,
                    name: col(row, "name")?,
                    record_type: col(row, "record_type")?,
                    values,
                    owner: col(row, "owner")?,
                    created_at: col(row, "created_at")?,
                    health: DnsHealth::parse(&col::<String>(row, "health")?),
                    health_detail: col(row, "health_detail")?,
                    checked_at: col(row, "checked_at")?,
                })
            }

            #[async_trait::async_trait]
            impl DnsStore for $store {
                async fn create_dns_provider(
                    &self,
                    org_id: &str,
                    p: NewDnsProvider,
                ) -> StoreResult<DnsProviderRecord> {
                    let secret = p.secret.as_ref();
                    let row = sqlx::query::<Db>(q::INSERT_DNS_PROVIDER)
                        .bind(&p.id)
                        .bind(org_id)
                        .bind(&p.name)
                        .bind(&p.kind)
                        .bind(sql::json_text(&p.config))
                        .bind(secret.map(|s| s.key_id.clone()))
                        .bind(secret.map(|s| s.nonce.clone()))
                        .bind(secret.map(|s| s.ciphertext.clone()))
                        .bind(p.at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("DNS provider", "name", "organization"))?;
                    provider_from_row(&row)
                }

                async fn list_dns_providers(
                    &self,
                    org_id: &str,
                ) -> StoreResult<Vec<DnsProviderRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_DNS_PROVIDERS)
                        .bind(org_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, provider_from_row)
                }

                async fn get_dns_provider(
                    &self,
                    org_id: &str,
                    name: &str,
                ) -> StoreResult<DnsProviderRecord> {
                    let row = sqlx::query::<Db>(q::GET_DNS_PROVIDER)
                        .bind(org_id)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("DNS provider"))?;
                    provider_from_row(&row)
                }

                async fn delete_dns_provider(&self, org_id: &str, name: &str) -> StoreResult<()> {
                    if self
                        .exists(q::PROVIDER_HAS_RECORDS, org_id, Some(name))
                        .await?
                    {
                        return Err(StoreError::Invalid(format!(
                            "DNS provider {name:?} still holds records WindFlow created: remove the stacks' domains first"
                        )));
                    }
                    let done = sqlx::query::<Db>(q::DELETE_DNS_PROVIDER)
                        .bind(org_id)
                        .bind(name)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "DNS provider")
                }

                async fn list_all_dns_providers(&self) -> StoreResult<Vec<DnsProviderRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_ALL_DNS_PROVIDERS)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, provider_from_row)
                }

                async fn replace_dns_provider_secret(
                    &self,
                    id: &str,
                    secret: SecretValue,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REPLACE_DNS_PROVIDER_SECRET)
                        .bind(id)
                        .bind(&secret.key_id)
                        .bind(&secret.nonce)
                        .bind(&secret.ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "DNS provider")
                }

                async fn save_dns_record(&self, r: DnsRecordRow) -> StoreResult<DnsRecordRow> {
                    let values = serde_json::json!(r.values);
                    let row = sqlx::query::<Db>(q::SAVE_DNS_RECORD)
                        .bind(&r.id)
                        .bind(&r.org_id)
                        .bind(&r.provider_id)
                        .bind(&r.zone)
                        .bind(&r.name)
                        .bind(&r.record_type)
                        .bind(sql::json_text(&values))
                        .bind(&r.owner)
                        .bind(r.created_at)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(write_error("DNS record", "name", "DNS provider"))?;
                    match row {
                        Some(row) => record_from_row(&row),
                        // Either the provider is not the organization's, or the record
                        // belongs to another owner (the upsert's WHERE kept it).
                        None if self
                            .exists(
                                "SELECT 1 FROM dns_providers WHERE org_id = $1 AND id = $2",
                                &r.org_id,
                                Some(&r.provider_id),
                            )
                            .await? =>
                        {
                            Err(StoreError::Conflict {
                                entity: "DNS record",
                                field: "owner",
                            })
                        }
                        None => Err(StoreError::NotFound("DNS provider")),
                    }
                }

                async fn list_dns_records(
                    &self,
                    org_id: &str,
                    owner: Option<&str>,
                ) -> StoreResult<Vec<DnsRecordRow>> {
                    let found = sqlx::query::<Db>(q::LIST_DNS_RECORDS)
                        .bind(org_id)
                        .bind(owner)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, record_from_row)
                }

                async fn delete_dns_record(&self, org_id: &str, id: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_DNS_RECORD)
                        .bind(org_id)
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "DNS record")
                }

                async fn record_dns_check(
                    &self,
                    org_id: &str,
                    id: &str,
                    previous: DnsHealth,
                    check: DnsCheck<'_>,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<Db>(q::RECORD_DNS_CHECK)
                        .bind(org_id)
                        .bind(id)
                        .bind(check.health.as_str())
                        .bind(check.detail)
                        .bind(check.checked_at)
                        .bind(previous.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected() == 1)
                }
            }
        }
    };
}

pub(crate) use impl_dns_store;
