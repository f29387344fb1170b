//! `windflow admin …`: recovery operations run on the server's host against its database
//! and keyring directly (the server may be stopped): password reset, key rotation, and the
//! server's own backup and restore (`backup`, sealed with a passphrase by `sealed`).

pub mod backup;
mod sealed;

use anyhow::{Context, bail};

use crate::bootstrap::ADMIN_USERNAME;
use crate::config::ServeConfig;
use crate::password;
use crate::secrets::Keyring;

/// Sets a new password for `username` (default: the first administrator), clears its lockout
/// and ends its sessions. Returns the password: `WINDFLOW_ADMIN_PASSWORD` when set, else a
/// generated one.
pub async fn reset_password(
    config: &ServeConfig,
    username: Option<&str>,
) -> anyhow::Result<String> {
    let store = crate::open_store(config).await?;
    let username = username.unwrap_or(ADMIN_USERNAME);
    let Some(credentials) = store.find_user_credentials(username).await? else {
        bail!("no user named {username:?} in this server's database");
    };
    let new_password = match std::env::var("WINDFLOW_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => {
            password::check_password_rules(&p)
                .map_err(|m| anyhow::anyhow!("WINDFLOW_ADMIN_PASSWORD {m}"))?;
            p
        }
        _ => password::generate_password(),
    };
    let hash = password::hash_password(new_password.clone()).await?;
    let user = credentials.user;
    store.set_password_hash(&user.id, &hash).await?;
    store
        .record_login_success(&user.id, user.last_login_at.unwrap_or(0))
        .await?;
    store.set_user_disabled(&user.id, false).await?;
    store.delete_user_sessions(&user.id).await?;
    store
        .append_audit(windflow_storage::NewAuditEntry {
            id: crate::state::new_id(),
            org_id: None,
            actor_id: None,
            actor: "windflow admin".into(),
            action: "user.password_reset".into(),
            resource: format!("user/{username}"),
            detail: serde_json::json!({}),
            ip: None,
            at: crate::state::now_ms(),
        })
        .await?;
    Ok(new_password)
}

/// Re-encrypts every secret, every target's private keys, certificate keys, ACME accounts and
/// DNS provider credentials, AI keys, backup repositories' passwords and credentials, users'
/// TOTP secrets, SSO providers' client secrets, notification channels' credentials and
/// workflows' webhook keys under a new key and drops the old ones.
/// Returns how many records were re-encrypted.
pub async fn rotate_secret_key(config: &ServeConfig) -> anyhow::Result<usize> {
    let store = crate::open_store(config).await?;
    let mut keyring =
        Keyring::load_or_create(&config.secret_key_file).context("loading the secrets keyring")?;
    keyring.add_key()?;
    let secrets = keyring.reencrypt_secrets(store.as_ref()).await?;
    let targets = crate::services::targets::config::reseal_all(store.as_ref(), &keyring).await?;
    let certificates = crate::services::certificates::reseal_all(store.as_ref(), &keyring).await?;
    let dns_providers = crate::services::dns::reseal_all(store.as_ref(), &keyring).await?;
    let ai_providers = crate::services::ai::reseal_all(store.as_ref(), &keyring).await?;
    let backup_repositories =
        crate::services::backups::reseal_all(store.as_ref(), &keyring).await?;
    let second_factors = crate::services::factors::reseal_all(store.as_ref(), &keyring).await?;
    let sso_providers = crate::services::sso::reseal_all(store.as_ref(), &keyring).await?;
    let channels = crate::services::notifications::reseal_all(store.as_ref(), &keyring).await?;
    let webhooks = crate::services::workflows::reseal_all(store.as_ref(), &keyring).await?;
    keyring.drop_old_keys()?;
    Ok(secrets
        + targets
        + certificates
        + dns_providers
        + ai_providers
        + backup_repositories
        + second_factors
        + sso_providers
        + channels
        + webhooks)
}
