//! Users and login lockout, browser sessions, API tokens (`UserStore`).

use super::*;

pub(crate) async fn users_and_login_lockout(store: &dyn Store) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let alice = user(store, "alice").await;
    assert_eq!(alice.failed_logins, 0);
    assert!(!alice.disabled && !alice.is_admin);
    assert_eq!(alice.locked_until, None);
    let admin = store
        .create_user(NewUser {
            id: id("user"),
            username: "root".into(),
            display_name: "Root".into(),
            password_hash: "h".into(),
            is_admin: true,
            created_at: T0 + 1,
        })
        .await
        .unwrap();
    assert!(admin.is_admin);

    let mut duplicate = NewUser {
        id: id("user"),
        username: "alice".into(),
        display_name: "Other".into(),
        password_hash: "x".into(),
        is_admin: false,
        created_at: T0,
    };
    assert_conflict(
        store.create_user(duplicate.clone()).await,
        "user",
        "username",
    );
    duplicate.id = alice.id.clone();
    duplicate.username = "alice2".into();
    assert_conflict(store.create_user(duplicate).await, "user", "id");

    assert_eq!(store.get_user(&alice.id).await.unwrap(), alice);
    assert_not_found(store.get_user("nobody").await, "user");
    let credentials = store.find_user_credentials("alice").await.unwrap().unwrap();
    assert_eq!(credentials.user, alice);
    assert_eq!(credentials.password_hash, "hash-of-alice");
    assert_eq!(store.find_user_credentials("ALICE").await.unwrap(), None);

    for name in ["carol", "bob", "dave"] {
        user(store, name).await;
    }
    assert_eq!(store.count_users().await.unwrap(), 5);
    let page = store.list_users(PageRequest::new(2, 1)).await.unwrap();
    assert_eq!(page.total, 5);
    let names: Vec<_> = page.items.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["bob", "carol"]);
    let all = store.list_users(PageRequest::all()).await.unwrap();
    assert_eq!(all.items.len(), 5);

    store
        .set_password_hash(&alice.id, "new-hash")
        .await
        .unwrap();
    let credentials = store.find_user_credentials("alice").await.unwrap().unwrap();
    assert_eq!(credentials.password_hash, "new-hash");
    assert_not_found(store.set_password_hash("nobody", "h").await, "user");

    // Three failures lock the account; the counter keeps counting after that.
    let lock = T0 + 900_000;
    let first = store
        .record_login_failure(&alice.id, 3, lock)
        .await
        .unwrap();
    assert_eq!((first.failed_logins, first.locked_until), (1, None));
    let second = store
        .record_login_failure(&alice.id, 3, lock)
        .await
        .unwrap();
    assert_eq!((second.failed_logins, second.locked_until), (2, None));
    let third = store
        .record_login_failure(&alice.id, 3, lock)
        .await
        .unwrap();
    assert_eq!((third.failed_logins, third.locked_until), (3, Some(lock)));
    let fourth = store
        .record_login_failure(&alice.id, 3, lock + 5)
        .await
        .unwrap();
    assert_eq!(
        (fourth.failed_logins, fourth.locked_until),
        (4, Some(lock + 5))
    );
    assert_eq!(store.get_user(&alice.id).await.unwrap(), fourth);
    assert_not_found(store.record_login_failure("nobody", 3, lock).await, "user");

    store
        .record_login_success(&alice.id, T0 + 42)
        .await
        .unwrap();
    let after = store.get_user(&alice.id).await.unwrap();
    assert_eq!(after.failed_logins, 0);
    assert_eq!(after.locked_until, None);
    assert_eq!(after.last_login_at, Some(T0 + 42));
    assert_not_found(store.record_login_success("nobody", T0).await, "user");

    store.set_user_disabled(&alice.id, true).await.unwrap();
    assert!(store.get_user(&alice.id).await.unwrap().disabled);
    store.set_user_disabled(&alice.id, false).await.unwrap();
    assert!(!store.get_user(&alice.id).await.unwrap().disabled);
    assert_not_found(store.set_user_disabled("nobody", true).await, "user");
}

