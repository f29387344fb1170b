//! The stack lifecycle against a real Docker engine: deploy a multi-service stack and check
//! what the engine really runs, then redeploy unchanged, change one service, scale, fail a
//! healthcheck and get the previous version back, roll back on request, and take it down.

mod common;

use std::time::Duration;

use bollard::models::{NetworkCreateRequest, RestartPolicyNameEnum};
use common::Scratch;
use windflow_testkit::{TEST_IMAGE, free_port, http_get};

const STACK: &str = r#"
services:
  seed:
    image: ${IMAGE}
    command: ["sh", "-c", "echo seeded-by-init > /data/seed"]
    volumes:
      - data:/data
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 100000"]
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 500ms
      timeout: 2s
      retries: 10
    networks: [backend]
  web:
    image: ${IMAGE}
    command:
      - sh
      - -c
      - mkdir -p /www && echo "hello $$GREETING" > /www/index.html && cp /data/seed /www/seed && exec httpd -f -p 8080 -h /www
    init: true
    environment:
      GREETING: ${GREETING:-world}
      LIST_STYLE: "yes"
    ports:
      - "127.0.0.1:${WEB_PORT}:8080"
    volumes:
      - type: volume
        source: data
        target: /data
        read_only: true
    labels:
      team: storefront
    restart: unless-stopped
    depends_on:
      seed:
        condition: service_completed_successfully
      db:
        condition: service_healthy
    networks:
      default:
      backend:
        aliases: [frontend]
      shared:
    deploy:
      resources:
        limits:
          cpus: "0.5"
          memory: 64m
  worker:
    image: ${IMAGE}
    command: ["sleep", "100000"]
    init: true
    stop_grace_period: 2s
    deploy:
      replicas: ${WORKERS:-2}
    networks: [backend]
networks:
  backend:
    internal: true
  shared:
    external: true
    name: ${SHARED_NET}
volumes:
  data: {}
"#;

struct Env {
    port: u16,
    shared: String,
}

