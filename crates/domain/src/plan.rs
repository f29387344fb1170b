//! Plans: the explicit list of steps that turns what a target runs into what a stack wants,
//! and the planner that computes them. A plan is a DAG: each step names the steps it must
//! wait for, so independent steps can run in parallel and dependent ones in depends_on order.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::naming::container_name;
use crate::observed::{ContainerState, Observed, ObservedContainer};
use crate::stack::{PullPolicy, StackSpec};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub project: String,
    pub steps: Vec<Step>,
    /// Non-fatal findings (a network that exists but was not made by this project, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: usize,
    pub action: Action,
    /// Ids of the steps that must finish first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    CreateNetwork {
        key: String,
        name: String,
    },
    CreateVolume {
        key: String,
        name: String,
    },
    PullImage {
        image: String,
        services: Vec<String>,
    },
    BuildImage {
        service: String,
        image: String,
    },
    /// Converge one service's replicas: create, recreate, start or restart them, then report
    /// its state so dependents can be gated on it.
    DeployService {
        service: String,
        config_hash: String,
        strategy: RecreateStrategy,
        replicas: Vec<ReplicaAction>,
    },
    /// Remove a container that no longer belongs (scale-down, removed service, stray).
    RemoveContainer {
        service: String,
        name: String,
        id: String,
        reason: String,
    },
    RemoveNetwork {
        name: String,
    },
    RemoveVolume {
        name: String,
    },
}

/// How a replica is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecreateStrategy {
    /// Start the new container beside the old one and retire the old one only when the new
    /// one is up: no gap in service.
    StartFirst,
    /// Stop the old container first: needed when both cannot coexist (a fixed host port, a
    /// fixed container name or address).
    StopFirst,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ReplicaAction {
    Keep {
        number: u32,
        id: String,
    },
    Create {
        number: u32,
    },
    Recreate {
        number: u32,
        id: String,
        reason: String,
    },
    Start {
        number: u32,
        id: String,
    },
    Restart {
        number: u32,
        id: String,
        reason: String,
    },
    /// A replacement an interrupted deployment already created (`id`, not running) while
    /// its predecessor (`parked`) still serves under a parked name: start the replacement
    /// as a recreate would, and retire the predecessor once the deployment succeeds.
    Resume {
        number: u32,
        id: String,
        parked: String,
    },
}

impl ReplicaAction {
    pub fn number(&self) -> u32 {
        match self {
            Self::Keep { number, .. }
            | Self::Create { number }
            | Self::Recreate { number, .. }
            | Self::Start { number, .. }
            | Self::Restart { number, .. }
            | Self::Resume { number, .. } => *number,
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            Self::Keep { .. } => "keep",
            Self::Create { .. } => "create",
            Self::Recreate { .. } => "recreate",
            Self::Start { .. } => "start",
            Self::Restart { .. } => "restart",
            Self::Resume { .. } => "resume",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Recreate every container even when its configuration is unchanged.
    pub force_recreate: bool,
    /// Never recreate; only create what is missing and start what is stopped.
    pub no_recreate: bool,
    /// Build every service that has a `build` section, even when its image exists.
    pub build: bool,
    /// Pull images even when present (`--pull always`).
    pub pull_always: bool,
    /// Keep containers of services the stack no longer has.
    pub keep_orphans: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "external network {name:?} (networks.{key}) does not exist: create it first or remove `external: true`"
    )]
    MissingExternalNetwork { key: String, name: String },
    #[error(
        "the stack has domains (x-windflow) and this target has no WindFlow gateway yet (network \"windflow-gateway\"): deploy it through the control plane (`windflow serve`), which sets up each target's gateway"
    )]
    MissingGateway,
    #[error(
        "external volume {name:?} (volumes.{key}) does not exist: create it first or remove `external: true`"
    )]
    MissingExternalVolume { key: String, name: String },
    #[error(
        "{kind} {name:?} exists with a different definition than {kind}s.{key} declares; run `windflow down` first to recreate it"
    )]
    DivergedResource {
        kind: &'static str,
        key: String,
        name: String,
    },
    #[error(
        "image {image:?} for service {service:?} is not present and its pull_policy is `never`"
    )]
    ImageNeverPulled { service: String, image: String },
}

