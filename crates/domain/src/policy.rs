//! The host-access policy: which host-level features a stack may use when the control plane
//! deploys it for an organization. Modelled on Kubernetes' Pod Security Standards:
//!
//! - `privileged`: no restriction (the server administrators' own organization);
//! - `baseline` (the default): no host paths except an allow-list of prefixes, never the
//!   engine socket, no `privileged`, no host network or another container's namespaces, only
//!   Docker's default capabilities, no unconfined seccomp/AppArmor/SELinux, only namespaced
//!   sysctls, no local volume that mounts a host path or device, no macvlan/ipvlan network;
//! - `restricted`: baseline, and the container runs as a non-root user with every capability
//!   dropped (`cap_drop: [ALL]`, at most `NET_BIND_SERVICE` added) and `no-new-privileges`.
//!
//! [`check`] is a pure function of a normalized [`StackSpec`]: it names the compose field at
//! fault (`services.web.volumes[0]`), the feature and the policy that refuses it.
//! [`HostAccessPolicy::narrowed_by`] combines an organization's policy with an environment's
//! or a target's: a narrowing can only take permissions away.

use serde::{Deserialize, Serialize};

use crate::stack::{MountKind, StackSpec};

/// How much of the host a stack may reach, from most to least permissive.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl PolicyLevel {
    pub const ALL: [PolicyLevel; 3] = [
        PolicyLevel::Privileged,
        PolicyLevel::Baseline,
        PolicyLevel::Restricted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyLevel::Privileged => "privileged",
            PolicyLevel::Baseline => "baseline",
            PolicyLevel::Restricted => "restricted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

impl std::fmt::Display for PolicyLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A host-access policy: a level and, below `privileged`, the host path prefixes bind mounts
/// may use (none by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostAccessPolicy {
    pub level: PolicyLevel,
    /// Absolute host paths under which bind mounts are allowed (component-wise prefixes:
    /// `/srv/data` allows `/srv/data/x`, not `/srv/database`). Ignored at `privileged`, where
    /// every path is allowed. The engine socket and its parent directories stay refused below
    /// `privileged` whatever this says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_host_paths: Vec<String>,
}

impl Default for HostAccessPolicy {
    fn default() -> Self {
        Self::baseline()
    }
}

impl HostAccessPolicy {
    pub fn privileged() -> Self {
        Self {
            level: PolicyLevel::Privileged,
            allowed_host_paths: Vec::new(),
        }
    }

    pub fn baseline() -> Self {
        Self {
            level: PolicyLevel::Baseline,
            allowed_host_paths: Vec::new(),
        }
    }

    /// Checks the policy itself: allowed paths are absolute, normalized and not `/`.
    pub fn validate(&self) -> Result<(), String> {
        for (i, path) in self.allowed_host_paths.iter().enumerate() {
            let normalized = normalize(path);
            if !path.starts_with('/') || normalized.as_deref() != Some(path.trim_end_matches('/')) {
                return Err(format!(
                    "allowed_host_paths[{i}]: {path:?} is not an absolute, normalized path (no `.`, `..` or `//`)"
                ));
            }
            if path.trim_end_matches('/').is_empty() {
                return Err(format!(
                    "allowed_host_paths[{i}]: \"/\" would allow the whole host: use the privileged level instead"
                ));
            }
        }
        Ok(())
    }

    /// The policy that holds under both `self` and `narrower`: the stricter level, and only
    /// the host paths both allow.
    pub fn narrowed_by(&self, narrower: &HostAccessPolicy) -> HostAccessPolicy {
        let level = self.level.max(narrower.level);
        let allowed_host_paths = match (self.level, narrower.level) {
            (PolicyLevel::Privileged, PolicyLevel::Privileged) => Vec::new(),
            (PolicyLevel::Privileged, _) => narrower.allowed_host_paths.clone(),
            (_, PolicyLevel::Privileged) => self.allowed_host_paths.clone(),
            _ => {
                let mut both = Vec::new();
                for a in &self.allowed_host_paths {
                    for b in &narrower.allowed_host_paths {
                        if under(b, a) {
                            both.push(b.clone());
                        } else if under(a, b) {
                            both.push(a.clone());
                        }
                    }
                }
                both.sort();
                both.dedup();
                both
            }
        };
        HostAccessPolicy {
            level,
            allowed_host_paths,
        }
    }

