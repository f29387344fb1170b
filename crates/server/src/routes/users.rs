//! `/users`: server administrators create, disable and reset users.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_protocol::{CreateUserRequest, Page, PageQuery, Problem, UpdateUserRequest, User};

use super::body::Payload;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

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
    Ok(Json(
        services::users::list(&state, query.limit, query.offset).await?,
    ))
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
    let user = services::users::create(&state, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(user)))
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
    Ok(Json(
        services::users::update(&state, &caller, &id, request).await?,
    ))
}
