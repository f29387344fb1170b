//! Targets: the engines an organization deploys onto. Registering, labelling, sharing,
//! trusting (SSH host keys) and removing them; testing them (`check`) and keeping their
//! status and health history; the pool of connected drivers.
//!
//! `config` is the typed connection material a target keeps (sealed private keys),
//! `tenancy` keeps one engine to one organization, `placement` chooses a target by labels.

pub mod config;
pub mod kubernetes;
pub mod placement;
pub mod tenancy;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use windflow_engine::deploy::Orchestrator;
use windflow_engine::driver::Driver;
use windflow_protocol::{
    CreateTargetRequest, EngineInfo, Target as WireTarget, TargetCheck, TargetTest,
    UpdateTargetRequest,
};
use windflow_storage::{NewTarget, Target, TargetKind, TargetStatus};

use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult, named};
use crate::services;
use crate::state::{App, new_id, now_ms};

/// How long a connection test waits for the engine.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// The driver for a target, connected once and reused.
pub fn driver(app: &App, target: &Target) -> ApiResult<Arc<dyn Driver>> {
    if let Some(driver) = app.drivers.get(target) {
        return Ok(driver);
    }
    let driver: Arc<dyn Driver> = match target.kind {
        // A Swarm manager is a Docker engine: the container driver serves its inventory and
        // logs; deployments take the Swarm mode ([`orchestrator`]).
        TargetKind::Docker | TargetKind::Ssh | TargetKind::Swarm => {
            Arc::new(config::docker_driver(&app.keyring, target)?)
        }
        TargetKind::Agent => Arc::new(windflow_engine::agent::AgentDriver::new(Arc::new(
            agent_link(app, target)?,
        ))),
        TargetKind::Kubernetes => {
            return Err(ApiError::invalid(
                "target",
                format!(
                    "{} is a kubernetes target: it runs no Docker engine of its own (its stacks' workloads and pods are at …/targets/{}/kubernetes)",
                    target.name, target.name
                ),
            ));
        }
    };
    app.drivers.insert(target, driver.clone());
    Ok(driver)
}

/// The link to an `agent` target's agent (connected or not).
pub fn agent_link(app: &App, target: &Target) -> ApiResult<crate::agents::AgentHandle> {
    let agent_id = target.endpoint.strip_prefix("agent://").ok_or_else(|| {
        ApiError::Unavailable(format!(
            "target {}: {:?} is not an agent endpoint (agent://<id>)",
            target.name, target.endpoint
        ))
    })?;
    Ok(crate::agents::AgentHandle {
        conn: app.agents.conn(agent_id, &target.name),
    })
}

/// How `target` runs stacks, chosen from its kind once: a `swarm` target deploys Swarm
/// services through its manager's engine, the others containers through `driver` (its pooled
/// driver). The engine's `deploy` functions dispatch on it, so no caller branches on the kind.
pub fn orchestrator(
    app: &App,
    target: &Target,
    driver: Arc<dyn Driver>,
) -> ApiResult<Orchestrator> {
    Ok(match target.kind {
        TargetKind::Swarm => Orchestrator::Swarm(config::docker_driver(&app.keyring, target)?),
        TargetKind::Docker | TargetKind::Ssh | TargetKind::Agent => {
            Orchestrator::Containers(driver)
        }
        TargetKind::Kubernetes => {
            return Err(ApiError::invalid(
                "target",
                "a kubernetes target deploys through `orchestrator_for`",
            ));
        }
    })
}

/// How `target` runs `stack` in `environment` (by name): a `kubernetes` target in the
/// stack's namespace there, the others as [`orchestrator`] with their pooled driver.
pub async fn orchestrator_for(
    app: &App,
    target: &Target,
    stack: &str,
    environment: Option<&str>,
) -> ApiResult<Orchestrator> {
    match target.kind {
        TargetKind::Kubernetes => kubernetes::orchestrator(app, target, stack, environment).await,
        _ => orchestrator(app, target, driver(app, target)?),
    }
}

