//! Certificates the gateways serve: uploaded by a member (chain and key checked), or issued
//! and renewed through ACME (`windflow-acme`). Private keys and ACME account credentials are
//! sealed by the keyring before they reach the store and never leave the server.
//!
//! *Invariant:* a certificate is only ever replaced by a newer one that was issued or checked
//! first; a failed renewal records its error and a backoff and leaves the working
//! certificate in place.

use std::sync::Arc;

use serde_json::json;
use time::OffsetDateTime;
use windflow_acme::{
    AccountCredentials, AcmeAccount, AcmeDirectory, Http01Solver, NewAccount, Secret,
};
use windflow_protocol::{Certificate, UploadCertificateRequest};
use windflow_storage::{
    AcmeAccountRecord, CertificateRecord, CertificateSource, NewCertificate, StoreError,
};

use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{App, new_id, now_ms};

/// A certificate expiring within this is `expiring`.
const EXPIRING_WITHIN_MS: i64 = 14 * 24 * 3600 * 1000;
/// Largest PEM accepted (a chain of a few certificates and a key).
const MAX_PEM_BYTES: usize = 64 * 1024;

/// What seals a certificate's key: bound to its organization and name, so a ciphertext
/// copied to another row does not open.
pub fn key_aad(org_id: &str, name: &str) -> Vec<u8> {
    format!("certificate:{org_id}:{name}").into_bytes()
}

fn account_aad(org_id: &str, directory_url: &str) -> Vec<u8> {
    format!("acme-account:{org_id}:{directory_url}").into_bytes()
}

/// A certificate name: what `tls:` names in a compose file.
pub fn check_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name",
            format!("{name:?} is not a certificate name: use letters, digits, '.', '-' and '_'"),
        ))
    }
}

pub async fn list(app: &App, access: &OrgAccess) -> ApiResult<Vec<Certificate>> {
    let now = now_ms();
    Ok(app
        .store
        .list_certificates(&access.org.id)
        .await?
        .into_iter()
        .map(|c| wire(c, now))
        .collect())
}

pub fn wire(c: CertificateRecord, now: i64) -> Certificate {
    let status = if c.not_after <= now {
        "expired"
    } else if c.not_after - now <= EXPIRING_WITHIN_MS {
        "expiring"
    } else {
        "valid"
    };
    Certificate {
        renewal_at: (c.source == CertificateSource::Acme).then(|| convert::time(c.renewal_at())),
        name: c.name,
        source: c.source.as_str().to_string(),
        domains: c.domains,
        issuer: c.issuer,
        serial: c.serial,
        not_before: convert::time(c.not_before),
        not_after: convert::time(c.not_after),
        status: status.to_string(),
        renewal_error: c.renewal_error,
        updated_at: convert::time(c.updated_at),
    }
}

/// Stores an uploaded certificate under `name` (replacing one of that name) once its chain
/// parses, each certificate is signed by the next, the key matches the leaf and the leaf is
/// valid now.
pub async fn upload(
    app: &App,
    access: &OrgAccess,
    name: &str,
    request: UploadCertificateRequest,
) -> ApiResult<Certificate> {
    check_name(name)?;
    if request.chain_pem.len() > MAX_PEM_BYTES || request.key_pem.len() > MAX_PEM_BYTES {
        return Err(ApiError::invalid(
            "chain_pem",
            format!("larger than {} KiB", MAX_PEM_BYTES >> 10),
        ));
    }
    let info = windflow_acme::check_uploaded(
        &request.chain_pem,
        &request.key_pem,
        OffsetDateTime::now_utc(),
    )
    .map_err(|e| {
        let field = match e {
            windflow_acme::CertificateError::Key(_)
            | windflow_acme::CertificateError::KeyMismatch { .. } => "key_pem",
            _ => "chain_pem",
        };
        ApiError::invalid(field, e.to_string())
    })?;
    if let Ok(existing) = app.store.get_certificate(&access.org.id, name).await
        && existing.source == CertificateSource::Acme
    {
        return Err(ApiError::Conflict {
            message: format!(
                "certificate {name} is issued by WindFlow through ACME; upload under another name"
            ),
            field: Some("name".into()),
        });
    }
    let stored = save(
        app,
        &access.org.id,
        name,
        CertificateSource::Uploaded,
        &request.chain_pem,
        request.key_pem.as_bytes(),
        &info,
    )
    .await?;
    publish_metrics(app).await;
    services::audit::record_org(
        app,
        access,
        "certificate.upload",
        &format!("certificate/{name}"),
        json!({ "domains": info.sans, "serial": info.serial, "not_after": info.not_after.unix_timestamp() }),
    )
    .await;
    Ok(wire(stored, now_ms()))
}

