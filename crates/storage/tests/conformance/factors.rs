//! Second factors and login policies (`FactorStore`).

use super::*;

fn sealed(tag: u8) -> SecretValue {
    SecretValue {
        key_id: format!("k{tag}"),
        nonce: vec![tag; 24],
        ciphertext: vec![tag; 36],
    }
}

fn pending(user_id: &str, tag: u8, at: Timestamp) -> TotpFactor {
    TotpFactor {
        user_id: user_id.into(),
        secret: sealed(tag),
        confirmed_at: None,
        last_step: None,
        last_used_at: None,
        created_at: at,
    }
}

pub(crate) async fn totp_factors_confirm_once_and_refuse_replayed_steps(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    assert_eq!(store.get_totp_factor(&alice.id).await.unwrap(), None);
    assert_not_found(
        store.put_pending_totp(pending("nobody", 1, T0)).await,
        "user",
    );

    // A pending factor is replaced by a new enrolment; nothing is usable before confirmation.
    store
        .put_pending_totp(pending(&alice.id, 1, T0))
        .await
        .unwrap();
    store
        .put_pending_totp(pending(&alice.id, 2, T0 + 1))
        .await
        .unwrap();
    let factor = store.get_totp_factor(&alice.id).await.unwrap().unwrap();
    assert_eq!(factor, pending(&alice.id, 2, T0 + 1));
    assert!(!store.use_totp_step(&alice.id, 100, T0 + 2).await.unwrap());

    let hashes: Vec<String> = (0..10).map(|n| format!("hash-{n}")).collect();
    store
        .confirm_totp(&alice.id, 100, T0 + 3, &hashes)
        .await
        .unwrap();
    assert_not_found(
        store.confirm_totp(&alice.id, 101, T0 + 4, &hashes).await,
        "pending second factor",
    );
    assert_not_found(
        store.confirm_totp(&bob.id, 101, T0 + 4, &hashes).await,
        "pending second factor",
    );
    let factor = store.get_totp_factor(&alice.id).await.unwrap().unwrap();
    assert_eq!(factor.confirmed_at, Some(T0 + 3));
    assert_eq!(factor.last_step, Some(100));
    // A confirmed factor is not replaced by a new enrolment.
    assert_conflict(
        store.put_pending_totp(pending(&alice.id, 3, T0 + 5)).await,
        "second factor",
        "totp",
    );
    assert_eq!(
        store
            .get_totp_factor(&alice.id)
            .await
            .unwrap()
            .unwrap()
            .secret,
        sealed(2)
    );

    // Steps are accepted once, in increasing order only.
    assert!(!store.use_totp_step(&alice.id, 100, T0 + 6).await.unwrap());
    assert!(!store.use_totp_step(&alice.id, 99, T0 + 6).await.unwrap());
    assert!(store.use_totp_step(&alice.id, 101, T0 + 6).await.unwrap());
    assert!(!store.use_totp_step(&alice.id, 101, T0 + 7).await.unwrap());
    // Two concurrent uses of the same step: exactly one wins.
    let tries = join_all((0..4).map(|_| store.use_totp_step(&alice.id, 105, T0 + 8))).await;
    assert_eq!(
        tries.into_iter().filter(|r| *r.as_ref().unwrap()).count(),
        1
    );
    let factor = store.get_totp_factor(&alice.id).await.unwrap().unwrap();
    assert_eq!(
        (factor.last_step, factor.last_used_at),
        (Some(105), Some(T0 + 8))
    );

    // Re-sealing.
    let all = store.list_all_totp_factors().await.unwrap();
    assert_eq!(all.len(), 1);
    store
        .replace_totp_secret(&alice.id, sealed(9))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_totp_factor(&alice.id)
            .await
            .unwrap()
            .unwrap()
            .secret,
        sealed(9)
    );
    assert_not_found(
        store.replace_totp_secret(&bob.id, sealed(9)).await,
        "second factor",
    );

    assert!(store.delete_second_factors(&alice.id).await.unwrap());
    assert!(!store.delete_second_factors(&alice.id).await.unwrap());
    assert_eq!(store.get_totp_factor(&alice.id).await.unwrap(), None);
    assert_eq!(store.count_recovery_codes(&alice.id).await.unwrap(), 0);
}

