//! `/orgs/{org}/workflows`, `/orgs/{org}/workflow-runs`, `/orgs/{org}/notification-channels`
//! and the public webhook `/hooks/workflows/{token}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    ApprovalDecision, CreateNotificationChannelRequest, NotificationChannel, Problem,
    PutWorkflowRequest, StartWorkflowRunRequest, ValidateWorkflowRequest, Workflow, WorkflowRun,
    WorkflowSummary, WorkflowValidation, WorkflowVersion, WorkflowWebhook,
};

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workflows))
        .routes(routes!(validate_workflow))
        .routes(routes!(show_workflow, put_workflow, delete_workflow))
        .routes(routes!(list_workflow_versions))
        .routes(routes!(show_workflow_version))
        .routes(routes!(rotate_workflow_webhook))
        .routes(routes!(start_workflow_run, list_workflow_runs))
        .routes(routes!(show_workflow_run))
        .routes(routes!(follow_workflow_run))
        .routes(routes!(cancel_workflow_run))
        .routes(routes!(decide_workflow_approval))
        .routes(routes!(
            list_notification_channels,
            create_notification_channel
        ))
        .routes(routes!(delete_notification_channel))
        .routes(routes!(test_notification_channel))
        .routes(routes!(workflow_webhook))
}

/// The organization's workflows with their last run.
#[utoipa::path(get, path = "/orgs/{org}/workflows", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<WorkflowSummary>), (status = 404, body = Problem)))]
async fn list_workflows(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<WorkflowSummary>>> {
    access.require(Permission::Read)?;
    services::workflows::list(&state, &access).await.map(Json)
}

/// Check a workflow document without saving it: every problem with its field.
#[utoipa::path(post, path = "/orgs/{org}/workflows/validate", tag = "workflows",
    request_body = ValidateWorkflowRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = WorkflowValidation), (status = 403, body = Problem)))]
async fn validate_workflow(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<ValidateWorkflowRequest>,
) -> ApiResult<Json<WorkflowValidation>> {
    access.require(Permission::Read)?;
    let request = body.parse()?;
    services::workflows::validate(&state, &access.org.id, request.document)
        .await
        .map(Json)
}

/// A workflow and its current document.
#[utoipa::path(get, path = "/orgs/{org}/workflows/{name}", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Workflow name")),
    responses((status = 200, body = Workflow), (status = 404, body = Problem)))]
async fn show_workflow(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<Workflow>> {
    access.require(Permission::Read)?;
    services::workflows::show(&state, &access, &name, None)
        .await
        .map(Json)
}

/// Save a workflow (created on first save): a new version when the document changed, 200
/// with the current version when it did not. Needs admin.
#[utoipa::path(put, path = "/orgs/{org}/workflows/{name}", tag = "workflows",
    request_body = PutWorkflowRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Workflow name")),
    responses((status = 201, body = Workflow), (status = 200, body = Workflow),
        (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn put_workflow(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<PutWorkflowRequest>,
) -> ApiResult<(StatusCode, Json<Workflow>)> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let (saved, changed) = services::workflows::save(&state, &access, &name, request).await?;
    let status = if changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved)))
}

/// Delete a workflow: its webhook and schedules stop, its waiting runs are cancelled; its
/// runs stay in the history.
#[utoipa::path(delete, path = "/orgs/{org}/workflows/{name}", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Workflow name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_workflow(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    services::workflows::delete(&state, &access, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A workflow's versions, newest first.
#[utoipa::path(get, path = "/orgs/{org}/workflows/{name}/versions", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Workflow name")),
    responses((status = 200, body = Vec<WorkflowVersion>), (status = 404, body = Problem)))]
async fn list_workflow_versions(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<Vec<WorkflowVersion>>> {
    access.require(Permission::Read)?;
    services::workflows::versions(&state, &access, &name)
        .await
        .map(Json)
}

/// One version of a workflow.
#[utoipa::path(get, path = "/orgs/{org}/workflows/{name}/versions/{version}", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Workflow name"),
        ("version" = i64, Path, description = "Version number")),
    responses((status = 200, body = Workflow), (status = 404, body = Problem)))]
async fn show_workflow_version(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name, version)): Path<(String, String, i64)>,
) -> ApiResult<Json<Workflow>> {
    access.require(Permission::Read)?;
    services::workflows::show(&state, &access, &name, Some(version))
        .await
        .map(Json)
}

/// Make (or replace) the workflow's webhook: its URL and signing key, shown this once.
/// Needs admin.
#[utoipa::path(post, path = "/orgs/{org}/workflows/{name}/webhook", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Workflow name")),
    responses((status = 200, body = WorkflowWebhook), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn rotate_workflow_webhook(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult<Json<WorkflowWebhook>> {
    access.require(Permission::Configure)?;
    services::workflows::rotate_webhook(&state, &access, &name)
        .await
        .map(Json)
}

/// Start a run (with the workflow's inputs), or again from a node of an earlier run. Needs
/// operator; each node checks, as it runs, that the caller and the workflow's last editor may
/// act on its stack.
#[utoipa::path(post, path = "/orgs/{org}/workflows/{name}/runs", tag = "workflows",
    request_body = StartWorkflowRunRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Workflow name")),
    responses((status = 202, body = WorkflowRun), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn start_workflow_run(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    body: Payload<StartWorkflowRunRequest>,
) -> ApiResult<(StatusCode, Json<WorkflowRun>)> {
    services::workflows::require_run(&access)?;
    let request = body.parse()?;
    let run = services::workflows::start_run(&state, &access, &name, request).await?;
    Ok((StatusCode::ACCEPTED, Json(run)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RunsQuery {
    /// At most this many runs (default 50, at most 500).
    limit: Option<i64>,
}

/// A workflow's runs, newest first (without their nodes).
#[utoipa::path(get, path = "/orgs/{org}/workflows/{name}/runs", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("name" = String, Path, description = "Workflow name"), RunsQuery),
    responses((status = 200, body = Vec<WorkflowRun>), (status = 404, body = Problem)))]
async fn list_workflow_runs(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, name)): Path<(String, String)>,
    Query(query): Query<RunsQuery>,
) -> ApiResult<Json<Vec<WorkflowRun>>> {
    access.require(Permission::Read)?;
    services::workflows::list_runs(&state, &access, &name, query.limit)
        .await
        .map(Json)
}

/// A run with each node's input, output, logs, timing and error.
#[utoipa::path(get, path = "/orgs/{org}/workflow-runs/{run}", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("run" = String, Path, description = "Run id")),
    responses((status = 200, body = WorkflowRun), (status = 404, body = Problem)))]
