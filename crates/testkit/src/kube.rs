//! The Kubernetes cluster the Kubernetes-target tests deploy to: the harness beside the project
//! (`../shared/k8s`, started by `scripts/ensure-k8s.sh`), found through
//! `WINDFLOW_TEST_KUBECONFIG` (which `scripts/test.sh` sets) or started here on first use.
//! Skipped only with `WINDFLOW_SKIP_K8S_TESTS=1` outside CI.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::workspace_root;

/// The image every node has (built by the harness from the host's busybox-static); pods must
/// use `imagePullPolicy: Never`, since nothing can be pulled.
pub const BUSYBOX: &str = "docker.io/library/busybox:local";

static STARTED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The admin kubeconfig of the test cluster, started when needed; `None` when a developer
/// skips these tests.
pub fn kubeconfig_or_skip() -> Option<PathBuf> {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !ci && std::env::var("WINDFLOW_SKIP_K8S_TESTS").as_deref() == Ok("1") {
        eprintln!("skipping: WINDFLOW_SKIP_K8S_TESTS=1 is set (CI never sets it)");
        return None;
    }
    if let Some(path) = std::env::var_os("WINDFLOW_TEST_KUBECONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let mut started = STARTED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = started.as_ref() {
        return Some(path.clone());
    }
    let output = std::process::Command::new(workspace_root().join("scripts/ensure-k8s.sh"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("running scripts/ensure-k8s.sh");
    assert!(
        output.status.success(),
        "scripts/ensure-k8s.sh could not start the test cluster (set WINDFLOW_SKIP_K8S_TESTS=1 to skip these tests outside CI)"
    );
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    *started = Some(path.clone());
    Some(path)
}
