//! One service: every compose syntax variant → [`windflow_domain::Service`].

use std::collections::BTreeMap;

use windflow_domain::{
    Build, Condition, Dependency, Deploy, DeviceMapping, DeviceRequest, FileReference, Healthcheck,
    Logging, Mount, MountKind, Port, PullPolicy, Resources, Service, ServiceNetwork, StackSpec,
    Ulimit,
};

use super::Ctx;
use super::syntax::{self, port_range};
use crate::compat;
use crate::dotenv;
use crate::shell;
use crate::yaml::{Node, Value};

const SWARM_DEPLOY_KEYS: &[&str] = &[
    "mode",
    "labels",
    "update_config",
    "rollback_config",
    "placement",
    "restart_policy",
    "endpoint_mode",
];

pub(super) fn convert(
    name: &str,
    node: &Node,
    path: &str,
    stack: &StackSpec,
    ctx: &mut Ctx<'_>,
) -> Option<Service> {
    let fields = match ctx.map_or_null(node, path) {
        Some(fields) => fields.clone(),
        None if node.is_null() => Default::default(),
        None => return None,
    };
    ctx.check_keys(&fields, path, &compat::SERVICE);
    let mut service = Service {
        deploy: Deploy::default(),
        ..Service::default()
    };
    let mut image = None;
    let mut scale = None;
    let mut legacy_limits = Resources::default();
    let mut legacy_reservations = Resources::default();
    let mut env_files = Vec::new();
    let mut environment = None;

    for (key, value) in &fields {
        let p = format!("{path}.{key}");
        let s = &mut service;
        match key.as_str() {
            "image" => image = ctx.string(value, &p),
            "build" if ctx.isolated && !value.is_null() => ctx.error(
                value,
                &p,
                "a build context cannot be read on the server: a stack stored on the server reads no directory of the server's; build and push the image, then name it in image:",
            ),
            "build" => s.build = build(value, &p, ctx),
            "pull_policy" => s.pull_policy = pull_policy(value, &p, ctx),
            "command" => s.command = command(value, &p, ctx),
            "entrypoint" => s.entrypoint = command(value, &p, ctx),
            "environment" => environment = Some(value),
            "env_file" => env_files = env_file_entries(value, &p, ctx),
            "ports" => s.ports = ports(value, &p, ctx),
            "expose" => s.expose = expose(value, &p, ctx),
            "volumes" => s.volumes = mounts(value, &p, stack, ctx),
            "tmpfs" => s.tmpfs = ctx.string_or_list(value, &p),
            "networks" => s.networks = networks(value, &p, stack, ctx),
            "network_mode" => s.network_mode = ctx.string(value, &p),
            "depends_on" => s.depends_on = depends_on(value, &p, ctx),
            "healthcheck" => s.healthcheck = healthcheck(value, &p, ctx),
            "restart" => s.restart = restart(value, &p, ctx),
            "labels" => s.labels = ctx.string_map(value, &p),
            "container_name" => s.container_name = ctx.string(value, &p),
            "user" => s.user = ctx.string(value, &p),
            "working_dir" => s.working_dir = ctx.string(value, &p),
            "hostname" => s.hostname = ctx.string(value, &p),
            "domainname" => s.domainname = ctx.string(value, &p),
            "cap_add" => s.cap_add = ctx.string_list(value, &p),
            "cap_drop" => s.cap_drop = ctx.string_list(value, &p),
            "privileged" => s.privileged = ctx.bool(value, &p).unwrap_or(false),
            "read_only" => s.read_only = ctx.bool(value, &p).unwrap_or(false),
            "init" => s.init = ctx.bool(value, &p),
            "tty" => s.tty = ctx.bool(value, &p).unwrap_or(false),
            "stdin_open" => s.stdin_open = ctx.bool(value, &p).unwrap_or(false),
            "stop_grace_period" => s.stop_grace_period = ctx.duration(value, &p),
            "stop_signal" => s.stop_signal = ctx.string(value, &p),
            "ulimits" => s.ulimits = ulimits(value, &p, ctx),
            "sysctls" => s.sysctls = ctx.string_map(value, &p),
            "extra_hosts" => s.extra_hosts = extra_hosts(value, &p, ctx),
            // An empty entry (`dns: ${UNSET}`) is dropped, as compose-go omits it.
            "dns" => {
                s.dns = ctx.string_or_list(value, &p);
                s.dns.retain(|d| !d.is_empty());
            }
            "dns_search" => s.dns_search = ctx.string_or_list(value, &p),
            "security_opt" => s.security_opt = ctx.string_list(value, &p),
            "shm_size" => s.shm_size = ctx.bytes(value, &p),
            "logging" => s.logging = logging(value, &p, ctx),
            "deploy" => s.deploy = deploy(value, &p, ctx),
            "scale" => scale = ctx.int_in::<u32>(value, &p).map(|n| (n, value)),
            "mem_limit" => legacy_limits.memory = ctx.bytes(value, &p),
            "mem_reservation" => legacy_reservations.memory = ctx.bytes(value, &p),
            "cpus" => legacy_limits.cpus = ctx.float(value, &p),
            "pids_limit" => legacy_limits.pids = ctx.int(value, &p),
            "secrets" => s.secrets = file_references(value, &p, "secrets", stack, ctx),
            "configs" => s.configs = file_references(value, &p, "configs", stack, ctx),
            "profiles" => s.profiles = ctx.string_list(value, &p),
            "platform" => s.platform = ctx.string(value, &p),
            "devices" => s.devices = devices(value, &p, ctx),
            "gpus" => s.gpus = gpus(value, &p, ctx),
            "pid" => s.pid = namespace(value, &p, &["host"], ctx),
            "ipc" => {
                s.ipc = namespace(value, &p, &["host", "private", "shareable", "none"], ctx)
            }
            "links" => s.links = ctx.string_list(value, &p),
            "volumes_from" => s.volumes_from = volumes_from(value, &p, ctx),
            "cpu_shares" => s.cpu_shares = ctx.int(value, &p),
            "cgroup" => s.tuning.cgroup = namespace(value, &p, &["host", "private"], ctx),
            "cgroup_parent" => s.tuning.cgroup_parent = ctx.string(value, &p),
            "cpu_period" => s.tuning.cpu_period = ctx.duration_micros(value, &p),
            "cpu_quota" => s.tuning.cpu_quota = ctx.duration_micros(value, &p),
            "cpu_rt_period" => s.tuning.cpu_rt_period = ctx.duration_micros(value, &p),
            "cpu_rt_runtime" => s.tuning.cpu_rt_runtime = ctx.duration_micros(value, &p),
            "cpuset" => s.tuning.cpuset = ctx.string(value, &p),
            "device_cgroup_rules" => s.tuning.device_cgroup_rules = ctx.string_list(value, &p),
            "dns_opt" => s.tuning.dns_opt = ctx.string_list(value, &p),
            "group_add" => s.tuning.group_add = ctx.string_list(value, &p),
            "mem_swappiness" => s.tuning.mem_swappiness = ctx.int(value, &p),
            "memswap_limit" => {
                s.tuning.memswap_limit = match value.scalar_text().as_deref() {
                    Some("-1") => Some(-1),
                    _ => ctx.bytes(value, &p).map(|b| b as i64),
                }
            }
            "oom_kill_disable" => s.tuning.oom_kill_disable = ctx.bool(value, &p),
            "oom_score_adj" => s.tuning.oom_score_adj = ctx.int(value, &p),
            "runtime" => s.tuning.runtime = ctx.string(value, &p),
            "storage_opt" => s.tuning.storage_opt = ctx.string_map(value, &p),
            "userns_mode" => s.tuning.userns_mode = namespace(value, &p, &["host"], ctx),
            "uts" => s.tuning.uts = namespace(value, &p, &["host"], ctx),
            _ => {}
        }
    }
    implied_dependencies(&mut service);
    if let Some(extension) = fields.get(super::ingress::EXTENSION) {
        let at = format!("{path}.{}", super::ingress::EXTENSION);
        service.ingress = super::ingress::ingress(extension, &at, &service, ctx);
        service.tcp = super::ingress::tcp_forwards(extension, &at, &service, ctx);
    }

    // Environment: env_file entries first, then `environment` over them.
    for (file, node, file_path) in env_files {
        for (k, v) in read_env_file(&file, node, &file_path, ctx) {
            service.environment.insert(k, v);
        }
    }
    if let Some(node) = environment {
        resolve_environment(
            node,
            &format!("{path}.environment"),
            &mut service.environment,
            ctx,
        );
    }

    // Legacy resource keys fill what `deploy.resources` left unset.
    let limits = &mut service.deploy.limits;
    limits.memory = limits.memory.or(legacy_limits.memory);
    limits.cpus = limits.cpus.or(legacy_limits.cpus);
    limits.pids = limits.pids.or(legacy_limits.pids);
    let reservations = &mut service.deploy.reservations;
    reservations.memory = reservations.memory.or(legacy_reservations.memory);

    let deploy_replicas = node
        .at(&["deploy", "replicas"])
        .is_some_and(|n| !n.is_null());
    if let Some((n, scale_node)) = scale {
        if deploy_replicas && service.deploy.replicas != n {
            ctx.error(
                scale_node,
                &format!("{path}.scale"),
                format!(
                    "scale ({n}) and deploy.replicas ({}) disagree; use deploy.replicas only",
                    service.deploy.replicas
                ),
            );
        } else {
            service.deploy.replicas = n;
        }
    }

    service.image = match (image, &service.build) {
        (Some(image), _) if !image.is_empty() => image,
        (_, Some(_)) => format!("{}-{name}", ctx.project),
        // An `extends` still here failed to resolve, or a build was refused (already
        // reported): no second error.
        _ if fields.contains_key("extends") => String::new(),
        _ if ctx.isolated && fields.contains_key("build") => String::new(),
        _ => {
            ctx.error(
                node,
                path,
                format!("service {name:?} has neither an image nor a build context"),
            );
            String::new()
        }
    };

    if service.network_mode.is_some() {
        if let Some(networks) = fields.get("networks")
            && !service.networks.is_empty()
        {
            ctx.error(
                networks,
                &format!("{path}.networks"),
                "network_mode and networks cannot be used together",
            );
        }
    } else if fields.get("networks").is_none_or(|n| n.is_null()) {
        service
            .networks
            .insert("default".into(), ServiceNetwork::default());
    }

    if let Some(container_name) = &service.container_name
        && service.deploy.replicas > 1
    {
        let at = fields.get("container_name").unwrap_or(node);
        ctx.error(
                at,
                &format!("{path}.container_name"),
                format!(
                    "container_name {container_name:?} cannot be used with {} replicas (container names are unique)",
                    service.deploy.replicas
                ),
            );
    }
    Some(service)
}

