//! The workflow canvas in Chromium (issue 16, `web/e2e/workflows.mjs`): an admin builds git →
//! deploy → notify by drag and drop, saves, runs it, and sees each node turn green and the
//! deploy node's output; the stack's new version runs on the engine and the notification
//! reaches its receiver. Then the first render of a 100-node workflow, within a second.

use serde_json::{Value, json};
use windflow_testkit::server::Database;
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, http_get, unique_project,
};

use crate::support::{Repository, create_stack, receiver, run_e2e, start_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_is_drawn_saved_and_run_in_the_console() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    // The whole test holds the browser: the stack's network, created and removed here, must
    // not change the host's interfaces under another test's Chromium (ERR_NETWORK_CHANGED).
    let _browser = crate::BROWSER_TURN.lock().await;
    let (hook_port, received) = receiver().await;
    let repo = Repository::start();
    let server = start_with(
        Database::Sqlite,
        &[(
            "WINDFLOW_WORKFLOW_ALLOW_ENDPOINTS",
            "http://127.0.0.1,git://127.0.0.1",
        )],
    )
    .await;
    let admin = server.admin().await.unwrap();
    let stack = unique_project("e2e-wf");
    let _guard = ProjectGuard::new(&stack);
    let port = free_port();
    let compose = |version: &str| {
        format!(
            "services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sh\", \"-c\", \"mkdir -p /www; echo {version} > /www/index.html; exec httpd -f -p 8080 -h /www\"]\n    ports: [\"127.0.0.1:{port}:8080\"]\n    init: true\n"
        )
    };
    create_stack(&admin, &stack, &compose("v1")).await;
    repo.push("compose.yaml", &compose("from-git"), "main");
    let r = admin
        .post(
            "/orgs/default/notification-channels",
            json!({"name": "team", "channel": {"kind": "slack", "url": format!("http://127.0.0.1:{hook_port}/hooks/x")}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    // The big workflow of part 2: a 100-node chain without positions (laid out on open).
    let nodes: Vec<Value> = (0..100)
        .map(|i| json!({"id": format!("n{i}"), "type": "set", "values": {"i": format!("{i}")}}))
        .collect();
    let edges: Vec<Value> = (1..100)
        .map(|i| json!({"from": format!("n{}", i - 1), "to": format!("n{i}")}))
        .collect();
    let r = admin
        .put(
            "/orgs/default/workflows/big",
            json!({"document": {"name": "big", "nodes": nodes, "edges": edges}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);

    run_e2e(
        &server,
        "workflows.mjs",
        &[
            ("E2E_WORKFLOW", "from-the-canvas".into()),
            ("E2E_STACK", stack.clone()),
            ("E2E_REPOSITORY", repo.url.clone()),
            ("E2E_TARGET", "local".into()),
            ("E2E_CHANNEL", "team".into()),
            ("E2E_BIG_WORKFLOW", "big".into()),
        ],
    )
    .await
    .unwrap();

    // What the browser did, checked where it lands: the saved graph, a succeeded run, the
    // stack's version from git running on the engine, the notification delivered.
    let saved = admin
        .get("/orgs/default/workflows/from-the-canvas")
        .await
        .unwrap();
    assert_eq!(saved.status, 200, "{}", saved.text);
    let kinds: Vec<&str> = saved.body["document"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["git_update", "deploy", "notify"], "{}", saved.text);
    assert_eq!(saved.body["document"]["edges"].as_array().unwrap().len(), 2);
    let runs = admin
        .get("/orgs/default/workflows/from-the-canvas/runs")
        .await
        .unwrap();
    assert_eq!(runs.body[0]["status"], "succeeded", "{}", runs.text);
    let (code, body) = http_get(
        &format!("http://127.0.0.1:{port}/"),
        std::time::Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!((code, body.trim()), (200, "from-git"));
    assert_eq!(received.lock().unwrap().len(), 1);
}
