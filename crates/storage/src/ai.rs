//! AI providers (one per organization, the API key sealed) and the log of AI calls that
//! the token budget is counted from.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// AI providers and calls.
#[async_trait]
pub trait AiStore: Send + Sync {
    /// Sets (or replaces) the organization's provider. A `secret` of `None` keeps the sealed
    /// key already stored (the key is write-only: a settings change need not resend it).
    async fn set_ai_provider(&self, provider: AiProviderRecord) -> StoreResult<AiProviderRecord>;
    async fn get_ai_provider(&self, org_id: &str) -> StoreResult<Option<AiProviderRecord>>;
    async fn delete_ai_provider(&self, org_id: &str) -> StoreResult<()>;
    /// Every provider holding a key, for re-sealing under a new key.
    async fn list_all_ai_providers(&self) -> StoreResult<Vec<AiProviderRecord>>;
    async fn replace_ai_provider_secret(
        &self,
        org_id: &str,
        secret: SecretValue,
    ) -> StoreResult<()>;

    async fn record_ai_request(&self, request: AiRequestRow) -> StoreResult<()>;
    /// Tokens (prompt and completion) the organization used since `since`.
    async fn ai_tokens_since(&self, org_id: &str, since: Timestamp) -> StoreResult<i64>;
    /// The organization's latest calls, newest first.
    async fn list_ai_requests(&self, org_id: &str, limit: i64) -> StoreResult<Vec<AiRequestRow>>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! provider_columns {
    () => {
        "org_id, base_url, model, settings, secret_key_id, secret_nonce, secret_ciphertext, \
         updated_by, updated_at"
    };
}

pub(crate) const SET_PROVIDER: &str = concat!(
    "INSERT INTO ai_providers (org_id, base_url, model, settings, secret_key_id, \
     secret_nonce, secret_ciphertext, updated_by, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (org_id) DO UPDATE SET base_url = excluded.base_url, \
     model = excluded.model, settings = excluded.settings, \
     secret_key_id = COALESCE(excluded.secret_key_id, ai_providers.secret_key_id), \
     secret_nonce = COALESCE(excluded.secret_nonce, ai_providers.secret_nonce), \
     secret_ciphertext = COALESCE(excluded.secret_ciphertext, ai_providers.secret_ciphertext), \
     updated_by = excluded.updated_by, updated_at = excluded.updated_at RETURNING ",
    provider_columns!()
);
pub(crate) const GET_PROVIDER: &str = concat!(
    "SELECT ",
    provider_columns!(),
    " FROM ai_providers WHERE org_id = $1"
);
pub(crate) const DELETE_PROVIDER: &str = "DELETE FROM ai_providers WHERE org_id = $1";
pub(crate) const LIST_ALL_PROVIDERS: &str = concat!(
    "SELECT ",
    provider_columns!(),
    " FROM ai_providers WHERE secret_ciphertext IS NOT NULL ORDER BY org_id"
);
pub(crate) const REPLACE_PROVIDER_SECRET: &str = "UPDATE ai_providers SET secret_key_id = $2, \
     secret_nonce = $3, secret_ciphertext = $4 \
     WHERE org_id = $1 AND secret_ciphertext IS NOT NULL";
pub(crate) const INSERT_REQUEST: &str = "INSERT INTO ai_requests (id, org_id, user_id, kind, \
     model, prompt_tokens, completion_tokens, duration_ms, outcome, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub(crate) const TOKENS_SINCE: &str = "SELECT CAST(COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS BIGINT) \
     FROM ai_requests WHERE org_id = $1 AND created_at >= $2";
pub(crate) const LIST_REQUESTS: &str = "SELECT id, org_id, user_id, kind, model, prompt_tokens, \
     completion_tokens, duration_ms, outcome, created_at FROM ai_requests \
     WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT $2";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`AiStore`] for `$store`, in the adapter's child module `ai`. Expanded by
