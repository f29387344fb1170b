//! Backups: an organization's repositories (S3-compatible storage, a folder on a target, an
//! SFTP server), each stack's policy (set through the API or declared in its compose file's
//! `x-windflow.backup`), and the runs that back up, restore, check and drill — queued here and
//! carried out under a lease by [`runner`], one operation per repository at a time.
//!
//! restic does the storage work (chunking, deduplication, compression, encryption) in a
//! helper container on the target ([`helper`]); databases are dumped inside their own
//! containers and streamed into it. Guarantees:
//! - A repository's password (random, 256 bits) and credentials are sealed by the keyring,
//!   bound to the repository's id; they reach restic as files in its container, never as
//!   arguments or environment, and are never returned, logged or audited.
//! - An organization reaches only its own repositories, stacks and engines; a repository's
//!   endpoint on an internal network needs a server administrator's
//!   `--backup-allow-endpoint`, and a folder repository's host path the organization's
//!   host-access policy.
//! - A restore loads into a staging volume or scratch database first: if it fails, the live
//!   data is as it was.

pub mod helper;
pub mod runner;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use windflow_backup::{Location, Policy, Schedule};
use windflow_protocol as wire;
use windflow_storage::{
    BackupPolicyRecord, BackupRepositoryRecord, BackupRunRecord, BackupSnapshotRecord, Stack,
    Store, Target,
};

use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::secrets::Keyring;
use crate::services;
use crate::state::{App, new_id, now_ms};
use helper::{Helper, Repo};

/// The label of every helper container, naming the run (or request) it belongs to.
pub const LABEL_RUN: &str = "org.windflow.backup.run";

/// A repository's secret settings, sealed as one JSON document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_private_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_known_hosts: Option<String>,
}

impl Credentials {
    fn is_empty(&self) -> bool {
        self.access_key_id.is_none()
            && self.secret_access_key.is_none()
            && self.ssh_private_key.is_none()
            && self.ssh_known_hosts.is_none()
    }
}

/// What `backup_repositories.settings` holds: the location and the home target.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RepoSettings {
    location: Location,
    target_id: String,
}

fn aad(what: &str, repository_id: &str) -> Vec<u8> {
    format!("windflow-backup-repository/v1\0{what}\0{repository_id}").into_bytes()
}

fn seal_credentials(
    keyring: &Keyring,
    id: &str,
    c: &Credentials,
) -> Option<windflow_storage::SecretValue> {
    (!c.is_empty()).then(|| {
        keyring.encrypt(
            &aad("credentials", id),
            &serde_json::to_vec(c).expect("credentials serialize"),
        )
    })
}

/// The repository with its secrets opened.
pub(crate) fn open_repo(app: &App, record: &BackupRepositoryRecord) -> ApiResult<(Repo, String)> {
    let settings: RepoSettings = serde_json::from_value(record.settings.clone()).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!("repository {} settings: {e}", record.name))
    })?;
    let password = app
        .keyring
        .decrypt(&aad("password", &record.id), &record.password)
        .map_err(ApiError::Internal)?;
    let credentials = match &record.credentials {
        Some(sealed) => {
            let plain = app
                .keyring
                .decrypt(&aad("credentials", &record.id), sealed)
                .map_err(ApiError::Internal)?;
            serde_json::from_slice(&plain)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("repository credentials: {e}")))?
        }
        None => Credentials::default(),
    };
    Ok((
        Repo {
            id: record.id.clone(),
            location: settings.location,
            password: String::from_utf8(password).map_err(|_| {
                ApiError::Internal(anyhow::anyhow!("repository password is not text"))
            })?,
            credentials,
        },
        settings.target_id,
    ))
}

/// Re-seals every repository's secrets under the keyring's current key (key rotation).
pub async fn reseal_all(store: &dyn Store, keyring: &Keyring) -> anyhow::Result<usize> {
    let all = store.list_all_backup_repositories().await?;
    for r in &all {
        let password = keyring.decrypt(&aad("password", &r.id), &r.password)?;
        let credentials = match &r.credentials {
            Some(c) => Some(keyring.encrypt(
                &aad("credentials", &r.id),
                &keyring.decrypt(&aad("credentials", &r.id), c)?,
            )),
            None => None,
        };
        store
            .replace_backup_repository_secrets(
                &r.id,
                credentials,
                keyring.encrypt(&aad("password", &r.id), &password),
            )
            .await?;
    }
    Ok(all.len())
}

fn to_wire_location(location: &Location) -> wire::BackupLocation {
    serde_json::from_value(serde_json::to_value(location).expect("location serializes"))
        .expect("the wire location mirrors the backup crate's")
}

fn from_wire_location(location: &wire::BackupLocation) -> Location {
    serde_json::from_value(serde_json::to_value(location).expect("location serializes"))
        .expect("the wire location mirrors the backup crate's")
}

async fn wire_repository(
    app: &App,
    r: &BackupRepositoryRecord,
) -> ApiResult<wire::BackupRepository> {
    let settings: RepoSettings = serde_json::from_value(r.settings.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("repository settings: {e}")))?;
    let target = app
        .store
        .get_target_by_id(&r.org_id, &settings.target_id)
        .await
        .map(|t| t.name)
        .unwrap_or_default();
    Ok(wire::BackupRepository {
        id: r.id.clone(),
        name: r.name.clone(),
        location: to_wire_location(&settings.location),
        target,
        credentials_set: r.credentials.is_some(),
        initialized_at: convert::opt_time(r.initialized_at),
        checked_at: convert::opt_time(r.checked_at),
        check_ok: r.check_ok,
        check_message: r.check_message.clone(),
        created_at: convert::time(r.created_at),
    })
}

