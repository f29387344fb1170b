//! A stack spec → Swarm objects, without I/O: the service specs, overlay networks, and the secrets
//! and configs (named by content hash) that `docker stack deploy` would make, plus the hashes
//! the planner compares against what runs.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, HealthConfig, Limit, Mount as DockerMount, MountType,
    NetworkAttachmentConfig, ResourceObject, ResourcesUlimits, ServiceSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec,
    TaskSpecContainerSpecConfigs, TaskSpecContainerSpecDnsConfig, TaskSpecContainerSpecFile,
    TaskSpecContainerSpecFile1, TaskSpecContainerSpecSecrets, TaskSpecPlacement,
    TaskSpecPlacementPreferences, TaskSpecPlacementSpread, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};
use serde_json::Value;
pub use windflow_domain::naming::LABEL_STACK_NAMESPACE;
use windflow_domain::naming::{
    GATEWAY_NETWORK_KEY, LABEL_CONFIG_HASH, LABEL_MANAGED_BY, LABEL_SERVICE,
};
use windflow_domain::plan::definition_hash;
use windflow_domain::units::parse_duration;
use windflow_domain::{FileObject, MountKind, Network, Service, StackSpec};

/// The image as written in the compose file (the spec carries the pinned reference).
pub const LABEL_STACK_IMAGE: &str = "com.docker.stack.image";
/// The hash of a task template, on every task's container: which tasks run the new spec.
pub const LABEL_TASK_HASH: &str = "io.windflow.task-hash";
/// The stack-level key of a secret or config.
pub const LABEL_OBJECT_KEY: &str = "io.windflow.object-key";

/// A problem in the stack that Swarm cannot run, naming the service and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service {service}: {field}: {message}")]
pub struct SpecError {
    pub service: String,
    pub field: String,
    pub message: String,
}

/// The Swarm service name of a stack's service (`<project>_<service>`, as `docker stack`).
pub fn service_name(project: &str, service: &str) -> String {
    format!("{project}_{service}")
}

/// A secret's or config's content with its Swarm name: `<name>_<content hash>`. Swarm objects
/// are immutable, so a change of content is a new object, and services move to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    pub key: String,
    pub name: String,
    pub data: Vec<u8>,
    pub external: bool,
    pub labels: BTreeMap<String, String>,
}

/// The Swarm name for an object with `data`: the engine name plus 12 hex digits of its hash.
pub fn versioned_name(base: &str, data: &[u8]) -> String {
    let hash = definition_hash(&base64_of(data));
    let base: String = base.chars().take(50).collect();
    format!("{base}_{}", &hash[..12])
}

fn base64_of(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Reads the content of a secret or config: its file, environment variable, or inline text.
pub fn read_content(kind: &str, key: &str, object: &FileObject) -> Result<Vec<u8>, String> {
    if let Some(content) = &object.content {
        return Ok(content.clone().into_bytes());
    }
    if let Some(var) = &object.environment {
        return std::env::var(var).map(String::into_bytes).map_err(|_| {
            format!("{kind} {key}: environment variable {var} is not set (the stack takes the {kind} from it)")
        });
    }
    if let Some(path) = &object.file {
        return std::fs::read(path)
            .map_err(|e| format!("{kind} {key}: reading {}: {e}", path.display()));
    }
    Err(format!("{kind} {key}: has no file, environment or content"))
}

/// One service as Swarm should run it.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredService {
    /// The stack's key (`web`).
    pub key: String,
    /// The Swarm name (`shop_web`).
    pub name: String,
    pub spec: ServiceSpec,
    /// The hash of the whole spec (service label `com.docker.compose.config-hash`).
    pub hash: String,
    /// The hash of the task template (container label `io.windflow.task-hash`).
    pub task_hash: String,
    /// `None` for global services.
    pub replicas: Option<u64>,
    /// What the service's update does on failure (for messages).
    pub failure_action: String,
}

/// Everything the Swarm path needs besides the stack: the image reference each compose image
/// resolves to, and the Swarm names and ids of the secrets and configs.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub images: BTreeMap<String, String>,
    /// Stack key → (Swarm name, id).
    pub secrets: BTreeMap<String, (String, String)>,
    pub configs: BTreeMap<String, (String, String)>,
}

/// Options WindFlow adds on top of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecOptions {
    /// Without a written `update_config.failure_action`: roll back (WindFlow's default) or pause.
    pub rollback_on_failure: bool,
}

impl Default for SpecOptions {
    fn default() -> Self {
        Self {
            rollback_on_failure: true,
        }
    }
}

