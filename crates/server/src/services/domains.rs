//! A stack's domains: what its compose file declares (`x-windflow`), what the control plane
//! sets over it for every environment or one, and the rule that a host and path belongs to
//! one stack per target.
//!
//! The effective domains of a deployment are the compose file's, replaced service by service
//! by the control plane's setting for every environment, then by the one for the
//! deployment's environment.

use std::collections::BTreeMap;

use serde_json::json;
use windflow_domain::ingress::resolve_port;
use windflow_domain::{Domain, Ingress, StackSpec, TlsMode};
use windflow_protocol::{ServiceDomains, SetDomainsRequest};
use windflow_storage::{Stack, StackDomains, Store, Target, VariableValue};

use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{App, now_ms};

/// Most domains one service may answer at.
const MAX_DOMAINS: usize = 100;

/// The domains of the stack's services: the compose file's (newest version), then the
/// control plane's settings.
pub async fn list(
    app: &App,
    access: &OrgAccess,
    stack_name: &str,
) -> ApiResult<Vec<ServiceDomains>> {
    let org = &access.org.id;
    let stack = services::stacks::find(app, org, stack_name).await?;
    let mut out = Vec::new();
    if let Some(spec) = newest_spec(app, org, &stack).await? {
        for (service, s) in &spec.services {
            if let Some(ingress) = &s.ingress {
                out.push(wire(service, ingress, "compose", None, None, None));
            }
        }
    }
    let environments = app.store.list_environments(org).await?;
    for setting in app.store.list_stack_domains(org, &stack.id).await? {
        let environment = setting.environment_id.as_ref().and_then(|id| {
            environments
                .iter()
                .find(|e| &e.id == id)
                .map(|e| e.name.clone())
        });
        out.push(wire(
            &setting.service,
            &setting.ingress,
            "control-plane",
            environment,
            Some(setting.updated_by),
            Some(setting.updated_at),
        ));
    }
    Ok(out)
}

fn wire(
    service: &str,
    ingress: &Ingress,
    source: &str,
    environment: Option<String>,
    updated_by: Option<String>,
    updated_at: Option<i64>,
) -> ServiceDomains {
    ServiceDomains {
        service: service.to_string(),
        domains: ingress.domains.iter().map(Domain::to_string).collect(),
        port: ingress.port,
        tls: ingress.tls.to_string(),
        health: ingress.health.clone(),
        source: source.to_string(),
        environment,
        updated_by,
        updated_at: updated_at.map(convert::time),
    }
}

/// Sets a service's domains for every environment (`environment` absent) or one.
pub async fn set(
    app: &App,
    access: &OrgAccess,
    stack_name: &str,
    service: &str,
    environment: Option<&str>,
    request: SetDomainsRequest,
) -> ApiResult<ServiceDomains> {
    let org = &access.org.id;
    let stack = services::stacks::find(app, org, stack_name).await?;
    let environment_id = services::organizations::environment_id(app, org, environment).await?;
    let spec = newest_spec(app, org, &stack).await?.ok_or_else(|| {
        ApiError::invalid(
            "service",
            format!(
                "stack {stack_name}'s newest version does not load: fix it before setting domains"
            ),
        )
    })?;
    let Some(declared) = spec.services.get(service) else {
        let names: Vec<&str> = spec.services.keys().map(String::as_str).collect();
        return Err(ApiError::invalid(
            "service",
            format!(
                "stack {stack_name} has no service {service:?} (its services: {})",
                names.join(", ")
            ),
        ));
    };
    let ingress = parse_request(&request, declared)?;
    app.store
        .set_stack_domains(
            org,
            StackDomains {
                stack_id: stack.id.clone(),
                environment_id,
                service: service.to_string(),
                ingress: ingress.clone(),
                updated_by: access.caller.user.username.clone(),
                updated_at: now_ms(),
            },
        )
        .await?;
    services::audit::record_org(
        app,
        access,
        "stack.domains.set",
        &format!("stack/{stack_name}"),
        json!({
            "service": service,
            "environment": environment,
            "domains": request.domains,
            "port": ingress.port,
            "tls": ingress.tls.to_string(),
        }),
    )
    .await;
    Ok(wire(
        service,
        &ingress,
        "control-plane",
        environment.map(str::to_string),
        Some(access.caller.user.username.clone()),
        Some(now_ms()),
    ))
}

/// Removes a control-plane setting: the compose file's domains (if any) apply again.
pub async fn delete(
    app: &App,
    access: &OrgAccess,
    stack_name: &str,
    service: &str,
    environment: Option<&str>,
) -> ApiResult<()> {
    let org = &access.org.id;
    let stack = services::stacks::find(app, org, stack_name).await?;
    let environment_id = services::organizations::environment_id(app, org, environment).await?;
    app.store
        .delete_stack_domains(org, &stack.id, environment_id.as_deref(), service)
        .await?;
    services::audit::record_org(
        app,
        access,
        "stack.domains.delete",
        &format!("stack/{stack_name}"),
        json!({ "service": service, "environment": environment }),
    )
    .await;
    Ok(())
}

