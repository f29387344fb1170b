//! Users, their browser sessions and their API tokens: who may log in, and how.
//!
//! *Invariant:* the store only ever sees password hashes, session-id hashes and token
//! hashes; the plaintexts stay with the server.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// Users, browser sessions and API tokens.
#[async_trait]
pub trait UserStore: Send + Sync {
    // ---- users ---------------------------------------------------------------------
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn get_user(&self, id: &str) -> StoreResult<User>;
    /// The user and their password hash, for logging in.
    async fn find_user_credentials(&self, username: &str) -> StoreResult<Option<UserCredentials>>;
    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<User>>;
    async fn count_users(&self) -> StoreResult<i64>;
    async fn set_password_hash(&self, user_id: &str, password_hash: &str) -> StoreResult<()>;
    /// Records a failed login: increments the counter and, once it reaches `lock_after`,
    /// sets `locked_until`. Returns the user as updated.
    async fn record_login_failure(
        &self,
        user_id: &str,
        lock_after: i64,
        locked_until: Timestamp,
    ) -> StoreResult<User>;
    /// Clears the failure counter and the lock, and stamps `last_login_at`.
    async fn record_login_success(&self, user_id: &str, at: Timestamp) -> StoreResult<()>;
    async fn set_user_disabled(&self, user_id: &str, disabled: bool) -> StoreResult<()>;

    // ---- sessions (browser) --------------------------------------------------------
    async fn create_session(&self, session: Session) -> StoreResult<()>;
    /// The session with this id hash if it has not expired at `now`.
    async fn get_session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64>;

    // ---- API tokens -------------------------------------------------------------------
    async fn create_api_token(&self, token: NewApiToken) -> StoreResult<ApiToken>;
    /// The token with this hash if it is not revoked and not expired at `now`.
    async fn find_api_token(&self, hash: &str, now: Timestamp) -> StoreResult<Option<ApiToken>>;
    async fn list_api_tokens(&self, user_id: &str) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of `user_id`'s tokens; `NotFound` if it is someone else's.
    async fn revoke_api_token(
        &self,
        user_id: &str,
        token_id: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    async fn touch_api_token(&self, token_id: &str, at: Timestamp) -> StoreResult<()>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! user_columns {
    () => {
        "id, username, display_name, is_admin, disabled, failed_logins, locked_until, \
         last_login_at, created_at"
    };
    (u) => {
        "u.id, u.username, u.display_name, u.is_admin, u.disabled, u.failed_logins, \
         u.locked_until, u.last_login_at, u.created_at"
    };
}

macro_rules! token_columns {
    () => {
        "id, user_id, name, prefix, scopes, expires_at, created_at, last_used_at, revoked_at"
    };
}

// users
pub(crate) const INSERT_USER: &str = concat!(
    "INSERT INTO users (id, username, display_name, password_hash, is_admin, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
    user_columns!()
);
pub(crate) const GET_USER: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
pub(crate) const FIND_USER_CREDENTIALS: &str = concat!(
    "SELECT ",
    user_columns!(),
    ", password_hash FROM users WHERE username = $1"
);
pub(crate) const LIST_USERS: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE id NOT IN (SELECT user_id FROM service_accounts) \
     ORDER BY username LIMIT $1 OFFSET $2"
);
pub(crate) const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";
/// People only: service accounts are listed with their organization.
pub(crate) const COUNT_LISTED_USERS: &str =
    "SELECT COUNT(*) FROM users WHERE id NOT IN (SELECT user_id FROM service_accounts)";
pub(crate) const SET_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
pub(crate) const RECORD_LOGIN_FAILURE: &str = concat!(
    "UPDATE users SET failed_logins = failed_logins + 1, \
     locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
     WHERE id = $1 RETURNING ",
    user_columns!()
);
pub(crate) const RECORD_LOGIN_SUCCESS: &str = "UPDATE users SET failed_logins = 0, \
     locked_until = NULL, last_login_at = $2 WHERE id = $1";
pub(crate) const SET_USER_DISABLED: &str = "UPDATE users SET disabled = $2 WHERE id = $1";

// sessions
pub(crate) const INSERT_SESSION: &str = "INSERT INTO sessions \
     (id_hash, user_id, csrf_token, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const GET_SESSION: &str = "SELECT id_hash, user_id, csrf_token, created_at, \
     expires_at, ip FROM sessions WHERE id_hash = $1 AND expires_at > $2";
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id_hash = $1";
pub(crate) const DELETE_USER_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
pub(crate) const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= $1";

// API tokens
pub(crate) const INSERT_API_TOKEN: &str = concat!(
    "INSERT INTO api_tokens (id, user_id, name, hash, prefix, scopes, expires_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
    token_columns!()
);
pub(crate) const FIND_API_TOKEN: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL \
     AND (expires_at IS NULL OR expires_at > $2)"
);
pub(crate) const LIST_API_TOKENS: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id"
);
pub(crate) const REVOKE_API_TOKEN: &str = "UPDATE api_tokens SET \
     revoked_at = COALESCE(revoked_at, $3) WHERE id = $2 AND user_id = $1";