/// Keys of a service that mean nothing to Swarm; they are reported as warnings.
pub fn unsupported_keys(service: &Service) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if service.container_name.is_some() {
        keys.push("container_name");
    }
    if service.privileged {
        keys.push("privileged");
    }
    if service.network_mode.is_some() {
        keys.push("network_mode");
    }
    if !service.depends_on.is_empty() {
        keys.push("depends_on");
    }
    if !service.security_opt.is_empty() {
        keys.push("security_opt");
    }
    let t = &service.tuning;
    for (key, set) in [
        ("devices", !service.devices.is_empty()),
        ("gpus", !service.gpus.is_empty()),
        ("pid", service.pid.is_some()),
        ("ipc", service.ipc.is_some()),
        ("links", !service.links.is_empty()),
        ("volumes_from", !service.volumes_from.is_empty()),
        ("cpu_shares", service.cpu_shares.is_some()),
        ("cgroup", t.cgroup.is_some()),
        ("cgroup_parent", t.cgroup_parent.is_some()),
        ("cpu_period", t.cpu_period.is_some()),
        ("cpu_quota", t.cpu_quota.is_some()),
        ("cpu_rt_period", t.cpu_rt_period.is_some()),
        ("cpu_rt_runtime", t.cpu_rt_runtime.is_some()),
        ("cpuset", t.cpuset.is_some()),
        ("device_cgroup_rules", !t.device_cgroup_rules.is_empty()),
        ("mem_swappiness", t.mem_swappiness.is_some()),
        ("memswap_limit", t.memswap_limit.is_some()),
        ("oom_kill_disable", t.oom_kill_disable.is_some()),
        ("oom_score_adj", t.oom_score_adj.is_some()),
        ("platform", service.platform.is_some()),
        ("runtime", t.runtime.is_some()),
        ("storage_opt", !t.storage_opt.is_empty()),
        ("userns_mode", t.userns_mode.is_some()),
        ("uts", t.uts.is_some()),
    ] {
        if set {
            keys.push(key);
        }
    }
    keys
}

