//! A loaded stack printed as `docker compose config` prints a project: the shape of
//! compose-go's `types.Project` marshalled to YAML or JSON, after compose-go's normalization
//! (`loader/normalize.go`: the implicit `default` network, `name:` of every network, volume,
//! secret and config, build `dockerfile: Dockerfile`), with `env_file` resolved into
//! `environment` as compose v2 does before printing.
//!
//! The shapes, field by field as compose-go marshals them:
//! - keys in compose-go's struct order (`types/types.go`), empty fields left out;
//! - `command`, `entrypoint`: lists; `environment`, `labels`, `sysctls`: maps;
//! - `ports`: long syntax, `mode: ingress`, `target` a number, `published` a string;
//! - `volumes`: long syntax; a bind that creates its host path prints `bind: {}` (compose-go's
//!   `OptOut`: `create_host_path` is printed only when false), a volume `volume: {}`;
//! - durations as Go's `time.Duration.String()` (`1m30s`, `500ms`);
//! - byte sizes (`memory`, `shm_size`, tmpfs `size`) as strings of bytes (`"33554432"`:
//!   `types.UnitBytes` marshals with `%d` into a string), CPUs as numbers;
//! - file modes as octal strings (`"0444"`), `extra_hosts` as sorted `host=ip` strings,
//!   ulimits with equal soft and hard as one number;
//! - secret values never (compose-go never marshals a secret's content; only inline config
//!   content is shown).
//!
//! What WindFlow prints that `docker compose config` does not (the only expected lines of a
//! diff between the two):
//! - `image` of a service that only has `build` (`<project>-<service>`, the name WindFlow
//!   builds and runs; compose leaves it out);
//! - `target` of a service's secret or config without one (`/run/secrets/<name>`,
//!   `/<name>`: WindFlow resolves the default at load time, compose at run time);
//! - `deploy.resources` for `mem_limit`, `mem_reservation`, `cpus` and `pids_limit`
//!   (WindFlow folds the service-level keys into the deploy limits; compose keeps both), and
//!   `deploy.replicas` for `scale`;
//! - a service's `x-windflow` is printed as WindFlow understood it (domains, the resolved
//!   `port`, `tls`, …, and `tcp` forwards with their resolved container `port`);
//! - keys the loader accepts only with a warning (`develop`, `attach`) and other `x-`
//!   extensions are missing (keys WindFlow refuses never get here: see `compat`), and variables listed in
//!   `environment` without a value and unset are dropped (compose keeps them as `null`);
//! - the JSON form leaves out `command: null`/`entrypoint: null` (compose-go's JSON prints
//!   them for every service).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};
use windflow_domain::units::{format_duration, parse_duration};
use windflow_domain::{
    Build, Condition, Dependency, Deploy, DeviceRequest, FileObject, FileReference, Healthcheck,
    Logging, Mount, MountKind, Network, Port, PullPolicy, Resources, Service, ServiceNetwork,
    StackSpec, Volume,
};

/// The stack as compose v2's `config` prints it (see the module docs for the differences).
pub fn render(stack: &StackSpec) -> Value {
    let mut out = Object::default();
    out.put("name", json!(stack.name));
    let services: Map<String, Value> = stack
        .services
        .iter()
        .map(|(name, s)| (name.clone(), service(s)))
        .collect();
    out.put("services", Value::Object(services));
    out.map("networks", &stack.networks, network);
    out.map("volumes", &stack.volumes, volume);
    out.map("secrets", &stack.secrets, |s| file_object(s, false));
    out.map("configs", &stack.configs, |c| file_object(c, true));
    out.into_value()
}

/// A JSON object that takes only non-empty values, in insertion order.
#[derive(Default)]
struct Object(Map<String, Value>);