/// Renews an ACME certificate now, through the gateway of a target that serves it. A failure
/// is recorded on the certificate (which keeps serving) and answered as 502 with the CA's
/// or the gateway's message.
pub async fn renew(app: &App, access: &OrgAccess, name: &str) -> ApiResult<Certificate> {
    let org = &access.org.id;
    let before = app.store.get_certificate(org, name).await?;
    if before.source != CertificateSource::Acme {
        return Err(ApiError::Conflict {
            message: format!("certificate {name} was uploaded: upload its successor instead"),
            field: Some("name".into()),
        });
    }
    let reports = services::gateway::renew_certificates(app, org, Some(name))
        .await
        .map_err(|e| ApiError::Unavailable(format!("{e:#}")))?;
    if reports.is_empty() {
        return Err(ApiError::Conflict {
            message: format!(
                "certificate {name} is served by no target's gateway: deploy the stack that uses it to renew it"
            ),
            field: Some("name".into()),
        });
    }
    let after = app.store.get_certificate(org, name).await?;
    services::audit::record_org(
        app,
        access,
        "certificate.renew",
        &format!("certificate/{name}"),
        json!({ "serial_before": before.serial, "serial": after.serial }),
    )
    .await;
    if after.serial == before.serial {
        let why = reports
            .iter()
            .flat_map(|r| r.warnings.iter())
            .find(|w| w.contains(name))
            .cloned()
            .or(after.renewal_error.clone())
            .unwrap_or_else(|| "the renewal did not complete".into());
        return Err(ApiError::BadGateway(why));
    }
    Ok(wire(after, now_ms()))
}

/// Publishes `windflow_certificate_expiry_seconds` (seconds left, per organization and
/// certificate) and `windflow_certificate_renewal_failing` (1 while a renewal keeps failing).
pub async fn publish_metrics(app: &App) {
    let Ok(all) = app.store.list_all_certificates().await else {
        return;
    };
    let now = now_ms();
    for c in all {
        let labels = [("org", c.org_id.clone()), ("certificate", c.name.clone())];
        metrics::gauge!("windflow_certificate_expiry_seconds", &labels)
            .set(((c.not_after - now) / 1000) as f64);
        metrics::gauge!("windflow_certificate_renewal_failing", &labels)
            .set(if c.renewal_error.is_some() { 1.0 } else { 0.0 });
    }
}

