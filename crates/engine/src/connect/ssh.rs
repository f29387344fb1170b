//! `ssh://user@host[:port]`: the remote engine's unix socket tunnelled over SSH (russh, pure
//! Rust; no `ssh` binary and no docker CLI on the remote). One SSH connection per driver,
//! one `direct-streamlocal` channel per HTTP connection; a dropped connection is
//! re-established on the next request.
//!
//! Keys are found where the docker CLI's `ssh://` (that is, OpenSSH) finds them: the given
//! identities (`--ssh-identity`, or a target's stored key), the agent at `SSH_AUTH_SOCK`,
//! then `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`.
//!
//! Invariant: the host key is verified before any authentication — against the user's
//! known_hosts or the keys pinned for a target. An unknown key is an error that shows its
//! fingerprint and how to trust it; a changed key is an error naming the recorded line.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, AuthResult, Handle};
use russh::keys::agent::client::AgentClient;
use russh::keys::{
    Algorithm, HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate,
};

use super::known_hosts::{self, HostKeyCheck, KnownHosts};
use super::{ConnectError, Dial, Io};

/// The remote engine socket when none is given (as the docker CLI assumes).
pub const DEFAULT_REMOTE_SOCKET: &str = "/var/run/docker.sock";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// `user@host:port` of an `ssh://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshEndpoint {
    pub user: String,
    pub host: String,
    pub port: u16,
}

impl SshEndpoint {
    /// Parses `ssh://[user@]host[:port]` (IPv6 hosts in brackets). Without a user, the
    /// current user's name (`$USER`), as `ssh` does.
    pub fn parse(url: &str) -> Result<Self, ConnectError> {
        let invalid = |reason: &str| ConnectError::InvalidHost {
            host: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = url
            .strip_prefix("ssh://")
            .ok_or_else(|| invalid("an SSH endpoint starts with ssh://"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('?') {
            return Err(invalid(
                "ssh://user@host[:port] takes no path (the remote socket is /var/run/docker.sock)",
            ));
        }
        let (user, host_port) = match rest.rsplit_once('@') {
            Some((user, hp)) => (user.to_string(), hp),
            None => (
                std::env::var("USER")
                    .ok()
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| "root".into()),
                rest,
            ),
        };
        if user.is_empty() {
            return Err(invalid("the user before @ is empty"));
        }
        let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| invalid("an IPv6 host needs its closing ]"))?;
            (host.to_string(), after.strip_prefix(':'))
        } else {
            match host_port.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (host_port.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(invalid("the host is empty"));
        }
        let port =
            match port {
                Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| {
                    invalid(&format!("port {p:?} is not a number from 1 to 65535"))
                })?,
                None => 22,
            };
        Ok(Self { user, host, port })
    }

    /// `ssh://user@host:port`, the form `windflow ssh trust` takes.
    pub fn url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("ssh://{}@{host}:{}", self.user, self.port)
    }
}

/// A private key to authenticate with.
#[derive(Clone)]
pub enum SshIdentity {
    /// An OpenSSH/PEM private key file (`--ssh-identity`).
    File(PathBuf),
    /// A key held in memory (a target's stored key); `label` names it in errors.
    Pem { label: String, pem: String },
}

impl std::fmt::Debug for SshIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "File({})", path.display()),
            Self::Pem { label, .. } => write!(f, "Pem({label})"),
        }
    }
}

/// Which host keys are trusted.
#[derive(Debug, Clone)]
pub enum HostKeyPolicy {
    /// An OpenSSH known_hosts file (by default `~/.ssh/known_hosts`).
    KnownHostsFile(PathBuf),
    /// Public keys pinned for this endpoint (`ssh-ed25519 AAAA…` lines), e.g. a target's.
    Pinned(Vec<String>),
}

impl Default for HostKeyPolicy {
    fn default() -> Self {
        Self::KnownHostsFile(default_known_hosts())
    }
}

/// `~/.ssh/known_hosts`.
pub fn default_known_hosts() -> PathBuf {
    dirs::home_dir()
        .unwrap_or_else(|| PathBuf::from("/"))
        .join(".ssh")
        .join("known_hosts")
}

/// How to reach an `ssh://` endpoint.
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// Keys tried first. When empty, `~/.ssh/id_ed25519`, `id_ecdsa` and `id_rsa` are
    /// tried after the agent.
    pub identities: Vec<SshIdentity>,
    /// Whether to ask the agent at `SSH_AUTH_SOCK` (when set).
    pub use_agent: bool,
    pub host_keys: HostKeyPolicy,
    /// The engine's socket on the remote machine.
    pub remote_socket: String,
}

