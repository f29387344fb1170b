//! Single sign-on with OpenID Connect: the providers a server administrator adds, and the
//! login through one of them — discovery, the authorization code flow with PKCE, state and
//! nonce, the ID token verified by the `openidconnect` crate (issuer, audience, expiry,
//! signature, nonce), the identity linked to a user or provisioned, the provider's groups
//! mapped to organization roles at each login, and then the same session a password login
//! opens (`sessions::open_session`). A CLI logs in through a loopback redirect that receives
//! a one-time code, exchanged for a personal API token.
//!
//! *Invariants:* a state is taken once (`take_sso_login` deletes it), lives [`LOGIN_TTL`]
//! and is finished only by the browser holding it in [`SSO_COOKIE`]; the client secret is sealed with an AAD bound to the provider's id and never
//! returned; a CLI redirect is a loopback `http://127.0.0.1|localhost|[::1]:port/…` URL; the
//! mapping only adds, changes and removes the memberships it granted (`sync_sso_grants`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use windflow_protocol::{
    CreatedToken, SsoClaimMapping, SsoGroupMapping, SsoProvider, SsoProviderRequest,
    SsoProviderSummary,
};
use windflow_storage::{
    NewUser, Role, SsoCliCode, SsoIdentity, SsoLogin, SsoProviderRecord, StoreError, User,
};

use crate::auth::{Caller, credential_hash, new_secret};
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::oidc::{ExtraClaims, ExtraIdToken, Metadata, error_chain, send};
use crate::services;
use crate::services::sessions::LoggedIn;
use crate::state::{App, new_id, now_ms};

/// How long a login may take between the redirect to the provider and the callback.
pub const LOGIN_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a CLI's one-time code is good for.
pub const CLI_CODE_TTL: Duration = Duration::from_secs(60);
/// The password hash of users created by single sign-on: never a valid hash, so such a user
/// has no password until an administrator or the user sets one.
const NO_PASSWORD: &str = "!sso";

// ---- providers ----------------------------------------------------------------------------

fn secret_aad(provider_id: &str) -> Vec<u8> {
    format!("windflow/sso-provider/{provider_id}/client-secret").into_bytes()
}

/// The base URL browsers reach this server at: `--public-url`, else the request's host.
pub fn base_url(app: &App, host: Option<&str>) -> String {
    if let Some(url) = &app.config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = host.unwrap_or("localhost");
    format!("http://{host}")
}

fn redirect_uri(base: &str, slug: &str) -> String {
    format!(
        "{base}{}/auth/sso/{slug}/callback",
        windflow_protocol::API_PREFIX
    )
}

fn claims_of(record: &SsoProviderRecord) -> SsoClaimMapping {
    serde_json::from_value(record.claims.clone()).unwrap_or_default()
}

fn mappings_of(record: &SsoProviderRecord) -> Vec<SsoGroupMapping> {
    serde_json::from_value(record.group_mappings.clone()).unwrap_or_default()
}

fn to_wire(record: SsoProviderRecord, base: &str) -> SsoProvider {
    SsoProvider {
        redirect_uri: redirect_uri(base, &record.slug),
        claims: claims_of(&record),
        group_mappings: mappings_of(&record),
        slug: record.slug,
        display_name: record.display_name,
        issuer_url: record.issuer_url,
        client_id: record.client_id,
        client_secret_set: record.secret.is_some(),
        scopes: record.scopes,
        allowed_domains: record.allowed_domains,
        auto_provision: record.auto_provision,
        created_at: convert::time(record.created_at),
        updated_at: convert::time(record.updated_at),
    }
}

/// Providers for the login page: slug and display name only.
pub async fn list_public(app: &App) -> ApiResult<Vec<SsoProviderSummary>> {
    Ok(app
        .store
        .list_sso_providers()
        .await?
        .into_iter()
        .map(|p| SsoProviderSummary {
            slug: p.slug,
            display_name: p.display_name,
        })
        .collect())
}

pub async fn list(app: &App, base: &str) -> ApiResult<Vec<SsoProvider>> {
    Ok(app
        .store
        .list_sso_providers()
        .await?
        .into_iter()
        .map(|p| to_wire(p, base))
        .collect())
}

