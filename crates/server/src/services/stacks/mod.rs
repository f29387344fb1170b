//! Stacks: compose files kept as immutable, numbered versions per organization. Every
//! version is validated as the server will deploy it (`content`) before it is stored, and
//! checked against the organization's host-access policy.

mod content;

pub use content::*;

use axum::body::Bytes;
use serde_json::json;
use windflow_protocol::{
    CreateStackRequest, Page, Stack as WireStack, StackDetail, StackDiff, StackVersion,
    StackVersionSummary, UpdateStackRequest, Validation,
};
use windflow_storage::{
    Deployment, DeploymentKind, NewStack, NewStackVersion, Stack, StackFilter, VariableScope,
};

use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult, named};
use crate::list_cache::ListCache;
use crate::services;
use crate::services::policies::OrgPolicies;
use crate::state::{App, new_id, now_ms};

/// The organization's stack called `name`; 404 naming it otherwise.
pub async fn find(app: &App, org_id: &str, name: &str) -> ApiResult<Stack> {
    app.store
        .get_stack(org_id, name)
        .await
        .map_err(named("stack", name))
}

/// One page of the organization's stacks by name, as the JSON body the API sends (kept in
/// the list cache until a stack of the organization changes).
pub async fn list_json(
    app: &App,
    access: &OrgAccess,
    limit: Option<i64>,
    offset: Option<i64>,
    q: Option<String>,
) -> ApiResult<Bytes> {
    let request = convert::page_request(limit, offset);
    let filter = StackFilter {
        name_contains: q.filter(|q| !q.is_empty()),
    };
    let key = ListCache::key(
        &access.org.id,
        &format!(
            "{}|{}|{}",
            request.limit,
            request.offset,
            filter.name_contains.as_deref().unwrap_or("")
        ),
    );
    let body = match app.list_cache.get(&key) {
        Some(body) => body,
        None => {
            let page = app
                .store
                .list_stacks(&access.org.id, &filter, request)
                .await?;
            // Where each runs and how its newest deployment went: two queries per page.
            let mut deployed: std::collections::HashMap<String, Vec<Deployment>> =
                Default::default();
            for d in app.store.list_deployed(&access.org.id, None, None).await? {
                deployed.entry(d.stack_id.clone()).or_default().push(d);
            }
            let mut latest: std::collections::HashMap<String, Deployment> = app
                .store
                .latest_deployments(&access.org.id)
                .await?
                .into_iter()
                .map(|d| (d.stack_id.clone(), d))
                .collect();
            let page: Page<WireStack> = convert::page(page, request, |stack| {
                let id = stack.id.clone();
                let mut wire = convert::stack(stack);
                wire.deployed = deployed
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(convert::deployed_stack)
                    .collect();
                wire.last_deployment = latest.remove(&id).map(convert::deployment_summary);
                wire
            });
            let body = Bytes::from(serde_json::to_vec(&page).map_err(ApiError::internal)?);
            app.list_cache.put(key, body.clone());
            body
        }
    };
    Ok(body)
}

/// Creates a stack from a compose file that validates.
pub async fn create(
    app: &App,
    access: &OrgAccess,
    request: CreateStackRequest,
) -> ApiResult<StackDetail> {
    services::names::check_name("name", &request.name)?;
    let environment = validation_environment(app.store.as_ref(), &access.org.id, None).await?;
    let policies = OrgPolicies::load(app.store.as_ref(), &access.org.id).await?;
    let validation = validate(
        &request.name,
        &request.content,
        environment,
        &policies.organization,
    );
    require_valid(&validation)?;
    let (stack, version) = insert(
        app,
        access,
        request.name,
        request.description,
        request.content,
        request.message.unwrap_or_else(|| "created".into()),
    )
    .await?;
    let deployed = deployed_on(app, &stack).await?;
    Ok(StackDetail {
        deleting: stack.delete_requested_at.is_some(),
        stack: convert::stack(stack),
        current: convert::stack_version(version),
        services: validation.services,
        deployed,
    })
}

/// Stores a new stack whose content the caller validated, and records it.
pub async fn insert(
    app: &App,
    access: &OrgAccess,
    name: String,
    description: String,
    content: String,
    message: String,
) -> ApiResult<(Stack, windflow_storage::StackVersion)> {
    services::backups::check_compose_repository(app, &access.org.id, &content).await?;
    let now = now_ms();
    let (stack, version) = app
        .store
        .create_stack(NewStack {
            id: new_id(),
            org_id: access.org.id.clone(),
            name,
            description,
            first_version: NewStackVersion {
                content,
                author_id: access.caller.user.id.clone(),
                message,
                created_at: now,
            },
            created_at: now,
        })
        .await?;
    app.list_cache.invalidate(&access.org.id);
    services::backups::sync_compose_policy(
        app,
        &access.org.id,
        &stack,
        &version.content,
        &access.caller.user.id,
    )
    .await?;
    services::audit::record_org(
        app,
        access,
        "stack.create",
        &format!("stack/{}", stack.name),
        json!({ "version": 1 }),
    )
    .await;
    Ok((stack, version))
}

