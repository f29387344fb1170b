//! `/sso/providers`: OpenID Connect providers (server administrators); `/auth/sso/…`: the
//! login through them — the public list for the login page, the redirect to the provider,
//! its callback, and the CLI's code exchange.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use windflow_protocol::{
    CreatedToken, Problem, SESSION_COOKIE, SsoCliExchangeRequest, SsoProvider, SsoProviderRequest,
    SsoProviderSummary,
};

use super::body::Payload;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services;
use crate::services::sso::{CallbackQuery, Finished};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sso_providers, create_sso_provider))
        .routes(routes!(
            show_sso_provider,
            update_sso_provider,
            delete_sso_provider
        ))
        .routes(routes!(list_login_sso_providers))
        .routes(routes!(sso_start))
        .routes(routes!(sso_callback))
        .routes(routes!(exchange_sso_cli_code))
}

/// The request's `Host`, for URLs pointing back at this server when `--public-url` is unset.
pub fn host(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
}

/// The binding cookie goes only to the single sign-on endpoints.
fn sso_cookie_path() -> String {
    format!("{}/auth/sso", windflow_protocol::API_PREFIX)
}

fn base(state: &AppState, headers: &HeaderMap) -> String {
    services::sso::base_url(state, host(headers))
}

/// The OpenID Connect providers (server administrators). Client secrets are never returned.
#[utoipa::path(get, path = "/sso/providers", tag = "sso",
    responses((status = 200, body = Vec<SsoProvider>), (status = 403, body = Problem)))]
