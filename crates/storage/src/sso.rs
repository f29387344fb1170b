//! Single sign-on: OpenID Connect providers (server-wide, the client secret sealed), the
//! identities (provider, subject) linked to users, the memberships a provider's group
//! mapping granted, logins under way (single-use states), the browser sessions opened through a
//! provider, and the one-time codes a CLI exchanges for a token.

use async_trait::async_trait;

use crate::StoreResult;
use crate::record::*;

/// OpenID Connect providers, identities, mapped memberships, pending logins and CLI codes.
#[async_trait]
pub trait SsoStore: Send + Sync {
    async fn create_sso_provider(
        &self,
        provider: SsoProviderRecord,
    ) -> StoreResult<SsoProviderRecord>;
    /// Replaces everything but the id, slug and creation time. A `secret` of `None` keeps
    /// the sealed secret already stored (it is write-only).
    async fn update_sso_provider(
        &self,
        provider: SsoProviderRecord,
    ) -> StoreResult<SsoProviderRecord>;
    async fn get_sso_provider(&self, slug: &str) -> StoreResult<Option<SsoProviderRecord>>;
    async fn list_sso_providers(&self) -> StoreResult<Vec<SsoProviderRecord>>;
    /// Deletes the provider with its identities, grants (the memberships stay), pending
    /// logins and codes.
    async fn delete_sso_provider(&self, slug: &str) -> StoreResult<()>;
    async fn replace_sso_provider_secret(&self, id: &str, secret: SecretValue) -> StoreResult<()>;

    async fn find_sso_identity(
        &self,
        provider_id: &str,
        subject: &str,
    ) -> StoreResult<Option<SsoIdentity>>;
    /// Links (or refreshes: email, last login) an identity to its user.
    async fn link_sso_identity(&self, identity: SsoIdentity) -> StoreResult<()>;

    /// Makes the memberships `provider_id`'s mapping granted `user_id` be `desired`, in one
    /// transaction: an organization without a membership gets one (recorded as granted); a
    /// membership the mapping granted takes the new role; a membership granted by hand is
    /// never changed or removed; a grant no longer desired is removed with its membership
    /// (unless its role was changed by hand since: then only the grant record goes).
    async fn sync_sso_grants(
        &self,
        user_id: &str,
        provider_id: &str,
        desired: &[(String, Role)],
        now: Timestamp,
    ) -> StoreResult<SsoGrantChanges>;
    /// The memberships mapped for a user (by any provider), by organization id.
    async fn list_sso_grants(&self, user_id: &str) -> StoreResult<Vec<(String, Role)>>;

