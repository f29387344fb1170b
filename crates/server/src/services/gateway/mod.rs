//! Each target's gateway (`windflow-gateway`): created before a stack with domains deploys
//! there, then given the routes of every stack deployed on the target after each deployment
//! and removal, with their certificates — issued through ACME on first use, answering the
//! HTTP-01 challenges through the gateway itself. Raw TCP forwards (`x-windflow.tcp`) go to
//! the target's TCP gateway (`windflow-gateway-tcp`, HAProxy) in the same sync; it exists
//! only while some stack on the target forwards TCP. The gateway is reached through
//! [`host::GatewayHost`]: directly over the engine's client, or as ops over an agent's link.
//!
//! *Invariants:* a target's gateway is configured by one deployment at a time (a lock per
//! target); it serves only the routes of stacks deployed on that target, which belongs to
//! one organization; a configuration the gateway refuses leaves the previous one serving; a
//! certificate that cannot be issued leaves its route on plain HTTP and says why, it never
//! fails the deployment that brought the route.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Mutex as AsyncMutex;
use windflow_acme::{Http01Solver, SolverError};
use windflow_domain::naming::GATEWAY_NETWORK;
use windflow_domain::{Domain, Ingress, StackSpec, TlsMode};
use windflow_gateway::{
    AcmeChallenge, ActiveHealthCheck, GatewayConfig, GatewayImage, GatewayNetworkDriver,
    GatewaySettings, HttpRoute, PemCertificate, PublishedPort, TcpGatewayImage, TcpGatewaySettings,
    TcpHealthCheck, TcpRoute, Upstream,
};
use windflow_storage::{CertificateRecord, Target, TargetKind};

use crate::services;
use crate::state::{App, now_ms};

pub mod host;

use host::GatewayHost;

/// The name of each target's gateway container.
pub const GATEWAY_CONTAINER: &str = "windflow-gateway";
/// How often the gateway probes a service's `health` path, and how long a probe may take. A
/// replica on a loaded machine can take over a second to answer; one slow probe takes it out
/// of rotation until the next one, so the timeout errs on the generous side.
const HEALTH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// How often the TCP gateway connects to each replica of a TCP forward.
const TCP_HEALTH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// Certificates by organization and name.
type Certificates = BTreeMap<(String, String), CertificateRecord>;

/// What a gateway sync did, for the deployment's events.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// Routes served, as `host/path → stack/service`.
    pub routes: Vec<String>,
    /// Certificates issued in this sync.
    pub issued: Vec<String>,
    /// What does not work yet and why (a certificate that could not be issued, …).
    pub warnings: Vec<String>,
}

/// Whether `target`'s kind has a gateway: a Docker engine reached directly, over SSH or
/// through an agent, or a Swarm manager (whose gateway containers run on the manager, on an
/// overlay network).
pub fn supported(target: &Target) -> bool {
    matches!(
        target.kind,
        TargetKind::Docker | TargetKind::Ssh | TargetKind::Agent | TargetKind::Swarm
    )
}

/// Whether any service of the stack has domains.
pub fn has_domains(spec: &StackSpec) -> bool {
    spec.services.values().any(|s| s.ingress.is_some())
}

/// Whether any service of the stack forwards TCP from a gateway port.
pub fn has_tcp(spec: &StackSpec) -> bool {
    spec.services.values().any(|s| !s.tcp.is_empty())
}

/// Whether the stack needs the target's gateway (its network, at least): domains or TCP.
pub fn uses_gateway(spec: &StackSpec) -> bool {
    has_domains(spec) || has_tcp(spec)
}

/// The target labels that pick the images of the gateway on the target's engine, over the
/// server's `--gateway-image` and `--gateway-tcp-image`.
pub const GATEWAY_IMAGE_LABEL: &str = "gateway-image";
pub const GATEWAY_TCP_IMAGE_LABEL: &str = "gateway-tcp-image";

/// How the gateway runs on an engine, from every target reaching it.
struct EngineGateway {
    /// A swarm target deploys to the engine (it is a Swarm manager): the gateway network is
    /// an attachable overlay, which Swarm services and plain containers both join.
    swarm: bool,
    image: String,
    tcp_image: String,
}

