//! The connection material a target keeps, typed: [`TargetConfig`], stored as the
//! target's `config` JSON:
//!
//! ```json
//! { "tls": { "ca": "<PEM>", "cert": "<PEM>", "key": <sealed> },
//!   "ssh": { "private_key": <sealed>, "host_key": "ssh-ed25519 AAAA…" },
//!   "kubernetes": { "kubeconfig": <sealed>, "context": "…", "storage_class": "…" },
//!   "engine": { "id": "<engine ID>", "since": 1700000000000 },
//!   "shared": true }
//! ```
//!
//! Private keys (and a cluster's whole kubeconfig, which holds its credentials) are sealed by the server keyring (`{key_id, nonce, ciphertext}`, base64)
//! with the target id and the field as associated data, so a sealed key copied onto another
//! target does not decrypt. They are never returned by the API.

use std::time::Duration;

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use windflow_engine::connect::known_hosts;
use windflow_engine::connect::ssh::{self, SshEndpoint};
use windflow_engine::connect::{
    ConnectOptions, HostKeyPolicy, SshIdentity, SshOptions, TlsMaterial,
};
use windflow_engine::docker::DockerDriver;
use windflow_protocol::{TargetKubernetesRequest, TargetSshRequest, TargetTlsRequest};
use windflow_storage::{SecretValue, Store, Target, TargetKind, Timestamp};

use crate::error::{ApiError, ApiResult};
use crate::secrets::Keyring;

/// What a target keeps besides its endpoint. Which sections apply depends on its kind:
/// `tls` for `docker` and `swarm` targets at `tcp://`, `ssh` for those reached over SSH
/// ([`reached_over_ssh`]); `engine` and `shared` for every kind (`tenancy`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<SshConfig>,
    /// A `kubernetes` target's cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesConfig>,
    /// The engine the target reached when last checked (one engine, one organization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineClaim>,
    /// A server administrator shared the engine with the target's organization.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
}

/// A TLS endpoint's CA, and the client certificate and sealed key when it asks for one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsConfig {
    pub ca: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SealedKey>,
}

/// An SSH endpoint's sealed private key and its pinned host key (`ssh-ed25519 AAAA…`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SshConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<SealedKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
}

/// A `kubernetes` target's sealed kubeconfig and where its stacks go.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KubernetesConfig {
    pub kubeconfig: Option<SealedKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_issuer: Option<String>,
}

impl KubernetesConfig {
    /// The kubeconfig's text.
    pub fn kubeconfig(&self, keyring: &Keyring, target_id: &str) -> anyhow::Result<String> {
        self.kubeconfig
            .as_ref()
            .context("no kubeconfig is stored for this target")?
            .unseal(keyring, target_id, "kubernetes.kubeconfig")
    }
}

/// A private key sealed by the keyring, fields base64.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedKey {
    key_id: String,
    nonce: String,
    ciphertext: String,
}

impl std::fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedKey({})", self.key_id)
    }
}

/// The engine ID a target reaches and since when (ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineClaim {
    pub id: String,
    #[serde(default)]
    pub since: Timestamp,
}

impl TargetConfig {
    /// The target's config. A config that does not read (written by hand into the
    /// database) reads as empty: the target then connects without material and says why.
    pub fn of(target: &Target) -> Self {
        Self::deserialize(&target.config).unwrap_or_else(|e| {
            tracing::warn!(error = %e, target = %target.name, "a target's stored config does not read");
            Self::default()
        })
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a target config serializes")
    }

