//! Who may call: logging in and out (browser sessions with a CSRF token), the current
//! session, password changes, and personal API tokens. The login limiter slows down and then
//! refuses guessing per (account, address) and per address.

use serde_json::json;
use windflow_protocol::{
    ApiToken, ChangePasswordRequest, CreateTokenRequest, CreatedToken, SessionInfo, TokenScope,
};
use windflow_storage::{NewApiToken, Session};

use crate::auth::{Caller, TOKEN_PREFIX, credential_hash, new_secret};
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::password;
use crate::services;
use crate::state::{App, new_id, now_ms};

/// A session just opened: its secret (the cookie's value, shown nowhere else) and what the
/// caller sees of it.
pub struct LoggedIn {
    pub secret: String,
    pub max_age_ms: i64,
    pub info: SessionInfo,
}

/// Checks a username and password from `ip`, then the second factor (`code`) and the
/// organizations' login policies (`factors::check_login`), and opens a session.
pub async fn login(
    app: &App,
    username: &str,
    password: String,
    code: Option<&str>,
    ip: String,
) -> ApiResult<LoggedIn> {
    // Refusals count per (account, address) and per address, so an attacker's failures
    // lock out the attacker; the account itself only slows down (see `LoginLimiter`).
    let delay = app
        .login_limiter
        .check(username, &ip)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let now = now_ms();
    let credentials = app.store.find_user_credentials(username).await?;
    let Some(credentials) = credentials else {
        // Same work as a real check, so timing does not reveal who exists.
        password::verify_password(password, password::dummy_hash().into()).await;
        record_failure(app, None, username, &ip, "unknown user").await;
        return Err(ApiError::BadCredentials);
    };
    let user = credentials.user;
    let ok = password::verify_password(password, credentials.password_hash).await;
    if !ok || user.disabled {
        if !ok {
            // Counted on the account for the record; it never locks the account for everyone.
            app.store
                .record_login_failure(&user.id, i64::MAX, now)
                .await?;
            record_failure(app, Some(&user.id), &user.username, &ip, "wrong password").await;
        } else {
            record_failure(app, Some(&user.id), &user.username, &ip, "disabled").await;
        }
        return Err(ApiError::BadCredentials);
    }
    if app.config.disable_password_login && !user.is_admin {
        record_failure(
            app,
            Some(&user.id),
            &user.username,
            &ip,
            "password login disabled",
        )
        .await;
        return Err(ApiError::Forbidden(
            "password login is disabled on this server: sign in with single sign-on".into(),
        ));
    }
    services::factors::check_login(app, &user, code, &ip).await?;
    app.login_limiter.record_success(username, &ip);
    open_session(app, user, ip, "password").await
}

/// Opens a browser session for `user`, who just proved who they are with `method`
/// (`password`, `passkey`, …): stamps the login, stores the session (its id hashed), and
/// audits `auth.login`.
pub async fn open_session(
    app: &App,
    user: windflow_storage::User,
    ip: String,
    method: &str,
) -> ApiResult<LoggedIn> {
    let now = now_ms();
    app.store.record_login_success(&user.id, now).await?;
    let secret = new_secret();
    let expires_at = now + app.config.session_ttl.as_millis() as i64;
    let csrf = new_secret();
    app.store
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
        app,
        &caller,
        None,
        "auth.login",
        &format!("user/{}", user.username),
        json!({ "method": method }),
    )
    .await;
    let info = session_info(app, user, Some(csrf), Some(expires_at)).await?;
    Ok(LoggedIn {
        secret,
        max_age_ms: expires_at - now,
        info,
    })
}

async fn record_failure(app: &App, user_id: Option<&str>, username: &str, ip: &str, reason: &str) {
    app.login_limiter.record_failure(username, ip);
    metrics::counter!("windflow_login_failures_total").increment(1);
    let name: String = username.chars().take(100).collect();
    let actor = services::audit::Actor {
        id: user_id,
        name: &name,
        ip: Some(ip),
    };
    services::audit::record_as(
        app,
        actor,
        None,
        "auth.login_failed",
        &format!("user/{name}"),
        json!({ "reason": reason }),
    )
    .await;
}

