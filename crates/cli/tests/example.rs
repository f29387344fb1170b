//! The README's example stack, deployed as a user would: the web image is built through the
//! Engine API from examples/hello/web, the page answers over HTTP with the greeting and with
//! what the migrate job wrote before the web was allowed to start.

mod common;

use std::path::Path;
use std::time::Duration;

use common::run_windflow;
use windflow_testkit::{ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, http_get};

#[tokio::test(flavor = "multi_thread")]
async fn hello_example_builds_and_serves() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let guard = ProjectGuard::unique("hello");
    let project = guard.project().to_string();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello");
    let state = std::env::temp_dir().join(format!("windflow-example-{project}"));
    let port = free_port();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_windflow"))
        .args(["-p", &project, "up", "--build"])
        .current_dir(&example)
        .env("WINDFLOW_STATE_DIR", &state)
        .env("BASE_IMAGE", TEST_IMAGE)
        .env("WEB_PORT", port.to_string())
        .env("GREETING", "Hello from the test")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("build hello-web:latest"), "{stderr}");

    let url = format!("http://127.0.0.1:{port}");
    let (status, page) = http_get(&format!("{url}/"), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Hello from the test</h1>"), "{page}");
    let (_, migrations) = http_get(&format!("{url}/migrations.txt"), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(migrations.starts_with("schema v1 applied"), "{migrations}");

    // The image was built with WindFlow's label, and the container runs it.
    let image = docker.inspect_image("hello-web:latest").await.unwrap();
    let labels = image.config.unwrap().labels.unwrap();
    assert_eq!(labels["io.windflow.managed-by"], "windflow");
    let web = docker
        .inspect_container(
            &format!("{project}-web-1"),
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap();
    assert_eq!(web.image, image.id);

    let down = run_windflow(&example, &["-p", &project, "down", "-v"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    let _ = std::fs::remove_dir_all(state);
}