async fn find(app: &App, slug: &str) -> ApiResult<SsoProviderRecord> {
    app.store
        .get_sso_provider(slug)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("SSO provider {slug}")))
}

pub async fn get(app: &App, base: &str, slug: &str) -> ApiResult<SsoProvider> {
    Ok(to_wire(find(app, slug).await?, base))
}

fn check_slug(slug: &str) -> ApiResult<()> {
    let ok = (1..=40).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "slug",
            "must be 1 to 40 lowercase letters, digits and dashes",
        ))
    }
}

/// An issuer must be HTTPS, or plain HTTP on a loopback address (a provider on this host),
/// unless a server administrator allowed its prefix (`--sso-allow-issuer`).
pub fn check_issuer(allowed: &[String], issuer: &str) -> ApiResult<reqwest::Url> {
    let url = reqwest::Url::parse(issuer)
        .map_err(|e| ApiError::invalid("issuer_url", format!("is not a URL: {e}")))?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(ApiError::invalid(
            "issuer_url",
            "must not carry credentials, a query or a fragment",
        ));
    }
    let allowed_prefix = allowed.iter().any(|prefix| {
        issuer
            .trim_end_matches('/')
            .starts_with(prefix.trim_end_matches('/'))
    });
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback || allowed_prefix => Ok(url),
        "http" => Err(ApiError::invalid(
            "issuer_url",
            format!(
                "must be HTTPS (plain HTTP only on a loopback address); a server administrator \
                 can allow it: windflow serve --sso-allow-issuer {}",
                issuer.trim_end_matches('/')
            ),
        )),
        other => Err(ApiError::invalid(
            "issuer_url",
            format!("scheme {other}:// is not HTTP(S)"),
        )),
    }
}

