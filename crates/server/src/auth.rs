//! Who is calling and what they may do. [`Caller`] authenticates a request — a personal API
//! token (`Authorization: Bearer wf_…`) or a browser session cookie, which must also carry
//! its CSRF token on every mutating request. [`OrgAccess`] resolves the `{org}` of the path
//! to the caller's membership and grants: a non-member gets the same 404 as a missing
//! organization, so other tenants' names do not leak.
//!
//! Each endpoint checks one permission. Organization-wide endpoints call
//! [`OrgAccess::require`]; endpoints acting on one stack or environment call
//! [`OrgAccess::require_on`] with what they touch, so a role granted on that environment or
//! stack counts — before the resource is looked up (by name) when the path names it, so a
//! caller without the permission learns nothing of what exists.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum_extra::extract::CookieJar;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use windflow_domain::access::{Grants, Permission, Resource};
use windflow_protocol::{CSRF_HEADER, SESSION_COOKIE};
use windflow_storage::{Organization, Role, User};

use crate::error::{ApiError, ApiResult};
use crate::state::{App, AppState, Principal, SessionGrant, TokenGrant, now_ms};

/// Prefix of every personal API token, so leaked tokens are easy to scan for.
pub const TOKEN_PREFIX: &str = "wf_";

/// SHA-256, hex: how session ids and API tokens (256 random bits each) are stored.
pub fn credential_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh random credential: 32 bytes, URL-safe base64.
pub fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(crate::secrets::random_bytes::<32>())
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub token: Option<TokenGrant>,
    pub session: Option<SessionGrant>,
    pub ip: Option<String>,
}

impl Caller {
    pub fn require_server_admin(&self) -> ApiResult<()> {
        if self.user.is_admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "only server administrators may do this".into(),
            ))
        }
    }
}

/// The client's address (the TCP peer; proxies' headers are not trusted).
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let ip = client_ip(parts);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let principal = if let Some(token) = bearer {
            token_principal(state, token).await?
        } else {
            let jar = CookieJar::from_headers(&parts.headers);
            let Some(cookie) = jar.get(SESSION_COOKIE) else {
                return Err(ApiError::Unauthenticated);
            };
            let principal = session_principal(state, cookie.value()).await?;
            if !is_safe(&parts.method) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let expected = principal
                    .session
                    .as_ref()
                    .map_or("", |s| s.csrf_token.as_str());
                if expected.is_empty() || !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
                    return Err(ApiError::Forbidden(format!(
                        "missing or wrong {CSRF_HEADER} header (see GET /api/v1/auth/session)"
                    )));
                }
            }
            principal
        };
        if let Some(token) = &principal.token
            && !token.write
            && !is_safe(&parts.method)
        {
            return Err(ApiError::Forbidden(
                "this API token is read-only".to_string(),
            ));
        }
        Ok(Caller {
            user: principal.user,
            token: principal.token,
            session: principal.session,
            ip,
        })
    }
}

async fn token_principal(state: &AppState, token: &str) -> ApiResult<Principal> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(ApiError::Unauthenticated);
    }
    let hash = credential_hash(token);
    if let Some(p) = state.auth_cache.principal(&hash) {
        return Ok(p);
    }
    let now = now_ms();
    let Some(record) = state.store.find_api_token(&hash, now).await? else {
        return Err(ApiError::Unauthenticated);
    };
    let user = state.store.get_user(&record.user_id).await?;
    if user.disabled {
        return Err(ApiError::Unauthenticated);
    }
    // Last use is informative: stamped at most once per cache period.
    let _ = state.store.touch_api_token(&record.id, now).await;
    let principal = Principal {
        user,
        token: Some(TokenGrant {
            write: record.scopes.iter().any(|s| s == "write"),
        }),
        session: None,
    };
    state.auth_cache.put_principal(&hash, principal.clone());
    Ok(principal)
}

async fn session_principal(state: &AppState, cookie: &str) -> ApiResult<Principal> {
    let hash = credential_hash(cookie);
    if let Some(p) = state.auth_cache.principal(&hash) {
        return Ok(p);
    }
    let Some(session) = state.store.get_session(&hash, now_ms()).await? else {
        return Err(ApiError::Unauthenticated);
    };
    let user = state.store.get_user(&session.user_id).await?;
    if user.disabled {
        return Err(ApiError::Unauthenticated);
    }
    let principal = Principal {
        user,
        token: None,
        session: Some(SessionGrant {
            id_hash: hash.clone(),
            csrf_token: session.csrf_token,
            expires_at: session.expires_at,
        }),
    };
    state.auth_cache.put_principal(&hash, principal.clone());
    Ok(principal)
}

/// The caller's membership in the organization named by the path's `{org}`, and what its
/// teams and scoped grants add to it.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    pub caller: Caller,
    pub org: Organization,
    pub grants: Arc<Grants>,
}