pub(crate) async fn sessions_expire_and_are_deleted(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let session = |hash: &str, user_id: &str, expires_at| Session {
        id_hash: hash.into(),
        user_id: user_id.into(),
        csrf_token: format!("csrf-{hash}"),
        created_at: T0,
        expires_at,
        ip: Some("127.0.0.1".into()),
    };
    let a1 = session("a1", &alice.id, T0 + 1000);
    store.create_session(a1.clone()).await.unwrap();
    store
        .create_session(session("a2", &alice.id, T0 + 5000))
        .await
        .unwrap();
    store
        .create_session(Session {
            ip: None,
            ..session("b1", &bob.id, T0 + 500)
        })
        .await
        .unwrap();
    assert!(store.create_session(a1.clone()).await.is_err());
    assert_not_found(
        store.create_session(session("x", "nobody", T0 + 1)).await,
        "user",
    );

    assert_eq!(store.get_session("a1", T0).await.unwrap(), Some(a1.clone()));
    assert_eq!(store.get_session("a1", T0 + 999).await.unwrap(), Some(a1));
    assert_eq!(store.get_session("a1", T0 + 1000).await.unwrap(), None);
    assert_eq!(store.get_session("missing", T0).await.unwrap(), None);
    let b1 = store.get_session("b1", T0).await.unwrap().unwrap();
    assert_eq!(b1.ip, None);

    store.delete_session("a1").await.unwrap();
    assert_eq!(store.get_session("a1", T0).await.unwrap(), None);
    store.delete_session("a1").await.unwrap();

    // b1 expired at T0+500; a2 not yet.
    assert_eq!(store.delete_expired_sessions(T0 + 600).await.unwrap(), 1);
    assert_eq!(store.get_session("b1", T0).await.unwrap(), None);
    assert!(store.get_session("a2", T0).await.unwrap().is_some());

    store.delete_user_sessions(&alice.id).await.unwrap();
    assert_eq!(store.get_session("a2", T0).await.unwrap(), None);
    assert_eq!(store.delete_expired_sessions(T0 + 10_000).await.unwrap(), 0);
}

pub(crate) async fn api_tokens_expire_and_revoke_only_for_their_owner(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let token = |user_id: &str, name: &str, hash: &str, expires_at| NewApiToken {
        id: id("token"),
        user_id: user_id.into(),
        name: name.into(),
        hash: hash.into(),
        prefix: format!("wf_{}", &hash[..2]),
        scopes: vec!["read".into(), "deploy".into()],
        expires_at,
        created_at: T0,
    };
    let forever = store
        .create_api_token(token(&alice.id, "ci", "aa11", None))
        .await
        .unwrap();
    assert_eq!(forever.scopes, ["read", "deploy"]);
    assert_eq!(forever.prefix, "wf_aa");
    assert_eq!((forever.last_used_at, forever.revoked_at), (None, None));
    let short = store
        .create_api_token(NewApiToken {
            created_at: T0 + 1,
            ..token(&alice.id, "short", "bb22", Some(T0 + 100))
        })
        .await
        .unwrap();
    let bobs = store
        .create_api_token(token(&bob.id, "bob", "cc33", None))
        .await
        .unwrap();
    assert_conflict(
        store
            .create_api_token(token(&bob.id, "again", "aa11", None))
            .await,
        "api token",
        "hash",
    );

    assert_eq!(
        store.find_api_token("aa11", T0).await.unwrap(),
        Some(forever.clone())
    );
    assert_eq!(store.find_api_token("nope", T0).await.unwrap(), None);
    assert!(
        store
            .find_api_token("bb22", T0 + 99)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.find_api_token("bb22", T0 + 100).await.unwrap(), None);

    let listed = store.list_api_tokens(&alice.id).await.unwrap();
    let ids: Vec<_> = listed.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [short.id.as_str(), forever.id.as_str()],
        "newest first"
    );

    store.touch_api_token(&forever.id, T0 + 7).await.unwrap();
    let touched = store.find_api_token("aa11", T0).await.unwrap().unwrap();
    assert_eq!(touched.last_used_at, Some(T0 + 7));
    assert_not_found(store.touch_api_token("nope", T0).await, "api token");

    // Bob cannot revoke Alice's token, and trying leaves it valid.
    assert_not_found(
        store.revoke_api_token(&bob.id, &forever.id, T0 + 8).await,
        "api token",
    );
    assert!(store.find_api_token("aa11", T0).await.unwrap().is_some());
    store
        .revoke_api_token(&alice.id, &forever.id, T0 + 9)
        .await
        .unwrap();
    assert_eq!(store.find_api_token("aa11", T0 + 10).await.unwrap(), None);
    let revoked = store.list_api_tokens(&alice.id).await.unwrap();
    let revoked = revoked.iter().find(|t| t.id == forever.id).unwrap();
    assert_eq!(revoked.revoked_at, Some(T0 + 9));
    // Revoking again keeps the first revocation time.
    store
        .revoke_api_token(&alice.id, &forever.id, T0 + 50)
        .await
        .unwrap();
    let again = store.list_api_tokens(&alice.id).await.unwrap();
    assert_eq!(
        again
            .iter()
            .find(|t| t.id == forever.id)
            .unwrap()
            .revoked_at,
        Some(T0 + 9)
    );
    assert_eq!(store.list_api_tokens(&bob.id).await.unwrap(), vec![bobs]);
}
