//! The Store conformance suite: one set of scenarios, each taking `&dyn Store`, run against
//! SQLite (a file in a fresh temporary directory per test) and PostgreSQL (a fresh database
//! per test, created through `WINDFLOW_TEST_DATABASE_URL`). Every adapter must pass all of it.
//!
//! Concurrency scenarios drive the store from several futures at once (`join_all`): the
//! futures interleave on the test's task while their queries run in parallel on separate
//! pooled connections, which is what matters to the database.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::join_all;
use serde_json::json;
use windflow_storage::*;

// ---- harness ------------------------------------------------------------------------------

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn sqlite_store(test: &str) -> (SqliteStore, TempDir) {
    let dir = std::env::temp_dir().join(format!(
        "windflow-storage-{}",
        windflow_testkit::unique_project(test)
    ));
    let store = SqliteStore::open(&dir.join("nested/windflow.db"))
        .await
        .expect("opening a SQLite store");
    (store, TempDir(dir))
}

async fn postgres_store(test: &str) -> Option<(PgStore, windflow_testkit::postgres::TestDatabase)> {
    let database = windflow_testkit::postgres::fresh_database(test).await?;
    let store = PgStore::connect(database.url())
        .await
        .expect("connecting to the fresh PostgreSQL database");
    Some((store, database))
}

macro_rules! conformance {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let (store, _dir) = super::sqlite_store(stringify!($scenario)).await;
                    super::$scenario(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let Some((store, _database)) =
                        super::postgres_store(stringify!($scenario)).await
                    else {
                        return;
                    };
                    super::$scenario(&store).await;
                    store.close().await;
                }
            )*
        }
    };
}

conformance!(
    ping_names_the_backend,
    users_and_login_lockout,
    sessions_expire_and_are_deleted,
    api_tokens_expire_and_revoke_only_for_their_owner,
    organizations_and_members,
    environments_and_targets,
    tenants_never_see_each_other,
    stacks_versions_and_stale_edits,
    concurrent_stack_edits_one_wins,
    concurrent_writers_never_fail_on_locks,
    list_stacks_filters_and_pages,
    delete_stack_cascades_and_is_refused_while_deploying,
    delete_target_and_environment_rules,
    variables_and_secrets,
    deployments_claim_in_fifo_order_one_running_per_stack_and_target,
    concurrent_claimers_take_each_deployment_once,
    leases_renew_expire_and_are_reclaimed,
    idempotency_keys_return_the_earlier_deployment,
    create_deployment_checks_references,
    cancel_queued_running_and_finished,
    finish_only_from_running,
    events_continue_their_sequence,
    last_succeeded_and_counts_by_state,
    list_deployments_filters_and_pages,
    audit_filters_and_pages,
    target_labels_and_health_history,
    deployments_move_to_another_target,
    agents_enroll_once_and_revoke,
    host_policies_by_scope,
);

// ---- fixtures -----------------------------------------------------------------------------

fn id(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{prefix}-{:06}", NEXT.fetch_add(1, Ordering::Relaxed))
}

const T0: Timestamp = 1_700_000_000_000;

async fn user(store: &dyn Store, username: &str) -> User {
    store
        .create_user(NewUser {
            id: id("user"),
            username: username.into(),
            display_name: format!("{username} (display)"),
            password_hash: format!("hash-of-{username}"),
            is_admin: false,
            created_at: T0,
        })
        .await
        .unwrap()
}

async fn org(store: &dyn Store, slug: &str) -> Organization {
    store
        .create_organization(NewOrganization {
            id: id("org"),
            slug: slug.into(),
            name: format!("Org {slug}"),
            created_at: T0,
        })
        .await
        .unwrap()
}

async fn environment(store: &dyn Store, org_id: &str, name: &str) -> Environment {
    store
        .create_environment(NewEnvironment {
            id: id("env"),
            org_id: org_id.into(),
            name: name.into(),
            description: format!("the {name} environment"),
            created_at: T0,
        })
        .await
        .unwrap()
}

fn new_target(org_id: &str, name: &str, environment_id: Option<&str>) -> NewTarget {
    let mut labels = serde_json::Map::new();
    labels.insert("region".into(), json!("eu"));
    NewTarget {
        id: id("target"),
        org_id: org_id.into(),
        environment_id: environment_id.map(Into::into),
        name: name.into(),
        kind: TargetKind::Docker,
        endpoint: "unix:///var/run/docker.sock".into(),
        labels,
        config: json!({"tls": false}),
        created_at: T0,
    }
}

