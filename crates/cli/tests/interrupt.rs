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

/// A process killed while the engine was still creating a container leaves it behind, created
/// and never started, under the name the next attempt needs. The next run takes the name back
/// from that replica — and only from it: a container of anything else keeps its name and the
/// run fails naming the conflict.
#[tokio::test(flavor = "multi_thread")]
async fn a_create_left_by_an_interrupted_run_is_replaced_and_nothing_else_is() {
    use bollard::models::ContainerCreateBody;
    use bollard::query_parameters::CreateContainerOptions;

    let s = Scratch::new("leftover").await;
    let p = s.project().to_string();
    s.write("compose.yml", &stack(0));
    let create = |name: String, labels: Vec<(&str, &str)>| {
        let docker = s.docker.clone();
        let labels = labels
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        async move {
            docker
                .create_container(
                    Some(CreateContainerOptions {
                        name: Some(name),
                        ..Default::default()
                    }),
                    ContainerCreateBody {
                        image: Some(TEST_IMAGE.into()),
                        cmd: Some(vec!["true".into()]),
                        labels: Some(labels),
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
                .id
        }
    };

    // Someone else's container under the worker's name: the run fails and it stays.
    let foreign = create(format!("{p}-worker-1"), vec![("owner", "someone-else")]).await;
    let failed = s.windflow(&["up"]);
    assert_ne!(failed.code, 0, "{}", failed.stdout);
    assert!(
        failed.stderr.contains("already in use"),
        "{}",
        failed.stderr
    );
    assert_eq!(s.id_of(&format!("{p}-worker-1")).await, foreign);
    s.docker
        .remove_container(
            &foreign,
            None::<bollard::query_parameters::RemoveContainerOptions>,
        )
        .await
        .unwrap();
    s.windflow(&["down"]).ok();

    // The interrupted create of the api's first replica: replaced, and the run succeeds.
    let api = format!("{p}-api-1");
    let leftover = create(
        api.clone(),
        vec![
            ("com.docker.compose.project", p.as_str()),
            ("com.docker.compose.service", "api"),
            ("com.docker.compose.container-number", "1"),
        ],
    )
    .await;
    s.windflow(&["up"]).ok();
    let running = s.inspect(&api).await;
    assert_ne!(running.id.as_deref(), Some(leftover.as_str()));
    assert_eq!(running.state.unwrap().running, Some(true));
    s.windflow(&["down"]).ok();
}
