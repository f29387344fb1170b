//! Wire types for browsing a target: its containers, images, networks and volumes, containers'
//! live resource usage, and container actions (`/orgs/{org}/targets/{target}/…`).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Everything one target's engine holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Inventory {
    pub containers: Vec<InventoryContainer>,
    pub images: Vec<InventoryImage>,
    pub networks: Vec<InventoryNetwork>,
    pub volumes: Vec<InventoryVolume>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InventoryContainer {
    pub id: String,
    pub name: String,
    pub image: String,
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    pub state: String,
    /// The engine's human status (`Up 3 minutes (healthy)`).
    pub status: String,
    /// The stack (compose project) the container belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub ports: Vec<PortMapping>,
    /// Unix seconds.
    pub created: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PortMapping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    pub container_port: u16,
    pub protocol: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InventoryImage {
    pub id: String,
    pub tags: Vec<String>,
    pub size_bytes: i64,
    /// Unix seconds.
    pub created: i64,
    /// Containers using it (-1 when the engine did not count).
    pub containers: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InventoryNetwork {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub internal: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InventoryVolume {
    pub name: String,
    pub driver: String,
    pub mountpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

/// One resource-usage sample of a running container.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContainerStats {
    pub id: String,
    /// Percent of one CPU core over the engine's last sampling interval.
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
}

/// What to do to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContainerAction {
    Start,
    Stop,
    Restart,
}

impl ContainerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
        }
    }
}

/// `?follow=&tail=` for a container's log.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContainerLogQuery {
    /// Keep streaming new lines.
    #[serde(default)]
    pub follow: bool,
    /// Lines from the end (default 200).
    pub tail: Option<u64>,
}