fn check_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name",
            "1 to 64 letters, digits, dots, hyphens and underscores",
        ))
    }
}

/// The checks that do not need restic: fields, the endpoint's network, a folder's host path.
async fn check_location(
    app: &App,
    access: &OrgAccess,
    target: &Target,
    location: &Location,
) -> ApiResult<()> {
    let problems = location.problems();
    if let Some((field, message)) = problems.first() {
        return Err(ApiError::invalid(
            &format!("location.{field}"),
            message.clone(),
        ));
    }
    match location {
        Location::S3 { endpoint, .. } => {
            let url = reqwest::Url::parse(endpoint)
                .map_err(|e| ApiError::invalid("location.endpoint", format!("not a URL: {e}")))?;
            crate::egress::check(
                &app.config.backup_allowed_endpoints,
                endpoint,
                &url,
                "the backup repository",
                "--backup-allow-endpoint",
            )
            .await
        }
        Location::Sftp { host, port, .. } => {
            let raw = format!("sftp://{host}:{port}");
            let url = reqwest::Url::parse(&raw)
                .map_err(|e| ApiError::invalid("location.host", format!("{e}")))?;
            crate::egress::check(
                &app.config.backup_allowed_endpoints,
                &raw,
                &url,
                "the backup repository",
                "--backup-allow-endpoint",
            )
            .await
        }
        Location::Folder {
            path,
            volume: false,
        } => {
            // A host folder is host access: the same rule as a stack's bind mount.
            let policies =
                services::policies::OrgPolicies::load(app.store.as_ref(), &access.org.id).await?;
            let policy = policies.effective(target.environment_id.as_deref(), target);
            if windflow_domain::policy::host_path_refusal(&policy, path).is_some() {
                return Err(ApiError::Forbidden(format!(
                    "the folder {path} on {} is outside what the organization's host-access policy allows ({}); use a named volume (volume: true) or ask a server administrator",
                    target.name,
                    policy.describe()
                )));
            }
            Ok(())
        }
        Location::Folder { volume: true, .. } => Ok(()),
    }
}

/// The driver of a target of the organization, after the engine's tenancy is checked.
pub(crate) async fn target_driver(
    app: &App,
    target: &Target,
) -> ApiResult<std::sync::Arc<dyn windflow_engine::driver::Driver>> {
    let driver = services::targets::driver(app, target)?;
    services::targets::tenancy::guard_engine(app, target, &driver, true, None).await?;
    Ok(driver)
}

// ---- repositories -------------------------------------------------------------------------

pub async fn list_repositories(
    app: &App,
    access: &OrgAccess,
) -> ApiResult<Vec<wire::BackupRepository>> {
    let mut out = Vec::new();
    for r in app.store.list_backup_repositories(&access.org.id).await? {
        out.push(wire_repository(app, &r).await?);
    }
    Ok(out)
}

async fn find_repository(app: &App, org_id: &str, name: &str) -> ApiResult<BackupRepositoryRecord> {
    app.store
        .find_backup_repository(org_id, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("backup repository {name}")))
}

pub async fn show_repository(
    app: &App,
    access: &OrgAccess,
    name: &str,
) -> ApiResult<wire::BackupRepository> {
    wire_repository(app, &find_repository(app, &access.org.id, name).await?).await
}

pub async fn create_repository(
    app: &App,
    access: &OrgAccess,
    request: wire::CreateBackupRepositoryRequest,
) -> ApiResult<wire::BackupRepository> {
    check_name(&request.name)?;
    if app
        .store
        .find_backup_repository(&access.org.id, &request.name)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict {
            message: format!("a backup repository named {} exists", request.name),
            field: Some("name".into()),
        });
    }
    let target = services::targets::find(app, &access.org.id, &request.target).await?;
    let location = from_wire_location(&request.location);
    check_location(app, access, &target, &location).await?;
    let credentials = Credentials {
        access_key_id: request.access_key_id.filter(|s| !s.is_empty()),
        secret_access_key: request.secret_access_key.filter(|s| !s.is_empty()),
        ssh_private_key: request.ssh_private_key.filter(|s| !s.is_empty()),
        ssh_known_hosts: request.ssh_known_hosts.filter(|s| !s.is_empty()),
    };
    if matches!(location, Location::S3 { .. })
        && (credentials.access_key_id.is_none() != credentials.secret_access_key.is_none())
    {
        return Err(ApiError::invalid(
            "secret_access_key",
            "give both access_key_id and secret_access_key, or neither",
        ));
    }
    if matches!(location, Location::Sftp { .. })
        && (credentials.ssh_private_key.is_none() || credentials.ssh_known_hosts.is_none())
    {
        return Err(ApiError::invalid(
            "ssh_known_hosts",
            "an SFTP repository needs ssh_private_key and the server's host key (ssh_known_hosts)",
        ));
    }
    let attach = request.password.is_some();
    let password = request
        .password
        .filter(|p| !p.is_empty())
        .unwrap_or_else(crate::auth::new_secret);
    let id = new_id();
    let repo = Repo {
        id: id.clone(),
        location: location.clone(),
        password: password.clone(),
        credentials: credentials.clone(),
    };
    // The repository must work before it is stored: initialized, or opened with the password.
    let driver = target_driver(app, &target).await?;
    let helper = Helper::new(driver, &app.config.backup_image, &format!("create-{id}"));
    let result = if attach {
        helper
            .restic_ok(
                &repo,
                windflow_backup::Invocation::probe(&location),
                &[],
                Default::default(),
            )
            .await
    } else {
        helper
            .restic_ok(
                &repo,
                windflow_backup::Invocation::init(&location),
                &[],
                Default::default(),
            )
            .await
    };
    helper.clean_up().await;
    if let Err(message) = result {
        return Err(ApiError::Invalid {
            message: format!(
                "the repository {} could not be {}: {message}",
                request.name,
                if attach { "opened" } else { "initialized" }
            ),
            errors: vec![wire::FieldError {
                field: "location".into(),
                message,
                line: None,
            }],
        });
    }
    let now = now_ms();
    let record = BackupRepositoryRecord {
        id: id.clone(),
        org_id: access.org.id.clone(),
        name: request.name.clone(),
        kind: location.kind().to_string(),
        settings: serde_json::to_value(RepoSettings {
            location,
            target_id: target.id.clone(),
        })
        .expect("settings serialize"),
        credentials: seal_credentials(&app.keyring, &id, &credentials),
        password: app
            .keyring
            .encrypt(&aad("password", &id), password.as_bytes()),
        initialized_at: Some(now),
        checked_at: None,
        check_ok: None,
        check_message: None,
        created_by: access.caller.user.id.clone(),
        created_at: now,
        updated_at: now,
    };
    let record = app.store.create_backup_repository(record).await?;
    services::audit::record_org(
        app,
        access,
        "backup.repository.create",
        &format!("backup/repositories/{}", record.name),
        json!({"kind": record.kind, "target": target.name, "attached": attach}),
    )
    .await;
    wire_repository(app, &record).await
}

