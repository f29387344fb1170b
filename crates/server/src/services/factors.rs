//! Second factors and organizations' login policies.
//!
//! - **TOTP** (RFC 6238 through `totp-rs`: SHA-1, 6 digits, 30 s steps — what every
//!   authenticator app supports). Enrolment needs the password and stays pending until a code
//!   proves the app has the secret. The secret is sealed by the keyring with the user's id as
//!   associated data and never returned after enrolment. A code is accepted within ±1 step and
//!   once: the factor remembers the last step used and refuses that step and earlier ones.
//! - **Recovery codes**: ten per confirmation or regeneration, 80 random bits each, stored as
//!   SHA-256 of (user id, code) — high-entropy secrets like API tokens, so a slow password
//!   hash would add nothing — and spent once.
//! - **Login policies** per organization: who must have a second factor (`none`, `admins`,
//!   `all`) and whether members may log in with a password. [`check_login`] (called by
//!   `sessions::login` once the password matched) and `login_policy::enforce` (called by
//!   `auth::OrgAccess` for every organization request) are the two enforcement points.
//!
//! Wrong codes at login count as failures in the login limiter, like wrong passwords; wrong
//! passwords or codes on the factor endpoints count there too.

use serde_json::json;
use totp_rs::{Algorithm, Builder, Totp};
use windflow_domain::access::Permission;
use windflow_protocol::{
    LoginPolicy, PasswordLoginPolicy, RecoveryCodes, RemoveTotpRequest, SecondFactor,
    SecondFactorKind, SetLoginPolicyRequest, StartTotpRequest, TotpEnrolment,
};
use windflow_storage::{
    LoginPolicyRecord, Organization, PasswordLogin, Role, SecondFactorRequirement, TotpFactor, User,
};

use crate::auth::{Caller, OrgAccess, credential_hash};
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::login_policy;
use crate::password;
use crate::services;
use crate::state::{App, now_ms};

/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "WindFlow";
/// Recovery codes per confirmation or regeneration.
pub const RECOVERY_CODE_COUNT: usize = 10;
const SECRET_BYTES: usize = 20;
const STEP_SECONDS: u64 = 30;

/// The associated data that binds a sealed TOTP secret to its user.
fn totp_aad(user_id: &str) -> Vec<u8> {
    format!("windflow-totp/v1\0{user_id}").into_bytes()
}

fn totp(secret: Vec<u8>, account: &str) -> ApiResult<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        // The label's account part may not hold a colon (usernames never do; be safe).
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("building the TOTP: {e}")))
}

/// The time step `code` belongs to, within ±1 step of `now_s` (unix seconds), if any.
fn matching_step(totp: &Totp, code: &str, now_s: u64) -> Option<u64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp.check(code, now_s)
}

/// A code as typed: spaces and dashes dropped, lowercased.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_totp_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// A fresh recovery code: 80 random bits as 16 base32 characters, `xxxx-xxxx-xxxx-xxxx`.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let bytes: [u8; 10] = crate::secrets::random_bytes();
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let chars: Vec<char> = (0..16)
        .map(|i| ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn recovery_hash(user_id: &str, code: &str) -> String {
    credential_hash(&format!(
        "windflow-recovery/v1\0{user_id}\0{}",
        normalize(code)
    ))
}

fn new_recovery_codes(user_id: &str) -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODE_COUNT)
        .map(|_| new_recovery_code())
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(user_id, c)).collect();
    (codes, hashes)
}

/// The organizations (slugs) among `memberships` whose policy wants a second factor that
/// `user_id` has not enrolled: `GET /auth/session` lists them so the console can guide.
pub async fn enrolment_required(
    app: &App,
    user_id: &str,
    memberships: &[(Organization, Role)],
) -> ApiResult<Vec<String>> {
    let policies = app.store.list_user_login_policies(user_id).await?;
    let wanted: Vec<String> = memberships
        .iter()
        .filter(|(org, role)| {
            policies.iter().any(|p| {
                p.org_id == org.id && login_policy::applies(p.require_second_factor, *role)
            })
        })
        .map(|(org, _)| org.slug.clone())
        .collect();
    if wanted.is_empty()
        || login_policy::has_confirmed_factor(&app.factor_cache, app.store.as_ref(), user_id)
            .await?
    {
        return Ok(Vec::new());
    }
    Ok(wanted)
}

// ---- login ----------------------------------------------------------------------------------

