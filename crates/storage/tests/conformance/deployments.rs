//! The deployment queue and deployment events (`DeploymentStore`).

use super::*;

pub(crate) async fn deployments_claim_in_fifo_order_one_running_per_stack_and_target(
    store: &dyn Store,
) {
    let w = world(store).await;
    let api = stack(store, &w.org.id, "api", &w.alice.id).await;
    let other = target(store, &w.org.id, "other").await;
    assert_eq!(
        store.claim_deployment("w1", T0, T0 + 1).await.unwrap(),
        None
    );

    let d1 = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    assert_eq!(d1.state, DeploymentState::Queued);
    assert_eq!(d1.stack_name, "web");
    assert_eq!(d1.target_name, "local");
    assert_eq!(d1.requested_by_name, "alice");
    assert_eq!((d1.attempts, d1.worker.clone()), (0, None));
    assert_eq!(
        (d1.started_at, d1.finished_at, d1.lease_until),
        (None, None, None)
    );
    assert!(!d1.cancel_requested);
    let d2 = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    let d3 = deploy(store, &w.org.id, &api, &w.target, &w.alice).await;
    let d4 = deploy(store, &w.org.id, &w.stack, &other, &w.alice).await;

    let first = store
        .claim_deployment("w1", T0 + 10, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.id, d1.id, "oldest first");
    assert_eq!(first.state, DeploymentState::Running);
    assert_eq!(first.worker.as_deref(), Some("w1"));
    assert_eq!(first.lease_until, Some(T0 + 1000));
    assert_eq!(first.started_at, Some(T0 + 10));
    assert_eq!(first.attempts, 1);
    // d2 waits for d1 (same stack and target); d3 and d4 may run beside it.
    let second = store
        .claim_deployment("w2", T0 + 11, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.id, d3.id);
    let third = store
        .claim_deployment("w2", T0 + 12, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(third.id, d4.id);
    assert_eq!(
        store.claim_deployment("w3", T0, T0 + 1).await.unwrap(),
        None
    );

    store
        .finish_deployment(&d1.id, finish(DeploymentState::Succeeded, T0 + 20))
        .await
        .unwrap();
    let fourth = store
        .claim_deployment("w3", T0 + 21, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fourth.id, d2.id);
    assert_eq!(
        store.claim_deployment("w3", T0, T0 + 1).await.unwrap(),
        None
    );
    let finished = store.get_deployment(&w.org.id, &d1.id).await.unwrap();
    assert_eq!(finished.state, DeploymentState::Succeeded);
    assert_eq!(finished.finished_at, Some(T0 + 20));
    assert_eq!(finished.error, None);
}

pub(crate) async fn concurrent_claimers_take_each_deployment_once(store: &dyn Store) {
    let w = world(store).await;
    let mut stacks = vec![w.stack.clone()];
    for i in 1..4 {
        stacks.push(stack(store, &w.org.id, &format!("s{i}"), &w.alice.id).await);
    }
    let mut targets = vec![w.target.clone()];
    for i in 1..3 {
        targets.push(target(store, &w.org.id, &format!("t{i}")).await);
    }
    // 12 (stack, target) pairs, two deployments each: the second of a pair only becomes
    // claimable once the first finishes.
    let mut all = HashSet::new();
    for _round in 0..2 {
        for s in &stacks {
            for t in &targets {
                all.insert(deploy(store, &w.org.id, s, t, &w.alice).await.id);
            }
        }
    }
    let claimers = (0..8).map(|worker| {
        let worker = format!("worker-{worker}");
        async move {
            let mut taken = Vec::new();
            while let Some(d) = store
                .claim_deployment(&worker, T0, T0 + 60_000)
                .await
                .unwrap()
            {
                assert_eq!(d.worker.as_deref(), Some(worker.as_str()));
                assert_eq!(d.attempts, 1, "{} claimed twice", d.id);
                taken.push(d.id.clone());
                store
                    .finish_deployment(&d.id, finish(DeploymentState::Succeeded, T0 + 1))
                    .await
                    .unwrap();
            }
            taken
        }
    });
    let taken: Vec<String> = join_all(claimers).await.into_iter().flatten().collect();
    let unique: HashSet<_> = taken.iter().cloned().collect();
    assert_eq!(taken.len(), unique.len(), "a deployment was claimed twice");
    assert_eq!(unique, all, "every deployment was claimed");
    let counts = store.count_deployments_by_state().await.unwrap();
    assert!(
        counts.contains(&(DeploymentState::Succeeded, 24)),
        "{counts:?}"
    );
    assert!(counts.contains(&(DeploymentState::Queued, 0)), "{counts:?}");
}

pub(crate) async fn leases_renew_expire_and_are_reclaimed(store: &dyn Store) {
    let w = world(store).await;
    let d = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    let claimed = store
        .claim_deployment("w1", T0, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, d.id);
    assert!(store.renew_lease(&d.id, "w1", T0 + 2000).await.unwrap());
    assert!(!store.renew_lease(&d.id, "w2", T0 + 9000).await.unwrap());
    assert!(!store.renew_lease("nope", "w1", T0 + 9000).await.unwrap());
    assert_eq!(
        store
            .get_deployment(&w.org.id, &d.id)
            .await
            .unwrap()
            .lease_until,
        Some(T0 + 2000)
    );

    // Not expired yet: nothing to reclaim.
    assert!(
        store
            .reclaim_expired("w2", T0 + 1999, T0 + 5000)
            .await
            .unwrap()
            .is_empty()
    );
    let reclaimed = store
        .reclaim_expired("w2", T0 + 2001, T0 + 5000)
        .await
        .unwrap();
    assert_eq!(reclaimed.len(), 1);
    let resumed = &reclaimed[0];
    assert_eq!(resumed.id, d.id);
    assert_eq!(resumed.state, DeploymentState::Running);
    assert_eq!(resumed.worker.as_deref(), Some("w2"));
    assert_eq!(resumed.lease_until, Some(T0 + 5000));
    assert_eq!(resumed.attempts, 2);
    assert_eq!(resumed.started_at, Some(T0), "the first start is kept");
    // The dead worker has lost it.
    assert!(!store.renew_lease(&d.id, "w1", T0 + 9000).await.unwrap());
    assert!(store.renew_lease(&d.id, "w2", T0 + 6000).await.unwrap());
    // Two reclaimers racing: each expired deployment goes to exactly one.
    let racers =
        (0..4).map(|i| store.reclaim_expired(["a", "b", "c", "d"][i], T0 + 7000, T0 + 8000));
    let results = join_all(racers).await;
    let total: usize = results.iter().map(|r| r.as_ref().unwrap().len()).sum();
    assert_eq!(total, 1);

    // Queued and finished deployments are never reclaimed.
    store
        .finish_deployment(&d.id, finish(DeploymentState::Failed, T0 + 9000))
        .await
        .unwrap();
    deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    assert!(
        store
            .reclaim_expired("w3", T0 + 100_000, T0 + 200_000)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn idempotency_keys_return_the_earlier_deployment(store: &dyn Store) {
    let w = world(store).await;
    let bob = user(store, "bob").await;
    let keyed = |user: &User, key: &str| NewDeployment {
        idempotency_key: Some(key.into()),
        ..new_deployment(&w.org.id, &w.stack, &w.target, user)
    };
    let (first, created) = store
        .create_deployment(keyed(&w.alice, "k1"))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(first.idempotency_key.as_deref(), Some("k1"));
    let (again, created) = store
        .create_deployment(keyed(&w.alice, "k1"))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again, first);
    // Another user, or another key, is another deployment.
    let (bobs, created) = store.create_deployment(keyed(&bob, "k1")).await.unwrap();
    assert!(created);
    assert_ne!(bobs.id, first.id);
    let (other, created) = store
        .create_deployment(keyed(&w.alice, "k2"))
        .await
        .unwrap();
    assert!(created && other.id != first.id);
    // No key, no deduplication.
    let a = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    let b = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    assert_ne!(a.id, b.id);

    // The same key sent concurrently still yields one deployment.
    let racing = (0..6).map(|_| store.create_deployment(keyed(&w.alice, "k3")));
    let results: Vec<_> = join_all(racing)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    let ids: HashSet<_> = results.iter().map(|(d, _)| d.id.clone()).collect();
    assert_eq!(ids.len(), 1);
    // Reusing a deployment id is a conflict on the id.
    assert_conflict(
        store
            .create_deployment(NewDeployment {
                id: first.id.clone(),
                ..new_deployment(&w.org.id, &w.stack, &w.target, &w.alice)
            })
            .await,
        "deployment",
        "id",
    );
}

pub(crate) async fn create_deployment_checks_references(store: &dyn Store) {
    let w = world(store).await;
    let prod = environment(store, &w.org.id, "prod").await;
    let base = || new_deployment(&w.org.id, &w.stack, &w.target, &w.alice);
    assert_not_found(
        store
            .create_deployment(NewDeployment {
                stack_id: "nope".into(),
                ..base()
            })
            .await,
        "stack",
    );
    assert_not_found(
        store
            .create_deployment(NewDeployment {
                target_id: "nope".into(),
                ..base()
            })
            .await,
        "target",
    );
    assert_not_found(
        store
            .create_deployment(NewDeployment {
                stack_version: 2,
                ..base()
            })
            .await,
        "stack version",
    );
    assert_not_found(
        store
            .create_deployment(NewDeployment {
                environment_id: Some("nope".into()),
                ..base()
            })
            .await,
        "environment",
    );
    assert_not_found(
        store
            .create_deployment(NewDeployment {
                requested_by: "nobody".into(),
                ..base()
            })
            .await,
        "user",
    );
    let (with_env, _) = store
        .create_deployment(NewDeployment {
            environment_id: Some(prod.id.clone()),
            kind: DeploymentKind::Rollback,
            ..base()
        })
        .await
        .unwrap();
    assert_eq!(with_env.environment_id.as_deref(), Some(prod.id.as_str()));
    assert_eq!(with_env.environment_name.as_deref(), Some("prod"));
    assert_eq!(with_env.kind, DeploymentKind::Rollback);
    assert_eq!(with_env.stack_version, 1);
    assert_eq!(with_env.created_at, T0);
    assert_eq!(
        store.get_deployment(&w.org.id, &with_env.id).await.unwrap(),
        with_env
    );
    assert_not_found(store.get_deployment(&w.org.id, "nope").await, "deployment");
}

pub(crate) async fn cancel_queued_running_and_finished(store: &dyn Store) {
    let w = world(store).await;
    let api = stack(store, &w.org.id, "api", &w.alice.id).await;
    let running = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    let queued = deploy(store, &w.org.id, &api, &w.target, &w.alice).await;
    store
        .claim_deployment("w1", T0, T0 + 1000)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(
        store
            .cancel_deployment(&w.org.id, &queued.id, T0 + 5)
            .await
            .unwrap(),
        CancelOutcome::Cancelled
    );
    let cancelled = store.get_deployment(&w.org.id, &queued.id).await.unwrap();
    assert_eq!(cancelled.state, DeploymentState::Cancelled);
    assert_eq!(cancelled.finished_at, Some(T0 + 5));
    // A cancelled deployment is never claimed.
    assert_eq!(
        store.claim_deployment("w2", T0, T0 + 1).await.unwrap(),
        None
    );

    assert!(!store.is_cancel_requested(&running.id).await.unwrap());
    assert_eq!(
        store
            .cancel_deployment(&w.org.id, &running.id, T0 + 6)
            .await
            .unwrap(),
        CancelOutcome::Requested
    );
    assert!(store.is_cancel_requested(&running.id).await.unwrap());
    let flagged = store.get_deployment(&w.org.id, &running.id).await.unwrap();
    assert_eq!(flagged.state, DeploymentState::Running);
    assert!(flagged.cancel_requested);
    // Asking twice is harmless.
    assert_eq!(
        store
            .cancel_deployment(&w.org.id, &running.id, T0 + 7)
            .await
            .unwrap(),
        CancelOutcome::Requested
    );
    store
        .finish_deployment(&running.id, finish(DeploymentState::Cancelled, T0 + 8))
        .await
        .unwrap();

    assert_invalid(
        store
            .cancel_deployment(&w.org.id, &running.id, T0 + 9)
            .await,
        "finished",
    );
    assert_invalid(
        store.cancel_deployment(&w.org.id, &queued.id, T0 + 9).await,
        "cancelled",
    );
    assert_not_found(
        store.cancel_deployment(&w.org.id, "nope", T0).await,
        "deployment",
    );
    assert_not_found(store.is_cancel_requested("nope").await, "deployment");
}

pub(crate) async fn finish_only_from_running(store: &dyn Store) {
    let w = world(store).await;
    let d = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    assert_invalid(
        store
            .finish_deployment(&d.id, finish(DeploymentState::Succeeded, T0))
            .await,
        "queued",
    );
    store
        .claim_deployment("w1", T0, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_invalid(
        store
            .finish_deployment(&d.id, finish(DeploymentState::Queued, T0))
            .await,
        "queued",
    );
    assert_invalid(
        store
            .finish_deployment(&d.id, finish(DeploymentState::Running, T0))
            .await,
        "running",
    );

    let plan = json!({"steps": [{"id": "web", "after": []}], "unicode": "é✓"});
    store.set_deployment_plan(&d.id, &plan).await.unwrap();
    assert_not_found(store.set_deployment_plan("nope", &plan).await, "deployment");
    assert_eq!(
        store
            .get_deployment(&w.org.id, &d.id)
            .await
            .unwrap()
            .ingress,
        None
    );
    let ingress = json!({"web": {"domains": ["shop.example.test"], "port": 80, "tls": "auto"}});
    store.set_deployment_ingress(&d.id, &ingress).await.unwrap();
    assert_not_found(
        store.set_deployment_ingress("nope", &ingress).await,
        "deployment",
    );

    store
        .finish_deployment(&d.id, finish(DeploymentState::RolledBack, T0 + 3))
        .await
        .unwrap();
    let done = store.get_deployment(&w.org.id, &d.id).await.unwrap();
    assert_eq!(done.state, DeploymentState::RolledBack);
    assert_eq!(done.error.as_deref(), Some("ended rolled_back"));
    assert_eq!(done.finished_at, Some(T0 + 3));
    assert_eq!(done.plan, Some(plan));
    assert_eq!(done.ingress, Some(ingress));
    assert_eq!(done.worker.as_deref(), Some("w1"));
    assert_invalid(
        store
            .finish_deployment(&d.id, finish(DeploymentState::Succeeded, T0 + 4))
            .await,
        "rolled_back",
    );
    assert_not_found(
        store
            .finish_deployment("nope", finish(DeploymentState::Failed, T0))
            .await,
        "deployment",
    );
}

pub(crate) async fn events_continue_their_sequence(store: &dyn Store) {
    let w = world(store).await;
    let d = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    let other = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    let event = |deployment: &Deployment, seq: i64| DeploymentEvent {
        deployment_id: deployment.id.clone(),
        seq,
        at: T0 + seq,
        data: json!({"seq": seq, "kind": "step_started"}),
    };
    store
        .append_deployment_events(&[event(&d, 1), event(&d, 2), event(&other, 1), event(&d, 3)])
        .await
        .unwrap();
    store
        .append_deployment_events(&[event(&d, 4), event(&d, 5)])
        .await
        .unwrap();
    store.append_deployment_events(&[]).await.unwrap();

    let all = store.list_deployment_events(&d.id, 0, 100).await.unwrap();
    let seqs: Vec<_> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(all[2], event(&d, 3));
    let after = store.list_deployment_events(&d.id, 3, 100).await.unwrap();
    assert_eq!(after.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5]);
    let limited = store.list_deployment_events(&d.id, 1, 2).await.unwrap();
    assert_eq!(limited.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    assert!(
        store
            .list_deployment_events(&d.id, 5, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .list_deployment_events(&other.id, 0, 10)
            .await
            .unwrap(),
        vec![event(&other, 1)]
    );

    // Gaps, repeats and restarts are refused, and a refused batch adds nothing.
    assert_invalid(
        store
            .append_deployment_events(&[event(&d, 6), event(&d, 8)])
            .await,
        "sequence",
    );
    assert_invalid(
        store.append_deployment_events(&[event(&d, 5)]).await,
        "sequence",
    );
    assert_invalid(
        store.append_deployment_events(&[event(&other, 1)]).await,
        "sequence",
    );
    assert_eq!(
        store
            .list_deployment_events(&d.id, 0, 100)
            .await
            .unwrap()
            .len(),
        5
    );
    assert_not_found(
        store
            .append_deployment_events(&[DeploymentEvent {
                deployment_id: "nope".into(),
                seq: 1,
                at: T0,
                data: json!(null),
            }])
            .await,
        "deployment",
    );
}

pub(crate) async fn last_succeeded_and_counts_by_state(store: &dyn Store) {
    let w = world(store).await;
    let other_target = target(store, &w.org.id, "other").await;
    for v in 2..=4 {
        store
            .add_stack_version(
                &w.org.id,
                &w.stack.id,
                v - 1,
                new_version(&w.alice.id, &v.to_string(), T0),
            )
            .await
            .unwrap();
    }
    let run = |version: i64, outcome: DeploymentState| {
        let stack_now = Stack {
            latest_version: version,
            ..w.stack.clone()
        };
        let (org_id, target, alice) = (w.org.id.clone(), w.target.clone(), w.alice.clone());
        async move {
            let d = deploy(store, &org_id, &stack_now, &target, &alice).await;
            let claimed = store
                .claim_deployment("w", T0, T0 + 1000)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(claimed.id, d.id);
            store
                .finish_deployment(&d.id, finish(outcome, T0 + version))
                .await
                .unwrap();
            d
        }
    };
    let v1 = run(1, DeploymentState::Succeeded).await;
    let v2 = run(2, DeploymentState::Succeeded).await;
    let _v3 = run(3, DeploymentState::Failed).await;
    let _v4 = run(4, DeploymentState::RolledBack).await;

    let last = |before: Option<i64>| {
        let (org_id, stack_id, target_id) =
            (w.org.id.clone(), w.stack.id.clone(), w.target.id.clone());
        async move {
            store
                .last_succeeded_deployment(&org_id, &stack_id, &target_id, before)
                .await
                .unwrap()
                .map(|d| d.id)
        }
    };
    assert_eq!(last(None).await, Some(v2.id.clone()));
    assert_eq!(last(Some(4)).await, Some(v2.id.clone()));
    assert_eq!(last(Some(2)).await, Some(v1.id.clone()));
    assert_eq!(last(Some(1)).await, None);
    assert_eq!(
        store
            .last_succeeded_deployment(&w.org.id, &w.stack.id, &other_target.id, None)
            .await
            .unwrap(),
        None
    );

    deploy(store, &w.org.id, &w.stack, &other_target, &w.alice).await;
    let counts = store.count_deployments_by_state().await.unwrap();
    let expected: Vec<(DeploymentState, i64)> = vec![
        (DeploymentState::Queued, 1),
        (DeploymentState::Running, 0),
        (DeploymentState::Succeeded, 2),
        (DeploymentState::Failed, 1),
        (DeploymentState::RolledBack, 1),
        (DeploymentState::Cancelled, 0),
    ];
    assert_eq!(counts, expected);
}

pub(crate) async fn list_deployments_filters_and_pages(store: &dyn Store) {
    let w = world(store).await;
    let api = stack(store, &w.org.id, "api", &w.alice.id).await;
    let other = target(store, &w.org.id, "other").await;
    let d1 = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    let d2 = deploy(store, &w.org.id, &api, &w.target, &w.alice).await;
    let d3 = deploy(store, &w.org.id, &w.stack, &other, &w.alice).await;
    let d4 = deploy(store, &w.org.id, &w.stack, &w.target, &w.alice).await;
    store
        .claim_deployment("w", T0, T0 + 1000)
        .await
        .unwrap()
        .unwrap();

    let list = |filter: DeploymentFilter, page: PageRequest| {
        let org_id = w.org.id.clone();
        async move {
            let page = store
                .list_deployments(&org_id, &filter, page)
                .await
                .unwrap();
            (
                page.total,
                page.items.into_iter().map(|d| d.id).collect::<Vec<_>>(),
            )
        }
    };
    let ids = |ds: &[&Deployment]| ds.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        list(DeploymentFilter::default(), PageRequest::all()).await,
        (4, ids(&[&d4, &d3, &d2, &d1])),
        "newest first"
    );
    assert_eq!(
        list(DeploymentFilter::default(), PageRequest::new(2, 1)).await,
        (4, ids(&[&d3, &d2]))
    );
    assert_eq!(
        list(DeploymentFilter::default(), PageRequest::new(2, 10)).await,
        (4, vec![])
    );
    let by_stack = DeploymentFilter {
        stack_id: Some(w.stack.id.clone()),
        ..Default::default()
    };
    assert_eq!(
        list(by_stack.clone(), PageRequest::all()).await,
        (3, ids(&[&d4, &d3, &d1]))
    );
    let by_both = DeploymentFilter {
        target_id: Some(w.target.id.clone()),
        ..by_stack.clone()
    };
    assert_eq!(
        list(by_both.clone(), PageRequest::all()).await,
        (2, ids(&[&d4, &d1]))
    );
    let running = DeploymentFilter {
        state: Some(DeploymentState::Running),
        ..Default::default()
    };
    assert_eq!(list(running, PageRequest::all()).await, (1, ids(&[&d1])));
    let queued_here = DeploymentFilter {
        state: Some(DeploymentState::Queued),
        ..by_both
    };
    assert_eq!(
        list(queued_here, PageRequest::all()).await,
        (1, ids(&[&d4]))
    );
}

pub(crate) async fn deployments_move_to_another_target(store: &dyn Store) {
    let w = world(store).await;
    let spare = target(store, &w.org.id, "spare").await;
    let busy = target(store, &w.org.id, "busy").await;
    let placement = serde_json::json!({"selector": {"tier": "edge"}, "failover": true});
    let (queued, created) = store
        .create_deployment(NewDeployment {
            placement: Some(placement.clone()),
            ..new_deployment(&w.org.id, &w.stack, &w.target, &w.alice)
        })
        .await
        .unwrap();
    assert!(created);
    assert_eq!(queued.placement, Some(placement));
    let running = store
        .claim_deployment("w1", T0 + 1, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(running.id, queued.id);

    // Another worker cannot move it.
    let moved = serde_json::json!({"selector": {"tier": "edge"}, "tried": ["local"]});
    assert_not_found(
        store
            .move_deployment(&queued.id, "w2", &spare.id, &moved)
            .await,
        "deployment",
    );
    // Not onto another organization's target.
    let other = org(store, "other").await;
    let foreign = target(store, &other.id, "foreign").await;
    assert_not_found(
        store
            .move_deployment(&queued.id, "w1", &foreign.id, &moved)
            .await,
        "deployment",
    );
    // Not where the stack already runs a deployment.
    let blocker = deploy(store, &w.org.id, &w.stack, &busy, &w.alice).await;
    let claimed = store
        .claim_deployment("w3", T0 + 2, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, blocker.id);
    assert_conflict(
        store
            .move_deployment(&queued.id, "w1", &busy.id, &moved)
            .await,
        "deployment",
        "target",
    );

    let after = store
        .move_deployment(&queued.id, "w1", &spare.id, &moved)
        .await
        .unwrap();
    assert_eq!(
        (after.target_id.as_str(), after.target_name.as_str()),
        (spare.id.as_str(), "spare")
    );
    assert_eq!(after.placement, Some(moved));
    assert_eq!(after.state, DeploymentState::Running);
    assert_eq!(
        store
            .get_deployment(&w.org.id, &queued.id)
            .await
            .unwrap()
            .target_name,
        "spare"
    );
}