pub async fn update_repository(
    app: &App,
    access: &OrgAccess,
    name: &str,
    request: wire::UpdateBackupRepositoryRequest,
) -> ApiResult<wire::BackupRepository> {
    let mut record = find_repository(app, &access.org.id, name).await?;
    if let Some(new_name) = &request.name {
        check_name(new_name)?;
        record.name = new_name.clone();
    }
    let changes_credentials = request.access_key_id.is_some()
        || request.secret_access_key.is_some()
        || request.ssh_private_key.is_some()
        || request.ssh_known_hosts.is_some();
    if changes_credentials {
        let (repo, _) = open_repo(app, &record)?;
        let mut c = repo.credentials;
        let set = |slot: &mut Option<String>, v: Option<String>| {
            if let Some(v) = v {
                *slot = Some(v).filter(|s| !s.is_empty());
            }
        };
        set(&mut c.access_key_id, request.access_key_id);
        set(&mut c.secret_access_key, request.secret_access_key);
        set(&mut c.ssh_private_key, request.ssh_private_key);
        set(&mut c.ssh_known_hosts, request.ssh_known_hosts);
        record.credentials = seal_credentials(&app.keyring, &record.id, &c);
    } else {
        record.credentials = None;
    }
    record.updated_at = now_ms();
    let updated = app.store.update_backup_repository(record).await?;
    services::audit::record_org(
        app,
        access,
        "backup.repository.update",
        &format!("backup/repositories/{}", updated.name),
        json!({"renamed_from": (updated.name != name).then_some(name), "credentials_changed": changes_credentials}),
    )
    .await;
    wire_repository(app, &updated).await
}

