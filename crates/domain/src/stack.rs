//! The normalized stack: what a compose file means once it is parsed, interpolated, merged,
//! profile-filtered and validated. Every path is absolute, every default is applied, every
//! short syntax is expanded to its long form. Two stacks that mean the same thing compare equal
//! and serialize identically, which is what the planner's config hash relies on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ingress::Ingress;
use crate::units::opt_go_duration;

/// A whole stack as its compose file asks for it (a compose "project"): the desired state
/// the planner compares with what a target runs. Not to be confused with the stack the
/// control plane stores (`windflow_storage::Stack`, a name with numbered versions of a compose
/// file) or shows (`windflow_protocol::Stack`): loading one of those versions gives a
/// `StackSpec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StackSpec {
    /// The project name: lowercase `[a-z0-9_-]`, starting with a letter or digit.
    pub name: String,
    /// The directory relative paths were resolved against.
    pub working_dir: PathBuf,
    /// The compose files this stack was read from, in merge order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_files: Vec<PathBuf>,
    pub services: BTreeMap<String, Service>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Network>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Volume>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, FileObject>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, FileObject>,
}

/// One service of a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Service {
    /// The image to run. For a service with `build` and no `image`, the loader sets it to
    /// `<project>-<service>` (compose's convention), so this is always known.
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<PullPolicy>,
    /// `None` keeps the image's CMD; `Some(vec![])` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Resolved environment (env_file entries first, then `environment` over them). Variables
    /// listed without a value and absent from the environment are dropped, as compose does.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    /// Ports exposed to linked services only (`expose`), as `"80"` or `"80/udp"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Mount>,
    /// `tmpfs:` at service level, as container paths (optionally `path:options`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    /// Networks by their stack-level key (e.g. `default`, `backend`). Empty only when
    /// `network_mode` is set.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, ServiceNetwork>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, Dependency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    /// `no`, `always`, `on-failure[:N]`, `unless-stopped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tty: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stdin_open: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_go_duration"
    )]
    pub stop_grace_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, Ulimit>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// `host:ip` pairs, in the order written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,
    pub deploy: Deploy,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<FileReference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<FileReference>,
    /// The profiles that enable this service; empty means always enabled. Kept for `config`
    /// output; services of inactive profiles are already removed from the stack.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// `platform:` (`linux/amd64`): the image variant to pull and run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Host devices mapped into the container (`devices:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceMapping>,
    /// `gpus:` (`all` is one request with count -1 and capability `gpu`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<DeviceRequest>,
    /// PID namespace: `host`, `service:<name>` or `container:<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    /// IPC namespace: `private`, `shareable`, `none`, `host`, `service:<name>` or
    /// `container:<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc: Option<String>,
    /// `links:` as `service` or `service:alias`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// `volumes_from:` as `service[:ro|rw]` or `container:<name>[:ro|rw]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    /// Relative CPU weight (`cpu_shares:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_shares: Option<i64>,
    /// The service's domains at the target's gateway (`x-windflow:` in the compose file).
    /// Not part of any container's configuration: a change of domains changes routes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Ingress>,
    /// Raw TCP forwards of gateway ports to this service (`x-windflow.tcp:`). Like `ingress`,
    /// gateway routes only, not container configuration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tcp: Vec<crate::ingress::TcpForward>,
    /// Kernel and runtime settings passed to the engine as written.
    #[serde(default, flatten)]
    pub tuning: Tuning,
}

/// Service keys that go to the engine unchanged: CPU and memory tuning, namespaces, the
/// runtime. Each is the compose key of the same name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Tuning {
    /// cgroup namespace: `host` or `private`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup_parent: Option<String>,
    /// Microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_period: Option<i64>,
    /// Microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<i64>,
    /// Microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_rt_period: Option<i64>,
    /// Microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_rt_runtime: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpuset: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_swappiness: Option<i64>,
    /// Bytes; `-1` is unlimited swap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memswap_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oom_kill_disable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage_opt: BTreeMap<String, String>,
    /// User namespace: `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userns_mode: Option<String>,
    /// UTS namespace: `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uts: Option<String>,
}

impl StackSpec {
    /// The name of replica `number` of `service`: its fixed `container_name`, else
    /// `<project>-<service>-<number>`.
    pub fn replica_name(&self, service: &str, number: u32) -> String {
        match self
            .services
            .get(service)
            .and_then(|s| s.container_name.as_ref())
        {
            Some(fixed) => fixed.clone(),
            None => crate::naming::container_name(&self.name, service, number),
        }
    }
}

impl Service {
    /// The TCP ports the service publishes or exposes (`ports:` targets and `expose:`), the
    /// ones its domains may forward to.
    /// Whether the gateway routes to this service (domains or TCP forwards), so its
    /// containers join the gateway's network.
    pub fn uses_gateway(&self) -> bool {
        self.ingress.is_some() || !self.tcp.is_empty()
    }

