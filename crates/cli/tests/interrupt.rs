//! Ctrl-C during `up`: the deployment stops, the previous version is put back, and nothing of
//! the interrupted one is left on the engine.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Scratch;
use windflow_testkit::TEST_IMAGE;

fn stack(ready_after: u32) -> String {
    format!(
        r#"
services:
  api:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "sleep {ready_after}; touch /tmp/ready; exec sleep 100000"]
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 500ms
      retries: 200
  worker:
    image: {TEST_IMAGE}
    command: ["sleep", "100000"]
    init: true
    depends_on:
      api:
        condition: service_healthy
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_restores_the_previous_version() {
    let s = Scratch::new("interrupt").await;
    let p = s.project().to_string();
    s.write("compose.yml", &stack(0));
    s.windflow(&["up"]).ok();
    let before = s
        .ids(&[format!("{p}-api-1"), format!("{p}-worker-1")])
        .await;

    // A new version whose api takes a minute to become healthy; interrupt it half-way.
    s.write("compose.yml", &stack(60));
    let child = Command::new(env!("CARGO_BIN_EXE_windflow"))
        .args(["-p", &p, "--plain", "up"])
        .current_dir(&s.dir)
        .env("WINDFLOW_STATE_DIR", s.dir.join(".windflow-state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.container_names().await.len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the new api container never appeared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("cancelled by the user"), "{stderr}");

    // The previous containers, same ids, running; nothing else.
    let mut names: Vec<String> = before.keys().cloned().collect();
    names.sort();
    assert_eq!(s.container_names().await, names);
    assert_eq!(s.ids(&names).await, before);
    for name in &names {
        assert_eq!(
            s.inspect(name).await.state.unwrap().running,
            Some(true),
            "{name}"
        );
    }
    let history = s.windflow(&["history"]).ok();
    assert!(
        history.stdout.contains("failed (restored)"),
        "{}",
        history.stdout
    );
    s.windflow(&["down"]).ok();
}
