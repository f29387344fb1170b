//! `/auth`: log in and out (browser sessions), the current session, password changes, and
//! personal API tokens.

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde_json::json;
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_protocol::{
    ApiToken, ChangePasswordRequest, CreateTokenRequest, CreatedToken, LoginRequest, Membership,
    Problem, SESSION_COOKIE, SessionInfo, TokenScope,
};
use windflow_storage::{NewApiToken, Session};

use crate::auth::{Caller, TOKEN_PREFIX, credential_hash, new_secret};
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::password;
use crate::services;
use crate::state::{AppState, new_id, now_ms};

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
/// CSRF token to send as `x-csrf-token` on every mutating request.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem),
        (status = 429, body = Problem)))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Json(request): Json<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let ip = peer.ip().to_string();
    // Refusals count per (account, address) and per address, so an attacker's failures
    // lock out the attacker; the account itself only slows down (see `LoginLimiter`).
    let delay = state
        .login_limiter
        .check(&request.username, &ip)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let now = now_ms();
    let credentials = state.store.find_user_credentials(&request.username).await?;
    let Some(credentials) = credentials else {
        // Same work as a real check, so timing does not reveal who exists.
        password::verify_password(request.password, password::dummy_hash().into()).await;
        record_failure(&state, None, &request.username, &ip, "unknown user").await;
        return Err(ApiError::BadCredentials);
    };
    let user = credentials.user;
    let ok = password::verify_password(request.password, credentials.password_hash).await;
    if !ok || user.disabled {
        if !ok {
            // Counted on the account for the record; it never locks the account for everyone.
            state
                .store
                .record_login_failure(&user.id, i64::MAX, now)
                .await?;
            record_failure(
                &state,
                Some(&user.id),
                &user.username,
                &ip,
                "wrong password",
            )
            .await;
        } else {
            record_failure(&state, Some(&user.id), &user.username, &ip, "disabled").await;
        }
        return Err(ApiError::BadCredentials);
    }
    state.login_limiter.record_success(&request.username, &ip);
    state.store.record_login_success(&user.id, now).await?;
    let secret = new_secret();
    let expires_at = now + state.config.session_ttl.as_millis() as i64;
    let csrf = new_secret();
    state
        .store
        .create_session(Session {
            id_hash: credential_hash(&secret),
            user_id: user.id.clone(),
            csrf_token: csrf.clone(),
            created_at: now,
            expires_at,
            ip: Some(ip.clone()),
        })
        .await?;
    let caller = Caller {
        user: user.clone(),
        token: None,
        session: None,
        ip: Some(ip),
    };
    services::audit::record(
        &state,
        &caller,
        None,
        "auth.login",
        &format!("user/{}", user.username),
        json!({}),
    )
    .await;
    let cookie = Cookie::build((SESSION_COOKIE, secret))
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time::Duration::milliseconds(expires_at - now))
        .build();
    let info = session_info(&state, user, Some(csrf), Some(expires_at)).await?;
    Ok((jar.add(cookie), Json(info)))
}

async fn record_failure(
    state: &AppState,
    user_id: Option<&str>,
    username: &str,
    ip: &str,
    reason: &str,
) {
    state.login_limiter.record_failure(username, ip);
    metrics::counter!("windflow_login_failures_total").increment(1);
    let entry = windflow_storage::NewAuditEntry {
        id: new_id(),
        org_id: None,
        actor_id: user_id.map(str::to_string),
        actor: username.chars().take(100).collect(),
        action: "auth.login_failed".into(),
        resource: format!("user/{}", username.chars().take(100).collect::<String>()),
        detail: json!({ "reason": reason }),
        ip: Some(ip.to_string()),
        at: now_ms(),
    };
    if let Err(e) = state.store.append_audit(entry).await {
        tracing::error!(error = %e, "writing the audit log");
    }
}

