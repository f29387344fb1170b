//! Queuing deployments: resolving what the request names (stack version, target,
//! environment), idempotency, rollbacks to an earlier version, and plan previews.

use std::collections::BTreeMap;

use windflow_domain::plan::PlanOptions;
use windflow_engine::deploy;
use windflow_protocol as wire;
use windflow_storage::{Deployment, DeploymentKind, NewDeployment, Stack, StoreError, Target};

use crate::auth::OrgAccess;
use crate::error::{ApiError, ApiResult};
use crate::state::{App, new_id, now_ms};

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

impl App {
    /// Queues a deployment and wakes the workers. `.1` is false when an idempotency key
    /// returned an earlier deployment.
    pub async fn queue_deployment(
        &self,
        access: &OrgAccess,
        request: DeploymentRequest<'_>,
    ) -> ApiResult<(Deployment, bool)> {
        let org = &access.org.id;
        let stack = self.find_stack(org, request.stack).await?;
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
            TargetChoice::Named(name) => (self.find_target(org, name).await?, None),
            TargetChoice::Selector {
                selector,
                strategy,
                failover,
            } => {
                let needs = self.stack_memory_needs(org, &stack, version).await?;
                let choice = self
                    .choose_target(org, selector, strategy, needs, &[])
                    .await?;
                let placement = wire::Placement {
                    selector: selector.clone(),
                    strategy,
                    failover,
                    tried: Vec::new(),
                    reason: choice.reason,
                };
                (choice.target, Some(crate::placement::record(&placement)))
            }
        };
        let environment_id = match request.environment {
            Some(name) => Some(self.find_environment(org, name).await?.id),
            None => target.environment_id.clone(),
        };
        if request.kind == DeploymentKind::Deploy {
            let content = self
                .store
                .get_stack_version(org, &stack.id, version)
                .await?
                .content;
            self.check_host_policy(org, &stack, &content, environment_id.as_deref(), &target)
                .await?;
        }
        if let Some(key) = &request.idempotency_key
            && (key.is_empty() || key.len() > 200)
        {
            return Err(ApiError::BadRequest(
                "Idempotency-Key must be 1 to 200 characters".into(),
            ));
        }
        let (deployment, created) = self
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
            metrics::counter!("windflow_deployments_queued_total").increment(1);
            self.jobs_wakeup.notify_one();
            self.audit_org(
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
        &self,
        access: &OrgAccess,
        stack_name: &str,
        target_name: &str,
        version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> ApiResult<(Deployment, bool)> {
        let org = &access.org.id;
        let stack = self.find_stack(org, stack_name).await?;
        let target = self.find_target(org, target_name).await?;
        let version = match version {
            Some(v) => v,
            None => previous_version(self, org, &stack, &target).await?,
        };
        self.queue_deployment(
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
        &self,
        org: &str,
        stack: &Stack,
        version: i64,
    ) -> ApiResult<u64> {
        let content = self
            .store
            .get_stack_version(org, &stack.id, version)
            .await?
            .content;
        let environment =
            crate::stacks::validation_environment(self.store.as_ref(), org, Some(&stack.id))
                .await?;
        Ok(crate::stacks::load(&stack.name, &content, environment)
            .map(|loaded| crate::placement::memory_needs(&loaded.stack))
            .unwrap_or(0))
    }

    /// What deploying would change on the target now, without changing anything.
    pub async fn preview_plan(
        &self,
        access: &OrgAccess,
        stack_name: &str,
        request: &wire::PlanRequest,
    ) -> ApiResult<wire::PlanPreview> {
        let org = &access.org.id;
        let stack = self.find_stack(org, stack_name).await?;
        let version = request.version.unwrap_or(stack.latest_version);
        let content = self
            .store
            .get_stack_version(org, &stack.id, version)
            .await?
            .content;
        let target = self.find_target(org, &request.target).await?;
        let environment =
            crate::stacks::validation_environment(self.store.as_ref(), org, Some(&stack.id))
                .await?;
        let loaded = crate::stacks::load(&stack.name, &content, environment).map_err(|d| {
            ApiError::Invalid {
                message: "the compose file is invalid".into(),
                errors: d.iter().map(crate::stacks::field_error).collect(),
            }
        })?;
        let refused = self
            .policy_violations(
                org,
                &content,
                &loaded.stack,
                target.environment_id.as_deref(),
                &target,
            )
            .await?;
        if !refused.is_empty() {
            return Err(policy_refusal(&target, refused));
        }
        let driver = self.driver(&target)?;
        let (_, plan) =
            deploy::containers::plan(driver.as_ref(), &loaded.stack, &PlanOptions::default())
                .await
                .map_err(|e| ApiError::Unavailable(format!("target {}: {e}", target.name)))?;
        Ok(wire::PlanPreview {
            version,
            unchanged: plan.is_empty(),
            changes: plan.describe(),
        })
    }
}

impl App {
    /// What the effective host-access policy of a deployment onto `target` refuses in `stack`.
    async fn policy_violations(
        &self,
        org: &str,
        content: &str,
        stack: &windflow_domain::Stack,
        environment_id: Option<&str>,
        target: &Target,
    ) -> ApiResult<Vec<wire::FieldError>> {
        let policy = crate::policies::OrgPolicies::load(self.store.as_ref(), org)
            .await?
            .effective(environment_id, target);
        Ok(crate::policies::violations(content, stack, &policy))
    }

    /// 422 when the effective host-access policy refuses what `content` would deploy.
    async fn check_host_policy(
        &self,
        org: &str,
        stack: &Stack,
        content: &str,
        environment_id: Option<&str>,
        target: &Target,
    ) -> ApiResult<()> {
        let environment =
            crate::stacks::validation_environment(self.store.as_ref(), org, Some(&stack.id))
                .await?;
        // A version that no longer loads fails in the worker with its diagnostics.
        let Ok(loaded) = crate::stacks::load(&stack.name, content, environment) else {
            return Ok(());
        };
        let refused = self
            .policy_violations(org, content, &loaded.stack, environment_id, target)
            .await?;
        if refused.is_empty() {
            Ok(())
        } else {
            Err(policy_refusal(target, refused))
        }
    }
}

fn policy_refusal(target: &Target, errors: Vec<wire::FieldError>) -> ApiError {
    ApiError::Invalid {
        message: format!(
            "the host-access policy for target {} refuses this stack: {}",
            target.name,
            crate::policies::describe(&errors)
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

impl App {
    /// The organization's stack called `name`; 404 naming it otherwise.
    pub async fn find_stack(&self, org_id: &str, name: &str) -> ApiResult<Stack> {
        self.store
            .get_stack(org_id, name)
            .await
            .map_err(named("stack", name))
    }

    /// The organization's target called `name`; 404 naming it otherwise.
    pub async fn find_target(&self, org_id: &str, name: &str) -> ApiResult<Target> {
        self.store
            .get_target(org_id, name)
            .await
            .map_err(named("target", name))
    }

    /// The organization's environment called `name`; 404 naming it otherwise.
    pub async fn find_environment(
        &self,
        org_id: &str,
        name: &str,
    ) -> ApiResult<windflow_storage::Environment> {
        self.store
            .get_environment(org_id, name)
            .await
            .map_err(named("environment", name))
    }
}

/// Maps NotFound to a message naming the missing resource.
pub fn named(kind: &'static str, name: &str) -> impl FnOnce(StoreError) -> ApiError {
    let name = name.to_string();
    move |e| match e {
        StoreError::NotFound(_) => ApiError::NotFound(format!("{kind} {name:?}")),
        other => other.into(),
    }
}