    pub fn declared_tcp_ports(&self) -> std::collections::BTreeSet<u16> {
        let mut ports: std::collections::BTreeSet<u16> = self
            .ports
            .iter()
            .filter(|p| p.protocol == "tcp")
            .map(|p| p.target)
            .collect();
        for text in &self.expose {
            let (range, protocol) = text.split_once('/').unwrap_or((text, "tcp"));
            if protocol != "tcp" {
                continue;
            }
            let (start, end) = range.split_once('-').unwrap_or((range, range));
            if let (Ok(start), Ok(end)) = (start.parse::<u16>(), end.parse::<u16>()) {
                ports.extend(start..=end);
            }
        }
        ports
    }

    /// The services whose containers this one joins or reads from (`network_mode`, `pid`,
    /// `ipc` as `service:<name>`, and `volumes_from` services), with the field that names
    /// each: their containers must exist before this one is created.
    pub fn shared_parents(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for (field, value) in [
            ("network_mode", &self.network_mode),
            ("pid", &self.pid),
            ("ipc", &self.ipc),
        ] {
            if let Some(parent) = value.as_deref().and_then(|m| m.strip_prefix("service:")) {
                out.push((field, parent));
            }
        }
        for entry in &self.volumes_from {
            if !entry.starts_with("container:") {
                out.push(("volumes_from", volumes_from_parts(entry).0));
            }
        }
        out
    }
}

/// `volumes_from` entry → (service or `container:<name>`, access mode if written).
pub fn volumes_from_parts(entry: &str) -> (&str, Option<&str>) {
    let (head, rest) = match entry.strip_prefix("container:") {
        Some(rest) => ("container:", rest),
        None => ("", entry),
    };
    match rest.rsplit_once(':') {
        Some((name, mode @ ("ro" | "rw"))) => (&entry[..head.len() + name.len()], Some(mode)),
        _ => (entry, None),
    }
}

/// One `devices:` entry: a host device and where it appears in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceMapping {
    pub source: String,
    pub target: String,
    /// cgroup permissions, `rwm` by default.
    pub permissions: String,
}

/// A device requested from a driver (GPUs): a `gpus:` entry or a device reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeviceRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// How many devices; `-1` is all. `None` when `device_ids` name them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Build {
    /// Absolute path of the build context.
    pub context: PathBuf,
    /// Dockerfile path relative to the context (default `Dockerfile`).
    pub dockerfile: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_cache: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_hosts: BTreeMap<String, String>,
    /// Images the builder may reuse layers from (`cache_from`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_from: Vec<String>,
    /// Pull the base images even when present (`pull: true`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pull: bool,
    /// Bytes of /dev/shm for the build containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullPolicy {
    Always,
    Never,
    Missing,
    Build,
    /// `daily`, `weekly` or `every_<duration>`: pull when the local image was last refreshed
    /// longer ago than this many seconds (or is missing).
    Refresh(u64),
}

/// One published or exposed port binding, after range expansion (`8000-8001:80-81` becomes two).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub target: u16,
    /// Host port or host port range (`"8080"`, `"8000-8010"`); `None` lets the engine choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// `name` and `app_protocol` of the long syntax: descriptive, for platforms that use
    /// them; the Docker engine has no field for either (`docker compose` drops them too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

impl Port {
    /// A single fixed host port forces stop-first on recreate: old and new containers cannot
    /// both hold it.
    pub fn is_fixed(&self) -> bool {
        self.published.as_deref().is_some_and(|p| !p.is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MountKind {
    Volume,
    Bind,
    Tmpfs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    #[serde(rename = "type")]
    pub kind: MountKind,
    /// Volume: the stack-level volume key (e.g. `data`), or `None` for an anonymous volume.
    /// Bind: the absolute host path. Tmpfs: `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub target: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// Bind: create the host path when missing (compose's default for the short syntax).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_host_path: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagation: Option<String>,
    /// Bind: SELinux relabel `z` or `Z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selinux: Option<String>,
    /// Volume: do not copy image content into a new volume.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nocopy: bool,
    /// Tmpfs: size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_mode: Option<u32>,
    /// Volume: mount only this path inside the volume (`volume.subpath`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
}

impl Mount {
    /// A mount with no options set: read-write, no propagation, no tmpfs limits.
    pub fn new(kind: MountKind, source: Option<String>, target: impl Into<String>) -> Self {
        Self {
            kind,
            source,
            target: target.into(),
            read_only: false,
            create_host_path: false,
            propagation: None,
            selinux: None,
            nocopy: false,
            tmpfs_size: None,
            tmpfs_mode: None,
            subpath: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ServiceNetwork {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    #[default]
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub condition: Condition,
    /// Restart this service when the dependency is recreated (compose's `restart: true`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restart: bool,
    /// `false` lets the deployment go on when the dependency is absent.
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Healthcheck {
    /// Engine form: `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`.
    pub test: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_go_duration"
    )]
    pub interval: Option<Duration>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_go_duration"
    )]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_go_duration"
    )]
    pub start_period: Option<Duration>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_go_duration"
    )]
    pub start_interval: Option<Duration>,
    /// `disable: true` (or `test: ["NONE"]`) turns off the image's healthcheck.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disable: bool,
}