/// The Swarm spec of one service of `stack`.
pub fn service_spec(
    stack: &StackSpec,
    key: &str,
    resolved: &Resolved,
    options: SpecOptions,
) -> Result<DesiredService, SpecError> {
    let service = &stack.services[key];
    let project = &stack.name;
    let name = service_name(project, key);
    let error = |field: &str, message: String| SpecError {
        service: key.to_string(),
        field: field.to_string(),
        message,
    };
    let swarm = &service.deploy.swarm;
    let image = resolved
        .images
        .get(&service.image)
        .cloned()
        .unwrap_or_else(|| service.image.clone());

    let mut container_labels: HashMap<String, String> = service
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    container_labels.insert(LABEL_STACK_NAMESPACE.into(), project.clone());

    let nanos = |d: Option<Duration>| d.map(|d| d.as_nanos() as i64);
    let health_check = service.healthcheck.as_ref().map(|h| {
        if h.disable {
            HealthConfig {
                test: Some(vec!["NONE".into()]),
                ..Default::default()
            }
        } else {
            HealthConfig {
                test: (!h.test.is_empty()).then(|| h.test.clone()),
                interval: nanos(h.interval),
                timeout: nanos(h.timeout),
                retries: h.retries.map(i64::from),
                start_period: nanos(h.start_period),
                start_interval: nanos(h.start_interval),
            }
        }
    });

    let mut mounts = Vec::new();
    for (i, m) in service.volumes.iter().enumerate() {
        let source = match m.kind {
            MountKind::Volume => m.source.as_ref().map(|k| {
                stack
                    .volumes
                    .get(k)
                    .map_or_else(|| k.clone(), |v| v.name.clone())
            }),
            MountKind::Bind => m.source.clone(),
            MountKind::Tmpfs => None,
        };
        let volume_labels = (m.kind == MountKind::Volume && m.source.is_some())
            .then(|| HashMap::from([(LABEL_STACK_NAMESPACE.to_string(), project.clone())]));
        mounts.push(crate::docker::engine_mount(m, source, volume_labels));
        if m.kind == MountKind::Bind && m.source.is_none() {
            return Err(error(
                &format!("volumes[{i}]"),
                "a bind mount needs a source".into(),
            ));
        }
    }
    for t in &service.tmpfs {
        let (target, _) = t.split_once(':').unwrap_or((t.as_str(), ""));
        mounts.push(DockerMount {
            target: Some(target.to_string()),
            typ: Some(MountType::TMPFS),
            ..Default::default()
        });
    }

    let mut secrets = Vec::new();
    for (i, r) in service.secrets.iter().enumerate() {
        let (secret_name, _) = resolved.secrets.get(&r.source).ok_or_else(|| {
            error(
                &format!("secrets[{i}]"),
                format!("secret {:?} is not declared at the top level", r.source),
            )
        })?;
        // Swarm puts a relative target under /run/secrets; absolute targets elsewhere.
        let target = r
            .target
            .strip_prefix("/run/secrets/")
            .unwrap_or(&r.target)
            .to_string();
        secrets.push(TaskSpecContainerSpecSecrets {
            file: Some(TaskSpecContainerSpecFile {
                name: Some(target),
                uid: Some(r.uid.clone().unwrap_or_else(|| "0".into())),
                gid: Some(r.gid.clone().unwrap_or_else(|| "0".into())),
                mode: Some(r.mode.unwrap_or(0o444)),
            }),
            // Filled in after hashing: an id changes when an object is re-created, the
            // content-hashed name does not.
            secret_id: None,
            secret_name: Some(secret_name.clone()),
        });
    }
    let mut configs = Vec::new();
    for (i, r) in service.configs.iter().enumerate() {
        let (config_name, _) = resolved.configs.get(&r.source).ok_or_else(|| {
            error(
                &format!("configs[{i}]"),
                format!("config {:?} is not declared at the top level", r.source),
            )
        })?;
        configs.push(TaskSpecContainerSpecConfigs {
            file: Some(TaskSpecContainerSpecFile1 {
                name: Some(r.target.clone()),
                uid: Some(r.uid.clone().unwrap_or_else(|| "0".into())),
                gid: Some(r.gid.clone().unwrap_or_else(|| "0".into())),
                mode: Some(r.mode.unwrap_or(0o444)),
            }),
            config_id: None,
            config_name: Some(config_name.clone()),
            ..Default::default()
        });
    }

    let hosts: Vec<String> = service
        .extra_hosts
        .iter()
        .filter_map(|h| {
            h.split_once(['=', ':'])
                .map(|(host, ip)| format!("{} {host}", ip.trim_matches(['[', ']'])))
        })
        .collect();

    let container_spec = TaskSpecContainerSpec {
        image: Some(image),
        labels: Some(container_labels),
        command: service.entrypoint.clone(),
        args: service.command.clone(),
        hostname: service.hostname.clone(),
        env: (!service.environment.is_empty()).then(|| {
            service
                .environment
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect()
        }),
        dir: service.working_dir.clone(),
        user: service.user.clone(),
        tty: service.tty.then_some(true),
        open_stdin: service.stdin_open.then_some(true),
        read_only: service.read_only.then_some(true),
        mounts: (!mounts.is_empty()).then_some(mounts),
        stop_signal: service.stop_signal.clone(),
        stop_grace_period: nanos(service.stop_grace_period),
        health_check,
        hosts: (!hosts.is_empty()).then_some(hosts),
        dns_config: (!service.dns.is_empty()
            || !service.dns_search.is_empty()
            || !service.tuning.dns_opt.is_empty())
        .then(|| TaskSpecContainerSpecDnsConfig {
            nameservers: Some(service.dns.clone()),
            search: Some(service.dns_search.clone()),
            options: (!service.tuning.dns_opt.is_empty()).then(|| service.tuning.dns_opt.clone()),
        }),
        groups: (!service.tuning.group_add.is_empty()).then(|| service.tuning.group_add.clone()),
        secrets: (!secrets.is_empty()).then_some(secrets),
        configs: (!configs.is_empty()).then_some(configs),
        init: service.init,
        sysctls: (!service.sysctls.is_empty())
            .then(|| service.sysctls.clone().into_iter().collect()),
        capability_add: (!service.cap_add.is_empty()).then(|| service.cap_add.clone()),
        capability_drop: (!service.cap_drop.is_empty()).then(|| service.cap_drop.clone()),
        ulimits: (!service.ulimits.is_empty()).then(|| {
            service
                .ulimits
                .iter()
                .map(|(name, u)| ResourcesUlimits {
                    name: Some(name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect()
        }),
        ..Default::default()
    };

    let limits = &service.deploy.limits;
    let reservations = &service.deploy.reservations;
    let resources = (!limits.is_empty() || !reservations.is_empty()).then(|| TaskSpecResources {
        limits: (!limits.is_empty()).then(|| Limit {
            nano_cpus: limits.cpus.map(|c| (c * 1e9) as i64),
            memory_bytes: limits.memory.map(|m| m as i64),
            pids: limits.pids,
        }),
        reservations: (!reservations.is_empty()).then(|| ResourceObject {
            nano_cpus: reservations.cpus.map(|c| (c * 1e9) as i64),
            memory_bytes: reservations.memory.map(|m| m as i64),
            ..Default::default()
        }),
        ..Default::default()
    });

    let restart_policy = match swarm.get("restart_policy") {
        Some(value) => Some(restart_policy(value).map_err(|m| error(m.0.as_str(), m.1))?),
        None => None,
    };
    let placement = match swarm.get("placement") {
        Some(value) => Some(placement(value).map_err(|m| error(m.0.as_str(), m.1))?),
        None => None,
    };

    let networks: Vec<NetworkAttachmentConfig> = service
        .networks
        .iter()
        .map(|(net_key, attachment)| {
            // Every stack's services share the gateway network: there, a service answers
            // only to its Swarm name and the stack-qualified alias, never to its bare key.
            let mut aliases = if net_key == GATEWAY_NETWORK_KEY {
                Vec::new()
            } else {
                vec![key.to_string()]
            };
            aliases.extend(attachment.aliases.iter().cloned());
            aliases.dedup();
            NetworkAttachmentConfig {
                target: Some(
                    stack
                        .networks
                        .get(net_key)
                        .map_or_else(|| net_key.clone(), |n| n.name.clone()),
                ),
                aliases: Some(aliases),
                ..Default::default()
            }
        })
        .collect();

    let task_template = TaskSpec {
        container_spec: Some(container_spec),
        resources,
        restart_policy,
        placement,
        networks: (!networks.is_empty()).then_some(networks),
        log_driver: service
            .logging
            .as_ref()
            .and_then(|l| l.driver.as_ref().map(|d| (d, &l.options)))
            .map(|(driver, options)| bollard::models::TaskSpecLogDriver {
                name: Some(driver.clone()),
                options: Some(options.clone().into_iter().collect()),
            }),
        ..Default::default()
    };
    let task_hash = stable_hash(&task_template);
    let mut task_template = task_template;
    if let Some(c) = task_template.container_spec.as_mut() {
        c.labels
            .get_or_insert_with(HashMap::new)
            .insert(LABEL_TASK_HASH.into(), task_hash.clone());
    }

    let (mode, replicas) = match swarm.get("mode").and_then(Value::as_str) {
        None | Some("replicated") => (
            ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(i64::from(service.deploy.replicas)),
                }),
                ..Default::default()
            },
            Some(u64::from(service.deploy.replicas)),
        ),
        Some("global") => (
            ServiceSpecMode {
                global: Some(HashMap::new()),
                ..Default::default()
            },
            None,
        ),
        Some(other) => {
            return Err(error(
                "deploy.mode",
                format!("{other:?} is not supported (use replicated or global)"),
            ));
        }
    };

    let (update_config, failure_action) =
        update_config(swarm.get("update_config"), options).map_err(|m| error(m.0.as_str(), m.1))?;
    let rollback_config = match swarm.get("rollback_config") {
        Some(value) => Some(rollback_config(value).map_err(|m| error(m.0.as_str(), m.1))?),
        None => None,
    };

    let endpoint_mode = match swarm.get("endpoint_mode").and_then(Value::as_str) {
        None | Some("vip") => EndpointSpecModeEnum::VIP,
        Some("dnsrr") => EndpointSpecModeEnum::DNSRR,
        Some(other) => {
            return Err(error(
                "deploy.endpoint_mode",
                format!("{other:?} is not one of vip, dnsrr"),
            ));
        }
    };
    let mut ports = Vec::new();
    for (i, p) in service.ports.iter().enumerate() {
        let published = match p.published.as_deref() {
            None | Some("") => None,
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                error(
                    &format!("ports[{i}].published"),
                    format!("{text:?}: Swarm publishes one port per entry, not a range"),
                )
            })?),
        };
        ports.push(EndpointPortConfig {
            protocol: Some(match p.protocol.as_str() {
                "udp" => EndpointPortConfigProtocolEnum::UDP,
                "sctp" => EndpointPortConfigProtocolEnum::SCTP,
                _ => EndpointPortConfigProtocolEnum::TCP,
            }),
            target_port: Some(i64::from(p.target)),
            published_port: published,
            publish_mode: Some(EndpointPortConfigPublishModeEnum::INGRESS),
            ..Default::default()
        });
    }
    if endpoint_mode == EndpointSpecModeEnum::DNSRR && !ports.is_empty() {
        return Err(error(
            "ports",
            "Swarm cannot publish ports through the routing mesh with endpoint_mode dnsrr".into(),
        ));
    }

    let mut labels: HashMap<String, String> = match swarm.get("labels") {
        Some(value) => string_map(value).map_err(|m| error("deploy.labels", m))?,
        None => HashMap::new(),
    };
    labels.insert(LABEL_STACK_NAMESPACE.into(), project.clone());
    labels.insert(LABEL_SERVICE.into(), key.to_string());
    labels.insert(LABEL_STACK_IMAGE.into(), service.image.clone());
    labels.insert(LABEL_MANAGED_BY.into(), "windflow".into());

    let mut spec = ServiceSpec {
        name: Some(name.clone()),
        labels: Some(labels),
        task_template: Some(task_template),
        mode: Some(mode),
        update_config: Some(update_config),
        rollback_config,
        endpoint_spec: Some(EndpointSpec {
            mode: Some(endpoint_mode),
            ports: (!ports.is_empty()).then_some(ports),
        }),
        ..Default::default()
    };
    let hash = stable_hash(&spec);
    spec.labels
        .get_or_insert_with(HashMap::new)
        .insert(LABEL_CONFIG_HASH.into(), hash.clone());
    fill_object_ids(&mut spec, resolved);
    Ok(DesiredService {
        key: key.to_string(),
        name,
        spec,
        hash,
        task_hash,
        replicas,
        failure_action,
    })
}