    fn allows_host_path(&self, path: &str) -> bool {
        self.level == PolicyLevel::Privileged
            || self.allowed_host_paths.iter().any(|p| under(path, p))
    }

    /// One line for messages: `baseline` or `baseline (host paths under /srv, /data)`.
    pub fn describe(&self) -> String {
        if self.level == PolicyLevel::Privileged || self.allowed_host_paths.is_empty() {
            self.level.to_string()
        } else {
            format!(
                "{} (host paths under {})",
                self.level,
                self.allowed_host_paths.join(", ")
            )
        }
    }
}

/// A host-level feature a policy may refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostFeature {
    /// A bind mount (or a local volume that binds) of a host path outside the allow-list.
    HostPath,
    /// The engine's socket, or a directory holding it.
    EngineSocket,
    Privileged,
    /// A capability beyond what the level allows.
    Capability,
    /// `network_mode: host` or the external network `host`.
    HostNetwork,
    /// `network_mode`, `pid`, `ipc` or `volumes_from` naming a container outside the stack:
    /// another container's namespaces or data.
    ContainerNamespace,
    /// `pid: host` or `ipc: host`: the host's process or IPC namespace.
    HostNamespace,
    /// seccomp, AppArmor or SELinux confinement turned off.
    Unconfined,
    /// A sysctl that is not namespaced.
    Sysctl,
    /// A host device (`devices:`, `gpus:`, a device reservation), or a local volume that
    /// mounts a host device or filesystem.
    HostDevice,
    /// A macvlan or ipvlan network on the host's interfaces.
    HostInterface,
    /// A container that may run as root (restricted only).
    RunAsRoot,
    /// Capabilities not all dropped, or privilege escalation allowed (restricted only).
    Escalation,
}

impl HostFeature {
    pub fn as_str(self) -> &'static str {
        match self {
            HostFeature::HostPath => "host_path",
            HostFeature::EngineSocket => "engine_socket",
            HostFeature::Privileged => "privileged",
            HostFeature::Capability => "capability",
            HostFeature::HostNetwork => "host_network",
            HostFeature::ContainerNamespace => "container_namespace",
            HostFeature::HostNamespace => "host_namespace",
            HostFeature::Unconfined => "unconfined",
            HostFeature::Sysctl => "sysctl",
            HostFeature::HostDevice => "host_device",
            HostFeature::HostInterface => "host_interface",
            HostFeature::RunAsRoot => "run_as_root",
            HostFeature::Escalation => "escalation",
        }
    }
}

/// One thing a policy refuses: the compose field, the feature and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The compose path of the field at fault, e.g. `services.web.volumes[0]`.
    pub path: String,
    pub feature: HostFeature,
    pub message: String,
}

/// Capabilities Docker grants by default, which Pod Security's baseline also allows adding.
const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Where engines keep their API sockets; a bind of one of these, or of a directory above
/// one, hands the container the engine (and so the host).
const ENGINE_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/podman/podman.sock",
    "/run/podman/podman.sock",
];

/// Local-driver volume types that mount something other than a host path or device.
const NETWORK_VOLUME_TYPES: &[&str] = &["tmpfs", "nfs", "nfs4", "cifs", "smb3"];

