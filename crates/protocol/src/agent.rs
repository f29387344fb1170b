//! The agent link: how `windflow agent` (on a target host, behind NAT) and the control plane
//! talk. The agent enrolls once over HTTPS (`POST /api/v1/agents/enroll`, an enrollment token
//! for a per-agent credential), then dials `wss://…/api/v1/agents/connect` with that
//! credential as a bearer token and keeps the socket open. Every frame is one JSON text
//! message: [`AgentMessage`] from the agent, [`ServerMessage`] from the server.
//!
//! Commands carry a unique id. The agent acknowledges each one on receipt ([`AgentMessage::Ack`])
//! and answers it once with [`AgentMessage::Result`]; it remembers recent outcomes by id, so a
//! command re-sent after a dropped link is answered from memory instead of running twice.
//! The operation itself (`op`) is opaque here: the engine crate defines one per `Driver`
//! method, so this crate stays a leaf.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// The agent's WebSocket endpoint (authenticated with `Authorization: Bearer <credential>`).
pub const CONNECT_PATH: &str = "/api/v1/agents/connect";
/// Where an agent trades its enrollment token for a credential.
pub const ENROLL_PATH: &str = "/api/v1/agents/enroll";
/// Heartbeat interval when the server says nothing else.
pub const DEFAULT_HEARTBEAT_SECONDS: u64 = 10;

/// `POST /orgs/{org}/agents/enrollments`: a single-use token that enrolls one agent as the
/// target `target`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateEnrollmentRequest {
    /// The name the agent's target gets.
    pub target: String,
    /// The environment (name) the target belongs to.
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub labels: serde_json::Map<String, serde_json::Value>,
    /// How long the token stays valid, in seconds [default: 3600].
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
}

/// The answer to [`CreateEnrollmentRequest`]. The token is shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Enrollment {
    pub token: String,
    pub target: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `POST /api/v1/agents/enroll`, sent by `windflow agent` on its first start.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrollRequest {
    pub token: String,
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub version: String,
}

/// The agent's identity and credential. The credential is shown once; the agent keeps it
/// 0600 in its state directory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrollResponse {
    pub agent_id: String,
    pub credential: String,
    /// The organization (id) and target (name) the agent serves.
    pub org: String,
    pub target: String,
}

/// An enrolled agent as listed by `GET /orgs/{org}/agents`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Agent {
    pub id: String,
    pub target: String,
    /// Whether a link is open to this server right now.
    pub connected: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The address the agent last connected from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_seen_at: Option<OffsetDateTime>,
    pub revoked: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What an agent learns about its host's engine, sent in [`AgentMessage::Hello`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HostInfo {
    pub hostname: String,
    pub engine_version: String,
    pub api_version: String,
    pub os: String,
    pub arch: String,
    pub cpus: u64,
    pub memory_bytes: u64,
    /// Free space of the engine's root directory, when the agent can see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_free_bytes: Option<u64>,
    /// The engine's identity (`docker info` → `ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_id: Option<String>,
}

impl From<&HostInfo> for crate::EngineInfo {
    /// What the agent's hello says of its engine, as a connection test would record it.
    fn from(host: &HostInfo) -> Self {
        crate::EngineInfo {
            engine_id: host.engine_id.clone().filter(|id| !id.is_empty()),
            version: host.engine_version.clone(),
            api_version: host.api_version.clone(),
            os: host.os.clone(),
            arch: host.arch.clone(),
            hostname: host.hostname.clone(),
            cpus: host.cpus,
            memory_bytes: host.memory_bytes,
            free_disk_bytes: host.disk_free_bytes,
            ..crate::EngineInfo::default()
        }
    }
}

/// A failed command, in the same kinds as the engine's `DriverError`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandError {
    /// `not_found`, `conflict`, `engine` or `unreachable`.
    pub kind: String,
    /// The resource or context the error names.
    pub subject: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok(serde_json::Value),
    Error(CommandError),
}

/// Agent → server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentMessage {
    /// First frame after the socket opens.
    Hello {
        version: String,
        host: HostInfo,
        /// Commands the agent is still running (after a reconnect), by id.
        #[serde(default)]
        running: Vec<String>,
    },
    Heartbeat,
    /// The command arrived; it runs (or is answered from memory).
    Ack {
        id: String,
    },
    /// A progress line or a log line of a running command, numbered from 0 per command.
    Stream {
        id: String,
        seq: u64,
        data: serde_json::Value,
    },
    /// The command's one answer; for a stream, its end.
    Result {
        id: String,
        outcome: Outcome,
    },
}

/// Server → agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to `Hello`.
    Welcome {
        agent_id: String,
        target: String,
        heartbeat_seconds: u64,
    },
    /// Run `op` (an engine operation, see `windflow_engine::agent::Op`). A re-sent id is
    /// answered from the agent's memory of it.
    Command { id: String, op: serde_json::Value },
    /// Stop a running command (a followed log stream, a pull).
    Cancel { id: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_tagged_json() {
        let m = AgentMessage::Result {
            id: "c1".into(),
            outcome: Outcome::Ok(serde_json::json!("abc")),
        };
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(
            text,
            r#"{"type":"result","id":"c1","outcome":{"ok":"abc"}}"#
        );
        assert_eq!(serde_json::from_str::<AgentMessage>(&text).unwrap(), m);
        let hb = serde_json::to_string(&AgentMessage::Heartbeat).unwrap();
        assert_eq!(hb, r#"{"type":"heartbeat"}"#);
        let c: ServerMessage =
            serde_json::from_str(r#"{"type":"command","id":"x","op":{"op":"info"}}"#).unwrap();
        assert!(matches!(c, ServerMessage::Command { .. }));
    }
}