impl EngineGateway {
    async fn of(app: &App, target: &Target) -> Self {
        let targets = engine_targets(app, target)
            .await
            .unwrap_or_else(|_| vec![target.clone()]);
        // A label picks the image only when every target on the engine is the organization's
        // own and they agree: on an engine an administrator shared, the gateway holds other
        // organizations' keys, so only the server's setting chooses what runs it.
        let label = |key: &str| -> Option<String> {
            if targets.iter().any(|t| t.org_id != target.org_id) {
                return None;
            }
            let values: std::collections::BTreeSet<&str> = targets
                .iter()
                .filter_map(|t| t.labels.get(key)?.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect();
            match values.len() {
                1 => values.into_iter().next().map(str::to_string),
                0 => None,
                _ => {
                    tracing::warn!(target = %target.name, label = key,
                        "the targets on this engine name different gateway images; using the server's");
                    None
                }
            }
        };
        EngineGateway {
            swarm: targets.iter().any(|t| t.kind == TargetKind::Swarm),
            image: label(GATEWAY_IMAGE_LABEL).unwrap_or_else(|| app.config.gateway.image.clone()),
            tcp_image: label(GATEWAY_TCP_IMAGE_LABEL)
                .unwrap_or_else(|| app.config.gateway.tcp_image.clone()),
        }
    }

    fn settings(&self, app: &App) -> GatewaySettings {
        let published = |address: std::net::SocketAddr| PublishedPort {
            host_ip: (!address.ip().is_unspecified()).then(|| address.ip().to_string()),
            port: address.port(),
        };
        GatewaySettings {
            image: GatewayImage(self.image.clone()),
            container_name: GATEWAY_CONTAINER.to_string(),
            network: GATEWAY_NETWORK.to_string(),
            network_driver: if self.swarm {
                GatewayNetworkDriver::Overlay
            } else {
                GatewayNetworkDriver::Bridge
            },
            http: Some(published(app.config.gateway.http)),
            https: Some(published(app.config.gateway.https)),
        }
    }
}

/// The target's gateway, with the TCP gateway beside the HTTP one: same network, same host
/// address, never its ports; images and network as [`EngineGateway`] says.
async fn host(app: &App, target: &Target) -> anyhow::Result<GatewayHost> {
    let engine = EngineGateway::of(app, target).await;
    let http = engine.settings(app);
    let tcp = TcpGatewaySettings::beside(&http, TcpGatewayImage(engine.tcp_image));
    GatewayHost::of(app, target, http, tcp)
}

/// One lock per engine: every target reaching it shares its gateway.
fn lock(app: &App, target: &Target) -> Arc<AsyncMutex<()>> {
    let key = engine_id(target).unwrap_or_else(|| format!("target:{}", target.id));
    app.gateway_locks
        .lock()
        .expect("gateway locks")
        .entry(key)
        .or_default()
        .clone()
}

/// The engine the target reached when last checked.
fn engine_id(target: &Target) -> Option<String> {
    services::targets::config::TargetConfig::of(target)
        .engine
        .map(|claim| claim.id)
        .filter(|id| !id.is_empty())
}

/// Every target whose gateway is `target`'s: those reaching the same engine, in any
/// organization (an administrator may share an engine), `target` first. One engine runs one
/// gateway container, so its routes are the union of theirs — a sync computed from one
/// target alone would drop the others' routes.
pub async fn engine_targets(app: &App, target: &Target) -> crate::error::ApiResult<Vec<Target>> {
    let mut out = vec![target.clone()];
    let Some(engine) = engine_id(target) else {
        return Ok(out);
    };
    for other in app.store.list_all_targets().await? {
        if other.id != target.id && supported(&other) && engine_id(&other).as_ref() == Some(&engine)
        {
            out.push(other);
        }
    }
    Ok(out)
}

/// Makes sure the target's gateway runs before `spec` deploys there: its network must exist
/// for the stack's services to join it. A stack without domains or TCP forwards needs
/// nothing.
pub async fn prepare(app: &App, target: &Target, spec: &StackSpec) -> anyhow::Result<()> {
    if !uses_gateway(spec) {
        return Ok(());
    }
    if !supported(target) {
        anyhow::bail!(
            "target {} is a {} target, which has no gateway yet: services with domains or TCP forwards deploy onto docker, ssh, agent or swarm targets",
            target.name,
            target.kind.as_str()
        );
    }
    let guard = lock(app, target);
    let held = guard.lock().await;
    let ensured = host(app, target).await?.ensure().await?;
    drop(held);
    if ensured == windflow_gateway::Ensured::Created {
        // A new (or upgraded: its settings changed) gateway serves nothing yet: give it the
        // routes of what already runs on the target before this deployment adds its own.
        let report = sync(app, &target.org_id, target, None).await?;
        for warning in report.warnings {
            tracing::warn!(target = %target.name, "{warning}");
        }
    }
    Ok(())
}

/// The stack a running deployment changes: what it now deploys, or `None` when it removes
/// the stack (the store still lists its previous deployment until this one finishes).
pub struct Changing<'a> {
    pub stack_id: &'a str,
    pub stack_name: &'a str,
    pub spec: Option<&'a StackSpec>,
}