pub(crate) async fn recovery_codes_work_once_for_their_owner(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    store
        .put_pending_totp(pending(&alice.id, 1, T0))
        .await
        .unwrap();
    let hashes: Vec<String> = (0..10).map(|n| format!("hash-{n}")).collect();
    store.confirm_totp(&alice.id, 1, T0, &hashes).await.unwrap();
    assert_eq!(store.count_recovery_codes(&alice.id).await.unwrap(), 10);

    assert!(
        !store
            .use_recovery_code(&bob.id, "hash-3", T0)
            .await
            .unwrap()
    );
    assert!(
        store
            .use_recovery_code(&alice.id, "hash-3", T0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_recovery_code(&alice.id, "hash-3", T0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_recovery_code(&alice.id, "other", T0)
            .await
            .unwrap()
    );
    assert_eq!(store.count_recovery_codes(&alice.id).await.unwrap(), 9);
    let tries = join_all((0..4).map(|_| store.use_recovery_code(&alice.id, "hash-4", T0))).await;
    assert_eq!(
        tries.into_iter().filter(|r| *r.as_ref().unwrap()).count(),
        1
    );

    let fresh: Vec<String> = (0..10).map(|n| format!("fresh-{n}")).collect();
    store
        .replace_recovery_codes(&alice.id, &fresh, T0 + 1)
        .await
        .unwrap();
    assert_eq!(store.count_recovery_codes(&alice.id).await.unwrap(), 10);
    assert!(
        !store
            .use_recovery_code(&alice.id, "hash-5", T0)
            .await
            .unwrap()
    );
    assert!(
        store
            .use_recovery_code(&alice.id, "fresh-5", T0)
            .await
            .unwrap()
    );
    assert!(store.delete_second_factors(&alice.id).await.unwrap());
    assert_eq!(store.count_recovery_codes(&alice.id).await.unwrap(), 0);
}

pub(crate) async fn login_policies_per_organization(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme").await;
    let beta = org(store, "beta").await;
    let gamma = org(store, "gamma").await;
    store
        .set_member(&acme.id, &alice.id, Role::Owner)
        .await
        .unwrap();
    store
        .set_member(&beta.id, &alice.id, Role::Viewer)
        .await
        .unwrap();
    assert_eq!(store.get_login_policy(&acme.id).await.unwrap(), None);
    assert!(
        store
            .list_user_login_policies(&alice.id)
            .await
            .unwrap()
            .is_empty()
    );

    let policy = LoginPolicyRecord {
        org_id: acme.id.clone(),
        require_second_factor: SecondFactorRequirement::Admins,
        password_login: PasswordLogin::Allowed,
        updated_by: alice.username.clone(),
        updated_at: T0,
    };
    assert_eq!(
        store.set_login_policy(policy.clone()).await.unwrap(),
        policy
    );
    let changed = LoginPolicyRecord {
        require_second_factor: SecondFactorRequirement::All,
        password_login: PasswordLogin::Disabled,
        updated_at: T0 + 1,
        ..policy.clone()
    };
    assert_eq!(
        store.set_login_policy(changed.clone()).await.unwrap(),
        changed
    );
    assert_eq!(
        store.get_login_policy(&acme.id).await.unwrap(),
        Some(changed.clone())
    );
    // gamma's policy is not alice's: she is not a member.
    store
        .set_login_policy(LoginPolicyRecord {
            org_id: gamma.id.clone(),
            ..policy.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        store.list_user_login_policies(&alice.id).await.unwrap(),
        vec![changed]
    );
    assert_not_found(
        store
            .set_login_policy(LoginPolicyRecord {
                org_id: "missing".into(),
                ..policy
            })
            .await,
        "organization",
    );
}