/// Checks `stack` against `policy`: every violation, in a stable order (services by name,
/// then top-level volumes and networks).
pub fn check(stack: &StackSpec, policy: &HostAccessPolicy) -> Vec<Violation> {
    let mut out = Vec::new();
    if policy.level == PolicyLevel::Privileged {
        return out;
    }
    let refuse = |out: &mut Vec<Violation>, path: String, feature: HostFeature, what: String| {
        out.push(Violation {
            message: format!(
                "{what}: refused by this organization's host-access policy ({})",
                policy.describe()
            ),
            path,
            feature,
        });
    };
    for (name, service) in &stack.services {
        let at = |field: &str| format!("services.{name}.{field}");
        if service.privileged {
            refuse(
                &mut out,
                at("privileged"),
                HostFeature::Privileged,
                "privileged: true gives the container the whole host".into(),
            );
        }
        match service.network_mode.as_deref() {
            Some("host") => refuse(
                &mut out,
                at("network_mode"),
                HostFeature::HostNetwork,
                "network_mode: host shares the host's network stack".into(),
            ),
            Some(mode) if mode.starts_with("container:") => refuse(
                &mut out,
                at("network_mode"),
                HostFeature::ContainerNamespace,
                format!("network_mode: {mode} joins a container outside this stack"),
            ),
            _ => {}
        }
        let t = &service.tuning;
        for (field, value) in [
            ("pid", &service.pid),
            ("ipc", &service.ipc),
            ("cgroup", &t.cgroup),
            ("userns_mode", &t.userns_mode),
            ("uts", &t.uts),
        ] {
            match value.as_deref() {
                Some("host") => refuse(
                    &mut out,
                    at(field),
                    HostFeature::HostNamespace,
                    format!("{field}: host shares a namespace of the host's"),
                ),
                Some(mode) if mode.starts_with("container:") => refuse(
                    &mut out,
                    at(field),
                    HostFeature::ContainerNamespace,
                    format!("{field}: {mode} joins a container outside this stack"),
                ),
                _ => {}
            }
        }
        for (i, entry) in service.volumes_from.iter().enumerate() {
            if entry.starts_with("container:") {
                refuse(
                    &mut out,
                    at(&format!("volumes_from[{i}]")),
                    HostFeature::ContainerNamespace,
                    format!(
                        "volumes_from {entry:?} reads the volumes of a container outside this stack"
                    ),
                );
            }
        }
        for (i, rule) in t.device_cgroup_rules.iter().enumerate() {
            refuse(
                &mut out,
                at(&format!("device_cgroup_rules[{i}]")),
                HostFeature::HostDevice,
                format!("device_cgroup_rules {rule:?} lets the container use host devices"),
            );
        }
        for (i, device) in service.devices.iter().enumerate() {
            refuse(
                &mut out,
                at(&format!("devices[{i}]")),
                HostFeature::HostDevice,
                format!("device {} gives the container a host device", device.source),
            );
        }
        let requests = service.gpus.iter().map(|r| (at("gpus"), r)).chain(
            service
                .deploy
                .reservations
                .devices
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        at(&format!("deploy.resources.reservations.devices[{i}]")),
                        r,
                    )
                }),
        );
        for (path, request) in requests {
            let what = request.capabilities.join(", ");
            refuse(
                &mut out,
                path,
                HostFeature::HostDevice,
                format!("a device request ({what}) gives the container host hardware"),
            );
        }
        for (i, mount) in service.volumes.iter().enumerate() {
            if mount.kind != MountKind::Bind {
                continue;
            }
            let source = mount.source.as_deref().unwrap_or("");
            check_host_path(
                &mut out,
                policy,
                at(&format!("volumes[{i}]")),
                source,
                &refuse,
            );
        }
        for (i, cap) in service.cap_add.iter().enumerate() {
            let cap = capability(cap);
            let allowed = match policy.level {
                PolicyLevel::Restricted => cap == "NET_BIND_SERVICE",
                _ => BASELINE_CAPABILITIES.contains(&cap.as_str()),
            };
            if !allowed {
                refuse(
                    &mut out,
                    at(&format!("cap_add[{i}]")),
                    HostFeature::Capability,
                    format!("capability {cap}"),
                );
            }
        }
        for (i, option) in service.security_opt.iter().enumerate() {
            let normalized = option.replace(':', "=").to_ascii_lowercase();
            let unconfined = matches!(
                normalized.as_str(),
                "seccomp=unconfined"
                    | "apparmor=unconfined"
                    | "label=disable"
                    | "systempaths=unconfined"
            );
            if unconfined {
                refuse(
                    &mut out,
                    at(&format!("security_opt[{i}]")),
                    HostFeature::Unconfined,
                    format!("security_opt {option:?} turns the container's confinement off"),
                );
            }
        }
        for key in service.sysctls.keys() {
            if !namespaced_sysctl(key) {
                refuse(
                    &mut out,
                    at(&format!("sysctls.{key}")),
                    HostFeature::Sysctl,
                    format!("sysctl {key} is not namespaced: it would change the host"),
                );
            }
        }
        if policy.level == PolicyLevel::Restricted {
            if !non_root(service.user.as_deref()) {
                let what = match service.user.as_deref() {
                    None => {
                        "no user: the image's default user may be root; set user: to a non-root uid"
                            .to_string()
                    }
                    Some(user) => format!("user {user:?} is root"),
                };
                refuse(&mut out, at("user"), HostFeature::RunAsRoot, what);
            }
            if !service.cap_drop.iter().any(|c| capability(c) == "ALL") {
                refuse(
                    &mut out,
                    at("cap_drop"),
                    HostFeature::Escalation,
                    "capabilities are kept: add cap_drop: [ALL]".into(),
                );
            }
            let no_new_privileges = service.security_opt.iter().any(|o| {
                let o = o.replace(':', "=").to_ascii_lowercase();
                o == "no-new-privileges" || o == "no-new-privileges=true"
            });
            if !no_new_privileges {
                refuse(
                    &mut out,
                    at("security_opt"),
                    HostFeature::Escalation,
                    "privilege escalation is allowed: add security_opt: [\"no-new-privileges:true\"]"
                        .into(),
                );
            }
        }
    }
    for (key, volume) in &stack.volumes {
        if volume.external || !matches!(volume.driver.as_deref(), None | Some("local")) {
            continue;
        }
        let opts = &volume.driver_opts;
        let kind = opts.get("type").map(|t| t.to_ascii_lowercase());
        let binds = opts
            .get("o")
            .is_some_and(|o| o.split(',').any(|f| matches!(f.trim(), "bind" | "rbind")))
            || matches!(kind.as_deref(), Some("none" | "bind"));
        let path = format!("volumes.{key}.driver_opts");
        match (binds, opts.get("device")) {
            (true, Some(device)) => check_host_path(&mut out, policy, path, device, &refuse),
            (false, Some(device))
                if !kind
                    .as_deref()
                    .is_some_and(|k| NETWORK_VOLUME_TYPES.contains(&k)) =>
            {
                refuse(
                    &mut out,
                    path,
                    HostFeature::HostDevice,
                    format!(
                        "volume {key:?} mounts the host device {device:?}{}",
                        kind.map(|k| format!(" as {k}")).unwrap_or_default()
                    ),
                )
            }
            _ => {}
        }
    }
    for (key, network) in &stack.networks {
        if network.external && network.name == "host" {
            refuse(
                &mut out,
                format!("networks.{key}"),
                HostFeature::HostNetwork,
                "the external network \"host\" shares the host's network stack".into(),
            );
        }
        if matches!(network.driver.as_deref(), Some("macvlan" | "ipvlan")) {
            refuse(
                &mut out,
                format!("networks.{key}.driver"),
                HostFeature::HostInterface,
                format!(
                    "network {key:?} ({}) attaches containers to the host's interfaces",
                    network.driver.as_deref().unwrap_or_default()
                ),
            );
        }
    }
    out
}