async fn list_sso_providers(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<SsoProvider>>> {
    caller.require_server_admin()?;
    Ok(Json(
        services::sso::list(&state, &base(&state, &headers)).await?,
    ))
}

/// Add an OpenID Connect provider (server administrators). Register `redirect_uri` from the
/// answer at the provider.
#[utoipa::path(post, path = "/sso/providers", tag = "sso", request_body = SsoProviderRequest,
    responses((status = 201, body = SsoProvider), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_sso_provider(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Payload<SsoProviderRequest>,
) -> ApiResult<(StatusCode, Json<SsoProvider>)> {
    caller.require_server_admin()?;
    let request = body.parse()?;
    let created = services::sso::create(&state, &caller, &base(&state, &headers), request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One provider (server administrators).
#[utoipa::path(get, path = "/sso/providers/{slug}", tag = "sso",
    params(("slug" = String, Path, description = "The provider's slug")),
    responses((status = 200, body = SsoProvider), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn show_sso_provider(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> ApiResult<Json<SsoProvider>> {
    caller.require_server_admin()?;
    Ok(Json(
        services::sso::get(&state, &base(&state, &headers), &slug).await?,
    ))
}

/// Change a provider (server administrators). `client_secret` absent keeps the stored one.
#[utoipa::path(put, path = "/sso/providers/{slug}", tag = "sso",
    params(("slug" = String, Path, description = "The provider's slug")),
    request_body = SsoProviderRequest,
    responses((status = 200, body = SsoProvider), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_sso_provider(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Payload<SsoProviderRequest>,
) -> ApiResult<Json<SsoProvider>> {
    caller.require_server_admin()?;
    let request = body.parse()?;
    Ok(Json(
        services::sso::update(&state, &caller, &base(&state, &headers), &slug, request).await?,
    ))
}

/// Remove a provider with its linked identities (the users and their memberships stay).
#[utoipa::path(delete, path = "/sso/providers/{slug}", tag = "sso",
    params(("slug" = String, Path, description = "The provider's slug")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_sso_provider(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_server_admin()?;
    services::sso::delete(&state, &caller, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The providers to offer on the login page (no authentication).
#[utoipa::path(get, path = "/auth/sso/providers", tag = "sso", security(()),
    responses((status = 200, body = Vec<SsoProviderSummary>)))]
async fn list_login_sso_providers(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<SsoProviderSummary>>> {
    Ok(Json(services::sso::list_public(&state).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StartQuery {
    /// A console path to come back to after the login.
    return_to: Option<String>,
    /// A CLI's loopback redirect (`http://127.0.0.1:<port>/…`): the login ends there with a
    /// one-time code to exchange for an API token.
    cli_redirect: Option<String>,
}

/// Begin a login through a provider: a redirect (302) to its authorization endpoint.
#[utoipa::path(get, path = "/auth/sso/{slug}/start", tag = "sso", security(()),
    params(("slug" = String, Path, description = "The provider's slug"), StartQuery),
    responses((status = 302), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 502, body = Problem)))]
async fn sso_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(slug): Path<String>,
    Query(query): Query<StartQuery>,
) -> ApiResult<Response> {
    let started = services::sso::start(
        &state,
        &base(&state, &headers),
        &slug,
        query.return_to,
        query.cli_redirect,
    )
    .await?;
    let binding = Cookie::build((services::sso::SSO_COOKIE, started.state))
        .http_only(true)
        .secure(state.config.secure_cookies)
        .same_site(SameSite::Lax)
        .path(sso_cookie_path())
        .max_age(time::Duration::seconds(
            services::sso::LOGIN_TTL.as_secs() as i64
        ))
        .build();
    Ok((
        StatusCode::FOUND,
        jar.add(binding),
        [
            (header::LOCATION, started.url),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
    )
        .into_response())
}

/// The provider's redirect back: the code is exchanged, the ID token verified, the identity
/// linked, its groups mapped to roles, and a session opened (303 into the console), or, for a
/// CLI login, a 303 to its loopback with a one-time code. A refusal goes to the login page
/// (or the CLI's loopback) with `sso_error`.
#[utoipa::path(get, path = "/auth/sso/{slug}/callback", tag = "sso", security(()),
    params(("slug" = String, Path, description = "The provider's slug"), CallbackQuery),
    responses((status = 303)))]
async fn sso_callback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(slug): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let base = base(&state, &headers);
    let ip = peer.ip().to_string();
    let binding = jar
        .get(services::sso::SSO_COOKIE)
        .map(|c| c.value().to_string());
    let jar = jar.remove(
        Cookie::build((services::sso::SSO_COOKIE, ""))
            .path(sso_cookie_path())
            .build(),
    );
    match services::sso::callback(&state, &base, &slug, query, binding, ip).await {
        Ok(Finished::Browser { session, return_to }) => {
            let cookie = Cookie::build((SESSION_COOKIE, session.secret))
                .http_only(true)
                .secure(state.config.secure_cookies)
                .same_site(SameSite::Lax)
                .path("/")
                .max_age(time::Duration::milliseconds(session.max_age_ms))
                .build();
            (jar.add(cookie), Redirect::to(&return_to)).into_response()
        }
        Ok(Finished::Cli { redirect }) => (jar, Redirect::to(&redirect)).into_response(),
        Err(refused) => {
            let target = match refused
                .cli_redirect
                .as_deref()
                .and_then(|u| reqwest::Url::parse(u).ok())
            {
                Some(mut url) => {
                    url.query_pairs_mut().append_pair("error", &refused.message);
                    url.to_string()
                }
                None => {
                    let mut url = reqwest::Url::parse("http://x/login").expect("a fixed URL");
                    url.query_pairs_mut()
                        .append_pair("sso_error", &refused.message);
                    format!("/login?{}", url.query().unwrap_or_default())
                }
            };
            (jar, Redirect::to(&target)).into_response()
        }
    }
}

/// Exchange the one-time code a CLI received on its loopback redirect for a personal API
/// token (no authentication: the code is the credential, good once for a minute).
#[utoipa::path(post, path = "/auth/sso/cli/token", tag = "sso", security(()),
    request_body = SsoCliExchangeRequest,
    responses((status = 201, body = CreatedToken), (status = 422, body = Problem)))]
async fn exchange_sso_cli_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(request): Json<SsoCliExchangeRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let created = services::sso::exchange_cli_code(
        &state,
        &request.code,
        request.name,
        peer.ip().to_string(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}
