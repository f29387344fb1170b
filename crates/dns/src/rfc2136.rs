//! RFC 2136 dynamic updates signed with TSIG (RFC 8945), for any authoritative server that
//! accepts them (Knot, BIND, PowerDNS with `dnsupdate=yes`). Records are listed by a
//! TSIG-signed AXFR; DNSSEC state is read from the zone's DNSKEY and RRSIG records, since the
//! protocol cannot change a server's signing policy.

use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use hickory_net::proto::dnssec::rdata::DNSSECRData;
use hickory_net::proto::op::{Message, OpCode, Query, UpdateMessage};
use hickory_net::proto::rr::rdata::tsig::TsigAlgorithm as WireAlgorithm;
use hickory_net::proto::rr::{
    DNSClass, Name, RData, Record as WireRecord, RecordType as WireType, TSigner,
};

use crate::dnssec::{DnssecKey, DnssecStatus, describe_dnskey, role_from_flags};
use crate::error::DnsError;
use crate::record::{Change, DomainName, RecordType, RrSet};
use crate::secret::Secret;
use crate::wire::{self, Answers, Context};
use crate::{DnsProvider, check_changes};

/// The HMAC of a TSIG key.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum TsigAlgorithm {
    #[default]
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl TsigAlgorithm {
    /// The name servers use in their configuration (`hmac-sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha384 => "hmac-sha384",
            Self::HmacSha512 => "hmac-sha512",
        }
    }

    /// Parses `hmac-sha256` (case-insensitive, with or without the `hmac-`).
    pub fn parse(text: &str) -> Result<Self, DnsError> {
        let lower = text.trim().to_ascii_lowercase();
        match lower.strip_prefix("hmac-").unwrap_or(&lower) {
            "sha256" => Ok(Self::HmacSha256),
            "sha384" => Ok(Self::HmacSha384),
            "sha512" => Ok(Self::HmacSha512),
            _ => Err(DnsError::InvalidConfig(format!(
                "unsupported TSIG algorithm '{text}': use hmac-sha256, hmac-sha384 or hmac-sha512"
            ))),
        }
    }

    fn wire(self) -> WireAlgorithm {
        match self {
            Self::HmacSha256 => WireAlgorithm::HmacSha256,
            Self::HmacSha384 => WireAlgorithm::HmacSha384,
            Self::HmacSha512 => WireAlgorithm::HmacSha512,
        }
    }
}

/// A TSIG key as the server knows it.
#[derive(Clone, Debug)]
pub struct TsigKey {
    /// The key's name (`windflow-key`), as in the server's configuration.
    pub name: String,
    pub algorithm: TsigAlgorithm,
    /// The shared secret, base64 as `keymgr -t`, `tsig-keygen` and `pdnsutil` print it.
    pub secret: Secret,
}

/// Where and how to send updates.
#[derive(Clone, Debug)]
pub struct Rfc2136Config {
    /// The primary server's address (updates must reach the primary).
    pub server: SocketAddr,
    pub key: TsigKey,
    /// For each exchange (connect, send, answer).
    pub timeout: Duration,
}

impl Rfc2136Config {
    pub fn new(server: SocketAddr, key: TsigKey) -> Self {
        Self {
            server,
            key,
            timeout: Duration::from_secs(10),
        }
    }
}

/// A [`DnsProvider`] speaking RFC 2136 with TSIG.
pub struct Rfc2136Provider {
    config: Rfc2136Config,
    signer: TSigner,
}

impl std::fmt::Debug for Rfc2136Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rfc2136Provider")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Rfc2136Provider {
    /// Checks the key (name, base64 secret) and builds the provider; no network yet.
    pub fn new(config: Rfc2136Config) -> Result<Self, DnsError> {
        let key = &config.key;
        let secret = base64::engine::general_purpose::STANDARD
            .decode(key.secret.expose().trim())
            .map_err(|_| {
                DnsError::InvalidConfig(format!(
                    "the secret of TSIG key '{}' is not base64 (copy it as the server's key \
                     file shows it)",
                    key.name
                ))
            })?;
        if secret.is_empty() {
            return Err(DnsError::InvalidConfig(format!(
                "the secret of TSIG key '{}' is empty",
                key.name
            )));
        }
        let name = Name::from_ascii(&key.name).map_err(|e| {
            DnsError::InvalidConfig(format!("invalid TSIG key name '{}': {e}", key.name))
        })?;
        let signer = TSigner::new(secret, key.algorithm.wire(), name, 300).map_err(|e| {
            DnsError::InvalidConfig(format!("cannot use TSIG key '{}': {e}", key.name))
        })?;
        Ok(Self { config, signer })
    }

    fn context<'a>(&'a self, zone: &'a DomainName, operation: &'a str) -> Context<'a> {
        Context {
            server: self.config.server,
            zone: zone.as_str(),
            operation,
            key_name: Some(&self.config.key.name),
        }
    }

    async fn query(
        &self,
        zone: &DomainName,
        name: &DomainName,
        record_type: WireType,
    ) -> Result<Vec<WireRecord>, DnsError> {
        let message = wire::query_message(name, record_type, true);
        let answers = wire::exchange(
            &self.context(zone, "query"),
            message,
            None,
            Answers::One,
            self.config.timeout,
        )
        .await?;
        Ok(answers.into_iter().flat_map(|m| m.answers).collect())
    }
}

