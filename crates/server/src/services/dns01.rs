//! ACME DNS-01 challenges through the organization's DNS providers: what wildcard
//! certificates need.
//!
//! [`ProviderDns01`] adds the challenge's TXT value at `_acme-challenge.<name>` through the
//! provider whose zone (the longest match) holds the name, and waits until the provider's
//! authoritative data (a zone transfer from the primary, for RFC 2136) holds it before returning; cleanup removes only that value, so a
//! wildcard and its base name (two values at one name), or another ACME client's value, stay.
//!
//! *Invariant:* only the `_acme-challenge` TXT values WindFlow added are removed; no other
//! record is touched.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use windflow_acme::{ChallengeKind, ChallengeSolvers, Dns01Solver, Http01Solver, SolverError};
use windflow_dns::{DnsProvider as Provider, DomainName, RecordType, RecordValue, RrSet};

use crate::services::dns as dns_service;
use crate::state::App;

/// The TTL of challenge records: short, they live for one validation.
const CHALLENGE_TTL: u32 = 60;
/// How long `present` waits for the value to be served.
const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(60);

/// One zone WindFlow can answer challenges in.
struct ChallengeZone {
    zone: DomainName,
    provider: Arc<dyn Provider>,
}

/// A DNS-01 solver over the organization's providers.
pub struct ProviderDns01 {
    zones: Vec<ChallengeZone>,
}

/// Whether a provider of the organization manages the zone of every wildcard in `hosts`.
pub async fn manages_wildcards(app: &App, org_id: &str, hosts: &[String]) -> bool {
    let Ok(providers) = app.store.list_dns_providers(org_id).await else {
        return false;
    };
    hosts
        .iter()
        .filter_map(|h| h.strip_prefix("*."))
        .all(|base| {
            DomainName::parse(base)
                .is_ok_and(|name| dns_service::managing_zone(&providers, &name).is_some())
        })
}

/// The solvers for an issuance: HTTP-01 through the gateway, plus DNS-01 through the
/// organization's providers when it has any (wildcards need it; other names keep HTTP-01).
pub async fn solvers(app: &App, org_id: &str, http01: Arc<dyn Http01Solver>) -> ChallengeSolvers {
    let mut solvers = ChallengeSolvers::http01(http01);
    let Ok(providers) = app.store.list_dns_providers(org_id).await else {
        return solvers;
    };
    let mut zones = Vec::new();
    for record in &providers {
        let Ok(provider) = dns_service::open(app, record) else {
            continue;
        };
        for zone in dns_service::provider_zones(record) {
            zones.push(ChallengeZone {
                zone,
                provider: provider.clone(),
            });
        }
    }
    if !zones.is_empty() {
        solvers.dns01 = Some(Arc::new(ProviderDns01 { zones }));
        solvers.preference = ChallengeKind::Http01;
    }
    solvers
}

impl ProviderDns01 {
    fn zone_for(&self, name: &DomainName) -> Result<&ChallengeZone, SolverError> {
        self.zones
            .iter()
            .filter(|z| name.is_in_zone(&z.zone))
            .max_by_key(|z| z.zone.as_str().len())
            .ok_or_else(|| format!("no DNS provider manages the zone of {name}").into())
    }

    /// The TXT values at `name` now.
    async fn values(
        zone: &ChallengeZone,
        name: &DomainName,
    ) -> Result<Vec<RecordValue>, SolverError> {
        Ok(zone
            .provider
            .list_records(&zone.zone)
            .await?
            .into_iter()
            .find(|s| &s.name == name && s.record_type == RecordType::Txt)
            .map(|s| s.values)
            .unwrap_or_default())
    }

    async fn write(
        zone: &ChallengeZone,
        name: &DomainName,
        values: Vec<RecordValue>,
    ) -> Result<(), SolverError> {
        if values.is_empty() {
            zone.provider
                .delete_rrset(&zone.zone, name, RecordType::Txt)
                .await?;
        } else {
            let rrset = RrSet::new(name.clone(), RecordType::Txt, CHALLENGE_TTL, values)?;
            zone.provider.upsert_rrset(&zone.zone, &rrset).await?;
        }
        Ok(())
    }

    /// Waits until the provider's authoritative data shows `value` (for RFC 2136, a zone
    /// transfer from the primary itself).
    async fn wait_visible(
        zone: &ChallengeZone,
        name: &DomainName,
        value: &RecordValue,
    ) -> Result<(), SolverError> {
        let deadline = Instant::now() + PROPAGATION_TIMEOUT;
        loop {
            let visible = Self::values(zone, name).await?.contains(value);
            if visible {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the TXT record {name} was not served by {} within {} s",
                    zone.provider.describe(),
                    PROPAGATION_TIMEOUT.as_secs()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

#[async_trait]
impl Dns01Solver for ProviderDns01 {
    async fn present(&self, fqdn: &str, txt_value: &str) -> Result<(), SolverError> {
        let name = DomainName::parse(fqdn)?;
        let zone = self.zone_for(&name)?;
        let value = RecordValue::Txt(txt_value.to_string());
        let mut values = Self::values(zone, &name).await?;
        if !values.contains(&value) {
            values.push(value.clone());
            Self::write(zone, &name, values).await?;
        }
        tracing::info!(name = %name, "DNS-01 challenge presented");
        Self::wait_visible(zone, &name, &value).await
    }

    async fn cleanup(&self, fqdn: &str, txt_value: &str) -> Result<(), SolverError> {
        let name = DomainName::parse(fqdn)?;
        let zone = self.zone_for(&name)?;
        let value = RecordValue::Txt(txt_value.to_string());
        let values = Self::values(zone, &name).await?;
        if !values.contains(&value) {
            return Ok(());
        }
        let rest = values.into_iter().filter(|v| v != &value).collect();
        Self::write(zone, &name, rest).await
    }
}