fn check_host_path(
    out: &mut Vec<Violation>,
    policy: &HostAccessPolicy,
    path: String,
    source: &str,
    refuse: &impl Fn(&mut Vec<Violation>, String, HostFeature, String),
) {
    if let Some((feature, message)) = host_path_refusal(policy, source) {
        refuse(out, path, feature, message);
    }
}

/// Why `policy` refuses the host path `source` (a stack's bind mount, or the folder a backup
/// repository writes to), or `None` when it allows it.
pub fn host_path_refusal(policy: &HostAccessPolicy, source: &str) -> Option<(HostFeature, String)> {
    // Paths in a stack are already absolute and normalized; a relative or odd one is
    // normalized here so `..` cannot walk out of an allowed prefix.
    let Some(source) = normalize(source) else {
        return Some((
            HostFeature::HostPath,
            format!("host path {source:?} is not absolute"),
        ));
    };
    let source = if source.is_empty() { "/" } else { &source };
    if source.ends_with(".sock") || ENGINE_SOCKETS.iter().any(|socket| under(socket, source)) {
        Some((
            HostFeature::EngineSocket,
            format!("host path {source} is or holds the engine's socket"),
        ))
    } else if !policy.allows_host_path(source) {
        Some((HostFeature::HostPath, format!("host path {source}")))
    } else {
        None
    }
}

