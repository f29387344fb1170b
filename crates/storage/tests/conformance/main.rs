//! The Store conformance suite: one set of scenarios, each taking `&dyn Store`, run against
//! SQLite (a file in a fresh temporary directory per test) and PostgreSQL (a fresh database
//! per test, created through `WINDFLOW_TEST_DATABASE_URL`). Every adapter must pass all of it.
//!
//! Concurrency scenarios drive the store from several futures at once (`join_all`): the
//! futures interleave on the test's task while their queries run in parallel on separate
//! pooled connections, which is what matters to the database.
//!
//! This file holds the harness, the shared fixtures and the list of scenarios; the scenarios
//! themselves live in one module per aggregate (`users.rs`, `deployments.rs`, …, and
//! `store.rs` for those that span the whole store). A scenario is a `pub(crate) async fn`
//! taking `&dyn Store`; listing it in `conformance!` runs it as `sqlite::<name>` and
//! `postgres::<name>`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::join_all;
use serde_json::json;
use windflow_storage::*;

mod access;
mod agents;
mod audit;
mod backups;
mod catalog;
mod deployments;
mod edge;
mod factors;
mod organizations;
mod sso;
mod stacks;
mod store;
mod targets;
mod users;
mod variables;
mod workflows;

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
    ($($module:ident :: $scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let (store, _dir) = super::sqlite_store(stringify!($scenario)).await;
                    super::$module::$scenario(&store).await;
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
                    super::$module::$scenario(&store).await;
                    store.close().await;
                }
            )*
        }
    };
}

conformance!(
    store::ping_names_the_backend,
    store::tenants_never_see_each_other,
    store::concurrent_writers_never_fail_on_locks,
    users::users_and_login_lockout,
    users::sessions_expire_and_are_deleted,
    users::api_tokens_expire_and_revoke_only_for_their_owner,
    organizations::organizations_and_members,
    access::grants_reach_users_and_their_teams_within_one_organization,
    access::service_accounts_are_members_that_leave_no_name_behind,
    targets::environments_and_targets,
    targets::delete_target_and_environment_rules,
    targets::target_labels_and_health_history,
    targets::host_policies_by_scope,
    stacks::stacks_versions_and_stale_edits,
    stacks::concurrent_stack_edits_one_wins,
    stacks::list_stacks_filters_and_pages,
    stacks::delete_stack_keeps_history_and_is_refused_while_deployed,
    variables::variables_and_secrets,
    deployments::deployments_claim_in_fifo_order_one_running_per_stack_and_target,
    deployments::concurrent_claimers_take_each_deployment_once,
    deployments::leases_renew_expire_and_are_reclaimed,
    deployments::idempotency_keys_return_the_earlier_deployment,
    deployments::create_deployment_checks_references,
    deployments::cancel_queued_running_and_finished,
    deployments::finish_only_from_running,
    deployments::events_continue_their_sequence,
    deployments::last_succeeded_and_counts_by_state,
    deployments::list_deployments_filters_and_pages,
    deployments::deployments_move_to_another_target,
    audit::audit_filters_and_pages,
    agents::agents_enroll_once_and_revoke,
    edge::certificates_renew_at_two_thirds_and_keep_their_id,
    edge::dns_records_belong_to_their_owner,
    edge::stack_domains_by_environment,
    catalog::catalog_sources_refresh_whole_and_keep_templates_on_error,
    catalog::stack_templates_stay_in_their_organization,
    catalog::ai_providers_keep_their_key_and_count_tokens,
    backups::backup_repositories_keep_their_secrets_and_names,
    backups::backup_policies_follow_their_stack_and_hold_their_repository,
    backups::due_backup_policies_are_enabled_and_due,
    backups::backup_runs_claim_oldest_first_one_per_repository,
    backups::concurrent_backup_claimers_run_one_operation_per_repository,
    backups::backup_leases_renew_expire_and_are_reclaimed,
    backups::backup_runs_cancel_queued_at_once_and_flag_running,
    backups::backup_snapshots_list_newest_first_within_their_organization,
    factors::totp_factors_confirm_once_and_refuse_replayed_steps,
    factors::recovery_codes_work_once_for_their_owner,
    factors::login_policies_per_organization,
    sso::sso_providers_keep_their_secret_and_slug,
    sso::sso_states_and_codes_are_taken_once_before_they_expire,
    sso::sso_group_mappings_touch_only_what_they_granted,
    workflows::workflows_version_without_gaps_within_their_organization,
    workflows::workflow_runs_claim_within_concurrency_and_resume,
    workflows::concurrent_workflow_claimers_take_each_run_once,
    workflows::notification_channels_keep_their_secret_within_their_organization,
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