async fn check_request(
    app: &App,
    request: &SsoProviderRequest,
) -> ApiResult<(Vec<String>, Vec<String>, SsoClaimMapping)> {
    let display_name = request.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "display_name",
            "must be 1 to 100 characters",
        ));
    }
    check_issuer(&app.config.sso_allowed_issuers, request.issuer_url.trim())?;
    if request.client_id.trim().is_empty() || request.client_id.len() > 500 {
        return Err(ApiError::invalid(
            "client_id",
            "must be 1 to 500 characters",
        ));
    }
    if let Some(secret) = &request.client_secret
        && secret.len() > 2000
    {
        return Err(ApiError::invalid(
            "client_secret",
            "must be at most 2000 characters",
        ));
    }
    let mut scopes: Vec<String> = request
        .scopes
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s != "openid")
        .collect();
    if let Some(bad) = scopes.iter().find(|s| {
        s.chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\\')
    }) {
        return Err(ApiError::invalid(
            "scopes",
            format!("{bad:?} is not a scope token"),
        ));
    }
    if request.scopes.is_empty() {
        scopes = vec!["email".into(), "profile".into()];
    }
    let domains: Vec<String> = request
        .allowed_domains
        .iter()
        .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    if let Some(bad) = domains
        .iter()
        .find(|d| !d.contains('.') || d.contains('@') || d.contains(char::is_whitespace))
    {
        return Err(ApiError::invalid(
            "allowed_domains",
            format!("{bad:?} is not a domain"),
        ));
    }
    let claims = request.claims.clone().unwrap_or_default();
    for (field, value) in [
        ("claims.username", &claims.username),
        ("claims.email", &claims.email),
        ("claims.display_name", &claims.display_name),
        ("claims.groups", &claims.groups),
    ] {
        if value.trim().is_empty() {
            return Err(ApiError::invalid(field, "must name a claim"));
        }
    }
    for (i, mapping) in request.group_mappings.iter().enumerate() {
        if mapping.group.trim().is_empty() {
            return Err(ApiError::invalid(
                &format!("group_mappings[{i}].group"),
                "must not be empty",
            ));
        }
        match app.store.get_organization(&mapping.org).await {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => {
                return Err(ApiError::invalid(
                    &format!("group_mappings[{i}].org"),
                    format!("no organization {:?}", mapping.org),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((scopes, domains, claims))
}

pub async fn create(
    app: &App,
    caller: &Caller,
    base: &str,
    request: SsoProviderRequest,
) -> ApiResult<SsoProvider> {
    let slug = request.slug.trim().to_string();
    check_slug(&slug)?;
    let (scopes, allowed_domains, claims) = check_request(app, &request).await?;
    let id = new_id();
    let now = now_ms();
    let secret = request
        .client_secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| app.keyring.encrypt(&secret_aad(&id), s.as_bytes()));
    let record = app
        .store
        .create_sso_provider(SsoProviderRecord {
            id,
            slug,
            display_name: request.display_name.trim().to_string(),
            issuer_url: request.issuer_url.trim().to_string(),
            client_id: request.client_id.trim().to_string(),
            secret,
            scopes,
            allowed_domains,
            auto_provision: request.auto_provision,
            claims: json!(claims),
            group_mappings: json!(request.group_mappings),
            created_at: now,
            updated_by: caller.user.username.clone(),
            updated_at: now,
        })
        .await?;
    audit_change(app, caller, "sso_provider.create", &record).await;
    Ok(to_wire(record, base))
}

pub async fn update(
    app: &App,
    caller: &Caller,
    base: &str,
    slug: &str,
    request: SsoProviderRequest,
) -> ApiResult<SsoProvider> {
    let existing = find(app, slug).await?;
    if !request.slug.is_empty() && request.slug != slug {
        return Err(ApiError::invalid("slug", "cannot be changed"));
    }
    let (scopes, allowed_domains, claims) = check_request(app, &request).await?;
    let secret = request
        .client_secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| app.keyring.encrypt(&secret_aad(&existing.id), s.as_bytes()));
    let record = app
        .store
        .update_sso_provider(SsoProviderRecord {
            display_name: request.display_name.trim().to_string(),
            issuer_url: request.issuer_url.trim().to_string(),
            client_id: request.client_id.trim().to_string(),
            secret,
            scopes,
            allowed_domains,
            auto_provision: request.auto_provision,
            claims: json!(claims),
            group_mappings: json!(request.group_mappings),
            updated_by: caller.user.username.clone(),
            updated_at: now_ms(),
            ..existing
        })
        .await?;
    app.sso.forget(&record.id);
    audit_change(app, caller, "sso_provider.update", &record).await;
    Ok(to_wire(record, base))
}

pub async fn delete(app: &App, caller: &Caller, slug: &str) -> ApiResult<()> {
    let existing = find(app, slug).await?;
    app.store.delete_sso_provider(slug).await?;
    app.sso.forget(&existing.id);
    services::audit::record(
        app,
        caller,
        None,
        "sso_provider.delete",
        &format!("sso_provider/{slug}"),
        json!({}),
    )
    .await;
    Ok(())
}

async fn audit_change(app: &App, caller: &Caller, action: &str, record: &SsoProviderRecord) {
    services::audit::record(
        app,
        caller,
        None,
        action,
        &format!("sso_provider/{}", record.slug),
        json!({
            "issuer_url": record.issuer_url,
            "client_id": record.client_id,
            "auto_provision": record.auto_provision,
            "allowed_domains": record.allowed_domains,
            "group_mappings": record.group_mappings,
        }),
    )
    .await;
}

/// Seals every provider's client secret again under the keyring's current key.
pub async fn reseal_all(
    store: &dyn windflow_storage::Store,
    keyring: &crate::secrets::Keyring,
) -> anyhow::Result<usize> {
    let mut count = 0;
    for provider in store.list_sso_providers().await? {
        let Some(sealed) = &provider.secret else {
            continue;
        };
        let aad = secret_aad(&provider.id);
        let plain = keyring.decrypt(&aad, sealed)?;
        store
            .replace_sso_provider_secret(&provider.id, keyring.encrypt(&aad, &plain))
            .await?;
        count += 1;
    }
    Ok(count)
}

// ---- the login flow -------------------------------------------------------------------------

async fn metadata(
    app: &App,
    provider: &SsoProviderRecord,
    fresh: bool,
) -> ApiResult<Arc<Metadata>> {
    if !fresh && let Some(found) = app.sso.get(&provider.id) {
        return Ok(found);
    }
    let issuer = IssuerUrl::new(provider.issuer_url.clone())
        .map_err(|e| ApiError::BadGateway(format!("issuer URL: {e}")))?;
    let discovered = Metadata::discover_async(issuer, &send).await.map_err(|e| {
        ApiError::BadGateway(format!(
            "the provider {}'s discovery failed: {}",
            provider.slug,
            error_chain(&e)
        ))
    })?;
    let discovered = Arc::new(discovered);
    app.sso.put(&provider.id, discovered.clone());
    Ok(discovered)
}

fn client_secret(app: &App, provider: &SsoProviderRecord) -> ApiResult<Option<ClientSecret>> {
    match &provider.secret {
        Some(sealed) => {
            let plain = app
                .keyring
                .decrypt(&secret_aad(&provider.id), sealed)
                .map_err(ApiError::internal)?;
            Ok(Some(ClientSecret::new(
                String::from_utf8(plain).map_err(ApiError::internal)?,
            )))
        }
        None => Ok(None),
    }
}

/// Whether `uri` is a loopback redirect a CLI may ask for: `http://127.0.0.1:<port>/…`,
/// `http://[::1]:<port>/…` or `http://localhost:<port>/…`, without credentials.
pub fn is_loopback_redirect(uri: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(uri) else {
        return false;
    };
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    url.scheme() == "http"
        && loopback
        && url.port().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
}

/// A console path to come back to: an absolute path on this server, nothing else.
fn safe_return_to(path: Option<String>) -> Option<String> {
    path.filter(|p| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.contains('\\')
            && p.len() <= 500
            && !p.chars().any(char::is_control)
    })
}

/// A login begun: the provider's authorization URL to send the browser to, and the state,
/// which the browser also keeps in a cookie (`SSO_COOKIE`) so that only the browser that
/// began a login can finish it.
pub struct Started {
    pub url: String,
    pub state: String,
}

/// The cookie binding a login to the browser that began it (login CSRF: a callback carrying
/// someone else's code and state is refused).
pub const SSO_COOKIE: &str = "windflow_sso";

/// Begins a login.
pub async fn start(
    app: &App,
    base: &str,
    slug: &str,
    return_to: Option<String>,
    cli_redirect: Option<String>,
) -> ApiResult<Started> {
    let provider = find(app, slug).await?;
    if let Some(uri) = &cli_redirect
        && !is_loopback_redirect(uri)
    {
        return Err(ApiError::invalid(
            "cli_redirect",
            "must be a loopback URL (http://127.0.0.1:<port>/…)",
        ));
    }
    let metadata = metadata(app, &provider, false).await?;
    let client = CoreClient::from_provider_metadata(
        (*metadata).clone(),
        ClientId::new(provider.client_id.clone()),
        client_secret(app, &provider)?,
    )
    .set_redirect_uri(RedirectUrl::new(redirect_uri(base, slug)).map_err(ApiError::internal)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in &provider.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    let now = now_ms();
    app.store
        .create_sso_login(SsoLogin {
            state_hash: credential_hash(state.secret()),
            provider_id: provider.id.clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to: safe_return_to(return_to),
            cli_redirect,
            created_at: now,
            expires_at: now + LOGIN_TTL.as_millis() as i64,
        })
        .await?;
    Ok(Started {
        url: url.to_string(),
        state: state.secret().clone(),
    })
}

/// How a callback ends.
pub enum Finished {
    /// A browser session: the cookie to set and where to go.
    Browser {
        session: Box<LoggedIn>,
        return_to: String,
    },
    /// A CLI login: the loopback URL (with its one-time code) to redirect to.
    Cli { redirect: String },
}

/// A refused callback: what to tell the user, and the CLI's loopback to tell it at, if any.
pub struct Refused {
    pub message: String,
    pub cli_redirect: Option<String>,
}

impl Refused {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            cli_redirect: None,
        }
    }
}

