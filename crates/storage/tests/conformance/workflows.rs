//! Workflows, their versions, runs (a leased queue with one row per node) and notification
//! channels (`WorkflowStore`).

use super::*;

fn sealed(text: &str) -> SecretValue {
    SecretValue {
        key_id: "k1".into(),
        nonce: vec![7; 24],
        ciphertext: text.as_bytes().to_vec(),
    }
}

fn workflow(org_id: &str, name: &str, user: &User) -> WorkflowRecord {
    WorkflowRecord {
        id: id("workflow"),
        org_id: org_id.into(),
        name: name.into(),
        version: 1,
        document: json!({"name": name, "nodes": [{"id": "a", "type": "set"}]}),
        enabled: true,
        webhook_token: None,
        webhook_secret: None,
        next_cron_at: None,
        created_by: user.id.clone(),
        created_at: T0,
        updated_by: user.id.clone(),
        updated_at: T0,
    }
}

fn run(w: &WorkflowRecord, limit: i64, at: Timestamp) -> WorkflowRunRecord {
    WorkflowRunRecord {
        id: id("run"),
        org_id: w.org_id.clone(),
        workflow_id: w.id.clone(),
        workflow_name: w.name.clone(),
        version: w.version,
        status: "queued".into(),
        trigger_kind: "manual".into(),
        trigger_payload: json!({}),
        inputs: json!({"version": "2"}),
        requested_by: None,
        parent_run: None,
        concurrency_limit: limit,
        lease_owner: None,
        lease_expires_at: None,
        attempts: 0,
        cancel_requested: false,
        wake_at: None,
        error: None,
        created_at: at,
        started_at: None,
        finished_at: None,
    }
}

fn node(run_id: &str, node_id: &str, status: &str) -> WorkflowNodeRunRecord {
    WorkflowNodeRunRecord {
        run_id: run_id.into(),
        node_id: node_id.into(),
        status: status.into(),
        port: None,
        attempt: 1,
        input: Some(json!({"stack": "web"})),
        output: None,
        logs: String::new(),
        error: None,
        reference: None,
        wake_at: None,
        started_at: Some(T0),
        finished_at: None,
    }
}

