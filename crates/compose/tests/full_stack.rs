//! The rich fixture `tests/fixtures/full/compose.yml`, loaded from disk with its `.env`, and
//! compared field by field with the stack it must mean.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use windflow_compose::{LoadOptions, Loaded, load};
use windflow_domain::{
    Build, Condition, Dependency, Deploy, FileObject, FileReference, Healthcheck, Ipam, IpamPool,
    Logging, Mount, MountKind, Network, Port, PullPolicy, Resources, Service, ServiceNetwork,
    Ulimit, Volume,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/full")
}

fn load_full() -> Loaded {
    let options = LoadOptions {
        files: vec![dir().join("compose.yml")],
        profiles: vec!["jobs".into()],
        environment: map(&[("FROM_PROCESS", "from-process"), ("HOME", "/home/tester")]),
        ..LoadOptions::default()
    };
    match load(&options) {
        Ok(loaded) => loaded,
        Err(e) => panic!("fixture failed to load:\n{e}"),
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn port(target: u16, published: Option<&str>, host_ip: Option<&str>, protocol: &str) -> Port {
    Port {
        target,
        published: published.map(str::to_string),
        host_ip: host_ip.map(str::to_string),
        protocol: protocol.into(),
        name: None,
        app_protocol: None,
    }
}

fn mount(kind: MountKind, source: Option<&str>, target: &str) -> Mount {
    Mount::new(kind, source.map(str::to_string), target)
}

fn path_in(dir: &Path, rel: &str) -> String {
    dir.join(rel).to_string_lossy().into_owned()
}

#[test]
fn loads_without_warnings() {
    let loaded = load_full();
    assert_eq!(loaded.warnings, vec![]);
    let stack = &loaded.stack;
    assert_eq!(stack.name, "shop");
    assert_eq!(stack.working_dir, dir());
    assert_eq!(stack.config_files, vec![dir().join("compose.yml")]);
    // `debug` is in an inactive profile; `worker` is in the active `jobs` profile.
    assert_eq!(
        stack.services.keys().collect::<Vec<_>>(),
        ["api", "migrate", "web", "worker"]
    );
}

#[test]
fn web_service() {
    let stack = load_full().stack;
    let web = &stack.services["web"];
    let d = dir();
    let expected = Service {
        image: "nginx:1.27-alpine".into(),
        build: None,
        pull_policy: Some(PullPolicy::Always),
        command: Some(strings(&["nginx", "-g", "daemon off;"])),
        entrypoint: Some(strings(&["/docker-entrypoint.sh"])),
        environment: map(&[
            ("FROM_PROCESS", "from-process"),
            ("MODE", "production"),
            ("WEB_ONLY", "yes please"),
        ]),
        ports: vec![
            port(80, None, None, "tcp"),
            port(80, Some("8080"), None, "tcp"),
            port(443, Some("8443"), Some("127.0.0.1"), "udp"),
            port(90, Some("9000"), None, "tcp"),
            port(91, Some("9001"), None, "tcp"),
            port(53, Some("5353"), Some("::1"), "tcp"),
            port(3000, Some("3000-3005"), Some("0.0.0.0"), "tcp"),
            port(81, None, None, "tcp"),
        ],
        expose: strings(&["3000", "4000/udp"]),
        volumes: vec![
            Mount {
                read_only: true,
                ..mount(MountKind::Volume, Some("data"), "/data")
            },
            Mount {
                create_host_path: true,
                ..mount(
                    MountKind::Bind,
                    Some(&path_in(&d, "html")),
                    "/usr/share/nginx/html",
                )
            },
            Mount {
                create_host_path: true,
                selinux: Some("z".into()),
                ..mount(MountKind::Bind, Some("/etc/ssl"), "/etc/ssl")
            },
            mount(MountKind::Volume, None, "/cache"),
            Mount {
                read_only: true,
                create_host_path: true,
                propagation: Some("rprivate".into()),
                ..mount(
                    MountKind::Bind,
                    Some(&path_in(&d, "conf")),
                    "/etc/nginx/conf.d",
                )
            },
            Mount {
                nocopy: true,
                ..mount(MountKind::Volume, Some("data"), "/more")
            },
            Mount {
                tmpfs_size: Some(64 << 20),
                tmpfs_mode: Some(0o1777),
                ..mount(MountKind::Tmpfs, None, "/tmp")
            },
        ],
        tmpfs: strings(&["/run"]),
        networks: BTreeMap::from([
            (
                "front".to_string(),
                ServiceNetwork {
                    aliases: strings(&["www", "shop"]),
                    ipv4_address: Some("172.28.0.10".into()),
                    ipv6_address: None,
                    priority: Some(100),
                },
            ),
            ("back".to_string(), ServiceNetwork::default()),
        ]),
        network_mode: None,
        depends_on: BTreeMap::from([
            (
                "api".to_string(),
                Dependency {
                    condition: Condition::ServiceHealthy,
                    restart: true,
                    required: true,
                },
            ),
            (
                "migrate".to_string(),
                Dependency {
                    condition: Condition::ServiceCompletedSuccessfully,
                    restart: false,
                    required: true,
                },
            ),
            (
                "metrics".to_string(),
                Dependency {
                    condition: Condition::ServiceStarted,
                    restart: false,
                    required: false,
                },
            ),
        ]),
        healthcheck: Some(Healthcheck {
            test: strings(&["CMD-SHELL", "curl -f http://localhost || exit 1"]),
            interval: Some(Duration::from_secs(90)),
            timeout: Some(Duration::from_secs(10)),
            retries: Some(3),
            start_period: Some(Duration::from_secs(40)),
            start_interval: Some(Duration::from_secs(5)),
            disable: false,
        }),
        restart: Some("unless-stopped".into()),
        labels: map(&[("com.example.empty", ""), ("com.example.tier", "frontend")]),
        container_name: Some("shop-web".into()),
        user: Some("101:101".into()),
        working_dir: Some("/usr/share/nginx".into()),
        hostname: Some("web".into()),
        domainname: Some("example.com".into()),
        cap_add: strings(&["NET_ADMIN"]),
        cap_drop: strings(&["ALL"]),
        privileged: false,
        read_only: true,
        init: Some(true),
        tty: true,
        stdin_open: true,
        stop_grace_period: Some(Duration::from_secs(60)),
        stop_signal: Some("SIGQUIT".into()),
        ulimits: BTreeMap::from([
            (
                "nofile".to_string(),
                Ulimit {
                    soft: 20000,
                    hard: 40000,
                },
            ),
            (
                "nproc".to_string(),
                Ulimit {
                    soft: 65535,
                    hard: 65535,
                },
            ),
        ]),
        sysctls: map(&[("net.core.somaxconn", "1024")]),
        extra_hosts: strings(&[
            "somehost:162.242.195.82",
            "otherhost:50.31.209.229",
            "ipv6host:::1",
        ]),
        dns: strings(&["8.8.8.8"]),
        dns_search: strings(&["example.com", "example.org"]),
        security_opt: strings(&["no-new-privileges:true"]),
        shm_size: Some(256 << 20),
        logging: Some(Logging {
            driver: Some("json-file".into()),
            options: map(&[("max-file", "3"), ("max-size", "10m")]),
        }),
        deploy: Deploy::default(),
        secrets: vec![
            FileReference {
                source: "api_key".into(),
                target: "/run/secrets/api_key".into(),
                uid: None,
                gid: None,
                mode: None,
            },
            FileReference {
                source: "tls_cert".into(),
                target: "/run/secrets/cert.pem".into(),
                uid: Some("103".into()),
                gid: Some("103".into()),
                mode: Some(0o440),
            },
        ],
        configs: vec![
            FileReference {
                source: "nginx_conf".into(),
                target: "/nginx_conf".into(),
                uid: None,
                gid: None,
                mode: None,
            },
            FileReference {
                source: "site".into(),
                target: "/etc/nginx/site.conf".into(),
                uid: None,
                gid: None,
                mode: Some(0o444),
            },
        ],
        profiles: vec![],
        ..Service::default()
    };
    // Field by field first, for readable failures, then the whole.
    assert_eq!(web.image, expected.image);
    assert_eq!(web.command, expected.command);
    assert_eq!(web.environment, expected.environment);
    assert_eq!(web.ports, expected.ports);
    assert_eq!(web.volumes, expected.volumes);
    assert_eq!(web.networks, expected.networks);
    assert_eq!(web.depends_on, expected.depends_on);
    assert_eq!(web.healthcheck, expected.healthcheck);
    assert_eq!(web.ulimits, expected.ulimits);
    assert_eq!(web.extra_hosts, expected.extra_hosts);
    assert_eq!(web.secrets, expected.secrets);
    assert_eq!(web.configs, expected.configs);
    assert_eq!(web, &expected);
}

#[test]
fn api_service_builds_and_deploys() {
    let stack = load_full().stack;
    let api = &stack.services["api"];
    assert_eq!(
        api.image, "shop-api",
        "a build-only service gets <project>-<service>"
    );
    assert_eq!(
        api.build,
        Some(Build {
            context: dir().join("api"),
            dockerfile: "Dockerfile.prod".into(),
            args: map(&[("FROM_PROCESS", "from-process"), ("VERSION", "2.1.0")]),
            target: Some("runtime".into()),
            labels: map(&[("built.by", "windflow")]),
            no_cache: true,
            network: Some("host".into()),
            extra_hosts: map(&[("mirror", "10.0.0.5")]),
            ..Build::default()
        })
    );
    assert_eq!(
        api.environment,
        map(&[
            ("DATABASE_URL", "postgres://db/shop"),
            ("DEBUG", "false"),
            ("WORKERS", "4"),
        ])
    );
    assert_eq!(
        api.networks.keys().collect::<Vec<_>>(),
        ["back"],
        "explicit networks replace the default network"
    );
    assert_eq!(api.deploy.replicas, 3);
    assert_eq!(
        api.deploy.limits,
        Resources {
            cpus: Some(0.5),
            memory: Some(512 << 20),
            pids: Some(100),
            ..Resources::default()
        }
    );
    assert_eq!(
        api.deploy.reservations,
        Resources {
            cpus: Some(0.25),
            memory: Some(128 << 20),
            pids: None,
            ..Resources::default()
        }
    );
    let swarm = serde_json::to_value(&api.deploy.swarm).unwrap();
    assert_eq!(
        swarm,
        serde_json::json!({
            "labels": {"tier": "backend"},
            "placement": {"constraints": ["node.role == worker"]},
            "restart_policy": {"condition": "on-failure"},
            "update_config": {"delay": "10s", "parallelism": 2},
        })
    );
    assert_eq!(
        api.healthcheck.as_ref().unwrap().test,
        strings(&["CMD", "curl", "-f", "http://localhost/health"])
    );
    assert_eq!(api.restart.as_deref(), Some("on-failure:5"));
}

#[test]
fn migrate_and_worker() {
    let stack = load_full().stack;
    let migrate = &stack.services["migrate"];
    assert_eq!(migrate.network_mode.as_deref(), Some("service:api"));
    assert!(
        migrate.networks.is_empty(),
        "network_mode leaves networks empty"
    );
    assert_eq!(migrate.restart.as_deref(), Some("no"));
    assert_eq!(
        migrate.healthcheck,
        Some(Healthcheck {
            test: strings(&["NONE"]),
            disable: true,
            ..Healthcheck::default()
        })
    );
    assert!(stack.is_job("migrate"));

    let worker = &stack.services["worker"];
    assert_eq!(worker.deploy.replicas, 2, "legacy scale");
    assert_eq!(
        worker.deploy.limits,
        Resources {
            cpus: Some(1.5),
            memory: Some(1 << 30),
            pids: Some(50),
            ..Resources::default()
        }
    );
    assert_eq!(worker.deploy.reservations.memory, Some(256 << 20));
    assert_eq!(worker.profiles, strings(&["jobs"]));
    assert_eq!(
        worker.logging,
        Some(Logging {
            driver: Some("syslog".into()),
            options: BTreeMap::new(),
        })
    );
    assert_eq!(
        worker.networks.keys().collect::<Vec<_>>(),
        ["default"],
        "no networks means the default network"
    );
}

#[test]
fn top_level_objects() {
    let stack = load_full().stack;
    assert_eq!(
        stack.networks["front"],
        Network {
            name: "shop_front".into(),
            driver: Some("bridge".into()),
            driver_opts: map(&[("com.docker.network.bridge.name", "br-front")]),
            external: false,
            internal: false,
            attachable: true,
            enable_ipv6: true,
            ipam: Some(Ipam {
                driver: Some("default".into()),
                config: vec![IpamPool {
                    subnet: Some("172.28.0.0/16".into()),
                    ip_range: Some("172.28.5.0/24".into()),
                    gateway: Some("172.28.5.254".into()),
                }],
                options: map(&[("foo", "bar")]),
            }),
            labels: map(&[("com.example.net", "front")]),
        }
    );
    assert_eq!(
        stack.networks["back"],
        Network {
            name: "shop_back".into(),
            internal: true,
            ..Network::default()
        }
    );
    assert_eq!(
        stack.networks["outside"],
        Network {
            name: "outside".into(),
            external: true,
            ..Network::default()
        }
    );
    assert_eq!(
        stack.networks["legacy"],
        Network {
            name: "legacy-net".into(),
            external: true,
            ..Network::default()
        }
    );
    assert_eq!(stack.networks["named"].name, "custom-name");
    assert_eq!(
        stack.networks["default"],
        Network {
            name: "shop_default".into(),
            ..Network::default()
        },
        "the implicit default network appears because worker uses it"
    );
    assert_eq!(
        stack.volumes["data"],
        Volume {
            name: "shop_data".into(),
            driver: Some("local".into()),
            driver_opts: map(&[("device", "/srv/data"), ("o", "bind"), ("type", "none")]),
            external: false,
            labels: map(&[("backup", "daily")]),
        }
    );
    assert_eq!(
        stack.volumes["ext"],
        Volume {
            name: "prod-data".into(),
            external: true,
            ..Volume::default()
        }
    );
    assert_eq!(
        stack.secrets["api_key"],
        FileObject {
            name: "shop_api_key".into(),
            file: Some(dir().join("secrets/api_key.txt")),
            ..FileObject::default()
        }
    );
    assert_eq!(
        stack.secrets["tls_cert"],
        FileObject {
            name: "shop_tls_cert".into(),
            environment: Some("TLS_CERT".into()),
            ..FileObject::default()
        }
    );
    assert_eq!(
        stack.secrets["outside_secret"],
        FileObject {
            name: "outside_secret".into(),
            external: true,
            ..FileObject::default()
        }
    );
    assert_eq!(
        stack.configs["nginx_conf"].file,
        Some(dir().join("nginx.conf"))
    );
    assert_eq!(
        stack.configs["site"].content.as_deref(),
        Some("server { listen 80; }\n")
    );
    assert_eq!(stack.configs["shared"].name, "shared-config");
}

#[test]
fn dependency_order_follows_depends_on() {
    let stack = load_full().stack;
    let order = stack.dependency_order();
    let position = |name: &str| order.iter().position(|s| *s == name).unwrap();
    assert!(position("api") < position("web"));
    assert!(position("migrate") < position("web"));
}
