//! Single sign-on (`SsoStore`): providers keep their sealed secret, states and CLI codes are
//! taken once and expire, identities link, and a group mapping only ever touches the
//! memberships it granted.

use super::*;

fn provider(slug: &str, secret: Option<SecretValue>) -> SsoProviderRecord {
    SsoProviderRecord {
        id: id("sso"),
        slug: slug.into(),
        display_name: format!("{slug} IdP"),
        issuer_url: "https://id.example.com".into(),
        client_id: "windflow".into(),
        secret,
        scopes: vec!["email".into(), "groups".into()],
        allowed_domains: vec!["example.com".into()],
        auto_provision: true,
        claims: json!({ "groups": "groups" }),
        group_mappings: json!([{ "group": "devs", "org": "acme", "role": "operator" }]),
        created_at: T0,
        updated_by: "root".into(),
        updated_at: T0,
    }
}

fn sealed(byte: u8) -> SecretValue {
    SecretValue {
        key_id: "k1".into(),
        nonce: vec![byte; 24],
        ciphertext: vec![byte; 40],
    }
}

pub(crate) async fn sso_providers_keep_their_secret_and_slug(store: &dyn Store) {
    let created = store
        .create_sso_provider(provider("corp", Some(sealed(1))))
        .await
        .unwrap();
    assert_eq!(created.secret, Some(sealed(1)));
    assert_eq!(created.scopes, ["email", "groups"]);
    assert!(created.auto_provision);
    assert_conflict(
        store.create_sso_provider(provider("corp", None)).await,
        "SSO provider",
        "slug",
    );
    // An update without a secret keeps the sealed one.
    let mut changed = created.clone();
    changed.secret = None;
    changed.auto_provision = false;
    changed.display_name = "Corp".into();
    let updated = store.update_sso_provider(changed).await.unwrap();
    assert_eq!(updated.secret, Some(sealed(1)));
    assert!(!updated.auto_provision);
    assert_eq!(updated.display_name, "Corp");
    store
        .replace_sso_provider_secret(&created.id, sealed(2))
        .await
        .unwrap();
    let found = store.get_sso_provider("corp").await.unwrap().unwrap();
    assert_eq!(found.secret, Some(sealed(2)));
    store
        .create_sso_provider(provider("another", None))
        .await
        .unwrap();
    let slugs: Vec<String> = store
        .list_sso_providers()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.slug)
        .collect();
    assert_eq!(slugs, ["another", "corp"]);
    store.delete_sso_provider("corp").await.unwrap();
    assert!(store.get_sso_provider("corp").await.unwrap().is_none());
    assert!(matches!(
        store.delete_sso_provider("corp").await,
        Err(StoreError::NotFound(_))
    ));
}

pub(crate) async fn sso_states_and_codes_are_taken_once_before_they_expire(store: &dyn Store) {
    let p = store
        .create_sso_provider(provider("corp", None))
        .await
        .unwrap();
    let alice = user(store, "alice").await;
    let login = |hash: &str, expires_at| SsoLogin {
        state_hash: hash.into(),
        provider_id: p.id.clone(),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        return_to: Some("/o/acme".into()),
        cli_redirect: None,
        created_at: T0,
        expires_at,
    };
    store
        .create_sso_login(login("s1", T0 + 600_000))
        .await
        .unwrap();
    store.create_sso_login(login("s2", T0 + 10)).await.unwrap();
    let taken = store.take_sso_login("s1", T0 + 1).await.unwrap().unwrap();
    assert_eq!(taken.return_to.as_deref(), Some("/o/acme"));
    assert!(
        store.take_sso_login("s1", T0 + 2).await.unwrap().is_none(),
        "a replay"
    );
    assert!(
        store.take_sso_login("s2", T0 + 11).await.unwrap().is_none(),
        "expired"
    );

    let code = |hash: &str, expires_at| SsoCliCode {
        code_hash: hash.into(),
        user_id: alice.id.clone(),
        provider_id: p.id.clone(),
        created_at: T0,
        expires_at,
    };
    store
        .create_sso_cli_code(code("c1", T0 + 60_000))
        .await
        .unwrap();
    store
        .create_sso_cli_code(code("c2", T0 + 10))
        .await
        .unwrap();
    let taken = store
        .take_sso_cli_code("c1", T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.user_id, alice.id);
    assert!(
        store
            .take_sso_cli_code("c1", T0 + 2)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .take_sso_cli_code("c2", T0 + 11)
            .await
            .unwrap()
            .is_none()
    );
}

pub(crate) async fn sso_group_mappings_touch_only_what_they_granted(store: &dyn Store) {
    let p = store
        .create_sso_provider(provider("corp", None))
        .await
        .unwrap();
    let alice = user(store, "alice").await;
    let acme = org(store, "acme").await;
    let beta = org(store, "beta").await;
    let manual = org(store, "manual").await;
    store
        .link_sso_identity(SsoIdentity {
            provider_id: p.id.clone(),
            subject: "sub-1".into(),
            user_id: alice.id.clone(),
            email: Some("alice@example.com".into()),
            created_at: T0,
            last_login_at: T0,
        })
        .await
        .unwrap();
    let linked = store
        .find_sso_identity(&p.id, "sub-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.user_id, alice.id);
    assert!(
        store
            .find_sso_identity(&p.id, "sub-2")
            .await
            .unwrap()
            .is_none()
    );

    // A membership granted by hand.
    store
        .set_member(&manual.id, &alice.id, Role::Viewer)
        .await
        .unwrap();

    let changes = store
        .sync_sso_grants(
            &alice.id,
            &p.id,
            &[
                (acme.id.clone(), Role::Operator),
                (beta.id.clone(), Role::Viewer),
                (manual.id.clone(), Role::Owner),
            ],
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        changes.added,
        [
            (acme.id.clone(), Role::Operator),
            (beta.id.clone(), Role::Viewer)
        ]
    );
    assert_eq!(
        store.get_member_role(&manual.id, &alice.id).await.unwrap(),
        Some(Role::Viewer),
        "a manual membership is not the mapping's to change"
    );

    // acme's role changes, beta's group went away.
    let changes = store
        .sync_sso_grants(&alice.id, &p.id, &[(acme.id.clone(), Role::Admin)], T0 + 1)
        .await
        .unwrap();
    assert_eq!(changes.changed, [(acme.id.clone(), Role::Admin)]);
    assert_eq!(changes.removed, [(beta.id.clone(), Role::Viewer)]);
    assert_eq!(
        store.get_member_role(&beta.id, &alice.id).await.unwrap(),
        None
    );
    assert_eq!(
        store.list_sso_grants(&alice.id).await.unwrap(),
        [(acme.id.clone(), Role::Admin)]
    );

    // A granted membership changed by hand since is left alone when its group goes.
    store
        .set_member(&acme.id, &alice.id, Role::Owner)
        .await
        .unwrap();
    let changes = store
        .sync_sso_grants(&alice.id, &p.id, &[], T0 + 2)
        .await
        .unwrap();
    assert!(changes.removed.is_empty());
    assert_eq!(
        store.get_member_role(&acme.id, &alice.id).await.unwrap(),
        Some(Role::Owner)
    );
    assert!(store.list_sso_grants(&alice.id).await.unwrap().is_empty());
    assert_eq!(
        store.get_member_role(&manual.id, &alice.id).await.unwrap(),
        Some(Role::Viewer)
    );
}
