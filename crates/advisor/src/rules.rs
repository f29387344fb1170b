//! The rules that need only the loaded stack: one function per rule, each given one service.

use windflow_domain::{Mount, MountKind, Service, StackSpec};

use crate::{Finding, Rule, Severity};

// The rules, in the order of `RULES`.

pub(crate) const PRIVILEGED: Rule = Rule {
    id: "privileged",
    severity: Severity::Error,
    summary: "privileged: true gives the container every capability and every host device",
};
pub(crate) const DANGEROUS_CAPABILITY: Rule = Rule {
    id: "dangerous-capability",
    severity: Severity::Error,
    summary: "cap_add of a capability that amounts to root on the host (ALL, SYS_ADMIN, NET_ADMIN, …)",
};
pub(crate) const DOCKER_SOCKET: Rule = Rule {
    id: "docker-socket",
    severity: Severity::Error,
    summary: "the Docker socket is mounted: the container controls the engine and so the host",
};
pub(crate) const SENSITIVE_HOST_MOUNT: Rule = Rule {
    id: "sensitive-host-mount",
    severity: Severity::Error,
    summary: "a bind mount of a sensitive host path (/, /etc, /root, /var/lib/docker, /proc, /sys, /dev, /boot)",
};
pub(crate) const HOST_NAMESPACE: Rule = Rule {
    id: "host-namespace",
    severity: Severity::Error,
    summary: "the container shares the host's network, PID or IPC namespace",
};
pub(crate) const ADDED_CAPABILITY: Rule = Rule {
    id: "added-capability",
    severity: Severity::Warning,
    summary: "cap_add grants a Linux capability beyond Docker's default set",
};
pub(crate) const UNCONFINED_SECURITY_PROFILE: Rule = Rule {
    id: "unconfined-security-profile",
    severity: Severity::Warning,
    summary: "security_opt turns off seccomp, AppArmor or SELinux confinement",
};
pub(crate) const DATABASE_PORT_PUBLISHED: Rule = Rule {
    id: "database-port-published",
    severity: Severity::Warning,
    summary: "a well-known database port is published on every host interface",
};
pub(crate) const SECRET_IN_ENVIRONMENT: Rule = Rule {
    id: "secret-in-environment",
    severity: Severity::Warning,
    summary: "a secret-looking environment variable has a literal value in the compose file",
};
pub(crate) const LATEST_IMAGE_TAG: Rule = Rule {
    id: "latest-image-tag",
    severity: Severity::Warning,
    summary: "the image is tagged latest or not tagged, so a redeploy may run another version",
};
pub(crate) const NO_HEALTHCHECK: Rule = Rule {
    id: "no-healthcheck",
    severity: Severity::Warning,
    summary: "no healthcheck: a broken release looks as healthy as a working one",
};
pub(crate) const NO_RESTART_POLICY: Rule = Rule {
    id: "no-restart-policy",
    severity: Severity::Info,
    summary: "no restart policy: the service stays down after a crash or a host reboot",
};
pub(crate) const NO_MEMORY_LIMIT: Rule = Rule {
    id: "no-memory-limit",
    severity: Severity::Info,
    summary: "no memory limit: a leak can exhaust the host's memory",
};
pub(crate) const RUNS_AS_ROOT: Rule = Rule {
    id: "runs-as-root",
    severity: Severity::Info,
    summary: "no user: (or user 0/root): the container runs as root unless the image drops privileges",
};
pub(crate) const VOLUME_WITHOUT_BACKUP: Rule = Rule {
    id: "volume-without-backup",
    severity: Severity::Info,
    summary: "a named volume has no x-windflow backup declaration (active once WindFlow backups exist; text only)",
};

/// One service under review, and where its findings go.
struct Review<'a> {
    stack: &'a StackSpec,
    name: &'a str,
    service: &'a Service,
    findings: &'a mut Vec<Finding>,
}

impl Review<'_> {
    /// `services.<name>`, or `services.<name>.<suffix>`.
    fn path(&self, suffix: &str) -> String {
        if suffix.is_empty() {
            format!("services.{}", self.name)
        } else {
            format!("services.{}.{suffix}", self.name)
        }
    }

    fn report(&mut self, rule: &Rule, field: String, message: String, fix: String) {
        self.findings.push(Finding {
            rule: rule.id,
            severity: rule.severity,
            service: Some(self.name.to_string()),
            field,
            line: None,
            message,
            fix,
        });
    }
}