/// The second step of a password login, once the password matched: refuses a member of an
/// organization that disables password login (server administrators excepted — the
/// break-glass), then, for a user with a confirmed factor, wants a valid `code` (a TOTP code or
/// a recovery code). A wrong code is a login failure (limiter, audit `auth.login_failed`).
pub async fn check_login(app: &App, user: &User, code: Option<&str>, ip: &str) -> ApiResult<()> {
    if !user.is_admin {
        let policies = app.store.list_user_login_policies(&user.id).await?;
        if let Some(policy) = policies
            .iter()
            .find(|p| p.password_login == PasswordLogin::Disabled)
        {
            let slug = app
                .store
                .list_user_organizations(&user.id)
                .await?
                .into_iter()
                .find(|(org, _)| org.id == policy.org_id)
                .map_or_else(|| policy.org_id.clone(), |(org, _)| org.slug);
            audit_login_refusal(app, user, ip, "password login disabled").await;
            return Err(ApiError::Forbidden(format!(
                "organization {slug} disables password login: log in with single sign-on \
                 (or ask a server administrator)"
            )));
        }
    }
    let Some(factor) = app
        .store
        .get_totp_factor(&user.id)
        .await?
        .filter(|f| f.confirmed_at.is_some())
    else {
        // A passkey proves both factors at once: an account that has one logs in with it.
        if !app.store.list_passkeys(&user.id).await?.is_empty() {
            return Err(ApiError::SecondFactorRequired(
                "this account has a passkey: sign in with your passkey".into(),
            ));
        }
        return Ok(());
    };
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Err(ApiError::SecondFactorRequired(
            "this account has a second factor: send the login again with `code`, a code \
             from your authenticator app or a recovery code"
                .into(),
        ));
    };
    if verify_code(app, user, &factor, code, Some(ip)).await? {
        return Ok(());
    }
    app.store
        .record_login_failure(&user.id, i64::MAX, now_ms())
        .await?;
    app.login_limiter.record_failure(&user.username, ip);
    metrics::counter!("windflow_login_failures_total").increment(1);
    audit_login_refusal(app, user, ip, "wrong second factor").await;
    Err(ApiError::SecondFactorRequired(
        "the code is wrong or was already used: send a current code from your \
         authenticator app or an unused recovery code"
            .into(),
    ))
}

async fn audit_login_refusal(app: &App, user: &User, ip: &str, reason: &str) {
    let actor = services::audit::Actor {
        id: Some(&user.id),
        name: &user.username,
        ip: Some(ip),
    };
    services::audit::record_as(
        app,
        actor,
        None,
        "auth.login_failed",
        &format!("user/{}", user.username),
        json!({ "reason": reason }),
    )
    .await;
}

/// Whether `code` proves `user`'s confirmed factor: a TOTP code of an unused step within ±1
/// step, or an unused recovery code (spent, and audited, by this call).
async fn verify_code(
    app: &App,
    user: &User,
    factor: &TotpFactor,
    code: &str,
    ip: Option<&str>,
) -> ApiResult<bool> {
    let now = now_ms();
    let code = normalize(code);
    if is_totp_code(&code) {
        let totp = unseal(app, factor, &user.username)?;
        let Some(step) = matching_step(&totp, &code, (now / 1000) as u64) else {
            return Ok(false);
        };
        return Ok(app.store.use_totp_step(&user.id, step as i64, now).await?);
    }
    if code.len() > 64 {
        return Ok(false);
    }
    let used = app
        .store
        .use_recovery_code(&user.id, &recovery_hash(&user.id, &code), now)
        .await?;
    if used {
        let left = app.store.count_recovery_codes(&user.id).await?;
        let actor = services::audit::Actor {
            id: Some(&user.id),
            name: &user.username,
            ip,
        };
        services::audit::record_as(
            app,
            actor,
            None,
            "auth.recovery_code.used",
            &format!("user/{}", user.username),
            json!({ "left": left }),
        )
        .await;
    }
    Ok(used)
}

fn unseal(app: &App, factor: &TotpFactor, username: &str) -> ApiResult<Totp> {
    let secret = app
        .keyring
        .decrypt(&totp_aad(&factor.user_id), &factor.secret)
        .map_err(ApiError::internal)?;
    totp(secret, username)
}

// ---- the caller's own factors ---------------------------------------------------------------

/// Refuses the attempt when the login limiter says so for the caller (wrong passwords and
/// codes on these endpoints count like login failures).
fn limiter_check(app: &App, caller: &Caller) -> ApiResult<()> {
    let ip = caller.ip.as_deref().unwrap_or("");
    app.login_limiter
        .check(&caller.user.username, ip)
        .map(|_| ())
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })
}