/// What a scoped check names: a stack or an environment, by name as the path gives it, or
/// by id once resolved.
#[derive(Debug, Clone, Copy)]
pub enum On<'a> {
    StackNamed(&'a str),
    EnvironmentNamed(&'a str),
    Ids(Resource<'a>),
}

impl OrgAccess {
    fn forbidden(&self, permission: Permission, scoped: bool) -> ApiError {
        let role = self
            .grants
            .organization_role()
            .map_or("no role".to_string(), |r| r.to_string());
        let needed = Role::required_for(permission);
        ApiError::Forbidden(if scoped {
            format!(
                "your role in {} is {role}; this needs {needed} in the organization, \
                 the environment or the stack",
                self.org.slug
            )
        } else {
            format!(
                "your role in {} is {role}; this needs {needed}",
                self.org.slug
            )
        })
    }

    /// `403` naming the role needed unless `permission` holds organization-wide (the
    /// membership role, or a role the caller's teams hold on the organization).
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.grants.allows(permission) {
            Ok(())
        } else {
            Err(self.forbidden(permission, false))
        }
    }

    /// `403` unless `permission` holds on `on`: organization-wide, or through a role
    /// granted on its environment or its stack. A name is resolved only when a scoped grant
    /// could matter, and a missing name fails like a name without the grant (403), so the
    /// check comes before any lookup.
    pub async fn require_on(
        &self,
        state: &App,
        permission: Permission,
        on: On<'_>,
    ) -> ApiResult<()> {
        if self.grants.allows(permission) {
            return Ok(());
        }
        let allowed = match on {
            On::Ids(resource) => self.grants.allows_on(permission, resource),
            On::StackNamed(name) => {
                self.grants.stacks_with(permission).next().is_some()
                    && match state.store.get_stack(&self.org.id, name).await {
                        Ok(stack) => self
                            .grants
                            .allows_on(permission, Resource::stack(&stack.id)),
                        Err(windflow_storage::StoreError::NotFound(_)) => false,
                        Err(e) => return Err(e.into()),
                    }
            }
            On::EnvironmentNamed(name) => {
                self.grants.environments_with(permission).next().is_some()
                    && match state.store.get_environment(&self.org.id, name).await {
                        Ok(env) => self
                            .grants
                            .allows_on(permission, Resource::environment(&env.id)),
                        Err(windflow_storage::StoreError::NotFound(_)) => false,
                        Err(e) => return Err(e.into()),
                    }
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(self.forbidden(permission, true))
        }
    }

    /// `403` unless `permission` holds somewhere — organization-wide or on some environment
    /// or stack. For endpoints whose resource is only known after reading the request (a
    /// deployment's stack and environment); they call [`OrgAccess::require_on`] with the
    /// resolved ids before acting.
    pub fn require_somewhere(&self, permission: Permission) -> ApiResult<()> {
        if self.grants.allows_somewhere(permission) {
            Ok(())
        } else {
            Err(self.forbidden(permission, true))
        }
    }
}

/// The caller's grants in an organization: its membership role organization-wide, plus
/// every role granted to it or its teams.
pub async fn load_grants(
    state: &App,
    org_id: &str,
    user_id: &str,
    role: Role,
) -> ApiResult<Grants> {
    let mut grants = Grants::member(role);
    for (scope, permissions) in state.store.load_grants(org_id, user_id).await? {
        grants.add(scope, permissions);
    }
    Ok(grants)
}

impl FromRequestParts<AppState> for OrgAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let slug = params
            .get("org")
            .ok_or_else(|| ApiError::BadRequest("no organization in the path".into()))?;
        let not_found = || ApiError::NotFound(format!("organization {slug}"));
        let (cache, store) = (&state.factor_cache, state.store.as_ref());
        if let Some((org, grants)) = state.auth_cache.membership(slug, &caller.user.id) {
            let role = grants.organization_role().unwrap_or(Role::Viewer);
            crate::login_policy::enforce(cache, store, &caller.user.id, &org, role).await?;
            return Ok(OrgAccess {
                caller,
                org,
                grants,
            });
        }
        let org = match state.store.get_organization(slug).await {
            Ok(org) => org,
            Err(windflow_storage::StoreError::NotFound(_)) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        let Some(role) = state
            .store
            .get_member_role(&org.id, &caller.user.id)
            .await?
        else {
            return Err(not_found());
        };
        let grants = Arc::new(load_grants(state, &org.id, &caller.user.id, role).await?);
        state
            .auth_cache
            .put_membership(slug, &caller.user.id, org.clone(), grants.clone());
        // The policy follows the organization-wide role the caller holds, a team's included.
        let role = grants.organization_role().unwrap_or(role);
        crate::login_policy::enforce(cache, store, &caller.user.id, &org, role).await?;
        Ok(OrgAccess {
            caller,
            org,
            grants,
        })
    }
}
