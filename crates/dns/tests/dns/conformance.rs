//! What every `DnsProvider` must do, run against each real server it can talk to: RFC 2136 to
//! Knot, RFC 2136 to PowerDNS, PowerDNS's API. A new provider (Cloudflare, Route 53, …) adds
//! one test here before it is used.

use std::sync::Arc;

use windflow_dns::{Change, DnsError, DnsProvider, RecordType, RecordValue, RrSet};

use crate::servers::{Knot, PowerDns, dig, dns_tests_enabled, name};

fn rrset(owner: &str, record_type: RecordType, ttl: u32, values: &[&str]) -> RrSet {
    RrSet::new(
        name(owner),
        record_type,
        ttl,
        values
            .iter()
            .map(|v| RecordValue::parse(record_type, v).unwrap())
            .collect(),
    )
    .unwrap()
}

async fn listed(
    provider: &dyn DnsProvider,
    zone: &str,
    owner: &str,
    t: RecordType,
) -> Option<RrSet> {
    provider
        .list_records(&name(zone))
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == name(owner) && s.record_type == t)
}

/// The suite. `zone` must exist on the server, served on `dns_port`, with an NS record.
async fn provider_conformance(provider: Arc<dyn DnsProvider>, zone: &str, dns_port: u16) {
    let z = name(zone);
    let at = |label: &str| format!("{label}.{zone}");
    let apex = provider.list_records(&z).await.unwrap();
    assert!(
        apex.iter()
            .any(|s| s.name == z && s.record_type == RecordType::Other(6)),
        "the listing holds the SOA: {apex:?}"
    );
    assert!(
        apex.iter()
            .any(|s| s.name == z && s.record_type == RecordType::Ns)
    );

    // Every modelled type goes in and comes back out as written.
    let written = [
        rrset(
            &at("conf"),
            RecordType::A,
            120,
            &["192.0.2.10", "192.0.2.11"],
        ),
        rrset(&at("conf"), RecordType::Aaaa, 120, &["2001:db8::10"]),
        RrSet::new(
            name(&at("conf")),
            RecordType::Txt,
            120,
            vec![
                RecordValue::Txt("v=spf1 -all".into()),
                RecordValue::Txt("t".repeat(300)),
            ],
        )
        .unwrap(),
        rrset(&at("conf"), RecordType::Mx, 120, &["10 mail.example.net."]),
        rrset(&at("alias"), RecordType::Cname, 120, &["conf.example.net."]),
    ];
    // One apply, all of them.
    let changes: Vec<Change> = written.iter().cloned().map(Change::Upsert).collect();
    provider.apply(&z, &changes).await.unwrap();
    for rrset in &written {
        let back = listed(
            provider.as_ref(),
            zone,
            rrset.name.as_str(),
            rrset.record_type,
        )
        .await
        .unwrap_or_else(|| panic!("{} {} listed", rrset.name, rrset.record_type));
        assert_eq!(back.sorted_values(), rrset.sorted_values());
        assert_eq!(back.ttl, 120);
    }
    assert_eq!(
        dig(dns_port, &at("conf"), "A"),
        ["192.0.2.10", "192.0.2.11"]
    );
    assert_eq!(dig(dns_port, &at("conf"), "MX"), ["10 mail.example.net."]);
    assert_eq!(dig(dns_port, &at("alias"), "CNAME"), ["conf.example.net."]);
    let txt = dig(dns_port, &at("conf"), "TXT");
    assert!(txt.contains(&"\"v=spf1 -all\"".to_string()), "{txt:?}");
    assert!(
        txt.iter()
            .any(|l| l.contains(&format!("\"{}\" \"{}\"", "t".repeat(255), "t".repeat(45)))),
        "a long TXT is split into 255-byte strings: {txt:?}"
    );

    // Replacing an RRset replaces all its values (and its TTL).
    provider
        .upsert_rrset(&z, &rrset(&at("conf"), RecordType::A, 60, &["192.0.2.12"]))
        .await
        .unwrap();
    assert_eq!(dig(dns_port, &at("conf"), "A"), ["192.0.2.12"]);
    let back = listed(provider.as_ref(), zone, &at("conf"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(back.ttl, 60);
    assert_eq!(
        dig(dns_port, &at("conf"), "AAAA"),
        ["2001:db8::10"],
        "other types stay"
    );

    // Deleting removes only that RRset; deleting again is fine.
    provider
        .delete_rrset(&z, &name(&at("conf")), RecordType::A)
        .await
        .unwrap();
    provider
        .delete_rrset(&z, &name(&at("conf")), RecordType::A)
        .await
        .unwrap();
    assert!(dig(dns_port, &at("conf"), "A").is_empty());
    assert_eq!(dig(dns_port, &at("conf"), "AAAA"), ["2001:db8::10"]);

    // A name outside the zone is refused before anything is sent.
    let error = provider
        .upsert_rrset(
            &z,
            &rrset("app.elsewhere.example", RecordType::A, 60, &["192.0.2.1"]),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, DnsError::InvalidRrSet { .. }), "{error:?}");
    assert!(!provider.describe().is_empty());
}

#[tokio::test]
async fn rfc2136_to_knot_passes_the_provider_suite() {
    if !dns_tests_enabled(&["knotd", "dig"]) {
        return;
    }
    let knot = Knot::start();
    provider_conformance(Arc::new(knot.provider()), "example.test", knot.port).await;
}

#[tokio::test]
async fn rfc2136_to_powerdns_passes_the_provider_suite() {
    if !dns_tests_enabled(&["pdns_server", "pdnsutil", "sqlite3", "dig"]) {
        return;
    }
    let pdns = PowerDns::start();
    pdns.create_zone("example.test").await;
    let provider = pdns.rfc2136_provider("example.test");
    provider_conformance(Arc::new(provider), "example.test", pdns.port).await;
}

#[tokio::test]
async fn the_powerdns_api_passes_the_provider_suite() {
    if !dns_tests_enabled(&["pdns_server", "sqlite3", "dig"]) {
        return;
    }
    let pdns = PowerDns::start();
    pdns.create_zone("example.test").await;
    provider_conformance(Arc::new(pdns.provider()), "example.test", pdns.port).await;
}
