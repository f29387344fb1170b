//! One service using most of compose's container fields, deployed for real: every field is read
//! back from the engine's own view of the container (`docker inspect`), and the secret and
//! config files are read from inside the running container.

mod common;

use common::Scratch;
use windflow_testkit::TEST_IMAGE;

const STACK: &str = r#"
services:
  app:
    image: ${IMAGE}
    entrypoint: ["sh", "-c"]
    command: ["cat /run/secrets/token /etc/app.conf; echo user=$$(id -u); exec sleep 100000"]
    user: "65534:65534"
    working_dir: /tmp
    hostname: app-host
    domainname: example.internal
    env_file: [app.env]
    environment:
      - FROM_LIST=1
    cap_drop: [NET_RAW]
    cap_add: [SYS_TIME]
    read_only: true
    tmpfs:
      - /run/scratch:size=1m
    stop_signal: SIGUSR1
    stop_grace_period: 7s
    ulimits:
      nofile:
        soft: 1024
        hard: 2048
      nproc: 512
    sysctls:
      net.core.somaxconn: 1024
    extra_hosts:
      - "db.internal:10.0.0.5"
    dns: [127.0.0.1]
    dns_search: example.internal
    logging:
      driver: json-file
      options:
        max-size: 1m
        max-file: "2"
    shm_size: 32m
    expose: ["9000"]
    ports:
      - target: 80
        published: "${PORT}"
        host_ip: 127.0.0.1
        protocol: udp
    healthcheck:
      test: ["CMD-SHELL", "true"]
      interval: 2s
      timeout: 1s
      retries: 4
      start_period: 1s
    secrets:
      - token
    configs:
      - source: app
        target: /etc/app.conf
    deploy:
      resources:
        limits:
          cpus: "0.25"
          memory: 32m
          pids: 64
        reservations:
          memory: 16m
secrets:
  token:
    file: ./token.txt
configs:
  app:
    content: |
      setting=from-inline-config
"#;

