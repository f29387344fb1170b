//! Target lifecycle through the API: what a connection test reports, labels, the health
//! history, removal rules, and deployments placed by a label selector — including the
//! failover when the chosen target stops answering mid-way.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::{TcpListener, UnixStream};
use tokio::task::JoinSet;
use windflow_testkit::server::Api;
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, http_get, unique_project,
};

use crate::support::{create_stack, deployment_events, start};

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(120);

/// A TCP endpoint forwarding to the local engine's socket that the test can cut: a remote
/// engine that goes away.
pub(crate) struct EngineProxy {
    pub(crate) port: u16,
    tasks: Arc<tokio::sync::Mutex<JoinSet<()>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl EngineProxy {
    pub(crate) async fn start() -> EngineProxy {
        EngineProxy::start_on(0).await
    }

    /// On a given loopback port (0: any free one).
    pub(crate) async fn start_on(port: u16) -> EngineProxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks: Arc<tokio::sync::Mutex<JoinSet<()>>> = Arc::default();
        let connections = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                connections.lock().await.spawn(async move {
                    if let Ok(mut engine) = UnixStream::connect("/var/run/docker.sock").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                    }
                });
            }
        });
        EngineProxy {
            port,
            tasks,
            accept,
        }
    }

    /// Stops listening and drops every forwarded connection.
    async fn cut(&self) {
        self.accept.abort();
        self.tasks.lock().await.abort_all();
    }
}

