//! What WindFlow does with every key of the compose specification, section by section: the
//! one table the loader checks keys against ([`crate::convert`]) and `docs/compose-compatibility.md`
//! is generated from ([`markdown`]), so the two cannot drift.
//!
//! A key is either deployed as `docker compose` deploys it, accepted as a description that no
//! Docker engine uses, accepted with a warning because it changes no deployment (only what an
//! interactive `docker compose up` does), or refused with an error that says why and what to
//! write instead. Nothing that changes the running stack is dropped: a file either deploys the
//! stack its author wrote or does not load.

/// What the loader does with one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Deployed as `docker compose` deploys it.
    Yes,
    /// Kept (and shown by `windflow config`); the Docker engine has no use for it, and
    /// `docker compose` does not pass it to the engine either.
    Describes(&'static str),
    /// Accepted with a warning: it only changes what an interactive `docker compose` session
    /// does, never the deployed containers.
    Session(&'static str),
    /// Refused with an error, for this reason.
    Refused(&'static str),
}

/// One mapping of the specification: where it appears and its keys.
pub struct Section {
    /// The path as the documentation shows it (`services.<name>.build`).
    pub path: &'static str,
    pub keys: &'static [(&'static str, Support)],
}

use Support::{Describes, Refused, Session, Yes};

const BUILDKIT: &str = "needs BuildKit, and WindFlow builds through the Engine API's builder: build the image with `docker buildx build` and name it in `image:`";
const WINDOWS: &str = "Windows containers only; WindFlow targets Linux engines";
const SWARM_ONLY: &str = "used by Swarm's secret and config drivers only";

pub const TOP: Section = Section {
    path: "",
    keys: &[
        ("name", Yes),
        ("services", Yes),
        ("networks", Yes),
        ("volumes", Yes),
        ("secrets", Yes),
        ("configs", Yes),
        ("include", Yes),
        (
            "version",
            Session("obsolete: `docker compose` ignores it too (with a warning)"),
        ),
        (
            "models",
            Refused("Docker Model Runner models are not supported"),
        ),
    ],
};

pub const SERVICE: Section = Section {
    path: "services.<name>",
    keys: &[
        (
            "annotations",
            Refused("container annotations need Engine API 1.43 and are not passed yet"),
        ),
        (
            "attach",
            Session("only chooses which logs `docker compose up` streams; WindFlow never attaches"),
        ),
        (
            "blkio_config",
            Refused("block I/O weights and limits are not passed to the engine yet"),
        ),
        ("build", Yes),
        ("cap_add", Yes),
        ("cap_drop", Yes),
        ("cgroup", Yes),
        ("cgroup_parent", Yes),
        ("command", Yes),
        ("configs", Yes),
        ("container_name", Yes),
        ("cpu_count", Refused(WINDOWS)),
        ("cpu_percent", Refused(WINDOWS)),
        ("cpu_period", Yes),
        ("cpu_quota", Yes),
        ("cpu_rt_period", Yes),
        ("cpu_rt_runtime", Yes),
        ("cpu_shares", Yes),
        ("cpus", Yes),
        ("cpuset", Yes),
        ("credential_spec", Refused(WINDOWS)),
        ("depends_on", Yes),
        ("deploy", Yes),
        (
            "develop",
            Session("`docker compose watch` settings; a WindFlow deployment does not watch files"),
        ),
        ("device_cgroup_rules", Yes),
        ("devices", Yes),
        ("dns", Yes),
        ("dns_opt", Yes),
        ("dns_search", Yes),
        ("domainname", Yes),
        ("entrypoint", Yes),
        ("env_file", Yes),
        ("environment", Yes),
        ("expose", Yes),
        ("extends", Yes),
        (
            "external_links",
            Refused(
                "links a container outside the stack; put both on a shared external network instead",
            ),
        ),
        ("extra_hosts", Yes),
        ("gpus", Yes),
        ("group_add", Yes),
        ("healthcheck", Yes),
        ("hostname", Yes),
        ("image", Yes),
        ("init", Yes),
        ("ipc", Yes),
        ("isolation", Refused(WINDOWS)),
        (
            "label_file",
            Refused("not read yet: write the labels under `labels:`"),
        ),
        ("labels", Yes),
        ("links", Yes),
        ("logging", Yes),
        (
            "mac_address",
            Refused(
                "a container MAC address needs Engine API 1.44 (set per network) and is not passed yet",
            ),
        ),
        ("mem_limit", Yes),
        ("mem_reservation", Yes),
        ("mem_swappiness", Yes),
        ("memswap_limit", Yes),
        (
            "models",
            Refused("Docker Model Runner models are not supported"),
        ),
        ("network_mode", Yes),
        ("networks", Yes),
        ("oom_kill_disable", Yes),
        ("oom_score_adj", Yes),
        ("pid", Yes),
        ("pids_limit", Yes),
        ("platform", Yes),
        ("ports", Yes),
        (
            "post_start",
            Refused("lifecycle hooks are not run yet: put the command in the entrypoint"),
        ),
        (
            "pre_stop",
            Refused("lifecycle hooks are not run yet: handle the stop signal in the container"),
        ),
        ("privileged", Yes),
        ("profiles", Yes),
        (
            "provider",
            Refused("provider services (cloud resources run by a plugin) are not supported"),
        ),
        ("pull_policy", Yes),
        ("read_only", Yes),
        ("restart", Yes),
        ("runtime", Yes),
        ("scale", Yes),
        ("secrets", Yes),
        ("security_opt", Yes),
        ("shm_size", Yes),
        ("stdin_open", Yes),
        ("stop_grace_period", Yes),
        ("stop_signal", Yes),
        ("storage_opt", Yes),
        ("sysctls", Yes),
        ("tmpfs", Yes),
        ("tty", Yes),
        ("ulimits", Yes),
        (
            "use_api_socket",
            Refused(
                "hands the container the engine's socket and credentials; bind the socket under `volumes:` so the host-access policy can judge it",
            ),
        ),
        ("user", Yes),
        ("userns_mode", Yes),
        ("uts", Yes),
        ("volumes", Yes),
        ("volumes_from", Yes),
        ("working_dir", Yes),
    ],
};