/// Gives the target's gateway the routes of every stack deployed there (with `changing` as
/// it now is), issuing the certificates that are missing. Nothing to do on a target without
/// a gateway.
pub async fn sync(
    app: &App,
    org: &str,
    target: &Target,
    changing: Option<Changing<'_>>,
) -> anyhow::Result<SyncReport> {
    sync_renewing(app, org, target, changing, &[]).await
}

/// [`sync`], renewing the certificates named in `renew` whether they are due or not.
pub async fn sync_renewing(
    app: &App,
    org: &str,
    target: &Target,
    changing: Option<Changing<'_>>,
    renew: &[String],
) -> anyhow::Result<SyncReport> {
    let mut report = SyncReport::default();
    if !supported(target) {
        return Ok(report);
    }
    // Whether the version this deployment replaces brought routes: only then may the
    // gateway need changing when nothing on the target has domains (or TCP forwards) any more.
    let (had_routes, had_tcp) = match &changing {
        Some(c) => previous_had(app, org, target, c.stack_id).await?,
        None => (false, false),
    };
    let specs = deployed_specs(app, org, target, changing).await?;
    let services = routed_services(&specs);
    let tcp = tcp_routes(&specs);
    if services.is_empty() && !had_routes && tcp.is_empty() && !had_tcp {
        // Nothing routed here before or now: the gateway (if any) is left alone.
        return Ok(report);
    }
    let guard = lock(app, target);
    let _held = guard.lock().await;
    let gateway = Arc::new(host(app, target).await?);
    // TCP forwards first: they need no certificate. The TCP gateway is touched only when a
    // stack forwards TCP now or did before this deployment, so a deployment elsewhere never
    // removes another server's (same engine, CI) TCP gateway.
    if !tcp.is_empty() || had_tcp {
        let routes: Vec<TcpRoute> = tcp.iter().map(|t| t.route.clone()).collect();
        // A refused TCP configuration does not hold back the HTTP routes: it is reported,
        // and the previous TCP routes keep serving.
        if let Err(e) = gateway.apply_tcp(&routes).await {
            report.warnings.push(format!(
                "the TCP gateway was not updated (its previous routes keep serving): {e}"
            ));
        } else {
            report.routes.extend(tcp.iter().map(|t| {
                let names = if t.route.sni.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", t.route.sni.join(", "))
                };
                format!("tcp :{}{names} → {}/{}", t.route.listen, t.stack, t.service)
            }));
        }
    }
    if services.is_empty() && !had_routes {
        return Ok(report);
    }
    if services.is_empty() {
        // The last routes left: an empty configuration, if a gateway runs at all.
        if gateway.running().await? {
            gateway.apply(&GatewayConfig::default()).await?;
        }
        return Ok(report);
    }
    gateway.ensure().await?;

    // Certificates: stored ones that cover the hosts, else issued now (served over plain
    // HTTP until then).
    let now = now_ms();
    let mut certificates: Certificates = BTreeMap::new();
    let mut to_issue: Vec<(String, String, Vec<String>)> = Vec::new();
    for routed in &services {
        let hosts = routed.hosts();
        let owner = routed.org_id.as_str();
        match &routed.ingress.tls {
            TlsMode::Off => {}
            TlsMode::Named(name) => match app.store.get_certificate(owner, name).await {
                Ok(c) => {
                    certificates.insert((owner.to_string(), name.clone()), c);
                }
                Err(_) => report.warnings.push(format!(
                    "{}/{}: no certificate named {name}: upload it with `windflow cert upload {name}`; served over plain HTTP meanwhile",
                    routed.stack, routed.service
                )),
            },
            TlsMode::Auto => {
                let name = auto_certificate_name(&routed.stack, &routed.service);
                let wildcard = hosts.iter().any(|h| h.starts_with("*."));
                // A wildcard is issued (and renewed) only through DNS-01, over a provider
                // managing its zone.
                let issuable =
                    !wildcard || services::dns01::manages_wildcards(app, owner, &hosts).await;
                match app.store.get_certificate(owner, &name).await {
                    Ok(c) if covers(&c, &hosts) && c.not_after > now => {
                        // Due or asked for: renewed, while the current one keeps serving
                        // until then.
                        let asked = owner == org && renew.contains(&name);
                        if (c.renewal_due(now) || asked) && issuable {
                            to_issue.push((owner.to_string(), name.clone(), hosts));
                        }
                        certificates.insert((owner.to_string(), name), c);
                    }
                    _ if !issuable => {
                        report.warnings.push(format!(
                            "{}/{}: a wildcard certificate needs a DNS-01 challenge through a DNS provider for its zone; served over plain HTTP meanwhile",
                            routed.stack, routed.service
                        ));
                    }
                    _ => to_issue.push((owner.to_string(), name, hosts)),
                }
            }
        }
    }
    let config = build_config(app, &services, &certificates, &mut report);
    gateway.apply(&config).await?;

    if !to_issue.is_empty() {
        let solver = Arc::new(GatewaySolver {
            gateway: gateway.clone(),
            config: AsyncMutex::new(config),
        });
        for (owner, name, hosts) in to_issue {
            match services::certificates::issue(app, &owner, &name, &hosts, solver.clone()).await {
                Ok(issued) => {
                    report.issued.push(format!("{name} ({})", hosts.join(", ")));
                    certificates.insert((owner, name), issued);
                }
                Err(e) => report.warnings.push(format!(
                    "certificate {name} for {}: {e:#}; served over plain HTTP meanwhile",
                    hosts.join(", ")
                )),
            }
        }
        let mut final_report = SyncReport::default();
        let config = build_config(app, &services, &certificates, &mut final_report);
        gateway.apply(&config).await?;
    }
    report.routes.extend(services.iter().flat_map(|s| {
        s.ingress
            .domains
            .iter()
            .map(move |d| format!("{d} → {}/{}", s.stack, s.service))
    }));
    Ok(report)
}