/// Forgets the target's connected drivers and the engine it answered with.
pub fn forget_driver(app: &App, target_id: &str) {
    app.drivers.forget(target_id);
    app.engine_ids.lock().expect("engine ids").remove(target_id);
}

/// The organization's target called `name`; 404 naming it otherwise.
pub async fn find(app: &App, org_id: &str, name: &str) -> ApiResult<Target> {
    app.store
        .get_target(org_id, name)
        .await
        .map_err(named("target", name))
}

/// The target as the API shows it: its environment by name, what its config holds only as
/// flags (never a key).
fn wire_target(target: Target, envs: &[(String, String)]) -> WireTarget {
    let environment = target.environment_id.as_ref().and_then(|id| {
        envs.iter()
            .find(|(eid, _)| eid == id)
            .map(|(_, n)| n.clone())
    });
    let config = config::TargetConfig::of(&target);
    WireTarget {
        has_client_key: config.has_client_key(),
        host_key_fingerprint: config.host_key_fingerprint(),
        shared: config.shared,
        id: target.id,
        name: target.name,
        kind: target.kind,
        endpoint: target.endpoint,
        environment,
        labels: target.labels,
        status: target.status,
        info: target
            .info
            .and_then(|v| serde_json::from_value::<EngineInfo>(v).ok()),
        checked_at: convert::opt_time(target.checked_at),
        created_at: convert::time(target.created_at),
    }
}

/// The organization's targets, with their last known health.
pub async fn list(app: &App, access: &OrgAccess) -> ApiResult<Vec<WireTarget>> {
    let envs = env_names(app, &access.org.id).await?;
    let list = app.store.list_targets(&access.org.id).await?;
    Ok(list.into_iter().map(|t| wire_target(t, &envs)).collect())
}

/// One target, as the API shows it.
pub async fn show(app: &App, access: &OrgAccess, name: &str) -> ApiResult<WireTarget> {
    let target = find(app, &access.org.id, name).await?;
    let envs = env_names(app, &access.org.id).await?;
    Ok(wire_target(target, &envs))
}

/// Registers a target and tests its connection at once; a failing test is reported in its
/// status but does not refuse it. An engine another organization registered first is
/// refused, unless a server administrator shared it.
pub async fn create(
    app: &App,
    access: &OrgAccess,
    request: CreateTargetRequest,
) -> ApiResult<WireTarget> {
    services::names::check_name("name", &request.name)?;
    let kind = request.kind;
    let mut request = request;
    // A cluster's endpoint is its API server, as its kubeconfig names it.
    if let Some(k) = request
        .kubernetes
        .as_ref()
        .filter(|_| kind == TargetKind::Kubernetes)
    {
        let server = kubernetes::endpoint_of(&k.kubeconfig, k.context.as_deref()).await?;
        if !request.endpoint.is_empty() && request.endpoint.trim_end_matches('/') != server {
            return Err(ApiError::invalid(
                "endpoint",
                format!(
                    "the kubeconfig's cluster is {server}, not {}: leave the endpoint empty or give that URL",
                    request.endpoint
                ),
            ));
        }
        request.endpoint = server;
    }
    check_endpoint(kind, &request.endpoint)?;
    check_local_socket(access, kind, &request.endpoint)?;
    if request.shared {
        require_sharer(access)?;
        refuse_shared_cluster(kind)?;
    }
    check_labels(&request.labels)?;
    let environment_id = services::organizations::environment_id(
        app,
        &access.org.id,
        request.environment.as_deref(),
    )
    .await?;
    let id = new_id();
    let (mut config, host_key_fingerprint) = config::TargetConfig::new(
        &app.keyring,
        &id,
        kind,
        &request.endpoint,
        request.tls.as_ref(),
        request.ssh.as_ref(),
        request.kubernetes.as_ref(),
    )?;
    config.shared = request.shared;
    let target = app
        .store
        .create_target(NewTarget {
            id,
            org_id: access.org.id.clone(),
            environment_id,
            name: request.name,
            kind,
            endpoint: request.endpoint,
            labels: request.labels,
            config: config.to_value(),
            created_at: now_ms(),
        })
        .await?;
    // A host key given by its fingerprint is pinned once the host offers that very key.
    let target = match host_key_fingerprint {
        Some(fingerprint) => match pin_host_key(app, &target, "ssh.host_key", &fingerprint).await {
            Ok(pinned) => pinned,
            Err(e) => {
                let _ = app
                    .store
                    .delete_target(&access.org.id, &target.name, true)
                    .await;
                return Err(e);
            }
        },
        None => target,
    };
    check(app, &target).await;
    let target = app.store.get_target(&access.org.id, &target.name).await?;
    if let Some((engine_id, _)) = tenancy::recorded_engine(&target)
        && let Err(refused) =
            tenancy::engine_tenancy(app, &target, &engine_id, Some(&access.caller)).await
    {
        app.store
            .delete_target(&access.org.id, &target.name, true)
            .await?;
        forget_driver(app, &target.id);
        return Err(refused);
    }
    services::audit::record_org(
        app,
        access,
        "target.create",
        &format!("target/{}", target.name),
        json!({ "endpoint": target.endpoint, "shared": request.shared }),
    )
    .await;
    let envs = env_names(app, &access.org.id).await?;
    Ok(wire_target(target, &envs))
}

