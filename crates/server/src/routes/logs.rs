//! `/orgs/{org}/stacks/{stack}/logs`: container logs of a stack on a target, over
//! Server-Sent Events (`tail`, `since`, `follow`). Each client reads its own engine streams,
//! so a slow reader only slows itself. The lines come from `crate::services::containers::stack_logs`.

use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event as SseEvent, Sse};
use futures::Stream;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{LogQuery, Problem};

use crate::auth::OrgAccess;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stack_logs))
}

/// Logs of the stack's containers on a target, as `log` events whose data is a `LogLine`,
/// the organization's secret values masked.
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
    let lines = services::containers::stack_logs(&state, &access, &stack, &query).await?;
    Ok(super::containers::sse_log(lines))
}