    /// The config of a new target from the request's TLS/SSH material, private keys sealed.
    /// A host key given as a fingerprint is returned separately: it is checked against the
    /// key the host offers once the target exists.
    pub fn new(
        keyring: &Keyring,
        target_id: &str,
        kind: TargetKind,
        endpoint: &str,
        tls: Option<&TargetTlsRequest>,
        ssh: Option<&TargetSshRequest>,
        kubernetes: Option<&TargetKubernetesRequest>,
    ) -> ApiResult<(Self, Option<String>)> {
        let mut config = Self::default();
        let mut fingerprint = None;
        match (kind, kubernetes) {
            (TargetKind::Kubernetes, Some(k)) => {
                if !k.kubeconfig.contains("clusters") {
                    return Err(ApiError::invalid(
                        "kubernetes.kubeconfig",
                        "expected a kubeconfig's YAML text (apiVersion: v1, kind: Config, clusters, users, contexts)",
                    ));
                }
                config.kubernetes = Some(KubernetesConfig {
                    kubeconfig: Some(SealedKey::seal(
                        keyring,
                        target_id,
                        "kubernetes.kubeconfig",
                        &k.kubeconfig,
                    )),
                    context: k.context.clone(),
                    storage_class: k.storage_class.clone(),
                    ingress_class: k.ingress_class.clone(),
                    cluster_issuer: k.cluster_issuer.clone(),
                });
            }
            (TargetKind::Kubernetes, None) => {
                return Err(ApiError::invalid(
                    "kubernetes",
                    "a kubernetes target needs its cluster's kubeconfig (kubernetes.kubeconfig)",
                ));
            }
            (_, Some(_)) => {
                return Err(ApiError::invalid(
                    "kubernetes",
                    "a kubeconfig applies to kubernetes targets",
                ));
            }
            (_, None) => {}
        }
        if let Some(tls) = tls {
            if !matches!(kind, TargetKind::Docker | TargetKind::Swarm)
                || !endpoint.starts_with("tcp://")
            {
                return Err(ApiError::invalid(
                    "tls",
                    "TLS material applies to docker and swarm targets at tcp://host:port",
                ));
            }
            check_pem("tls.ca", &tls.ca, "CERTIFICATE")?;
            let mut stored = TlsConfig {
                ca: tls.ca.clone(),
                ..TlsConfig::default()
            };
            match (&tls.cert, &tls.key) {
                (Some(cert), Some(key)) => {
                    check_pem("tls.cert", cert, "CERTIFICATE")?;
                    check_pem("tls.key", key, "PRIVATE KEY")?;
                    stored.cert = Some(cert.clone());
                    stored.key = Some(SealedKey::seal(keyring, target_id, "tls.key", key));
                }
                (None, None) => {}
                (Some(_), None) => {
                    return Err(ApiError::invalid(
                        "tls.key",
                        "a client certificate needs its key",
                    ));
                }
                (None, Some(_)) => {
                    return Err(ApiError::invalid(
                        "tls.cert",
                        "a client key needs its certificate",
                    ));
                }
            }
            config.tls = Some(stored);
        }
        if let Some(ssh) = ssh {
            if !reached_over_ssh(kind, endpoint) {
                return Err(ApiError::invalid(
                    "ssh",
                    "SSH material applies to ssh targets and swarm targets at ssh://user@host",
                ));
            }
            let mut stored = SshConfig::default();
            if let Some(key) = &ssh.private_key {
                check_pem("ssh.private_key", key, "PRIVATE KEY")?;
                stored.private_key =
                    Some(SealedKey::seal(keyring, target_id, "ssh.private_key", key));
            }
            match ssh.host_key.as_deref().map(str::trim) {
                Some(fp) if fp.starts_with("SHA256:") => fingerprint = Some(fp.to_string()),
                Some(line) if !line.is_empty() => {
                    let key = known_hosts::parse_public_key(line)
                        .map_err(|e| ApiError::invalid("ssh.host_key", e))?;
                    stored.host_key = Some(key_text(known_hosts::entry_line("h", 22, &key)));
                }
                _ => {}
            }
            config.ssh = Some(stored);
        }
        Ok((config, fingerprint))
    }

    /// The pinned host key line, when one is pinned.
    pub fn host_key(&self) -> Option<&str> {
        self.ssh
            .as_ref()
            .and_then(|ssh| ssh.host_key.as_deref())
            .filter(|key| !key.is_empty())
    }

    /// Whether a client key (TLS or SSH) is stored.
    pub fn has_client_key(&self) -> bool {
        self.ssh.as_ref().is_some_and(|s| s.private_key.is_some())
            || self.tls.as_ref().is_some_and(|t| t.key.is_some())
            || self
                .kubernetes
                .as_ref()
                .is_some_and(|k| k.kubeconfig.is_some())
    }

    /// The fingerprint of the pinned host key, for the wire.
    pub fn host_key_fingerprint(&self) -> Option<String> {
        self.host_key()
            .and_then(|line| known_hosts::openssh_fingerprint(line).ok())
    }

