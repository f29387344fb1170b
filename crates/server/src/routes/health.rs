//! Liveness, readiness (database and local engine checked) and Prometheus metrics. These sit
//! outside `/api/v1`. The probes need no credentials, as orchestrators expect; `/metrics`
//! answers the `--metrics-token` bearer when one is set, else a server administrator (an
//! open scrape endpoint is `--metrics-listen`, a listener of its own).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_protocol::Readiness;

use subtle::ConstantTimeEq;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
        .routes(routes!(metrics_text))
}

/// The process answers.
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200)))]
async fn live() -> &'static str {
    "ok"
}

/// Ready to serve: the database answers, and the local engine does when one is configured.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let readiness = services::health::readiness(&state).await;
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness))
}

/// Prometheus metrics: HTTP requests by route and status, request durations, deployments by
/// state, deploy durations, targets up. With `--metrics-token`, only `Authorization: Bearer
/// <that token>` reads them; without, only a server administrator (session or API token).
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, body = windflow_protocol::Problem),
        (status = 403, body = windflow_protocol::Problem)))]
async fn metrics_text(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
) -> ApiResult<Response> {
    match &state.config.metrics_token {
        Some(expected) => {
            let sent = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .unwrap_or("");
            if !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
                return Err(ApiError::Unauthenticated);
            }
        }
        None => caller?.require_server_admin()?,
    }
    Ok(scrape(State(state)).await)
}

/// The metrics, rendered; the open `--metrics-listen` listener serves this directly.
pub(super) async fn scrape(State(state): State<AppState>) -> Response {
    services::health::refresh_gauges(&state).await;
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