/// [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_ai_store {
    ($store:ty) => {
        pub(super) mod ai {
            use super::*;
            use $crate::StoreResult;
            use $crate::ai::{self as q, AiStore};
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};

            fn provider_from_row(row: &DbRow) -> StoreResult<AiProviderRecord> {
                let settings: String = col(row, "settings")?;
                let ciphertext: Option<Vec<u8>> = col(row, "secret_ciphertext")?;
                let secret = match ciphertext {
                    Some(ciphertext) => Some(SecretValue {
                        key_id: col::<Option<String>>(row, "secret_key_id")?.unwrap_or_default(),
                        nonce: col::<Option<Vec<u8>>>(row, "secret_nonce")?.unwrap_or_default(),
                        ciphertext,
                    }),
                    None => None,
                };
                Ok(AiProviderRecord {
                    org_id: col(row, "org_id")?,
                    base_url: col(row, "base_url")?,
                    model: col(row, "model")?,
                    settings: sql::parse_json(&settings, "settings")?,
                    secret,
                    updated_by: col(row, "updated_by")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            fn request_from_row(row: &DbRow) -> StoreResult<AiRequestRow> {
                Ok(AiRequestRow {
                    id: col(row, "id")?,
                    org_id: col(row, "org_id")?,
                    user_id: col(row, "user_id")?,
                    kind: col(row, "kind")?,
                    model: col(row, "model")?,
                    prompt_tokens: col(row, "prompt_tokens")?,
                    completion_tokens: col(row, "completion_tokens")?,
                    duration_ms: col(row, "duration_ms")?,
                    outcome: col(row, "outcome")?,
                    created_at: col(row, "created_at")?,
                })
            }

            #[async_trait::async_trait]
            impl AiStore for $store {
                async fn set_ai_provider(
                    &self,
                    p: AiProviderRecord,
                ) -> StoreResult<AiProviderRecord> {
                    let secret = p.secret.as_ref();
                    let row = sqlx::query::<Db>(q::SET_PROVIDER)
                        .bind(&p.org_id)
                        .bind(&p.base_url)
                        .bind(&p.model)
                        .bind(sql::json_text(&p.settings))
                        .bind(secret.map(|s| s.key_id.clone()))
                        .bind(secret.map(|s| s.nonce.clone()))
                        .bind(secret.map(|s| s.ciphertext.clone()))
                        .bind(&p.updated_by)
                        .bind(p.updated_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("AI provider", "org", "organization"))?;
                    provider_from_row(&row)
                }

                async fn get_ai_provider(
                    &self,
                    org_id: &str,
                ) -> StoreResult<Option<AiProviderRecord>> {
                    let row = sqlx::query::<Db>(q::GET_PROVIDER)
                        .bind(org_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.as_ref().map(provider_from_row).transpose()
                }

                async fn delete_ai_provider(&self, org_id: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_PROVIDER)
                        .bind(org_id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "AI provider")
                }

                async fn list_all_ai_providers(&self) -> StoreResult<Vec<AiProviderRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_ALL_PROVIDERS)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, provider_from_row)
                }

                async fn replace_ai_provider_secret(
                    &self,
                    org_id: &str,
                    secret: SecretValue,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REPLACE_PROVIDER_SECRET)
                        .bind(org_id)
                        .bind(&secret.key_id)
                        .bind(&secret.nonce)
                        .bind(&secret.ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "AI provider")
                }

                async fn record_ai_request(&self, r: AiRequestRow) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_REQUEST)
                        .bind(&r.id)
                        .bind(&r.org_id)
                        .bind(&r.user_id)
                        .bind(&r.kind)
                        .bind(&r.model)
                        .bind(r.prompt_tokens)
                        .bind(r.completion_tokens)
                        .bind(r.duration_ms)
                        .bind(&r.outcome)
                        .bind(r.created_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("AI request", "id", "organization"))?;
                    Ok(())
                }

                async fn ai_tokens_since(
                    &self,
                    org_id: &str,
                    since: Timestamp,
                ) -> StoreResult<i64> {
                    let row = sqlx::query::<Db>(q::TOKENS_SINCE)
                        .bind(org_id)
                        .bind(since)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(database_error)?;
                    first::<i64>(&row)
                }

                async fn list_ai_requests(
                    &self,
                    org_id: &str,
                    limit: i64,
                ) -> StoreResult<Vec<AiRequestRow>> {
                    let found = sqlx::query::<Db>(q::LIST_REQUESTS)
                        .bind(org_id)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, request_from_row)
                }
            }
        }
    };
}

pub(crate) use impl_ai_store;
