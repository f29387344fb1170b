//! Shared helpers for the CLI's integration tests: run the real `windflow` binary in a scratch
//! directory with its own state directory, and read containers back through the Engine API.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bollard::Docker;
use bollard::models::ContainerInspectResponse;
use windflow_testkit::{ProjectGuard, docker, ensure_test_images};

pub struct Scratch {
    pub dir: PathBuf,
    pub guard: ProjectGuard,
    pub docker: Docker,
}

impl Scratch {
    pub async fn new(prefix: &str) -> Self {
        let docker = docker().await;
        ensure_test_images(&docker).await.expect("test images");
        let guard = ProjectGuard::unique(prefix);
        let dir = std::env::temp_dir().join(format!("windflow-it-{}", guard.project()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir, guard, docker }
    }

    pub fn project(&self) -> &str {
        self.guard.project()
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, content).unwrap();
        path
    }

    /// Runs `windflow <args>` in the scratch directory with `-p <project>` first.
    pub fn windflow(&self, args: &[&str]) -> Run {
        let mut full = vec!["-p", self.project()];
        full.extend_from_slice(args);
        run_windflow(&self.dir, &full)
    }

    pub async fn inspect(&self, name: &str) -> ContainerInspectResponse {
        self.docker
            .inspect_container(
                name,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .unwrap_or_else(|e| panic!("inspecting {name}: {e}"))
    }

    pub async fn id_of(&self, name: &str) -> String {
        self.inspect(name).await.id.unwrap()
    }

    /// Container name → id, for checking which containers a deployment kept.
    pub async fn ids(&self, names: &[String]) -> std::collections::HashMap<String, String> {
        let mut map = std::collections::HashMap::new();
        for n in names {
            map.insert(n.clone(), self.id_of(n).await);
        }
        map
    }

    /// Names of all containers of the project, sorted.
    pub async fn container_names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            windflow_testkit::list_project_containers(&self.docker, self.project())
                .await
                .unwrap()
                .into_iter()
                .filter_map(|c| c.names.and_then(|n| n.first().cloned()))
                .map(|n| n.trim_start_matches('/').to_string())
                .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "windflow failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub fn run_windflow(dir: &Path, args: &[&str]) -> Run {
    run_windflow_with(dir, args, &[])
}

/// Like [`run_windflow`], with extra environment variables.
pub fn run_windflow_with(dir: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Run {
    let state = dir.join(".windflow-state");
    let output: Output = Command::new(env!("CARGO_BIN_EXE_windflow"))
        .args(args)
        .current_dir(dir)
        .env("WINDFLOW_STATE_DIR", &state)
        .env("NO_COLOR", "1")
        .env_remove("COMPOSE_PROJECT_NAME")
        .envs(env.iter().copied())
        .output()
        .expect("running windflow");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