    /// This config with its sealed keys sealed again under the keyring's current key (after
    /// a rotation added it); `None` when it holds no sealed key.
    pub fn resealed(&self, keyring: &Keyring, target_id: &str) -> anyhow::Result<Option<Self>> {
        let mut config = self.clone();
        let mut changed = false;
        if let Some(key) = config.tls.as_mut().and_then(|t| t.key.as_mut()) {
            *key = key.resealed(keyring, target_id, "tls.key")?;
            changed = true;
        }
        if let Some(key) = config.ssh.as_mut().and_then(|s| s.private_key.as_mut()) {
            *key = key.resealed(keyring, target_id, "ssh.private_key")?;
            changed = true;
        }
        if let Some(key) = config
            .kubernetes
            .as_mut()
            .and_then(|k| k.kubeconfig.as_mut())
        {
            *key = key.resealed(keyring, target_id, "kubernetes.kubeconfig")?;
            changed = true;
        }
        Ok(changed.then_some(config))
    }
}

fn aad(target_id: &str, field: &str) -> Vec<u8> {
    format!("windflow-target\0{target_id}\0{field}").into_bytes()
}

impl SealedKey {
    fn seal(keyring: &Keyring, target_id: &str, field: &str, plaintext: &str) -> Self {
        let sealed = keyring.encrypt(&aad(target_id, field), plaintext.as_bytes());
        Self {
            key_id: sealed.key_id,
            nonce: STANDARD.encode(&sealed.nonce),
            ciphertext: STANDARD.encode(&sealed.ciphertext),
        }
    }

    fn unseal(&self, keyring: &Keyring, target_id: &str, field: &str) -> anyhow::Result<String> {
        let sealed = SecretValue {
            key_id: self.key_id.clone(),
            nonce: STANDARD
                .decode(&self.nonce)
                .with_context(|| format!("the stored {field} is corrupt (nonce)"))?,
            ciphertext: STANDARD
                .decode(&self.ciphertext)
                .with_context(|| format!("the stored {field} is corrupt (ciphertext)"))?,
        };
        let bytes = keyring
            .decrypt(&aad(target_id, field), &sealed)
            .with_context(|| format!("the stored {field}"))?;
        String::from_utf8(bytes).context("a stored key is not UTF-8")
    }

    fn resealed(&self, keyring: &Keyring, target_id: &str, field: &str) -> anyhow::Result<Self> {
        let plaintext = self.unseal(keyring, target_id, field)?;
        Ok(Self::seal(keyring, target_id, field, &plaintext))
    }
}

/// Seals every target's private keys again under the keyring's current key; returns how
/// many targets changed. Part of a key rotation (`admin::rotate_secret_key`).
pub async fn reseal_all(store: &dyn Store, keyring: &Keyring) -> anyhow::Result<usize> {
    let mut resealed = 0;
    for target in store.list_all_targets().await? {
        if let Some(config) = TargetConfig::of(&target).resealed(keyring, &target.id)? {
            store
                .set_target_config(&target.org_id, &target.name, config.to_value())
                .await?;
            resealed += 1;
        }
    }
    Ok(resealed)
}

fn check_pem(field: &str, text: &str, marker: &str) -> ApiResult<()> {
    if text.contains("-----BEGIN") && text.contains(marker) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("expected PEM text (-----BEGIN …{marker}…)"),
        ))
    }
}

const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// `ssh-ed25519 AAAA…` (no comment) from a known_hosts line for the key.
fn key_text(entry_line: String) -> String {
    entry_line
        .split_once(' ')
        .map(|(_, key)| key.to_string())
        .unwrap_or_default()
}

/// Whether a target's engine is reached through SSH: `ssh` targets, and Swarm managers at
/// an `ssh://` endpoint.
pub fn reached_over_ssh(kind: TargetKind, endpoint: &str) -> bool {
    kind == TargetKind::Ssh || (kind == TargetKind::Swarm && endpoint.starts_with("ssh://"))
}

