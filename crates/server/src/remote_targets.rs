//! Connection material of remote targets, kept in the target's `config`:
//!
//! ```json
//! { "tls": { "ca": "<PEM>", "cert": "<PEM>", "key": <sealed> },
//!   "ssh": { "private_key": <sealed>, "host_key": "ssh-ed25519 AAAA…" } }
//! ```
//!
//! Private keys are sealed by the server keyring (`{key_id, nonce, ciphertext}`, base64)
//! with the target id and the field as associated data, so a sealed key copied onto another
//! target does not decrypt. They are never returned by the API.

use std::time::Duration;

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use windflow_engine::connect::known_hosts;
use windflow_engine::connect::ssh::{self, SshEndpoint};
use windflow_engine::connect::{
    ConnectOptions, HostKeyPolicy, SshIdentity, SshOptions, TlsMaterial,
};
use windflow_engine::docker::DockerDriver;
use windflow_protocol::{TargetSshRequest, TargetTlsRequest};
use windflow_storage::{SecretValue, Target, TargetKind};

use crate::error::{ApiError, ApiResult};
use crate::secrets::Keyring;

const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

fn aad(target_id: &str, field: &str) -> Vec<u8> {
    format!("windflow-target\0{target_id}\0{field}").into_bytes()
}

fn seal(keyring: &Keyring, target_id: &str, field: &str, plaintext: &str) -> Value {
    let sealed = keyring.encrypt(&aad(target_id, field), plaintext.as_bytes());
    json!({
        "key_id": sealed.key_id,
        "nonce": STANDARD.encode(&sealed.nonce),
        "ciphertext": STANDARD.encode(&sealed.ciphertext),
    })
}

fn unseal(
    keyring: &Keyring,
    target_id: &str,
    field: &str,
    value: &Value,
) -> anyhow::Result<String> {
    let text = |name: &str| {
        value[name]
            .as_str()
            .with_context(|| format!("the stored {field} is corrupt (no {name})"))
    };
    let sealed = SecretValue {
        key_id: text("key_id")?.to_string(),
        nonce: STANDARD.decode(text("nonce")?).context("corrupt nonce")?,
        ciphertext: STANDARD
            .decode(text("ciphertext")?)
            .context("corrupt ciphertext")?,
    };
    let bytes = keyring
        .decrypt(&aad(target_id, field), &sealed)
        .with_context(|| format!("the stored {field}"))?;
    String::from_utf8(bytes).context("a stored key is not UTF-8")
}

