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
