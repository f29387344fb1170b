//! How WindFlow reaches a Docker engine: [`ConnectOptions`] (the endpoint plus TLS material
//! and SSH settings), used the same way by the CLI (`-H`, `--tls*`, `--ssh-identity`), the
//! server (a target's stored configuration) and the agent.
//!
//! - `unix://…` and plain `tcp://…`: bollard's own transports.
//! - `tcp://…` with TLS ([`tls`]) and `ssh://…` ([`ssh`]): bollard's custom transport over
//!   hyper-util's pooled HTTP/1 client, whose connector dials a TLS stream or opens an SSH
//!   channel to the remote socket. Connections are kept alive and reused like bollard's own.
//!
//! Invariants: connecting is lazy (the first request reports an unreachable engine, an
//! unknown host key or a refused certificate); no transport accepts an unverified peer.

pub mod known_hosts;
pub mod ssh;
pub mod tls;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bollard::{BollardRequest, Docker};
use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};

pub use ssh::{HostKeyPolicy, SshEndpoint, SshIdentity, SshOptions};
pub use tls::TlsMaterial;

/// The local engine's socket.
pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// Seconds before bollard gives up on a request (as for the local socket).
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// Everything needed to reach one engine.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `unix:///…`, `tcp://host:port`, `http://…`, `ssh://user@host[:port]`; `None` means
    /// `DOCKER_HOST`, then the local socket.
    pub host: Option<String>,
    /// TLS for `tcp://` (the docker CLI's `--tlsverify` with its CA, cert and key).
    pub tls: Option<TlsMaterial>,
    /// Keys and host-key policy for `ssh://`.
    pub ssh: SshOptions,
}

impl ConnectOptions {
    /// Options for `host` with defaults for everything else.
    pub fn host(host: Option<&str>) -> Self {
        Self {
            host: host.map(str::to_string),
            ..Default::default()
        }
    }

    /// The endpoint these options lead to: `host`, else `DOCKER_HOST`, else the local socket.
    pub fn endpoint(&self) -> String {
        self.host
            .clone()
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| DEFAULT_SOCKET.to_string())
    }

    /// A bollard client for these options and the endpoint it talks to. Nothing is dialled
    /// yet.
    pub fn docker(&self) -> Result<(Docker, String), ConnectError> {
        let endpoint = self.endpoint();
        let docker = if let Some(path) = endpoint.strip_prefix("unix://") {
            if self.tls.is_some() {
                return Err(ConnectError::InvalidHost {
                    host: endpoint.clone(),
                    reason: "TLS applies to tcp:// endpoints, not to a unix socket".into(),
                });
            }
            Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
                .map_err(|e| unreachable(&endpoint, e))?
        } else if endpoint.starts_with("ssh://") {
            let target = SshEndpoint::parse(&endpoint)?;
            custom(Arc::new(ssh::SshDialer::new(target, self.ssh.clone())))?
        } else if let Some(tls) = &self.tls {
            let (host, port) = tcp_host_port(&endpoint)?;
            custom(Arc::new(tls::TlsDialer::new(&host, port, tls)?))?
        } else {
            Docker::connect_with_host(&endpoint).map_err(|e| unreachable(&endpoint, e))?
        };
        Ok((docker, endpoint))
    }
}

/// Why an engine cannot be reached. Messages name the endpoint or file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("invalid Docker host {host:?}: {reason}")]
    InvalidHost { host: String, reason: String },
    #[error("TLS material from {source_name}: {message}")]
    Tls {
        source_name: String,
        message: String,
    },
    #[error("{endpoint}: {message}")]
    Ssh { endpoint: String, message: String },
    #[error(
        "{endpoint}: no key was accepted for SSH authentication (tried: {}); pass --ssh-identity <key file> or add a key to ssh-agent",
        if tried.is_empty() { "no keys found in ~/.ssh or ssh-agent".to_string() } else { tried.join(", ") }
    )]
    SshAuthentication {
        endpoint: String,
        tried: Vec<String>,
    },
    #[error(
        "{endpoint}: unknown SSH host key {algorithm} {fingerprint} (not in {known_hosts}); if this is the fingerprint of the host's key (`ssh-keygen -lf /etc/ssh/ssh_host_{}_key.pub` on the host), trust it with `windflow ssh trust {endpoint} --fingerprint {fingerprint}`",
        key_file_name(algorithm)
    )]
    UnknownHostKey {
        endpoint: String,
        algorithm: String,
        fingerprint: String,
        known_hosts: String,
    },
    #[error(
        "{endpoint}: THE SSH HOST KEY HAS CHANGED: the host offers {algorithm} {fingerprint}, but {known_hosts} records {recorded}; someone may be intercepting the connection, or the host was reinstalled — check with its administrator, then remove that line"
    )]
    HostKeyChanged {
        endpoint: String,
        algorithm: String,
        fingerprint: String,
        recorded: String,
        known_hosts: String,
    },
}

