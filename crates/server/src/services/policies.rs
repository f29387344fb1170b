//! Host-access policies: which host-level features (bind mounts, the engine socket,
//! privileged containers, host namespaces, capabilities, …) an organization's stacks may use.
//! The rules are `windflow_domain::policy`; this service stores and resolves them.
//!
//! An organization's own policy is set by server administrators only (none means
//! `baseline`; the first run's organization is `privileged`). Its admins may narrow it per
//! environment or target: a narrowing only takes permissions away, so they cannot loosen what
//! the server administrators set. A stack is checked against the organization's policy when
//! it is pushed or validated, and against the effective one (organization ∩ environment ∩
//! target) when a deployment is queued and again when it runs, since a policy may have
//! tightened in between.

use std::collections::BTreeMap;

use windflow_domain::StackSpec;
use windflow_domain::policy::{self, HostAccessPolicy, PolicyLevel};
use windflow_protocol as wire;
use windflow_protocol::FieldError;
use windflow_storage::{HostPolicy, PolicyScope, Store, Target};

use crate::auth::{Caller, OrgAccess};
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{App, now_ms};

/// Every policy of an organization, parsed.
pub struct OrgPolicies {
    pub organization: HostAccessPolicy,
    narrowings: Vec<(PolicyScope, HostAccessPolicy)>,
}

impl OrgPolicies {
    pub async fn load(store: &dyn Store, org_id: &str) -> ApiResult<Self> {
        let mut organization = HostAccessPolicy::baseline();
        let mut narrowings = Vec::new();
        for record in store.list_host_policies(org_id).await? {
            let parsed: HostAccessPolicy = match serde_json::from_value(record.policy) {
                Ok(parsed) => parsed,
                // A policy that does not parse is the strictest one, never the loosest.
                Err(e) => {
                    tracing::error!(error = %e, org = %org_id, scope = record.scope.kind(), "a stored host-access policy does not parse: using restricted");
                    HostAccessPolicy {
                        level: PolicyLevel::Restricted,
                        allowed_host_paths: Vec::new(),
                    }
                }
            };
            match record.scope {
                PolicyScope::Organization => organization = parsed,
                scope => narrowings.push((scope, parsed)),
            }
        }
        Ok(Self {
            organization,
            narrowings,
        })
    }

    fn narrowing(&self, scope: &PolicyScope) -> Option<&HostAccessPolicy> {
        self.narrowings
            .iter()
            .find(|(s, _)| s == scope)
            .map(|(_, p)| p)
    }

    /// The policy a deployment onto `target` in `environment_id` runs under.
    pub fn effective(&self, environment_id: Option<&str>, target: &Target) -> HostAccessPolicy {
        let mut effective = self.organization.clone();
        let environments = [environment_id, target.environment_id.as_deref()];
        for env in environments.into_iter().flatten() {
            if let Some(p) = self.narrowing(&PolicyScope::Environment(env.to_string())) {
                effective = effective.narrowed_by(p);
            }
        }
        if let Some(p) = self.narrowing(&PolicyScope::Target(target.id.clone())) {
            effective = effective.narrowed_by(p);
        }
        effective
    }

    /// The wire view, with environment and target ids replaced by their names (narrowings
    /// of things that no longer exist are left out).
    pub fn to_wire(
        &self,
        environments: &[(String, String)],
        targets: &[(String, String)],
    ) -> wire::HostPolicies {
        let name_of = |list: &[(String, String)], id: &str| {
            list.iter()
                .find(|(i, _)| i == id)
                .map(|(_, name)| name.clone())
        };
        let mut out = wire::HostPolicies {
            organization: to_wire(&self.organization),
            environments: BTreeMap::new(),
            targets: BTreeMap::new(),
        };
        for (scope, p) in &self.narrowings {
            match scope {
                PolicyScope::Environment(id) => {
                    if let Some(name) = name_of(environments, id) {
                        out.environments.insert(name, to_wire(p));
                    }
                }
                PolicyScope::Target(id) => {
                    if let Some(name) = name_of(targets, id) {
                        out.targets.insert(name, to_wire(p));
                    }
                }
                PolicyScope::Organization => {}
            }
        }
        out
    }
}

pub fn to_wire(policy: &HostAccessPolicy) -> wire::HostPolicy {
    wire::HostPolicy {
        level: policy.level,
        allowed_host_paths: policy.allowed_host_paths.clone(),
    }
}