/// The provider came back: `code` and `state` from the query (or `error`).
pub async fn callback(
    app: &App,
    base: &str,
    slug: &str,
    query: CallbackQuery,
    binding: Option<String>,
    ip: String,
) -> Result<Finished, Refused> {
    let Some(state) = query.state.as_deref().filter(|s| !s.is_empty()) else {
        return Err(Refused::new("the provider's answer has no state"));
    };
    let login = match app
        .store
        .take_sso_login(&credential_hash(state), now_ms())
        .await
    {
        Ok(Some(login)) => login,
        Ok(None) => {
            refusal_audit(app, slug, &ip, "unknown, used or expired state").await;
            return Err(Refused::new(
                "this sign-in link was already used or has expired; start again",
            ));
        }
        Err(e) => return Err(Refused::new(format!("storage: {e}"))),
    };
    let cli_redirect = login.cli_redirect.clone();
    // Taken above whatever follows: a state is good once, even for a refused callback.
    let same_browser = binding.as_deref().is_some_and(|b| {
        credential_hash(b)
            .as_bytes()
            .ct_eq(login.state_hash.as_bytes())
            .into()
    });
    if !same_browser {
        refusal_audit(app, slug, &ip, "state not bound to this browser").await;
        return Err(Refused {
            message: "this sign-in was not started in this browser; start again".into(),
            cli_redirect,
        });
    }
    let outcome = finish(app, base, slug, &login, query, ip.clone()).await;
    match outcome {
        Ok(done) => Ok(done),
        Err(message) => {
            refusal_audit(app, slug, &ip, &message).await;
            Err(Refused {
                message,
                cli_redirect,
            })
        }
    }
}

