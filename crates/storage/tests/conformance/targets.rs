//! Environments and targets, their deletion rules, labels and health history, and
//! host-access policies (`TargetStore`, with `OrganizationStore`'s environments).

use super::*;

pub(crate) async fn environments_and_targets(store: &dyn Store) {
    let acme = org(store, "acme").await;
    let prod = environment(store, &acme.id, "prod").await;
    let staging = environment(store, &acme.id, "staging").await;
    assert_conflict(
        store
            .create_environment(NewEnvironment {
                id: id("env"),
                org_id: acme.id.clone(),
                name: "prod".into(),
                description: String::new(),
                created_at: T0,
            })
            .await,
        "environment",
        "name",
    );
    assert_eq!(store.get_environment(&acme.id, "prod").await.unwrap(), prod);
    assert_eq!(
        store.list_environments(&acme.id).await.unwrap(),
        vec![prod.clone(), staging.clone()]
    );
    assert_not_found(store.get_environment(&acme.id, "qa").await, "environment");

    let web1 = store
        .create_target(new_target(&acme.id, "web-1", Some(&prod.id)))
        .await
        .unwrap();
    assert_eq!(web1.status, TargetStatus::Unknown);
    assert_eq!(web1.environment_id.as_deref(), Some(prod.id.as_str()));
    assert_eq!(web1.labels.get("region"), Some(&json!("eu")));
    assert_eq!(web1.config, json!({"tls": false}));
    assert_eq!((web1.info.clone(), web1.checked_at), (None, None));
    let db = target(store, &acme.id, "db").await;
    assert_conflict(
        store.create_target(new_target(&acme.id, "db", None)).await,
        "target",
        "name",
    );
    assert_not_found(
        store
            .create_target(new_target(&acme.id, "ghost", Some("no-env")))
            .await,
        "environment",
    );
    assert_eq!(store.get_target(&acme.id, "web-1").await.unwrap(), web1);
    assert_eq!(store.get_target_by_id(&acme.id, &db.id).await.unwrap(), db);
    assert_not_found(store.get_target(&acme.id, "nope").await, "target");
    assert_eq!(
        store.list_targets(&acme.id).await.unwrap(),
        vec![db.clone(), web1.clone()]
    );

    let beta = org(store, "beta").await;
    let beta_db = target(store, &beta.id, "db").await;
    let all = store.list_all_targets().await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.contains(&beta_db) && all.contains(&db));

    let info = json!({"engine": "20.10", "cpus": 2});
    store
        .update_target_status(&db.id, TargetStatus::Up, Some(info.clone()), T0 + 5)
        .await
        .unwrap();
    let checked = store.get_target(&acme.id, "db").await.unwrap();
    assert_eq!(checked.status, TargetStatus::Up);
    assert_eq!(checked.info, Some(info.clone()));
    assert_eq!(checked.checked_at, Some(T0 + 5));
    // A failed check keeps what the last successful one learned.
    store
        .update_target_status(&db.id, TargetStatus::Down, None, T0 + 6)
        .await
        .unwrap();
    let down = store.get_target(&acme.id, "db").await.unwrap();
    assert_eq!(
        (down.status, down.info, down.checked_at),
        (TargetStatus::Down, Some(info), Some(T0 + 6))
    );
    assert_not_found(
        store
            .update_target_status("nope", TargetStatus::Up, None, T0)
            .await,
        "target",
    );
}