/// `cap_add` entries as Docker reads them: case-insensitive, with or without `CAP_`.
fn capability(text: &str) -> String {
    let upper = text.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").unwrap_or(&upper).to_string()
}

/// Sysctls Docker namespaces per container: `net.*` (the container has its own network
/// namespace — host networking is refused separately) and the IPC ones.
fn namespaced_sysctl(key: &str) -> bool {
    key.starts_with("net.")
        || key.starts_with("fs.mqueue.")
        || matches!(
            key,
            "kernel.msgmax"
                | "kernel.msgmnb"
                | "kernel.msgmni"
                | "kernel.sem"
                | "kernel.shmall"
                | "kernel.shmmax"
                | "kernel.shmmni"
                | "kernel.shm_rmid_forced"
        )
}

/// A `user:` that cannot be root: a name other than `root` or a uid other than 0.
fn non_root(user: Option<&str>) -> bool {
    let Some(user) = user else { return false };
    let name = user.split(':').next().unwrap_or("").trim();
    !(name.is_empty() || name == "root" || name.parse::<u64>().is_ok_and(|uid| uid == 0))
}

/// `path` lies at or under `prefix`, component-wise.
fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    let path = path.trim_end_matches('/');
    prefix.is_empty() || path == prefix || path.starts_with(&format!("{prefix}/"))
}