impl Default for SshOptions {
    fn default() -> Self {
        Self {
            identities: Vec::new(),
            use_agent: true,
            host_keys: HostKeyPolicy::default(),
            remote_socket: DEFAULT_REMOTE_SOCKET.into(),
        }
    }
}

/// What the host-key check saw during a handshake.
#[derive(Debug, Clone)]
struct Verdict {
    key: PublicKey,
    check: HostKeyCheck,
}

struct Handler {
    endpoint: SshEndpoint,
    known: Arc<KnownHosts>,
    verdict: Arc<Mutex<Option<Verdict>>>,
}

impl client::Handler for Handler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        offered: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match offered {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        let check = self
            .known
            .check(&self.endpoint.host, self.endpoint.port, &key);
        let trusted = matches!(check, HostKeyCheck::Trusted { .. });
        *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(Verdict { key, check });
        Ok(trusted)
    }
}

/// The host key `endpoint` offers, without authenticating (for `windflow ssh trust` and a
/// server's "test target").
pub async fn offered_host_key(endpoint: &SshEndpoint) -> Result<PublicKey, ConnectError> {
    let verdict = Arc::new(Mutex::new(None));
    let handler = Handler {
        endpoint: endpoint.clone(),
        known: Arc::new(KnownHosts::default()),
        verdict: verdict.clone(),
    };
    let result = tokio::time::timeout(
        CONNECT_TIMEOUT,
        client::connect(
            Arc::new(client::Config::default()),
            (endpoint.host.as_str(), endpoint.port),
            handler,
        ),
    )
    .await;
    let seen = verdict.lock().unwrap_or_else(|e| e.into_inner()).take();
    match (seen, result) {
        (Some(verdict), _) => Ok(verdict.key),
        (None, Err(_)) => Err(ConnectError::Ssh {
            endpoint: endpoint.url(),
            message: format!("no SSH handshake within {CONNECT_TIMEOUT:?}"),
        }),
        (None, Ok(Err(e))) => Err(ConnectError::Ssh {
            endpoint: endpoint.url(),
            message: e.to_string(),
        }),
        (None, Ok(Ok(_))) => Err(ConnectError::Ssh {
            endpoint: endpoint.url(),
            message: "the server offered no host key".into(),
        }),
    }
}

/// Keeps one authenticated SSH connection and opens a channel to the remote socket per
/// HTTP connection.
pub(crate) struct SshDialer {
    endpoint: SshEndpoint,
    options: SshOptions,
    session: tokio::sync::Mutex<Option<Arc<Handle<Handler>>>>,
}

impl SshDialer {
    pub fn new(endpoint: SshEndpoint, options: SshOptions) -> Self {
        Self {
            endpoint,
            options,
            session: tokio::sync::Mutex::new(None),
        }
    }

    async fn session(&self, fresh: bool) -> Result<Arc<Handle<Handler>>, ConnectError> {
        let mut slot = self.session.lock().await;
        if let Some(handle) = slot.as_ref()
            && !fresh
            && !handle.is_closed()
        {
            return Ok(handle.clone());
        }
        let handle = Arc::new(self.establish().await?);
        *slot = Some(handle.clone());
        Ok(handle)
    }

    fn known_hosts(&self) -> Result<(KnownHosts, String), ConnectError> {
        match &self.options.host_keys {
            HostKeyPolicy::KnownHostsFile(path) => {
                let known = KnownHosts::load(path).map_err(|e| ConnectError::Ssh {
                    endpoint: self.endpoint.url(),
                    message: format!("cannot read {}: {e}", path.display()),
                })?;
                Ok((known, path.display().to_string()))
            }
            HostKeyPolicy::Pinned(keys) => {
                let field = known_hosts::host_field(&self.endpoint.host, self.endpoint.port);
                let text: String = keys.iter().map(|k| format!("{field} {k}\n")).collect();
                Ok((
                    KnownHosts::parse(&text),
                    "the target's pinned host key".into(),
                ))
            }
        }
    }

