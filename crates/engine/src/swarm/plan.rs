//! The Swarm planner: what the project should be ([`SwarmDesired`]) against what runs
//! ([`SwarmObserved`]), as plain data, to a [`SwarmPlan`]. No I/O and no Engine API types:
//! the tests are data in, data out.
//!
//! It lives in the engine rather than beside `windflow_domain::plan` because its input is
//! made by `swarm::spec` (a desired service is known by the hash of its Engine API spec, a
//! secret or config by its content-hashed name), which needs bollard's spec types; the
//! planner itself only compares names and hashes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A service as it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedService {
    pub id: String,
    /// The version Swarm expects with the next update.
    pub version: u64,
    /// The spec hash it was deployed with (label `com.docker.compose.config-hash`).
    pub hash: Option<String>,
}

/// A network as it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedNetwork {
    pub id: String,
    /// The definition hash it was created with (label `io.windflow.definition-hash`).
    pub hash: Option<String>,
}

/// What runs for a project on the Swarm, by Swarm name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmObserved {
    pub services: BTreeMap<String, ObservedService>,
    pub networks: BTreeMap<String, ObservedNetwork>,
    /// Name → id.
    pub secrets: BTreeMap<String, String>,
    /// Name → id.
    pub configs: BTreeMap<String, String>,
}

/// A network the stack declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredNetwork {
    /// The stack's key (`default`, `backend`).
    pub key: String,
    /// The engine-side name (`shop_default`).
    pub name: String,
    /// `windflow_domain::plan::definition_hash` of its definition.
    pub hash: String,
    /// Created elsewhere: never created nor removed by WindFlow.
    pub external: bool,
}

/// A secret or config the stack makes, under its content-hashed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredObject {
    pub key: String,
    pub name: String,
}

/// A service the stack runs, as the planner compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedService {
    pub key: String,
    /// `<project>_<service>`.
    pub name: String,
    /// The hash of its Swarm spec.
    pub hash: String,
    /// `None` for a global service.
    pub replicas: Option<u64>,
}

/// What the project should be on the Swarm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmDesired {
    pub project: String,
    pub networks: Vec<DesiredNetwork>,
    /// The secrets and configs WindFlow creates (external ones are not listed).
    pub secrets: Vec<DesiredObject>,
    pub configs: Vec<DesiredObject>,
    /// The Swarm names of every secret and config the services use, external ones included:
    /// the others are removed.
    pub used_secrets: BTreeSet<String>,
    pub used_configs: BTreeSet<String>,
    /// In the order they are created (dependencies first).
    pub services: Vec<PlannedService>,
    /// Warnings found while translating the stack, reported first.
    pub warnings: Vec<String>,
}

/// One change on the Swarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SwarmStep {
    CreateNetwork {
        key: String,
        name: String,
    },
    CreateSecret {
        key: String,
        name: String,
    },
    CreateConfig {
        key: String,
        name: String,
    },
    CreateService {
        key: String,
        name: String,
        replicas: Option<u64>,
    },
    UpdateService {
        key: String,
        name: String,
        id: String,
        version: u64,
    },
    RemoveService {
        name: String,
        id: String,
    },
    RemoveSecret {
        name: String,
        id: String,
    },
    RemoveConfig {
        name: String,
        id: String,
    },
    RemoveNetwork {
        name: String,
        id: String,
    },
}

impl SwarmStep {
    pub fn describe(&self) -> String {
        match self {
            Self::CreateNetwork { name, .. } => format!("create network {name}"),
            Self::CreateSecret { name, .. } => format!("create secret {name}"),
            Self::CreateConfig { name, .. } => format!("create config {name}"),
            Self::CreateService {
                name,
                replicas: Some(n),
                ..
            } => format!("create service {name} ({n} replica(s))"),
            Self::CreateService { name, .. } => format!("create service {name} (global)"),
            Self::UpdateService { name, .. } => format!("update service {name}"),
            Self::RemoveService { name, .. } => format!("remove service {name}"),
            Self::RemoveSecret { name, .. } => format!("remove unused secret {name}"),
            Self::RemoveConfig { name, .. } => format!("remove unused config {name}"),
            Self::RemoveNetwork { name, .. } => format!("remove network {name}"),
        }
    }

    pub fn is_removal(&self) -> bool {
        matches!(
            self,
            Self::RemoveService { .. }
                | Self::RemoveSecret { .. }
                | Self::RemoveConfig { .. }
                | Self::RemoveNetwork { .. }
        )
    }
}

/// What `up` would change on the Swarm, in the order it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwarmPlan {
    pub project: String,
    pub steps: Vec<SwarmStep>,
    pub warnings: Vec<String>,
}

impl SwarmPlan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn describe(&self) -> Vec<String> {
        self.steps.iter().map(SwarmStep::describe).collect()
    }
}