pub(crate) async fn delete_target_and_environment_rules(store: &dyn Store) {
    let w = world(store).await;
    let prod = environment(store, &w.org.id, "prod").await;
    let staging = environment(store, &w.org.id, "staging").await;
    let edge = store
        .create_target(new_target(&w.org.id, "edge", Some(&prod.id)))
        .await
        .unwrap();

    // An environment with a target cannot go.
    assert_invalid(store.delete_environment(&w.org.id, "prod").await, "target");

    // A target with a queued deployment cannot go, unless forced.
    let queued = store
        .create_deployment(NewDeployment {
            environment_id: Some(prod.id.clone()),
            ..new_deployment(&w.org.id, &w.stack, &edge, &w.alice)
        })
        .await
        .unwrap()
        .0;
    assert_eq!(queued.environment_name.as_deref(), Some("prod"));
    assert_eq!(queued.target_name, "edge");
    assert_invalid(store.delete_target(&w.org.id, "edge", false).await, "force");
    store.delete_target(&w.org.id, "edge", true).await.unwrap();
    assert_not_found(store.get_target(&w.org.id, "edge").await, "target");
    // The history survives with the target's name.
    let kept = store.get_deployment(&w.org.id, &queued.id).await.unwrap();
    assert_eq!(kept.target_id, edge.id);
    assert_eq!(kept.target_name, "edge");
    assert_not_found(
        store.delete_target(&w.org.id, "edge", false).await,
        "target",
    );

    // The environment is still used by the queued deployment.
    assert_invalid(
        store.delete_environment(&w.org.id, "prod").await,
        "deployment",
    );

    // A target whose deployments all finished goes without force.
    let done = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    let claimed = loop {
        let claimed = store
            .claim_deployment("w", T0, T0 + 1000)
            .await
            .unwrap()
            .expect("a claimable deployment");
        if claimed.id == done.id {
            break claimed;
        }
        store
            .finish_deployment(&claimed.id, finish(DeploymentState::Failed, T0))
            .await
            .unwrap();
    };
    assert_invalid(
        store.delete_target(&w.org.id, "local", false).await,
        "running",
    );
    store
        .finish_deployment(&claimed.id, finish(DeploymentState::Succeeded, T0 + 1))
        .await
        .unwrap();
    // It still runs `web`: refused until a removal succeeded there (or forced).
    assert_invalid(
        store.delete_target(&w.org.id, "local", false).await,
        "still runs web",
    );
    let (removal, _) = store
        .create_deployment(NewDeployment {
            kind: DeploymentKind::Remove,
            ..new_deployment(&w.org.id, &w.stack, &w.target, &w.alice)
        })
        .await
        .unwrap();
    let claimed = store
        .claim_deployment("w", T0 + 2, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, removal.id);
    store
        .finish_deployment(&removal.id, finish(DeploymentState::Succeeded, T0 + 3))
        .await
        .unwrap();
    store
        .delete_target(&w.org.id, "local", false)
        .await
        .unwrap();

    // An unused environment goes, with its variables.
    store
        .set_variable(
            &w.org.id,
            NewVariable {
                id: id("var"),
                scope: VariableScope::Environment {
                    environment_id: staging.id.clone(),
                },
                name: "LOG".into(),
                value: VariableValue::Plain("debug".into()),
                updated_by: w.alice.id.clone(),
                updated_at: T0,
            },
        )
        .await
        .unwrap();
    store
        .delete_environment(&w.org.id, "staging")
        .await
        .unwrap();
    assert_not_found(
        store.get_environment(&w.org.id, "staging").await,
        "environment",
    );
    assert!(
        store
            .list_variables(
                &w.org.id,
                &VariableScope::Environment {
                    environment_id: staging.id.clone()
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn target_labels_and_health_history(store: &dyn Store) {
    let w = world(store).await;
    let mut labels = serde_json::Map::new();
    labels.insert("region".into(), "eu".into());
    labels.insert("tier".into(), "edge".into());
    let target = store
        .set_target_labels(&w.org.id, "local", labels.clone())
        .await
        .unwrap();
    assert_eq!(target.labels, labels);
    assert_eq!(
        store.get_target(&w.org.id, "local").await.unwrap().labels,
        labels
    );
    assert_not_found(
        store
            .set_target_labels(&w.org.id, "missing", serde_json::Map::new())
            .await,
        "target",
    );
    let other = org(store, "other").await;
    assert_not_found(
        store
            .set_target_labels(&other.id, "local", serde_json::Map::new())
            .await,
        "target",
    );

    for (i, status) in [TargetStatus::Up, TargetStatus::Down, TargetStatus::Up]
        .into_iter()
        .enumerate()
    {
        let check = TargetCheck {
            target_id: w.target.id.clone(),
            checked_at: T0 + i as i64 * 1000,
            status,
            latency_ms: 3 + i as i64,
            error: (status == TargetStatus::Down).then(|| "no answer within 10 s".to_string()),
        };
        store.record_target_check(check.clone()).await.unwrap();
        // The same millisecond twice is dropped, not an error.
        store.record_target_check(check).await.unwrap();
    }
    let checks = store.list_target_checks(&w.target.id, 10).await.unwrap();
    assert_eq!(checks.len(), 3);
    assert_eq!(checks[0].checked_at, T0 + 2000, "newest first");
    assert_eq!(checks[1].status, TargetStatus::Down);
    assert_eq!(checks[1].error.as_deref(), Some("no answer within 10 s"));
    assert_eq!(
        store
            .list_target_checks(&w.target.id, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.prune_target_checks(T0 + 1000).await.unwrap(), 1);
    assert_eq!(
        store
            .list_target_checks(&w.target.id, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    // Removing the target removes its history.
    store.delete_target(&w.org.id, "local", true).await.unwrap();
    assert!(
        store
            .list_target_checks(&w.target.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn host_policies_by_scope(store: &dyn Store) {
    let a = org(store, "pol-a").await;
    let b = org(store, "pol-b").await;
    assert!(store.list_host_policies(&a.id).await.unwrap().is_empty());
    let set = |org_id: &str, scope: PolicyScope, policy: serde_json::Value, at: Timestamp| {
        store.set_host_policy(HostPolicy {
            org_id: org_id.into(),
            scope,
            policy,
            updated_at: at,
        })
    };
    set(
        &a.id,
        PolicyScope::Organization,
        json!({"level": "baseline"}),
        T0,
    )
    .await
    .unwrap();
    set(
        &a.id,
        PolicyScope::Target("t1".into()),
        json!({"level": "restricted"}),
        T0,
    )
    .await
    .unwrap();
    set(
        &b.id,
        PolicyScope::Organization,
        json!({"level": "privileged"}),
        T0,
    )
    .await
    .unwrap();
    // Setting again replaces.
    set(
        &a.id,
        PolicyScope::Organization,
        json!({"level": "baseline", "allowed_host_paths": ["/srv"]}),
        T0 + 1,
    )
    .await
    .unwrap();
    let listed = store.list_host_policies(&a.id).await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0].scope, PolicyScope::Organization);
    assert_eq!(
        listed[0].policy,
        json!({"level": "baseline", "allowed_host_paths": ["/srv"]})
    );
    assert_eq!(listed[0].updated_at, T0 + 1);
    assert_eq!(listed[1].scope, PolicyScope::Target("t1".into()));
    // Tenants never see each other's policies.
    let of_b = store.list_host_policies(&b.id).await.unwrap();
    assert_eq!(of_b.len(), 1);
    assert_eq!(of_b[0].policy, json!({"level": "privileged"}));
    assert!(
        store
            .delete_host_policy(&a.id, &PolicyScope::Target("t1".into()))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_host_policy(&a.id, &PolicyScope::Target("t1".into()))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_host_policy(&b.id, &PolicyScope::Target("t1".into()))
            .await
            .unwrap()
    );
    // A policy for a missing organization is refused, not stored.
    assert!(
        set("missing-org", PolicyScope::Organization, json!({}), T0)
            .await
            .is_err()
    );
}