    async fn create_sso_login(&self, login: SsoLogin) -> StoreResult<()>;
    /// Takes (deletes and returns) a pending login unless it expired; a second take of the
    /// same state finds nothing. Expired logins are swept on the way.
    async fn take_sso_login(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SsoLogin>>;

    /// Records that a browser session was opened through a provider.
    async fn record_sso_session(
        &self,
        session_hash: &str,
        provider_id: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// The provider a browser session was opened through, if any.
    async fn find_sso_session(&self, session_hash: &str) -> StoreResult<Option<SsoProviderRecord>>;

    async fn create_sso_cli_code(&self, code: SsoCliCode) -> StoreResult<()>;
    /// Takes a CLI code once, unless it expired.
    async fn take_sso_cli_code(
        &self,
        code_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SsoCliCode>>;
}

// ---- SQL --------------------------------------------------------------------------------

macro_rules! provider_columns {
    () => {
        "id, slug, display_name, issuer_url, client_id, secret_key_id, secret_nonce, \
         secret_ciphertext, scopes, allowed_domains, auto_provision, claims, group_mappings, \
         created_at, updated_by, updated_at"
    };
}

pub(crate) const INSERT_PROVIDER: &str = concat!(
    "INSERT INTO sso_providers (",
    provider_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
     RETURNING ",
    provider_columns!()
);
pub(crate) const UPDATE_PROVIDER: &str = concat!(
    "UPDATE sso_providers SET display_name = $2, issuer_url = $3, client_id = $4, \
     secret_key_id = COALESCE($5, secret_key_id), secret_nonce = COALESCE($6, secret_nonce), \
     secret_ciphertext = COALESCE($7, secret_ciphertext), scopes = $8, allowed_domains = $9, \
     auto_provision = $10, claims = $11, group_mappings = $12, updated_by = $13, \
     updated_at = $14 WHERE id = $1 RETURNING ",
    provider_columns!()
);
pub(crate) const GET_PROVIDER: &str = concat!(
    "SELECT ",
    provider_columns!(),
    " FROM sso_providers WHERE slug = $1"
);
pub(crate) const LIST_PROVIDERS: &str = concat!(
    "SELECT ",
    provider_columns!(),
    " FROM sso_providers ORDER BY slug"
);
pub(crate) const DELETE_PROVIDER: &str = "DELETE FROM sso_providers WHERE slug = $1";
pub(crate) const REPLACE_PROVIDER_SECRET: &str = "UPDATE sso_providers SET secret_key_id = $2, \
     secret_nonce = $3, secret_ciphertext = $4 WHERE id = $1";
pub(crate) const FIND_IDENTITY: &str = "SELECT provider_id, subject, user_id, email, created_at, \
     last_login_at FROM sso_identities WHERE provider_id = $1 AND subject = $2";
pub(crate) const LINK_IDENTITY: &str = "INSERT INTO sso_identities (provider_id, subject, \
     user_id, email, created_at, last_login_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (provider_id, subject) DO UPDATE SET email = excluded.email, \
     last_login_at = excluded.last_login_at";
pub(crate) const LIST_PROVIDER_GRANTS: &str =
    "SELECT org_id, role FROM sso_grants WHERE user_id = $1 AND provider_id = $2";
pub(crate) const LIST_USER_GRANTS: &str =
    "SELECT org_id, role FROM sso_grants WHERE user_id = $1 ORDER BY org_id";
pub(crate) const GET_GRANT: &str =
    "SELECT provider_id, role FROM sso_grants WHERE user_id = $1 AND org_id = $2";
pub(crate) const UPSERT_GRANT: &str = "INSERT INTO sso_grants (user_id, org_id, provider_id, \
     role, granted_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, org_id) DO UPDATE \
     SET provider_id = excluded.provider_id, role = excluded.role, \
     granted_at = excluded.granted_at";
pub(crate) const DELETE_GRANT: &str = "DELETE FROM sso_grants WHERE user_id = $1 AND org_id = $2";
pub(crate) const GET_MEMBER_ROLE: &str =
    "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2";
pub(crate) const SET_MEMBER: &str = "INSERT INTO memberships (org_id, user_id, role) \
     VALUES ($1, $2, $3) ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role";
pub(crate) const REMOVE_MEMBER: &str = "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2";
pub(crate) const INSERT_LOGIN: &str = "INSERT INTO sso_logins (state_hash, provider_id, nonce, \
     pkce_verifier, return_to, cli_redirect, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub(crate) const TAKE_LOGIN: &str = "DELETE FROM sso_logins WHERE state_hash = $1 RETURNING \
     state_hash, provider_id, nonce, pkce_verifier, return_to, cli_redirect, created_at, \
     expires_at";
pub(crate) const SWEEP_LOGINS: &str = "DELETE FROM sso_logins WHERE expires_at <= $1";
pub(crate) const INSERT_SESSION: &str = "INSERT INTO sso_sessions (session_hash, provider_id, \
     created_at) VALUES ($1, $2, $3)";
pub(crate) const FIND_SESSION: &str = concat!(
    "SELECT ",
    provider_columns!(),
    " FROM sso_providers WHERE id = (SELECT provider_id FROM sso_sessions WHERE session_hash = $1)"
);
pub(crate) const INSERT_CLI_CODE: &str = "INSERT INTO sso_cli_codes (code_hash, user_id, \
     provider_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const TAKE_CLI_CODE: &str = "DELETE FROM sso_cli_codes WHERE code_hash = $1 \
     RETURNING code_hash, user_id, provider_id, created_at, expires_at";
pub(crate) const SWEEP_CLI_CODES: &str = "DELETE FROM sso_cli_codes WHERE expires_at <= $1";

// ---- the implementation, expanded once per backend --------------------------------------

/// Implements [`SsoStore`] for `$store`, in the adapter's child module `sso`. Expanded by
/// [`impl_store!`](crate::adapter::impl_store).
macro_rules! impl_sso_store {
    ($store:ty) => {
        pub(super) mod sso {
            use super::*;
            use $crate::record::*;
            use $crate::sql::{self, database_error, write_error};
            use $crate::sso::{self as q, SsoStore};
            use $crate::{StoreError, StoreResult};

            fn strings(row: &DbRow, column: &str) -> StoreResult<Vec<String>> {
                let text: String = col(row, column)?;
                serde_json::from_str(&text).map_err(|error| {
                    StoreError::Database(format!("column {column} holds invalid JSON: {error}"))
                })
            }

            fn role(text: &str) -> StoreResult<Role> {
                Role::parse(text).ok_or_else(|| sql::unknown_value("role", text))
            }

            fn provider_from_row(row: &DbRow) -> StoreResult<SsoProviderRecord> {
                let ciphertext: Option<Vec<u8>> = col(row, "secret_ciphertext")?;
                let secret = match ciphertext {
                    Some(ciphertext) => Some(SecretValue {
                        key_id: col::<Option<String>>(row, "secret_key_id")?.unwrap_or_default(),
                        nonce: col::<Option<Vec<u8>>>(row, "secret_nonce")?.unwrap_or_default(),
                        ciphertext,
                    }),
                    None => None,
                };
                let claims: String = col(row, "claims")?;
                let mappings: String = col(row, "group_mappings")?;
                Ok(SsoProviderRecord {
                    id: col(row, "id")?,
                    slug: col(row, "slug")?,
                    display_name: col(row, "display_name")?,
                    issuer_url: col(row, "issuer_url")?,
                    client_id: col(row, "client_id")?,
                    secret,
                    scopes: strings(row, "scopes")?,
                    allowed_domains: strings(row, "allowed_domains")?,
                    auto_provision: col(row, "auto_provision")?,
                    claims: sql::parse_json(&claims, "claims")?,
                    group_mappings: sql::parse_json(&mappings, "group_mappings")?,
                    created_at: col(row, "created_at")?,
                    updated_by: col(row, "updated_by")?,
                    updated_at: col(row, "updated_at")?,
                })
            }

            fn identity_from_row(row: &DbRow) -> StoreResult<SsoIdentity> {
                Ok(SsoIdentity {
                    provider_id: col(row, "provider_id")?,
                    subject: col(row, "subject")?,
                    user_id: col(row, "user_id")?,
                    email: col(row, "email")?,
                    created_at: col(row, "created_at")?,
                    last_login_at: col(row, "last_login_at")?,
                })
            }

            fn login_from_row(row: &DbRow) -> StoreResult<SsoLogin> {
                Ok(SsoLogin {
                    state_hash: col(row, "state_hash")?,
                    provider_id: col(row, "provider_id")?,
                    nonce: col(row, "nonce")?,
                    pkce_verifier: col(row, "pkce_verifier")?,
                    return_to: col(row, "return_to")?,
                    cli_redirect: col(row, "cli_redirect")?,
                    created_at: col(row, "created_at")?,
                    expires_at: col(row, "expires_at")?,
                })
            }

            fn cli_code_from_row(row: &DbRow) -> StoreResult<SsoCliCode> {
                Ok(SsoCliCode {
                    code_hash: col(row, "code_hash")?,
                    user_id: col(row, "user_id")?,
                    provider_id: col(row, "provider_id")?,
                    created_at: col(row, "created_at")?,
                    expires_at: col(row, "expires_at")?,
                })
            }

            fn json_list(values: &[String]) -> String {
                serde_json::Value::from(values.to_vec()).to_string()
            }

            #[async_trait::async_trait]
            impl SsoStore for $store {
                async fn create_sso_provider(
                    &self,
                    p: SsoProviderRecord,
                ) -> StoreResult<SsoProviderRecord> {
                    let secret = p.secret.as_ref();
                    let row = sqlx::query::<Db>(q::INSERT_PROVIDER)
                        .bind(&p.id)
                        .bind(&p.slug)
                        .bind(&p.display_name)
                        .bind(&p.issuer_url)
                        .bind(&p.client_id)
                        .bind(secret.map(|s| s.key_id.clone()))
                        .bind(secret.map(|s| s.nonce.clone()))
                        .bind(secret.map(|s| s.ciphertext.clone()))
                        .bind(json_list(&p.scopes))
                        .bind(json_list(&p.allowed_domains))
                        .bind(p.auto_provision)
                        .bind(sql::json_text(&p.claims))
                        .bind(sql::json_text(&p.group_mappings))
                        .bind(p.created_at)
                        .bind(&p.updated_by)
                        .bind(p.updated_at)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(write_error("SSO provider", "slug", "SSO provider"))?;
                    provider_from_row(&row)
                }

                async fn update_sso_provider(
                    &self,
                    p: SsoProviderRecord,
                ) -> StoreResult<SsoProviderRecord> {
                    let secret = p.secret.as_ref();
                    let row = sqlx::query::<Db>(q::UPDATE_PROVIDER)
                        .bind(&p.id)
                        .bind(&p.display_name)
                        .bind(&p.issuer_url)
                        .bind(&p.client_id)
                        .bind(secret.map(|s| s.key_id.clone()))
                        .bind(secret.map(|s| s.nonce.clone()))
                        .bind(secret.map(|s| s.ciphertext.clone()))
                        .bind(json_list(&p.scopes))
                        .bind(json_list(&p.allowed_domains))
                        .bind(p.auto_provision)
                        .bind(sql::json_text(&p.claims))
                        .bind(sql::json_text(&p.group_mappings))
                        .bind(&p.updated_by)
                        .bind(p.updated_at)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .ok_or(StoreError::NotFound("SSO provider"))?;
                    provider_from_row(&row)
                }

                async fn get_sso_provider(
                    &self,
                    slug: &str,
                ) -> StoreResult<Option<SsoProviderRecord>> {
                    let row = sqlx::query::<Db>(q::GET_PROVIDER)
                        .bind(slug)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.as_ref().map(provider_from_row).transpose()
                }

                async fn list_sso_providers(&self) -> StoreResult<Vec<SsoProviderRecord>> {
                    let found = sqlx::query::<Db>(q::LIST_PROVIDERS)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    rows(found, provider_from_row)
                }

                async fn delete_sso_provider(&self, slug: &str) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::DELETE_PROVIDER)
                        .bind(slug)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "SSO provider")
                }

                async fn replace_sso_provider_secret(
                    &self,
                    id: &str,
                    secret: SecretValue,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<Db>(q::REPLACE_PROVIDER_SECRET)
                        .bind(id)
                        .bind(&secret.key_id)
                        .bind(&secret.nonce)
                        .bind(&secret.ciphertext)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    not_found_unless(done.rows_affected(), "SSO provider")
                }

                async fn find_sso_identity(
                    &self,
                    provider_id: &str,
                    subject: &str,
                ) -> StoreResult<Option<SsoIdentity>> {
                    let row = sqlx::query::<Db>(q::FIND_IDENTITY)
                        .bind(provider_id)
                        .bind(subject)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.as_ref().map(identity_from_row).transpose()
                }

                async fn link_sso_identity(&self, i: SsoIdentity) -> StoreResult<()> {
                    sqlx::query::<Db>(q::LINK_IDENTITY)
                        .bind(&i.provider_id)
                        .bind(&i.subject)
                        .bind(&i.user_id)
                        .bind(&i.email)
                        .bind(i.created_at)
                        .bind(i.last_login_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("SSO identity", "subject", "user or provider"))?;
                    Ok(())
                }

                async fn sync_sso_grants(
                    &self,
                    user_id: &str,
                    provider_id: &str,
                    desired: &[(String, Role)],
                    now: Timestamp,
                ) -> StoreResult<SsoGrantChanges> {
                    let mut changes = SsoGrantChanges::default();
                    let mut tx = self.begin_write().await?;
                    for (org_id, wanted) in desired {
                        let member: Option<String> =
                            sqlx::query_scalar::<Db, String>(q::GET_MEMBER_ROLE)
                                .bind(org_id)
                                .bind(user_id)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(database_error)?;
                        let grant = sqlx::query::<Db>(q::GET_GRANT)
                            .bind(user_id)
                            .bind(org_id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(database_error)?;
                        let granted = match &grant {
                            Some(row) => Some((
                                col::<String>(row, "provider_id")?,
                                role(&col::<String>(row, "role")?)?,
                            )),
                            None => None,
                        };
                        let current = member.as_deref().map(role).transpose()?;
                        let ours = match (&current, &granted) {
                            (None, _) => true,
                            // Granted by a mapping and untouched since: the mapping owns it.
                            (Some(current), Some((_, given))) => current == given,
                            (Some(_), None) => false,
                        };
                        if !ours {
                            continue;
                        }
                        if current != Some(*wanted) {
                            sqlx::query::<Db>(q::SET_MEMBER)
                                .bind(org_id)
                                .bind(user_id)
                                .bind(wanted.as_str())
                                .execute(&mut *tx)
                                .await
                                .map_err(write_error("membership", "user", "organization"))?;
                            if current.is_none() {
                                changes.added.push((org_id.clone(), *wanted));
                            } else {
                                changes.changed.push((org_id.clone(), *wanted));
                            }
                        }
                        sqlx::query::<Db>(q::UPSERT_GRANT)
                            .bind(user_id)
                            .bind(org_id)
                            .bind(provider_id)
                            .bind(wanted.as_str())
                            .bind(now)
                            .execute(&mut *tx)
                            .await
                            .map_err(write_error("SSO grant", "org", "organization"))?;
                    }
                    let previous = sqlx::query::<Db>(q::LIST_PROVIDER_GRANTS)
                        .bind(user_id)
                        .bind(provider_id)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(database_error)?;
                    for row in previous {
                        let org_id: String = col(&row, "org_id")?;
                        if desired.iter().any(|(o, _)| *o == org_id) {
                            continue;
                        }
                        let given = role(&col::<String>(&row, "role")?)?;
                        let member: Option<String> =
                            sqlx::query_scalar::<Db, String>(q::GET_MEMBER_ROLE)
                                .bind(&org_id)
                                .bind(user_id)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(database_error)?;
                        if member.as_deref().map(role).transpose()? == Some(given) {
                            sqlx::query::<Db>(q::REMOVE_MEMBER)
                                .bind(&org_id)
                                .bind(user_id)
                                .execute(&mut *tx)
                                .await
                                .map_err(database_error)?;
                            changes.removed.push((org_id.clone(), given));
                        }
                        sqlx::query::<Db>(q::DELETE_GRANT)
                            .bind(user_id)
                            .bind(&org_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(database_error)?;
                    }
                    tx.commit().await.map_err(database_error)?;
                    Ok(changes)
                }

                async fn list_sso_grants(&self, user_id: &str) -> StoreResult<Vec<(String, Role)>> {
                    let found = sqlx::query::<Db>(q::LIST_USER_GRANTS)
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(database_error)?;
                    found
                        .iter()
                        .map(|row| Ok((col(row, "org_id")?, role(&col::<String>(row, "role")?)?)))
                        .collect()
                }

                async fn create_sso_login(&self, l: SsoLogin) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_LOGIN)
                        .bind(&l.state_hash)
                        .bind(&l.provider_id)
                        .bind(&l.nonce)
                        .bind(&l.pkce_verifier)
                        .bind(&l.return_to)
                        .bind(&l.cli_redirect)
                        .bind(l.created_at)
                        .bind(l.expires_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("SSO login", "state", "SSO provider"))?;
                    Ok(())
                }

                async fn take_sso_login(
                    &self,
                    state_hash: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<SsoLogin>> {
                    sqlx::query::<Db>(q::SWEEP_LOGINS)
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    let row = sqlx::query::<Db>(q::TAKE_LOGIN)
                        .bind(state_hash)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    let login = row.as_ref().map(login_from_row).transpose()?;
                    Ok(login.filter(|l| l.expires_at > now))
                }

                async fn record_sso_session(
                    &self,
                    session_hash: &str,
                    provider_id: &str,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_SESSION)
                        .bind(session_hash)
                        .bind(provider_id)
                        .bind(at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("SSO session", "session", "session or provider"))?;
                    Ok(())
                }

                async fn find_sso_session(
                    &self,
                    session_hash: &str,
                ) -> StoreResult<Option<SsoProviderRecord>> {
                    let row = sqlx::query::<Db>(q::FIND_SESSION)
                        .bind(session_hash)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    row.as_ref().map(provider_from_row).transpose()
                }

                async fn create_sso_cli_code(&self, c: SsoCliCode) -> StoreResult<()> {
                    sqlx::query::<Db>(q::INSERT_CLI_CODE)
                        .bind(&c.code_hash)
                        .bind(&c.user_id)
                        .bind(&c.provider_id)
                        .bind(c.created_at)
                        .bind(c.expires_at)
                        .execute(&self.pool)
                        .await
                        .map_err(write_error("SSO code", "code", "user or provider"))?;
                    Ok(())
                }

                async fn take_sso_cli_code(
                    &self,
                    code_hash: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<SsoCliCode>> {
                    sqlx::query::<Db>(q::SWEEP_CLI_CODES)
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err(database_error)?;
                    let row = sqlx::query::<Db>(q::TAKE_CLI_CODE)
                        .bind(code_hash)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?;
                    let code = row.as_ref().map(cli_code_from_row).transpose()?;
                    Ok(code.filter(|c| c.expires_at > now))
                }
            }
        }
    };
}

pub(crate) use impl_sso_store;
