//! Three `windflow agent`s running AS CONTAINERS, each on its own private bridge network
//! with the engine socket mounted, against a real `windflow serve` that they reach through
//! their network's gateway over HTTPS. Each enrolls to its own target and deploys a stack;
//! one is killed in the middle of a deployment (the target goes down, the deployment fails
//! cleanly naming the agent, the others keep deploying) and started again (it reconnects
//! from its state volume and deploys again).
//!
//! The agents run the `windflow` binary cargo built, bind-mounted read-only into a
//! `FROM scratch` image that holds only its shared libraries
//! (`windflow_testkit::runtime_image`); no registry is involved.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptions, InspectContainerOptions, InspectNetworkOptions, KillContainerOptions,
    StartContainerOptions,
};
use serde_json::{Value, json};
use windflow_testkit::runtime_image::ensure_runtime_image;
use windflow_testkit::server::Api;
use windflow_testkit::{
    PROJECT_LABEL, ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, http_get,
    list_project_containers,
};

use crate::agents::{
    agents, certificates, deploy, enrollment_token, stack, start_server, target_status, wait_for,
};
use crate::support::{bin, create_stack, deployment_events};

const TARGETS: [&str; 3] = ["edge-a", "edge-b", "edge-c"];
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// One agent container and the private network it lives on.
struct EdgeAgent {
    target: &'static str,
    network: String,
    gateway: IpAddr,
    container: String,
}

/// The agents' containers, networks and state volumes all carry the project label of
/// `guard`, which removes them on drop, also after a failure. Before that, a failing test
/// prints the agents' logs.
struct Fleet {
    guard: ProjectGuard,
    agents: Vec<EdgeAgent>,
    /// The CA and the server's certificate.
    dir: PathBuf,
}

impl Fleet {
    fn agent(&self, target: &str) -> &EdgeAgent {
        self.agents.iter().find(|a| a.target == target).unwrap()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if !std::thread::panicking() {
            return;
        }
        for agent in &self.agents {
            // Arguments, no shell: the names are this test's own.
            if let Ok(output) = std::process::Command::new("docker")
                .args(["logs", "--tail", "40", &agent.container])
                .output()
            {
                eprintln!(
                    "--- logs of the agent container {} ---\n{}{}",
                    agent.container,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
        eprintln!("(removing project {})", self.guard.project());
    }
}

fn labels(project: &str) -> HashMap<String, String> {
    HashMap::from([(PROJECT_LABEL.to_string(), project.to_string())])
}

/// A bridge network with a subnet Docker picks; returns its gateway address.
async fn create_network(docker: &Docker, project: &str, name: &str) -> IpAddr {
    docker
        .create_network(NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".into()),
            labels: Some(labels(project)),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("creating network {name}: {e}"));
    let inspected = docker
        .inspect_network(name, None::<InspectNetworkOptions>)
        .await
        .unwrap();
    let gateway = inspected
        .ipam
        .and_then(|ipam| ipam.config)
        .into_iter()
        .flatten()
        .find_map(|config| config.gateway)
        .unwrap_or_else(|| panic!("network {name} has no gateway"));
    gateway.parse().unwrap()
}

/// Creates and starts `windflow agent` in a container on `network`: the engine socket and
/// the CA certificate mounted, its state in a volume, the enrollment token in its
/// environment (used on the first start only; it is single-use anyway).
#[allow(clippy::too_many_arguments)]
async fn start_agent_container(
    docker: &Docker,
    image: &str,
    project: &str,
    name: &str,
    network: &str,
    server: &str,
    ca: &Path,
    token: &str,
) {
    let volume = format!("{name}-state");
    docker
        .create_volume(VolumeCreateRequest {
            name: Some(volume.clone()),
            labels: Some(labels(project)),
            ..Default::default()
        })
        .await
        .unwrap();
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        entrypoint: Some(vec!["/windflow".into()]),
        cmd: Some(
            [
                "agent",
                "--server",
                server,
                "--ca-cert",
                "/etc/windflow/ca.pem",
                "--state-dir",
                "/var/lib/windflow-agent",
            ]
            .map(String::from)
            .to_vec(),
        ),
        env: Some(vec![
            format!("WINDFLOW_AGENT_TOKEN={token}"),
            "WINDFLOW_LOG=info".into(),
        ]),
        hostname: Some(name.to_string()),
        labels: Some(labels(project)),
        host_config: Some(HostConfig {
            binds: Some(vec![
                format!("{}:/windflow:ro", bin().display()),
                format!("{}:/etc/windflow/ca.pem:ro", ca.display()),
                format!("{}:/var/run/docker.sock", engine_socket()),
                format!("{volume}:/var/lib/windflow-agent"),
            ]),
            network_mode: Some(network.to_string()),
            ..Default::default()
        }),
        ..Default::default()
    };
    docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.to_string()),
                ..Default::default()
            }),
            body,
        )
        .await
        .unwrap_or_else(|e| panic!("creating the agent container {name}: {e}"));
    docker
        .start_container(name, None::<StartContainerOptions>)
        .await
        .unwrap_or_else(|e| panic!("starting the agent container {name}: {e}"));
}

