//! The service keys that change what the engine runs — devices, namespaces, links, volumes
//! from other services, GPUs, the platform, CPU and memory tuning, pull refresh — load into
//! the stack as written, imply compose-go's dependencies, and are refused with the field at
//! fault when malformed or not supported. Nothing is dropped silently.

use windflow_compose::{LoadOptions, load_from_str};
use windflow_domain::{Condition, DeviceMapping, DeviceRequest, PullPolicy, StackSpec};

fn load(yaml: &str) -> StackSpec {
    let loaded = load_from_str("compose.yaml", yaml, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("load failed:\n{e}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    loaded.stack
}

fn refused(yaml: &str) -> String {
    load_from_str("compose.yaml", yaml, &LoadOptions::default())
        .expect_err("the file must be refused")
        .to_string()
}

#[test]
fn devices_in_both_syntaxes() {
    let stack = load(
        "services:\n  app:\n    image: a\n    devices:\n      - /dev/fuse\n      - /dev/snd:/dev/audio:r\n      - source: /dev/net/tun\n        target: /dev/tun\n        permissions: rw\n      - nvidia.com/gpu=all\n",
    );
    let device = |s: &str, t: &str, p: &str| DeviceMapping {
        source: s.into(),
        target: t.into(),
        permissions: p.into(),
    };
    assert_eq!(
        stack.services["app"].devices,
        [
            device("/dev/fuse", "/dev/fuse", "rwm"),
            device("/dev/snd", "/dev/audio", "r"),
            device("/dev/net/tun", "/dev/tun", "rw"),
            device("nvidia.com/gpu=all", "nvidia.com/gpu=all", "rwm"),
        ]
    );
    let error = refused("services:\n  app:\n    image: a\n    devices: [fuse]\n");
    assert!(
        error.contains("compose.yaml:4: services.app.devices[0]") && error.contains("absolute"),
        "{error}"
    );
}

#[test]
fn namespaces_and_volumes_from_imply_dependencies_as_compose_go_does() {
    let stack = load(
        "services:\n  db:\n    image: a\n  cache:\n    image: a\n  app:\n    image: a\n    pid: service:db\n    ipc: shareable\n    links: [\"cache:redis\"]\n    volumes_from: [\"db:ro\", \"container:legacy\"]\n    depends_on:\n      db:\n        condition: service_healthy\n",
    );
    let app = &stack.services["app"];
    assert_eq!(app.pid.as_deref(), Some("service:db"));
    assert_eq!(app.ipc.as_deref(), Some("shareable"));
    assert_eq!(app.links, ["cache:redis"]);
    assert_eq!(app.volumes_from, ["db:ro", "container:legacy"]);
    // Written dependencies win; links and namespaces add `service_started` ones.
    assert_eq!(app.depends_on["db"].condition, Condition::ServiceHealthy);
    assert_eq!(app.depends_on["cache"].condition, Condition::ServiceStarted);
    assert!(app.depends_on["cache"].restart);
    assert_eq!(app.depends_on.len(), 2, "container: entries imply nothing");
    assert_eq!(
        app.shared_parents(),
        [("pid", "db"), ("volumes_from", "db")]
    );
}

#[test]
fn references_to_missing_services_name_the_field() {
    let error = refused("services:\n  app:\n    image: a\n    volumes_from: [ghost]\n");
    assert!(
        error.contains("compose.yaml:4: services.app.volumes_from: volumes_from refers to undefined service \"ghost\""),
        "{error}"
    );
    assert!(!error.contains("depends on"), "reported once: {error}");
    let error = refused("services:\n  app:\n    image: a\n    ipc: bogus\n");
    assert!(
        error.contains("services.app.ipc: invalid value \"bogus\""),
        "{error}"
    );
}

#[test]
fn gpus_and_device_reservations_are_device_requests() {
    let stack = load(
        "services:\n  all:\n    image: a\n    gpus: all\n  some:\n    image: a\n    gpus:\n      - driver: nvidia\n        device_ids: [\"0\", \"1\"]\n    deploy:\n      resources:\n        reservations:\n          devices:\n            - driver: nvidia\n              count: 2\n              capabilities: [gpu, compute]\n",
    );
    assert_eq!(
        stack.services["all"].gpus,
        [DeviceRequest {
            count: Some(-1),
            ..DeviceRequest::default()
        }]
    );
    let some = &stack.services["some"];
    assert_eq!(some.gpus[0].device_ids, ["0", "1"]);
    assert!(
        some.gpus[0].capabilities.is_empty(),
        "implied by the engine call"
    );
    assert_eq!(some.gpus[0].count, None, "device_ids name them");
    assert_eq!(
        some.deploy.reservations.devices,
        [DeviceRequest {
            driver: Some("nvidia".into()),
            count: Some(2),
            capabilities: vec!["gpu".into(), "compute".into()],
            ..DeviceRequest::default()
        }]
    );
}

#[test]
fn platform_tuning_and_cpu_shares_are_kept() {
    let stack = load(
        "services:\n  app:\n    image: a\n    platform: linux/arm64\n    cpu_shares: 512\n    cpu_period: 100ms\n    cpu_quota: 50000\n    cpuset: \"0-1\"\n    mem_swappiness: 10\n    memswap_limit: 1g\n    oom_score_adj: 500\n    oom_kill_disable: true\n    group_add: [audio]\n    dns_opt: [\"ndots:2\"]\n    runtime: runc\n    uts: host\n    storage_opt:\n      size: 1G\n",
    );
    let app = &stack.services["app"];
    assert_eq!(app.platform.as_deref(), Some("linux/arm64"));
    assert_eq!(app.cpu_shares, Some(512));
    let t = &app.tuning;
    assert_eq!(t.cpu_period, Some(100_000));
    assert_eq!(t.cpu_quota, Some(50_000));
    assert_eq!(t.cpuset.as_deref(), Some("0-1"));
    assert_eq!(t.mem_swappiness, Some(10));
    assert_eq!(t.memswap_limit, Some(1 << 30));
    assert_eq!(t.oom_score_adj, Some(500));
    assert_eq!(t.oom_kill_disable, Some(true));
    assert_eq!(t.group_add, ["audio"]);
    assert_eq!(t.dns_opt, ["ndots:2"]);
    assert_eq!(t.runtime.as_deref(), Some("runc"));
    assert_eq!(t.uts.as_deref(), Some("host"));
    assert_eq!(t.storage_opt["size"], "1G");
}

#[test]
fn pull_refresh_policies_become_intervals() {
    let policy = |text: &str| {
        let yaml = format!("services:\n  app:\n    image: a\n    pull_policy: {text}\n");
        load(&yaml).services["app"].pull_policy
    };
    assert_eq!(policy("daily"), Some(PullPolicy::Refresh(86_400)));
    assert_eq!(policy("weekly"), Some(PullPolicy::Refresh(604_800)));
    assert_eq!(policy("every_12h"), Some(PullPolicy::Refresh(43_200)));
    assert_eq!(policy("every_1d12h"), Some(PullPolicy::Refresh(129_600)));
    let error = refused("services:\n  app:\n    image: a\n    pull_policy: every_soon\n");
    assert!(
        error.contains("invalid pull_policy \"every_soon\""),
        "{error}"
    );
}

#[test]
fn port_descriptions_subpaths_and_build_cache_are_kept() {
    let stack = load(
        "services:\n  app:\n    build:\n      context: .\n      cache_from: [app:cache]\n      pull: true\n    ports:\n      - target: 80\n        name: web\n        app_protocol: http\n    volumes:\n      - type: volume\n        source: data\n        target: /srv\n        volume:\n          subpath: site/public\nvolumes:\n  data: {}\n",
    );
    let app = &stack.services["app"];
    assert_eq!(app.ports[0].name.as_deref(), Some("web"));
    assert_eq!(app.ports[0].app_protocol.as_deref(), Some("http"));
    assert_eq!(app.volumes[0].subpath.as_deref(), Some("site/public"));
    let build = app.build.as_ref().unwrap();
    assert_eq!(build.cache_from, ["app:cache"]);
    assert!(build.pull);
    let error = refused(
        "services:\n  app:\n    image: a\n    volumes:\n      - type: volume\n        source: data\n        target: /srv\n        volume:\n          subpath: ../other\nvolumes:\n  data: {}\n",
    );
    assert!(error.contains("stay inside it"), "{error}");
}

#[test]
fn keys_that_would_deploy_something_else_are_refused_with_the_reason() {
    let error = refused(
        "services:\n  app:\n    build:\n      context: .\n      secrets: [token]\n    post_start:\n      - command: echo\n",
    );
    assert!(
        error.contains("compose.yaml:5: services.app.build.secrets: \"secrets\" is not supported: needs BuildKit"),
        "{error}"
    );
    assert!(
        error.contains("compose.yaml:6: services.app.post_start: \"post_start\" is not supported: lifecycle hooks"),
        "{error}"
    );
}

#[test]
fn environment_names_with_spaces_are_refused_as_compose_go_refuses_them() {
    let error =
        refused("services:\n  app:\n    image: a\n    environment:\n      - DEBUG = true\n");
    assert!(
        error.contains("compose.yaml:5: services.app.environment.DEBUG : variable name \"DEBUG \""),
        "{error}"
    );
}