/// The query of a callback.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

async fn refusal_audit(app: &App, slug: &str, ip: &str, reason: &str) {
    metrics::counter!("windflow_login_failures_total").increment(1);
    let actor = services::audit::Actor {
        id: None,
        name: "sso",
        ip: Some(ip),
    };
    services::audit::record_as(
        app,
        actor,
        None,
        "auth.login_failed",
        &format!("sso_provider/{slug}"),
        json!({ "method": "sso", "reason": reason }),
    )
    .await;
}

async fn finish(
    app: &App,
    base: &str,
    slug: &str,
    login: &SsoLogin,
    query: CallbackQuery,
    ip: String,
) -> Result<Finished, String> {
    if let Some(error) = query.error {
        let detail = query.error_description.unwrap_or_default();
        return Err(format!("the provider refused: {error} {detail}")
            .trim()
            .to_string());
    }
    let code = query
        .code
        .filter(|c| !c.is_empty())
        .ok_or("the provider's answer has no code")?;
    let provider = app
        .store
        .get_sso_provider(slug)
        .await
        .map_err(|e| e.to_string())?
        .filter(|p| p.id == login.provider_id)
        .ok_or("this sign-in was started with another provider")?;
    let secret = client_secret(app, &provider).map_err(|e| e.to_string())?;
    let redirect = RedirectUrl::new(redirect_uri(base, slug)).map_err(|e| e.to_string())?;
    let mut metadata = metadata(app, &provider, false)
        .await
        .map_err(|e| e.to_string())?;
    let client = |metadata: &Metadata| {
        CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(provider.client_id.clone()),
            secret.clone(),
        )
        .set_redirect_uri(redirect.clone())
    };
    let token = client(&metadata)
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| format!("the provider has no token endpoint: {e}"))?
        .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()))
        .request_async(&send)
        .await
        .map_err(|e| format!("the code exchange failed: {}", error_chain(&e)))?;
    let raw = token
        .id_token()
        .ok_or("the provider returned no ID token")?
        .to_string();
    let id_token: ExtraIdToken = raw
        .parse()
        .map_err(|e| format!("the ID token is malformed: {e}"))?;
    let nonce = Nonce::new(login.nonce.clone());
    let verified = {
        let first_client = client(&metadata);
        let verifier = first_client.id_token_verifier();
        match id_token.claims(&verifier, &nonce).map(claims_json) {
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                // The provider may have rotated its keys: read its metadata and keys again,
                // once.
                metadata = self::metadata(app, &provider, true)
                    .await
                    .map_err(|e| e.to_string())?;
                let fresh_client = client(&metadata);
                let verifier = fresh_client.id_token_verifier();
                id_token.claims(&verifier, &nonce).map(claims_json)
            }
            other => other,
        }
    }
    .map_err(|e| format!("the ID token was refused: {e}"))?;
    let mut claims = verified?;
    // Userinfo fills what the ID token left out (many providers put groups only there).
    let mapping = claims_of(&provider);
    let wanted = [&mapping.email, &mapping.username, &mapping.groups];
    if wanted.iter().any(|c| !claims.contains_key(c.as_str()))
        && let Ok(request) = client(&metadata).user_info(token.access_token().clone(), None)
        && let Ok(info) = request
            .request_async::<ExtraClaims, _, CoreGenderClaim>(&send)
            .await
        && let Ok(Value::Object(extra)) = serde_json::to_value(&info)
    {
        let subject = claims.get("sub").cloned();
        if extra.get("sub") == subject.as_ref() {
            for (k, v) in extra {
                claims.entry(k).or_insert(v);
            }
        }
    }
    let user = link_user(app, &provider, &claims).await?;
    apply_group_mappings(app, &provider, &user, &claims).await?;
    if let Some(cli) = &login.cli_redirect {
        let code = new_secret();
        let now = now_ms();
        app.store
            .create_sso_cli_code(SsoCliCode {
                code_hash: credential_hash(&code),
                user_id: user.id.clone(),
                provider_id: provider.id.clone(),
                created_at: now,
                expires_at: now + CLI_CODE_TTL.as_millis() as i64,
            })
            .await
            .map_err(|e| e.to_string())?;
        let mut url = reqwest::Url::parse(cli).map_err(|e| e.to_string())?;
        url.query_pairs_mut().append_pair("code", &code);
        return Ok(Finished::Cli {
            redirect: url.to_string(),
        });
    }
    let session = services::sessions::open_session(app, user, ip, "sso")
        .await
        .map_err(|e| e.to_string())?;
    app.store
        .record_sso_session(&credential_hash(&session.secret), &provider.id, now_ms())
        .await
        .map_err(|e| e.to_string())?;
    Ok(Finished::Browser {
        session: Box::new(session),
        return_to: login.return_to.clone().unwrap_or_else(|| "/".into()),
    })
}