/// Removes the repository from WindFlow (its data stays where it is). Refused while a policy
/// uses it.
pub async fn delete_repository(app: &App, access: &OrgAccess, name: &str) -> ApiResult<()> {
    let record = find_repository(app, &access.org.id, name).await?;
    app.store
        .delete_backup_repository(&access.org.id, &record.id)
        .await?;
    services::audit::record_org(
        app,
        access,
        "backup.repository.delete",
        &format!("backup/repositories/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}

/// Queues an integrity check of the repository (`read_data`: the percentage read back).
pub async fn check_repository(
    app: &App,
    access: &OrgAccess,
    name: &str,
    read_data: u8,
) -> ApiResult<wire::BackupRun> {
    let record = find_repository(app, &access.org.id, name).await?;
    let run = enqueue(
        app,
        &access.org.id,
        None,
        &record.id,
        "check",
        "manual",
        &access.caller.user.id,
        json!({"read_data": read_data.min(100)}),
    )
    .await?;
    services::audit::record_org(
        app,
        access,
        "backup.check",
        &format!("backup/repositories/{name}"),
        json!({"run": run.id}),
    )
    .await;
    wire_run(app, &run).await
}

// ---- policies -----------------------------------------------------------------------------

/// The policy source the stored record came from.
fn source_of(record: &BackupPolicyRecord) -> &str {
    record
        .settings
        .get("source")
        .and_then(|s| s.as_str())
        .unwrap_or("api")
}

fn policy_of(record: &BackupPolicyRecord) -> ApiResult<Policy> {
    let mut value = record.settings.clone();
    if let Some(map) = value.as_object_mut() {
        map.remove("source");
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored backup policy: {e}")))
}

async fn stack_by_name(app: &App, org_id: &str, name: &str) -> ApiResult<Stack> {
    app.store
        .get_stack(org_id, name)
        .await
        .map_err(|e| match e {
            windflow_storage::StoreError::NotFound(_) => {
                ApiError::NotFound(format!("stack {name}"))
            }
            other => other.into(),
        })
}

/// The policy's problems as a 422.
fn invalid_policy(problems: Vec<(String, String)>) -> ApiError {
    ApiError::Invalid {
        message: format!(
            "the backup policy is not valid: {}",
            problems
                .iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        errors: problems
            .into_iter()
            .map(|(field, message)| wire::FieldError {
                field,
                message,
                line: None,
            })
            .collect(),
    }
}

/// When each scheduled operation of `policy` next runs, from `now`.
fn next_times(policy: &Policy, now: i64) -> (Option<i64>, Option<i64>, Option<i64>) {
    let zone = policy.timezone.as_deref();
    let next = |s: Option<&String>| {
        s.and_then(|s| Schedule::parse(s, zone).ok())
            .and_then(|s| s.next_after(now))
    };
    (
        next(policy.schedule.as_ref()),
        next(policy.check.as_ref().map(|c| &c.schedule)),
        next(policy.drill.as_ref().and_then(|d| d.schedule.as_ref())),
    )
}

/// Stores `policy` for `stack` (from `source`), with its next run times.
async fn store_policy(
    app: &App,
    org_id: &str,
    stack: &Stack,
    policy: &Policy,
    enabled: bool,
    source: &str,
    user_id: &str,
) -> ApiResult<BackupPolicyRecord> {
    let problems = policy.problems();
    if !problems.is_empty() {
        return Err(invalid_policy(problems));
    }
    let Some(repository) = &policy.repository else {
        return Err(ApiError::invalid(
            "x-windflow.backup.repository",
            "name the organization's backup repository to use",
        ));
    };
    let repo = app
        .store
        .find_backup_repository(org_id, repository)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "x-windflow.backup.repository",
                format!("the organization has no backup repository named {repository:?}"),
            )
        })?;
    let (b, c, d) = next_times(policy, now_ms());
    let mut settings = serde_json::to_value(policy).expect("policy serializes");
    settings["source"] = json!(source);
    Ok(app
        .store
        .set_backup_policy(BackupPolicyRecord {
            org_id: org_id.to_string(),
            stack_id: stack.id.clone(),
            repository_id: repo.id,
            enabled,
            settings,
            next_backup_at: b,
            next_check_at: c,
            next_drill_at: d,
            updated_by: user_id.to_string(),
            updated_at: now_ms(),
        })
        .await?)
}

/// Takes a new stack version's `x-windflow.backup` into effect (unless a policy set through
/// the API overrides it); removes a compose-declared policy the new version dropped.
/// Called when a stack version is written; a policy error is the caller's 422.
pub async fn sync_compose_policy(
    app: &App,
    org_id: &str,
    stack: &Stack,
    content: &str,
    user_id: &str,
) -> ApiResult<()> {
    let existing = app.store.get_backup_policy(&stack.id).await?;
    if existing.as_ref().is_some_and(|r| source_of(r) == "api") {
        return Ok(());
    }
    match Policy::from_compose("compose.yaml", content) {
        Ok(Some(policy)) => {
            store_policy(app, org_id, stack, &policy, true, "compose", user_id).await?;
        }
        Ok(None) => {
            if existing.is_some() {
                app.store.delete_backup_policy(&stack.id).await?;
            }
        }
        // The stack's validation reported these already (`stacks::content::validate`).
        Err(diagnostics) => {
            return Err(invalid_policy(
                diagnostics
                    .into_iter()
                    .map(|d| (d.path, d.message))
                    .collect(),
            ));
        }
    }
    Ok(())
}

/// Before a stack version is written: the repository its `x-windflow.backup` names must be
/// one of the organization's.
pub async fn check_compose_repository(app: &App, org_id: &str, content: &str) -> ApiResult<()> {
    if let Ok(Some(policy)) = Policy::from_compose("compose.yaml", content)
        && let Some(name) = &policy.repository
        && app
            .store
            .find_backup_repository(org_id, name)
            .await?
            .is_none()
    {
        return Err(ApiError::invalid(
            "x-windflow.backup.repository",
            format!(
                "the organization has no backup repository named {name:?} (add it first: windflow backup repo add)"
            ),
        ));
    }
    Ok(())
}

async fn wire_policy(
    app: &App,
    stack: &Stack,
    record: &BackupPolicyRecord,
) -> ApiResult<wire::BackupPolicy> {
    let policy = policy_of(record)?;
    let last = app
        .store
        .list_backup_runs(&record.org_id, Some(&stack.id), Some("backup"), 20)
        .await?
        .into_iter()
        .find(|r| r.status == "succeeded")
        .and_then(|r| r.finished_at);
    Ok(wire::BackupPolicy {
        stack: stack.name.clone(),
        source: source_of(record).to_string(),
        enabled: record.enabled,
        policy: serde_json::to_value(&policy).expect("policy serializes"),
        next_backup_at: convert::opt_time(record.next_backup_at),
        next_check_at: convert::opt_time(record.next_check_at),
        next_drill_at: convert::opt_time(record.next_drill_at),
        last_success_at: convert::opt_time(last),
    })
}

pub async fn get_policy(
    app: &App,
    access: &OrgAccess,
    stack: &str,
) -> ApiResult<wire::BackupPolicy> {
    let stack = stack_by_name(app, &access.org.id, stack).await?;
    let record = app
        .store
        .get_backup_policy(&stack.id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("backup policy of stack {}", stack.name)))?;
    wire_policy(app, &stack, &record).await
}

pub async fn set_policy(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    request: wire::SetBackupPolicyRequest,
) -> ApiResult<wire::BackupPolicy> {
    let stack = stack_by_name(app, &access.org.id, stack).await?;
    let policy: Policy = serde_json::from_value(request.policy)
        .map_err(|e| ApiError::invalid("policy", e.to_string()))?;
    let record = store_policy(
        app,
        &access.org.id,
        &stack,
        &policy,
        request.enabled,
        "api",
        &access.caller.user.id,
    )
    .await?;
    services::audit::record_org(
        app,
        access,
        "backup.policy.set",
        &format!("stacks/{}/backup", stack.name),
        json!({"repository": policy.repository, "schedule": policy.schedule, "enabled": request.enabled}),
    )
    .await;
    wire_policy(app, &stack, &record).await
}

/// Removes the API-set policy; the compose file's `x-windflow.backup` (if any) takes effect.
pub async fn delete_policy(app: &App, access: &OrgAccess, stack: &str) -> ApiResult<()> {
    let stack = stack_by_name(app, &access.org.id, stack).await?;
    app.store.delete_backup_policy(&stack.id).await?;
    let latest = app
        .store
        .get_stack_version(&access.org.id, &stack.id, stack.latest_version)
        .await?;
    sync_compose_policy(
        app,
        &access.org.id,
        &stack,
        &latest.content,
        &access.caller.user.id,
    )
    .await?;
    services::audit::record_org(
        app,
        access,
        "backup.policy.delete",
        &format!("stacks/{}/backup", stack.name),
        json!({}),
    )
    .await;
    Ok(())
}

// ---- runs ---------------------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub(crate) async fn enqueue(
    app: &App,
    org_id: &str,
    stack: Option<&Stack>,
    repository_id: &str,
    kind: &str,
    trigger: &str,
    user_id: &str,
    params: serde_json::Value,
) -> ApiResult<BackupRunRecord> {
    let run = app
        .store
        .create_backup_run(BackupRunRecord {
            id: new_id(),
            org_id: org_id.to_string(),
            stack_id: stack.map(|s| s.id.clone()),
            stack_name: stack.map(|s| s.name.clone()),
            repository_id: repository_id.to_string(),
            kind: kind.to_string(),
            status: "queued".into(),
            trigger: trigger.to_string(),
            requested_by: user_id.to_string(),
            params,
            result: json!({}),
            error: None,
            lease_owner: None,
            lease_expires_at: None,
            attempts: 0,
            cancel_requested: false,
            created_at: now_ms(),
            started_at: None,
            finished_at: None,
        })
        .await?;
    app.backup_wakeup.notify_one();
    Ok(run)
}

