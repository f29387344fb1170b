//! Stacks and their versions (`StackStore`).

use super::*;

pub(crate) async fn stacks_versions_and_stale_edits(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme").await;
    let (web, v1) = store
        .create_stack(new_stack(&acme.id, "web", &alice.id))
        .await
        .unwrap();
    assert_eq!(web.latest_version, 1);
    assert_eq!((web.created_at, web.updated_at), (T0, T0));
    assert_eq!(v1.version, 1);
    assert_eq!(v1.stack_id, web.id);
    assert_eq!(v1.author, "alice");
    assert_eq!(v1.author_id, alice.id);
    assert!(v1.content.contains("image: busybox"));
    assert_conflict(
        store
            .create_stack(new_stack(&acme.id, "web", &alice.id))
            .await,
        "stack",
        "name",
    );
    // The failed create left nothing behind.
    assert_eq!(
        store
            .list_stacks(&acme.id, &StackFilter::default(), PageRequest::all())
            .await
            .unwrap()
            .total,
        1
    );
    assert_not_found(
        store
            .create_stack(new_stack(&acme.id, "api", "no-such-user"))
            .await,
        "user",
    );
    assert_not_found(store.get_stack(&acme.id, "api").await, "stack");

    let v2 = store
        .add_stack_version(&acme.id, &web.id, 1, new_version(&alice.id, "two", T0 + 10))
        .await
        .unwrap();
    assert_eq!((v2.version, v2.message.as_str()), (2, "two"));
    let stale = store
        .add_stack_version(
            &acme.id,
            &web.id,
            1,
            new_version(&alice.id, "late", T0 + 11),
        )
        .await;
    match stale {
        Err(StoreError::Stale {
            entity,
            expected,
            found,
        }) => assert_eq!((entity, expected, found), ("stack", 1, 2)),
        other => panic!("expected Stale, got {other:?}"),
    }
    assert_not_found(
        store
            .add_stack_version(&acme.id, "nope", 1, new_version(&alice.id, "x", T0))
            .await,
        "stack",
    );
    let v3 = store
        .add_stack_version(
            &acme.id,
            &web.id,
            2,
            new_version(&alice.id, "three", T0 + 20),
        )
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    let web_now = store.get_stack(&acme.id, "web").await.unwrap();
    assert_eq!((web_now.latest_version, web_now.updated_at), (3, T0 + 20));
    assert_eq!(
        store.get_stack_by_id(&acme.id, &web.id).await.unwrap(),
        web_now
    );

    assert_eq!(
        store.get_stack_version(&acme.id, &web.id, 2).await.unwrap(),
        v2
    );
    assert_not_found(
        store.get_stack_version(&acme.id, &web.id, 4).await,
        "stack version",
    );
    let versions = store
        .list_stack_versions(&acme.id, &web.id, PageRequest::new(2, 0))
        .await
        .unwrap();
    assert_eq!(versions.total, 3);
    let numbers: Vec<_> = versions.items.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [3, 2], "newest first");
    assert_eq!(versions.items[0].author, "alice");
    assert_eq!(versions.items[0].message, "three");
    let rest = store
        .list_stack_versions(&acme.id, &web.id, PageRequest::new(2, 2))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].version, 1);
}

pub(crate) async fn concurrent_stack_edits_one_wins(store: &dyn Store) {
    let w = world(store).await;
    let edits = (0..6).map(|i| {
        store.add_stack_version(
            &w.org.id,
            &w.stack.id,
            1,
            new_version(&w.alice.id, &format!("edit {i}"), T0 + i),
        )
    });
    let results = join_all(edits).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let stale = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Stale { found: 2, .. })))
        .count();
    assert_eq!((won, stale), (1, 5), "{results:?}");
    let stack = store.get_stack(&w.org.id, "web").await.unwrap();
    assert_eq!(stack.latest_version, 2);
}

pub(crate) async fn list_stacks_filters_and_pages(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let acme = org(store, "acme").await;
    let names = [
        "web-frontend",
        "Web-Admin",
        "api",
        "worker",
        "db_main",
        "dbxmain",
        "100%",
    ];
    for name in names {
        stack(store, &acme.id, name, &alice.id).await;
    }
    let org_id = acme.id.as_str();
    let list = |filter: Option<&str>, page: PageRequest| {
        let filter = StackFilter {
            name_contains: filter.map(Into::into),
        };
        async move { store.list_stacks(org_id, &filter, page).await.unwrap() }
    };
    let all = list(None, PageRequest::all()).await;
    assert_eq!(all.total, 7);
    let ordered: Vec<_> = all.items.iter().map(|s| s.name.as_str()).collect();
    let mut expected = names.to_vec();
    expected.sort();
    assert_eq!(ordered, expected, "ordered by name");

    let page = list(None, PageRequest::new(2, 2)).await;
    assert_eq!(page.total, 7);
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].name, expected[2]);
    let beyond = list(None, PageRequest::new(10, 50)).await;
    assert_eq!((beyond.total, beyond.items.len()), (7, 0));

    // Case-insensitive substring; LIKE wildcards in the needle are literal.
    let web = list(Some("WEB"), PageRequest::all()).await;
    let found: Vec<_> = web.items.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(found, ["Web-Admin", "web-frontend"]);
    assert_eq!(web.total, 2);
    let underscore = list(Some("db_"), PageRequest::all()).await;
    assert_eq!(underscore.total, 1);
    assert_eq!(underscore.items[0].name, "db_main");
    let percent = list(Some("%"), PageRequest::all()).await;
    assert_eq!(percent.total, 1);
    assert_eq!(percent.items[0].name, "100%");
    let paged = list(Some("w"), PageRequest::new(1, 1)).await;
    assert_eq!(paged.total, 3);
    assert_eq!(paged.items.len(), 1);
    assert_eq!(list(Some("nothing"), PageRequest::all()).await.total, 0);
}

