//! What a target really runs, as the planner needs to see it. Drivers fill these from the
//! engine (one listing call each), so they hold only what listing gives cheaply.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything on a target that matters for planning one project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// Containers labelled with the project.
    pub containers: Vec<ObservedContainer>,
    /// Networks by engine name: the project's, and any other the stack names (external ones).
    pub networks: BTreeMap<String, ObservedResource>,
    /// Volumes by engine name, likewise.
    pub volumes: BTreeMap<String, ObservedResource>,
    /// Image reference → local image id, for the references the stack uses that exist locally.
    pub images: BTreeMap<String, String>,
    /// Image reference → when the local image was last refreshed (unix seconds: the later of
    /// its creation and its last tagging), for `pull_policy: daily|weekly|every_<duration>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub image_refreshed: BTreeMap<String, u64>,
    /// When this was observed (unix seconds).
    #[serde(default)]
    pub observed_at: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedContainer {
    pub id: String,
    pub name: String,
    pub service: String,
    pub number: u32,
    pub config_hash: Option<String>,
    /// The id of the image the container was created from.
    pub image_id: String,
    pub state: ContainerState,
    pub health: Option<Health>,
    /// The stack version that deployed it (`io.windflow.stack-version`), when WindFlow did.
    pub stack_version: Option<u64>,
    /// The container's published ports as `host_ip:host_port->port/proto`, for `ps`.
    #[serde(default)]
    pub ports: Vec<String>,
    /// The engine's human status (`Up 3 minutes (healthy)`), for `ps`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub image: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl ContainerState {
    pub fn parse(s: &str) -> Self {
        match s {
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" => Self::Restarting,
            "removing" => Self::Removing,
            "exited" => Self::Exited,
            "dead" => Self::Dead,
            _ => Self::Created,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Removing => "removing",
            Self::Exited => "exited",
            Self::Dead => "dead",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    /// Reads the health from the engine's status text (`Up 5s (healthy)`).
    pub fn from_status(status: &str) -> Option<Self> {
        if status.contains("(healthy)") {
            Some(Self::Healthy)
        } else if status.contains("(unhealthy)") {
            Some(Self::Unhealthy)
        } else if status.contains("(health: starting)") {
            Some(Self::Starting)
        } else {
            None
        }
    }
}

/// A network or volume as listed by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedResource {
    pub name: String,
    /// The `com.docker.compose.project` label, when present.
    pub project: Option<String>,
    /// WindFlow's definition hash label, when WindFlow created it.
    pub definition_hash: Option<String>,
}

impl Observed {
    pub fn containers_of<'a>(
        &'a self,
        service: &'a str,
    ) -> impl Iterator<Item = &'a ObservedContainer> {
        self.containers.iter().filter(move |c| c.service == service)
    }
}

/// What an engine says about itself and its host (`docker version` and `docker info`, and
/// the containers' reservations): what a connection test records on a target and what
/// placement reads. The REST API shows it as it is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EngineInfo {
    /// The engine's own identity (`docker info` → `ID`), the same through every endpoint that
    /// reaches it (a socket, TCP, SSH, an agent): one engine belongs to one organization
    /// unless a server administrator shares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_id: Option<String>,
    pub version: String,
    pub api_version: String,
    pub os: String,
    pub arch: String,
    /// The engine host's name.
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub cpus: u64,
    /// Bytes of memory on the engine's host.
    #[serde(default)]
    pub memory_bytes: u64,
    /// Bytes reserved by running containers (their reservation, else their limit): what
    /// placement counts as taken.
    #[serde(default)]
    pub reserved_memory_bytes: u64,
    /// Free bytes on the engine's data-root filesystem; absent when the target cannot tell
    /// (a remote engine reached over TCP or SSH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_disk_bytes: Option<u64>,
    #[serde(default)]
    pub containers_running: u64,
    /// `manager` or `worker` when the engine is part of a Swarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm_role: Option<String>,
}

impl EngineInfo {
    /// Memory not reserved by running containers.
    pub fn free_memory_bytes(&self) -> u64 {
        self.memory_bytes.saturating_sub(self.reserved_memory_bytes)
    }
}

/// One node of a Swarm, as its manager lists it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwarmNode {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// `ready`, `down`, ...
    pub state: String,
    pub address: Option<String>,
    pub leader: bool,
    pub engine_version: Option<String>,
    pub os: Option<String>,
    pub arch: Option<String>,
    pub labels: BTreeMap<String, String>,
}