async fn add_target(api: &Api, name: &str, endpoint: &str, labels: Value) -> Value {
    let answer = api
        .post(
            "/orgs/default/targets",
            json!({ "name": name, "kind": "docker", "endpoint": endpoint, "labels": labels }),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_report_capacity_keep_health_history_and_take_labels() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let server = start(windflow_testkit::server::Database::Sqlite).await;
    let api = server.admin().await.unwrap();

    // A connection test reports what placement needs: CPUs, memory, free disk (local socket).
    let test = api
        .post("/orgs/default/targets/local/test", json!({}))
        .await
        .unwrap();
    assert_eq!(test.status, 200, "{}", test.text);
    let info = &test.body["info"];
    let engine = docker.info().await.unwrap();
    assert_eq!(test.body["ok"], true, "{}", test.text);
    assert_eq!(info["cpus"].as_i64(), engine.ncpu, "{info}");
    assert_eq!(info["memory_bytes"].as_i64(), engine.mem_total, "{info}");
    assert_eq!(info["hostname"].as_str(), engine.name.as_deref(), "{info}");
    assert!(info["free_disk_bytes"].as_u64().unwrap() > 0, "{info}");

    // A dead endpoint: recorded as down, with the reason, in the history.
    add_target(&api, "gone", "tcp://127.0.0.1:9", json!({ "region": "eu" })).await;
    let test = api
        .post("/orgs/default/targets/gone/test", json!({}))
        .await
        .unwrap();
    assert_eq!(test.body["ok"], false, "{}", test.text);
    let checks = api
        .get("/orgs/default/targets/gone/checks?limit=10")
        .await
        .unwrap();
    assert_eq!(checks.status, 200, "{}", checks.text);
    let checks = checks.body.as_array().unwrap();
    assert!(
        checks.len() >= 2,
        "creation and test each check: {checks:?}"
    );
    assert_eq!(checks[0]["status"], "down");
    assert!(
        checks[0]["error"]
            .as_str()
            .unwrap()
            .contains("cannot reach the Docker engine at tcp://127.0.0.1:9"),
        "{checks:?}"
    );
    let local = api.get("/orgs/default/targets/local/checks").await.unwrap();
    assert_eq!(local.body[0]["status"], "up", "{}", local.text);

    // Labels: replaced by PATCH, validated with the field named.
    let patched = api
        .patch(
            "/orgs/default/targets/gone",
            json!({ "labels": { "region": "us", "tier": "edge" } }),
        )
        .await
        .unwrap();
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(
        patched.body["labels"],
        json!({ "region": "us", "tier": "edge" })
    );
    let bad = api
        .patch(
            "/orgs/default/targets/gone",
            json!({ "labels": { "bad key!": "x" } }),
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("labels.bad key!"), "{}", bad.text);
    let bad = api
        .patch(
            "/orgs/default/targets/gone",
            json!({ "labels": { "n": 3 } }),
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 422, "{}", bad.text);

    // A selector nothing eligible matches: 422 naming each candidate and why.
    let name = unique_project("sel");
    let _guard = ProjectGuard::new(&name);
    create_stack(
        &api,
        &name,
        &format!("services:\n  app:\n    image: {TEST_IMAGE}\n    command: [\"sleep\", \"600\"]\n"),
    )
    .await;
    let refused = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": name, "selector": { "tier": "edge" } }),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("gone: down"), "{}", refused.text);
    let refused = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": name, "selector": { "tier": "nowhere" } }),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("no target has the labels tier=nowhere"),
        "{}",
        refused.text
    );
    let both = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": name, "target": "local", "selector": { "tier": "edge" } }),
        )
        .await
        .unwrap();
    assert_eq!(both.status, 422, "{}", both.text);

    // A stack reserving more memory than any target has is refused with the figures.
    let greedy = unique_project("greedy");
    create_stack(
        &api,
        &greedy,
        &format!(
            "services:\n  app:\n    image: {TEST_IMAGE}\n    deploy:\n      resources:\n        reservations: {{memory: 64T}}\n"
        ),
    )
    .await;
    api.patch(
        "/orgs/default/targets/local",
        json!({ "labels": { "tier": "edge" } }),
    )
    .await
    .unwrap();
    let refused = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": greedy, "selector": { "tier": "edge" } }),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("local:") && refused.text.contains("the stack reserves 65536.0 GiB"),
        "{}",
        refused.text
    );

    // Removal is refused while a deployment uses the target, unless forced.
    let placed = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": name, "selector": { "tier": "edge" } }),
        )
        .await
        .unwrap();
    assert_eq!(placed.status, 201, "{}", placed.text);
    assert_eq!(placed.body["target"], "local");
    assert!(
        placed.body["placement"]["reason"]
            .as_str()
            .unwrap()
            .contains("most free memory"),
        "{}",
        placed.text
    );
    let id = placed.body["id"].as_str().unwrap().to_string();
    let done = api
        .wait_deployment("default", &id, DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());
    let events = deployment_events(&api, &id).await;
    assert!(
        events
            .iter()
            .any(|e| e["data"]["event"] == "placement" && e["data"]["target"] == "local"),
        "{events:?}"
    );
    let removed = api
        .delete("/orgs/default/targets/gone?force=true")
        .await
        .unwrap();
    assert_eq!(removed.status, 204, "{}", removed.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selector_deployment_moves_to_the_next_target_when_its_target_fails() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let server = start(windflow_testkit::server::Database::Sqlite).await;
    let api = server.admin().await.unwrap();
    let proxy = EngineProxy::start().await;
    // Two targets with the same labels and (the same engine, so) the same free memory: the
    // first by name wins the tie.
    add_target(
        &api,
        "a-remote",
        &format!("tcp://127.0.0.1:{}", proxy.port),
        json!({ "pool": "web" }),
    )
    .await;
    add_target(
        &api,
        "b-local",
        "unix:///var/run/docker.sock",
        json!({ "pool": "web" }),
    )
    .await;

    let name = unique_project("failover");
    let _guard = ProjectGuard::new(&name);
    let port = free_port();
    // The web service turns healthy after ~5 s, so a first deployment holds the stack's slot
    // on a-remote long enough to queue the second behind it and then cut the engine while
    // it waits for the health check (a-remote and b-local are the same engine here, so the
    // cut must not fall in the middle of an Engine API call).
    create_stack(
        &api,
        &name,
        &format!(
            r#"services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /www; echo moved > /www/index.html; sleep 5; touch /tmp/ready; exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1:{port}:8080"]
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
"#
        ),
    )
    .await;
    let first = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": name, "target": "a-remote" }),
        )
        .await
        .unwrap();
    assert_eq!(first.status, 201, "{}", first.text);
    let first_id = first.body["id"].as_str().unwrap().to_string();
    let second = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": name, "selector": { "pool": "web" }, "failover": true }),
        )
        .await
        .unwrap();
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.body["target"], "a-remote", "{}", second.text);
    let second_id = second.body["id"].as_str().unwrap().to_string();
    // Removal is refused while deployments use the target.
    let refused = api.delete("/orgs/default/targets/a-remote").await.unwrap();
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(
        refused.text.contains("force the deletion"),
        "{}",
        refused.text
    );

    // The remote engine goes away while the first deployment runs.
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.cut().await;

    let first = api
        .wait_deployment("default", &first_id, DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_ne!(first["state"], "succeeded", "{first}");
    let second = api
        .wait_deployment("default", &second_id, DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(second["state"], "succeeded", "{second}\n{}", server.logs());
    assert_eq!(second["target"], "b-local", "{second}");
    assert_eq!(
        second["placement"]["tried"],
        json!(["a-remote"]),
        "{second}"
    );
    let events = deployment_events(&api, &second_id).await;
    let moved = events
        .iter()
        .find(|e| e["data"]["event"] == "failover")
        .unwrap_or_else(|| panic!("no failover event: {events:?}"));
    assert_eq!(moved["data"]["from"], "a-remote", "{moved}");
    assert_eq!(moved["data"]["to"], "b-local", "{moved}");
    assert!(
        moved["data"]["error"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "{moved}"
    );
    // The history says where it went; the service answers from the target it moved to.
    let listed = api
        .get("/orgs/default/deployments?target=b-local")
        .await
        .unwrap();
    assert!(listed.text.contains(&second_id), "{}", listed.text);
    let (code, body) = http_get(
        &format!("http://127.0.0.1:{port}/"),
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    assert_eq!((code, body.trim()), (200, "moved"));
    // The dead target is down in its history.
    let checks = api
        .get("/orgs/default/targets/a-remote/checks?limit=1")
        .await
        .unwrap();
    assert_eq!(checks.body[0]["status"], "down", "{}", checks.text);
}
