//! The HTTP surface: one module per resource, each owning its router and handlers, assembled
//! here with the OpenAPI document and the middleware every request passes through (request
//! id, a tracing span, metrics by route, body limit, problem details).

mod access;
mod agents;
mod ai;
mod audit;
mod auth;
mod backups;
mod body;
mod catalog;
mod certificates;
mod containers;
mod deployments;
mod dns;
mod environments;
mod factors;
mod health;
mod kubernetes;
mod logs;
mod orgs;
mod passkeys;
mod policies;
mod sso;
mod stacks;
mod swarm;
mod targets;
mod users;
mod workflows;

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use windflow_protocol::{API_PREFIX, Problem};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "WindFlow API",
        description = "Deploy compose stacks onto the machines you own. Authenticate with a personal API token (`Authorization: Bearer wf_…`) or a browser session (cookie plus `x-csrf-token` on mutating requests). Errors are RFC 9457 problem details.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    security(("token" = []), ("session" = [])),
    tags(
        (name = "auth", description = "Sessions, passwords and API tokens"),
        (name = "sso", description = "Single sign-on: OpenID Connect providers (server administrators) and the login through them"),
        (name = "users", description = "Users (server administrators)"),
        (name = "organizations", description = "Organizations and members"),
        (name = "access", description = "Teams, custom roles, roles granted on an environment or a stack, and service accounts"),
        (name = "environments", description = "Environments and their variables"),
        (name = "targets", description = "Docker engines to deploy onto"),
        (name = "stacks", description = "Compose stacks, versions, variables, logs"),
        (name = "deployments", description = "Durable deployments and their events"),
        (name = "certificates", description = "Certificates the gateways serve: uploaded or issued through ACME"),
        (name = "dns", description = "DNS providers, their zones with DNSSEC, and the records that follow deployments with their health"),
        (name = "catalog", description = "Templates: the built-in catalog and the server's catalog sources (Coolify, Portainer, WindFlow), deployed as stacks and upgraded with a diff"),
        (name = "ai", description = "AI through the organization's OpenAI-compatible provider: generate, diagnose, optimize — every answer checked by WindFlow's loader, policy and advisor"),
        (name = "backups", description = "Backups: repositories (S3, a folder, SFTP), stacks' policies, and the runs that back up, restore, check and drill — restic underneath, encrypted and deduplicated"),
        (name = "policies", description = "Host-access policies: what host-level features stacks may use"),
        (name = "audit", description = "Who did what"),
        (name = "health", description = "Probes and metrics"),
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                windflow_protocol::SESSION_COOKIE,
            ))),
        );
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            API_PREFIX,
            OpenApiRouter::new()
                .merge(auth::router())
                .merge(passkeys::router())
                .merge(factors::router())
                .merge(users::router())
                .merge(orgs::router())
                .merge(access::router())
                .merge(environments::router())
                .merge(targets::router())
                .merge(containers::router())
                .merge(stacks::router())
                .merge(certificates::router())
                .merge(dns::router())
                .merge(swarm::router())
                .merge(kubernetes::router())
                .merge(logs::router())
                .merge(deployments::router())
                .merge(policies::router())
                .merge(audit::router())
                .merge(agents::router())
                .merge(catalog::router())
                .merge(ai::router())
                .merge(backups::router())
                .merge(workflows::router())
                .merge(sso::router()),
        )
        .merge(health::router())
}

/// The OpenAPI 3.1 document, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api_router().split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let (router, mut doc) = api_router().split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let spec = std::sync::Arc::new(
        doc.to_pretty_json()
            .expect("the OpenAPI document serializes"),
    );
    router
        .route(
            "/api/openapi.json",
            get(move || {
                let spec = spec.clone();
                async move {
                    let mut response = (*spec).clone().into_response();
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    response
                }
            }),
        )
        .route(
            "/api/docs",
            get(|| async { Html(include_str!("docs.html")) }),
        )
        .fallback(crate::ui::serve)
        .with_state(state)
        .layer(middleware::from_fn(problem_details))
        .layer(middleware::from_fn(observe))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(4 << 20))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The application as served on the HTTPS listener: the same routes, and every answer tells
/// browsers to come back over HTTPS only (HSTS, one year).
pub fn https_app(state: AppState) -> Router {
    app(state).layer(middleware::map_response(strict_transport_security))
}

async fn strict_transport_security(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    response
}

/// The `--metrics-listen` listener: `/metrics` without credentials, and nothing else.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::scrape))
        .with_state(state)
}

/// A span per request with its id; HTTP metrics by route and status.
async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, route = %route);
    let response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    metrics::counter!("windflow_http_requests_total", "method" => method.to_string(), "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("windflow_http_request_duration_seconds", "method" => method.to_string(), "route" => route.clone()).record(elapsed.as_secs_f64());
    if status >= 500 {
        tracing::error!(parent: &span, status, elapsed_ms = elapsed.as_millis() as u64, "request failed");
    } else {
        tracing::debug!(parent: &span, status, elapsed_ms = elapsed.as_millis() as u64, "request");
    }
    response
}

/// Fills `instance` and `request_id` into problem details on the way out.
async fn problem_details(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(mut problem) = serde_json::from_slice::<Problem>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    problem.instance = Some(path);
    problem.request_id = request_id;
    let body = serde_json::to_vec(&problem).unwrap_or_else(|_| bytes.to_vec());
    let mut response = Response::from_parts(parts, Body::from(body));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}