/// Every finding of the stack-only rules, unsorted.
pub(crate) fn check_stack(stack: &StackSpec) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, service) in &stack.services {
        let mut review = Review {
            stack,
            name,
            service,
            findings: &mut findings,
        };
        privileged(&mut review);
        capabilities(&mut review);
        mounts(&mut review);
        host_namespaces(&mut review);
        security_options(&mut review);
        database_ports(&mut review);
        secrets_in_environment(&mut review);
        image_tag(&mut review);
        healthcheck(&mut review);
        restart_policy(&mut review);
        memory_limit(&mut review);
        user(&mut review);
    }
    findings
}

fn privileged(r: &mut Review<'_>) {
    if r.service.privileged {
        let name = r.name;
        r.report(
            &PRIVILEGED,
            r.path("privileged"),
            format!(
                "service {name} runs privileged: it gets every capability and every host device, so a compromise of the container is a compromise of the host"
            ),
            "remove privileged: true and grant only what the service needs, e.g. a device (devices: [\"/dev/dri:/dev/dri\"]) or one capability (cap_add: [NET_BIND_SERVICE])".into(),
        );
    }
}

/// Capabilities that amount to root on the host (or, for NET_ADMIN, control of the network),
/// and what each lets a container do.
const DANGEROUS_CAPABILITIES: &[(&str, &str)] = &[
    (
        "ALL",
        "every capability, nearly as much as privileged: true",
    ),
    (
        "SYS_ADMIN",
        "mounting filesystems and the many known container escapes that need it",
    ),
    (
        "NET_ADMIN",
        "reconfiguring interfaces, routes and firewall rules (the host's own with network_mode: host)",
    ),
    ("SYS_MODULE", "loading modules into the host's kernel"),
    ("SYS_RAWIO", "raw access to the host's I/O ports and memory"),
    ("SYS_PTRACE", "tracing processes and reading their memory"),
    (
        "DAC_READ_SEARCH",
        "reading any file of a mounted filesystem by handle, bypassing permissions",
    ),
    ("BPF", "loading eBPF programs into the host's kernel"),
];

fn capabilities(r: &mut Review<'_>) {
    let name = r.name;
    for (index, written) in r.service.cap_add.iter().enumerate() {
        let upper = written.trim().to_ascii_uppercase();
        let capability = upper.strip_prefix("CAP_").unwrap_or(&upper);
        let field = r.path(&format!("cap_add[{index}]"));
        if let Some((_, power)) = DANGEROUS_CAPABILITIES
            .iter()
            .find(|(c, _)| *c == capability)
        {
            let exception = if capability == "NET_ADMIN" {
                " VPN containers (WireGuard, gluetun) do need NET_ADMIN: keep it there, in a container that runs nothing else."
            } else {
                ""
            };
            r.report(
                &DANGEROUS_CAPABILITY,
                field,
                format!("service {name} adds capability {written}, which allows {power}"),
                format!(
                    "remove {written} from cap_add and add only the narrow capabilities the service needs (NET_BIND_SERVICE, CHOWN), after cap_drop: [ALL].{exception}"
                ),
            );
        } else {
            r.report(
                &ADDED_CAPABILITY,
                field,
                format!("service {name} adds capability {written} beyond Docker's default set"),
                format!(
                    "check that the service needs {written}; if it does, keep it and drop the rest:\ncap_drop: [ALL]\ncap_add: [{capability}]"
                ),
            );
        }
    }
}

/// Host paths whose bind mount gives the container the host itself.
const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/root",
    "/var/lib/docker",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
];

