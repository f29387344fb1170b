//! `windflow agent`: runs on a target host (typically behind NAT), dials OUT to the control
//! plane over WebSocket + TLS, and executes the engine commands it receives against the
//! host's local Docker engine, streaming progress and logs back — the engine's `Driver` ops
//! and the gateway's (`windflow_gateway::GatewayOp`, run with the same gateway runtimes a
//! directly reached target uses).
//!
//! - `state`: the identity (agent id + credential, 0600) and the command journal in the
//!   state directory.
//! - `link`: the connection loop (hello, heartbeats, commands, backoff) over an `Executor`.
//! - `tls`: the client TLS configuration (`--ca-cert` or the system roots; no insecure mode).
//!
//! *Invariants:* the agent only executes — it plans nothing and links neither storage nor
//! the server; every command is acknowledged and answered once per id, and a state-changing
//! command is never run twice for one id, even across a restart of the agent.

pub mod link;
pub mod state;
pub mod tls;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use async_trait::async_trait;
use serde_json::Value;
use windflow_engine::agent::{Op, error_parts, execute};
use windflow_engine::docker::DockerDriver;
use windflow_engine::driver::Driver;
use windflow_gateway::{GatewayOp, GatewayOps};
use windflow_protocol::agent::{
    CONNECT_PATH, CommandError, ENROLL_PATH, EnrollRequest, EnrollResponse, HostInfo, Outcome,
};

pub use link::{Agent, Executor, LinkError, LinkOptions};
pub use state::{Identity, Journal};

/// `windflow agent` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// The control plane's URL: https://host:port (http:// only to a loopback address)
    #[arg(long, env = "WINDFLOW_AGENT_SERVER", value_name = "URL")]
    pub server: String,
    /// An enrollment token (from POST /api/v1/orgs/{org}/agents/enrollments); needed on the
    /// first start only
    #[arg(
        long,
        env = "WINDFLOW_AGENT_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// The CA certificate (PEM) that signed the control plane's certificate [default: the
    /// system's roots]
    #[arg(long, env = "WINDFLOW_AGENT_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Where the agent keeps its credential and command journal
    #[arg(
        long,
        env = "WINDFLOW_AGENT_STATE_DIR",
        value_name = "DIR",
        default_value = "/var/lib/windflow-agent"
    )]
    pub state_dir: PathBuf,
    /// The local Docker engine [default: $DOCKER_HOST or the local socket]
    #[arg(long, env = "DOCKER_HOST", value_name = "HOST")]
    pub docker_host: Option<String>,
}

/// The agent's version, sent in its hello.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `https://cp:8443` → (`https://cp:8443` base, whether TLS). Plain HTTP only to loopback.
fn server_base(server: &str) -> anyhow::Result<(String, bool)> {
    let base = server.trim_end_matches('/').to_string();
    if base.starts_with("https://") {
        return Ok((base, true));
    }
    if let Some(rest) = base.strip_prefix("http://") {
        let host = rest.split('/').next().unwrap_or_default();
        let host = host
            .rsplit_once(':')
            .map_or(host, |(h, _)| h)
            .trim_matches(['[', ']']);
        let loopback =
            host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if loopback {
            return Ok((base, false));
        }
        bail!(
            "--server {server}: plain http:// is allowed only to a loopback address; use https:// (with --ca-cert for a private CA)"
        );
    }
    bail!("--server {server}: expected an https:// URL")
}

/// The WebSocket URL of the link for a server base URL.
pub fn connect_url(base: &str) -> String {
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_string()
    };
    format!("{ws}{CONNECT_PATH}")
}

/// Trades an enrollment token for an identity.
pub async fn enroll(
    base: &str,
    token: &str,
    tls: Option<&rustls::ClientConfig>,
) -> anyhow::Result<EnrollResponse> {
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
    if let Some(tls) = tls {
        let mut tls = tls.clone();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        builder = builder.tls_backend_preconfigured(tls);
    }
    let client = builder.build().context("building the HTTP client")?;
    let url = format!("{base}{ENROLL_PATH}");
    let response = client
        .post(&url)
        .json(&EnrollRequest {
            token: token.to_string(),
            hostname: hostname(),
            version: VERSION.to_string(),
        })
        .send()
        .await
        .with_context(|| format!("enrolling at {url}"))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_string))
            .unwrap_or(body);
        bail!("enrolling at {url}: HTTP {status}: {detail}");
    }
    response
        .json()
        .await
        .with_context(|| format!("reading the answer of {url}"))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Runs `windflow agent` until its credential is refused.
pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let (base, secure) = server_base(&args.server)?;
    let tls = if secure {
        Some(Arc::new(tls::client_config(args.ca_cert.as_deref())?))
    } else {
        None
    };
    state::create_dir(&args.state_dir)?;
    let identity = match state::load_identity(&args.state_dir)? {
        Some(identity) => identity,
        None => {
            let Some(token) = args.token.as_deref() else {
                bail!(
                    "no credential in {}: pass --token <enrollment token> on the first start",
                    args.state_dir.display()
                );
            };
            let enrolled = enroll(&base, token, tls.as_deref()).await?;
            let identity = Identity {
                agent_id: enrolled.agent_id,
                credential: enrolled.credential,
                server: base.clone(),
                org: enrolled.org,
                target: enrolled.target,
            };
            state::save_identity(&args.state_dir, &identity)?;
            tracing::info!(agent = %identity.agent_id, target = %identity.target, org = %identity.org, "enrolled");
            identity
        }
    };
    let driver = DockerDriver::connect(args.docker_host.as_deref())
        .context("connecting to the local Docker engine")?;
    let (journal, remembered) = Journal::open(&args.state_dir)?;
    let executor = Arc::new(DockerExecutor::new(driver, args.state_dir.clone()));
    let agent = Agent::new(executor, journal, remembered);
    tracing::info!(agent = %identity.agent_id, target = %identity.target, server = %base, "windflow agent starting");
    agent
        .run(LinkOptions {
            url: connect_url(&base),
            credential: identity.credential,
            tls,
            version: VERSION.to_string(),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        })
        .await?;
    Ok(())
}