fn limiter_failure(app: &App, caller: &Caller) {
    let ip = caller.ip.as_deref().unwrap_or("");
    app.login_limiter.record_failure(&caller.user.username, ip);
}

async fn check_password(app: &App, caller: &Caller, password: String) -> ApiResult<bool> {
    let credentials = app
        .store
        .find_user_credentials(&caller.user.username)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(password::verify_password(password, credentials.password_hash).await)
}

/// The caller's second factors.
pub async fn list(app: &App, caller: &Caller) -> ApiResult<Vec<SecondFactor>> {
    let Some(factor) = app.store.get_totp_factor(&caller.user.id).await? else {
        return Ok(Vec::new());
    };
    let left = app.store.count_recovery_codes(&caller.user.id).await?;
    Ok(vec![SecondFactor {
        kind: SecondFactorKind::Totp,
        confirmed: factor.confirmed_at.is_some(),
        created_at: convert::time(factor.created_at),
        last_used_at: convert::opt_time(factor.last_used_at),
        recovery_codes_left: left,
    }])
}

/// Starts a TOTP enrolment (replacing a pending one): a fresh secret, sealed; its URI and QR
/// code are in the answer only. `409` when a confirmed factor exists (remove it first).
pub async fn start_totp(
    app: &App,
    caller: &Caller,
    request: StartTotpRequest,
) -> ApiResult<TotpEnrolment> {
    limiter_check(app, caller)?;
    if !check_password(app, caller, request.password).await? {
        limiter_failure(app, caller);
        return Err(ApiError::invalid(
            "password",
            "is not your current password",
        ));
    }
    let user_id = &caller.user.id;
    if app
        .store
        .get_totp_factor(user_id)
        .await?
        .is_some_and(|f| f.confirmed_at.is_some())
    {
        return Err(ApiError::Conflict {
            message: "you already have a confirmed TOTP factor: remove it first".into(),
            field: Some("totp".into()),
        });
    }
    let secret: [u8; SECRET_BYTES] = crate::secrets::random_bytes();
    let totp = totp(secret.to_vec(), &caller.user.username)?;
    let otpauth_uri = totp
        .to_url()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("the otpauth URI: {e}")))?;
    let qr_svg = qrcode::QrCode::new(otpauth_uri.as_bytes())
        .map_err(ApiError::internal)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    app.store
        .put_pending_totp(TotpFactor {
            user_id: user_id.clone(),
            secret: app.keyring.encrypt(&totp_aad(user_id), &secret),
            confirmed_at: None,
            last_step: None,
            last_used_at: None,
            created_at: now_ms(),
        })
        .await
        .map_err(|e| match e {
            windflow_storage::StoreError::Conflict { .. } => ApiError::Conflict {
                message: "you already have a confirmed TOTP factor: remove it first".into(),
                field: Some("totp".into()),
            },
            other => other.into(),
        })?;
    Ok(TotpEnrolment {
        secret: totp.secret().to_base32(),
        otpauth_uri,
        qr_svg,
    })
}

/// Confirms the pending TOTP factor with a code; returns the recovery codes (shown once).
pub async fn confirm_totp(app: &App, caller: &Caller, code: &str) -> ApiResult<RecoveryCodes> {
    limiter_check(app, caller)?;
    let user_id = &caller.user.id;
    let factor = app
        .store
        .get_totp_factor(user_id)
        .await?
        .filter(|f| f.confirmed_at.is_none())
        .ok_or_else(|| {
            ApiError::NotFound(
                "pending TOTP enrolment (start one with POST /auth/factors/totp)".into(),
            )
        })?;
    let totp = unseal(app, &factor, &caller.user.username)?;
    let now = now_ms();
    let Some(step) = matching_step(&totp, &normalize(code), (now / 1000) as u64) else {
        limiter_failure(app, caller);
        return Err(ApiError::invalid(
            "code",
            "is not the current code of your authenticator app (check its clock)",
        ));
    };
    let (codes, hashes) = new_recovery_codes(user_id);
    app.store
        .confirm_totp(user_id, step as i64, now, &hashes)
        .await?;
    changed(app);
    services::audit::record(
        app,
        caller,
        None,
        "auth.factor.enrol",
        &format!("user/{}", caller.user.username),
        json!({ "kind": "totp" }),
    )
    .await;
    Ok(RecoveryCodes { codes })
}

