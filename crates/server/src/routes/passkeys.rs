//! `/auth/passkeys`: register passkeys (WebAuthn) and log in with one.

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_protocol::{
    FinishPasskeyLoginRequest, FinishPasskeyRegistrationRequest, PasskeyChallenge, PasskeyInfo,
    Problem, SessionInfo, StartPasskeyLoginRequest, StartPasskeyRegistrationRequest,
};

use super::auth::session_cookie;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_passkeys))
        .routes(routes!(start_registration))
        .routes(routes!(finish_registration))
        .routes(routes!(remove_passkey))
        .routes(routes!(start_login))
        .routes(routes!(finish_login))
}

/// Your passkeys.
#[utoipa::path(get, path = "/auth/passkeys", tag = "auth",
    responses((status = 200, body = Vec<PasskeyInfo>), (status = 401, body = Problem)))]
async fn list_passkeys(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<PasskeyInfo>>> {
    Ok(Json(services::passkeys::list(&state, &caller).await?))
}

/// Start registering a passkey (your password again): the options for
/// `navigator.credentials.create`.
#[utoipa::path(post, path = "/auth/passkeys/register", tag = "auth",
    request_body = StartPasskeyRegistrationRequest,
    responses((status = 200, body = PasskeyChallenge), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
async fn start_registration(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<StartPasskeyRegistrationRequest>,
) -> ApiResult<Json<PasskeyChallenge>> {
    Ok(Json(
        services::passkeys::start_registration(&state, &caller, request).await?,
    ))
}

/// Finish registering a passkey with the authenticator's answer.
#[utoipa::path(post, path = "/auth/passkeys/register/finish", tag = "auth",
    request_body = FinishPasskeyRegistrationRequest,
    responses((status = 201, body = PasskeyInfo), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
async fn finish_registration(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<FinishPasskeyRegistrationRequest>,
) -> ApiResult<(StatusCode, Json<PasskeyInfo>)> {
    let created = services::passkeys::finish_registration(&state, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Remove one of your passkeys.
#[utoipa::path(delete, path = "/auth/passkeys/{id}", tag = "auth",
    params(("id" = String, Path, description = "The passkey's id")),
    responses((status = 204), (status = 404, body = Problem)))]
async fn remove_passkey(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services::passkeys::remove(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start a passkey login: the options for `navigator.credentials.get`.
#[utoipa::path(post, path = "/auth/passkeys/login", tag = "auth",
    request_body = StartPasskeyLoginRequest,
    responses((status = 200, body = PasskeyChallenge), (status = 401, body = Problem),
        (status = 429, body = Problem)))]
async fn start_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(request): Json<StartPasskeyLoginRequest>,
) -> ApiResult<Json<PasskeyChallenge>> {
    let ip = peer.ip().to_string();
    Ok(Json(
        services::passkeys::start_login(&state, request, &ip).await?,
    ))
}

/// Finish a passkey login with the authenticator's assertion: sets the session cookie, as a
/// password login does.
#[utoipa::path(post, path = "/auth/passkeys/login/finish", tag = "auth",
    request_body = FinishPasskeyLoginRequest,
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
async fn finish_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Json(request): Json<FinishPasskeyLoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let ip = peer.ip().to_string();
    let session = services::passkeys::finish_login(&state, request, ip).await?;
    let cookie = session_cookie(&state, session.secret, session.max_age_ms);
    Ok((jar.add(cookie), Json(session.info)))
}