pub(crate) async fn wire_run(app: &App, r: &BackupRunRecord) -> ApiResult<wire::BackupRun> {
    let repository = app
        .store
        .get_backup_repository(&r.org_id, &r.repository_id)
        .await
        .map(|r| r.name)
        .unwrap_or_default();
    let requested_by = username(app, &r.requested_by).await;
    Ok(run_to_wire(r, repository, requested_by))
}

/// A user's name, or the id of one that no longer exists.
async fn username(app: &App, user_id: &str) -> String {
    app.store
        .get_user(user_id)
        .await
        .map(|u| u.username)
        .unwrap_or_else(|_| user_id.to_string())
}

/// The organization's repositories' names by id.
async fn repository_names(app: &App, org_id: &str) -> ApiResult<BTreeMap<String, String>> {
    Ok(app
        .store
        .list_backup_repositories(org_id)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect())
}

fn run_to_wire(r: &BackupRunRecord, repository: String, requested_by: String) -> wire::BackupRun {
    wire::BackupRun {
        id: r.id.clone(),
        kind: r.kind.clone(),
        status: r.status.clone(),
        trigger: r.trigger.clone(),
        stack: r.stack_name.clone(),
        repository,
        requested_by,
        params: r.params.clone(),
        result: r.result.clone(),
        error: r.error.clone(),
        attempts: r.attempts,
        created_at: convert::time(r.created_at),
        started_at: convert::opt_time(r.started_at),
        finished_at: convert::opt_time(r.finished_at),
    }
}

/// The policy of `stack`, or a 422 saying how to give it one.
async fn policy_for(app: &App, stack: &Stack) -> ApiResult<(BackupPolicyRecord, Policy)> {
    let record = app.store.get_backup_policy(&stack.id).await?.ok_or_else(|| {
        ApiError::invalid(
            "stack",
            format!(
                "the stack {} has no backup policy: declare x-windflow.backup in its compose file or set one (PUT …/stacks/{}/backup)",
                stack.name, stack.name
            ),
        )
    })?;
    let policy = policy_of(&record)?;
    Ok((record, policy))
}

pub async fn start_backup(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    request: wire::StartBackupRequest,
) -> ApiResult<wire::BackupRun> {
    start_on_stack(app, access, stack, "backup", request.target.as_deref()).await
}

/// Queues a backup or a drill of `stack` (on its target) by a member, audited.
async fn start_on_stack(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    kind: &str,
    target: Option<&str>,
) -> ApiResult<wire::BackupRun> {
    let stack = stack_by_name(app, &access.org.id, stack).await?;
    let (record, _) = policy_for(app, &stack).await?;
    let target = resolve_target(app, &access.org.id, &stack, target).await?;
    let run = enqueue(
        app,
        &access.org.id,
        Some(&stack),
        &record.repository_id,
        kind,
        "manual",
        &access.caller.user.id,
        json!({"target_id": target.id}),
    )
    .await?;
    services::audit::record_org(
        app,
        access,
        if kind == "drill" {
            "backup.drill"
        } else {
            "backup.run"
        },
        &format!("stacks/{}/backup", stack.name),
        json!({"run": run.id, "target": target.name}),
    )
    .await;
    wire_run(app, &run).await
}