/// Runs commands on the host's engine: `Driver` ops, and gateway ops (named `gateway_*`)
/// with the settings the control plane sends.
pub struct DockerExecutor {
    pub driver: Arc<dyn Driver>,
    pub gateway: GatewayOps,
    pub state_dir: PathBuf,
}

fn command_error(kind: &str, subject: String, message: String) -> Outcome {
    Outcome::Error(CommandError {
        kind: kind.to_string(),
        subject,
        message,
    })
}

#[async_trait]
impl Executor for DockerExecutor {
    async fn host_info(&self) -> HostInfo {
        let mut host = host_info(Path::new("/var/lib/docker"), &self.state_dir);
        match self.driver.info().await {
            Ok(info) => {
                host.engine_version = info.version;
                host.api_version = info.api_version;
                host.os = info.os;
                host.arch = info.arch;
                host.engine_id = info.engine_id;
            }
            Err(e) => tracing::warn!(error = %e, "reading the engine's version"),
        }
        host
    }

    fn changes_state(&self, op: &Value) -> bool {
        if GatewayOp::is_gateway_op(op) {
            return serde_json::from_value::<GatewayOp>(op.clone())
                .map_or(true, |op| op.changes_state());
        }
        serde_json::from_value::<Op>(op.clone()).map_or(true, |op| op.changes_state())
    }

    async fn execute(&self, op: Value, emit: &(dyn Fn(Value) + Send + Sync)) -> Outcome {
        if GatewayOp::is_gateway_op(&op) {
            return self.execute_gateway(op).await;
        }
        let op = match serde_json::from_value::<Op>(op) {
            Ok(op) => op,
            Err(e) => {
                return command_error(
                    "engine",
                    "agent".into(),
                    format!("this agent ({VERSION}) does not know the command: {e}"),
                );
            }
        };
        let what = op.describe();
        let started = std::time::Instant::now();
        let result = execute(self.driver.as_ref(), op, emit).await;
        tracing::debug!(command = %what, elapsed_ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "command");
        match result {
            Ok(value) => Outcome::Ok(value),
            Err(e) => {
                let (kind, subject, message) = error_parts(&e);
                command_error(kind, subject, message)
            }
        }
    }
}

impl DockerExecutor {
    /// Runs both kinds of op on the engine `driver` reaches.
    pub fn new(driver: DockerDriver, state_dir: PathBuf) -> Self {
        let gateway = GatewayOps::new(driver.client().clone());
        Self {
            driver: Arc::new(driver),
            gateway,
            state_dir,
        }
    }

    async fn execute_gateway(&self, op: Value) -> Outcome {
        let op = match serde_json::from_value::<GatewayOp>(op) {
            Ok(op) => op,
            Err(e) => {
                return command_error(
                    "engine",
                    "agent".into(),
                    format!("this agent ({VERSION}) does not know the gateway command: {e}"),
                );
            }
        };
        let what = op.describe();
        let started = std::time::Instant::now();
        let result = self.gateway.execute(op).await;
        tracing::debug!(command = %what, elapsed_ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "gateway command");
        match result {
            Ok(value) => Outcome::Ok(value),
            Err(e) => {
                let (kind, subject, message) = windflow_gateway::ops::error_parts(&e);
                command_error(kind, subject, message)
            }
        }
    }
}

/// CPUs, memory and free disk of this host: cgroup-aware CPU count, `MemTotal`, and the free
/// space of the engine's root directory (or of the state directory when that is not visible,
/// as in a container).
pub fn host_info(docker_root: &Path, state_dir: &Path) -> HostInfo {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let memory_bytes = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024);
    let disk_free_bytes = free_space(docker_root).or_else(|| free_space(state_dir));
    HostInfo {
        hostname: hostname(),
        cpus,
        memory_bytes,
        disk_free_bytes,
        ..Default::default()
    }
}

fn free_space(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `stat` a valid out pointer.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert_eq!(
            server_base("https://cp.example:8443/").unwrap(),
            ("https://cp.example:8443".into(), true)
        );
        assert!(server_base("http://127.0.0.1:8080").unwrap().0 == "http://127.0.0.1:8080");
        assert!(server_base("http://[::1]:8080").is_ok());
        let err = server_base("http://10.0.0.5:8080").unwrap_err().to_string();
        assert!(err.contains("loopback"), "{err}");
        assert!(server_base("ftp://x").is_err());
        assert_eq!(
            connect_url("https://cp:8443"),
            "wss://cp:8443/api/v1/agents/connect"
        );
    }

    #[test]
    fn host_info_reads_this_host() {
        let info = host_info(Path::new("/nonexistent"), Path::new("/"));
        assert!(info.cpus >= 1);
        assert!(info.memory_bytes > 0);
        assert!(info.disk_free_bytes.is_some());
    }
}