/// The hash stored in `com.docker.compose.config-hash`: what the service's containers are,
/// apart from how many of them run and in which order. It covers the image id (when known)
/// instead of the image reference, so rolling back to a pinned image id of the same image
/// changes nothing, and it covers the definitions of the networks and volumes the service uses.
pub fn config_hash(stack: &StackSpec, service_name: &str, image_id: Option<&str>) -> String {
    let Some(service) = stack.services.get(service_name) else {
        return String::new();
    };
    let mut effective = service.clone();
    if let Some(id) = image_id {
        effective.image = id.to_string();
    }
    // Like compose: how many replicas, the build recipe, the pull policy, the start order and
    // profile membership do not change what a container is.
    effective.build = None;
    effective.pull_policy = None;
    effective.deploy.replicas = 1;
    effective.depends_on.clear();
    effective.profiles.clear();
    // Domains, port, TLS mode and TCP forwards are gateway routes, not container settings;
    // only whether the containers join the gateway's network is.
    effective.ingress = None;
    effective.tcp = Vec::new();
    let networks: BTreeMap<_, _> = service
        .networks
        .keys()
        .filter_map(|k| stack.networks.get(k).map(|n| (k, n)))
        .collect();
    let volume_keys: BTreeSet<&String> = service
        .volumes
        .iter()
        .filter_map(|m| m.source.as_ref())
        .collect();
    let volumes: BTreeMap<_, _> = volume_keys
        .into_iter()
        .filter_map(|k| stack.volumes.get(k).map(|v| (k, v)))
        .collect();
    let mut document =
        serde_json::json!({ "service": effective, "networks": networks, "volumes": volumes });
    if service.uses_gateway() {
        document["gateway"] = serde_json::Value::Bool(true);
    }
    short_hash(&document)
}

/// The hash of a network's or volume's definition.
pub fn definition_hash<T: Serialize>(definition: &T) -> String {
    short_hash(&serde_json::to_value(definition).unwrap_or_default())
}

fn short_hash(value: &serde_json::Value) -> String {
    // serde_json serializes maps in insertion order and our maps are BTreeMaps, so the text is
    // canonical for a given stack.
    let digest = Sha256::digest(value.to_string().as_bytes());
    hex::encode(&digest[..16])
}