fn env_file(s: &Scratch, env: &Env, extra: &str) {
    s.write(
        ".env",
        &format!(
            "IMAGE={TEST_IMAGE}\nWEB_PORT={}\nSHARED_NET={}\n{extra}",
            env.port, env.shared
        ),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stack_lifecycle_on_a_real_engine() {
    let s = Scratch::new("lifecycle").await;
    let p = s.project().to_string();
    let env = Env {
        port: free_port(),
        shared: format!("{p}-shared"),
    };
    // An external network that the stack joins but does not own.
    s.docker
        .create_network(NetworkCreateRequest {
            name: env.shared.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    s.write("compose.yml", STACK);
    env_file(&s, &env, "");

    // Plan first: nothing is changed by planning.
    let plan = s.windflow(&["plan"]).ok();
    assert!(
        plan.stdout.contains(&format!("+ create {p}-web-1")),
        "{}",
        plan.stdout
    );
    assert!(
        s.container_names().await.is_empty(),
        "plan must not create anything"
    );

    // Deploy.
    s.windflow(&["up"]).ok();
    let mut expected = vec![
        format!("{p}-db-1"),
        format!("{p}-seed-1"),
        format!("{p}-web-1"),
        format!("{p}-worker-1"),
        format!("{p}-worker-2"),
    ];
    expected.sort();
    assert_eq!(s.container_names().await, expected);

    // The web answers, with content the init job wrote into the shared volume first.
    let url = format!("http://127.0.0.1:{}", env.port);
    let (status, body) = http_get(&format!("{url}/"), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!((status, body.trim()), (200, "hello world"));
    let (_, seed) = http_get(&format!("{url}/seed"), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(seed.trim(), "seeded-by-init");

    // The container's real configuration, as the engine reports it.
    let web = s.inspect(&format!("{p}-web-1")).await;
    let config = web.config.clone().unwrap();
    let env_vars = config.env.unwrap();
    assert!(
        env_vars.contains(&"GREETING=world".to_string()),
        "{env_vars:?}"
    );
    assert!(env_vars.contains(&"LIST_STYLE=yes".to_string()));
    let labels = config.labels.unwrap();
    assert_eq!(labels["com.docker.compose.project"], p);
    assert_eq!(labels["com.docker.compose.service"], "web");
    assert_eq!(labels["com.docker.compose.container-number"], "1");
    assert_eq!(labels["team"], "storefront");
    assert!(labels.contains_key("com.docker.compose.config-hash"));
    let host = web.host_config.clone().unwrap();
    assert_eq!(host.nano_cpus, Some(500_000_000));
    assert_eq!(host.memory, Some(64 * 1024 * 1024));
    assert_eq!(
        host.restart_policy.unwrap().name,
        Some(RestartPolicyNameEnum::UNLESS_STOPPED)
    );
    assert_eq!(host.init, Some(true));
    let bindings = host.port_bindings.unwrap();
    let binding = &bindings["8080/tcp"].as_ref().unwrap()[0];
    assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        binding.host_port.as_deref(),
        Some(env.port.to_string().as_str())
    );
    let mounts = web.mounts.clone().unwrap();
    let data = mounts
        .iter()
        .find(|m| m.destination.as_deref() == Some("/data"))
        .unwrap();
    assert_eq!(data.typ.as_deref(), Some("volume"));
    assert_eq!(data.name.as_deref(), Some(format!("{p}_data").as_str()));
    assert_eq!(data.rw, Some(false));
    let networks = web.network_settings.clone().unwrap().networks.unwrap();
    let mut joined: Vec<&String> = networks.keys().collect();
    joined.sort();
    assert_eq!(
        joined,
        [
            &format!("{p}-shared"),
            &format!("{p}_backend"),
            &format!("{p}_default")
        ]
    );
    let backend_aliases = networks[&format!("{p}_backend")].aliases.clone().unwrap();
    assert!(
        backend_aliases.contains(&"frontend".to_string())
            && backend_aliases.contains(&"web".to_string())
    );
    // The internal network is internal; the stack's networks carry compose's labels.
    let backend = s
        .docker
        .inspect_network(
            &format!("{p}_backend"),
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
        .unwrap();
    assert_eq!(backend.internal, Some(true));
    assert_eq!(
        backend.labels.unwrap()["com.docker.compose.network"],
        "backend"
    );
    // The init job ran to completion; the healthy-gated db is healthy.
    let seed = s.inspect(&format!("{p}-seed-1")).await.state.unwrap();
    assert_eq!(seed.exit_code, Some(0));
    let db = s.inspect(&format!("{p}-db-1")).await.state.unwrap();
    assert_eq!(
        db.health.unwrap().status.map(|s| s.to_string()).as_deref(),
        Some("healthy")
    );

    let before = s.ids(&expected).await;

    // Unchanged: nothing planned, the same containers.
    let again = s.windflow(&["up"]).ok();
    assert!(again.stdout.contains("is up to date"), "{}", again.stdout);
    assert_eq!(s.ids(&expected).await, before);

    // Change one service: only it is recreated.
    env_file(&s, &env, "GREETING=there\n");
    let changed = s.windflow(&["up"]).ok();
    assert!(changed.stdout.contains("version 2"), "{}", changed.stdout);
    let after = s.ids(&expected).await;
    for (name, id) in &after {
        if name.ends_with("-web-1") {
            assert_ne!(id, &before[name], "web must be recreated");
        } else {
            assert_eq!(id, &before[name], "{name} must be kept");
        }
    }
    let (_, body) = http_get(&format!("{url}/"), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(body.trim(), "hello there");

    // Scale the worker up, then down: existing replicas are kept.
    env_file(&s, &env, "GREETING=there\nWORKERS=3\n");
    s.windflow(&["up"]).ok();
    assert!(s.container_names().await.contains(&format!("{p}-worker-3")));
    assert_eq!(
        s.id_of(&format!("{p}-worker-1")).await,
        before[&format!("{p}-worker-1")]
    );
    env_file(&s, &env, "GREETING=there\nWORKERS=1\n");
    s.windflow(&["up"]).ok();
    let names = s.container_names().await;
    assert!(
        names.contains(&format!("{p}-worker-1")) && !names.contains(&format!("{p}-worker-2")),
        "{names:?}"
    );

    // A version whose healthcheck fails: the deployment fails, the previous web keeps serving.
    let web_before_failure = s.id_of(&format!("{p}-web-1")).await;
    let broken = STACK.replace(
        "    restart: unless-stopped\n",
        "    restart: unless-stopped\n    healthcheck:\n      test: [\"CMD\", \"false\"]\n      interval: 300ms\n      retries: 2\n",
    );
    s.write("compose.yml", &broken);
    env_file(&s, &env, "GREETING=broken\nWORKERS=1\n");
    let failed = s.windflow(&["up"]);
    assert_eq!(
        failed.code, 5,
        "stdout:\n{}\nstderr:\n{}",
        failed.stdout, failed.stderr
    );
    assert!(failed.stderr.contains("is unhealthy"), "{}", failed.stderr);
    assert!(
        failed.stderr.contains(&format!("restored {p}-web-1")),
        "{}",
        failed.stderr
    );
    assert_eq!(
        s.id_of(&format!("{p}-web-1")).await,
        web_before_failure,
        "the previous container is back"
    );
    let (_, body) = http_get(&format!("{url}/"), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(body.trim(), "hello there");
    assert_eq!(
        s.container_names()
            .await
            .iter()
            .filter(|n| n.contains("web"))
            .count(),
        1,
        "no leftover of the failed version"
    );

    // History, then an explicit rollback to the version before the current one (2 workers).
    let history = s.windflow(&["history"]).ok();
    assert!(
        history.stdout.contains("failed (restored)"),
        "{}",
        history.stdout
    );
    let rolled = s.windflow(&["rollback"]).ok();
    assert!(
        rolled.stdout.contains("rolled back to v3"),
        "{}",
        rolled.stdout
    );
    let names = s.container_names().await;
    assert!(
        names.contains(&format!("{p}-worker-3")),
        "v3 had three workers: {names:?}"
    );

    // ps and logs read the stack by its labels.
    let ps = s.windflow(&["--output", "json", "ps"]).ok();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&ps.stdout).unwrap();
    assert!(
        rows.iter()
            .any(|r| r["service"] == "web" && r["state"] == "running")
    );
    let logs = s.windflow(&["logs", "seed"]).ok();
    assert!(
        logs.stdout.is_empty() || logs.stdout.contains("seed-1 |"),
        "{}",
        logs.stdout
    );

    // Down without the file: containers and owned networks go, the external one stays.
    std::fs::remove_file(s.dir.join("compose.yml")).unwrap();
    s.windflow(&["down", "-v"]).ok();
    assert!(s.container_names().await.is_empty());
    let nets = s
        .docker
        .list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
        .await
        .unwrap();
    let names: Vec<String> = nets.into_iter().filter_map(|n| n.name).collect();
    assert!(
        !names.iter().any(|n| n.starts_with(&format!("{p}_"))),
        "{names:?}"
    );
    assert!(names.contains(&env.shared));
    let volumes = s
        .docker
        .list_volumes(None::<bollard::query_parameters::ListVolumesOptions>)
        .await
        .unwrap();
    assert!(
        !volumes
            .volumes
            .unwrap_or_default()
            .iter()
            .any(|v| v.name == format!("{p}_data"))
    );
    s.docker.remove_network(&env.shared).await.unwrap();
}
