//! The `Driver` trait: the primitive operations a target must offer for the executor to run a
//! plan on it. Every target kind (local Docker, Docker over TLS or SSH, an agent, ...)
//! implements it and passes the same conformance suite.

use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use windflow_domain::observed::{ContainerState, Health, Observed};
use windflow_domain::spec::ContainerSpec;
use windflow_domain::{Build, Network, StackSpec, Volume};

use crate::inventory::{ContainerStats, Inventory};
use crate::task::{ExecSpec, TaskFile, TaskIo, TaskOutput, TaskSpec};

/// A failure talking to a target. The message is meant for the user: it names the resource.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("cannot reach the Docker engine at {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("{resource} not found")]
    NotFound { resource: String },
    #[error("{resource}: {message}")]
    Conflict { resource: String, message: String },
    #[error("{context}: {message}")]
    Engine { context: String, message: String },
    #[error("cannot reach the Kubernetes API server at {endpoint}: {message}")]
    ClusterUnreachable { endpoint: String, message: String },
}

impl DriverError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// The target (an engine or a cluster's API server) did not answer.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::ClusterUnreachable { .. }
        )
    }
}

pub type DriverResult<T> = Result<T, DriverError>;

/// A progress callback for long operations (pulls, builds): one line of progress each time.
pub type Progress<'a> = &'a (dyn Fn(ProgressUpdate) + Send + Sync);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressUpdate {
    /// A layer id for pulls, empty for build output.
    pub id: String,
    pub message: String,
    pub current: Option<u64>,
    pub total: Option<u64>,
}

/// What an engine says about itself (one definition, in the domain).
pub use windflow_domain::observed::EngineInfo;

/// A container's state as inspected, for health gating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerStatus {
    pub id: String,
    pub name: String,
    pub state: ContainerState,
    pub exit_code: Option<i64>,
    /// `None` when the container has no healthcheck.
    pub health: Option<Health>,
    /// The last healthcheck output, when unhealthy.
    pub health_output: Option<String>,
    pub restart_count: i64,
}

#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    /// Lines from the end; `None` for all.
    pub tail: Option<u64>,
    /// Unix seconds.
    pub since: Option<i64>,
    pub timestamps: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub stream: LogStream,
    pub text: String,
}

/// A project found on a target by its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub name: String,
    pub containers: usize,
    pub running: usize,
    pub working_dir: Option<String>,
}

#[async_trait]
pub trait Driver: Send + Sync {
    /// A short name for the target, for messages (`unix:///var/run/docker.sock`).
    fn endpoint(&self) -> &str;

    async fn info(&self) -> DriverResult<EngineInfo>;

    /// Everything relevant to `project`: its containers, its networks and volumes and any the
    /// stack names, and the local ids of the images the stack uses.
    async fn observe(&self, project: &str, stack: Option<&StackSpec>) -> DriverResult<Observed>;

    async fn list_projects(&self) -> DriverResult<Vec<ProjectSummary>>;

    /// The local id of `image`, or `None` when it is not present.
    async fn image_id(&self, image: &str) -> DriverResult<Option<String>>;
    /// Pulls `image`, for `platform` (`linux/arm64`) when given, else the engine's own.
    async fn pull_image(
        &self,
        image: &str,
        platform: Option<&str>,
        progress: Progress<'_>,
    ) -> DriverResult<()>;
    async fn build_image(
        &self,
        image: &str,
        build: &Build,
        progress: Progress<'_>,
    ) -> DriverResult<()>;

    async fn create_network(&self, project: &str, key: &str, network: &Network)
    -> DriverResult<()>;
    async fn remove_network(&self, name: &str) -> DriverResult<()>;
    async fn create_volume(&self, project: &str, key: &str, volume: &Volume) -> DriverResult<()>;
    async fn remove_volume(&self, name: &str) -> DriverResult<()>;

    /// Creates the container, attaches all its networks and writes its injected files, leaving
    /// it created but not started. Returns its id.
    async fn create_container(&self, spec: &ContainerSpec) -> DriverResult<String>;
    async fn start_container(&self, id: &str) -> DriverResult<()>;
    async fn stop_container(&self, id: &str, timeout: Option<Duration>) -> DriverResult<()>;
    async fn restart_container(&self, id: &str, timeout: Option<Duration>) -> DriverResult<()>;
    async fn rename_container(&self, id: &str, name: &str) -> DriverResult<()>;
    /// Force-removes the container (and its anonymous volumes when `volumes`).
    async fn remove_container(&self, id: &str, volumes: bool) -> DriverResult<()>;
    async fn container_status(&self, id: &str) -> DriverResult<ContainerStatus>;
    async fn logs(
        &self,
        id: &str,
        options: LogOptions,
    ) -> DriverResult<BoxStream<'static, DriverResult<LogLine>>>;

    /// Every container (running or not, deployed by WindFlow or not), image, network and
    /// volume on the target, for browsing it.
    async fn inventory(&self) -> DriverResult<Inventory>;
    /// One resource-usage sample of a running container (CPU over the engine's last
    /// sampling interval, memory without reclaimable cache).
    async fn container_stats(&self, id: &str) -> DriverResult<ContainerStats>;
    /// The engine's full description of a container, as its own JSON (for an "inspect" view).
    async fn inspect_container(&self, id: &str) -> DriverResult<serde_json::Value>;

    /// Runs a helper container to its end and removes it ([`crate::task`]). A non-zero exit
    /// is an `Ok` with its code; an `Err` means the engine failed.
    async fn run_task(&self, spec: &TaskSpec, io: TaskIo) -> DriverResult<TaskOutput> {
        let _ = io;
        Err(unsupported(
            self.endpoint(),
            &format!("helper containers ({})", spec.name),
        ))
    }

    /// Creates and starts a long-running helper container (left running; remove it with
    /// `remove_container`). Returns its id.
    async fn start_task(&self, spec: &TaskSpec) -> DriverResult<String> {
        Err(unsupported(
            self.endpoint(),
            &format!("helper containers ({})", spec.name),
        ))
    }

    /// Runs a command in a running container.
    async fn exec(&self, container: &str, spec: &ExecSpec, io: TaskIo) -> DriverResult<TaskOutput> {
        let _ = (io, spec);
        Err(unsupported(
            self.endpoint(),
            &format!("running commands in {container}"),
        ))
    }

    /// Writes files into a container (created or running).
    async fn put_files(&self, container: &str, files: &[TaskFile]) -> DriverResult<()> {
        let _ = files;
        Err(unsupported(
            self.endpoint(),
            &format!("writing files into {container}"),
        ))
    }

    /// Force-removes every container labelled `key=value` (helpers a stopped process left);
    /// returns how many.
    async fn remove_labelled(&self, key: &str, value: &str) -> DriverResult<usize> {
        Err(unsupported(
            self.endpoint(),
            &format!("removing containers labelled {key}={value}"),
        ))
    }
}

fn unsupported(endpoint: &str, what: &str) -> DriverError {
    DriverError::Engine {
        context: endpoint.to_string(),
        message: format!(
            "{what}: not supported by this kind of target yet (use a Docker, TLS or SSH target)"
        ),
    }
}