/// Plans `up`: everything needed for `observed` to become `stack`.
pub fn plan_up(
    stack: &StackSpec,
    observed: &Observed,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let mut plan = Plan {
        project: stack.name.clone(),
        ..Default::default()
    };
    let mut network_steps: BTreeMap<&str, usize> = BTreeMap::new();
    let mut volume_steps: BTreeMap<&str, usize> = BTreeMap::new();
    let mut image_steps: BTreeMap<&str, usize> = BTreeMap::new();

    // Networks and volumes the services use.
    let used_networks: BTreeSet<&str> = stack
        .services
        .values()
        .flat_map(|s| s.networks.keys().map(String::as_str))
        .collect();
    for key in used_networks {
        let Some(network) = stack.networks.get(key) else {
            continue;
        };
        let create = Action::CreateNetwork {
            key: key.into(),
            name: network.name.clone(),
        };
        let missing = if key == crate::naming::GATEWAY_NETWORK_KEY {
            PlanError::MissingGateway
        } else {
            PlanError::MissingExternalNetwork {
                key: key.into(),
                name: network.name.clone(),
            }
        };
        let found = observed.networks.get(&network.name);
        let resource = Resource {
            kind: "network",
            key,
            name: &network.name,
            external: network.external,
        };
        if let Some(id) = plan_resource(
            &mut plan,
            &resource,
            &definition_hash(network),
            found,
            &stack.name,
            create,
            missing,
        )? {
            network_steps.insert(key, id);
        }
    }
    let used_volumes: BTreeSet<&str> = stack
        .services
        .values()
        .flat_map(|s| s.volumes.iter())
        .filter(|m| m.kind == crate::stack::MountKind::Volume)
        .filter_map(|m| m.source.as_deref())
        .collect();
    for key in used_volumes {
        let Some(volume) = stack.volumes.get(key) else {
            continue;
        };
        let create = Action::CreateVolume {
            key: key.into(),
            name: volume.name.clone(),
        };
        let missing = PlanError::MissingExternalVolume {
            key: key.into(),
            name: volume.name.clone(),
        };
        let found = observed.volumes.get(&volume.name);
        let resource = Resource {
            kind: "volume",
            key,
            name: &volume.name,
            external: volume.external,
        };
        if let Some(id) = plan_resource(
            &mut plan,
            &resource,
            &definition_hash(volume),
            found,
            &stack.name,
            create,
            missing,
        )? {
            volume_steps.insert(key, id);
        }
    }

    // Images: build or pull what is missing (or everything, when asked).
    let mut pulls: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, service) in &stack.services {
        let present = observed.images.contains_key(&service.image);
        let policy = service.pull_policy.unwrap_or(PullPolicy::Missing);
        if service.build.is_some() && (!present || options.build || policy == PullPolicy::Build) {
            let id = plan.push(
                Action::BuildImage {
                    service: name.clone(),
                    image: service.image.clone(),
                },
                vec![],
            );
            image_steps.insert(name, id);
            continue;
        }
        let pull = match policy {
            PullPolicy::Always => true,
            PullPolicy::Never => {
                if !present {
                    return Err(PlanError::ImageNeverPulled {
                        service: name.clone(),
                        image: service.image.clone(),
                    });
                }
                false
            }
            PullPolicy::Missing | PullPolicy::Build => !present || options.pull_always,
            PullPolicy::Refresh(interval) => {
                !present
                    || options.pull_always
                    || observed
                        .image_refreshed
                        .get(&service.image)
                        .is_none_or(|at| observed.observed_at.saturating_sub(*at) >= interval)
            }
        };
        if pull {
            pulls
                .entry(service.image.as_str())
                .or_default()
                .push(name.clone());
        }
    }
    for (image, services) in pulls {
        let id = plan.push(
            Action::PullImage {
                image: image.to_string(),
                services: services.clone(),
            },
            vec![],
        );
        for s in &services {
            image_steps.insert(
                stack
                    .services
                    .get_key_value(s)
                    .map(|(k, _)| k.as_str())
                    .unwrap_or_default(),
                id,
            );
        }
    }

    // Services, dependencies first.
    let mut service_steps: BTreeMap<&str, usize> = BTreeMap::new();
    let mut recreated: BTreeSet<&str> = BTreeSet::new();
    let mut retire: Vec<(String, &ObservedContainer, String)> = Vec::new();
    for name in stack.dependency_order() {
        let service = &stack.services[name];
        let image_id = observed.images.get(&service.image).map(String::as_str);
        let image_changes = image_steps.contains_key(name);
        let hash = config_hash(stack, name, if image_changes { None } else { image_id });
        let mut existing: BTreeMap<u32, &ObservedContainer> = BTreeMap::new();
        let mut duplicates: Vec<&ObservedContainer> = Vec::new();
        for c in observed.containers_of(name) {
            let canonical = c.name == container_name(&stack.name, name, c.number);
            match existing.get(&c.number) {
                // Keep the canonically named one; the other is a leftover (a parked container
                // from an interrupted deployment, a manual copy).
                Some(kept)
                    if kept.name == container_name(&stack.name, name, kept.number)
                        || !canonical =>
                {
                    duplicates.push(c);
                }
                Some(kept) => {
                    duplicates.push(kept);
                    existing.insert(c.number, c);
                }
                None => {
                    existing.insert(c.number, c);
                }
            }
        }
        // An interrupted deployment may have left, for one replica, its new container
        // created but not started and its predecessor parked but still serving: resume it.
        let mut resumed: BTreeMap<u32, &ObservedContainer> = BTreeMap::new();
        for d in duplicates {
            let canonical = existing.get(&d.number).filter(|c| {
                c.name == container_name(&stack.name, name, c.number)
                    && c.state != ContainerState::Running
                    && c.config_hash.as_deref() == Some(hash.as_str())
            });
            if canonical.is_some()
                && d.state == ContainerState::Running
                && !resumed.contains_key(&d.number)
            {
                resumed.insert(d.number, d);
            } else {
                retire.push((name.to_string(), d, "duplicate replica".into()));
            }
        }
        let restart_reason = service
            .depends_on
            .iter()
            .find(|(dep, d)| d.restart && recreated.contains(dep.as_str()))
            .map(|(dep, _)| format!("dependency {dep} was recreated"));
        let parents = service.shared_parents();
        let job = stack.is_job(name);
        let mut replicas = Vec::new();
        for number in 1..=service.deploy.replicas {
            let action = match existing.get(&number) {
                None => ReplicaAction::Create { number },
                Some(c) if resumed.contains_key(&number) => ReplicaAction::Resume {
                    number,
                    id: c.id.clone(),
                    parked: resumed[&number].id.clone(),
                },
                Some(c) => {
                    let changed = c.config_hash.as_deref() != Some(hash.as_str());
                    let image_updated =
                        image_changes || image_id.is_some_and(|id| id != c.image_id);
                    let parent_recreated = parents.iter().find(|(_, p)| recreated.contains(*p));
                    let expected_name = stack.replica_name(name, number);
                    let reason = if options.force_recreate {
                        Some("forced".to_string())
                    } else if c.name != expected_name {
                        Some(format!("left as {} by an interrupted deployment", c.name))
                    } else if options.no_recreate {
                        None
                    } else if image_updated {
                        Some("image updated".to_string())
                    } else if changed {
                        Some("configuration changed".to_string())
                    } else if let Some((field, parent)) = parent_recreated {
                        Some(format!("{parent} ({field}) was recreated"))
                    } else {
                        None
                    };
                    match reason {
                        Some(reason) => ReplicaAction::Recreate {
                            number,
                            id: c.id.clone(),
                            reason,
                        },
                        None => {
                            let completed = job && c.state == ContainerState::Exited;
                            match (&restart_reason, c.state) {
                                (Some(reason), _) => ReplicaAction::Restart {
                                    number,
                                    id: c.id.clone(),
                                    reason: reason.clone(),
                                },
                                (None, ContainerState::Running) => ReplicaAction::Keep {
                                    number,
                                    id: c.id.clone(),
                                },
                                (None, _) if completed => ReplicaAction::Keep {
                                    number,
                                    id: c.id.clone(),
                                },
                                (None, _) => ReplicaAction::Start {
                                    number,
                                    id: c.id.clone(),
                                },
                            }
                        }
                    }
                }
            };
            replicas.push(action);
        }
        for (number, c) in &existing {
            if *number > service.deploy.replicas || *number == 0 {
                retire.push((
                    name.to_string(),
                    c,
                    format!("scaled down to {}", service.deploy.replicas),
                ));
            }
        }
        if replicas.iter().any(|r| {
            matches!(
                r,
                ReplicaAction::Recreate { .. }
                    | ReplicaAction::Create { .. }
                    | ReplicaAction::Resume { .. }
            )
        }) {
            recreated.insert(name);
        }
        if replicas
            .iter()
            .all(|r| matches!(r, ReplicaAction::Keep { .. }))
        {
            continue;
        }
        let mut after: BTreeSet<usize> = BTreeSet::new();
        after.extend(
            service
                .networks
                .keys()
                .filter_map(|k| network_steps.get(k.as_str())),
        );
        after.extend(
            service
                .volumes
                .iter()
                .filter_map(|m| m.source.as_deref())
                .filter_map(|k| volume_steps.get(k)),
        );
        after.extend(image_steps.get(name));
        after.extend(
            service
                .depends_on
                .keys()
                .filter_map(|d| service_steps.get(d.as_str())),
        );
        after.extend(parents.iter().filter_map(|(_, p)| service_steps.get(p)));
        let strategy = recreate_strategy(service);
        let id = plan.push(
            Action::DeployService {
                service: name.to_string(),
                config_hash: hash,
                strategy,
                replicas,
            },
            after.into_iter().collect(),
        );
        service_steps.insert(name, id);
    }

    // Containers of services the stack no longer has.
    if !options.keep_orphans {
        for c in &observed.containers {
            if !stack.services.contains_key(&c.service) {
                retire.push((
                    c.service.clone(),
                    c,
                    "service removed from the stack".into(),
                ));
            }
        }
    }
    // Retiring runs last, once everything new is up, so a failure leaves the old ones.
    let all_deploys: Vec<usize> = service_steps.values().copied().collect();
    for (service, c, reason) in retire {
        plan.push(
            Action::RemoveContainer {
                service,
                name: c.name.clone(),
                id: c.id.clone(),
                reason,
            },
            all_deploys.clone(),
        );
    }
    Ok(plan)
}

