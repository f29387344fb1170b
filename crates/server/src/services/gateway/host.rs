//! Where a target's gateway runs, behind one type: [`GatewayHost`] is the gateway runtimes
//! over the engine's own client (a `docker` or `ssh` target) or the same runtime calls sent
//! as `windflow_gateway::GatewayOp`s over an agent's link (an `agent` target, whose agent
//! runs them on its engine). `prepare`, `sync`, the HTTP-01 solver and `info` go through it,
//! so none of them branches on the target's kind.
//!
//! *Invariant:* the agent gets the settings chosen here with every op; it has none of its
//! own, and the runtime code it runs is the one a direct target uses (admin API unpublished).

use serde::de::DeserializeOwned;
use serde_json::Value;
use windflow_gateway::{
    Ensured, GatewayConfig, GatewayError, GatewayOp, GatewayRuntime, GatewaySettings,
    GatewayStatus, TcpApplied, TcpGatewayRuntime, TcpGatewaySettings, TcpGatewayStatus, TcpRoute,
};
use windflow_protocol::agent::Outcome;
use windflow_storage::{Target, TargetKind};

use crate::agents::AgentHandle;
use crate::services;
use crate::state::App;

/// A target's gateway (HTTP and TCP), wherever its engine is.
pub enum GatewayHost {
    /// The engine reached directly (socket, TCP+TLS, SSH): the runtimes over its client.
    Direct {
        http: Box<GatewayRuntime>,
        tcp: Box<TcpGatewayRuntime>,
    },
    /// The engine behind `windflow agent`: each call an op over the agent's link.
    Agent {
        link: AgentHandle,
        http: Box<GatewaySettings>,
        tcp: Box<TcpGatewaySettings>,
    },
}

impl GatewayHost {
    /// The gateway of `target`, run with `http` and `tcp` settings.
    pub fn of(
        app: &App,
        target: &Target,
        http: GatewaySettings,
        tcp: TcpGatewaySettings,
    ) -> anyhow::Result<Self> {
        if target.kind == TargetKind::Agent {
            let link =
                services::targets::agent_link(app, target).map_err(|e| anyhow::anyhow!("{e}"))?;
            return Ok(Self::Agent {
                link,
                http: Box::new(http),
                tcp: Box::new(tcp),
            });
        }
        let driver = services::targets::config::docker_driver(&app.keyring, target)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self::Direct {
            http: Box::new(GatewayRuntime::new(driver.client().clone(), http)),
            tcp: Box::new(TcpGatewayRuntime::new(driver.client().clone(), tcp)),
        })
    }

    /// `GatewayRuntime::ensure`.
    pub async fn ensure(&self) -> Result<Ensured, GatewayError> {
        match self {
            Self::Direct { http, .. } => http.ensure().await,
            Self::Agent { link, http, .. } => {
                call(
                    link,
                    GatewayOp::GatewayEnsure {
                        settings: GatewaySettings::clone(http),
                    },
                )
                .await
            }
        }
    }

    /// `GatewayRuntime::apply`: validated here first, so an invalid configuration never
    /// travels; Caddy's refusal comes back as `Rejected` with its message.
    pub async fn apply(&self, config: &GatewayConfig) -> Result<(), GatewayError> {
        match self {
            Self::Direct { http, .. } => http.apply(config).await,
            Self::Agent { link, http, .. } => {
                windflow_gateway::validate(config)?;
                call(
                    link,
                    GatewayOp::GatewayApply {
                        settings: GatewaySettings::clone(http),
                        config: Box::new(config.clone()),
                    },
                )
                .await
            }
        }
    }

    /// `GatewayRuntime::status`; an agent that is not connected is answered at once.
    pub async fn status(&self) -> Result<GatewayStatus, GatewayError> {
        match self {
            Self::Direct { http, .. } => http.status().await,
            Self::Agent { link, http, .. } => {
                connected(link)?;
                call(
                    link,
                    GatewayOp::GatewayStatus {
                        settings: GatewaySettings::clone(http),
                    },
                )
                .await
            }
        }
    }

    /// Whether the gateway container exists and runs.
    pub async fn running(&self) -> Result<bool, GatewayError> {
        match self {
            Self::Direct { http, .. } => http.running().await,
            Self::Agent { link, http, .. } => {
                call(
                    link,
                    GatewayOp::GatewayRunning {
                        settings: GatewaySettings::clone(http),
                    },
                )
                .await
            }
        }
    }

    /// `TcpGatewayRuntime::apply`.
    pub async fn apply_tcp(&self, routes: &[TcpRoute]) -> Result<TcpApplied, GatewayError> {
        match self {
            Self::Direct { tcp, .. } => tcp.apply(routes).await,
            Self::Agent { link, tcp, .. } => {
                windflow_gateway::validate_tcp(routes, &tcp.reserved_ports)?;
                call(
                    link,
                    GatewayOp::GatewayTcpApply {
                        settings: TcpGatewaySettings::clone(tcp),
                        routes: routes.to_vec(),
                    },
                )
                .await
            }
        }
    }

    /// `TcpGatewayRuntime::status`; an agent that is not connected is answered at once.
    pub async fn tcp_status(&self) -> Result<Option<TcpGatewayStatus>, GatewayError> {
        match self {
            Self::Direct { tcp, .. } => tcp.status().await,
            Self::Agent { link, tcp, .. } => {
                connected(link)?;
                call(
                    link,
                    GatewayOp::GatewayTcpStatus {
                        settings: TcpGatewaySettings::clone(tcp),
                    },
                )
                .await
            }
        }
    }
}

fn not_connected(link: &AgentHandle) -> GatewayError {
    GatewayError::Engine {
        context: format!("the gateway of agent target {}", link.target_name()),
        message: format!(
            "agent {} is not connected; check that `windflow agent` runs on its host and reaches this server",
            link.target_name()
        ),
    }
}

fn connected(link: &AgentHandle) -> Result<(), GatewayError> {
    if link.is_connected() {
        Ok(())
    } else {
        Err(not_connected(link))
    }
}

/// Sends `op` to the agent and decodes its answer; the agent's error keeps its kind.
async fn call<T: DeserializeOwned>(link: &AgentHandle, op: GatewayOp) -> Result<T, GatewayError> {
    let what = op.describe();
    let value = serde_json::to_value(&op).map_err(|e| GatewayError::Engine {
        context: what.clone(),
        message: e.to_string(),
    })?;
    let outcome = link
        .send(value, None)
        .await
        .map_err(|e| GatewayError::Engine {
            context: format!("{what} on agent {}", link.target_name()),
            message: e.to_string(),
        })?;
    match outcome {
        Outcome::Ok(value) => decode(&what, value),
        Outcome::Error(e) => Err(windflow_gateway::ops::error_from_parts(
            &e.kind, e.subject, e.message,
        )),
    }
}

fn decode<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, GatewayError> {
    serde_json::from_value(value).map_err(|e| GatewayError::Engine {
        context: format!("the agent's answer to {what}"),
        message: e.to_string(),
    })
}