/// A cluster is never shared between organizations: their stacks' namespaces would collide
/// (two organizations' `shop` in one namespace) and each would see the other's workloads.
fn refuse_shared_cluster(kind: TargetKind) -> ApiResult<()> {
    if kind == TargetKind::Kubernetes {
        return Err(ApiError::invalid(
            "shared",
            "a Kubernetes cluster belongs to one organization: give each organization its own cluster (or its own credentials limited to its namespaces)",
        ));
    }
    Ok(())
}

fn require_sharer(access: &OrgAccess) -> ApiResult<()> {
    access.caller.require_server_admin().map_err(|_| {
        ApiError::Forbidden(
            "only server administrators may share an engine between organizations (`shared`)"
                .into(),
        )
    })
}

/// Changes a target's labels, or whether its engine is shared with this organization
/// (server administrators).
pub async fn update(
    app: &App,
    access: &OrgAccess,
    name: &str,
    request: UpdateTargetRequest,
) -> ApiResult<WireTarget> {
    let mut target = find(app, &access.org.id, name).await?;
    if let Some(shared) = request.shared {
        require_sharer(access)?;
        if shared {
            refuse_shared_cluster(target.kind)?;
        }
        let mut config = config::TargetConfig::of(&target);
        config.shared = shared;
        target = app
            .store
            .set_target_config(&access.org.id, name, config.to_value())
            .await?;
        services::audit::record_org(
            app,
            access,
            "target.share",
            &format!("target/{name}"),
            json!({ "shared": shared }),
        )
        .await;
    }
    if let Some(labels) = request.labels {
        check_labels(&labels)?;
        target = app
            .store
            .set_target_labels(&access.org.id, name, labels.clone())
            .await?;
        services::audit::record_org(
            app,
            access,
            "target.update",
            &format!("target/{name}"),
            json!({ "labels": labels }),
        )
        .await;
    }
    let envs = env_names(app, &access.org.id).await?;
    Ok(wire_target(target, &envs))
}

/// The target's health history, newest first.
pub async fn checks(
    app: &App,
    access: &OrgAccess,
    name: &str,
    limit: i64,
) -> ApiResult<Vec<TargetCheck>> {
    let target = find(app, &access.org.id, name).await?;
    let checks = app.store.list_target_checks(&target.id, limit).await?;
    Ok(checks.into_iter().map(convert::target_check).collect())
}

/// Removes a target; refused while a deployment uses it, unless `force`.
pub async fn delete(app: &App, access: &OrgAccess, name: &str, force: bool) -> ApiResult<()> {
    let target = find(app, &access.org.id, name).await?;
    app.store.delete_target(&access.org.id, name, force).await?;
    forget_driver(app, &target.id);
    services::audit::record_org(
        app,
        access,
        "target.delete",
        &format!("target/{name}"),
        json!({ "force": force }),
    )
    .await;
    Ok(())
}