/// Plans `down`: remove the project's containers, then its networks, and with `volumes` its
/// volumes. External networks and volumes are never touched.
pub fn plan_down(project: &str, observed: &Observed, volumes: bool) -> Plan {
    let mut plan = Plan {
        project: project.to_string(),
        ..Default::default()
    };
    let mut removals = Vec::new();
    for c in &observed.containers {
        removals.push(plan.push(
            Action::RemoveContainer {
                service: c.service.clone(),
                name: c.name.clone(),
                id: c.id.clone(),
                reason: "down".into(),
            },
            vec![],
        ));
    }
    let owned = |p: &Option<String>| p.as_deref() == Some(project);
    for (name, n) in &observed.networks {
        if owned(&n.project) {
            plan.push(
                Action::RemoveNetwork { name: name.clone() },
                removals.clone(),
            );
        }
    }
    if volumes {
        for (name, v) in &observed.volumes {
            if owned(&v.project) {
                plan.push(
                    Action::RemoveVolume { name: name.clone() },
                    removals.clone(),
                );
            }
        }
    }
    plan
}

fn recreate_strategy(service: &crate::stack::Service) -> RecreateStrategy {
    let fixed_port = service.ports.iter().any(|p| p.is_fixed());
    let fixed_address = service
        .networks
        .values()
        .any(|n| n.ipv4_address.is_some() || n.ipv6_address.is_some());
    if fixed_port
        || fixed_address
        || service.container_name.is_some()
        || service.network_mode.is_some()
    {
        RecreateStrategy::StopFirst
    } else {
        RecreateStrategy::StartFirst
    }
}

