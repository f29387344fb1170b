//! Tenants on one engine (issue 12): organization A (`default`, whose `local` target is the
//! server's own engine) runs a stack whose container holds a secret and prints it; the owner
//! of organization B tries to reach it through a target of B's own. Asserted through what
//! each user sees over HTTP, and through the Engine API for the container's state.

use std::time::Duration;

use bollard::query_parameters::InspectContainerOptions;
use serde_json::{Value, json};
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, list_project_containers,
    unique_project,
};

use crate::support::{create_stack, databases, deploy, member, start};
use crate::targets::EngineProxy;

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(120);
const SECRET: &str = "tok-0xBADC0DE-secret";

fn env_of(inspect: &Value) -> Vec<String> {
    inspect["Config"]["Env"]
        .as_array()
        .unwrap_or_else(|| panic!("no Config.Env in {inspect}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_reaches_only_its_own_containers_and_never_a_secret() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    for database in databases("tenancy").await {
        let backend = database.name();
        let server = start(database).await;
        let admin = server.admin().await.unwrap();

        // A (`default`) deploys a stack whose container holds a secret and prints it.
        let name = unique_project("tenancy");
        let _guard = ProjectGuard::new(&name);
        create_stack(
            &admin,
            &name,
            &format!(
                r#"services:
  app:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "echo token=$$API_TOKEN; echo app-started; exec sleep 3600"]
    environment:
      API_TOKEN: ${{API_TOKEN}}
      MODE: "prod"
    init: true
"#
            ),
        )
        .await;
        let r = admin
            .put(
                &format!("/orgs/default/stacks/{name}/variables/API_TOKEN"),
                json!({ "value": SECRET, "secret": true }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        let (status, queued) = deploy(&admin, &name, None).await;
        assert_eq!(status, 201, "{queued}");
        let done = admin
            .wait_deployment("default", queued["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(done["state"], "succeeded", "{backend}: {done}");
        let containers = list_project_containers(&docker, &name).await.unwrap();
        assert_eq!(containers.len(), 1);
        let container_id = containers[0].id.clone().unwrap();
        let container_name = containers[0].names.as_ref().unwrap()[0]
            .trim_start_matches('/')
            .to_string();
        let started_at = || async {
            let inspect = docker
                .inspect_container(&container_id, None::<InspectContainerOptions>)
                .await
                .unwrap();
            let state = inspect.state.unwrap();
            (state.running, state.started_at)
        };
        let before = started_at().await;
        assert_eq!(before.0, Some(true), "{before:?}");
        // The process printed the secret (the engine really holds it).
        for _ in 0..50 {
            let logs = admin
                .get(&format!(
                    "/orgs/default/targets/local/containers/{container_id}/logs?tail=20"
                ))
                .await
                .unwrap();
            if logs.text.contains("app-started") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // Organization B and its owner (not a server administrator); A's viewer and operator.
        let r = admin.post("/orgs", json!({ "slug": "b" })).await.unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let b_owner = member(&server, &admin, "b-owner", "b", "owner").await;
        let a_viewer = member(&server, &admin, "a-viewer", "default", "viewer").await;
        let a_operator = member(&server, &admin, "a-operator", "default", "operator").await;

        // B's owner may not register the server's own socket, shared or not.
        for body in [
            json!({ "name": "tb", "endpoint": "unix:///var/run/docker.sock" }),
            json!({ "name": "tb", "kind": "swarm", "endpoint": "unix:///var/run/docker.sock" }),
            json!({ "name": "tb", "endpoint": "unix:///var/run/docker.sock", "shared": true }),
        ] {
            let r = b_owner.post("/orgs/b/targets", body.clone()).await.unwrap();
            assert_eq!(r.status, 403, "{body}: {}", r.text);
            let detail = r.body["detail"].as_str().unwrap();
            assert!(
                detail.contains("server administrators") && detail.contains("unix://"),
                "{detail}"
            );
        }
        // Nor reach the same engine another way (here TCP): the engine is A's.
        let proxy = EngineProxy::start().await;
        let r = b_owner
            .post(
                "/orgs/b/targets",
                json!({ "name": "tb", "endpoint": format!("tcp://127.0.0.1:{}", proxy.port) }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(
            r.body["detail"],
            "this engine is already registered by another organization; a server administrator can share it",
            "B's owner is not told whose engine it is"
        );
        assert_eq!(b_owner.get("/orgs/b/targets/tb").await.unwrap().status, 404);

        // A server administrator registering it for B without sharing: 409, naming A's target.
        let r = admin
            .post(
                "/orgs/b/targets",
                json!({ "name": "tb", "endpoint": "unix:///var/run/docker.sock" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("organization default's target local"),
            "{}",
            r.text
        );
        assert_eq!(b_owner.get("/orgs/b/targets/tb").await.unwrap().status, 404);
        // Sharing is the administrator's alone.
        let r = admin
            .post(
                "/orgs/b/targets",
                json!({ "name": "tb", "endpoint": "unix:///var/run/docker.sock", "shared": true }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["shared"], true, "{}", r.text);
        let r = b_owner
            .patch("/orgs/b/targets/tb", json!({ "shared": false }))
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text);
        let audit = admin.get("/orgs/b/audit?action=target.").await.unwrap();
        assert!(audit.text.contains("\"shared\":true"), "{}", audit.text);

        // On the shared engine B sees none of A's containers, networks or volumes.
        let inventory = b_owner.get("/orgs/b/targets/tb/inventory").await.unwrap();
        assert_eq!(inventory.status, 200, "{}", inventory.text);
        assert!(
            inventory.body["containers"].as_array().unwrap().is_empty(),
            "{}",
            inventory.text
        );
        assert!(!inventory.text.contains(&name), "{}", inventory.text);
        assert!(
            !inventory.text.contains(&container_id),
            "{}",
            inventory.text
        );
        let stats = b_owner.get("/orgs/b/targets/tb/stats").await.unwrap();
        assert_eq!(stats.status, 200, "{}", stats.text);
        assert!(!stats.text.contains(&container_id), "{}", stats.text);
        // …while A's own inventory lists it.
        let own = admin
            .get("/orgs/default/targets/local/inventory")
            .await
            .unwrap();
        assert!(own.text.contains(&container_id), "{}", own.text);

        // B's inspect, logs, restart and stop of A's container: 404, as for a missing one.
        let missing = b_owner
            .get("/orgs/b/targets/tb/containers/zz-missing")
            .await
            .unwrap();
        assert_eq!(missing.status, 404, "{}", missing.text);
        for reference in [container_id.as_str(), container_name.as_str()] {
            let base = format!("/orgs/b/targets/tb/containers/{reference}");
            let r = b_owner.get(&base).await.unwrap();
            assert_eq!(r.status, 404, "{}", r.text);
            assert_eq!(
                r.body["detail"],
                format!("container {reference} on tb not found"),
                "{}",
                r.text
            );
            assert!(!r.text.contains(SECRET));
            let r = b_owner.get(&format!("{base}/logs?tail=50")).await.unwrap();
            assert_eq!(r.status, 404, "{}", r.text);
            assert!(!r.text.contains(SECRET));
            for action in ["restart", "stop"] {
                let r = b_owner
                    .post(&format!("{base}/{action}"), json!({}))
                    .await
                    .unwrap();
                assert_eq!(r.status, 404, "{action}: {}", r.text);
            }
        }
        let r = b_owner
            .get(&format!("/orgs/b/stacks/{name}/logs?target=tb&tail=50"))
            .await
            .unwrap();
        assert_eq!(r.status, 404, "{}", r.text);
        // A's container runs on, never restarted.
        assert_eq!(started_at().await, before, "{backend}");

        // A's viewer: environment names only, no secret anywhere.
        let path = format!("/orgs/default/targets/local/containers/{container_id}");
        let r = a_viewer.get(&path).await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(!r.text.contains(SECRET), "{}", r.text);
        let env = env_of(&r.body);
        assert!(env.contains(&"API_TOKEN=••••••".to_string()), "{env:?}");
        assert!(env.contains(&"MODE=••••••".to_string()), "{env:?}");
        assert!(env.iter().all(|e| e.ends_with("=••••••")), "{env:?}");
        // A's operator: values, except the secret's.
        let r = a_operator.get(&path).await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(!r.text.contains(SECRET), "{}", r.text);
        let env = env_of(&r.body);
        assert!(env.contains(&"API_TOKEN=••••••".to_string()), "{env:?}");
        assert!(env.contains(&"MODE=prod".to_string()), "{env:?}");

        // The logs endpoints show the secret masked.
        for (who, api) in [("viewer", &a_viewer), ("operator", &a_operator)] {
            for logs in [
                format!("{path}/logs?tail=50"),
                format!("/orgs/default/stacks/{name}/logs?target=local&tail=50"),
            ] {
                let r = api.get(&logs).await.unwrap();
                assert_eq!(r.status, 200, "{who} {logs}: {}", r.text);
                assert!(r.text.contains("token=******"), "{who} {logs}: {}", r.text);
                assert!(!r.text.contains(SECRET), "{who} {logs}: {}", r.text);
            }
        }

        // An endpoint that reaches A's engine only later (a re-pointed address) cannot be
        // deployed onto: the engine is asked who it is before every deployment.
        let port = free_port();
        let r = b_owner
            .post(
                "/orgs/b/targets",
                json!({ "name": "later", "endpoint": format!("tcp://127.0.0.1:{port}") }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "nothing answers there yet: {}", r.text);
        let _repointed = EngineProxy::start_on(port).await;
        let b_stack = unique_project("tenancy-b");
        let _b_guard = ProjectGuard::new(&b_stack);
        let r = b_owner
            .post(
                "/orgs/b/stacks",
                json!({ "name": b_stack, "content": format!("services:\n  x:\n    image: {TEST_IMAGE}\n    command: [\"sleep\", \"3600\"]\n") }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let r = b_owner
            .post(
                "/orgs/b/deployments",
                json!({ "stack": b_stack, "target": "later" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let refused = b_owner
            .wait_deployment("b", r.body["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(refused["state"], "failed", "{refused}");
        assert!(
            refused["error"]
                .as_str()
                .unwrap()
                .contains("already registered by another organization"),
            "{refused}"
        );
        assert!(
            list_project_containers(&docker, &b_stack)
                .await
                .unwrap()
                .is_empty()
        );
        let r = b_owner
            .get("/orgs/b/targets/later/inventory")
            .await
            .unwrap();
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(started_at().await, before, "{backend}");
    }
}
