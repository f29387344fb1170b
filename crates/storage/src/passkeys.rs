//! Passkeys (WebAuthn credentials) and the state of a ceremony between its two steps.
//!
//! *Invariants:* a credential id belongs to one passkey server-wide; a ceremony is taken
//! (read and deleted in one statement) at most once, and never after it expired.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Passkeys and WebAuthn ceremonies.
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    async fn create_passkey(&self, passkey: PasskeyRecord) -> StoreResult<()>;
    async fn list_passkeys(&self, user_id: &str) -> StoreResult<Vec<PasskeyRecord>>;
    /// After a login: the credential's new counter, and when it was used.
    async fn update_passkey(
        &self,
        id: &str,
        credential: &str,
        last_used_at: Timestamp,
    ) -> StoreResult<()>;
    /// Deletes one of `user_id`'s passkeys; `NotFound` if it is someone else's.
    async fn delete_passkey(&self, user_id: &str, id: &str) -> StoreResult<()>;
    async fn delete_user_passkeys(&self, user_id: &str) -> StoreResult<u64>;
    async fn put_ceremony(&self, ceremony: WebauthnCeremony) -> StoreResult<()>;
    /// The ceremony `id` of `kind` if it has not expired at `now`, deleted by the same call:
    /// a challenge answers once.
    async fn take_ceremony(
        &self,
        id: &str,
        kind: &str,
        now: Timestamp,
    ) -> StoreResult<Option<WebauthnCeremony>>;
    async fn delete_expired_ceremonies(&self, now: Timestamp) -> StoreResult<u64>;
}

// ---- SQL --------------------------------------------------------------------------------

pub(crate) const INSERT_PASSKEY: &str = "INSERT INTO passkeys \
     (id, user_id, name, credential_id, credential, created_at, last_used_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const LIST_PASSKEYS: &str = "SELECT id, user_id, name, credential_id, credential, \
     created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at, id";
pub(crate) const UPDATE_PASSKEY: &str =
    "UPDATE passkeys SET credential = $2, last_used_at = $3 WHERE id = $1";
pub(crate) const DELETE_PASSKEY: &str = "DELETE FROM passkeys WHERE user_id = $1 AND id = $2";
pub(crate) const DELETE_USER_PASSKEYS: &str = "DELETE FROM passkeys WHERE user_id = $1";
pub(crate) const INSERT_CEREMONY: &str = "INSERT INTO webauthn_ceremonies \
     (id, user_id, kind, state, expires_at) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const TAKE_CEREMONY: &str = "DELETE FROM webauthn_ceremonies \
     WHERE id = $1 AND kind = $2 AND expires_at > $3 \
     RETURNING id, user_id, kind, state, expires_at";
pub(crate) const DELETE_EXPIRED_CEREMONIES: &str =
    "DELETE FROM webauthn_ceremonies WHERE expires_at <= $1";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`PasskeyStore`] for `$store`, in the adapter's child module `passkeys`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_passkey_store {
    ($store:ty) => {
        pub(super) mod passkeys {
            use super::*;
            use $crate::StoreResult;
            use $crate::passkeys::{self as q, PasskeyStore};
            use $crate::record::*;
            use $crate::sql::{database_error, write_error};

            fn passkey_from_row(row: &DbRow) -> StoreResult<PasskeyRecord> {
                Ok(PasskeyRecord {
                    id: col(row, "id")?,
                    user_id: col(row, "user_id")?,
                    name: col(row, "name")?,
                    credential_id: col(row, "credential_id")?,
                    credential: col(row, "credential")?,
                    created_at: col(row, "created_at")?,
                    last_used_at: col(row, "last_used_at")?,
                })
            }

            #[async_trait::async_trait]
            impl PasskeyStore for $store {
                async fn create_passkey(&self, p: PasskeyRecord) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_PASSKEY)
                        .bind(&p.id)
                        .bind(&p.user_id)
                        .bind(&p.name)
                        .bind(&p.credential_id)
                        .bind(&p.credential)
                        .bind(p.created_at)
                        .bind(p.last_used_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("passkey", "credential", "user"))?;
                    Ok(())
                }

                async fn list_passkeys(&self, user_id: &str) -> StoreResult<Vec<PasskeyRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_PASSKEYS)
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, passkey_from_row)
                }

                async fn update_passkey(
                    &self,
                    id: &str,
                    credential: &str,
                    last_used_at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::UPDATE_PASSKEY)
                        .bind(id)
                        .bind(credential)
                        .bind(last_used_at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "passkey")
                }

                async fn delete_passkey(&self, user_id: &str, id: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_PASSKEY)
                        .bind(user_id)
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "passkey")
                }

                async fn delete_user_passkeys(&self, user_id: &str) -> StoreResult<u64> {
                    let done = sqlx::query::<Db>(q::DELETE_USER_PASSKEYS)
                        .bind(user_id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected())
                }

                async fn put_ceremony(&self, c: WebauthnCeremony) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_CEREMONY)
                        .bind(&c.id)
                        .bind(&c.user_id)
                        .bind(&c.kind)
                        .bind(&c.state)
                        .bind(c.expires_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("ceremony", "id", "user"))?;
                    Ok(())
                }

                async fn take_ceremony(
                    &self,
                    id: &str,
                    kind: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<WebauthnCeremony>> {
                    let row = sqlx::query::<Db>(q::TAKE_CEREMONY)
                        .bind(id)
                        .bind(kind)
                        .bind(now)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.map(|row| {
                        Ok(WebauthnCeremony {
                            id: col(&row, "id")?,
                            user_id: col(&row, "user_id")?,
                            kind: col(&row, "kind")?,
                            state: col(&row, "state")?,
                            expires_at: col(&row, "expires_at")?,
                        })
                    })
                    .transpose()
                }

                async fn delete_expired_ceremonies(&self, now: Timestamp) -> StoreResult<u64> {
                    let done = sqlx::query::<Db>(q::DELETE_EXPIRED_CEREMONIES)
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected())
                }
            }
        }
    };
}
pub(crate) use impl_passkey_store;