async fn session_info(
    state: &AppState,
    user: windflow_storage::User,
    csrf_token: Option<String>,
    expires_at: Option<i64>,
) -> ApiResult<SessionInfo> {
    let organizations = state
        .store
        .list_user_organizations(&user.id)
        .await?
        .into_iter()
        .map(|(org, role)| Membership {
            organization: convert::organization(org),
            role: convert::role(role),
        })
        .collect();
    Ok(SessionInfo {
        user: convert::user(user),
        organizations,
        csrf_token,
        expires_at: convert::opt_time(expires_at),
    })
}

/// End the browser session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = Problem)))]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    jar: CookieJar,
) -> ApiResult<impl IntoResponse> {
    if let Some(session) = &caller.session {
        state.store.delete_session(&session.id_hash).await?;
        state.auth_cache.clear();
    }
    services::audit::record(
        &state,
        &caller,
        None,
        "auth.logout",
        &format!("user/{}", caller.user.username),
        json!({}),
    )
    .await;
    let removal = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    Ok((jar.remove(removal), StatusCode::NO_CONTENT))
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
        session_info(&state, caller.user, csrf, expires).await?,
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
    password::check_password_rules(&request.new_password)
        .map_err(|m| ApiError::invalid("new_password", m))?;
    let credentials = state
        .store
        .find_user_credentials(&caller.user.username)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !password::verify_password(request.current_password, credentials.password_hash).await {
        return Err(ApiError::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    let hash = password::hash_password(request.new_password)
        .await
        .map_err(ApiError::internal)?;
    state
        .store
        .set_password_hash(&caller.user.id, &hash)
        .await?;
    state.store.delete_user_sessions(&caller.user.id).await?;
    state.auth_cache.clear();
    services::audit::record(
        &state,
        &caller,
        None,
        "user.password_change",
        &format!("user/{}", caller.user.username),
        json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Your personal API tokens (never their secrets).
#[utoipa::path(get, path = "/auth/tokens", tag = "auth",
    responses((status = 200, body = Vec<ApiToken>), (status = 401, body = Problem)))]
async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<ApiToken>>> {
    let tokens = state.store.list_api_tokens(&caller.user.id).await?;
    Ok(Json(tokens.into_iter().map(convert::token).collect()))
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
    let name = request.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::invalid("name", "must be 1 to 100 characters"));
    }
    let mut scopes: Vec<String> = if request.scopes.is_empty() {
        vec!["read".into(), "write".into()]
    } else {
        request
            .scopes
            .iter()
            .map(|s| match s {
                TokenScope::Read => "read".to_string(),
                TokenScope::Write => "write".to_string(),
            })
            .collect()
    };
    if !scopes.iter().any(|s| s == "read") {
        scopes.insert(0, "read".into());
    }
    scopes.dedup();
    // A read-only token cannot mint a writing one.
    if caller.token.as_ref().is_some_and(|t| !t.write) && scopes.iter().any(|s| s == "write") {
        return Err(ApiError::Forbidden(
            "a read-only token cannot create a write token".into(),
        ));
    }
    let now = now_ms();
    let expires_at = match request.expires_in_days {
        Some(0) => return Err(ApiError::invalid("expires_in_days", "must be at least 1")),
        Some(days) => Some(now + days as i64 * 86_400_000),
        None => None,
    };
    let secret = format!("{TOKEN_PREFIX}{}", new_secret());
    let token = state
        .store
        .create_api_token(NewApiToken {
            id: new_id(),
            user_id: caller.user.id.clone(),
            name: name.to_string(),
            hash: credential_hash(&secret),
            prefix: secret.chars().take(10).collect(),
            scopes,
            expires_at,
            created_at: now,
        })
        .await?;
    services::audit::record(
        &state,
        &caller,
        None,
        "token.create",
        &format!("token/{}", token.id),
        json!({ "name": token.name }),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: convert::token(token),
            secret,
        }),
    ))
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
    state
        .store
        .revoke_api_token(&caller.user.id, &id, now_ms())
        .await?;
    state.auth_cache.clear();
    services::audit::record(
        &state,
        &caller,
        None,
        "token.revoke",
        &format!("token/{id}"),
        json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