impl Object {
    fn put(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_string(), value);
    }

    fn opt<T: Into<Value>>(&mut self, key: &str, value: Option<T>) {
        if let Some(v) = value {
            self.put(key, v.into());
        }
    }

    fn flag(&mut self, key: &str, value: bool) {
        if value {
            self.put(key, Value::Bool(true));
        }
    }

    fn list(&mut self, key: &str, items: &[String]) {
        if !items.is_empty() {
            self.put(key, json!(items));
        }
    }

    fn strings(&mut self, key: &str, map: &BTreeMap<String, String>) {
        if !map.is_empty() {
            self.put(key, json!(map));
        }
    }

    fn duration(&mut self, key: &str, value: Option<Duration>) {
        self.opt(key, value.map(format_duration));
    }

    fn map<T>(&mut self, key: &str, map: &BTreeMap<String, T>, f: impl Fn(&T) -> Value) {
        if !map.is_empty() {
            let rendered = map.iter().map(|(k, v)| (k.clone(), f(v))).collect();
            self.put(key, Value::Object(rendered));
        }
    }

    fn object(&mut self, key: &str, value: Object) {
        if !value.0.is_empty() {
            self.put(key, value.into_value());
        }
    }

    fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// `types.UnitBytes` marshals as a string of bytes.
fn bytes(n: u64) -> Value {
    Value::String(n.to_string())
}

fn service(s: &Service) -> Value {
    let mut o = Object::default();
    o.list("profiles", &s.profiles);
    if let Some(b) = &s.build {
        o.put("build", build(b));
    }
    o.list("cap_add", &s.cap_add);
    o.list("cap_drop", &s.cap_drop);
    let t = &s.tuning;
    o.opt("cgroup_parent", t.cgroup_parent.clone());
    o.opt("cgroup", t.cgroup.clone());
    o.opt("cpu_period", t.cpu_period);
    o.opt("cpu_quota", t.cpu_quota);
    o.opt("cpu_rt_period", t.cpu_rt_period);
    o.opt("cpu_rt_runtime", t.cpu_rt_runtime);
    o.opt("cpuset", t.cpuset.clone());
    o.opt("cpu_shares", s.cpu_shares);
    if let Some(command) = &s.command {
        o.put("command", json!(command));
    }
    if !s.configs.is_empty() {
        o.put("configs", s.configs.iter().map(file_reference).collect());
    }
    o.opt("container_name", s.container_name.clone());
    o.map("depends_on", &s.depends_on, dependency);
    o.object("deploy", deploy(&s.deploy));
    o.list("device_cgroup_rules", &t.device_cgroup_rules);
    if !s.devices.is_empty() {
        let devices = s
            .devices
            .iter()
            .map(|d| json!({"source": d.source, "target": d.target, "permissions": d.permissions}));
        o.put("devices", devices.collect());
    }
    o.list("dns", &s.dns);
    o.list("dns_opt", &t.dns_opt);
    o.list("dns_search", &s.dns_search);
    o.opt("domainname", s.domainname.clone());
    if let Some(entrypoint) = &s.entrypoint {
        o.put("entrypoint", json!(entrypoint));
    }
    o.strings("environment", &s.environment);
    o.list("expose", &s.expose);
    o.list(
        "extra_hosts",
        &hosts(s.extra_hosts.iter().map(String::as_str)),
    );
    o.list("group_add", &t.group_add);
    if !s.gpus.is_empty() {
        o.put("gpus", s.gpus.iter().map(device_request).collect());
    }
    o.opt("hostname", s.hostname.clone());
    if let Some(h) = &s.healthcheck {
        o.put("healthcheck", healthcheck(h));
    }
    o.opt("image", Some(s.image.clone()).filter(|i| !i.is_empty()));
    o.opt("init", s.init);
    o.opt("ipc", s.ipc.clone());
    o.strings("labels", &s.labels);
    o.list("links", &s.links);
    if let Some(l) = &s.logging {
        o.object("logging", logging(l));
    }
    o.opt("memswap_limit", t.memswap_limit);
    o.opt("mem_swappiness", t.mem_swappiness);
    o.opt("network_mode", s.network_mode.clone());
    o.map("networks", &s.networks, service_network);
    o.opt("oom_kill_disable", t.oom_kill_disable);
    o.opt("oom_score_adj", t.oom_score_adj);
    o.opt("pid", s.pid.clone());
    o.opt("platform", s.platform.clone());
    if !s.ports.is_empty() {
        o.put("ports", s.ports.iter().map(port).collect());
    }
    o.flag("privileged", s.privileged);
    o.opt("pull_policy", s.pull_policy.map(pull_policy));
    o.flag("read_only", s.read_only);
    o.opt("restart", s.restart.clone());
    o.opt("runtime", t.runtime.clone());
    if !s.secrets.is_empty() {
        o.put("secrets", s.secrets.iter().map(file_reference).collect());
    }
    o.list("security_opt", &s.security_opt);
    o.opt("shm_size", s.shm_size.map(bytes));
    o.flag("stdin_open", s.stdin_open);
    o.duration("stop_grace_period", s.stop_grace_period);
    o.opt("stop_signal", s.stop_signal.clone());
    o.strings("storage_opt", &t.storage_opt);
    o.strings("sysctls", &s.sysctls);
    o.list("tmpfs", &s.tmpfs);
    o.flag("tty", s.tty);
    o.map("ulimits", &s.ulimits, |u| {
        if u.soft == u.hard {
            json!(u.soft)
        } else {
            json!({"soft": u.soft, "hard": u.hard})
        }
    });
    o.opt("user", s.user.clone());
    o.opt("userns_mode", t.userns_mode.clone());
    o.opt("uts", t.uts.clone());
    if !s.volumes.is_empty() {
        o.put("volumes", s.volumes.iter().map(mount).collect());
    }
    o.list("volumes_from", &s.volumes_from);
    o.opt("working_dir", s.working_dir.clone());
    if s.ingress.is_some() || !s.tcp.is_empty() {
        let mut extension = s
            .ingress
            .as_ref()
            .map_or_else(|| json!({}), |ingress| json!(ingress));
        if !s.tcp.is_empty() {
            extension["tcp"] = json!(s.tcp);
        }
        o.put("x-windflow", extension);
    }
    o.into_value()
}

