//! Teams, custom roles, scoped grants and service accounts (`AccessStore`).

use windflow_domain::access::{Permission, PermissionSet, Scope};

use super::*;

fn sorted(mut grants: Vec<(Scope, PermissionSet)>) -> Vec<(String, Vec<&'static str>)> {
    grants.sort_by_key(|(s, _)| format!("{s:?}"));
    grants
        .into_iter()
        .map(|(s, p)| (format!("{s:?}"), p.iter().map(Permission::as_str).collect()))
        .collect()
}

pub(crate) async fn grants_reach_users_and_their_teams_within_one_organization(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let acme = org(store, "acme").await;
    let beta = org(store, "beta").await;
    for (o, u) in [(&acme, &alice), (&acme, &bob), (&beta, &alice)] {
        store.set_member(&o.id, &u.id, Role::Viewer).await.unwrap();
    }
    let staging = environment(store, &acme.id, "staging").await;
    let beta_env = environment(store, &beta.id, "staging").await;
    let shop = stack(store, &acme.id, "shop", &alice.id).await;

    // A team, unique by name within its organization.
    let team = store
        .create_team(NewTeam {
            id: id("team"),
            org_id: acme.id.clone(),
            name: "ops".into(),
            description: "Operations".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    assert_conflict(
        store
            .create_team(NewTeam {
                id: id("team"),
                org_id: acme.id.clone(),
                name: "ops".into(),
                description: String::new(),
                created_at: T0,
            })
            .await,
        "team",
        "name",
    );
    store.add_team_member(&team.id, &bob.id).await.unwrap();
    store.add_team_member(&team.id, &bob.id).await.unwrap(); // idempotent
    assert_eq!(
        store.get_team(&acme.id, "ops").await.unwrap().members,
        ["bob"]
    );
    assert_not_found(store.get_team(&beta.id, "ops").await, "team");

    let deployer = store
        .create_custom_role(CustomRole {
            id: id("role"),
            org_id: acme.id.clone(),
            name: "deployer".into(),
            description: String::new(),
            permissions: PermissionSet::of([Permission::Read, Permission::Deploy]),
            created_at: T0,
        })
        .await
        .unwrap();
    assert_eq!(
        store.list_custom_roles(&acme.id).await.unwrap(),
        vec![deployer.clone()]
    );

    let grant = |subject, role, scope| NewRoleGrant {
        id: id("grant"),
        org_id: acme.id.clone(),
        subject,
        role,
        scope,
        created_at: T0,
    };
    let g1 = store
        .create_grant(grant(
            GrantSubject::User(alice.id.clone()),
            GrantRole::Builtin(Role::Operator),
            Scope::Environment(staging.id.clone()),
        ))
        .await
        .unwrap();
    assert_eq!(g1.subject_name, "alice");
    assert_eq!(g1.role_name, "operator");
    assert_eq!(g1.scope_name.as_deref(), Some("staging"));
    store
        .create_grant(grant(
            GrantSubject::Team(team.id.clone()),
            GrantRole::Custom(deployer.id.clone()),
            Scope::Stack(shop.id.clone()),
        ))
        .await
        .unwrap();
    // The same grant twice is a conflict.
    assert!(matches!(
        store
            .create_grant(grant(
                GrantSubject::User(alice.id.clone()),
                GrantRole::Builtin(Role::Operator),
                Scope::Environment(staging.id.clone()),
            ))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    // Nothing crosses tenants: another organization's environment, a non-member.
    assert_not_found(
        store
            .create_grant(grant(
                GrantSubject::User(alice.id.clone()),
                GrantRole::Builtin(Role::Admin),
                Scope::Environment(beta_env.id.clone()),
            ))
            .await,
        "environment",
    );
    let carol = user(store, "carol").await;
    assert_not_found(
        store
            .create_grant(grant(
                GrantSubject::User(carol.id.clone()),
                GrantRole::Builtin(Role::Admin),
                Scope::Organization,
            ))
            .await,
        "member",
    );

    assert_eq!(
        sorted(store.load_grants(&acme.id, &alice.id).await.unwrap()),
        vec![(
            format!("{:?}", Scope::Environment(staging.id.clone())),
            vec!["read", "deploy"]
        )]
    );
    assert_eq!(
        sorted(store.load_grants(&acme.id, &bob.id).await.unwrap()),
        vec![(
            format!("{:?}", Scope::Stack(shop.id.clone())),
            vec!["read", "deploy"]
        )]
    );
    // In the other organization, alice holds nothing beyond her membership.
    assert!(
        store
            .load_grants(&beta.id, &alice.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.list_grants(&acme.id).await.unwrap().len(), 2);
    assert!(store.list_grants(&beta.id).await.unwrap().is_empty());

    // Deleting the custom role takes its grants; leaving the organization takes the rest.
    store
        .delete_custom_role(&acme.id, "deployer")
        .await
        .unwrap();
    assert!(
        store
            .load_grants(&acme.id, &bob.id)
            .await
            .unwrap()
            .is_empty()
    );
    store.remove_member(&acme.id, &alice.id).await.unwrap();
    store
        .remove_member_access(&acme.id, &alice.id)
        .await
        .unwrap();
    assert!(
        store
            .load_grants(&acme.id, &alice.id)
            .await
            .unwrap()
            .is_empty()
    );
    store.remove_member_access(&acme.id, &bob.id).await.unwrap();
    assert!(
        store
            .get_team(&acme.id, "ops")
            .await
            .unwrap()
            .members
            .is_empty()
    );
    store.delete_team(&acme.id, "ops").await.unwrap();
    assert_not_found(store.delete_team(&acme.id, "ops").await, "team");
}

pub(crate) async fn service_accounts_are_members_that_leave_no_name_behind(store: &dyn Store) {
    let acme = org(store, "acme").await;
    let human = user(store, "human").await;
    let new = |name: &str| NewServiceAccount {
        id: id("sa"),
        org_id: acme.id.clone(),
        user_id: id("user"),
        username: format!("acme:{name}"),
        name: name.into(),
        description: "CI".into(),
        role: Role::Operator,
        created_by: Some(human.id.clone()),
        created_at: T0,
    };
    let ci = store.create_service_account(new("ci")).await.unwrap();
    assert_eq!(
        store.get_member_role(&acme.id, &ci.user_id).await.unwrap(),
        Some(Role::Operator)
    );
    assert_eq!(
        store.service_account_of(&ci.user_id).await.unwrap(),
        Some(ci.clone())
    );
    assert!(store.create_service_account(new("ci")).await.is_err());
    // Not listed among people.
    let people = store.list_users(PageRequest::new(100, 0)).await.unwrap();
    assert_eq!(people.total, 1);
    assert!(people.items.iter().all(|u| u.id != ci.user_id));

    store
        .create_api_token(NewApiToken {
            id: id("tok"),
            user_id: ci.user_id.clone(),
            name: "pipeline".into(),
            hash: "hash-ci".into(),
            prefix: "wf_x".into(),
            scopes: vec!["read".into()],
            expires_at: None,
            created_at: T0,
        })
        .await
        .unwrap();
    assert!(store.find_api_token("hash-ci", T0).await.unwrap().is_some());
    store
        .delete_service_account(&acme.id, "ci", T0 + 1)
        .await
        .unwrap();
    assert!(
        store
            .find_api_token("hash-ci", T0 + 2)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.get_member_role(&acme.id, &ci.user_id).await.unwrap(),
        None
    );
    assert!(store.get_user(&ci.user_id).await.unwrap().disabled);
    assert!(
        store
            .list_service_accounts(&acme.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(
        store.delete_service_account(&acme.id, "ci", T0).await,
        "service account",
    );
    // The name is free again.
    store.create_service_account(new("ci")).await.unwrap();
}
