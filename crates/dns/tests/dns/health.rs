//! The health check against real authoritative servers.

use std::sync::Arc;
use std::time::Duration;

use windflow_dns::{
    CheckOutcome, ManagedZone, OwnerId, RecordType, RecordValue, RrSet, check_records,
};

use crate::servers::{Knot, PowerDns, dns_tests_enabled, free_port, name};

#[tokio::test]
async fn each_authoritative_server_is_asked_and_each_record_reported() {
    if !dns_tests_enabled(&["knotd", "pdns_server", "sqlite3", "dig"]) {
        return;
    }
    let knot = Knot::start();
    let pdns = PowerDns::start();
    pdns.create_zone("example.test").await;
    let written = RrSet::new(
        name("app.example.test"),
        RecordType::A,
        60,
        vec![RecordValue::parse(RecordType::A, "192.0.2.10").unwrap()],
    )
    .unwrap();
    // Knot serves it; PowerDNS (a second "authoritative" server that missed the update) does not.
    ManagedZone::new(
        Arc::new(knot.provider()),
        name("example.test"),
        OwnerId::parse("test-install").unwrap(),
    )
    .upsert(&written)
    .await
    .unwrap();
    // Expected by WindFlow, but the zone holds the user's 192.0.2.99 there.
    let drifted = RrSet::new(
        name("existing.example.test"),
        RecordType::A,
        60,
        vec![RecordValue::parse(RecordType::A, "192.0.2.1").unwrap()],
    )
    .unwrap();
    let elsewhere = RrSet::new(
        name("app.elsewhere.test"),
        RecordType::A,
        60,
        vec![RecordValue::parse(RecordType::A, "192.0.2.1").unwrap()],
    )
    .unwrap();
    let dead = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    let pdns_addr = std::net::SocketAddr::from(([127, 0, 0, 1], pdns.port));
    let checks = check_records(
        &[knot.addr(), pdns_addr, dead],
        &[written.clone(), drifted, elsewhere],
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(checks.len(), 9);
    let outcome = |server, record: &str| {
        checks
            .iter()
            .find(|c| c.server == server && c.name == name(record))
            .map(|c| c.outcome.clone())
            .unwrap()
    };
    assert_eq!(
        outcome(knot.addr(), "app.example.test"),
        CheckOutcome::Match
    );
    assert_eq!(
        outcome(knot.addr(), "existing.example.test"),
        CheckOutcome::Mismatch {
            found: vec![RecordValue::parse(RecordType::A, "192.0.2.99").unwrap()]
        }
    );
    assert_eq!(
        outcome(knot.addr(), "app.elsewhere.test"),
        CheckOutcome::NotAuthoritative
    );
    assert_eq!(
        outcome(pdns_addr, "app.example.test"),
        CheckOutcome::Missing
    );
    assert!(
        matches!(outcome(dead, "app.example.test"), CheckOutcome::Failed(ref m) if m.contains("unreachable")),
        "{checks:?}"
    );
}
