//! Backup repositories, policies, runs (a leased queue) and snapshots (`BackupStore`).

use std::sync::Mutex;

use super::*;

fn sealed(text: &str) -> SecretValue {
    SecretValue {
        key_id: "k1".into(),
        nonce: vec![7; 24],
        ciphertext: text.as_bytes().to_vec(),
    }
}

fn repository(org_id: &str, name: &str, user: &User) -> BackupRepositoryRecord {
    BackupRepositoryRecord {
        id: id("repository"),
        org_id: org_id.into(),
        name: name.into(),
        kind: "s3".into(),
        settings: json!({"endpoint": "https://s3.example.test", "bucket": "backups"}),
        credentials: Some(sealed("access-key:secret-key")),
        password: sealed("restic-password"),
        initialized_at: None,
        checked_at: None,
        check_ok: None,
        check_message: None,
        created_by: user.id.clone(),
        created_at: T0,
        updated_at: T0,
    }
}

async fn create_repository(
    store: &dyn Store,
    org_id: &str,
    name: &str,
    user: &User,
) -> BackupRepositoryRecord {
    store
        .create_backup_repository(repository(org_id, name, user))
        .await
        .unwrap()
}

fn policy(
    org_id: &str,
    stack_id: &str,
    repository_id: &str,
    next_backup_at: Option<Timestamp>,
) -> BackupPolicyRecord {
    BackupPolicyRecord {
        org_id: org_id.into(),
        stack_id: stack_id.into(),
        repository_id: repository_id.into(),
        enabled: true,
        settings: json!({"schedule": "0 3 * * *", "retention": {"daily": 7}}),
        next_backup_at,
        next_check_at: None,
        next_drill_at: None,
        updated_by: "user-1".into(),
        updated_at: T0,
    }
}

fn run(org_id: &str, stack: Option<&Stack>, repository_id: &str, kind: &str) -> BackupRunRecord {
    BackupRunRecord {
        id: id("run"),
        org_id: org_id.into(),
        stack_id: stack.map(|s| s.id.clone()),
        stack_name: stack.map(|s| s.name.clone()),
        repository_id: repository_id.into(),
        kind: kind.into(),
        status: "queued".into(),
        trigger: "manual".into(),
        requested_by: "user-1".into(),
        params: json!({"volumes": ["data"]}),
        result: json!({}),
        error: None,
        lease_owner: None,
        lease_expires_at: None,
        attempts: 0,
        cancel_requested: false,
        created_at: T0,
        started_at: None,
        finished_at: None,
    }
}

async fn queue(
    store: &dyn Store,
    org_id: &str,
    stack: Option<&Stack>,
    repository_id: &str,
    kind: &str,
) -> BackupRunRecord {
    store
        .create_backup_run(run(org_id, stack, repository_id, kind))
        .await
        .unwrap()
}

fn snapshot(
    run: &BackupRunRecord,
    hex: char,
    item: &str,
    created_at: Timestamp,
) -> BackupSnapshotRecord {
    BackupSnapshotRecord {
        id: hex.to_string().repeat(64),
        org_id: run.org_id.clone(),
        repository_id: run.repository_id.clone(),
        stack_id: run.stack_id.clone().unwrap_or_default(),
        stack_name: run.stack_name.clone().unwrap_or_default(),
        run_id: run.id.clone(),
        item: item.into(),
        kind: item.split(':').next().unwrap_or_default().into(),
        engine: item.starts_with("database:").then(|| "postgres".into()),
        path: format!("/{item}"),
        files: 10,
        size_bytes: 1000,
        added_bytes: 100,
        duration_ms: 5,
        created_at,
    }
}