/// `/var/lib/docker/` → `/var/lib/docker`; `/` stays.
fn without_trailing_slash(path: &str) -> &str {
    match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

/// Whether a host path is the Docker socket or a directory that holds it.
fn is_docker_socket(path: &str) -> bool {
    let path = without_trailing_slash(path);
    path.ends_with("/docker.sock") || matches!(path, "/var/run" | "/run")
}

fn mounts(r: &mut Review<'_>) {
    let name = r.name;
    for (index, mount) in r.service.volumes.iter().enumerate() {
        let Some(host_path) = host_path(r.stack, mount) else {
            continue;
        };
        let field = r.path(&format!("volumes[{index}]"));
        let target = &mount.target;
        if is_docker_socket(&host_path) {
            r.report(
                &DOCKER_SOCKET,
                field,
                format!(
                    "service {name} mounts the Docker socket ({host_path} at {target}): whoever controls the container controls the engine and so the host, even with :ro"
                ),
                "remove the mount; if the service must talk to Docker, put a filtering proxy in front of the socket (e.g. tecnativa/docker-socket-proxy with only the API sections it needs) and point the service at it with DOCKER_HOST=tcp://docker-proxy:2375".into(),
            );
        } else if SENSITIVE_HOST_PATHS.contains(&without_trailing_slash(&host_path)) {
            let access = if mount.read_only {
                "read-only, which still exposes its secrets"
            } else {
                "writable"
            };
            r.report(
                &SENSITIVE_HOST_MOUNT,
                field,
                format!(
                    "service {name} mounts the host's {host_path} at {target} ({access})"
                ),
                "mount only the file or directory the service needs (e.g. /etc/localtime:/etc/localtime:ro), or keep the data in a named volume".into(),
            );
        }
    }
}

/// The host path behind a mount: a bind's source, or the `device` of a local volume bound
/// to a host directory (`driver_opts: {type: none, o: bind, device: /path}`).
fn host_path(stack: &StackSpec, mount: &Mount) -> Option<String> {
    match mount.kind {
        MountKind::Bind => mount.source.clone(),
        MountKind::Volume => {
            let volume = stack.volumes.get(mount.source.as_deref()?)?;
            let device = volume.driver_opts.get("device")?;
            let bound = volume
                .driver_opts
                .get("o")
                .is_some_and(|o| o.split(',').any(|opt| opt.trim() == "bind"));
            (bound && device.starts_with('/')).then(|| device.clone())
        }
        MountKind::Tmpfs => None,
    }
}

fn host_namespaces(r: &mut Review<'_>) {
    let name = r.name;
    let network = r.service.network_mode.as_deref() == Some("host");
    let pid = r.service.pid.as_deref() == Some("host");
    let ipc = r.service.ipc.as_deref() == Some("host");
    if network {
        r.report(
            &HOST_NAMESPACE,
            r.path("network_mode"),
            format!(
                "service {name} uses the host's network (network_mode: host): it can bind any host port and reach every local-only service on the host"
            ),
            "remove network_mode: host and publish the ports the service needs (ports: [\"127.0.0.1:8080:8080\"]), or route it through the gateway with x-windflow domains".into(),
        );
    }
    if pid {
        r.report(
            &HOST_NAMESPACE,
            r.path("pid"),
            format!(
                "service {name} shares the host's PID namespace (pid: host): it sees, and may signal or trace, every host process"
            ),
            "remove pid: host; monitoring agents that need it belong on a dedicated host".into(),
        );
    }
    if ipc {
        r.report(
            &HOST_NAMESPACE,
            r.path("ipc"),
            format!(
                "service {name} shares the host's IPC namespace (ipc: host): it can read and write the shared memory of host processes"
            ),
            "remove ipc: host; to share memory between two services use ipc: shareable on one and ipc: service:<name> on the other".into(),
        );
    }
}

fn security_options(r: &mut Review<'_>) {
    let name = r.name;
    for (index, option) in r.service.security_opt.iter().enumerate() {
        let normalized = option.trim().to_ascii_lowercase().replace('=', ":");
        let what = match normalized.as_str() {
            "seccomp:unconfined" => "seccomp system-call filtering",
            "apparmor:unconfined" => "its AppArmor profile",
            "label:disable" => "SELinux labelling",
            _ => continue,
        };
        r.report(
            &UNCONFINED_SECURITY_PROFILE,
            r.path(&format!("security_opt[{index}]")),
            format!("service {name} turns off {what} (security_opt: {option})"),
            format!(
                "remove {option}; if one system call or permission is missing, write a profile that allows just that (security_opt: [\"seccomp:./seccomp.json\"])"
            ),
        );
    }
}

/// Well-known database ports (the container side) and what listens there.
const DATABASE_PORTS: &[(u16, &str)] = &[
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (2379, "etcd"),
    (3306, "MySQL/MariaDB"),
    (5432, "PostgreSQL"),
    (5984, "CouchDB"),
    (6379, "Redis"),
    (7687, "Neo4j"),
    (8086, "InfluxDB"),
    (8529, "ArangoDB"),
    (9042, "Cassandra"),
    (9200, "Elasticsearch"),
    (9300, "Elasticsearch (transport)"),
    (11211, "Memcached"),
    (26257, "CockroachDB"),
    (27017, "MongoDB"),
    (28015, "RethinkDB"),
    (33060, "MySQL X"),
];

fn database_ports(r: &mut Review<'_>) {
    let name = r.name;
    for (index, port) in r.service.ports.iter().enumerate() {
        let Some((_, database)) = DATABASE_PORTS.iter().find(|(p, _)| *p == port.target) else {
            continue;
        };
        let all_interfaces = port
            .host_ip
            .as_deref()
            .is_none_or(|ip| matches!(ip.trim(), "" | "0.0.0.0" | "::" | "[::]"));
        if !all_interfaces {
            continue;
        }
        let target = port.target;
        let (host_port, published) = match port.published.as_deref() {
            Some(published) if !published.is_empty() => {
                (format!("host port {published}"), published.to_string())
            }
            _ => ("a random host port".to_string(), target.to_string()),
        };
        r.report(
            &DATABASE_PORT_PUBLISHED,
            r.path(&format!("ports[{index}]")),
            format!(
                "service {name} publishes {database} port {target} on every host interface ({host_port}); Docker's rules bypass host firewalls such as ufw"
            ),
            format!(
                "drop the port if only services of the stack use the database (they reach it as {name}:{target}), or publish it on loopback only:\nports:\n  - \"127.0.0.1:{published}:{target}\""
            ),
        );
    }
}

/// Words that make an environment variable's name look like a secret's.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
];

