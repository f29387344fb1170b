//! The gateway data plane: one Caddy per target, in a container WindFlow creates, routing
//! HTTP(S) by host and path to the services' containers on the gateway network; and, while
//! TCP routes exist, one HAProxy beside it forwarding gateway ports (whole, or TLS passed
//! through by SNI) to them.
//!
//! - `model`: what the gateway should serve (`GatewayConfig`: routes, TCP routes,
//!   certificates, HTTP-01 answers), plain serde data.
//! - `validate`: every problem of a `GatewayConfig` (and of TCP routes, `validate_tcp`),
//!   naming the route at fault.
//! - `caddy`: the pure translation into Caddy's JSON (`caddy_json`).
//! - `haproxy`: the pure translation of TCP routes into HAProxy's configuration
//!   (`haproxy_cfg`).
//! - `ops`: the runtimes' calls as typed ops (`GatewayOp`), for a gateway driven through
//!   `windflow agent`; `GatewayOps` runs them on the agent's engine, errors keep their kind.
//! - `runtime`, `tcp_runtime`: the gateways' network and containers, and pushing a
//!   configuration into them over the Engine API (`GatewayRuntime::apply`,
//!   `TcpGatewayRuntime::apply`); the only modules that use bollard.
//!
//! Invariants:
//! - WindFlow owns certificates: Caddy's automatic HTTPS and its ACME client are disabled in
//!   every configuration; certificates are loaded as PEM, HTTP-01 answers served as static
//!   responses.
//! - Caddy's admin API listens only on `localhost:2019` inside the gateway container; it is
//!   reached by exec through the Engine API, never published.
//! - HAProxy has no stats or master socket: it is reloaded by a signal through exec.
//! - A configuration Caddy or HAProxy refuses leaves the previous one serving; the refusal
//!   carries the proxy's message verbatim. HAProxy's is checked (`haproxy -c`) before any
//!   switch.
//! - A host no route names gets 404, a TLS server name no route names a closed connection,
//!   never another route's service.

pub mod caddy;
pub mod haproxy;
pub mod model;
pub mod ops;
pub mod runtime;
pub mod tcp_runtime;
pub mod validate;

pub use caddy::caddy_json;
pub use haproxy::haproxy_cfg;
pub use model::{
    AcmeChallenge, ActiveHealthCheck, GatewayConfig, HttpRoute, PemCertificate, TcpHealthCheck,
    TcpRoute, Timeouts, Upstream,
};
pub use ops::{GatewayOp, GatewayOps};
pub use runtime::{
    EngineClient, Ensured, ExecOutput, GatewayError, GatewayImage, GatewayNetworkDriver,
    GatewayRuntime, GatewaySettings, GatewayStatus, PublishedPort, UpstreamStatus,
};
pub use tcp_runtime::{
    TcpApplied, TcpGatewayImage, TcpGatewayRuntime, TcpGatewaySettings, TcpGatewayStatus,
};
pub use validate::{ConfigError, InvalidConfig, validate, validate_tcp};
