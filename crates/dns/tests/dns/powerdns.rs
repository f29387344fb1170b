//! The PowerDNS HTTP API provider against pdns_server with the sqlite3 backend.

use std::sync::Arc;

use windflow_dns::{
    DnsError, DnsProvider, KeyRole, ManagedZone, OwnerId, RecordType, RecordValue, RrSet,
};

use crate::servers::{PowerDns, delv, dig, dns_tests_enabled, name};

const PDNS_TOOLS: &[&str] = &["pdns_server", "pdnsutil", "sqlite3", "dig", "delv"];

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

#[tokio::test]
async fn records_go_through_the_api_as_dig_shows_and_foreign_ones_stay() {
    if !dns_tests_enabled(PDNS_TOOLS) {
        return;
    }
    let pdns = PowerDns::start();
    pdns.create_zone("example.test").await;
    let provider = Arc::new(pdns.provider());
    // A record the user made (no marker), straight through the API.
    provider
        .upsert_rrset(
            &name("example.test"),
            &rrset("existing.example.test", RecordType::A, 300, &["192.0.2.99"]),
        )
        .await
        .unwrap();
    let zone = ManagedZone::new(
        provider.clone(),
        name("example.test"),
        OwnerId::parse("test-install").unwrap(),
    );

    zone.upsert(&rrset(
        "app.example.test",
        RecordType::A,
        120,
        &["192.0.2.10", "192.0.2.11"],
    ))
    .await
    .unwrap();
    zone.upsert(&rrset(
        "app.example.test",
        RecordType::Txt,
        120,
        &[r#""v=spf1 -all""#],
    ))
    .await
    .unwrap();
    zone.upsert(&rrset(
        "example.test",
        RecordType::Mx,
        120,
        &["10 mail.example.test."],
    ))
    .await
    .unwrap();
    assert_eq!(
        dig(pdns.port, "app.example.test", "A"),
        ["192.0.2.10", "192.0.2.11"]
    );
    assert_eq!(
        dig(pdns.port, "app.example.test", "TXT"),
        ["\"v=spf1 -all\""]
    );
    assert_eq!(
        dig(pdns.port, "example.test", "MX"),
        ["10 mail.example.test."]
    );
    assert_eq!(
        dig(pdns.port, "_wf-owner-a.app.example.test", "TXT"),
        ["\"heritage=windflow,owner=test-install\""]
    );

    zone.upsert(&rrset(
        "app.example.test",
        RecordType::A,
        120,
        &["192.0.2.12"],
    ))
    .await
    .unwrap();
    assert_eq!(dig(pdns.port, "app.example.test", "A"), ["192.0.2.12"]);
    zone.delete(&name("app.example.test"), RecordType::A)
        .await
        .unwrap();
    assert!(dig(pdns.port, "app.example.test", "A").is_empty());
    assert!(dig(pdns.port, "_wf-owner-a.app.example.test", "TXT").is_empty());

    let error = zone
        .upsert(&rrset(
            "existing.example.test",
            RecordType::A,
            60,
            &["192.0.2.1"],
        ))
        .await
        .unwrap_err();
    assert!(matches!(error, DnsError::NotOwned { .. }), "{error:?}");
    let error = zone
        .delete(&name("existing.example.test"), RecordType::A)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("existing.example.test. A"),
        "{error}"
    );
    assert_eq!(dig(pdns.port, "existing.example.test", "A"), ["192.0.2.99"]);
}

#[tokio::test]
async fn a_wrong_api_key_and_a_missing_zone_are_named() {
    if !dns_tests_enabled(PDNS_TOOLS) {
        return;
    }
    let pdns = PowerDns::start();
    pdns.create_zone("example.test").await;
    let change = rrset("app.example.test", RecordType::A, 60, &["192.0.2.10"]);

    let error = pdns
        .provider_with("wrong-key")
        .upsert_rrset(&name("example.test"), &change)
        .await
        .unwrap_err();
    assert!(
        matches!(error, DnsError::ApiAuth { status: 401, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("refused the API key"), "{error}");
    assert!(!format!("{error:?}").contains(&pdns.api_key));
    assert!(dig(pdns.port, "app.example.test", "A").is_empty());

    let error = pdns
        .provider()
        .list_records(&name("other.test"))
        .await
        .unwrap_err();
    assert!(matches!(error, DnsError::ZoneNotServed { .. }), "{error:?}");
}

#[tokio::test]
async fn the_dns_address_comes_from_the_servers_settings() {
    if !dns_tests_enabled(PDNS_TOOLS) {
        return;
    }
    let pdns = PowerDns::start();
    pdns.create_zone("example.test").await;
    let servers = pdns
        .provider()
        .nameservers(&name("example.test"))
        .await
        .unwrap();
    assert_eq!(
        servers,
        [std::net::SocketAddr::from(([127, 0, 0, 1], pdns.port))]
    );
}

#[tokio::test]
async fn dnssec_is_enabled_through_the_api_and_validates_with_the_reported_ds() {
    if !dns_tests_enabled(PDNS_TOOLS) {
        return;
    }
    let pdns = PowerDns::start();
    pdns.create_zone("signed.test").await;
    let provider = Arc::new(pdns.provider());

    let before = provider.dnssec_status(&name("signed.test")).await.unwrap();
    assert!(!before.signed && before.keys.is_empty(), "{before:?}");

    let status = provider.enable_dnssec(&name("signed.test")).await.unwrap();
    assert!(status.signed, "{status:?}");
    assert_eq!(status.keys.len(), 1, "{status:?}");
    assert_eq!(status.keys[0].role, KeyRole::Csk);
    assert_eq!(status.keys[0].algorithm.0, 13);
    assert_eq!(status.ds_records.len(), 1, "{status:?}");
    let ds = status.ds_records[0].to_string();
    let pdnsutil: Vec<String> = pdns
        .pdnsutil_ds("signed.test")
        .iter()
        .map(|d| d.to_ascii_uppercase())
        .collect();
    assert_eq!(pdnsutil, std::slice::from_ref(&ds));
    // Enabling again changes nothing.
    assert_eq!(
        provider.enable_dnssec(&name("signed.test")).await.unwrap(),
        status
    );

    ManagedZone::new(
        provider.clone(),
        name("signed.test"),
        OwnerId::parse("test-install").unwrap(),
    )
    .upsert(&rrset(
        "app.signed.test",
        RecordType::A,
        60,
        &["192.0.2.40"],
    ))
    .await
    .unwrap();
    let delv_out = delv(
        pdns.dir.path(),
        pdns.port,
        "signed.test",
        &ds,
        "app.signed.test",
        "A",
    );
    assert!(delv_out.contains("; fully validated"), "{delv_out}");
    // The check means something: a DS with another digest does not validate.
    let wrong_ds = format!("{} {}", &ds[..ds.len() - 4], "0000");
    let wrong = delv(
        pdns.dir.path(),
        pdns.port,
        "signed.test",
        &wrong_ds,
        "app.signed.test",
        "A",
    );
    assert!(!wrong.contains("; fully validated"), "{wrong}");
    assert!(delv_out.contains("192.0.2.40"), "{delv_out}");
}
