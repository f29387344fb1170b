//! PowerDNS Authoritative's HTTP API (`/api/v1`, `X-API-Key`): RRsets through PATCH of the
//! zone, DNSSEC through the zone's cryptokeys. The JSON types are private to this module.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::dnssec::{DnssecAlgorithm, DnssecKey, DnssecStatus, DsRecord, KeyRole};
use crate::error::DnsError;
use crate::record::{Change, DomainName, RecordType, RecordValue, RrSet};
use crate::secret::Secret;
use crate::{DnsProvider, check_changes};

/// Where the API is and the key it wants.
#[derive(Clone, Debug)]
pub struct PowerDnsConfig {
    /// The webserver's base URL (`http://127.0.0.1:8081`), without `/api/v1`.
    pub api_url: String,
    pub api_key: Secret,
    /// The API's server id; `localhost` for PowerDNS Authoritative.
    pub server_id: String,
    pub timeout: Duration,
}

impl PowerDnsConfig {
    pub fn new(api_url: impl Into<String>, api_key: Secret) -> Self {
        Self {
            api_url: api_url.into(),
            api_key,
            server_id: "localhost".to_string(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// A [`DnsProvider`] over PowerDNS's HTTP API.
#[derive(Debug)]
pub struct PowerDnsProvider {
    config: PowerDnsConfig,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct ZoneJson {
    #[serde(default)]
    rrsets: Vec<RrSetJson>,
    #[serde(default)]
    dnssec: bool,
}

#[derive(Serialize, Deserialize)]
struct RrSetJson {
    name: String,
    #[serde(rename = "type")]
    record_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    changetype: Option<String>,
    #[serde(default)]
    records: Vec<RecordJson>,
}

#[derive(Serialize, Deserialize)]
struct RecordJson {
    content: String,
    #[serde(default)]
    disabled: bool,
}

#[derive(Serialize)]
struct PatchJson {
    rrsets: Vec<RrSetJson>,
}

#[derive(Deserialize)]
struct CryptokeyJson {
    #[serde(default)]
    keytype: String,
    #[serde(default)]
    active: bool,
    #[serde(default)]
    dnskey: String,
    #[serde(default)]
    ds: Vec<String>,
}

#[derive(Deserialize)]
struct ConfigSettingJson {
    name: String,
    #[serde(default)]
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct ErrorJson {
    error: String,
}

impl PowerDnsProvider {
    pub fn new(config: PowerDnsConfig) -> Result<Self, DnsError> {
        if !(config.api_url.starts_with("http://") || config.api_url.starts_with("https://")) {
            return Err(DnsError::InvalidConfig(format!(
                "the PowerDNS API URL '{}' must start with http:// or https://",
                config.api_url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| DnsError::InvalidConfig(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { config, http })
    }

    fn zone_url(&self, zone: &DomainName) -> String {
        format!(
            "{}/api/v1/servers/{}/zones/{}",
            self.config.api_url.trim_end_matches('/'),
            self.config.server_id,
            zone
        )
    }

    /// Sends the request; maps transport errors and error statuses; returns the body.
    async fn send(
        &self,
        zone: &DomainName,
        operation: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<String, DnsError> {
        let server = self.config.api_url.clone();
        let response = request
            .header("X-API-Key", self.config.api_key.expose())
            .send()
            .await
            .map_err(|e| DnsError::Unreachable {
                server: server.clone(),
                reason: without_url(&e),
            })?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| DnsError::Unreachable {
            server: server.clone(),
            reason: format!("the answer was cut short: {}", without_url(&e)),
        })?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = serde_json::from_str::<ErrorJson>(&body)
            .map(|e| e.error)
            .unwrap_or_else(|_| body.chars().take(200).collect());
        Err(match status {
            401 | 403 => DnsError::ApiAuth { server, status },
            404 => DnsError::ZoneNotServed {
                server,
                zone: zone.to_string(),
                reason: format!("HTTP 404: {message}"),
            },
            422 if message.contains("Could not find domain") => DnsError::ZoneNotServed {
                server,
                zone: zone.to_string(),
                reason: format!("HTTP 422: {message}"),
            },
            _ => DnsError::Api {
                server,
                operation: operation.to_string(),
                status,
                message,
            },
        })
    }

    async fn zone(&self, zone: &DomainName) -> Result<ZoneJson, DnsError> {
        let body = self
            .send(zone, "read zone", self.http.get(self.zone_url(zone)))
            .await?;
        serde_json::from_str(&body).map_err(|e| DnsError::Protocol {
            server: self.config.api_url.clone(),
            reason: format!("cannot read the zone {zone}: {e}"),
        })
    }
}

/// reqwest's error text without the URL (the URL holds nothing secret, but errors already name
/// the server).
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(&format!(" for url ({url})"), "");
    }
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[async_trait]
impl DnsProvider for PowerDnsProvider {
    fn describe(&self) -> String {
        format!("powerdns {}", self.config.api_url)
    }

    async fn list_records(&self, zone: &DomainName) -> Result<Vec<RrSet>, DnsError> {
        let json = self.zone(zone).await?;
        let mut sets = Vec::new();
        for rrset in json.rrsets {
            let (Ok(name), Ok(record_type)) = (
                DomainName::parse(&rrset.name),
                RecordType::parse(&rrset.record_type),
            ) else {
                continue;
            };
            let values: Vec<RecordValue> = rrset
                .records
                .iter()
                .filter(|r| !r.disabled)
                // A value this crate cannot read is kept as text: the RRset must still be seen
                // to exist, or the ownership registry would take it for free.
                .map(|r| {
                    RecordValue::parse(record_type, &r.content).unwrap_or(RecordValue::Other {
                        record_type,
                        text: r.content.clone(),
                    })
                })
                .collect();
            if !values.is_empty() {
                sets.push(RrSet {
                    name,
                    record_type,
                    ttl: rrset.ttl.unwrap_or(0),
                    values,
                });
            }
        }
        Ok(sets)
    }

    async fn apply(&self, zone: &DomainName, changes: &[Change]) -> Result<(), DnsError> {
        check_changes(zone, changes)?;
        if changes.is_empty() {
            return Ok(());
        }
        let rrsets = changes
            .iter()
            .map(|change| match change {
                Change::Upsert(rrset) => RrSetJson {
                    name: rrset.name.to_string(),
                    record_type: rrset.record_type.to_string(),
                    ttl: Some(rrset.ttl),
                    changetype: Some("REPLACE".into()),
                    records: rrset
                        .values
                        .iter()
                        .map(|v| RecordJson {
                            content: v.to_string(),
                            disabled: false,
                        })
                        .collect(),
                },
                Change::Delete { name, record_type } => RrSetJson {
                    name: name.to_string(),
                    record_type: record_type.to_string(),
                    ttl: None,
                    changetype: Some("DELETE".into()),
                    records: Vec::new(),
                },
            })
            .collect();
        tracing::debug!(provider = %self.describe(), zone = %zone, changes = changes.len(), "patching a zone");
        self.send(
            zone,
            "update records",
            self.http
                .patch(self.zone_url(zone))
                .json(&PatchJson { rrsets }),
        )
        .await?;
        Ok(())
    }

    async fn dnssec_status(&self, zone: &DomainName) -> Result<DnssecStatus, DnsError> {
        let signed = self.zone(zone).await?.dnssec;
        let body = self
            .send(
                zone,
                "list DNSSEC keys",
                self.http.get(format!("{}/cryptokeys", self.zone_url(zone))),
            )
            .await?;
        let cryptokeys: Vec<CryptokeyJson> =
            serde_json::from_str(&body).map_err(|e| DnsError::Protocol {
                server: self.config.api_url.clone(),
                reason: format!("cannot read the DNSSEC keys of {zone}: {e}"),
            })?;
        let mut keys = Vec::new();
        let mut ds_records = Vec::new();
        for key in cryptokeys {
            let role = match key.keytype.as_str() {
                "ksk" => KeyRole::Ksk,
                "zsk" => KeyRole::Zsk,
                _ => KeyRole::Csk,
            };
            let ds: Vec<DsRecord> = key
                .ds
                .iter()
                .filter_map(|d| DsRecord::parse(d).ok())
                .filter(|d| d.digest_type == 2)
                .collect();
            let (key_tag, algorithm) = match ds.first() {
                Some(d) => (d.key_tag, d.algorithm),
                None => dnskey_tag_and_algorithm(zone, &key.dnskey)?,
            };
            if key.active && role != KeyRole::Zsk {
                ds_records.extend(ds);
            }
            keys.push(DnssecKey {
                key_tag,
                algorithm,
                role,
                active: key.active,
                next_rollover: None,
                dnskey: key.dnskey,
            });
        }
        Ok(DnssecStatus {
            signed,
            keys,
            ds_records,
        })
    }

    async fn enable_dnssec(&self, zone: &DomainName) -> Result<DnssecStatus, DnsError> {
        let status = self.dnssec_status(zone).await?;
        if status.signed && status.keys.iter().any(|k| k.active) {
            return Ok(status);
        }
        let body = serde_json::json!({
            "keytype": "csk",
            "active": true,
            "published": true,
            "algorithm": "ECDSAP256SHA256",
        });
        self.send(
            zone,
            "create a DNSSEC key",
            self.http
                .post(format!("{}/cryptokeys", self.zone_url(zone)))
                .json(&body),
        )
        .await?;
        self.send(
            zone,
            "rectify the zone",
            self.http.put(format!("{}/rectify", self.zone_url(zone))),
        )
        .await?;
        tracing::info!(provider = %self.describe(), zone = %zone, "DNSSEC signing enabled");
        self.dnssec_status(zone).await
    }

    /// Where the server listens for DNS, from its `local-address` and `local-port` settings
    /// (a wildcard address is reached at the API's host).
    async fn nameservers(&self, zone: &DomainName) -> Result<Vec<SocketAddr>, DnsError> {
        let url = format!(
            "{}/api/v1/servers/{}/config",
            self.config.api_url.trim_end_matches('/'),
            self.config.server_id
        );
        let body = self
            .send(zone, "read the server's settings", self.http.get(url))
            .await?;
        let settings: Vec<ConfigSettingJson> =
            serde_json::from_str(&body).map_err(|e| DnsError::Protocol {
                server: self.config.api_url.clone(),
                reason: format!("cannot read the server's settings: {e}"),
            })?;
        let setting = |name: &str| {
            settings
                .iter()
                .find(|s| s.name == name)
                .and_then(|s| s.value.as_str().map(str::to_string))
        };
        let api_host = reqwest::Url::parse(&self.config.api_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok());
        Ok(listen_addresses(
            &setting("local-address").unwrap_or_default(),
            setting("local-port").as_deref(),
            api_host,
        ))
    }
}

/// The DNS addresses of PowerDNS's `local-address` (`127.0.0.1, [::1]:5300`) with
/// `local-port` as the default port; a wildcard address becomes `api_host` (or loopback).
fn listen_addresses(
    local_address: &str,
    local_port: Option<&str>,
    api_host: Option<IpAddr>,
) -> Vec<SocketAddr> {
    let port: u16 = local_port.and_then(|p| p.trim().parse().ok()).unwrap_or(53);
    let mut found = Vec::new();
    for item in local_address
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let address = item.parse::<SocketAddr>().ok().or_else(|| {
            item.parse::<IpAddr>()
                .ok()
                .map(|ip| SocketAddr::new(ip, port))
        });
        let Some(mut address) = address else {
            continue;
        };
        if address.ip().is_unspecified() {
            let fallback = if address.is_ipv4() {
                IpAddr::from([127, 0, 0, 1])
            } else {
                IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
            };
            address.set_ip(api_host.unwrap_or(fallback));
        }
        if !found.contains(&address) {
            found.push(address);
        }
    }
    found
}

/// The key tag and algorithm of a DNSKEY in presentation format (`257 3 13 base64`).
fn dnskey_tag_and_algorithm(
    zone: &DomainName,
    text: &str,
) -> Result<(u16, DnssecAlgorithm), DnsError> {
    use hickory_net::proto::dnssec::rdata::DNSSECRData;
    use hickory_net::proto::rr::{RData, RecordType as WireType};
    let invalid = |reason: String| DnsError::InvalidValue {
        record_type: "DNSKEY".into(),
        value: text.to_string(),
        reason,
    };
    match RData::try_from_str(WireType::DNSKEY, text).map_err(|e| invalid(e.to_string()))? {
        RData::DNSSEC(DNSSECRData::DNSKEY(dnskey)) => {
            let (key_tag, ds, _) = crate::dnssec::describe_dnskey(zone, &dnskey)?;
            Ok((key_tag, ds.algorithm))
        }
        _ => Err(invalid("not a DNSKEY".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(local_address: &str, local_port: Option<&str>, expected: &[&str]) {
        let api_host = Some("192.0.2.8".parse().unwrap());
        let found: Vec<String> = listen_addresses(local_address, local_port, api_host)
            .iter()
            .map(SocketAddr::to_string)
            .collect();
        assert_eq!(found, expected, "{local_address:?} {local_port:?}");
    }

    #[test]
    fn listen_addresses_follow_the_settings() {
        check("127.0.0.1", Some("5300"), &["127.0.0.1:5300"]);
        check("127.0.0.1, [::1]:54", None, &["127.0.0.1:53", "[::1]:54"]);
        check("0.0.0.0", Some("53"), &["192.0.2.8:53"]);
        check("", None, &[]);
    }
}
