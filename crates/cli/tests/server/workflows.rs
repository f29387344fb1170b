//! Workflows end to end against the real server: a push to a real git repository (served by
//! `git daemon` on loopback) with a GitHub-signed webhook updates a stack from the repository
//! and deploys it onto the real engine, an HTTP check reads the new content, an approval gate
//! waits for an admin, and a Slack-style receiver and a real SMTP server (aiosmtpd) get the
//! notification. Then the engine's semantics on SQLite and PostgreSQL (branches, joins,
//! retries, timeouts, cancellation, concurrency, re-runs, cron), and the crash drill: `kill -9`
//! mid-run, restart, the run completes without repeating a node or a deployment.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use windflow_testkit::server::Api;
use windflow_testkit::smtp::{Sink, aiosmtpd_python};
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, http_get, unique_project,
};

use crate::support::{
    Repository, bin, create_stack, databases, git, member, receiver, start, start_with,
};

/// A web service answering `version` on `port`.
fn web(port: u16, version: &str) -> String {
    format!(
        r#"services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /www; echo {version} > /www/index.html; exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1:{port}:8080"]
    init: true
"#
    )
}

async fn save(api: &Api, document: Value) -> Value {
    let name = document["name"].as_str().unwrap().to_string();
    let r = api
        .put(
            &format!("/orgs/default/workflows/{name}"),
            json!({ "document": document }),
        )
        .await
        .unwrap();
    assert!(matches!(r.status, 200 | 201), "{}", r.text);
    r.body
}

