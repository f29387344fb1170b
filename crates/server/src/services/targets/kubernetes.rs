//! `kubernetes` targets: a cluster reached through its API server with a stored kubeconfig
//! (sealed; it holds the credentials). A stack deploys into a namespace of its own per
//! environment (`<stack>` or `<stack>-<environment>`); the cluster's identity (the
//! `kube-system` namespace's uid) is its engine id, so one cluster belongs to one
//! organization as one Docker engine does (`tenancy`).

use windflow_engine::deploy::Orchestrator;
use windflow_engine::kube::{KubeOptions, KubeTarget, KubeWorkload, spec};
use windflow_storage::Target;

use windflow_protocol as wire;
use windflow_storage::TargetKind;

use super::config::TargetConfig;
use crate::auth::OrgAccess;
use crate::error::{ApiError, ApiResult};
use crate::state::App;

/// The organization's `kubernetes` target called `name`.
async fn kubernetes_target(app: &App, access: &OrgAccess, name: &str) -> ApiResult<Target> {
    let target = super::find(app, &access.org.id, name).await?;
    if target.kind != TargetKind::Kubernetes {
        return Err(ApiError::invalid(
            "target",
            format!(
                "{name} is a {} target, not a kubernetes one",
                target.kind.as_str()
            ),
        ));
    }
    Ok(target)
}

/// The namespace a stack deploys into on a cluster: one per stack and environment.
pub fn namespace(stack: &str, environment: Option<&str>) -> String {
    let name = match environment {
        Some(env) => format!("{stack}-{env}"),
        None => stack.to_string(),
    };
    match spec::dns_label(&name) {
        Some(label) => label,
        // Too long or not a label: a readable prefix and a hash keep it unique.
        None => {
            let prefix: String = spec::default_namespace(stack).chars().take(40).collect();
            let hash = windflow_domain::plan::definition_hash(&name);
            format!("{}-{}", prefix.trim_end_matches('-'), &hash[..12])
        }
    }
}

/// The cluster of a `kubernetes` target, for stacks in `namespace`.
pub async fn cluster(app: &App, target: &Target, namespace: &str) -> ApiResult<KubeTarget> {
    let unavailable = |e: String| ApiError::Unavailable(format!("target {}: {e}", target.name));
    let config = TargetConfig::of(target);
    let k = config.kubernetes.unwrap_or_default();
    let yaml = k
        .kubeconfig(&app.keyring, &target.id)
        .map_err(|e| unavailable(format!("{e:#}")))?;
    let options = KubeOptions {
        namespace: namespace.to_string(),
        storage_class: k.storage_class.clone(),
        ingress_class: k.ingress_class.clone(),
        cluster_issuer: k.cluster_issuer.clone(),
        // The organization's host-access policy has been checked before a deployment runs:
        // what it lets through is translated.
        host_access: true,
    };
    KubeTarget::from_kubeconfig_yaml(&yaml, k.context.as_deref(), options)
        .await
        .map_err(|e| unavailable(e.to_string()))
}

/// The name of an environment, by id.
pub async fn environment_name(
    app: &App,
    org_id: &str,
    environment_id: Option<&str>,
) -> ApiResult<Option<String>> {
    let Some(id) = environment_id else {
        return Ok(None);
    };
    Ok(app
        .store
        .list_environments(org_id)
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .map(|e| e.name))
}

/// How a stack in `environment` deploys on the target.
pub async fn orchestrator(
    app: &App,
    target: &Target,
    stack: &str,
    environment: Option<&str>,
) -> ApiResult<Orchestrator> {
    Ok(Orchestrator::Kubernetes(
        cluster(app, target, &namespace(stack, environment)).await?,
    ))
}

/// The API server a kubeconfig points at: a `kubernetes` target's endpoint.
pub async fn endpoint_of(yaml: &str, context: Option<&str>) -> ApiResult<String> {
    KubeTarget::server_of(yaml, context)
        .await
        .map_err(|e| ApiError::invalid("kubernetes.kubeconfig", e))
}

/// The cluster as the target's status shows it.
pub async fn info(
    app: &App,
    target: &Target,
) -> Result<windflow_domain::observed::EngineInfo, String> {
    let cluster = cluster(app, target, "default")
        .await
        .map_err(|e| e.to_string())?;
    cluster.cluster_info().await.map_err(|e| e.to_string())
}

fn wire_workload(w: KubeWorkload) -> wire::KubeWorkload {
    wire::KubeWorkload {
        service: w.service,
        kind: w.kind.short().to_string(),
        name: w.name,
        replicas: w.replicas,
        ready: w.ready,
        updated: w.updated,
        pods: w
            .pods
            .into_iter()
            .map(|p| wire::KubePod {
                name: p.name,
                phase: p.phase,
                ready: p.ready,
                restarts: p.restarts,
                reason: p.reason,
                node: p.node,
            })
            .collect(),
    }
}

/// Every WindFlow stack on the target's cluster, with its workloads and pods.
pub async fn stacks(app: &App, access: &OrgAccess, name: &str) -> ApiResult<Vec<wire::KubeStack>> {
    let target = kubernetes_target(app, access, name).await?;
    let target = &target;
    let cluster = cluster(app, target, "default").await?;
    let unavailable = |e: windflow_engine::driver::DriverError| {
        ApiError::Unavailable(format!("target {}: {e}", target.name))
    };
    let mut out = Vec::new();
    for found in cluster.stacks().await.map_err(unavailable)? {
        let workloads =
            windflow_engine::kube::status(&cluster.in_namespace(&found.namespace), &found.name)
                .await
                .map_err(unavailable)?;
        out.push(wire::KubeStack {
            stack: found.name,
            namespace: found.namespace,
            workloads: workloads.into_iter().map(wire_workload).collect(),
        });
    }
    Ok(out)
}

/// The last `tail` lines of a pod of a WindFlow stack on the cluster.
pub async fn pod_log(
    app: &App,
    access: &OrgAccess,
    name: &str,
    namespace: &str,
    pod: &str,
    tail: i64,
) -> ApiResult<String> {
    let target = &kubernetes_target(app, access, name).await?;
    let cluster = cluster(app, target, namespace).await?;
    // Only pods of WindFlow's stacks: the target is not a window on the whole cluster.
    let unavailable =
        |e: windflow_engine::driver::DriverError| ApiError::Unavailable(e.to_string());
    let mut ours = false;
    for found in cluster.stacks().await.map_err(unavailable)? {
        if found.namespace != namespace {
            continue;
        }
        let workloads = windflow_engine::kube::status(&cluster, &found.name)
            .await
            .map_err(unavailable)?;
        ours |= workloads
            .iter()
            .any(|w| w.pods.iter().any(|p| p.name == pod));
    }
    if !ours {
        return Err(ApiError::NotFound(format!(
            "pod {pod} of a WindFlow stack in namespace {namespace} on target {}",
            target.name
        )));
    }
    cluster
        .pod_log(pod, Some(tail), false, true)
        .await
        .map_err(|e| match e {
            windflow_engine::driver::DriverError::NotFound { .. } => {
                ApiError::NotFound(format!("pod {pod} in {namespace}"))
            }
            other => ApiError::Unavailable(other.to_string()),
        })
}