/// Deletes a certificate no deployed stack uses; an ACME one is revoked at its CA first (a
/// CA that cannot be reached leaves it stored, with the error).
pub async fn delete(app: &App, access: &OrgAccess, name: &str) -> ApiResult<()> {
    let org = &access.org.id;
    let certificate = app.store.get_certificate(org, name).await?;
    if let Some((stack, service, target)) = services::gateway::certificate_user(app, org, name)
        .await
        .map_err(|e| ApiError::Unavailable(format!("{e:#}")))?
    {
        return Err(ApiError::Conflict {
            message: format!(
                "certificate {name} serves {stack}/{service} on target {target}: change its tls or remove the stack first"
            ),
            field: Some("name".into()),
        });
    }
    if certificate.source == CertificateSource::Acme {
        let revoked = async {
            let account = account(app, org).await?;
            account
                .revoke(
                    &certificate.chain_pem,
                    windflow_acme::RevocationReason::CessationOfOperation,
                )
                .await
                .or_else(|e| match e {
                    windflow_acme::AcmeError::AlreadyRevoked { .. } => Ok(()),
                    other => Err(other),
                })?;
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = revoked {
            return Err(ApiError::BadGateway(format!(
                "revoking certificate {name} at its CA: {e:#} (it stays stored)"
            )));
        }
    }
    app.store.delete_certificate(org, name).await?;
    services::audit::record_org(
        app,
        access,
        "certificate.delete",
        &format!("certificate/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}

async fn save(
    app: &App,
    org_id: &str,
    name: &str,
    source: CertificateSource,
    chain_pem: &str,
    key_pem: &[u8],
    info: &windflow_acme::CertificateInfo,
) -> ApiResult<CertificateRecord> {
    let key = app.keyring.encrypt(&key_aad(org_id, name), key_pem);
    Ok(app
        .store
        .save_certificate(
            org_id,
            NewCertificate {
                id: new_id(),
                name: name.to_string(),
                source,
                domains: info.sans.clone(),
                chain_pem: chain_pem.to_string(),
                key,
                issuer: info.issuer.clone(),
                serial: info.serial.clone(),
                not_before: millis(info.not_before),
                not_after: millis(info.not_after),
                at: now_ms(),
            },
        )
        .await?)
}

fn millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Key rotation: every certificate key and ACME account sealed again under the keyring's
/// current key. Returns how many.
pub async fn reseal_all(
    store: &dyn windflow_storage::Store,
    keyring: &crate::secrets::Keyring,
) -> anyhow::Result<usize> {
    let certificates = store.list_all_certificates().await?;
    for c in &certificates {
        let aad = key_aad(&c.org_id, &c.name);
        let plain = keyring.decrypt(&aad, &c.key)?;
        store
            .replace_certificate_key(&c.id, keyring.encrypt(&aad, &plain))
            .await?;
    }
    let accounts = store.list_all_acme_accounts().await?;
    for a in &accounts {
        let aad = account_aad(&a.org_id, &a.directory_url);
        let plain = keyring.decrypt(&aad, &a.credentials)?;
        store
            .replace_acme_account_credentials(
                &a.org_id,
                &a.directory_url,
                keyring.encrypt(&aad, &plain),
            )
            .await?;
    }
    Ok(certificates.len() + accounts.len())
}

/// A certificate's private key, unsealed for the gateway that serves it.
pub fn reveal_key(app: &App, certificate: &CertificateRecord) -> anyhow::Result<Secret> {
    let bytes = app.keyring.decrypt(
        &key_aad(&certificate.org_id, &certificate.name),
        &certificate.key,
    )?;
    Ok(Secret::new(String::from_utf8(bytes)?))
}

/// The ACME directory the server issues from, from its configuration.
pub fn directory(app: &App) -> AcmeDirectory {
    let acme = &app.config.acme;
    AcmeDirectory::custom(acme.directory_url.clone(), acme.ca_root_pem.clone())
}

/// The organization's account with the server's ACME directory, created on first use.
pub async fn account(app: &App, org_id: &str) -> anyhow::Result<AcmeAccount> {
    let directory = directory(app);
    let aad = account_aad(org_id, &directory.url);
    if let Some(stored) = app.store.get_acme_account(org_id, &directory.url).await? {
        let plain = app.keyring.decrypt(&aad, &stored.credentials)?;
        let credentials: AccountCredentials = serde_json::from_slice(&plain)?;
        return Ok(AcmeAccount::restore(&directory, &credentials).await?);
    }
    let (account, credentials) = AcmeAccount::create(
        &directory,
        &NewAccount {
            contact_email: app.config.acme.email.clone(),
            terms_of_service_agreed: true,
        },
    )
    .await?;
    let sealed = app
        .keyring
        .encrypt(&aad, serde_json::to_string(&credentials)?.as_bytes());
    match app
        .store
        .create_acme_account(AcmeAccountRecord {
            org_id: org_id.to_string(),
            directory_url: directory.url.clone(),
            contact: app.config.acme.email.clone(),
            credentials: sealed,
            created_at: now_ms(),
        })
        .await
    {
        // Another deployment created it meanwhile: use that one.
        Err(StoreError::Conflict { .. }) => Box::pin(self::account(app, org_id)).await,
        Err(e) => Err(e.into()),
        Ok(()) => Ok(account),
    }
}

/// Issues (or renews) the certificate `name` for `domains` through ACME, answering HTTP-01
/// challenges with `http01` and DNS-01 challenges (wildcards) through the organization's DNS
/// providers, and stores it. On failure nothing stored changes but the
/// renewal error and backoff of an existing certificate of that name.
pub async fn issue(
    app: &App,
    org_id: &str,
    name: &str,
    domains: &[String],
    http01: Arc<dyn Http01Solver>,
) -> anyhow::Result<CertificateRecord> {
    let previous = app.store.get_certificate(org_id, name).await.ok();
    let result = async {
        let account = account(app, org_id).await?;
        let solvers = services::dns01::solvers(app, org_id, http01).await;
        let issued = account.issue(domains, &solvers).await?;
        let stored = save(
            app,
            org_id,
            name,
            CertificateSource::Acme,
            &issued.chain_pem,
            issued.key_pem.expose().as_bytes(),
            &issued.info,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        metrics::counter!("windflow_certificates_issued_total").increment(1);
        publish_metrics(app).await;
        anyhow::Ok(stored)
    }
    .await;
    let resource = format!("certificate/{name}");
    match (&result, previous) {
        (Ok(issued), previous) => {
            // Issued, or renewed (saying so when it follows failed attempts).
            let (action, detail) = match previous {
                None => (
                    "certificate.issued",
                    json!({ "domains": domains, "serial": issued.serial }),
                ),
                Some(before) => (
                    "certificate.renewed",
                    json!({ "domains": domains, "serial_before": before.serial,
                            "serial": issued.serial,
                            "after_failed_attempts": before.renewal_attempts }),
                ),
            };
            services::audit::record_as(
                app,
                services::audit::SYSTEM,
                Some(org_id),
                action,
                &resource,
                detail,
            )
            .await;
        }
        (Err(error), Some(existing)) => {
            let attempts = existing.renewal_attempts + 1;
            let next = windflow_acme::next_attempt_after_failure(
                attempts.clamp(0, u32::MAX as i64) as u32,
                OffsetDateTime::now_utc(),
            );
            let message = format!("{error:#}");
            let _ = app
                .store
                .record_renewal_failure(org_id, &existing.id, &message, attempts, millis(next))
                .await;
            metrics::counter!("windflow_certificate_renewal_failures_total").increment(1);
            publish_metrics(app).await;
            tracing::warn!(org_id, certificate = name, attempts, error = %message,
                "a certificate renewal failed; the current certificate keeps serving");
            services::audit::record_as(
                app,
                services::audit::SYSTEM,
                Some(org_id),
                "certificate.renewal_failed",
                &resource,
                json!({ "domains": domains, "error": message, "attempts": attempts,
                        "next_attempt": rfc3339(millis(next)),
                        "serving_until": rfc3339(existing.not_after) }),
            )
            .await;
        }
        (Err(_), None) => {}
    }
    result
}

/// A time for an audit entry's detail, as RFC 3339.
fn rfc3339(ms: i64) -> String {
    convert::time(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