pub(crate) async fn backup_repositories_keep_their_secrets_and_names(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let created = create_repository(store, &w.org.id, "offsite", &w.alice).await;
    assert_eq!(created.credentials, Some(sealed("access-key:secret-key")));
    assert_eq!(created.password, sealed("restic-password"));
    assert_eq!(created.settings["bucket"], "backups");
    assert_eq!((created.check_ok, created.initialized_at), (None, None));
    assert_conflict(
        store
            .create_backup_repository(repository(&w.org.id, "offsite", &w.alice))
            .await,
        "backup repository",
        "name",
    );
    // Names are unique per organization only.
    create_repository(store, &other.id, "offsite", &w.alice).await;
    let mut local = repository(&w.org.id, "local", &w.alice);
    local.kind = "folder".into();
    local.credentials = None;
    let local = store.create_backup_repository(local).await.unwrap();
    assert_eq!(local.credentials, None);

    // Another organization sees nothing of it.
    assert_not_found(
        store.get_backup_repository(&other.id, &created.id).await,
        "backup repository",
    );
    assert_eq!(
        store
            .find_backup_repository(&other.id, "local")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .get_backup_repository(&w.org.id, &created.id)
            .await
            .unwrap(),
        created
    );
    assert_eq!(
        store
            .find_backup_repository(&w.org.id, "offsite")
            .await
            .unwrap(),
        Some(created.clone())
    );
    let names: Vec<String> = store
        .list_backup_repositories(&w.org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["local", "offsite"]);

    // An update without credentials keeps the sealed ones; with them, replaces them.
    let mut edit = created.clone();
    edit.name = "offsite-eu".into();
    edit.settings = json!({"endpoint": "https://s3.eu.example.test", "bucket": "b2"});
    edit.credentials = None;
    edit.updated_at = T0 + 5;
    let updated = store.update_backup_repository(edit.clone()).await.unwrap();
    assert_eq!(updated.name, "offsite-eu");
    assert_eq!(updated.settings["bucket"], "b2");
    assert_eq!(updated.updated_at, T0 + 5);
    assert_eq!(updated.credentials, created.credentials, "kept");
    assert_eq!(updated.password, created.password);
    edit.credentials = Some(sealed("new-key"));
    let updated = store.update_backup_repository(edit.clone()).await.unwrap();
    assert_eq!(updated.credentials, Some(sealed("new-key")));
    edit.name = "local".into();
    assert_conflict(
        store.update_backup_repository(edit.clone()).await,
        "backup repository",
        "name",
    );
    let mut foreign = edit.clone();
    foreign.org_id = other.id.clone();
    foreign.name = "stolen".into();
    assert_not_found(
        store.update_backup_repository(foreign).await,
        "backup repository",
    );

    // Initialization and checks.
    store
        .mark_backup_repository_initialized(&created.id, T0 + 6)
        .await
        .unwrap();
    store
        .record_backup_repository_check(&created.id, T0 + 7, false, Some("bucket not found"))
        .await
        .unwrap();
    let checked = store
        .get_backup_repository(&w.org.id, &created.id)
        .await
        .unwrap();
    assert_eq!(checked.initialized_at, Some(T0 + 6));
    assert_eq!(checked.checked_at, Some(T0 + 7));
    assert_eq!(checked.check_ok, Some(false));
    assert_eq!(checked.check_message.as_deref(), Some("bucket not found"));
    store
        .record_backup_repository_check(&created.id, T0 + 8, true, None)
        .await
        .unwrap();
    let checked = store
        .get_backup_repository(&w.org.id, &created.id)
        .await
        .unwrap();
    assert_eq!(
        (checked.check_ok, checked.check_message),
        (Some(true), None)
    );
    assert_not_found(
        store
            .mark_backup_repository_initialized("no-such-repository", T0)
            .await,
        "backup repository",
    );

    // Re-sealing: every repository is listed, and its secrets replaced as given.
    assert_eq!(store.list_all_backup_repositories().await.unwrap().len(), 3);
    let resealed = SecretValue {
        key_id: "k2".into(),
        ..sealed("restic-password")
    };
    store
        .replace_backup_repository_secrets(&created.id, None, resealed.clone())
        .await
        .unwrap();
    let after = store
        .get_backup_repository(&w.org.id, &created.id)
        .await
        .unwrap();
    assert_eq!((after.credentials, after.password), (None, resealed));

    // Deleting: another organization's is not found; the organization's goes.
    assert_not_found(
        store.delete_backup_repository(&other.id, &local.id).await,
        "backup repository",
    );
    store
        .delete_backup_repository(&w.org.id, &local.id)
        .await
        .unwrap();
    assert_not_found(
        store.get_backup_repository(&w.org.id, &local.id).await,
        "backup repository",
    );
}

