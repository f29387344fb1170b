//! DNS providers and the records that follow deployments (`windflow-dns`).
//!
//! An organization registers providers (RFC 2136 with TSIG, or PowerDNS's API), each with the
//! zones WindFlow manages through it; the credential is sealed by the keyring (bound to the
//! organization and the provider's id) and never leaves the server. When a stack with domains
//! deploys onto a target with a public address, each domain in a managed zone (the longest
//! matching zone wins) gets an A, AAAA or CNAME record through [`ManagedZone`], stored in
//! `dns_records` with the owner `stack:<stack id>`; when the stack is removed or a domain
//! dropped, exactly those records go.
//!
//! *Invariants:* WindFlow only writes and removes what `ManagedZone` marks as its own (owner
//! id `wf-<organization id>`: stored once with the organization, and distinct per tenant, so
//! two organizations sharing a zone never take over each other's names); a DNS failure is a
//! deployment warning, never a failed deployment; a provider is stored only after its
//! credential listed every zone.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use windflow_dns::{
    CheckOutcome, DnsError, DnsProvider as Provider, DnssecStatus, DomainName, KeyRole,
    ManagedZone, OwnerId, PowerDnsConfig, PowerDnsProvider, RecordCheck, RecordType, RecordValue,
    Rfc2136Config, Rfc2136Provider, RrSet, Secret, TsigAlgorithm, TsigKey,
};
use windflow_protocol::{
    CreateDnsProviderRequest, DnsProvider, DnsRecord, DnsRecordHealth, DnsZone, DnssecKey,
};
use windflow_storage::{
    DnsCheck, DnsHealth, DnsProviderRecord, DnsRecordRow, NewDnsProvider, Target,
};

use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::services::gateway::Changing;
use crate::state::{App, new_id, now_ms};

/// The TTL of the records WindFlow writes.
const RECORD_TTL: u32 = 300;
/// How long one exchange with a provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// The target label that overrides the server's `--public-address`.
pub const PUBLIC_ADDRESS_LABEL: &str = "public-address";

/// A provider's settings as stored (never its credential).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredConfig {
    zones: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    algorithm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server_id: Option<String>,
}

/// What seals a provider's credential: bound to its organization and id, so a ciphertext
/// copied to another row does not open.
pub fn secret_aad(org_id: &str, provider_id: &str) -> Vec<u8> {
    format!("dns-provider:{org_id}:{provider_id}").into_bytes()
}

/// Who WindFlow is in the ownership markers of an organization's records.
pub fn owner_id(org_id: &str) -> OwnerId {
    let cleaned: String = org_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(60)
        .collect();
    OwnerId::parse(&format!("wf-{cleaned}")).expect("letters, digits and '-'")
}

fn check_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name",
            format!("{name:?} is not a provider name: use letters, digits, '.', '-' and '_'"),
        ))
    }
}

/// A provider from its kind, settings and credential; `field` errors name what is wrong.
fn connect(
    kind: &str,
    config: &StoredConfig,
    secret: Secret,
) -> Result<Arc<dyn Provider>, (&'static str, String)> {
    match kind {
        "rfc2136" => {
            let server = config
                .server
                .as_deref()
                .ok_or(("server", "required for an rfc2136 provider".to_string()))?;
            let server: SocketAddr = server
                .parse()
                .or_else(|_| format!("{server}:53").parse())
                .map_err(|_| {
                    (
                        "server",
                        format!("{server:?} is not an address: use IP:PORT, e.g. 192.0.2.53:53"),
                    )
                })?;
            let key_name = config
                .key_name
                .clone()
                .ok_or(("key_name", "required for an rfc2136 provider".to_string()))?;
            let algorithm = match &config.algorithm {
                Some(text) => {
                    TsigAlgorithm::parse(text).map_err(|e| ("algorithm", e.to_string()))?
                }
                None => TsigAlgorithm::default(),
            };
            let mut settings = Rfc2136Config::new(
                server,
                TsigKey {
                    name: key_name,
                    algorithm,
                    secret,
                },
            );
            settings.timeout = PROVIDER_TIMEOUT;
            let provider = Rfc2136Provider::new(settings).map_err(|e| ("secret", e.to_string()))?;
            Ok(Arc::new(provider))
        }
        "powerdns" => {
            let api_url = config
                .api_url
                .clone()
                .ok_or(("api_url", "required for a powerdns provider".to_string()))?;
            let mut settings = PowerDnsConfig::new(api_url, secret);
            if let Some(id) = &config.server_id {
                settings.server_id = id.clone();
            }
            settings.timeout = PROVIDER_TIMEOUT;
            let provider =
                PowerDnsProvider::new(settings).map_err(|e| ("api_url", e.to_string()))?;
            Ok(Arc::new(provider))
        }
        other => Err((
            "kind",
            format!("unknown provider kind {other:?}: use rfc2136 or powerdns"),
        )),
    }
}