fn key_file_name(algorithm: &str) -> &'static str {
    if algorithm.contains("ed25519") {
        "ed25519"
    } else if algorithm.contains("ecdsa") {
        "ecdsa"
    } else {
        "rsa"
    }
}

fn unreachable(endpoint: &str, e: bollard::errors::Error) -> ConnectError {
    ConnectError::InvalidHost {
        host: endpoint.to_string(),
        reason: e.to_string(),
    }
}

fn tcp_host_port(endpoint: &str) -> Result<(String, u16), ConnectError> {
    let invalid = |reason: &str| ConnectError::InvalidHost {
        host: endpoint.to_string(),
        reason: reason.to_string(),
    };
    let rest = endpoint
        .strip_prefix("tcp://")
        .or_else(|| endpoint.strip_prefix("https://"))
        .ok_or_else(|| invalid("TLS needs a tcp://host:port endpoint"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') => (h, p),
        _ => (rest, "2376"),
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| invalid(&format!("port {port:?} is not a number")))?;
    if host.is_empty() {
        return Err(invalid("the host is empty"));
    }
    Ok((host.to_string(), port))
}

/// Opens one byte stream to the engine per HTTP connection.
#[async_trait::async_trait]
pub(crate) trait Dial: Send + Sync {
    async fn dial(&self) -> std::io::Result<Io>;
}

trait Stream: AsyncRead + AsyncWrite + Send {}
impl<T: AsyncRead + AsyncWrite + Send> Stream for T {}

/// A dialled stream as hyper wants it.
pub(crate) struct Io(TokioIo<Pin<Box<dyn Stream>>>);

impl Io {
    pub fn new(stream: impl AsyncRead + AsyncWrite + Send + 'static) -> Self {
        Self(TokioIo::new(Box::pin(stream)))
    }
}

impl hyper::rt::Read for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl Connection for Io {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

#[derive(Clone)]
struct Connector(Arc<dyn Dial>);

impl tower_service::Service<Uri> for Connector {
    type Response = Io;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Io>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let dialer = self.0.clone();
        Box::pin(async move { dialer.dial().await })
    }
}

/// A bollard client whose HTTP connections come from `dialer`.
fn custom(dialer: Arc<dyn Dial>) -> Result<Docker, ConnectError> {
    let client = Client::builder(TokioExecutor::new()).build(Connector(dialer));
    let transport = move |request: BollardRequest| {
        let client = client.clone();
        async move {
            client
                .request(request)
                .await
                .map_err(|e| bollard::errors::Error::IOError {
                    err: std::io::Error::other(error_chain(&e)),
                })
        }
    };
    Docker::connect_with_custom_transport(
        transport,
        Some("http://docker.engine"),
        REQUEST_TIMEOUT_SECS,
        bollard::API_DEFAULT_VERSION,
    )
    .map_err(|e| ConnectError::InvalidHost {
        host: "custom transport".into(),
        reason: e.to_string(),
    })
}

/// `error: cause: cause…`, skipping hyper-util's uninformative wrappers.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.starts_with("client error") && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    if parts.is_empty() {
        error.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_endpoints() {
        assert_eq!(
            tcp_host_port("tcp://127.0.0.1:2376").unwrap(),
            ("127.0.0.1".into(), 2376)
        );
        assert_eq!(
            tcp_host_port("tcp://docker.lan").unwrap(),
            ("docker.lan".into(), 2376)
        );
        assert!(tcp_host_port("unix:///x").is_err());
        assert!(tcp_host_port("tcp://h:port").is_err());
    }

    #[test]
    fn tls_on_a_unix_socket_is_refused() {
        let options = ConnectOptions {
            host: Some("unix:///var/run/docker.sock".into()),
            tls: Some(TlsMaterial {
                ca_pem: Vec::new(),
                cert_pem: None,
                key_pem: None,
                source: "test".into(),
            }),
            ..Default::default()
        };
        let error = options.docker().unwrap_err().to_string();
        assert!(error.contains("not to a unix socket"), "{error}");
    }
}
