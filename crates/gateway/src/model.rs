//! What the gateway should do, as plain data: HTTP routes to upstreams, the certificates to
//! serve, the HTTP-01 challenge answers to give. Nothing here knows Caddy or Docker.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Everything one target's gateway serves. Applying it replaces the previous one whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewayConfig {
    pub routes: Vec<HttpRoute>,
    /// Layer-4 forwarding. Not supported yet (Debian's Caddy has no layer4 module):
    /// validation refuses a non-empty list with [`crate::ConfigError::TcpRoutesUnsupported`].
    pub tcp_routes: Vec<TcpRoute>,
    /// Certificates WindFlow obtained; Caddy picks one by SNI. Caddy never obtains any itself.
    pub certificates: Vec<PemCertificate>,
    /// HTTP-01 answers, served on port 80 at `/.well-known/acme-challenge/<token>` for any
    /// host, before any redirect to HTTPS.
    pub acme_challenges: Vec<AcmeChallenge>,
}

/// Requests for `hosts` (and, when set, paths under `path_prefix`) go to `upstreams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRoute {
    /// A stable name for messages (`shop/web`).
    pub id: String,
    /// Host names, lowercase; `*.example.com` matches one label.
    pub hosts: Vec<String>,
    /// `/api` matches `/api` and `/api/…` (not `/apix`); `None` or `/` matches everything.
    /// The path is passed upstream unchanged.
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Balanced round robin; a failing one is skipped (passive checks) and, with `health`,
    /// probed (active checks).
    pub upstreams: Vec<Upstream>,
    #[serde(default)]
    pub health: Option<ActiveHealthCheck>,
    /// Served on the HTTPS listener (a certificate for the host must be loaded).
    #[serde(default)]
    pub tls: bool,
    /// With `tls`: plain HTTP requests get a 308 to `https://`. Without it they are proxied
    /// on port 80 too.
    #[serde(default)]
    pub redirect_http_to_https: bool,
    /// Bodies larger than this many bytes are refused with 413.
    #[serde(default)]
    pub max_request_body: Option<u64>,
    #[serde(default)]
    pub timeouts: Timeouts,
}

/// `host:port` as the gateway container reaches it (a container name on the gateway network).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Upstream {
    pub host: String,
    pub port: u16,
}

impl Upstream {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
        }
    }

    /// `host:port`, as Caddy dials it and reports it.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Caddy probes each upstream at `path` every `interval`; one that answers anything else
/// than `expect_status` (any 2xx when `None`) or not within `timeout` gets no traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveHealthCheck {
    pub path: String,
    pub interval: Duration,
    pub timeout: Duration,
    #[serde(default)]
    pub expect_status: Option<u16>,
}

/// Time limits towards upstreams; `None` keeps Caddy's default (no limit, 3 s to connect).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Timeouts {
    pub connect: Option<Duration>,
    /// From the request sent to the response's headers.
    pub response_header: Option<Duration>,
}

/// A layer-4 (TCP) forward from a gateway port to upstreams. Refused for now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpRoute {
    pub id: String,
    pub listen_port: u16,
    pub upstreams: Vec<Upstream>,
}

/// A certificate chain (leaf first) and its private key, both PEM.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PemCertificate {
    pub chain_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for PemCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PemCertificate")
            .field("chain_pem", &self.chain_pem)
            .field("key_pem", &"******")
            .finish()
    }
}

/// One pending HTTP-01 challenge: `GET /.well-known/acme-challenge/<token>` answers
/// `key_authorization`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeChallenge {
    pub token: String,
    pub key_authorization: String,
}
