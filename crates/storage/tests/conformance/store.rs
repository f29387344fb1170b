//! Scenarios about the store as a whole: the readiness probe, tenant isolation across every
//! aggregate, and many writers at once.

use super::*;

pub(crate) async fn ping_names_the_backend(store: &dyn Store) {
    store.ping().await.unwrap();
    assert!(matches!(store.backend(), "sqlite" | "postgres"));
}

pub(crate) async fn tenants_never_see_each_other(store: &dyn Store) {
    let w = world(store).await;
    let a = &w.org;
    let b = org(store, "beta").await;
    let prod = environment(store, &a.id, "prod").await;
    let deployment = deploy(store, &a.id, &w.stack, &w.target, &w.alice).await;
    let scope = VariableScope::Stack {
        stack_id: w.stack.id.clone(),
        environment_id: None,
    };
    store
        .set_variable(
            &a.id,
            NewVariable {
                id: id("var"),
                scope: scope.clone(),
                name: "PORT".into(),
                value: VariableValue::Plain("80".into()),
                updated_by: w.alice.id.clone(),
                updated_at: T0,
            },
        )
        .await
        .unwrap();

    // Org B reads nothing of org A, by name or by id.
    assert_not_found(store.get_stack(&b.id, "web").await, "stack");
    assert_not_found(store.get_stack_by_id(&b.id, &w.stack.id).await, "stack");
    assert_not_found(
        store.get_stack_version(&b.id, &w.stack.id, 1).await,
        "stack version",
    );
    assert_not_found(
        store
            .list_stack_versions(&b.id, &w.stack.id, PageRequest::all())
            .await,
        "stack",
    );
    let stacks = store
        .list_stacks(&b.id, &StackFilter::default(), PageRequest::all())
        .await
        .unwrap();
    assert_eq!((stacks.total, stacks.items.len()), (0, 0));
    assert_not_found(store.get_target(&b.id, "local").await, "target");
    assert_not_found(store.get_target_by_id(&b.id, &w.target.id).await, "target");
    assert!(store.list_targets(&b.id).await.unwrap().is_empty());
    assert_not_found(store.get_environment(&b.id, "prod").await, "environment");
    assert!(store.list_environments(&b.id).await.unwrap().is_empty());
    assert!(
        store
            .list_variables(&b.id, &scope)
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(
        store.get_deployment(&b.id, &deployment.id).await,
        "deployment",
    );
    let listed = store
        .list_deployments(&b.id, &DeploymentFilter::default(), PageRequest::all())
        .await
        .unwrap();
    assert_eq!((listed.total, listed.items.len()), (0, 0));
    assert_eq!(
        store
            .last_succeeded_deployment(&b.id, &w.stack.id, &w.target.id, None)
            .await
            .unwrap(),
        None
    );

    // Nor changes or deletes it.
    assert_not_found(
        store
            .add_stack_version(&b.id, &w.stack.id, 1, new_version(&w.alice.id, "x", T0))
            .await,
        "stack",
    );
    assert_not_found(
        store.cancel_deployment(&b.id, &deployment.id, T0).await,
        "deployment",
    );
    assert_not_found(store.delete_stack(&b.id, "web", T0).await, "stack");
    assert_not_found(store.delete_target(&b.id, "local", true).await, "target");
    assert_not_found(store.delete_environment(&b.id, "prod").await, "environment");
    assert_not_found(
        store.delete_variable(&b.id, &scope, "PORT").await,
        "variable",
    );
    // Org B cannot attach its records to org A's.
    assert_not_found(
        store
            .set_variable(
                &b.id,
                NewVariable {
                    id: id("var"),
                    scope: scope.clone(),
                    name: "PORT".into(),
                    value: VariableValue::Plain("1".into()),
                    updated_by: w.alice.id.clone(),
                    updated_at: T0,
                },
            )
            .await,
        "stack",
    );
    assert_not_found(
        store
            .create_target(new_target(&b.id, "sneaky", Some(&prod.id)))
            .await,
        "environment",
    );
    assert_not_found(
        store
            .create_deployment(new_deployment(&b.id, &w.stack, &w.target, &w.alice))
            .await,
        "stack",
    );
    let b_stack = stack(store, &b.id, "web", &w.alice.id).await;
    assert_not_found(
        store
            .create_deployment(new_deployment(&b.id, &b_stack, &w.target, &w.alice))
            .await,
        "target",
    );

    // Everything of org A is still there.
    assert_eq!(store.get_stack(&a.id, "web").await.unwrap(), w.stack);
    assert_eq!(store.list_variables(&a.id, &scope).await.unwrap().len(), 1);
    assert_eq!(
        store
            .get_deployment(&a.id, &deployment.id)
            .await
            .unwrap()
            .state,
        DeploymentState::Queued
    );
}

/// Many writers at once (transactions and single statements mixed): none may fail with a
/// lock error (SQLite's `SQLITE_BUSY`), and every write lands.
pub(crate) async fn concurrent_writers_never_fail_on_locks(store: &dyn Store) {
    let w = world(store).await;
    let writers = (0..16).map(|i| {
        let (org_id, alice, target) = (w.org.id.clone(), w.alice.clone(), w.target.clone());
        async move {
            for round in 0..3 {
                let name = format!("s{i}-{round}");
                let (created, _) = store
                    .create_stack(new_stack(&org_id, &name, &alice.id))
                    .await
                    .unwrap();
                let version = store
                    .add_stack_version(&org_id, &created.id, 1, new_version(&alice.id, "2", T0))
                    .await
                    .unwrap();
                assert_eq!(version.version, 2);
                store
                    .set_variable(
                        &org_id,
                        NewVariable {
                            id: id("var"),
                            scope: VariableScope::Stack {
                                stack_id: created.id.clone(),
                                environment_id: None,
                            },
                            name: "N".into(),
                            value: VariableValue::Plain(name.clone()),
                            updated_by: alice.id.clone(),
                            updated_at: T0,
                        },
                    )
                    .await
                    .unwrap();
                let d = deploy(store, &org_id, &created, &target, &alice).await;
                store
                    .append_deployment_events(&[DeploymentEvent {
                        deployment_id: d.id.clone(),
                        seq: 1,
                        at: T0,
                        data: json!({"writer": i}),
                    }])
                    .await
                    .unwrap();
                store
                    .append_audit(NewAuditEntry {
                        id: id("audit"),
                        org_id: Some(org_id.clone()),
                        actor_id: Some(alice.id.clone()),
                        actor: "alice".into(),
                        action: "stack.create".into(),
                        resource: format!("stack/{name}"),
                        detail: json!({}),
                        ip: None,
                        at: T0,
                    })
                    .await
                    .unwrap();
            }
        }
    });
    join_all(writers).await;
    let stacks = store
        .list_stacks(&w.org.id, &StackFilter::default(), PageRequest::new(1, 0))
        .await
        .unwrap();
    assert_eq!(stacks.total, 1 + 16 * 3);
    let deployments = store
        .list_deployments(
            &w.org.id,
            &DeploymentFilter::default(),
            PageRequest::new(1, 0),
        )
        .await
        .unwrap();
    assert_eq!(deployments.total, 16 * 3);
    let audit = store
        .list_audit(None, &AuditFilter::default(), PageRequest::new(1, 0))
        .await
        .unwrap();
    assert_eq!(audit.total, 16 * 3);
}