async fn show_workflow_run(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, run)): Path<(String, String)>,
) -> ApiResult<Json<WorkflowRun>> {
    access.require(Permission::Read)?;
    services::workflows::get_run(&state, &access, &run)
        .await
        .map(Json)
}

/// The run as Server-Sent Events: a `run` event (a `WorkflowRun` with its nodes) each time
/// it changes, the last one when it ended.
#[utoipa::path(get, path = "/orgs/{org}/workflow-runs/{run}/events", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("run" = String, Path, description = "Run id")),
    responses((status = 200, content_type = "text/event-stream", body = WorkflowRun),
        (status = 404, body = Problem)))]
async fn follow_workflow_run(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, run)): Path<(String, String)>,
) -> ApiResult<Sse<impl futures::Stream<Item = Result<SseEvent, std::convert::Infallible>>>> {
    access.require(Permission::Read)?;
    let runs = services::workflows::follow_run(state.clone(), &access, &run).await?;
    let events = runs.map(|run| {
        Ok(SseEvent::default()
            .event("run")
            .json_data(run)
            .unwrap_or_else(|_| SseEvent::default().event("run")))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// Cancel a run: a queued or waiting one ends at once, a running one at its next step.
#[utoipa::path(post, path = "/orgs/{org}/workflow-runs/{run}/cancel", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("run" = String, Path, description = "Run id")),
    responses((status = 200, body = WorkflowRun), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn cancel_workflow_run(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, run)): Path<(String, String)>,
) -> ApiResult<Json<WorkflowRun>> {
    services::workflows::require_run(&access)?;
    services::workflows::cancel_run(&state, &access, &run)
        .await
        .map(Json)
}

/// Approve or reject an approval node that waits: the caller needs the role the node names.
#[utoipa::path(post, path = "/orgs/{org}/workflow-runs/{run}/approvals/{node}", tag = "workflows",
    request_body = ApprovalDecision,
    params(("org" = String, Path, description = "Organization slug"),
        ("run" = String, Path, description = "Run id"),
        ("node" = String, Path, description = "Approval node id")),
    responses((status = 200, body = WorkflowRun), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn decide_workflow_approval(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, run, node)): Path<(String, String, String)>,
    body: Payload<ApprovalDecision>,
) -> ApiResult<Json<WorkflowRun>> {
    access.require(Permission::Read)?;
    let decision = body.parse()?;
    services::workflows::decide(&state, &access, &run, &node, decision)
        .await
        .map(Json)
}

/// The organization's notification channels (credentials never shown).
#[utoipa::path(get, path = "/orgs/{org}/notification-channels", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<NotificationChannel>), (status = 404, body = Problem)))]
async fn list_notification_channels(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<NotificationChannel>>> {
    access.require(Permission::Read)?;
    services::notifications::list(&state, &access)
        .await
        .map(Json)
}

/// Add a notification channel: a signed webhook, Slack, Discord, e-mail (SMTP), ntfy or
/// Gotify. Its credentials are sealed and never shown again. Needs admin.
#[utoipa::path(post, path = "/orgs/{org}/notification-channels", tag = "workflows",
    request_body = CreateNotificationChannelRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = NotificationChannel), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_notification_channel(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateNotificationChannelRequest>,
) -> ApiResult<(StatusCode, Json<NotificationChannel>)> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let created = services::notifications::create(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(delete, path = "/orgs/{org}/notification-channels/{channel}", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("channel" = String, Path, description = "Channel name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_notification_channel(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, channel)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    services::notifications::delete(&state, &access, &channel).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test message through the channel. Needs admin.
#[utoipa::path(post, path = "/orgs/{org}/notification-channels/{channel}/test", tag = "workflows",
    params(("org" = String, Path, description = "Organization slug"),
        ("channel" = String, Path, description = "Channel name")),
    responses((status = 200, body = Object), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 502, body = Problem)))]
async fn test_notification_channel(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, channel)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    access.require(Permission::Configure)?;
    services::notifications::test(&state, &access, &channel)
        .await
        .map(Json)
}

/// A workflow's webhook (no session: the body is signed with the workflow's key —
/// `X-Hub-Signature-256` for GitHub and Gitea, `X-Gitlab-Token` for GitLab,
/// `X-WindFlow-Timestamp` + `X-WindFlow-Signature` otherwise). A push starts a run (202);
/// other events and pushes to other branches are acknowledged and ignored (200).
#[utoipa::path(post, path = "/hooks/workflows/{token}", tag = "workflows",
    params(("token" = String, Path, description = "The webhook's route token")),
    responses((status = 202, body = Object), (status = 200, body = Object),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn workflow_webhook(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (status, answer) =
        services::workflows::triggers::webhook(&state, &token, &headers, &body).await?;
    Ok((
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Json(answer),
    ))
}