/// Suffixes that name something about a secret rather than the secret (`*_PASSWORD_FILE`,
/// the convention for secrets read from `/run/secrets`).
const NOT_SECRET_SUFFIXES: &[&str] = &["_FILE", "_PATH", "_DIR", "_URL", "_URI", "_HOST"];

/// Whether an environment variable looks like it holds a secret, judging by its name and
/// value: numbers and booleans (`PASSWORD_MIN_LENGTH=8`, `TOKEN_AUTH=true`) do not.
pub(crate) fn looks_like_secret(name: &str, value: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let value = value.trim();
    SECRET_WORDS.iter().any(|w| upper.contains(w))
        && !NOT_SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
        && !value.is_empty()
        && !value.starts_with("/run/secrets/")
        && value.parse::<f64>().is_err()
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off"
        )
}

fn secrets_in_environment(r: &mut Review<'_>) {
    let name = r.name;
    let variables: Vec<&String> = r
        .service
        .environment
        .iter()
        .filter(|(key, value)| looks_like_secret(key, value))
        .map(|(key, _)| key)
        .collect();
    for variable in variables {
        let secret = variable.to_ascii_lowercase();
        r.report(
            &SECRET_IN_ENVIRONMENT,
            r.path(&format!("environment.{variable}")),
            format!(
                "service {name} sets {variable} to a literal value in the compose file, where anyone who can read the stack can read it"
            ),
            format!(
                "set it as a WindFlow secret variable and write {variable}: ${{{variable}}}, or pass it as a compose secret:\nsecrets:\n  {secret}:\n    environment: {variable}\nservices:\n  {name}:\n    secrets: [{secret}]\n    environment:\n      {variable}_FILE: /run/secrets/{secret}   # if the image reads *_FILE"
            ),
        );
    }
}

/// The tag of an image reference (`None` when it has none), ignoring a registry's port.
fn tag_of(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':').map(|(_, tag)| tag)
}

fn image_tag(r: &mut Review<'_>) {
    // A built image is named after the project; its tag is the build's business.
    if r.service.build.is_some() || r.service.image.is_empty() {
        return;
    }
    let name = r.name;
    let image = r.service.image.as_str();
    if image.contains('@') {
        return; // pinned by digest
    }
    let (message, repository) = match tag_of(image) {
        Some(tag) if tag.eq_ignore_ascii_case("latest") => (
            format!(
                "service {name} runs image {image}, whose latest tag moves: a redeploy or a rollback may run another version"
            ),
            image[..image.len() - tag.len() - 1].to_string(),
        ),
        Some(_) => return,
        None => (
            format!(
                "service {name} runs image {image} with no tag, which means latest: a redeploy or a rollback may run another version"
            ),
            image.to_string(),
        ),
    };
    r.report(
        &LATEST_IMAGE_TAG,
        r.path("image"),
        message,
        format!("pin a version tag, or a digest for a build that never changes:\nimage: {repository}:<version>   # or {repository}@sha256:<digest>"),
    );
}

