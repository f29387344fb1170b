//! `/orgs/{org}/targets`: the engines stacks are deployed onto.

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    CreateTargetRequest, EngineInfo, Problem, Target, TargetCheck, TargetTest, TrustTargetRequest,
    UpdateTargetRequest,
};
use windflow_storage::{NewTarget, TargetStatus};

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::state::{App, AppState, new_id, now_ms};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_targets, create_target))
        .routes(routes!(get_target, update_target, delete_target))
        .routes(routes!(test_target))
        .routes(routes!(trust_target))
        .routes(routes!(target_checks))
}

async fn env_names(state: &AppState, org_id: &str) -> ApiResult<Vec<(String, String)>> {
    Ok(state
        .store
        .list_environments(org_id)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect())
}

fn wire_target(target: windflow_storage::Target, envs: &[(String, String)]) -> Target {
    let env = target.environment_id.as_ref().and_then(|id| {
        envs.iter()
            .find(|(eid, _)| eid == id)
            .map(|(_, n)| n.clone())
    });
    convert::target(target, env)
}

/// Targets of the organization, with their last known health.
#[utoipa::path(get, path = "/orgs/{org}/targets", tag = "targets",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<Target>), (status = 404, body = Problem)))]
async fn list_targets(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<Target>>> {
    access.require(Permission::Read)?;
    let envs = env_names(&state, &access.org.id).await?;
    let list = state.store.list_targets(&access.org.id).await?;
    Ok(Json(
        list.into_iter().map(|t| wire_target(t, &envs)).collect(),
    ))
}

/// Register a target (admins). Its connection is tested at once; a failing test is reported
/// in `status` but does not refuse the target.
#[utoipa::path(post, path = "/orgs/{org}/targets", tag = "targets", request_body = CreateTargetRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = Target), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_target(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateTargetRequest>,
) -> ApiResult<(StatusCode, Json<Target>)> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    crate::stacks::check_name("name", &request.name)?;
    let kind = convert::target_kind_from(request.kind);
    check_endpoint(kind, &request.endpoint)?;
    check_local_socket(&access, kind, &request.endpoint)?;
    if request.shared {
        access.caller.require_server_admin().map_err(|_| {
            ApiError::Forbidden(
                "only server administrators may share an engine between organizations (`shared`)"
                    .into(),
            )
        })?;
    }
    check_labels(&request.labels)?;
    let environment_id = match &request.environment {
        Some(name) => Some(state.find_environment(&access.org.id, name).await?.id),
        None => None,
    };
    let id = new_id();
    let (config, host_key_fingerprint) = crate::remote_targets::new_config(
        &state.keyring,
        &id,
        kind,
        &request.endpoint,
        request.tls.as_ref(),
        request.ssh.as_ref(),
    )?;
    let config = crate::tenancy::with_shared(config, request.shared);
    let target = state
        .store
        .create_target(NewTarget {
            id,
            org_id: access.org.id.clone(),
            environment_id,
            name: request.name,
            kind,
            endpoint: request.endpoint,
            labels: request.labels,
            config,
            created_at: now_ms(),
        })
        .await?;
    // A host key given by its fingerprint is pinned once the host offers that very key.
    let target = match host_key_fingerprint {
        Some(fingerprint) => {
            match pin_host_key(&state, &target, "ssh.host_key", &fingerprint).await {
                Ok(pinned) => pinned,
                Err(e) => {
                    let _ = state
                        .store
                        .delete_target(&access.org.id, &target.name, true)
                        .await;
                    return Err(e);
                }
            }
        }
        None => target,
    };
    state.check_target(&target).await;
    let target = state.store.get_target(&access.org.id, &target.name).await?;
    // An engine another organization registered first is refused, unless shared.
    if let Some((engine_id, _)) = crate::tenancy::recorded_engine(&target)
        && let Err(refused) = state
            .engine_tenancy(&target, engine_id, Some(&access.caller))
            .await
    {
        state
            .store
            .delete_target(&access.org.id, &target.name, true)
            .await?;
        state.forget_driver(&target.id);
        return Err(refused);
    }
    state
        .audit_org(
            &access,
            "target.create",
            &format!("target/{}", target.name),
            json!({ "endpoint": target.endpoint, "shared": request.shared }),
        )
        .await;
    let envs = env_names(&state, &access.org.id).await?;
    Ok((StatusCode::CREATED, Json(wire_target(target, &envs))))
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

