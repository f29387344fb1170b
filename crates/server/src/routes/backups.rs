//! `/orgs/{org}/backup/…` and `/orgs/{org}/stacks/{stack}/backup…`: backup repositories (the
//! credentials and password go in, never out), each stack's policy, and the runs that back
//! up, restore, check and drill, with the snapshots they wrote.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    BackupEntry, BackupPolicy, BackupRepository, BackupRun, BackupSnapshot,
    CreateBackupRepositoryRequest, Problem, RestorePlan, RestoreRequest, SetBackupPolicyRequest,
    StartBackupRequest, UpdateBackupRepositoryRequest,
};

use super::body::Payload;
use crate::auth::{On, OrgAccess};
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_repositories, create_repository))
        .routes(routes!(
            show_repository,
            update_repository,
            delete_repository
        ))
        .routes(routes!(check_repository))
        .routes(routes!(list_runs))
        .routes(routes!(show_run))
        .routes(routes!(follow_run))
        .routes(routes!(cancel_run))
        .routes(routes!(list_snapshots))
        .routes(routes!(list_files))
        .routes(routes!(download_file))
        .routes(routes!(show_policy, set_policy, delete_policy))
        .routes(routes!(start_backup))
        .routes(routes!(restore))
        .routes(routes!(start_drill))
}

/// The organization's backup repositories.
#[utoipa::path(get, path = "/orgs/{org}/backup/repositories", tag = "backups",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<BackupRepository>), (status = 404, body = Problem)))]
async fn list_repositories(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<BackupRepository>>> {
    access.require(Permission::Read)?;
    services::backups::list_repositories(&state, &access)
        .await
        .map(Json)
}

/// Add a repository: S3-compatible storage, a folder on a target, or an SFTP server. WindFlow
/// initializes it (or opens an existing restic repository with `password`) before storing it.
/// The credentials and the password are sealed and never shown again.
#[utoipa::path(post, path = "/orgs/{org}/backup/repositories", tag = "backups",
    request_body = CreateBackupRepositoryRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 201, body = BackupRepository), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_repository(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<CreateBackupRepositoryRequest>,
) -> ApiResult<(StatusCode, Json<BackupRepository>)> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let created = services::backups::create_repository(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/orgs/{org}/backup/repositories/{repository}", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"),
        ("repository" = String, Path, description = "Repository name")),
    responses((status = 200, body = BackupRepository), (status = 404, body = Problem)))]
async fn show_repository(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, repository)): Path<(String, String)>,
) -> ApiResult<Json<BackupRepository>> {
    access.require(Permission::Read)?;
    services::backups::show_repository(&state, &access, &repository)
        .await
        .map(Json)
}

/// Rename a repository or change its credentials (absent fields are kept).
#[utoipa::path(patch, path = "/orgs/{org}/backup/repositories/{repository}", tag = "backups",
    request_body = UpdateBackupRepositoryRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("repository" = String, Path, description = "Repository name")),
    responses((status = 200, body = BackupRepository), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_repository(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, repository)): Path<(String, String)>,
    body: Payload<UpdateBackupRepositoryRequest>,
) -> ApiResult<Json<BackupRepository>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    services::backups::update_repository(&state, &access, &repository, request)
        .await
        .map(Json)
}

/// Remove a repository from WindFlow (its data stays in place). Refused while a stack's
/// policy uses it.
#[utoipa::path(delete, path = "/orgs/{org}/backup/repositories/{repository}", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"),
        ("repository" = String, Path, description = "Repository name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn delete_repository(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, repository)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    services::backups::delete_repository(&state, &access, &repository).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    /// The percentage of the data read back and verified (0: the structure only).
    #[serde(default)]
    read_data: u8,
}

/// Queue an integrity check of the repository.
#[utoipa::path(post, path = "/orgs/{org}/backup/repositories/{repository}/check", tag = "backups",
    request_body = CheckRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("repository" = String, Path, description = "Repository name")),
    responses((status = 202, body = BackupRun), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn check_repository(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, repository)): Path<(String, String)>,
    body: Payload<CheckRequest>,
) -> ApiResult<(StatusCode, Json<BackupRun>)> {
    access.require(Permission::Deploy)?;
    let request = body.parse()?;
    let run = services::backups::check_repository(&state, &access, &repository, request.read_data)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(run)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RunQuery {
    /// Only this stack's runs.
    stack: Option<String>,
    /// Only runs of this kind: backup, restore, check, drill.
    kind: Option<String>,
}

/// Backup runs, newest first.
#[utoipa::path(get, path = "/orgs/{org}/backup/runs", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"), RunQuery),
    responses((status = 200, body = Vec<BackupRun>), (status = 404, body = Problem)))]
