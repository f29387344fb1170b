//! `windflow agent` against a real `windflow serve` over HTTPS (certificates from a CA made
//! here): enrollment, a deployment through the agent onto the real engine (checked through
//! the Engine API and the service's HTTP answer), the agent killed (target down) and started
//! again from its state directory (target up, redeploy), and revocation (link closed, the
//! agent stops with a clear message).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use windflow_testkit::server::{Api, Database, Server};
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, http_get,
    list_project_containers,
};

use crate::support::{bin, create_stack};

pub(crate) const DEPLOY_TIMEOUT: Duration = Duration::from_secs(90);

pub(crate) use crate::support::certificates;

/// `windflow serve` (SQLite) with an HTTPS listener on `listen` for agents, using the
/// certificate in `dir` (see [`certificates`]), and a 1 s agent heartbeat.
pub(crate) async fn start_server(dir: &Path, listen: &str) -> Server {
    start_server_with(dir, listen, &[]).await
}

/// [`start_server`] with more environment variables for the server.
pub(crate) async fn start_server_with(dir: &Path, listen: &str, env: &[(&str, &str)]) -> Server {
    let mut env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.extend([
        (
            "WINDFLOW_TLS_CERT".into(),
            dir.join("cert.pem").display().to_string(),
        ),
        (
            "WINDFLOW_TLS_KEY".into(),
            dir.join("key.pem").display().to_string(),
        ),
        ("WINDFLOW_TLS_LISTEN".into(), listen.to_string()),
        ("WINDFLOW_AGENT_HEARTBEAT".into(), "1s".into()),
    ]);
    Server::start_with(&bin(), Database::Sqlite, env)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

pub(crate) struct AgentProcess(pub(crate) Child);

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn start_agent(url: &str, token: Option<&str>, dir: &Path) -> AgentProcess {
    let mut command = Command::new(bin());
    command
        .arg("agent")
        .args(["--server", url])
        .arg("--ca-cert")
        .arg(dir.join("ca.pem"))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .env_remove("WINDFLOW_AGENT_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(token) = token {
        command.args(["--token", token]);
    }
    AgentProcess(command.spawn().expect("windflow agent starts"))
}

/// A single-use enrollment token for a new agent target named `target`.
pub(crate) async fn enrollment_token(api: &Api, target: &str, labels: Value) -> String {
    let answer = api
        .post(
            "/orgs/default/agents/enrollments",
            json!({ "target": target, "labels": labels }),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["token"].as_str().unwrap().to_string()
}

pub(crate) async fn wait_for(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn target_status(api: &Api, name: &str) -> String {
    let answer = api
        .get(&format!("/orgs/default/targets/{name}"))
        .await
        .unwrap();
    answer.body["status"].as_str().unwrap_or("").to_string()
}

pub(crate) async fn agents(api: &Api) -> Vec<Value> {
    let answer = api.get("/orgs/default/agents").await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body.as_array().cloned().unwrap_or_default()
}

pub(crate) fn stack(port: u16, greeting: &str) -> String {
    format!(
        r#"services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /www; echo {greeting} > /www/index.html; exec httpd -f -p 8080 -h /www"]
    environment:
      GREETING: "{greeting}"
    ports: ["127.0.0.1:{port}:8080"]
    init: true
"#
    )
}

pub(crate) async fn deploy(api: &Api, stack: &str, target: &str) -> Value {
    let answer = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": stack, "target": target }),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 201, "{}", answer.text);
    let id = answer.body["id"].as_str().unwrap().to_string();
    api.wait_deployment("default", &id, DEPLOY_TIMEOUT)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_enrolls_over_tls_deploys_reconnects_and_is_revoked() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let dir = std::env::temp_dir().join(format!("windflow-agent-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    certificates(&dir, &["127.0.0.1".parse().unwrap()]);
    let tls_port = free_port();
    let server = start_server(&dir, &format!("127.0.0.1:{tls_port}")).await;
    let api = server.admin().await.unwrap();
    let url = format!("https://127.0.0.1:{tls_port}");

    // An enrollment token, single use; the agent trades it for a credential.
    let token = enrollment_token(&api, "edge-1", json!({ "site": "lab" })).await;
    let mut agent = start_agent(&url, Some(&token), &dir);
    wait_for(
        "the agent to connect",
        Duration::from_secs(30),
        async || {
            agents(&api)
                .await
                .first()
                .is_some_and(|a| a.get("connected") == Some(&json!(true)))
        },
    )
    .await;
    let listed = agents(&api).await;
    assert_eq!(listed[0]["target"], "edge-1");
    assert_eq!(listed[0]["address"], "127.0.0.1");
    assert!(listed[0]["version"].as_str().is_some_and(|v| !v.is_empty()));
    let credential_file = dir.join("state/agent.json");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&credential_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let target = api.get("/orgs/default/targets/edge-1").await.unwrap().body;
    assert_eq!(target["kind"], "agent", "{target}");
    assert_eq!(target["status"], "up", "{target}");
    assert!(target["info"]["cpus"].as_u64().unwrap() >= 1, "{target}");
    assert!(
        target["info"]["memory_bytes"].as_u64().unwrap() > 0,
        "{target}"
    );
    // The token was used up.
    let reuse = server
        .anonymous()
        .post("/agents/enroll", json!({ "token": token }))
        .await
        .unwrap();
    assert_eq!(reuse.status, 403, "{}", reuse.text);

    // A deployment through the agent.
    let project = format!("agentweb{}", std::process::id());
    let guard = ProjectGuard::new(project.clone());
    let port = free_port();
    create_stack(&api, &project, &stack(port, "through-the-agent")).await;
    let done = deploy(&api, &project, "edge-1").await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let containers = list_project_containers(&docker, &project).await.unwrap();
    assert_eq!(containers.len(), 1);
    let (status, body) = http_get(
        &format!("http://127.0.0.1:{port}/"),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!((status, body.trim()), (200, "through-the-agent"));
    // Logs come back through the link.
    let logs = api
        .get(&format!(
            "/orgs/default/stacks/{project}/logs?target=edge-1&tail=10"
        ))
        .await
        .unwrap();
    assert!(logs.status < 500, "{}", logs.text);

    // The agent dies: the target goes down; a deployment meanwhile fails naming the agent.
    let _ = agent.0.kill();
    let _ = agent.0.wait();
    wait_for(
        "the target to go down",
        Duration::from_secs(15),
        async || target_status(&api, "edge-1").await == "down",
    )
    .await;
    api.put(
        &format!("/orgs/default/stacks/{project}"),
        json!({ "content": stack(port, "second") }),
    )
    .await
    .unwrap();
    let failed = deploy(&api, &project, "edge-1").await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(
        failed.to_string().contains("agent edge-1 is unreachable"),
        "{failed}"
    );

    // Back from its state directory (no token): up again, and the redeploy succeeds.
    let started = Instant::now();
    agent = start_agent(&url, None, &dir);
    wait_for(
        "the target to come back",
        Duration::from_secs(30),
        async || target_status(&api, "edge-1").await == "up",
    )
    .await;
    eprintln!("agent reconnected in {:?}", started.elapsed());
    let done = deploy(&api, &project, "edge-1").await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let (status, body) = http_get(
        &format!("http://127.0.0.1:{port}/"),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!((status, body.trim()), (200, "second"));

    // Revocation closes the link; the agent stops with a clear message instead of retrying.
    let id = agents(&api).await[0]["id"].as_str().unwrap().to_string();
    let answer = api
        .delete(&format!("/orgs/default/agents/{id}"))
        .await
        .unwrap();
    assert_eq!(answer.status, 204, "{}", answer.text);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = agent.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the revoked agent keeps running");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(agent.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("refused this agent's credential"),
        "{stderr}"
    );
    assert_eq!(target_status(&api, "edge-1").await, "down");
    let listed = agents(&api).await;
    assert_eq!(listed[0]["revoked"], true);
    assert_eq!(listed[0]["connected"], false);

    drop(guard);
    let _ = std::fs::remove_dir_all(&dir);
}
