//! Queuing deployments: resolving what the request names (stack version, target,
//! environment), idempotency, rollbacks to an earlier version, and plan previews.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use windflow_domain::access::{Permission, Resource};
use windflow_domain::plan::PlanOptions;
use windflow_engine::deploy;
use windflow_protocol as wire;
use windflow_storage::{
    CancelOutcome, Deployment, DeploymentEvent, DeploymentFilter, DeploymentKind, NewDeployment,
    Stack, Target,
};

use crate::auth::{On, OrgAccess};
use crate::convert;
use crate::error::{ApiError, ApiResult, named};
use crate::services;
use crate::state::{App, AppState, new_id, now_ms};

/// Where a new deployment goes: a named target, or one chosen by labels.
pub enum TargetChoice<'a> {
    Named(&'a str),
    Selector {
        selector: &'a BTreeMap<String, String>,
        strategy: wire::PlacementStrategy,
        failover: bool,
    },
}

/// What a new deployment will run.
pub struct DeploymentRequest<'a> {
    pub stack: &'a str,
    pub version: Option<i64>,
    pub target: TargetChoice<'a>,
    pub environment: Option<&'a str>,
    pub kind: DeploymentKind,
    pub idempotency_key: Option<String>,
}

/// Queues a deployment and wakes the workers. `.1` is false when an idempotency key
/// returned an earlier deployment.
pub async fn queue(
    app: &App,
    access: &OrgAccess,
    request: DeploymentRequest<'_>,
) -> ApiResult<(Deployment, bool)> {
    let org = &access.org.id;
    let stack = services::stacks::find(app, org, request.stack).await?;
    if stack.delete_requested_at.is_some() && request.kind != DeploymentKind::Remove {
        return Err(ApiError::Conflict {
            message: format!(
                "stack {} is being deleted: it is being removed from its targets",
                stack.name
            ),
            field: None,
        });
    }
    let version = request.version.unwrap_or(stack.latest_version);
    if version < 1 || version > stack.latest_version {
        return Err(ApiError::invalid(
            "version",
            format!(
                "stack {} has versions 1 to {}",
                stack.name, stack.latest_version
            ),
        ));
    }
    let (target, placement) = match request.target {
        TargetChoice::Named(name) => (services::targets::find(app, org, name).await?, None),
        TargetChoice::Selector {
            selector,
            strategy,
            failover,
        } => {
            let needs = stack_memory_needs(app, org, &stack, version).await?;
            let choice = services::targets::placement::choose_target(
                app,
                org,
                selector,
                strategy,
                needs,
                &[],
            )
            .await?;
            let placement = wire::Placement {
                selector: selector.clone(),
                strategy,
                failover,
                tried: Vec::new(),
                reason: choice.reason,
            };
            (
                choice.target,
                Some(services::targets::placement::record(&placement)),
            )
        }
    };
    let environment_id = services::organizations::environment_id(app, org, request.environment)
        .await?
        .or_else(|| target.environment_id.clone());
    require_deploy(app, access, &stack.id, environment_id.as_deref(), &target).await?;
    if request.kind == DeploymentKind::Deploy {
        let content = app
            .store
            .get_stack_version(org, &stack.id, version)
            .await?
            .content;
        check_host_policy(
            app,
            org,
            &stack,
            &content,
            environment_id.as_deref(),
            &target,
        )
        .await?;
        services::domains::check_version_claims(
            app,
            org,
            &stack,
            &content,
            environment_id.as_deref(),
            &target,
        )
        .await?;
    }
    if let Some(key) = &request.idempotency_key
        && (key.is_empty() || key.len() > 200)
    {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 200 characters".into(),
        ));
    }
    let (deployment, created) = app
        .store
        .create_deployment(NewDeployment {
            id: new_id(),
            org_id: org.clone(),
            stack_id: stack.id.clone(),
            stack_version: version,
            target_id: target.id.clone(),
            environment_id,
            kind: request.kind,
            requested_by: access.caller.user.id.clone(),
            idempotency_key: request.idempotency_key,
            placement,
            created_at: now_ms(),
        })
        .await?;
    if created {
        // Stack lists show each stack's newest deployment.
        app.list_cache.invalidate(org);
        metrics::counter!("windflow_deployments_queued_total").increment(1);
        app.jobs_wakeup.notify_one();
        services::audit::record_org(
            app,
            access,
            "deployment.create",
            &format!("deployment/{}", deployment.id),
            serde_json::json!({
                "stack": stack.name,
                "version": version,
                "target": target.name,
                "kind": request.kind.as_str(),
            }),
        )
        .await;
    }
    Ok((deployment, created))
}