fn configured_zones(config: &StoredConfig) -> Vec<DomainName> {
    config
        .zones
        .iter()
        .filter_map(|z| DomainName::parse(z).ok())
        .collect()
}

fn stored_config(record: &DnsProviderRecord) -> StoredConfig {
    serde_json::from_value(record.config.clone()).unwrap_or_default()
}

fn wire(record: DnsProviderRecord) -> DnsProvider {
    let config = stored_config(&record);
    DnsProvider {
        name: record.name,
        kind: record.kind,
        zones: config.zones,
        server: config.server,
        key_name: config.key_name,
        algorithm: config.algorithm,
        api_url: config.api_url,
        server_id: config.server_id,
        created_at: convert::time(record.created_at),
    }
}

pub async fn list(app: &App, access: &OrgAccess) -> ApiResult<Vec<DnsProvider>> {
    Ok(app
        .store
        .list_dns_providers(&access.org.id)
        .await?
        .into_iter()
        .map(wire)
        .collect())
}

/// Registers a provider once its credential lists every zone; nothing is stored otherwise.
pub async fn create(
    app: &App,
    access: &OrgAccess,
    request: CreateDnsProviderRequest,
) -> ApiResult<DnsProvider> {
    check_name(&request.name)?;
    if request.zones.is_empty() {
        return Err(ApiError::invalid(
            "zones",
            "name at least one zone the provider serves",
        ));
    }
    let mut zone_names = Vec::new();
    for zone in &request.zones {
        let parsed = DomainName::parse(zone)
            .map_err(|e| ApiError::invalid("zones", format!("{zone:?}: {e}")))?;
        zone_names.push(parsed);
    }
    if request.secret.trim().is_empty() {
        return Err(ApiError::invalid(
            "secret",
            "required: the TSIG secret (base64) or the API key",
        ));
    }
    let config = StoredConfig {
        zones: zone_names
            .iter()
            .map(|z| z.as_str().trim_end_matches('.').to_string())
            .collect(),
        server: request.server.clone(),
        key_name: request.key_name.clone(),
        algorithm: request.algorithm.clone(),
        api_url: request.api_url.clone(),
        server_id: request.server_id.clone(),
    };
    let provider = connect(&request.kind, &config, Secret::new(request.secret.clone()))
        .map_err(|(field, message)| ApiError::invalid(field, message))?;
    // The connection test: the credential must list every zone.
    for zone in &zone_names {
        if let Err(e) = provider.list_records(zone).await {
            return Err(ApiError::invalid(
                "secret",
                format!(
                    "{} could not list the zone {zone}: {e}",
                    provider.describe()
                ),
            ));
        }
    }
    let id = new_id();
    let sealed = app
        .keyring
        .encrypt(&secret_aad(&access.org.id, &id), request.secret.as_bytes());
    let stored = app
        .store
        .create_dns_provider(
            &access.org.id,
            NewDnsProvider {
                id,
                name: request.name.clone(),
                kind: request.kind.clone(),
                config: serde_json::to_value(&config).map_err(ApiError::internal)?,
                secret: Some(sealed),
                at: now_ms(),
            },
        )
        .await?;
    services::audit::record_org(
        app,
        access,
        "dns_provider.create",
        &format!("dns-provider/{}", request.name),
        json!({ "kind": request.kind, "zones": config.zones }),
    )
    .await;
    Ok(wire(stored))
}

