//! Organizations and their members (`OrganizationStore`).

use super::*;

pub(crate) async fn organizations_and_members(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme").await;
    let beta = org(store, "beta").await;
    let _zeta = org(store, "zeta").await;
    assert_conflict(
        store
            .create_organization(NewOrganization {
                id: id("org"),
                slug: "acme".into(),
                name: "Another".into(),
                created_at: T0,
            })
            .await,
        "organization",
        "slug",
    );
    assert_eq!(store.get_organization("acme").await.unwrap(), acme);
    assert_not_found(store.get_organization("nope").await, "organization");
    let page = store
        .list_organizations(PageRequest::new(1, 1))
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.items, vec![beta.clone()]);

    store
        .set_member(&acme.id, &alice.id, Role::Owner)
        .await
        .unwrap();
    store
        .set_member(&acme.id, &bob.id, Role::Viewer)
        .await
        .unwrap();
    store
        .set_member(&beta.id, &alice.id, Role::Operator)
        .await
        .unwrap();
    assert_eq!(
        store.get_member_role(&acme.id, &bob.id).await.unwrap(),
        Some(Role::Viewer)
    );
    // Setting again changes the role.
    store
        .set_member(&acme.id, &bob.id, Role::Admin)
        .await
        .unwrap();
    assert_eq!(
        store.get_member_role(&acme.id, &bob.id).await.unwrap(),
        Some(Role::Admin)
    );
    assert_eq!(
        store.get_member_role(&beta.id, &bob.id).await.unwrap(),
        None
    );
    assert_not_found(
        store.set_member(&acme.id, "nobody", Role::Viewer).await,
        "user",
    );
    assert_not_found(
        store.set_member("no-org", &bob.id, Role::Viewer).await,
        "organization",
    );

    let mine = store.list_user_organizations(&alice.id).await.unwrap();
    assert_eq!(
        mine,
        vec![(acme.clone(), Role::Owner), (beta.clone(), Role::Operator)]
    );
    let members = store.list_members(&acme.id).await.unwrap();
    let summary: Vec<_> = members
        .iter()
        .map(|m| (m.user.username.as_str(), m.role))
        .collect();
    assert_eq!(summary, [("alice", Role::Owner), ("bob", Role::Admin)]);
    assert_eq!(members[0].user, alice);

    store.remove_member(&acme.id, &bob.id).await.unwrap();
    assert_eq!(
        store.get_member_role(&acme.id, &bob.id).await.unwrap(),
        None
    );
    assert_not_found(store.remove_member(&acme.id, &bob.id).await, "member");
    assert!(
        store
            .list_user_organizations(&bob.id)
            .await
            .unwrap()
            .is_empty()
    );
}
