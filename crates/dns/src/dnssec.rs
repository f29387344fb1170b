//! DNSSEC state as WindFlow reports it: the zone's keys and the DS records the user hands to
//! the registrar. Computing DS from DNSKEY data (RFC 4034 §5.1.4) lives here so every
//! provider that can read DNSKEYs reports the same thing.

use std::fmt;
use std::time::SystemTime;

use hickory_net::proto::dnssec::rdata::DNSKEY;
use hickory_net::proto::dnssec::{DigestType, PublicKey};
use hickory_net::proto::rr::Name;

use crate::error::DnsError;
use crate::record::DomainName;

/// A DNSSEC algorithm number (13 is ECDSAP256SHA256).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DnssecAlgorithm(pub u8);

impl DnssecAlgorithm {
    /// The IANA mnemonic (`ECDSAP256SHA256`), or the number for an unknown one.
    pub fn name(self) -> String {
        match self.0 {
            5 => "RSASHA1".into(),
            7 => "RSASHA1-NSEC3-SHA1".into(),
            8 => "RSASHA256".into(),
            10 => "RSASHA512".into(),
            13 => "ECDSAP256SHA256".into(),
            14 => "ECDSAP384SHA384".into(),
            15 => "ED25519".into(),
            16 => "ED448".into(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for DnssecAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.name())
    }
}

/// What a key signs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum KeyRole {
    /// Key-signing key: signs the DNSKEY set; its DS goes to the parent.
    Ksk,
    /// Zone-signing key: signs the other records.
    Zsk,
    /// Combined signing key: both roles, its DS goes to the parent.
    Csk,
}

/// One DNSSEC key of a zone.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DnssecKey {
    pub key_tag: u16,
    pub algorithm: DnssecAlgorithm,
    pub role: KeyRole,
    /// Published and used for signing (false for a key being introduced or retired, where the
    /// provider knows).
    pub active: bool,
    /// When the server plans to replace this key, where the provider can tell.
    pub next_rollover: Option<SystemTime>,
    /// The DNSKEY record data in presentation format (`257 3 13 base64…`).
    pub dnskey: String,
}

/// A delegation signer record for the parent zone (the registrar).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DsRecord {
    pub key_tag: u16,
    pub algorithm: DnssecAlgorithm,
    /// 2 is SHA-256, 4 is SHA-384.
    pub digest_type: u8,
    /// Uppercase hexadecimal.
    pub digest: String,
}

impl DsRecord {
    /// Parses `<key tag> <algorithm> <digest type> <digest>` (what PowerDNS, `dig` and
    /// `dnssec-dsfromkey` print after the owner, class and type).
    pub fn parse(text: &str) -> Result<Self, DnsError> {
        let invalid = |reason: &str| DnsError::InvalidValue {
            record_type: "DS".into(),
            value: text.to_string(),
            reason: reason.to_string(),
        };
        let mut parts = text.split_whitespace();
        let key_tag = parts.next().and_then(|p| p.parse().ok());
        let algorithm = parts.next().and_then(|p| p.parse().ok());
        let digest_type = parts.next().and_then(|p| p.parse().ok());
        let digest: String = parts.collect::<Vec<_>>().concat().to_ascii_uppercase();
        match (key_tag, algorithm, digest_type) {
            (Some(key_tag), Some(algorithm), Some(digest_type))
                if !digest.is_empty() && digest.chars().all(|c| c.is_ascii_hexdigit()) =>
            {
                Ok(Self {
                    key_tag,
                    algorithm: DnssecAlgorithm(algorithm),
                    digest_type,
                    digest,
                })
            }
            _ => Err(invalid(
                "expected '<key tag> <algorithm> <digest type> <hex digest>'",
            )),
        }
    }
}

impl fmt::Display for DsRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.key_tag, self.algorithm.0, self.digest_type, self.digest
        )
    }
}

/// A zone's DNSSEC state.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DnssecStatus {
    /// The zone is served signed.
    pub signed: bool,
    pub keys: Vec<DnssecKey>,
    /// The DS records for the registrar (SHA-256), one per key-signing key.
    pub ds_records: Vec<DsRecord>,
}

/// The key's role from the DNSKEY flags of all the zone's keys: a SEP key is a KSK, or a CSK
/// when the zone has no separate zone-signing key.
pub(crate) fn role_from_flags(flags: u16, all_flags: &[u16]) -> KeyRole {
    const SEP: u16 = 0x0001;
    let has_zsk = all_flags.iter().any(|f| f & SEP == 0);
    match (flags & SEP != 0, has_zsk) {
        (true, true) => KeyRole::Ksk,
        (true, false) => KeyRole::Csk,
        (false, _) => KeyRole::Zsk,
    }
}

/// The key tag, the SHA-256 DS and the presentation form of a DNSKEY of `zone`.
pub(crate) fn describe_dnskey(
    zone: &DomainName,
    dnskey: &DNSKEY,
) -> Result<(u16, DsRecord, String), DnsError> {
    let failed = |reason: String| DnsError::Protocol {
        server: zone.to_string(),
        reason: format!("cannot compute the DS of a DNSKEY: {reason}"),
    };
    let name = Name::from_ascii(zone.as_str()).map_err(|e| failed(e.to_string()))?;
    let key_tag = dnskey
        .calculate_key_tag()
        .map_err(|e| failed(e.to_string()))?;
    let digest = dnskey
        .to_digest(&name, DigestType::SHA256)
        .map_err(|e| failed(e.to_string()))?;
    let algorithm = u8::from(dnskey.public_key().algorithm());
    let ds = DsRecord {
        key_tag,
        algorithm: DnssecAlgorithm(algorithm),
        digest_type: 2,
        digest: digest.as_ref().iter().map(|b| format!("{b:02X}")).collect(),
    };
    Ok((key_tag, ds, dnskey.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ds_records_parse_what_tools_print() {
        let ds = DsRecord::parse("2371 13 2 1F987CC6583E92DF0890718C42 91D7A9")
            .expect("a DS with a split digest");
        assert_eq!(ds.key_tag, 2371);
        assert_eq!(ds.algorithm.name(), "ECDSAP256SHA256");
        assert_eq!(ds.to_string(), "2371 13 2 1F987CC6583E92DF0890718C4291D7A9");
        assert!(DsRecord::parse("2371 13 2").is_err());
        assert!(DsRecord::parse("2371 13 2 XYZ").is_err());
    }

    #[test]
    fn roles_follow_the_sep_flag() {
        assert_eq!(role_from_flags(257, &[257, 256]), KeyRole::Ksk);
        assert_eq!(role_from_flags(256, &[257, 256]), KeyRole::Zsk);
        assert_eq!(role_from_flags(257, &[257]), KeyRole::Csk);
    }

    proptest! {
        #[test]
        fn parsing_any_ds_never_panics(text in ".{0,200}") {
            if let Ok(ds) = DsRecord::parse(&text) {
                prop_assert_eq!(DsRecord::parse(&ds.to_string()).unwrap(), ds);
            }
        }
    }
}