pub(crate) async fn delete_stack_keeps_history_and_is_refused_while_deployed(store: &dyn Store) {
    let w = world(store).await;
    let prod = environment(store, &w.org.id, "prod").await;
    let other = stack(store, &w.org.id, "other", &w.alice.id).await;
    store
        .add_stack_version(&w.org.id, &w.stack.id, 1, new_version(&w.alice.id, "2", T0))
        .await
        .unwrap();
    for (scope, name) in [
        (
            VariableScope::Stack {
                stack_id: w.stack.id.clone(),
                environment_id: None,
            },
            "A",
        ),
        (
            VariableScope::Stack {
                stack_id: w.stack.id.clone(),
                environment_id: Some(prod.id.clone()),
            },
            "B",
        ),
        (
            VariableScope::Stack {
                stack_id: other.id.clone(),
                environment_id: None,
            },
            "C",
        ),
    ] {
        store
            .set_variable(
                &w.org.id,
                NewVariable {
                    id: id("var"),
                    scope,
                    name: name.into(),
                    value: VariableValue::Plain("v".into()),
                    updated_by: w.alice.id.clone(),
                    updated_at: T0,
                },
            )
            .await
            .unwrap();
    }
    let first = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    let message = assert_invalid(store.delete_stack(&w.org.id, "web", T0).await, "web");
    assert!(message.contains("queued or running"), "{message}");

    let claimed = store
        .claim_deployment("w1", T0, T0 + 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, first.id);
    store
        .append_deployment_events(&[DeploymentEvent {
            deployment_id: first.id.clone(),
            seq: 1,
            at: T0,
            data: json!({"step": "pull"}),
        }])
        .await
        .unwrap();
    assert_invalid(store.delete_stack(&w.org.id, "web", T0).await, "running");
    store
        .finish_deployment(&first.id, finish(DeploymentState::Succeeded, T0 + 1))
        .await
        .unwrap();

    // Deployed on `local`: refused until a removal succeeded there.
    let deployed = store
        .list_deployed(&w.org.id, Some(&w.stack.id), None)
        .await
        .unwrap();
    assert_eq!(deployed.len(), 1);
    assert_eq!(deployed[0].id, first.id);
    let message = assert_invalid(store.delete_stack(&w.org.id, "web", T0).await, "deployed");
    assert!(message.contains("deployed on local"), "{message}");
    let requested = store
        .request_stack_delete(&w.org.id, "web", T0 + 2)
        .await
        .unwrap();
    assert_eq!(requested.delete_requested_at, Some(T0 + 2));
    let (removal, _) = store
        .create_deployment(NewDeployment {
            kind: DeploymentKind::Remove,
            ..new_deployment(&w.org.id, &w.stack, &w.target, &w.alice)
        })
        .await
        .unwrap();
    store
        .claim_deployment("w1", T0 + 3, T0 + 60_000)
        .await
        .unwrap()
        .unwrap();
    store
        .finish_deployment(&removal.id, finish(DeploymentState::Succeeded, T0 + 4))
        .await
        .unwrap();
    assert!(
        store
            .list_deployed(&w.org.id, Some(&w.stack.id), None)
            .await
            .unwrap()
            .is_empty()
    );

    let latest = store.latest_deployments(&w.org.id).await.unwrap();
    let newest: Vec<(&str, DeploymentKind)> = latest
        .iter()
        .filter(|d| d.stack_id == w.stack.id)
        .map(|d| (d.id.as_str(), d.kind))
        .collect();
    assert_eq!(newest, [(removal.id.as_str(), DeploymentKind::Remove)]);
    store.delete_stack(&w.org.id, "web", T0 + 5).await.unwrap();
    assert_not_found(store.get_stack(&w.org.id, "web").await, "stack");
    // The history stays: the deployments, their events, the versions they ran.
    assert_eq!(
        store
            .get_deployment(&w.org.id, &first.id)
            .await
            .unwrap()
            .stack_name,
        "web"
    );
    assert_eq!(
        store
            .list_deployment_events(&first.id, 0, 100)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .get_stack_version(&w.org.id, &w.stack.id, 1)
            .await
            .unwrap()
            .version,
        1
    );
    // A deleted stack takes no deployment.
    assert!(
        store
            .create_deployment(new_deployment(&w.org.id, &w.stack, &w.target, &w.alice))
            .await
            .is_err()
    );
    let remaining = store
        .list_variables(
            &w.org.id,
            &VariableScope::Stack {
                stack_id: w.stack.id.clone(),
                environment_id: Some(prod.id.clone()),
            },
        )
        .await
        .unwrap();
    assert!(remaining.is_empty());
    // Another stack's variables stay.
    let others = store
        .list_variables(
            &w.org.id,
            &VariableScope::Stack {
                stack_id: other.id.clone(),
                environment_id: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(others.len(), 1);
    let total = |org_id: String| async move {
        store
            .list_stacks(&org_id, &StackFilter::default(), PageRequest::new(0, 0))
            .await
            .unwrap()
            .total
    };
    assert_eq!(total(w.org.id.clone()).await, 1, "only `other` is left");
    // The name is free again.
    stack(store, &w.org.id, "web", &w.alice.id).await;
    assert_eq!(total(w.org.id.clone()).await, 2);
    assert_not_found(store.delete_stack(&w.org.id, "nope", T0).await, "stack");
    assert_not_found(
        store.request_stack_delete(&w.org.id, "nope", T0).await,
        "stack",
    );
}
