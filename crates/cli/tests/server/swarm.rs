//! A `swarm` target through the API (SQLite): the local engine (made a single-node Swarm
//! manager) reached over SSH through a real sshd, its client key stored sealed and its host
//! key pinned by fingerprint; a stack of 2 replicas deployed through the API and checked
//! through the Engine API, the target's nodes listed, then a `remove` deployment taking the
//! service down.

use std::time::{Duration, Instant};

use serde_json::json;
use windflow_engine::docker::DockerDriver;
use windflow_engine::swarm;
use windflow_testkit::server::Database;
use windflow_testkit::sshd::Sshd;
use windflow_testkit::swarm::{SwarmGuard, service_facts, task_containers};
use windflow_testkit::{TEST_IMAGE, docker, ensure_test_images, unique_project};

use crate::support::{create_stack, start};

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swarm_target_deploys_lists_nodes_and_removes() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let driver = DockerDriver::connect(None).unwrap();
    swarm::init_if_inactive(&driver, "127.0.0.1").await.unwrap();
    let started = Instant::now();
    let server = start(Database::Sqlite).await;
    let api = server.admin().await.unwrap();

    // The manager is reached over SSH, its host key pinned by the fingerprint given.
    let sshd = Sshd::start().unwrap();
    let fingerprint =
        windflow_engine::connect::known_hosts::openssh_fingerprint(&sshd.host_public_key).unwrap();
    let private_key = std::fs::read_to_string(&sshd.client_key).unwrap();
    let created = api
        .post(
            "/orgs/default/targets",
            json!({ "name": "swarm1", "kind": "swarm", "endpoint": sshd.url(),
                    "ssh": { "private_key": private_key, "host_key": fingerprint } }),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "up", "{}", created.text);
    assert_eq!(created.body["host_key_fingerprint"], fingerprint.as_str());
    assert!(!created.text.contains("PRIVATE KEY"), "{}", created.text);
    assert_eq!(created.body["kind"], "swarm", "{}", created.text);

    // The nodes of its Swarm: this engine, a ready manager (and the leader).
    let nodes = api.get("/orgs/default/targets/swarm1/nodes").await.unwrap();
    assert_eq!(nodes.status, 200, "{}", nodes.text);
    let nodes = nodes.body.as_array().unwrap();
    let engine = docker.info().await.unwrap();
    let node_id = engine.swarm.and_then(|s| s.node_id).unwrap();
    let node = nodes
        .iter()
        .find(|n| n["id"] == node_id)
        .unwrap_or_else(|| panic!("node {node_id} not listed: {nodes:?}"));
    assert_eq!(node["role"], "manager", "{node}");
    assert_eq!(node["state"], "ready", "{node}");
    assert_eq!(node["leader"], true, "{node}");
    // A docker target has no nodes to list.
    let refused = api.get("/orgs/default/targets/local/nodes").await.unwrap();
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(
        refused.text.contains("not a swarm target"),
        "{}",
        refused.text
    );

    // A stack of 2 replicas, deployed through the API.
    let stack = unique_project("srvswarm");
    let _cleanup = SwarmGuard(stack.clone());
    let content = format!(
        r#"
services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"]
    stop_grace_period: 1s
    labels:
      team: storefront
    deploy:
      replicas: 2
"#
    );
    create_stack(&api, &stack, &content).await;
    let queued = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": stack, "target": "swarm1" }),
        )
        .await
        .unwrap();
    assert_eq!(queued.status, 201, "{}", queued.text);
    let id = queued.body["id"].as_str().unwrap().to_string();
    let done = api
        .wait_deployment("default", &id, DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());

    // What the engine runs: a Swarm service with 2 replicas, both running, labelled.
    let name = format!("{stack}_web");
    let service = service_facts(&docker, &name).await;
    assert_eq!(service.replicas, Some(2));
    let labels = service.labels;
    assert_eq!(labels["com.docker.stack.namespace"], stack);
    // Compose `labels` are the tasks' container labels (as with `docker stack deploy`).
    let container_labels = service.container_labels;
    assert_eq!(
        container_labels["team"], "storefront",
        "{container_labels:?}"
    );
    assert_eq!(labels["io.windflow.stack-version"], "1", "{labels:?}");
    assert_eq!(task_containers(&docker, &name).await.len(), 2);
    // It took the Swarm path: no plain (compose-style) containers were made for it.
    assert!(
        windflow_testkit::list_project_containers(&docker, &stack)
            .await
            .unwrap()
            .is_empty(),
        "only Swarm tasks"
    );

    // A remove deployment takes the service down.
    let removal = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": stack, "target": "swarm1", "kind": "remove" }),
        )
        .await
        .unwrap();
    assert_eq!(removal.status, 201, "{}", removal.text);
    let id = removal.body["id"].as_str().unwrap().to_string();
    let done = api
        .wait_deployment("default", &id, DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());
    assert!(docker.inspect_service(&name, None).await.is_err());
    assert!(
        docker
            .inspect_network(&format!("{stack}_default"), None)
            .await
            .is_err()
    );
    assert_eq!(task_containers(&docker, &name).await.len(), 0);
    eprintln!(
        "swarm server scenario: {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