/// A policy from the wire, checked: 422 naming the bad path.
pub fn from_wire(policy: &wire::HostPolicy) -> ApiResult<HostAccessPolicy> {
    let parsed = HostAccessPolicy {
        level: policy.level,
        allowed_host_paths: policy
            .allowed_host_paths
            .iter()
            .map(|p| p.trim_end_matches('/').to_string())
            .collect(),
    };
    parsed
        .validate()
        .map_err(|message| ApiError::invalid("allowed_host_paths", message))?;
    Ok(parsed)
}

/// Stores `policy` for `scope` of the organization.
pub async fn set(
    store: &dyn Store,
    org_id: &str,
    scope: PolicyScope,
    policy: &HostAccessPolicy,
) -> ApiResult<()> {
    store
        .set_host_policy(HostPolicy {
            org_id: org_id.to_string(),
            scope,
            policy: serde_json::to_value(policy).map_err(ApiError::internal)?,
            updated_at: now_ms(),
        })
        .await?;
    Ok(())
}

/// What `policy` refuses in `stack`, as field errors with the line of `content` they are at.
pub fn violations(content: &str, stack: &StackSpec, policy: &HostAccessPolicy) -> Vec<FieldError> {
    policy::check(stack, policy)
        .into_iter()
        .map(|v| FieldError {
            line: windflow_compose::locate(content, &v.path).map(|l| l as u32),
            field: v.path,
            message: v.message,
        })
        .collect()
}

/// One line naming every violation, for a deployment's error.
pub fn describe(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| match e.line {
            Some(line) => format!("compose.yaml:{line}: {}: {}", e.field, e.message),
            None => format!("{}: {}", e.field, e.message),
        })
        .collect();
    parts.join("; ")
}

/// The organization's policies as the API shows them.
pub async fn show(app: &App, org_id: &str) -> ApiResult<wire::HostPolicies> {
    let store = app.store.as_ref();
    let policies = OrgPolicies::load(store, org_id).await?;
    let environments: Vec<(String, String)> = store
        .list_environments(org_id)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let targets: Vec<(String, String)> = store
        .list_targets(org_id)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok(policies.to_wire(&environments, &targets))
}

/// Sets an organization's own policy (server administrators, whether or not they are
/// members: the path's organization is looked up here, not through membership).
pub async fn set_organization(
    app: &App,
    caller: &Caller,
    slug: &str,
    policy: &wire::HostPolicy,
) -> ApiResult<wire::HostPolicies> {
    caller.require_server_admin()?;
    let policy = from_wire(policy)?;
    let org = app
        .store
        .get_organization(slug)
        .await
        .map_err(crate::error::named("organization", slug))?;
    set(
        app.store.as_ref(),
        &org.id,
        PolicyScope::Organization,
        &policy,
    )
    .await?;
    services::audit::record(
        app,
        caller,
        Some(&org.id),
        "policy.set",
        &format!("organization/{slug}"),
        serde_json::json!({ "policy": policy }),
    )
    .await;
    show(app, &org.id).await
}