async fn list_runs(
    State(state): State<AppState>,
    access: OrgAccess,
    Query(query): Query<RunQuery>,
) -> ApiResult<Json<Vec<BackupRun>>> {
    access.require(Permission::Read)?;
    services::backups::list_runs(
        &state,
        &access,
        query.stack.as_deref(),
        query.kind.as_deref(),
    )
    .await
    .map(Json)
}

#[utoipa::path(get, path = "/orgs/{org}/backup/runs/{run}", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"),
        ("run" = String, Path, description = "Run id")),
    responses((status = 200, body = BackupRun), (status = 404, body = Problem)))]
async fn show_run(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, run)): Path<(String, String)>,
) -> ApiResult<Json<BackupRun>> {
    access.require(Permission::Read)?;
    services::backups::get_run(&state, &access, &run)
        .await
        .map(Json)
}

/// The run's progress as Server-Sent Events: a `run` event (a `BackupRun`) each time it
/// changes, the last one when it ended.
#[utoipa::path(get, path = "/orgs/{org}/backup/runs/{run}/events", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"),
        ("run" = String, Path, description = "Run id")),
    responses((status = 200, content_type = "text/event-stream", body = BackupRun),
        (status = 404, body = Problem)))]
async fn follow_run(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, run)): Path<(String, String)>,
) -> ApiResult<Sse<impl futures::Stream<Item = Result<SseEvent, std::convert::Infallible>>>> {
    access.require(Permission::Read)?;
    let runs = services::backups::follow_run(state.clone(), &access, &run).await?;
    let events = runs.map(|run| {
        Ok(SseEvent::default()
            .event("run")
            .json_data(run)
            .unwrap_or_else(|_| SseEvent::default().event("run")))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// Cancel a queued or running operation (its helpers are stopped; a restore puts the
/// previous data back).
#[utoipa::path(post, path = "/orgs/{org}/backup/runs/{run}/cancel", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"),
        ("run" = String, Path, description = "Run id")),
    responses((status = 200, body = BackupRun), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn cancel_run(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, run)): Path<(String, String)>,
) -> ApiResult<Json<BackupRun>> {
    access.require(Permission::Deploy)?;
    services::backups::cancel_run(&state, &access, &run)
        .await
        .map(Json)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SnapshotQuery {
    /// Only this stack's snapshots.
    stack: Option<String>,
}

/// Snapshots (one per item of each backup), newest first.
#[utoipa::path(get, path = "/orgs/{org}/backup/snapshots", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"), SnapshotQuery),
    responses((status = 200, body = Vec<BackupSnapshot>), (status = 404, body = Problem)))]
async fn list_snapshots(
    State(state): State<AppState>,
    access: OrgAccess,
    Query(query): Query<SnapshotQuery>,
) -> ApiResult<Json<Vec<BackupSnapshot>>> {
    access.require(Permission::Read)?;
    services::backups::list_snapshots(&state, &access, query.stack.as_deref())
        .await
        .map(Json)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PathQuery {
    /// A path inside the item (empty: its top).
    #[serde(default)]
    path: String,
}

/// The files and folders of a snapshot under a path.
#[utoipa::path(get, path = "/orgs/{org}/backup/snapshots/{snapshot}/files", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"),
        ("snapshot" = String, Path, description = "Snapshot id"), PathQuery),
    responses((status = 200, body = Vec<BackupEntry>), (status = 404, body = Problem)))]
async fn list_files(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, snapshot)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
) -> ApiResult<Json<Vec<BackupEntry>>> {
    access.require(Permission::Read)?;
    services::backups::browse(&state, &access, &snapshot, &query.path)
        .await
        .map(Json)
}

