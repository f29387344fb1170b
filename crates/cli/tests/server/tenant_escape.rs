//! Tenant escapes through a stack, tried for real against the API and the engine: a stack
//! must never read a file of the server's (secret/config `file:`, `env_file`, `extends`,
//! build contexts), and host-level features (host paths, the engine socket, privileged
//! containers, host namespaces, capabilities, unconfined profiles, host-wide sysctls, volumes
//! that bind the host) are refused at push, at queue time and again when the deployment runs,
//! by the organization's host-access policy as server administrators set it.

use std::time::Duration;

use bollard::query_parameters::InspectContainerOptions;
use serde_json::{Value, json};
use windflow_testkit::server::{Api, Server};
use windflow_testkit::{ProjectGuard, TEST_IMAGE, docker, list_project_containers};

use crate::support::{databases, member, start};

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(120);

/// A one-service stack whose service `web` adds `service_lines` (indented four spaces) and
/// whose file ends with `top` (top-level sections).
fn stack(service_lines: &str, top: &str) -> String {
    let mut text =
        format!("services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sleep\", \"300\"]\n");
    for line in service_lines.lines() {
        text.push_str(&format!("    {line}\n"));
    }
    text.push_str(top);
    text
}

/// The host-level features a review used to take a host over, each with the compose field
/// and line (in [`stack`]'s layout) that the refusal must name.
fn dangerous() -> Vec<(&'static str, String, &'static str, u64)> {
    vec![
        (
            "the host's root",
            stack("volumes:\n  - /:/host", ""),
            "services.web.volumes[0]",
            6,
        ),
        (
            "the engine socket",
            stack(
                "volumes:\n  - /var/run/docker.sock:/var/run/docker.sock",
                "",
            ),
            "services.web.volumes[0]",
            6,
        ),
        (
            "a long-syntax bind",
            stack(
                "volumes:\n  - type: bind\n    source: /etc\n    target: /x",
                "",
            ),
            "services.web.volumes[0]",
            6,
        ),
        (
            "a relative bind into the data directory",
            stack("volumes:\n  - ../../:/data", ""),
            "services.web.volumes[0]",
            6,
        ),
        (
            "privileged",
            stack("privileged: true", ""),
            "services.web.privileged",
            5,
        ),
        (
            "host networking",
            stack("network_mode: host", ""),
            "services.web.network_mode",
            5,
        ),
        (
            "SYS_ADMIN",
            stack("cap_add: [SYS_ADMIN]", ""),
            "services.web.cap_add[0]",
            5,
        ),
        (
            "seccomp unconfined",
            stack("security_opt: [\"seccomp:unconfined\"]", ""),
            "services.web.security_opt[0]",
            5,
        ),
        (
            "a host-wide sysctl",
            stack("sysctls:\n  kernel.panic_on_oops: \"1\"", ""),
            "services.web.sysctls.kernel.panic_on_oops",
            6,
        ),
        (
            "a local volume binding /etc",
            stack(
                "volumes: [\"h:/x\"]",
                "volumes:\n  h:\n    driver_opts:\n      type: none\n      o: bind\n      device: /etc\n",
            ),
            "volumes.h.driver_opts",
            8,
        ),
    ]
}

/// Creates organization `slug` (the server admin becomes its owner) with one user per role.
async fn org_with_roles(server: &Server, server_admin: &Api, slug: &str) -> Vec<(String, Api)> {
    let r = server_admin
        .post("/orgs", json!({ "slug": slug }))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let mut clients = Vec::new();
    for role in ["viewer", "operator", "admin", "owner"] {
        let username = format!("{slug}-{role}");
        let client = member(server, server_admin, &username, slug, role).await;
        clients.push((role.to_string(), client));
    }
    clients
}