#[tokio::test(flavor = "multi_thread")]
async fn every_field_reaches_the_engine() {
    let s = Scratch::new("fields").await;
    let port = windflow_testkit::free_port();
    s.write("compose.yml", STACK);
    s.write(".env", &format!("IMAGE={TEST_IMAGE}\nPORT={port}\n"));
    s.write("app.env", "FROM_FILE=yes\n# a comment\nQUOTED=\"a b\"\n");
    s.write("token.txt", "s3cret-token\n");
    s.windflow(&["up"]).ok();

    let c = s.inspect(&format!("{}-app-1", s.project())).await;
    let config = c.config.unwrap();
    let host = c.host_config.unwrap();
    assert_eq!(config.entrypoint.unwrap(), ["sh", "-c"]);
    assert_eq!(config.user.as_deref(), Some("65534:65534"));
    assert_eq!(config.working_dir.as_deref(), Some("/tmp"));
    assert_eq!(config.hostname.as_deref(), Some("app-host"));
    assert_eq!(config.domainname.as_deref(), Some("example.internal"));
    let env = config.env.unwrap();
    for expected in ["FROM_FILE=yes", "QUOTED=a b", "FROM_LIST=1"] {
        assert!(env.contains(&expected.to_string()), "{expected} in {env:?}");
    }
    assert_eq!(config.stop_signal.as_deref(), Some("SIGUSR1"));
    assert_eq!(config.stop_timeout, Some(7));
    let exposed = config.exposed_ports.unwrap();
    assert!(
        exposed.contains(&"9000/tcp".to_string()) && exposed.contains(&"80/udp".to_string()),
        "{exposed:?}"
    );
    let health = config.healthcheck.unwrap();
    assert_eq!(health.test.unwrap(), ["CMD-SHELL", "true"]);
    assert_eq!(
        (
            health.interval,
            health.timeout,
            health.retries,
            health.start_period
        ),
        (
            Some(2_000_000_000),
            Some(1_000_000_000),
            Some(4),
            Some(1_000_000_000)
        )
    );

    assert_eq!(host.cap_drop.unwrap(), ["NET_RAW"]);
    assert_eq!(host.cap_add.unwrap(), ["SYS_TIME"]);
    assert_eq!(host.readonly_rootfs, Some(true));
    assert_eq!(host.tmpfs.unwrap()["/run/scratch"], "size=1m");
    let mut ulimits: Vec<(String, i64, i64)> = host
        .ulimits
        .unwrap()
        .into_iter()
        .map(|u| (u.name.unwrap(), u.soft.unwrap(), u.hard.unwrap()))
        .collect();
    ulimits.sort();
    assert_eq!(
        ulimits,
        [("nofile".into(), 1024, 2048), ("nproc".into(), 512, 512)]
    );
    assert_eq!(host.sysctls.unwrap()["net.core.somaxconn"], "1024");
    assert_eq!(host.extra_hosts.unwrap(), ["db.internal:10.0.0.5"]);
    assert_eq!(host.dns.unwrap(), ["127.0.0.1"]);
    assert_eq!(host.dns_search.unwrap(), ["example.internal"]);
    let log = host.log_config.unwrap();
    assert_eq!(log.typ.as_deref(), Some("json-file"));
    assert_eq!(log.config.unwrap()["max-size"], "1m");
    assert_eq!(host.shm_size, Some(32 * 1024 * 1024));
    assert_eq!(host.nano_cpus, Some(250_000_000));
    assert_eq!(host.memory, Some(32 * 1024 * 1024));
    assert_eq!(host.memory_reservation, Some(16 * 1024 * 1024));
    assert_eq!(host.pids_limit, Some(64));
    let binding = &host.port_bindings.unwrap()["80/udp"].clone().unwrap()[0];
    assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(binding.host_port, Some(port.to_string()));

    // The secret is a read-only bind of the file; the inline config was written in.
    let mounts = c.mounts.unwrap();
    let secret = mounts
        .iter()
        .find(|m| m.destination.as_deref() == Some("/run/secrets/token"))
        .unwrap();
    assert_eq!(secret.rw, Some(false));
    let mut logs = String::new();
    for _ in 0..50 {
        logs = s.windflow(&["logs", "--no-log-prefix"]).ok().stdout;
        if logs.contains("user=") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(logs.contains("s3cret-token"), "{logs}");
    assert!(logs.contains("setting=from-inline-config"), "{logs}");
    assert!(logs.contains("user=65534"), "{logs}");

    // `config` shows the normalized stack; the secret's value is not in it.
    let normalized = s.windflow(&["config"]).ok().stdout;
    assert!(normalized.contains("stop_grace_period: 7s"), "{normalized}");
    assert!(!normalized.contains("s3cret-token"));
    s.windflow(&["down"]).ok();
}

const SHARED: &str = r#"
services:
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "echo from-db > /data/marker; exec sleep 100001"]
    ipc: shareable
    volumes: [data:/data]
  app:
    image: ${IMAGE}
    platform: linux/amd64
    command:
      - sh
      - -c
      - >-
        echo "marker=$$(cat /data/marker)";
        echo "pid1=$$(tr '\0' ' ' < /proc/1/cmdline)";
        test -c /dev/wf-null && echo device=yes;
        echo "groups=$$(id -G)";
        nslookup database 127.0.0.11 > /tmp/dns 2>&1 && echo "dns=$$(grep -c Address /tmp/dns)";
        exec sleep 100002
    pid: service:db
    ipc: service:db
    links: ["db:database"]
    volumes_from: ["db:ro"]
    devices: ["/dev/null:/dev/wf-null:r"]
    cpu_shares: 512
    cpu_period: 100ms
    cpu_quota: 50000
    cpuset: "0"
    oom_score_adj: 200
    group_add: ["4242"]
    dns_opt: ["ndots:2"]
volumes:
  data: {}
"#;