impl Healthcheck {
    /// The engine's defaults (30s interval, 30s timeout, 3 retries, no start period).
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_RETRIES: u32 = 3;

    /// The longest a container can take to be declared unhealthy by this check: the start
    /// period plus every retry's interval and timeout. A deployment waits at most this long
    /// (plus a margin) before giving up on the service.
    pub fn worst_case(&self) -> Duration {
        let interval = self.interval.unwrap_or(Self::DEFAULT_INTERVAL);
        let timeout = self.timeout.unwrap_or(Self::DEFAULT_TIMEOUT);
        let retries = self.retries.unwrap_or(Self::DEFAULT_RETRIES).max(1);
        self.start_period.unwrap_or_default() + (interval + timeout) * (retries + 1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Logging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deploy {
    pub replicas: u32,
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub limits: Resources,
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub reservations: Resources,
    /// Swarm-only keys kept for later targets (update_config, placement, ...), as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub swarm: BTreeMap<String, serde_json::Value>,
}

impl Default for Deploy {
    fn default() -> Self {
        Self {
            replicas: 1,
            limits: Resources::default(),
            reservations: Resources::default(),
            swarm: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Resources {
    /// Fractional CPUs (`0.5` = half a core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pids: Option<i64>,
    /// Reservations only: devices requested from a driver (`devices:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceRequest>,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.cpus.is_none()
            && self.memory.is_none()
            && self.pids.is_none()
            && self.devices.is_empty()
    }
}

/// A service's use of a top-level secret or config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReference {
    /// The stack-level key.
    pub source: String,
    /// Absolute path in the container (secrets default to `/run/secrets/<source>`, configs to
    /// `/<source>`).
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// A top-level secret or config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FileObject {
    /// The engine-side name (`<project>_<key>` unless `name:` is given).
    pub name: String,
    /// Absolute host path of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// Taken from this environment variable at deploy time instead of a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Inline content (configs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Network {
    /// The engine-side name: `<project>_<key>` unless `name:` is given or the network is
    /// external (then the key, or `name:`).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attachable: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enable_ipv6: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Ipam {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct IpamPool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Volume {
    /// The engine-side name: `<project>_<key>` unless `name:` is given or the volume is
    /// external.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl StackSpec {
    /// Services in an order where every service comes after the services it depends on
    /// (ties broken by name). The loader rejects cycles, so this always covers every service.
    pub fn dependency_order(&self) -> Vec<&str> {
        let mut order: Vec<&str> = Vec::with_capacity(self.services.len());
        let mut placed = std::collections::BTreeSet::new();
        while order.len() < self.services.len() {
            let before = order.len();
            for (name, service) in &self.services {
                if placed.contains(name.as_str()) {
                    continue;
                }
                let ready = service
                    .depends_on
                    .keys()
                    .all(|d| placed.contains(d.as_str()) || !self.services.contains_key(d));
                if ready {
                    placed.insert(name.as_str());
                    order.push(name.as_str());
                }
            }
            if order.len() == before {
                // A cycle (rejected by the loader); place the rest by name rather than loop.
                for name in self.services.keys() {
                    if placed.insert(name.as_str()) {
                        order.push(name.as_str());
                    }
                }
            }
        }
        order
    }

    /// Services that some other service waits for with `service_completed_successfully`:
    /// one-shot jobs whose success is their exit code 0, not their being up.
    pub fn is_job(&self, service: &str) -> bool {
        self.services.values().any(|s| {
            s.depends_on
                .get(service)
                .is_some_and(|d| d.condition == Condition::ServiceCompletedSuccessfully)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack_with(deps: &[(&str, &[&str])]) -> StackSpec {
        let mut stack = StackSpec::default();
        for (name, on) in deps {
            let mut service = Service::default();
            for d in *on {
                service.depends_on.insert(
                    d.to_string(),
                    Dependency {
                        condition: Condition::ServiceStarted,
                        restart: false,
                        required: true,
                    },
                );
            }
            stack.services.insert(name.to_string(), service);
        }
        stack
    }

    #[test]
    fn dependency_order_puts_dependencies_first() {
        let stack = stack_with(&[
            ("web", &["api"]),
            ("api", &["db", "cache"]),
            ("db", &[]),
            ("cache", &[]),
        ]);
        assert_eq!(stack.dependency_order(), vec!["cache", "db", "api", "web"]);
    }

    #[test]
    fn healthcheck_worst_case_uses_engine_defaults() {
        let hc = Healthcheck {
            test: vec!["CMD".into(), "true".into()],
            ..Default::default()
        };
        assert_eq!(hc.worst_case(), Duration::from_secs(240));
        let hc = Healthcheck {
            interval: Some(Duration::from_secs(1)),
            timeout: Some(Duration::from_secs(2)),
            retries: Some(2),
            start_period: Some(Duration::from_secs(5)),
            ..hc
        };
        assert_eq!(hc.worst_case(), Duration::from_secs(14));
    }
}