/// The changes that make `observed` what `desired` says: missing networks, secrets, configs
/// and services created, services whose spec hash differs updated, and what the stack no
/// longer has (services, unused secrets and configs, networks) removed — removals last, as
/// they run only once the new version converged. A network whose definition changed is not
/// touched (an overlay in use cannot change in place): a warning says so.
pub fn plan_up(desired: &SwarmDesired, observed: &SwarmObserved) -> SwarmPlan {
    let mut warnings = desired.warnings.clone();
    let mut steps = Vec::new();
    for network in desired.networks.iter().filter(|n| !n.external) {
        match observed.networks.get(&network.name) {
            None => steps.push(SwarmStep::CreateNetwork {
                key: network.key.clone(),
                name: network.name.clone(),
            }),
            Some(o) if o.hash.as_deref() != Some(network.hash.as_str()) => {
                warnings.push(format!(
                    "network {}: its definition changed, but an overlay network in use cannot be changed in place; `windflow down --mode swarm` and up again to recreate it",
                    network.name
                ));
            }
            Some(_) => {}
        }
    }
    for s in &desired.secrets {
        if !observed.secrets.contains_key(&s.name) {
            steps.push(SwarmStep::CreateSecret {
                key: s.key.clone(),
                name: s.name.clone(),
            });
        }
    }
    for c in &desired.configs {
        if !observed.configs.contains_key(&c.name) {
            steps.push(SwarmStep::CreateConfig {
                key: c.key.clone(),
                name: c.name.clone(),
            });
        }
    }
    for d in &desired.services {
        match observed.services.get(&d.name) {
            None => steps.push(SwarmStep::CreateService {
                key: d.key.clone(),
                name: d.name.clone(),
                replicas: d.replicas,
            }),
            Some(o) if o.hash.as_deref() != Some(d.hash.as_str()) => {
                steps.push(SwarmStep::UpdateService {
                    key: d.key.clone(),
                    name: d.name.clone(),
                    id: o.id.clone(),
                    version: o.version,
                });
            }
            Some(_) => {}
        }
    }
    let desired_services: BTreeSet<&str> =
        desired.services.iter().map(|d| d.name.as_str()).collect();
    for (name, o) in &observed.services {
        if !desired_services.contains(name.as_str()) {
            steps.push(SwarmStep::RemoveService {
                name: name.clone(),
                id: o.id.clone(),
            });
        }
    }
    // Unused secrets and configs go only when something else changes (or is left over).
    for (name, id) in &observed.secrets {
        if !desired.used_secrets.contains(name) {
            steps.push(SwarmStep::RemoveSecret {
                name: name.clone(),
                id: id.clone(),
            });
        }
    }
    for (name, id) in &observed.configs {
        if !desired.used_configs.contains(name) {
            steps.push(SwarmStep::RemoveConfig {
                name: name.clone(),
                id: id.clone(),
            });
        }
    }
    let desired_networks: BTreeSet<&str> =
        desired.networks.iter().map(|n| n.name.as_str()).collect();
    for (name, o) in &observed.networks {
        if !desired_networks.contains(name.as_str()) {
            steps.push(SwarmStep::RemoveNetwork {
                name: name.clone(),
                id: o.id.clone(),
            });
        }
    }
    SwarmPlan {
        project: desired.project.clone(),
        steps,
        warnings,
    }
}