/// The session as its holder sees it: the user, their organizations and roles.
pub async fn session_info(
    app: &App,
    user: windflow_storage::User,
    csrf_token: Option<String>,
    expires_at: Option<i64>,
) -> ApiResult<SessionInfo> {
    let memberships = app.store.list_user_organizations(&user.id).await?;
    let second_factor_enrolment_required =
        services::factors::enrolment_required(app, &user.id, &memberships).await?;
    let organizations = services::organizations::with_grants(app, &user.id, memberships).await?;
    Ok(SessionInfo {
        user: convert::user(user),
        organizations,
        csrf_token,
        expires_at: convert::opt_time(expires_at),
        second_factor_enrolment_required,
    })
}

/// Ends the caller's browser session (an API token has none to end).
pub async fn logout(app: &App, caller: &Caller) -> ApiResult<()> {
    if let Some(session) = &caller.session {
        app.store.delete_session(&session.id_hash).await?;
        app.auth_cache.clear();
    }
    services::audit::record(
        app,
        caller,
        None,
        "auth.logout",
        &format!("user/{}", caller.user.username),
        json!({}),
    )
    .await;
    Ok(())
}

/// Changes the caller's own password; every session of theirs ends.
pub async fn change_password(
    app: &App,
    caller: &Caller,
    request: ChangePasswordRequest,
) -> ApiResult<()> {
    password::check_password_rules(&request.new_password)
        .map_err(|m| ApiError::invalid("new_password", m))?;
    let credentials = app
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
    app.store.set_password_hash(&caller.user.id, &hash).await?;
    app.store.delete_user_sessions(&caller.user.id).await?;
    app.auth_cache.clear();
    services::audit::record(
        app,
        caller,
        None,
        "user.password_change",
        &format!("user/{}", caller.user.username),
        json!({}),
    )
    .await;
    Ok(())
}

/// The caller's personal API tokens (never their secrets).
pub async fn list_tokens(app: &App, caller: &Caller) -> ApiResult<Vec<ApiToken>> {
    let tokens = app.store.list_api_tokens(&caller.user.id).await?;
    Ok(tokens.into_iter().map(convert::token).collect())
}

/// Creates a personal API token; its secret is in the answer only.
pub async fn create_token(
    app: &App,
    caller: &Caller,
    request: CreateTokenRequest,
) -> ApiResult<CreatedToken> {
    // A leaked service-account token must not mint tokens that outlive its revocation.
    if app
        .store
        .service_account_of(&caller.user.id)
        .await?
        .is_some()
    {
        return Err(ApiError::Forbidden(
            "a service account's tokens are managed by its organization's owners".into(),
        ));
    }
    issue_token(app, caller, &caller.user.id, request).await
}

/// Creates an API token acting as `owner` (the caller, or a service account the caller
/// manages); its secret is in the answer only.
pub async fn issue_token(
    app: &App,
    caller: &Caller,
    owner: &str,
    request: CreateTokenRequest,
) -> ApiResult<CreatedToken> {
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
    let token = app
        .store
        .create_api_token(NewApiToken {
            id: new_id(),
            user_id: owner.to_string(),
            name: name.to_string(),
            hash: credential_hash(&secret),
            prefix: secret.chars().take(10).collect(),
            scopes,
            expires_at,
            created_at: now,
        })
        .await?;
    services::audit::record(
        app,
        caller,
        None,
        "token.create",
        &format!("token/{}", token.id),
        json!({ "name": token.name }),
    )
    .await;
    Ok(CreatedToken {
        token: convert::token(token),
        secret,
    })
}

/// Revokes one of the caller's tokens; it stops working at once.
pub async fn revoke_token(app: &App, caller: &Caller, id: &str) -> ApiResult<()> {
    app.store
        .revoke_api_token(&caller.user.id, id, now_ms())
        .await?;
    app.auth_cache.clear();
    services::audit::record(
        app,
        caller,
        None,
        "token.revoke",
        &format!("token/{id}"),
        json!({}),
    )
    .await;
    Ok(())
}