/// `/a/./b/../c/` → `/a/c`; `None` for a relative path. The root is `""`.
fn normalize(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    Some(parts.iter().map(|p| format!("/{p}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::{Mount, Network, Service, Volume};

    fn policy(level: PolicyLevel, paths: &[&str]) -> HostAccessPolicy {
        HostAccessPolicy {
            level,
            allowed_host_paths: paths.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn stack_with(service: Service) -> StackSpec {
        let mut stack = StackSpec::default();
        stack.services.insert("web".into(), service);
        stack
    }

    fn service() -> Service {
        Service {
            image: "busybox".into(),
            ..Service::default()
        }
    }

    /// The violations as `path feature` lines.
    fn check_lines(stack: &StackSpec, policy: &HostAccessPolicy, expected: &[&str]) {
        let got: Vec<String> = super::check(stack, policy)
            .iter()
            .map(|v| format!("{} {}", v.path, v.feature.as_str()))
            .collect();
        assert_eq!(got, expected, "{policy:?}");
    }

    fn bind(source: &str) -> Mount {
        Mount::new(MountKind::Bind, Some(source.into()), "/mnt")
    }

    #[test]
    fn a_plain_service_passes_every_level_but_restricted() {
        let stack = stack_with(service());
        check_lines(&stack, &HostAccessPolicy::privileged(), &[]);
        check_lines(&stack, &HostAccessPolicy::baseline(), &[]);
        check_lines(
            &stack,
            &policy(PolicyLevel::Restricted, &[]),
            &[
                "services.web.user run_as_root",
                "services.web.cap_drop escalation",
                "services.web.security_opt escalation",
            ],
        );
        let mut hardened = service();
        hardened.user = Some("1000:1000".into());
        hardened.cap_drop = vec!["all".into()];
        hardened.cap_add = vec!["CAP_NET_BIND_SERVICE".into()];
        hardened.security_opt = vec!["no-new-privileges:true".into()];
        check_lines(
            &stack_with(hardened),
            &policy(PolicyLevel::Restricted, &[]),
            &[],
        );
    }

    #[test]
    fn the_host_takeover_of_the_review_is_refused_below_privileged() {
        let mut s = service();
        s.volumes = vec![bind("/"), bind("/var/run/docker.sock"), bind("/srv/app")];
        s.privileged = true;
        s.network_mode = Some("host".into());
        s.cap_add = vec!["SYS_ADMIN".into(), "chown".into()];
        s.security_opt = vec!["seccomp:unconfined".into(), "apparmor=unconfined".into()];
        s.sysctls.insert("kernel.panic".into(), "1".into());
        s.sysctls.insert("net.core.somaxconn".into(), "1024".into());
        let stack = stack_with(s);
        check_lines(&stack, &HostAccessPolicy::privileged(), &[]);
        check_lines(
            &stack,
            &policy(PolicyLevel::Baseline, &["/srv"]),
            &[
                "services.web.privileged privileged",
                "services.web.network_mode host_network",
                "services.web.volumes[0] engine_socket",
                "services.web.volumes[1] engine_socket",
                "services.web.cap_add[0] capability",
                "services.web.security_opt[0] unconfined",
                "services.web.security_opt[1] unconfined",
                "services.web.sysctls.kernel.panic sysctl",
            ],
        );
    }

    /// The engine keys compose files use to reach the host or another tenant's containers:
    /// host namespaces, devices, GPUs, and namespaces or volumes of containers outside the
    /// stack. Joining a service of the same stack stays allowed.
    #[test]
    fn host_namespaces_devices_and_foreign_containers_are_refused_below_privileged() {
        use crate::stack::{DeviceMapping, DeviceRequest};
        let mut s = service();
        s.pid = Some("host".into());
        s.ipc = Some("container:other-tenant-db".into());
        s.tuning.uts = Some("host".into());
        s.tuning.userns_mode = Some("host".into());
        s.tuning.cgroup = Some("host".into());
        s.tuning.device_cgroup_rules = vec!["c 1:3 mr".into()];
        s.volumes_from = vec!["db:ro".into(), "container:other-tenant-db:ro".into()];
        s.devices = vec![DeviceMapping {
            source: "/dev/sda".into(),
            target: "/dev/sda".into(),
            permissions: "rwm".into(),
        }];
        s.gpus = vec![DeviceRequest {
            count: Some(-1),
            ..DeviceRequest::default()
        }];
        s.deploy.reservations.devices = vec![DeviceRequest {
            capabilities: vec!["gpu".into()],
            ..DeviceRequest::default()
        }];
        let stack = stack_with(s);
        check_lines(&stack, &HostAccessPolicy::privileged(), &[]);
        check_lines(
            &stack,
            &policy(PolicyLevel::Baseline, &[]),
            &[
                "services.web.pid host_namespace",
                "services.web.ipc container_namespace",
                "services.web.cgroup host_namespace",
                "services.web.userns_mode host_namespace",
                "services.web.uts host_namespace",
                "services.web.volumes_from[1] container_namespace",
                "services.web.device_cgroup_rules[0] host_device",
                "services.web.devices[0] host_device",
                "services.web.gpus host_device",
                "services.web.deploy.resources.reservations.devices[0] host_device",
            ],
        );
        let mut joined = service();
        joined.pid = Some("service:db".into());
        joined.ipc = Some("service:db".into());
        joined.volumes_from = vec!["db".into()];
        joined.links = vec!["db:database".into()];
        check_lines(
            &stack_with(joined),
            &policy(PolicyLevel::Baseline, &[]),
            &[],
        );
    }

    #[test]
    fn host_paths_follow_the_allow_list_component_wise() {
        let mut s = service();
        s.volumes = vec![
            bind("/srv/data"),
            bind("/srv/data/x"),
            bind("/srv/database"),
            bind("/srv/data/../../etc"),
            bind("/var/run"),
            bind("/home/u/docker.sock"),
            Mount::new(MountKind::Volume, Some("data".into()), "/v"),
        ];
        let stack = stack_with(s);
        check_lines(
            &stack,
            &policy(PolicyLevel::Baseline, &["/srv/data"]),
            &[
                "services.web.volumes[2] host_path",
                "services.web.volumes[3] host_path",
                "services.web.volumes[4] engine_socket",
                "services.web.volumes[5] engine_socket",
            ],
        );
        assert_eq!(
            super::check(&stack, &HostAccessPolicy::baseline())[0].message,
            "host path /srv/data: refused by this organization's host-access policy (baseline)"
        );
    }

    #[test]
    fn volumes_and_networks_that_reach_the_host() {
        let mut stack = stack_with(service());
        let mut bind_volume = Volume::default();
        bind_volume.driver_opts.insert("type".into(), "none".into());
        bind_volume.driver_opts.insert("o".into(), "bind".into());
        bind_volume
            .driver_opts
            .insert("device".into(), "/etc".into());
        stack.volumes.insert("a".into(), bind_volume);
        let mut disk = Volume::default();
        disk.driver_opts.insert("type".into(), "ext4".into());
        disk.driver_opts.insert("device".into(), "/dev/sda1".into());
        stack.volumes.insert("b".into(), disk);
        let mut nfs = Volume::default();
        nfs.driver_opts.insert("type".into(), "nfs".into());
        nfs.driver_opts.insert("device".into(), ":/exports".into());
        stack.volumes.insert("c".into(), nfs);
        stack.networks.insert(
            "h".into(),
            Network {
                name: "host".into(),
                external: true,
                ..Network::default()
            },
        );
        stack.networks.insert(
            "m".into(),
            Network {
                name: "p_m".into(),
                driver: Some("macvlan".into()),
                ..Network::default()
            },
        );
        check_lines(
            &stack,
            &HostAccessPolicy::baseline(),
            &[
                "volumes.a.driver_opts host_path",
                "volumes.b.driver_opts host_device",
                "networks.h host_network",
                "networks.m.driver host_interface",
            ],
        );
    }

    #[test]
    fn narrowing_only_takes_away() {
        let org = policy(PolicyLevel::Baseline, &["/srv", "/data/a"]);
        let target = policy(PolicyLevel::Baseline, &["/srv/app", "/data"]);
        let both = org.narrowed_by(&target);
        assert_eq!(both.level, PolicyLevel::Baseline);
        assert_eq!(both.allowed_host_paths, ["/data/a", "/srv/app"]);
        let restricted = org.narrowed_by(&policy(PolicyLevel::Restricted, &[]));
        assert_eq!(restricted.level, PolicyLevel::Restricted);
        assert!(restricted.allowed_host_paths.is_empty());
        let from_privileged = HostAccessPolicy::privileged().narrowed_by(&target);
        assert_eq!(from_privileged, target);
        assert_eq!(
            org.narrowed_by(&HostAccessPolicy::privileged()),
            org,
            "a privileged narrowing loosens nothing"
        );
    }

    #[test]
    fn policies_validate_their_paths() {
        assert!(
            policy(PolicyLevel::Baseline, &["/srv/data"])
                .validate()
                .is_ok()
        );
        for bad in ["srv", "/srv/../etc", "/", "/a//b"] {
            assert!(
                policy(PolicyLevel::Baseline, &[bad]).validate().is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn root_users() {
        for (user, ok) in [
            (None, false),
            (Some("root"), false),
            (Some("0"), false),
            (Some("0:1000"), false),
            (Some("1000"), true),
            (Some("app:app"), true),
        ] {
            assert_eq!(non_root(user), ok, "{user:?}");
        }
    }
}
