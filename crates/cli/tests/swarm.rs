//! `--mode swarm` through the real `windflow` binary on the real engine, made a single-node
//! Swarm manager: `up` deploys a 2-replica service (checked through the Engine API and by
//! an HTTP answer from inside a task), an unchanged `up` does nothing, `ps` lists it 2/2,
//! `down` removes the service and its network.

mod common;

use std::time::{Duration, Instant};

use common::Scratch;
use windflow_engine::docker::DockerDriver;
use windflow_engine::swarm;
use windflow_testkit::TEST_IMAGE;
use windflow_testkit::swarm::{SwarmGuard, exec, service_facts, task_containers};

#[tokio::test(flavor = "multi_thread")]
async fn up_ps_down_in_swarm_mode() {
    let s = Scratch::new("cliswarm").await;
    let p = s.project().to_string();
    let driver = DockerDriver::connect(None).unwrap();
    swarm::init_if_inactive(&driver, "127.0.0.1").await.unwrap();
    let _cleanup = SwarmGuard(p.clone());
    s.write(
        "compose.yml",
        &format!(
            r#"
services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /www && echo hello-swarm > /www/index.html && exec httpd -f -p 8080 -h /www"]
    stop_grace_period: 1s
    labels:
      team: storefront
    deploy:
      replicas: 2
"#
        ),
    );
    let started = Instant::now();

    let up = s.windflow(&["--mode", "swarm", "up"]).ok();
    assert!(
        up.stdout
            .contains(&format!("{p} deployed on the Swarm as version 1")),
        "{}",
        up.stdout
    );
    let name = format!("{p}_web");
    let service = service_facts(&s.docker, &name).await;
    assert_eq!(service.replicas, Some(2));
    let labels = service.labels;
    assert_eq!(labels["com.docker.stack.namespace"], p);
    // Compose `labels` are the tasks' container labels (as with `docker stack deploy`).
    let container_labels = service.container_labels;
    assert_eq!(
        container_labels["team"], "storefront",
        "{container_labels:?}"
    );
    let network = s
        .docker
        .inspect_network(&format!("{p}_default"), None)
        .await
        .unwrap();
    assert_eq!(network.driver.as_deref(), Some("overlay"));

    // The tasks really serve.
    let containers = task_containers(&s.docker, &name).await;
    assert_eq!(containers.len(), 2, "2 running task containers");
    let mut answer = String::new();
    for _ in 0..20 {
        answer = exec(
            &s.docker,
            &containers[0],
            &["wget", "-qO-", "http://127.0.0.1:8080/"],
        )
        .await;
        if answer.trim() == "hello-swarm" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(answer.trim(), "hello-swarm");

    let again = s.windflow(&["--mode", "swarm", "up"]).ok();
    assert!(
        again.stdout.contains(&format!("{p} is up to date")),
        "{}",
        again.stdout
    );

    let ps = s.windflow(&["--mode", "swarm", "ps"]).ok();
    let row = ps
        .stdout
        .lines()
        .find(|l| l.contains(&name) && l.contains("replicated"))
        .unwrap_or_else(|| panic!("no row for {name}:\n{}", ps.stdout));
    assert!(row.contains("2/2"), "{row}");
    assert!(row.contains("v1"), "{row}");
    let json = s
        .windflow(&["--mode", "swarm", "--output", "json", "ps"])
        .ok();
    let listed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(listed[0]["name"], name);
    assert_eq!(
        (listed[0]["running"].as_u64(), listed[0]["desired"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(listed[0]["tasks"].as_array().map(Vec::len), Some(2));

    let down = s.windflow(&["--mode", "swarm", "down"]).ok();
    assert!(
        down.stdout.contains(&format!("{p} removed from the Swarm")),
        "{}",
        down.stdout
    );
    assert!(s.docker.inspect_service(&name, None).await.is_err());
    assert!(
        s.docker
            .inspect_network(&format!("{p}_default"), None)
            .await
            .is_err()
    );
    assert!(task_containers(&s.docker, &name).await.is_empty());
    let ps = s.windflow(&["--mode", "swarm", "ps"]).ok();
    assert!(!ps.stdout.contains(&name), "{}", ps.stdout);
    eprintln!(
        "swarm CLI scenario: {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
