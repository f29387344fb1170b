//! The gateway data plane: one Caddy per target, in a container WindFlow creates, routing
//! HTTP(S) by host and path to the services' containers on the gateway network.
//!
//! - `model`: what the gateway should serve (`GatewayConfig`: routes, certificates, HTTP-01
//!   answers), plain serde data.
//! - `validate`: every problem of a `GatewayConfig`, naming the route at fault.
//! - `caddy`: the pure translation into Caddy's JSON (`caddy_json`).
//! - `runtime`: the gateway's network and container, and pushing a configuration into it over
//!   the Engine API (`GatewayRuntime::apply`); the only module that uses bollard.
//!
//! Invariants:
//! - WindFlow owns certificates: Caddy's automatic HTTPS and its ACME client are disabled in
//!   every configuration; certificates are loaded as PEM, HTTP-01 answers served as static
//!   responses.
//! - Caddy's admin API listens only on `localhost:2019` inside the gateway container; it is
//!   reached by exec through the Engine API, never published.
//! - A configuration Caddy refuses leaves the previous one serving; the refusal carries
//!   Caddy's message verbatim.
//! - A host no route names gets 404, never another route's service.

pub mod caddy;
pub mod haproxy;
pub mod model;
pub mod runtime;
pub mod tcp_runtime;
pub mod validate;

pub use caddy::caddy_json;
pub use haproxy::haproxy_cfg;
pub use model::{
    AcmeChallenge, ActiveHealthCheck, GatewayConfig, HttpRoute, PemCertificate, TcpHealthCheck,
    TcpRoute, Timeouts, Upstream,
};
pub use runtime::{
    Ensured, ExecOutput, GatewayError, GatewayImage, GatewayRuntime, GatewaySettings,
    GatewayStatus, PublishedPort, UpstreamStatus,
};
pub use tcp_runtime::{
    TcpApplied, TcpGatewayImage, TcpGatewayRuntime, TcpGatewaySettings, TcpGatewayStatus,
};
pub use validate::{ConfigError, InvalidConfig, validate, validate_tcp};