/// A stack-level network or volume, for [`plan_resource`].
struct Resource<'a> {
    kind: &'static str,
    key: &'a str,
    name: &'a str,
    external: bool,
}

/// Plans one network or volume: an external one must exist; a missing one is created (the
/// step's id is returned); an existing one is used, after checking that this project made
/// it with the same definition (a warning when another project or tool made it).
fn plan_resource(
    plan: &mut Plan,
    resource: &Resource<'_>,
    hash: &str,
    found: Option<&crate::observed::ObservedResource>,
    project: &str,
    create: Action,
    missing_external: PlanError,
) -> Result<Option<usize>, PlanError> {
    let Resource {
        kind,
        key,
        name,
        external,
    } = *resource;
    let Some(found) = found else {
        return if external {
            Err(missing_external)
        } else {
            Ok(Some(plan.push(create, vec![])))
        };
    };
    if external {
        return Ok(None);
    }
    match (&found.project, &found.definition_hash) {
        (Some(p), Some(h)) if p == project && h != hash => Err(PlanError::DivergedResource {
            kind,
            key: key.into(),
            name: name.into(),
        }),
        (Some(p), _) if p == project => Ok(None),
        _ => {
            plan.warnings.push(format!(
                "{kind} {name:?} exists but was not created for project {project:?}; using it as it is (set `external: true` to silence this)"
            ));
            Ok(None)
        }
    }
}

impl Plan {
    fn push(&mut self, action: Action, after: Vec<usize>) -> usize {
        let id = self.steps.len();
        self.steps.push(Step { id, action, after });
        id
    }