/// Puts the Swarm ids of the secrets and configs into a spec (they are known only once the
/// objects exist; an empty id stays unset for planning).
pub fn fill_object_ids(spec: &mut ServiceSpec, resolved: &Resolved) {
    let Some(c) = spec
        .task_template
        .as_mut()
        .and_then(|t| t.container_spec.as_mut())
    else {
        return;
    };
    let id_of = |objects: &BTreeMap<String, (String, String)>, name: &Option<String>| {
        objects
            .values()
            .find(|(n, _)| Some(n) == name.as_ref())
            .map(|(_, id)| id.clone())
            .filter(|id| !id.is_empty())
    };
    for s in c.secrets.iter_mut().flatten() {
        s.secret_id = id_of(&resolved.secrets, &s.secret_name);
    }
    for s in c.configs.iter_mut().flatten() {
        s.config_id = id_of(&resolved.configs, &s.config_name);
    }
}

/// The hash of a bollard model: its maps are `HashMap`s, so keys are sorted first to make the
/// text (and the hash) the same on every run.
fn stable_hash<T: serde::Serialize>(model: &T) -> String {
    fn sorted(value: Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    definition_hash(&sorted(serde_json::to_value(model).unwrap_or_default()))
}

type FieldError = (String, String);

fn fields<'a>(
    value: &'a Value,
    path: &str,
) -> Result<&'a serde_json::Map<String, Value>, FieldError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err((path.to_string(), "must be a mapping".into())),
    }
}

fn duration_ns(value: &Value, path: &str) -> Result<i64, FieldError> {
    match value {
        Value::String(text) => parse_duration(text)
            .map(|d| d.as_nanos() as i64)
            .map_err(|m| (path.to_string(), m)),
        Value::Number(n) => n
            .as_i64()
            .map(|s| s * 1_000_000_000)
            .ok_or_else(|| (path.to_string(), format!("{n} is not a duration"))),
        _ => Err((path.to_string(), "must be a duration such as 10s".into())),
    }
}