async fn target(store: &dyn Store, org_id: &str, name: &str) -> Target {
    store
        .create_target(new_target(org_id, name, None))
        .await
        .unwrap()
}

fn new_stack(org_id: &str, name: &str, author_id: &str) -> NewStack {
    NewStack {
        id: id("stack"),
        org_id: org_id.into(),
        name: name.into(),
        description: format!("the {name} stack"),
        first_version: NewStackVersion {
            content: format!("services:\n  {name}:\n    image: busybox\n"),
            author_id: author_id.into(),
            message: "first".into(),
            created_at: T0,
        },
        created_at: T0,
    }
}

async fn stack(store: &dyn Store, org_id: &str, name: &str, author_id: &str) -> Stack {
    store
        .create_stack(new_stack(org_id, name, author_id))
        .await
        .unwrap()
        .0
}

fn new_version(author_id: &str, message: &str, at: Timestamp) -> NewStackVersion {
    NewStackVersion {
        content: format!("# {message}\nservices: {{}}\n"),
        author_id: author_id.into(),
        message: message.into(),
        created_at: at,
    }
}

fn new_deployment(org_id: &str, stack: &Stack, target: &Target, user: &User) -> NewDeployment {
    NewDeployment {
        id: id("deployment"),
        org_id: org_id.into(),
        stack_id: stack.id.clone(),
        stack_version: stack.latest_version,
        target_id: target.id.clone(),
        environment_id: None,
        kind: DeploymentKind::Deploy,
        requested_by: user.id.clone(),
        idempotency_key: None,
        placement: None,
        created_at: T0,
    }
}

async fn deploy(
    store: &dyn Store,
    org_id: &str,
    stack: &Stack,
    target: &Target,
    user: &User,
) -> Deployment {
    let (deployment, created) = store
        .create_deployment(new_deployment(org_id, stack, target, user))
        .await
        .unwrap();
    assert!(created);
    deployment
}

/// One organization with a user, a target and a stack: the usual starting point.
struct World {
    alice: User,
    org: Organization,
    target: Target,
    stack: Stack,
}

async fn world(store: &dyn Store) -> World {
    let alice = user(store, "alice").await;
    let org = org(store, "acme").await;
    store
        .set_member(&org.id, &alice.id, Role::Owner)
        .await
        .unwrap();
    let target = target(store, &org.id, "local").await;
    let stack = stack(store, &org.id, "web", &alice.id).await;
    World {
        alice,
        org,
        target,
        stack,
    }
}