/// Removes the caller's TOTP factor and recovery codes; needs their password or a code.
pub async fn remove_totp(app: &App, caller: &Caller, request: RemoveTotpRequest) -> ApiResult<()> {
    limiter_check(app, caller)?;
    let factor = app.store.get_totp_factor(&caller.user.id).await?;
    let Some(factor) = factor else {
        return Err(ApiError::NotFound("TOTP factor".into()));
    };
    let proved = match (request.password, request.code) {
        (Some(password), _) if !password.is_empty() => {
            check_password(app, caller, password).await?
        }
        (_, Some(code)) if factor.confirmed_at.is_some() => {
            verify_code(app, &caller.user, &factor, &code, caller.ip.as_deref()).await?
        }
        _ => {
            return Err(ApiError::invalid(
                "password",
                "send your password (or `code`, a current code) to remove the factor",
            ));
        }
    };
    if !proved {
        limiter_failure(app, caller);
        return Err(ApiError::invalid(
            "password",
            "the password or code is wrong (or the code was already used)",
        ));
    }
    app.store.delete_second_factors(&caller.user.id).await?;
    changed(app);
    services::audit::record(
        app,
        caller,
        None,
        "auth.factor.remove",
        &format!("user/{}", caller.user.username),
        json!({ "kind": "totp" }),
    )
    .await;
    Ok(())
}

/// New recovery codes (the old ones stop working); needs a current code.
pub async fn regenerate_recovery_codes(
    app: &App,
    caller: &Caller,
    code: &str,
) -> ApiResult<RecoveryCodes> {
    limiter_check(app, caller)?;
    let factor = app
        .store
        .get_totp_factor(&caller.user.id)
        .await?
        .filter(|f| f.confirmed_at.is_some())
        .ok_or_else(|| ApiError::NotFound("confirmed TOTP factor".into()))?;
    if !verify_code(app, &caller.user, &factor, code, caller.ip.as_deref()).await? {
        limiter_failure(app, caller);
        return Err(ApiError::invalid(
            "code",
            "is wrong or was already used: send a current code from your authenticator app",
        ));
    }
    let (codes, hashes) = new_recovery_codes(&caller.user.id);
    app.store
        .replace_recovery_codes(&caller.user.id, &hashes, now_ms())
        .await?;
    services::audit::record(
        app,
        caller,
        None,
        "auth.recovery_codes.regenerate",
        &format!("user/{}", caller.user.username),
        json!({}),
    )
    .await;
    Ok(RecoveryCodes { codes })
}

/// A server administrator removes a user's second factors and ends their sessions.
pub async fn reset_user_factors(app: &App, caller: &Caller, user_id: &str) -> ApiResult<()> {
    caller.require_server_admin()?;
    let user = app
        .store
        .get_user(user_id)
        .await
        .map_err(crate::error::named("user", user_id))?;
    let removed = app.store.delete_second_factors(&user.id).await?;
    let passkeys = app.store.delete_user_passkeys(&user.id).await?;
    app.store.delete_user_sessions(&user.id).await?;
    app.auth_cache.clear();
    changed(app);
    services::audit::record(
        app,
        caller,
        None,
        "user.factors.reset",
        &format!("user/{}", user.username),
        json!({ "had_factor": removed, "passkeys": passkeys }),
    )
    .await;
    Ok(())
}

fn changed(app: &App) {
    app.factor_cache.clear();
}

// ---- organizations' login policies ----------------------------------------------------------

fn policy_wire(record: Option<LoginPolicyRecord>) -> LoginPolicy {
    match record {
        None => LoginPolicy {
            require_second_factor: Default::default(),
            password_login: Default::default(),
            updated_by: None,
            updated_at: None,
        },
        Some(p) => LoginPolicy {
            require_second_factor: match p.require_second_factor {
                SecondFactorRequirement::None => windflow_protocol::SecondFactorRequirement::None,
                SecondFactorRequirement::Admins => {
                    windflow_protocol::SecondFactorRequirement::Admins
                }
                SecondFactorRequirement::All => windflow_protocol::SecondFactorRequirement::All,
            },
            password_login: match p.password_login {
                PasswordLogin::Allowed => PasswordLoginPolicy::Allowed,
                PasswordLogin::Disabled => PasswordLoginPolicy::Disabled,
            },
            updated_by: Some(p.updated_by),
            updated_at: Some(convert::time(p.updated_at)),
        },
    }
}

