//! Driving a target through an agent: [`Op`] is one `Driver` call as data, [`execute`] runs
//! one on a real driver (on the agent's host), and [`AgentDriver`] implements `Driver` by
//! sending ops over an [`AgentLink`] (the control plane's WebSocket to the agent).
//!
//! *Invariant:* transport-agnostic — this module knows nothing of sockets, ids or retries;
//! the link guarantees each op runs at most once and answers it once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use windflow_domain::observed::Observed;
use windflow_domain::spec::ContainerSpec;
use windflow_domain::{Build, Network, StackSpec, Volume};

use crate::driver::{
    ContainerStatus, Driver, DriverError, DriverResult, EngineInfo, LogLine, LogOptions, Progress,
    ProgressUpdate, ProjectSummary,
};
use crate::inventory::{ContainerStats, Inventory};

/// One `Driver` method call, as sent to an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Info,
    Observe {
        project: String,
        #[serde(default)]
        stack: Option<Box<StackSpec>>,
    },
    ListProjects,
    ImageId {
        image: String,
    },
    PullImage {
        image: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        platform: Option<String>,
    },
    BuildImage {
        image: String,
        build: Box<Build>,
    },
    CreateNetwork {
        project: String,
        key: String,
        network: Box<Network>,
    },
    RemoveNetwork {
        name: String,
    },
    CreateVolume {
        project: String,
        key: String,
        volume: Box<Volume>,
    },
    RemoveVolume {
        name: String,
    },
    CreateContainer {
        spec: Box<ContainerSpec>,
    },
    StartContainer {
        id: String,
    },
    StopContainer {
        id: String,
        timeout_ms: Option<u64>,
    },
    RestartContainer {
        id: String,
        timeout_ms: Option<u64>,
    },
    RenameContainer {
        id: String,
        name: String,
    },
    RemoveContainer {
        id: String,
        volumes: bool,
    },
    ContainerStatus {
        id: String,
    },
    /// Streams `LogLine`s as frames; the result is `null` at the end.
    Logs {
        id: String,
        follow: bool,
        tail: Option<u64>,
        since: Option<i64>,
        timestamps: bool,
    },
    Inventory,
    ContainerStats {
        id: String,
    },
    InspectContainer {
        id: String,
    },
}

impl Op {
    /// Whether running it twice would differ from running it once (the agent remembers the
    /// outcome of these across restarts).
    pub fn changes_state(&self) -> bool {
        !matches!(
            self,
            Op::Info
                | Op::Observe { .. }
                | Op::ListProjects
                | Op::ImageId { .. }
                | Op::ContainerStatus { .. }
                | Op::Logs { .. }
                | Op::Inventory
                | Op::ContainerStats { .. }
                | Op::InspectContainer { .. }
        )
    }

