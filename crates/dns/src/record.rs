//! The shared record types every provider speaks: names, types, values in presentation
//! format, RRsets and the changes applied to a zone. No I/O here; providers translate these
//! to their wire (DNS messages, JSON).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::DnsError;

/// An absolute domain name, lowercased, always ending with a dot (`app.example.com.`).
///
/// Labels hold letters, digits, `-`, `_` and `*` (a wildcard label); escapes and other bytes
/// are refused rather than guessed.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainName(String);

impl DomainName {
    /// Parses `app.example.com` or `app.example.com.` (case-insensitive).
    pub fn parse(text: &str) -> Result<Self, DnsError> {
        let invalid = |reason: &str| DnsError::InvalidName {
            name: text.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = text.strip_suffix('.').unwrap_or(text);
        if trimmed.is_empty() {
            return Err(invalid(
                "the root or an empty name cannot hold WindFlow records",
            ));
        }
        if trimmed.len() > 253 {
            return Err(invalid("longer than 253 characters"));
        }
        for label in trimmed.split('.') {
            if label.is_empty() {
                return Err(invalid("has an empty label (two dots in a row)"));
            }
            if label.len() > 63 {
                return Err(invalid("has a label longer than 63 characters"));
            }
            if let Some(bad) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*')))
            {
                return Err(invalid(&format!(
                    "contains {bad:?}; use letters, digits, '-', '_' or a '*' label"
                )));
            }
        }
        Ok(Self(format!("{}.", trimmed.to_ascii_lowercase())))
    }

    /// The name with its trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `self` is `zone` or below it.
    pub fn is_in_zone(&self, zone: &DomainName) -> bool {
        self == zone || self.0.ends_with(&format!(".{}", zone.0))
    }

    /// `label.self`, e.g. the ownership marker's name.
    pub fn prepend(&self, label: &str) -> Result<Self, DnsError> {
        Self::parse(&format!("{label}.{}", self.0))
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// A record type. The ones WindFlow writes have a variant; anything else a zone holds (SOA,
/// DNSKEY, …) is `Other` with its IANA number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum RecordType {
    A,
    Aaaa,
    Cname,
    Txt,
    Mx,
    Ns,
    Other(u16),
}

impl RecordType {
    /// The IANA type number.
    pub fn code(self) -> u16 {
        match self {
            Self::A => 1,
            Self::Ns => 2,
            Self::Cname => 5,
            Self::Mx => 15,
            Self::Txt => 16,
            Self::Aaaa => 28,
            Self::Other(code) => code,
        }
    }

    /// From the IANA type number.
    pub fn from_code(code: u16) -> Self {
        match code {
            1 => Self::A,
            2 => Self::Ns,
            5 => Self::Cname,
            15 => Self::Mx,
            16 => Self::Txt,
            28 => Self::Aaaa,
            other => Self::Other(other),
        }
    }

    /// Parses a mnemonic (`A`, `aaaa`, `SOA`, `TYPE65`).
    pub fn parse(text: &str) -> Result<Self, DnsError> {
        use std::str::FromStr;
        let upper = text.trim().to_ascii_uppercase();
        if let Some(number) = upper.strip_prefix("TYPE")
            && let Ok(code) = number.parse::<u16>()
        {
            return Ok(Self::from_code(code));
        }
        hickory_net::proto::rr::RecordType::from_str(&upper)
            .map(|t| Self::from_code(u16::from(t)))
            .map_err(|_| DnsError::InvalidValue {
                record_type: text.to_string(),
                value: String::new(),
                reason: "unknown record type".to_string(),
            })
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = hickory_net::proto::rr::RecordType::from(self.code());
        match name {
            hickory_net::proto::rr::RecordType::Unknown(code) => write!(f, "TYPE{code}"),
            known => write!(f, "{known}"),
        }
    }
}

/// One record's data.
///
/// `Display` writes the presentation format (what zone files, `dig` and PowerDNS's API use);
/// [`RecordValue::parse`] reads it back.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum RecordValue {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(DomainName),
    /// The text of a TXT record: its character-strings joined (split again into 255-byte
    /// strings on the wire).
    Txt(String),
    Mx {
        preference: u16,
        exchange: DomainName,
    },
    Ns(DomainName),
    /// A type WindFlow does not model, kept in presentation format.
    Other {
        record_type: RecordType,
        text: String,
    },
}

impl RecordValue {
    pub fn record_type(&self) -> RecordType {
        match self {
            Self::A(_) => RecordType::A,
            Self::Aaaa(_) => RecordType::Aaaa,
            Self::Cname(_) => RecordType::Cname,
            Self::Txt(_) => RecordType::Txt,
            Self::Mx { .. } => RecordType::Mx,
            Self::Ns(_) => RecordType::Ns,
            Self::Other { record_type, .. } => *record_type,
        }
    }

