//! The crash drill: `kill -9` the server at several points of a deployment, start it again,
//! and check that the deployment ends in a terminal state that matches what the engine runs —
//! every service once, in the version the state says, nothing parked or duplicated — and
//! that its history keeps the events of both attempts.

use std::time::{Duration, Instant};

use bollard::query_parameters::InspectContainerOptions;
use serde_json::{Value, json};
use windflow_testkit::server::{Api, Server};
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, http_get,
    list_project_containers, unique_project,
};

use crate::support::{bin, create_stack, databases, deploy};

/// A database that becomes healthy ~1.5 s after it starts, and a web service gated on it.
fn stack(port: u16, version: &str) -> String {
    format!(
        r#"services:
  db:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "sleep 1.5; touch /tmp/ready; exec sleep 3600"]
    environment:
      VERSION: "{version}"
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 250ms
      retries: 60
    init: true
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /www; echo {version} > /www/index.html; exec httpd -f -p 8080 -h /www"]
    environment:
      VERSION: "{version}"
    depends_on:
      db:
        condition: service_healthy
    ports: ["127.0.0.1:{port}:8080"]
    init: true
"#
    )
}

/// When to pull the plug.
#[derive(Debug, Clone, Copy)]
enum Point {
    /// Right after the deployment is queued.
    Queued,
    /// Once the first service step has started.
    FirstStep,
    /// Once the database of the new version is healthy (web not yet switched).
    Midway,
    /// Once the engine reported the deployment finished.
    Finished,
}

fn reached(point: Point, events: &[Value]) -> bool {
    let kinds = || events.iter().map(|e| &e["data"]);
    match point {
        Point::Queued => true,
        Point::FirstStep => kinds().any(|d| {
            d["event"] == "step_started" && d["label"].as_str().unwrap_or("").starts_with("service")
        }),
        Point::Midway => kinds().any(|d| {
            d["event"] == "service_state" && d["service"] == "db" && d["state"] == "ready"
        }),
        Point::Finished => kinds().any(|d| d["event"] == "finished"),
    }
}