/// Removes a provider; refused while WindFlow holds records through it.
pub async fn delete(app: &App, access: &OrgAccess, name: &str) -> ApiResult<()> {
    app.store.delete_dns_provider(&access.org.id, name).await?;
    services::audit::record_org(
        app,
        access,
        "dns_provider.delete",
        &format!("dns-provider/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}

/// The records WindFlow created in the organization's zones, with their last health check.
pub async fn records(app: &App, access: &OrgAccess) -> ApiResult<Vec<DnsRecord>> {
    let providers = app.store.list_dns_providers(&access.org.id).await?;
    Ok(app
        .store
        .list_dns_records(&access.org.id, None)
        .await?
        .into_iter()
        .map(|r| wire_record(&providers, r))
        .collect())
}

fn wire_record(providers: &[DnsProviderRecord], r: DnsRecordRow) -> DnsRecord {
    DnsRecord {
        provider: providers
            .iter()
            .find(|p| p.id == r.provider_id)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        zone: r.zone,
        name: r.name,
        record_type: r.record_type,
        values: r.values,
        owner: r.owner,
        created_at: convert::time(r.created_at),
        health: match r.health {
            DnsHealth::InSync => DnsRecordHealth::InSync,
            DnsHealth::Mismatch => DnsRecordHealth::Mismatch,
            DnsHealth::Unchecked => DnsRecordHealth::Unchecked,
        },
        health_detail: r.health_detail,
        checked_at: r.checked_at.map(convert::time),
    }
}

// ---- zones and DNSSEC -------------------------------------------------------------------

/// Every zone of every provider of the organization with its DNSSEC state. A provider that
/// cannot be reached gives its zones an `error`, never a failed request.
pub async fn zones(app: &App, access: &OrgAccess) -> ApiResult<Vec<DnsZone>> {
    let providers = app.store.list_dns_providers(&access.org.id).await?;
    let reads = providers.iter().flat_map(|provider| {
        provider_zones(provider)
            .into_iter()
            .map(move |zone| zone_state(app, provider, zone))
    });
    Ok(futures::future::join_all(reads).await)
}

async fn zone_state(app: &App, provider: &DnsProviderRecord, zone: DomainName) -> DnsZone {
    let status = match open(app, provider) {
        Ok(opened) => opened.dnssec_status(&zone).await.map_err(|e| e.to_string()),
        Err(e) => Err(format!("{e:#}")),
    };
    zone_wire(provider, &zone, status)
}

fn zone_wire(
    provider: &DnsProviderRecord,
    zone: &DomainName,
    status: Result<DnssecStatus, String>,
) -> DnsZone {
    let mut wire = DnsZone {
        provider: provider.name.clone(),
        kind: provider.kind.clone(),
        zone: zone.as_str().trim_end_matches('.').to_string(),
        signed: false,
        keys: Vec::new(),
        ds_records: Vec::new(),
        error: None,
    };
    match status {
        Ok(status) => {
            wire.signed = status.signed;
            wire.keys = status
                .keys
                .iter()
                .map(|k| DnssecKey {
                    key_tag: k.key_tag,
                    algorithm: k.algorithm.0,
                    algorithm_name: k.algorithm.name(),
                    role: match k.role {
                        KeyRole::Ksk => "ksk",
                        KeyRole::Zsk => "zsk",
                        KeyRole::Csk => "csk",
                    }
                    .to_string(),
                    active: k.active,
                    next_rollover: k.next_rollover.map(time::OffsetDateTime::from),
                    dnskey: k.dnskey.clone(),
                })
                .collect();
            wire.ds_records = status.ds_records.iter().map(ToString::to_string).collect();
        }
        Err(error) => wire.error = Some(error),
    }
    wire
}

/// The provider managing exactly `zone` (as the user typed it, with or without the dot).
fn find_zone<'a>(
    providers: &'a [DnsProviderRecord],
    zone: &str,
) -> ApiResult<(&'a DnsProviderRecord, DomainName)> {
    let not_found = || {
        // Shown as `DNS zone "x" (…) not found`.
        ApiError::NotFound(format!(
            "DNS zone {zone:?} (none of this organization's DNS providers manages it; \
             `windflow dns zones` lists those that do, `windflow dns provider add --zone` adds one)"
        ))
    };
    let wanted = DomainName::parse(zone).map_err(|_| not_found())?;
    providers
        .iter()
        .flat_map(|p| provider_zones(p).into_iter().map(move |z| (p, z)))
        .find(|(_, z)| *z == wanted)
        .ok_or_else(not_found)
}

/// Turns DNSSEC signing on for a zone where the provider can (PowerDNS); an RFC 2136 server
/// must be configured to sign by its operator, and the answer says how (unless it signs
/// already, which is then reported as it is).
pub async fn enable_dnssec(app: &App, access: &OrgAccess, zone: &str) -> ApiResult<DnsZone> {
    let providers = app.store.list_dns_providers(&access.org.id).await?;
    let (provider, zone) = find_zone(&providers, zone)?;
    let opened = open(app, provider).map_err(ApiError::internal)?;
    let status = match opened.enable_dnssec(&zone).await {
        Ok(status) => status,
        Err(DnsError::Unsupported { hint, .. }) => {
            let now = opened
                .dnssec_status(&zone)
                .await
                .map_err(|e| ApiError::BadGateway(e.to_string()))?;
            if !now.signed {
                return Err(ApiError::invalid(
                    "zone",
                    format!(
                        "the zone {zone} is not signed, and the DNS provider {} ({}) cannot \
                         turn signing on: {hint}",
                        provider.name, provider.kind
                    ),
                ));
            }
            // Signing is on already (the server's own policy): nothing to do.
            now
        }
        Err(e) => return Err(ApiError::BadGateway(e.to_string())),
    };
    services::audit::record_org(
        app,
        access,
        "dns_zone.dnssec_enable",
        &format!("dns-zone/{}", zone.as_str().trim_end_matches('.')),
        json!({
            "provider": provider.name,
            "signed": status.signed,
            "ds_records": status.ds_records.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }),
    )
    .await;
    Ok(zone_wire(provider, &zone, Ok(status)))
}

// ---- health -----------------------------------------------------------------------------

/// How often the maintenance loop checks every organization's records.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(300);
/// How long one query to an authoritative server may take.
const HEALTH_QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks the organization's records now and returns them with the new verdicts.
pub async fn check_now(app: &App, access: &OrgAccess) -> ApiResult<Vec<DnsRecord>> {
    check_organization(app, &access.org.id)
        .await
        .map_err(ApiError::internal)?;
    records(app, access).await
}

/// The maintenance loop's pass: every organization with a DNS provider.
pub async fn check_all(app: &App) {
    let providers = match app.store.list_all_dns_providers().await {
        Ok(providers) => providers,
        Err(e) => {
            tracing::warn!(error = %e, "listing DNS providers for the record health check");
            return;
        }
    };
    let orgs: std::collections::BTreeSet<String> =
        providers.into_iter().map(|p| p.org_id).collect();
    for org in orgs {
        if let Err(e) = check_organization(app, &org).await {
            tracing::warn!(org = %org, error = %format!("{e:#}"), "checking DNS records");
        }
    }
}

/// Asks the authoritative servers of each zone for each of the organization's records,
/// stores the verdicts, records a mismatch and its recovery in the audit log, and publishes
/// `windflow_dns_records_mismatched`.
async fn check_organization(app: &App, org_id: &str) -> anyhow::Result<()> {
    let providers = app.store.list_dns_providers(org_id).await?;
    let rows = app.store.list_dns_records(org_id, None).await?;
    let mut groups: std::collections::BTreeMap<(String, String), Vec<DnsRecordRow>> =
        Default::default();
    for row in rows {
        groups
            .entry((row.provider_id.clone(), row.zone.clone()))
            .or_default()
            .push(row);
    }
    let mut mismatched = 0usize;
    for ((provider_id, zone), rows) in groups {
        let servers = authoritative_servers(app, &providers, &provider_id, &zone).await;
        let expected: Vec<Option<RrSet>> = rows.iter().map(expected_rrset).collect();
        let checks = match &servers {
            Ok(servers) => {
                let valid: Vec<RrSet> = expected.iter().flatten().cloned().collect();
                windflow_dns::check_records(servers, &valid, HEALTH_QUERY_TIMEOUT).await
            }
            Err(_) => Vec::new(),
        };
        for (row, rrset) in rows.iter().zip(&expected) {
            let (health, detail) = match (&servers, rrset) {
                (Err(why), _) => (DnsHealth::Unchecked, Some(why.clone())),
                (Ok(_), None) => (
                    DnsHealth::Unchecked,
                    Some("the stored record cannot be read back".to_string()),
                ),
                (Ok(_), Some(rrset)) => verdict(rrset, &checks),
            };
            if health == DnsHealth::Mismatch {
                mismatched += 1;
            }
            record_verdict(app, row, health, detail).await;
        }
    }
    metrics::gauge!("windflow_dns_records_mismatched", "org" => org_id.to_string())
        .set(mismatched as f64);
    Ok(())
}

/// The servers to ask about a zone's records, or why there are none.
async fn authoritative_servers(
    app: &App,
    providers: &[DnsProviderRecord],
    provider_id: &str,
    zone: &str,
) -> Result<Vec<SocketAddr>, String> {
    let Some(provider) = providers.iter().find(|p| p.id == provider_id) else {
        return Err("the record's DNS provider is gone".to_string());
    };
    let zone = DomainName::parse(zone).map_err(|e| e.to_string())?;
    let opened = open(app, provider).map_err(|e| format!("{e:#}"))?;
    let servers = opened.nameservers(&zone).await.map_err(|e| e.to_string())?;
    if servers.is_empty() {
        return Err(format!(
            "the DNS provider {} names no authoritative server to ask",
            provider.name
        ));
    }
    Ok(servers)
}

/// The RRset a stored record says WindFlow wrote.
fn expected_rrset(row: &DnsRecordRow) -> Option<RrSet> {
    let name = DomainName::parse(&row.name).ok()?;
    let record_type = RecordType::parse(&row.record_type).ok()?;
    let values = row
        .values
        .iter()
        .map(|v| RecordValue::parse(record_type, v))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    RrSet::new(name, record_type, RECORD_TTL, values).ok()
}

/// In sync when every server matches; a mismatch when one answers other values or none;
/// unchecked when a server could not be asked.
fn verdict(expected: &RrSet, checks: &[RecordCheck]) -> (DnsHealth, Option<String>) {
    let mine: Vec<&RecordCheck> = checks
        .iter()
        .filter(|c| c.name == expected.name && c.record_type == expected.record_type)
        .collect();
    let mut differs = Vec::new();
    let mut failed = Vec::new();
    for check in &mine {
        match &check.outcome {
            CheckOutcome::Match => {}
            CheckOutcome::Mismatch { found } => differs.push(format!(
                "{} answers {}",
                check.server,
                found
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            CheckOutcome::Missing => differs.push(format!("{} has no such record", check.server)),
            CheckOutcome::NotAuthoritative => failed.push(format!(
                "{} does not answer authoritatively for it",
                check.server
            )),
            CheckOutcome::Failed(why) => failed.push(format!("{}: {why}", check.server)),
        }
    }
    if !differs.is_empty() {
        let wanted = expected.sorted_values().join(", ");
        (
            DnsHealth::Mismatch,
            Some(format!("expected {wanted}; {}", differs.join("; "))),
        )
    } else if !failed.is_empty() || mine.is_empty() {
        (
            DnsHealth::Unchecked,
            Some(failed.join("; ")).filter(|s| !s.is_empty()),
        )
    } else {
        (DnsHealth::InSync, None)
    }
}

/// Stores a verdict; a new mismatch and a recovery from one go to the audit log (as the
/// server itself) and the log.
async fn record_verdict(app: &App, row: &DnsRecordRow, health: DnsHealth, detail: Option<String>) {
    let check = DnsCheck {
        health,
        detail: detail.as_deref(),
        checked_at: now_ms(),
    };
    match app
        .store
        .record_dns_check(&row.org_id, &row.id, row.health, check)
        .await
    {
        Ok(true) => {}
        // Removed by a deployment, or another check recorded first (and reports the change).
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, name = %row.name, "recording a DNS record's health");
            return;
        }
    }
    let action = match (row.health, health) {
        (previous, DnsHealth::Mismatch) if previous != DnsHealth::Mismatch => {
            tracing::warn!(
                org_id = %row.org_id,
                name = %row.name,
                record_type = %row.record_type,
                detail = detail.as_deref().unwrap_or_default(),
                "a DNS record WindFlow manages is served differently"
            );
            "dns_record.mismatch"
        }
        (DnsHealth::Mismatch, DnsHealth::InSync) => {
            tracing::info!(
                org_id = %row.org_id,
                name = %row.name,
                record_type = %row.record_type,
                "a DNS record WindFlow manages is served as written again"
            );
            "dns_record.recovered"
        }
        _ => return,
    };
    services::audit::record_as(
        app,
        services::audit::SYSTEM,
        Some(&row.org_id),
        action,
        &format!("dns-record/{} {}", row.name, row.record_type),
        json!({ "values": row.values, "detail": detail, "owner": row.owner }),
    )
    .await;
}

/// Key rotation: every provider's credential sealed again under the keyring's current key.
/// Returns how many.
pub async fn reseal_all(
    store: &dyn windflow_storage::Store,
    keyring: &crate::secrets::Keyring,
) -> anyhow::Result<usize> {
    let providers = store.list_all_dns_providers().await?;
    let mut count = 0;
    for provider in &providers {
        let Some(sealed) = &provider.secret else {
            continue;
        };
        let aad = secret_aad(&provider.org_id, &provider.id);
        let plain = keyring.decrypt(&aad, sealed)?;
        store
            .replace_dns_provider_secret(&provider.id, keyring.encrypt(&aad, &plain))
            .await?;
        count += 1;
    }
    Ok(count)
}

/// The zones a stored provider manages.
pub fn provider_zones(record: &DnsProviderRecord) -> Vec<DomainName> {
    configured_zones(&stored_config(record))
}

/// A stored provider, unsealed and connected.
pub fn open(app: &App, record: &DnsProviderRecord) -> anyhow::Result<Arc<dyn Provider>> {
    let secret = match &record.secret {
        Some(sealed) => {
            let bytes = app
                .keyring
                .decrypt(&secret_aad(&record.org_id, &record.id), sealed)?;
            Secret::new(String::from_utf8(bytes)?)
        }
        None => Secret::new(""),
    };
    connect(&record.kind, &stored_config(record), secret).map_err(|(field, message)| {
        anyhow::anyhow!("DNS provider {}: {field}: {message}", record.name)
    })
}

/// The provider and zone that manage `host`: the longest matching zone of any provider.
pub fn managing_zone<'a>(
    providers: &'a [DnsProviderRecord],
    host: &DomainName,
) -> Option<(&'a DnsProviderRecord, DomainName)> {
    providers
        .iter()
        .flat_map(|p| {
            configured_zones(&stored_config(p))
                .into_iter()
                .map(move |z| (p, z))
        })
        .filter(|(_, zone)| host.is_in_zone(zone))
        .max_by_key(|(_, zone)| zone.as_str().len())
}

/// A managed zone through a stored provider, as the organization's owner.
pub fn managed_zone(
    app: &App,
    provider: &DnsProviderRecord,
    zone: DomainName,
) -> anyhow::Result<ManagedZone> {
    Ok(ManagedZone::new(
        open(app, provider)?,
        zone,
        owner_id(&provider.org_id),
    ))
}

/// What the target's domains point at: its `public-address` label, else the server's.
pub fn public_address(app: &App, target: &Target) -> Option<String> {
    target
        .labels
        .get(PUBLIC_ADDRESS_LABEL)
        .and_then(|v| v.as_str())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| app.config.gateway.public_address.clone())
}