    /// True when the target already runs the stack as it is.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// One line per change, for humans: `+ create web-1`, `~ recreate api-1 (image updated)`.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for step in &self.steps {
            match &step.action {
                Action::CreateNetwork { name, .. } => lines.push(format!("+ network {name}")),
                Action::CreateVolume { name, .. } => lines.push(format!("+ volume {name}")),
                Action::PullImage { image, .. } => lines.push(format!("↓ pull {image}")),
                Action::BuildImage { service, image } => {
                    lines.push(format!("⚒ build {image} (service {service})"))
                }
                Action::DeployService {
                    service,
                    replicas,
                    strategy,
                    ..
                } => {
                    for r in replicas {
                        let name = container_name(&self.project, service, r.number());
                        match r {
                            ReplicaAction::Keep { .. } => {}
                            ReplicaAction::Create { .. } => lines.push(format!("+ create {name}")),
                            ReplicaAction::Recreate { reason, .. } => {
                                let how = match strategy {
                                    RecreateStrategy::StartFirst => "start-first",
                                    RecreateStrategy::StopFirst => "stop-first",
                                };
                                lines.push(format!("~ recreate {name} ({reason}; {how})"))
                            }
                            ReplicaAction::Start { .. } => lines.push(format!("▶ start {name}")),
                            ReplicaAction::Restart { reason, .. } => {
                                lines.push(format!("↻ restart {name} ({reason})"))
                            }
                            ReplicaAction::Resume { .. } => lines.push(format!(
                                "⏵ resume {name} (prepared by an interrupted deployment)"
                            )),
                        }
                    }
                }
                Action::RemoveContainer { name, reason, .. } => {
                    lines.push(format!("- remove {name} ({reason})"))
                }
                Action::RemoveNetwork { name } => lines.push(format!("- network {name}")),
                Action::RemoveVolume { name } => lines.push(format!("- volume {name}")),
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::ObservedResource;
    use crate::stack::{Condition, Dependency, Network, Port, Service, ServiceNetwork};

    fn service(image: &str, deps: &[(&str, Condition)]) -> Service {
        let mut s = Service {
            image: image.into(),
            ..Default::default()
        };
        s.networks
            .insert("default".into(), ServiceNetwork::default());
        for (d, condition) in deps {
            s.depends_on.insert(
                (*d).into(),
                Dependency {
                    condition: *condition,
                    restart: false,
                    required: true,
                },
            );
        }
        s
    }

    fn stack(services: Vec<(&str, Service)>) -> StackSpec {
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
        for (name, s) in services {
            stack.services.insert(name.into(), s);
        }
        stack
    }

    /// What `stack` looks like once deployed: every replica running, images present.
    fn deployed(stack: &StackSpec) -> Observed {
        let mut observed = Observed::default();
        for (name, s) in &stack.services {
            observed
                .images
                .insert(s.image.clone(), format!("sha256:{}", s.image));
            for number in 1..=s.deploy.replicas {
                observed.containers.push(ObservedContainer {
                    id: format!("{name}{number}"),
                    name: container_name(&stack.name, name, number),
                    service: name.clone(),
                    number,
                    config_hash: Some(config_hash(
                        stack,
                        name,
                        Some(&format!("sha256:{}", s.image)),
                    )),
                    image_id: format!("sha256:{}", s.image),
                    state: ContainerState::Running,
                    health: None,
                    stack_version: Some(1),
                    ports: vec![],
                    status: String::new(),
                    image: s.image.clone(),
                });
            }
        }
        let owned = |n: &str, h: String| ObservedResource {
            name: n.into(),
            project: Some(stack.name.clone()),
            definition_hash: Some(h),
        };
        for n in stack.networks.values() {
            observed
                .networks
                .insert(n.name.clone(), owned(&n.name, definition_hash(n)));
        }
        observed
    }

    /// `pull_policy: daily|weekly|every_<d>` pulls a present image only once it is older than
    /// the interval (by the later of its creation and last tagging), and a missing one always.
    #[test]
    fn refresh_policies_pull_stale_images_only() {
        let mut web = service("web:1", &[]);
        web.pull_policy = Some(PullPolicy::Refresh(3600));
        let s = stack(vec![("web", web)]);
        let mut observed = deployed(&s);
        observed.observed_at = 100_000;
        observed
            .image_refreshed
            .insert("web:1".into(), 100_000 - 60);
        let pulls = |observed: &Observed| {
            plan_up(&s, observed, &PlanOptions::default())
                .unwrap()
                .steps
                .iter()
                .filter(|step| matches!(step.action, Action::PullImage { .. }))
                .count()
        };
        assert_eq!(pulls(&observed), 0, "fresh enough");
        observed
            .image_refreshed
            .insert("web:1".into(), 100_000 - 3600);
        assert_eq!(pulls(&observed), 1, "stale");
        observed.image_refreshed.clear();
        observed.images.clear();
        assert_eq!(pulls(&observed), 1, "missing");
    }

    /// Plans and compares the human description with `expected`.
    fn check(stack: &StackSpec, observed: &Observed, expected: &[&str]) -> Plan {
        let plan = plan_up(stack, observed, &PlanOptions::default()).expect("plan");
        assert_eq!(plan.describe(), expected, "plan: {plan:#?}");
        plan
    }

    fn step_of<'a>(plan: &'a Plan, service: &str) -> &'a Step {
        plan.steps
            .iter()
            .find(|s| matches!(&s.action, Action::DeployService { service: n, .. } if n == service))
            .unwrap()
    }

    #[test]
    fn cold_deploy_creates_everything_in_dependency_order() {
        let s = stack(vec![
            ("db", service("db:1", &[])),
            (
                "web",
                service("web:1", &[("db", Condition::ServiceHealthy)]),
            ),
        ]);
        let mut observed = Observed::default();
        observed.images.insert("web:1".into(), "sha256:web".into());
        let plan = check(
            &s,
            &observed,
            &[
                "+ network shop_default",
                "↓ pull db:1",
                "+ create shop-db-1",
                "+ create shop-web-1",
            ],
        );
        let db = step_of(&plan, "db");
        assert_eq!(
            db.after,
            vec![0, 1],
            "db waits for its network and its image"
        );
        assert_eq!(
            step_of(&plan, "web").after,
            vec![0, db.id],
            "web waits for the network and db"
        );
    }

    #[test]
    fn unchanged_stack_plans_nothing() {
        let s = stack(vec![
            ("db", service("db:1", &[])),
            (
                "web",
                service("web:1", &[("db", Condition::ServiceStarted)]),
            ),
        ]);
        check(&s, &deployed(&s), &[]);
    }

    #[test]
    fn changing_one_service_recreates_only_it() {
        let before = stack(vec![
            ("db", service("db:1", &[])),
            (
                "web",
                service("web:1", &[("db", Condition::ServiceStarted)]),
            ),
        ]);
        let observed = deployed(&before);
        let mut after = before.clone();
        after
            .services
            .get_mut("db")
            .unwrap()
            .environment
            .insert("A".into(), "1".into());
        check(
            &after,
            &observed,
            &["~ recreate shop-db-1 (configuration changed; start-first)"],
        );
    }

    #[test]
    fn dependents_with_restart_true_are_restarted() {
        let mut web = service("web:1", &[("db", Condition::ServiceStarted)]);
        web.depends_on.get_mut("db").unwrap().restart = true;
        let before = stack(vec![("db", service("db:1", &[])), ("web", web)]);
        let observed = deployed(&before);
        let mut after = before.clone();
        after.services.get_mut("db").unwrap().command = Some(vec!["x".into()]);
        check(
            &after,
            &observed,
            &[
                "~ recreate shop-db-1 (configuration changed; start-first)",
                "↻ restart shop-web-1 (dependency db was recreated)",
            ],
        );
    }

    #[test]
    fn new_image_id_recreates() {
        let s = stack(vec![("web", service("web:1", &[]))]);
        let mut observed = deployed(&s);
        observed
            .images
            .insert("web:1".into(), "sha256:rebuilt".into());
        check(
            &s,
            &observed,
            &["~ recreate shop-web-1 (image updated; start-first)"],
        );
    }

    #[test]
    fn scaling_up_and_down() {
        let mut s = stack(vec![("worker", service("w:1", &[]))]);
        s.services.get_mut("worker").unwrap().deploy.replicas = 3;
        let observed = deployed(&s);
        let mut up = s.clone();
        up.services.get_mut("worker").unwrap().deploy.replicas = 4;
        check(&up, &observed, &["+ create shop-worker-4"]);
        let mut down = s.clone();
        down.services.get_mut("worker").unwrap().deploy.replicas = 1;
        check(
            &down,
            &observed,
            &[
                "- remove shop-worker-2 (scaled down to 1)",
                "- remove shop-worker-3 (scaled down to 1)",
            ],
        );
    }

    #[test]
    fn removed_services_are_removed_after_the_rest() {
        let before = stack(vec![("a", service("a:1", &[])), ("b", service("b:1", &[]))]);
        let observed = deployed(&before);
        let mut after = before.clone();
        after.services.remove("b");
        after.services.get_mut("a").unwrap().user = Some("1000".into());
        let plan = check(
            &after,
            &observed,
            &[
                "~ recreate shop-a-1 (configuration changed; start-first)",
                "- remove shop-b-1 (service removed from the stack)",
            ],
        );
        assert_eq!(
            plan.steps[1].after,
            vec![0],
            "removal waits for the new version to be up"
        );
    }

    #[test]
    fn stopped_containers_are_started_and_completed_jobs_kept() {
        let s = stack(vec![
            ("init", service("init:1", &[])),
            (
                "web",
                service(
                    "web:1",
                    &[("init", Condition::ServiceCompletedSuccessfully)],
                ),
            ),
            ("cron", service("cron:1", &[])),
        ]);
        let mut observed = deployed(&s);
        for c in &mut observed.containers {
            if c.service != "web" {
                c.state = ContainerState::Exited;
            }
        }
        check(&s, &observed, &["▶ start shop-cron-1"]);
    }

    #[test]
    fn fixed_host_ports_force_stop_first() {
        let mut web = service("web:1", &[]);
        web.ports.push(Port {
            target: 80,
            published: Some("8080".into()),
            host_ip: None,
            protocol: "tcp".into(),
            name: None,
            app_protocol: None,
        });
        let s = stack(vec![("web", web)]);
        let observed = deployed(&s);
        let plan = plan_up(
            &s,
            &observed,
            &PlanOptions {
                force_recreate: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            plan.describe(),
            ["~ recreate shop-web-1 (forced; stop-first)"]
        );
    }

    #[test]
    fn missing_external_network_is_an_error() {
        let mut s = stack(vec![("web", service("web:1", &[]))]);
        s.networks.get_mut("default").unwrap().external = true;
        let err = plan_up(&s, &Observed::default(), &PlanOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "external network \"shop_default\" (networks.default) does not exist: create it first or remove `external: true`"
        );
    }

    #[test]
    fn diverged_network_definition_is_an_error() {
        let s = stack(vec![("web", service("web:1", &[]))]);
        let mut observed = deployed(&s);
        observed
            .networks
            .get_mut("shop_default")
            .unwrap()
            .definition_hash = Some("other".into());
        assert!(matches!(
            plan_up(&s, &observed, &PlanOptions::default()),
            Err(PlanError::DivergedResource {
                kind: "network",
                ..
            })
        ));
    }

    #[test]
    fn leftover_parked_container_is_removed() {
        let s = stack(vec![("web", service("web:1", &[]))]);
        let mut observed = deployed(&s);
        let mut parked = observed.containers[0].clone();
        parked.id = "old".into();
        parked.name = "old_shop-web-1".into();
        observed.containers.insert(0, parked);
        check(
            &s,
            &observed,
            &["- remove old_shop-web-1 (duplicate replica)"],
        );
    }

    #[test]
    fn replacement_prepared_by_an_interrupted_deployment_is_resumed() {
        let s = stack(vec![("web", service("web:1", &[]))]);
        let mut observed = deployed(&s);
        // The new container exists (created, not started) beside its running predecessor.
        let mut parked = observed.containers[0].clone();
        parked.id = "old".into();
        parked.name = "old_shop-web-1".into();
        parked.config_hash = Some("previous".into());
        observed.containers[0].state = ContainerState::Created;
        observed.containers.insert(0, parked);
        check(
            &s,
            &observed,
            &["⏵ resume shop-web-1 (prepared by an interrupted deployment)"],
        );
        // A predecessor that no longer runs is only a leftover.
        observed.containers[0].state = ContainerState::Exited;
        check(
            &s,
            &observed,
            &[
                "▶ start shop-web-1",
                "- remove old_shop-web-1 (duplicate replica)",
            ],
        );
    }

    #[test]
    fn container_left_parked_by_an_interrupted_deployment_is_replaced() {
        let s = stack(vec![("web", service("web:1", &[]))]);
        let mut observed = deployed(&s);
        observed.containers[0].name = "web1_shop-web-1".into();
        observed.containers[0].state = ContainerState::Exited;
        check(
            &s,
            &observed,
            &[
                "~ recreate shop-web-1 (left as web1_shop-web-1 by an interrupted deployment; start-first)",
            ],
        );
    }

    #[test]
    fn down_removes_containers_then_owned_networks() {
        let s = stack(vec![("web", service("web:1", &[]))]);
        let mut observed = deployed(&s);
        observed.networks.insert(
            "shared".into(),
            ObservedResource {
                name: "shared".into(),
                project: None,
                definition_hash: None,
            },
        );
        let plan = plan_down("shop", &observed, false);
        assert_eq!(
            plan.describe(),
            ["- remove shop-web-1 (down)", "- network shop_default"]
        );
        assert_eq!(plan.steps[1].after, vec![0]);
    }
}