    /// Parses a value in presentation format for `record_type` (`192.0.2.1`, `target.example.`,
    /// `"v=spf1 -all"`, `10 mail.example.`).
    pub fn parse(record_type: RecordType, text: &str) -> Result<Self, DnsError> {
        let invalid = |reason: &str| DnsError::InvalidValue {
            record_type: record_type.to_string(),
            value: text.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = text.trim();
        match record_type {
            RecordType::A => trimmed
                .parse()
                .map(Self::A)
                .map_err(|_| invalid("not an IPv4 address")),
            RecordType::Aaaa => trimmed
                .parse()
                .map(Self::Aaaa)
                .map_err(|_| invalid("not an IPv6 address")),
            RecordType::Cname => DomainName::parse(trimmed).map(Self::Cname),
            RecordType::Ns => DomainName::parse(trimmed).map(Self::Ns),
            RecordType::Mx => {
                let mut parts = trimmed.split_whitespace();
                let (Some(preference), Some(exchange), None) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(invalid("expected '<preference> <exchange>'"));
                };
                let preference = preference
                    .parse()
                    .map_err(|_| invalid("the preference is not a number from 0 to 65535"))?;
                Ok(Self::Mx {
                    preference,
                    exchange: DomainName::parse(exchange)?,
                })
            }
            RecordType::Txt => parse_character_strings(trimmed)
                .map_err(|reason| invalid(&reason))
                .and_then(|strings| {
                    String::from_utf8(strings.concat())
                        .map(Self::Txt)
                        .map_err(|_| invalid("the text is not UTF-8"))
                }),
            RecordType::Other(_) => {
                if trimmed.is_empty() {
                    Err(invalid("empty"))
                } else {
                    Ok(Self::Other {
                        record_type,
                        text: trimmed.to_string(),
                    })
                }
            }
        }
    }
}

impl fmt::Display for RecordValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::A(ip) => write!(f, "{ip}"),
            Self::Aaaa(ip) => write!(f, "{ip}"),
            Self::Cname(name) | Self::Ns(name) => write!(f, "{name}"),
            Self::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {exchange}"),
            Self::Txt(text) => {
                let bytes = text.as_bytes();
                if bytes.is_empty() {
                    return f.write_str("\"\"");
                }
                for (index, chunk) in bytes.chunks(255).enumerate() {
                    if index > 0 {
                        f.write_str(" ")?;
                    }
                    f.write_str("\"")?;
                    for &byte in chunk {
                        match byte {
                            b'"' | b'\\' => write!(f, "\\{}", byte as char)?,
                            0x20..=0x7e => write!(f, "{}", byte as char)?,
                            _ => write!(f, "\\{byte:03}")?,
                        }
                    }
                    f.write_str("\"")?;
                }
                Ok(())
            }
            Self::Other { text, .. } => f.write_str(text),
        }
    }
}

/// Splits the presentation form of TXT data into its character-strings: quoted strings
/// (with `\"`, `\\` and `\DDD` escapes) or bare words, separated by spaces.
fn parse_character_strings(text: &str) -> Result<Vec<Vec<u8>>, String> {
    let bytes = text.as_bytes();
    let mut strings = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at].is_ascii_whitespace() {
            at += 1;
            continue;
        }
        let quoted = bytes[at] == b'"';
        if quoted {
            at += 1;
        }
        let mut current = Vec::new();
        let mut closed = !quoted;
        while at < bytes.len() {
            let byte = bytes[at];
            if quoted && byte == b'"' {
                at += 1;
                closed = true;
                break;
            }
            if !quoted && (byte.is_ascii_whitespace() || byte == b'"') {
                break;
            }
            if byte == b'\\' {
                let rest = &bytes[at + 1..];
                if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                    let value = u16::from(rest[0] - b'0') * 100
                        + u16::from(rest[1] - b'0') * 10
                        + u16::from(rest[2] - b'0');
                    let value = u8::try_from(value)
                        .map_err(|_| format!("escape \\{value} is above 255"))?;
                    current.push(value);
                    at += 4;
                } else if let Some(&next) = rest.first() {
                    current.push(next);
                    at += 2;
                } else {
                    return Err("ends with a lone backslash".to_string());
                }
                continue;
            }
            current.push(byte);
            at += 1;
        }
        if !closed {
            return Err("a quoted string is not closed".to_string());
        }
        if current.len() > 255 {
            return Err("a character-string is longer than 255 bytes".to_string());
        }
        strings.push(current);
    }
    if strings.is_empty() {
        return Err("empty; write \"\" for an empty text".to_string());
    }
    Ok(strings)
}