    /// A short description for messages: `create_container web-1`.
    pub fn describe(&self) -> String {
        match self {
            Op::Info => "info".into(),
            Op::Observe { project, .. } => format!("observe {project}"),
            Op::ListProjects => "list_projects".into(),
            Op::ImageId { image } => format!("image_id {image}"),
            Op::PullImage { image, .. } => format!("pull_image {image}"),
            Op::BuildImage { image, .. } => format!("build_image {image}"),
            Op::CreateNetwork { project, key, .. } => format!("create_network {project}_{key}"),
            Op::RemoveNetwork { name } => format!("remove_network {name}"),
            Op::CreateVolume { project, key, .. } => format!("create_volume {project}_{key}"),
            Op::RemoveVolume { name } => format!("remove_volume {name}"),
            Op::CreateContainer { spec } => format!("create_container {}", spec.name),
            Op::StartContainer { id } => format!("start_container {}", short(id)),
            Op::StopContainer { id, .. } => format!("stop_container {}", short(id)),
            Op::RestartContainer { id, .. } => format!("restart_container {}", short(id)),
            Op::RenameContainer { id, name } => format!("rename_container {} {name}", short(id)),
            Op::RemoveContainer { id, .. } => format!("remove_container {}", short(id)),
            Op::ContainerStatus { id } => format!("container_status {}", short(id)),
            Op::Logs { id, .. } => format!("logs {}", short(id)),
            Op::Inventory => "inventory".into(),
            Op::ContainerStats { id } => format!("container_stats {}", short(id)),
            Op::InspectContainer { id } => format!("inspect_container {}", short(id)),
        }
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn to_value<T: Serialize>(value: T) -> DriverResult<Value> {
    serde_json::to_value(value).map_err(|e| DriverError::Engine {
        context: "encoding an agent answer".into(),
        message: e.to_string(),
    })
}

/// Runs `op` on `driver` (the agent's local engine). Progress and log lines go to `emit` as
/// they come; the returned value is the method's result as JSON.
pub async fn execute(
    driver: &dyn Driver,
    op: Op,
    emit: &(dyn Fn(Value) + Send + Sync),
) -> DriverResult<Value> {
    let progress = |update: ProgressUpdate| {
        if let Ok(value) = serde_json::to_value(update) {
            emit(value)
        }
    };
    match op {
        Op::Info => to_value(driver.info().await?),
        Op::Observe { project, stack } => {
            to_value(driver.observe(&project, stack.as_deref()).await?)
        }
        Op::ListProjects => to_value(driver.list_projects().await?),
        Op::ImageId { image } => to_value(driver.image_id(&image).await?),
        Op::PullImage { image, platform } => to_value(
            driver
                .pull_image(&image, platform.as_deref(), &progress)
                .await?,
        ),
        Op::BuildImage { image, build } => {
            to_value(driver.build_image(&image, &build, &progress).await?)
        }
        Op::CreateNetwork {
            project,
            key,
            network,
        } => to_value(driver.create_network(&project, &key, &network).await?),
        Op::RemoveNetwork { name } => to_value(driver.remove_network(&name).await?),
        Op::CreateVolume {
            project,
            key,
            volume,
        } => to_value(driver.create_volume(&project, &key, &volume).await?),
        Op::RemoveVolume { name } => to_value(driver.remove_volume(&name).await?),
        Op::CreateContainer { spec } => to_value(driver.create_container(&spec).await?),
        Op::StartContainer { id } => to_value(driver.start_container(&id).await?),
        Op::StopContainer { id, timeout_ms } => to_value(
            driver
                .stop_container(&id, timeout_ms.map(Duration::from_millis))
                .await?,
        ),
        Op::RestartContainer { id, timeout_ms } => to_value(
            driver
                .restart_container(&id, timeout_ms.map(Duration::from_millis))
                .await?,
        ),
        Op::RenameContainer { id, name } => to_value(driver.rename_container(&id, &name).await?),
        Op::RemoveContainer { id, volumes } => {
            to_value(driver.remove_container(&id, volumes).await?)
        }
        Op::ContainerStatus { id } => to_value(driver.container_status(&id).await?),
        Op::Logs {
            id,
            follow,
            tail,
            since,
            timestamps,
        } => {
            let mut lines = driver
                .logs(
                    &id,
                    LogOptions {
                        follow,
                        tail,
                        since,
                        timestamps,
                    },
                )
                .await?;
            while let Some(line) = lines.next().await {
                emit(to_value(line?)?);
            }
            Ok(Value::Null)
        }
        Op::Inventory => to_value(driver.inventory().await?),
        Op::ContainerStats { id } => to_value(driver.container_stats(&id).await?),
        Op::InspectContainer { id } => to_value(driver.inspect_container(&id).await?),
    }
}

/// A `DriverError` as plain parts for the wire: (kind, subject, message).
pub fn error_parts(error: &DriverError) -> (&'static str, String, String) {
    match error {
        DriverError::Unreachable { endpoint, message } => {
            ("unreachable", endpoint.clone(), message.clone())
        }
        DriverError::NotFound { resource } => ("not_found", resource.clone(), String::new()),
        DriverError::Conflict { resource, message } => {
            ("conflict", resource.clone(), message.clone())
        }
        DriverError::Engine { context, message } => ("engine", context.clone(), message.clone()),
        DriverError::ClusterUnreachable { endpoint, message } => {
            ("cluster_unreachable", endpoint.clone(), message.clone())
        }
    }
}

/// The inverse of [`error_parts`].
pub fn error_from_parts(kind: &str, subject: String, message: String) -> DriverError {
    match kind {
        "unreachable" => DriverError::Unreachable {
            endpoint: subject,
            message,
        },
        "cluster_unreachable" => DriverError::ClusterUnreachable {
            endpoint: subject,
            message,
        },
        "not_found" => DriverError::NotFound { resource: subject },
        "conflict" => DriverError::Conflict {
            resource: subject,
            message,
        },
        _ => DriverError::Engine {
            context: subject,
            message,
        },
    }
}

/// A frame callback of a running op.
pub type Frames<'a> = &'a (dyn Fn(Value) + Send + Sync);

/// The control plane's side of a link to one agent.
#[async_trait]
pub trait AgentLink: Send + Sync {
    /// `agent://<id>` or the target's name, for messages.
    fn endpoint(&self) -> &str;
    /// Runs `op` on the agent and waits for its answer; frames go to `frames`.
    async fn call(&self, op: Op, frames: Option<Frames<'_>>) -> DriverResult<Value>;
    /// Runs `op` and yields its frames as they come; a failure ends the stream with an error.
    async fn stream(&self, op: Op) -> DriverResult<BoxStream<'static, DriverResult<Value>>>;
}

/// `Driver` over an [`AgentLink`].
pub struct AgentDriver {
    link: Arc<dyn AgentLink>,
}

impl AgentDriver {
    pub fn new(link: Arc<dyn AgentLink>) -> Self {
        Self { link }
    }

    async fn call<T: DeserializeOwned>(&self, op: Op) -> DriverResult<T> {
        let what = op.describe();
        let value = self.link.call(op, None).await?;
        decode(&what, value)
    }

    async fn call_progress(&self, op: Op, progress: Progress<'_>) -> DriverResult<()> {
        let frames = |value: Value| {
            if let Ok(update) = serde_json::from_value::<ProgressUpdate>(value) {
                progress(update)
            }
        };
        self.link.call(op, Some(&frames)).await?;
        Ok(())
    }
}

fn decode<T: DeserializeOwned>(what: &str, value: Value) -> DriverResult<T> {
    serde_json::from_value(value).map_err(|e| DriverError::Engine {
        context: format!("the agent's answer to {what}"),
        message: e.to_string(),
    })
}

fn millis(timeout: Option<Duration>) -> Option<u64> {
    timeout.map(|t| t.as_millis() as u64)
}

#[async_trait]
impl Driver for AgentDriver {
    fn endpoint(&self) -> &str {
        self.link.endpoint()
    }

    async fn info(&self) -> DriverResult<EngineInfo> {
        let mut info: EngineInfo = self.call(Op::Info).await?;
        // An agent of an earlier release reports an unknown engine ID as "".
        info.engine_id = info.engine_id.filter(|id| !id.is_empty());
        Ok(info)
    }

    async fn observe(&self, project: &str, stack: Option<&StackSpec>) -> DriverResult<Observed> {
        self.call(Op::Observe {
            project: project.to_string(),
            stack: stack.map(|s| Box::new(s.clone())),
        })
        .await
    }

    async fn list_projects(&self) -> DriverResult<Vec<ProjectSummary>> {
        self.call(Op::ListProjects).await
    }

    async fn image_id(&self, image: &str) -> DriverResult<Option<String>> {
        self.call(Op::ImageId {
            image: image.to_string(),
        })
        .await
    }

    async fn pull_image(
        &self,
        image: &str,
        platform: Option<&str>,
        progress: Progress<'_>,
    ) -> DriverResult<()> {
        self.call_progress(
            Op::PullImage {
                image: image.to_string(),
                platform: platform.map(str::to_string),
            },
            progress,
        )
        .await
    }

    async fn build_image(
        &self,
        image: &str,
        build: &Build,
        progress: Progress<'_>,
    ) -> DriverResult<()> {
        self.call_progress(
            Op::BuildImage {
                image: image.to_string(),
                build: Box::new(build.clone()),
            },
            progress,
        )
        .await
    }

    async fn create_network(
        &self,
        project: &str,
        key: &str,
        network: &Network,
    ) -> DriverResult<()> {
        self.call(Op::CreateNetwork {
            project: project.to_string(),
            key: key.to_string(),
            network: Box::new(network.clone()),
        })
        .await
    }

    async fn remove_network(&self, name: &str) -> DriverResult<()> {
        self.call(Op::RemoveNetwork {
            name: name.to_string(),
        })
        .await
    }

    async fn create_volume(&self, project: &str, key: &str, volume: &Volume) -> DriverResult<()> {
        self.call(Op::CreateVolume {
            project: project.to_string(),
            key: key.to_string(),
            volume: Box::new(volume.clone()),
        })
        .await
    }

    async fn remove_volume(&self, name: &str) -> DriverResult<()> {
        self.call(Op::RemoveVolume {
            name: name.to_string(),
        })
        .await
    }

    async fn create_container(&self, spec: &ContainerSpec) -> DriverResult<String> {
        self.call(Op::CreateContainer {
            spec: Box::new(spec.clone()),
        })
        .await
    }

    async fn start_container(&self, id: &str) -> DriverResult<()> {
        self.call(Op::StartContainer { id: id.to_string() }).await
    }

    async fn stop_container(&self, id: &str, timeout: Option<Duration>) -> DriverResult<()> {
        self.call(Op::StopContainer {
            id: id.to_string(),
            timeout_ms: millis(timeout),
        })
        .await
    }

    async fn restart_container(&self, id: &str, timeout: Option<Duration>) -> DriverResult<()> {
        self.call(Op::RestartContainer {
            id: id.to_string(),
            timeout_ms: millis(timeout),
        })
        .await
    }

    async fn rename_container(&self, id: &str, name: &str) -> DriverResult<()> {
        self.call(Op::RenameContainer {
            id: id.to_string(),
            name: name.to_string(),
        })
        .await
    }

    async fn remove_container(&self, id: &str, volumes: bool) -> DriverResult<()> {
        self.call(Op::RemoveContainer {
            id: id.to_string(),
            volumes,
        })
        .await
    }

    async fn container_status(&self, id: &str) -> DriverResult<ContainerStatus> {
        self.call(Op::ContainerStatus { id: id.to_string() }).await
    }

    async fn logs(
        &self,
        id: &str,
        options: LogOptions,
    ) -> DriverResult<BoxStream<'static, DriverResult<LogLine>>> {
        let frames = self
            .link
            .stream(Op::Logs {
                id: id.to_string(),
                follow: options.follow,
                tail: options.tail,
                since: options.since,
                timestamps: options.timestamps,
            })
            .await?;
        Ok(frames
            .map(|frame| frame.and_then(|value| decode::<LogLine>("logs", value)))
            .boxed())
    }

    async fn inventory(&self) -> DriverResult<Inventory> {
        self.call(Op::Inventory).await
    }

    async fn container_stats(&self, id: &str) -> DriverResult<ContainerStats> {
        self.call(Op::ContainerStats { id: id.to_string() }).await
    }

    async fn inspect_container(&self, id: &str) -> DriverResult<Value> {
        self.call(Op::InspectContainer { id: id.to_string() }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(op: Op, json: &str) {
        assert_eq!(serde_json::to_string(&op).unwrap(), json);
        assert_eq!(serde_json::from_str::<Op>(json).unwrap(), op);
    }

    #[test]
    fn ops_are_tagged_json() {
        check(Op::Info, r#"{"op":"info"}"#);
        check(
            Op::StopContainer {
                id: "abc".into(),
                timeout_ms: Some(1500),
            },
            r#"{"op":"stop_container","id":"abc","timeout_ms":1500}"#,
        );
        assert!(Op::StartContainer { id: "a".into() }.changes_state());
        assert!(!Op::Inventory.changes_state());
    }

    #[test]
    fn errors_round_trip() {
        for error in [
            DriverError::NotFound {
                resource: "container abc".into(),
            },
            DriverError::Conflict {
                resource: "network p_default".into(),
                message: "exists".into(),
            },
            DriverError::Engine {
                context: "starting web-1".into(),
                message: "port is taken".into(),
            },
        ] {
            let (kind, subject, message) = error_parts(&error);
            let back = error_from_parts(kind, subject, message);
            assert_eq!(back.to_string(), error.to_string());
        }
    }
}