/// Where `stack` runs, by target.
async fn deployed_on(app: &App, stack: &Stack) -> ApiResult<Vec<windflow_protocol::DeployedStack>> {
    Ok(app
        .store
        .list_deployed(&stack.org_id, Some(&stack.id), None)
        .await?
        .into_iter()
        .map(convert::deployed_stack)
        .collect())
}

/// The stack with its newest version's content.
pub async fn show(app: &App, access: &OrgAccess, name: &str) -> ApiResult<StackDetail> {
    let stack = find(app, &access.org.id, name).await?;
    let version = app
        .store
        .get_stack_version(&access.org.id, &stack.id, stack.latest_version)
        .await?;
    let services = load(&stack.name, &version.content, Default::default())
        .map(|l| l.stack.services.keys().cloned().collect())
        .unwrap_or_default();
    let deployed = deployed_on(app, &stack).await?;
    Ok(StackDetail {
        deleting: stack.delete_requested_at.is_some(),
        stack: convert::stack(stack),
        current: convert::stack_version(version),
        services,
        deployed,
    })
}

/// Pushes a new version. With `if_match` (the version the edit is based on), refused when
/// the stack moved on since.
pub async fn update(
    app: &App,
    access: &OrgAccess,
    name: &str,
    if_match: Option<i64>,
    request: UpdateStackRequest,
) -> ApiResult<StackDetail> {
    let stack = find(app, &access.org.id, name).await?;
    let expected = match if_match {
        Some(number) if number != stack.latest_version => {
            return Err(ApiError::PreconditionFailed(format!(
                "stack {name} is at version {} but your edit is based on version {number}: reload it, merge, and push again",
                stack.latest_version
            )));
        }
        Some(number) => number,
        None => stack.latest_version,
    };
    let environment =
        validation_environment(app.store.as_ref(), &access.org.id, Some(&stack.id)).await?;
    let policies = OrgPolicies::load(app.store.as_ref(), &access.org.id).await?;
    let validation = validate(
        &stack.name,
        &request.content,
        environment,
        &policies.organization,
    );
    require_valid(&validation)?;
    services::backups::check_compose_repository(app, &access.org.id, &request.content).await?;
    let version = app
        .store
        .add_stack_version(
            &access.org.id,
            &stack.id,
            expected,
            NewStackVersion {
                content: request.content,
                author_id: access.caller.user.id.clone(),
                message: request.message.unwrap_or_default(),
                created_at: now_ms(),
            },
        )
        .await?;
    app.list_cache.invalidate(&access.org.id);
    services::audit::record_org(
        app,
        access,
        "stack.update",
        &format!("stack/{name}"),
        json!({ "version": version.version }),
    )
    .await;
    let stack = app.store.get_stack(&access.org.id, name).await?;
    services::backups::sync_compose_policy(
        app,
        &access.org.id,
        &stack,
        &version.content,
        &access.caller.user.id,
    )
    .await?;
    let deployed = deployed_on(app, &stack).await?;
    Ok(StackDetail {
        deleting: stack.delete_requested_at.is_some(),
        stack: convert::stack(stack),
        current: convert::stack_version(version),
        services: validation.services,
        deployed,
    })
}

/// What deleting a stack did.
pub enum Deletion {
    /// Deleted now.
    Deleted,
    /// Removals were queued on every target that runs it; the last one to succeed deletes it.
    Pending(Vec<Deployment>),
}

/// Deletes a stack; its deployments stay listed. Refused while a deployment of it is queued
/// or running, or while it runs on a target — unless `undeploy`, which queues its removal
/// from every target and deletes it once they succeed.
pub async fn delete(
    app: &App,
    access: &OrgAccess,
    name: &str,
    undeploy: bool,
) -> ApiResult<Deletion> {
    let stack = find(app, &access.org.id, name).await?;
    let deployed = app
        .store
        .list_deployed(&access.org.id, Some(&stack.id), None)
        .await?;
    if !undeploy || deployed.is_empty() {
        app.store
            .delete_stack(&access.org.id, name, now_ms())
            .await
            .map_err(named("stack", name))?;
        app.list_cache.invalidate(&access.org.id);
        services::audit::record_org(
            app,
            access,
            "stack.delete",
            &format!("stack/{name}"),
            json!({}),
        )
        .await;
        return Ok(Deletion::Deleted);
    }
    app.store
        .request_stack_delete(&access.org.id, name, now_ms())
        .await
        .map_err(named("stack", name))?;
    let mut removals = Vec::new();
    for running in &deployed {
        let (deployment, _) = services::deployments::queue(
            app,
            access,
            services::deployments::DeploymentRequest {
                stack: name,
                version: Some(running.stack_version),
                target: services::deployments::TargetChoice::Named(&running.target_name),
                environment: None,
                kind: DeploymentKind::Remove,
                idempotency_key: None,
            },
        )
        .await?;
        removals.push(deployment);
    }
    app.list_cache.invalidate(&access.org.id);
    let targets: Vec<&str> = deployed.iter().map(|d| d.target_name.as_str()).collect();
    services::audit::record_org(
        app,
        access,
        "stack.delete_requested",
        &format!("stack/{name}"),
        json!({ "undeploy_from": targets }),
    )
    .await;
    Ok(Deletion::Pending(removals))
}