fn int(value: &Value, path: &str) -> Result<i64, FieldError> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .filter(|n| *n >= 0)
        .ok_or_else(|| (path.to_string(), format!("{value} is not a whole number")))
}

fn float(value: &Value, path: &str) -> Result<f64, FieldError> {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| (path.to_string(), format!("{value} is not a number")))
}

fn text<'a>(value: &'a Value, path: &str) -> Result<&'a str, FieldError> {
    value
        .as_str()
        .ok_or_else(|| (path.to_string(), format!("{value} is not a string")))
}

fn unknown(path: &str, key: &str, known: &[&str]) -> FieldError {
    (
        format!("{path}.{key}"),
        format!("unknown key (expected one of {})", known.join(", ")),
    )
}

fn string_map(value: &Value) -> Result<HashMap<String, String>, String> {
    match value {
        Value::Object(map) => Ok(map
            .iter()
            .map(|(k, v)| {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                (k.clone(), v)
            })
            .collect()),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let text = item.as_str().ok_or("entries must be strings")?;
                let (k, v) = text.split_once('=').unwrap_or((text, ""));
                Ok((k.to_string(), v.to_string()))
            })
            .collect(),
        _ => Err("must be a mapping or a list of KEY=VALUE".into()),
    }
}

/// Parallelism, delay, monitor, ratio and order, shared by update and rollback configs.
struct Rollout {
    parallelism: Option<i64>,
    delay: Option<i64>,
    failure_action: Option<String>,
    monitor: Option<i64>,
    max_failure_ratio: Option<f64>,
    order: Option<String>,
}

fn rollout(value: &Value, path: &str, actions: &[&str]) -> Result<Rollout, FieldError> {
    const KNOWN: &[&str] = &[
        "parallelism",
        "delay",
        "failure_action",
        "monitor",
        "max_failure_ratio",
        "order",
    ];
    let mut r = Rollout {
        parallelism: None,
        delay: None,
        failure_action: None,
        monitor: None,
        max_failure_ratio: None,
        order: None,
    };
    for (k, v) in fields(value, path)? {
        let p = format!("{path}.{k}");
        match k.as_str() {
            "parallelism" => r.parallelism = Some(int(v, &p)?),
            "delay" => r.delay = Some(duration_ns(v, &p)?),
            "monitor" => r.monitor = Some(duration_ns(v, &p)?),
            "max_failure_ratio" => r.max_failure_ratio = Some(float(v, &p)?),
            "failure_action" => {
                let action = text(v, &p)?;
                if !actions.contains(&action) {
                    return Err((
                        p,
                        format!("{action:?} is not one of {}", actions.join(", ")),
                    ));
                }
                r.failure_action = Some(action.to_string());
            }
            "order" => {
                let order = text(v, &p)?;
                if !matches!(order, "start-first" | "stop-first") {
                    return Err((
                        p,
                        format!("{order:?} is not one of start-first, stop-first"),
                    ));
                }
                r.order = Some(order.to_string());
            }
            other => return Err(unknown(path, other, KNOWN)),
        }
    }
    Ok(r)
}

fn update_config(
    value: Option<&Value>,
    options: SpecOptions,
) -> Result<(ServiceSpecUpdateConfig, String), FieldError> {
    let r = match value {
        Some(v) => rollout(
            v,
            "deploy.update_config",
            &["pause", "continue", "rollback"],
        )?,
        None => rollout(&Value::Object(Default::default()), "", &[])?,
    };
    let action = r.failure_action.unwrap_or_else(|| {
        if options.rollback_on_failure {
            "rollback".into()
        } else {
            "pause".into()
        }
    });
    let config = ServiceSpecUpdateConfig {
        parallelism: Some(r.parallelism.unwrap_or(1)),
        delay: r.delay,
        failure_action: Some(match action.as_str() {
            "continue" => ServiceSpecUpdateConfigFailureActionEnum::CONTINUE,
            "rollback" => ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK,
            _ => ServiceSpecUpdateConfigFailureActionEnum::PAUSE,
        }),
        monitor: r.monitor,
        max_failure_ratio: r.max_failure_ratio,
        order: Some(match r.order.as_deref() {
            Some("start-first") => ServiceSpecUpdateConfigOrderEnum::START_FIRST,
            _ => ServiceSpecUpdateConfigOrderEnum::STOP_FIRST,
        }),
    };
    Ok((config, action))
}

fn rollback_config(value: &Value) -> Result<ServiceSpecRollbackConfig, FieldError> {
    let r = rollout(value, "deploy.rollback_config", &["pause", "continue"])?;
    Ok(ServiceSpecRollbackConfig {
        parallelism: r.parallelism,
        delay: r.delay,
        failure_action: r.failure_action.map(|a| match a.as_str() {
            "continue" => ServiceSpecRollbackConfigFailureActionEnum::CONTINUE,
            _ => ServiceSpecRollbackConfigFailureActionEnum::PAUSE,
        }),
        monitor: r.monitor,
        max_failure_ratio: r.max_failure_ratio,
        order: r.order.map(|o| match o.as_str() {
            "start-first" => ServiceSpecRollbackConfigOrderEnum::START_FIRST,
            _ => ServiceSpecRollbackConfigOrderEnum::STOP_FIRST,
        }),
    })
}