/// Queues a rollback of `stack` on `target` to `version`, or to the last version that
/// succeeded there before the current one.
pub async fn queue_rollback(
    app: &App,
    access: &OrgAccess,
    stack_name: &str,
    target_name: &str,
    version: Option<i64>,
    idempotency_key: Option<String>,
) -> ApiResult<(Deployment, bool)> {
    let org = &access.org.id;
    let stack = services::stacks::find(app, org, stack_name).await?;
    let target = services::targets::find(app, org, target_name).await?;
    // Before looking for an earlier version: what exists is the caller's business only
    // when it may deploy there.
    require_deploy(
        app,
        access,
        &stack.id,
        target.environment_id.as_deref(),
        &target,
    )
    .await?;
    let version = match version {
        Some(v) => v,
        None => previous_version(app, org, &stack, &target).await?,
    };
    queue(
        app,
        access,
        DeploymentRequest {
            stack: stack_name,
            version: Some(version),
            target: TargetChoice::Named(target_name),
            environment: None,
            kind: DeploymentKind::Rollback,
            idempotency_key,
        },
    )
    .await
}

/// The memory a stack version reserves once running (0 when it does not load: the
/// deployment itself reports why).
pub async fn stack_memory_needs(
    app: &App,
    org: &str,
    stack: &Stack,
    version: i64,
) -> ApiResult<u64> {
    let content = app
        .store
        .get_stack_version(org, &stack.id, version)
        .await?
        .content;
    let environment =
        services::stacks::validation_environment(app.store.as_ref(), org, Some(&stack.id)).await?;
    Ok(services::stacks::load(&stack.name, &content, environment)
        .map(|loaded| services::targets::placement::memory_needs(&loaded.stack))
        .unwrap_or(0))
}

/// `403` unless the caller may deploy `stack` in `environment` and on `target`'s own
/// environment (a deployment may name an environment other than its target's: both count,
/// so an environment grant never reaches a target of another environment).
async fn require_deploy(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    environment: Option<&str>,
    target: &Target,
) -> ApiResult<()> {
    if access.grants.allows(Permission::Deploy) {
        return Ok(());
    }
    let mut environments = vec![environment];
    if target.environment_id.as_deref() != environment {
        environments.push(target.environment_id.as_deref());
    }
    for environment in environments {
        let resource = Resource {
            stack: Some(stack),
            environment,
        };
        access
            .require_on(app, Permission::Deploy, On::Ids(resource))
            .await?;
    }
    Ok(())
}

/// What deploying would change on the target now, without changing anything.
pub async fn preview_plan(
    app: &App,
    access: &OrgAccess,
    stack_name: &str,
    request: &wire::PlanRequest,
) -> ApiResult<wire::PlanPreview> {
    let org = &access.org.id;
    let stack = services::stacks::find(app, org, stack_name).await?;
    let version = request.version.unwrap_or(stack.latest_version);
    let content = app
        .store
        .get_stack_version(org, &stack.id, version)
        .await?
        .content;
    let target = services::targets::find(app, org, &request.target).await?;
    require_deploy(
        app,
        access,
        &stack.id,
        target.environment_id.as_deref(),
        &target,
    )
    .await?;
    let plan = plan_content(app, org, &stack.name, Some(&stack.id), &content, &target).await?;
    Ok(wire::PlanPreview {
        version,
        unchanged: plan.is_empty(),
        changes: plan.describe(),
    })
}

