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