/// Checks a request against the service it is for: every domain well formed and listed
/// once, the port one the service exposes, the TLS mode known.
fn parse_request(
    request: &SetDomainsRequest,
    service: &windflow_domain::Service,
) -> ApiResult<Ingress> {
    if request.domains.is_empty() {
        return Err(ApiError::invalid("domains", "name at least one domain"));
    }
    if request.domains.len() > MAX_DOMAINS {
        return Err(ApiError::invalid(
            "domains",
            format!("at most {MAX_DOMAINS} domains per service"),
        ));
    }
    let mut domains: Vec<Domain> = Vec::new();
    for (i, text) in request.domains.iter().enumerate() {
        let domain: Domain =
            text.parse()
                .map_err(|e: windflow_domain::ingress::IngressError| {
                    ApiError::invalid(&format!("domains[{i}]"), e.0)
                })?;
        if domains.contains(&domain) {
            return Err(ApiError::invalid(
                &format!("domains[{i}]"),
                format!("{domain} is listed twice"),
            ));
        }
        domains.push(domain);
    }
    let tls = match &request.tls {
        Some(text) => text
            .parse::<TlsMode>()
            .map_err(|e| ApiError::invalid("tls", e.0))?,
        None => TlsMode::Auto,
    };
    let given = request
        .port
        .or_else(|| service.ingress.as_ref().map(|i| i.port));
    let port = resolve_port(given, &service.declared_tcp_ports())
        .map_err(|e| ApiError::invalid("port", e.0))?;
    let health = match &request.health {
        Some(path) => Some(
            windflow_domain::ingress::parse_health_path(path)
                .map_err(|e| ApiError::invalid("health", e.0))?,
        ),
        None => service.ingress.as_ref().and_then(|i| i.health.clone()),
    };
    let (max_body, timeout) = service
        .ingress
        .as_ref()
        .map_or((None, None), |i| (i.max_body, i.timeout));
    Ok(Ingress {
        domains,
        port,
        tls,
        health,
        max_body,
        timeout,
    })
}

/// The stack's newest version as the server loads it for validation; `None` when it does
/// not load (its deployments report why).
async fn newest_spec(app: &App, org: &str, stack: &Stack) -> ApiResult<Option<StackSpec>> {
    let content = app
        .store
        .get_stack_version(org, &stack.id, stack.latest_version)
        .await?
        .content;
    let environment =
        services::stacks::validation_environment(app.store.as_ref(), org, Some(&stack.id)).await?;
    Ok(services::stacks::load(&stack.name, &content, environment)
        .ok()
        .map(|loaded| loaded.stack))
}

/// Replaces the compose file's domains with the control plane's settings for
/// `environment_id`: the setting for every environment first, then the environment's own.
/// A setting for a service the version does not have is skipped.
pub fn apply_settings(
    spec: &mut StackSpec,
    settings: &[StackDomains],
    environment_id: Option<&str>,
) {
    let general = settings.iter().filter(|s| s.environment_id.is_none());
    let specific = settings
        .iter()
        .filter(|s| s.environment_id.is_some() && s.environment_id.as_deref() == environment_id);
    for setting in general.chain(specific) {
        if let Some(service) = spec.services.get_mut(&setting.service) {
            service.ingress = Some(setting.ingress.clone());
        }
    }
}

/// Applies the stack's control-plane settings to a loaded version.
pub async fn apply_stored_settings(
    store: &dyn Store,
    org: &str,
    stack_id: &str,
    environment_id: Option<&str>,
    spec: &mut StackSpec,
) -> ApiResult<()> {
    let settings = store.list_stack_domains(org, stack_id).await?;
    apply_settings(spec, &settings, environment_id);
    Ok(())
}