fn build(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Option<Build> {
    let mut build = Build {
        dockerfile: "Dockerfile".into(),
        ..Build::default()
    };
    let fields = match &node.value {
        Value::Map(fields) => fields,
        Value::Null => return None,
        _ => {
            let context = ctx.string(node, path)?;
            build.context = ctx.absolute(&context);
            return Some(build);
        }
    };
    ctx.check_keys(fields, path, &compat::BUILD);
    let mut context = ".".to_string();
    for (key, value) in fields {
        let p = format!("{path}.{key}");
        match key.as_str() {
            "context" => {
                if let Some(c) = ctx.string(value, &p) {
                    context = c;
                }
            }
            "dockerfile" => {
                if let Some(d) = ctx.string(value, &p) {
                    build.dockerfile = d;
                }
            }
            "args" => {
                // A bare arg takes its value from the environment, or is dropped.
                let mut args = BTreeMap::new();
                resolve_environment(value, &p, &mut args, ctx);
                build.args = args;
            }
            "target" => build.target = ctx.string(value, &p),
            "labels" => build.labels = ctx.string_map(value, &p),
            "no_cache" => build.no_cache = ctx.bool(value, &p).unwrap_or(false),
            "pull" => build.pull = ctx.bool(value, &p).unwrap_or(false),
            "shm_size" => build.shm_size = ctx.bytes(value, &p),
            "cache_from" => build.cache_from = ctx.string_list(value, &p),
            "network" => build.network = ctx.string(value, &p),
            "extra_hosts" => {
                for entry in extra_hosts(value, &p, ctx) {
                    if let Some((host, ip)) = entry.split_once(':') {
                        build.extra_hosts.insert(host.to_string(), ip.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    build.context = ctx.absolute(&context);
    Some(build)
}

fn pull_policy(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Option<PullPolicy> {
    let text = ctx.string(node, path)?;
    match text.as_str() {
        "always" => Some(PullPolicy::Always),
        "never" => Some(PullPolicy::Never),
        "missing" | "if_not_present" => Some(PullPolicy::Missing),
        "build" => Some(PullPolicy::Build),
        "daily" => Some(PullPolicy::Refresh(24 * 3600)),
        "weekly" => Some(PullPolicy::Refresh(7 * 24 * 3600)),
        t if t.starts_with("every_") => match refresh_interval(&t["every_".len()..]) {
            Some(seconds) if seconds > 0 => Some(PullPolicy::Refresh(seconds)),
            _ => {
                ctx.error(
                    node,
                    path,
                    format!("invalid pull_policy {text:?}: write every_<duration>, e.g. every_12h, every_2d or every_1w"),
                );
                None
            }
        },
        _ => {
            ctx.error(
                node,
                path,
                format!("invalid pull_policy {text:?} (use always, never, missing, build, daily, weekly or every_<duration>)"),
            );
            None
        }
    }
}

/// The interval of `every_<duration>` in seconds: number-unit pairs with units `w`, `d`, `h`,
/// `m`, `s` (as compose-go's str2duration reads them; finer units round down).
fn refresh_interval(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "w" => 7.0 * 86400.0,
            "d" => 86400.0,
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total = total.checked_add((number * scale) as u64)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// `command`/`entrypoint`: a string split like a shell would, or a list taken as is.
fn command(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Option<Vec<String>> {
    match &node.value {
        Value::Null => None,
        Value::Seq(_) => Some(ctx.string_list(node, path)),
        _ => {
            let text = ctx.string(node, path)?;
            match shell::split(&text) {
                Ok(words) => Some(words),
                Err(message) => {
                    ctx.error(node, path, message);
                    None
                }
            }
        }
    }
}

/// `env_file` entries: (absolute path, required, node, path).
fn env_file_entries<'n>(
    node: &'n Node,
    path: &str,
    ctx: &mut Ctx<'_>,
) -> Vec<(EnvFile, &'n Node, String)> {
    let items = crate::yaml::one_or_many(node, path);
    let mut out = Vec::new();
    for (item, item_path) in items {
        match &item.value {
            Value::Map(fields) => {
                ctx.check_keys(fields, &item_path, &compat::ENV_FILE);
                let required = fields
                    .get("required")
                    .and_then(|n| ctx.bool(n, &format!("{item_path}.required")))
                    .unwrap_or(true);
                match fields.get("path") {
                    Some(p) => {
                        if let Some(file) = ctx.string(p, &format!("{item_path}.path")) {
                            out.push((
                                EnvFile {
                                    absolute: ctx.absolute(&file),
                                    written: file,
                                    required,
                                },
                                item,
                                item_path,
                            ));
                        }
                    }
                    None => ctx.error(item, &item_path, "env_file entry needs a path"),
                }
            }
            _ => {
                if let Some(file) = ctx.string(item, &item_path) {
                    out.push((
                        EnvFile {
                            absolute: ctx.absolute(&file),
                            written: file,
                            required: true,
                        },
                        item,
                        item_path,
                    ));
                }
            }
        }
    }
    out
}

/// One `env_file` entry.
struct EnvFile {
    absolute: std::path::PathBuf,
    /// As written, for messages.
    written: String,
    required: bool,
}

fn read_env_file(
    file: &EnvFile,
    node: &Node,
    path: &str,
    ctx: &mut Ctx<'_>,
) -> Vec<(String, String)> {
    if ctx.isolated {
        ctx.error(
            node,
            path,
            format!(
                "env_file {:?} cannot be read here: set these values as stack variables instead",
                file.written
            ),
        );
        return Vec::new();
    }
    let text = match crate::read_text(&file.absolute) {
        Ok(text) => text,
        Err(message) => {
            if file.required {
                ctx.error(
                    node,
                    path,
                    format!("cannot read env file {:?}: {message}", file.written),
                );
            }
            return Vec::new();
        }
    };
    let environment = ctx.environment;
    match dotenv::parse(&text, &|name| environment.get(name).cloned()) {
        Ok(vars) => vars.into_iter().collect(),
        Err(e) => {
            ctx.report.error(&file.written, Some(e.line), "", e.message);
            Vec::new()
        }
    }
}

/// `environment` (or `build.args`): a mapping or a list of `KEY=VALUE`. A key without a value
/// takes it from the environment, or is dropped when unset there.
fn resolve_environment(
    node: &Node,
    path: &str,
    out: &mut BTreeMap<String, String>,
    ctx: &mut Ctx<'_>,
) {
    let mut set = |key: &str, value: Option<String>, ctx: &mut Ctx<'_>| match value {
        Some(v) => {
            out.insert(key.to_string(), v);
        }
        None => {
            if let Some(v) = ctx.environment.get(key) {
                out.insert(key.to_string(), v.clone());
            }
        }
    };
    match &node.value {
        Value::Map(map) => {
            for (key, value) in map {
                if key.is_empty() || key.trim() != key {
                    ctx.error(
                        value,
                        &format!("{path}.{key}"),
                        format!("variable name {key:?} is empty or has spaces around it: write KEY=value with no space around ="),
                    );
                    continue;
                }
                let v = if value.is_null() {
                    None
                } else {
                    match ctx.string(value, &format!("{path}.{key}")) {
                        Some(v) => Some(v),
                        None => continue,
                    }
                };
                set(key, v, ctx);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let Some(text) = ctx.string(item, &format!("{path}[{i}]")) else {
                    continue;
                };
                let (key, value) = match text.split_once('=') {
                    Some((k, v)) => (k, Some(v.to_string())),
                    None => (text.as_str(), None),
                };
                if key.is_empty() || key.trim() != key {
                    ctx.error(
                        item,
                        &format!("{path}[{i}]"),
                        format!("variable name {key:?} is empty or has spaces around it: write KEY=value with no space around ="),
                    );
                    continue;
                }
                set(key, value, ctx);
            }
        }
        Value::Null => {}
        _ => ctx.expected(node, path, "a mapping or a list of KEY=VALUE"),
    }
}

fn ports(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Vec<Port> {
    let mut out = Vec::new();
    for (i, item) in ctx.seq(node, path).unwrap_or_default().iter().enumerate() {
        let p = format!("{path}[{i}]");
        match &item.value {
            Value::Map(fields) => {
                if let Some(port) = long_port(item, fields, &p, ctx) {
                    out.push(port);
                }
            }
            Value::Int(_) | Value::String(_) => {
                let text = item.scalar_text().unwrap_or_default();
                match syntax::parse_port(&text) {
                    Ok(ports) if ports.len() > ctx.ports_left => {
                        ctx.ports_left = 0;
                        ctx.error(
                            item,
                            &p,
                            format!(
                                "too many ports: the stack expands to more than {} port bindings",
                                super::MAX_PORTS
                            ),
                        );
                        return out;
                    }
                    Ok(ports) => {
                        ctx.ports_left -= ports.len();
                        out.extend(ports);
                    }
                    Err(message) => ctx.error(item, &p, message),
                }
            }
            _ => ctx.expected(item, &p, "a port like \"8080:80\" or a mapping"),
        }
    }
    out
}

fn long_port(
    node: &Node,
    fields: &indexmap::IndexMap<String, Node>,
    path: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Port> {
    ctx.check_keys(fields, path, &compat::PORT);
    let Some(target_node) = fields.get("target") else {
        ctx.error(node, path, "a port needs a target");
        return None;
    };
    let target_path = format!("{path}.target");
    let target_text = ctx.string(target_node, &target_path)?;
    let target = match port_range(&target_text) {
        Ok((a, b)) if a == b => a,
        Ok(_) | Err(None) => {
            ctx.error(
                target_node,
                &target_path,
                format!("invalid port {target_text:?}"),
            );
            return None;
        }
        Err(Some(message)) => {
            ctx.error(target_node, &target_path, message);
            return None;
        }
    };
    let mut published = None;
    if let Some(n) = fields.get("published") {
        let pp = format!("{path}.published");
        if let Some(text) = ctx.string(n, &pp).filter(|t| !t.is_empty()) {
            match port_range(&text) {
                Ok((a, b)) if a == b => published = Some(a.to_string()),
                Ok((a, b)) => published = Some(format!("{a}-{b}")),
                Err(message) => {
                    ctx.error(
                        n,
                        &pp,
                        message.unwrap_or_else(|| format!("invalid port {text:?}")),
                    );
                    return None;
                }
            }
        }
    }
    let host_ip = fields
        .get("host_ip")
        .and_then(|n| ctx.string(n, &format!("{path}.host_ip")));
    let mut protocol = "tcp".to_string();
    if let Some(n) = fields.get("protocol") {
        let pp = format!("{path}.protocol");
        if let Some(text) = ctx.string(n, &pp) {
            let lower = text.to_ascii_lowercase();
            if matches!(lower.as_str(), "tcp" | "udp" | "sctp") {
                protocol = lower;
            } else {
                ctx.error(
                    n,
                    &pp,
                    format!("unknown protocol {text:?} (use tcp, udp or sctp)"),
                );
            }
        }
    }
    if let Some(n) = fields.get("mode") {
        let pp = format!("{path}.mode");
        if let Some(mode) = ctx.string(n, &pp)
            && !matches!(mode.as_str(), "host" | "ingress")
        {
            ctx.error(
                n,
                &pp,
                format!("invalid port mode {mode:?} (use host or ingress)"),
            );
        }
    }
    let text = |key: &str, ctx: &mut Ctx<'_>| {
        fields
            .get(key)
            .and_then(|n| ctx.string(n, &format!("{path}.{key}")))
    };
    let name = text("name", ctx);
    let app_protocol = text("app_protocol", ctx);
    Some(Port {
        target,
        published,
        host_ip,
        protocol,
        name,
        app_protocol,
    })
}

/// compose-go's implicit `depends_on`: a service waits for the services it links to, shares
/// a namespace with (`service:<name>`) or takes volumes from, unless it already names them.
fn implied_dependencies(service: &mut Service) {
    let mut implied: Vec<(String, bool)> = Vec::new();
    for link in &service.links {
        let target = link.split_once(':').map_or(link.as_str(), |(s, _)| s);
        implied.push((target.to_string(), true));
    }
    for (field, parent) in service.shared_parents() {
        implied.push((parent.to_string(), field != "volumes_from"));
    }
    for (name, restart) in implied {
        service.depends_on.entry(name).or_insert(Dependency {
            condition: Condition::ServiceStarted,
            restart,
            required: true,
        });
    }
}

/// `pid`, `ipc`, `cgroup`, `userns_mode`, `uts`: one of `modes`, `service:<name>` (pid and
/// ipc) or `container:<name>`.
fn namespace(node: &Node, path: &str, modes: &[&str], ctx: &mut Ctx<'_>) -> Option<String> {
    let text = ctx.string(node, path)?;
    let joins = path.ends_with(".pid") || path.ends_with(".ipc");
    let ok = modes.contains(&text.as_str())
        || (joins
            && ["service:", "container:"]
                .iter()
                .any(|p| text.strip_prefix(p).is_some_and(|rest| !rest.is_empty())));
    if !ok {
        let mut accepted: Vec<String> = modes.iter().map(|m| m.to_string()).collect();
        if joins {
            accepted.extend(["service:<name>".into(), "container:<name>".into()]);
        }
        ctx.error(
            node,
            path,
            format!("invalid value {text:?} (use {})", accepted.join(", ")),
        );
        return None;
    }
    Some(text)
}

/// `devices:` as `host[:container[:permissions]]` or the long syntax.
fn devices(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Vec<DeviceMapping> {
    let mut out = Vec::new();
    for (i, item) in ctx.seq(node, path).unwrap_or_default().iter().enumerate() {
        let p = format!("{path}[{i}]");
        let device = match &item.value {
            Value::Map(fields) => {
                ctx.check_keys(fields, &p, &compat::DEVICE);
                let mut get = |key: &str| {
                    fields
                        .get(key)
                        .and_then(|n| ctx.string(n, &format!("{p}.{key}")))
                };
                let source = get("source");
                let target = get("target");
                let permissions = get("permissions");
                source.map(|source| DeviceMapping {
                    target: target.unwrap_or_else(|| source.clone()),
                    permissions: permissions.unwrap_or_else(|| "rwm".into()),
                    source,
                })
            }
            _ => ctx.string(item, &p).map(|text| {
                let mut parts = text.splitn(3, ':');
                let source = parts.next().unwrap_or_default().to_string();
                let target = parts.next().unwrap_or(&source).to_string();
                let permissions = parts.next().unwrap_or("rwm").to_string();
                DeviceMapping {
                    source,
                    target,
                    permissions,
                }
            }),
        };
        match device {
            Some(d) if d.source.starts_with('/') && d.target.starts_with('/') => out.push(d),
            Some(d) if d.source.contains('=') => out.push(d),
            Some(d) => ctx.error(
                item,
                &p,
                format!(
                    "device {:?} needs absolute paths (host:container[:permissions]) or a CDI name (vendor/class=name)",
                    d.source
                ),
            ),
            None => ctx.error(item, &p, "a device needs a source"),
        }
    }
    out
}

/// `gpus: all` or a list of device requests; a request naming no devices asks for all
/// (compose-go's count -1). The `gpu` capability is implied when the engine is asked.
fn gpus(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Vec<DeviceRequest> {
    if node.scalar_text().as_deref() == Some("all") {
        return vec![DeviceRequest {
            count: Some(-1),
            ..DeviceRequest::default()
        }];
    }
    let mut out = device_requests(node, path, ctx);
    for request in &mut out {
        if request.count.is_none() && request.device_ids.is_empty() {
            request.count = Some(-1);
        }
    }
    out
}

/// A list of device requests (`gpus:`, `deploy.resources.reservations.devices`).
fn device_requests(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Vec<DeviceRequest> {
    let mut out = Vec::new();
    for (i, item) in ctx.seq(node, path).unwrap_or_default().iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Some(fields) = ctx.map(item, &p) else {
            continue;
        };
        ctx.check_keys(fields, &p, &compat::DEVICE_REQUEST);
        let mut request = DeviceRequest::default();
        for (key, value) in fields {
            let fp = format!("{p}.{key}");
            match key.as_str() {
                "driver" => request.driver = ctx.string(value, &fp),
                "count" => {
                    request.count = match value.scalar_text().as_deref() {
                        Some("all") => Some(-1),
                        _ => ctx.int(value, &fp),
                    }
                }
                "device_ids" => request.device_ids = ctx.string_list(value, &fp),
                "capabilities" => request.capabilities = ctx.string_list(value, &fp),
                "options" => request.options = ctx.string_map(value, &fp),
                _ => {}
            }
        }
        if request.count.is_some() && !request.device_ids.is_empty() {
            ctx.error(item, &p, "count and device_ids cannot be used together");
        }
        out.push(request);
    }
    out
}

/// `volumes_from:` entries: `service[:ro|rw]` or `container:<name>[:ro|rw]`.
fn volumes_from(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, entry) in ctx.string_list(node, path).into_iter().enumerate() {
        let (source, _) = windflow_domain::volumes_from_parts(&entry);
        if source.is_empty() || source == "container:" {
            ctx.error(
                node_at_index(node, i).unwrap_or(node),
                &format!("{path}[{i}]"),
                format!("invalid volumes_from entry {entry:?} (use service[:ro|rw] or container:<name>[:ro|rw])"),
            );
            continue;
        }
        out.push(entry);
    }
    out
}

fn expose(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, text) in ctx.string_list(node, path).into_iter().enumerate() {
        let (port, protocol) = match text.split_once('/') {
            Some((port, protocol)) => (port, Some(protocol)),
            None => (text.as_str(), None),
        };
        let ok = port_range(port).is_ok()
            && protocol.is_none_or(|p| matches!(p, "tcp" | "udp" | "sctp"));
        if ok {
            out.push(text);
        } else if let Some(item) = node_at_index(node, i) {
            ctx.error(
                item,
                &format!("{path}[{i}]"),
                format!("invalid port {text:?}"),
            );
        }
    }
    out
}

fn node_at_index(node: &Node, i: usize) -> Option<&Node> {
    match &node.value {
        Value::Seq(items) => items.get(i),
        _ => None,
    }
}

const PROPAGATIONS: &[&str] = &[
    "shared", "slave", "private", "rshared", "rslave", "rprivate",
];

fn mounts(node: &Node, path: &str, stack: &StackSpec, ctx: &mut Ctx<'_>) -> Vec<Mount> {
    let mut out = Vec::new();
    for (i, item) in ctx.seq(node, path).unwrap_or_default().iter().enumerate() {
        let p = format!("{path}[{i}]");
        let mount = match &item.value {
            Value::String(spec) => short_mount(item, spec, &p, stack, ctx),
            Value::Map(fields) => long_mount(item, fields, &p, stack, ctx),
            _ => {
                ctx.expected(item, &p, "a volume like \"data:/data\" or a mapping");
                None
            }
        };
        out.extend(mount);
    }
    out
}

/// A mount at `target`, cleaned as compose cleans it (`/var/www/html/` → `/var/www/html`).
fn empty_mount(kind: MountKind, target: String) -> Mount {
    Mount::new(kind, None, super::container_path(&target))
}

fn check_volume_declared(
    name: &str,
    node: &Node,
    path: &str,
    stack: &StackSpec,
    ctx: &mut Ctx<'_>,
) -> bool {
    if stack.volumes.contains_key(name) {
        return true;
    }
    ctx.error(
        node,
        path,
        format!("named volume {name:?} is not declared in the top-level volumes section"),
    );
    false
}

fn short_mount(
    node: &Node,
    spec: &str,
    path: &str,
    stack: &StackSpec,
    ctx: &mut Ctx<'_>,
) -> Option<Mount> {
    let short = match syntax::parse_volume(spec) {
        Ok(short) => short,
        Err(message) => {
            ctx.error(node, path, message);
            return None;
        }
    };
    let is_bind = short.is_bind();
    let mut mount = empty_mount(
        if is_bind {
            MountKind::Bind
        } else {
            MountKind::Volume
        },
        short.target.clone(),
    );
    match &short.source {
        Some(source) if is_bind => {
            mount.source = Some(ctx.absolute(source).to_string_lossy().into_owned());
            mount.create_host_path = true;
        }
        Some(name) => {
            if !check_volume_declared(name, node, path, stack, ctx) {
                return None;
            }
            mount.source = Some(name.clone());
        }
        None => {}
    }
    for option in &short.options {
        match option.as_str() {
            "ro" => mount.read_only = true,
            "rw" => mount.read_only = false,
            "z" | "Z" if is_bind => mount.selinux = Some(option.clone()),
            "nocopy" if !is_bind => mount.nocopy = true,
            "cached" | "delegated" | "consistent" => {}
            o if is_bind && PROPAGATIONS.contains(&o) => mount.propagation = Some(o.to_string()),
            other => {
                ctx.error(
                    node,
                    path,
                    format!("invalid volume {spec:?}: unknown option {other:?}"),
                );
                return None;
            }
        }
    }
    Some(mount)
}

fn long_mount(
    node: &Node,
    fields: &indexmap::IndexMap<String, Node>,
    path: &str,
    stack: &StackSpec,
    ctx: &mut Ctx<'_>,
) -> Option<Mount> {
    ctx.check_keys(fields, path, &compat::MOUNT);
    let kind_text = match fields.get("type") {
        Some(n) => ctx.string(n, &format!("{path}.type"))?,
        None => {
            ctx.error(node, path, "a volume needs a type (volume, bind or tmpfs)");
            return None;
        }
    };
    let kind = match kind_text.as_str() {
        "volume" => MountKind::Volume,
        "bind" => MountKind::Bind,
        "tmpfs" => MountKind::Tmpfs,
        other => {
            let n = fields.get("type").unwrap_or(node);
            ctx.error(
                n,
                &format!("{path}.type"),
                format!("unsupported volume type {other:?} (use volume, bind or tmpfs)"),
            );
            return None;
        }
    };
    let target = match fields.get("target") {
        Some(n) => {
            let tp = format!("{path}.target");
            let t = ctx.string(n, &tp)?;
            if !t.starts_with('/') {
                ctx.error(n, &tp, format!("the container path {t:?} must be absolute"));
                return None;
            }
            t
        }
        None => {
            ctx.error(node, path, "a volume needs a target");
            return None;
        }
    };
    let mut mount = empty_mount(kind, target);
    let source = fields
        .get("source")
        .and_then(|n| ctx.string(n, &format!("{path}.source")).map(|s| (s, n)))
        .filter(|(s, _)| !s.is_empty());
    match (kind, source) {
        (MountKind::Bind, Some((source, _))) => {
            mount.source = Some(ctx.absolute(&source).to_string_lossy().into_owned());
        }
        (MountKind::Bind, None) => {
            ctx.error(node, path, "a bind mount needs a source");
            return None;
        }
        (MountKind::Volume, Some((source, n))) => {
            if !check_volume_declared(&source, n, &format!("{path}.source"), stack, ctx) {
                return None;
            }
            mount.source = Some(source);
        }
        (MountKind::Volume, None) => {}
        (MountKind::Tmpfs, Some((_, n))) => {
            ctx.error(
                n,
                &format!("{path}.source"),
                "a tmpfs mount takes no source",
            );
            return None;
        }
        (MountKind::Tmpfs, None) => {}
    }
    if let Some(n) = fields.get("read_only") {
        mount.read_only = ctx.bool(n, &format!("{path}.read_only")).unwrap_or(false);
    }
    if let Some(n) = fields.get("bind") {
        let bp = format!("{path}.bind");
        if let Some(bind) = ctx.map_or_null(n, &bp) {
            // A `bind:` block creates a missing host path unless it says otherwise (compose-go
            // defaults create_host_path to true there, as for the short syntax).
            if mount.kind == MountKind::Bind {
                mount.create_host_path = true;
            }
            ctx.check_keys(bind, &bp, &compat::MOUNT_BIND);
            if let Some(v) = bind.get("propagation") {
                let pp = format!("{bp}.propagation");
                if let Some(prop) = ctx.string(v, &pp) {
                    if PROPAGATIONS.contains(&prop.as_str()) {
                        mount.propagation = Some(prop);
                    } else {
                        ctx.error(v, &pp, format!("invalid propagation {prop:?}"));
                    }
                }
            }
            if let Some(v) = bind.get("create_host_path") {
                mount.create_host_path = ctx
                    .bool(v, &format!("{bp}.create_host_path"))
                    .unwrap_or(false);
            }
            if let Some(v) = bind.get("selinux") {
                let sp = format!("{bp}.selinux");
                if let Some(label) = ctx.string(v, &sp) {
                    if matches!(label.as_str(), "z" | "Z") {
                        mount.selinux = Some(label);
                    } else {
                        ctx.error(
                            v,
                            &sp,
                            format!("invalid selinux label {label:?} (use z or Z)"),
                        );
                    }
                }
            }
        }
    }
    if let Some(n) = fields.get("volume") {
        let vp = format!("{path}.volume");
        if let Some(volume) = ctx.map_or_null(n, &vp) {
            ctx.check_keys(volume, &vp, &compat::MOUNT_VOLUME);
            if let Some(v) = volume.get("nocopy") {
                mount.nocopy = ctx.bool(v, &format!("{vp}.nocopy")).unwrap_or(false);
            }
            if let Some(v) = volume.get("subpath") {
                let sp = format!("{vp}.subpath");
                mount.subpath = ctx.string(v, &sp).filter(|p| !p.is_empty());
                if let Some(sub) = &mount.subpath
                    && (sub.starts_with('/') || sub.split('/').any(|c| c == ".."))
                {
                    ctx.error(v, &sp, format!("subpath {sub:?} must be relative to the volume and stay inside it (no leading / or ..)"));
                }
            }
        }
    }
    if let Some(n) = fields.get("tmpfs") {
        let tp = format!("{path}.tmpfs");
        if let Some(tmpfs) = ctx.map_or_null(n, &tp) {
            ctx.check_keys(tmpfs, &tp, &compat::MOUNT_TMPFS);
            if let Some(v) = tmpfs.get("size") {
                mount.tmpfs_size = ctx.bytes(v, &format!("{tp}.size"));
            }
            if let Some(v) = tmpfs.get("mode") {
                mount.tmpfs_mode = ctx.file_mode(v, &format!("{tp}.mode"));
            }
        }
    }
    Some(mount)
}

fn networks(
    node: &Node,
    path: &str,
    stack: &StackSpec,
    ctx: &mut Ctx<'_>,
) -> BTreeMap<String, ServiceNetwork> {
    let mut out = BTreeMap::new();
    let declared = |name: &str, at: &Node, p: &str, ctx: &mut Ctx<'_>| {
        if name == "default" || stack.networks.contains_key(name) {
            true
        } else {
            ctx.error(
                at,
                p,
                format!("network {name:?} is not declared in the top-level networks section"),
            );
            false
        }
    };
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                if let Some(name) = ctx.string(item, &p)
                    && declared(&name, item, &p, ctx)
                {
                    out.insert(name, ServiceNetwork::default());
                }
            }
        }
        Value::Map(map) => {
            for (name, value) in map {
                let p = format!("{path}.{name}");
                if !declared(name, value, &p, ctx) {
                    continue;
                }
                let mut network = ServiceNetwork::default();
                if let Some(fields) = ctx.map_or_null(value, &p) {
                    ctx.check_keys(fields, &p, &compat::SERVICE_NETWORK);
                    for (k, v) in fields {
                        let fp = format!("{p}.{k}");
                        match k.as_str() {
                            "aliases" => network.aliases = ctx.string_list(v, &fp),
                            "ipv4_address" => network.ipv4_address = ctx.string(v, &fp),
                            "ipv6_address" => network.ipv6_address = ctx.string(v, &fp),
                            "priority" => network.priority = ctx.int(v, &fp),
                            _ => {}
                        }
                    }
                }
                out.insert(name.clone(), network);
            }
        }
        Value::Null => {}
        _ => ctx.expected(node, path, "a list or a mapping of networks"),
    }
    out
}

fn depends_on(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> BTreeMap<String, Dependency> {
    let mut out = BTreeMap::new();
    let default = Dependency {
        condition: Condition::ServiceStarted,
        restart: false,
        required: true,
    };
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(name) = ctx.string(item, &format!("{path}[{i}]")) {
                    out.insert(name, default.clone());
                }
            }
        }
        Value::Map(map) => {
            for (name, value) in map {
                let p = format!("{path}.{name}");
                let mut dependency = default.clone();
                if let Some(fields) = ctx.map_or_null(value, &p) {
                    ctx.check_keys(fields, &p, &compat::DEPENDS_ON);
                    for (k, v) in fields {
                        let fp = format!("{p}.{k}");
                        match k.as_str() {
                            "condition" => {
                                if let Some(c) = ctx.string(v, &fp) {
                                    dependency.condition = match c.as_str() {
                                        "service_started" => Condition::ServiceStarted,
                                        "service_healthy" => Condition::ServiceHealthy,
                                        "service_completed_successfully" => {
                                            Condition::ServiceCompletedSuccessfully
                                        }
                                        _ => {
                                            ctx.error(v, &fp, format!("invalid condition {c:?} (use service_started, service_healthy or service_completed_successfully)"));
                                            continue;
                                        }
                                    }
                                }
                            }
                            "restart" => dependency.restart = ctx.bool(v, &fp).unwrap_or(false),
                            "required" => dependency.required = ctx.bool(v, &fp).unwrap_or(true),
                            _ => {}
                        }
                    }
                }
                out.insert(name.clone(), dependency);
            }
        }
        Value::Null => {}
        _ => ctx.expected(node, path, "a list or a mapping of services"),
    }
    out
}

fn healthcheck(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Option<Healthcheck> {
    let fields = ctx.map_or_null(node, path)?;
    ctx.check_keys(fields, path, &compat::HEALTHCHECK);
    let mut check = Healthcheck::default();
    for (key, value) in fields {
        let p = format!("{path}.{key}");
        match key.as_str() {
            "test" => match &value.value {
                Value::Seq(_) => {
                    let test = ctx.string_list(value, &p);
                    match test.first().map(String::as_str) {
                        Some("CMD" | "CMD-SHELL" | "NONE") => check.test = test,
                        _ => ctx.error(
                            value,
                            &p,
                            "a healthcheck test list must start with CMD, CMD-SHELL or NONE",
                        ),
                    }
                }
                _ => {
                    if let Some(text) = ctx.string(value, &p) {
                        check.test = vec!["CMD-SHELL".into(), text];
                    }
                }
            },
            "interval" => check.interval = ctx.duration(value, &p),
            "timeout" => check.timeout = ctx.duration(value, &p),
            "start_period" => check.start_period = ctx.duration(value, &p),
            "start_interval" => check.start_interval = ctx.duration(value, &p),
            "retries" => check.retries = ctx.int_in::<u32>(value, &p),
            "disable" => check.disable = ctx.bool(value, &p).unwrap_or(false),
            _ => {}
        }
    }
    if check.disable || check.test.first().is_some_and(|t| t == "NONE") {
        check.disable = true;
        check.test = vec!["NONE".into()];
    }
    Some(check)
}

fn restart(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Option<String> {
    let text = ctx.string(node, path)?;
    let valid = match text.as_str() {
        "no" | "always" | "unless-stopped" | "on-failure" => true,
        t => t
            .strip_prefix("on-failure:")
            .is_some_and(|n| !n.is_empty() && n.parse::<u32>().is_ok()),
    };
    if valid {
        Some(text)
    } else {
        ctx.error(
            node,
            path,
            format!(
                "invalid restart policy {text:?} (use no, always, on-failure[:N] or unless-stopped)"
            ),
        );
        None
    }
}

fn ulimits(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> BTreeMap<String, Ulimit> {
    let mut out = BTreeMap::new();
    let Some(map) = ctx.map_or_null(node, path) else {
        return out;
    };
    for (name, value) in map {
        let p = format!("{path}.{name}");
        match &value.value {
            Value::Map(fields) => {
                ctx.check_keys(fields, &p, &compat::ULIMIT);
                let soft = fields
                    .get("soft")
                    .and_then(|n| ctx.int(n, &format!("{p}.soft")));
                let hard = fields
                    .get("hard")
                    .and_then(|n| ctx.int(n, &format!("{p}.hard")));
                match (soft, hard) {
                    (Some(soft), Some(hard)) if soft <= hard => {
                        out.insert(name.clone(), Ulimit { soft, hard });
                    }
                    (Some(soft), Some(hard)) => ctx.error(
                        value,
                        &p,
                        format!("soft limit {soft} is above hard limit {hard}"),
                    ),
                    _ => ctx.error(value, &p, "a ulimit mapping needs both soft and hard"),
                }
            }
            _ => {
                if let Some(n) = ctx.int(value, &p) {
                    out.insert(name.clone(), Ulimit { soft: n, hard: n });
                }
            }
        }
    }
    out
}

/// `extra_hosts` as `host:ip` strings: a list of `host:ip` / `host=ip`, or a mapping of host to
/// one IP or a list of IPs.
fn extra_hosts(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Vec<String> {
    let mut out = Vec::new();
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                let Some(text) = ctx.string(item, &p) else {
                    continue;
                };
                let split = match (text.find('='), text.find(':')) {
                    (Some(eq), _) => Some((&text[..eq], &text[eq + 1..])),
                    (None, Some(colon)) => Some((&text[..colon], &text[colon + 1..])),
                    (None, None) => None,
                };
                match split {
                    Some((host, ip)) if !host.is_empty() && !ip.is_empty() => {
                        out.push(format!("{host}:{ip}"));
                    }
                    _ => ctx.error(
                        item,
                        &p,
                        format!("invalid extra host {text:?} (use host:ip)"),
                    ),
                }
            }
        }
        Value::Map(map) => {
            for (host, value) in map {
                let p = format!("{path}.{host}");
                for ip in ctx.string_or_list(value, &p) {
                    out.push(format!("{host}:{ip}"));
                }
            }
        }
        Value::Null => {}
        _ => ctx.expected(node, path, "a list or a mapping of hosts"),
    }
    out
}

fn logging(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Option<Logging> {
    let fields = ctx.map_or_null(node, path)?;
    ctx.check_keys(fields, path, &compat::LOGGING);
    let mut logging = Logging::default();
    for (key, value) in fields {
        let p = format!("{path}.{key}");
        match key.as_str() {
            "driver" => logging.driver = ctx.string(value, &p),
            "options" => logging.options = ctx.string_map(value, &p),
            _ => {}
        }
    }
    Some(logging)
}

fn deploy(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Deploy {
    let mut deploy = Deploy::default();
    let Some(fields) = ctx.map_or_null(node, path) else {
        return deploy;
    };
    ctx.check_keys(fields, path, &compat::DEPLOY);
    for (key, value) in fields {
        let p = format!("{path}.{key}");
        match key.as_str() {
            "replicas" => {
                if let Some(n) = ctx.int_in::<u32>(value, &p) {
                    deploy.replicas = n;
                }
            }
            "resources" => {
                let Some(resources) = ctx.map_or_null(value, &p) else {
                    continue;
                };
                ctx.check_keys(resources, &p, &compat::RESOURCES);
                if let Some(n) = resources.get("limits") {
                    deploy.limits = resource_set(n, &format!("{p}.limits"), ctx);
                }
                if let Some(n) = resources.get("reservations") {
                    deploy.reservations = resource_set(n, &format!("{p}.reservations"), ctx);
                }
            }
            k if SWARM_DEPLOY_KEYS.contains(&k) => {
                deploy.swarm.insert(k.to_string(), super::to_json(value));
            }
            _ => {}
        }
    }
    deploy
}

fn resource_set(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Resources {
    let mut resources = Resources::default();
    let Some(fields) = ctx.map_or_null(node, path) else {
        return resources;
    };
    ctx.check_keys(fields, path, &compat::RESOURCE_SET);
    for (key, value) in fields {
        let p = format!("{path}.{key}");
        match key.as_str() {
            "cpus" => {
                resources.cpus = ctx.float(value, &p);
                if resources.cpus.is_some_and(|c| c < 0.0) {
                    ctx.error(value, &p, "cpus must not be negative");
                    resources.cpus = None;
                }
            }
            "memory" => resources.memory = ctx.bytes(value, &p),
            "pids" => resources.pids = ctx.int(value, &p),
            "devices" if path.ends_with(".reservations") => {
                resources.devices = device_requests(value, &p, ctx)
            }
            "devices" => ctx.error(
                value,
                &p,
                "devices can only be reserved (deploy.resources.reservations.devices)",
            ),
            _ => {}
        }
    }
    resources
}

/// Service-level `secrets` or `configs`.
fn file_references(
    node: &Node,
    path: &str,
    section: &str,
    stack: &StackSpec,
    ctx: &mut Ctx<'_>,
) -> Vec<FileReference> {
    let mut out = Vec::new();
    let declared = if section == "secrets" {
        &stack.secrets
    } else {
        &stack.configs
    };
    let kind = if section == "secrets" {
        "secret"
    } else {
        "config"
    };
    for (i, item) in ctx.seq(node, path).unwrap_or_default().iter().enumerate() {
        let p = format!("{path}[{i}]");
        let (source, source_node, mut reference) = match &item.value {
            Value::Map(fields) => {
                ctx.check_keys(fields, &p, &compat::FILE_REFERENCE);
                let Some(source_node) = fields.get("source") else {
                    ctx.error(item, &p, format!("a {kind} reference needs a source"));
                    continue;
                };
                let Some(source) = ctx.string(source_node, &format!("{p}.source")) else {
                    continue;
                };
                let mut reference = FileReference {
                    source: source.clone(),
                    target: String::new(),
                    uid: None,
                    gid: None,
                    mode: None,
                };
                for (k, v) in fields {
                    let fp = format!("{p}.{k}");
                    match k.as_str() {
                        "target" => reference.target = ctx.string(v, &fp).unwrap_or_default(),
                        "uid" => reference.uid = ctx.string(v, &fp),
                        "gid" => reference.gid = ctx.string(v, &fp),
                        "mode" => reference.mode = ctx.file_mode(v, &fp),
                        _ => {}
                    }
                }
                (source, source_node, reference)
            }
            _ => {
                let Some(source) = ctx.string(item, &p) else {
                    continue;
                };
                let reference = FileReference {
                    source: source.clone(),
                    target: String::new(),
                    uid: None,
                    gid: None,
                    mode: None,
                };
                (source, item, reference)
            }
        };
        if !declared.contains_key(&source) {
            ctx.error(
                source_node,
                &p,
                format!("{kind} {source:?} is not declared in the top-level {section} section"),
            );
            continue;
        }
        reference.target = match (section, reference.target.as_str()) {
            ("secrets", "") => format!("/run/secrets/{source}"),
            ("secrets", t) if !t.starts_with('/') => format!("/run/secrets/{t}"),
            (_, "") => format!("/{source}"),
            (_, t) if !t.starts_with('/') => format!("/{t}"),
            (_, t) => t.to_string(),
        };
        out.push(reference);
    }
    out
}
