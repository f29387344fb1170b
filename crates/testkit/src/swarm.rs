//! Swarm test helpers: a guard that removes a Swarm project whatever happens to the test,
//! the containers of a service's tasks, and running a command in one of them.

use std::collections::HashMap;

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::query_parameters::ListContainersOptions;
use futures::StreamExt;
use windflow_engine::docker::DockerDriver;
use windflow_engine::events::EventSink;
use windflow_engine::swarm;

/// Removes the Swarm project (services, networks, secrets, configs) on the local engine when
/// dropped.
pub struct SwarmGuard(pub String);

impl Drop for SwarmGuard {
    fn drop(&mut self) {
        let project = self.0.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                let driver = DockerDriver::connect(None).expect("driver");
                if let Err(e) = swarm::down(&driver, &project, &EventSink::discard()).await {
                    eprintln!("cleanup of Swarm project {project} failed: {e}");
                }
            });
        })
        .join();
    }
}

/// The ids of the running containers of a Swarm service's tasks (`<project>_<service>`).
pub async fn task_containers(docker: &Docker, service: &str) -> Vec<String> {
    docker
        .list_containers(Some(ListContainersOptions {
            filters: Some(HashMap::from([(
                "label".to_string(),
                vec![format!("com.docker.swarm.service.name={service}")],
            )])),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| c.id)
        .collect()
}

/// Runs `cmd` in a running container and returns its output (stdout and stderr).
pub async fn exec(docker: &Docker, container: &str, cmd: &[&str]) -> String {
    let exec = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut text = String::new();
    if let StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&exec.id, None).await.unwrap()
    {
        while let Some(Ok(chunk)) = output.next().await {
            text.push_str(&chunk.to_string());
        }
    }
    text
}

/// What the tests check of a Swarm service: its replica count (replicated mode), its own
/// labels, and its tasks' container labels (where compose `labels` go).
pub struct ServiceFacts {
    pub replicas: Option<i64>,
    pub labels: HashMap<String, String>,
    pub container_labels: HashMap<String, String>,
}

/// Inspects the service `name` (`<project>_<service>`) through the Engine API.
pub async fn service_facts(docker: &Docker, name: &str) -> ServiceFacts {
    let spec = docker
        .inspect_service(name, None)
        .await
        .unwrap()
        .spec
        .unwrap();
    ServiceFacts {
        replicas: spec
            .mode
            .as_ref()
            .and_then(|m| m.replicated.as_ref())
            .and_then(|r| r.replicas),
        container_labels: spec
            .task_template
            .as_ref()
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.labels.clone())
            .unwrap_or_default(),
        labels: spec.labels.unwrap_or_default(),
    }
}