/// Download one file of a snapshot (a database item: its dump). Needs admin: backups hold
/// data a viewer may not read.
#[utoipa::path(get, path = "/orgs/{org}/backup/snapshots/{snapshot}/download", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"),
        ("snapshot" = String, Path, description = "Snapshot id"), PathQuery),
    responses((status = 200, content_type = "application/octet-stream"), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn download_file(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, snapshot)): Path<(String, String)>,
    Query(query): Query<PathQuery>,
) -> ApiResult<Response> {
    access.require(Permission::Configure)?;
    let (name, rx) = services::backups::download(&state, &access, &snapshot, &query.path).await?;
    let body = Body::from_stream(ReceiverStream::new(rx).map(Ok::<_, std::io::Error>));
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(['"', '\\', '\r', '\n'], "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// The stack's backup policy in effect (set through the API, or its compose file's
/// `x-windflow.backup`).
#[utoipa::path(get, path = "/orgs/{org}/stacks/{stack}/backup", tag = "backups",
    // Named apart from the organization policy's operations (`set_policy`…).
    operation_id = "show_backup_policy",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 200, body = BackupPolicy), (status = 404, body = Problem)))]
async fn show_policy(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
) -> ApiResult<Json<BackupPolicy>> {
    access.require(Permission::Read)?;
    services::backups::get_policy(&state, &access, &stack)
        .await
        .map(Json)
}

/// Set the stack's backup policy (it then overrides the compose file's).
#[utoipa::path(put, path = "/orgs/{org}/stacks/{stack}/backup", tag = "backups",
    // Named apart from the organization policy's operations (`set_policy`…).
    operation_id = "set_backup_policy",
    request_body = SetBackupPolicyRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 200, body = BackupPolicy), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_policy(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
    body: Payload<SetBackupPolicyRequest>,
) -> ApiResult<Json<BackupPolicy>> {
    access
        .require_on(&state, Permission::Configure, On::StackNamed(&stack))
        .await?;
    let request = body.parse()?;
    services::backups::set_policy(&state, &access, &stack, request)
        .await
        .map(Json)
}

/// Remove the API-set policy (the compose file's, if any, takes effect again).
#[utoipa::path(delete, path = "/orgs/{org}/stacks/{stack}/backup", tag = "backups",
    // Named apart from the organization policy's operations (`set_policy`…).
    operation_id = "delete_backup_policy",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_policy(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    access
        .require_on(&state, Permission::Configure, On::StackNamed(&stack))
        .await?;
    services::backups::delete_policy(&state, &access, &stack).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Back the stack up now.
#[utoipa::path(post, path = "/orgs/{org}/stacks/{stack}/backup/run", tag = "backups",
    request_body = StartBackupRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 202, body = BackupRun), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn start_backup(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
    body: Payload<StartBackupRequest>,
) -> ApiResult<(StatusCode, Json<BackupRun>)> {
    access
        .require_on(&state, Permission::Deploy, On::StackNamed(&stack))
        .await?;
    let request = body.parse()?;
    let run = services::backups::start_backup(&state, &access, &stack, request).await?;
    Ok((StatusCode::ACCEPTED, Json(run)))
}

/// Restore a backup into the stack, or (`into_stack`) into another one — on another target
/// too. With `dry_run`, only the plan: what is replaced and what is stopped. Needs admin.
#[utoipa::path(post, path = "/orgs/{org}/stacks/{stack}/backup/restore", tag = "backups",
    request_body = RestoreRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "The stack whose backup is restored")),
    responses((status = 200, body = RestorePlan), (status = 202, body = RestorePlan),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn restore(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
    body: Payload<RestoreRequest>,
) -> ApiResult<(StatusCode, Json<RestorePlan>)> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    let dry_run = request.dry_run;
    let plan = services::backups::restore(&state, &access, &stack, request).await?;
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(plan)))
}

/// Run a restore drill now: the latest backup restored into a throwaway copy of the stack,
/// the policy's checks run in it, the copy removed.
#[utoipa::path(post, path = "/orgs/{org}/stacks/{stack}/backup/drill", tag = "backups",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 202, body = BackupRun), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn start_drill(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<BackupRun>)> {
    access
        .require_on(&state, Permission::Deploy, On::StackNamed(&stack))
        .await?;
    let run = services::backups::start_drill(&state, &access, &stack).await?;
    Ok((StatusCode::ACCEPTED, Json(run)))
}