fn finish(state: DeploymentState, at: Timestamp) -> DeploymentFinish {
    DeploymentFinish {
        state,
        error: (state != DeploymentState::Succeeded).then(|| format!("ended {state}")),
        at,
    }
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: StoreResult<T>, entity: &str) {
    match result {
        Err(StoreError::NotFound(found)) => assert_eq!(found, entity),
        other => panic!("expected NotFound({entity}), got {other:?}"),
    }
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(result: StoreResult<T>, entity: &str, field: &str) {
    match result {
        Err(StoreError::Conflict {
            entity: e,
            field: f,
        }) => assert_eq!((e, f), (entity, field)),
        other => panic!("expected Conflict({entity}, {field}), got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: StoreResult<T>, needle: &str) -> String {
    match result {
        Err(StoreError::Invalid(message)) => {
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
            message
        }
        other => panic!("expected Invalid(…{needle}…), got {other:?}"),
    }
}

// ---- scenarios ------------------------------------------------------------------------------

async fn ping_names_the_backend(store: &dyn Store) {
    store.ping().await.unwrap();
    assert!(matches!(store.backend(), "sqlite" | "postgres"));
}

async fn users_and_login_lockout(store: &dyn Store) {
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

async fn sessions_expire_and_are_deleted(store: &dyn Store) {
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

async fn api_tokens_expire_and_revoke_only_for_their_owner(store: &dyn Store) {
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

async fn organizations_and_members(store: &dyn Store) {
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

async fn environments_and_targets(store: &dyn Store) {
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

async fn tenants_never_see_each_other(store: &dyn Store) {
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
    assert_not_found(store.delete_stack(&b.id, "web").await, "stack");
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

async fn stacks_versions_and_stale_edits(store: &dyn Store) {
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

async fn concurrent_stack_edits_one_wins(store: &dyn Store) {
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

/// Many writers at once (transactions and single statements mixed): none may fail with a
/// lock error (SQLite's `SQLITE_BUSY`), and every write lands.
async fn concurrent_writers_never_fail_on_locks(store: &dyn Store) {
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

async fn list_stacks_filters_and_pages(store: &dyn Store) {
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

async fn delete_stack_cascades_and_is_refused_while_deploying(store: &dyn Store) {
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
    let message = assert_invalid(store.delete_stack(&w.org.id, "web").await, "web");
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
    assert_invalid(store.delete_stack(&w.org.id, "web").await, "running");
    store
        .finish_deployment(&first.id, finish(DeploymentState::Succeeded, T0 + 1))
        .await
        .unwrap();

    store.delete_stack(&w.org.id, "web").await.unwrap();
    assert_not_found(store.get_stack(&w.org.id, "web").await, "stack");
    assert_not_found(
        store.get_stack_version(&w.org.id, &w.stack.id, 1).await,
        "stack version",
    );
    assert_not_found(
        store.get_deployment(&w.org.id, &first.id).await,
        "deployment",
    );
    assert!(
        store
            .list_deployment_events(&first.id, 0, 100)
            .await
            .unwrap()
            .is_empty()
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
    assert_not_found(store.delete_stack(&w.org.id, "nope").await, "stack");
}

async fn delete_target_and_environment_rules(store: &dyn Store) {
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

    // The environment is still referred to by the deployment.
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

async fn variables_and_secrets(store: &dyn Store) {
    let w = world(store).await;
    let prod = environment(store, &w.org.id, "prod").await;
    let stack_scope = VariableScope::Stack {
        stack_id: w.stack.id.clone(),
        environment_id: None,
    };
    let stack_prod_scope = VariableScope::Stack {
        stack_id: w.stack.id.clone(),
        environment_id: Some(prod.id.clone()),
    };
    let env_scope = VariableScope::Environment {
        environment_id: prod.id.clone(),
    };
    let set = |scope: &VariableScope, name: &str, value: VariableValue, at: Timestamp| {
        let variable = NewVariable {
            id: id("var"),
            scope: scope.clone(),
            name: name.into(),
            value,
            updated_by: w.alice.id.clone(),
            updated_at: at,
        };
        let org_id = w.org.id.clone();
        async move { store.set_variable(&org_id, variable).await }
    };
    let plain = |s: &str| VariableValue::Plain(s.into());

    let port = set(&stack_scope, "PORT", plain("80"), T0).await.unwrap();
    assert_eq!(port.org_id, w.org.id);
    assert_eq!(port.scope, stack_scope);
    assert_eq!(port.value, plain("80"));
    set(&stack_prod_scope, "PORT", plain("443"), T0)
        .await
        .unwrap();
    set(&env_scope, "PORT", plain("8080"), T0).await.unwrap();
    set(&stack_scope, "DEBUG", plain(""), T0).await.unwrap();

    // Setting again replaces the value and keeps the variable's id.
    let replaced = set(&stack_scope, "PORT", plain("81"), T0 + 5)
        .await
        .unwrap();
    assert_eq!(replaced.id, port.id);
    assert_eq!(replaced.value, plain("81"));
    assert_eq!(replaced.updated_at, T0 + 5);

    let names = |vars: Vec<Variable>| -> Vec<(String, VariableValue)> {
        vars.into_iter().map(|v| (v.name, v.value)).collect()
    };
    assert_eq!(
        names(store.list_variables(&w.org.id, &stack_scope).await.unwrap()),
        vec![("DEBUG".into(), plain("")), ("PORT".into(), plain("81"))]
    );
    assert_eq!(
        names(
            store
                .list_variables(&w.org.id, &stack_prod_scope)
                .await
                .unwrap()
        ),
        vec![("PORT".into(), plain("443"))]
    );
    let env_vars = store.list_variables(&w.org.id, &env_scope).await.unwrap();
    assert_eq!(env_vars.len(), 1);
    assert_eq!(env_vars[0].scope, env_scope);

    // Secrets are bytes, every byte value survives.
    let secret = SecretValue {
        key_id: "key-1".into(),
        nonce: (0u8..24).collect(),
        ciphertext: vec![0, 255, 0, 10, 13, 0x80, 0xfe, 0],
    };
    let stored = set(
        &stack_scope,
        "TOKEN",
        VariableValue::Secret(secret.clone()),
        T0,
    )
    .await
    .unwrap();
    assert_eq!(stored.value, VariableValue::Secret(secret.clone()));
    let empty_secret = SecretValue {
        key_id: "key-1".into(),
        nonce: vec![1; 24],
        ciphertext: Vec::new(),
    };
    set(
        &env_scope,
        "EMPTY",
        VariableValue::Secret(empty_secret.clone()),
        T0,
    )
    .await
    .unwrap();
    // A plain variable can become a secret and back.
    let flipped = set(
        &stack_scope,
        "DEBUG",
        VariableValue::Secret(secret.clone()),
        T0,
    )
    .await
    .unwrap();
    assert_eq!(flipped.value, VariableValue::Secret(secret.clone()));
    set(&stack_scope, "DEBUG", plain("1"), T0).await.unwrap();

    let beta = org(store, "beta").await;
    let beta_stack = stack(store, &beta.id, "web", &w.alice.id).await;
    let beta_secret = store
        .set_variable(
            &beta.id,
            NewVariable {
                id: id("var"),
                scope: VariableScope::Stack {
                    stack_id: beta_stack.id.clone(),
                    environment_id: None,
                },
                name: "TOKEN".into(),
                value: VariableValue::Secret(secret.clone()),
                updated_by: w.alice.id.clone(),
                updated_at: T0,
            },
        )
        .await
        .unwrap();

    let secrets = store.list_all_secrets().await.unwrap();
    let mut found: Vec<_> = secrets
        .iter()
        .map(|v| (v.org_id.clone(), v.name.clone()))
        .collect();
    found.sort();
    let mut expected = vec![
        (w.org.id.clone(), "TOKEN".to_string()),
        (w.org.id.clone(), "EMPTY".to_string()),
        (beta.id.clone(), "TOKEN".to_string()),
    ];
    expected.sort();
    assert_eq!(found, expected, "only secrets, of every organization");
    let mut own: Vec<_> = store
        .list_org_secrets(&beta.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.org_id, v.name))
        .collect();
    own.sort();
    assert_eq!(
        own,
        vec![(beta.id.clone(), "TOKEN".to_string())],
        "only the organization's own secrets"
    );
    let empty = secrets.iter().find(|v| v.name == "EMPTY").unwrap();
    assert_eq!(empty.value, VariableValue::Secret(empty_secret));

    // Re-encryption under a new key.
    let rotated = SecretValue {
        key_id: "key-2".into(),
        nonce: vec![9; 24],
        ciphertext: vec![1, 2, 3],
    };
    store
        .replace_secret_value(&stored.id, rotated.clone())
        .await
        .unwrap();
    let token = store
        .list_variables(&w.org.id, &stack_scope)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.name == "TOKEN")
        .unwrap();
    assert_eq!(token.value, VariableValue::Secret(rotated));
    assert_eq!(token.id, stored.id);
    // The other organization's secret is untouched.
    let beta_token = store
        .list_all_secrets()
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id == beta_secret.id)
        .unwrap();
    assert_eq!(beta_token.value, VariableValue::Secret(secret));
    assert_not_found(
        store
            .replace_secret_value(&port.id, empty_secret_value())
            .await,
        "secret",
    );
    assert_not_found(
        store
            .replace_secret_value("nope", empty_secret_value())
            .await,
        "secret",
    );

    store
        .delete_variable(&w.org.id, &stack_scope, "PORT")
        .await
        .unwrap();
    assert_not_found(
        store.delete_variable(&w.org.id, &stack_scope, "PORT").await,
        "variable",
    );
    // Deleting in one scope leaves the same name in the others.
    assert_eq!(
        store
            .list_variables(&w.org.id, &stack_prod_scope)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_not_found(
        set(
            &VariableScope::Stack {
                stack_id: "nope".into(),
                environment_id: None,
            },
            "X",
            plain("1"),
            T0,
        )
        .await,
        "stack",
    );
    assert_not_found(
        set(
            &VariableScope::Environment {
                environment_id: "nope".into(),
            },
            "X",
            plain("1"),
            T0,
        )
        .await,
        "environment",
    );
}

fn empty_secret_value() -> SecretValue {
    SecretValue {
        key_id: "k".into(),
        nonce: vec![],
        ciphertext: vec![],
    }
}

async fn deployments_claim_in_fifo_order_one_running_per_stack_and_target(store: &dyn Store) {
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

async fn concurrent_claimers_take_each_deployment_once(store: &dyn Store) {
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

async fn leases_renew_expire_and_are_reclaimed(store: &dyn Store) {
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

async fn idempotency_keys_return_the_earlier_deployment(store: &dyn Store) {
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

async fn create_deployment_checks_references(store: &dyn Store) {
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

async fn cancel_queued_running_and_finished(store: &dyn Store) {
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

async fn finish_only_from_running(store: &dyn Store) {
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

    store
        .finish_deployment(&d.id, finish(DeploymentState::RolledBack, T0 + 3))
        .await
        .unwrap();
    let done = store.get_deployment(&w.org.id, &d.id).await.unwrap();
    assert_eq!(done.state, DeploymentState::RolledBack);
    assert_eq!(done.error.as_deref(), Some("ended rolled_back"));
    assert_eq!(done.finished_at, Some(T0 + 3));
    assert_eq!(done.plan, Some(plan));
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

async fn events_continue_their_sequence(store: &dyn Store) {
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

async fn last_succeeded_and_counts_by_state(store: &dyn Store) {
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

async fn list_deployments_filters_and_pages(store: &dyn Store) {
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

async fn audit_filters_and_pages(store: &dyn Store) {
    let acme = org(store, "acme").await;
    let beta = org(store, "beta").await;
    let entry = |org_id: Option<&str>, actor: &str, action: &str, at: Timestamp| NewAuditEntry {
        id: id("audit"),
        org_id: org_id.map(Into::into),
        actor_id: Some(format!("{actor}-id")),
        actor: actor.into(),
        action: action.into(),
        resource: format!("stack/{action}"),
        detail: json!({"at": at}),
        ip: Some("10.0.0.1".into()),
        at,
    };
    let entries = [
        entry(Some(&acme.id), "alice", "stack.create", T0 + 1),
        entry(Some(&acme.id), "bob", "stack.update", T0 + 2),
        entry(Some(&acme.id), "alice", "deployment.cancel", T0 + 3),
        entry(Some(&beta.id), "carol", "stack.create", T0 + 4),
        entry(None, "root", "user.create", T0 + 5),
        NewAuditEntry {
            actor_id: None,
            ip: None,
            ..entry(None, "anonymous", "auth.login_failed", T0 + 6)
        },
        entry(Some(&acme.id), "alice", "stackx.odd", T0 + 7),
    ];
    for e in &entries {
        store.append_audit(e.clone()).await.unwrap();
    }
    assert_conflict(
        store.append_audit(entries[0].clone()).await,
        "audit entry",
        "id",
    );
    let list = |org_id: Option<String>, filter: AuditFilter, page: PageRequest| async move {
        let page = store
            .list_audit(org_id.as_deref(), &filter, page)
            .await
            .unwrap();
        (
            page.total,
            page.items
                .into_iter()
                .map(|e| e.at - T0)
                .collect::<Vec<_>>(),
        )
    };
    let acme_id = Some(acme.id.clone());
    assert_eq!(
        list(acme_id.clone(), AuditFilter::default(), PageRequest::all()).await,
        (4, vec![7, 3, 2, 1]),
        "newest first, only acme"
    );
    assert_eq!(
        list(None, AuditFilter::default(), PageRequest::all()).await,
        (7, vec![7, 6, 5, 4, 3, 2, 1]),
        "server level: everything"
    );
    assert_eq!(
        list(None, AuditFilter::default(), PageRequest::new(2, 2)).await,
        (7, vec![5, 4])
    );
    let by_actor = AuditFilter {
        actor: Some("alice".into()),
        ..Default::default()
    };
    assert_eq!(
        list(acme_id.clone(), by_actor, PageRequest::all()).await,
        (3, vec![7, 3, 1])
    );
    let by_prefix = AuditFilter {
        action: Some("stack.".into()),
        ..Default::default()
    };
    assert_eq!(
        list(None, by_prefix.clone(), PageRequest::all()).await,
        (3, vec![4, 2, 1]),
        "prefix match, `stackx.` is not `stack.`"
    );
    assert_eq!(
        list(acme_id.clone(), by_prefix, PageRequest::new(1, 0)).await,
        (2, vec![2])
    );
    let window = AuditFilter {
        since: Some(T0 + 2),
        until: Some(T0 + 5),
        ..Default::default()
    };
    assert_eq!(
        list(None, window, PageRequest::all()).await,
        (3, vec![4, 3, 2]),
        "since inclusive, until exclusive"
    );
    let stored = store
        .list_audit(None, &AuditFilter::default(), PageRequest::new(1, 1))
        .await
        .unwrap();
    assert_eq!(stored.items, vec![entries[5].clone()], "round trip");
}

async fn target_labels_and_health_history(store: &dyn Store) {
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

async fn deployments_move_to_another_target(store: &dyn Store) {
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

async fn agents_enroll_once_and_revoke(store: &dyn Store) {
    let w = world(store).await;
    let other = org(store, "other").await;
    let env = environment(store, &w.org.id, "edge").await;
    let mut labels = serde_json::Map::new();
    labels.insert("site".into(), serde_json::json!("berlin"));
    let enrollment = |hash: &str, name: &str, expires_at: Timestamp| NewAgentEnrollment {
        id: id("enr"),
        org_id: w.org.id.clone(),
        hash: hash.into(),
        target_name: name.into(),
        environment_id: Some(env.id.clone()),
        labels: labels.clone(),
        created_by: w.alice.id.clone(),
        expires_at,
        created_at: 1_000,
    };
    store
        .create_agent_enrollment(enrollment("h-ok", "edge-1", 10_000))
        .await
        .unwrap();
    store
        .create_agent_enrollment(enrollment("h-old", "edge-2", 2_000))
        .await
        .unwrap();
    store
        .create_agent_enrollment(enrollment("h-dup", "local", 10_000))
        .await
        .unwrap();
    let new_agent = |cred: &str| NewAgent {
        id: id("agent"),
        target_id: id("target"),
        credential_hash: cred.into(),
        version: Some("0.1.0".into()),
        created_at: 3_000,
    };

    let (agent, target) = store
        .enroll_agent("h-ok", new_agent("c-1"), 3_000)
        .await
        .unwrap();
    assert_eq!(target.name, "edge-1");
    assert_eq!(target.kind, TargetKind::Agent);
    assert_eq!(target.endpoint, format!("agent://{}", agent.id));
    assert_eq!(target.environment_id.as_deref(), Some(env.id.as_str()));
    assert_eq!(target.labels, labels);
    assert_eq!(agent.target_name, "edge-1");
    // Single use, expiry, unknown tokens, and a clash with an existing target's name (which
    // leaves the token unused).
    assert_not_found(
        store.enroll_agent("h-ok", new_agent("c-2"), 3_000).await,
        "enrollment token",
    );
    assert_not_found(
        store.enroll_agent("h-old", new_agent("c-3"), 3_000).await,
        "enrollment token",
    );
    assert_not_found(
        store.enroll_agent("nope", new_agent("c-4"), 3_000).await,
        "enrollment token",
    );
    assert_conflict(
        store.enroll_agent("h-dup", new_agent("c-5"), 3_000).await,
        "target",
        "name",
    );
    assert!(store.list_agents(&w.org.id).await.unwrap().len() == 1);

    let found = store
        .find_agent_by_credential("c-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, agent.id);
    store
        .record_agent_seen(&agent.id, Some("0.2.0"), Some("10.1.2.3"), 4_000)
        .await
        .unwrap();
    let seen = store.get_agent(&w.org.id, &agent.id).await.unwrap();
    assert_eq!(seen.version.as_deref(), Some("0.2.0"));
    assert_eq!(seen.address.as_deref(), Some("10.1.2.3"));
    assert_eq!(seen.last_seen_at, Some(4_000));

    // Tenants: another organization neither sees nor revokes it.
    assert!(store.list_agents(&other.id).await.unwrap().is_empty());
    assert_not_found(store.get_agent(&other.id, &agent.id).await, "agent");
    assert_not_found(
        store.revoke_agent(&other.id, &agent.id, 5_000).await,
        "agent",
    );

    store
        .revoke_agent(&w.org.id, &agent.id, 5_000)
        .await
        .unwrap();
    store
        .revoke_agent(&w.org.id, &agent.id, 6_000)
        .await
        .unwrap();
    assert!(
        store
            .find_agent_by_credential("c-1")
            .await
            .unwrap()
            .is_none()
    );
    let revoked = store.get_agent(&w.org.id, &agent.id).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(5_000));

    // Deleting the target deletes its agent.
    store
        .delete_target(&w.org.id, "edge-1", true)
        .await
        .unwrap();
    assert!(store.list_agents(&w.org.id).await.unwrap().is_empty());
}

async fn host_policies_by_scope(store: &dyn Store) {
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