/// The record type and value an address gives: A, AAAA or CNAME.
fn address_value(address: &str) -> Result<(RecordType, RecordValue), DnsError> {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => Ok((RecordType::A, RecordValue::A(ip))),
        Ok(IpAddr::V6(ip)) => Ok((RecordType::Aaaa, RecordValue::Aaaa(ip))),
        Err(_) => Ok((
            RecordType::Cname,
            RecordValue::Cname(DomainName::parse(address)?),
        )),
    }
}

/// The owner of a stack's records in `dns_records`.
pub fn stack_owner(stack_id: &str) -> String {
    format!("stack:{stack_id}")
}

/// Brings the DNS records of the stack a deployment changes in line with its domains: each
/// domain in a managed zone points at the target's public address, and the records the stack
/// no longer needs (or all of them, when it is removed) are deleted. Returns warnings for the
/// deployment's events; never fails.
pub async fn sync_records(
    app: &App,
    org_id: &str,
    target: &Target,
    changing: &Changing<'_>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Err(e) = sync_records_inner(app, org_id, target, changing, &mut warnings).await {
        warnings.push(format!("DNS records were not updated: {e:#}"));
    }
    warnings
}

async fn sync_records_inner(
    app: &App,
    org_id: &str,
    target: &Target,
    changing: &Changing<'_>,
    warnings: &mut Vec<String>,
) -> anyhow::Result<()> {
    let owner = stack_owner(changing.stack_id);
    let hosts: Vec<String> = changing
        .spec
        .map(|spec| {
            spec.services
                .values()
                .filter_map(|s| s.ingress.as_ref())
                .flat_map(|i| i.domains.iter().map(|d| d.host.clone()))
                .collect()
        })
        .unwrap_or_default();
    let stored = app.store.list_dns_records(org_id, Some(&owner)).await?;
    if hosts.is_empty() && stored.is_empty() {
        return Ok(());
    }
    let providers = app.store.list_dns_providers(org_id).await?;

    // What the stack's domains need: (provider, zone, name, type, value).
    let mut desired: Vec<(&DnsProviderRecord, DomainName, RrSet)> = Vec::new();
    let address = public_address(app, target);
    for host in &hosts {
        let Ok(name) = DomainName::parse(host) else {
            continue;
        };
        let Some((provider, zone)) = managing_zone(&providers, &name) else {
            continue;
        };
        let Some(address) = &address else {
            warnings.push(format!(
                "{host}: the zone {zone} is managed through the DNS provider {}, but target {} has no public address: set its `{PUBLIC_ADDRESS_LABEL}` label or the server's --public-address; no record written",
                provider.name, target.name
            ));
            continue;
        };
        let rrset = address_value(address).and_then(|(record_type, value)| {
            RrSet::new(name.clone(), record_type, RECORD_TTL, vec![value])
        });
        match rrset {
            Ok(rrset) => {
                if !desired
                    .iter()
                    .any(|(p, _, r)| p.id == provider.id && r.name == rrset.name)
                {
                    desired.push((provider, zone, rrset));
                }
            }
            Err(e) => warnings.push(format!("{host}: no record written: {e}")),
        }
    }

    // Stale records first (a CNAME replacing an A must find its name free).
    for row in &stored {
        let wanted = desired.iter().any(|(p, _, r)| {
            p.id == row.provider_id
                && r.name.as_str() == row.name
                && r.record_type.to_string() == row.record_type
        });
        if wanted {
            continue;
        }
        let Some(provider) = providers.iter().find(|p| p.id == row.provider_id) else {
            continue;
        };
        let result = async {
            let zone = managed_zone(app, provider, DomainName::parse(&row.zone)?)?;
            zone.delete(
                &DomainName::parse(&row.name)?,
                RecordType::parse(&row.record_type)?,
            )
            .await?;
            app.store.delete_dns_record(org_id, &row.id).await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = result {
            warnings.push(format!(
                "{} {}: the record was not removed: {e:#}",
                row.name, row.record_type
            ));
        }
    }

    // One stack never takes over a name another stack's record holds.
    let all = app.store.list_dns_records(org_id, None).await?;
    for (provider, zone, rrset) in desired {
        let record_type = rrset.record_type.to_string();
        if let Some(other) = all.iter().find(|r| {
            r.provider_id == provider.id
                && r.name == rrset.name.as_str()
                && r.record_type == record_type
                && r.owner != owner
        }) {
            warnings.push(format!(
                "{} {record_type}: the record belongs to {}; not changed",
                rrset.name, other.owner
            ));
            continue;
        }
        let values = rrset.sorted_values();
        let result = async {
            managed_zone(app, provider, zone.clone())?
                .upsert(&rrset)
                .await?;
            app.store
                .save_dns_record(DnsRecordRow {
                    id: new_id(),
                    org_id: org_id.to_string(),
                    provider_id: provider.id.clone(),
                    zone: zone.as_str().to_string(),
                    name: rrset.name.as_str().to_string(),
                    record_type: record_type.clone(),
                    values: values.clone(),
                    owner: owner.clone(),
                    created_at: now_ms(),
                    health: DnsHealth::Unchecked,
                    health_detail: None,
                    checked_at: None,
                })
                .await?;
            anyhow::Ok(())
        }
        .await;
        match result {
            Ok(()) => tracing::info!(
                org_id,
                name = %rrset.name,
                record_type = %record_type,
                values = ?values,
                "DNS record follows the deployment"
            ),
            Err(e) => warnings.push(format!(
                "{} {record_type}: the record was not written: {e:#}",
                rrset.name
            )),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(id: &str, zones: &[&str]) -> DnsProviderRecord {
        DnsProviderRecord {
            id: id.into(),
            org_id: "org".into(),
            name: id.into(),
            kind: "rfc2136".into(),
            config: json!({ "zones": zones }),
            secret: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn check(host: &str, expected: Option<(&str, &str)>) {
        let providers = [
            provider("outer", &["example.test"]),
            provider("inner", &["dev.example.test", "other.test"]),
        ];
        let found = managing_zone(&providers, &DomainName::parse(host).unwrap())
            .map(|(p, z)| (p.id.clone(), z.as_str().to_string()));
        assert_eq!(
            found,
            expected.map(|(p, z)| (p.to_string(), z.to_string())),
            "{host}"
        );
    }

    #[test]
    fn the_longest_matching_zone_wins() {
        check("shop.example.test", Some(("outer", "example.test.")));
        check("example.test", Some(("outer", "example.test.")));
        check("api.dev.example.test", Some(("inner", "dev.example.test.")));
        check("a.other.test", Some(("inner", "other.test.")));
        check("example.com", None);
        check("notexample.test", None);
    }

    #[test]
    fn addresses_give_their_record_type() {
        let kind = |a: &str| address_value(a).map(|(t, _)| t.to_string()).unwrap();
        assert_eq!(kind("192.0.2.1"), "A");
        assert_eq!(kind("2001:db8::1"), "AAAA");
        assert_eq!(kind("lb.example.net"), "CNAME");
    }

    /// One record checked on two servers: what each answered → the verdict and its detail.
    fn check_verdict(answers: [CheckOutcome; 2], health: DnsHealth, detail: Option<&str>) {
        let expected = RrSet::new(
            DomainName::parse("shop.example.test").unwrap(),
            RecordType::A,
            RECORD_TTL,
            vec![RecordValue::parse(RecordType::A, "192.0.2.10").unwrap()],
        )
        .unwrap();
        let checks: Vec<RecordCheck> = answers
            .into_iter()
            .zip(["127.0.0.1:53", "127.0.0.2:53"])
            .map(|(outcome, server)| RecordCheck {
                server: server.parse().unwrap(),
                name: expected.name.clone(),
                record_type: RecordType::A,
                outcome,
            })
            .collect();
        assert_eq!(
            verdict(&expected, &checks),
            (health, detail.map(str::to_string)),
            "{checks:?}"
        );
    }

    #[test]
    fn every_server_must_serve_the_record_as_written() {
        use CheckOutcome::*;
        let other = || Mismatch {
            found: vec![RecordValue::parse(RecordType::A, "192.0.2.66").unwrap()],
        };
        check_verdict([Match, Match], DnsHealth::InSync, None);
        check_verdict(
            [Match, other()],
            DnsHealth::Mismatch,
            Some("expected 192.0.2.10; 127.0.0.2:53 answers 192.0.2.66"),
        );
        check_verdict(
            [Missing, Failed("timed out".into())],
            DnsHealth::Mismatch,
            Some("expected 192.0.2.10; 127.0.0.1:53 has no such record"),
        );
        check_verdict(
            [Match, Failed("timed out".into())],
            DnsHealth::Unchecked,
            Some("127.0.0.2:53: timed out"),
        );
        check_verdict(
            [NotAuthoritative, Match],
            DnsHealth::Unchecked,
            Some("127.0.0.1:53 does not answer authoritatively for it"),
        );
    }

    #[test]
    fn owner_ids_are_valid_markers() {
        assert_eq!(owner_id("01HZX-abc").as_str(), "wf-01HZX-abc");
        assert_eq!(owner_id("a:b/c").as_str(), "wf-abc");
    }
}