/// Renews the certificates due now (or `only` that one, due or not) on every target whose
/// gateway serves them; returns what each sync reported.
pub async fn renew_certificates(
    app: &App,
    org: &str,
    only: Option<&str>,
) -> anyhow::Result<Vec<SyncReport>> {
    let now = now_ms();
    let names: Vec<String> = match only {
        Some(name) => vec![name.to_string()],
        None => app
            .store
            .list_certificates_due(now)
            .await?
            .into_iter()
            .filter(|c| c.org_id == org)
            .map(|c| c.name)
            .collect(),
    };
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut reports = Vec::new();
    for target in app.store.list_targets(org).await? {
        if !supported(&target) {
            continue;
        }
        let served = deployed_services(app, org, &target, None).await?;
        let served: Vec<&RoutedService> = served.iter().filter(|s| s.org_id == org).collect();
        let here: Vec<String> = names
            .iter()
            .filter(|name| {
                served.iter().any(|s| {
                    s.ingress.tls == TlsMode::Auto
                        && auto_certificate_name(&s.stack, &s.service) == **name
                })
            })
            .cloned()
            .collect();
        if here.is_empty() {
            continue;
        }
        // One unreachable gateway (an agent that is not connected) holds back no other
        // target's renewals: it is reported, naming the certificates it serves.
        match sync_renewing(app, org, &target, None, &here).await {
            Ok(report) => reports.push(report),
            Err(e) => reports.push(SyncReport {
                warnings: vec![format!(
                    "certificate {}: the gateway of target {} was not updated: {e:#}",
                    here.join(", "),
                    target.name
                )],
                ..SyncReport::default()
            }),
        }
    }
    Ok(reports)
}

/// The stack, service and target a certificate serves, if any target's gateway uses it.
pub async fn certificate_user(
    app: &App,
    org: &str,
    name: &str,
) -> anyhow::Result<Option<(String, String, String)>> {
    for target in app.store.list_targets(org).await? {
        if !supported(&target) {
            continue;
        }
        for s in deployed_services(app, org, &target, None).await? {
            if s.org_id != org {
                continue;
            }
            let uses = match &s.ingress.tls {
                TlsMode::Off => false,
                TlsMode::Named(n) => n == name,
                TlsMode::Auto => auto_certificate_name(&s.stack, &s.service) == name,
            };
            if uses {
                return Ok(Some((s.stack, s.service, target.name.clone())));
            }
        }
    }
    Ok(None)
}

