//! A stack as Kubernetes objects, without I/O: what `windflow up --mode kubernetes` applies and
//! `windflow export --format kubernetes` writes.
//!
//! One namespace per stack (and environment, on the server), so a service keeps its compose
//! name as its DNS name: `db:5432` from another service is the `db` Service in the same
//! namespace. Per service: a Deployment (a StatefulSet when it owns a named volume and runs one
//! replica), a Service for its ports, an Ingress for its domains; per stack: PersistentVolumeClaims
//! for named volumes, Secrets and ConfigMaps named by their content (a change rolls the pods
//! and the previous pods keep theirs until they are replaced).
//!
//! What has no Kubernetes equivalent is refused with the field's path (`services.web.devices`),
//! which callers turn into a file and line; what Kubernetes does differently but safely is a
//! warning. Host-level features (host network, PID or IPC namespace, privileged, host paths)
//! are translated only when the host-access policy allows them ([`KubeOptions::host_access`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value, json};
use windflow_domain::plan::definition_hash;
use windflow_domain::{MountKind, Service, StackSpec, TlsMode};

/// The field manager of every server-side apply.
pub const FIELD_MANAGER: &str = "windflow";
/// Every object WindFlow applies carries `windflow.io/stack=<project>`: observe, prune and
/// `down` select by it, and touch nothing without it.
pub const STACK_LABEL: &str = "windflow.io/stack";
/// The service a workload, Service or Ingress belongs to (the compose key, as a DNS label).
pub const SERVICE_LABEL: &str = "windflow.io/service";
/// The body WindFlow last applied, so a failed rollout can put exactly that back.
pub const APPLIED_ANNOTATION: &str = "windflow.io/applied";
/// The key of a Secret's or ConfigMap's content (one file per object, as compose's).
pub const CONTENT_KEY: &str = "content";

/// The Kubernetes kinds a stack becomes, in the order they are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Kind {
    Namespace,
    Secret,
    ConfigMap,
    PersistentVolumeClaim,
    Service,
    Deployment,
    StatefulSet,
    Ingress,
}

impl Kind {
    /// Every kind WindFlow creates inside a stack's namespace.
    pub const NAMESPACED: [Kind; 7] = [
        Kind::Secret,
        Kind::ConfigMap,
        Kind::PersistentVolumeClaim,
        Kind::Service,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::Ingress,
    ];

    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Namespace
            | Kind::Secret
            | Kind::ConfigMap
            | Kind::PersistentVolumeClaim
            | Kind::Service => "v1",
            Kind::Deployment | Kind::StatefulSet => "apps/v1",
            Kind::Ingress => "networking.k8s.io/v1",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Secret => "Secret",
            Kind::ConfigMap => "ConfigMap",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            Kind::Service => "Service",
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::Ingress => "Ingress",
        }
    }

    /// The resource's plural (its URL segment).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::Secret => "secrets",
            Kind::ConfigMap => "configmaps",
            Kind::PersistentVolumeClaim => "persistentvolumeclaims",
            Kind::Service => "services",
            Kind::Deployment => "deployments",
            Kind::StatefulSet => "statefulsets",
            Kind::Ingress => "ingresses",
        }
    }

    /// `kubectl`'s short form in messages (`deployment/web`).
    pub fn short(self) -> &'static str {
        match self {
            Kind::Namespace => "namespace",
            Kind::Secret => "secret",
            Kind::ConfigMap => "configmap",
            Kind::PersistentVolumeClaim => "pvc",
            Kind::Service => "service",
            Kind::Deployment => "deployment",
            Kind::StatefulSet => "statefulset",
            Kind::Ingress => "ingress",
        }
    }

    /// Workloads roll out and are waited on.
    pub fn is_workload(self) -> bool {
        matches!(self, Kind::Deployment | Kind::StatefulSet)
    }
}

/// How a stack is translated, besides the stack itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeOptions {
    /// The namespace the stack's objects live in.
    pub namespace: String,
    /// The storage class of the claims for named volumes (`None`: the cluster's default).
    pub storage_class: Option<String>,
    /// The ingress class of the Ingresses for domains (`None`: the cluster's default).
    pub ingress_class: Option<String>,
    /// A cert-manager cluster issuer for domains with `tls: auto`; without one the Ingress
    /// serves them as the cluster's controller is configured to (a warning says so).
    pub cluster_issuer: Option<String>,
    /// The host-access policy allows host networking, host PID/IPC, privileged pods and host
    /// paths (the CLI's `--allow-host-access`, the server's policy).
    pub host_access: bool,
}

/// The content of the stack's secrets and configs, read by the caller (files, variables).
#[derive(Debug, Clone, Default)]
pub struct Contents {
    pub secrets: BTreeMap<String, Vec<u8>>,
    pub configs: BTreeMap<String, Vec<u8>>,
}

/// One object to apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    pub kind: Kind,
    pub name: String,
    /// The stack's service this object belongs to, when it belongs to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The whole object as applied (apiVersion, kind, metadata, spec …).
    pub body: Value,
}

impl Manifest {
    /// `deployment/web`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind.short(), self.name)
    }
}