pub const BUILD: Section = Section {
    path: "services.<name>.build",
    keys: &[
        ("additional_contexts", Refused(BUILDKIT)),
        ("args", Yes),
        ("cache_from", Yes),
        ("cache_to", Refused(BUILDKIT)),
        ("context", Yes),
        ("dockerfile", Yes),
        (
            "dockerfile_inline",
            Refused("not built yet: write the Dockerfile next to the context"),
        ),
        ("entitlements", Refused(BUILDKIT)),
        ("extra_hosts", Yes),
        ("isolation", Refused(WINDOWS)),
        ("labels", Yes),
        ("network", Yes),
        ("no_cache", Yes),
        ("no_cache_filter", Refused(BUILDKIT)),
        ("platforms", Refused(BUILDKIT)),
        ("privileged", Refused(BUILDKIT)),
        ("provenance", Refused(BUILDKIT)),
        ("pull", Yes),
        ("sbom", Refused(BUILDKIT)),
        ("secrets", Refused(BUILDKIT)),
        ("shm_size", Yes),
        ("ssh", Refused(BUILDKIT)),
        (
            "tags",
            Refused("extra tags are not applied yet: tag the image after the build"),
        ),
        ("target", Yes),
        (
            "ulimits",
            Refused("build ulimits are not passed to the builder yet"),
        ),
    ],
};

pub const ENV_FILE: Section = Section {
    path: "services.<name>.env_file[]",
    keys: &[("format", Yes), ("path", Yes), ("required", Yes)],
};

pub const PORT: Section = Section {
    path: "services.<name>.ports[]",
    keys: &[
        (
            "app_protocol",
            Describes("a hint for platforms that route by protocol; no Docker engine field"),
        ),
        ("host_ip", Yes),
        ("mode", Yes),
        (
            "name",
            Describes("a label for humans and other platforms; no Docker engine field"),
        ),
        ("protocol", Yes),
        ("published", Yes),
        ("target", Yes),
    ],
};

pub const MOUNT: Section = Section {
    path: "services.<name>.volumes[]",
    keys: &[
        ("bind", Yes),
        (
            "consistency",
            Describes("Docker Desktop for macOS only; Linux engines ignore it"),
        ),
        (
            "image",
            Refused("image mounts need Engine API 1.47 and are not passed yet"),
        ),
        ("read_only", Yes),
        ("source", Yes),
        ("target", Yes),
        ("tmpfs", Yes),
        ("type", Yes),
        ("volume", Yes),
    ],
};

pub const MOUNT_BIND: Section = Section {
    path: "services.<name>.volumes[].bind",
    keys: &[
        ("create_host_path", Yes),
        ("propagation", Yes),
        (
            "recursive",
            Refused("recursive read-only binds need Engine API 1.44 and are not passed yet"),
        ),
        ("selinux", Yes),
    ],
};

pub const MOUNT_VOLUME: Section = Section {
    path: "services.<name>.volumes[].volume",
    keys: &[("nocopy", Yes), ("subpath", Yes)],
};