/// Tests the target named `name` now.
pub async fn test(app: &App, access: &OrgAccess, name: &str) -> ApiResult<TargetTest> {
    let target = find(app, &access.org.id, name).await?;
    Ok(check(app, &target).await)
}

/// Pins the host key a target reached over SSH offers, if its fingerprint is exactly
/// `fingerprint`; then tests the connection.
pub async fn trust(
    app: &App,
    access: &OrgAccess,
    name: &str,
    fingerprint: &str,
) -> ApiResult<TargetTest> {
    let target = find(app, &access.org.id, name).await?;
    if !config::reached_over_ssh(target.kind, &target.endpoint) {
        return Err(ApiError::invalid(
            "target",
            format!(
                "{name} is a {} target at {}; host keys are trusted for targets reached over SSH",
                target.kind.as_str(),
                target.endpoint
            ),
        ));
    }
    let target = pin_host_key(app, &target, "fingerprint", fingerprint).await?;
    services::audit::record_org(
        app,
        access,
        "target.trust",
        &format!("target/{name}"),
        json!({ "fingerprint": fingerprint }),
    )
    .await;
    Ok(check(app, &target).await)
}

fn check_endpoint(kind: windflow_storage::TargetKind, endpoint: &str) -> ApiResult<()> {
    use windflow_storage::TargetKind;
    let ok = match kind {
        TargetKind::Docker => {
            endpoint.starts_with("unix://")
                || endpoint.starts_with("tcp://")
                || endpoint.starts_with("http://")
                || endpoint.starts_with("https://")
        }
        TargetKind::Ssh => endpoint.starts_with("ssh://"),
        TargetKind::Swarm => {
            endpoint.starts_with("unix://")
                || endpoint.starts_with("tcp://")
                || endpoint.starts_with("ssh://")
        }
        TargetKind::Agent => !endpoint.is_empty(),
        TargetKind::Kubernetes => {
            endpoint.starts_with("https://") || endpoint.starts_with("http://")
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "endpoint",
            format!(
                "{endpoint:?} is not a {} endpoint (unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host)",
                kind.as_str()
            ),
        ))
    }
}

/// A `docker` or `swarm` target at a local socket reaches the server's own engine, and with
/// it every organization's containers: only server administrators register one.
fn check_local_socket(
    access: &OrgAccess,
    kind: windflow_storage::TargetKind,
    endpoint: &str,
) -> ApiResult<()> {
    use windflow_storage::TargetKind;
    let local = matches!(kind, TargetKind::Docker | TargetKind::Swarm)
        && endpoint
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("unix://");
    if local && !access.caller.user.is_admin {
        return Err(ApiError::Forbidden(format!(
            "{endpoint} is a socket on the server's own host: only server administrators may register a target at a local socket (unix://), whatever their role in {}",
            access.org.slug
        )));
    }
    Ok(())
}

/// Label keys are names (`region`, `node.tier`); values are short strings.
fn check_labels(labels: &serde_json::Map<String, serde_json::Value>) -> ApiResult<()> {
    for (key, value) in labels {
        let key_ok = !key.is_empty()
            && key.len() <= 63
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
        if !key_ok {
            return Err(ApiError::invalid(
                &format!("labels.{key}"),
                "a label key is 1 to 63 letters, digits, '.', '-', '_' or '/'",
            ));
        }
        match value {
            serde_json::Value::String(text) if text.len() <= 255 => {}
            _ => {
                return Err(ApiError::invalid(
                    &format!("labels.{key}"),
                    "a label value is a string of at most 255 characters",
                ));
            }
        }
    }
    Ok(())
}

async fn env_names(app: &App, org_id: &str) -> ApiResult<Vec<(String, String)>> {
    Ok(app
        .store
        .list_environments(org_id)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect())
}