/// One resource record.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Record {
    pub name: DomainName,
    pub ttl: u32,
    pub value: RecordValue,
}

/// All records of one name and type: the unit DNS updates replace.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RrSet {
    pub name: DomainName,
    pub record_type: RecordType,
    pub ttl: u32,
    pub values: Vec<RecordValue>,
}

impl RrSet {
    /// An RRset; every value must be of `record_type` and there must be at least one.
    pub fn new(
        name: DomainName,
        record_type: RecordType,
        ttl: u32,
        values: Vec<RecordValue>,
    ) -> Result<Self, DnsError> {
        let rrset = Self {
            name,
            record_type,
            ttl,
            values,
        };
        rrset.check()?;
        Ok(rrset)
    }

    /// Checks what `new` checks (the fields are public, so providers check again).
    pub fn check(&self) -> Result<(), DnsError> {
        let invalid = |reason: String| DnsError::InvalidRrSet {
            name: self.name.to_string(),
            record_type: self.record_type.to_string(),
            reason,
        };
        if self.values.is_empty() {
            return Err(invalid(
                "has no values; delete the RRset instead".to_string(),
            ));
        }
        if let Some(other) = self
            .values
            .iter()
            .find(|v| v.record_type() != self.record_type)
        {
            return Err(invalid(format!(
                "holds a {} value ({other})",
                other.record_type()
            )));
        }
        if self.record_type == RecordType::Cname && self.values.len() > 1 {
            return Err(invalid("a CNAME RRset holds exactly one value".to_string()));
        }
        Ok(())
    }

    /// Its records, one per value.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        self.values.iter().map(|value| Record {
            name: self.name.clone(),
            ttl: self.ttl,
            value: value.clone(),
        })
    }

    /// The values in presentation format, sorted: equal for two RRsets holding the same data
    /// in any order.
    pub fn sorted_values(&self) -> Vec<String> {
        let mut values: Vec<String> = self.values.iter().map(ToString::to_string).collect();
        values.sort();
        values.dedup();
        values
    }

    /// Groups records into RRsets (by name and type, in first-seen order); the first record's
    /// TTL is the set's.
    pub fn group(records: impl IntoIterator<Item = Record>) -> Vec<RrSet> {
        let mut sets: Vec<RrSet> = Vec::new();
        for record in records {
            let record_type = record.value.record_type();
            match sets
                .iter_mut()
                .find(|s| s.name == record.name && s.record_type == record_type)
            {
                Some(set) => {
                    if !set.values.contains(&record.value) {
                        set.values.push(record.value);
                    }
                }
                None => sets.push(RrSet {
                    name: record.name,
                    record_type,
                    ttl: record.ttl,
                    values: vec![record.value],
                }),
            }
        }
        sets
    }
}