/// What a narrowing applies to.
pub enum Narrowed<'a> {
    Environment(&'a str),
    Target(&'a str),
}

/// Narrows the organization's policy for one environment or target (organization admins),
/// or with `None` removes that narrowing.
pub async fn narrow(
    app: &App,
    access: &OrgAccess,
    what: Narrowed<'_>,
    policy: Option<&wire::HostPolicy>,
) -> ApiResult<wire::HostPolicies> {
    let org_id = &access.org.id;
    let (scope, resource) = match what {
        Narrowed::Environment(name) => (
            PolicyScope::Environment(
                services::organizations::find_environment(app, org_id, name)
                    .await?
                    .id,
            ),
            format!("environment/{name}"),
        ),
        Narrowed::Target(name) => (
            PolicyScope::Target(services::targets::find(app, org_id, name).await?.id),
            format!("target/{name}"),
        ),
    };
    match policy {
        Some(policy) => {
            let policy = from_wire(policy)?;
            set(app.store.as_ref(), org_id, scope, &policy).await?;
            services::audit::record_org(
                app,
                access,
                "policy.narrow",
                &resource,
                serde_json::json!({ "policy": policy }),
            )
            .await;
        }
        None => {
            if !app.store.delete_host_policy(org_id, &scope).await? {
                return Err(ApiError::NotFound(format!(
                    "a host-access policy on {resource}"
                )));
            }
            services::audit::record_org(
                app,
                access,
                "policy.remove",
                &resource,
                serde_json::json!({}),
            )
            .await;
        }
    }
    show(app, org_id).await
}

/// The push path under attack: compose files built from random host-level features (in
/// short and long syntax, through interpolation, YAML merge keys and in-file `extends`) go
/// through the server's own push gate (`stacks::validate`) under a baseline policy; for each
/// one it accepts, the Engine API bodies WindFlow would send are built and checked for
/// anything outside the policy. The checks read the bodies, not the policy code, so a gap in
/// either shows.
#[cfg(test)]
mod push_fuzz {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use windflow_domain::policy::HostAccessPolicy;
    use windflow_domain::spec::container_spec;

    /// Service-level fragments, each as lines under a service (four spaces in).
    const FRAGMENTS: &[&str] = &[
        "ports: [\"127.0.0.1:8080:80\"]",
        "volumes: [\"data:/data\"]",
        "volumes: [\"/:/host\"]",
        "volumes: [\"${ROOT:-/}:/host\"]",
        "volumes: [\"/srv/allowed/app:/app\"]",
        "volumes: [\"/srv/allowed/../../etc:/etc2\"]",
        "volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]",
        "volumes: [\"/var/run:/r\"]",
        "volumes:\n  - type: bind\n    source: /etc\n    target: /etc2",
        "volumes:\n  - type: bind\n    source: /srv/allowed\n    target: /a",
        "volumes: [\"../..:/up\"]",
        "volumes: [\"./local:/l\"]",
        "privileged: true",
        "privileged: ${PRIV:-true}",
        "network_mode: host",
        "network_mode: \"${NM:-host}\"",
        "network_mode: container:other",
        "cap_add: [SYS_ADMIN]",
        "cap_add: [cap_sys_module]",
        "cap_add: [NET_BIND_SERVICE, chown]",
        "cap_add: [ALL]",
        "security_opt: [\"seccomp:unconfined\"]",
        "security_opt: [\"apparmor=unconfined\"]",
        "security_opt: [\"label:disable\"]",
        "security_opt: [\"no-new-privileges:true\"]",
        "sysctls: {kernel.panic: \"1\"}",
        "sysctls: [\"net.core.somaxconn=1024\"]",
        "sysctls: {kernel.shmmax: \"1\"}",
        "user: root",
        "read_only: true",
        "<<: *danger",
        "extends: {service: base}",
    ];

    /// Top-level fragments.
    const TOP: &[&str] = &[
        "volumes:\n  data: {}\n",
        "volumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /}\n",
        "volumes:\n  data:\n    driver_opts: {type: ext4, device: /dev/sda1}\n",
        "volumes:\n  data:\n    driver_opts: {type: nfs, o: \"addr=127.0.0.1\", device: \":/x\"}\n",
        "networks:\n  h:\n    external: true\n    name: host\n",
        "networks:\n  m:\n    driver: macvlan\n",
    ];

    fn compose(services: &[Vec<usize>], top: &[usize]) -> String {
        let mut text = String::from(
            "x-danger: &danger\n  privileged: true\n  volumes: [\"/:/host\"]\n\
             services:\n  base:\n    image: busybox\n    profiles: [never]\n    privileged: true\n    cap_add: [SYS_ADMIN]\n",
        );
        for (i, fragments) in services.iter().enumerate() {
            text.push_str(&format!("  s{i}:\n    image: busybox\n"));
            for f in fragments {
                for line in FRAGMENTS[*f].lines() {
                    text.push_str(&format!("    {line}\n"));
                }
            }
        }
        for t in top {
            text.push_str(TOP[*t]);
        }
        text
    }

    const BASELINE_CAPS: &[&str] = &[
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

    fn host_path_allowed(source: &str) -> bool {
        source == "/srv/allowed" || source.starts_with("/srv/allowed/")
    }

    /// What in an accepted stack's Engine API bodies reaches the host outside the policy.
    fn escapes(content: &str) -> Vec<String> {
        let policy = HostAccessPolicy {
            allowed_host_paths: vec!["/srv/allowed".into()],
            ..HostAccessPolicy::baseline()
        };
        let mut out = Vec::new();
        let validation = crate::services::stacks::validate("p", content, BTreeMap::new(), &policy);
        if !validation.valid {
            return out;
        }
        let stack = crate::services::stacks::load("p", content, BTreeMap::new())
            .expect("a valid stack loads")
            .stack;
        for name in stack.services.keys() {
            let spec = container_spec(&stack, name, 1, "hash", None);
            let body = windflow_engine::docker::container_body(&spec);
            let host = body.host_config.unwrap_or_default();
            if host.privileged == Some(true) {
                out.push(format!("{name}: privileged"));
            }
            if let Some(mode) = &host.network_mode
                && (mode == "host" || mode.starts_with("container:"))
            {
                out.push(format!("{name}: network_mode {mode}"));
            }
            for bind in host.binds.unwrap_or_default() {
                let source = bind.split(':').next().unwrap_or_default();
                if source.starts_with('/') && !host_path_allowed(source) {
                    out.push(format!("{name}: bind {bind}"));
                }
            }
            for mount in host.mounts.unwrap_or_default() {
                let source = mount.source.unwrap_or_default();
                let bind = mount.typ == Some(bollard::models::MountType::BIND);
                if bind && !host_path_allowed(&source) {
                    out.push(format!("{name}: bind mount {source}"));
                }
            }
            for cap in host.cap_add.unwrap_or_default() {
                let cap = cap.to_ascii_uppercase();
                let cap = cap.strip_prefix("CAP_").unwrap_or(&cap);
                if !BASELINE_CAPS.contains(&cap) {
                    out.push(format!("{name}: cap_add {cap}"));
                }
            }
            for option in host.security_opt.unwrap_or_default() {
                if option.contains("unconfined") || option.contains("disable") {
                    out.push(format!("{name}: security_opt {option}"));
                }
            }
            for key in host.sysctls.unwrap_or_default().keys() {
                if key.starts_with("kernel.panic") || key.starts_with("kernel.sysrq") {
                    out.push(format!("{name}: sysctl {key}"));
                }
            }
        }
        for (key, volume) in &stack.volumes {
            let opts = &volume.driver_opts;
            if let Some(device) = opts.get("device")
                && device.starts_with('/')
                && !host_path_allowed(device)
            {
                out.push(format!("volume {key}: device {device}"));
            }
        }
        for (key, network) in &stack.networks {
            if network.name == "host" || network.driver.as_deref() == Some("macvlan") {
                out.push(format!("network {key}"));
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn nothing_outside_the_policy_is_ever_deployed(
            services in prop::collection::vec(
                prop::collection::vec(0..FRAGMENTS.len(), 0..4), 1..4),
            top in prop::collection::vec(0..TOP.len(), 0..2),
        ) {
            let content = compose(&services, &top);
            let found = escapes(&content);
            prop_assert!(found.is_empty(), "accepted under baseline:\n{content}\n{found:#?}");
        }
    }

    #[test]
    fn the_gate_is_not_a_wall() {
        // Safe stacks pass, so the property above is not vacuous.
        let content = compose(&[vec![0, 4, 19, 26], vec![1, 29]], &[0]);
        let policy = HostAccessPolicy {
            allowed_host_paths: vec!["/srv/allowed".into()],
            ..HostAccessPolicy::baseline()
        };
        let validation = crate::services::stacks::validate("p", &content, BTreeMap::new(), &policy);
        assert!(validation.valid, "{content}\n{:?}", validation.errors);
        // Each fragment alone: exactly the harmless ones pass (a service extending `base`
        // inherits its `profiles: [never]`, so nothing of it is active).
        let accepted: Vec<usize> = (0..FRAGMENTS.len())
            .filter(|f| {
                let content = compose(&[vec![*f]], &[0]);
                crate::services::stacks::validate("p", &content, BTreeMap::new(), &policy).valid
            })
            .collect();
        assert_eq!(
            accepted,
            [0, 1, 4, 9, 19, 24, 26, 27, 28, 29, 31],
            "{:?}",
            accepted.iter().map(|f| FRAGMENTS[*f]).collect::<Vec<_>>()
        );
        // And a privileged service is refused.
        let validation = crate::services::stacks::validate(
            "p",
            &compose(&[vec![12]], &[]),
            BTreeMap::new(),
            &HostAccessPolicy::baseline(),
        );
        assert!(!validation.valid);
    }
}