/// The target's `config` with its sealed private keys sealed again under the keyring's
/// current key (after a rotation added it); `None` when it holds no sealed key.
pub fn reseal_config(
    keyring: &Keyring,
    target_id: &str,
    config: &Value,
) -> anyhow::Result<Option<Value>> {
    let mut config = config.clone();
    let mut changed = false;
    for (section, name) in [("tls", "key"), ("ssh", "private_key")] {
        let field = format!("{section}.{name}");
        let sealed = &config[section][name];
        if sealed.is_object() {
            let plaintext = unseal(keyring, target_id, &field, sealed)?;
            config[section][name] = seal(keyring, target_id, &field, &plaintext);
            changed = true;
        }
    }
    Ok(changed.then_some(config))
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

/// The `config` of a new target from the request's TLS/SSH material, private keys sealed.
/// A host key given as a fingerprint is returned separately: it is checked against the key
/// the host offers once the target exists.
pub fn new_config(
    keyring: &Keyring,
    target_id: &str,
    kind: TargetKind,
    endpoint: &str,
    tls: Option<&TargetTlsRequest>,
    ssh: Option<&TargetSshRequest>,
) -> ApiResult<(Value, Option<String>)> {
    let mut config = json!({});
    let mut fingerprint = None;
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
        let mut stored = json!({ "ca": tls.ca });
        match (&tls.cert, &tls.key) {
            (Some(cert), Some(key)) => {
                check_pem("tls.cert", cert, "CERTIFICATE")?;
                check_pem("tls.key", key, "PRIVATE KEY")?;
                stored["cert"] = json!(cert);
                stored["key"] = seal(keyring, target_id, "tls.key", key);
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
        config["tls"] = stored;
    }
    if let Some(ssh) = ssh {
        if !reached_over_ssh(kind, endpoint) {
            return Err(ApiError::invalid(
                "ssh",
                "SSH material applies to ssh targets and swarm targets at ssh://user@host",
            ));
        }
        let mut stored = json!({});
        if let Some(key) = &ssh.private_key {
            check_pem("ssh.private_key", key, "PRIVATE KEY")?;
            stored["private_key"] = seal(keyring, target_id, "ssh.private_key", key);
        }
        match ssh.host_key.as_deref().map(str::trim) {
            Some(fp) if fp.starts_with("SHA256:") => fingerprint = Some(fp.to_string()),
            Some(line) if !line.is_empty() => {
                let key = known_hosts::parse_public_key(line)
                    .map_err(|e| ApiError::invalid("ssh.host_key", e))?;
                stored["host_key"] = json!(key_text(known_hosts::entry_line("h", 22, &key)));
            }
            _ => {}
        }
        config["ssh"] = stored;
    }
    Ok((config, fingerprint))
}

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

/// The pinned host key line of a target reached over SSH.
pub fn pinned_host_key(target: &Target) -> Option<&str> {
    target.config["ssh"]["host_key"]
        .as_str()
        .filter(|s| !s.is_empty())
}

/// Whether a client key is stored.
pub fn has_client_key(config: &Value) -> bool {
    config["ssh"]["private_key"].is_object() || config["tls"]["key"].is_object()
}

/// The fingerprint of the pinned host key, for the wire.
pub fn host_key_fingerprint(config: &Value) -> Option<String> {
    config["ssh"]["host_key"]
        .as_str()
        .and_then(|line| known_hosts::openssh_fingerprint(line).ok())
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

/// How to connect to a target with TLS material or one reached over SSH.
/// `Ok(None)`: a plain endpoint (`DockerDriver::connect`).
pub fn connect_options(keyring: &Keyring, target: &Target) -> ApiResult<Option<ConnectOptions>> {
    let unavailable =
        |e: anyhow::Error| ApiError::Unavailable(format!("target {}: {e:#}", target.name));
    let over_ssh = reached_over_ssh(target.kind, &target.endpoint);
    match target.kind {
        TargetKind::Agent => Ok(None),
        _ if !over_ssh => {
            let tls = &target.config["tls"];
            let Some(ca) = tls["ca"].as_str() else {
                return Ok(None);
            };
            let key = match tls.get("key") {
                Some(sealed) if sealed.is_object() => {
                    Some(unseal(keyring, &target.id, "tls.key", sealed).map_err(unavailable)?)
                }
                _ => None,
            };
            Ok(Some(ConnectOptions {
                host: Some(target.endpoint.clone()),
                tls: Some(TlsMaterial {
                    ca_pem: ca.as_bytes().to_vec(),
                    cert_pem: tls["cert"].as_str().map(|c| c.as_bytes().to_vec()),
                    key_pem: key.map(String::into_bytes),
                    source: format!("target {}", target.name),
                }),
                ..Default::default()
            }))
        }
        _ => {
            let Some(host_key) = pinned_host_key(target) else {
                return Err(ApiError::Unavailable(untrusted_message(
                    target,
                    Offered::NotAsked,
                )));
            };
            let mut identities = Vec::new();
            if let Some(sealed) = target.config["ssh"]
                .get("private_key")
                .filter(|v| v.is_object())
            {
                identities.push(SshIdentity::Pem {
                    label: format!("target {}'s key", target.name),
                    pem: unseal(keyring, &target.id, "ssh.private_key", sealed)
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