pub(crate) async fn backup_policies_follow_their_stack_and_hold_their_repository(
    store: &dyn Store,
) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let repo = create_repository(store, &w.org.id, "offsite", &w.alice).await;
    let foreign_repo = create_repository(store, &other.id, "theirs", &w.alice).await;
    let foreign_stack = stack(store, &other.id, "theirs", &w.alice.id).await;
    let api = stack(store, &w.org.id, "api", &w.alice.id).await;

    // References must be the organization's.
    assert_not_found(
        store
            .set_backup_policy(policy(&w.org.id, &w.stack.id, &foreign_repo.id, None))
            .await,
        "backup repository",
    );
    assert_not_found(
        store
            .set_backup_policy(policy(&w.org.id, &foreign_stack.id, &repo.id, None))
            .await,
        "stack",
    );

    let set = store
        .set_backup_policy(policy(&w.org.id, &w.stack.id, &repo.id, Some(T0 + 100)))
        .await
        .unwrap();
    assert_eq!(set.next_backup_at, Some(T0 + 100));
    assert!(set.enabled);
    // Setting again replaces it (one policy per stack).
    let mut changed = policy(&w.org.id, &w.stack.id, &repo.id, Some(T0 + 200));
    changed.settings = json!({"schedule": "@hourly"});
    changed.updated_at = T0 + 1;
    let changed = store.set_backup_policy(changed).await.unwrap();
    assert_eq!(
        store.get_backup_policy(&w.stack.id).await.unwrap(),
        Some(changed.clone())
    );
    assert_eq!(changed.settings, json!({"schedule": "@hourly"}));
    store
        .set_backup_policy(policy(&w.org.id, &api.id, &repo.id, None))
        .await
        .unwrap();
    let stacks: Vec<String> = store
        .list_backup_policies(&w.org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.stack_id)
        .collect();
    assert_eq!(
        stacks,
        [api.id.clone(), w.stack.id.clone()],
        "by stack name"
    );
    assert!(
        store
            .list_backup_policies(&other.id)
            .await
            .unwrap()
            .is_empty()
    );

    // A repository a policy uses cannot be deleted: the error names it and the stacks.
    let message = assert_invalid(
        store.delete_backup_repository(&w.org.id, &repo.id).await,
        "backup repository offsite",
    );
    assert!(message.contains("api, web"), "{message}");
    store.delete_backup_policy(&api.id).await.unwrap();
    assert_not_found(store.delete_backup_policy(&api.id).await, "backup policy");
    assert_eq!(store.get_backup_policy(&api.id).await.unwrap(), None);

    // Deleting the stack deletes its policy.
    store.delete_stack(&w.org.id, "web", T0 + 10).await.unwrap();
    assert_eq!(store.get_backup_policy(&w.stack.id).await.unwrap(), None);
    assert!(
        store
            .list_backup_policies(&w.org.id)
            .await
            .unwrap()
            .is_empty()
    );

    // The repository is free again, but not while an operation on it is queued.
    let queued = queue(store, &w.org.id, None, &repo.id, "check").await;
    assert_invalid(
        store.delete_backup_repository(&w.org.id, &repo.id).await,
        "queued or running",
    );
    store
        .request_backup_run_cancel(&w.org.id, &queued.id, T0 + 11)
        .await
        .unwrap();
    store
        .delete_backup_repository(&w.org.id, &repo.id)
        .await
        .unwrap();
    // Its runs went with it.
    assert_not_found(
        store.get_backup_run(&w.org.id, &queued.id).await,
        "backup run",
    );
}