/// Polls the deployment's events until `point` is reached (a minute at most).
async fn wait_until(api: &Api, id: &str, point: Point) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !reached(point, &events(api, id).await) {
        assert!(Instant::now() < deadline, "{point:?} never reached");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn events(api: &Api, id: &str) -> Vec<Value> {
    let answer = api
        .get(&format!("/orgs/default/deployments/{id}/events"))
        .await
        .unwrap();
    answer.body.as_array().cloned().unwrap_or_default()
}

/// What the engine runs for the project: (service, version env, container name), checked to
/// be exactly one running container per service.
async fn running(project: &str) -> Vec<(String, String, String)> {
    let docker = docker().await;
    let mut out = Vec::new();
    for c in list_project_containers(&docker, project).await.unwrap() {
        let id = c.id.clone().unwrap();
        let inspect = docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
            .unwrap();
        let config = inspect.config.unwrap();
        let labels = config.labels.unwrap_or_default();
        let version = config
            .env
            .unwrap_or_default()
            .into_iter()
            .find_map(|e| e.strip_prefix("VERSION=").map(str::to_string))
            .unwrap_or_default();
        let name = inspect
            .name
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string();
        let running = inspect.state.and_then(|s| s.running).unwrap_or(false);
        let name = if running {
            name
        } else {
            format!("{name} (not running)")
        };
        out.push((
            labels
                .get("com.docker.compose.service")
                .cloned()
                .unwrap_or_default(),
            version,
            name,
        ));
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_deployment_then_restart_ends_consistently() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    for database in databases("crash").await {
        let backend = database.name();
        let env = vec![("WINDFLOW_DEPLOYMENT_LEASE".to_string(), "2s".to_string())];
        let mut server = Server::start_with(&bin(), database, env)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let mut api = server.admin().await.unwrap();
        let project = unique_project("crash");
        let _guard = ProjectGuard::new(&project);
        let port = free_port();
        create_stack(&api, &project, &stack(port, "v1")).await;
        let (_, first) = deploy(&api, &project, None).await;
        let first = api
            .wait_deployment(
                "default",
                first["id"].as_str().unwrap(),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert_eq!(first["state"], "succeeded", "{first}");

        for (n, point) in [
            Point::Queued,
            Point::FirstStep,
            Point::Midway,
            Point::Finished,
        ]
        .into_iter()
        .enumerate()
        {
            let version = format!("v{}", n + 2);
            let pushed = api
                .put(
                    &format!("/orgs/default/stacks/{project}"),
                    json!({ "content": stack(port, &version) }),
                )
                .await
                .unwrap();
            assert_eq!(pushed.status, 200, "{}", pushed.text);
            let (_, queued) = deploy(&api, &project, None).await;
            let id = queued["id"].as_str().unwrap().to_string();

            // Watch the events and pull the plug at the chosen point.
            wait_until(&api, &id, point).await;
            server.kill9();
            server.restart().await.unwrap_or_else(|e| panic!("{e:#}"));
            api = server.admin().await.unwrap();

            let done = api
                .wait_deployment("default", &id, Duration::from_secs(90))
                .await
                .unwrap();
            let state = done["state"].as_str().unwrap().to_string();
            let runs = running(&project).await;
            let services: Vec<&str> = runs.iter().map(|(s, _, _)| s.as_str()).collect();
            assert_eq!(
                services,
                ["db", "web"],
                "{backend} {point:?}: one container per service, nothing parked: {runs:?}\n{done}"
            );
            for (_, _, name) in &runs {
                assert_eq!(
                    name,
                    &format!(
                        "{project}-{}-1",
                        if name.contains("-db-") { "db" } else { "web" }
                    ),
                    "{runs:?}"
                );
            }
            let expected = match state.as_str() {
                "succeeded" => version.clone(),
                "rolled_back" | "failed" | "cancelled" => format!("v{}", n + 1),
                other => panic!("{backend} {point:?}: not terminal: {other}"),
            };
            assert_eq!(
                state,
                "succeeded",
                "{backend} {point:?}: a resumed deployment should finish: {done}\n{}",
                server.logs()
            );
            for (service, v, _) in &runs {
                assert_eq!(
                    v, &expected,
                    "{backend} {point:?}: {service} runs {v}, the deployment says {state}"
                );
            }
            let (code, body) = http_get(
                &format!("http://127.0.0.1:{port}/"),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
            assert_eq!(
                (code, body.trim()),
                (200, expected.as_str()),
                "{backend} {point:?}"
            );

            // Nothing lost from history: the first attempt's events are still there, and the
            // resumed attempt says so.
            let history = events(&api, &id).await;
            let seqs: Vec<i64> = history.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
            assert!(
                seqs.windows(2).all(|w| w[1] == w[0] + 1),
                "{backend} {point:?}: gaps in {seqs:?}"
            );
            let resumed = history
                .iter()
                .any(|e| e["data"]["event"] == "state" && e["data"]["resumed"] == true);
            // Killed mid-run, it must have been resumed (at `Finished` the state may already
            // have been recorded before the kill).
            if matches!(point, Point::FirstStep | Point::Midway) {
                assert!(
                    resumed,
                    "{backend} {point:?}: no resumed attempt in {history:?}"
                );
                assert!(done["attempts"].as_i64().unwrap() >= 2, "{done}");
            }
        }
    }
}

/// SIGTERM mid-deployment with no grace left: the server checkpoints the deployment (its
/// lease released), so the next start resumes it at once instead of waiting for the lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_checkpoints_a_running_deployment_for_the_next_start() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let env = vec![
        ("WINDFLOW_DEPLOYMENT_LEASE".to_string(), "10m".to_string()),
        ("WINDFLOW_SHUTDOWN_GRACE".to_string(), "0s".to_string()),
    ];
    let mut server = Server::start_with(&bin(), windflow_testkit::server::Database::Sqlite, env)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let api = server.admin().await.unwrap();
    let project = unique_project("sigterm");
    let _guard = ProjectGuard::new(&project);
    let port = free_port();
    create_stack(&api, &project, &stack(port, "v1")).await;
    let (_, queued) = deploy(&api, &project, None).await;
    let id = queued["id"].as_str().unwrap().to_string();
    wait_until(&api, &id, Point::FirstStep).await;
    let status = server.terminate(Duration::from_secs(30)).unwrap();
    assert!(status.success(), "exit {status}\n{}", server.logs());
    assert!(server.logs().contains("checkpointed"), "{}", server.logs());
    server.restart().await.unwrap();
    let api = server.admin().await.unwrap();
    // Far sooner than the 10-minute lease.
    let done = api
        .wait_deployment("default", &id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());
    assert_eq!(done["attempts"], 2, "{done}");
    let runs = running(&project).await;
    assert_eq!(
        runs.iter()
            .map(|(s, v, _)| (s.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [("db", "v1"), ("web", "v1")],
        "{runs:?}"
    );
}
