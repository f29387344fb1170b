//! AI through the server, against a scripted OpenAI-compatible server on loopback (a real
//! HTTP server whose answers each test queues): a provider on an internal address is
//! refused until a server administrator allows it; the key is write-only and never in an
//! answer, the audit log or the server's log; generate repairs a broken answer with the
//! loader's diagnostics fed back, streams its progress over SSE and plans the result on
//! the target; the organization's secret values never reach the provider; every call is
//! recorded with its tokens; a provider that times out or answers garbage is a clear error
//! and records the failure; the budget stops calls; a viewer may not spend tokens.

use serde_json::{Value, json};
use windflow_testkit::openai::{Reply, ScriptedServer, answer};
use windflow_testkit::server::Database;

use crate::support::{create_stack, member, start_with};

const KEY: &str = "sk-test-9f8e7d6c5b4a";
const PLANTED: &str = "s3cr3t-planted-value-71";

fn fenced(yaml: &str) -> String {
    format!("Here is the stack.\n\n```yaml\n{yaml}```\n")
}

/// Not YAML at all on line 3 (a tab), and a field the loader refuses.
const BROKEN: &str = "services:\n  web:\n\timage: nginx\n";
const FIXED: &str = "services:\n  web:\n    image: busybox:1.36\n    command: [\"httpd\", \"-f\", \"-p\", \"8080\"]\n    restart: unless-stopped\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_repairs_redacts_streams_and_records() {
    let provider = ScriptedServer::start([]).await;
    let server = start_with(
        Database::Sqlite,
        &[("WINDFLOW_AI_ALLOW_ENDPOINTS", provider.url.as_str())],
    )
    .await;
    let admin = server.admin().await.unwrap();

    // Without a provider: 404, and generate says how to set one.
    let none = admin.get("/orgs/default/ai/provider").await.unwrap();
    assert_eq!(none.status, 404, "{}", none.text);

    // An internal address that no administrator allowed is refused at call time.
    let other = ScriptedServer::start([answer("never")]).await;
    let set = admin
        .put(
            "/orgs/default/ai/provider",
            json!({"base_url": format!("{}/v1", other.url), "model": "m", "api_key": KEY}),
        )
        .await
        .unwrap();
    assert_eq!(set.status, 200, "{}", set.text);
    let refused = admin
        .post(
            "/orgs/default/ai/generate",
            json!({"description": "a web server"}),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(
        refused.text.contains("--ai-allow-endpoint"),
        "{}",
        refused.text
    );
    assert!(other.requests().is_empty(), "nothing was sent to it");

    // The allowed provider; the key goes in and never comes out.
    let set = admin
        .put(
            "/orgs/default/ai/provider",
            json!({"base_url": format!("{}/v1/", provider.url), "model": "scripted", "api_key": KEY,
                   "monthly_token_budget": 1000}),
        )
        .await
        .unwrap();
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["api_key_set"], true);
    assert!(!set.text.contains(KEY));
    // A change without the key keeps it.
    let kept = admin
        .put(
            "/orgs/default/ai/provider",
            json!({"base_url": format!("{}/v1/", provider.url), "model": "scripted",
                   "monthly_token_budget": 1000}),
        )
        .await
        .unwrap();
    assert_eq!(kept.body["api_key_set"], true, "{}", kept.text);

    // An organization secret, planted in the description: it must never reach the provider.
    create_stack(
        &admin,
        "holder",
        "services:\n  a:\n    image: busybox:1.36\n",
    )
    .await;
    let secret = admin
        .put(
            "/orgs/default/stacks/holder/variables/DB_PASSWORD",
            json!({"value": PLANTED, "secret": true}),
        )
        .await
        .unwrap();
    assert_eq!(secret.status, 200, "{}", secret.text);

    provider.push(answer(&fenced(BROKEN)));
    provider.push(answer(&fenced(FIXED)));
    let streamed = admin
        .request(
            reqwest::Method::POST,
            "/orgs/default/ai/generate",
            Some(&json!({
                "description": format!("a static web server; the database password is {PLANTED}"),
                "target": "local",
            })),
            &[("accept", "text/event-stream")],
        )
        .await
        .unwrap();
    assert_eq!(streamed.status, 200, "{}", streamed.text);
    let events = sse_events(&streamed.text);
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        kinds.iter().filter(|k| **k == "progress").count() >= 5,
        "{kinds:?}"
    );
    let (last, result) = events.last().unwrap();
    assert_eq!(last, "result", "{}", streamed.text);
    assert_eq!(result["compose"], FIXED);
    let rounds = result["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2, "{result}");
    assert!(
        rounds[0]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with("compose.yaml:3")),
        "the first round's problems name the line: {result}"
    );
    assert!(
        result["plan"].as_array().is_some_and(|p| !p.is_empty()),
        "planned on the target: {result}"
    );

    // What the provider received: the key as a bearer token, the first round's diagnostics
    // fed back with their line in the second request, and never the planted secret.
    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(
        requests[0].path.ends_with("/v1/chat/completions"),
        "{}",
        requests[0].path
    );
    assert!(
        requests[1].contents().contains("compose.yaml:3"),
        "{}",
        requests[1].body
    );
    for request in &requests {
        assert!(
            !request.body.contains(PLANTED),
            "a secret reached the provider: {}",
            request.body
        );
    }

    // The call is recorded with its tokens and in the audit log — never the key.
    let calls = admin.get("/orgs/default/ai/requests").await.unwrap();
    assert_eq!(calls.status, 200, "{}", calls.text);
    assert_eq!(calls.body[0]["kind"], "generate");
    assert_eq!(calls.body[0]["outcome"], "ok");
    assert_eq!(calls.body[0]["prompt_tokens"], 200);
    let audit = admin
        .get("/orgs/default/audit?action=ai.generate")
        .await
        .unwrap();
    assert!(audit.text.contains("ai.generate"), "{}", audit.text);
    let provider_now = admin.get("/orgs/default/ai/provider").await.unwrap();
    assert_eq!(
        provider_now.body["tokens_this_month"], 300,
        "{}",
        provider_now.text
    );
    for text in [&audit.text, &provider_now.text, &server.logs()] {
        assert!(!text.contains(KEY), "the key leaked");
        assert!(!text.contains(PLANTED), "the secret leaked");
    }

    // A provider answering garbage: a clear 502, nothing else, the failure recorded.
    provider.push(Reply::Raw {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: "{\"choices\": \"not a list\"}".into(),
    });
    let garbage = admin
        .post(
            "/orgs/default/ai/generate",
            json!({"description": "a web server", "max_rounds": 1}),
        )
        .await
        .unwrap();
    assert_eq!(garbage.status, 502, "{}", garbage.text);
    assert!(garbage.text.contains("malformed"), "{}", garbage.text);
    let calls = admin.get("/orgs/default/ai/requests").await.unwrap();
    assert_eq!(calls.body[0]["outcome"], "malformed", "{}", calls.text);

    // Every round broken: no stack is returned.
    for _ in 0..2 {
        provider.push(answer(&fenced(BROKEN)));
    }
    let hopeless = admin
        .post(
            "/orgs/default/ai/generate",
            json!({"description": "a web server", "max_rounds": 2}),
        )
        .await
        .unwrap();
    assert_eq!(hopeless.status, 422, "{}", hopeless.text);
    assert!(hopeless.text.contains("2 round"), "{}", hopeless.text);

    // The client goes away mid-call: the call is cancelled and recorded as such.
    provider.push(Reply::Delay(
        std::time::Duration::from_secs(20),
        Box::new(answer(&fenced(FIXED))),
    ));
    let gone = reqwest::Client::new()
        .post(format!("{}/api/v1/orgs/default/ai/generate", admin.base))
        .bearer_auth(admin.token.as_deref().unwrap())
        .header("accept", "text/event-stream")
        .json(&json!({"description": "a web server"}))
        .timeout(std::time::Duration::from_secs(2))
        .send()
        .await;
    if let Ok(response) = gone {
        let _ = response.text().await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let calls = admin.get("/orgs/default/ai/requests").await.unwrap();
        if calls.body[0]["outcome"] == "cancelled" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", calls.text);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // A viewer may read the provider's settings but not spend tokens.
    let viewer = member(&server, &admin, "vera", "default", "viewer").await;
    assert_eq!(
        viewer
            .get("/orgs/default/ai/provider")
            .await
            .unwrap()
            .status,
        200
    );
    let denied = viewer
        .post("/orgs/default/ai/generate", json!({"description": "x"}))
        .await
        .unwrap();
    assert_eq!(denied.status, 403, "{}", denied.text);

    // The budget: 300 tokens used this month (the calls that failed report none); a budget
    // below that stops the next call before anything is sent.
    let set = admin
        .put(
            "/orgs/default/ai/provider",
            json!({"base_url": format!("{}/v1/", provider.url), "model": "scripted", "monthly_token_budget": 100}),
        )
        .await
        .unwrap();
    assert_eq!(set.status, 200, "{}", set.text);
    let before = provider.requests().len();
    let over = admin
        .post(
            "/orgs/default/ai/generate",
            json!({"description": "a web server"}),
        )
        .await
        .unwrap();
    assert_eq!(over.status, 403, "{}", over.text);
    assert!(over.text.contains("budget"), "{}", over.text);
    assert_eq!(provider.requests().len(), before, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_deployment_is_diagnosed_with_a_checked_fix() {
    let provider = ScriptedServer::start([]).await;
    let server = start_with(
        Database::Sqlite,
        &[("WINDFLOW_AI_ALLOW_ENDPOINTS", provider.url.as_str())],
    )
    .await;
    let admin = server.admin().await.unwrap();
    let set = admin
        .put(
            "/orgs/default/ai/provider",
            json!({"base_url": provider.url, "model": "scripted", "timeout_s": 5}),
        )
        .await
        .unwrap();
    assert_eq!(set.status, 200, "{}", set.text);
    // A service that logs its trouble and never becomes healthy: the deployment fails its
    // health gate and is rolled back (deterministically, whatever the machine's load).
    let project = windflow_testkit::unique_project("diag");
    let broken = format!(
        "services:\n  web:\n    image: {}\n    command: [\"sh\", \"-c\", \"echo cannot open $$CONFIG; exec sleep 600\"]\n    environment:\n      CONFIG: /config/app.ini\n    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/config/app.ini\"]\n      interval: 1s\n      retries: 2\n",
        windflow_testkit::TEST_IMAGE
    );
    create_stack(&admin, &project, &broken).await;
    let deployment = crate::support::finish_deployment(&admin, &project, "local", "deploy").await;
    assert_eq!(deployment["state"], "rolled_back", "{deployment}");
    let id = deployment["id"].as_str().unwrap();

    let fix = format!(
        "services:\n  web:\n    image: {}\n    command: [\"sleep\", \"600\"]\n    restart: unless-stopped\n",
        windflow_testkit::TEST_IMAGE
    );
    provider.push(answer(&format!(
        "CAUSE: the service never turns healthy because /config/app.ini is missing.\n\n```yaml\n{fix}```\n"
    )));
    let diagnosis = admin
        .post(
            &format!("/orgs/default/deployments/{id}/diagnose"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(diagnosis.status, 200, "{}", diagnosis.text);
    assert!(
        diagnosis.body["cause"]
            .as_str()
            .unwrap()
            .contains("never turns healthy"),
        "{}",
        diagnosis.text
    );
    assert!(
        diagnosis.body["diff"]
            .as_str()
            .unwrap()
            .contains("+    command: [\"sleep\", \"600\"]"),
        "{}",
        diagnosis.text
    );
    // The model got the compose file, the events and the container's last log line (only the
    // log has the path after the message; the container is gone after the rollback, the
    // deployment's error kept it).
    let prompt = provider.requests()[0].contents();
    assert!(prompt.contains("echo cannot open $$CONFIG"), "{prompt}");
    assert!(
        prompt.contains("cannot open /config/app.ini"),
        "the logs reached the prompt: {prompt}"
    );

    // A provider slower than the timeout: 503 within the bound, the failure recorded.
    provider.push(Reply::Delay(
        std::time::Duration::from_secs(30),
        Box::new(answer("late")),
    ));
    let started = std::time::Instant::now();
    let slow = admin
        .post(
            &format!("/orgs/default/deployments/{id}/diagnose"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(slow.status, 503, "{}", slow.text);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let calls = admin.get("/orgs/default/ai/requests").await.unwrap();
    assert_eq!(calls.body[0]["outcome"], "timeout", "{}", calls.text);
}

/// `(event, data)` of each event of an SSE body.
fn sse_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut kind = "message".to_string();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(k) = line.strip_prefix("event:") {
                    kind = k.trim().to_string();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim_start());
                }
            }
            (!data.is_empty()).then(|| (kind, serde_json::from_str(&data).unwrap_or(Value::Null)))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimize_proposes_from_observed_usage_and_applies_nothing() {
    let provider = ScriptedServer::start([]).await;
    let server = start_with(
        Database::Sqlite,
        &[("WINDFLOW_AI_ALLOW_ENDPOINTS", provider.url.as_str())],
    )
    .await;
    let admin = server.admin().await.unwrap();
    let set = admin
        .put(
            "/orgs/default/ai/provider",
            json!({"base_url": provider.url, "model": "scripted"}),
        )
        .await
        .unwrap();
    assert_eq!(set.status, 200, "{}", set.text);
    let project = windflow_testkit::unique_project("opt");
    let running = format!(
        "services:\n  web:\n    image: {}\n    command: [\"sleep\", \"600\"]\n",
        windflow_testkit::TEST_IMAGE
    );
    create_stack(&admin, &project, &running).await;
    crate::support::run_deployment(&admin, &project, "deploy").await;

    let proposed = format!(
        "services:\n  web:\n    image: {}\n    command: [\"sleep\", \"600\"]\n    restart: unless-stopped\n    mem_limit: 64m\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n",
        windflow_testkit::TEST_IMAGE
    );
    provider.push(answer(&format!(
        "SUMMARY: add a restart policy, a healthcheck and a 64 MiB limit (it uses under 1 MiB).\n\n```yaml\n{proposed}```\n"
    )));
    let proposal = admin
        .post(
            &format!("/orgs/default/stacks/{project}/optimize"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(proposal.status, 200, "{}", proposal.text);
    assert!(
        proposal.body["diff"]
            .as_str()
            .unwrap()
            .contains("+    mem_limit: 64m"),
        "{}",
        proposal.text
    );
    assert!(
        proposal.body["advice"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["rule"] == "no-healthcheck"),
        "the advisor's findings on the current version: {}",
        proposal.text
    );
    // The model saw what the running container uses, measured on the target.
    let prompt = provider.requests()[0].contents();
    assert!(
        prompt.contains("Measured usage:\n- web: peak memory"),
        "{prompt}"
    );
    // Nothing is applied: the stack is still at version 1.
    let stack = admin
        .get(&format!("/orgs/default/stacks/{project}"))
        .await
        .unwrap();
    assert_eq!(stack.body["stack"]["version"], 1, "{}", stack.text);
    crate::support::remove_stack(&admin, &project).await;
}