/// Refuses to deploy `spec` onto `target` when another stack deployed there answers at one
/// of its hosts and paths, or takes one of its TCP listen ports (unless both route distinct
/// TLS server names there): one route, one stack, per gateway. A TCP listen port that is the
/// gateway's own HTTP or HTTPS port is refused too.
pub async fn check_claims(
    app: &App,
    org: &str,
    stack: &Stack,
    spec: &StackSpec,
    target: &Target,
) -> ApiResult<()> {
    let wanted = routes(spec);
    let wanted_tcp = tcp_forwards(spec);
    if wanted.is_empty() && wanted_tcp.is_empty() {
        return Ok(());
    }
    let gateway = &app.config.gateway;
    for (forward, service) in &wanted_tcp {
        if [gateway.http.port(), gateway.https.port()].contains(&forward.listen) {
            return Err(ApiError::Conflict {
                message: format!(
                    "gateway port {} (service {service}) is the gateway's own HTTP or HTTPS port on target {}; pick another listen port",
                    forward.listen, target.name
                ),
                field: Some("tcp".into()),
            });
        }
    }
    // Every target on the same engine shares its gateway, so its hosts and ports too.
    for on in services::gateway::engine_targets(app, target).await? {
        for deployed in app
            .store
            .list_deployed(&on.org_id, None, Some(&on.id))
            .await?
        {
            if deployed.stack_id == stack.id {
                continue;
            }
            let Some(other) = deployed_spec(app.store.as_ref(), &on.org_id, &deployed).await?
            else {
                continue;
            };
            // Another organization's stack is not named to this one.
            let holder = |other_service: &str| {
                if on.org_id == org {
                    format!(
                        "on target {} by stack {}, service {other_service}",
                        on.name, deployed.stack_name
                    )
                } else {
                    "on this engine by another organization".to_string()
                }
            };
            for (other_forward, other_service) in tcp_forwards(&other) {
                for (forward, service) in &wanted_tcp {
                    if let Some(conflict) = forward.conflict(&other_forward) {
                        return Err(ApiError::Conflict {
                            message: format!(
                                "gateway port {} (service {service}) is already taken {}: {conflict}; pick another listen port",
                                forward.listen,
                                holder(&other_service)
                            ),
                            field: Some("tcp".into()),
                        });
                    }
                }
            }
            for (domain, other_service) in routes(&other) {
                if let Some(service) = wanted.get(&domain) {
                    return Err(ApiError::Conflict {
                        message: format!(
                            "{domain} (service {service}) is already served {}",
                            holder(&other_service)
                        ),
                        field: Some("domains".into()),
                    });
                }
            }
        }
    }
    Ok(())
}

/// [`check_claims`] for a version about to be queued (a version that does not load is left
/// to the deployment, which reports why).
pub async fn check_version_claims(
    app: &App,
    org: &str,
    stack: &Stack,
    content: &str,
    environment_id: Option<&str>,
    target: &Target,
) -> ApiResult<()> {
    let environment =
        services::stacks::validation_environment(app.store.as_ref(), org, Some(&stack.id)).await?;
    let Ok(loaded) = services::stacks::load(&stack.name, content, environment) else {
        return Ok(());
    };
    let mut spec = loaded.stack;
    apply_stored_settings(
        app.store.as_ref(),
        org,
        &stack.id,
        environment_id,
        &mut spec,
    )
    .await?;
    check_claims(app, org, stack, &spec, target).await
}

/// Every host and path of the stack, with the service answering there.
pub fn routes(spec: &StackSpec) -> BTreeMap<Domain, String> {
    let mut out = BTreeMap::new();
    for (name, service) in &spec.services {
        for domain in service.ingress.iter().flat_map(|i| &i.domains) {
            out.insert(domain.clone(), name.clone());
        }
    }
    out
}

/// Every TCP forward of the stack (`x-windflow.tcp`), with the service it goes to.
pub fn tcp_forwards(spec: &StackSpec) -> Vec<(windflow_domain::TcpForward, String)> {
    spec.services
        .iter()
        .flat_map(|(name, service)| service.tcp.iter().map(|f| (f.clone(), name.clone())))
        .collect()
}

/// What a deployment runs, with its domains as they were deployed: its version, loaded with
/// its environment's plain variables (a secret never names a host), each service's ingress
/// as the deployment recorded it (a domain setting changed since waits for the next
/// deployment; the control plane's current settings for a deployment older than the record).
pub async fn deployed_spec(
    store: &dyn Store,
    org: &str,
    deployment: &windflow_storage::Deployment,
) -> ApiResult<Option<StackSpec>> {
    let content = store
        .get_stack_version(org, &deployment.stack_id, deployment.stack_version)
        .await?
        .content;
    let mut environment = BTreeMap::new();
    for scope in services::variables::deployment_scopes(
        &deployment.stack_id,
        deployment.environment_id.as_deref(),
    ) {
        for variable in store.list_variables(org, &scope).await? {
            if let VariableValue::Plain(value) = variable.value {
                environment.insert(variable.name, value);
            }
        }
    }
    let Ok(loaded) = services::stacks::load(&deployment.stack_name, &content, environment) else {
        return Ok(None);
    };
    let mut spec = loaded.stack;
    match deployment.ingress.as_ref().and_then(ingress_from_record) {
        Some(mut recorded) => {
            for (name, service) in spec.services.iter_mut() {
                service.ingress = recorded.remove(name);
            }
        }
        // Deployed before the record existed: the settings as they are now.
        None => {
            apply_stored_settings(
                store,
                org,
                &deployment.stack_id,
                deployment.environment_id.as_deref(),
                &mut spec,
            )
            .await?
        }
    }
    Ok(Some(spec))
}

/// The services' ingress as a deployment records it (service → ingress).
pub fn ingress_record(spec: &StackSpec) -> serde_json::Value {
    let recorded: BTreeMap<&String, &Ingress> = spec
        .services
        .iter()
        .filter_map(|(name, service)| Some((name, service.ingress.as_ref()?)))
        .collect();
    serde_json::to_value(recorded).expect("ingress serializes")
}

fn ingress_from_record(record: &serde_json::Value) -> Option<BTreeMap<String, Ingress>> {
    serde_json::from_value(record.clone()).ok()
}
