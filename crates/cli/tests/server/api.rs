//! The API as a user drives it, against SQLite and PostgreSQL: authentication, stacks with
//! versions and optimistic concurrency, secrets, and deployments onto the real Docker engine
//! checked through the Engine API and the deployed service's own HTTP answer.

use std::time::Duration;

use bollard::query_parameters::InspectContainerOptions;
use serde_json::{Value, json};
use windflow_testkit::server::{ADMIN_PASSWORD, Api, Server};
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, http_get,
    list_project_containers, unique_project,
};

use crate::support::{create_stack, databases, deploy, start};

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(120);

fn web_stack(port: u16, greeting: &str, extra: &str) -> String {
    format!(
        r#"services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "echo hello-from-web; mkdir -p /www; echo {greeting} > /www/index.html; exec httpd -f -p 8080 -h /www"]
    environment:
      GREETING: "{greeting}"
      DB_PASSWORD: ${{DB_PASSWORD}}
    ports: ["127.0.0.1:{port}:8080"]
    init: true
{extra}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_sessions_tokens_lockout_and_problems() {
    for database in databases("api_auth").await {
        let backend = database.name();
        let server = start(database).await;
        let anon = server.anonymous();

        // Problems are RFC 9457 with the request id.
        let answer = anon.get("/orgs/default/stacks").await.unwrap();
        assert_eq!(answer.status, 401, "{backend}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(answer.body["status"], 401);
        assert_eq!(
            answer.body["request_id"].as_str(),
            answer.header("x-request-id"),
            "{}",
            answer.text
        );
        assert_eq!(answer.body["instance"], "/api/v1/orgs/default/stacks");
        let answer = anon.get("/no/such/thing").await.unwrap();
        assert_eq!(answer.status, 404);

        // A browser session needs its CSRF token on mutating requests.
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let login = client
            .post(format!("{}/api/v1/auth/login", server.url))
            .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD }))
            .send()
            .await
            .unwrap();
        let cookie = login
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        let session: Value = login.json().await.unwrap();
        let csrf = session["csrf_token"].as_str().unwrap().to_string();
        let body = json!({ "name": "Bad Name" });
        let without = client
            .post(format!("{}/api/v1/orgs/default/environments", server.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(without.status(), 403, "{backend}: no CSRF header");
        let with = client
            .post(format!("{}/api/v1/orgs/default/environments", server.url))
            .header("x-csrf-token", &csrf)
            .json(&json!({ "name": "staging" }))
            .send()
            .await
            .unwrap();
        assert_eq!(with.status(), 201, "{backend}");

        // Tokens: read-only scope, revocation takes effect at once.
        let admin = server.admin().await.unwrap();
        let created = admin
            .post(
                "/auth/tokens",
                json!({ "name": "ro", "scopes": ["read"], "expires_in_days": 1 }),
            )
            .await
            .unwrap();
        assert_eq!(created.status, 201);
        let ro = Api::new(
            &server.url,
            Some(created.body["secret"].as_str().unwrap().into()),
        );
        assert_eq!(ro.get("/orgs/default/stacks").await.unwrap().status, 200);
        let denied = ro
            .post("/orgs/default/environments", json!({ "name": "qa" }))
            .await
            .unwrap();
        assert_eq!(denied.status, 403, "{}", denied.text);
        let id = created.body["token"]["id"].as_str().unwrap();
        assert_eq!(
            admin
                .delete(&format!("/auth/tokens/{id}"))
                .await
                .unwrap()
                .status,
            204
        );
        assert_eq!(ro.get("/orgs/default/stacks").await.unwrap().status, 401);

        // Passwords: argon2id in the store; wrong ones lock this address out of the account
        // after 5 tries (hardening.rs: other addresses still log in).
        let user = admin
            .post(
                "/users",
                json!({ "username": "mallory", "password": "correct horse 1" }),
            )
            .await
            .unwrap();
        assert_eq!(user.status, 201, "{}", user.text);
        for _ in 0..5 {
            let r = anon
                .post(
                    "/auth/login",
                    json!({ "username": "mallory", "password": "wrong password" }),
                )
                .await
                .unwrap();
            assert_eq!(r.status, 401, "{}", r.text);
            assert_eq!(r.body["detail"], "invalid username or password");
        }
        let locked = anon
            .post(
                "/auth/login",
                json!({ "username": "mallory", "password": "correct horse 1" }),
            )
            .await
            .unwrap();
        assert_eq!(locked.status, 429, "{backend}: locked: {}", locked.text);
        assert!(locked.header("retry-after").is_some());
        // Unknown users get the same answer as wrong passwords.
        let r = anon
            .post(
                "/auth/login",
                json!({ "username": "nobody", "password": "whatever123" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 401);
        assert_eq!(r.body["detail"], "invalid username or password");

        // Failed logins land in the audit log with the client address (refused attempts are
        // not failures: they cost the server nothing and are not recorded).
        let audit = admin
            .get("/audit?action=auth.login_failed&limit=100")
            .await
            .unwrap();
        assert_eq!(audit.status, 200, "{}", audit.text);
        assert!(audit.body["total"].as_i64().unwrap() >= 6, "{}", audit.text);
        assert_eq!(audit.body["items"][0]["ip"], "127.0.0.1");

        // The OpenAPI document and its browsable page.
        let doc = anon.get("/api/openapi.json").await.unwrap();
        assert_eq!(doc.status, 200);
        assert!(
            doc.body["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc.body["openapi"]
        );
        assert!(doc.body["paths"]["/api/v1/orgs/{org}/stacks"]["get"].is_object());
        let page = anon.get("/api/docs").await.unwrap();
        assert_eq!(page.status, 200);
        assert!(page.text.contains("/api/openapi.json"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stacks_versions_etags_diffs_and_validation_errors() {
    for database in databases("api_stacks").await {
        let backend = database.name();
        let server = start(database).await;
        let api = server.admin().await.unwrap();

        // An invalid file is refused with the line and field at fault; nothing is stored.
        let bad = "services:\n  web:\n    image: nginx\n    ports:\n      - \"99999:80\"\n";
        let answer = api
            .post(
                "/orgs/default/stacks",
                json!({ "name": "shop", "content": bad }),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, 422, "{backend}: {}", answer.text);
        assert_eq!(answer.body["errors"][0]["line"], 5, "{}", answer.text);
        assert!(
            answer.body["errors"][0]["field"]
                .as_str()
                .unwrap()
                .starts_with("services.web.ports")
        );
        assert_eq!(
            api.get("/orgs/default/stacks/shop").await.unwrap().status,
            404
        );
        // Server-side files are never read.
        let sneaky = "services:\n  web:\n    image: nginx\n    env_file: /etc/passwd\n";
        let answer = api
            .post(
                "/orgs/default/stacks",
                json!({ "name": "shop", "content": sneaky }),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, 422, "{}", answer.text);

        let v1 = "services:\n  web:\n    image: nginx:1\n";
        let created = api
            .post(
                "/orgs/default/stacks",
                json!({ "name": "shop", "content": v1, "message": "first" }),
            )
            .await
            .unwrap();
        assert_eq!(created.status, 201, "{}", created.text);
        assert_eq!(created.header("etag"), Some("\"1\""));
        let dup = api
            .post(
                "/orgs/default/stacks",
                json!({ "name": "shop", "content": v1 }),
            )
            .await
            .unwrap();
        assert_eq!(dup.status, 409, "{}", dup.text);
        assert_eq!(dup.body["errors"][0]["field"], "name");

        // Two editors start from version 1; the second one's push is refused.
        let v2 = "services:\n  web:\n    image: nginx:2\n";
        let first = api
            .request(
                reqwest::Method::PUT,
                "/orgs/default/stacks/shop",
                Some(&json!({ "content": v2, "message": "bump" })),
                &[("if-match", "\"1\"")],
            )
            .await
            .unwrap();
        assert_eq!(first.status, 200, "{}", first.text);
        assert_eq!(first.header("etag"), Some("\"2\""));
        let second = api
            .request(
                reqwest::Method::PUT,
                "/orgs/default/stacks/shop",
                Some(&json!({ "content": "services:\n  web:\n    image: nginx:3\n" })),
                &[("if-match", "\"1\"")],
            )
            .await
            .unwrap();
        assert_eq!(second.status, 412, "{backend}: {}", second.text);
        let stack = api.get("/orgs/default/stacks/shop").await.unwrap();
        assert_eq!(stack.body["stack"]["version"], 2);
        assert_eq!(stack.body["current"]["content"], v2);
        assert_eq!(stack.body["current"]["author"], "admin");

        let versions = api.get("/orgs/default/stacks/shop/versions").await.unwrap();
        assert_eq!(versions.body["total"], 2);
        assert_eq!(versions.body["items"][0]["version"], 2);
        assert_eq!(versions.body["items"][1]["message"], "first");
        let diff = api
            .get("/orgs/default/stacks/shop/diff?from=1&to=2")
            .await
            .unwrap();
        assert_eq!(diff.status, 200);
        assert!(
            diff.body["unified"]
                .as_str()
                .unwrap()
                .contains("-    image: nginx:1\n+    image: nginx:2"),
            "{}",
            diff.text
        );

        let validation = api
            .post(
                "/orgs/default/stacks/shop/validate",
                json!({ "content": "services:\n  web: {}\n" }),
            )
            .await
            .unwrap();
        assert_eq!(validation.body["valid"], false, "{}", validation.text);
        // A stack not created yet validates under any placeholder name (the console's `_`).
        let fresh = api
            .post(
                "/orgs/default/stacks/_/validate",
                json!({ "content": "services:\n  web:\n    image: busybox\n" }),
            )
            .await
            .unwrap();
        assert_eq!(fresh.status, 200, "{}", fresh.text);
        assert_eq!(fresh.body["valid"], true, "{}", fresh.text);

        // Lists page and filter.
        for i in 0..12 {
            let r = api
                .post(
                    "/orgs/default/stacks",
                    json!({ "name": format!("app-{i:02}"), "content": v1 }),
                )
                .await
                .unwrap();
            assert_eq!(r.status, 201);
        }
        let page = api
            .get("/orgs/default/stacks?limit=5&offset=5&q=app-")
            .await
            .unwrap();
        assert_eq!(page.body["total"], 12, "{}", page.text);
        assert_eq!(page.body["items"].as_array().unwrap().len(), 5);
        assert_eq!(page.body["items"][0]["name"], "app-05");

        assert_eq!(
            api.delete("/orgs/default/stacks/shop")
                .await
                .unwrap()
                .status,
            204
        );
        assert_eq!(
            api.get("/orgs/default/stacks/shop").await.unwrap().status,
            404
        );
        let audit = api.get("/orgs/default/audit?action=stack.").await.unwrap();
        let actions: Vec<&str> = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"stack.delete") && actions.contains(&"stack.update"),
            "{actions:?}"
        );
        let csv = api.get("/orgs/default/audit?format=csv").await.unwrap();
        assert!(
            csv.text.starts_with("at,organization,actor,action"),
            "{}",
            csv.text
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_run_on_the_engine_stream_events_and_roll_back() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    for database in databases("api_deploy").await {
        let backend = database.name();
        let server = start(database).await;
        let api = server.admin().await.unwrap();
        let name = unique_project("api");
        let _guard = ProjectGuard::new(&name);
        let port = free_port();

        // A secret: write-only through the API, encrypted at rest, injected at deploy time.
        create_stack(&api, &name, &web_stack(port, "one", "")).await;
        let secret = api
            .put(
                &format!("/orgs/default/stacks/{name}/variables/DB_PASSWORD"),
                json!({ "value": "pw-0xC0FFEE-secret", "secret": true }),
            )
            .await
            .unwrap();
        assert_eq!(secret.status, 200, "{}", secret.text);
        assert!(secret.body.get("value").is_none(), "{}", secret.text);
        let listed = api
            .get(&format!("/orgs/default/stacks/{name}/variables"))
            .await
            .unwrap();
        assert!(!listed.text.contains("0xC0FFEE"), "{}", listed.text);

        // Deploy; the same idempotency key returns the same deployment.
        let (status, first) = deploy(&api, &name, Some("key-1")).await;
        assert_eq!(status, 201, "{first}");
        let (status, again) = deploy(&api, &name, Some("key-1")).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(first["id"], again["id"]);
        let id = first["id"].as_str().unwrap().to_string();
        let done = api
            .wait_deployment("default", &id, DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(
            done["state"],
            "succeeded",
            "{backend}: {done}\n{}",
            server.logs()
        );
        assert!(
            done["plan"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l.as_str().unwrap().contains("create")),
            "{done}"
        );

        // What a user checks: the service answers, its container has the configuration.
        let (code, body) = http_get(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!((code, body.trim()), (200, "one"));
        let containers = list_project_containers(&docker, &name).await.unwrap();
        assert_eq!(containers.len(), 1);
        let first_id = containers[0].id.clone().unwrap();
        let inspect = docker
            .inspect_container(&first_id, None::<InspectContainerOptions>)
            .await
            .unwrap();
        let env = inspect.config.unwrap().env.unwrap();
        assert!(
            env.contains(&"DB_PASSWORD=pw-0xC0FFEE-secret".to_string()),
            "{env:?}"
        );
        assert!(env.contains(&"GREETING=one".to_string()), "{env:?}");

        // Recorded events, and the same over SSE, ending with `end`.
        let events = api
            .get(&format!("/orgs/default/deployments/{id}/events"))
            .await
            .unwrap();
        let kinds: Vec<&str> = events
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["data"]["event"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.first(), Some(&"state"), "{kinds:?}");
        assert!(
            kinds.contains(&"planned")
                && kinds.contains(&"step_finished")
                && kinds.contains(&"finished"),
            "{kinds:?}"
        );
        assert!(!events.text.contains("0xC0FFEE"));
        let stream = api
            .get(&format!(
                "/orgs/default/deployments/{id}/events/stream?after=2"
            ))
            .await
            .unwrap();
        assert!(stream.text.starts_with("id: 3\n"), "{}", stream.text);
        assert!(stream.text.contains("event: end"), "{}", stream.text);

        // Logs over SSE show what the container printed.
        let logs = api
            .get(&format!(
                "/orgs/default/stacks/{name}/logs?target=local&tail=20"
            ))
            .await
            .unwrap();
        assert!(logs.text.contains("hello-from-web"), "{}", logs.text);

        // A broken version (failing healthcheck) is rolled back; the old container serves on.
        let failing = "    healthcheck:\n      test: [\"CMD\", \"false\"]\n      interval: 200ms\n      retries: 2\n";
        let update = api
            .put(
                &format!("/orgs/default/stacks/{name}"),
                json!({ "content": web_stack(port, "two", failing) }),
            )
            .await
            .unwrap();
        assert_eq!(update.status, 200, "{}", update.text);
        let (_, failed) = deploy(&api, &name, None).await;
        let failed = api
            .wait_deployment("default", failed["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(failed["state"], "rolled_back", "{failed}");
        assert!(
            failed["error"].as_str().unwrap().contains("web"),
            "{failed}"
        );
        let (code, body) = http_get(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!((code, body.trim()), (200, "one"));
        let containers = list_project_containers(&docker, &name).await.unwrap();
        assert_eq!(
            containers
                .iter()
                .map(|c| c.id.clone().unwrap())
                .collect::<Vec<_>>(),
            vec![first_id.clone()]
        );

        // A good version 3, then a rollback to the one before it (version 1).
        let update = api
            .put(
                &format!("/orgs/default/stacks/{name}"),
                json!({ "content": web_stack(port, "three", "") }),
            )
            .await
            .unwrap();
        assert_eq!(update.status, 200);
        let (_, third) = deploy(&api, &name, None).await;
        let third = api
            .wait_deployment("default", third["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(third["state"], "succeeded", "{third}");
        let (_, body) = http_get(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(body.trim(), "three");
        let rollback = api
            .post(
                &format!("/orgs/default/stacks/{name}/rollback"),
                json!({ "target": "local" }),
            )
            .await
            .unwrap();
        assert_eq!(rollback.status, 201, "{}", rollback.text);
        assert_eq!(rollback.body["kind"], "rollback");
        assert_eq!(rollback.body["version"], 1);
        let rolled = api
            .wait_deployment(
                "default",
                rollback.body["id"].as_str().unwrap(),
                DEPLOY_TIMEOUT,
            )
            .await
            .unwrap();
        assert_eq!(rolled["state"], "succeeded", "{rolled}");
        let (_, body) = http_get(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(body.trim(), "one");
        // One version vocabulary: the container says the stack version the console shows.
        let containers = list_project_containers(&docker, &name).await.unwrap();
        let labels = containers[0].labels.clone().unwrap_or_default();
        assert_eq!(
            labels.get("io.windflow.stack-version").map(String::as_str),
            Some("1"),
            "{labels:?}"
        );

        // Lists filter by state; metrics count what happened.
        let list = api
            .get(&format!(
                "/orgs/default/deployments?stack={name}&state=rolled_back"
            ))
            .await
            .unwrap();
        assert_eq!(list.body["total"], 1, "{}", list.text);
        let metrics = api.get("/metrics").await.unwrap();
        assert!(
            metrics
                .text
                .contains("windflow_deployments{state=\"succeeded\"} 3"),
            "{}",
            metrics.text
        );
        assert!(metrics.text.contains("windflow_http_requests_total{method=\"POST\",route=\"/api/v1/orgs/{org}/deployments\",status=\"201\"}"), "{}", metrics.text);
        assert!(
            metrics
                .text
                .contains("windflow_deploy_duration_seconds_bucket")
        );
        assert!(
            metrics.text.contains("windflow_targets{status=\"up\"} 1"),
            "{}",
            metrics.text
        );

        // The secret never reached the server's log or the database in clear.
        assert!(
            !server.logs().contains("0xC0FFEE"),
            "the server log shows the secret"
        );
        if backend == "sqlite" {
            for file in ["windflow.db", "windflow.db-wal"] {
                let bytes = std::fs::read(server.data_dir.join(file)).unwrap_or_default();
                assert!(
                    !bytes.windows(8).any(|w| w == b"0xC0FFEE"),
                    "{file} holds the secret in clear"
                );
            }
        }

        // Removing the stack from the target.
        let remove = api
            .post(
                "/orgs/default/deployments",
                json!({ "stack": name, "target": "local", "kind": "remove" }),
            )
            .await
            .unwrap();
        let removed = api
            .wait_deployment(
                "default",
                remove.body["id"].as_str().unwrap(),
                DEPLOY_TIMEOUT,
            )
            .await
            .unwrap();
        assert_eq!(removed["state"], "succeeded", "{removed}");
        assert!(
            list_project_containers(&docker, &name)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// Deployments of one stack on one target run one at a time, in order; a queued one can be
/// cancelled before it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_deployment_per_stack_and_target_and_cancel() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let server: Server = start(windflow_testkit::server::Database::Sqlite).await;
    let api = server.admin().await.unwrap();
    let name = unique_project("queue");
    let _guard = ProjectGuard::new(&name);
    let port = free_port();
    let slow = "    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"]\n      interval: 300ms\n      retries: 60\n    entrypoint: [\"sh\", \"-c\", \"sleep 3; touch /tmp/ready; exec \\\"$$@\\\"\", \"--\"]\n";
    create_stack(&api, &name, &web_stack(port, "one", slow)).await;
    let (_, a) = deploy(&api, &name, None).await;
    let (_, b) = deploy(&api, &name, None).await;
    let (_, c) = deploy(&api, &name, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let b_now = api
        .get(&format!(
            "/orgs/default/deployments/{}",
            b["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(b_now.body["state"], "queued", "{}", b_now.text);
    let cancel = api
        .post(
            &format!(
                "/orgs/default/deployments/{}/cancel",
                c["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(cancel.status, 202, "{}", cancel.text);
    assert_eq!(cancel.body["state"], "cancelled");
    let a = api
        .wait_deployment("default", a["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
        .await
        .unwrap();
    let b = api
        .wait_deployment("default", b["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(
        (a["state"].as_str(), b["state"].as_str()),
        (Some("succeeded"), Some("succeeded"))
    );
    // A cancelled deployment cannot be cancelled again.
    let again = api
        .post(
            &format!(
                "/orgs/default/deployments/{}/cancel",
                c["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(again.status, 409, "{}", again.text);
}

/// Recovery on the server's host: `windflow admin rotate-secret-key` re-encrypts secrets
/// under a new key (deployments still get their values), `windflow admin reset-password`
/// sets a new password for a locked-out administrator; SIGTERM stops the server cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_rotate_the_secret_key_and_reset_a_password() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    for database in databases("api_admin").await {
        let backend = database.name();
        let database_url = match &database {
            windflow_testkit::server::Database::Postgres(db) => Some(db.url().to_string()),
            windflow_testkit::server::Database::Sqlite => None,
        };
        let mut server = start(database).await;
        let api = server.admin().await.unwrap();
        let name = unique_project("rotate");
        let _guard = ProjectGuard::new(&name);
        let port = free_port();
        create_stack(&api, &name, &web_stack(port, "one", "")).await;
        let r = api
            .put(
                &format!("/orgs/default/stacks/{name}/variables/DB_PASSWORD"),
                json!({ "value": "before-rotation-pw", "secret": true }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        // An uploaded certificate's key is sealed too, and re-sealed by the rotation.
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["rotate.example.test".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let r = api
            .put(
                "/orgs/default/certificates/rotate",
                json!({ "chain_pem": cert.pem(), "key_pem": key.serialize_pem() }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["domains"], json!(["rotate.example.test"]));
        assert!(!r.text.contains("PRIVATE KEY"));
        // Another key than the leaf's, or no certificate at all: refused at the field, and
        // the stored certificate stays.
        let other_key = rcgen::KeyPair::generate().unwrap();
        for (body, field) in [
            (
                json!({ "chain_pem": cert.pem(), "key_pem": other_key.serialize_pem() }),
                "key_pem",
            ),
            (
                json!({ "chain_pem": "not a certificate", "key_pem": key.serialize_pem() }),
                "chain_pem",
            ),
        ] {
            let r = api
                .put("/orgs/default/certificates/rotate", body)
                .await
                .unwrap();
            assert_eq!(r.status, 422, "{}", r.text);
            assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
        }
        let listed = api.get("/orgs/default/certificates").await.unwrap();
        assert_eq!(
            listed.body[0]["serial"], r.body["serial"],
            "{}",
            listed.text
        );

        let status = server.terminate(Duration::from_secs(30)).unwrap();
        assert!(
            status.success(),
            "{backend}: SIGTERM exit {status}\n{}",
            server.logs()
        );
        let keyring = server.data_dir.join("secret.keys");
        let before = std::fs::read_to_string(&keyring).unwrap();
        let admin_command = |args: &[&str]| {
            let mut command = std::process::Command::new(crate::support::bin());
            command
                .args(args)
                .env("WINDFLOW_DATA", &server.data_dir)
                .env_remove("WINDFLOW_ADMIN_PASSWORD")
                .env_remove("DATABASE_URL");
            if let Some(url) = &database_url {
                command.env("DATABASE_URL", url);
            }
            command.output().unwrap()
        };
        let out = admin_command(&["admin", "rotate-secret-key"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("2 secret(s) re-encrypted"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let after = std::fs::read_to_string(&keyring).unwrap();
        assert_ne!(before, after);
        let out = admin_command(&["admin", "reset-password"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let new_password = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(new_password.len(), 20, "{new_password}");

        server.restart().await.unwrap();
        let anon = server.anonymous();
        let old = anon
            .login("admin", windflow_testkit::server::ADMIN_PASSWORD)
            .await;
        assert!(old.is_err(), "{backend}: the old password still works");
        let api = anon.login("admin", &new_password).await.unwrap();
        let (_, d) = deploy(&api, &name, None).await;
        let d = api
            .wait_deployment("default", d["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(d["state"], "succeeded", "{backend}: {d}");
        let containers = list_project_containers(&docker, &name).await.unwrap();
        let inspect = docker
            .inspect_container(
                containers[0].id.as_deref().unwrap(),
                None::<InspectContainerOptions>,
            )
            .await
            .unwrap();
        let env = inspect.config.unwrap().env.unwrap();
        assert!(
            env.contains(&"DB_PASSWORD=before-rotation-pw".to_string()),
            "{backend}: {env:?}"
        );
    }
}

/// Cancelling a running deployment stops it at its next step and puts the previous version
/// back: the state is `cancelled` and the old container serves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_running_deployment_restores_the_previous_version() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let server: Server = start(windflow_testkit::server::Database::Sqlite).await;
    let api = server.admin().await.unwrap();
    let name = unique_project("cancel");
    let _guard = ProjectGuard::new(&name);
    let port = free_port();
    create_stack(&api, &name, &web_stack(port, "one", "")).await;
    let (_, first) = deploy(&api, &name, None).await;
    let first = api
        .wait_deployment("default", first["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(first["state"], "succeeded", "{first}");
    let before: Vec<String> = list_project_containers(&docker, &name)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.unwrap())
        .collect();

    // Version 2 never becomes healthy on its own within the test: cancel it while it waits.
    let slow = "    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/tmp/never\"]\n      interval: 300ms\n      retries: 1000\n";
    let update = api
        .put(
            &format!("/orgs/default/stacks/{name}"),
            json!({ "content": web_stack(port, "two", slow) }),
        )
        .await
        .unwrap();
    assert_eq!(update.status, 200);
    let (_, second) = deploy(&api, &name, None).await;
    let id = second["id"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let events = api
            .get(&format!("/orgs/default/deployments/{id}/events"))
            .await
            .unwrap();
        if events.text.contains("\"service_state\"") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", events.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cancel = api
        .post(&format!("/orgs/default/deployments/{id}/cancel"), json!({}))
        .await
        .unwrap();
    assert_eq!(cancel.status, 202, "{}", cancel.text);
    assert_eq!(cancel.body["cancel_requested"], true, "{}", cancel.text);
    let done = api
        .wait_deployment("default", id, DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(done["state"], "cancelled", "{done}");
    let (code, body) = http_get(
        &format!("http://127.0.0.1:{port}/"),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!((code, body.trim()), (200, "one"));
    let after: Vec<String> = list_project_containers(&docker, &name)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.unwrap())
        .collect();
    assert_eq!(after, before, "the previous container serves again");
}

/// The whole lifecycle: a deployed stack (and the target running it) cannot be deleted out
/// from under its containers; deleting with `undeploy` removes it from the engine first, then
/// deletes it — its deployments stay listed and its name is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_deployed_stack_undeploys_it_first_and_keeps_its_history() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    for database in databases("api_delete").await {
        let backend = database.name();
        let server = start(database).await;
        let api = server.admin().await.unwrap();
        let name = unique_project("gone");
        let _guard = ProjectGuard::new(&name);
        let port = free_port();
        create_stack(&api, &name, &web_stack(port, "one", "")).await;
        let (status, first) = deploy(&api, &name, None).await;
        assert_eq!(status, 201, "{first}");
        let done = api
            .wait_deployment("default", first["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(done["state"], "succeeded", "{backend}: {done}");
        assert_eq!(
            list_project_containers(&docker, &name).await.unwrap().len(),
            1
        );

        // Refused while it runs: the stack, and the target that runs it.
        let refused = api
            .delete(&format!("/orgs/default/stacks/{name}"))
            .await
            .unwrap();
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert!(
            refused.text.contains("is deployed on local"),
            "{}",
            refused.text
        );
        let refused = api.delete("/orgs/default/targets/local").await.unwrap();
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert!(
            refused.text.contains(&format!("still runs {name}")),
            "{}",
            refused.text
        );

        // With undeploy: a removal per target, then the deletion.
        let pending = api
            .delete(&format!("/orgs/default/stacks/{name}?undeploy=true"))
            .await
            .unwrap();
        assert_eq!(pending.status, 202, "{}", pending.text);
        let removals = pending.body.as_array().unwrap();
        assert_eq!(removals.len(), 1, "{}", pending.text);
        assert_eq!(removals[0]["kind"], "remove");
        assert_eq!(removals[0]["target"], "local");
        // No new deployment meanwhile.
        let (status, body) = deploy(&api, &name, None).await;
        assert!(status == 409 || status == 404, "{status} {body}");
        let removal = api
            .wait_deployment(
                "default",
                removals[0]["id"].as_str().unwrap(),
                DEPLOY_TIMEOUT,
            )
            .await
            .unwrap();
        assert_eq!(removal["state"], "succeeded", "{backend}: {removal}");
        assert!(
            list_project_containers(&docker, &name)
                .await
                .unwrap()
                .is_empty()
        );
        let mut status = 0;
        for _ in 0..50 {
            status = api
                .get(&format!("/orgs/default/stacks/{name}"))
                .await
                .unwrap()
                .status;
            if status == 404 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, 404, "{backend}: deleted after its removal");

        // History kept; the name is free again; the audit log says who and what.
        let listed = api
            .get("/orgs/default/deployments?limit=100")
            .await
            .unwrap();
        let kept: Vec<&str> = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["stack"] == name.as_str())
            .map(|d| d["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kept, ["remove", "deploy"], "{backend}: {}", listed.text);
        create_stack(&api, &name, &web_stack(port, "two", "")).await;
        let audit = api.get("/orgs/default/audit?action=stack.").await.unwrap();
        assert!(
            audit.text.contains("stack.delete_requested")
                && audit.text.contains("\"stack.delete\""),
            "{}",
            audit.text
        );
        // A stack that runs nowhere is deleted at once, and the target can go.
        let gone = api
            .delete(&format!("/orgs/default/stacks/{name}?undeploy=true"))
            .await
            .unwrap();
        assert_eq!(gone.status, 204, "{}", gone.text);
    }
}