pub(crate) async fn workflows_version_without_gaps_within_their_organization(store: &dyn Store) {
    let alice = user(store, "wf-alice").await;
    let acme = org(store, "wf-acme").await;
    let other = org(store, "wf-other").await;
    let w = store
        .create_workflow(workflow(&acme.id, "deploy", &alice))
        .await
        .unwrap();
    assert_eq!(w.version, 1);
    // Same name in the organization: a conflict; in another organization: fine.
    assert!(matches!(
        store
            .create_workflow(workflow(&acme.id, "deploy", &alice))
            .await,
        Err(StoreError::Conflict { field: "name", .. })
    ));
    store
        .create_workflow(workflow(&other.id, "deploy", &alice))
        .await
        .unwrap();
    // A save names the version it replaces: the stale one loses.
    let doc2 = json!({"name": "deploy", "nodes": [{"id": "b", "type": "set"}]});
    let v2 = store
        .add_workflow_version(
            &acme.id,
            &w.id,
            1,
            &doc2,
            &alice.id,
            T0 + 1,
            Some(T0 + 60_000),
        )
        .await
        .unwrap();
    assert_eq!((v2.version, v2.next_cron_at), (2, Some(T0 + 60_000)));
    assert_eq!(v2.document, doc2);
    assert!(matches!(
        store
            .add_workflow_version(&acme.id, &w.id, 1, &doc2, &alice.id, T0 + 2, None)
            .await,
        Err(StoreError::Conflict {
            field: "version",
            ..
        })
    ));
    assert!(matches!(
        store
            .add_workflow_version(&other.id, &w.id, 2, &doc2, &alice.id, T0 + 2, None)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let versions = store.list_workflow_versions(&w.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(
        store.get_workflow_version(&w.id, 1).await.unwrap().document,
        w.document
    );
    // Tenancy: another organization cannot read it.
    assert!(store.get_workflow(&other.id, &w.id).await.is_err());
    assert_eq!(store.list_workflows(&acme.id).await.unwrap().len(), 1);
    // Webhook: routed by token, the key stays sealed.
    store
        .set_workflow_webhook(&acme.id, &w.id, "tok-1", &sealed("hmac-key"))
        .await
        .unwrap();
    let found = store
        .find_workflow_by_webhook("tok-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.webhook_secret, Some(sealed("hmac-key")));
    assert!(
        store
            .find_workflow_by_webhook("tok-2")
            .await
            .unwrap()
            .is_none()
    );
    // Cron: due ones, and one server advances each firing.
    assert_eq!(
        store
            .list_due_cron_workflows(T0 + 59_999)
            .await
            .unwrap()
            .len(),
        0
    );
    let due = store.list_due_cron_workflows(T0 + 60_000).await.unwrap();
    assert_eq!(due.len(), 1);
    assert!(
        store
            .advance_workflow_cron(&w.id, Some(T0 + 60_000), Some(T0 + 120_000))
            .await
            .unwrap()
    );
    assert!(
        !store
            .advance_workflow_cron(&w.id, Some(T0 + 60_000), Some(T0 + 120_000))
            .await
            .unwrap()
    );
    // Deleting stops its webhook and its cron, and frees the name.
    store
        .delete_workflow(&acme.id, &w.id, T0 + 3)
        .await
        .unwrap();
    assert!(
        store
            .find_workflow_by_webhook("tok-1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_workflow(&acme.id, "deploy")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .list_due_cron_workflows(T0 + 999_999)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .create_workflow(workflow(&acme.id, "deploy", &alice))
        .await
        .unwrap();
}

pub(crate) async fn workflow_runs_claim_within_concurrency_and_resume(store: &dyn Store) {
    let alice = user(store, "wfr-alice").await;
    let acme = org(store, "wfr-acme").await;
    let w = store
        .create_workflow(workflow(&acme.id, "runs", &alice))
        .await
        .unwrap();
    let first = store
        .create_workflow_run(run(&w, 1, T0), &[])
        .await
        .unwrap();
    let second = store
        .create_workflow_run(run(&w, 1, T0 + 1), &[node("ignored", "a", "succeeded")])
        .await;
    // A node row names its own run: the copy above refers to no run.
    assert!(second.is_err());
    let second = store
        .create_workflow_run(run(&w, 1, T0 + 1), &[])
        .await
        .unwrap();
    // Oldest first, and only one at a time under a limit of one.
    let claimed = store
        .claim_workflow_run("server-a", T0 + 10, T0 + 1_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, first.id);
    assert_eq!((claimed.status.as_str(), claimed.attempts), ("running", 1));
    assert!(
        store
            .claim_workflow_run("server-b", T0 + 10, T0 + 1_000)
            .await
            .unwrap()
            .is_none()
    );
    // Node rows are upserted.
    let mut n = node(&first.id, "deploy", "running");
    store.save_workflow_node_run(&n).await.unwrap();
    n.status = "succeeded".into();
    n.output = Some(json!({"deployment": "d-1"}));
    n.reference = Some("d-1".into());
    n.finished_at = Some(T0 + 20);
    store.save_workflow_node_run(&n).await.unwrap();
    let nodes = store.list_workflow_node_runs(&first.id).await.unwrap();
    assert_eq!(nodes, vec![n.clone()]);
    // The server dies: once its lease runs out another takes the run again.
    assert!(
        store
            .claim_workflow_run("server-b", T0 + 999, T0 + 2_000)
            .await
            .unwrap()
            .is_none()
    );
    let resumed = store
        .claim_workflow_run("server-b", T0 + 1_001, T0 + 3_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (resumed.id.as_str(), resumed.attempts),
        (first.id.as_str(), 2)
    );
    assert!(
        !store
            .renew_workflow_lease(&first.id, "server-a", T0 + 5_000)
            .await
            .unwrap()
    );
    assert!(
        store
            .renew_workflow_lease(&first.id, "server-b", T0 + 5_000)
            .await
            .unwrap()
    );
    // Parked for an approval: it still holds the workflow's only slot.
    assert!(
        store
            .park_workflow_run(&first.id, "server-b", None)
            .await
            .unwrap()
    );
    let mut gate = node(&first.id, "gate", "waiting");
    gate.wake_at = None;
    store.save_workflow_node_run(&gate).await.unwrap();
    assert!(
        store
            .claim_workflow_run("server-b", T0 + 1_100, T0 + 3_000)
            .await
            .unwrap()
            .is_none()
    );
    // A decision queues it again, once.
    assert!(
        store
            .decide_workflow_approval(
                &first.id,
                "gate",
                "succeeded",
                &json!({"decision": "approved"}),
                None,
                T0 + 1_200
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .decide_workflow_approval(
                &first.id,
                "gate",
                "failed",
                &json!({}),
                Some("late"),
                T0 + 1_201
            )
            .await
            .unwrap()
    );
    let again = store
        .claim_workflow_run("server-b", T0 + 1_300, T0 + 4_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, first.id);
    store
        .finish_workflow_run(&first.id, "succeeded", None, T0 + 1_400)
        .await
        .unwrap();
    assert!(
        store
            .finish_workflow_run(&first.id, "failed", None, T0 + 1_401)
            .await
            .is_err()
    );
    // The slot is free: the second run goes.
    let next = store
        .claim_workflow_run("server-b", T0 + 1_500, T0 + 4_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.id, second.id);
    // A timer: parked until wake_at.
    assert!(
        store
            .park_workflow_run(&second.id, "server-b", Some(T0 + 10_000))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_workflow_run("server-b", T0 + 9_999, T0 + 20_000)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .claim_workflow_run("server-b", T0 + 10_000, T0 + 20_000)
            .await
            .unwrap()
            .unwrap()
            .id,
        second.id
    );
    // Cancelling a running run flags it; a queued one ends at once.
    let flagged = store
        .request_workflow_run_cancel(&acme.id, &second.id, T0 + 10_001)
        .await
        .unwrap();
    assert_eq!(flagged.status, "running");
    assert!(
        store
            .is_workflow_run_cancel_requested(&second.id)
            .await
            .unwrap()
    );
    let third = store
        .create_workflow_run(run(&w, 1, T0 + 2), &[])
        .await
        .unwrap();
    let cancelled = store
        .request_workflow_run_cancel(&acme.id, &third.id, T0 + 10_002)
        .await
        .unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert!(
        store
            .request_workflow_run_cancel(&acme.id, &third.id, T0 + 10_003)
            .await
            .is_err()
    );
    let active = store.active_workflow_runs(&w.id).await.unwrap();
    assert_eq!(
        active.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [second.id.as_str()]
    );
    let listed = store
        .list_workflow_runs(&acme.id, Some(&w.id), 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].id, third.id);
    // Retention removes finished runs with their nodes.
    assert_eq!(store.prune_workflow_runs(T0 + 1_000_000).await.unwrap(), 2);
    assert!(store.get_workflow_run(&acme.id, &first.id).await.is_err());
    assert!(
        store
            .list_workflow_node_runs(&first.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn concurrent_workflow_claimers_take_each_run_once(store: &dyn Store) {
    let alice = user(store, "wfc-alice").await;
    let acme = org(store, "wfc-acme").await;
    let w = store
        .create_workflow(workflow(&acme.id, "many", &alice))
        .await
        .unwrap();
    for i in 0..12 {
        store
            .create_workflow_run(run(&w, 100, T0 + i), &[])
            .await
            .unwrap();
    }
    let claims = futures::future::join_all((0..4).map(|worker| async move {
        let mut got = Vec::new();
        while let Some(r) = store
            .claim_workflow_run(&format!("w{worker}"), T0 + 100, T0 + 10_000)
            .await
            .unwrap()
        {
            got.push(r.id);
        }
        got
    }))
    .await;
    let mut all: Vec<String> = claims.into_iter().flatten().collect();
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!((before, all.len()), (12, 12));
}

pub(crate) async fn notification_channels_keep_their_secret_within_their_organization(
    store: &dyn Store,
) {
    let alice = user(store, "nc-alice").await;
    let acme = org(store, "nc-acme").await;
    let other = org(store, "nc-other").await;
    let channel = NotificationChannelRecord {
        id: id("channel"),
        org_id: acme.id.clone(),
        name: "team".into(),
        kind: "slack".into(),
        settings: json!({"kind": "slack"}),
        secret: Some(sealed("https://hooks.slack.test/T/B/x")),
        created_by: alice.id.clone(),
        created_at: T0,
        updated_at: T0,
    };
    let created = store
        .create_notification_channel(channel.clone())
        .await
        .unwrap();
    assert_eq!(created, channel);
    assert!(matches!(
        store
            .create_notification_channel(NotificationChannelRecord {
                id: id("channel"),
                ..channel.clone()
            })
            .await,
        Err(StoreError::Conflict { field: "name", .. })
    ));
    assert!(
        store
            .find_notification_channel(&other.id, "team")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .delete_notification_channel(&other.id, &created.id)
            .await
            .is_err()
    );
    store
        .replace_notification_channel_secret(&created.id, Some(sealed("rotated")))
        .await
        .unwrap();
    let found = store
        .find_notification_channel(&acme.id, "team")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.secret, Some(sealed("rotated")));
    assert_eq!(
        store.list_all_notification_channels().await.unwrap().len(),
        1
    );
    store
        .delete_notification_channel(&acme.id, &created.id)
        .await
        .unwrap();
    assert!(
        store
            .list_notification_channels(&acme.id)
            .await
            .unwrap()
            .is_empty()
    );
}