/// compose-go's `HostsList`: `host=ip`, sorted.
fn hosts<'a>(pairs: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut list: Vec<String> = pairs
        .map(|pair| match pair.split_once(':') {
            Some((host, ip)) => format!("{host}={ip}"),
            None => pair.to_string(),
        })
        .collect();
    list.sort();
    list
}

fn build(b: &Build) -> Value {
    let mut o = Object::default();
    o.put("context", json!(b.context.to_string_lossy()));
    o.put("dockerfile", json!(b.dockerfile));
    o.strings("args", &b.args);
    o.strings("labels", &b.labels);
    o.list("cache_from", &b.cache_from);
    o.flag("no_cache", b.no_cache);
    o.flag("pull", b.pull);
    o.opt("shm_size", b.shm_size.map(bytes));
    let extra: Vec<String> = b
        .extra_hosts
        .iter()
        .map(|(h, ip)| format!("{h}:{ip}"))
        .collect();
    o.list("extra_hosts", &hosts(extra.iter().map(String::as_str)));
    o.opt("network", b.network.clone());
    o.opt("target", b.target.clone());
    o.into_value()
}

fn pull_policy(p: PullPolicy) -> String {
    match p {
        PullPolicy::Always => "always",
        PullPolicy::Never => "never",
        PullPolicy::Missing => "missing",
        PullPolicy::Build => "build",
        PullPolicy::Refresh(86_400) => "daily",
        PullPolicy::Refresh(604_800) => "weekly",
        PullPolicy::Refresh(seconds) => return format!("every_{}", day_duration(seconds)),
    }
    .to_string()
}