/// The renewal pass of the maintenance loop: every organization's due certificates.
pub async fn renew_due(app: &App) {
    let due = match app.store.list_certificates_due(now_ms()).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "listing certificates due for renewal");
            return;
        }
    };
    let orgs: std::collections::BTreeSet<String> = due.into_iter().map(|c| c.org_id).collect();
    for org in orgs {
        match renew_certificates(app, &org, None).await {
            Ok(reports) => {
                for report in reports {
                    for issued in &report.issued {
                        tracing::info!(org = %org, certificate = %issued, "certificate renewed");
                    }
                    for warning in &report.warnings {
                        tracing::warn!(org = %org, "{warning}");
                    }
                }
            }
            Err(e) => {
                tracing::warn!(org = %org, error = %format!("{e:#}"), "renewing certificates")
            }
        }
    }
}

/// What the target's gateway serves, with the live state of each replica behind it.
pub async fn info(
    app: &App,
    access: &crate::auth::OrgAccess,
    target_name: &str,
) -> crate::error::ApiResult<windflow_protocol::GatewayInfo> {
    use windflow_protocol::{GatewayInfo, GatewayRoute, GatewayTcpRoute, GatewayUpstream};
    let org = &access.org.id;
    let target = services::targets::find(app, org, target_name).await?;
    let gateway = &app.config.gateway;
    let mut info = GatewayInfo {
        supported: supported(&target),
        running: false,
        image: gateway.image.clone(),
        http: gateway.http.to_string(),
        https: gateway.https.to_string(),
        routes: Vec::new(),
        tcp_routes: Vec::new(),
        tcp_running: false,
        error: None,
    };
    if !info.supported {
        return Ok(info);
    }
    let specs = deployed_specs(app, org, &target, None)
        .await
        .map_err(|e| crate::error::ApiError::Unavailable(format!("{e:#}")))?;
    // The organization's own routes only: a shared engine's gateway also serves others'.
    let mut routed = routed_services(&specs);
    routed.retain(|s| s.org_id == *org);
    info.tcp_routes = tcp_routes(&specs)
        .into_iter()
        .filter(|t| t.org_id == *org)
        .map(|t| GatewayTcpRoute {
            listen: t.route.listen,
            sni: t.route.sni,
            stack: t.stack,
            service: t.service,
            upstreams: t.route.upstreams.iter().map(Upstream::address).collect(),
        })
        .collect();
    let gateway = host(app, &target).await;
    if !info.tcp_routes.is_empty() {
        match &gateway {
            Ok(gateway) => match gateway.tcp_status().await {
                Ok(status) => info.tcp_running = status.is_some_and(|s| s.running),
                Err(e) => info.error = Some(e.to_string()),
            },
            Err(e) => info.error = Some(format!("{e:#}")),
        }
    }
    let live = match &gateway {
        Ok(gateway) => match gateway.status().await {
            Ok(status) => {
                info.running = true;
                status.upstreams
            }
            Err(e) => {
                info.error = Some(e.to_string());
                Vec::new()
            }
        },
        Err(e) => {
            info.error = Some(format!("{e:#}"));
            Vec::new()
        }
    };
    let now = now_ms();
    for service in &routed {
        let certificate = match &service.ingress.tls {
            TlsMode::Off => None,
            TlsMode::Named(name) => Some(name.clone()),
            TlsMode::Auto => Some(auto_certificate_name(&service.stack, &service.service)),
        };
        let certificate = match certificate {
            Some(name) => match app.store.get_certificate(org, &name).await {
                Ok(c) if c.not_after > now => Some(name),
                _ => None,
            },
            None => None,
        };
        let upstreams: Vec<GatewayUpstream> = service
            .upstreams
            .iter()
            .map(|u| {
                let address = u.address();
                let seen = live.iter().find(|l| l.address == address);
                GatewayUpstream {
                    healthy: seen.is_none_or(|l| l.healthy()),
                    requests: seen.map_or(0, |l| l.num_requests),
                    fails: seen.map_or(0, |l| l.fails),
                    address,
                }
            })
            .collect();
        for domain in &service.ingress.domains {
            info.routes.push(GatewayRoute {
                domain: domain.to_string(),
                stack: service.stack.clone(),
                service: service.service.clone(),
                tls: service.ingress.tls.to_string(),
                certificate: certificate.clone(),
                upstreams: upstreams.clone(),
            });
        }
    }
    Ok(info)
}