/// Fetches the host key the target offers and pins it if its fingerprint is `fingerprint`.
async fn pin_host_key(
    app: &App,
    target: &windflow_storage::Target,
    field: &str,
    fingerprint: &str,
) -> ApiResult<windflow_storage::Target> {
    if !fingerprint.starts_with("SHA256:") {
        return Err(ApiError::invalid(
            field,
            "a host key fingerprint is SHA256:… (as ssh-keygen -lf prints it)",
        ));
    }
    let (offered, line) = config::offered_host_key(target)
        .await
        .map_err(|e| ApiError::Unavailable(format!("target {}: {e}", target.name)))?;
    if offered != fingerprint {
        return Err(ApiError::invalid(
            field,
            format!(
                "the host at {} offers the key {offered}, not {fingerprint}; nothing was trusted",
                target.endpoint
            ),
        ));
    }
    let mut config = config::TargetConfig::of(target);
    config.ssh.get_or_insert_default().host_key = Some(line);
    let pinned = app
        .store
        .set_target_config(&target.org_id, &target.name, config.to_value())
        .await?;
    forget_driver(app, &target.id);
    Ok(pinned)
}

/// Tests a target's engine and records the result as its status.
pub async fn check(app: &App, target: &windflow_storage::Target) -> TargetTest {
    let started = Instant::now();
    let untrusted = matches!(
        config::TargetConfig::of(target).connection(target.kind, &target.endpoint),
        config::Connection::Ssh { host_key: None, .. }
    );
    let result = if untrusted {
        use config::{Offered, offered_host_key, untrusted_message};
        let offered = offered_host_key(target).await.ok();
        Err(untrusted_message(
            target,
            match &offered {
                Some((fingerprint, _)) => Offered::Key(fingerprint),
                None => Offered::NoAnswer,
            },
        ))
    } else if target.kind == TargetKind::Kubernetes {
        match tokio::time::timeout(CHECK_TIMEOUT, kubernetes::info(app, target)).await {
            Ok(result) => result,
            Err(_) => Err("no answer within 10 s".to_string()),
        }
    } else {
        match driver(app, target) {
            Ok(driver) => match tokio::time::timeout(CHECK_TIMEOUT, driver.info()).await {
                Ok(Ok(info)) => Ok(info),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("no answer within 10 s".to_string()),
            },
            Err(e) => Err(e.to_string()),
        }
    };
    let latency_ms = started.elapsed().as_millis() as u64;
    // The engine this target reaches, for `tenancy` (one engine, one organization).
    if let Ok(EngineInfo {
        engine_id: Some(engine_id),
        ..
    }) = &result
        && let Err(e) = services::targets::tenancy::record_engine(app, target, engine_id).await
    {
        tracing::warn!(error = %e, target = %target.name, "recording a target's engine");
    }
    let (status, info) = match &result {
        Ok(info) => (TargetStatus::Up, serde_json::to_value(info).ok()),
        Err(_) => (TargetStatus::Down, None),
    };
    let at = now_ms();
    if let Err(e) = app
        .store
        .update_target_status(&target.id, status, info, at)
        .await
    {
        tracing::warn!(error = %e, target = %target.name, "recording a target's status");
    }
    // Workflows waiting for a target to go down, or to come back.
    let event = match (target.status, status) {
        (before, TargetStatus::Down) if before != TargetStatus::Down => {
            Some(windflow_workflow::EventKind::TargetDown)
        }
        (TargetStatus::Down, TargetStatus::Up) => Some(windflow_workflow::EventKind::TargetUp),
        _ => None,
    };
    if let Some(kind) = event {
        let payload = serde_json::json!({
            "target": target.name,
            "status": status.as_str(),
            "error": result.as_ref().err(),
        });
        services::workflows::triggers::on_event(app, &target.org_id, kind, payload, None).await;
    }
    let check = windflow_storage::TargetCheck {
        target_id: target.id.clone(),
        checked_at: at,
        status,
        latency_ms: latency_ms as i64,
        error: result.as_ref().err().cloned(),
    };
    if let Err(e) = app.store.record_target_check(check).await {
        tracing::warn!(error = %e, target = %target.name, "recording a target's health history");
    }
    match result {
        Ok(info) => TargetTest {
            ok: true,
            info: Some(info),
            error: None,
            latency_ms,
        },
        Err(error) => TargetTest {
            ok: false,
            info: None,
            error: Some(error),
            latency_ms,
        },
    }
}
