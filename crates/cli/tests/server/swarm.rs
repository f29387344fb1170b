//! A `swarm` target through the API (SQLite): the local engine (made a single-node Swarm
//! manager) reached over SSH through a real sshd, its client key stored sealed and its host
//! key pinned by fingerprint; a stack of 2 replicas deployed through the API and checked
//! through the Engine API, the target's nodes listed, then a `remove` deployment taking the
//! service down. Then the gateway on a swarm target: a service with a domain and a TCP forward
//! answers through the engine's gateways, on an attachable overlay network, until its stack is
//! removed.

use std::time::{Duration, Instant};

use serde_json::json;
use windflow_engine::docker::DockerDriver;
use windflow_engine::swarm;
use windflow_testkit::server::Database;
use windflow_testkit::sshd::Sshd;
use windflow_testkit::swarm::{SwarmGuard, service_facts, task_containers};
use windflow_testkit::{
    TEST_IMAGE, docker, ensure_test_images, free_port, gateway_tcp_test_image, gateway_test_image,
    unique_project,
};

use crate::support::{GATEWAY_TURN, create_stack, databases, remove_gateway, start, start_with};

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

/// Registers the swarm target `name` reaching the local engine over SSH through `sshd`.
async fn register_swarm_target(api: &windflow_testkit::server::Api, name: &str, sshd: &Sshd) {
    let fingerprint =
        windflow_engine::connect::known_hosts::openssh_fingerprint(&sshd.host_public_key).unwrap();
    let private_key = std::fs::read_to_string(&sshd.client_key).unwrap();
    let created = api
        .post(
            "/orgs/default/targets",
            json!({ "name": name, "kind": "swarm", "endpoint": sshd.url(),
                    "ssh": { "private_key": private_key, "host_key": fingerprint } }),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "up", "{}", created.text);
}

/// Takes the gateway's containers and its overlay network away, waiting for the overlay to go
/// (its endpoints leave asynchronously once the services are removed), so the next
/// containers-mode test finds no network and creates its bridge.
struct GatewayCleanup;

impl Drop for GatewayCleanup {
    fn drop(&mut self) {
        let _ = std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                let docker = docker().await;
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    remove_gateway(&docker).await;
                    let gone = docker
                        .inspect_network("windflow-gateway", None)
                        .await
                        .is_err();
                    if gone || Instant::now() > deadline {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            });
        })
        .join();
    }
}

const HOST: &str = "swarm.example.test";