/// The host path of the engine's socket, which the agents get mounted as their local engine.
fn engine_socket() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if host.starts_with("unix://") => host["unix://".len()..].to_string(),
        _ => "/var/run/docker.sock".to_string(),
    }
}

/// The container's address on `network`, from the Engine API.
async fn container_ip(docker: &Docker, container: &str, network: &str) -> String {
    let inspected = docker
        .inspect_container(container, None::<InspectContainerOptions>)
        .await
        .unwrap();
    inspected
        .network_settings
        .and_then(|n| n.networks)
        .and_then(|mut n| n.remove(network))
        .and_then(|endpoint| endpoint.ip_address)
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| panic!("{container} has no address on {network}"))
}

fn agent_of<'a>(listed: &'a [Value], target: &str) -> Option<&'a Value> {
    listed.iter().find(|a| a["target"] == target)
}

/// A web service that becomes reachable only after a slow dependency turns healthy (~6 s),
/// so a deployment of it stays in progress long enough to kill its agent midway.
fn slow_stack(port: u16, greeting: &str) -> String {
    format!(
        r#"services:
  db:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "sleep 6; touch /tmp/ready; exec sleep 3600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 500ms
      retries: 120
    init: true
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /www; echo {greeting} > /www/index.html; exec httpd -f -p 8080 -h /www"]
    depends_on:
      db:
        condition: service_healthy
    ports: ["127.0.0.1:{port}:8080"]
    init: true
"#
    )
}

async fn deployment_state(api: &Api, id: &str) -> String {
    let answer = api
        .get(&format!("/orgs/default/deployments/{id}"))
        .await
        .unwrap();
    answer.body["state"].as_str().unwrap_or("").to_string()
}

