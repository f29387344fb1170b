//! The ownership registry: WindFlow never touches records it did not create.
//!
//! Next to every RRset it writes, WindFlow writes a TXT marker at `_wf-owner-<type>.<name>`
//! holding `heritage=windflow,owner=<owner id>`, in the same update (external-dns's TXT
//! registry, one marker per name and type so a user's AAAA next to WindFlow's A stays the
//! user's). [`ManagedZone`] reads the zone before each change and refuses to overwrite or
//! remove an RRset whose marker is missing or names another owner.
//!
//! The check and the write are two requests; WindFlow's control plane is the only writer of
//! its markers, so the window only matters against someone editing the same name by hand at
//! that moment.

use std::sync::Arc;

use crate::DnsProvider;
use crate::error::DnsError;
use crate::record::{Change, DomainName, RecordType, RecordValue, RrSet};

const HERITAGE: &str = "heritage=windflow";

/// Who WindFlow is in the markers: one id per installation (letters, digits, `-`, `_`, `.`;
/// at most 63 characters).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct OwnerId(String);

impl OwnerId {
    pub fn parse(text: &str) -> Result<Self, DnsError> {
        let valid = !text.is_empty()
            && text.len() <= 63
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if valid {
            Ok(Self(text.to_string()))
        } else {
            Err(DnsError::InvalidConfig(format!(
                "invalid owner id '{text}': use 1 to 63 letters, digits, '-', '_' or '.'"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The marker's TXT text.
    pub fn marker_text(&self) -> String {
        format!("{HERITAGE},owner={}", self.0)
    }
}

/// The name of the marker that says who owns `name`'s RRset of `record_type`.
pub fn marker_name(name: &DomainName, record_type: RecordType) -> Result<DomainName, DnsError> {
    let label = match record_type {
        RecordType::Other(code) => format!("_wf-owner-type{code}"),
        known => format!("_wf-owner-{}", known.to_string().to_ascii_lowercase()),
    };
    name.prepend(&label)
}

/// The owner a marker RRset names, if it is a WindFlow marker.
fn marker_owner(marker: &RrSet) -> Option<String> {
    marker.values.iter().find_map(|value| match value {
        RecordValue::Txt(text) if text.starts_with(HERITAGE) => text
            .split(',')
            .find_map(|part| part.strip_prefix("owner="))
            .map(str::to_string),
        _ => None,
    })
}

/// Who owns an RRset, as the zone says.
#[derive(Debug, PartialEq, Eq)]
enum Ownership {
    /// Ours (whether the RRset exists or not).
    Ours,
    /// Not there, and no marker: free to create.
    Free,
    /// There without a WindFlow marker.
    Foreign,
    /// Another WindFlow owner's.
    Other(String),
}

/// A zone through a provider, changed only where WindFlow's marker allows.
pub struct ManagedZone {
    provider: Arc<dyn DnsProvider>,
    zone: DomainName,
    owner: OwnerId,
}

impl ManagedZone {
    pub fn new(provider: Arc<dyn DnsProvider>, zone: DomainName, owner: OwnerId) -> Self {
        Self {
            provider,
            zone,
            owner,
        }
    }

    pub fn zone(&self) -> &DomainName {
        &self.zone
    }

    fn ownership(&self, sets: &[RrSet], name: &DomainName, record_type: RecordType) -> Ownership {
        let marker = marker_name(name, record_type).ok();
        let marker_set = sets
            .iter()
            .find(|s| Some(&s.name) == marker.as_ref() && s.record_type == RecordType::Txt);
        let owner = marker_set.and_then(marker_owner);
        // A TXT at the marker's name that is not a WindFlow marker is someone's record too.
        let exists = sets
            .iter()
            .any(|s| &s.name == name && s.record_type == record_type)
            || marker_set.is_some();
        match owner {
            Some(owner) if owner == self.owner.0 => Ownership::Ours,
            Some(owner) => Ownership::Other(owner),
            None if exists => Ownership::Foreign,
            None => Ownership::Free,
        }
    }

    fn refuse(
        &self,
        ownership: Ownership,
        name: &DomainName,
        record_type: RecordType,
    ) -> Result<(), DnsError> {
        match ownership {
            Ownership::Ours | Ownership::Free => Ok(()),
            Ownership::Foreign => Err(DnsError::NotOwned {
                name: name.to_string(),
                record_type: record_type.to_string(),
                marker: marker_name(name, record_type)?.to_string(),
            }),
            Ownership::Other(owner) => Err(DnsError::OwnedByOther {
                name: name.to_string(),
                record_type: record_type.to_string(),
                owner,
                expected: self.owner.0.clone(),
            }),
        }
    }

    /// Writes `rrset` with its marker, unless the RRset exists and is not WindFlow's (or a
    /// CNAME would share its name with other data).
    pub async fn upsert(&self, rrset: &RrSet) -> Result<(), DnsError> {
        rrset.check()?;
        let sets = self.provider.list_records(&self.zone).await?;
        let ownership = self.ownership(&sets, &rrset.name, rrset.record_type);
        self.refuse(ownership, &rrset.name, rrset.record_type)?;
        let conflict = |reason: &str| DnsError::Conflict {
            name: rrset.name.to_string(),
            record_type: rrset.record_type.to_string(),
            reason: reason.to_string(),
        };
        let at_name: Vec<RecordType> = sets
            .iter()
            .filter(|s| s.name == rrset.name && s.record_type != rrset.record_type)
            .map(|s| s.record_type)
            .collect();
        if rrset.record_type == RecordType::Cname && !at_name.is_empty() {
            let types: Vec<String> = at_name.iter().map(ToString::to_string).collect();
            return Err(conflict(&format!(
                "a CNAME must be alone at its name, and {} records exist there",
                types.join(", ")
            )));
        }
        if at_name.contains(&RecordType::Cname) {
            return Err(conflict("a CNAME exists at this name"));
        }
        let marker = RrSet::new(
            marker_name(&rrset.name, rrset.record_type)?,
            RecordType::Txt,
            rrset.ttl,
            vec![RecordValue::Txt(self.owner.marker_text())],
        )?;
        tracing::info!(zone = %self.zone, name = %rrset.name, record_type = %rrset.record_type, "writing a managed DNS record");
        self.provider
            .apply(
                &self.zone,
                &[Change::Upsert(rrset.clone()), Change::Upsert(marker)],
            )
            .await
    }

    /// Removes the RRset and its marker, unless the RRset is not WindFlow's. Nothing happens
    /// when neither exists.
    pub async fn delete(&self, name: &DomainName, record_type: RecordType) -> Result<(), DnsError> {
        let sets = self.provider.list_records(&self.zone).await?;
        let ownership = self.ownership(&sets, name, record_type);
        if matches!(ownership, Ownership::Free) {
            return Ok(());
        }
        self.refuse(ownership, name, record_type)?;
        tracing::info!(zone = %self.zone, name = %name, record_type = %record_type, "removing a managed DNS record");
        self.provider
            .apply(
                &self.zone,
                &[
                    Change::Delete {
                        name: name.clone(),
                        record_type,
                    },
                    Change::Delete {
                        name: marker_name(name, record_type)?,
                        record_type: RecordType::Txt,
                    },
                ],
            )
            .await
    }

    /// The RRsets of the zone that carry this owner's marker.
    pub async fn list_owned(&self) -> Result<Vec<RrSet>, DnsError> {
        let sets = self.provider.list_records(&self.zone).await?;
        Ok(sets
            .iter()
            .filter(|s| {
                matches!(
                    self.ownership(&sets, &s.name, s.record_type),
                    Ownership::Ours
                )
            })
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A provider that is never called: `ownership` only reads the listing it is given.
    struct Unused;

    #[async_trait::async_trait]
    impl DnsProvider for Unused {
        fn describe(&self) -> String {
            "unused".into()
        }
        async fn list_records(&self, _: &DomainName) -> Result<Vec<RrSet>, DnsError> {
            unreachable!()
        }
        async fn apply(&self, _: &DomainName, _: &[Change]) -> Result<(), DnsError> {
            unreachable!()
        }
        async fn dnssec_status(&self, _: &DomainName) -> Result<crate::DnssecStatus, DnsError> {
            unreachable!()
        }
        async fn enable_dnssec(&self, _: &DomainName) -> Result<crate::DnssecStatus, DnsError> {
            unreachable!()
        }
    }

    fn set(name: &str, record_type: RecordType, value: &str) -> RrSet {
        RrSet::new(
            DomainName::parse(name).unwrap(),
            record_type,
            60,
            vec![RecordValue::parse(record_type, value).unwrap()],
        )
        .unwrap()
    }

    fn check(zone: &[RrSet], expected: Ownership) {
        let managed = ManagedZone::new(
            Arc::new(Unused),
            DomainName::parse("example.com").unwrap(),
            OwnerId::parse("me").unwrap(),
        );
        let name = DomainName::parse("app.example.com").unwrap();
        assert_eq!(
            managed.ownership(zone, &name, RecordType::A),
            expected,
            "{zone:?}"
        );
    }

    #[test]
    fn ownership_follows_the_marker() {
        let record = set("app.example.com", RecordType::A, "192.0.2.1");
        let mine = set(
            "_wf-owner-a.app.example.com",
            RecordType::Txt,
            "\"heritage=windflow,owner=me\"",
        );
        let theirs = set(
            "_wf-owner-a.app.example.com",
            RecordType::Txt,
            "\"heritage=windflow,owner=them\"",
        );
        let users_txt = set("_wf-owner-a.app.example.com", RecordType::Txt, "\"hello\"");
        let aaaa_marker = set(
            "_wf-owner-aaaa.app.example.com",
            RecordType::Txt,
            "\"heritage=windflow,owner=me\"",
        );
        check(&[], Ownership::Free);
        check(std::slice::from_ref(&record), Ownership::Foreign);
        check(&[record.clone(), mine.clone()], Ownership::Ours);
        check(&[mine], Ownership::Ours);
        check(&[record.clone(), theirs], Ownership::Other("them".into()));
        check(&[users_txt], Ownership::Foreign);
        check(&[record, aaaa_marker], Ownership::Foreign);
    }

    #[test]
    fn markers_sit_below_the_name_per_type() {
        let name = DomainName::parse("app.example.com").unwrap();
        assert_eq!(
            marker_name(&name, RecordType::Aaaa).unwrap().as_str(),
            "_wf-owner-aaaa.app.example.com."
        );
        assert_eq!(
            marker_name(&name, RecordType::Other(65)).unwrap().as_str(),
            "_wf-owner-type65.app.example.com."
        );
    }

    #[test]
    fn markers_name_their_owner() {
        let owner = OwnerId::parse("prod-1").unwrap();
        let marker = RrSet::new(
            DomainName::parse("_wf-owner-a.app.example.com").unwrap(),
            RecordType::Txt,
            60,
            vec![RecordValue::Txt(owner.marker_text())],
        )
        .unwrap();
        assert_eq!(marker_owner(&marker).as_deref(), Some("prod-1"));
        let foreign = RrSet {
            values: vec![RecordValue::Txt("owner=prod-1".into())],
            ..marker
        };
        assert_eq!(marker_owner(&foreign), None, "no heritage, no ownership");
        assert!(OwnerId::parse("a,b").is_err());
        assert!(OwnerId::parse("").is_err());
    }
}