/// One target.
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = Target), (status = 404, body = Problem)))]
async fn get_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<Target>> {
    access.require(Permission::Read)?;
    let target = state.find_target(&access.org.id, &name).await?;
    let envs = env_names(&state, &access.org.id).await?;
    Ok(Json(wire_target(target, &envs)))
}

/// Change a target's labels (admins; label values are strings, selectors match them), or
/// whether its engine is shared with this organization (server administrators).
#[utoipa::path(patch, path = "/orgs/{org}/targets/{target}", tag = "targets",
    request_body = UpdateTargetRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = Target), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<UpdateTargetRequest>,
) -> ApiResult<Json<Target>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let mut target = state.find_target(&access.org.id, &name).await?;
    if let Some(shared) = request.shared {
        access.caller.require_server_admin().map_err(|_| {
            ApiError::Forbidden(
                "only server administrators may share an engine between organizations (`shared`)"
                    .into(),
            )
        })?;
        let config = crate::tenancy::with_shared(target.config.clone(), shared);
        target = state
            .store
            .set_target_config(&access.org.id, &name, config)
            .await?;
        state
            .audit_org(
                &access,
                "target.share",
                &format!("target/{name}"),
                json!({ "shared": shared }),
            )
            .await;
    }
    if let Some(labels) = request.labels {
        check_labels(&labels)?;
        target = state
            .store
            .set_target_labels(&access.org.id, &name, labels.clone())
            .await?;
        state
            .audit_org(
                &access,
                "target.update",
                &format!("target/{name}"),
                json!({ "labels": labels }),
            )
            .await;
    }
    let envs = env_names(&state, &access.org.id).await?;
    Ok(Json(wire_target(target, &envs)))
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ChecksQuery {
    /// How many checks, newest first (default 100, at most 1000).
    limit: Option<i64>,
}

/// The target's health history: one entry per connection check (every 30 s and on demand),
/// newest first, kept for 7 days.
#[utoipa::path(get, path = "/orgs/{org}/targets/{target}/checks", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name"), ChecksQuery),
    responses((status = 200, body = Vec<TargetCheck>), (status = 404, body = Problem)))]
async fn target_checks(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<ChecksQuery>,
) -> ApiResult<Json<Vec<TargetCheck>>> {
    access.require(Permission::Read)?;
    let target = state.find_target(&access.org.id, &name).await?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let checks = state.store.list_target_checks(&target.id, limit).await?;
    Ok(Json(
        checks.into_iter().map(convert::target_check).collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteTargetQuery {
    /// Remove it even while deployments use it.
    #[serde(default)]
    force: bool,
}

/// Remove a target (admins); refused while a deployment uses it, unless `force`.
#[utoipa::path(delete, path = "/orgs/{org}/targets/{target}", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name"), DeleteTargetQuery),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn delete_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<DeleteTargetQuery>,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    let target = state.find_target(&access.org.id, &name).await?;
    state
        .store
        .delete_target(&access.org.id, &name, query.force)
        .await?;
    state.forget_driver(&target.id);
    state
        .audit_org(
            &access,
            "target.delete",
            &format!("target/{name}"),
            json!({ "force": query.force }),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Test the connection now: engine version, OS and architecture, and how long it took.
#[utoipa::path(post, path = "/orgs/{org}/targets/{target}/test", tag = "targets",
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = TargetTest), (status = 404, body = Problem)))]
async fn test_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<TargetTest>> {
    access.require(Permission::Read)?;
    let target = state.find_target(&access.org.id, &name).await?;
    Ok(Json(state.check_target(&target).await))
}

/// Trust the host key of a target reached over SSH (admins): the key offered is pinned only
/// if its fingerprint is exactly the one given (check it on the host with
/// `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`); then the connection is tested.
#[utoipa::path(post, path = "/orgs/{org}/targets/{target}/trust", tag = "targets",
    request_body = TrustTargetRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("target" = String, Path, description = "Target name")),
    responses((status = 200, body = TargetTest), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem)))]
