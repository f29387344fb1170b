//! Targets as every layer names them: how one is reached ([`TargetKind`]) and how it
//! answered when last checked ([`TargetStatus`]).

use serde::{Deserialize, Serialize};

/// How a target is reached, and so which deploy mode serves it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A Docker engine at a socket, `tcp://` (TLS) or `http(s)://` endpoint.
    Docker,
    /// A Docker engine reached over SSH.
    Ssh,
    /// A Docker engine behind an outbound agent.
    Agent,
    /// A Swarm manager: stacks become Swarm services.
    Swarm,
    /// A Kubernetes cluster's API server: stacks become objects in a namespace each.
    Kubernetes,
}

impl TargetKind {
    pub const ALL: [TargetKind; 5] = [
        TargetKind::Docker,
        TargetKind::Ssh,
        TargetKind::Agent,
        TargetKind::Swarm,
        TargetKind::Kubernetes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Docker => "docker",
            TargetKind::Ssh => "ssh",
            TargetKind::Agent => "agent",
            TargetKind::Swarm => "swarm",
            TargetKind::Kubernetes => "kubernetes",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        TargetKind::ALL.into_iter().find(|kind| kind.as_str() == s)
    }
}

/// How a target answered its last connection check.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Not checked yet.
    Unknown,
    Up,
    Down,
}

impl TargetStatus {
    pub const ALL: [TargetStatus; 3] =
        [TargetStatus::Unknown, TargetStatus::Up, TargetStatus::Down];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Unknown => "unknown",
            TargetStatus::Up => "up",
            TargetStatus::Down => "down",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        TargetStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for kind in TargetKind::ALL {
            assert_eq!(TargetKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for status in TargetStatus::ALL {
            assert_eq!(TargetStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(TargetKind::parse("nomad"), None);
    }
}
