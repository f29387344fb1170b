//! `/orgs/{org}/deployments`: queue, list, inspect and cancel deployments, and read their
//! events — as a list, or live over Server-Sent Events (resumable with `Last-Event-ID`).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    CreateDeploymentRequest, Deployment, DeploymentEvent, DeploymentListQuery, EventQuery,
    IDEMPOTENCY_HEADER, Page, Problem,
};
use windflow_storage::{CancelOutcome, DeploymentFilter, DeploymentKind};

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::convert;
use crate::error::named;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::services::deployments::{DeploymentRequest, TargetChoice};
use crate::state::{AppState, now_ms};

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
    access.require(Permission::Deploy)?;
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
    let org = &access.org.id;
    let mut filter = DeploymentFilter {
        state: query.state.map(convert::state_from),
        ..DeploymentFilter::default()
    };
    if let Some(name) = &query.stack {
        filter.stack_id = Some(services::stacks::find(&state, org, name).await?.id);
    }
    if let Some(name) = &query.target {
        filter.target_id = Some(services::targets::find(&state, org, name).await?.id);
    }
    let request = convert::page_request(query.limit, query.offset);
    let page = state.store.list_deployments(org, &filter, request).await?;
    Ok(Json(convert::page(page, request, convert::deployment)))
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
    let deployment = state
        .store
        .get_deployment(&access.org.id, &id)
        .await
        .map_err(named("deployment", &id))?;
    Ok(Json(convert::deployment(deployment)))
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
    access.require(Permission::Deploy)?;
    let outcome = state
        .store
        .cancel_deployment(&access.org.id, &id, now_ms())
        .await
        .map_err(named("deployment", &id))?;
    if outcome == CancelOutcome::Cancelled {
        state.hub.close(&id);
    }
    state.jobs_wakeup.notify_one();
    services::audit::record_org(
        &state,
        &access,
        "deployment.cancel",
        &format!("deployment/{id}"),
        json!({}),
    )
    .await;
    let deployment = state.store.get_deployment(&access.org.id, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(convert::deployment(deployment))))
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
    state
        .store
        .get_deployment(&access.org.id, &id)
        .await
        .map_err(named("deployment", &id))?;
    let events = state
        .store
        .list_deployment_events(&id, query.after.unwrap_or(0), 1000)
        .await?;
    Ok(Json(events.into_iter().map(convert::event).collect()))
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
    let org_id = access.org.id.clone();
    state
        .store
        .get_deployment(&org_id, &id)
        .await
        .map_err(named("deployment", &id))?;
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .or(query.after)
        .unwrap_or(0);
    // Subscribe before reading the store, so nothing falls between the two.
    let mut live = state.hub.subscribe(&id);
    let stream = async_stream::stream! {
        let mut last = after;
        let mut live_open = true;
        loop {
            // Catch up from the store.
            loop {
                match state.store.list_deployment_events(&id, last, 500).await {
                    Ok(events) if !events.is_empty() => {
                        for event in events {
                            last = event.seq;
                            yield Ok(sse(&event));
                        }
                    }
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading events for a stream");
                        return;
                    }
                }
            }
            let terminal = match state.store.get_deployment(&org_id, &id).await {
                Ok(d) => d.state.is_terminal(),
                Err(_) => true,
            };
            if terminal {
                if !live_open {
                    yield Ok(SseEvent::default().event("end").data("{}"));
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
                    yield Ok(sse(&event));
                }
                Ok(Err(RecvError::Closed)) => live_open = false,
                _ => {}
            }
        }
    };
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