    async fn establish(&self) -> Result<Handle<Handler>, ConnectError> {
        let url = self.endpoint.url();
        let (known, known_source) = self.known_hosts()?;
        let mut config = client::Config {
            keepalive_interval: Some(Duration::from_secs(30)),
            nodelay: true,
            ..Default::default()
        };
        // Ask for the key types already recorded first, as ssh does.
        let recorded = known.algorithms_for(&self.endpoint.host, self.endpoint.port);
        if !recorded.is_empty() {
            let mut order: Vec<Algorithm> = config
                .preferred
                .key
                .iter()
                .filter(|a| recorded.iter().any(|r| same_kind(a, r)))
                .cloned()
                .collect();
            order.extend(
                config
                    .preferred
                    .key
                    .iter()
                    .filter(|a| !recorded.iter().any(|r| same_kind(a, r)))
                    .cloned(),
            );
            config.preferred.key = order.into();
        }
        let verdict = Arc::new(Mutex::new(None));
        let handler = Handler {
            endpoint: self.endpoint.clone(),
            known: Arc::new(known),
            verdict: verdict.clone(),
        };
        let connected = tokio::time::timeout(
            CONNECT_TIMEOUT,
            client::connect(
                Arc::new(config),
                (self.endpoint.host.as_str(), self.endpoint.port),
                handler,
            ),
        )
        .await
        .map_err(|_| ConnectError::Ssh {
            endpoint: url.clone(),
            message: format!("no SSH handshake within {CONNECT_TIMEOUT:?}"),
        })?;
        let seen = verdict.lock().unwrap_or_else(|e| e.into_inner()).take();
        let mut handle = match (connected, seen) {
            (
                Ok(handle),
                Some(Verdict {
                    check: HostKeyCheck::Trusted { .. },
                    ..
                }),
            ) => handle,
            (_, Some(Verdict { key, check })) if !matches!(check, HostKeyCheck::Trusted { .. }) => {
                return Err(host_key_error(&self.endpoint, &key, check, &known_source));
            }
            (Err(e), _) => {
                return Err(ConnectError::Ssh {
                    endpoint: url,
                    message: e.to_string(),
                });
            }
            (Ok(_), _) => {
                return Err(ConnectError::Ssh {
                    endpoint: url,
                    message: "the server's host key was never checked".into(),
                });
            }
        };
        self.authenticate(&mut handle).await?;
        Ok(handle)
    }

    async fn authenticate(&self, handle: &mut Handle<Handler>) -> Result<(), ConnectError> {
        let url = self.endpoint.url();
        let user = self.endpoint.user.clone();
        let ssh_err = |e: russh::Error| ConnectError::Ssh {
            endpoint: url.clone(),
            message: e.to_string(),
        };
        let mut tried = Vec::new();
        let mut rsa_hash = RsaHash::default();

        for identity in &self.options.identities {
            if try_identity(handle, &user, identity, &mut rsa_hash, &mut tried)
                .await
                .map_err(ssh_err)?
            {
                return Ok(());
            }
        }

        if self.options.use_agent
            && let Ok(socket) = std::env::var("SSH_AUTH_SOCK")
            && !socket.is_empty()
        {
            match AgentClient::connect_env().await {
                Ok(mut agent) => match agent.request_identities().await {
                    Ok(identities) => {
                        for identity in identities {
                            let key = identity.public_key().into_owned();
                            let hash = rsa_hash.for_key(handle, &key).await.map_err(ssh_err)?;
                            let outcome = handle
                                .authenticate_publickey_with(&user, key.clone(), hash, &mut agent)
                                .await;
                            match outcome {
                                Ok(AuthResult::Success) => return Ok(()),
                                Ok(_) => tried.push(format!(
                                    "agent key {} (refused)",
                                    known_hosts::fingerprint(&key)
                                )),
                                Err(e) => tried.push(format!(
                                    "agent key {} ({e})",
                                    known_hosts::fingerprint(&key)
                                )),
                            }
                        }
                    }
                    Err(e) => tried.push(format!("ssh-agent at {socket} ({e})")),
                },
                Err(e) => tried.push(format!("ssh-agent at {socket} ({e})")),
            }
        }

        if self.options.identities.is_empty()
            && let Some(home) = dirs::home_dir()
        {
            for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
                let path = home.join(".ssh").join(name);
                if path.exists()
                    && try_identity(
                        handle,
                        &user,
                        &SshIdentity::File(path),
                        &mut rsa_hash,
                        &mut tried,
                    )
                    .await
                    .map_err(ssh_err)?
                {
                    return Ok(());
                }
            }
        }
        Err(ConnectError::SshAuthentication {
            endpoint: url,
            tried,
        })
    }
}

/// The RSA signature hash the server prefers, asked once and only when an RSA key is tried.
#[derive(Default)]
struct RsaHash(Option<Option<HashAlg>>);

impl RsaHash {
    async fn for_key(
        &mut self,
        handle: &Handle<Handler>,
        key: &PublicKey,
    ) -> Result<Option<HashAlg>, russh::Error> {
        if key.algorithm().is_rsa() && self.0.is_none() {
            self.0 = Some(handle.best_supported_rsa_hash().await?.flatten());
        }
        Ok(self.0.flatten())
    }
}