/// One change to a zone. A provider applies a list of them as one update where the server
/// allows (one RFC 2136 message, one PowerDNS PATCH).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Change {
    /// Replace the RRset of this name and type (create it when absent).
    Upsert(RrSet),
    /// Remove the RRset of this name and type (nothing when absent).
    Delete {
        name: DomainName,
        record_type: RecordType,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(record_type: RecordType, text: &str, expected: &str) {
        let value = RecordValue::parse(record_type, text).unwrap();
        assert_eq!(value.to_string(), expected, "{text}");
        assert_eq!(RecordValue::parse(record_type, expected).unwrap(), value);
    }

    #[test]
    fn values_read_and_write_presentation_format() {
        check(RecordType::A, " 192.0.2.1 ", "192.0.2.1");
        check(RecordType::Aaaa, "2001:DB8::1", "2001:db8::1");
        check(
            RecordType::Cname,
            "Target.Example.com",
            "target.example.com.",
        );
        check(
            RecordType::Mx,
            "10   mail.example.com.",
            "10 mail.example.com.",
        );
        check(RecordType::Txt, "\"v=spf1 -all\"", "\"v=spf1 -all\"");
        check(RecordType::Txt, "\"a\" \"b\"", "\"ab\"");
        check(RecordType::Txt, "bare", "\"bare\"");
        check(
            RecordType::Txt,
            r#""say \"hi\" \\ \065""#,
            r#""say \"hi\" \\ A""#,
        );
        check(RecordType::Txt, r#""caf\195\169""#, r#""caf\195\169""#);
        let long = "x".repeat(300);
        let written = RecordValue::Txt(long.clone()).to_string();
        assert_eq!(written.matches('"').count(), 4, "split into two strings");
        assert_eq!(
            RecordValue::parse(RecordType::Txt, &written).unwrap(),
            RecordValue::Txt(long)
        );
    }

    #[test]
    fn bad_values_name_the_problem() {
        for (record_type, text, reason) in [
            (RecordType::A, "1.2.3", "IPv4"),
            (RecordType::Aaaa, "1.2.3.4", "IPv6"),
            (RecordType::Mx, "mail.example.com", "preference"),
            (RecordType::Txt, "\"open", "not closed"),
            (RecordType::Txt, "\"\\256\"", "above 255"),
            (RecordType::Txt, "", "empty"),
        ] {
            let error = RecordValue::parse(record_type, text)
                .unwrap_err()
                .to_string();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn names_are_absolute_and_lowercase() {
        assert_eq!(
            DomainName::parse("App.Example.COM").unwrap().as_str(),
            "app.example.com."
        );
        assert_eq!(
            DomainName::parse("*.example.com.").unwrap().as_str(),
            "*.example.com."
        );
        for bad in [
            "",
            ".",
            "a..b",
            "a b.example",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
        let zone = DomainName::parse("example.com").unwrap();
        assert!(
            DomainName::parse("a.example.com")
                .unwrap()
                .is_in_zone(&zone)
        );
        assert!(zone.is_in_zone(&zone));
        assert!(
            !DomainName::parse("badexample.com")
                .unwrap()
                .is_in_zone(&zone)
        );
    }

    #[test]
    fn record_types_use_their_mnemonics() {
        assert_eq!(RecordType::parse("aaaa").unwrap(), RecordType::Aaaa);
        assert_eq!(RecordType::parse("SOA").unwrap(), RecordType::Other(6));
        assert_eq!(RecordType::Other(6).to_string(), "SOA");
        assert_eq!(
            RecordType::parse("TYPE65280").unwrap().to_string(),
            "TYPE65280"
        );
        assert!(RecordType::parse("NOPE").is_err());
    }

    #[test]
    fn rrsets_refuse_mixed_or_empty_values() {
        let name = DomainName::parse("a.example.com").unwrap();
        assert!(RrSet::new(name.clone(), RecordType::A, 60, vec![]).is_err());
        let mixed = vec![RecordValue::Txt("x".into())];
        assert!(RrSet::new(name, RecordType::A, 60, mixed).is_err());
    }

    fn record_type() -> impl Strategy<Value = RecordType> {
        prop_oneof![
            Just(RecordType::A),
            Just(RecordType::Aaaa),
            Just(RecordType::Cname),
            Just(RecordType::Txt),
            Just(RecordType::Mx),
            Just(RecordType::Ns),
            any::<u16>().prop_map(RecordType::from_code),
        ]
    }

    proptest! {
        #[test]
        fn parsing_any_value_never_panics(record_type in record_type(), text in ".{0,600}") {
            let _ = RecordValue::parse(record_type, &text);
        }

        #[test]
        fn parsing_any_name_never_panics(text in ".{0,300}") {
            if let Ok(name) = DomainName::parse(&text) {
                prop_assert_eq!(DomainName::parse(name.as_str()).unwrap(), name);
            }
        }

        #[test]
        fn txt_round_trips(text in "\\PC{0,700}") {
            let value = RecordValue::Txt(text);
            let written = value.to_string();
            prop_assert_eq!(RecordValue::parse(RecordType::Txt, &written).unwrap(), value);
        }

        #[test]
        fn parsed_values_round_trip(record_type in record_type(), text in "[ -~]{0,80}") {
            if let Ok(value) = RecordValue::parse(record_type, &text) {
                let written = value.to_string();
                prop_assert_eq!(RecordValue::parse(record_type, &written).unwrap(), value);
            }
        }

        #[test]
        fn record_type_mnemonics_round_trip(code in any::<u16>()) {
            let record_type = RecordType::from_code(code);
            prop_assert_eq!(RecordType::parse(&record_type.to_string()).unwrap(), record_type);
        }
    }
}