/// A stack as Kubernetes objects.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    pub namespace: String,
    /// The namespace first, then every object in apply order.
    pub objects: Vec<Manifest>,
    /// Workloads in waves: a service's wave comes after its dependencies' (`depends_on`),
    /// as (service key, kind, name).
    pub waves: Vec<Vec<(String, Kind, String)>>,
    pub warnings: Vec<String>,
}

/// A field of the stack Kubernetes cannot run as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The compose path (`services.web.network_mode`), for a file and line.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A DNS-1123 label from a compose key or project name: lowercase, `_` and `.` as `-`,
/// at most 63 characters; `None` when nothing valid is left or it starts with a digit where
/// Kubernetes needs a letter (Services).
pub fn dns_label(key: &str) -> Option<String> {
    let label: String = key
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == '_' || c == '.' { '-' } else { c })
        .collect();
    let valid = !label.is_empty()
        && label.len() <= 63
        && label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && label.starts_with(|c: char| c.is_ascii_lowercase())
        && !label.ends_with('-');
    valid.then_some(label)
}

/// An external object's name as written, when Kubernetes accepts it (a DNS-1123 subdomain:
/// lowercase letters, digits, `-` and `.`, at most 253 characters): it names an object that
/// exists, so it is never rewritten.
pub fn dns_subdomain(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        });
    valid.then(|| name.to_string())
}

/// The default namespace of a stack deployed from the CLI: its project name as a label.
pub fn default_namespace(project: &str) -> String {
    dns_label(project).unwrap_or_else(|| format!("stack-{}", &definition_hash(&project)[..8]))
}

/// A Secret's or ConfigMap's name: the key as a label and 10 hex digits of the content's hash.
pub fn content_name(key: &str, data: &[u8]) -> String {
    let base: String = dns_label(key)
        .unwrap_or_else(|| "object".into())
        .chars()
        .take(50)
        .collect();
    let hash = definition_hash(&data);
    format!("{}-{}", base.trim_end_matches('-'), &hash[..10])
}

fn base_labels(project: &str) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert("app.kubernetes.io/managed-by".into(), json!("windflow"));
    labels.insert("app.kubernetes.io/part-of".into(), json!(project));
    labels.insert(STACK_LABEL.into(), json!(project));
    labels
}

fn service_labels(project: &str, name: &str) -> Map<String, Value> {
    let mut labels = base_labels(project);
    labels.insert("app.kubernetes.io/name".into(), json!(name));
    labels.insert("app.kubernetes.io/instance".into(), json!(project));
    labels.insert(SERVICE_LABEL.into(), json!(name));
    labels
}

fn selector(project: &str, name: &str) -> Value {
    json!({ STACK_LABEL: project, SERVICE_LABEL: name })
}

fn object(kind: Kind, name: &str, namespace: Option<&str>, labels: Map<String, Value>) -> Value {
    let mut metadata = json!({ "name": name, "labels": labels });
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({ "apiVersion": kind.api_version(), "kind": kind.name(), "metadata": metadata })
}

/// Whole seconds, at least 1 (probe fields).
fn seconds(d: std::time::Duration) -> i64 {
    (d.as_secs_f64().ceil() as i64).max(1)
}

/// Translates `stack`. Every refusal is returned at once.
pub fn translate(
    stack: &StackSpec,
    contents: &Contents,
    options: &KubeOptions,
) -> Result<Translation, Vec<Refusal>> {
    let t = Translator {
        stack,
        contents,
        options,
        project: stack.name.clone(),
        refusals: Vec::new(),
        warnings: Vec::new(),
        names: BTreeMap::new(),
    };
    t.run()
}

struct Translator<'a> {
    stack: &'a StackSpec,
    contents: &'a Contents,
    options: &'a KubeOptions,
    project: String,
    refusals: Vec<Refusal>,
    warnings: Vec<String>,
    /// Compose service key → its DNS label.
    names: BTreeMap<String, String>,
}

