//! The gateway driven from afar: [`GatewayOp`] is one runtime call as data (what the control
//! plane sends an agent over its link), [`GatewayOps::execute`] runs one with the same
//! [`GatewayRuntime`] and [`TcpGatewayRuntime`] on the agent's local engine, and
//! [`error_parts`] / [`error_from_parts`] carry a [`GatewayError`] across the wire with its
//! kind, so a configuration Caddy refuses is still `Rejected` with Caddy's message.
//!
//! Every op carries the settings the control plane chose (image, container, network,
//! published addresses): the agent has no gateway settings of its own, and runs nothing but
//! these typed calls — no shell strings, no exec of a caller's command. The runtime code is
//! the same as for a direct target, so the admin API stays unpublished here too.
//!
//! Op names all start with [`OP_PREFIX`] (`gateway_`), which tells them from the engine's
//! `Driver` ops on the same link.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{GatewayConfig, TcpRoute};
use crate::runtime::{EngineClient, GatewayError, GatewayRuntime, GatewaySettings};
use crate::tcp_runtime::{TcpGatewayRuntime, TcpGatewaySettings};
use crate::validate::{ConfigError, InvalidConfig};

/// What every gateway op's name starts with.
pub const OP_PREFIX: &str = "gateway_";

/// One gateway runtime call, as sent to an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum GatewayOp {
    /// [`GatewayRuntime::ensure`]; answers an `Ensured`.
    GatewayEnsure { settings: GatewaySettings },
    /// [`GatewayRuntime::apply`] (validation, the published HTTPS port read back from the
    /// container, the reload); answers `null`.
    GatewayApply {
        settings: GatewaySettings,
        config: Box<GatewayConfig>,
    },
    /// [`GatewayRuntime::status`]; answers a `GatewayStatus`.
    GatewayStatus { settings: GatewaySettings },
    /// [`GatewayRuntime::running`]; answers a bool.
    GatewayRunning { settings: GatewaySettings },
    /// [`TcpGatewayRuntime::apply`]; answers a `TcpApplied`.
    GatewayTcpApply {
        settings: TcpGatewaySettings,
        routes: Vec<TcpRoute>,
    },
    /// [`TcpGatewayRuntime::status`]; answers an optional `TcpGatewayStatus`.
    GatewayTcpStatus { settings: TcpGatewaySettings },
}

impl GatewayOp {
    /// Whether `op` (an op on the agent link, as JSON) is a gateway op.
    pub fn is_gateway_op(op: &Value) -> bool {
        op.get("op")
            .and_then(Value::as_str)
            .is_some_and(|name| name.starts_with(OP_PREFIX))
    }

    /// Whether running it twice would differ from running it once.
    pub fn changes_state(&self) -> bool {
        matches!(
            self,
            GatewayOp::GatewayEnsure { .. }
                | GatewayOp::GatewayApply { .. }
                | GatewayOp::GatewayTcpApply { .. }
        )
    }

    /// A short description for messages: `gateway_apply windflow-gateway (3 routes)`.
    pub fn describe(&self) -> String {
        match self {
            GatewayOp::GatewayEnsure { settings } => {
                format!("gateway_ensure {}", settings.container_name)
            }
            GatewayOp::GatewayApply { settings, config } => format!(
                "gateway_apply {} ({} routes)",
                settings.container_name,
                config.routes.len()
            ),
            GatewayOp::GatewayStatus { settings } => {
                format!("gateway_status {}", settings.container_name)
            }
            GatewayOp::GatewayRunning { settings } => {
                format!("gateway_running {}", settings.container_name)
            }
            GatewayOp::GatewayTcpApply { settings, routes } => format!(
                "gateway_tcp_apply {} ({} routes)",
                settings.container_name,
                routes.len()
            ),
            GatewayOp::GatewayTcpStatus { settings } => {
                format!("gateway_tcp_status {}", settings.container_name)
            }
        }
    }
}

/// Runs gateway ops on one engine (the agent's). The runtimes are kept while their settings
/// stay the same, so applies through one still run one at a time.
pub struct GatewayOps {
    client: EngineClient,
    http: Mutex<Option<Arc<GatewayRuntime>>>,
    tcp: Mutex<Option<Arc<TcpGatewayRuntime>>>,
}

impl GatewayOps {
    pub fn new(client: EngineClient) -> Self {
        Self {
            client,
            http: Mutex::new(None),
            tcp: Mutex::new(None),
        }
    }

    fn http(&self, settings: GatewaySettings) -> Arc<GatewayRuntime> {
        let mut current = self.http.lock().expect("gateway runtime");
        match current.as_ref() {
            Some(runtime) if *runtime.settings() == settings => runtime.clone(),
            _ => {
                let runtime = Arc::new(GatewayRuntime::new(self.client.clone(), settings));
                *current = Some(runtime.clone());
                runtime
            }
        }
    }