pub(crate) const TOUCH_API_TOKEN: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";

pub(crate) use user_columns;

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`UserStore`] for `$store`, in the adapter's child module `users`.
/// Expanded by [`impl_store!`](crate::adapter::impl_store), which defines the `Db`, `DbRow`,
/// `col`, `rows` and `exists` this body uses.
macro_rules! impl_user_store {
    ($store:ty) => {
        pub(super) mod users {
            use super::*;
            use $crate::record::*;
            use $crate::sql::{database_error, write_error};
            use $crate::users::{self as q, UserStore};
            use $crate::{StoreError, StoreResult};

            pub(super) fn user_from_row(row: &DbRow) -> StoreResult<User> {
                Ok(User {
                    id: col(row, "id")?,
                    username: col(row, "username")?,
                    display_name: col(row, "display_name")?,
                    is_admin: col(row, "is_admin")?,
                    disabled: col(row, "disabled")?,
                    failed_logins: col(row, "failed_logins")?,
                    locked_until: col(row, "locked_until")?,
                    last_login_at: col(row, "last_login_at")?,
                    created_at: col(row, "created_at")?,
                })
            }

            pub(super) fn session_from_row(row: &DbRow) -> StoreResult<Session> {
                Ok(Session {
                    id_hash: col(row, "id_hash")?,
                    user_id: col(row, "user_id")?,
                    csrf_token: col(row, "csrf_token")?,
                    created_at: col(row, "created_at")?,
                    expires_at: col(row, "expires_at")?,
                    ip: col(row, "ip")?,
                })
            }

            pub(super) fn token_from_row(row: &DbRow) -> StoreResult<ApiToken> {
                let scopes: String = col(row, "scopes")?;
                let scopes: Vec<String> = serde_json::from_str(&scopes).map_err(|error| {
                    StoreError::Database(format!("column scopes holds invalid JSON: {error}"))
                })?;
                Ok(ApiToken {
                    id: col(row, "id")?,
                    user_id: col(row, "user_id")?,
                    name: col(row, "name")?,
                    prefix: col(row, "prefix")?,
                    scopes,
                    expires_at: col(row, "expires_at")?,
                    created_at: col(row, "created_at")?,
                    last_used_at: col(row, "last_used_at")?,
                    revoked_at: col(row, "revoked_at")?,
                })
            }

            #[async_trait::async_trait]
            impl UserStore for $store {
                async fn create_user(&self, user: NewUser) -> StoreResult<User> {
                    let row = sqlx::query::<Db>(q::INSERT_USER)
                        .bind(&user.id)
                        .bind(&user.username)
                        .bind(&user.display_name)
                        .bind(&user.password_hash)
                        .bind(user.is_admin)
                        .bind(user.created_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("user", "username", "user"))?;
                    user_from_row(&row)
                }

                async fn get_user(&self, id: &str) -> StoreResult<User> {
                    let row = sqlx::query::<Db>(q::GET_USER)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("user"))?;
                    user_from_row(&row)
                }

                async fn find_user_credentials(
                    &self,
                    username: &str,
                ) -> StoreResult<Option<UserCredentials>> {
                    let Some(row) = sqlx::query::<Db>(q::FIND_USER_CREDENTIALS)
                        .bind(username)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                    else {
                        return Ok(None);
                    };
                    Ok(Some(UserCredentials {
                        user: user_from_row(&row)?,
                        password_hash: col(&row, "password_hash")?,
                    }))
                }

                async fn list_users(&self, page: PageRequest) -> StoreResult<Page<User>> {
                    let mut conn = self.pool.acquire().await.map_err(database_error)?;
                    let total: i64 = sqlx::query_scalar::<Db, i64>(q::COUNT_LISTED_USERS)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    let items = sqlx::query::<Db>(q::LIST_USERS)
                        .bind(page.limit)
                        .bind(page.offset)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(database_error)?;
                    Ok(Page {
                        items: rows(items, user_from_row)?,
                        total,
                    })
                }

                async fn count_users(&self) -> StoreResult<i64> {
                    sqlx::query_scalar::<Db, i64>(q::COUNT_USERS)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(database_error)
                }

                async fn set_password_hash(
                    &self,
                    user_id: &str,
                    password_hash: &str,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::SET_PASSWORD_HASH)
                        .bind(user_id)
                        .bind(password_hash)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "user")
                }

                async fn record_login_failure(
                    &self,
                    user_id: &str,
                    lock_after: i64,
                    locked_until: Timestamp,
                ) -> StoreResult<User> {
                    let row = sqlx::query::<Db>(q::RECORD_LOGIN_FAILURE)
                        .bind(user_id)
                        .bind(lock_after)
                        .bind(locked_until)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("user"))?;
                    user_from_row(&row)
                }

                async fn record_login_success(
                    &self,
                    user_id: &str,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::RECORD_LOGIN_SUCCESS)
                        .bind(user_id)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "user")
                }

                async fn set_user_disabled(
                    &self,
                    user_id: &str,
                    disabled: bool,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::SET_USER_DISABLED)
                        .bind(user_id)
                        .bind(disabled)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "user")
                }

                // ---- sessions --------------------------------------------------------------

                async fn create_session(&self, session: Session) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_SESSION)
                        .bind(&session.id_hash)
                        .bind(&session.user_id)
                        .bind(&session.csrf_token)
                        .bind(session.created_at)
                        .bind(session.expires_at)
                        .bind(&session.ip)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("session", "id", "user"))?;
                    Ok(())
                }

                async fn get_session(
                    &self,
                    id_hash: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<Session>> {
                    sqlx::query::<Db>(q::GET_SESSION)
                        .bind(id_hash)
                        .bind(now)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(session_from_row)
                        .transpose()
                }

                async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
                    sqlx::query::<Db>(q::DELETE_SESSION)
                        .bind(id_hash)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(())
                }

                async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<()> {
                    sqlx::query::<Db>(q::DELETE_USER_SESSIONS)
                        .bind(user_id)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(())
                }

                async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
                    let done = sqlx::query::<Db>(q::DELETE_EXPIRED_SESSIONS)
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    Ok(done.rows_affected())
                }

                // ---- API tokens ------------------------------------------------------------

                async fn create_api_token(&self, token: NewApiToken) -> StoreResult<ApiToken> {
                    let scopes = serde_json::to_string(&token.scopes)
                        .map_err(|error| StoreError::Database(error.to_string()))?;
                    let row = sqlx::query::<Db>(q::INSERT_API_TOKEN)
                        .bind(&token.id)
                        .bind(&token.user_id)
                        .bind(&token.name)
                        .bind(&token.hash)
                        .bind(&token.prefix)
                        .bind(scopes)
                        .bind(token.expires_at)
                        .bind(token.created_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("api token", "hash", "user"))?;
                    token_from_row(&row)
                }

                async fn find_api_token(
                    &self,
                    hash: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<ApiToken>> {
                    sqlx::query::<Db>(q::FIND_API_TOKEN)
                        .bind(hash)
                        .bind(now)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .as_ref()
                        .map(token_from_row)
                        .transpose()
                }

                async fn list_api_tokens(&self, user_id: &str) -> StoreResult<Vec<ApiToken>> {
                    let found = sqlx::query::<Db>(q::LIST_API_TOKENS)
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, token_from_row)
                }

                async fn revoke_api_token(
                    &self,
                    user_id: &str,
                    token_id: &str,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REVOKE_API_TOKEN)
                        .bind(user_id)
                        .bind(token_id)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "api token")
                }

                async fn touch_api_token(&self, token_id: &str, at: Timestamp) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::TOUCH_API_TOKEN)
                        .bind(token_id)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "api token")
                }
            }
        }
    };
}

pub(crate) use impl_user_store;