/// The stack's one container per service runs, and `GET /` on `port` answers `greeting`.
async fn check_served(docker: &Docker, project: &str, services: usize, port: u16, greeting: &str) {
    let containers = list_project_containers(docker, project).await.unwrap();
    assert_eq!(containers.len(), services, "{project}: {containers:?}");
    assert!(
        containers
            .iter()
            .all(|c| c.state.as_ref().is_some_and(|s| s.to_string() == "running")),
        "{project}: {containers:?}"
    );
    let (status, body) = http_get(&format!("http://127.0.0.1:{port}/"), HTTP_TIMEOUT)
        .await
        .unwrap();
    assert_eq!((status, body.trim()), (200, greeting), "{project}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_agents_in_containers_deploy_and_one_killed_mid_deploy_recovers() {
    let started = Instant::now();
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let image = ensure_runtime_image(&docker, &bin()).await.unwrap();
    eprintln!("runtime image {image} ready after {:?}", started.elapsed());

    let guard = ProjectGuard::unique("agentfleet");
    let project = guard.project().to_string();
    let mut fleet = Fleet {
        guard,
        agents: Vec::new(),
        dir: std::env::temp_dir().join(format!("{project}-certs")),
    };
    let mut gateways = Vec::new();
    for target in TARGETS {
        let network = format!("{project}-{target}");
        let gateway = create_network(&docker, &project, &network).await;
        gateways.push(gateway);
        fleet.agents.push(EdgeAgent {
            target,
            container: format!("{project}-agent-{target}"),
            network,
            gateway,
        });
    }
    let distinct: std::collections::HashSet<_> = gateways.iter().collect();
    assert_eq!(distinct.len(), 3, "{gateways:?}");

    // The server's certificate names every address the agents dial: their gateways.
    let dir = fleet.dir.clone();
    std::fs::create_dir_all(&dir).unwrap();
    let mut sans: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap()];
    sans.extend(&gateways);
    certificates(&dir, &sans);
    let tls_port = free_port();
    let server = start_server(&dir, &format!("0.0.0.0:{tls_port}")).await;
    let api = server.admin().await.unwrap();

    for agent in &fleet.agents {
        let token = enrollment_token(&api, agent.target, json!({ "site": agent.target })).await;
        start_agent_container(
            &docker,
            &image,
            &project,
            &agent.container,
            &agent.network,
            &format!("https://{}:{tls_port}", agent.gateway),
            &dir.join("ca.pem"),
            &token,
        )
        .await;
    }
    wait_for(
        "three agents to connect",
        Duration::from_secs(60),
        async || {
            let listed = agents(&api).await;
            listed.len() == 3 && listed.iter().all(|a| a["connected"] == true)
        },
    )
    .await;
    eprintln!("three agents connected after {:?}", started.elapsed());

    // Each agent connected from its own container's address on its own network.
    let listed = agents(&api).await;
    let mut addresses = Vec::new();
    for agent in &fleet.agents {
        let entry = agent_of(&listed, agent.target).unwrap();
        let ip = container_ip(&docker, &agent.container, &agent.network).await;
        assert_eq!(entry["address"], ip.as_str(), "{entry}");
        assert_eq!(target_status(&api, agent.target).await, "up");
        addresses.push(ip);
    }
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 3, "{addresses:?}");
    let edge_b_id = agent_of(&listed, "edge-b").unwrap()["id"].clone();

    // A distinct stack through each agent, all at once.
    let stacks: Vec<(ProjectGuard, u16, &str)> = TARGETS
        .iter()
        .map(|target| (ProjectGuard::unique("agentfleet-web"), free_port(), *target))
        .collect();
    for (guard, port, target) in &stacks {
        create_stack(
            &api,
            guard.project(),
            &stack(*port, &format!("hello-{target}")),
        )
        .await;
    }
    let outcomes = futures::future::join_all(
        stacks
            .iter()
            .map(|(guard, _, target)| deploy(&api, guard.project(), target)),
    )
    .await;
    for ((guard, port, target), done) in stacks.iter().zip(&outcomes) {
        assert_eq!(done["state"], "succeeded", "{done}");
        assert_eq!(done["target"], *target, "{done}");
        check_served(
            &docker,
            guard.project(),
            1,
            *port,
            &format!("hello-{target}"),
        )
        .await;
    }
    eprintln!("three stacks deployed after {:?}", started.elapsed());

    // A slow deployment through edge-b; its agent is killed once a service step has started
    // and before the slow dependency is healthy.
    let slow = ProjectGuard::unique("agentfleet-slow");
    let slow_port = free_port();
    create_stack(&api, slow.project(), &slow_stack(slow_port, "before-kill")).await;
    let answer = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": slow.project(), "target": "edge-b" }),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 201, "{}", answer.text);
    let slow_id = answer.body["id"].as_str().unwrap().to_string();
    wait_for(
        "the edge-b deployment to run and start a service step",
        Duration::from_secs(60),
        async || {
            deployment_state(&api, &slow_id).await == "running"
                && deployment_events(&api, &slow_id).await.iter().any(|e| {
                    e["data"]["event"] == "step_started"
                        && e["data"]["label"]
                            .as_str()
                            .is_some_and(|l| l.starts_with("service"))
                })
        },
    )
    .await;
    // Still mid-deploy right before the kill (the dependency needs ~6 s to turn healthy).
    let seen = deployment_events(&api, &slow_id).await;
    assert!(
        !seen.iter().any(|e| e["data"]["event"] == "finished"
            || (e["data"]["event"] == "service_state"
                && e["data"]["service"] == "db"
                && e["data"]["state"] == "ready")),
        "the deployment got too far to kill its agent midway: {seen:?}"
    );
    let edge_b = fleet.agent("edge-b");
    docker
        .kill_container(&edge_b.container, None::<KillContainerOptions>)
        .await
        .unwrap();
    let killed_at = Instant::now();

    // Meanwhile: the target goes down and the deployment fails naming the agent, while
    // edge-a deploys a new version.
    let (edge_a_guard, edge_a_port, _) = &stacks[0];
    api.put(
        &format!("/orgs/default/stacks/{}", edge_a_guard.project()),
        json!({ "content": stack(*edge_a_port, "still-up") }),
    )
    .await
    .unwrap();
    let (failed, edge_a_done) = tokio::join!(
        async {
            wait_for("edge-b to go down", Duration::from_secs(30), async || {
                target_status(&api, "edge-b").await == "down"
            })
            .await;
            eprintln!("edge-b down {:?} after the kill", killed_at.elapsed());
            let failed = api
                .wait_deployment("default", &slow_id, Duration::from_secs(60))
                .await
                .unwrap();
            eprintln!(
                "the edge-b deployment ended {:?} after the kill",
                killed_at.elapsed()
            );
            failed
        },
        deploy(&api, edge_a_guard.project(), "edge-a"),
    );
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(
        failed.to_string().contains("agent edge-b is unreachable"),
        "{failed}"
    );
    assert_eq!(edge_a_done["state"], "succeeded", "{edge_a_done}");
    check_served(&docker, edge_a_guard.project(), 1, *edge_a_port, "still-up").await;
    let listed = agents(&api).await;
    assert_eq!(agent_of(&listed, "edge-b").unwrap()["connected"], false);
    for target in ["edge-a", "edge-c"] {
        assert_eq!(agent_of(&listed, target).unwrap()["connected"], true);
        assert_eq!(target_status(&api, target).await, "up");
    }
    // The web service never started: its dependency was not healthy when the agent died.
    let web_running = list_project_containers(&docker, slow.project())
        .await
        .unwrap()
        .iter()
        .any(|c| {
            c.labels
                .as_ref()
                .and_then(|l| l.get("com.docker.compose.service"))
                .is_some_and(|s| s == "web")
                && c.state.as_ref().is_some_and(|s| s.to_string() == "running")
        });
    assert!(!web_running, "web started although its agent died first");

    // Started again: the agent reconnects from its state volume (its enrollment token was
    // used up, so only the stored credential can get it in), and deploys again.
    let restarted = Instant::now();
    docker
        .start_container(&edge_b.container, None::<StartContainerOptions>)
        .await
        .unwrap();
    wait_for("edge-b to come back", Duration::from_secs(60), async || {
        target_status(&api, "edge-b").await == "up"
    })
    .await;
    eprintln!(
        "edge-b reconnected {:?} after its restart",
        restarted.elapsed()
    );
    let listed = agents(&api).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    let entry = agent_of(&listed, "edge-b").unwrap();
    assert_eq!(entry["id"], edge_b_id, "{entry}");
    assert_eq!(entry["connected"], true, "{entry}");
    let ip = container_ip(&docker, &edge_b.container, &edge_b.network).await;
    assert_eq!(entry["address"], ip.as_str(), "{entry}");
    api.put(
        &format!("/orgs/default/stacks/{}", slow.project()),
        json!({ "content": slow_stack(slow_port, "after-restart") }),
    )
    .await
    .unwrap();
    let done = deploy(&api, slow.project(), "edge-b").await;
    assert_eq!(done["state"], "succeeded", "{done}");
    check_served(&docker, slow.project(), 2, slow_port, "after-restart").await;

    eprintln!("whole scenario took {:?}", started.elapsed());
    drop(server);
    drop(stacks);
    drop(slow);
    drop(fleet);
}
