//! Second factors (a user's TOTP secret, sealed, and their one-time recovery codes, hashed)
//! and organizations' login policies (`FactorStore`). The records live here rather than in
//! `record.rs`: nothing outside this aggregate reads them.

use async_trait::async_trait;

use crate::record::{SecretValue, Timestamp};
use crate::{StoreError, StoreResult};

/// A user's TOTP factor. `secret` is sealed by the caller (the store never sees it in clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    pub user_id: String,
    pub secret: SecretValue,
    /// `None` while pending: the user has not proved a code yet, so it does not count.
    pub confirmed_at: Option<Timestamp>,
    /// The time step of the last code accepted; that step and earlier ones are refused.
    pub last_step: Option<i64>,
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// Who in an organization must have a confirmed second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecondFactorRequirement {
    #[default]
    None,
    /// Members whose role is admin or owner.
    Admins,
    All,
}

impl SecondFactorRequirement {
    pub fn as_str(self) -> &'static str {
        match self {
            SecondFactorRequirement::None => "none",
            SecondFactorRequirement::Admins => "admins",
            SecondFactorRequirement::All => "all",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::None, Self::Admins, Self::All]
            .into_iter()
            .find(|r| r.as_str() == value)
    }
}

/// Whether an organization's members may log in with a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordLogin {
    #[default]
    Allowed,
    /// Members must use single sign-on (server administrators excepted: the break-glass).
    Disabled,
}

impl PasswordLogin {
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordLogin::Allowed => "allowed",
            PasswordLogin::Disabled => "disabled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Allowed, Self::Disabled]
            .into_iter()
            .find(|r| r.as_str() == value)
    }
}

/// An organization's login policy. An organization without a stored one has the default
/// (no second factor required, password login allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginPolicyRecord {
    pub org_id: String,
    pub require_second_factor: SecondFactorRequirement,
    pub password_login: PasswordLogin,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// Second factors and login policies.
