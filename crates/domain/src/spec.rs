//! Container specs: one replica of a service with every stack-level name resolved, so a driver
//! can create it without seeing the rest of the stack (and an agent can receive it whole).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::naming::*;
use crate::stack::{Mount, MountKind, Service, StackSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerSpec {
    pub name: String,
    pub project: String,
    pub service_name: String,
    pub number: u32,
    /// The image to create from: the service's reference.
    pub image: String,
    /// The service's own labels plus compose's and WindFlow's.
    pub labels: BTreeMap<String, String>,
    /// The service definition, for everything that maps one-to-one onto the engine.
    pub service: Service,
    /// Networks in attach order (highest priority first, then by name). The first is the one
    /// the container is created on.
    pub networks: Vec<NetworkAttachment>,
    /// Mounts with volume keys resolved to engine volume names; secrets and configs with a
    /// file are read-only binds.
    pub mounts: Vec<Mount>,
    /// Files written into the container before it starts (secrets from the environment,
    /// configs with inline content).
    pub files: Vec<InjectedFile>,
    /// `links:` as the engine takes them, `<container>:<alias>`, one per replica of each
    /// linked service; set on every network the container joins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAttachment {
    /// The engine-side network name.
    pub network: String,
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedFile {
    pub target: String,
    pub source: FileSource,
    pub mode: u32,
    pub uid: Option<String>,
    pub gid: Option<String>,
}

/// Where an injected file's content comes from. Content is read at deploy time only, so a
/// secret's value never enters a plan, a spec or the stack history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileSource {
    Environment(String),
    Content(String),
}

/// Builds the spec of replica `number` of `service_name`.
pub fn container_spec(
    stack: &StackSpec,
    service_name: &str,
    number: u32,
    config_hash: &str,
    stack_version: Option<u64>,
) -> ContainerSpec {
    let service = &stack.services[service_name];
    let name = stack.replica_name(service_name, number);
    let mut labels = service.labels.clone();
    let config_files: Vec<String> = stack
        .config_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let depends_on: Vec<String> = service
        .depends_on
        .iter()
        .map(|(dep, d)| {
            let condition = match d.condition {
                crate::stack::Condition::ServiceStarted => "service_started",
                crate::stack::Condition::ServiceHealthy => "service_healthy",
                crate::stack::Condition::ServiceCompletedSuccessfully => {
                    "service_completed_successfully"
                }
            };
            format!("{dep}:{condition}:{}", d.restart)
        })
        .collect();
    for (key, value) in [
        (LABEL_PROJECT, stack.name.clone()),
        (LABEL_SERVICE, service_name.to_string()),
        (LABEL_CONTAINER_NUMBER, number.to_string()),
        (LABEL_ONEOFF, "False".to_string()),
        (LABEL_CONFIG_HASH, config_hash.to_string()),
        (LABEL_WORKING_DIR, stack.working_dir.display().to_string()),
        (LABEL_CONFIG_FILES, config_files.join(",")),
        (LABEL_COMPOSE_VERSION, COMPOSE_VERSION.to_string()),
        (LABEL_DEPENDS_ON, depends_on.join(",")),
        (LABEL_IMAGE, service.image.clone()),
        (LABEL_MANAGED_BY, "windflow".to_string()),
    ] {
        labels.insert(key.to_string(), value);
    }
    if let Some(version) = stack_version {
        labels.insert(LABEL_STACK_VERSION.to_string(), version.to_string());
    }

    let mut networks: Vec<(i64, &String, NetworkAttachment)> = service
        .networks
        .iter()
        .filter_map(|(key, attach)| {
            let network = stack.networks.get(key)?;
            let mut aliases = vec![service_name.to_string()];
            aliases.extend(
                attach
                    .aliases
                    .iter()
                    .filter(|a| *a != service_name)
                    .cloned(),
            );
            Some((
                attach.priority.unwrap_or(0),
                key,
                NetworkAttachment {
                    network: network.name.clone(),
                    aliases,
                    ipv4_address: attach.ipv4_address.clone(),
                    ipv6_address: attach.ipv6_address.clone(),
                },
            ))
        })
        .collect();
    networks.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));

    let mut mounts: Vec<Mount> = service
        .volumes
        .iter()
        .map(|m| {
            let mut m = m.clone();
            if m.kind == MountKind::Volume {
                m.source = m.source.as_ref().map(|key| {
                    stack
                        .volumes
                        .get(key)
                        .map_or(key.clone(), |v| v.name.clone())
                });
            }
            m
        })
        .collect();
    let mut files = Vec::new();
    for (refs, objects, default_mode) in [
        (&service.secrets, &stack.secrets, 0o444),
        (&service.configs, &stack.configs, 0o444),
    ] {
        for r in refs {
            let Some(object) = objects.get(&r.source) else {
                continue;
            };
            if let Some(path) = &object.file {
                mounts.push(Mount {
                    read_only: true,
                    ..Mount::new(
                        MountKind::Bind,
                        Some(path.display().to_string()),
                        r.target.clone(),
                    )
                });
            } else if let Some(source) = object
                .environment
                .clone()
                .map(FileSource::Environment)
                .or_else(|| object.content.clone().map(FileSource::Content))
            {
                files.push(InjectedFile {
                    target: r.target.clone(),
                    source,
                    mode: r.mode.unwrap_or(default_mode),
                    uid: r.uid.clone(),
                    gid: r.gid.clone(),
                });
            }
        }
    }

    let mut links = Vec::new();
    for link in &service.links {
        let (linked, alias) = link.split_once(':').unwrap_or((link, link));
        let Some(target) = stack.services.get(linked) else {
            continue;
        };
        for n in 1..=target.deploy.replicas {
            links.push(format!("{}:{alias}", stack.replica_name(linked, n)));
        }
    }

    ContainerSpec {
        links,
        name,
        project: stack.name.clone(),
        service_name: service_name.to_string(),
        number,
        image: service.image.clone(),
        labels,
        service: service.clone(),
        networks: networks.into_iter().map(|(_, _, n)| n).collect(),
        mounts,
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::{FileObject, FileReference, Network, ServiceNetwork, Volume};

    #[test]
    fn resolves_names_and_labels() {
        let mut stack = StackSpec {
            name: "shop".into(),
            working_dir: "/srv/shop".into(),
            ..Default::default()
        };
        stack.networks.insert(
            "default".into(),
            Network {
                name: "shop_default".into(),
                ..Default::default()
            },
        );
        stack.networks.insert(
            "back".into(),
            Network {
                name: "shop_back".into(),
                ..Default::default()
            },
        );
        stack.volumes.insert(
            "data".into(),
            Volume {
                name: "shop_data".into(),
                ..Default::default()
            },
        );
        stack.secrets.insert(
            "token".into(),
            FileObject {
                name: "shop_token".into(),
                file: Some("/srv/shop/token.txt".into()),
                ..Default::default()
            },
        );
        let mut web = Service {
            image: "web:1".into(),
            ..Default::default()
        };
        web.networks
            .insert("default".into(), ServiceNetwork::default());
        web.networks.insert(
            "back".into(),
            ServiceNetwork {
                aliases: vec!["api".into()],
                priority: Some(10),
                ..Default::default()
            },
        );
        web.volumes
            .push(Mount::new(MountKind::Volume, Some("data".into()), "/data"));
        web.secrets.push(FileReference {
            source: "token".into(),
            target: "/run/secrets/token".into(),
            uid: None,
            gid: None,
            mode: None,
        });
        stack.services.insert("web".into(), web);

        let spec = container_spec(&stack, "web", 2, "abc", Some(7));
        assert_eq!(spec.name, "shop-web-2");
        assert_eq!(spec.labels[LABEL_PROJECT], "shop");
        assert_eq!(spec.labels[LABEL_CONTAINER_NUMBER], "2");
        assert_eq!(spec.labels[LABEL_CONFIG_HASH], "abc");
        assert_eq!(spec.labels[LABEL_STACK_VERSION], "7");
        let nets: Vec<_> = spec
            .networks
            .iter()
            .map(|n| (n.network.as_str(), n.aliases.clone()))
            .collect();
        assert_eq!(
            nets,
            [
                ("shop_back", vec!["web".to_string(), "api".to_string()]),
                ("shop_default", vec!["web".to_string()])
            ]
        );
        assert_eq!(spec.mounts[0].source.as_deref(), Some("shop_data"));
        assert_eq!(
            spec.mounts[1].source.as_deref(),
            Some("/srv/shop/token.txt")
        );
        assert!(spec.mounts[1].read_only);
    }
}
