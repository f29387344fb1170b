//! `/orgs/{org}/stacks/{stack}/logs`: container logs of a stack on a target, over
//! Server-Sent Events (`tail`, `since`, `follow`). Each client reads its own engine streams,
//! so a slow reader only slows itself.

use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_engine::driver::{LogOptions, LogStream};
use windflow_protocol::{LogLine, LogQuery, Problem};

use crate::auth::OrgAccess;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stack_logs))
}

/// Logs of the stack's containers on a target, as `log` events whose data is a `LogLine`.
/// Without `follow` the stream ends after the tail with an `end` event.
#[utoipa::path(get, path = "/orgs/{org}/stacks/{stack}/logs", tag = "stacks",
    params(("org" = String, Path, description = "Organization slug"),
        ("stack" = String, Path, description = "Stack name"), LogQuery),
    responses((status = 200, description = "text/event-stream of LogLine", content_type = "text/event-stream"),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
async fn stack_logs(
    State(state): State<AppState>,
    access: OrgAccess,
    Path((_, stack)): Path<(String, String)>,
    Query(query): Query<LogQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    access.require(Permission::Read)?;
    let org = &access.org.id;
    let stack = state.find_stack(org, &stack).await?;
    let target = state.find_target(org, &query.target).await?;
    let driver = state.driver(&target)?;
    let observed = driver
        .observe(&stack.name, None)
        .await
        .map_err(|e| ApiError::Unavailable(format!("target {}: {e}", target.name)))?;
    let mut containers: Vec<_> = observed
        .containers
        .into_iter()
        .filter(|c| query.service.as_ref().is_none_or(|s| &c.service == s))
        .collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(service) = &query.service
        && containers.is_empty()
    {
        return Err(ApiError::NotFound(format!(
            "service {service:?} of stack {} on {}",
            stack.name, target.name
        )));
    }
    let options = LogOptions {
        follow: query.follow,
        tail: Some(query.tail.unwrap_or(100)),
        since: query.since,
        timestamps: false,
    };
    let mut streams = Vec::new();
    for container in containers {
        let lines = driver
            .logs(&container.id, options.clone())
            .await
            .map_err(|e| ApiError::Unavailable(format!("logs of {}: {e}", container.name)))?;
        let name = container.name.clone();
        let service = container.service.clone();
        streams.push(
            lines
                .filter_map(move |line| {
                    let name = name.clone();
                    let service = service.clone();
                    async move {
                        let line = line.ok()?;
                        let payload = LogLine {
                            container: name,
                            service,
                            stream: match line.stream {
                                LogStream::Stdout => "stdout".into(),
                                LogStream::Stderr => "stderr".into(),
                            },
                            text: line.text,
                        };
                        SseEvent::default().event("log").json_data(payload).ok()
                    }
                })
                .boxed(),
        );
    }
    let merged = futures::stream::select_all(streams)
        .chain(futures::stream::once(async {
            SseEvent::default().event("end").data("{}")
        }))
        .map(Ok);
    Ok(Sse::new(merged).keep_alive(KeepAlive::default()))
}