/// A healthcheck test that suits the image, when it is a well-known one.
fn suggested_test(service: &Service) -> String {
    let image = service.image.to_ascii_lowercase();
    let repository = image.split([':', '@']).next().unwrap_or(&image);
    let base = repository.rsplit('/').next().unwrap_or(repository);
    match base {
        "postgres" | "postgis" => r#"["CMD-SHELL", "pg_isready -U postgres"]"#.into(),
        "redis" | "valkey" => r#"["CMD", "redis-cli", "ping"]"#.into(),
        "mariadb" => r#"["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]"#.into(),
        "mysql" => r#"["CMD", "mysqladmin", "ping", "-h", "localhost"]"#.into(),
        "mongo" => r#"["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping')"]"#.into(),
        _ => {
            let port = service
                .declared_tcp_ports()
                .into_iter()
                .next()
                .unwrap_or(8080);
            format!(r#"["CMD", "wget", "-q", "--spider", "http://localhost:{port}/"]"#)
        }
    }
}

fn healthcheck(r: &mut Review<'_>) {
    // One-shot jobs are judged by their exit code; a disabled check is a choice.
    if r.service.healthcheck.is_some() || r.stack.is_job(r.name) {
        return;
    }
    let name = r.name;
    let test = suggested_test(r.service);
    r.report(
        &NO_HEALTHCHECK,
        r.path(""),
        format!("service {name} has no healthcheck: unless its image declares one, WindFlow cannot tell a broken release from a working one, nor gate dependants on it"),
        format!("add a healthcheck that fails when the service cannot serve, with a command its image has:\nhealthcheck:\n  test: {test}\n  interval: 30s\n  timeout: 5s\n  retries: 3\n  start_period: 10s"),
    );
}

fn restart_policy(r: &mut Review<'_>) {
    let restart = r.service.restart.as_deref().map(str::trim);
    if restart.is_some_and(|policy| !policy.is_empty() && policy != "no")
        || r.service.deploy.swarm.contains_key("restart_policy")
        || r.stack.is_job(r.name)
    {
        return;
    }
    let name = r.name;
    let field = if restart.is_some() {
        r.path("restart")
    } else {
        r.path("")
    };
    r.report(
        &NO_RESTART_POLICY,
        field,
        format!("service {name} has no restart policy: it stays down after a crash or a reboot of the host"),
        "restart: unless-stopped   # or on-failure:5 for a service that should give up".into(),
    );
}

fn memory_limit(r: &mut Review<'_>) {
    if r.service.deploy.limits.memory.is_some() {
        return;
    }
    let name = r.name;
    r.report(
        &NO_MEMORY_LIMIT,
        r.path(""),
        format!("service {name} has no memory limit: a leak in it can exhaust the host's memory and get other services killed"),
        "set a limit above the service's normal use:\ndeploy:\n  resources:\n    limits:\n      memory: 512M".into(),
    );
}

/// Whether a `user:` value is root (`0`, `root`, `0:0`, `root:staff`…).
fn is_root(user: &str) -> bool {
    let who = user.split(':').next().unwrap_or(user).trim();
    who == "0" || who == "root" || who.is_empty()
}

fn user(r: &mut Review<'_>) {
    let name = r.name;
    let (field, message) = match r.service.user.as_deref() {
        None => (
            r.path(""),
            format!(
                "service {name} sets no user: it runs as the image's user, root unless the image changes it (many official images, such as postgres or nginx, drop privileges themselves)"
            ),
        ),
        Some(user) if is_root(user) => (
            r.path("user"),
            format!("service {name} runs as root (user: {user})"),
        ),
        Some(_) => return,
    };
    r.report(
        &RUNS_AS_ROOT,
        field,
        message,
        "if the image supports it, run as an unprivileged user and give it its data directories:\nuser: \"1000:1000\"".into(),
    );
}
