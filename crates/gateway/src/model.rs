//! What the gateway should do, as plain data: HTTP routes to upstreams, TCP (layer-4) routes
//! from gateway ports to upstreams, the certificates to serve, the HTTP-01 challenge answers
//! to give. Nothing here knows Caddy, HAProxy or Docker.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Everything one target's gateway serves. Applying it replaces the previous one whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewayConfig {
    pub routes: Vec<HttpRoute>,
    /// Layer-4 forwarding, served by the TCP gateway (HAProxy) beside Caddy, not by Caddy:
    /// [`crate::GatewayRuntime::apply`] only validates them;
    /// [`crate::TcpGatewayRuntime::apply`] takes them.
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

/// `host:port` as the gateway container reaches it (a container name on the gateway network),
/// or, with `every_address`, every address `host` resolves to — Swarm's `tasks.<service>`,
/// one A record per running task.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Upstream {
    pub host: String,
    pub port: u16,
    /// Each address of `host` is an upstream of its own, looked up again as the proxy goes
    /// (Caddy: a dynamic `a` source refreshed every [`DYNAMIC_REFRESH`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub every_address: bool,
}

/// How often the addresses of an `every_address` upstream are looked up again.
pub const DYNAMIC_REFRESH: Duration = Duration::from_secs(1);

impl Upstream {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            every_address: false,
        }
    }

    /// Every address `host` resolves to, on `port`.
    pub fn every_address(host: impl Into<String>, port: u16) -> Self {
        Self {
            every_address: true,
            ..Self::new(host, port)
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

/// A layer-4 (TCP) forward from a gateway port to upstreams, bytes untouched.
///
/// With no `sni`, every connection to `listen` goes to this route (one route per port). With
/// `sni`, the connection must open with a TLS ClientHello naming one of these names; it is
/// passed through still encrypted (the upstream terminates TLS with its own certificate), and
/// several routes may share `listen` with different names. A name no route on the port lists
/// gets its connection closed, never another route's service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpRoute {
    /// A stable name for messages (`shop/db`).
    pub id: String,
    /// The gateway port, published on the target's gateway address.
    pub listen: u16,
    /// Exact server names, lowercase; empty: plain TCP forwarding of the whole port.
    #[serde(default)]
    pub sni: Vec<String>,
    /// Balanced round robin over new connections.
    pub upstreams: Vec<Upstream>,
    #[serde(default)]
    pub health: Option<TcpHealthCheck>,
}

/// HAProxy connects to each upstream every `interval`; one that refuses twice in a row gets
/// no new connections until it accepts one again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpHealthCheck {
    pub interval: Duration,
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