async fn set_policy(api: &Api, org: &str, policy: Value) -> u16 {
    let r = api
        .put(&format!("/orgs/{org}/policy"), policy)
        .await
        .unwrap();
    r.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_files_are_never_read_for_a_stack_whatever_the_policy() {
    for database in databases("escape_files").await {
        let server = start(database).await;
        let admin = server.admin().await.unwrap();
        // Even the first organization, which is privileged, cannot name a server file.
        let cases = [
            (
                "configs: [k]",
                "configs:\n  k:\n    file: ../../secret.keys\n",
                "configs.k.file",
                8,
            ),
            (
                "secrets: [s]",
                "secrets:\n  s:\n    file: /etc/shadow\n",
                "secrets.s.file",
                8,
            ),
            ("env_file: /etc/passwd", "", "services.web.env_file", 5),
            (
                "extends:\n  file: /etc/windflow/base.yml\n  service: base",
                "",
                "services.web.extends.file",
                6,
            ),
            ("build: /", "", "services.web.build", 5),
        ];
        for (i, (service_lines, top, field, line)) in cases.into_iter().enumerate() {
            let content = stack(service_lines, top);
            let r = admin
                .post(
                    "/orgs/default/stacks",
                    json!({ "name": format!("files-{i}"), "content": content }),
                )
                .await
                .unwrap();
            assert_eq!(r.status, 422, "{field}: {}", r.text);
            let error = r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["field"].as_str().unwrap_or("").starts_with(field))
                .unwrap_or_else(|| panic!("{field} not named: {}", r.text));
            assert_eq!(error["line"], line, "{field}: {}", r.text);
            assert!(
                !r.text.contains("root:") && !r.text.contains("PRIVATE"),
                "a refusal must not echo the file: {}",
                r.text
            );
        }
        let listed = admin.get("/orgs/default/stacks").await.unwrap();
        assert_eq!(
            listed.body["total"], 0,
            "nothing was stored: {}",
            listed.text
        );
    }
}

