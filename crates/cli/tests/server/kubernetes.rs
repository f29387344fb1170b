//! A `kubernetes` target through the API (SQLite) on the real single-node cluster: registered
//! with a kubeconfig (stored sealed, never returned), checked (the cluster's version and its
//! identity as the engine id), a stack deployed through the API into its own namespace and
//! checked through the API server, its workloads and pods listed with a pod's log, a plan
//! preview of an unchanged stack that changes nothing, then a `remove` deployment.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use kube::{Client, Config};
use serde_json::json;
use windflow_testkit::kube::{BUSYBOX, kubeconfig_or_skip};
use windflow_testkit::server::Database;
use windflow_testkit::unique_project;

use crate::support::{create_stack, start};

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kubernetes_target_deploys_lists_workloads_and_removes() {
    let Some(kubeconfig) = kubeconfig_or_skip() else {
        return;
    };
    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    let server = start(Database::Sqlite).await;
    let api = server.admin().await.unwrap();

    let created = api
        .post(
            "/orgs/default/targets",
            json!({ "name": "cluster", "kind": "kubernetes", "endpoint": "",
                    "kubernetes": { "kubeconfig": text } }),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "up", "{}", created.text);
    assert_eq!(created.body["endpoint"], "https://127.0.0.1:16443");
    assert_eq!(created.body["info"]["os"], "kubernetes", "{}", created.text);
    assert!(
        created.body["info"]["version"]
            .as_str()
            .unwrap()
            .starts_with("v1."),
        "{}",
        created.text
    );
    assert!(
        created.body["info"]["engine_id"]
            .as_str()
            .unwrap()
            .starts_with("kubernetes:"),
        "{}",
        created.text
    );
    // The kubeconfig holds the cluster's credentials: never shown again.
    let key_marker = "client-key-data";
    assert!(text.contains(key_marker));
    let shown = api.get("/orgs/default/targets/cluster").await.unwrap();
    assert!(!shown.text.contains(key_marker), "{}", shown.text);
    assert!(!created.text.contains(key_marker), "{}", created.text);
    assert_eq!(shown.body["has_client_key"], true, "{}", shown.text);
    // A kubeconfig that would run a command or read a file on the server is refused.
    for (field, user) in [
        (
            "exec",
            "{exec: {apiVersion: client.authentication.k8s.io/v1, command: touch, args: [/tmp/windflow-pwned]}}",
        ),
        (
            "client-key",
            "{client-certificate: /etc/hostname, client-key: /etc/shadow}",
        ),
    ] {
        let hostile = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: https://127.0.0.1:16443}}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {user}\n"
        );
        let refused = api
            .post(
                "/orgs/default/targets",
                json!({ "name": "hostile", "kind": "kubernetes", "endpoint": "",
                        "kubernetes": { "kubeconfig": hostile } }),
            )
            .await
            .unwrap();
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(refused.text.contains(field), "{}", refused.text);
    }
    assert!(!std::path::Path::new("/tmp/windflow-pwned").exists());
    // A cluster is one organization's: not even a server administrator shares it.
    let shared = api
        .patch("/orgs/default/targets/cluster", json!({ "shared": true }))
        .await
        .unwrap();
    assert_eq!(shared.status, 422, "{}", shared.text);
    assert!(
        shared.text.contains("belongs to one organization"),
        "{}",
        shared.text
    );
    // Another organization registering the same cluster (its identity, whatever the
    // credentials) is refused: it is this organization's.
    let org = api
        .post("/orgs", json!({ "slug": "other-k8s" }))
        .await
        .unwrap();
    assert_eq!(org.status, 201, "{}", org.text);
    let again = api
        .post(
            "/orgs/other-k8s/targets",
            json!({ "name": "same", "kind": "kubernetes", "endpoint": "",
                    "kubernetes": { "kubeconfig": text } }),
        )
        .await
        .unwrap();
    assert_eq!(again.status, 409, "{}", again.text);
    // A cluster has no Docker engine: the container views say where to look instead.
    let containers = api
        .get("/orgs/default/targets/cluster/inventory")
        .await
        .unwrap();
    assert_eq!(containers.status, 422, "{}", containers.text);
    assert!(
        containers.text.contains("kubernetes target"),
        "{}",
        containers.text
    );
    // And a docker target has no cluster view.
    let refused = api
        .get("/orgs/default/targets/local/kubernetes")
        .await
        .unwrap();
    assert_eq!(refused.status, 422, "{}", refused.text);

    let stack = unique_project("srvkube");
    let content = format!(
        r#"
services:
  web:
    image: {BUSYBOX}
    pull_policy: never
    entrypoint: ["sh", "-c"]
    command: ["echo hello from the cluster; mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"]
    stop_grace_period: 1s
    ports: ["8080"]
    deploy:
      replicas: 2
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 1s
      retries: 3
"#
    );
    create_stack(&api, &stack, &content).await;
    let queued = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": stack, "target": "cluster" }),
        )
        .await
        .unwrap();
    assert_eq!(queued.status, 201, "{}", queued.text);
    let id = queued.body["id"].as_str().unwrap().to_string();
    let done = api
        .wait_deployment("default", &id, DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());

    // What the cluster runs: the Deployment in the stack's own namespace, ready.
    let file = kube::config::Kubeconfig::read_from(&kubeconfig).unwrap();
    let config = Config::from_custom_kubeconfig(file, &Default::default())
        .await
        .unwrap();
    let client = Client::try_from(config).unwrap();
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &stack);
    let web = deployments.get("web").await.unwrap();
    assert_eq!(web.status.unwrap().ready_replicas, Some(2));

    // The target's view: the stack, its workload and pods; a pod's log.
    let view = api
        .get("/orgs/default/targets/cluster/kubernetes")
        .await
        .unwrap();
    assert_eq!(view.status, 200, "{}", view.text);
    let ours = view
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stack"] == stack.as_str())
        .unwrap_or_else(|| panic!("{}", view.text))
        .clone();
    assert_eq!(ours["namespace"], stack.as_str());
    let workload = &ours["workloads"][0];
    assert_eq!(workload["kind"], "deployment");
    assert_eq!(workload["ready"], 2);
    let pod = workload["pods"][0]["name"].as_str().unwrap().to_string();
    let log = api
        .get(&format!(
            "/orgs/default/targets/cluster/kubernetes/namespaces/{stack}/pods/{pod}/log?tail=20"
        ))
        .await
        .unwrap();
    assert_eq!(log.status, 200, "{}", log.text);
    assert!(log.text.contains("hello from the cluster"), "{}", log.text);
    // Not a window on the cluster: a system pod is not WindFlow's to show.
    let system = api
        .get("/orgs/default/targets/cluster/kubernetes/namespaces/kube-system/pods/anything/log")
        .await
        .unwrap();
    assert_eq!(system.status, 404, "{}", system.text);

    // The console: the cluster added through the dialog, its page listing this stack and a
    // pod's log, in Chromium.
    console(&server, &kubeconfig, &stack).await;

    // An unchanged stack plans nothing.
    let preview = api
        .post(
            &format!("/orgs/default/stacks/{stack}/plan"),
            json!({ "target": "cluster" }),
        )
        .await
        .unwrap();
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert_eq!(preview.body["unchanged"], true, "{}", preview.text);

    // Removing the stack removes its objects.
    let removed = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": stack, "target": "cluster", "kind": "remove" }),
        )
        .await
        .unwrap();
    assert_eq!(removed.status, 201, "{}", removed.text);
    let id = removed.body["id"].as_str().unwrap().to_string();
    let done = api
        .wait_deployment("default", &id, DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());
    assert!(deployments.get_opt("web").await.unwrap().is_none());
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client);
    let _ = namespaces.delete(&stack, &Default::default()).await;
}

/// `web/e2e/kubernetes.mjs` against this server (Debian's Chromium, playwright-core).
async fn console(
    server: &windflow_testkit::server::Server,
    kubeconfig: &std::path::Path,
    stack: &str,
) {
    let _browser = crate::BROWSER_TURN.lock().await;
    crate::support::run_e2e(
        server,
        "kubernetes.mjs",
        &[
            ("WINDFLOW_KUBECONFIG", kubeconfig.display().to_string()),
            ("WINDFLOW_STACK", stack.to_string()),
        ],
    )
    .await
    .unwrap_or_else(|e| panic!("the kubernetes console e2e failed: {e}"));
}