/// The key the target's SSH endpoint offers: its fingerprint and `ssh-ed25519 AAAA…` text.
pub async fn offered_host_key(target: &Target) -> Result<(String, String), String> {
    let endpoint = SshEndpoint::parse(&target.endpoint).map_err(|e| e.to_string())?;
    match tokio::time::timeout(FETCH_TIMEOUT, ssh::offered_host_key(&endpoint)).await {
        Ok(Ok(key)) => Ok((
            known_hosts::fingerprint(&key),
            key_text(known_hosts::entry_line("h", 22, &key)),
        )),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("{}: no SSH answer within 10 s", target.endpoint)),
    }
}

/// What is known of the host key a target offers, for [`untrusted_message`].
pub enum Offered<'a> {
    /// Its fingerprint.
    Key(&'a str),
    /// The host was asked and did not answer.
    NoAnswer,
    /// Not asked here (the connection test asks).
    NotAsked,
}

/// Why a target reached over SSH without a pinned host key is not connected, and how to
/// trust it.
pub fn untrusted_message(target: &Target, offered: Offered<'_>) -> String {
    let fingerprint = match offered {
        Offered::Key(fingerprint) => format!("fingerprint {fingerprint}"),
        Offered::NoAnswer => "the fingerprint SHA256:… it offers (the host did not answer)".into(),
        Offered::NotAsked => format!(
            "the fingerprint it offers (its connection test, POST …/targets/{}/test, shows it)",
            target.name
        ),
    };
    format!(
        "target {}: host key not trusted yet: POST …/targets/{}/trust with {fingerprint} once you have checked it is the host's key (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host)",
        target.name, target.name,
    )
}

/// The engine of a `docker`, `ssh` or `swarm` target, with its TLS or SSH material.
pub fn docker_driver(keyring: &Keyring, target: &Target) -> ApiResult<DockerDriver> {
    let connected = match connect_options(keyring, target)? {
        Some(options) => DockerDriver::connect_with(&options),
        None => {
            let host = target.endpoint.as_str();
            DockerDriver::connect((!host.is_empty()).then_some(host))
        }
    };
    connected.map_err(|e| ApiError::Unavailable(format!("target {}: {e}", target.name)))
}

/// How the server reaches a target's engine, by the target's kind and endpoint: the part of
/// its [`TargetConfig`] that applies, and nothing else.
#[derive(Debug)]
pub enum Connection<'a> {
    /// Through the agent's link (`agent` targets): no material here.
    Agent,
    /// A local socket or plain TCP: no material.
    Plain,
    /// TCP with TLS (`docker` and `swarm` targets at `tcp://` with a CA).
    Tls(&'a TlsConfig),
    /// SSH (`ssh` targets, `swarm` targets at `ssh://`): the client key, if one is stored,
    /// and the pinned host key, if one is trusted yet.
    Ssh {
        private_key: Option<&'a SealedKey>,
        host_key: Option<&'a str>,
    },
}

impl TargetConfig {
    /// The connection material that applies to a target of `kind` at `endpoint`.
    pub fn connection(&self, kind: TargetKind, endpoint: &str) -> Connection<'_> {
        match kind {
            TargetKind::Agent => Connection::Agent,
            _ if reached_over_ssh(kind, endpoint) => Connection::Ssh {
                private_key: self.ssh.as_ref().and_then(|s| s.private_key.as_ref()),
                host_key: self.host_key(),
            },
            _ => match &self.tls {
                Some(tls) => Connection::Tls(tls),
                None => Connection::Plain,
            },
        }
    }
}