/// `GET /` over a plain TCP connection to the gateway's `port`; the response's body, trimmed.
async fn raw_get(port: u16) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.trim().to_string())
        .ok_or_else(|| format!("not an HTTP response: {response:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swarm_target_serves_a_domain_through_the_gateway_until_the_stack_is_removed() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let driver = DockerDriver::connect(None).unwrap();
    swarm::init_if_inactive(&driver, "127.0.0.1").await.unwrap();
    let _turn = GATEWAY_TURN.lock().await;
    // Whatever a containers-mode test left (a bridge `windflow-gateway`) is recreated as an
    // overlay by the gateway itself; start from nothing anyway, and leave nothing.
    remove_gateway(&docker).await;
    let _gateway_cleanup = GatewayCleanup;
    let started = Instant::now();
    let http_port = free_port();
    let http = format!("127.0.0.1:{http_port}");
    let https = format!("127.0.0.1:{}", free_port());
    let database = databases("swarmgw").await.pop().unwrap();
    let server = start_with(
        database,
        &[
            ("WINDFLOW_GATEWAY_IMAGE", &gateway_test_image()),
            ("WINDFLOW_GATEWAY_TCP_IMAGE", &gateway_tcp_test_image()),
            ("WINDFLOW_GATEWAY_HTTP", &http),
            ("WINDFLOW_GATEWAY_HTTPS", &https),
        ],
    )
    .await;
    let api = server.admin().await.unwrap();
    let sshd = Sshd::start().unwrap();
    register_swarm_target(&api, "swarm1", &sshd).await;

    // Two replicas answering with their hostnames (their task containers' short ids), at a
    // domain and through a raw TCP forward.
    let tcp_port = free_port();
    let stack = unique_project("swarmgw");
    let _cleanup = SwarmGuard(stack.clone());
    let content = format!(
        r#"
services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
    stop_grace_period: 1s
    deploy:
      replicas: 2
    x-windflow:
      domains: ["{HOST}"]
      port: 8080
      tls: "off"
      tcp:
        - listen: {tcp_port}
          port: 8080
"#
    );
    create_stack(&api, &stack, &content).await;
    let deploy = |kind: &'static str| {
        let api = &api;
        let stack = stack.clone();
        async move {
            let queued = api
                .post(
                    "/orgs/default/deployments",
                    json!({ "stack": stack, "target": "swarm1", "kind": kind }),
                )
                .await
                .unwrap();
            assert_eq!(queued.status, 201, "{}", queued.text);
            let id = queued.body["id"].as_str().unwrap().to_string();
            api.wait_deployment("default", &id, DEPLOY_TIMEOUT)
                .await
                .unwrap()
        }
    };
    let done = deploy("deploy").await;
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());

    // The gateway network is an attachable overlay that the Swarm service joined.
    let network = docker
        .inspect_network("windflow-gateway", None)
        .await
        .unwrap();
    assert_eq!(network.driver.as_deref(), Some("overlay"));
    assert_eq!(network.attachable, Some(true));
    let name = format!("{stack}_web");
    let tasks: Vec<String> = task_containers(&docker, &name)
        .await
        .iter()
        .map(|id| id[..12].to_string())
        .collect();
    assert_eq!(tasks.len(), 2, "{tasks:?}");

    // Through the gateway's HTTP port, the domain answers from one of the service's tasks.
    let client = reqwest::Client::builder()
        .resolve(HOST, http.parse().unwrap())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let url = format!("http://{HOST}:{http_port}/");
    let deadline = Instant::now() + Duration::from_secs(30);
    let answer = loop {
        match client.get(&url).send().await {
            Ok(r) if r.status() == 200 => break r.text().await.unwrap().trim().to_string(),
            other => assert!(
                Instant::now() < deadline,
                "no answer through the gateway: {other:?}\n{}",
                server.logs()
            ),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(tasks.contains(&answer), "{answer} is not one of {tasks:?}");
    eprintln!(
        "swarm deploy to an answer through the gateway: {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // The TCP gateway forwards its port to the tasks too (HAProxy's resolver fills its slots
    // from `tasks.<service>`).
    let deadline = Instant::now() + Duration::from_secs(30);
    let answer = loop {
        match raw_get(tcp_port).await {
            Ok(body) if tasks.contains(&body) => break body,
            other => assert!(
                Instant::now() < deadline,
                "no answer through the TCP gateway: {other:?}\n{}",
                server.logs()
            ),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(tasks.contains(&answer), "{answer} is not one of {tasks:?}");

    // The target's gateway lists the route, reaching every task of the service.
    let info = api
        .get("/orgs/default/targets/swarm1/gateway")
        .await
        .unwrap();
    assert_eq!(info.status, 200, "{}", info.text);
    assert_eq!(info.body["supported"], true, "{}", info.text);
    assert_eq!(info.body["running"], true, "{}", info.text);
    let route = &info.body["routes"][0];
    assert_eq!(route["domain"], HOST, "{}", info.text);
    assert_eq!(route["tls"], "off", "{}", info.text);
    assert_eq!(
        route["upstreams"][0]["address"],
        format!("tasks.{name}:8080"),
        "{}",
        info.text
    );

    // Removing the stack removes its route: the host is unknown to the gateway again.
    let done = deploy("remove").await;
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());
    let info = api
        .get("/orgs/default/targets/swarm1/gateway")
        .await
        .unwrap();
    assert_eq!(info.body["routes"], json!([]), "{}", info.text);
    let gone = client.get(&url).send().await.unwrap();
    assert_eq!(gone.status(), 404);
    // And the TCP gateway, with no TCP route left, is gone.
    assert!(
        docker
            .inspect_container("windflow-gateway-tcp", None)
            .await
            .is_err()
    );
}
