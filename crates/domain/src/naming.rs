//! Names and labels. WindFlow follows compose's conventions so that tools reading them
//! (`docker compose ps`, Portainer, Dockge) recognize WindFlow stacks, and so that WindFlow
//! recognizes stacks those tools made.

pub const LABEL_PROJECT: &str = "com.docker.compose.project";
pub const LABEL_SERVICE: &str = "com.docker.compose.service";
pub const LABEL_CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
pub const LABEL_ONEOFF: &str = "com.docker.compose.oneoff";
pub const LABEL_CONFIG_HASH: &str = "com.docker.compose.config-hash";
pub const LABEL_WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const LABEL_CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const LABEL_COMPOSE_VERSION: &str = "com.docker.compose.version";
pub const LABEL_DEPENDS_ON: &str = "com.docker.compose.depends_on";
pub const LABEL_IMAGE: &str = "com.docker.compose.image";
/// `docker stack deploy`'s label: `docker stack ls/ps/services` recognize WindFlow's Swarm
/// stacks, and container inventories group a Swarm task's container by it.
pub const LABEL_STACK_NAMESPACE: &str = "com.docker.stack.namespace";
pub const LABEL_NETWORK: &str = "com.docker.compose.network";
pub const LABEL_VOLUME: &str = "com.docker.compose.volume";
/// WindFlow's own: which tool made the resource, and the deployed stack version.
pub const LABEL_MANAGED_BY: &str = "io.windflow.managed-by";
pub const LABEL_STACK_VERSION: &str = "io.windflow.stack-version";
/// The hash of a network's or volume's definition, to detect a changed definition.
pub const LABEL_DEFINITION_HASH: &str = "io.windflow.definition-hash";

/// The compose version WindFlow claims in `com.docker.compose.version`: the compose-spec
/// generation whose conventions it follows, so compose v2 reads the containers as its own.
/// The network a target's gateway shares with the services that have domains: the gateway
/// reaches their replicas there, never through published ports.
pub const GATEWAY_NETWORK: &str = "windflow-gateway";
/// The key of [`GATEWAY_NETWORK`] among a stack's networks once its services are attached.
pub const GATEWAY_NETWORK_KEY: &str = "x-windflow-gateway";

/// The name a service's replicas answer to on the gateway network: `<project>-<service>`.
pub fn gateway_alias(project: &str, service: &str) -> String {
    format!("{project}-{service}")
}

pub const COMPOSE_VERSION: &str = "2.20.0";

/// `<project>-<service>-<n>`, compose v2's container name.
pub fn container_name(project: &str, service: &str, number: u32) -> String {
    format!("{project}-{service}-{number}")
}

/// The name a container is parked under while its replacement is being started. Compose
/// uses `<short id>_<name>`; WindFlow does the same so a crash leaves a recognizable name.
pub fn parked_name(container_id: &str, name: &str) -> String {
    let short = &container_id[..container_id.len().min(12)];
    format!("{short}_{name}")
}

/// Normalizes a project name the way compose does: lowercase, only `[a-z0-9_-]`, starting
/// with a letter or digit. Returns `None` when nothing valid is left.
pub fn normalize_project_name(raw: &str) -> Option<String> {
    let name: String = raw
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    let name = name.trim_start_matches(['_', '-']).to_string();
    (!name.is_empty()).then_some(name)
}

/// Whether `name` is already a valid project name (what `-p` and `name:` must be).
pub fn is_valid_project_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        assert_eq!(
            normalize_project_name("My App.v2").as_deref(),
            Some("myappv2")
        );
        assert_eq!(normalize_project_name("__x").as_deref(), Some("x"));
        assert_eq!(normalize_project_name("..."), None);
        assert!(is_valid_project_name("shop-1_a"));
        assert!(!is_valid_project_name("-shop"));
        assert!(!is_valid_project_name("Shop"));
    }

    #[test]
    fn names() {
        assert_eq!(container_name("shop", "web", 2), "shop-web-2");
        assert_eq!(
            parked_name("0123456789abcdef", "shop-web-1"),
            "0123456789ab_shop-web-1"
        );
    }
}