/// What deploying `content` as stack `stack_name` onto `target` would change, checked against
/// the compose loader and the effective host-access policy first. `stack_id` names the
/// stack's variables for interpolation (none for a stack not created yet).
pub async fn plan_content(
    app: &App,
    org: &str,
    stack_name: &str,
    stack_id: Option<&str>,
    content: &str,
    target: &Target,
) -> ApiResult<deploy::DeployPlan> {
    let environment =
        services::stacks::validation_environment(app.store.as_ref(), org, stack_id).await?;
    let loaded = services::stacks::load(stack_name, content, environment).map_err(|d| {
        ApiError::Invalid {
            message: "the compose file is invalid".into(),
            errors: d.iter().map(services::stacks::field_error).collect(),
        }
    })?;
    let refused = policy_violations(
        app,
        org,
        content,
        &loaded.stack,
        target.environment_id.as_deref(),
        target,
    )
    .await?;
    if !refused.is_empty() {
        return Err(policy_refusal(target, refused));
    }
    let environment =
        services::targets::kubernetes::environment_name(app, org, target.environment_id.as_deref())
            .await?;
    let orchestrator =
        services::targets::orchestrator_for(app, target, stack_name, environment.as_deref())
            .await?;
    deploy::plan(&orchestrator, &loaded.stack, &PlanOptions::default())
        .await
        .map_err(|e| ApiError::Unavailable(format!("target {}: {e}", target.name)))
}

/// What the effective host-access policy of a deployment onto `target` refuses in `stack`.
pub async fn policy_violations(
    app: &App,
    org: &str,
    content: &str,
    stack: &windflow_domain::StackSpec,
    environment_id: Option<&str>,
    target: &Target,
) -> ApiResult<Vec<wire::FieldError>> {
    let policy = services::policies::OrgPolicies::load(app.store.as_ref(), org)
        .await?
        .effective(environment_id, target);
    Ok(services::policies::violations(content, stack, &policy))
}

/// 422 when the effective host-access policy refuses what `content` would deploy.
pub async fn check_host_policy(
    app: &App,
    org: &str,
    stack: &Stack,
    content: &str,
    environment_id: Option<&str>,
    target: &Target,
) -> ApiResult<()> {
    let environment =
        services::stacks::validation_environment(app.store.as_ref(), org, Some(&stack.id)).await?;
    // A version that no longer loads fails in the worker with its diagnostics.
    let Ok(loaded) = services::stacks::load(&stack.name, content, environment) else {
        return Ok(());
    };
    let refused =
        policy_violations(app, org, content, &loaded.stack, environment_id, target).await?;
    if refused.is_empty() {
        Ok(())
    } else {
        Err(policy_refusal(target, refused))
    }
}

fn policy_refusal(target: &Target, errors: Vec<wire::FieldError>) -> ApiError {
    ApiError::Invalid {
        message: format!(
            "the host-access policy for target {} refuses this stack: {}",
            target.name,
            services::policies::describe(&errors)
        ),
        errors,
    }
}

async fn previous_version(app: &App, org: &str, stack: &Stack, target: &Target) -> ApiResult<i64> {
    let nothing = || ApiError::Conflict {
        message: format!(
            "stack {} has no earlier successful deployment on {} to roll back to",
            stack.name, target.name
        ),
        field: None,
    };
    let current = app
        .store
        .last_succeeded_deployment(org, &stack.id, &target.id, None)
        .await?
        .ok_or_else(nothing)?;
    let previous = app
        .store
        .last_succeeded_deployment(org, &stack.id, &target.id, Some(current.stack_version))
        .await?
        .ok_or_else(nothing)?;
    Ok(previous.stack_version)
}

/// One page of the organization's deployments, newest first, filtered by stack, target and
/// state.
pub async fn list(
    app: &App,
    access: &OrgAccess,
    query: &wire::DeploymentListQuery,
) -> ApiResult<wire::Page<wire::Deployment>> {
    let org = &access.org.id;
    let mut filter = DeploymentFilter {
        state: query.state,
        ..DeploymentFilter::default()
    };
    if let Some(name) = &query.stack {
        filter.stack_id = Some(services::stacks::find(app, org, name).await?.id);
    }
    if let Some(name) = &query.target {
        filter.target_id = Some(services::targets::find(app, org, name).await?.id);
    }
    let request = convert::page_request(query.limit, query.offset);
    let page = app.store.list_deployments(org, &filter, request).await?;
    Ok(convert::page(page, request, convert::deployment))
}

