//! Certificates and ACME accounts (`CertificateStore`), DNS providers and WindFlow's records
//! (`DnsStore`), and stack domains (`DomainStore`).

use super::*;

fn sealed(tag: u8) -> SecretValue {
    SecretValue {
        key_id: format!("key-{tag}"),
        nonce: vec![tag; 24],
        ciphertext: vec![0, tag, 255, 0],
    }
}

fn certificate(name: &str, not_before: Timestamp, not_after: Timestamp) -> NewCertificate {
    NewCertificate {
        id: id("cert"),
        name: name.into(),
        source: CertificateSource::Acme,
        domains: vec!["shop.example.test".into(), "*.example.test".into()],
        chain_pem: "-----BEGIN CERTIFICATE-----\n…".into(),
        key: sealed(1),
        issuer: "Pebble Intermediate CA".into(),
        serial: "0a1b".into(),
        not_before,
        not_after,
        at: T0,
    }
}

pub(crate) async fn certificates_renew_at_two_thirds_and_keep_their_id(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    const DAY: Timestamp = 86_400_000;
    let first = store
        .save_certificate(&w.org.id, certificate("shop", T0, T0 + 90 * DAY))
        .await
        .unwrap();
    assert_eq!(first.org_id, w.org.id);
    assert_eq!(first.key, sealed(1));
    assert_eq!(first.domains, ["shop.example.test", "*.example.test"]);
    assert_eq!(first.renewal_at(), T0 + 60 * DAY);
    let mut uploaded = certificate("legacy", T0, T0 + 30 * DAY);
    uploaded.source = CertificateSource::Uploaded;
    store.save_certificate(&w.org.id, uploaded).await.unwrap();
    // The same name in another organization is another certificate.
    store
        .save_certificate(&other.id, certificate("shop", T0, T0 + 90 * DAY))
        .await
        .unwrap();

    // Due: ACME certificates past two thirds of their lifetime, of every organization;
    // an uploaded one is renewed by its owner, never here.
    let due = |now| async move {
        let found = store.list_certificates_due(now).await.unwrap();
        found.into_iter().map(|c| c.org_id).collect::<Vec<_>>()
    };
    assert!(due(T0 + 59 * DAY).await.is_empty());
    assert_eq!(due(T0 + 60 * DAY).await.len(), 2);

    // A failure is recorded and backs the certificate off; the certificate stays.
    store
        .record_renewal_failure(&w.org.id, &first.id, "rate limited", 1, T0 + 61 * DAY)
        .await
        .unwrap();
    assert_eq!(due(T0 + 60 * DAY).await, vec![other.id.clone()]);
    assert_eq!(due(T0 + 61 * DAY).await.len(), 2);
    let failed = store.get_certificate(&w.org.id, "shop").await.unwrap();
    assert_eq!(failed.renewal_error.as_deref(), Some("rate limited"));
    assert_eq!(failed.renewal_attempts, 1);
    // The record's own test agrees with the query's.
    assert!(!failed.renewal_due(T0 + 60 * DAY));
    assert!(failed.renewal_due(T0 + 61 * DAY));
    assert_eq!(failed.chain_pem, first.chain_pem);
    // Another organization cannot touch it.
    assert!(matches!(
        store
            .record_renewal_failure(&other.id, &first.id, "x", 1, T0)
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Renewed: same name, same id, new validity, failures cleared.
    let mut renewed = certificate("shop", T0 + 60 * DAY, T0 + 150 * DAY);
    renewed.key = sealed(2);
    let renewed = store.save_certificate(&w.org.id, renewed).await.unwrap();
    assert_eq!(renewed.id, first.id);
    assert_eq!(renewed.created_at, first.created_at);
    assert_eq!(renewed.key, sealed(2));
    assert_eq!(renewed.renewal_error, None);
    assert_eq!(renewed.renewal_attempts, 0);
    assert_eq!(renewed.next_attempt_at, None);

    let names: Vec<String> = store
        .list_certificates(&w.org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["legacy", "shop"]);
    assert_eq!(store.list_all_certificates().await.unwrap().len(), 3);
    store
        .replace_certificate_key(&first.id, sealed(3))
        .await
        .unwrap();
    assert_eq!(
        store.get_certificate(&w.org.id, "shop").await.unwrap().key,
        sealed(3)
    );
    store.delete_certificate(&w.org.id, "shop").await.unwrap();
    assert!(matches!(
        store.get_certificate(&w.org.id, "shop").await,
        Err(StoreError::NotFound("certificate"))
    ));
    assert!(store.get_certificate(&other.id, "shop").await.is_ok());

    // ACME accounts: one per organization and directory.
    let directory = "https://127.0.0.1:14000/dir";
    assert_eq!(
        store.get_acme_account(&w.org.id, directory).await.unwrap(),
        None
    );
    let account = AcmeAccountRecord {
        org_id: w.org.id.clone(),
        directory_url: directory.into(),
        contact: Some("mailto:ops@example.test".into()),
        credentials: sealed(4),
        created_at: T0,
    };
    store.create_acme_account(account.clone()).await.unwrap();
    assert!(matches!(
        store.create_acme_account(account.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.get_acme_account(&w.org.id, directory).await.unwrap(),
        Some(account)
    );
    assert_eq!(
        store.get_acme_account(&other.id, directory).await.unwrap(),
        None
    );
    store
        .replace_acme_account_credentials(&w.org.id, directory, sealed(7))
        .await
        .unwrap();
    let all = store.list_all_acme_accounts().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].credentials, sealed(7));
    assert!(
        store
            .replace_acme_account_credentials(&other.id, directory, sealed(8))
            .await
            .is_err()
    );
}

pub(crate) async fn dns_records_belong_to_their_owner(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let provider = store
        .create_dns_provider(
            &w.org.id,
            NewDnsProvider {
                id: id("dns"),
                name: "knot".into(),
                kind: "rfc2136".into(),
                config: json!({"server": "127.0.0.1:5353", "key_name": "windflow"}),
                secret: Some(sealed(5)),
                at: T0,
            },
        )
        .await
        .unwrap();
    assert_eq!(provider.secret, Some(sealed(5)));
    assert_eq!(provider.config["key_name"], "windflow");
    assert!(matches!(
        store
            .create_dns_provider(
                &w.org.id,
                NewDnsProvider {
                    id: id("dns"),
                    name: "knot".into(),
                    kind: "powerdns".into(),
                    config: json!({}),
                    secret: None,
                    at: T0,
                },
            )
            .await,
        Err(StoreError::Conflict { field: "name", .. })
    ));
    assert!(store.get_dns_provider(&other.id, "knot").await.is_err());

    let record = |owner: &str, values: &[&str]| DnsRecordRow {
        id: id("rec"),
        org_id: w.org.id.clone(),
        provider_id: provider.id.clone(),
        zone: "example.test".into(),
        name: "shop.example.test".into(),
        record_type: "A".into(),
        values: values.iter().map(|v| v.to_string()).collect(),
        owner: owner.into(),
        created_at: T0,
        health: DnsHealth::Unchecked,
        health_detail: None,
        checked_at: None,
    };
    let saved = store
        .save_dns_record(record("stack:a", &["192.0.2.1"]))
        .await
        .unwrap();
    // The owner updates its record in place.
    let updated = store
        .save_dns_record(record("stack:a", &["192.0.2.2", "192.0.2.3"]))
        .await
        .unwrap();
    assert_eq!(updated.id, saved.id);
    assert_eq!(updated.values, ["192.0.2.2", "192.0.2.3"]);
    assert_eq!(updated.health, DnsHealth::Unchecked);

    // Health checks: stored per record, only in its organization, compare and set on the
    // health the checker read (two checks at once report a change once); kept while the
    // values stay, forgotten when they change.
    let check = |health, detail, checked_at| DnsCheck {
        health,
        detail,
        checked_at,
    };
    let mismatch = check(
        DnsHealth::Mismatch,
        Some("127.0.0.1:53 answered 192.0.2.66"),
        T0 + 5,
    );
    assert!(
        store
            .record_dns_check(&w.org.id, &saved.id, DnsHealth::Unchecked, mismatch)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_dns_check(&w.org.id, &saved.id, DnsHealth::Unchecked, mismatch)
            .await
            .unwrap(),
        "a second check that read the old health changes nothing"
    );
    assert!(
        !store
            .record_dns_check(
                &other.id,
                &saved.id,
                DnsHealth::Mismatch,
                check(DnsHealth::InSync, None, T0 + 6)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_dns_check(&w.org.id, "nothing", DnsHealth::Unchecked, mismatch)
            .await
            .unwrap()
    );
    let checked = &store.list_dns_records(&w.org.id, None).await.unwrap()[0];
    assert_eq!(checked.health, DnsHealth::Mismatch);
    assert_eq!(
        checked.health_detail.as_deref(),
        Some("127.0.0.1:53 answered 192.0.2.66")
    );
    assert_eq!(checked.checked_at, Some(T0 + 5));
    let same = store
        .save_dns_record(record("stack:a", &["192.0.2.2", "192.0.2.3"]))
        .await
        .unwrap();
    assert_eq!(
        (same.health, same.checked_at),
        (DnsHealth::Mismatch, Some(T0 + 5))
    );
    let changed = store
        .save_dns_record(record("stack:a", &["192.0.2.4"]))
        .await
        .unwrap();
    assert_eq!(
        (
            changed.health,
            changed.health_detail.clone(),
            changed.checked_at
        ),
        (DnsHealth::Unchecked, None, None)
    );
    store
        .save_dns_record(record("stack:a", &["192.0.2.2", "192.0.2.3"]))
        .await
        .unwrap();
    // Another stack cannot take the name over.
    assert!(matches!(
        store
            .save_dns_record(record("stack:b", &["192.0.2.9"]))
            .await,
        Err(StoreError::Conflict { field: "owner", .. })
    ));
    // Nor can another organization write through this provider.
    let mut foreign = record("stack:a", &["192.0.2.9"]);
    foreign.org_id = other.id.clone();
    assert!(matches!(
        store.save_dns_record(foreign).await,
        Err(StoreError::NotFound("DNS provider"))
    ));
    assert_eq!(
        store
            .list_dns_records(&w.org.id, Some("stack:a"))
            .await
            .unwrap()[0]
            .values,
        ["192.0.2.2", "192.0.2.3"]
    );
    assert!(
        store
            .list_dns_records(&w.org.id, Some("stack:b"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_dns_records(&other.id, None)
            .await
            .unwrap()
            .is_empty()
    );

    // A provider holding records cannot be deleted.
    assert!(matches!(
        store.delete_dns_provider(&w.org.id, "knot").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(store.delete_dns_record(&other.id, &saved.id).await.is_err());
    store.delete_dns_record(&w.org.id, &saved.id).await.unwrap();
    assert_eq!(store.list_all_dns_providers().await.unwrap().len(), 1);
    store
        .replace_dns_provider_secret(&provider.id, sealed(6))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_dns_provider(&w.org.id, "knot")
            .await
            .unwrap()
            .secret,
        Some(sealed(6))
    );
    store.delete_dns_provider(&w.org.id, "knot").await.unwrap();
    assert!(
        store
            .list_dns_providers(&w.org.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn stack_domains_by_environment(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let prod = environment(store, &w.org.id, "prod").await;
    let ingress = |host: &str| -> windflow_domain::Ingress {
        serde_json::from_value(json!({"domains": [host], "port": 80, "tls": "auto"})).unwrap()
    };
    let set = |environment_id: Option<&str>, host: &str| StackDomains {
        stack_id: w.stack.id.clone(),
        environment_id: environment_id.map(str::to_string),
        service: "web".into(),
        ingress: ingress(host),
        updated_by: w.alice.id.clone(),
        updated_at: T0,
    };
    store
        .set_stack_domains(&w.org.id, set(None, "staging.example.test"))
        .await
        .unwrap();
    store
        .set_stack_domains(&w.org.id, set(Some(&prod.id), "old.example.test"))
        .await
        .unwrap();
    store
        .set_stack_domains(&w.org.id, set(Some(&prod.id), "shop.example.test"))
        .await
        .unwrap();
    let listed = store
        .list_stack_domains(&w.org.id, &w.stack.id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].environment_id, None);
    assert_eq!(listed[1].environment_id.as_deref(), Some(prod.id.as_str()));
    assert_eq!(listed[1].ingress, ingress("shop.example.test"));
    // Another organization neither sees nor writes them.
    assert!(
        store
            .list_stack_domains(&other.id, &w.stack.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .set_stack_domains(&other.id, set(None, "x.example.test"))
            .await,
        Err(StoreError::NotFound("stack"))
    ));
    store
        .delete_stack_domains(&w.org.id, &w.stack.id, Some(&prod.id), "web")
        .await
        .unwrap();
    assert!(
        store
            .delete_stack_domains(&w.org.id, &w.stack.id, Some(&prod.id), "web")
            .await
            .is_err()
    );
    assert_eq!(
        store
            .list_stack_domains(&w.org.id, &w.stack.id)
            .await
            .unwrap()
            .len(),
        1
    );
}