/// The organization's login policy (members may read it).
pub async fn get_policy(app: &App, access: &OrgAccess) -> ApiResult<LoginPolicy> {
    access.require(Permission::Read)?;
    Ok(policy_wire(
        app.store.get_login_policy(&access.org.id).await?,
    ))
}

/// Changes the organization's login policy (owners).
pub async fn set_policy(
    app: &App,
    access: &OrgAccess,
    request: SetLoginPolicyRequest,
) -> ApiResult<LoginPolicy> {
    let record = LoginPolicyRecord {
        org_id: access.org.id.clone(),
        require_second_factor: match request.require_second_factor {
            windflow_protocol::SecondFactorRequirement::None => SecondFactorRequirement::None,
            windflow_protocol::SecondFactorRequirement::Admins => SecondFactorRequirement::Admins,
            windflow_protocol::SecondFactorRequirement::All => SecondFactorRequirement::All,
        },
        password_login: match request.password_login {
            PasswordLoginPolicy::Allowed => PasswordLogin::Allowed,
            PasswordLoginPolicy::Disabled => PasswordLogin::Disabled,
        },
        updated_by: access.caller.user.username.clone(),
        updated_at: now_ms(),
    };
    let saved = app.store.set_login_policy(record).await?;
    changed(app);
    services::audit::record(
        app,
        &access.caller,
        Some(&access.org.id),
        "org.login_policy.update",
        &format!("org/{}", access.org.slug),
        json!({
            "require_second_factor": saved.require_second_factor.as_str(),
            "password_login": saved.password_login.as_str(),
        }),
    )
    .await;
    Ok(policy_wire(Some(saved)))
}

/// Re-seals every TOTP secret under the keyring's current key (`admin rotate-secret-key`).
pub async fn reseal_all(
    store: &dyn windflow_storage::Store,
    keyring: &crate::secrets::Keyring,
) -> anyhow::Result<usize> {
    let factors = store.list_all_totp_factors().await?;
    for factor in &factors {
        let aad = totp_aad(&factor.user_id);
        let plain = keyring.decrypt(&aad, &factor.secret)?;
        store
            .replace_totp_secret(&factor.user_id, keyring.encrypt(&aad, &plain))
            .await?;
    }
    Ok(factors.len())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn test_totp() -> Totp {
        totp(b"12345678901234567890".to_vec(), "alice").unwrap()
    }

    /// RFC 6238's SHA-1 test vectors (8 digits there; the last 6 digits here).
    #[test]
    fn rfc_6238_vectors() {
        let t = test_totp();
        for (time, expected) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(t.generate(time).to_string(), expected, "{time}");
        }
    }

    #[test]
    fn codes_are_accepted_within_one_step_either_way() {
        let t = test_totp();
        let now = 1_700_000_015u64;
        let step = now / 30;
        for (offset, accepted) in [
            (-3i64, false),
            (-2, false),
            (-1, true),
            (0, true),
            (1, true),
            (2, false),
        ] {
            let at = (now as i64 + offset * 30) as u64;
            let code = t.generate(at).to_string();
            let got = matching_step(&t, &code, now);
            if accepted {
                assert_eq!(got, Some((step as i64 + offset) as u64), "{offset}");
            } else {
                assert_eq!(got, None, "{offset}");
            }
        }
        assert_eq!(matching_step(&t, "12345", now), None);
        assert_eq!(matching_step(&t, "abcdef", now), None);
        assert_eq!(matching_step(&t, "", now), None);
    }

    #[test]
    fn recovery_codes_are_random_grouped_and_normalized() {
        let a = new_recovery_code();
        let b = new_recovery_code();
        assert_ne!(a, b);
        assert_eq!(a.len(), 19);
        assert_eq!(a.matches('-').count(), 3);
        assert_eq!(
            recovery_hash("u1", &a),
            recovery_hash("u1", &format!(" {} ", a.to_uppercase().replace('-', " ")))
        );
        assert_ne!(recovery_hash("u1", &a), recovery_hash("u2", &a));
        assert!(!is_totp_code(&normalize(&a)));
    }

    /// The cost of checking one code (a report figure, not a benchmark).
    #[test]
    fn verification_time() {
        let t = test_totp();
        let code = t.generate(1_700_000_000).to_string();
        let mut times = Vec::new();
        for _ in 0..200 {
            let start = Instant::now();
            assert!(matching_step(&t, &code, 1_700_000_000).is_some());
            times.push(start.elapsed());
        }
        times.sort();
        eprintln!("TOTP check: median {:?}", times[times.len() / 2]);
    }
}