impl Translator<'_> {
    fn refuse(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.refusals.push(Refusal {
            path: path.into(),
            message: message.into(),
        });
    }

    fn run(mut self) -> Result<Translation, Vec<Refusal>> {
        let ns = self.options.namespace.clone();
        if dns_label(&ns).as_deref() != Some(ns.as_str()) {
            self.refuse(
                "name",
                format!("namespace {ns:?} is not a DNS label (lowercase letters, digits and '-')"),
            );
        }
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for key in self.stack.services.keys() {
            match dns_label(key) {
                None => self.refuse(
                    format!("services.{key}"),
                    "a Kubernetes name must be a DNS label of at most 63 characters starting with a letter: rename the service",
                ),
                Some(label) => {
                    if let Some(other) = seen.insert(label.clone(), key.clone()) {
                        self.refuse(
                            format!("services.{key}"),
                            format!("services {other} and {key} both become {label} on Kubernetes: rename one"),
                        );
                    }
                    self.names.insert(key.clone(), label);
                }
            }
        }

        let mut objects = vec![Manifest {
            kind: Kind::Namespace,
            name: ns.clone(),
            service: None,
            body: object(Kind::Namespace, &ns, None, base_labels(&self.project)),
        }];
        let secrets = self.files(Kind::Secret, &mut objects);
        let configs = self.files(Kind::ConfigMap, &mut objects);
        let claims = self.claims(&mut objects);

        let mut workloads = BTreeMap::new();
        let mut tail = Vec::new();
        for (key, service) in &self.stack.services {
            let Some(name) = self.names.get(key).cloned() else {
                continue;
            };
            let before = self.refusals.len();
            let workload = self.workload(key, &name, service, &secrets, &configs, &claims);
            let service_objects = self.service_objects(key, &name, service);
            let ingress = self.ingress(key, &name, service);
            if self.refusals.len() > before {
                continue;
            }
            objects.extend(service_objects);
            workloads.insert(key.clone(), workload);
            tail.extend(ingress);
        }
        if !self.refusals.is_empty() {
            return Err(self.refusals);
        }

        let mut waves: Vec<Vec<(String, Kind, String)>> = Vec::new();
        let mut level: BTreeMap<&str, usize> = BTreeMap::new();
        for key in self.stack.dependency_order() {
            let service = &self.stack.services[key];
            let wave = service
                .depends_on
                .keys()
                .filter_map(|d| level.get(d.as_str()).map(|l| l + 1))
                .max()
                .unwrap_or(0);
            level.insert(key, wave);
            let Some(workload) = workloads.remove(key) else {
                continue;
            };
            if waves.len() <= wave {
                waves.resize(wave + 1, Vec::new());
            }
            waves[wave].push((key.to_string(), workload.kind, workload.name.clone()));
            objects.push(workload);
        }
        objects.extend(tail);
        // Services, workloads and Ingresses carry the body WindFlow applies, for an exact
        // restore (Secrets and ConfigMaps are immutable and named by content; claims are
        // never rolled back).
        for o in &mut objects {
            if o.kind.is_workload() || matches!(o.kind, Kind::Service | Kind::Ingress) {
                let applied = o.body.to_string();
                o.body["metadata"]["annotations"][APPLIED_ANNOTATION] = json!(applied);
            }
        }
        Ok(Translation {
            namespace: ns,
            objects,
            waves,
            warnings: self.warnings,
        })
    }

    /// Secrets or ConfigMaps for the stack's (used) secrets or configs: key → object name.
    fn files(&mut self, kind: Kind, objects: &mut Vec<Manifest>) -> BTreeMap<String, String> {
        let (declared, contents, what) = match kind {
            Kind::Secret => (&self.stack.secrets, &self.contents.secrets, "secrets"),
            _ => (&self.stack.configs, &self.contents.configs, "configs"),
        };
        let mut names = BTreeMap::new();
        for (key, declared) in declared {
            if declared.external {
                match dns_subdomain(&declared.name) {
                    Some(name) => {
                        names.insert(key.clone(), name);
                    }
                    None => self.refuse(
                        format!("{what}.{key}.name"),
                        format!(
                            "external {} {:?} is not a Kubernetes name",
                            &what[..what.len() - 1],
                            declared.name
                        ),
                    ),
                }
                continue;
            }
            let Some(data) = contents.get(key) else {
                continue;
            };
            let name = content_name(key, data);
            let mut body = object(kind, &name, Some(&self.options.namespace), {
                // The file's labels first: WindFlow's own (the stack's, which observe, prune
                // and `down` select by) always win.
                let mut labels: Map<String, Value> = declared
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                labels.extend(base_labels(&self.project));
                labels
            });
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(data);
            match (kind, std::str::from_utf8(data)) {
                (Kind::Secret, _) => {
                    body["type"] = json!("Opaque");
                    body["data"] = json!({ CONTENT_KEY: encoded });
                }
                (_, Ok(text)) => body["data"] = json!({ CONTENT_KEY: text }),
                (_, Err(_)) => body["binaryData"] = json!({ CONTENT_KEY: encoded }),
            }
            body["immutable"] = json!(true);
            objects.push(Manifest {
                kind,
                name: name.clone(),
                service: None,
                body,
            });
            names.insert(key.clone(), name);
        }
        names
    }

    /// Claims for the named volumes services mount: volume key → claim name.
    fn claims(&mut self, objects: &mut Vec<Manifest>) -> BTreeMap<String, String> {
        let used: BTreeSet<&str> = self
            .stack
            .services
            .values()
            .flat_map(|s| &s.volumes)
            .filter(|m| m.kind == MountKind::Volume)
            .filter_map(|m| m.source.as_deref())
            .collect();
        let mut claims = BTreeMap::new();
        for (key, volume) in &self.stack.volumes {
            if !used.contains(key.as_str()) {
                continue;
            }
            let name = if volume.external {
                dns_subdomain(&volume.name)
            } else {
                dns_label(key)
            };
            let Some(name) = name else {
                self.refuse(
                    format!("volumes.{key}"),
                    "the volume's name is not a Kubernetes name (a DNS label): rename it",
                );
                continue;
            };
            claims.insert(key.clone(), name.clone());
            if volume.external {
                continue;
            }
            let size = volume
                .driver_opts
                .get("size")
                .cloned()
                .unwrap_or_else(|| "1Gi".into());
            let mut body = object(
                Kind::PersistentVolumeClaim,
                &name,
                Some(&self.options.namespace),
                base_labels(&self.project),
            );
            body["spec"] = json!({
                "accessModes": ["ReadWriteOnce"],
                "resources": { "requests": { "storage": size } },
            });
            let class = volume
                .driver_opts
                .get("storage_class")
                .or(self.options.storage_class.as_ref());
            if let Some(class) = class {
                body["spec"]["storageClassName"] = json!(class);
            }
            for opt in volume.driver_opts.keys() {
                if opt != "size" && opt != "storage_class" {
                    self.warnings.push(format!(
                        "volume {key}: driver_opts.{opt} has no Kubernetes equivalent (size and storage_class are read)"
                    ));
                }
            }
            objects.push(Manifest {
                kind: Kind::PersistentVolumeClaim,
                name,
                service: None,
                body,
            });
        }
        claims
    }

    #[allow(clippy::too_many_arguments)]
    fn workload(
        &mut self,
        key: &str,
        name: &str,
        s: &Service,
        secrets: &BTreeMap<String, String>,
        configs: &BTreeMap<String, String>,
        claims: &BTreeMap<String, String>,
    ) -> Manifest {
        let path = |field: &str| format!("services.{key}.{field}");
        let host = self.options.host_access;
        let mut pod = Map::new();
        let mut container = Map::new();
        container.insert("name".into(), json!(name));
        container.insert("image".into(), json!(s.image));
        let pull = match s.pull_policy {
            Some(windflow_domain::PullPolicy::Always) => "Always",
            Some(windflow_domain::PullPolicy::Never) => "Never",
            _ => "IfNotPresent",
        };
        container.insert("imagePullPolicy".into(), json!(pull));
        if s.build.is_some() {
            self.warnings.push(format!(
                "service {key}: build is not run for Kubernetes: the cluster pulls {} (push it to a registry the cluster reaches)",
                s.image
            ));
        }
        if let Some(entrypoint) = &s.entrypoint {
            container.insert("command".into(), json!(literal_all(entrypoint)));
        }
        if let Some(command) = &s.command {
            container.insert("args".into(), json!(literal_all(command)));
        }
        if !s.environment.is_empty() {
            let env: Vec<Value> = s
                .environment
                .iter()
                .map(|(k, v)| json!({ "name": k, "value": literal(v) }))
                .collect();
            container.insert("env".into(), json!(env));
        }
        let mut ports = BTreeSet::new();
        for p in &s.ports {
            ports.insert((p.target, p.protocol.to_ascii_uppercase()));
        }
        for e in &s.expose {
            if let Some((port, proto)) = parse_expose(e) {
                ports.insert((port, proto));
            }
        }
        if !ports.is_empty() {
            let list: Vec<Value> = ports
                .iter()
                .map(|(port, proto)| json!({ "containerPort": port, "protocol": proto }))
                .collect();
            container.insert("ports".into(), json!(list));
        }
        if let Some(dir) = &s.working_dir {
            container.insert("workingDir".into(), json!(dir));
        }
        if s.tty {
            container.insert("tty".into(), json!(true));
        }
        if s.stdin_open {
            container.insert("stdin".into(), json!(true));
        }

        // Probes from the healthcheck: readiness gates the rollout, liveness restarts.
        if let Some(h) = s.healthcheck.as_ref().filter(|h| !h.disable) {
            let command = match h.test.first().map(String::as_str) {
                Some("CMD") => Some(json!(h.test[1..])),
                Some("CMD-SHELL") => Some(json!(["/bin/sh", "-c", h.test[1..].join(" ")])),
                Some("NONE") | None => None,
                Some(other) => {
                    self.refuse(
                        path("healthcheck.test"),
                        format!("{other:?} is not CMD, CMD-SHELL or NONE"),
                    );
                    None
                }
            };
            if let Some(command) = command {
                let interval = h
                    .interval
                    .unwrap_or(windflow_domain::Healthcheck::DEFAULT_INTERVAL);
                let timeout = h
                    .timeout
                    .unwrap_or(windflow_domain::Healthcheck::DEFAULT_TIMEOUT);
                let retries = h
                    .retries
                    .unwrap_or(windflow_domain::Healthcheck::DEFAULT_RETRIES)
                    .max(1);
                let probe = |period: std::time::Duration, failures: u32| {
                    json!({
                        "exec": { "command": command },
                        "periodSeconds": seconds(period),
                        "timeoutSeconds": seconds(timeout),
                        "failureThreshold": failures,
                    })
                };
                // Readiness probes as often as the start interval (or the interval) so a
                // rollout is gated as soon as the check passes; liveness at the interval.
                let ready_period = h.start_interval.unwrap_or(interval).min(interval);
                container.insert("readinessProbe".into(), probe(ready_period, retries));
                let mut liveness = probe(interval, retries);
                if let Some(start) = h.start_period {
                    liveness["initialDelaySeconds"] = json!(seconds(start));
                }
                container.insert("livenessProbe".into(), liveness);
            }
        }

        let mut resources = Map::new();
        for (field, compose, r) in [
            ("limits", "limits", &s.deploy.limits),
            ("requests", "reservations", &s.deploy.reservations),
        ] {
            let mut map = Map::new();
            if let Some(cpus) = r.cpus {
                map.insert(
                    "cpu".into(),
                    json!(format!("{}m", (cpus * 1000.0).round() as i64)),
                );
            }
            if let Some(memory) = r.memory {
                map.insert("memory".into(), json!(memory.to_string()));
            }
            if r.pids.is_some() {
                self.warnings.push(format!(
                    "service {key}: deploy.resources.{compose}.pids has no per-pod Kubernetes equivalent (the kubelet's podPidsLimit applies)"
                ));
            }
            if !r.devices.is_empty() {
                self.refuse(
                    path(&format!("deploy.resources.{compose}.devices")),
                    "device reservations have no Kubernetes equivalent here: request the device plugin's resource instead",
                );
            }
            if !map.is_empty() {
                resources.insert(field.into(), Value::Object(map));
            }
        }
        if !resources.is_empty() {
            container.insert("resources".into(), Value::Object(resources));
        }

        // Security context.
        let mut security = Map::new();
        if let Some(user) = &s.user {
            let (uid, gid) = user.split_once(':').unwrap_or((user, ""));
            match uid.parse::<i64>() {
                Ok(uid) => {
                    security.insert("runAsUser".into(), json!(uid));
                }
                Err(_) => self.refuse(
                    path("user"),
                    format!("Kubernetes runs containers as numeric ids: write the uid of {uid:?} (e.g. \"1000\" or \"1000:1000\")"),
                ),
            }
            if !gid.is_empty() {
                match gid.parse::<i64>() {
                    Ok(gid) => {
                        security.insert("runAsGroup".into(), json!(gid));
                    }
                    Err(_) => self.refuse(
                        path("user"),
                        format!(
                            "Kubernetes runs containers as numeric ids: write the gid of {gid:?}"
                        ),
                    ),
                }
            }
        }
        if s.read_only {
            security.insert("readOnlyRootFilesystem".into(), json!(true));
        }
        if s.privileged {
            if host {
                security.insert("privileged".into(), json!(true));
            } else {
                self.refuse(
                    path("privileged"),
                    "a privileged pod owns the node: the host-access policy does not allow it (--allow-host-access)",
                );
            }
        }
        if !s.cap_add.is_empty() || !s.cap_drop.is_empty() {
            let caps = |list: &[String]| -> Vec<String> {
                list.iter()
                    .map(|c| c.trim_start_matches("CAP_").to_ascii_uppercase())
                    .collect()
            };
            let mut capabilities = Map::new();
            if !s.cap_add.is_empty() {
                capabilities.insert("add".into(), json!(caps(&s.cap_add)));
            }
            if !s.cap_drop.is_empty() {
                capabilities.insert("drop".into(), json!(caps(&s.cap_drop)));
            }
            security.insert("capabilities".into(), Value::Object(capabilities));
        }
        for opt in &s.security_opt {
            match opt.as_str() {
                "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true" => {
                    security.insert("allowPrivilegeEscalation".into(), json!(false));
                }
                other => self.warnings.push(format!(
                    "service {key}: security_opt {other:?} is not translated (set the pod's securityContext through the cluster's policy)"
                )),
            }
        }
        if !security.is_empty() {
            container.insert("securityContext".into(), Value::Object(security));
        }

        // Volumes and mounts.
        let mut volumes: Vec<Value> = Vec::new();
        let mut mounts: Vec<Value> = Vec::new();
        for (i, m) in s.volumes.iter().enumerate() {
            let vname = format!("v{i}");
            let mut mount = json!({ "name": vname, "mountPath": m.target });
            if m.read_only {
                mount["readOnly"] = json!(true);
            }
            if let Some(sub) = &m.subpath {
                mount["subPath"] = json!(sub);
            }
            match m.kind {
                MountKind::Volume => match m.source.as_deref() {
                    Some(source) => match claims.get(source) {
                        Some(claim) => volumes.push(
                            json!({ "name": vname, "persistentVolumeClaim": { "claimName": claim } }),
                        ),
                        None => continue,
                    },
                    None => volumes.push(json!({ "name": vname, "emptyDir": {} })),
                },
                MountKind::Bind => {
                    if !host {
                        self.refuse(
                            format!("services.{key}.volumes[{i}]"),
                            format!(
                                "a host path ({}) is the node's disk: the host-access policy does not allow it (--allow-host-access); use a named volume",
                                m.source.as_deref().unwrap_or("?")
                            ),
                        );
                        continue;
                    }
                    let kind = if m.create_host_path {
                        "DirectoryOrCreate"
                    } else {
                        ""
                    };
                    volumes.push(json!({ "name": vname, "hostPath": { "path": m.source, "type": kind } }));
                }
                MountKind::Tmpfs => {
                    let mut dir = json!({ "medium": "Memory" });
                    if let Some(size) = m.tmpfs_size {
                        dir["sizeLimit"] = json!(size.to_string());
                    }
                    volumes.push(json!({ "name": vname, "emptyDir": dir }));
                }
            }
            mounts.push(mount);
        }
        for (i, t) in s.tmpfs.iter().enumerate() {
            let vname = format!("t{i}");
            let target = t.split(':').next().unwrap_or(t);
            volumes.push(json!({ "name": vname, "emptyDir": { "medium": "Memory" } }));
            mounts.push(json!({ "name": vname, "mountPath": target }));
        }
        for (list, names, kind, prefix) in [
            (&s.secrets, secrets, "secret", "s"),
            (&s.configs, configs, "configMap", "c"),
        ] {
            for (i, r) in list.iter().enumerate() {
                let Some(object) = names.get(&r.source) else {
                    continue;
                };
                let vname = format!("{prefix}{i}");
                let mut item = json!({ "key": CONTENT_KEY, "path": CONTENT_KEY });
                if let Some(mode) = r.mode {
                    item["mode"] = json!(mode);
                }
                let source = if kind == "secret" {
                    json!({ "secretName": object, "items": [item] })
                } else {
                    json!({ "name": object, "items": [item] })
                };
                volumes.push(json!({ "name": vname, kind: source }));
                mounts.push(json!({ "name": vname, "mountPath": r.target, "subPath": CONTENT_KEY, "readOnly": true }));
            }
        }
        if !mounts.is_empty() {
            container.insert("volumeMounts".into(), json!(mounts));
        }

        // Pod-level settings.
        match s.network_mode.as_deref() {
            None | Some("bridge") | Some("default") => {}
            Some("host") if host => {
                pod.insert("hostNetwork".into(), json!(true));
                pod.insert("dnsPolicy".into(), json!("ClusterFirstWithHostNet"));
            }
            Some("host") => self.refuse(
                path("network_mode"),
                "host networking puts the pod on the node's network: the host-access policy does not allow it (--allow-host-access)",
            ),
            Some(other) => self.refuse(
                path("network_mode"),
                format!("{other:?} has no Kubernetes equivalent: pods do not share another workload's network; put the containers in one service or talk through the other's Service"),
            ),
        }
        for (field, value, pod_field) in [
            ("pid", s.pid.as_deref(), "hostPID"),
            ("ipc", s.ipc.as_deref(), "hostIPC"),
        ] {
            match value {
                None | Some("private") | Some("shareable") => {}
                Some("host") if host => {
                    pod.insert(pod_field.into(), json!(true));
                }
                Some("host") => self.refuse(
                    path(field),
                    format!("the host's {field} namespace: the host-access policy does not allow it (--allow-host-access)"),
                ),
                Some(other) => self.refuse(
                    path(field),
                    format!("{other:?} has no Kubernetes equivalent (a pod cannot join another workload's namespace)"),
                ),
            }
        }
        if !s.devices.is_empty() {
            self.refuse(
                path("devices"),
                "host devices have no Kubernetes equivalent here: use the device plugin's resource",
            );
        }
        if !s.gpus.is_empty() {
            self.refuse(
                path("gpus"),
                "GPUs are requested through the device plugin's resource (e.g. nvidia.com/gpu) on Kubernetes",
            );
        }
        if !s.volumes_from.is_empty() {
            self.refuse(
                path("volumes_from"),
                "volumes_from has no Kubernetes equivalent: mount the same named volume",
            );
        }
        if !s.ulimits.is_empty() {
            self.refuse(
                path("ulimits"),
                "per-container ulimits have no Kubernetes equivalent (they are the node's runtime settings)",
            );
        }
        if let Some(grace) = s.stop_grace_period {
            // Rounded up: 500ms must not become an immediate kill.
            pod.insert(
                "terminationGracePeriodSeconds".into(),
                json!(grace.as_secs_f64().ceil() as u64),
            );
        }
        if let Some(hostname) = &s.hostname {
            match dns_label(hostname) {
                Some(h) => {
                    pod.insert("hostname".into(), json!(h));
                }
                None => self.refuse(path("hostname"), "not a DNS label"),
            }
        }
        if !s.extra_hosts.is_empty() {
            let mut by_ip: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for entry in &s.extra_hosts {
                let (name, ip) = entry
                    .split_once('=')
                    .or_else(|| entry.split_once(':'))
                    .unwrap_or((entry, ""));
                by_ip
                    .entry(ip.trim_matches(['[', ']']).to_string())
                    .or_default()
                    .push(name.to_string());
            }
            let aliases: Vec<Value> = by_ip
                .into_iter()
                .map(|(ip, names)| json!({ "ip": ip, "hostnames": names }))
                .collect();
            pod.insert("hostAliases".into(), json!(aliases));
        }
        if !s.dns.is_empty() || !s.dns_search.is_empty() {
            let mut config = Map::new();
            if !s.dns.is_empty() {
                config.insert("nameservers".into(), json!(s.dns));
            }
            if !s.dns_search.is_empty() {
                config.insert("searches".into(), json!(s.dns_search));
            }
            pod.insert("dnsConfig".into(), Value::Object(config));
        }
        if !s.sysctls.is_empty() {
            let list: Vec<Value> = s
                .sysctls
                .iter()
                .map(|(k, v)| json!({ "name": k, "value": v }))
                .collect();
            pod.insert("securityContext".into(), json!({ "sysctls": list }));
        }
        for (present, what) in [
            (
                s.container_name.is_some(),
                "container_name (pods are named by their workload)",
            ),
            (
                s.logging.is_some(),
                "logging (the node's runtime keeps the logs)",
            ),
            (
                s.stop_signal.is_some(),
                "stop_signal (the image's STOPSIGNAL applies)",
            ),
            (s.init.is_some(), "init"),
            (s.shm_size.is_some(), "shm_size"),
            (
                s.platform.is_some(),
                "platform (the node's architecture decides)",
            ),
            (s.cpu_shares.is_some(), "cpu_shares (use deploy.resources)"),
            (
                s.tuning != Default::default(),
                "kernel and runtime tuning keys",
            ),
            (
                !s.tcp.is_empty(),
                "x-windflow.tcp (use a Service of type LoadBalancer)",
            ),
        ] {
            if present {
                self.warnings.push(format!(
                    "service {key}: {what} is not translated for Kubernetes"
                ));
            }
        }
        if s.networks.keys().any(|n| n != "default") {
            self.warnings.push(format!(
                "service {key}: networks are one flat network on Kubernetes: every service of the stack reaches every other by its Service name"
            ));
        }
        match s.restart.as_deref() {
            Some("no") | Some("on-failure") => self.warnings.push(format!(
                "service {key}: restart: {} — a Kubernetes workload always restarts its pods",
                s.restart.as_deref().unwrap_or_default()
            )),
            Some(r) if r.starts_with("on-failure:") => self.warnings.push(format!(
                "service {key}: restart: {r} — a Kubernetes workload always restarts its pods"
            )),
            _ => {}
        }

        pod.insert("containers".into(), json!([Value::Object(container)]));
        if !volumes.is_empty() {
            pod.insert("volumes".into(), json!(volumes));
        }
        // Pods get no API token unless asked: a stack is not a cluster client.
        pod.insert("automountServiceAccountToken".into(), json!(false));
        pod.insert("enableServiceLinks".into(), json!(false));

        let mut template_meta = json!({ "labels": service_labels(&self.project, name) });
        let annotations: Map<String, Value> = s
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        if !annotations.is_empty() {
            template_meta["annotations"] = Value::Object(annotations);
        }
        let template = json!({ "metadata": template_meta, "spec": Value::Object(pod) });

        let owns_volume = s
            .volumes
            .iter()
            .any(|m| m.kind == MountKind::Volume && m.source.is_some());
        let stateful = owns_volume && s.deploy.replicas == 1;
        let kind = if stateful {
            Kind::StatefulSet
        } else {
            Kind::Deployment
        };
        let mut body = object(
            kind,
            name,
            Some(&self.options.namespace),
            service_labels(&self.project, name),
        );
        let mut spec = json!({
            "replicas": s.deploy.replicas,
            "selector": { "matchLabels": selector(&self.project, name) },
            "template": template,
        });
        let update = self.update_config(key, s);
        if stateful {
            spec["serviceName"] = json!(name);
            spec["podManagementPolicy"] = json!("Parallel");
            spec["updateStrategy"] = json!({ "type": "RollingUpdate" });
        } else {
            // Swarm's parallelism 0 is every task at once.
            let batch = match update.parallelism {
                0 => json!("100%"),
                n => json!(n),
            };
            let (surge, unavailable) = match update.order_stop_first {
                true => (json!(0), batch),
                false => (batch, json!(0)),
            };
            spec["strategy"] = json!({
                "type": "RollingUpdate",
                "rollingUpdate": { "maxSurge": surge, "maxUnavailable": unavailable },
            });
        }
        if let Some(ready) = update.min_ready_seconds {
            spec["minReadySeconds"] = json!(ready);
        }
        body["spec"] = spec;
        Manifest {
            kind,
            name: name.to_string(),
            service: Some(key.to_string()),
            body,
        }
    }

    fn update_config(&mut self, key: &str, s: &Service) -> Update {
        let mut update = Update {
            parallelism: 1,
            order_stop_first: false,
            min_ready_seconds: None,
        };
        if let Some(mode) = s.deploy.swarm.get("mode").and_then(Value::as_str)
            && mode != "replicated"
        {
            self.refuse(
                format!("services.{key}.deploy.mode"),
                format!(
                    "{mode:?} is not translated to Kubernetes (use replicated with deploy.replicas)"
                ),
            );
        }
        if s.deploy.swarm.contains_key("placement") {
            self.warnings.push(format!(
                "service {key}: deploy.placement is not translated (use the cluster's node selectors)"
            ));
        }
        let Some(config) = s.deploy.swarm.get("update_config") else {
            return update;
        };
        let path = format!("services.{key}.deploy.update_config");
        if let Some(p) = config.get("parallelism") {
            match p.as_u64() {
                Some(n) => update.parallelism = n,
                None => self.refuse(format!("{path}.parallelism"), "not a whole number"),
            }
        }
        match config.get("order").and_then(Value::as_str) {
            None | Some("start-first") => {}
            Some("stop-first") => update.order_stop_first = true,
            Some(other) => self.refuse(
                format!("{path}.order"),
                format!("{other:?} is not one of start-first, stop-first"),
            ),
        }
        if let Some(monitor) = config.get("monitor").and_then(Value::as_str) {
            match windflow_domain::units::parse_duration(monitor) {
                Ok(d) => update.min_ready_seconds = Some(d.as_secs()),
                Err(e) => self.refuse(format!("{path}.monitor"), e.to_string()),
            }
        }
        update
    }

    /// The service's Service (every port, inside the cluster), and a `<name>-nodeport` Service
    /// with only the ports published in the NodePort range, so nothing unpublished is opened on
    /// the nodes.
    fn service_objects(&mut self, key: &str, name: &str, s: &Service) -> Vec<Manifest> {
        let mut ports: BTreeMap<(u16, String), Option<u16>> = BTreeMap::new();
        for p in &s.ports {
            let entry = ports
                .entry((p.target, p.protocol.to_ascii_uppercase()))
                .or_default();
            match p.published.as_deref().filter(|p| !p.is_empty()) {
                None => {}
                Some(text) => match text.parse::<u16>() {
                    Ok(node) if (30000..=32767).contains(&node) => *entry = Some(node),
                    Ok(other) => self.warnings.push(format!(
                        "service {key}: published port {other} is not opened on the nodes (reach it through the {name} Service, an Ingress from x-windflow.domains, or publish a port in 30000-32767 for a NodePort)"
                    )),
                    Err(_) => self.warnings.push(format!(
                        "service {key}: published port range {text} is not opened on the nodes (a NodePort is one port in 30000-32767)"
                    )),
                },
            }
        }
        for e in &s.expose {
            match parse_expose(e) {
                Some(k) => {
                    ports.entry(k).or_default();
                }
                None => self.warnings.push(format!(
                    "service {key}: expose {e:?} is not one port: list each port of a range"
                )),
            }
        }
        if let Some(ingress) = &s.ingress {
            ports.entry((ingress.port, "TCP".into())).or_default();
        }
        if ports.is_empty() {
            return vec![];
        }
        let port = |(port, proto): &(u16, String)| {
            json!({
                "name": format!("{}-{port}", proto.to_ascii_lowercase()),
                "port": port,
                "targetPort": port,
                "protocol": proto,
            })
        };
        let service = |this: &Self, object_name: &str, kind: &str, list: Vec<Value>| {
            let mut body = object(
                Kind::Service,
                object_name,
                Some(&this.options.namespace),
                service_labels(&this.project, name),
            );
            body["spec"] = json!({
                "type": kind,
                "selector": selector(&this.project, name),
                "ports": list,
            });
            Manifest {
                kind: Kind::Service,
                name: object_name.to_string(),
                service: Some(key.to_string()),
                body,
            }
        };
        let mut out = vec![service(
            self,
            name,
            "ClusterIP",
            ports.keys().map(port).collect(),
        )];
        let published: Vec<Value> = ports
            .iter()
            .filter_map(|(k, node)| {
                let mut p = port(k);
                p["nodePort"] = json!((*node)?);
                Some(p)
            })
            .collect();
        if !published.is_empty() {
            let base: String = name.chars().take(54).collect();
            let node_name = format!("{}-nodeport", base.trim_end_matches('-'));
            out.push(service(self, &node_name, "NodePort", published));
        }
        out
    }

    fn ingress(&mut self, key: &str, name: &str, s: &Service) -> Option<Manifest> {
        let ingress = s.ingress.as_ref()?;
        let backend = json!({ "service": { "name": name, "port": { "number": ingress.port } } });
        let mut hosts: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for d in &ingress.domains {
            hosts.entry(&d.host).or_default().push(json!({
                "path": d.path.as_deref().unwrap_or("/"),
                "pathType": "Prefix",
                "backend": backend,
            }));
        }
        let rules: Vec<Value> = hosts
            .iter()
            .map(|(host, paths)| json!({ "host": host, "http": { "paths": paths } }))
            .collect();
        let mut body = object(
            Kind::Ingress,
            name,
            Some(&self.options.namespace),
            service_labels(&self.project, name),
        );
        body["spec"] = json!({ "rules": rules });
        if let Some(class) = &self.options.ingress_class {
            body["spec"]["ingressClassName"] = json!(class);
        }
        let names: Vec<&str> = hosts.keys().copied().collect();
        match &ingress.tls {
            TlsMode::Off => {}
            TlsMode::Named(secret) => match dns_label(secret) {
                Some(secret) => {
                    body["spec"]["tls"] = json!([{ "hosts": names, "secretName": secret }]);
                }
                None => self.refuse(
                    format!("services.{key}.x-windflow.tls"),
                    format!("{secret:?} is not the name of a Kubernetes TLS Secret"),
                ),
            },
            TlsMode::Auto => match &self.options.cluster_issuer {
                Some(issuer) => {
                    body["metadata"]["annotations"] =
                        json!({ "cert-manager.io/cluster-issuer": issuer });
                    body["spec"]["tls"] = json!([{ "hosts": names, "secretName": format!("{name}-tls") }]);
                }
                None => self.warnings.push(format!(
                    "service {key}: tls: auto — no cert-manager issuer is configured for this cluster, so the Ingress serves its domains as the cluster's ingress controller does"
                )),
            },
        }
        Some(Manifest {
            kind: Kind::Ingress,
            name: name.to_string(),
            service: Some(key.to_string()),
            body,
        })
    }
}

struct Update {
    parallelism: u64,
    order_stop_first: bool,
    min_ready_seconds: Option<u64>,
}

/// A value as written: the kubelet expands `$(NAME)` in a container's command, args and
/// environment, which compose never does, so `$(` is escaped as `$$(`.
fn literal(value: &str) -> String {
    value.replace("$(", "$$(")
}

fn literal_all(values: &[String]) -> Vec<String> {
    values.iter().map(|v| literal(v)).collect()
}

/// `"80"` or `"80/udp"` → (80, `UDP`).
fn parse_expose(e: &str) -> Option<(u16, String)> {
    let (port, proto) = e.split_once('/').unwrap_or((e, "tcp"));
    Some((port.parse().ok()?, proto.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests;
