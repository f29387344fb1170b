//! `--mode kubernetes` through the real `windflow` binary against the real single-node cluster
//! (`../shared/k8s`, through `windflow_testkit::kube`), checked through the API server with
//! kube-rs: a stack with replicas, healthchecks, a named volume, a secret and a config is
//! planned, applied and Ready; the secret's value is read inside a pod (`exec`); an unchanged
//! `up` changes nothing (empty dry-run plan, same resourceVersions); a change to one service
//! rolls only its Deployment; a failing readiness probe rolls back with the pod's events while
//! the previous pods stay Ready; scaling; `down` removes exactly what WindFlow created;
//! `export` writes manifests `kubectl apply` accepts; refusals name the file and line; an
//! unreachable API server and refused credentials are clear errors.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Run, run_windflow_with};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Service,
};
use kube::api::{Api, AttachParams, DeleteParams, ListParams, PostParams};
use kube::{Client, Config};
use tokio::io::AsyncReadExt;
use windflow_testkit::kube::{BUSYBOX, kubeconfig_or_skip};

struct Cluster {
    kubeconfig: PathBuf,
    client: Client,
}

async fn cluster() -> Option<Cluster> {
    let kubeconfig = kubeconfig_or_skip()?;
    let file = kube::config::Kubeconfig::read_from(&kubeconfig).unwrap();
    let config = Config::from_custom_kubeconfig(file, &Default::default())
        .await
        .unwrap();
    let client = Client::try_from(config).unwrap();
    Some(Cluster { kubeconfig, client })
}

/// A scratch directory with a compose file, run with the cluster's kubeconfig.
struct Scratch {
    dir: PathBuf,
    project: String,
    kubeconfig: PathBuf,
}

