//! Passkeys: WebAuthn credentials a user registers (with their password) and then logs in
//! with instead of a password and a code — the authenticator proves possession and verifies
//! the user (PIN or biometrics), so a passkey is a second factor by itself. The ceremonies are
//! `webauthn-rs`'s; the state between a ceremony's two steps is kept server side, single use,
//! for two minutes.
//!
//! The relying party is the console's address: `--public-url`, or `http://localhost:<port>`
//! when none is set (WebAuthn refuses bare IP addresses).

use serde_json::json;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CredentialID, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};
use windflow_protocol::{
    FinishPasskeyLoginRequest, FinishPasskeyRegistrationRequest, PasskeyChallenge, PasskeyInfo,
    StartPasskeyLoginRequest, StartPasskeyRegistrationRequest,
};
use windflow_storage::{PasskeyRecord, User, WebauthnCeremony};

use crate::auth::Caller;
use crate::convert;
use crate::error::{ApiError, ApiResult, named};
use crate::password;
use crate::services;
use crate::services::sessions::LoggedIn;
use crate::state::{App, new_id, now_ms};

/// How long a ceremony's challenge answers.
const CEREMONY_TTL_MS: i64 = 120_000;

fn webauthn(app: &App) -> ApiResult<Webauthn> {
    let origin = match &app.config.public_url {
        Some(url) => url.clone(),
        None => format!("http://localhost:{}", app.config.listen.port()),
    };
    let origin = Url::parse(&origin)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("public URL {origin}: {e}")))?;
    let rp_id = origin
        .host_str()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the public URL has no host")))?
        .to_string();
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|b| b.rp_name("WindFlow").build())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("WebAuthn relying party {rp_id}: {e}")))
}

fn user_uuid(user: &User) -> Uuid {
    // Ids are UUIDs; any other id still maps to one stable UUID.
    Uuid::parse_str(&user.id).unwrap_or_else(|_| {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(user.id.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Uuid::from_bytes(bytes)
    })
}

fn parse_passkey(record: &PasskeyRecord) -> ApiResult<Passkey> {
    serde_json::from_str(&record.credential)
        .map_err(|e| ApiError::internal(anyhow::anyhow!(format!("passkey {}: {e}", record.id))))
}

fn to_json<T: serde::Serialize>(value: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

fn info(record: PasskeyRecord) -> PasskeyInfo {
    PasskeyInfo {
        id: record.id,
        name: record.name,
        created_at: convert::time(record.created_at),
        last_used_at: convert::opt_time(record.last_used_at),
    }
}

/// The caller's passkeys.
pub async fn list(app: &App, caller: &Caller) -> ApiResult<Vec<PasskeyInfo>> {
    let found = app.store.list_passkeys(&caller.user.id).await?;
    Ok(found.into_iter().map(info).collect())
}

/// Starts registering a passkey: the caller proves their password again (a stolen session
/// cannot add a way in), and gets the options for `navigator.credentials.create`.
pub async fn start_registration(
    app: &App,
    caller: &Caller,
    request: StartPasskeyRegistrationRequest,
) -> ApiResult<PasskeyChallenge> {
    let credentials = app
        .store
        .find_user_credentials(&caller.user.username)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !password::verify_password(request.password, credentials.password_hash).await {
        return Err(ApiError::invalid(
            "password",
            "is not your current password",
        ));
    }
    let existing: Vec<CredentialID> = app
        .store
        .list_passkeys(&caller.user.id)
        .await?
        .iter()
        .map(parse_passkey)
        .collect::<ApiResult<Vec<_>>>()?
        .iter()
        .map(|p| p.cred_id().clone())
        .collect();
    let (options, state) = webauthn(app)?
        .start_passkey_registration(
            user_uuid(&caller.user),
            &caller.user.username,
            &caller.user.display_name,
            Some(existing),
        )
        .map_err(|e| ApiError::internal(anyhow::anyhow!("starting a passkey registration: {e}")))?;
    let ceremony = new_id();
    app.store
        .put_ceremony(WebauthnCeremony {
            id: ceremony.clone(),
            user_id: caller.user.id.clone(),
            kind: "register".into(),
            state: serde_json::to_string(&state).map_err(ApiError::internal)?,
            expires_at: now_ms() + CEREMONY_TTL_MS,
        })
        .await?;
    Ok(PasskeyChallenge {
        ceremony,
        options: to_json(&options)?,
    })
}

/// Finishes a registration with the authenticator's answer and stores the passkey.
pub async fn finish_registration(
    app: &App,
    caller: &Caller,
    request: FinishPasskeyRegistrationRequest,
) -> ApiResult<PasskeyInfo> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "must be 1 to 100 characters"));
    }
    let ceremony = take(app, &request.ceremony, "register").await?;
    if ceremony.user_id != caller.user.id {
        return Err(expired());
    }
    let state: PasskeyRegistration =
        serde_json::from_str(&ceremony.state).map_err(ApiError::internal)?;
    let credential: RegisterPublicKeyCredential = serde_json::from_value(request.credential)
        .map_err(|e| ApiError::invalid("credential", e.to_string()))?;
    let passkey = webauthn(app)?
        .finish_passkey_registration(&credential, &state)
        .map_err(|e| ApiError::invalid("credential", format!("the authenticator's answer: {e}")))?;
    let record = PasskeyRecord {
        id: new_id(),
        user_id: caller.user.id.clone(),
        name: name.to_string(),
        credential_id: credential_key(passkey.cred_id()),
        credential: serde_json::to_string(&passkey).map_err(ApiError::internal)?,
        created_at: now_ms(),
        last_used_at: None,
    };
    app.store.create_passkey(record.clone()).await?;
    app.factor_cache.clear();
    services::audit::record(
        app,
        caller,
        None,
        "auth.passkey.register",
        &format!("user/{}", caller.user.username),
        json!({ "name": record.name }),
    )
    .await;
    Ok(info(record))
}

