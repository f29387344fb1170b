//! Users of the server (managed by server administrators): listing, creating, disabling
//! and resetting passwords. Every change ends the user's sessions.

use serde_json::json;
use windflow_protocol::{CreateUserRequest, Page, UpdateUserRequest, User};
use windflow_storage::NewUser;

use crate::auth::Caller;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::password;
use crate::services;
use crate::state::{App, new_id, now_ms};

/// One page of every user.
pub async fn list(app: &App, limit: Option<i64>, offset: Option<i64>) -> ApiResult<Page<User>> {
    let request = convert::page_request(limit, offset);
    let page = app.store.list_users(request).await?;
    Ok(convert::page(page, request, convert::user))
}

/// Creates a user with a password that passes the rules.
pub async fn create(app: &App, caller: &Caller, request: CreateUserRequest) -> ApiResult<User> {
    let username = request.username.trim().to_string();
    check_username(&username)?;
    password::check_password_rules(&request.password)
        .map_err(|m| ApiError::invalid("password", m))?;
    let hash = password::hash_password(request.password)
        .await
        .map_err(ApiError::internal)?;
    let user = app
        .store
        .create_user(NewUser {
            id: new_id(),
            display_name: request.display_name.unwrap_or_else(|| username.clone()),
            username,
            password_hash: hash,
            is_admin: request.is_admin,
            created_at: now_ms(),
        })
        .await?;
    services::audit::record(
        app,
        caller,
        None,
        "user.create",
        &format!("user/{}", user.username),
        json!({ "is_admin": user.is_admin }),
    )
    .await;
    Ok(convert::user(user))
}

/// The user named `name_or_id` (a user name, else an id), if there is one.
pub async fn find(app: &App, name_or_id: &str) -> ApiResult<Option<windflow_storage::User>> {
    if let Some(credentials) = app.store.find_user_credentials(name_or_id).await? {
        return Ok(Some(credentials.user));
    }
    match app.store.get_user(name_or_id).await {
        Ok(user) => Ok(Some(user)),
        Err(windflow_storage::StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub fn check_username(username: &str) -> ApiResult<()> {
    let ok = (2..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "username",
            "use 2 to 64 letters, digits, '.', '-', '_' or '@'",
        ))
    }
}

/// Disables or re-enables a user, or sets their password; their sessions end either way.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: &str,
    request: UpdateUserRequest,
) -> ApiResult<User> {
    let user = app.store.get_user(id).await?;
    if let Some(disabled) = request.disabled {
        if disabled && user.id == caller.user.id {
            return Err(ApiError::invalid("disabled", "you cannot disable yourself"));
        }
        app.store.set_user_disabled(id, disabled).await?;
    }
    if let Some(new_password) = request.password {
        password::check_password_rules(&new_password)
            .map_err(|m| ApiError::invalid("password", m))?;
        let hash = password::hash_password(new_password)
            .await
            .map_err(ApiError::internal)?;
        app.store.set_password_hash(id, &hash).await?;
        app.store
            .record_login_success(id, user.last_login_at.unwrap_or(0))
            .await?;
    }
    app.store.delete_user_sessions(id).await?;
    app.auth_cache.clear();
    services::audit::record(
        app,
        caller,
        None,
        "user.update",
        &format!("user/{}", user.username),
        json!({ "disabled": request.disabled }),
    )
    .await;
    Ok(convert::user(app.store.get_user(id).await?))
}