/// The verified claims as one JSON object (standard and extra claims by their names).
fn claims_json(
    claims: &openidconnect::IdTokenClaims<ExtraClaims, CoreGenderClaim>,
) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::to_value(claims) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the ID token's claims are not an object".into()),
        Err(e) => Err(format!("the ID token's claims: {e}")),
    }
}

fn claim_string(claims: &serde_json::Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        // A localized claim (`name#en`) comes back as a map from the crate.
        Value::Object(map) => map.values().find_map(|v| v.as_str().map(str::to_string)),
        _ => None,
    }
}

/// The groups claim: a list of strings or one string.
fn claim_groups(claims: &serde_json::Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The user this identity is: linked before, else provisioned (when the provider allows it).
async fn link_user(
    app: &App,
    provider: &SsoProviderRecord,
    claims: &serde_json::Map<String, Value>,
) -> Result<User, String> {
    let mapping = claims_of(provider);
    let subject = claim_string(claims, "sub").ok_or("the ID token has no subject")?;
    let email = claim_string(claims, &mapping.email);
    if !provider.allowed_domains.is_empty() {
        let Some(email) = &email else {
            return Err(format!(
                "the provider sent no {} claim, and only some email domains may sign in",
                mapping.email
            ));
        };
        if claims.get("email_verified") == Some(&Value::Bool(false)) {
            return Err(format!("the email address {email} is not verified"));
        }
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        if !provider.allowed_domains.contains(&domain) {
            return Err(format!(
                "the email domain {domain:?} may not sign in through {}",
                provider.slug
            ));
        }
    }
    let now = now_ms();
    let linked = app
        .store
        .find_sso_identity(&provider.id, &subject)
        .await
        .map_err(|e| e.to_string())?;
    let user = match linked {
        Some(identity) => app
            .store
            .get_user(&identity.user_id)
            .await
            .map_err(|e| e.to_string())?,
        None => {
            if !provider.auto_provision {
                return Err(format!(
                    "no WindFlow account is linked to this {} identity, and the provider does \
                     not create accounts; ask a server administrator",
                    provider.display_name
                ));
            }
            provision(app, provider, claims, &mapping).await?
        }
    };
    if user.disabled {
        return Err(format!("the account {} is disabled", user.username));
    }
    app.store
        .link_sso_identity(SsoIdentity {
            provider_id: provider.id.clone(),
            subject,
            user_id: user.id.clone(),
            email,
            created_at: now,
            last_login_at: now,
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(user)
}

async fn provision(
    app: &App,
    provider: &SsoProviderRecord,
    claims: &serde_json::Map<String, Value>,
    mapping: &SsoClaimMapping,
) -> Result<User, String> {
    let wanted = claim_string(claims, &mapping.username)
        .or_else(|| {
            claim_string(claims, &mapping.email)
                .and_then(|e| e.split('@').next().map(str::to_string))
        })
        .ok_or_else(|| format!("the provider sent no {} claim", mapping.username))?;
    let base: String = wanted
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    let display_name =
        claim_string(claims, &mapping.display_name).unwrap_or_else(|| wanted.clone());
    // A name taken by an existing account is never reused: that account is someone else's.
    for candidate in [base.clone(), format!("{base}-{}", provider.slug)] {
        if services::users::check_username(&candidate).is_err() {
            continue;
        }
        let created = app
            .store
            .create_user(NewUser {
                id: new_id(),
                username: candidate.clone(),
                display_name: display_name.chars().take(100).collect(),
                password_hash: NO_PASSWORD.into(),
                is_admin: false,
                created_at: now_ms(),
            })
            .await;
        match created {
            Ok(user) => {
                let actor = services::audit::Actor {
                    id: Some(&user.id),
                    name: &user.username,
                    ip: None,
                };
                services::audit::record_as(
                    app,
                    actor,
                    None,
                    "user.create",
                    &format!("user/{}", user.username),
                    json!({ "method": "sso", "provider": provider.slug }),
                )
                .await;
                return Ok(user);
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!(
        "the username {base:?} is taken by another account; a server administrator must \
         resolve it"
    ))
}

/// Grants the roles the provider's groups map to, and takes back those whose group
/// disappeared (only what a mapping granted).
async fn apply_group_mappings(
    app: &App,
    provider: &SsoProviderRecord,
    user: &User,
    claims: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    let mapping = claims_of(provider);
    let groups = claim_groups(claims, &mapping.groups);
    let mut desired: BTreeMap<String, Role> = BTreeMap::new();
    let mut slugs: HashMap<String, String> = HashMap::new();
    for rule in mappings_of(provider) {
        if !groups.contains(&rule.group) {
            continue;
        }
        let org = match app.store.get_organization(&rule.org).await {
            Ok(org) => org,
            Err(StoreError::NotFound(_)) => {
                tracing::warn!(provider = %provider.slug, org = %rule.org,
                    "an SSO group mapping names a missing organization");
                continue;
            }
            Err(e) => return Err(e.to_string()),
        };
        slugs.insert(org.id.clone(), org.slug.clone());
        let role = desired.entry(org.id).or_insert(rule.role);
        *role = (*role).max(rule.role);
    }
    let desired: Vec<(String, Role)> = desired.into_iter().collect();
    let changes = app
        .store
        .sync_sso_grants(&user.id, &provider.id, &desired, now_ms())
        .await
        .map_err(|e| e.to_string())?;
    if changes.added.is_empty() && changes.changed.is_empty() && changes.removed.is_empty() {
        return Ok(());
    }
    app.auth_cache.clear();
    let name = |id: &String| slugs.get(id).cloned().unwrap_or_else(|| id.clone());
    let list = |items: &[(String, Role)]| {
        items
            .iter()
            .map(|(org, role)| json!({ "org": name(org), "role": role }))
            .collect::<Vec<_>>()
    };
    let actor = services::audit::Actor {
        id: Some(&user.id),
        name: &user.username,
        ip: None,
    };
    services::audit::record_as(
        app,
        actor,
        None,
        "member.sso_sync",
        &format!("user/{}", user.username),
        json!({
            "provider": provider.slug,
            "added": list(&changes.added),
            "changed": list(&changes.changed),
            "removed": list(&changes.removed),
        }),
    )
    .await;
    Ok(())
}

/// A CLI trades its one-time code for a personal API token.
pub async fn exchange_cli_code(
    app: &App,
    code: &str,
    name: Option<String>,
    ip: String,
) -> ApiResult<CreatedToken> {
    let found = app
        .store
        .take_sso_cli_code(&credential_hash(code), now_ms())
        .await?
        .ok_or_else(|| ApiError::invalid("code", "is unknown, used or expired"))?;
    let user = app.store.get_user(&found.user_id).await?;
    if user.disabled {
        return Err(ApiError::BadCredentials);
    }
    let caller = Caller {
        user,
        token: None,
        session: None,
        ip: Some(ip),
    };
    services::sessions::create_token(
        app,
        &caller,
        windflow_protocol::CreateTokenRequest {
            name: name.unwrap_or_else(|| "windflow CLI (sso)".into()),
            scopes: Vec::new(),
            expires_in_days: None,
        },
    )
    .await
}

/// Ends the caller's session (`sessions::logout`); answers the provider's RP-initiated
/// logout URL when the session was opened through a provider that offers one.
pub async fn logout(app: &App, caller: &Caller, base: &str) -> ApiResult<Option<String>> {
    let end_session_url = match &caller.session {
        Some(session) => end_session_url(app, base, &session.id_hash).await,
        None => None,
    };
    services::sessions::logout(app, caller).await?;
    Ok(end_session_url)
}

/// The provider's RP-initiated logout URL for a browser session opened through it, when the
/// provider offers one.
async fn end_session_url(app: &App, base: &str, session_hash: &str) -> Option<String> {
    let provider = app.store.find_sso_session(session_hash).await.ok()??;
    let metadata = metadata(app, &provider, false).await.ok()?;
    let endpoint = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()?;
    let mut url = reqwest::Url::parse(&endpoint).ok()?;
    url.query_pairs_mut()
        .append_pair("client_id", &provider.client_id)
        .append_pair("post_logout_redirect_uri", &format!("{base}/login"));
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects() {
        for good in [
            "http://127.0.0.1:5000/callback",
            "http://[::1]:5000/",
            "http://localhost:8123/cb?x=1",
        ] {
            assert!(is_loopback_redirect(good), "{good}");
        }
        for bad in [
            "https://127.0.0.1:5000/",
            "http://127.0.0.1/",
            "http://evil.example:5000/",
            "http://127.0.0.1.evil.example:5000/",
            "http://user@127.0.0.1:5000/",
            "http://10.0.0.1:5000/",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!is_loopback_redirect(bad), "{bad}");
        }
    }

    #[test]
    fn issuers() {
        assert!(check_issuer(&[], "https://id.example.com/realms/x").is_ok());
        assert!(check_issuer(&[], "http://127.0.0.1:9000").is_ok());
        assert!(check_issuer(&[], "http://localhost:9000/").is_ok());
        assert!(check_issuer(&[], "http://id.internal:8080").is_err());
        assert!(
            check_issuer(
                &["http://id.internal:8080".into()],
                "http://id.internal:8080/x"
            )
            .is_ok()
        );
        assert!(check_issuer(&[], "ftp://id.example.com").is_err());
        assert!(check_issuer(&[], "https://u:p@id.example.com").is_err());
    }

    #[test]
    fn return_paths() {
        assert_eq!(
            safe_return_to(Some("/o/default".into())).as_deref(),
            Some("/o/default")
        );
        assert_eq!(safe_return_to(Some("//evil.example".into())), None);
        assert_eq!(safe_return_to(Some("https://evil.example".into())), None);
        assert_eq!(safe_return_to(Some("/\\evil".into())), None);
    }
}