/// After a removal succeeded: deletes its stack when a deletion was asked for and nothing
/// runs it any more (an earlier removal may still be pending: its success retries).
pub async fn finish_pending_delete(app: &App, removal: &Deployment) {
    let Ok(stack) = app
        .store
        .get_stack_by_id(&removal.org_id, &removal.stack_id)
        .await
    else {
        return;
    };
    if stack.delete_requested_at.is_none() {
        return;
    }
    match app
        .store
        .delete_stack(&removal.org_id, &stack.name, now_ms())
        .await
    {
        Ok(()) => {
            app.list_cache.invalidate(&removal.org_id);
            // Recorded as the user who asked for the removal that finished it.
            let actor = services::audit::Actor {
                id: Some(&removal.requested_by),
                name: &removal.requested_by_name,
                ip: None,
            };
            services::audit::record_as(
                app,
                actor,
                Some(&removal.org_id),
                "stack.delete",
                &format!("stack/{}", stack.name),
                json!({ "after_removal": removal.id }),
            )
            .await;
        }
        Err(e) => tracing::debug!(error = %e, stack = %stack.name, "deletion still waits"),
    }
}

/// One page of the stack's versions, newest first.
pub async fn versions(
    app: &App,
    access: &OrgAccess,
    name: &str,
    limit: Option<i64>,
    offset: Option<i64>,
) -> ApiResult<Page<StackVersionSummary>> {
    let stack = find(app, &access.org.id, name).await?;
    let request = convert::page_request(limit, offset);
    let page = app
        .store
        .list_stack_versions(&access.org.id, &stack.id, request)
        .await?;
    Ok(convert::page(page, request, convert::stack_version_summary))
}

/// One version with its content.
pub async fn version(
    app: &App,
    access: &OrgAccess,
    name: &str,
    version: i64,
) -> ApiResult<StackVersion> {
    let stack = find(app, &access.org.id, name).await?;
    let version = app
        .store
        .get_stack_version(&access.org.id, &stack.id, version)
        .await?;
    Ok(convert::stack_version(version))
}

/// A unified diff between two versions.
pub async fn diff_versions(
    app: &App,
    access: &OrgAccess,
    name: &str,
    from: i64,
    to: i64,
) -> ApiResult<StackDiff> {
    let stack = find(app, &access.org.id, name).await?;
    let from = app
        .store
        .get_stack_version(&access.org.id, &stack.id, from)
        .await
        .map_err(|_| ApiError::NotFound(format!("version {} of stack {name}", from)))?;
    let to = app
        .store
        .get_stack_version(&access.org.id, &stack.id, to)
        .await
        .map_err(|_| ApiError::NotFound(format!("version {} of stack {name}", to)))?;
    Ok(diff(from.version, &from.content, to.version, &to.content))
}

/// Validates compose content as stack `name` without saving it.
pub async fn validate_content(
    app: &App,
    access: &OrgAccess,
    name: &str,
    content: &str,
) -> ApiResult<Validation> {
    if content.len() > MAX_CONTENT_BYTES * 2 {
        return Err(ApiError::invalid("content", "too large"));
    }
    let stack_id = app
        .store
        .get_stack(&access.org.id, name)
        .await
        .ok()
        .map(|s| s.id);
    let environment =
        validation_environment(app.store.as_ref(), &access.org.id, stack_id.as_deref()).await?;
    let policies = OrgPolicies::load(app.store.as_ref(), &access.org.id).await?;
    // A stack not created yet may have no name yet (`_`): the content is what is checked;
    // the name is checked when the stack is created.
    let project = if stack_id.is_none() && !windflow_compose::is_valid_project_name(name) {
        "new-stack"
    } else {
        name
    };
    Ok(validate(
        project,
        content,
        environment,
        &policies.organization,
    ))
}

/// The variable scope of a stack, optionally narrowed to one environment.
pub async fn stack_scope(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    environment: Option<&str>,
) -> ApiResult<VariableScope> {
    let stack = find(app, &access.org.id, stack).await?;
    let environment_id =
        services::organizations::environment_id(app, &access.org.id, environment).await?;
    Ok(VariableScope::Stack {
        stack_id: stack.id,
        environment_id,
    })
}
