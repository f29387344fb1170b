//! `/auth/factors`: your second factors (TOTP and recovery codes); `/orgs/{org}/login-policy`:
//! an organization's login policy; `/users/{id}/factors`: administrators reset a user's.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_domain::access::Permission;
use windflow_protocol::{
    LoginPolicy, Problem, RecoveryCodes, RemoveTotpRequest, SecondFactor, SecondFactorCode,
    SetLoginPolicyRequest, StartTotpRequest, TotpEnrolment,
};

use super::body::Payload;
use crate::auth::{Caller, OrgAccess};
use crate::error::ApiResult;
use crate::services;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_factors))
        .routes(routes!(start_totp, remove_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(regenerate_recovery_codes))
        .routes(routes!(get_login_policy, set_login_policy))
        .routes(routes!(reset_user_factors))
}

/// Your second factors: kind, whether confirmed, created, last used, recovery codes left.
#[utoipa::path(get, path = "/auth/factors", tag = "auth",
    responses((status = 200, body = Vec<SecondFactor>), (status = 401, body = Problem)))]
async fn list_factors(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SecondFactor>>> {
    Ok(Json(services::factors::list(&state, &caller).await?))
}

/// Start a TOTP enrolment (needs your password): the secret, its `otpauth://` URI and a QR
/// code, shown this once. The factor counts once confirmed with a code.
#[utoipa::path(post, path = "/auth/factors/totp", tag = "auth", request_body = StartTotpRequest,
    responses((status = 201, body = TotpEnrolment), (status = 401, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
async fn start_totp(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload<StartTotpRequest>,
) -> ApiResult<(StatusCode, Json<TotpEnrolment>)> {
    let request = body.parse()?;
    let enrolment = services::factors::start_totp(&state, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(enrolment)))
}

/// Confirm the pending TOTP factor with a code from the app; answers the recovery codes,
/// shown this once.
#[utoipa::path(post, path = "/auth/factors/totp/confirm", tag = "auth",
    request_body = SecondFactorCode,
    responses((status = 200, body = RecoveryCodes), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn confirm_totp(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload<SecondFactorCode>,
) -> ApiResult<Json<RecoveryCodes>> {
    let request = body.parse()?;
    Ok(Json(
        services::factors::confirm_totp(&state, &caller, &request.code).await?,
    ))
}

/// Remove your TOTP factor and recovery codes (needs your password or a current code).
#[utoipa::path(delete, path = "/auth/factors/totp", tag = "auth",
    request_body = RemoveTotpRequest,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
async fn remove_totp(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload<RemoveTotpRequest>,
) -> ApiResult<StatusCode> {
    let request = body.parse()?;
    services::factors::remove_totp(&state, &caller, request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// New recovery codes (the old ones stop working); needs a current code. Shown this once.
#[utoipa::path(post, path = "/auth/factors/recovery-codes", tag = "auth",
    request_body = SecondFactorCode,
    responses((status = 200, body = RecoveryCodes), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload<SecondFactorCode>,
) -> ApiResult<Json<RecoveryCodes>> {
    let request = body.parse()?;
    Ok(Json(
        services::factors::regenerate_recovery_codes(&state, &caller, &request.code).await?,
    ))
}

/// The organization's login policy: who must have a second factor, whether members may log
/// in with a password.
#[utoipa::path(get, path = "/orgs/{org}/login-policy", tag = "organizations",
    params(("org" = String, Path, description = "Organization slug")),
    responses((status = 200, body = LoginPolicy), (status = 404, body = Problem)))]
async fn get_login_policy(
    State(state): State<AppState>,
    access: OrgAccess,
) -> ApiResult<Json<LoginPolicy>> {
    Ok(Json(services::factors::get_policy(&state, &access).await?))
}

/// Change the organization's login policy (owners).
#[utoipa::path(put, path = "/orgs/{org}/login-policy", tag = "organizations",
    params(("org" = String, Path, description = "Organization slug")),
    request_body = SetLoginPolicyRequest,
    responses((status = 200, body = LoginPolicy), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_login_policy(
    State(state): State<AppState>,
    access: OrgAccess,
    body: Payload<SetLoginPolicyRequest>,
) -> ApiResult<Json<LoginPolicy>> {
    access.require(Permission::ManageMembers)?;
    let request = body.parse()?;
    Ok(Json(
        services::factors::set_policy(&state, &access, request).await?,
    ))
}

/// Remove a user's second factors and end their sessions (server administrators).
#[utoipa::path(delete, path = "/users/{id}/factors", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn reset_user_factors(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services::factors::reset_user_factors(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
