//! A deployment's life: `queued → running → succeeded | failed | rolled_back | cancelled`,
//! and `queued → cancelled`. [`DeploymentState::can_become`] is the only place that says
//! which moves are legal.

use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentState {
    /// Waiting for a worker (and for any deployment of the same stack on the same target).
    Queued,
    /// A worker is executing it.
    Running,
    /// Every service is up and ready.
    Succeeded,
    /// It failed and the previous version could not be fully restored.
    Failed,
    /// It failed and the previous version runs again.
    RolledBack,
    /// Cancelled before it started, or stopped on request and the previous version restored.
    Cancelled,
}

impl DeploymentState {
    pub const ALL: [DeploymentState; 6] = [
        DeploymentState::Queued,
        DeploymentState::Running,
        DeploymentState::Succeeded,
        DeploymentState::Failed,
        DeploymentState::RolledBack,
        DeploymentState::Cancelled,
    ];

    pub fn is_terminal(self) -> bool {
        !matches!(self, DeploymentState::Queued | DeploymentState::Running)
    }

    /// Whether a deployment in `self` may move to `next`.
    pub fn can_become(self, next: DeploymentState) -> bool {
        use DeploymentState::*;
        match self {
            Queued => matches!(next, Running | Cancelled),
            Running => next.is_terminal(),
            _ => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::Queued => "queued",
            DeploymentState::Running => "running",
            DeploymentState::Succeeded => "succeeded",
            DeploymentState::Failed => "failed",
            DeploymentState::RolledBack => "rolled_back",
            DeploymentState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        DeploymentState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for DeploymentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::DeploymentState::*;
    use super::*;

    #[test]
    fn legal_moves() {
        let legal: Vec<(DeploymentState, DeploymentState)> = DeploymentState::ALL
            .into_iter()
            .flat_map(|a| DeploymentState::ALL.into_iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        assert_eq!(
            legal,
            vec![
                (Queued, Running),
                (Queued, Cancelled),
                (Running, Succeeded),
                (Running, Failed),
                (Running, RolledBack),
                (Running, Cancelled),
            ]
        );
    }

    #[test]
    fn names_round_trip() {
        for s in DeploymentState::ALL {
            assert_eq!(DeploymentState::parse(s.as_str()), Some(s));
        }
    }
}

/// Why a deployment exists.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentKind {
    /// Run a stack version.
    Deploy,
    /// Run an earlier version again.
    Rollback,
    /// Remove what the stack runs.
    Remove,
}

impl DeploymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentKind::Deploy => "deploy",
            DeploymentKind::Rollback => "rollback",
            DeploymentKind::Remove => "remove",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "deploy" => DeploymentKind::Deploy,
            "rollback" => DeploymentKind::Rollback,
            "remove" => DeploymentKind::Remove,
            _ => return None,
        })
    }
}