/// An update message for `zone` holding `changes` (each upsert deletes the RRset, then adds
/// its records: one atomic replace).
fn update_message(zone: &DomainName, changes: &[Change]) -> Result<Message, DnsError> {
    let mut message = Message::query();
    message.metadata.op_code = OpCode::Update;
    message.metadata.recursion_desired = false;
    let mut zone_query = Query::new();
    zone_query
        .set_name(wire::wire_name(zone))
        .set_query_class(DNSClass::IN)
        .set_query_type(WireType::SOA);
    message.add_zone(zone_query);
    let delete = |name: &DomainName, record_type: RecordType| {
        let mut record =
            WireRecord::update0(wire::wire_name(name), 0, wire::wire_type(record_type))
                .into_record_of_rdata();
        record.dns_class = DNSClass::ANY;
        record
    };
    for change in changes {
        match change {
            Change::Upsert(rrset) => {
                message.add_update(delete(&rrset.name, rrset.record_type));
                for value in &rrset.values {
                    let mut record = WireRecord::from_rdata(
                        wire::wire_name(&rrset.name),
                        rrset.ttl,
                        wire::wire_rdata(value)?,
                    );
                    record.dns_class = DNSClass::IN;
                    message.add_update(record);
                }
            }
            Change::Delete { name, record_type } => {
                message.add_update(delete(name, *record_type));
            }
        }
    }
    Ok(message)
}

#[async_trait]
impl DnsProvider for Rfc2136Provider {
    fn describe(&self) -> String {
        format!(
            "rfc2136 {} key '{}'",
            self.config.server, self.config.key.name
        )
    }

    async fn list_records(&self, zone: &DomainName) -> Result<Vec<RrSet>, DnsError> {
        let mut message = Message::query();
        message.metadata.recursion_desired = false;
        message.add_query(Query::query(wire::wire_name(zone), WireType::AXFR));
        let answers = wire::exchange(
            &self.context(zone, "zone transfer (AXFR)"),
            message,
            Some(&self.signer),
            Answers::ZoneTransfer,
            self.config.timeout,
        )
        .await?;
        let records = answers
            .iter()
            .flat_map(|m| m.answers.iter())
            .filter(|r| {
                !matches!(
                    r.record_type(),
                    WireType::RRSIG | WireType::NSEC | WireType::NSEC3
                )
            })
            .filter_map(wire::from_wire);
        Ok(RrSet::group(records))
    }

    async fn apply(&self, zone: &DomainName, changes: &[Change]) -> Result<(), DnsError> {
        check_changes(zone, changes)?;
        if changes.is_empty() {
            return Ok(());
        }
        let message = update_message(zone, changes)?;
        tracing::debug!(provider = %self.describe(), zone = %zone, changes = changes.len(), "sending a DNS update");
        wire::exchange(
            &self.context(zone, "update"),
            message,
            Some(&self.signer),
            Answers::One,
            self.config.timeout,
        )
        .await?;
        Ok(())
    }

    async fn dnssec_status(&self, zone: &DomainName) -> Result<DnssecStatus, DnsError> {
        let answers = self.query(zone, zone, WireType::DNSKEY).await?;
        let dnskeys: Vec<_> = answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::DNSKEY(key)) if key.zone_key() && !key.revoke() => {
                    Some(key)
                }
                _ => None,
            })
            .collect();
        let signed =
            !dnskeys.is_empty() && answers.iter().any(|r| r.record_type() == WireType::RRSIG);
        let all_flags: Vec<u16> = dnskeys.iter().map(|k| k.flags()).collect();
        let mut keys = Vec::new();
        let mut ds_records = Vec::new();
        for dnskey in dnskeys {
            let (key_tag, ds, text) = describe_dnskey(zone, dnskey)?;
            let role = role_from_flags(dnskey.flags(), &all_flags);
            if role != crate::dnssec::KeyRole::Zsk {
                ds_records.push(ds.clone());
            }
            keys.push(DnssecKey {
                key_tag,
                algorithm: ds.algorithm,
                role,
                active: true,
                next_rollover: None,
                dnskey: text,
            });
        }
        Ok(DnssecStatus {
            signed,
            keys,
            ds_records,
        })
    }

    async fn enable_dnssec(&self, _zone: &DomainName) -> Result<DnssecStatus, DnsError> {
        Err(DnsError::Unsupported {
            provider: self.describe(),
            operation: "enable DNSSEC signing".to_string(),
            hint: "RFC 2136 cannot change a server's signing policy; enable signing on the \
                   server (knot: `dnssec-signing: on` in the zone's section of knot.conf; BIND: \
                   `dnssec-policy default;` in the zone), then WindFlow reports the keys and DS \
                   records"
                .to_string(),
        })
    }

    /// The primary the updates go to: it serves the zone authoritatively.
    async fn nameservers(&self, _zone: &DomainName) -> Result<Vec<SocketAddr>, DnsError> {
        Ok(vec![self.config.server])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> TsigKey {
        TsigKey {
            name: "windflow".into(),
            algorithm: TsigAlgorithm::default(),
            secret: Secret::new(secret),
        }
    }

    #[test]
    fn a_bad_secret_is_refused_before_any_network() {
        let server = "127.0.0.1:53".parse().unwrap();
        let error = Rfc2136Provider::new(Rfc2136Config::new(server, key("not base64!")))
            .unwrap_err()
            .to_string();
        assert!(error.contains("not base64"), "{error}");
        let provider =
            Rfc2136Provider::new(Rfc2136Config::new(server, key("c2VjcmV0LXZhbHVl"))).unwrap();
        let printed = format!("{provider:?}");
        assert!(!printed.contains("c2VjcmV0"), "{printed}");
    }

    #[test]
    fn algorithms_parse_their_server_names() {
        assert_eq!(
            TsigAlgorithm::parse("HMAC-SHA512").unwrap(),
            TsigAlgorithm::HmacSha512
        );
        assert_eq!(
            TsigAlgorithm::parse("sha384").unwrap(),
            TsigAlgorithm::HmacSha384
        );
        assert!(TsigAlgorithm::parse("hmac-md5").is_err());
    }
}