/// Removes one of the caller's passkeys.
pub async fn remove(app: &App, caller: &Caller, id: &str) -> ApiResult<()> {
    app.store
        .delete_passkey(&caller.user.id, id)
        .await
        .map_err(named("passkey", id))?;
    app.factor_cache.clear();
    services::audit::record(
        app,
        caller,
        None,
        "auth.passkey.remove",
        &format!("user/{}", caller.user.username),
        json!({ "passkey": id }),
    )
    .await;
    Ok(())
}

/// Starts a passkey login for `username`: the options for `navigator.credentials.get`,
/// listing that user's passkeys. An unknown user, or one without a passkey, gets the same
/// refusal as a wrong password.
pub async fn start_login(
    app: &App,
    request: StartPasskeyLoginRequest,
    ip: &str,
) -> ApiResult<PasskeyChallenge> {
    let delay = app
        .login_limiter
        .check(&request.username, ip)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let Some(user) = app
        .store
        .find_user_credentials(&request.username)
        .await?
        .map(|c| c.user)
        .filter(|u| !u.disabled)
    else {
        return Err(ApiError::BadCredentials);
    };
    let passkeys = app
        .store
        .list_passkeys(&user.id)
        .await?
        .iter()
        .map(parse_passkey)
        .collect::<ApiResult<Vec<_>>>()?;
    if passkeys.is_empty() {
        return Err(ApiError::BadCredentials);
    }
    let (options, state) = webauthn(app)?
        .start_passkey_authentication(&passkeys)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("starting a passkey login: {e}")))?;
    let ceremony = new_id();
    app.store
        .put_ceremony(WebauthnCeremony {
            id: ceremony.clone(),
            user_id: user.id.clone(),
            kind: "login".into(),
            state: serde_json::to_string(&state).map_err(ApiError::internal)?,
            expires_at: now_ms() + CEREMONY_TTL_MS,
        })
        .await?;
    Ok(PasskeyChallenge {
        ceremony,
        options: to_json(&options)?,
    })
}

/// Finishes a passkey login: the assertion must answer this ceremony's challenge with one of
/// the user's passkeys, its signature counter moving forward. Opens a session.
pub async fn finish_login(
    app: &App,
    request: FinishPasskeyLoginRequest,
    ip: String,
) -> ApiResult<LoggedIn> {
    let ceremony = take(app, &request.ceremony, "login").await?;
    let user = app.store.get_user(&ceremony.user_id).await?;
    if user.disabled {
        return Err(ApiError::BadCredentials);
    }
    let state: PasskeyAuthentication =
        serde_json::from_str(&ceremony.state).map_err(ApiError::internal)?;
    let assertion: PublicKeyCredential = serde_json::from_value(request.credential)
        .map_err(|e| ApiError::invalid("credential", e.to_string()))?;
    let result = match webauthn(app)?.finish_passkey_authentication(&assertion, &state) {
        Ok(result) => result,
        Err(e) => {
            app.login_limiter.record_failure(&user.username, &ip);
            metrics::counter!("windflow_login_failures_total").increment(1);
            let actor = services::audit::Actor {
                id: Some(&user.id),
                name: &user.username,
                ip: Some(&ip),
            };
            services::audit::record_as(
                app,
                actor,
                None,
                "auth.login_failed",
                &format!("user/{}", user.username),
                json!({ "reason": "passkey refused", "detail": e.to_string() }),
            )
            .await;
            return Err(ApiError::BadCredentials);
        }
    };
    // The used passkey's counter moves; a cloned authenticator shows up as a counter that
    // does not (webauthn-rs refuses it above).
    for record in app.store.list_passkeys(&user.id).await? {
        let mut passkey = parse_passkey(&record)?;
        if passkey.cred_id() == result.cred_id() {
            passkey.update_credential(&result);
            let credential = serde_json::to_string(&passkey).map_err(ApiError::internal)?;
            app.store
                .update_passkey(&record.id, &credential, now_ms())
                .await?;
        }
    }
    app.login_limiter.record_success(&user.username, &ip);
    services::sessions::open_session(app, user, ip, "passkey").await
}

async fn take(app: &App, id: &str, kind: &str) -> ApiResult<WebauthnCeremony> {
    app.store
        .take_ceremony(id, kind, now_ms())
        .await?
        .ok_or_else(expired)
}

fn expired() -> ApiError {
    ApiError::invalid(
        "ceremony",
        "is unknown, expired or already answered: start again",
    )
}

fn credential_key(id: &CredentialID) -> String {
    use base64::Engine as _;
    let bytes: &[u8] = id.as_ref();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