/// Removes everything of the project: services, then secrets, configs and networks.
pub fn plan_down(project: &str, observed: &SwarmObserved) -> SwarmPlan {
    let mut steps = Vec::new();
    for (name, s) in &observed.services {
        steps.push(SwarmStep::RemoveService {
            name: name.clone(),
            id: s.id.clone(),
        });
    }
    for (name, id) in &observed.secrets {
        steps.push(SwarmStep::RemoveSecret {
            name: name.clone(),
            id: id.clone(),
        });
    }
    for (name, id) in &observed.configs {
        steps.push(SwarmStep::RemoveConfig {
            name: name.clone(),
            id: id.clone(),
        });
    }
    for (name, o) in &observed.networks {
        steps.push(SwarmStep::RemoveNetwork {
            name: name.clone(),
            id: o.id.clone(),
        });
    }
    SwarmPlan {
        project: project.to_string(),
        steps,
        warnings: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `shop` as it should be: a `default` network, a `token` secret, an `nginx` config, and
    /// `db` then `web` (3 replicas); `web` is at spec hash `web_hash`.
    fn desired(web_hash: &str) -> SwarmDesired {
        SwarmDesired {
            project: "shop".into(),
            networks: vec![
                DesiredNetwork {
                    key: "default".into(),
                    name: "shop_default".into(),
                    hash: "net1".into(),
                    external: false,
                },
                DesiredNetwork {
                    key: "proxy".into(),
                    name: "proxy".into(),
                    hash: "ext".into(),
                    external: true,
                },
            ],
            secrets: vec![DesiredObject {
                key: "token".into(),
                name: "shop_token_aaaaaaaaaaaa".into(),
            }],
            configs: vec![DesiredObject {
                key: "nginx".into(),
                name: "shop_nginx_bbbbbbbbbbbb".into(),
            }],
            used_secrets: BTreeSet::from(["shop_token_aaaaaaaaaaaa".into(), "ca".into()]),
            used_configs: BTreeSet::from(["shop_nginx_bbbbbbbbbbbb".into()]),
            services: vec![
                PlannedService {
                    key: "db".into(),
                    name: "shop_db".into(),
                    hash: "db1".into(),
                    replicas: None,
                },
                PlannedService {
                    key: "web".into(),
                    name: "shop_web".into(),
                    hash: web_hash.into(),
                    replicas: Some(3),
                },
            ],
            warnings: vec!["service web: cap_add is ignored on Swarm".into()],
        }
    }

    /// What `desired("web1")` left running.
    fn deployed() -> SwarmObserved {
        let service = |id: &str, hash: &str| ObservedService {
            id: id.into(),
            version: 7,
            hash: Some(hash.into()),
        };
        SwarmObserved {
            services: BTreeMap::from([
                ("shop_db".into(), service("s-db", "db1")),
                ("shop_web".into(), service("s-web", "web1")),
            ]),
            networks: BTreeMap::from([(
                "shop_default".into(),
                ObservedNetwork {
                    id: "n-default".into(),
                    hash: Some("net1".into()),
                },
            )]),
            secrets: BTreeMap::from([("shop_token_aaaaaaaaaaaa".into(), "x-token".into())]),
            configs: BTreeMap::from([("shop_nginx_bbbbbbbbbbbb".into(), "c-nginx".into())]),
        }
    }

    fn check(plan: &SwarmPlan, steps: &[&str], warnings: &[&str]) {
        assert_eq!(plan.describe(), steps, "steps");
        assert_eq!(plan.warnings, warnings, "warnings");
    }

    const IGNORED: &str = "service web: cap_add is ignored on Swarm";

    #[test]
    fn an_empty_swarm_gets_everything_in_dependency_order() {
        let plan = plan_up(&desired("web1"), &SwarmObserved::default());
        check(
            &plan,
            &[
                "create network shop_default",
                "create secret shop_token_aaaaaaaaaaaa",
                "create config shop_nginx_bbbbbbbbbbbb",
                "create service shop_db (global)",
                "create service shop_web (3 replica(s))",
            ],
            &[IGNORED],
        );
        assert_eq!(plan.project, "shop");
        assert!(!plan.steps.iter().any(SwarmStep::is_removal));
    }

    #[test]
    fn an_unchanged_stack_plans_nothing() {
        let plan = plan_up(&desired("web1"), &deployed());
        assert!(plan.is_empty(), "{:?}", plan.describe());
        check(&plan, &[], &[IGNORED]);
    }

    #[test]
    fn a_changed_spec_updates_the_service_at_its_version() {
        let plan = plan_up(&desired("web2"), &deployed());
        assert_eq!(
            plan.steps,
            [SwarmStep::UpdateService {
                key: "web".into(),
                name: "shop_web".into(),
                id: "s-web".into(),
                version: 7,
            }]
        );
    }

    #[test]
    fn a_new_secret_version_replaces_the_old_one_after_the_services() {
        let mut desired = desired("web2");
        desired.secrets[0].name = "shop_token_cccccccccccc".into();
        desired.used_secrets = BTreeSet::from(["shop_token_cccccccccccc".into()]);
        check(
            &plan_up(&desired, &deployed()),
            &[
                "create secret shop_token_cccccccccccc",
                "update service shop_web",
                "remove unused secret shop_token_aaaaaaaaaaaa",
            ],
            &[IGNORED],
        );
    }

    #[test]
    fn what_the_stack_no_longer_has_is_removed_last() {
        let mut observed = deployed();
        observed.services.insert(
            "shop_old".into(),
            ObservedService {
                id: "s-old".into(),
                version: 1,
                hash: None,
            },
        );
        observed
            .configs
            .insert("shop_old_dddddddddddd".into(), "c-old".into());
        observed.networks.insert(
            "shop_legacy".into(),
            ObservedNetwork {
                id: "n-legacy".into(),
                hash: None,
            },
        );
        // An external network that happens to carry the namespace label is not removed.
        observed.networks.insert(
            "proxy".into(),
            ObservedNetwork {
                id: "n-proxy".into(),
                hash: None,
            },
        );
        check(
            &plan_up(&desired("web1"), &observed),
            &[
                "remove service shop_old",
                "remove unused config shop_old_dddddddddddd",
                "remove network shop_legacy",
            ],
            &[IGNORED],
        );
    }

    #[test]
    fn a_changed_network_is_left_alone_with_a_warning() {
        let mut observed = deployed();
        observed.networks.get_mut("shop_default").unwrap().hash = Some("net0".into());
        check(
            &plan_up(&desired("web1"), &observed),
            &[],
            &[
                IGNORED,
                "network shop_default: its definition changed, but an overlay network in use cannot be changed in place; `windflow down --mode swarm` and up again to recreate it",
            ],
        );
    }

    #[test]
    fn down_removes_services_then_secrets_configs_and_networks() {
        check(
            &plan_down("shop", &deployed()),
            &[
                "remove service shop_db",
                "remove service shop_web",
                "remove unused secret shop_token_aaaaaaaaaaaa",
                "remove unused config shop_nginx_bbbbbbbbbbbb",
                "remove network shop_default",
            ],
            &[],
        );
        assert!(plan_down("shop", &SwarmObserved::default()).is_empty());
    }
}