fn restart_policy(value: &Value) -> Result<TaskSpecRestartPolicy, FieldError> {
    const PATH: &str = "deploy.restart_policy";
    let mut policy = TaskSpecRestartPolicy::default();
    for (k, v) in fields(value, PATH)? {
        let p = format!("{PATH}.{k}");
        match k.as_str() {
            "condition" => {
                policy.condition = Some(match text(v, &p)? {
                    "none" => TaskSpecRestartPolicyConditionEnum::NONE,
                    "on-failure" => TaskSpecRestartPolicyConditionEnum::ON_FAILURE,
                    "any" => TaskSpecRestartPolicyConditionEnum::ANY,
                    other => {
                        return Err((p, format!("{other:?} is not one of none, on-failure, any")));
                    }
                });
            }
            "delay" => policy.delay = Some(duration_ns(v, &p)?),
            "window" => policy.window = Some(duration_ns(v, &p)?),
            "max_attempts" => policy.max_attempts = Some(int(v, &p)?),
            other => {
                return Err(unknown(
                    PATH,
                    other,
                    &["condition", "delay", "max_attempts", "window"],
                ));
            }
        }
    }
    Ok(policy)
}

fn placement(value: &Value) -> Result<TaskSpecPlacement, FieldError> {
    const PATH: &str = "deploy.placement";
    let mut placement = TaskSpecPlacement::default();
    for (k, v) in fields(value, PATH)? {
        let p = format!("{PATH}.{k}");
        match k.as_str() {
            "constraints" => {
                let items = v.as_array().ok_or((p.clone(), "must be a list".into()))?;
                let mut constraints = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    constraints.push(text(item, &format!("{p}[{i}]"))?.to_string());
                }
                placement.constraints = Some(constraints);
            }
            "preferences" => {
                let items = v.as_array().ok_or((p.clone(), "must be a list".into()))?;
                let mut preferences = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let ip = format!("{p}[{i}]");
                    let spread = fields(item, &ip)?
                        .get("spread")
                        .ok_or((ip.clone(), "needs spread: <node attribute>".into()))?;
                    preferences.push(TaskSpecPlacementPreferences {
                        spread: Some(TaskSpecPlacementSpread {
                            spread_descriptor: Some(text(spread, &ip)?.to_string()),
                        }),
                    });
                }
                placement.preferences = Some(preferences);
            }
            "max_replicas_per_node" => placement.max_replicas = Some(int(v, &p)?),
            other => {
                return Err(unknown(
                    PATH,
                    other,
                    &["constraints", "preferences", "max_replicas_per_node"],
                ));
            }
        }
    }
    Ok(placement)
}