#[async_trait]
pub trait FactorStore: Send + Sync {
    /// Stores a new pending TOTP factor for `factor.user_id`, replacing a pending one.
    /// `Conflict` (field `totp`) when the user already has a confirmed one.
    async fn put_pending_totp(&self, factor: TotpFactor) -> StoreResult<()>;
    async fn get_totp_factor(&self, user_id: &str) -> StoreResult<Option<TotpFactor>>;
    /// Confirms the pending factor with the code of `step` and replaces the user's recovery
    /// codes with `recovery_code_hashes`, in one transaction. `NotFound` when nothing is
    /// pending.
    async fn confirm_totp(
        &self,
        user_id: &str,
        step: i64,
        at: Timestamp,
        recovery_code_hashes: &[String],
    ) -> StoreResult<()>;
    /// Accepts the code of `step` once: true when the confirmed factor's last step was
    /// earlier (and is now `step`), false otherwise (a replay, an older code, no factor).
    async fn use_totp_step(&self, user_id: &str, step: i64, at: Timestamp) -> StoreResult<bool>;
    /// Removes the user's TOTP factor and recovery codes; true when there was a factor.
    async fn delete_second_factors(&self, user_id: &str) -> StoreResult<bool>;
    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        hashes: &[String],
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Spends an unused recovery code: true when `hash` was one.
    async fn use_recovery_code(
        &self,
        user_id: &str,
        hash: &str,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// How many unused recovery codes the user has left.
    async fn count_recovery_codes(&self, user_id: &str) -> StoreResult<i64>;
    /// Every TOTP factor, for re-sealing under a new key.
    async fn list_all_totp_factors(&self) -> StoreResult<Vec<TotpFactor>>;
    async fn replace_totp_secret(&self, user_id: &str, secret: SecretValue) -> StoreResult<()>;

    async fn get_login_policy(&self, org_id: &str) -> StoreResult<Option<LoginPolicyRecord>>;
    async fn set_login_policy(&self, policy: LoginPolicyRecord) -> StoreResult<LoginPolicyRecord>;
    /// The stored policies of the organizations `user_id` belongs to.
    async fn list_user_login_policies(&self, user_id: &str) -> StoreResult<Vec<LoginPolicyRecord>>;
}

pub(crate) fn requirement(value: &str) -> StoreResult<SecondFactorRequirement> {
    SecondFactorRequirement::parse(value)
        .ok_or_else(|| crate::sql::unknown_value("require_second_factor", value))
}

pub(crate) fn password_login(value: &str) -> StoreResult<PasswordLogin> {
    PasswordLogin::parse(value).ok_or_else(|| crate::sql::unknown_value("password_login", value))
}

pub(crate) fn totp_conflict() -> StoreError {
    StoreError::Conflict {
        entity: "second factor",
        field: "totp",
    }
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! totp_columns {
    () => {
        "user_id, secret_key_id, secret_nonce, secret_ciphertext, confirmed_at, last_step, \
         last_used_at, created_at"
    };
}

pub(crate) const PUT_PENDING_TOTP: &str = "INSERT INTO totp_factors (user_id, secret_key_id, \
     secret_nonce, secret_ciphertext, confirmed_at, last_step, last_used_at, created_at) \
     VALUES ($1, $2, $3, $4, NULL, NULL, NULL, $5) \
     ON CONFLICT (user_id) DO UPDATE SET secret_key_id = excluded.secret_key_id, \
     secret_nonce = excluded.secret_nonce, secret_ciphertext = excluded.secret_ciphertext, \
     created_at = excluded.created_at WHERE totp_factors.confirmed_at IS NULL \
     RETURNING user_id";
pub(crate) const GET_TOTP: &str = concat!(
    "SELECT ",
    totp_columns!(),
    " FROM totp_factors WHERE user_id = $1"
);
pub(crate) const CONFIRM_TOTP: &str = "UPDATE totp_factors SET confirmed_at = $2, \
     last_step = $3, last_used_at = $2 WHERE user_id = $1 AND confirmed_at IS NULL";
pub(crate) const USE_TOTP_STEP: &str = "UPDATE totp_factors SET last_step = $2, \
     last_used_at = $3 WHERE user_id = $1 AND confirmed_at IS NOT NULL \
     AND (last_step IS NULL OR last_step < $2)";
pub(crate) const DELETE_TOTP: &str = "DELETE FROM totp_factors WHERE user_id = $1";
pub(crate) const DELETE_RECOVERY_CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
pub(crate) const INSERT_RECOVERY_CODE: &str = "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, NULL)";
pub(crate) const USE_RECOVERY_CODE: &str = "UPDATE recovery_codes SET used_at = $3 \
     WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
pub(crate) const COUNT_RECOVERY_CODES: &str =
    "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
pub(crate) const LIST_ALL_TOTP: &str = concat!(
    "SELECT ",
    totp_columns!(),
    " FROM totp_factors ORDER BY user_id"
);
pub(crate) const REPLACE_TOTP_SECRET: &str = "UPDATE totp_factors SET secret_key_id = $2, \
     secret_nonce = $3, secret_ciphertext = $4 WHERE user_id = $1";

macro_rules! policy_columns {
    () => {
        "org_id, require_second_factor, password_login, updated_by, updated_at"
    };
}

pub(crate) const GET_POLICY: &str = concat!(
    "SELECT ",
    policy_columns!(),
    " FROM org_login_policies WHERE org_id = $1"
);
pub(crate) const SET_POLICY: &str = concat!(
    "INSERT INTO org_login_policies (org_id, require_second_factor, password_login, \
     updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (org_id) DO UPDATE SET require_second_factor = excluded.require_second_factor, \
     password_login = excluded.password_login, updated_by = excluded.updated_by, \
     updated_at = excluded.updated_at RETURNING ",
    policy_columns!()
);
pub(crate) const LIST_USER_POLICIES: &str = "SELECT p.org_id, p.require_second_factor, \
     p.password_login, p.updated_by, p.updated_at FROM org_login_policies p \
     JOIN memberships m ON m.org_id = p.org_id WHERE m.user_id = $1 ORDER BY p.org_id";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`FactorStore`] for `$store`, in the adapter's child module `factors`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_factor_store {
    ($store:ty) => {
        pub(super) mod factors {
            use super::*;
            use $crate::StoreResult;
            use $crate::factors::{self as q, FactorStore, LoginPolicyRecord, TotpFactor};
            use $crate::record::*;
            use $crate::sql::{database_error, write_error};

            fn totp_from_row(row: &DbRow) -> StoreResult<TotpFactor> {
                Ok(TotpFactor {
                    user_id: col(row, "user_id")?,
                    secret: SecretValue {
                        key_id: col(row, "secret_key_id")?,
                        nonce: col(row, "secret_nonce")?,
                        ciphertext: col(row, "secret_ciphertext")?,
                    },
                    confirmed_at: col(row, "confirmed_at")?,
                    last_step: col(row, "last_step")?,
                    last_used_at: col(row, "last_used_at")?,
                    created_at: col(row, "created_at")?,
                })
            }

            fn policy_from_row(row: &DbRow) -> StoreResult<LoginPolicyRecord> {
                let requirement: String = col(row, "require_second_factor")?;
                let password_login: String = col(row, "password_login")?;
                Ok(LoginPolicyRecord {
                    org_id: col(row, "org_id")?,
                    require_second_factor: q::requirement(&requirement)?,
                    password_login: q::password_login(&password_login)?,
                    updated_by: col(row, "updated_by")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            #[async_trait::async_trait]
            impl FactorStore for $store {
                async fn put_pending_totp(&self, f: TotpFactor) -> StoreResult<()> {
                    let row = sqlx::query::<Db>(q::PUT_PENDING_TOTP)
                        .bind(&f.user_id)
                        .bind(&f.secret.key_id)
                        .bind(&f.secret.nonce)
                        .bind(&f.secret.ciphertext)
                        .bind(f.created_at)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(write_error("second factor", "totp", "user"))?;
                    match row {
                        Some(_) => Ok(()),
                        None => Err(q::totp_conflict()),
                    }
                }

                async fn get_totp_factor(&self, user_id: &str) -> StoreResult<Option<TotpFactor>> {
                    let row = sqlx::query::<Db>(q::GET_TOTP)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.as_ref().map(totp_from_row).transpose()
                }

                async fn confirm_totp(
                    &self,
                    user_id: &str,
                    step: i64,
                    at: Timestamp,
                    recovery_code_hashes: &[String],
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query::<Db>(q::CONFIRM_TOTP)
                        .bind(user_id)
                        .bind(at)
                        .bind(step)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "pending second factor")?;
                    sqlx::query::<Db>(q::DELETE_RECOVERY_CODES)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    for hash in recovery_code_hashes {
                        sqlx::query::<Db>(q::INSERT_RECOVERY_CODE)
                            .bind(user_id)
                            .bind(hash)
                            .bind(at)
                            .execute(&mut *tx)
                            .await
                            .map_err(write_error("recovery code", "code", "user"))?;
                    }
                    tx.commit().await.map_err(database_error)
                }

                async fn use_totp_step(
                    &self,
                    user_id: &str,
                    step: i64,
                    at: Timestamp,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<Db>(q::USE_TOTP_STEP)
                        .bind(user_id)
                        .bind(step)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_second_factors(&self, user_id: &str) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query::<Db>(q::DELETE_TOTP)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    sqlx::query::<Db>(q::DELETE_RECOVERY_CODES)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    tx.commit().await.map_err(database_error)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn replace_recovery_codes(
                    &self,
                    user_id: &str,
                    hashes: &[String],
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query::<Db>(q::DELETE_RECOVERY_CODES)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    for hash in hashes {
                        sqlx::query::<Db>(q::INSERT_RECOVERY_CODE)
                            .bind(user_id)
                            .bind(hash)
                            .bind(at)
                            .execute(&mut *tx)
                            .await
                            .map_err(write_error("recovery code", "code", "user"))?;
                    }
                    tx.commit().await.map_err(database_error)
                }

                async fn use_recovery_code(
                    &self,
                    user_id: &str,
                    hash: &str,
                    at: Timestamp,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<Db>(q::USE_RECOVERY_CODE)
                        .bind(user_id)
                        .bind(hash)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn count_recovery_codes(&self, user_id: &str) -> StoreResult<i64> {
                    let row = sqlx::query::<Db>(q::COUNT_RECOVERY_CODES)
                        .bind(user_id)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(database_error)?;
                    first::<i64>(&row)
                }

                async fn list_all_totp_factors(&self) -> StoreResult<Vec<TotpFactor>> {
                    let found = sqlx::query::<Db>(q::LIST_ALL_TOTP)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, totp_from_row)
                }

                async fn replace_totp_secret(
                    &self,
                    user_id: &str,
                    secret: SecretValue,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REPLACE_TOTP_SECRET)
                        .bind(user_id)
                        .bind(&secret.key_id)
                        .bind(&secret.nonce)
                        .bind(&secret.ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "second factor")
                }

                async fn get_login_policy(
                    &self,
                    org_id: &str,
                ) -> StoreResult<Option<LoginPolicyRecord>> {
                    let row = sqlx::query::<Db>(q::GET_POLICY)
                        .bind(org_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.as_ref().map(policy_from_row).transpose()
                }

                async fn set_login_policy(
                    &self,
                    p: LoginPolicyRecord,
                ) -> StoreResult<LoginPolicyRecord> {
                    let row = sqlx::query::<Db>(q::SET_POLICY)
                        .bind(&p.org_id)
                        .bind(p.require_second_factor.as_str())
                        .bind(p.password_login.as_str())
                        .bind(&p.updated_by)
                        .bind(p.updated_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("login policy", "org", "organization"))?;
                    policy_from_row(&row)
                }

                async fn list_user_login_policies(
                    &self,
                    user_id: &str,
                ) -> StoreResult<Vec<LoginPolicyRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_USER_POLICIES)
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, policy_from_row)
                }
            }
        }
    };
}

pub(crate) use impl_factor_store;