/// The name WindFlow gives the certificate it issues for a service's hosts.
pub fn auto_certificate_name(stack: &str, service: &str) -> String {
    format!("{stack}.{service}")
}

fn covers(certificate: &CertificateRecord, hosts: &[String]) -> bool {
    hosts.iter().all(|h| certificate.domains.contains(h))
}

/// A service with domains, deployed on the target.
struct RoutedService {
    /// The organization whose stack it is (its certificates are that organization's).
    org_id: String,
    stack: String,
    service: String,
    ingress: Ingress,
    upstreams: Vec<Upstream>,
}

impl RoutedService {
    fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .ingress
            .domains
            .iter()
            .map(|d| d.host.clone())
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// A TCP forward of a service deployed on the target, as the TCP gateway's route.
struct TcpRouted {
    org_id: String,
    stack: String,
    service: String,
    route: TcpRoute,
}

/// Whether the stack's deployment on the target before this one had domains, and whether
/// it had TCP forwards.
async fn previous_had(
    app: &App,
    org: &str,
    target: &Target,
    stack_id: &str,
) -> anyhow::Result<(bool, bool)> {
    let (mut domains, mut tcp) = (false, false);
    for deployed in app
        .store
        .list_deployed(org, Some(stack_id), Some(&target.id))
        .await?
    {
        if let Some(spec) = services::domains::deployed_spec(app.store.as_ref(), org, &deployed)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            domains |= has_domains(&spec);
            tcp |= has_tcp(&spec);
        }
    }
    Ok((domains, tcp))
}

/// Every service with domains of every stack deployed on the target's engine, with its
/// replicas as upstreams (their container names on the gateway network).
async fn deployed_services(
    app: &App,
    org: &str,
    target: &Target,
    changing: Option<Changing<'_>>,
) -> anyhow::Result<Vec<RoutedService>> {
    Ok(routed_services(
        &deployed_specs(app, org, target, changing).await?,
    ))
}