async fn run(api: &Api, name: &str, body: Value) -> String {
    let r = api
        .post(&format!("/orgs/default/workflows/{name}/runs"), body)
        .await
        .unwrap();
    assert_eq!(r.status, 202, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// Polls the run until `done` says so (`limit` at most).
async fn wait_run(api: &Api, id: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let r = api
            .get(&format!("/orgs/default/workflow-runs/{id}"))
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        if done(&r.body) {
            return r.body;
        }
        assert!(
            Instant::now() < deadline,
            "run {id} did not get there: {:#}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ended(run: &Value) -> bool {
    matches!(
        run["status"].as_str(),
        Some("succeeded" | "failed" | "cancelled")
    )
}

fn node<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == id)
        .unwrap_or_else(|| panic!("no node {id} in {run:#}"))
}

fn github_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn send_webhook(url: &str, secret: &str, event: &str, body: &Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let answer = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-hub-signature-256", github_signature(secret, &bytes))
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_push_deploys_from_git_through_an_approval_and_notifies() {
    ensure_test_images(&docker().await).await.unwrap();
    let Some(python) = aiosmtpd_python() else {
        return;
    };
    let mut smtp = Sink::start(&python, "none", None).await;
    let (hook_port, received) = receiver().await;
    let repo = Repository::start();
    let server = start_with(
        windflow_testkit::server::Database::Sqlite,
        &[(
            "WINDFLOW_WORKFLOW_ALLOW_ENDPOINTS",
            "http://127.0.0.1,git://127.0.0.1,smtp://127.0.0.1",
        )],
    )
    .await;
    let admin = server.admin().await.unwrap();
    let stack = unique_project("wfgit");
    let _guard = ProjectGuard::new(&stack);
    let port = free_port();
    create_stack(&admin, &stack, &web(port, "v1")).await;
    repo.push("deploy/compose.yaml", &web(port, "v1"), "main");

    for (name, channel) in [
        (
            "team",
            json!({"kind": "slack", "url": format!("http://127.0.0.1:{hook_port}/slack/T0/B0/secret-token")}),
        ),
        (
            "ops-mail",
            json!({"kind": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
            "from": "WindFlow <windflow@example.com>", "to": ["ops@example.com"]}),
        ),
    ] {
        let r = admin
            .post(
                "/orgs/default/notification-channels",
                json!({"name": name, "channel": channel}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        assert!(
            !r.text.contains("secret-token"),
            "a channel's secret came back: {}",
            r.text
        );
    }
    let listed = admin
        .get("/orgs/default/notification-channels")
        .await
        .unwrap();
    assert!(!listed.text.contains("secret-token"), "{}", listed.text);

    let name = "git-to-prod";
    let document = json!({
        "name": name,
        "triggers": [{"kind": "webhook", "provider": "github", "branch": "main"}],
        "nodes": [
            {"id": "pull", "type": "git_update", "stack": stack, "repository": repo.url,
             "reference": "main", "path": "deploy/compose.yaml"},
            {"id": "deploy", "type": "deploy", "stack": stack, "target": "local",
             "version": "${{ nodes.pull.output.version }}"},
            {"id": "check", "type": "http", "url": format!("http://127.0.0.1:{port}/"),
             "retry": {"count": 6, "backoff": "200ms"}},
            {"id": "gate", "type": "approval", "role": "admin",
             "message": "Ship ${{ trigger.commit }}?", "timeout": "10m"},
            {"id": "tell", "type": "notify", "channel": "team", "title": "Deployed",
             "message": "${{ trigger.commit }} answers ${{ trim(nodes.check.output.body) }}"},
            {"id": "mail", "type": "notify", "channel": "ops-mail", "title": "Deployed ${{ nodes.deploy.output.version }}",
             "message": "by ${{ trigger.pusher }}"},
            {"id": "done", "type": "join"}
        ],
        "edges": [
            {"from": "pull", "to": "deploy"}, {"from": "deploy", "to": "check"},
            {"from": "check", "to": "gate"}, {"from": "gate", "to": "tell"},
            {"from": "gate", "to": "mail"}, {"from": "tell", "to": "done"},
            {"from": "mail", "to": "done"}
        ]
    });
    let saved = save(&admin, document).await;
    assert_eq!(saved["version"], 1);
    let hook = admin
        .post(
            &format!("/orgs/default/workflows/{name}/webhook"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(hook.status, 200, "{}", hook.text);
    let url = hook.body["url"].as_str().unwrap().to_string();
    let secret = hook.body["secret"].as_str().unwrap().to_string();
    let shown = admin
        .get(&format!("/orgs/default/workflows/{name}"))
        .await
        .unwrap();
    assert_eq!(shown.body["webhook_url"], url.as_str());
    assert!(!shown.text.contains(&secret), "the webhook key came back");

    // The developer pushes v2; the forge calls the webhook.
    let commit = repo.push("deploy/compose.yaml", &web(port, "v2"), "main");
    let push = json!({"ref": "refs/heads/main", "after": commit,
        "repository": {"full_name": "dev/web", "clone_url": repo.url}, "pusher": {"name": "dev"}});
    // A wrong signature, another event and another branch start nothing.
    let forged = reqwest::Client::new()
        .post(&url)
        .header("x-github-event", "push")
        .header(
            "x-hub-signature-256",
            github_signature("not the key", push.to_string().as_bytes()),
        )
        .body(push.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    assert_eq!(
        send_webhook(&url, &secret, "ping", &json!({"zen": "hi"}))
            .await
            .0,
        200
    );
    let mut elsewhere = push.clone();
    elsewhere["ref"] = json!("refs/heads/feature");
    let (status, answer) = send_webhook(&url, &secret, "push", &elsewhere).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["ignored"].is_string(), "{answer}");
    let runs = admin
        .get(&format!("/orgs/default/workflows/{name}/runs"))
        .await
        .unwrap();
    assert_eq!(runs.body.as_array().unwrap().len(), 0, "{}", runs.text);

    let sent = Instant::now();
    let sent_wall = time::OffsetDateTime::now_utc();
    let (status, answer) = send_webhook(&url, &secret, "push", &push).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["run"].as_str().unwrap().to_string();

    // It stops at the gate with the new version live.
    let waiting = wait_run(&admin, &id, Duration::from_secs(120), |r| {
        ended(r) || r["status"] == "waiting"
    })
    .await;
    assert_eq!(waiting["status"], "waiting", "{waiting:#}");
    let reached_gate = sent.elapsed();
    assert_eq!(waiting["trigger"]["kind"], "webhook");
    assert_eq!(waiting["trigger"]["payload"]["commit"], commit.as_str());
    assert_eq!(node(&waiting, "pull")["output"]["commit"], commit.as_str());
    assert_eq!(node(&waiting, "pull")["output"]["version"], 2);
    assert_eq!(node(&waiting, "deploy")["output"]["version"], 2);
    assert_eq!(
        node(&waiting, "check")["output"]["body"]
            .as_str()
            .unwrap()
            .trim(),
        "v2"
    );
    assert_eq!(node(&waiting, "gate")["status"], "waiting");
    assert_eq!(
        node(&waiting, "gate")["approval"]["message"],
        format!("Ship {commit}?")
    );
    let (code, body) = http_get(
        &format!("http://127.0.0.1:{port}/"),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!((code, body.trim()), (200, "v2"));
    // The stack's new version came from the repository.
    let stack_now = admin
        .get(&format!("/orgs/default/stacks/{stack}"))
        .await
        .unwrap();
    assert_eq!(
        stack_now.body["current"]["version"], 2,
        "{}",
        stack_now.text
    );
    // Webhook to deployment start.
    let deployment = node(&waiting, "deploy")["output"]["deployment"]
        .as_str()
        .unwrap()
        .to_string();
    let d = admin
        .get(&format!("/orgs/default/deployments/{deployment}"))
        .await
        .unwrap();
    let created = time::OffsetDateTime::parse(
        d.body["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let to_deploy = (created - sent_wall).whole_milliseconds();
    println!(
        "WEBHOOK_TO_DEPLOY_MS={to_deploy} WEBHOOK_TO_GATE_MS={}",
        reached_gate.as_millis()
    );

    // An operator may not decide an admin's gate; an admin may.
    let operator = member(&server, &admin, "wf-operator", "default", "operator").await;
    let refused = operator
        .post(
            &format!("/orgs/default/workflow-runs/{id}/approvals/gate"),
            json!({"approve": true}),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.text);
    let approved = admin
        .post(
            &format!("/orgs/default/workflow-runs/{id}/approvals/gate"),
            json!({"approve": true, "comment": "looks good"}),
        )
        .await
        .unwrap();
    assert_eq!(approved.status, 200, "{}", approved.text);
    let again = admin
        .post(
            &format!("/orgs/default/workflow-runs/{id}/approvals/gate"),
            json!({"approve": false}),
        )
        .await
        .unwrap();
    assert_eq!(
        again.status, 409,
        "a decision is taken once: {}",
        again.text
    );
    let done = wait_run(&admin, &id, Duration::from_secs(60), ended).await;
    assert_eq!(done["status"], "succeeded", "{done:#}");
    assert_eq!(node(&done, "gate")["output"]["by"], "admin");
    for n in ["pull", "deploy", "gate", "tell", "mail", "done"] {
        assert_eq!(node(&done, n)["attempt"], 1, "{n} ran once: {done:#}");
    }

    // The Slack-style receiver and the SMTP server got it.
    let slack = received.lock().unwrap().clone();
    assert_eq!(slack.len(), 1, "{slack:?}");
    assert_eq!(slack[0].0, "/slack/T0/B0/secret-token");
    let text = slack[0].1.to_string();
    assert!(text.contains(&commit) && text.contains("v2"), "{text}");
    let mail = smtp.received().await;
    assert_eq!(mail["rcpt_tos"], json!(["ops@example.com"]));
    let data = mail["data"].as_str().unwrap();
    assert!(data.contains("Subject: Deployed 2"), "{data}");
    assert!(data.contains("by dev"), "{data}");

    // The audit trail names what happened.
    let audit = admin.get("/orgs/default/audit?limit=200").await.unwrap();
    for action in [
        "workflow.create",
        "workflow.webhook.rotate",
        "workflow.run",
        "workflow.approval.approve",
        "notification-channel.create",
    ] {
        assert!(audit.text.contains(action), "{action} is not audited");
    }
}

/// A repository's symbolic link cannot make the server read its own files, and `file://` or
/// `ext::` repositories are refused before git runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_cannot_reach_the_servers_files() {
    let repo = Repository::start();
    let server = start_with(
        windflow_testkit::server::Database::Sqlite,
        &[("WINDFLOW_WORKFLOW_ALLOW_ENDPOINTS", "git://127.0.0.1")],
    )
    .await;
    let admin = server.admin().await.unwrap();
    let stack = unique_project("wflink");
    create_stack(&admin, &stack, &web(free_port(), "v1")).await;
    // A link to a file of the server's disk, committed as the compose file.
    std::fs::create_dir_all(repo.work.join("deploy")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", repo.work.join("deploy/compose.yaml")).unwrap();
    git(&repo.work, &["add", "-A"]);
    git(&repo.work, &["commit", "--quiet", "-m", "link"]);
    git(
        &repo.work,
        &["push", "--quiet", "origin", "HEAD:refs/heads/main"],
    );
    let name = "git-escape";
    save(
        &admin,
        json!({"name": name, "nodes": [
            {"id": "pull", "type": "git_update", "stack": stack, "repository": repo.url, "path": "deploy/compose.yaml"}
        ]}),
    )
    .await;
    let id = run(&admin, name, json!({})).await;
    let done = wait_run(&admin, &id, Duration::from_secs(60), ended).await;
    assert_eq!(done["status"], "failed", "{done:#}");
    assert!(
        !done.to_string().contains("root:x:0:0"),
        "the server's /etc/passwd leaked: {done:#}"
    );
    let stack_now = admin
        .get(&format!("/orgs/default/stacks/{stack}"))
        .await
        .unwrap();
    assert_eq!(stack_now.body["current"]["version"], 1);
    for repository in ["file:///etc", "ext::sh -c id", "/etc"] {
        let r = admin
            .put(
                "/orgs/default/workflows/git-escape",
                json!({"document": {"name": name, "nodes": [
                    {"id": "pull", "type": "git_update", "stack": stack, "repository": repository}
                ]}}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let id = run(&admin, name, json!({})).await;
        let done = wait_run(&admin, &id, Duration::from_secs(30), ended).await;
        assert_eq!(done["status"], "failed", "{repository}: {done:#}");
        let error = node(&done, "pull")["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            error.contains("only http, https and git") || error.contains("is not a URL"),
            "{repository}: {error}"
        );
    }
    // Without the server administrator's allowance, a loopback repository is refused.
    let plain = start(windflow_testkit::server::Database::Sqlite).await;
    let admin = plain.admin().await.unwrap();
    create_stack(&admin, &stack, &web(free_port(), "v1")).await;
    save(
        &admin,
        json!({"name": name, "nodes": [
            {"id": "pull", "type": "git_update", "stack": stack, "repository": repo.url}
        ]}),
    )
    .await;
    let id = run(&admin, name, json!({})).await;
    let done = wait_run(&admin, &id, Duration::from_secs(30), ended).await;
    let error = node(&done, "pull")["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("internal network"), "{error}");
}

/// Branches, joins, retries, timeouts, cancellation, concurrency, re-runs, validation and
/// cron, on each database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_runs_graphs_durably_on_each_database() {
    // A listener that never answers, and a port where nothing listens.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_port = hang.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hang.accept().await {
            held.push(socket);
        }
    });
    let closed = free_port();
    let (echo_port, _) = receiver().await;
    for database in databases("workflows").await {
        let backend = database.name();
        let server = start_with(
            database,
            &[("WINDFLOW_WORKFLOW_ALLOW_ENDPOINTS", "http://127.0.0.1")],
        )
        .await;
        let admin = server.admin().await.unwrap();

        // Validation names the node and the field.
        let r = admin
            .put(
                "/orgs/default/workflows/broken",
                json!({"document": {"name": "broken", "nodes": [
                    {"id": "a", "type": "set", "values": {"x": "${{ nodes.b.output }}"}},
                    {"id": "b", "type": "notify", "channel": "nowhere", "message": "hi"},
                    {"id": "c", "type": "condition", "expression": "1 +"}
                ], "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]}}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 422, "{backend}: {}", r.text);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for field in ["nodes.b.channel", "nodes.c.expression"] {
            assert!(fields.contains(&field), "{backend}: {field} in {fields:?}");
        }
        assert!(r.text.contains("cycle"), "{backend}: {}", r.text);
        let missing = admin.get("/orgs/default/workflows/broken").await.unwrap();
        assert_eq!(missing.status, 404, "nothing was saved");

        // A condition picks a branch; the join after it runs; parallel branches join.
        let document = json!({
            "name": "graph",
            "inputs": {"target": {"default": "prod"}},
            "nodes": [
                {"id": "start", "type": "set", "values": {"n": "${{ 20 + 22 }}", "who": "${{ inputs.target }}"}},
                {"id": "is_prod", "type": "condition", "expression": "nodes.start.output.who == 'prod'"},
                {"id": "prod", "type": "set", "values": {"path": "prod"}},
                {"id": "dev", "type": "set", "values": {"path": "dev"}},
                {"id": "left", "type": "wait", "duration": "300ms"},
                {"id": "right", "type": "http", "url": format!("http://127.0.0.1:{echo_port}/ping"), "method": "POST", "body": "${{ nodes.start.output.n }}"},
                {"id": "both", "type": "join"},
                {"id": "end", "type": "set", "values": {"summary": "${{ nodes.prod.output.path }}-${{ nodes.right.output.status }}"}}
            ],
            "edges": [
                {"from": "start", "to": "is_prod"},
                {"from": "is_prod", "to": "prod", "port": "true"},
                {"from": "is_prod", "to": "dev", "port": "false"},
                {"from": "prod", "to": "left"}, {"from": "prod", "to": "right"},
                {"from": "dev", "to": "both"},
                {"from": "left", "to": "both"}, {"from": "right", "to": "both"},
                {"from": "both", "to": "end"}
            ]
        });
        save(&admin, document).await;
        let id = run(&admin, "graph", json!({})).await;
        let done = wait_run(&admin, &id, Duration::from_secs(30), ended).await;
        assert_eq!(done["status"], "succeeded", "{backend}: {done:#}");
        assert_eq!(node(&done, "start")["output"]["n"], 42);
        assert_eq!(node(&done, "is_prod")["port"], "true");
        assert_eq!(node(&done, "dev")["status"], "skipped");
        assert_eq!(node(&done, "end")["output"]["summary"], "prod-200");
        let left = node(&done, "left")["finished_at"]
            .as_str()
            .unwrap()
            .to_string();
        let both = node(&done, "both")["started_at"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            both >= left,
            "{backend}: the join waited for the slower branch"
        );
        // Undeclared inputs are refused; declared ones are used.
        let r = admin
            .post(
                "/orgs/default/workflows/graph/runs",
                json!({"inputs": {"nope": 1}}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text);
        let id = run(&admin, "graph", json!({"inputs": {"target": "dev"}})).await;
        let done = wait_run(&admin, &id, Duration::from_secs(30), ended).await;
        assert_eq!(node(&done, "dev")["status"], "succeeded", "{done:#}");
        assert_eq!(node(&done, "left")["status"], "skipped");

        // Re-run from a node: what ran before it keeps its result.
        let rerun = run(
            &admin,
            "graph",
            json!({"from_run": id, "from_node": "both"}),
        )
        .await;
        let again = wait_run(&admin, &rerun, Duration::from_secs(30), ended).await;
        assert_eq!(again["status"], "succeeded", "{again:#}");
        assert_eq!(
            node(&again, "start")["started_at"],
            node(&done, "start")["started_at"]
        );
        assert_ne!(
            node(&again, "end")["started_at"],
            node(&done, "end")["started_at"]
        );

        // Retries with backoff, then failure; a timeout; continue_on_error.
        save(
            &admin,
            json!({"name": "flaky", "nodes": [
                {"id": "call", "type": "http", "url": format!("http://127.0.0.1:{closed}/"), "retry": {"count": 2, "backoff": "100ms"}},
                {"id": "slow", "type": "http", "url": format!("http://127.0.0.1:{hang_port}/"), "timeout": "500ms", "continue_on_error": true},
                {"id": "after", "type": "set", "values": {"ok": "yes"}}
            ], "edges": [{"from": "slow", "to": "after"}]}),
        )
        .await;
        let id = run(&admin, "flaky", json!({})).await;
        let done = wait_run(&admin, &id, Duration::from_secs(30), ended).await;
        assert_eq!(done["status"], "failed", "{backend}: {done:#}");
        let call = node(&done, "call");
        assert_eq!(call["attempt"], 3, "{call:#}");
        assert!(
            call["logs"].as_str().unwrap().contains("retrying"),
            "{call:#}"
        );
        let slow = node(&done, "slow");
        assert!(
            slow["error"].as_str().unwrap().contains("timed out")
                || slow["error"].as_str().unwrap().contains("500ms"),
            "{slow:#}"
        );
        assert_eq!(node(&done, "after")["status"], "succeeded");

        // Cancelling a waiting run; the concurrency policy skips a second one.
        save(
            &admin,
            json!({"name": "slow", "concurrency": {"limit": 1, "policy": "skip"},
                "nodes": [{"id": "nap", "type": "wait", "duration": "1h"}, {"id": "never", "type": "join"}],
                "edges": [{"from": "nap", "to": "never"}]}),
        )
        .await;
        let id = run(&admin, "slow", json!({})).await;
        wait_run(&admin, &id, Duration::from_secs(30), |r| {
            r["status"] == "waiting"
        })
        .await;
        let skipped = admin
            .post("/orgs/default/workflows/slow/runs", json!({}))
            .await
            .unwrap();
        assert_eq!(skipped.status, 409, "{}", skipped.text);
        let viewer = member(
            &server,
            &admin,
            &format!("wf-viewer-{backend}"),
            "default",
            "viewer",
        )
        .await;
        let refused = viewer
            .post(
                &format!("/orgs/default/workflow-runs/{id}/cancel"),
                json!({}),
            )
            .await
            .unwrap();
        assert_eq!(refused.status, 403);
        let cancelled = admin
            .post(
                &format!("/orgs/default/workflow-runs/{id}/cancel"),
                json!({}),
            )
            .await
            .unwrap();
        assert_eq!(cancelled.status, 200, "{}", cancelled.text);
        let done = wait_run(&admin, &id, Duration::from_secs(10), ended).await;
        assert_eq!(done["status"], "cancelled");
        assert_eq!(node(&done, "nap")["status"], "cancelled");

        // A cron trigger fires on time (every 2 seconds).
        save(
            &admin,
            json!({"name": "ticker", "triggers": [{"kind": "cron", "schedule": "*/2 * * * * *"}],
                "nodes": [{"id": "tick", "type": "set", "values": {"at": "${{ trigger.scheduled_at }}"}}]}),
        )
        .await;
        let deadline = Instant::now() + Duration::from_secs(15);
        let fired = loop {
            let runs = admin
                .get("/orgs/default/workflows/ticker/runs")
                .await
                .unwrap();
            let list = runs.body.as_array().unwrap().clone();
            if list.iter().filter(|r| r["status"] == "succeeded").count() >= 2 {
                break list;
            }
            assert!(
                Instant::now() < deadline,
                "{backend}: the cron trigger did not fire twice: {list:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert!(fired.iter().all(|r| r["trigger"]["kind"] == "cron"));
        let first = fired.last().unwrap()["id"].as_str().unwrap().to_string();
        let first = admin
            .get(&format!("/orgs/default/workflow-runs/{first}"))
            .await
            .unwrap()
            .body;
        let scheduled = node(&first, "tick")["output"]["at"]
            .as_str()
            .unwrap()
            .to_string();
        let started = first["started_at"].as_str().unwrap().to_string();
        let lag =
            time::OffsetDateTime::parse(&started, &time::format_description::well_known::Rfc3339)
                .unwrap()
                - time::OffsetDateTime::parse(
                    &scheduled,
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap();
        assert!(
            lag < time::Duration::seconds(2),
            "{backend}: fired {lag} late"
        );
        let r = admin
            .delete("/orgs/default/workflows/ticker")
            .await
            .unwrap();
        assert_eq!(r.status, 204);

        // A target that goes down starts the workflows waiting for it.
        save(
            &admin,
            json!({"name": "on-down", "triggers": [{"kind": "event", "event": "target_down"}],
                "nodes": [{"id": "note", "type": "set", "values": {"target": "${{ trigger.target }}"}}]}),
        )
        .await;
        let r = admin
            .post(
                "/orgs/default/targets",
                json!({"name": "gone", "endpoint": "unix:///tmp/windflow-no-such-engine.sock"}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{backend}: {}", r.text);
        let _ = admin
            .post("/orgs/default/targets/gone/test", json!({}))
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        let down = loop {
            let runs = admin
                .get("/orgs/default/workflows/on-down/runs")
                .await
                .unwrap();
            if let Some(run) = runs.body.as_array().unwrap().first() {
                break run["id"].as_str().unwrap().to_string();
            }
            assert!(
                Instant::now() < deadline,
                "{backend}: target_down started nothing"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let done = wait_run(&admin, &down, Duration::from_secs(15), ended).await;
        assert_eq!(done["trigger"]["kind"], "event");
        assert_eq!(done["trigger"]["payload"]["event"], "target_down");
        assert_eq!(node(&done, "note")["output"]["target"], "gone", "{done:#}");

        // Versions: an unchanged document keeps its version; a stale base is refused.
        let r = admin
            .get("/orgs/default/workflows/graph/versions")
            .await
            .unwrap();
        assert_eq!(r.body.as_array().unwrap().len(), 1);
        let r = admin
            .put("/orgs/default/workflows/graph", json!({"document": {"name": "graph", "nodes": [{"id": "a", "type": "join"}]}, "base_version": 1}))
            .await
            .unwrap();
        assert_eq!(
            (r.status, r.body["version"].as_i64()),
            (201, Some(2)),
            "{}",
            r.text
        );
        let r = admin
            .put("/orgs/default/workflows/graph", json!({"document": {"name": "graph", "nodes": [{"id": "b", "type": "join"}]}, "base_version": 1}))
            .await
            .unwrap();
        assert_eq!(r.status, 409, "{}", r.text);
        // An operator runs but does not edit.
        let operator = member(
            &server,
            &admin,
            &format!("wf-op-{backend}"),
            "default",
            "operator",
        )
        .await;
        let r = operator
            .put(
                "/orgs/default/workflows/graph",
                json!({"document": {"name": "graph", "nodes": [{"id": "c", "type": "join"}]}}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 403);
    }
}

/// `kill -9` while a deploy node waits for its deployment: after the restart the run
/// completes, the nodes that had completed are not run again, and the deploy node finds its
/// deployment instead of queuing a second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_survives_kill_9_without_repeating_a_node() {
    ensure_test_images(&docker().await).await.unwrap();
    for database in databases("wfcrash").await {
        let backend = database.name();
        let env = vec![("WINDFLOW_DEPLOYMENT_LEASE".to_string(), "2s".to_string())];
        let mut server = windflow_testkit::server::Server::start_with(&bin(), database, env)
            .await
            .unwrap();
        let admin = server.admin().await.unwrap();
        let stack = unique_project("wfcrash");
        let _guard = ProjectGuard::new(&stack);
        let port = free_port();
        // A service that takes a few seconds to become healthy keeps the deploy node busy.
        create_stack(
            &admin,
            &stack,
            &format!(
                r#"services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "sleep 3; touch /tmp/ready; mkdir -p /www; echo up > /www/index.html; exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1:{port}:8080"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 250ms
      retries: 60
    init: true
"#
            ),
        )
        .await;
        save(
            &admin,
            json!({"name": "drill", "nodes": [
                {"id": "before", "type": "set", "values": {"x": "1"}},
                {"id": "deploy", "type": "deploy", "stack": stack, "target": "local"},
                {"id": "after", "type": "set", "values": {"d": "${{ nodes.deploy.output.deployment }}"}}
            ], "edges": [{"from": "before", "to": "deploy"}, {"from": "deploy", "to": "after"}]}),
        )
        .await;
        let id = run(&admin, "drill", json!({})).await;
        let mid = wait_run(&admin, &id, Duration::from_secs(60), |r| {
            r["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["node"] == "deploy" && n["status"] == "running")
        })
        .await;
        let before = node(&mid, "before").clone();
        tokio::time::sleep(Duration::from_millis(500)).await;
        server.kill9();
        server.restart().await.unwrap_or_else(|e| panic!("{e:#}"));
        let admin = server.admin().await.unwrap();
        let done = wait_run(&admin, &id, Duration::from_secs(120), ended).await;
        assert_eq!(done["status"], "succeeded", "{backend}: {done:#}");
        assert!(
            done["attempts"].as_i64().unwrap() >= 2,
            "{backend}: the run was taken up again: {done:#}"
        );
        // The node that completed before the crash was not run again.
        assert_eq!(node(&done, "before")["started_at"], before["started_at"]);
        assert_eq!(node(&done, "before")["finished_at"], before["finished_at"]);
        // One deployment: the resumed node found the one it had queued.
        let deployments = admin
            .get(&format!("/orgs/default/deployments?stack={stack}"))
            .await
            .unwrap();
        let list = deployments.body["items"]
            .as_array()
            .or(deployments.body.as_array())
            .unwrap()
            .clone();
        assert_eq!(list.len(), 1, "{backend}: {list:#?}");
        assert_eq!(node(&done, "deploy")["output"]["deployment"], list[0]["id"]);
        assert_eq!(node(&done, "after")["output"]["d"], list[0]["id"]);
        let (code, body) = http_get(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!((code, body.trim()), (200, "up"));
    }
}
