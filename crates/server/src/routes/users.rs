//! `/users`: server administrators create, disable and reset users.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_protocol::{CreateUserRequest, Page, PageQuery, Problem, UpdateUserRequest, User};
use windflow_storage::NewUser;

use super::body::Payload;
use crate::auth::Caller;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::password;
use crate::services;
use crate::state::{AppState, new_id, now_ms};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
}

/// Every user (server administrators only).
#[utoipa::path(get, path = "/users", tag = "users", params(PageQuery),
    responses((status = 200, body = Page<User>), (status = 403, body = Problem)))]
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<Page<User>>> {
    caller.require_server_admin()?;
    let request = convert::page_request(query.limit, query.offset);
    let page = state.store.list_users(request).await?;
    Ok(Json(convert::page(page, request, convert::user)))
}

/// Create a user (server administrators only).
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<User>)> {
    caller.require_server_admin()?;
    let request = body.parse()?;
    let username = request.username.trim().to_string();
    check_username(&username)?;
    password::check_password_rules(&request.password)
        .map_err(|m| ApiError::invalid("password", m))?;
    let hash = password::hash_password(request.password)
        .await
        .map_err(ApiError::internal)?;
    let user = state
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
        &state,
        &caller,
        None,
        "user.create",
        &format!("user/{}", user.username),
        json!({ "is_admin": user.is_admin }),
    )
    .await;
    Ok((StatusCode::CREATED, Json(convert::user(user))))
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

/// Disable or re-enable a user, or set their password (server administrators only). Their
/// sessions end either way.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UpdateUserRequest,
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Payload<UpdateUserRequest>,
) -> ApiResult<Json<User>> {
    caller.require_server_admin()?;
    let request = body.parse()?;
    let user = state.store.get_user(&id).await?;
    if let Some(disabled) = request.disabled {
        if disabled && user.id == caller.user.id {
            return Err(ApiError::invalid("disabled", "you cannot disable yourself"));
        }
        state.store.set_user_disabled(&id, disabled).await?;
    }
    if let Some(new_password) = request.password {
        password::check_password_rules(&new_password)
            .map_err(|m| ApiError::invalid("password", m))?;
        let hash = password::hash_password(new_password)
            .await
            .map_err(ApiError::internal)?;
        state.store.set_password_hash(&id, &hash).await?;
        state
            .store
            .record_login_success(&id, user.last_login_at.unwrap_or(0))
            .await?;
    }
    state.store.delete_user_sessions(&id).await?;
    state.auth_cache.clear();
    services::audit::record(
        &state,
        &caller,
        None,
        "user.update",
        &format!("user/{}", user.username),
        json!({ "disabled": request.disabled }),
    )
    .await;
    Ok(Json(convert::user(state.store.get_user(&id).await?)))
}