/// Every TCP forward of every stack deployed on the target's engine, one route per forward,
/// in a stable order (stack, service, listen port).
fn tcp_routes(specs: &[DeployedSpec]) -> Vec<TcpRouted> {
    let mut out = Vec::new();
    for deployed in specs {
        let (stack_name, spec) = (&deployed.stack, &deployed.spec);
        for (name, service) in &spec.services {
            for forward in &service.tcp {
                let upstreams = deployed.upstreams(name, service, forward.port);
                out.push(TcpRouted {
                    org_id: deployed.org_id.clone(),
                    stack: stack_name.clone(),
                    service: name.clone(),
                    route: TcpRoute {
                        id: format!("{stack_name}/{name}:{}", forward.listen),
                        listen: forward.listen,
                        sni: forward.sni.clone(),
                        upstreams,
                        health: Some(TcpHealthCheck {
                            interval: TCP_HEALTH_INTERVAL,
                        }),
                    },
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.stack, &a.service, a.route.listen).cmp(&(&b.stack, &b.service, b.route.listen))
    });
    out
}

/// One stack deployed on an engine, with its organization.
struct DeployedSpec {
    org_id: String,
    stack: String,
    spec: StackSpec,
    /// Deployed through a swarm target: its services are Swarm services.
    swarm: bool,
}

impl DeployedSpec {
    /// Where the gateway reaches `service` on `port`: each replica's container on a Docker
    /// engine; on Swarm, every address of `tasks.<project>_<service>` on the overlay — one
    /// per running task, looked up again every second, so tasks a rolling update starts
    /// join and the ones it stops (or that fail their healthcheck) leave.
    fn upstreams(
        &self,
        name: &str,
        service: &windflow_domain::Service,
        port: u16,
    ) -> Vec<Upstream> {
        if self.swarm {
            let service = windflow_engine::swarm::spec::service_name(&self.spec.name, name);
            return vec![Upstream::every_address(format!("tasks.{service}"), port)];
        }
        (1..=service.deploy.replicas.max(1))
            .map(|n| Upstream::new(self.spec.replica_name(name, n), port))
            .collect()
    }
}

/// The specs of every stack deployed on the target's engine (through any target reaching
/// it, see [`engine_targets`]), with `changing` — a stack of `org` on `target` — as it now is.
async fn deployed_specs(
    app: &App,
    org: &str,
    target: &Target,
    changing: Option<Changing<'_>>,
) -> anyhow::Result<Vec<DeployedSpec>> {
    let mut specs = Vec::new();
    let targets = engine_targets(app, target)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for on in &targets {
        for deployed in app
            .store
            .list_deployed(&on.org_id, None, Some(&on.id))
            .await?
        {
            if changing
                .as_ref()
                .is_some_and(|c| c.stack_id == deployed.stack_id && on.id == target.id)
            {
                continue;
            }
            if let Some(spec) =
                services::domains::deployed_spec(app.store.as_ref(), &on.org_id, &deployed)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                specs.push(DeployedSpec {
                    org_id: on.org_id.clone(),
                    stack: deployed.stack_name.clone(),
                    spec,
                    swarm: on.kind == TargetKind::Swarm,
                });
            }
        }
    }
    if let Some(Changing {
        stack_name,
        spec: Some(spec),
        ..
    }) = changing
    {
        specs.push(DeployedSpec {
            org_id: org.to_string(),
            stack: stack_name.to_string(),
            spec: spec.clone(),
            swarm: target.kind == TargetKind::Swarm,
        });
    }
    Ok(specs)
}

/// Every service with domains in `specs`, with its replicas as upstreams.
fn routed_services(specs: &[DeployedSpec]) -> Vec<RoutedService> {
    let mut out = Vec::new();
    for deployed in specs {
        for (name, service) in &deployed.spec.services {
            let Some(ingress) = &service.ingress else {
                continue;
            };
            let mut ingress = ingress.clone();
            if deployed.swarm {
                // Caddy 2.6 probes only fixed upstreams, never the addresses of a name: on
                // Swarm the service's own `healthcheck` takes a failing task out of `tasks.`.
                ingress.health = None;
            }
            out.push(RoutedService {
                org_id: deployed.org_id.clone(),
                stack: deployed.stack.clone(),
                service: name.clone(),
                upstreams: deployed.upstreams(name, service, ingress.port),
                ingress,
            });
        }
    }
    out
}

/// The gateway configuration for `services`: one route per service and path prefix, TLS
/// (with an HTTP → HTTPS redirect) where its certificate is at hand.
fn build_config(
    app: &App,
    services: &[RoutedService],
    certificates: &Certificates,
    report: &mut SyncReport,
) -> GatewayConfig {
    let mut config = GatewayConfig::default();
    for routed in services {
        let name = match &routed.ingress.tls {
            TlsMode::Off => None,
            TlsMode::Named(name) => Some(name.clone()),
            TlsMode::Auto => Some(auto_certificate_name(&routed.stack, &routed.service)),
        };
        let certificate = name.and_then(|name| certificates.get(&(routed.org_id.clone(), name)));
        let tls = match certificate {
            Some(c) => match services::certificates::reveal_key(app, c) {
                Ok(key) => {
                    let pem = PemCertificate {
                        chain_pem: c.chain_pem.clone(),
                        key_pem: key.expose().to_string(),
                    };
                    if !config.certificates.contains(&pem) {
                        config.certificates.push(pem);
                    }
                    true
                }
                Err(e) => {
                    report.warnings.push(format!(
                        "certificate {}: its key does not open ({e:#}); served over plain HTTP",
                        c.name
                    ));
                    false
                }
            },
            None => false,
        };
        let mut by_path: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
        for Domain { host, path } in &routed.ingress.domains {
            by_path.entry(path.clone()).or_default().push(host.clone());
        }
        for (path, hosts) in by_path {
            config.routes.push(HttpRoute {
                id: format!(
                    "{}/{}{}",
                    routed.stack,
                    routed.service,
                    path.as_deref().unwrap_or("")
                ),
                hosts,
                path_prefix: path,
                upstreams: routed.upstreams.clone(),
                health: routed
                    .ingress
                    .health
                    .as_ref()
                    .map(|path| ActiveHealthCheck {
                        path: path.clone(),
                        interval: HEALTH_INTERVAL,
                        timeout: HEALTH_TIMEOUT,
                        expect_status: None,
                    }),
                tls,
                redirect_http_to_https: tls,
                max_request_body: routed.ingress.max_body,
                timeouts: windflow_gateway::Timeouts {
                    connect: None,
                    response_header: routed.ingress.timeout,
                },
            });
        }
    }
    config
}

/// Answers HTTP-01 challenges through the gateway: each challenge is added to the served
/// configuration before the CA is told to look, and removed after.
struct GatewaySolver {
    gateway: Arc<GatewayHost>,
    config: AsyncMutex<GatewayConfig>,
}

#[async_trait]
impl Http01Solver for GatewaySolver {
    async fn present(&self, token: &str, key_authorization: &str) -> Result<(), SolverError> {
        let mut config = self.config.lock().await;
        config.acme_challenges.push(AcmeChallenge {
            token: token.to_string(),
            key_authorization: key_authorization.to_string(),
        });
        self.gateway.apply(&config).await?;
        Ok(())
    }

    async fn cleanup(&self, token: &str) -> Result<(), SolverError> {
        let mut config = self.config.lock().await;
        config.acme_challenges.retain(|c| c.token != token);
        self.gateway.apply(&config).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use windflow_domain::{Service, TcpForward};

    use super::*;

    #[test]
    fn tcp_forwards_become_one_route_each_over_every_replica() {
        let mut spec = StackSpec {
            name: "shop".into(),
            ..Default::default()
        };
        let mut db = Service {
            tcp: vec![
                TcpForward {
                    listen: 15432,
                    port: 5432,
                    sni: vec![],
                },
                TcpForward {
                    listen: 8443,
                    port: 5432,
                    sni: vec!["db.example.test".into()],
                },
            ],
            ..Default::default()
        };
        db.deploy.replicas = 2;
        spec.services.insert("db".into(), db);
        spec.services.insert("web".into(), Service::default());
        let routes = tcp_routes(&[DeployedSpec {
            org_id: "org".into(),
            stack: "shop".into(),
            spec,
            swarm: false,
        }]);
        let got: Vec<String> = routes
            .into_iter()
            .map(|t| {
                let upstreams: Vec<String> =
                    t.route.upstreams.iter().map(Upstream::address).collect();
                format!(
                    "{} {}/{} :{} [{}] → {}",
                    t.route.id,
                    t.stack,
                    t.service,
                    t.route.listen,
                    t.route.sni.join(","),
                    upstreams.join(",")
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                "shop/db:8443 shop/db :8443 [db.example.test] → shop-db-1:5432,shop-db-2:5432",
                "shop/db:15432 shop/db :15432 [] → shop-db-1:5432,shop-db-2:5432",
            ]
        );
    }

    #[test]
    fn on_swarm_a_route_goes_to_every_task_and_swarm_does_the_health_checks() {
        let mut spec = StackSpec {
            name: "shop".into(),
            ..Default::default()
        };
        let mut web = Service {
            ingress: Some(Ingress {
                domains: vec!["shop.example.test".parse().unwrap()],
                port: 8080,
                tls: TlsMode::Off,
                health: Some("/healthz".into()),
                max_body: None,
                timeout: None,
            }),
            tcp: vec![TcpForward {
                listen: 15432,
                port: 5432,
                sni: vec![],
            }],
            ..Default::default()
        };
        web.deploy.replicas = 2;
        spec.services.insert("web".into(), web);
        let deployed = |swarm| DeployedSpec {
            org_id: "org".into(),
            stack: "shop".into(),
            spec: spec.clone(),
            swarm,
        };
        let addresses = |upstreams: &[Upstream]| -> Vec<String> {
            upstreams.iter().map(Upstream::address).collect()
        };

        let on_swarm = routed_services(&[deployed(true)]);
        assert_eq!(addresses(&on_swarm[0].upstreams), ["tasks.shop_web:8080"]);
        assert!(on_swarm[0].upstreams[0].every_address);
        assert_eq!(on_swarm[0].ingress.health, None);
        let tcp = tcp_routes(&[deployed(true)]);
        assert_eq!(addresses(&tcp[0].route.upstreams), ["tasks.shop_web:5432"]);

        let on_docker = routed_services(&[deployed(false)]);
        assert_eq!(
            addresses(&on_docker[0].upstreams),
            ["shop-web-1:8080", "shop-web-2:8080"]
        );
        assert_eq!(on_docker[0].ingress.health.as_deref(), Some("/healthz"));
    }
}