    fn tcp(&self, settings: TcpGatewaySettings) -> Arc<TcpGatewayRuntime> {
        let mut current = self.tcp.lock().expect("TCP gateway runtime");
        match current.as_ref() {
            Some(runtime) if *runtime.settings() == settings => runtime.clone(),
            _ => {
                let runtime = Arc::new(TcpGatewayRuntime::new(self.client.clone(), settings));
                *current = Some(runtime.clone());
                runtime
            }
        }
    }

    /// Runs `op`; the answer is the runtime method's result as JSON.
    pub async fn execute(&self, op: GatewayOp) -> Result<Value, GatewayError> {
        match op {
            GatewayOp::GatewayEnsure { settings } => to_value(self.http(settings).ensure().await?),
            GatewayOp::GatewayApply { settings, config } => {
                to_value(self.http(settings).apply(&config).await?)
            }
            GatewayOp::GatewayStatus { settings } => to_value(self.http(settings).status().await?),
            GatewayOp::GatewayRunning { settings } => {
                to_value(self.http(settings).running().await?)
            }
            GatewayOp::GatewayTcpApply { settings, routes } => {
                to_value(self.tcp(settings).apply(&routes).await?)
            }
            GatewayOp::GatewayTcpStatus { settings } => {
                to_value(self.tcp(settings).status().await?)
            }
        }
    }
}

fn to_value<T: Serialize>(value: T) -> Result<Value, GatewayError> {
    serde_json::to_value(value).map_err(|e| GatewayError::Engine {
        context: "encoding a gateway answer".into(),
        message: e.to_string(),
    })
}

/// A `GatewayError` as plain parts for the wire: (kind, subject, message). The problems of
/// an invalid configuration travel as JSON in the message.
pub fn error_parts(error: &GatewayError) -> (&'static str, String, String) {
    match error {
        GatewayError::Invalid(InvalidConfig(problems)) => (
            "gateway_invalid",
            "the gateway configuration".into(),
            serde_json::to_string(problems).unwrap_or_default(),
        ),
        GatewayError::Rejected { message } => {
            ("gateway_rejected", "the gateway".into(), message.clone())
        }
        GatewayError::Engine { context, message } => ("engine", context.clone(), message.clone()),
    }
}

/// The inverse of [`error_parts`]; any other kind (an agent's own failure) is `Engine`.
pub fn error_from_parts(kind: &str, subject: String, message: String) -> GatewayError {
    match kind {
        "gateway_rejected" => GatewayError::Rejected { message },
        "gateway_invalid" => match serde_json::from_str::<Vec<ConfigError>>(&message) {
            Ok(problems) => GatewayError::Invalid(InvalidConfig(problems)),
            Err(_) => GatewayError::Engine {
                context: subject,
                message,
            },
        },
        _ => GatewayError::Engine {
            context: subject,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(op: GatewayOp, json: &str) {
        assert_eq!(serde_json::to_string(&op).unwrap(), json);
        assert_eq!(serde_json::from_str::<GatewayOp>(json).unwrap(), op);
        assert!(GatewayOp::is_gateway_op(
            &serde_json::from_str::<Value>(json).unwrap()
        ));
    }

    #[test]
    fn ops_are_tagged_json_named_gateway_something() {
        let settings = GatewaySettings::default();
        check(
            GatewayOp::GatewayRunning {
                settings: settings.clone(),
            },
            r#"{"op":"gateway_running","settings":{"image":"caddy:2","container_name":"windflow-gateway","network":"windflow-gateway","network_driver":"bridge","http":{"host_ip":null,"port":80},"https":{"host_ip":null,"port":443}}}"#,
        );
        let apply = GatewayOp::GatewayApply {
            settings,
            config: Box::default(),
        };
        assert!(apply.changes_state());
        assert_eq!(
            apply.describe(),
            "gateway_apply windflow-gateway (0 routes)"
        );
        let json = serde_json::to_value(&apply).unwrap();
        assert_eq!(serde_json::from_value::<GatewayOp>(json).unwrap(), apply);
        assert!(!GatewayOp::is_gateway_op(
            &serde_json::json!({"op": "info"})
        ));
    }

    #[test]
    fn errors_keep_their_kind_across_the_wire() {
        for error in [
            GatewayError::Rejected {
                message: "Error: loading config: unknown module".into(),
            },
            GatewayError::Invalid(InvalidConfig(vec![ConfigError::NoUpstreams {
                route: "shop/web".into(),
            }])),
            GatewayError::Engine {
                context: "starting the gateway container windflow-gateway".into(),
                message: "port is taken".into(),
            },
        ] {
            let (kind, subject, message) = error_parts(&error);
            let back = error_from_parts(kind, subject, message);
            assert_eq!(back.to_string(), error.to_string());
            assert_eq!(
                std::mem::discriminant(&back),
                std::mem::discriminant(&error)
            );
        }
    }
}
