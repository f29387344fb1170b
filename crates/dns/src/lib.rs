//! DNS records for WindFlow's domains, behind one trait.
//!
//! [`DnsProvider`] is what WindFlow needs from a DNS server or service: list a zone's RRsets,
//! apply a batch of RRset changes as one update, report DNSSEC state (keys and the DS records
//! for the registrar) and enable signing where the server allows it. Providers:
//! [`rfc2136::Rfc2136Provider`] (dynamic updates signed with TSIG, listing by AXFR — Knot,
//! BIND, PowerDNS) and [`powerdns::PowerDnsProvider`] (PowerDNS's HTTP API). The shared types
//! live in [`record`] and [`dnssec`], so an HTTP-API provider (Cloudflare, Route 53) is one
//! more module that maps them to its JSON.
//!
//! [`ownership::ManagedZone`] wraps a provider with the ownership registry: every RRset
//! WindFlow writes gets a TXT marker `_wf-owner-<type>.<name>` ("heritage=windflow,owner=…")
//! in the same update, and an RRset without WindFlow's marker is never overwritten or removed.
//! [`health::check_records`] asks each authoritative server directly whether it serves what
//! WindFlow wrote.
//!
//! Invariants: WindFlow only changes what it marked as its own (through `ManagedZone`);
//! secrets ([`Secret`]) never print; every error names the server, zone or record at fault.
//! Must not know: where providers are stored, stacks, deployments, HTTP routes.

pub mod dnssec;
pub mod error;
pub mod health;
pub mod ownership;
pub mod powerdns;
pub mod record;
pub mod rfc2136;
pub mod secret;
mod wire;

use std::net::SocketAddr;

use async_trait::async_trait;

pub use dnssec::{DnssecAlgorithm, DnssecKey, DnssecStatus, DsRecord, KeyRole};
pub use error::DnsError;
pub use health::{CheckOutcome, RecordCheck, check_records};
pub use ownership::{ManagedZone, OwnerId};
pub use powerdns::{PowerDnsConfig, PowerDnsProvider};
pub use record::{Change, DomainName, Record, RecordType, RecordValue, RrSet};
pub use rfc2136::{Rfc2136Config, Rfc2136Provider, TsigAlgorithm, TsigKey};
pub use secret::Secret;

/// A DNS server or service WindFlow can write records to.
///
/// Zones are given by their apex name (`example.com.`); every name in a change must be in the
/// zone. Implementations check [`RrSet::check`] before writing.
#[async_trait]
pub trait DnsProvider: Send + Sync {
    /// Who this is, for logs and errors (`rfc2136 127.0.0.1:53 key 'windflow'`). Never
    /// contains a secret.
    fn describe(&self) -> String;

    /// Every RRset of the zone (DNSSEC signatures and NSEC records left out).
    async fn list_records(&self, zone: &DomainName) -> Result<Vec<RrSet>, DnsError>;

    /// Applies the changes as one update where the server allows (all or nothing).
    async fn apply(&self, zone: &DomainName, changes: &[Change]) -> Result<(), DnsError>;

    /// Replaces (or creates) one RRset.
    async fn upsert_rrset(&self, zone: &DomainName, rrset: &RrSet) -> Result<(), DnsError> {
        self.apply(zone, &[Change::Upsert(rrset.clone())]).await
    }

    /// Removes one RRset; nothing happens when it does not exist.
    async fn delete_rrset(
        &self,
        zone: &DomainName,
        name: &DomainName,
        record_type: RecordType,
    ) -> Result<(), DnsError> {
        self.apply(
            zone,
            &[Change::Delete {
                name: name.clone(),
                record_type,
            }],
        )
        .await
    }

    /// The zone's DNSSEC state: whether it is signed, its keys, the DS records for the parent.
    async fn dnssec_status(&self, zone: &DomainName) -> Result<DnssecStatus, DnsError>;

    /// Turns DNSSEC signing on and returns the new state, or [`DnsError::Unsupported`] with
    /// what to do on the server instead.
    async fn enable_dnssec(&self, zone: &DomainName) -> Result<DnssecStatus, DnsError>;

    /// The authoritative servers' DNS addresses for the zone, which [`check_records`] asks
    /// directly. Empty when the provider cannot tell.
    async fn nameservers(&self, _zone: &DomainName) -> Result<Vec<SocketAddr>, DnsError> {
        Ok(Vec::new())
    }
}

/// Checks that every change's name is in the zone and every RRset is well formed.
pub(crate) fn check_changes(zone: &DomainName, changes: &[Change]) -> Result<(), DnsError> {
    for change in changes {
        let (name, record_type) = match change {
            Change::Upsert(rrset) => {
                rrset.check()?;
                (&rrset.name, rrset.record_type)
            }
            Change::Delete { name, record_type } => (name, *record_type),
        };
        if !name.is_in_zone(zone) {
            return Err(DnsError::InvalidRrSet {
                name: name.to_string(),
                record_type: record_type.to_string(),
                reason: format!("is not in the zone {zone}"),
            });
        }
    }
    Ok(())
}