impl Scratch {
    fn new(prefix: &str, cluster: &Cluster) -> Self {
        let project = windflow_testkit::unique_project(prefix);
        let dir = std::env::temp_dir().join(format!("windflow-kube-{project}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            dir,
            project,
            kubeconfig: cluster.kubeconfig.clone(),
        }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn windflow(&self, args: &[&str]) -> Run {
        let mut full = vec!["-p", &self.project, "--mode", "kubernetes"];
        full.extend_from_slice(args);
        run_windflow_with(
            &self.dir,
            &full,
            &[("KUBECONFIG", self.kubeconfig.as_os_str())],
        )
    }
}

/// A hostPath volume of `class` for the stack's claim (the test cluster has no provisioner,
/// as a bare cluster has none: its administrator creates volumes).
async fn volume(client: &Client, name: &str, class: &str, dir: &Path) {
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let pv: PersistentVolume = serde_json::from_value(serde_json::json!({
        "metadata": { "name": name },
        "spec": {
            "capacity": { "storage": "2Gi" },
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": class,
            "persistentVolumeReclaimPolicy": "Delete",
            "hostPath": { "path": dir.display().to_string(), "type": "DirectoryOrCreate" },
        }
    }))
    .unwrap();
    volumes.create(&PostParams::default(), &pv).await.unwrap();
}

fn stack(image: &str, version: &str, probe_port: u16, replicas: u32) -> String {
    format!(
        r#"
services:
  web:
    image: {image}
    pull_policy: never
    entrypoint: ["sh", "-c"]
    command: ["echo serving {version}; mkdir -p /www && echo {version} > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: ["8080"]
    stop_grace_period: 1s
    deploy:
      replicas: {replicas}
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:{probe_port}/"]
      interval: 1s
      timeout: 2s
      retries: 2
    secrets: [token]
    configs:
      - source: settings
        target: /etc/app/settings.conf
    depends_on:
      db:
        condition: service_healthy
  db:
    image: {image}
    pull_policy: never
    entrypoint: ["sh", "-c"]
    command: ["date >> /data/starts; exec sleep 100000"]
    stop_grace_period: 1s
    volumes: ["data:/data"]
    healthcheck:
      test: ["CMD-SHELL", "test -s /data/starts"]
      interval: 1s
      retries: 3
volumes:
  data: {{}}
secrets:
  token:
    file: ./token.txt
configs:
  settings:
    content: "mode=test"
"#
    )
}

async fn exec(client: &Client, ns: &str, pod: &str, command: &[&str]) -> String {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let mut process = pods
        .exec(
            pod,
            command.to_vec(),
            &AttachParams::default().stderr(false),
        )
        .await
        .unwrap();
    let mut out = String::new();
    process
        .stdout()
        .unwrap()
        .read_to_string(&mut out)
        .await
        .unwrap();
    process.join().await.unwrap();
    out
}

fn ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Running pods of a service (not terminating).
async fn pods(client: &Client, ns: &str, service: &str) -> Vec<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default().labels(&format!("windflow.io/service={service}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect()
}

async fn versions(client: &Client, ns: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    for d in deployments.list(&ListParams::default()).await.unwrap() {
        out.insert(
            format!("deployment/{}", d.metadata.name.unwrap()),
            d.metadata.resource_version.unwrap(),
        );
    }
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), ns);
    for d in sets.list(&ListParams::default()).await.unwrap() {
        out.insert(
            format!("statefulset/{}", d.metadata.name.unwrap()),
            d.metadata.resource_version.unwrap(),
        );
    }
    let services: Api<Service> = Api::namespaced(client.clone(), ns);
    for d in services.list(&ListParams::default()).await.unwrap() {
        out.insert(
            format!("service/{}", d.metadata.name.unwrap()),
            d.metadata.resource_version.unwrap(),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_is_planned_applied_rolled_and_rolled_back_on_a_real_cluster() {
    let Some(cluster) = cluster().await else {
        return;
    };
    let client = &cluster.client;
    let s = Scratch::new("kube", &cluster);
    let ns = s.project.clone();
    let class = format!("wf-{}", s.project);
    volume(client, &class, &class, &s.dir.join("pv")).await;
    s.write("token.txt", "s3cret-token-value");
    s.write("compose.yaml", &stack(BUSYBOX, "version-one", 8080, 2));
    let sc = ["--storage-class", class.as_str()];
    let with = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = sc.iter().map(|s| s.to_string()).collect();
        all.extend(args.iter().map(|s| s.to_string()));
        all
    };
    let run = |args: &[&str]| {
        let args = with(args);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        s.windflow(&refs)
    };

    // The plan, before anything exists, lists every object.
    let plan = run(&["plan"]).ok();
    for line in [
        format!("create namespace/{ns}"),
        format!("create statefulset/db in {ns}"),
        format!("create deployment/web in {ns}"),
        format!("create service/web in {ns}"),
        format!("create pvc/data in {ns}"),
    ] {
        assert!(plan.stdout.contains(&line), "{line}\n{}", plan.stdout);
    }

    let up = run(&["up", "--wait-timeout", "120"]).ok();
    assert!(
        up.stdout.contains(&format!(
            "{} deployed on Kubernetes as version 1",
            s.project
        )),
        "{}",
        up.stdout
    );
    // What a user checks through the API: the objects, labelled and shaped from the file.
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let web = deployments.get("web").await.unwrap();
    let spec = web.spec.as_ref().unwrap();
    assert_eq!(spec.replicas, Some(2));
    let container = &spec.template.spec.as_ref().unwrap().containers[0];
    assert_eq!(container.image.as_deref(), Some(BUSYBOX));
    let probe = container.readiness_probe.as_ref().unwrap();
    assert_eq!(
        probe.exec.as_ref().unwrap().command.as_ref().unwrap(),
        &["wget", "-q", "-O-", "http://127.0.0.1:8080/"]
    );
    assert_eq!(probe.period_seconds, Some(1));
    assert!(container.liveness_probe.is_some());
    let labels = web.metadata.labels.as_ref().unwrap();
    assert_eq!(labels["windflow.io/stack"], s.project);
    assert_eq!(labels["app.kubernetes.io/managed-by"], "windflow");
    let status = web.status.as_ref().unwrap();
    assert_eq!(status.ready_replicas, Some(2));
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), &ns);
    assert_eq!(
        sets.get("db").await.unwrap().status.unwrap().ready_replicas,
        Some(1)
    );
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    let port = &services
        .get("web")
        .await
        .unwrap()
        .spec
        .unwrap()
        .ports
        .unwrap()[0];
    assert_eq!(port.port, 8080);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns);
    let claim = claims.get("data").await.unwrap();
    assert_eq!(claim.status.unwrap().phase.as_deref(), Some("Bound"));
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let ours = secrets
        .list(&ListParams::default().labels("windflow.io/stack"))
        .await
        .unwrap();
    assert_eq!(ours.items.len(), 1);
    assert_eq!(ours.items[0].immutable, Some(true));
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    assert_eq!(
        configs
            .list(&ListParams::default().labels("windflow.io/stack"))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    // Inside a pod: the secret's value, the config, the page the service serves.
    let web_pods = pods(client, &ns, "web").await;
    assert_eq!(web_pods.len(), 2);
    assert!(web_pods.iter().all(ready));
    let pod = web_pods[0].metadata.name.clone().unwrap();
    assert_eq!(
        exec(client, &ns, &pod, &["cat", "/run/secrets/token"]).await,
        "s3cret-token-value"
    );
    assert_eq!(
        exec(client, &ns, &pod, &["cat", "/etc/app/settings.conf"]).await,
        "mode=test"
    );
    assert_eq!(
        exec(
            client,
            &ns,
            &pod,
            &["wget", "-q", "-O-", "http://127.0.0.1:8080/"]
        )
        .await,
        "version-one\n"
    );
    let logs = s.windflow(&["logs", "web"]).ok();
    assert!(
        logs.stdout.contains("serving version-one"),
        "{}",
        logs.stdout
    );
    let ps = s.windflow(&["ps"]).ok();
    assert!(
        ps.stdout.contains("deployment") && ps.stdout.contains("2/2"),
        "{}",
        ps.stdout
    );

    // Unchanged: the dry-run plan is empty and nothing is written.
    let before = versions(client, &ns).await;
    let plan = run(&["plan"]).ok();
    assert!(plan.stdout.contains("is up to date"), "{}", plan.stdout);
    let again = run(&["up"]).ok();
    assert!(again.stdout.contains("is up to date"), "{}", again.stdout);
    assert_eq!(versions(client, &ns).await, before);

    // One service changes: only its Deployment rolls.
    s.write("compose.yaml", &stack(BUSYBOX, "version-two", 8080, 2));
    let plan = run(&["plan"]).ok();
    assert_eq!(
        plan.stdout.trim(),
        format!("update deployment/web in {ns} (spec.template.spec.containers[web].args)"),
    );
    run(&["up", "--wait-timeout", "120"]).ok();
    let after = versions(client, &ns).await;
    assert_ne!(after["deployment/web"], before["deployment/web"]);
    assert_eq!(after["statefulset/db"], before["statefulset/db"]);
    assert_eq!(after["service/web"], before["service/web"]);
    let serving: Vec<Pod> = pods(client, &ns, "web").await;
    let pod = serving
        .iter()
        .find(|p| ready(p))
        .unwrap()
        .metadata
        .name
        .clone()
        .unwrap();
    assert_eq!(
        exec(
            client,
            &ns,
            &pod,
            &["wget", "-q", "-O-", "http://127.0.0.1:8080/"]
        )
        .await,
        "version-two\n"
    );

    // A readiness probe that never passes: the rollout fails with the pod's events, the
    // Deployment is put back and the version-two pods kept serving.
    let serving_before: Vec<String> = pods(client, &ns, "web")
        .await
        .iter()
        .filter(|p| ready(p))
        .map(|p| p.metadata.name.clone().unwrap())
        .collect();
    s.write("compose.yaml", &stack(BUSYBOX, "version-three", 8081, 2));
    let failed = run(&["up", "--wait-timeout", "90"]);
    assert_eq!(failed.code, 5, "{}\n{}", failed.stdout, failed.stderr);
    assert!(
        failed.stderr.contains("service web (deployment/web)")
            && failed.stderr.contains("Unhealthy:")
            && failed.stderr.contains("serving version-three")
            && failed
                .stderr
                .contains("rolled back: restored deployment/web"),
        "{}",
        failed.stderr
    );
    let web = deployments.get("web").await.unwrap();
    let args = web.spec.unwrap().template.spec.unwrap().containers[0]
        .args
        .clone()
        .unwrap();
    assert!(args[0].contains("version-two"), "{args:?}");
    for name in &serving_before {
        let pod: Api<Pod> = Api::namespaced(client.clone(), &ns);
        let p = pod.get(name).await.unwrap();
        assert!(
            ready(&p),
            "{name} stopped serving during the failed rollout"
        );
        assert!(p.metadata.deletion_timestamp.is_none());
    }
    let history = s.windflow(&["history"]).ok();
    assert!(
        history.stdout.contains("failed (restored)"),
        "{}",
        history.stdout
    );

    // Scale up, then down.
    s.write("compose.yaml", &stack(BUSYBOX, "version-two", 8080, 3));
    run(&["up", "--wait-timeout", "120"]).ok();
    assert_eq!(
        deployments
            .get("web")
            .await
            .unwrap()
            .status
            .unwrap()
            .ready_replicas,
        Some(3)
    );
    s.write("compose.yaml", &stack(BUSYBOX, "version-two", 8080, 1));
    run(&["up", "--wait-timeout", "120"]).ok();
    assert_eq!(
        deployments
            .get("web")
            .await
            .unwrap()
            .status
            .unwrap()
            .replicas,
        Some(1)
    );

    // `down` removes what WindFlow created and nothing else; `-v` the claim and namespace too,
    // unless something else lives there.
    let foreign: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "not-windflows" }, "data": { "k": "v" }
    }))
    .unwrap();
    configs
        .create(&PostParams::default(), &foreign)
        .await
        .unwrap();
    run(&["down"]).ok();
    assert!(deployments.get_opt("web").await.unwrap().is_none());
    assert!(sets.get_opt("db").await.unwrap().is_none());
    assert!(services.get_opt("web").await.unwrap().is_none());
    assert!(
        secrets
            .list(&ListParams::default().labels("windflow.io/stack"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        claims.get_opt("data").await.unwrap().is_some(),
        "down keeps volumes"
    );
    let down = run(&["down", "--volumes"]).ok();
    assert!(down.stderr.contains("is kept"), "{}", down.stderr);
    assert!(claims.get_opt("data").await.unwrap().is_none());
    assert!(configs.get_opt("not-windflows").await.unwrap().is_some());
    configs
        .delete("not-windflows", &DeleteParams::default())
        .await
        .unwrap();
    run(&["down", "--volumes"]).ok();
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let gone = namespaces
        .get_opt(&ns)
        .await
        .unwrap()
        .is_none_or(|n| n.metadata.deletion_timestamp.is_some());
    assert!(gone, "the namespace WindFlow created is deleted by down -v");
    let _ = Api::<PersistentVolume>::all(client.clone())
        .delete(&class, &DeleteParams::default())
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exported_manifests_apply_with_kubectl_semantics_and_refusals_name_file_and_line() {
    let Some(cluster) = cluster().await else {
        return;
    };
    let s = Scratch::new("kubexp", &cluster);
    s.write("token.txt", "exported-secret");
    s.write("compose.yaml", &stack(BUSYBOX, "v1", 8080, 1));
    let out = s.dir.join("manifests.yaml");
    let export = s
        .windflow(&[
            "export",
            "--format",
            "kubernetes",
            "--out",
            out.to_str().unwrap(),
        ])
        .ok();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("kind: Deployment") && text.contains("kind: StatefulSet"),
        "{text}"
    );
    // A manifest file is no place for a secret's value.
    assert!(!text.contains("ZXhwb3J0ZWQtc2VjcmV0"), "{text}");
    assert!(
        export.stderr.contains("exported without its value"),
        "{}",
        export.stderr
    );
    assert!(!text.contains("windflow.io/applied"));

    // Host-level features are refused before the cluster is contacted, at their line.
    s.write(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    network_mode: host\n    privileged: true\n    volumes:\n      - /etc:/host-etc\n",
    );
    let refused = s.windflow(&["plan"]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    for line in [
        "compose.yaml:4: services.web.network_mode: host networking",
        "compose.yaml:5: services.web.privileged:",
        "compose.yaml:7: services.web.volumes[0]: a host path (/etc)",
    ] {
        assert!(refused.stderr.contains(line), "{line}\n{}", refused.stderr);
    }
    // The host-access policy's approval translates them.
    s.write(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    network_mode: host\n",
    );
    let allowed = s
        .windflow(&["--allow-host-access", "export", "--format", "kubernetes"])
        .ok();
    assert!(
        allowed.stdout.contains("hostNetwork: true"),
        "{}",
        allowed.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_api_server_and_refused_credentials_are_clear_errors() {
    let Some(cluster) = cluster().await else {
        return;
    };
    let s = Scratch::new("kubeerr", &cluster);
    s.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    // Nothing listens on this port.
    let port = windflow_testkit::free_port();
    let dead = s.write(
        "dead.kubeconfig",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: nothing}}\n"
        ),
    );
    let run = s.windflow(&["--kubeconfig", dead.to_str().unwrap(), "plan"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "cannot reach the Kubernetes API server at https://127.0.0.1:{port}"
        )),
        "{}",
        run.stderr
    );
    // The real API server with a token it does not know.
    let real = std::fs::read_to_string(&cluster.kubeconfig).unwrap();
    let server = real
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .unwrap()
        .to_string();
    let wrong = s.write(
        "wrong.kubeconfig",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: not-a-valid-token}}\n"
        ),
    );
    let run = s.windflow(&["--kubeconfig", wrong.to_str().unwrap(), "plan"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the API server refused the credentials (401"),
        "{}",
        run.stderr
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
}