/// An interval as str2duration writes one: days, hours, minutes, seconds, zero parts left out
/// (`2d`, `1d12h`).
fn day_duration(seconds: u64) -> String {
    let mut out = String::new();
    let mut rest = seconds;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

fn dependency(d: &Dependency) -> Value {
    let condition = match d.condition {
        Condition::ServiceStarted => "service_started",
        Condition::ServiceHealthy => "service_healthy",
        Condition::ServiceCompletedSuccessfully => "service_completed_successfully",
    };
    let mut o = Object::default();
    o.put("condition", json!(condition));
    o.flag("restart", d.restart);
    o.put("required", json!(d.required));
    o.into_value()
}

/// compose-go's `DeployConfig`: what WindFlow keeps for Swarm (`mode`, `labels`,
/// `update_config`, ...) as written, `replicas` when not 1, and the resources.
fn deploy(d: &Deploy) -> Object {
    let mut o = Object::default();
    let swarm = |o: &mut Object, key: &str| {
        if let Some(v) = d.swarm.get(key) {
            o.put(key, go_durations(v.clone()));
        }
    };
    swarm(&mut o, "mode");
    if d.replicas != 1 {
        o.put("replicas", json!(d.replicas));
    }
    swarm(&mut o, "labels");
    swarm(&mut o, "update_config");
    swarm(&mut o, "rollback_config");
    let mut resources = Object::default();
    resources.object("limits", self::resources(&d.limits));
    resources.object("reservations", self::resources(&d.reservations));
    o.object("resources", resources);
    swarm(&mut o, "restart_policy");
    swarm(&mut o, "placement");
    swarm(&mut o, "endpoint_mode");
    for (key, value) in &d.swarm {
        if !o.0.contains_key(key) {
            o.put(key, value.clone());
        }
    }
    o
}

/// The Swarm keys' durations (`delay`, `monitor`, `window`), kept as written, printed as Go
/// prints them (`60s` → `1m0s`).
fn go_durations(mut value: Value) -> Value {
    if let Some(map) = value.as_object_mut() {
        for key in ["delay", "monitor", "window"] {
            if let Some(v) = map.get_mut(key) {
                let text = match &*v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if let Ok(d) = parse_duration(&text) {
                    *v = json!(format_duration(d));
                }
            }
        }
    }
    value
}

fn resources(r: &Resources) -> Object {
    let mut o = Object::default();
    o.opt("cpus", r.cpus);
    o.opt("memory", r.memory.map(bytes));
    o.opt("pids", r.pids);
    if !r.devices.is_empty() {
        o.put("devices", r.devices.iter().map(device_request).collect());
    }
    o
}

/// compose-go's `DeviceRequest`.
fn device_request(r: &DeviceRequest) -> Value {
    let mut o = Object::default();
    o.list("capabilities", &r.capabilities);
    o.opt("driver", r.driver.clone());
    o.opt("count", r.count);
    o.list("device_ids", &r.device_ids);
    o.strings("options", &r.options);
    o.into_value()
}

fn healthcheck(h: &Healthcheck) -> Value {
    let mut o = Object::default();
    o.list("test", &h.test);
    o.duration("timeout", h.timeout);
    o.duration("interval", h.interval);
    o.opt("retries", h.retries);
    o.duration("start_period", h.start_period);
    o.duration("start_interval", h.start_interval);
    o.flag("disable", h.disable);
    o.into_value()
}

fn logging(l: &Logging) -> Object {
    let mut o = Object::default();
    o.opt("driver", l.driver.clone());
    o.strings("options", &l.options);
    o
}

/// A service's network: `null` without options, as compose prints `default: null`.
fn service_network(n: &ServiceNetwork) -> Value {
    let mut o = Object::default();
    o.list("aliases", &n.aliases);
    o.opt("ipv4_address", n.ipv4_address.clone());
    o.opt("ipv6_address", n.ipv6_address.clone());
    o.opt("priority", n.priority);
    if o.0.is_empty() {
        Value::Null
    } else {
        o.into_value()
    }
}

fn port(p: &Port) -> Value {
    let mut o = Object::default();
    o.opt("name", p.name.clone());
    o.put("mode", json!("ingress"));
    o.opt("host_ip", p.host_ip.clone());
    o.put("target", json!(p.target));
    o.opt("published", p.published.clone().filter(|p| !p.is_empty()));
    o.put("protocol", json!(p.protocol));
    o.opt("app_protocol", p.app_protocol.clone());
    o.into_value()
}

fn mount(m: &Mount) -> Value {
    let mut o = Object::default();
    let kind = match m.kind {
        MountKind::Volume => "volume",
        MountKind::Bind => "bind",
        MountKind::Tmpfs => "tmpfs",
    };
    o.put("type", json!(kind));
    o.opt("source", m.source.clone());
    o.put("target", json!(m.target));
    o.flag("read_only", m.read_only);
    match m.kind {
        MountKind::Bind => {
            let mut bind = Object::default();
            bind.opt("selinux", m.selinux.clone());
            bind.opt("propagation", m.propagation.clone());
            if !m.create_host_path {
                bind.put("create_host_path", json!(false));
            }
            // A bind without options and without create_host_path is compose-go's nil `Bind`
            // (long syntax without `bind:`); one that creates its path prints `bind: {}`.
            if m.create_host_path || bind.0.len() > 1 {
                o.put("bind", bind.into_value());
            }
        }
        MountKind::Volume => {
            let mut volume = Object::default();
            volume.flag("nocopy", m.nocopy);
            volume.opt("subpath", m.subpath.clone());
            o.put("volume", volume.into_value());
        }
        MountKind::Tmpfs => {
            let mut tmpfs = Object::default();
            tmpfs.opt("size", m.tmpfs_size.map(bytes));
            tmpfs.opt("mode", m.tmpfs_mode);
            o.object("tmpfs", tmpfs);
        }
    }
    o.into_value()
}

fn file_reference(r: &FileReference) -> Value {
    let mut o = Object::default();
    o.put("source", json!(r.source));
    o.put("target", json!(r.target));
    o.opt("uid", r.uid.clone());
    o.opt("gid", r.gid.clone());
    o.opt("mode", r.mode.map(|m| format!("0{m:o}")));
    o.into_value()
}

fn network(n: &Network) -> Value {
    let mut o = Object::default();
    o.put("name", json!(n.name));
    o.opt("driver", n.driver.clone());
    o.strings("driver_opts", &n.driver_opts);
    if let Some(ipam) = &n.ipam {
        let mut i = Object::default();
        i.opt("driver", ipam.driver.clone());
        if !ipam.config.is_empty() {
            let pools = ipam.config.iter().map(|p| {
                let mut o = Object::default();
                o.opt("subnet", p.subnet.clone());
                o.opt("gateway", p.gateway.clone());
                o.opt("ip_range", p.ip_range.clone());
                o.into_value()
            });
            i.put("config", pools.collect());
        }
        i.strings("options", &ipam.options);
        o.object("ipam", i);
    }
    o.flag("external", n.external);
    o.flag("internal", n.internal);
    o.flag("attachable", n.attachable);
    o.strings("labels", &n.labels);
    o.flag("enable_ipv6", n.enable_ipv6);
    o.into_value()
}

fn volume(v: &Volume) -> Value {
    let mut o = Object::default();
    o.put("name", json!(v.name));
    o.opt("driver", v.driver.clone());
    o.strings("driver_opts", &v.driver_opts);
    o.flag("external", v.external);
    o.strings("labels", &v.labels);
    o.into_value()
}

/// A top-level secret or config; a secret's inline content is never shown.
fn file_object(f: &FileObject, show_content: bool) -> Value {
    let mut o = Object::default();
    o.put("name", json!(f.name));
    o.opt(
        "file",
        f.file.as_ref().map(|p| p.to_string_lossy().into_owned()),
    );
    o.opt("environment", f.environment.clone());
    if show_content && f.environment.is_none() {
        o.opt("content", f.content.clone());
    }
    o.flag("external", f.external);
    o.strings("labels", &f.labels);
    o.into_value()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LoadOptions, load_from_str};

    /// Loads `yaml` as project `p` in `/project` (which has no `.env`) and checks the rendered value at `pointer`
    /// (a JSON pointer such as `/services/web/ports/0`).
    fn check(yaml: &str, pointer: &str, expected: Value) {
        let options = LoadOptions {
            working_dir: Some("/project".into()),
            project_name: Some("p".into()),
            ..LoadOptions::default()
        };
        let loaded = load_from_str("compose.yaml", yaml, &options).unwrap();
        let rendered = render(&loaded.stack);
        assert_eq!(
            rendered.pointer(pointer),
            Some(&expected),
            "{pointer} in {rendered:#}"
        );
    }

    #[test]
    fn project_shape_as_compose_normalizes_it() {
        let yaml = "services:\n  web:\n    image: nginx\n    command: echo hi\n";
        check(yaml, "/name", json!("p"));
        check(yaml, "/services/web/command", json!(["echo", "hi"]));
        check(yaml, "/services/web/networks", json!({"default": null}));
        check(yaml, "/networks", json!({"default": {"name": "p_default"}}));
    }

    #[test]
    fn ports_in_long_syntax() {
        let yaml =
            "services:\n  web:\n    image: nginx\n    ports: ['127.0.0.1:8080:80', '53/udp']\n";
        check(
            yaml,
            "/services/web/ports",
            json!([
                {"mode": "ingress", "host_ip": "127.0.0.1", "target": 80, "published": "8080", "protocol": "tcp"},
                {"mode": "ingress", "target": 53, "protocol": "udp"},
            ]),
        );
    }

    #[test]
    fn volumes_in_long_syntax() {
        let yaml = "services:\n  web:\n    image: nginx\n    volumes: ['./site:/usr/share/nginx/html:ro', 'data:/data']\nvolumes:\n  data:\n";
        check(
            yaml,
            "/services/web/volumes",
            json!([
                {"type": "bind", "source": "/project/site", "target": "/usr/share/nginx/html", "read_only": true, "bind": {}},
                {"type": "volume", "source": "data", "target": "/data", "volume": {}},
            ]),
        );
        check(yaml, "/volumes/data", json!({"name": "p_data"}));
    }

    #[test]
    fn durations_sizes_and_dependencies() {
        let yaml = r#"
services:
  db:
    image: postgres
    stop_grace_period: 90s
    healthcheck: {test: pg_isready, interval: 500ms, retries: 3}
    deploy: {resources: {limits: {memory: 32m, cpus: "0.5"}}}
    shm_size: 1k
  web:
    image: nginx
    depends_on: {db: {condition: service_healthy, restart: true}}
    environment: [A=1]
    extra_hosts: ["b.internal:10.0.0.2", "a.internal:10.0.0.1"]
"#;
        check(yaml, "/services/db/stop_grace_period", json!("1m30s"));
        check(
            yaml,
            "/services/db/healthcheck",
            json!({"test": ["CMD-SHELL", "pg_isready"], "interval": "500ms", "retries": 3}),
        );
        check(
            yaml,
            "/services/db/deploy",
            json!({"resources": {"limits": {"cpus": 0.5, "memory": "33554432"}}}),
        );
        check(yaml, "/services/db/shm_size", json!("1024"));
        check(
            yaml,
            "/services/web/depends_on/db",
            json!({"condition": "service_healthy", "restart": true, "required": true}),
        );
        check(yaml, "/services/web/environment", json!({"A": "1"}));
        check(
            yaml,
            "/services/web/extra_hosts",
            json!(["a.internal=10.0.0.1", "b.internal=10.0.0.2"]),
        );
    }

    #[test]
    fn secret_content_is_never_rendered() {
        let yaml = "services:\n  web:\n    image: nginx\n    secrets: [token]\n    configs: [app]\nsecrets:\n  token:\n    environment: TOKEN\nconfigs:\n  app:\n    content: hello\n";
        check(
            yaml,
            "/services/web/secrets/0",
            json!({"source": "token", "target": "/run/secrets/token"}),
        );
        check(
            yaml,
            "/secrets/token",
            json!({"name": "p_token", "environment": "TOKEN"}),
        );
        check(
            yaml,
            "/configs/app",
            json!({"name": "p_app", "content": "hello"}),
        );
    }
}