/// The target `stack` runs on (the named one, or its only one).
pub(crate) async fn resolve_target(
    app: &App,
    org_id: &str,
    stack: &Stack,
    name: Option<&str>,
) -> ApiResult<Target> {
    let deployed = app
        .store
        .list_deployed(org_id, Some(&stack.id), None)
        .await?;
    match name {
        Some(name) => {
            let target = services::targets::find(app, org_id, name).await?;
            if !deployed.iter().any(|d| d.target_id == target.id) {
                return Err(ApiError::invalid(
                    "target",
                    format!("the stack {} is not deployed on {name}", stack.name),
                ));
            }
            Ok(target)
        }
        None => match deployed.as_slice() {
            [one] => Ok(app.store.get_target_by_id(org_id, &one.target_id).await?),
            [] => Err(ApiError::invalid(
                "target",
                format!(
                    "the stack {} is not deployed anywhere: there is nothing to back up or restore into",
                    stack.name
                ),
            )),
            several => Err(ApiError::invalid(
                "target",
                format!(
                    "the stack {} runs on {}: name the target",
                    stack.name,
                    several
                        .iter()
                        .map(|d| d.target_name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        },
    }
}

/// Plans a restore and, unless it is a dry run, queues it.
pub async fn restore(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    request: wire::RestoreRequest,
) -> ApiResult<wire::RestorePlan> {
    let source = stack_by_name(app, &access.org.id, stack).await?;
    let from = match &request.run {
        Some(id) => {
            let run = app
                .store
                .get_backup_run(&access.org.id, id)
                .await
                .map_err(|_| ApiError::NotFound(format!("backup run {id}")))?;
            if run.kind != "backup"
                || run.status != "succeeded"
                || run.stack_id.as_deref() != Some(&source.id)
            {
                return Err(ApiError::invalid(
                    "run",
                    format!("{id} is not a successful backup of {}", source.name),
                ));
            }
            run
        }
        None => app
            .store
            .list_backup_runs(&access.org.id, Some(&source.id), Some("backup"), 50)
            .await?
            .into_iter()
            .find(|r| r.status == "succeeded")
            .ok_or_else(|| {
                ApiError::invalid(
                    "run",
                    format!("the stack {} has no successful backup", source.name),
                )
            })?,
    };
    let snapshots = app.store.list_backup_snapshots_of_run(&from.id).await?;
    let chosen: Vec<&BackupSnapshotRecord> = snapshots
        .iter()
        .filter(|s| request.items.is_empty() || request.items.contains(&s.item))
        .collect();
    for item in &request.items {
        if !snapshots.iter().any(|s| &s.item == item) {
            return Err(ApiError::invalid(
                "items",
                format!(
                    "the backup {} holds no {item} (it holds: {})",
                    from.id,
                    snapshots
                        .iter()
                        .map(|s| s.item.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if !request.paths.is_empty() && chosen.iter().any(|s| s.kind == "database") {
        return Err(ApiError::invalid(
            "paths",
            "single paths restore from volume items only; name the volume in items",
        ));
    }
    for p in &request.paths {
        if p.is_empty() || p.starts_with('/') || p.split('/').any(|c| c == "..") {
            return Err(ApiError::invalid(
                "paths",
                format!("{p:?}: a path inside the volume, without a leading / or .."),
            ));
        }
    }
    let dest = match &request.into_stack {
        Some(name) => stack_by_name(app, &access.org.id, name).await?,
        None => source.clone(),
    };
    let target = resolve_target(app, &access.org.id, &dest, request.target.as_deref()).await?;
    let driver = target_driver(app, &target).await?;
    let containers = helper::containers(&driver, &dest.name)
        .await
        .map_err(|e| ApiError::Unavailable(format!("target {}: {e}", target.name)))?;
    let mut items = Vec::new();
    for s in &chosen {
        let (replaces, stops) = runner::destination(&dest.name, s, &containers)
            .map_err(|m| ApiError::invalid("items", m))?;
        items.push(wire::RestorePlanItem {
            item: s.item.clone(),
            snapshot: s.id.clone(),
            replaces,
            stops,
            size_bytes: s.size_bytes,
        });
    }
    let mut plan = wire::RestorePlan {
        from_run: from.id.clone(),
        stack: dest.name.clone(),
        target: target.name.clone(),
        items,
        run: None,
    };
    if !request.dry_run {
        let run = enqueue(
            app,
            &access.org.id,
            Some(&dest),
            &from.repository_id,
            "restore",
            "manual",
            &access.caller.user.id,
            json!({
                "from_run": from.id,
                "source_stack": source.name,
                "items": chosen.iter().map(|s| s.item.clone()).collect::<Vec<_>>(),
                "paths": request.paths,
                "target_id": target.id,
            }),
        )
        .await?;
        services::audit::record_org(
            app,
            access,
            "backup.restore",
            &format!("stacks/{}/backup", dest.name),
            json!({"run": run.id, "from_run": from.id, "from_stack": source.name, "items": plan.items.iter().map(|i| i.item.clone()).collect::<Vec<_>>()}),
        )
        .await;
        plan.run = Some(wire_run(app, &run).await?);
    }
    Ok(plan)
}

pub async fn start_drill(app: &App, access: &OrgAccess, stack: &str) -> ApiResult<wire::BackupRun> {
    start_on_stack(app, access, stack, "drill", None).await
}

pub async fn list_runs(
    app: &App,
    access: &OrgAccess,
    stack: Option<&str>,
    kind: Option<&str>,
) -> ApiResult<Vec<wire::BackupRun>> {
    let stack_id = match stack {
        Some(name) => Some(stack_by_name(app, &access.org.id, name).await?.id),
        None => None,
    };
    // Repository and user names are looked up once per list, not once per run.
    let repositories = repository_names(app, &access.org.id).await?;
    let mut users: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for r in app
        .store
        .list_backup_runs(&access.org.id, stack_id.as_deref(), kind, 200)
        .await?
    {
        if !users.contains_key(&r.requested_by) {
            let name = username(app, &r.requested_by).await;
            users.insert(r.requested_by.clone(), name);
        }
        let repository = repositories
            .get(&r.repository_id)
            .cloned()
            .unwrap_or_default();
        out.push(run_to_wire(&r, repository, users[&r.requested_by].clone()));
    }
    Ok(out)
}

pub async fn get_run(app: &App, access: &OrgAccess, id: &str) -> ApiResult<wire::BackupRun> {
    let run = app
        .store
        .get_backup_run(&access.org.id, id)
        .await
        .map_err(|_| ApiError::NotFound(format!("backup run {id}")))?;
    wire_run(app, &run).await
}

/// The run as it changes, until it ends: each distinct state once (polled every 500 ms; a
/// run's progress is written as it goes). For the console and `--wait`.
pub async fn follow_run(
    app: std::sync::Arc<App>,
    access: &OrgAccess,
    id: &str,
) -> ApiResult<impl futures::Stream<Item = wire::BackupRun> + use<>> {
    let first = get_run(&app, access, id).await?;
    let org_id = access.org.id.clone();
    let id = id.to_string();
    Ok(futures::stream::unfold(
        (app, org_id, id, Some(first), None::<String>, false),
        |(app, org_id, id, pending, last, done)| async move {
            if done {
                return None;
            }
            let mut pending = pending;
            loop {
                let run = match pending.take() {
                    Some(run) => run,
                    None => {
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        let record = app.store.get_backup_run(&org_id, &id).await.ok()?;
                        wire_run(&app, &record).await.ok()?
                    }
                };
                let key = serde_json::to_string(&(&run.status, &run.result, &run.error))
                    .unwrap_or_default();
                if last.as_deref() == Some(key.as_str()) {
                    continue;
                }
                let ended = matches!(run.status.as_str(), "succeeded" | "failed" | "cancelled");
                return Some((run, (app, org_id, id, None, Some(key), ended)));
            }
        },
    ))
}

pub async fn cancel_run(app: &App, access: &OrgAccess, id: &str) -> ApiResult<wire::BackupRun> {
    let run = app
        .store
        .request_backup_run_cancel(&access.org.id, id, now_ms())
        .await
        .map_err(|e| match e {
            windflow_storage::StoreError::NotFound(_) => {
                ApiError::NotFound(format!("backup run {id}"))
            }
            other => other.into(),
        })?;
    services::audit::record_org(
        app,
        access,
        "backup.cancel",
        &format!("backup/runs/{id}"),
        json!({}),
    )
    .await;
    wire_run(app, &run).await
}

fn wire_snapshot(s: &BackupSnapshotRecord, repository: &str) -> wire::BackupSnapshot {
    wire::BackupSnapshot {
        id: s.id.clone(),
        run: s.run_id.clone(),
        stack: s.stack_name.clone(),
        repository: repository.to_string(),
        item: s.item.clone(),
        kind: s.kind.clone(),
        engine: s.engine.clone(),
        path: s.path.clone(),
        files: s.files,
        size_bytes: s.size_bytes,
        added_bytes: s.added_bytes,
        duration_ms: s.duration_ms,
        created_at: convert::time(s.created_at),
    }
}

pub async fn list_snapshots(
    app: &App,
    access: &OrgAccess,
    stack: Option<&str>,
) -> ApiResult<Vec<wire::BackupSnapshot>> {
    let stack_id = match stack {
        Some(name) => Some(stack_by_name(app, &access.org.id, name).await?.id),
        None => None,
    };
    let repos = repository_names(app, &access.org.id).await?;
    Ok(app
        .store
        .list_backup_snapshots(&access.org.id, stack_id.as_deref(), 500)
        .await?
        .iter()
        .map(|s| {
            wire_snapshot(
                s,
                repos
                    .get(&s.repository_id)
                    .map(String::as_str)
                    .unwrap_or(""),
            )
        })
        .collect())
}

/// A snapshot, its repository opened, and a helper on the repository's target.
async fn snapshot_access(
    app: &App,
    access: &OrgAccess,
    id: &str,
) -> ApiResult<(BackupSnapshotRecord, Repo, Helper)> {
    let snapshot = app
        .store
        .get_backup_snapshot(&access.org.id, id)
        .await
        .map_err(|_| ApiError::NotFound(format!("snapshot {id}")))?;
    let record = app
        .store
        .get_backup_repository(&access.org.id, &snapshot.repository_id)
        .await?;
    let (repo, target_id) = open_repo(app, &record)?;
    let target = app
        .store
        .get_target_by_id(&access.org.id, &target_id)
        .await?;
    let driver = target_driver(app, &target).await?;
    let helper = Helper::new(
        driver,
        &app.config.backup_image,
        &format!("browse-{}", new_id()),
    );
    Ok((snapshot, repo, helper))
}

/// The path inside the snapshot of `relative` (a path inside the item), refusing escapes.
fn inside(snapshot: &BackupSnapshotRecord, relative: &str) -> ApiResult<String> {
    let relative = relative.trim_matches('/');
    if relative.split('/').any(|c| c == ".." || c == ".") || relative.contains('\0') {
        return Err(ApiError::invalid(
            "path",
            "a path inside the item, without . or ..",
        ));
    }
    Ok(if relative.is_empty() {
        snapshot.path.clone()
    } else {
        format!("{}/{relative}", snapshot.path.trim_end_matches('/'))
    })
}

/// The entries of a snapshot under `path` (a folder inside the item).
pub async fn browse(
    app: &App,
    access: &OrgAccess,
    id: &str,
    path: &str,
) -> ApiResult<Vec<wire::BackupEntry>> {
    let (snapshot, repo, helper) = snapshot_access(app, access, id).await?;
    let full = inside(&snapshot, path)?;
    let out = helper
        .restic_ok(
            &repo,
            windflow_backup::Invocation::ls(&repo.location, &snapshot.id, Some(&full)),
            &[],
            Default::default(),
        )
        .await;
    helper.clean_up().await;
    let out = out.map_err(ApiError::Unavailable)?;
    let prefix = format!("{}/", snapshot.path.trim_end_matches('/'));
    Ok(windflow_backup::restic::entries(&out.stdout_text())
        .into_iter()
        .filter(|e| e.path != full)
        // `ls` of a folder lists its whole tree: keep its direct children.
        .filter(|e| {
            e.path.rsplit_once('/').map(|(parent, _)| parent) == Some(full.trim_end_matches('/'))
        })
        .map(|e| wire::BackupEntry {
            name: e.name,
            kind: e.kind,
            path: e.path.strip_prefix(&prefix).unwrap_or(&e.path).to_string(),
            size: e.size,
            mtime: e.mtime,
        })
        .collect())
}

/// One file of a snapshot, streamed (`restic dump`). Needs `Configure`: a backup holds data a
/// viewer may not read.
pub async fn download(
    app: &App,
    access: &OrgAccess,
    id: &str,
    path: &str,
) -> ApiResult<(String, tokio::sync::mpsc::Receiver<bytes::Bytes>)> {
    let (snapshot, repo, helper) = snapshot_access(app, access, id).await?;
    let full = if snapshot.kind == "database" {
        snapshot.path.clone()
    } else {
        inside(&snapshot, path)?
    };
    let name = full.rsplit('/').next().unwrap_or("file").to_string();
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    services::audit::record_org(
        app,
        access,
        "backup.download",
        &format!("backup/snapshots/{id}"),
        json!({"path": full}),
    )
    .await;
    tokio::spawn(async move {
        let io = windflow_engine::task::TaskIo {
            stdin: None,
            stdout: Some(tx),
        };
        let result = helper
            .restic(
                &repo,
                windflow_backup::Invocation::dump(&repo.location, &snapshot.id, &full),
                &[],
                io,
            )
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "streaming a backup file");
        }
        helper.clean_up().await;
    });
    Ok((name, rx))
}

// ---- schedules and metrics ------------------------------------------------------------------

/// Queues what is due: scheduled backups, checks and drills (one of each kind per stack at a
/// time), and moves each policy's next times on.
pub async fn schedule_due(app: &App) {
    let now = now_ms();
    let due = match app.store.list_due_backup_policies(now).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "listing due backup policies");
            return;
        }
    };
    for record in due {
        let Ok(policy) = policy_of(&record) else {
            continue;
        };
        let Ok(stack) = app
            .store
            .get_stack_by_id(&record.org_id, &record.stack_id)
            .await
        else {
            continue;
        };
        let (b, c, d) = next_times(&policy, now);
        for (kind, at) in [
            ("backup", record.next_backup_at),
            ("check", record.next_check_at),
            ("drill", record.next_drill_at),
        ] {
            if at.is_none_or(|t| t > now) {
                continue;
            }
            match app.store.active_backup_run(&stack.id, kind).await {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "checking for an active backup run");
                    continue;
                }
            }
            let params = match kind {
                "check" => {
                    json!({"read_data": policy.check.as_ref().map(|c| c.read_data).unwrap_or(0)})
                }
                _ => json!({}),
            };
            let on = if kind == "check" { None } else { Some(&stack) };
            if let Err(e) = enqueue(
                app,
                &record.org_id,
                on,
                &record.repository_id,
                kind,
                "schedule",
                &record.updated_by,
                params,
            )
            .await
            {
                tracing::warn!(error = %e, stack = %stack.name, kind, "queueing a scheduled backup operation");
            }
        }
        if let Err(e) = app
            .store
            .set_backup_policy_schedule(&record.stack_id, b, c, d)
            .await
        {
            tracing::warn!(error = %e, "recording the next backup times");
        }
    }
}

/// `windflow_backup_last_success_timestamp_seconds{org,stack}`.
pub async fn publish_metrics(app: &App) {
    match app.store.last_backup_successes().await {
        Ok(list) => {
            for (org_id, _stack_id, stack_name, at) in list {
                metrics::gauge!("windflow_backup_last_success_timestamp_seconds", "org" => org_id, "stack" => stack_name)
                    .set(at as f64 / 1000.0);
            }
        }
        Err(e) => tracing::warn!(error = %e, "reading the last backups for metrics"),
    }
}