async fn trust_target(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<TrustTargetRequest>,
) -> ApiResult<Json<TargetTest>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let target = state.find_target(&access.org.id, &name).await?;
    if !crate::remote_targets::reached_over_ssh(target.kind, &target.endpoint) {
        return Err(ApiError::invalid(
            "target",
            format!(
                "{name} is a {} target at {}; host keys are trusted for targets reached over SSH",
                target.kind.as_str(),
                target.endpoint
            ),
        ));
    }
    let target = pin_host_key(&state, &target, "fingerprint", request.fingerprint.trim()).await?;
    state
        .audit_org(
            &access,
            "target.trust",
            &format!("target/{name}"),
            json!({ "fingerprint": request.fingerprint.trim() }),
        )
        .await;
    Ok(Json(state.check_target(&target).await))
}

/// Fetches the host key the target offers and pins it if its fingerprint is `fingerprint`.
async fn pin_host_key(
    state: &AppState,
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
    let (offered, line) = crate::remote_targets::offered_host_key(target)
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
    let mut config = target.config.clone();
    if !config.is_object() {
        config = json!({});
    }
    if !config["ssh"].is_object() {
        config["ssh"] = json!({});
    }
    config["ssh"]["host_key"] = json!(line);
    let pinned = state
        .store
        .set_target_config(&target.org_id, &target.name, config)
        .await?;
    state.forget_driver(&target.id);
    Ok(pinned)
}

impl App {
    /// Tests a target's engine and records the result as its status.
    pub async fn check_target(&self, target: &windflow_storage::Target) -> TargetTest {
        let started = Instant::now();
        let untrusted = crate::remote_targets::reached_over_ssh(target.kind, &target.endpoint)
            && crate::remote_targets::pinned_host_key(target).is_none();
        let result = if untrusted {
            use crate::remote_targets::{Offered, offered_host_key, untrusted_message};
            let offered = offered_host_key(target).await.ok();
            Err(untrusted_message(
                target,
                match &offered {
                    Some((fingerprint, _)) => Offered::Key(fingerprint),
                    None => Offered::NoAnswer,
                },
            ))
        } else {
            match self.driver(target) {
                Ok(driver) => {
                    match tokio::time::timeout(std::time::Duration::from_secs(10), driver.info())
                        .await
                    {
                        Ok(Ok(info)) => Ok(EngineInfo {
                            engine_id: Some(info.engine_id).filter(|id| !id.is_empty()),
                            version: info.version,
                            api_version: info.api_version,
                            os: info.os,
                            arch: info.arch,
                            hostname: info.hostname,
                            cpus: info.cpus,
                            memory_bytes: info.memory_bytes,
                            reserved_memory_bytes: info.reserved_memory_bytes,
                            free_disk_bytes: info.free_disk_bytes,
                            containers_running: info.containers_running,
                            swarm_role: info.swarm_role,
                        }),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(_) => Err("no answer within 10 s".to_string()),
                    }
                }
                Err(e) => Err(e.to_string()),
            }
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        // The engine this target reaches, for `tenancy` (one engine, one organization).
        if let Ok(EngineInfo {
            engine_id: Some(engine_id),
            ..
        }) = &result
            && let Err(e) = self.record_engine(target, engine_id).await
        {
            tracing::warn!(error = %e, target = %target.name, "recording a target's engine");
        }
        let (status, info) = match &result {
            Ok(info) => (TargetStatus::Up, serde_json::to_value(info).ok()),
            Err(_) => (TargetStatus::Down, None),
        };
        let at = now_ms();
        if let Err(e) = self
            .store
            .update_target_status(&target.id, status, info, at)
            .await
        {
            tracing::warn!(error = %e, target = %target.name, "recording a target's status");
        }
        let check = windflow_storage::TargetCheck {
            target_id: target.id.clone(),
            checked_at: at,
            status,
            latency_ms: latency_ms as i64,
            error: result.as_ref().err().cloned(),
        };
        if let Err(e) = self.store.record_target_check(check).await {
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
}