pub const MOUNT_TMPFS: Section = Section {
    path: "services.<name>.volumes[].tmpfs",
    keys: &[("mode", Yes), ("size", Yes)],
};

pub const SERVICE_NETWORK: Section = Section {
    path: "services.<name>.networks.<network>",
    keys: &[
        ("aliases", Yes),
        (
            "driver_opts",
            Refused("endpoint driver options are not passed to the engine yet"),
        ),
        (
            "gw_priority",
            Refused("gateway priority needs Engine API 1.48 and is not passed yet"),
        ),
        (
            "interface_name",
            Refused("interface names need Engine API 1.49 and are not passed yet"),
        ),
        ("ipv4_address", Yes),
        ("ipv6_address", Yes),
        (
            "link_local_ips",
            Refused("link-local addresses are not passed to the engine yet"),
        ),
        (
            "mac_address",
            Refused("per-network MAC addresses need Engine API 1.44 and are not passed yet"),
        ),
        ("priority", Yes),
    ],
};

pub const DEPENDS_ON: Section = Section {
    path: "services.<name>.depends_on.<service>",
    keys: &[("condition", Yes), ("required", Yes), ("restart", Yes)],
};

pub const HEALTHCHECK: Section = Section {
    path: "services.<name>.healthcheck",
    keys: &[
        ("disable", Yes),
        ("interval", Yes),
        ("retries", Yes),
        ("start_interval", Yes),
        ("start_period", Yes),
        ("test", Yes),
        ("timeout", Yes),
    ],
};

pub const ULIMIT: Section = Section {
    path: "services.<name>.ulimits.<name>",
    keys: &[("hard", Yes), ("soft", Yes)],
};

pub const LOGGING: Section = Section {
    path: "services.<name>.logging",
    keys: &[("driver", Yes), ("options", Yes)],
};

pub const DEPLOY: Section = Section {
    path: "services.<name>.deploy",
    keys: &[
        ("endpoint_mode", Yes),
        ("labels", Yes),
        ("mode", Yes),
        ("placement", Yes),
        ("replicas", Yes),
        ("resources", Yes),
        ("restart_policy", Yes),
        ("rollback_config", Yes),
        ("update_config", Yes),
    ],
};

pub const RESOURCES: Section = Section {
    path: "services.<name>.deploy.resources",
    keys: &[("limits", Yes), ("reservations", Yes)],
};

pub const RESOURCE_SET: Section = Section {
    path: "services.<name>.deploy.resources.limits|reservations",
    keys: &[
        ("cpus", Yes),
        ("devices", Yes),
        (
            "generic_resources",
            Refused("Swarm generic resources are not passed yet"),
        ),
        ("memory", Yes),
        ("pids", Yes),
    ],
};

pub const DEVICE: Section = Section {
    path: "services.<name>.devices[]",
    keys: &[("permissions", Yes), ("source", Yes), ("target", Yes)],
};

pub const DEVICE_REQUEST: Section = Section {
    path: "services.<name>.gpus[] and deploy.resources.reservations.devices[]",
    keys: &[
        ("capabilities", Yes),
        ("count", Yes),
        ("device_ids", Yes),
        ("driver", Yes),
        ("options", Yes),
    ],
};

pub const FILE_REFERENCE: Section = Section {
    path: "services.<name>.secrets[] and configs[]",
    keys: &[
        ("gid", Yes),
        ("mode", Yes),
        ("source", Yes),
        ("target", Yes),
        ("uid", Yes),
    ],
};

pub const EXTERNAL: Section = Section {
    path: "networks|volumes.<name>.external",
    keys: &[("name", Yes)],
};

pub const NETWORK: Section = Section {
    path: "networks.<name>",
    keys: &[
        ("attachable", Yes),
        ("driver", Yes),
        ("driver_opts", Yes),
        (
            "enable_ipv4",
            Refused("turning IPv4 off needs Engine API 1.47 and is not passed yet"),
        ),
        ("enable_ipv6", Yes),
        ("external", Yes),
        ("internal", Yes),
        ("ipam", Yes),
        ("labels", Yes),
        ("name", Yes),
    ],
};

pub const IPAM: Section = Section {
    path: "networks.<name>.ipam",
    keys: &[("config", Yes), ("driver", Yes), ("options", Yes)],
};

pub const IPAM_POOL: Section = Section {
    path: "networks.<name>.ipam.config[]",
    keys: &[
        (
            "aux_addresses",
            Refused("auxiliary addresses are not passed to the engine yet"),
        ),
        ("gateway", Yes),
        ("ip_range", Yes),
        ("subnet", Yes),
    ],
};

