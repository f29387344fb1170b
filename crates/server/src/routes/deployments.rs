//! `/orgs/{org}/deployments`: queue, list, inspect and cancel deployments, and read their
//! events — as a list, or live over Server-Sent Events (resumable with `Last-Event-ID`).

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    CreateDeploymentRequest, Deployment, DeploymentEvent, DeploymentListQuery, EventQuery,
    IDEMPOTENCY_HEADER, Page, Problem,
};
use windflow_storage::DeploymentKind;

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::services::deployments::{DeploymentRequest, Followed, TargetChoice};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_deployments, create_deployment))
        .routes(routes!(get_deployment))
        .routes(routes!(cancel_deployment))
        .routes(routes!(list_events))
        .routes(routes!(stream_events))
}

pub fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get(IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

/// 201 with `Location` for a new deployment; 200 when an idempotency key matched an
/// earlier one.
pub fn created_response(
    access: &OrgAccess,
    deployment: windflow_storage::Deployment,
    created: bool,
) -> Response {
    let location = format!(
        "{}/orgs/{}/deployments/{}",
        windflow_protocol::API_PREFIX,
        access.org.slug,
        deployment.id
    );
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, Json(convert::deployment(deployment))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Queue a deployment of a stack version onto a target (operators). Send an
/// `Idempotency-Key` header to make retries safe: the same key returns the same deployment.
#[utoipa::path(post, path = "/orgs/{org}/deployments", tag = "deployments",
    request_body = CreateDeploymentRequest,
    params(("org" = String, Path, description = "Organization slug"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request safe")),
    responses((status = 201, body = Deployment), (status = 200, body = Deployment),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_deployment(
    State(state): State<AppState>,
    access: OrgAccess,
    headers: HeaderMap,
    body: Payload<CreateDeploymentRequest>,
) -> ApiResult<Response> {
    // The stack and environment are known once the request is read: the service checks
    // the permission on them before queueing.
    access.require_somewhere(Permission::Deploy)?;
    let request = body.parse()?;
    let kind = match request.kind {
        None | Some(windflow_protocol::DeploymentKind::Deploy) => DeploymentKind::Deploy,
        Some(windflow_protocol::DeploymentKind::Remove) => DeploymentKind::Remove,
        Some(windflow_protocol::DeploymentKind::Rollback) => DeploymentKind::Rollback,
    };
    let target = match (&request.target, &request.selector) {
        (Some(name), None) => TargetChoice::Named(name),
        (None, Some(selector)) if !selector.is_empty() => TargetChoice::Selector {
            selector,
            strategy: request.strategy,
            failover: request.failover,
        },
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "selector",
                "name a target or give a selector, not both",
            ));
        }
        (None, _) => {
            return Err(ApiError::invalid(
                "target",
                "name a target, or give a label selector (`selector: {\"region\": \"eu\"}`)",
            ));
        }
    };
    let (deployment, created) = services::deployments::queue(
        &state,
        &access,
        DeploymentRequest {
            stack: &request.stack,
            version: request.version,
            target,
            environment: request.environment.as_deref(),
            kind,
            idempotency_key: idempotency_key(&headers),
        },
    )
    .await?;
    Ok(created_response(&access, deployment, created))
}

/// Deployments, newest first, filtered by stack, target and state.
#[utoipa::path(get, path = "/orgs/{org}/deployments", tag = "deployments",
    params(("org" = String, Path, description = "Organization slug"), DeploymentListQuery),
    responses((status = 200, body = Page<Deployment>), (status = 404, body = Problem)))]
async fn list_deployments(
    State(state): State<AppState>,
    access: OrgAccess,
    Query(query): Query<DeploymentListQuery>,
) -> ApiResult<Json<Page<Deployment>>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::deployments::list(&state, &access, &query).await?,
    ))
}

/// One deployment: its state, plan and error.
#[utoipa::path(get, path = "/orgs/{org}/deployments/{id}", tag = "deployments",
    params(("org" = String, Path, description = "Organization slug"),
        ("id" = String, Path, description = "Deployment id")),
    responses((status = 200, body = Deployment), (status = 404, body = Problem)))]
async fn get_deployment(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Deployment>> {
    access.require(Permission::Read)?;
    Ok(Json(
        services::deployments::get(&state, &access, &id).await?,
    ))
}

/// Cancel a deployment (operators): a queued one at once; a running one stops at its next
/// step and the previous version is put back.
#[utoipa::path(post, path = "/orgs/{org}/deployments/{id}/cancel", tag = "deployments",
    params(("org" = String, Path, description = "Organization slug"),
        ("id" = String, Path, description = "Deployment id")),
    responses((status = 202, body = Deployment), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel_deployment(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<Deployment>)> {
    // The deployment's stack and environment are checked once it is read.
    access.require_somewhere(Permission::Deploy)?;
    let deployment = services::deployments::cancel(&state, &access, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(deployment)))
}

/// Recorded events after `after`, oldest first (at most 1,000 per call).
#[utoipa::path(get, path = "/orgs/{org}/deployments/{id}/events", tag = "deployments",
    params(("org" = String, Path, description = "Organization slug"),
        ("id" = String, Path, description = "Deployment id"), EventQuery),
    responses((status = 200, body = Vec<DeploymentEvent>), (status = 404, body = Problem)))]
async fn list_events(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<EventQuery>,
) -> ApiResult<Json<Vec<DeploymentEvent>>> {
    access.require(Permission::Read)?;
    let after = query.after.unwrap_or(0);
    Ok(Json(
        services::deployments::events(&state, &access, &id, after).await?,
    ))
}

/// Live events over Server-Sent Events: every recorded event after `after` (or the
/// `Last-Event-ID` header), then new ones as they happen; the stream ends with an `end`
/// event once the deployment reaches a terminal state. Each event's `id` is its sequence
/// number and its `event` the kind (`step_started`, `state`…).
#[utoipa::path(get, path = "/orgs/{org}/deployments/{id}/events/stream", tag = "deployments",
    params(("org" = String, Path, description = "Organization slug"),
        ("id" = String, Path, description = "Deployment id"), EventQuery),
    responses((status = 200, description = "text/event-stream of DeploymentEvent", content_type = "text/event-stream"),
        (status = 404, body = Problem)))]
async fn stream_events(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<EventQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    access.require(Permission::Read)?;
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .or(query.after)
        .unwrap_or(0);
    let followed = services::deployments::follow(state, &access, id, after).await?;
    let stream = followed.map(|item| {
        Ok(match item {
            Followed::Event(event) => sse(&event),
            Followed::End => SseEvent::default().event("end").data("{}"),
        })
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn sse(event: &windflow_storage::DeploymentEvent) -> SseEvent {
    let kind = event.data["event"].as_str().unwrap_or("event").to_string();
    let payload = convert::event(event.clone());
    SseEvent::default()
        .id(event.seq.to_string())
        .event(kind)
        .json_data(payload)
        .unwrap_or_else(|_| SseEvent::default().comment("unserializable event"))
}