/// Offers one key file; `Ok(true)` when the server accepted it. A key that cannot be read or
/// is refused is noted in `tried`.
async fn try_identity(
    handle: &mut Handle<Handler>,
    user: &str,
    identity: &SshIdentity,
    rsa_hash: &mut RsaHash,
    tried: &mut Vec<String>,
) -> Result<bool, russh::Error> {
    let (label, key) = load_identity(identity);
    match key {
        Ok(key) => {
            let hash = rsa_hash.for_key(handle, key.public_key()).await?;
            let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
            if handle.authenticate_publickey(user, key).await?.success() {
                return Ok(true);
            }
            tried.push(format!("{label} (refused)"));
        }
        Err(reason) => tried.push(format!("{label} ({reason})")),
    }
    Ok(false)
}

#[async_trait::async_trait]
impl Dial for SshDialer {
    async fn dial(&self) -> std::io::Result<Io> {
        let socket = self.options.remote_socket.clone();
        for attempt in 0..2 {
            let handle = self
                .session(attempt > 0)
                .await
                .map_err(std::io::Error::other)?;
            match handle.channel_open_direct_streamlocal(socket.clone()).await {
                Ok(channel) => return Ok(Io::new(channel.into_stream())),
                // A connection that died since the last request: reconnect once.
                Err(_) if attempt == 0 && handle.is_closed() => continue,
                Err(e) => {
                    return Err(std::io::Error::other(format!(
                        "{}: opening a channel to {socket} failed: {e} (is the engine running there, and does sshd allow stream-local forwarding?)",
                        self.endpoint.url()
                    )));
                }
            }
        }
        Err(std::io::Error::other("the SSH connection closed twice"))
    }
}

fn same_kind(a: &Algorithm, b: &Algorithm) -> bool {
    (a.clone().is_rsa() && b.clone().is_rsa()) || a == b
}

fn load_identity(identity: &SshIdentity) -> (String, Result<PrivateKey, String>) {
    match identity {
        SshIdentity::File(path) => {
            let label = path.display().to_string();
            let key = match std::fs::read_to_string(path) {
                Ok(text) => decode_key(&text),
                Err(e) => Err(format!("cannot read it: {e}")),
            };
            (label, key)
        }
        SshIdentity::Pem { label, pem } => (label.clone(), decode_key(pem)),
    }
}

fn decode_key(text: &str) -> Result<PrivateKey, String> {
    russh::keys::decode_secret_key(text, None).map_err(|e| match e {
        russh::keys::Error::KeyIsEncrypted => {
            "encrypted with a passphrase: load it into ssh-agent instead".to_string()
        }
        other => format!("not a usable private key: {other}"),
    })
}

fn host_key_error(
    endpoint: &SshEndpoint,
    key: &PublicKey,
    check: HostKeyCheck,
    known_source: &str,
) -> ConnectError {
    let algorithm = key.algorithm().as_str().to_string();
    let fingerprint = known_hosts::fingerprint(key);
    match check {
        HostKeyCheck::Changed { line, recorded } => ConnectError::HostKeyChanged {
            endpoint: endpoint.url(),
            algorithm,
            fingerprint,
            recorded,
            known_hosts: format!("{known_source}:{line}"),
        },
        HostKeyCheck::Revoked { line } => ConnectError::HostKeyChanged {
            endpoint: endpoint.url(),
            algorithm,
            fingerprint,
            recorded: "@revoked".into(),
            known_hosts: format!("{known_source}:{line}"),
        },
        HostKeyCheck::Unknown | HostKeyCheck::Trusted { .. } => ConnectError::UnknownHostKey {
            endpoint: endpoint.url(),
            algorithm,
            fingerprint,
            known_hosts: known_source.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let parse = |s| SshEndpoint::parse(s).map(|e| (e.user, e.host, e.port));
        assert_eq!(
            parse("ssh://root@127.0.0.1:2222").unwrap(),
            ("root".into(), "127.0.0.1".into(), 2222)
        );
        assert_eq!(
            parse("ssh://deploy@example.org").unwrap(),
            ("deploy".into(), "example.org".into(), 22)
        );
        assert_eq!(
            parse("ssh://me@[::1]:2200").unwrap(),
            ("me".into(), "::1".into(), 2200)
        );
        assert_eq!(
            SshEndpoint::parse("ssh://me@[::1]:2200").unwrap().url(),
            "ssh://me@[::1]:2200"
        );
        for bad in [
            "ssh://root@h:0",
            "ssh://root@h:x",
            "ssh://@h",
            "ssh://root@h/path",
            "tcp://h",
        ] {
            assert!(SshEndpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