/// One deployment of the organization; 404 naming it otherwise.
async fn find(app: &App, access: &OrgAccess, id: &str) -> ApiResult<Deployment> {
    app.store
        .get_deployment(&access.org.id, id)
        .await
        .map_err(named("deployment", id))
}

/// One deployment of the organization, as the API shows it.
pub async fn get(app: &App, access: &OrgAccess, id: &str) -> ApiResult<wire::Deployment> {
    Ok(convert::deployment(find(app, access, id).await?))
}

/// Cancels a deployment: a queued one at once; a running one stops at its next step and the
/// previous version is put back.
pub async fn cancel(app: &App, access: &OrgAccess, id: &str) -> ApiResult<wire::Deployment> {
    if !access.grants.allows(Permission::Deploy) {
        let deployment = find(app, access, id).await?;
        let resource = Resource {
            stack: Some(&deployment.stack_id),
            environment: deployment.environment_id.as_deref(),
        };
        access
            .require_on(app, Permission::Deploy, On::Ids(resource))
            .await?;
    }
    let outcome = app
        .store
        .cancel_deployment(&access.org.id, id, now_ms())
        .await
        .map_err(named("deployment", id))?;
    if outcome == CancelOutcome::Cancelled {
        app.hub.close(id);
    }
    app.jobs_wakeup.notify_one();
    services::audit::record_org(
        app,
        access,
        "deployment.cancel",
        &format!("deployment/{id}"),
        json!({}),
    )
    .await;
    get(app, access, id).await
}

/// The deployment's recorded events after `after`, oldest first (at most 1,000).
pub async fn events(
    app: &App,
    access: &OrgAccess,
    id: &str,
    after: i64,
) -> ApiResult<Vec<wire::DeploymentEvent>> {
    find(app, access, id).await?;
    let events = app.store.list_deployment_events(id, after, 1000).await?;
    Ok(events.into_iter().map(convert::event).collect())
}

/// What following a deployment yields.
pub enum Followed {
    Event(Arc<DeploymentEvent>),
    /// The deployment reached a terminal state and every event was yielded.
    End,
}

/// Every recorded event after `after`, then new ones as they happen, then `End` once the
/// deployment is terminal. Gaps in the live feed (a lagging subscriber) are read from the
/// store, so nothing is skipped or yielded twice.
pub async fn follow(
    app: AppState,
    access: &OrgAccess,
    id: String,
    after: i64,
) -> ApiResult<impl Stream<Item = Followed> + use<>> {
    find(&app, access, &id).await?;
    let org_id = access.org.id.clone();
    // Subscribe before reading the store, so nothing falls between the two.
    let mut live = app.hub.subscribe(&id);
    let stream = async_stream::stream! {
        let mut last = after;
        let mut live_open = true;
        loop {
            // Catch up from the store.
            loop {
                match app.store.list_deployment_events(&id, last, 500).await {
                    Ok(events) if !events.is_empty() => {
                        for event in events {
                            last = event.seq;
                            yield Followed::Event(Arc::new(event));
                        }
                    }
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading events for a stream");
                        return;
                    }
                }
            }
            let terminal = match app.store.get_deployment(&org_id, &id).await {
                Ok(d) => d.state.is_terminal(),
                Err(_) => true,
            };
            if terminal {
                if !live_open {
                    yield Followed::End;
                    return;
                }
                // One more pass over the store picks up the last events.
                live_open = false;
                continue;
            }
            if !live_open {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            // Follow live; anything missed (lagging, a gap) is read from the store first.
            match tokio::time::timeout(Duration::from_secs(5), live.recv()).await {
                Ok(Ok(event)) if event.seq == last + 1 => {
                    last = event.seq;
                    yield Followed::Event(event);
                }
                Ok(Err(RecvError::Closed)) => live_open = false,
                _ => {}
            }
        }
    };
    Ok(stream)
}