/// How to connect to a target with TLS material or one reached over SSH.
/// `Ok(None)`: a plain endpoint (`DockerDriver::connect`) or an agent.
pub fn connect_options(keyring: &Keyring, target: &Target) -> ApiResult<Option<ConnectOptions>> {
    let unavailable =
        |e: anyhow::Error| ApiError::Unavailable(format!("target {}: {e:#}", target.name));
    let config = TargetConfig::of(target);
    match config.connection(target.kind, &target.endpoint) {
        Connection::Agent | Connection::Plain => Ok(None),
        Connection::Tls(tls) => {
            let key = match &tls.key {
                Some(sealed) => Some(
                    sealed
                        .unseal(keyring, &target.id, "tls.key")
                        .map_err(unavailable)?,
                ),
                None => None,
            };
            Ok(Some(ConnectOptions {
                host: Some(target.endpoint.clone()),
                tls: Some(TlsMaterial {
                    ca_pem: tls.ca.clone().into_bytes(),
                    cert_pem: tls.cert.clone().map(String::into_bytes),
                    key_pem: key.map(String::into_bytes),
                    source: format!("target {}", target.name),
                }),
                ..Default::default()
            }))
        }
        Connection::Ssh { host_key: None, .. } => Err(ApiError::Unavailable(untrusted_message(
            target,
            Offered::NotAsked,
        ))),
        Connection::Ssh {
            private_key,
            host_key: Some(host_key),
        } => {
            let mut identities = Vec::new();
            if let Some(sealed) = private_key {
                identities.push(SshIdentity::Pem {
                    label: format!("target {}'s key", target.name),
                    pem: sealed
                        .unseal(keyring, &target.id, "ssh.private_key")
                        .map_err(unavailable)?,
                });
            }
            Ok(Some(ConnectOptions {
                host: Some(target.endpoint.clone()),
                tls: None,
                ssh: SshOptions {
                    identities,
                    use_agent: false,
                    host_keys: HostKeyPolicy::Pinned(vec![host_key.to_string()]),
                    ..Default::default()
                },
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed() -> SealedKey {
        SealedKey {
            key_id: "k".into(),
            nonce: String::new(),
            ciphertext: String::new(),
        }
    }

    fn config() -> TargetConfig {
        TargetConfig {
            tls: Some(TlsConfig {
                ca: "CA".into(),
                ..TlsConfig::default()
            }),
            ssh: Some(SshConfig {
                private_key: Some(sealed()),
                host_key: Some("ssh-ed25519 AAAA".into()),
            }),
            ..TargetConfig::default()
        }
    }

    /// What applies to a target of `kind` at `endpoint`, as a word.
    fn check(config: &TargetConfig, kind: TargetKind, endpoint: &str, expected: &str) {
        let got = match config.connection(kind, endpoint) {
            Connection::Agent => "agent".to_string(),
            Connection::Plain => "plain".to_string(),
            Connection::Tls(tls) => format!("tls {}", tls.ca),
            Connection::Ssh {
                private_key,
                host_key,
            } => format!(
                "ssh key={} host_key={}",
                private_key.is_some(),
                host_key.unwrap_or("-")
            ),
        };
        assert_eq!(got, expected, "{kind:?} at {endpoint}");
    }

    #[test]
    fn each_kind_uses_only_the_material_that_applies_to_it() {
        let full = config();
        check(&full, TargetKind::Agent, "agent://a", "agent");
        check(&full, TargetKind::Docker, "tcp://h:2376", "tls CA");
        check(&full, TargetKind::Swarm, "tcp://h:2376", "tls CA");
        check(
            &full,
            TargetKind::Ssh,
            "ssh://u@h",
            "ssh key=true host_key=ssh-ed25519 AAAA",
        );
        check(
            &full,
            TargetKind::Swarm,
            "ssh://u@h",
            "ssh key=true host_key=ssh-ed25519 AAAA",
        );
        let empty = TargetConfig::default();
        check(
            &empty,
            TargetKind::Docker,
            "unix:///var/run/docker.sock",
            "plain",
        );
        check(
            &empty,
            TargetKind::Ssh,
            "ssh://u@h",
            "ssh key=false host_key=-",
        );
    }

    #[test]
    fn the_stored_json_keeps_its_shape() {
        let mut config = config();
        config.engine = Some(EngineClaim {
            id: "E".into(),
            since: 7,
        });
        config.shared = true;
        let value = config.to_value();
        assert_eq!(value["tls"]["ca"], "CA");
        assert_eq!(value["ssh"]["host_key"], "ssh-ed25519 AAAA");
        assert_eq!(value["ssh"]["private_key"]["key_id"], "k");
        assert_eq!(
            value["engine"],
            serde_json::json!({ "id": "E", "since": 7 })
        );
        assert_eq!(value["shared"], true);
        // Absent sections stay absent, and an unshared target has no `shared` key.
        let plain = TargetConfig::default().to_value();
        assert_eq!(plain, serde_json::json!({}));
        let back: TargetConfig = serde_json::from_value(value).unwrap();
        assert_eq!(back, config);
    }
}