/// Every dangerous feature × role × policy level, through the push endpoint: roles below
/// admin get 403 whatever the content; admins and owners get 422 naming the field, its line
/// and the policy — or 201 where the level allows the feature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dangerous_features_by_role_and_policy_level() {
    for database in databases("escape_matrix").await {
        let backend = database.name();
        let server = start(database).await;
        let admin = server.admin().await.unwrap();
        let clients = org_with_roles(&server, &admin, "tenant").await;
        let owner = &clients[3].1;
        // A fresh organization is baseline; its own owner cannot change that.
        let policy = owner.get("/orgs/tenant/policy").await.unwrap();
        assert_eq!(
            policy.body["organization"]["level"], "baseline",
            "{}",
            policy.text
        );
        assert_eq!(
            set_policy(owner, "tenant", json!({ "level": "privileged" })).await,
            403
        );

        let mut failures = Vec::new();
        let mut pushed = 0;
        for level in ["privileged", "baseline", "restricted"] {
            assert_eq!(
                set_policy(&admin, "tenant", json!({ "level": level })).await,
                200
            );
            for (what, content, field, line) in dangerous() {
                for (role, client) in &clients {
                    pushed += 1;
                    let name = format!("s{pushed}");
                    let r = client
                        .post(
                            "/orgs/tenant/stacks",
                            json!({ "name": name, "content": content }),
                        )
                        .await
                        .unwrap();
                    let verdict = match (role.as_str(), level) {
                        ("viewer" | "operator", _) => (r.status == 403).then_some(()),
                        (_, "privileged") => (r.status == 201).then_some(()),
                        _ => {
                            let named = r.body["errors"].as_array().is_some_and(|errors| {
                                errors.iter().any(|e| {
                                    e["field"] == field
                                        && e["line"] == line
                                        && e["message"]
                                            .as_str()
                                            .is_some_and(|m| m.contains(&format!("({level})")))
                                })
                            });
                            (r.status == 422 && named).then_some(())
                        }
                    };
                    if verdict.is_none() {
                        failures.push(format!(
                            "{backend}: {what} as {role} under {level}: {} {}",
                            r.status, r.text
                        ));
                    }
                }
            }
        }
        // Under restricted, only a hardened service passes.
        let hardened = stack(
            "user: \"1000:1000\"\ncap_drop: [ALL]\nsecurity_opt: [\"no-new-privileges:true\"]",
            "",
        );
        for (content, want) in [(stack("", ""), 422), (hardened, 201)] {
            let r = clients[2]
                .1
                .post(
                    "/orgs/tenant/stacks",
                    json!({ "name": format!("r{want}"), "content": content }),
                )
                .await
                .unwrap();
            if r.status != want {
                failures.push(format!("{backend}: restricted: {} {}", r.status, r.text));
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// The host takeover of the review, end to end on the real engine: refused while the first
/// organization is baseline; deployed (and really bind-mounted) once a server administrator
/// makes it privileged; refused at queue time when the policy tightens again, and failed by
/// the worker — with nothing created — for a deployment queued before it tightened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tightened_policy_stops_deployments_at_queue_and_at_run_time() {
    let docker = docker().await;
    for database in databases("escape_deploy").await {
        let backend = database.name();
        // One worker: a slow deployment holds it while the next one waits in the queue.
        let server = crate::support::start_with(database, &[("WINDFLOW_WORKERS", "1")]).await;
        let admin = server.admin().await.unwrap();
        let guard = ProjectGuard::unique("escape");
        let name = guard.project().to_string();
        let slow_guard = ProjectGuard::unique("escape-slow");
        let slow = slow_guard.project().to_string();
        let takeover = stack(
            "volumes:\n  - /var/run/docker.sock:/var/run/docker.sock",
            "",
        );

        assert_eq!(
            set_policy(&admin, "default", json!({ "level": "baseline" })).await,
            200
        );
        let r = admin
            .post(
                "/orgs/default/stacks",
                json!({ "name": name, "content": takeover }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("engine's socket"), "{}", r.text);

        assert_eq!(
            set_policy(&admin, "default", json!({ "level": "privileged" })).await,
            200
        );
        let r = admin
            .post(
                "/orgs/default/stacks",
                json!({ "name": name, "content": takeover }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let first = queue(&admin, &name).await;
        let done = admin
            .wait_deployment("default", &first, DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(done["state"], "succeeded", "{backend}: {done}");
        let containers = list_project_containers(&docker, &name).await.unwrap();
        let id = containers[0].id.clone().unwrap();
        let inspected = docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
            .unwrap();
        let mounts = inspected.mounts.unwrap_or_default();
        assert!(
            mounts
                .iter()
                .any(|m| m.source.as_deref() == Some("/var/run/docker.sock")),
            "privileged really deploys the bind: {mounts:?}"
        );
        // Remove it before the next checks, so "nothing created" is observable.
        let r = admin
            .post(
                "/orgs/default/deployments",
                json!({ "stack": name, "target": "local", "kind": "remove" }),
            )
            .await
            .unwrap();
        let removed = admin
            .wait_deployment("default", r.body["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(removed["state"], "succeeded", "{removed}");

        // A narrowing of the target by an organization admin takes effect at queue time.
        let r = admin
            .put(
                "/orgs/default/targets/local/policy",
                json!({ "level": "baseline" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.body["targets"]["local"]["level"], "baseline",
            "{}",
            r.text
        );
        let r = admin
            .post(
                "/orgs/default/deployments",
                json!({ "stack": name, "target": "local" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("services.web.volumes[0]"), "{}", r.text);
        let r = admin
            .delete("/orgs/default/targets/local/policy")
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);

        // Queued while allowed, behind a slow deployment; the policy tightens before it runs.
        let slow_stack = format!(
            "services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sh\", \"-c\", \"sleep 3; touch /ready; exec sleep 300\"]\n    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/ready\"]\n      interval: 1s\n      retries: 30\n"
        );
        let r = admin
            .post(
                "/orgs/default/stacks",
                json!({ "name": slow, "content": slow_stack }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let blocker = queue(&admin, &slow).await;
        let queued = queue(&admin, &name).await;
        assert_eq!(
            set_policy(&admin, "default", json!({ "level": "baseline" })).await,
            200
        );
        let done = admin
            .wait_deployment("default", &queued, DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(done["state"], "failed", "{backend}: {done}");
        let error = done["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("host-access policy") && error.contains("services.web.volumes[0]"),
            "{backend}: {done}"
        );
        assert!(
            list_project_containers(&docker, &name)
                .await
                .unwrap()
                .is_empty(),
            "nothing of the refused stack was created"
        );
        let blocked = admin
            .wait_deployment("default", &blocker, DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(blocked["state"], "succeeded", "{blocked}");
        assert_eq!(
            set_policy(&admin, "default", json!({ "level": "privileged" })).await,
            200
        );
    }
}

async fn queue(api: &Api, stack: &str) -> String {
    let r = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": stack, "target": "local" }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// Server administrators set an organization's policy whether or not they are members;
/// nobody else can, and a bad policy is refused naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_server_administrators_set_an_organization_policy() {
    for database in databases("escape_policy").await {
        let server = start(database).await;
        let admin = server.admin().await.unwrap();
        let clients = org_with_roles(&server, &admin, "acme").await;
        // The server admin leaves the organization and still sets its policy.
        let me = admin.get("/auth/session").await.unwrap();
        let user_id = me.body["user"]["id"].as_str().unwrap().to_string();
        let r = admin
            .delete(&format!("/orgs/acme/members/{user_id}"))
            .await
            .unwrap();
        assert!(matches!(r.status, 200 | 204), "{}", r.text);
        assert_eq!(admin.get("/orgs/acme").await.unwrap().status, 404);
        let r = admin
            .put(
                "/orgs/acme/policy",
                json!({ "level": "baseline", "allowed_host_paths": ["/srv/acme"] }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        for (role, client) in &clients {
            let r = client
                .put("/orgs/acme/policy", json!({ "level": "privileged" }))
                .await
                .unwrap();
            assert_eq!(r.status, 403, "{role}: {}", r.text);
        }
        let seen = clients[0].1.get("/orgs/acme/policy").await.unwrap();
        assert_eq!(
            seen.body["organization"],
            json!({ "level": "baseline", "allowed_host_paths": ["/srv/acme"] }),
            "{}",
            seen.text
        );
        for bad in ["srv", "/", "/srv/../etc"] {
            let r = admin
                .put(
                    "/orgs/acme/policy",
                    json!({ "level": "baseline", "allowed_host_paths": [bad] }),
                )
                .await
                .unwrap();
            assert_eq!(r.status, 422, "{bad}: {}", r.text);
        }
        // The allow-list lets exactly its paths through.
        let owner = &clients[3].1;
        for (source, want) in [
            ("/srv/acme/data", 201),
            ("/srv/acme-other", 422),
            ("/srv/acme/../../etc", 422),
        ] {
            let content = stack(&format!("volumes:\n  - {source}:/data"), "");
            let r = owner
                .post(
                    "/orgs/acme/stacks",
                    json!({ "name": format!("p{want}-{}", source.len()), "content": content }),
                )
                .await
                .unwrap();
            assert_eq!(r.status, want, "{source}: {}", r.text);
        }
    }
}

/// `environment:` secrets take the stack's variable — never a variable of the server process
/// (its database URL, its tokens), even one with the very name the stack asks for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_secrets_come_from_stack_variables_never_the_server_process() {
    use bollard::query_parameters::LogsOptionsBuilder;
    use futures::StreamExt;

    let docker = docker().await;
    for database in databases("escape_env").await {
        let backend = database.name();
        let server = crate::support::start_with(
            database,
            &[("WINDFLOW_ESCAPE_PROBE", "server-process-secret")],
        )
        .await;
        let admin = server.admin().await.unwrap();
        let guard = ProjectGuard::unique("escape-env");
        let name = guard.project().to_string();
        let content = format!(
            "services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sh\", \"-c\", \"cat /run/secrets/s /run/secrets/probe; echo; exec sleep 300\"]\n    secrets: [s, probe]\nsecrets:\n  s:\n    environment: TOKEN\n  probe:\n    environment: WINDFLOW_ESCAPE_PROBE\n"
        );
        let r = admin
            .post(
                "/orgs/default/stacks",
                json!({ "name": name, "content": content }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let r = admin
            .put(
                &format!("/orgs/default/stacks/{name}/variables/TOKEN"),
                json!({ "value": "stack-token-value", "secret": true }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        let id = queue(&admin, &name).await;
        let done = admin
            .wait_deployment("default", &id, DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(done["state"], "succeeded", "{backend}: {done}");
        let containers = list_project_containers(&docker, &name).await.unwrap();
        let container = containers[0].id.clone().unwrap();
        let mut output = String::new();
        for _ in 0..50 {
            let mut logs = docker.logs(
                &container,
                Some(
                    LogsOptionsBuilder::default()
                        .stdout(true)
                        .stderr(true)
                        .build(),
                ),
            );
            output.clear();
            while let Some(Ok(chunk)) = logs.next().await {
                output.push_str(&chunk.to_string());
            }
            if output.contains('\n') {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            output.contains("stack-token-value"),
            "{backend}: {output:?}"
        );
        assert!(
            !output.contains("server-process-secret"),
            "{backend}: the server's own environment reached the container: {output:?}"
        );
    }
}