pub const VOLUME: Section = Section {
    path: "volumes.<name>",
    keys: &[
        ("driver", Yes),
        ("driver_opts", Yes),
        ("external", Yes),
        ("labels", Yes),
        ("name", Yes),
    ],
};

pub const SECRET: Section = Section {
    path: "secrets.<name>",
    keys: &[
        ("driver", Refused(SWARM_ONLY)),
        ("driver_opts", Refused(SWARM_ONLY)),
        ("environment", Yes),
        ("external", Yes),
        ("file", Yes),
        ("labels", Yes),
        ("name", Yes),
        ("template_driver", Refused(SWARM_ONLY)),
    ],
};

pub const CONFIG: Section = Section {
    path: "configs.<name>",
    keys: &[
        ("content", Yes),
        ("driver", Refused(SWARM_ONLY)),
        ("driver_opts", Refused(SWARM_ONLY)),
        ("environment", Yes),
        ("external", Yes),
        ("file", Yes),
        ("labels", Yes),
        ("name", Yes),
        ("template_driver", Refused(SWARM_ONLY)),
    ],
};

/// Every section, in the order the documentation lists them.
pub const SECTIONS: &[&Section] = &[
    &TOP,
    &SERVICE,
    &BUILD,
    &ENV_FILE,
    &PORT,
    &MOUNT,
    &MOUNT_BIND,
    &MOUNT_VOLUME,
    &MOUNT_TMPFS,
    &SERVICE_NETWORK,
    &DEPENDS_ON,
    &HEALTHCHECK,
    &ULIMIT,
    &LOGGING,
    &DEPLOY,
    &RESOURCES,
    &RESOURCE_SET,
    &DEVICE,
    &DEVICE_REQUEST,
    &FILE_REFERENCE,
    &EXTERNAL,
    &NETWORK,
    &IPAM,
    &IPAM_POOL,
    &VOLUME,
    &SECRET,
    &CONFIG,
];

impl Section {
    pub fn support(&self, key: &str) -> Option<Support> {
        self.keys
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, support)| *support)
    }
}

/// The compatibility table as Markdown (`docs/compose-compatibility.md`).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Compose compatibility\n\n\
         Generated from `crates/compose/src/compat.rs` — the table the loader checks every key \
         against — by `cargo test -p windflow-compose --lib compat` (set `WINDFLOW_BLESS=1` to \
         rewrite it). Do not edit by hand.\n\n\
         - **deployed**: deployed as `docker compose` deploys it.\n\
         - **described**: kept and shown by `windflow config`; no Docker engine uses it, and \
         `docker compose` does not pass it on either.\n\
         - **session only**: accepted with a warning; it changes what an interactive \
         `docker compose` session does, never the deployed containers.\n\
         - **refused**: the file does not load, with this reason.\n\n\
         Extensions (`x-*`) are accepted everywhere. Keys the specification does not define are \
         reported as warnings.\n",
    );
    let mut counts = [0usize; 4];
    for section in SECTIONS {
        let title = if section.path.is_empty() {
            "top level".to_string()
        } else {
            format!("`{}`", section.path)
        };
        out.push_str(&format!(
            "\n## {title}\n\n| key | support | why |\n|---|---|---|\n"
        ));
        for (key, support) in section.keys {
            let (what, why, index) = match support {
                Yes => ("deployed", "", 0),
                Describes(why) => ("described", *why, 1),
                Session(why) => ("session only", *why, 2),
                Refused(why) => ("**refused**", *why, 3),
            };
            counts[index] += 1;
            out.push_str(&format!(
                "| `{key}` | {what} | {} |\n",
                why.replace('|', "\\|")
            ));
        }
    }
    out.push_str(&format!(
        "\n{} keys: {} deployed, {} described, {} session only, {} refused.\n",
        counts.iter().sum::<usize>(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_unique_within_each_section() {
        for section in SECTIONS.iter().skip(1) {
            let keys: Vec<&str> = section.keys.iter().map(|(k, _)| *k).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(keys, sorted, "{}", section.path);
        }
    }

    /// The documentation is this table: regenerate it with `WINDFLOW_BLESS=1`.
    #[test]
    fn compat_documentation_is_generated_from_the_table() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/compose-compatibility.md"
        );
        let generated = markdown();
        if std::env::var_os("WINDFLOW_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/compose-compatibility.md is stale: run `WINDFLOW_BLESS=1 cargo test -p windflow-compose --lib compat`"
        );
    }
}
