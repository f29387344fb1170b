//! A real OpenID Provider for the single sign-on tests: panva's certified `oidc-provider`
//! (npm; `scripts/ensure-oidc-provider.sh` installs it and names its `node_modules` in
//! `WINDFLOW_OIDC_PROVIDER_MODULES`), run by `crates/testkit/oidc/provider.mjs` on a loopback
//! port with its development login and consent pages. The clients and accounts live in a JSON
//! file the provider re-reads, so a test changes an account's groups between logins; the
//! provider rotates its signing key, or re-signs the next ID token with changed claims, on
//! demand.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// The provider process, its issuer URL and the configuration file it re-reads.
pub struct OidcProvider {
    child: tokio::process::Child,
    pub issuer: String,
    config: PathBuf,
    dir: PathBuf,
}

/// Where `oidc-provider` is installed: `WINDFLOW_OIDC_PROVIDER_MODULES`, else the script's
/// cache. Fails (never skips) when it is missing.
pub fn modules() -> anyhow::Result<String> {
    if let Ok(dir) = std::env::var("WINDFLOW_OIDC_PROVIDER_MODULES") {
        return Ok(dir);
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let cached = format!("{home}/.cache/windflow/oidc-provider/node_modules");
    if !Path::new(&cached).join("oidc-provider").exists() {
        bail!(
            "oidc-provider is not installed: run scripts/ensure-oidc-provider.sh (or set \
             WINDFLOW_OIDC_PROVIDER_MODULES)"
        );
    }
    Ok(cached)
}

impl OidcProvider {
    /// Starts a provider with `clients` (`[{client_id, client_secret, redirect_uris,
    /// post_logout_redirect_uris}]`) and `accounts` (`{login: {email, name, groups, …}}`).
    pub async fn start(clients: Value, accounts: Value) -> anyhow::Result<OidcProvider> {
        let dir = std::env::temp_dir().join(format!(
            "windflow-oidc-{}-{}",
            std::process::id(),
            crate::free_port()
        ));
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("config.json");
        std::fs::write(
            &config,
            json!({ "clients": clients, "accounts": accounts }).to_string(),
        )?;
        let script = crate::workspace_root().join("crates/testkit/oidc/provider.mjs");
        let mut child = tokio::process::Command::new("node")
            .arg(&script)
            .arg(&config)
            .env("WINDFLOW_OIDC_PROVIDER_MODULES", modules()?)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("running node (install Node 20)")?;
        let mut stdout =
            BufReader::new(child.stdout.take().context("the provider's stdout")?).lines();
        let line = tokio::time::timeout(Duration::from_secs(20), stdout.next_line())
            .await
            .context("the provider did not start within 20 s")??
            .context("the provider exited before printing its issuer")?;
        let issuer = line
            .strip_prefix("ISSUER ")
            .with_context(|| format!("unexpected first line {line:?}"))?
            .trim()
            .to_string();
        // Keep reading: a closed pipe would end the provider at its next notice.
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        Ok(OidcProvider {
            child,
            issuer,
            config,
            dir,
        })
    }

    /// Changes one account's groups; the provider reads them at the next login.
    pub fn set_groups(&self, login: &str, groups: &[&str]) {
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(&self.config).unwrap()).unwrap();
        config["accounts"][login]["groups"] = json!(groups);
        std::fs::write(&self.config, config.to_string()).unwrap();
    }

    /// A new signing key replaces the old one, which leaves the JWKS.
    pub async fn rotate_keys(&self) -> anyhow::Result<()> {
        self.post("/_test/rotate", "").await
    }

    /// The next ID token is re-signed with the provider's key after `change`
    /// (`{"aud": …}`, `{"exp_offset_s": -600}`, `{"iss": …}`).
    pub async fn tamper(&self, change: Value) -> anyhow::Result<()> {
        self.post("/_test/tamper", &change.to_string()).await
    }

    async fn post(&self, path: &str, body: &str) -> anyhow::Result<()> {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.issuer))
            .body(body.to_string())
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("{path}: {}", r.status());
        }
        Ok(())
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