/// The overlay network request for a stack network (overlay unless a driver is written).
pub fn network_request(project: &str, network: &Network) -> bollard::models::NetworkCreateRequest {
    let mut labels: HashMap<String, String> = network.labels.clone().into_iter().collect();
    labels.insert(LABEL_STACK_NAMESPACE.into(), project.into());
    labels.insert(LABEL_MANAGED_BY.into(), "windflow".into());
    labels.insert(
        windflow_domain::naming::LABEL_DEFINITION_HASH.into(),
        definition_hash(network),
    );
    let ipam = network.ipam.as_ref().map(|i| bollard::models::Ipam {
        driver: i.driver.clone(),
        config: Some(
            i.config
                .iter()
                .map(|c| bollard::models::IpamConfig {
                    subnet: c.subnet.clone(),
                    ip_range: c.ip_range.clone(),
                    gateway: c.gateway.clone(),
                    ..Default::default()
                })
                .collect(),
        ),
        options: Some(i.options.clone().into_iter().collect()),
    });
    bollard::models::NetworkCreateRequest {
        name: network.name.clone(),
        driver: Some(
            network
                .driver
                .clone()
                .filter(|d| d != "bridge")
                .unwrap_or_else(|| "overlay".into()),
        ),
        scope: Some("swarm".into()),
        internal: Some(network.internal),
        attachable: Some(network.attachable),
        enable_ipv6: network.enable_ipv6.then_some(true),
        ipam,
        options: Some(network.driver_opts.clone().into_iter().collect()),
        labels: Some(labels),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use windflow_domain::{FileReference, Port, ServiceNetwork};

    fn stack(swarm: serde_json::Value) -> StackSpec {
        let mut stack = StackSpec {
            name: "shop".into(),
            ..Default::default()
        };
        stack.networks.insert(
            "default".into(),
            Network {
                name: "shop_default".into(),
                ..Default::default()
            },
        );
        let mut service = Service {
            image: "web:1".into(),
            ..Default::default()
        };
        service.deploy.replicas = 3;
        service.deploy.swarm = serde_json::from_value(swarm).unwrap();
        service
            .networks
            .insert("default".into(), ServiceNetwork::default());
        service.ports.push(Port {
            target: 80,
            published: Some("8080".into()),
            host_ip: None,
            protocol: "tcp".into(),
            name: None,
            app_protocol: None,
        });
        service.secrets.push(FileReference {
            source: "token".into(),
            target: "/run/secrets/token".into(),
            uid: None,
            gid: None,
            mode: None,
        });
        stack.services.insert("web".into(), service);
        stack
    }

    fn resolved() -> Resolved {
        let mut r = Resolved::default();
        r.images.insert("web:1".into(), "sha256:abc".into());
        r.secrets.insert(
            "token".into(),
            ("shop_token_0123456789ab".into(), "sid".into()),
        );
        r
    }

    #[test]
    fn a_service_with_a_domain_joins_the_gateway_overlay_under_its_qualified_names_only() {
        let mut stack = stack(serde_json::json!({}));
        stack.services.get_mut("web").unwrap().ingress = Some(windflow_domain::Ingress {
            domains: vec!["shop.example.test".parse().unwrap()],
            port: 80,
            tls: windflow_domain::TlsMode::Off,
            health: None,
            max_body: None,
            timeout: None,
        });
        let stack = windflow_domain::ingress::with_gateway(&stack);
        let d = service_spec(&stack, "web", &resolved(), SpecOptions::default()).unwrap();
        let networks = d.spec.task_template.unwrap().networks.unwrap();
        let attached: Vec<(String, Vec<String>)> = networks
            .into_iter()
            .map(|n| (n.target.unwrap(), n.aliases.unwrap()))
            .collect();
        assert_eq!(
            attached,
            [
                ("shop_default".to_string(), vec!["web".to_string()]),
                ("windflow-gateway".to_string(), vec!["shop-web".to_string()]),
            ]
        );
    }

    #[test]
    fn translates_the_swarm_keys() {
        let stack = stack(serde_json::json!({
            "update_config": {"parallelism": 1, "delay": "2s", "failure_action": "rollback", "order": "start-first"},
            "placement": {"constraints": ["node.role==manager"], "max_replicas_per_node": 3},
            "restart_policy": {"condition": "on-failure", "max_attempts": 3},
        }));
        let d = service_spec(&stack, "web", &resolved(), SpecOptions::default()).unwrap();
        assert_eq!(d.name, "shop_web");
        assert_eq!(d.replicas, Some(3));
        let u = d.spec.update_config.as_ref().unwrap();
        assert_eq!(u.delay, Some(2_000_000_000));
        assert_eq!(u.order, Some(ServiceSpecUpdateConfigOrderEnum::START_FIRST));
        let t = d.spec.task_template.as_ref().unwrap();
        let c = t.container_spec.as_ref().unwrap();
        assert_eq!(c.image.as_deref(), Some("sha256:abc"));
        assert_eq!(
            c.secrets.as_ref().unwrap()[0]
                .file
                .as_ref()
                .unwrap()
                .name
                .as_deref(),
            Some("token")
        );
        assert_eq!(
            t.placement.as_ref().unwrap().constraints.as_deref(),
            Some(&["node.role==manager".to_string()][..])
        );
        assert_eq!(
            d.spec
                .endpoint_spec
                .as_ref()
                .unwrap()
                .ports
                .as_ref()
                .unwrap()[0]
                .published_port,
            Some(8080)
        );
        assert_eq!(c.labels.as_ref().unwrap()[LABEL_TASK_HASH], d.task_hash);
    }

    /// Keys Swarm has a field for reach it; the others are reported, never dropped silently.
    #[test]
    fn dns_options_and_groups_reach_swarm_and_what_it_lacks_is_reported() {
        let mut stack = stack(serde_json::json!({}));
        let web = stack.services.get_mut("web").unwrap();
        web.tuning.dns_opt = vec!["ndots:2".into()];
        web.tuning.group_add = vec!["4242".into()];
        web.tuning.oom_score_adj = Some(100);
        web.platform = Some("linux/arm64".into());
        let d = service_spec(&stack, "web", &resolved(), SpecOptions::default()).unwrap();
        let c = d
            .spec
            .task_template
            .as_ref()
            .unwrap()
            .container_spec
            .as_ref()
            .unwrap();
        assert_eq!(
            c.dns_config.as_ref().unwrap().options.as_deref(),
            Some(&["ndots:2".to_string()][..])
        );
        assert_eq!(c.groups.as_deref(), Some(&["4242".to_string()][..]));
        let reported = unsupported_keys(&stack.services["web"]);
        assert!(
            reported.contains(&"oom_score_adj") && reported.contains(&"platform"),
            "{reported:?}"
        );
        assert!(!reported.contains(&"dns_opt") && !reported.contains(&"group_add"));
    }

    #[test]
    fn scaling_keeps_the_task_hash_and_env_changes_it() {
        let base = stack(serde_json::json!({}));
        let a = service_spec(&base, "web", &resolved(), SpecOptions::default()).unwrap();
        assert_eq!(a.failure_action, "rollback");
        let mut scaled = base.clone();
        scaled.services.get_mut("web").unwrap().deploy.replicas = 5;
        let b = service_spec(&scaled, "web", &resolved(), SpecOptions::default()).unwrap();
        assert_eq!(a.task_hash, b.task_hash);
        assert_ne!(a.hash, b.hash);
        let mut changed = base.clone();
        changed
            .services
            .get_mut("web")
            .unwrap()
            .environment
            .insert("V".into(), "2".into());
        let c = service_spec(&changed, "web", &resolved(), SpecOptions::default()).unwrap();
        assert_ne!(a.task_hash, c.task_hash);
    }

    #[test]
    fn bad_swarm_keys_name_the_service_and_field() {
        let check = |swarm: serde_json::Value, expected: &str| {
            let err = service_spec(&stack(swarm), "web", &resolved(), SpecOptions::default())
                .unwrap_err();
            assert_eq!(err.to_string(), expected);
        };
        check(
            serde_json::json!({"update_config": {"failure_action": "explode"}}),
            "service web: deploy.update_config.failure_action: \"explode\" is not one of pause, continue, rollback",
        );
        check(
            serde_json::json!({"update_config": {"delay": "soon"}}),
            &format!(
                "service web: deploy.update_config.delay: {}",
                parse_duration("soon").unwrap_err()
            ),
        );
        check(
            serde_json::json!({"placement": {"constraint": []}}),
            "service web: deploy.placement.constraint: unknown key (expected one of constraints, preferences, max_replicas_per_node)",
        );
        check(
            serde_json::json!({"mode": "replicated-job"}),
            "service web: deploy.mode: \"replicated-job\" is not supported (use replicated or global)",
        );
    }

    #[test]
    fn secret_names_follow_their_content() {
        let a = versioned_name("shop_token", b"one");
        assert_eq!(a, versioned_name("shop_token", b"one"));
        assert_ne!(a, versioned_name("shop_token", b"two"));
        assert!(a.starts_with("shop_token_") && a.len() == "shop_token_".len() + 12);
    }

    #[test]
    fn networks_default_to_encryptable_overlays() {
        let mut network = Network {
            name: "shop_back".into(),
            attachable: true,
            ..Default::default()
        };
        network
            .driver_opts
            .insert("encrypted".into(), String::new());
        let r = network_request("shop", &network);
        assert_eq!(r.driver.as_deref(), Some("overlay"));
        assert_eq!(r.attachable, Some(true));
        assert!(r.options.unwrap().contains_key("encrypted"));
        assert_eq!(r.labels.unwrap()[LABEL_STACK_NAMESPACE], "shop");
    }

    /// The container path (`docker::container_body`) and Swarm (`service_spec`) translate a
    /// compose mount through the same function, so they send the engine the same `Mount`;
    /// Swarm only adds its namespace label to the volumes a service creates.
    #[test]
    fn containers_and_swarm_send_the_same_mounts() {
        let mut stack = stack(serde_json::json!({}));
        stack.secrets.insert(
            "token".into(),
            FileObject {
                name: "shop_token".into(),
                ..Default::default()
            },
        );
        stack.volumes.insert(
            "data".into(),
            windflow_domain::Volume {
                name: "shop_data".into(),
                ..Default::default()
            },
        );
        let service = stack.services.get_mut("web").unwrap();
        service.secrets.clear();
        service.volumes = vec![
            windflow_domain::Mount {
                nocopy: true,
                read_only: true,
                ..windflow_domain::Mount::new(MountKind::Volume, Some("data".into()), "/data")
            },
            windflow_domain::Mount::new(MountKind::Volume, Some("data".into()), "/copy"),
            windflow_domain::Mount {
                nocopy: true,
                ..windflow_domain::Mount::new(MountKind::Volume, None, "/anonymous")
            },
            windflow_domain::Mount {
                read_only: true,
                propagation: Some("rslave".into()),
                ..windflow_domain::Mount::new(MountKind::Bind, Some("/srv/a".into()), "/a")
            },
            windflow_domain::Mount::new(MountKind::Bind, Some("/srv/b".into()), "/b"),
            windflow_domain::Mount {
                tmpfs_size: Some(64 << 20),
                tmpfs_mode: Some(0o1777),
                ..windflow_domain::Mount::new(MountKind::Tmpfs, None, "/scratch")
            },
            windflow_domain::Mount::new(MountKind::Tmpfs, None, "/cache"),
        ];

        let container = windflow_domain::spec::container_spec(&stack, "web", 1, "hash", None);
        let containers = crate::docker::container_body(&container)
            .host_config
            .unwrap()
            .mounts
            .unwrap();
        let swarm = service_spec(&stack, "web", &Resolved::default(), SpecOptions::default())
            .unwrap()
            .spec
            .task_template
            .unwrap()
            .container_spec
            .unwrap()
            .mounts
            .unwrap();
        let unlabelled: Vec<DockerMount> = swarm
            .into_iter()
            .map(|mut m| {
                if let Some(options) = m.volume_options.as_mut()
                    && let Some(labels) = options.labels.take()
                {
                    assert_eq!(labels[LABEL_STACK_NAMESPACE], "shop", "{:?}", m.target);
                }
                m
            })
            .collect();
        assert_eq!(containers, unlabelled);

        let by_target = |t: &str| containers.iter().find(|m| m.target.as_deref() == Some(t));
        let nocopy = |t: &str| {
            by_target(t)
                .unwrap()
                .volume_options
                .as_ref()
                .unwrap()
                .no_copy
        };
        assert_eq!(nocopy("/data"), Some(true));
        assert_eq!(nocopy("/copy"), None);
        assert_eq!(nocopy("/anonymous"), Some(true));
        assert_eq!(
            by_target("/data").unwrap().source.as_deref(),
            Some("shop_data")
        );
        assert_eq!(by_target("/data").unwrap().read_only, Some(true));
        assert_eq!(
            by_target("/a")
                .unwrap()
                .bind_options
                .as_ref()
                .unwrap()
                .propagation,
            Some(bollard::models::MountBindOptionsPropagationEnum::RSLAVE)
        );
        assert_eq!(by_target("/b").unwrap().bind_options, None);
        assert_eq!(by_target("/b").unwrap().volume_options, None);
        let tmpfs = by_target("/scratch")
            .unwrap()
            .tmpfs_options
            .clone()
            .unwrap();
        assert_eq!(tmpfs.size_bytes, Some(64 << 20));
        assert_eq!(tmpfs.mode, Some(0o1777));
        assert_eq!(by_target("/cache").unwrap().tmpfs_options, None);
    }
}