/// The keys that join another service's container (pid, ipc, volumes_from, links) and the
/// kernel knobs reach the engine: read back with `inspect`, and seen from inside the container
/// (the other service's PID 1, its volume, its name, the device).
#[tokio::test(flavor = "multi_thread")]
async fn shared_namespaces_devices_and_tuning_reach_the_engine() {
    let s = Scratch::new("shared").await;
    s.write("compose.yml", SHARED);
    s.write(".env", &format!("IMAGE={TEST_IMAGE}\n"));
    s.windflow(&["up"]).ok();

    let db_name = format!("{}-db-1", s.project());
    let db = s.id_of(&db_name).await;
    let c = s.inspect(&format!("{}-app-1", s.project())).await;
    let host = c.host_config.unwrap();
    assert_eq!(host.pid_mode, Some(format!("container:{db}")));
    assert_eq!(host.ipc_mode, Some(format!("container:{db}")));
    assert_eq!(host.volumes_from, Some(vec![format!("{db}:ro")]));
    let device = &host.devices.unwrap()[0];
    assert_eq!(
        (
            device.path_on_host.as_deref(),
            device.path_in_container.as_deref(),
            device.cgroup_permissions.as_deref()
        ),
        (Some("/dev/null"), Some("/dev/wf-null"), Some("r"))
    );
    assert_eq!(host.cpu_shares, Some(512));
    assert_eq!(host.cpu_period, Some(100_000));
    assert_eq!(host.cpu_quota, Some(50_000));
    assert_eq!(host.cpuset_cpus.as_deref(), Some("0"));
    assert_eq!(host.oom_score_adj, Some(200));
    assert_eq!(host.group_add, Some(vec!["4242".to_string()]));
    assert_eq!(host.dns_options, Some(vec!["ndots:2".to_string()]));
    let networks = c.network_settings.unwrap().networks.unwrap();
    let links = networks[&format!("{}_default", s.project())]
        .links
        .clone()
        .unwrap_or_default();
    assert!(
        links
            .iter()
            .any(|l| l.contains(&db_name) && l.ends_with("database")),
        "{links:?}"
    );

    let mut logs = String::new();
    for _ in 0..50 {
        logs = s.windflow(&["logs", "--no-log-prefix", "app"]).ok().stdout;
        if logs.contains("dns=") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(logs.contains("marker=from-db"), "volumes_from: {logs}");
    assert!(
        logs.contains("pid1=sleep 100001"),
        "pid: service:db: {logs}"
    );
    assert!(logs.contains("device=yes"), "devices: {logs}");
    assert!(logs.contains("groups=0 4242"), "group_add: {logs}");
    assert!(logs.contains("dns="), "links resolve the alias: {logs}");
    s.windflow(&["down", "--volumes"]).ok();
}

/// As compose: waiting for the health of a service that has no healthcheck fails the
/// deployment with the reason, instead of passing once the service runs.
#[tokio::test(flavor = "multi_thread")]
async fn service_healthy_without_a_healthcheck_fails_with_the_reason() {
    let s = Scratch::new("nohealth").await;
    s.write(
        "compose.yml",
        "services:\n  db:\n    image: ${IMAGE}\n    command: [sleep, \"100000\"]\n  app:\n    image: ${IMAGE}\n    command: [sleep, \"100000\"]\n    depends_on:\n      db:\n        condition: service_healthy\n",
    );
    s.write(".env", &format!("IMAGE={TEST_IMAGE}\n"));
    let run = s.windflow(&["up"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("dependency db failed: it has no healthcheck"),
        "{}",
        run.stderr
    );
    assert!(
        s.container_names().await.is_empty(),
        "rolled back: {:?}",
        s.container_names().await
    );
}

/// A volume subpath on an engine older than API 1.45 is refused before the container is
/// created: the engine would drop the field and mount the whole volume.
#[tokio::test(flavor = "multi_thread")]
async fn a_volume_subpath_the_engine_cannot_honour_is_refused() {
    let s = Scratch::new("subpath").await;
    s.write(
        "compose.yml",
        "services:\n  app:\n    image: ${IMAGE}\n    command: [sleep, \"100000\"]\n    volumes:\n      - type: volume\n        source: data\n        target: /srv\n        volume:\n          subpath: site\nvolumes:\n  data: {}\n",
    );
    s.write(".env", &format!("IMAGE={TEST_IMAGE}\n"));
    let version = s.docker.version().await.unwrap();
    let api = version.api_version.unwrap_or_default();
    let run = s.windflow(&["up"]);
    let (major, minor) = api.split_once('.').unwrap();
    if (major.parse::<u32>().unwrap(), minor.parse::<u32>().unwrap()) >= (1, 45) {
        assert_eq!(run.code, 0, "{}", run.stderr);
        let c = s.inspect(&format!("{}-app-1", s.project())).await;
        let mount = &c.host_config.unwrap().mounts.unwrap()[0];
        assert_eq!(
            mount.volume_options.as_ref().unwrap().subpath.as_deref(),
            Some("site")
        );
    } else {
        assert_ne!(run.code, 0);
        assert!(
            run.stderr.contains("needs Engine API 1.45") && run.stderr.contains(&api),
            "{}",
            run.stderr
        );
        assert!(s.container_names().await.is_empty());
    }
    s.windflow(&["down", "--volumes"]).ok();
}

/// `platform:` selects the image variant: the engine's own runs, another one that is not
/// here is refused with what to do (never the wrong architecture silently).
#[tokio::test(flavor = "multi_thread")]
async fn a_platform_the_local_image_lacks_is_refused_with_what_to_do() {
    let s = Scratch::new("platform").await;
    s.write(
        "compose.yml",
        "services:\n  app:\n    image: ${IMAGE}\n    platform: linux/arm64\n    pull_policy: never\n    command: [sleep, \"100000\"]\n",
    );
    s.write(".env", &format!("IMAGE={TEST_IMAGE}\n"));
    let run = s.windflow(&["up"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("no linux/arm64 variant of windflow-test/busybox:latest is on this engine"),
        "{}",
        run.stderr
    );
    assert!(s.container_names().await.is_empty());
    s.windflow(&["down"]).ok();
}
