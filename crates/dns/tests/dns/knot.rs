//! The RFC 2136 provider against knotd.

use std::sync::Arc;

use windflow_dns::{
    DnsError, DnsProvider, KeyRole, ManagedZone, OwnerId, RecordType, RecordValue, RrSet,
};

use crate::servers::{KNOT_KEY, KNOT_KEY_512, Knot, delv, dig, dns_tests_enabled, name};

const KNOT_TOOLS: &[&str] = &["knotd", "keymgr", "dig", "delv"];

fn managed(knot: &Knot, zone: &str) -> ManagedZone {
    ManagedZone::new(
        Arc::new(knot.provider()),
        name(zone),
        OwnerId::parse("test-install").unwrap(),
    )
}

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
async fn records_are_created_updated_and_deleted_as_dig_shows() {
    if !dns_tests_enabled(KNOT_TOOLS) {
        return;
    }
    let knot = Knot::start();
    let zone = managed(&knot, "example.test");

    zone.upsert(&rrset(
        "app.example.test",
        RecordType::A,
        120,
        &["192.0.2.10", "192.0.2.11"],
    ))
    .await
    .unwrap();
    assert_eq!(
        dig(knot.port, "app.example.test", "A"),
        ["192.0.2.10", "192.0.2.11"]
    );
    assert_eq!(
        dig(knot.port, "_wf-owner-a.app.example.test", "TXT"),
        ["\"heritage=windflow,owner=test-install\""]
    );

    // An update replaces the whole RRset.
    zone.upsert(&rrset(
        "app.example.test",
        RecordType::A,
        120,
        &["192.0.2.12"],
    ))
    .await
    .unwrap();
    assert_eq!(dig(knot.port, "app.example.test", "A"), ["192.0.2.12"]);

    zone.upsert(&rrset(
        "app.example.test",
        RecordType::Aaaa,
        120,
        &["2001:db8::12"],
    ))
    .await
    .unwrap();
    zone.upsert(&rrset(
        "app.example.test",
        RecordType::Txt,
        120,
        &[r#""v=spf1 -all""#, r#""say \"hi\"""#],
    ))
    .await
    .unwrap();
    zone.upsert(&rrset(
        "www.example.test",
        RecordType::Cname,
        120,
        &["app.example.test."],
    ))
    .await
    .unwrap();
    assert_eq!(dig(knot.port, "app.example.test", "AAAA"), ["2001:db8::12"]);
    assert_eq!(
        dig(knot.port, "app.example.test", "TXT"),
        [r#""say \"hi\"""#, r#""v=spf1 -all""#]
    );
    assert_eq!(
        dig(knot.port, "www.example.test", "CNAME"),
        ["app.example.test."]
    );

    // The zone transfer lists them, markers included.
    let sets = knot
        .provider()
        .list_records(&name("example.test"))
        .await
        .unwrap();
    let app_a = sets
        .iter()
        .find(|s| s.name == name("app.example.test") && s.record_type == RecordType::A)
        .expect("app A listed");
    assert_eq!(app_a.ttl, 120);
    assert_eq!(app_a.sorted_values(), ["192.0.2.12"]);
    let owned = zone.list_owned().await.unwrap();
    assert_eq!(owned.len(), 4, "{owned:?}");

    zone.delete(&name("app.example.test"), RecordType::A)
        .await
        .unwrap();
    assert!(dig(knot.port, "app.example.test", "A").is_empty());
    assert!(dig(knot.port, "_wf-owner-a.app.example.test", "TXT").is_empty());
    assert_eq!(dig(knot.port, "app.example.test", "AAAA"), ["2001:db8::12"]);
    // Deleting what is already gone is not an error.
    zone.delete(&name("app.example.test"), RecordType::A)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_record_made_by_hand_is_left_untouched() {
    if !dns_tests_enabled(KNOT_TOOLS) {
        return;
    }
    let knot = Knot::start();
    let zone = managed(&knot, "example.test");

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
    let message = error.to_string();
    assert!(
        message.contains("existing.example.test. A") && message.contains("not created by WindFlow"),
        "{message}"
    );
    let error = zone
        .delete(&name("existing.example.test"), RecordType::Txt)
        .await
        .unwrap_err();
    assert!(matches!(error, DnsError::NotOwned { .. }), "{error:?}");
    // A CNAME next to the user's records would hide them: refused too.
    let error = zone
        .upsert(&rrset(
            "existing.example.test",
            RecordType::Cname,
            60,
            &["app.example.test."],
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(error, DnsError::NotOwned { .. } | DnsError::Conflict { .. }),
        "{error:?}"
    );
    assert_eq!(dig(knot.port, "existing.example.test", "A"), ["192.0.2.99"]);
    assert_eq!(
        dig(knot.port, "existing.example.test", "TXT"),
        ["\"made by hand\""]
    );

    // Another WindFlow installation's record is not ours either.
    let other = ManagedZone::new(
        Arc::new(knot.provider()),
        name("example.test"),
        OwnerId::parse("other-install").unwrap(),
    );
    other
        .upsert(&rrset(
            "shared.example.test",
            RecordType::A,
            60,
            &["192.0.2.5"],
        ))
        .await
        .unwrap();
    let error = zone
        .upsert(&rrset(
            "shared.example.test",
            RecordType::A,
            60,
            &["192.0.2.6"],
        ))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("belongs to WindFlow owner 'other-install'"),
        "{error}"
    );
    assert_eq!(dig(knot.port, "shared.example.test", "A"), ["192.0.2.5"]);
}

#[tokio::test]
async fn a_wrong_tsig_key_is_a_clear_error_and_changes_nothing() {
    if !dns_tests_enabled(KNOT_TOOLS) {
        return;
    }
    let knot = Knot::start();
    let wrong_secret = knot.provider_with(KNOT_KEY, &crate::servers::random_secret());
    let change = rrset("app.example.test", RecordType::A, 60, &["192.0.2.10"]);
    let error = wrong_secret
        .upsert_rrset(&name("example.test"), &change)
        .await
        .unwrap_err();
    assert!(matches!(error, DnsError::TsigRefused { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("refused the TSIG key 'windflow'") && message.contains("BADSIG"),
        "{message}"
    );
    let error = wrong_secret
        .list_records(&name("example.test"))
        .await
        .unwrap_err();
    assert!(matches!(error, DnsError::TsigRefused { .. }), "{error:?}");

    let unknown_key = knot.provider_with("nobody", &knot.secret);
    let error = unknown_key
        .upsert_rrset(&name("example.test"), &change)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("refused the TSIG key 'nobody' (BADKEY)"),
        "{error}"
    );
    assert!(dig(knot.port, "app.example.test", "A").is_empty());
}

#[tokio::test]
async fn a_zone_the_server_does_not_serve_and_a_dead_server_are_named() {
    if !dns_tests_enabled(KNOT_TOOLS) {
        return;
    }
    let knot = Knot::start();
    let error = knot
        .provider()
        .upsert_rrset(
            &name("other.test"),
            &rrset("app.other.test", RecordType::A, 60, &["192.0.2.1"]),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, DnsError::ZoneNotServed { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("does not serve the zone other.test."),
        "{error}"
    );

    let dead = {
        let port = crate::servers::free_port();
        let mut config = windflow_dns::Rfc2136Config::new(
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            windflow_dns::TsigKey {
                name: KNOT_KEY.into(),
                algorithm: Default::default(),
                secret: windflow_dns::Secret::new(knot.secret.clone()),
            },
        );
        config.timeout = std::time::Duration::from_secs(2);
        windflow_dns::Rfc2136Provider::new(config).unwrap()
    };
    let error = dead.list_records(&name("example.test")).await.unwrap_err();
    assert!(matches!(error, DnsError::Unreachable { .. }), "{error:?}");
    assert!(error.to_string().contains("unreachable"), "{error}");
}

#[tokio::test]
async fn dnssec_status_matches_keymgr_and_the_zone_validates_with_its_ds() {
    if !dns_tests_enabled(KNOT_TOOLS) {
        return;
    }
    let knot = Knot::start();
    let provider = knot.provider();

    let unsigned = provider.dnssec_status(&name("example.test")).await.unwrap();
    assert!(!unsigned.signed && unsigned.keys.is_empty(), "{unsigned:?}");

    let status = provider.dnssec_status(&name("signed.test")).await.unwrap();
    assert!(status.signed, "{status:?}");
    let mut roles: Vec<KeyRole> = status.keys.iter().map(|k| k.role).collect();
    roles.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(roles, [KeyRole::Ksk, KeyRole::Zsk], "{status:?}");
    assert!(
        status.keys.iter().all(|k| k.algorithm.0 == 13),
        "ECDSA P-256: {status:?}"
    );
    assert_eq!(status.ds_records.len(), 1, "{status:?}");
    let ds = status.ds_records[0].to_string();

    // Knot's own tooling computes the same DS.
    let keymgr: Vec<String> = knot
        .keymgr_ds("signed.test")
        .iter()
        .filter_map(|line| line.split(" DS ").nth(1))
        .map(str::to_ascii_uppercase)
        .collect();
    assert!(keymgr.contains(&ds), "crate {ds}, keymgr {keymgr:?}");

    // A record written by WindFlow is signed, and validates from the DS the crate reports.
    managed(&knot, "signed.test")
        .upsert(&rrset(
            "app.signed.test",
            RecordType::A,
            60,
            &["192.0.2.30"],
        ))
        .await
        .unwrap();
    let delv_out = delv(
        knot.dir.path(),
        knot.port,
        "signed.test",
        &ds,
        "app.signed.test",
        "A",
    );
    assert!(delv_out.contains("; fully validated"), "{delv_out}");
    // The check means something: a DS with another digest does not validate.
    let wrong_ds = format!("{} {}", &ds[..ds.len() - 4], "0000");
    let wrong = delv(
        knot.dir.path(),
        knot.port,
        "signed.test",
        &wrong_ds,
        "app.signed.test",
        "A",
    );
    assert!(!wrong.contains("; fully validated"), "{wrong}");
    assert!(delv_out.contains("192.0.2.30"), "{delv_out}");

    // RFC 2136 cannot turn signing on: the error says where to do it.
    let error = provider
        .enable_dnssec(&name("example.test"))
        .await
        .unwrap_err();
    assert!(matches!(error, DnsError::Unsupported { .. }), "{error:?}");
    assert!(error.to_string().contains("dnssec-signing: on"), "{error}");
}

#[tokio::test]
async fn a_large_zone_transfers_in_many_signed_messages_with_a_sha512_key() {
    if !dns_tests_enabled(KNOT_TOOLS) {
        return;
    }
    // About 300 KB of records: the AXFR spans several TSIG-signed messages.
    let extra: String = (0..3000)
        .map(|i| format!("host{i} TXT \"{}\"\n", "x".repeat(80)))
        .collect();
    let knot = Knot::start_with(&extra);
    let provider = knot.provider_with(KNOT_KEY_512, &knot.secret);
    let sets = provider.list_records(&name("example.test")).await.unwrap();
    let hosts = sets
        .iter()
        .filter(|s| s.name.as_str().starts_with("host"))
        .count();
    assert_eq!(hosts, 3000);
    assert!(
        sets.iter()
            .any(|s| s.name == name("existing.example.test") && s.record_type == RecordType::A)
    );
    provider
        .upsert_rrset(
            &name("example.test"),
            &rrset("host1.example.test", RecordType::Txt, 60, &["\"changed\""]),
        )
        .await
        .unwrap();
    assert_eq!(dig(knot.port, "host1.example.test", "TXT"), ["\"changed\""]);
}