pub(crate) async fn due_backup_policies_are_enabled_and_due(store: &dyn Store) {
    let w = world(store).await;
    let repo = create_repository(store, &w.org.id, "offsite", &w.alice).await;
    let mut stacks = Vec::new();
    for name in [
        "a-due",
        "b-future",
        "c-disabled",
        "d-check-due",
        "e-unscheduled",
    ] {
        stacks.push(stack(store, &w.org.id, name, &w.alice.id).await);
    }
    let now = T0 + 1000;
    store
        .set_backup_policy(policy(&w.org.id, &stacks[0].id, &repo.id, Some(now)))
        .await
        .unwrap();
    store
        .set_backup_policy(policy(&w.org.id, &stacks[1].id, &repo.id, Some(now + 1)))
        .await
        .unwrap();
    let mut disabled = policy(&w.org.id, &stacks[2].id, &repo.id, Some(now - 500));
    disabled.enabled = false;
    store.set_backup_policy(disabled).await.unwrap();
    let mut check_due = policy(&w.org.id, &stacks[3].id, &repo.id, Some(now + 5000));
    check_due.next_check_at = Some(now - 1);
    store.set_backup_policy(check_due).await.unwrap();
    store
        .set_backup_policy(policy(&w.org.id, &stacks[4].id, &repo.id, None))
        .await
        .unwrap();

    let due = |policies: Vec<BackupPolicyRecord>| -> HashSet<String> {
        policies.into_iter().map(|p| p.stack_id).collect()
    };
    assert_eq!(
        due(store.list_due_backup_policies(now).await.unwrap()),
        HashSet::from([stacks[0].id.clone(), stacks[3].id.clone()])
    );
    // The scheduler moves the next times on; a drill coming due is picked up.
    store
        .set_backup_policy_schedule(&stacks[0].id, Some(now + 86_400_000), None, None)
        .await
        .unwrap();
    store
        .set_backup_policy_schedule(&stacks[4].id, None, None, Some(now))
        .await
        .unwrap();
    let policy_a = store
        .get_backup_policy(&stacks[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(policy_a.next_backup_at, Some(now + 86_400_000));
    assert_eq!(
        due(store.list_due_backup_policies(now).await.unwrap()),
        HashSet::from([stacks[3].id.clone(), stacks[4].id.clone()])
    );
    assert_eq!(
        due(store.list_due_backup_policies(now + 1).await.unwrap()),
        HashSet::from([
            stacks[1].id.clone(),
            stacks[3].id.clone(),
            stacks[4].id.clone()
        ])
    );
    assert_not_found(
        store
            .set_backup_policy_schedule("no-such-stack", None, None, None)
            .await,
        "backup policy",
    );
}

pub(crate) async fn backup_runs_claim_oldest_first_one_per_repository(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let api = stack(store, &w.org.id, "api", &w.alice.id).await;
    let repo_a = create_repository(store, &w.org.id, "a", &w.alice).await;
    let repo_b = create_repository(store, &w.org.id, "b", &w.alice).await;
    let foreign_repo = create_repository(store, &other.id, "theirs", &w.alice).await;
    assert_eq!(
        store.claim_backup_run("s1", T0, T0 + 1).await.unwrap(),
        None
    );

    // References must be the organization's.
    assert_not_found(
        store
            .create_backup_run(run(&w.org.id, None, &foreign_repo.id, "check"))
            .await,
        "backup repository",
    );
    let foreign_stack = stack(store, &other.id, "theirs", &w.alice.id).await;
    assert_not_found(
        store
            .create_backup_run(run(&w.org.id, Some(&foreign_stack), &repo_a.id, "backup"))
            .await,
        "stack",
    );

    let a1 = queue(store, &w.org.id, Some(&w.stack), &repo_a.id, "backup").await;
    assert_eq!((a1.status.as_str(), a1.attempts), ("queued", 0));
    assert_eq!(a1.stack_name.as_deref(), Some("web"));
    let a2 = queue(store, &w.org.id, Some(&api), &repo_a.id, "backup").await;
    let b1 = queue(store, &w.org.id, None, &repo_b.id, "check").await;
    assert_eq!(b1.stack_id, None);

    let first = store
        .claim_backup_run("s1", T0 + 10, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.id, a1.id, "oldest first");
    assert_eq!(first.status, "running");
    assert_eq!(first.lease_owner.as_deref(), Some("s1"));
    assert_eq!(first.lease_expires_at, Some(T0 + 1000));
    assert_eq!((first.started_at, first.attempts), (Some(T0 + 10), 1));
    // a2 waits for a1 (same repository); b1 runs beside it.
    let second = store
        .claim_backup_run("s2", T0 + 11, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.id, b1.id);
    assert_eq!(
        store
            .claim_backup_run("s3", T0 + 12, T0 + 1000)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .active_backup_run(&api.id, "backup")
            .await
            .unwrap()
            .map(|r| r.id),
        Some(a2.id.clone())
    );
    assert_eq!(
        store.active_backup_run(&api.id, "restore").await.unwrap(),
        None
    );

    // Progress, then the end: the lease ends and a2 becomes claimable.
    store
        .update_backup_run_result(&a1.id, &json!({"progress": 0.5}))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_backup_run(&w.org.id, &a1.id)
            .await
            .unwrap()
            .result,
        json!({"progress": 0.5})
    );
    assert_invalid(
        store
            .finish_backup_run(&a1.id, "running", &json!({}), None, T0 + 20)
            .await,
        "cannot finish as running",
    );
    store
        .finish_backup_run(&a1.id, "succeeded", &json!({"snapshots": 2}), None, T0 + 20)
        .await
        .unwrap();
    let finished = store.get_backup_run(&w.org.id, &a1.id).await.unwrap();
    assert_eq!(finished.status, "succeeded");
    assert_eq!(finished.result, json!({"snapshots": 2}));
    assert_eq!(
        (finished.finished_at, finished.lease_expires_at),
        (Some(T0 + 20), None)
    );
    assert!(
        !store
            .renew_backup_lease(&a1.id, "s1", T0 + 5000)
            .await
            .unwrap()
    );
    assert_invalid(
        store
            .finish_backup_run(&a1.id, "failed", &json!({}), Some("late"), T0 + 21)
            .await,
        "already finished (succeeded)",
    );
    assert_not_found(
        store
            .finish_backup_run("no-such-run", "failed", &json!({}), None, T0)
            .await,
        "backup run",
    );
    let third = store
        .claim_backup_run("s3", T0 + 22, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(third.id, a2.id);
    store
        .finish_backup_run(
            &a2.id,
            "failed",
            &json!({}),
            Some("restic exited 1"),
            T0 + 30,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .get_backup_run(&w.org.id, &a2.id)
            .await
            .unwrap()
            .error
            .as_deref(),
        Some("restic exited 1")
    );

    // Lists: newest first, by stack and kind; another organization sees none of it.
    let ids =
        |runs: Vec<BackupRunRecord>| -> Vec<String> { runs.into_iter().map(|r| r.id).collect() };
    assert_eq!(
        ids(store
            .list_backup_runs(&w.org.id, None, None, 10)
            .await
            .unwrap()),
        [b1.id.clone(), a2.id.clone(), a1.id.clone()]
    );
    assert_eq!(
        ids(store
            .list_backup_runs(&w.org.id, None, None, 2)
            .await
            .unwrap()),
        [b1.id.clone(), a2.id.clone()]
    );
    assert_eq!(
        ids(store
            .list_backup_runs(&w.org.id, Some(&api.id), None, 10)
            .await
            .unwrap()),
        [a2.id.as_str()]
    );
    assert_eq!(
        ids(store
            .list_backup_runs(&w.org.id, None, Some("check"), 10)
            .await
            .unwrap()),
        [b1.id.as_str()]
    );
    assert!(
        store
            .list_backup_runs(&other.id, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(store.get_backup_run(&other.id, &a1.id).await, "backup run");

    // The latest succeeded backup per stack, for metrics: only a1's stack has one.
    let a3 = queue(store, &w.org.id, Some(&w.stack), &repo_a.id, "backup").await;
    store
        .claim_backup_run("s1", T0 + 40, T0 + 1000)
        .await
        .unwrap();
    store
        .finish_backup_run(&a3.id, "succeeded", &json!({}), None, T0 + 50)
        .await
        .unwrap();
    assert_eq!(
        store.last_backup_successes().await.unwrap(),
        [(
            w.org.id.clone(),
            w.stack.id.clone(),
            "web".to_string(),
            T0 + 50
        )]
    );
}

pub(crate) async fn concurrent_backup_claimers_run_one_operation_per_repository(store: &dyn Store) {
    let w = world(store).await;
    let repositories = [
        create_repository(store, &w.org.id, "a", &w.alice).await,
        create_repository(store, &w.org.id, "b", &w.alice).await,
    ];
    // Five runs per repository, interleaved: each waits for the one before it.
    let mut queued: Vec<(String, String)> = Vec::new();
    for _ in 0..5 {
        for repo in &repositories {
            let r = queue(store, &w.org.id, Some(&w.stack), &repo.id, "backup").await;
            queued.push((repo.id.clone(), r.id));
        }
    }
    // The repositories held right now, and the order each repository's runs were taken in.
    let running: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    let order: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let claimers = (0..6).map(|n| {
        let owner = format!("server-{n}");
        let (running, order) = (&running, &order);
        async move {
            let mut taken = Vec::new();
            while let Some(r) = store
                .claim_backup_run(&owner, T0, T0 + 60_000)
                .await
                .unwrap()
            {
                assert_eq!(r.lease_owner.as_deref(), Some(owner.as_str()));
                assert_eq!(r.attempts, 1, "{} claimed twice", r.id);
                assert!(
                    running.lock().unwrap().insert(r.repository_id.clone()),
                    "two runs at once on repository {}",
                    r.repository_id
                );
                order
                    .lock()
                    .unwrap()
                    .push((r.repository_id.clone(), r.id.clone()));
                taken.push(r.id.clone());
                // What the database holds while this run is ours: one running per repository.
                let runs = store
                    .list_backup_runs(&r.org_id, None, None, 100)
                    .await
                    .unwrap();
                let mut busy = HashSet::new();
                for held in runs.iter().filter(|held| held.status == "running") {
                    assert!(
                        busy.insert(held.repository_id.clone()),
                        "two runs running on repository {}",
                        held.repository_id
                    );
                }
                assert!(
                    store
                        .renew_backup_lease(&r.id, &owner, T0 + 120_000)
                        .await
                        .unwrap()
                );
                running.lock().unwrap().remove(&r.repository_id);
                store
                    .finish_backup_run(&r.id, "succeeded", &json!({}), None, T0 + 1)
                    .await
                    .unwrap();
            }
            taken
        }
    });
    let taken: Vec<String> = join_all(claimers).await.into_iter().flatten().collect();
    let unique: HashSet<_> = taken.iter().cloned().collect();
    assert_eq!(taken.len(), unique.len(), "a run was claimed twice");
    assert_eq!(
        unique,
        queued
            .iter()
            .map(|(_, id)| id.clone())
            .collect::<HashSet<_>>(),
        "every run was claimed"
    );
    // Within a repository, oldest first.
    let order = order.into_inner().unwrap();
    for repo in &repositories {
        let claimed: Vec<&String> = order
            .iter()
            .filter(|(r, _)| *r == repo.id)
            .map(|(_, id)| id)
            .collect();
        let created: Vec<&String> = queued
            .iter()
            .filter(|(r, _)| *r == repo.id)
            .map(|(_, id)| id)
            .collect();
        assert_eq!(claimed, created);
    }
}

pub(crate) async fn backup_leases_renew_expire_and_are_reclaimed(store: &dyn Store) {
    let w = world(store).await;
    let repo = create_repository(store, &w.org.id, "a", &w.alice).await;
    let r = queue(store, &w.org.id, Some(&w.stack), &repo.id, "backup").await;
    let claimed = store
        .claim_backup_run("s1", T0, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, r.id);
    assert!(
        !store
            .renew_backup_lease(&r.id, "s2", T0 + 2000)
            .await
            .unwrap()
    );
    assert!(
        store
            .renew_backup_lease(&r.id, "s1", T0 + 2000)
            .await
            .unwrap()
    );
    // Not expired yet.
    assert!(
        store
            .reclaim_expired_backup_runs("s2", T0 + 1500, T0 + 5000)
            .await
            .unwrap()
            .is_empty()
    );
    let reclaimed = store
        .reclaim_expired_backup_runs("s2", T0 + 2001, T0 + 5000)
        .await
        .unwrap();
    assert_eq!(reclaimed.len(), 1);
    let again = &reclaimed[0];
    assert_eq!(again.id, r.id);
    assert_eq!(again.status, "running");
    assert_eq!(again.lease_owner.as_deref(), Some("s2"));
    assert_eq!(again.lease_expires_at, Some(T0 + 5000));
    assert_eq!(again.attempts, 2);
    assert_eq!(again.started_at, Some(T0), "the first start stays");
    // The old owner has lost it; the repository stays taken.
    assert!(
        !store
            .renew_backup_lease(&r.id, "s1", T0 + 9000)
            .await
            .unwrap()
    );
    assert!(
        store
            .renew_backup_lease(&r.id, "s2", T0 + 9000)
            .await
            .unwrap()
    );
    queue(store, &w.org.id, Some(&w.stack), &repo.id, "backup").await;
    assert_eq!(
        store
            .claim_backup_run("s3", T0 + 2002, T0 + 5000)
            .await
            .unwrap(),
        None
    );
}

pub(crate) async fn backup_runs_cancel_queued_at_once_and_flag_running(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let repo = create_repository(store, &w.org.id, "a", &w.alice).await;
    let running = queue(store, &w.org.id, Some(&w.stack), &repo.id, "backup").await;
    store
        .claim_backup_run("s1", T0, T0 + 1000)
        .await
        .unwrap()
        .unwrap();
    let queued = queue(store, &w.org.id, Some(&w.stack), &repo.id, "restore").await;

    assert_not_found(
        store
            .request_backup_run_cancel(&other.id, &queued.id, T0 + 5)
            .await,
        "backup run",
    );
    let cancelled = store
        .request_backup_run_cancel(&w.org.id, &queued.id, T0 + 5)
        .await
        .unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert!(cancelled.cancel_requested);
    assert_eq!(cancelled.finished_at, Some(T0 + 5));
    assert_eq!(
        store
            .active_backup_run(&w.stack.id, "restore")
            .await
            .unwrap(),
        None
    );

    let flagged = store
        .request_backup_run_cancel(&w.org.id, &running.id, T0 + 6)
        .await
        .unwrap();
    assert_eq!(flagged.status, "running");
    assert!(flagged.cancel_requested);
    assert_eq!(flagged.finished_at, None);
    assert!(
        store
            .is_backup_run_cancel_requested(&running.id)
            .await
            .unwrap()
    );
    store
        .finish_backup_run(&running.id, "cancelled", &json!({}), None, T0 + 7)
        .await
        .unwrap();
    assert_invalid(
        store
            .request_backup_run_cancel(&w.org.id, &running.id, T0 + 8)
            .await,
        "already finished (cancelled)",
    );
    // The cancelled queued run is never claimed.
    assert_eq!(
        store
            .claim_backup_run("s1", T0 + 9, T0 + 1000)
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        store.is_backup_run_cancel_requested("no-such-run").await,
        "backup run",
    );
}

pub(crate) async fn backup_snapshots_list_newest_first_within_their_organization(
    store: &dyn Store,
) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let api = stack(store, &w.org.id, "api", &w.alice.id).await;
    let repo = create_repository(store, &w.org.id, "a", &w.alice).await;
    let first = queue(store, &w.org.id, Some(&w.stack), &repo.id, "backup").await;
    let second = queue(store, &w.org.id, Some(&w.stack), &repo.id, "backup").await;
    let api_run = queue(store, &w.org.id, Some(&api), &repo.id, "backup").await;

    store
        .insert_backup_snapshots(&[
            snapshot(&first, 'a', "volume:data", T0 + 10),
            snapshot(&first, 'b', "database:db", T0 + 10),
        ])
        .await
        .unwrap();
    store
        .insert_backup_snapshots(&[snapshot(&second, 'c', "volume:data", T0 + 20)])
        .await
        .unwrap();
    store
        .insert_backup_snapshots(&[snapshot(&api_run, 'd', "bind:/srv", T0 + 15)])
        .await
        .unwrap();
    // A batch is one transaction: a clash stores none of it.
    assert_conflict(
        store
            .insert_backup_snapshots(&[
                snapshot(&second, 'e', "volume:logs", T0 + 20),
                snapshot(&second, 'c', "volume:data", T0 + 20),
            ])
            .await,
        "backup snapshot",
        "id",
    );
    // A snapshot must name a repository of its organization.
    let mut foreign = snapshot(&second, 'f', "volume:data", T0 + 30);
    foreign.org_id = other.id.clone();
    assert_not_found(
        store.insert_backup_snapshots(&[foreign]).await,
        "backup repository",
    );

    let items = |snapshots: Vec<BackupSnapshotRecord>| -> Vec<(String, String)> {
        snapshots
            .into_iter()
            .map(|s| (s.id[..1].to_string(), s.item))
            .collect()
    };
    let pair = |id: &str, item: &str| (id.to_string(), item.to_string());
    assert_eq!(
        items(
            store
                .list_backup_snapshots(&w.org.id, None, 10)
                .await
                .unwrap()
        ),
        [
            pair("c", "volume:data"),
            pair("d", "bind:/srv"),
            pair("b", "database:db"),
            pair("a", "volume:data"),
        ]
    );
    assert_eq!(
        items(
            store
                .list_backup_snapshots(&w.org.id, Some(&w.stack.id), 2)
                .await
                .unwrap()
        ),
        [pair("c", "volume:data"), pair("b", "database:db")]
    );
    assert!(
        store
            .list_backup_snapshots(&other.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        items(store.list_backup_snapshots_of_run(&first.id).await.unwrap()),
        [pair("b", "database:db"), pair("a", "volume:data")]
    );

    let db = snapshot(&first, 'b', "database:db", T0 + 10);
    assert_eq!(
        store.get_backup_snapshot(&w.org.id, &db.id).await.unwrap(),
        db
    );
    assert_eq!(db.engine.as_deref(), Some("postgres"));
    assert_not_found(
        store.get_backup_snapshot(&other.id, &db.id).await,
        "backup snapshot",
    );

    // Forgetting: the named ones go (unknown ids are skipped), the others stay.
    let a = snapshot(&first, 'a', "", 0).id;
    store
        .delete_backup_snapshots(&repo.id, &[a.clone(), db.id.clone(), "0".repeat(64)])
        .await
        .unwrap();
    assert_eq!(
        items(
            store
                .list_backup_snapshots(&w.org.id, None, 10)
                .await
                .unwrap()
        ),
        [pair("c", "volume:data"), pair("d", "bind:/srv")]
    );
    assert_not_found(
        store.get_backup_snapshot(&w.org.id, &a).await,
        "backup snapshot",
    );

    // Deleting the stack keeps its snapshots (restorable elsewhere); deleting the
    // repository removes them.
    store.delete_stack(&w.org.id, "web", T0 + 40).await.unwrap();
    assert_eq!(
        items(
            store
                .list_backup_snapshots(&w.org.id, Some(&w.stack.id), 10)
                .await
                .unwrap()
        ),
        [pair("c", "volume:data")]
    );
    for r in [&first, &second, &api_run] {
        store
            .request_backup_run_cancel(&w.org.id, &r.id, T0 + 41)
            .await
            .unwrap();
    }
    store
        .delete_backup_repository(&w.org.id, &repo.id)
        .await
        .unwrap();
    assert!(
        store
            .list_backup_snapshots(&w.org.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
