//! `/orgs/{org}/ai`: the organization's OpenAI-compatible provider (the key goes in, never
//! out) and the AI features: generate a stack (its progress streamed over SSE), diagnose a
//! failed deployment, propose optimizations for a stack, and the log of AI calls.

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    AiDiagnosis, AiGenerateRequest, AiGenerated, AiProposal, AiProvider, AiRequestRecord, Problem,
    SetAiProviderRequest,
};

use super::body::Payload;
use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_provider, set_provider, delete_provider))
        .routes(routes!(generate))
        .routes(routes!(diagnose))
        .routes(routes!(optimize))
        .routes(routes!(list_requests))
}

/// The organization's AI provider (never its key). 404 when none is set: the AI features
/// are then hidden, and everything else works.
#[utoipa::path(get, path = "/orgs/{org}/ai/provider", tag = "ai",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = AiProvider), (status = 404, body = Problem)))]
async fn show_provider(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<AiProvider>> {
    access.require(Permission::Read)?;
    services::ai::get(&state, &access)
        .await?
        .map(Json)
        .ok_or_else(|| crate::error::ApiError::NotFound("AI provider".into()))
}

/// Set the organization's OpenAI-compatible provider (OpenAI, LiteLLM, Ollama, vLLM,
/// llama.cpp's server). The API key is sealed and write-only: leave it out to keep the
/// stored one. A provider on an internal network needs a server administrator's
/// `--ai-allow-endpoint`.
#[utoipa::path(put, path = "/orgs/{org}/ai/provider", tag = "ai",
    request_body = SetAiProviderRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = AiProvider), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn set_provider(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<SetAiProviderRequest>,
) -> ApiResult<Json<AiProvider>> {
    access.require(Permission::Configure)?;
    let request = body.parse()?;
    services::ai::set(&state, &access, request).await.map(Json)
}

/// Remove the organization's AI provider and its key.
#[utoipa::path(delete, path = "/orgs/{org}/ai/provider", tag = "ai",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_provider(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<StatusCode> {
    access.require(Permission::Configure)?;
    services::ai::delete(&state, &access).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Generate a stack from a description. The model's answer is loaded by WindFlow's compose
/// loader, checked against the host-access policy and the advisor, and repaired in a loop
/// (the diagnostics fed back) up to `max_rounds`; only a stack that loads without errors is
/// returned, with its plan against `target`. With `Accept: text/event-stream` the progress
/// streams as `progress` events and the answer comes as a `result` event (or `error`);
/// closing the connection cancels the call.
#[utoipa::path(post, path = "/orgs/{org}/ai/generate", tag = "ai",
    request_body = AiGenerateRequest,
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = AiGenerated,
            description = "the stack, or with Accept: text/event-stream its progress and result"),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
async fn generate(
    State(state): State<AppState>,
    access: OrgAccess,
    headers: HeaderMap,
    body: Payload<AiGenerateRequest>,
) -> ApiResult<Response> {
    access.require(Permission::Deploy)?;
    let request = body.parse()?;
    let wants_stream = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if !wants_stream {
        let generated = services::ai::generate(&state, &access, request, |_| {}).await?;
        return Ok(Json(generated).into_response());
    }
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<SseEvent>();
    let task = tokio::spawn(async move {
        let progress_sender = sender.clone();
        let outcome = services::ai::generate(&state, &access, request, move |step| {
            let event = SseEvent::default().event("progress").json_data(step);
            if let Ok(event) = event {
                let _ = progress_sender.send(event);
            }
        })
        .await;
        let event = match outcome {
            Ok(generated) => SseEvent::default().event("result").json_data(generated),
            Err(error) => SseEvent::default()
                .event("error")
                .json_data(error.to_problem()),
        };
        if let Ok(event) = event {
            let _ = sender.send(event);
        }
    });
    // The call is cancelled when the client goes away: the stream (and this guard) drop.
    let guard = AbortOnDrop(task);
    let stream = tokio_stream::wrappers::UnboundedReceiverStream::new(receiver).map(move |event| {
        let _ = &guard;
        Ok::<_, Infallible>(event)
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Ask the model why a deployment failed: it gets the compose file, the plan, the events,
/// the services' last log lines and the advisor's findings (secret values redacted), and
/// answers with a cause and a fix as a diff that WindFlow's checks accept — to apply as a
/// new stack version.
#[utoipa::path(post, path = "/orgs/{org}/deployments/{id}/diagnose", tag = "ai",
    params(("org" = String, Path, description = "Organization slug"),
        ("id" = String, Path, description = "Deployment id")),
    responses((status = 200, body = AiDiagnosis), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 429, body = Problem),
        (status = 502, body = Problem)))]
async fn diagnose(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<AiDiagnosis>> {
    access.require(Permission::Deploy)?;
    services::ai::diagnose(&state, &access, &id).await.map(Json)
}

/// Proposals for a stack (limits, healthchecks, image pinning) as a diff: nothing is
/// applied.
#[utoipa::path(post, path = "/orgs/{org}/stacks/{stack}/optimize", tag = "ai",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name")),
    responses((status = 200, body = AiProposal), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 429, body = Problem),
        (status = 502, body = Problem)))]
async fn optimize(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
) -> ApiResult<Json<AiProposal>> {
    access.require(Permission::Deploy)?;
    services::ai::optimize(&state, &access, &stack)
        .await
        .map(Json)
}

/// The organization's AI calls: who, what for, which model, tokens, time and outcome.
#[utoipa::path(get, path = "/orgs/{org}/ai/requests", tag = "ai",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = Vec<AiRequestRecord>), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn list_requests(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<Vec<AiRequestRecord>>> {
    access.require(Permission::Audit)?;
    services::ai::requests(&state, &access).await.map(Json)
}
