//! `/auth`: log in and out (browser sessions), the current session, password changes, and
//! personal API tokens.

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_protocol::{
    ApiToken, ChangePasswordRequest, CreateTokenRequest, CreatedToken, LoginRequest, LogoutInfo,
    Problem, SESSION_COOKIE, SessionInfo,
};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(session))
        .routes(routes!(change_password))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// Log in with a username and password: sets the HttpOnly session cookie and returns the
/// CSRF token to send as `x-csrf-token` on every mutating request. A user with a second
/// factor sends `code` too; without it the answer is a 401 whose problem type is
/// `…/second-factor-required`.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Json(request): Json<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let ip = peer.ip().to_string();
    let session = services::sessions::login(
        &state,
        &request.username,
        request.password,
        request.code.as_deref(),
        ip,
    )
    .await?;
    let cookie = session_cookie(&state, session.secret, session.max_age_ms);
    Ok((jar.add(cookie), Json(session.info)))
}

/// The HttpOnly session cookie of a login (password or passkey).
pub fn session_cookie(state: &AppState, secret: String, max_age_ms: i64) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret))
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time::Duration::milliseconds(max_age_ms))
        .build()
}

/// End the browser session. A session opened through single sign-on with a provider that
/// offers RP-initiated logout answers 200 with the provider's logout URL to visit next.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 200, body = LogoutInfo), (status = 204), (status = 401, body = Problem)))]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    jar: CookieJar,
) -> ApiResult<Response> {
    let base = services::sso::base_url(&state, super::sso::host(&headers));
    let end_session_url = services::sso::logout(&state, &caller, &base).await?;
    let removal = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    Ok(match end_session_url {
        Some(url) => (
            jar.remove(removal),
            Json(LogoutInfo {
                end_session_url: Some(url),
            }),
        )
            .into_response(),
        None => (jar.remove(removal), StatusCode::NO_CONTENT).into_response(),
    })
}

/// Who is logged in, their organizations and roles, and the session's CSRF token.
#[utoipa::path(get, path = "/auth/session", tag = "auth",
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem)))]
async fn session(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SessionInfo>> {
    let (csrf, expires) = match &caller.session {
        Some(s) => (Some(s.csrf_token.clone()), Some(s.expires_at)),
        None => (None, None),
    };
    Ok(Json(
        services::sessions::session_info(&state, caller.user, csrf, expires).await?,
    ))
}

/// Change your own password. Every other session of yours ends.
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    services::sessions::change_password(&state, &caller, request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your personal API tokens (never their secrets).
#[utoipa::path(get, path = "/auth/tokens", tag = "auth",
    responses((status = 200, body = Vec<ApiToken>), (status = 401, body = Problem)))]
async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(
        services::sessions::list_tokens(&state, &caller).await?,
    ))
}

/// Create a personal API token for the CLI or CI. Its secret is in this answer only.
#[utoipa::path(post, path = "/auth/tokens", tag = "auth", request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let created = services::sessions::create_token(&state, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revoke one of your tokens; it stops working at once.
#[utoipa::path(delete, path = "/auth/tokens/{id}", tag = "auth",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204), (status = 404, body = Problem)))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services::sessions::revoke_token(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
