//! AI through the organization's OpenAI-compatible provider: its settings (the API key
//! sealed, write-only), and the three uses — generate a stack from a description, diagnose a
//! failed deployment, propose optimizations for a stack. `windflow_ai` talks to the model;
//! this service decides who may, within which budget, against which checks, and records
//! every call.
//!
//! Guarantees: every prompt passes a redactor holding the organization's secret values; a
//! generated or proposed compose file is shown only after WindFlow's own loader, the
//! organization's host-access policy and the advisor accept it; every call is rate limited
//! per organization, counted against the monthly token budget, written to `ai_requests` and
//! the audit log; dropping the request (closing the connection) cancels the call. The
//! provider's address is checked like a webhook's: loopback, private and link-local
//! addresses only when a server administrator allowed them (`--ai-allow-endpoint`), so an
//! organization cannot point the server at its own network.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use windflow_ai::{
    CatalogHint, DiagnoseInput, GenerateRequest, OptimizeInput, Problem, Progress, Provider,
    ProviderConfig, Redactor, TargetHint,
};
use windflow_protocol as wire;
use windflow_storage::{AiProviderRecord, AiRequestRow, Target};

use crate::auth::OrgAccess;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{App, new_id, now_ms};

const DEFAULT_TIMEOUT_S: u64 = 120;
const DEFAULT_MAX_TOKENS: u32 = 4096;

/// What `ai_providers.settings` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Settings {
    timeout_s: u64,
    max_tokens: u32,
    #[serde(default)]
    monthly_token_budget: i64,
    #[serde(default)]
    json_schema: bool,
}

/// The associated data binding a provider's sealed key to its organization.
fn secret_aad(org_id: &str) -> Vec<u8> {
    format!("windflow-ai-provider/v1\0{org_id}").into_bytes()
}

// ---- settings -------------------------------------------------------------------------------

fn settings_of(record: &AiProviderRecord) -> Settings {
    serde_json::from_value(record.settings.clone()).unwrap_or(Settings {
        timeout_s: DEFAULT_TIMEOUT_S,
        max_tokens: DEFAULT_MAX_TOKENS,
        monthly_token_budget: 0,
        json_schema: false,
    })
}

/// The first millisecond of the current calendar month (UTC).
fn month_start(now_ms: i64) -> i64 {
    let now = convert::time(now_ms);
    let start = now
        .replace_day(1)
        .map(|d| d.replace_time(time::Time::MIDNIGHT))
        .unwrap_or(now);
    (start.unix_timestamp_nanos() / 1_000_000) as i64
}

async fn wire_provider(app: &App, record: &AiProviderRecord) -> ApiResult<wire::AiProvider> {
    let settings = settings_of(record);
    let used = app
        .store
        .ai_tokens_since(&record.org_id, month_start(now_ms()))
        .await?;
    Ok(wire::AiProvider {
        base_url: record.base_url.clone(),
        model: record.model.clone(),
        api_key_set: record.secret.is_some(),
        timeout_s: settings.timeout_s,
        max_tokens: settings.max_tokens,
        monthly_token_budget: settings.monthly_token_budget,
        tokens_this_month: used,
        json_schema: settings.json_schema,
    })
}

/// The organization's provider, or `None`: AI features are then hidden.
pub async fn get(app: &App, access: &OrgAccess) -> ApiResult<Option<wire::AiProvider>> {
    match app.store.get_ai_provider(&access.org.id).await? {
        Some(record) => Ok(Some(wire_provider(app, &record).await?)),
        None => Ok(None),
    }
}

/// Checks a provider base URL: http(s), a host, no credentials in it.
fn check_base_url(base_url: &str) -> ApiResult<reqwest::Url> {
    let url = reqwest::Url::parse(base_url.trim())
        .map_err(|e| ApiError::invalid("base_url", format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::invalid(
            "base_url",
            "use an http:// or https:// URL (an OpenAI-compatible endpoint such as https://api.openai.com/v1)",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::invalid("base_url", "the URL names no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::invalid(
            "base_url",
            "put the API key in api_key, not in the URL",
        ));
    }
    Ok(url)
}

pub async fn set(
    app: &App,
    access: &OrgAccess,
    request: wire::SetAiProviderRequest,
) -> ApiResult<wire::AiProvider> {
    check_base_url(&request.base_url)?;
    if request.model.trim().is_empty() || request.model.len() > 200 {
        return Err(ApiError::invalid(
            "model",
            "name the model (1 to 200 characters)",
        ));
    }
    let timeout_s = request.timeout_s.unwrap_or(DEFAULT_TIMEOUT_S);
    if !(1..=900).contains(&timeout_s) {
        return Err(ApiError::invalid("timeout_s", "between 1 and 900 seconds"));
    }
    let max_tokens = request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    if !(64..=200_000).contains(&max_tokens) {
        return Err(ApiError::invalid("max_tokens", "between 64 and 200000"));
    }
    let budget = request.monthly_token_budget.unwrap_or(0);
    if budget < 0 {
        return Err(ApiError::invalid(
            "monthly_token_budget",
            "0 (no limit) or more",
        ));
    }
    let settings = Settings {
        timeout_s,
        max_tokens,
        monthly_token_budget: budget,
        json_schema: request.json_schema,
    };
    let org = &access.org.id;
    let clear_key = request.api_key.as_deref() == Some("");
    let secret = match request.api_key.as_deref() {
        Some(key) if !key.is_empty() => {
            if key.len() > 4096 {
                return Err(ApiError::invalid("api_key", "longer than 4096 characters"));
            }
            Some(app.keyring.encrypt(&secret_aad(org), key.as_bytes()))
        }
        _ => None,
    };
    if clear_key {
        // The upsert keeps a stored key when none is given: clearing is a delete first.
        let _ = app.store.delete_ai_provider(org).await;
    }
    let record = app
        .store
        .set_ai_provider(AiProviderRecord {
            org_id: org.clone(),
            base_url: request.base_url.trim().to_string(),
            model: request.model.trim().to_string(),
            settings: serde_json::to_value(&settings).map_err(ApiError::internal)?,
            secret,
            updated_by: access.caller.user.id.clone(),
            updated_at: now_ms(),
        })
        .await?;
    services::audit::record_org(
        app,
        access,
        "ai.provider.set",
        "ai/provider",
        json!({
            "base_url": record.base_url,
            "model": record.model,
            "api_key_changed": request.api_key.is_some(),
        }),
    )
    .await;
    wire_provider(app, &record).await
}

pub async fn delete(app: &App, access: &OrgAccess) -> ApiResult<()> {
    app.store
        .delete_ai_provider(&access.org.id)
        .await
        .map_err(|_| ApiError::NotFound("AI provider".into()))?;
    services::audit::record_org(app, access, "ai.provider.delete", "ai/provider", json!({})).await;
    Ok(())
}

pub async fn requests(app: &App, access: &OrgAccess) -> ApiResult<Vec<wire::AiRequestRecord>> {
    let rows = app.store.list_ai_requests(&access.org.id, 200).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let name = match names.get(&row.user_id) {
            Some(name) => name.clone(),
            None => {
                let name = app
                    .store
                    .get_user(&row.user_id)
                    .await
                    .map(|u| u.username)
                    .unwrap_or_else(|_| row.user_id.clone());
                names.insert(row.user_id.clone(), name.clone());
                name
            }
        };
        out.push(convert::ai_request(row, name));
    }
    Ok(out)
}

/// Key rotation: every provider's key sealed again under the keyring's current key.
pub async fn reseal_all(
    store: &dyn windflow_storage::Store,
    keyring: &crate::secrets::Keyring,
) -> anyhow::Result<usize> {
    let mut count = 0;
    for provider in store.list_all_ai_providers().await? {
        let Some(sealed) = &provider.secret else {
            continue;
        };
        let aad = secret_aad(&provider.org_id);
        let plain = keyring.decrypt(&aad, sealed)?;
        store
            .replace_ai_provider_secret(&provider.org_id, keyring.encrypt(&aad, &plain))
            .await?;
        count += 1;
    }
    Ok(count)
}

// ---- calling the model ----------------------------------------------------------------------

/// Refuses a provider URL that resolves to an internal address, unless a server
/// administrator allowed its prefix.
async fn check_endpoint(app: &App, base_url: &str) -> ApiResult<()> {
    let url = check_base_url(base_url)?;
    crate::egress::check(
        &app.config.ai_allowed_endpoints,
        base_url,
        &url,
        "the AI provider",
        "--ai-allow-endpoint",
    )
    .await
}

/// An open provider with everything a call needs.
struct Call<'a> {
    app: &'a App,
    access: &'a OrgAccess,
    provider: Provider,
    model: String,
    _permit: crate::ai_limiter::AiPermit<'a>,
    started: Instant,
    /// What [`Call::record`] is for: set once the call is recorded. A call dropped before
    /// (the client closed the stream) is recorded as cancelled by `Drop`.
    kind: &'static str,
    recorded: bool,
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if self.recorded {
            return;
        }
        // Cancelled mid-call (the request's future was dropped): record it from a task of its
        // own, since nothing awaits here. The tokens spent are not known.
        let store = self.app.store.clone();
        let row = self.row(self.kind, None, "cancelled");
        let audit = windflow_storage::NewAuditEntry {
            id: new_id(),
            org_id: Some(self.access.org.id.clone()),
            actor_id: Some(self.access.caller.user.id.clone()),
            actor: self.access.caller.user.username.clone(),
            action: format!("ai.{}", self.kind),
            resource: format!("ai/{}", self.kind),
            detail: json!({"model": self.model, "outcome": "cancelled",
                "duration_ms": row.duration_ms}),
            ip: self.access.caller.ip.clone(),
            at: now_ms(),
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = store.record_ai_request(row).await {
                    tracing::warn!(error = %e, "recording a cancelled AI call");
                }
                let _ = store.append_audit(audit).await;
            });
        }
    }
}

/// The organization's provider, opened: 404 without one, 429 past the rate or the budget.
async fn open<'a>(app: &'a App, access: &'a OrgAccess, kind: &'static str) -> ApiResult<Call<'a>> {
    let Some(record) = app.store.get_ai_provider(&access.org.id).await? else {
        return Err(ApiError::NotFound(
            "AI provider (an organization admin sets one: PUT /orgs/{org}/ai/provider)".into(),
        ));
    };
    let settings = settings_of(&record);
    if settings.monthly_token_budget > 0 {
        let used = app
            .store
            .ai_tokens_since(&access.org.id, month_start(now_ms()))
            .await?;
        if used >= settings.monthly_token_budget {
            return Err(ApiError::Forbidden(format!(
                "the organization used its AI token budget for this month ({used} of {})",
                settings.monthly_token_budget
            )));
        }
    }
    check_endpoint(app, &record.base_url).await?;
    let permit = app.ai_limiter.acquire(&access.org.id)?;
    let mut config = ProviderConfig::new(&record.base_url, &record.model);
    config.timeout = Duration::from_secs(settings.timeout_s);
    config.max_tokens = Some(settings.max_tokens);
    config.json_schema = settings.json_schema;
    if let Some(sealed) = &record.secret {
        let key = app
            .keyring
            .decrypt(&secret_aad(&access.org.id), sealed)
            .map_err(ApiError::internal)?;
        config = config.with_api_key(String::from_utf8(key).map_err(ApiError::internal)?);
    }
    let secrets = services::containers::org_secret_values(app, &access.org.id).await?;
    let provider = Provider::new(config)
        .map_err(|e| ApiError::invalid("base_url", e.to_string()))?
        .with_redactor(Redactor::new(secrets));
    Ok(Call {
        app,
        access,
        provider,
        model: record.model,
        _permit: permit,
        started: Instant::now(),
        kind,
        recorded: false,
    })
}

impl Call<'_> {
    fn row(&self, kind: &str, usage: Option<&windflow_ai::Usage>, outcome: &str) -> AiRequestRow {
        let (prompt, completion) = usage.map_or((0, 0), |u| {
            (u.prompt_tokens as i64, u.completion_tokens as i64)
        });
        AiRequestRow {
            id: new_id(),
            org_id: self.access.org.id.clone(),
            user_id: self.access.caller.user.id.clone(),
            kind: kind.to_string(),
            model: self.model.clone(),
            prompt_tokens: prompt,
            completion_tokens: completion,
            duration_ms: self.started.elapsed().as_millis() as i64,
            outcome: outcome.to_string(),
            created_at: now_ms(),
        }
    }

    /// Records the call (tokens, time, outcome) in `ai_requests` and the audit log.
    async fn record(
        &mut self,
        kind: &str,
        resource: &str,
        usage: Option<&windflow_ai::Usage>,
        outcome: &str,
    ) {
        self.recorded = true;
        let row = self.row(kind, usage, outcome);
        let (prompt, completion, duration_ms) =
            (row.prompt_tokens, row.completion_tokens, row.duration_ms);
        if let Err(e) = self.app.store.record_ai_request(row).await {
            tracing::warn!(error = %e, "recording an AI call");
        }
        services::audit::record_org(
            self.app,
            self.access,
            &format!("ai.{kind}"),
            resource,
            json!({
                "model": self.model,
                "endpoint": self.provider.endpoint(),
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "duration_ms": duration_ms,
                "outcome": outcome,
            }),
        )
        .await;
    }
}

/// The short name of an AI error, for the call log.
fn outcome_of(error: &windflow_ai::AiError) -> &'static str {
    use windflow_ai::AiError as E;
    match error {
        E::Config(_) => "config",
        E::Unreachable { .. } => "unreachable",
        E::Unauthorized { .. } => "unauthorized",
        E::Timeout { .. } => "timeout",
        E::Truncated { .. } => "truncated",
        E::Malformed(_) => "malformed",
        E::RateLimited { .. } => "rate_limited",
        E::Server { .. } => "provider_error",
        E::Cancelled => "cancelled",
        E::NoValidStack { .. } => "no_valid_stack",
    }
}

fn api_error(error: windflow_ai::AiError) -> ApiError {
    use windflow_ai::AiError as E;
    match error {
        E::Config(message) => ApiError::invalid("base_url", message),
        E::NoValidStack { .. } => ApiError::Invalid {
            message: error.to_string(),
            errors: Vec::new(),
        },
        E::Timeout { .. } => ApiError::Unavailable(error.to_string()),
        other => ApiError::BadGateway(other.to_string()),
    }
}

/// A problem as the API and the model read it.
fn problem_line(p: &Problem) -> String {
    match p.line {
        Some(line) => format!("{}:{line}: {}: {}", p.file, p.field, p.message),
        None => format!("{}: {}: {}", p.file, p.field, p.message),
    }
}

/// WindFlow's check of a proposed compose file: the loader (isolated, with the organization's
/// variables), the host-access `policy`, and the advisor (error-level findings reject it).
fn stack_check(
    project: &str,
    environment: &std::collections::BTreeMap<String, String>,
    policy: &windflow_domain::policy::HostAccessPolicy,
    text: &str,
) -> Vec<Problem> {
    let file = "compose.yaml";
    let loaded = match services::stacks::load(project, text, environment.clone()) {
        Ok(loaded) => loaded,
        Err(diagnostics) => {
            return diagnostics
                .iter()
                .map(|d| Problem::error(file, d.line, d.path.clone(), d.message.clone()))
                .collect();
        }
    };
    let mut problems: Vec<Problem> = loaded
        .warnings
        .iter()
        .map(|d| Problem::warning(file, d.line, d.path.clone(), d.message.clone()))
        .collect();
    for refused in services::policies::violations(text, &loaded.stack, policy) {
        problems.push(Problem::error(
            file,
            refused.line.map(|l| l as usize),
            refused.field,
            format!(
                "refused by the organization's host-access policy: {}",
                refused.message
            ),
        ));
    }
    for finding in windflow_advisor::advise_loaded(text, &loaded.stack) {
        let message = format!(
            "[{}] {} (fix: {})",
            finding.rule, finding.message, finding.fix
        );
        problems.push(match finding.severity {
            windflow_advisor::Severity::Error => {
                Problem::error(file, finding.line, finding.field, message)
            }
            _ => Problem::warning(file, finding.line, finding.field, message),
        });
    }
    problems
}

/// The environment and policy to check a proposal of the organization (for a stack or not).
async fn check_context(
    app: &App,
    access: &OrgAccess,
    stack_id: Option<&str>,
    target: Option<&Target>,
) -> ApiResult<(
    std::collections::BTreeMap<String, String>,
    windflow_domain::policy::HostAccessPolicy,
)> {
    let environment =
        services::stacks::validation_environment(app.store.as_ref(), &access.org.id, stack_id)
            .await?;
    let policies =
        services::policies::OrgPolicies::load(app.store.as_ref(), &access.org.id).await?;
    let policy = match target {
        Some(target) => policies.effective(target.environment_id.as_deref(), target),
        None => policies.organization.clone(),
    };
    Ok((environment, policy))
}

fn target_hint(target: &Target) -> TargetHint {
    let info = target
        .info
        .clone()
        .and_then(|v| serde_json::from_value::<windflow_domain::observed::EngineInfo>(v).ok());
    TargetHint {
        cpus: info.as_ref().map(|i| i.cpus as f64),
        memory_bytes: info
            .as_ref()
            .map(|i| i.memory_bytes.saturating_sub(i.reserved_memory_bytes)),
        free_disk_bytes: info.as_ref().and_then(|i| i.free_disk_bytes),
        kind: target.kind.as_str().to_string(),
    }
}

/// Catalog templates offered to the model as known-good starting points.
async fn catalog_hints(app: &App) -> Vec<CatalogHint> {
    services::catalog::hints(app).await
}

/// Generates a stack from `request.description`: the model's answer loaded, checked and
/// repaired in a loop; the result planned against the target when one is named. `progress`
/// receives each step as it happens (the SSE stream).
pub async fn generate(
    app: &App,
    access: &OrgAccess,
    request: wire::AiGenerateRequest,
    mut progress: impl FnMut(serde_json::Value),
) -> ApiResult<wire::AiGenerated> {
    let description = request.description.trim();
    if description.is_empty() || description.len() > 8000 {
        return Err(ApiError::invalid(
            "description",
            "describe the stack in 1 to 8000 characters",
        ));
    }
    let max_rounds = request.max_rounds.unwrap_or(3);
    if !(1..=5).contains(&max_rounds) {
        return Err(ApiError::invalid("max_rounds", "between 1 and 5"));
    }
    let target = match &request.target {
        Some(name) => Some(services::targets::find(app, &access.org.id, name).await?),
        None => None,
    };
    let mut call = open(app, access, "generate").await?;
    let (environment, policy) = check_context(app, access, None, target.as_ref()).await?;
    let mut ask = GenerateRequest::new(description);
    ask.max_rounds = max_rounds as usize;
    ask.context = catalog_hints(app).await;
    ask.target = target.as_ref().map(target_hint);
    let check = |text: &str| stack_check("generated", &environment, &policy, text);
    let result = windflow_ai::generate(&call.provider, &ask, check, |p| {
        progress(match p {
            Progress::Asking { round, max_rounds } => {
                json!({"step": "asking", "round": round, "max_rounds": max_rounds})
            }
            Progress::Answered {
                round,
                usage,
                duration,
            } => json!({
                "step": "answered", "round": round,
                "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                "duration_ms": duration.as_millis() as u64,
            }),
            Progress::Checked {
                round,
                errors,
                warnings,
            } => json!({"step": "checked", "round": round, "errors": errors, "warnings": warnings}),
        })
    })
    .await;
    let generated = match result {
        Ok(generated) => generated,
        Err(error) => {
            call.record("generate", "ai/generate", None, outcome_of(&error))
                .await;
            return Err(api_error(error));
        }
    };
    call.record("generate", "ai/generate", Some(&generated.usage), "ok")
        .await;
    let advice = match services::stacks::load("generated", &generated.compose, environment.clone())
    {
        Ok(loaded) => services::stacks::advice(&generated.compose, &loaded.stack),
        Err(_) => Vec::new(),
    };
    let plan = match &target {
        Some(target) => {
            progress(json!({"step": "planning", "target": target.name}));
            match services::deployments::plan_content(
                app,
                &access.org.id,
                "generated",
                None,
                &generated.compose,
                target,
            )
            .await
            {
                Ok(plan) => plan.describe(),
                Err(e) => vec![format!("not planned: {e}")],
            }
        }
        None => Vec::new(),
    };
    Ok(wire::AiGenerated {
        compose: generated.compose,
        rounds: generated
            .rounds
            .iter()
            .enumerate()
            .map(|(i, r)| wire::AiRound {
                round: i as u32 + 1,
                problems: r.problems.iter().map(problem_line).collect(),
            })
            .collect(),
        advice,
        plan,
        model: call.model.clone(),
        prompt_tokens: generated.usage.prompt_tokens as i64,
        completion_tokens: generated.usage.completion_tokens as i64,
    })
}

/// The last log lines of each service of a deployment's stack on its target (none when the
/// target cannot be read: the diagnosis goes on without them).
async fn last_logs(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    target: &str,
) -> Vec<(String, Vec<String>)> {
    let query = wire::LogQuery {
        target: target.to_string(),
        service: None,
        follow: false,
        tail: Some(windflow_ai::assist::MAX_LOG_LINES as u64),
        since: None,
    };
    let Ok(Ok(mut lines)) = tokio::time::timeout(
        Duration::from_secs(5),
        services::containers::stack_logs(app, access, stack, &query),
    )
    .await
    else {
        return Vec::new();
    };
    let mut by_service: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(line)) = tokio::time::timeout_at(deadline, lines.next()).await {
        by_service.entry(line.service).or_default().push(line.text);
    }
    by_service.into_iter().collect()
}

/// A model's diagnosis of a failed deployment: cause, and a fix as a compose diff that
/// WindFlow's checks accept (the user applies it as a new stack version).
pub async fn diagnose(
    app: &App,
    access: &OrgAccess,
    deployment_id: &str,
) -> ApiResult<wire::AiDiagnosis> {
    let org = &access.org.id;
    let deployment = app
        .store
        .get_deployment(org, deployment_id)
        .await
        .map_err(|_| ApiError::NotFound(format!("deployment {deployment_id}")))?;
    let content = app
        .store
        .get_stack_version(org, &deployment.stack_id, deployment.stack_version)
        .await?
        .content;
    let mut events: Vec<String> = app
        .store
        .list_deployment_events(&deployment.id, 0, 400)
        .await?
        .into_iter()
        .map(|e| event_line(&e.data))
        .filter(|line| !line.is_empty())
        .collect();
    // The deployment's error holds the failing container's last log lines, which are gone
    // with the container after a rollback.
    events.push(format!(
        "deployment {} ended {}: {}",
        deployment.id,
        deployment.state,
        deployment.error.as_deref().unwrap_or("(no error recorded)")
    ));
    let target = services::targets::find(app, org, &deployment.target_name)
        .await
        .ok();
    let (environment, policy) =
        check_context(app, access, Some(&deployment.stack_id), target.as_ref()).await?;
    let findings =
        match services::stacks::load(&deployment.stack_name, &content, environment.clone()) {
            Ok(loaded) => services::stacks::advice(&content, &loaded.stack)
                .into_iter()
                .map(|a| format!("{} {}: {}", a.severity, a.rule, a.message))
                .collect(),
            Err(diagnostics) => diagnostics
                .iter()
                .map(|d| format!("error: {}: {}", d.path, d.message))
                .collect(),
        };
    let logs = last_logs(app, access, &deployment.stack_name, &deployment.target_name).await;
    let mut call = open(app, access, "diagnose").await?;
    let input = DiagnoseInput {
        compose: content.clone(),
        plan_summary: deployment
            .plan
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        events,
        logs,
        findings,
    };
    let project = deployment.stack_name.clone();
    let check = |text: &str| stack_check(&project, &environment, &policy, text);
    let resource = format!("deployment/{}", deployment.id);
    match windflow_ai::diagnose(&call.provider, &input, check).await {
        Ok(diagnosis) => {
            call.record("diagnose", &resource, Some(&diagnosis.usage), "ok")
                .await;
            Ok(wire::AiDiagnosis {
                cause: diagnosis.cause,
                compose: diagnosis.fix_compose,
                diff: diagnosis.diff,
                model: call.model.clone(),
            })
        }
        Err(error) => {
            call.record("diagnose", &resource, None, outcome_of(&error))
                .await;
            Err(api_error(error))
        }
    }
}

/// One deployment event as a line for the model.
fn event_line(data: &serde_json::Value) -> String {
    let kind = data.get("event").and_then(|v| v.as_str()).unwrap_or("");
    let text = ["message", "error", "detail", "state", "step", "service"]
        .iter()
        .filter_map(|k| data.get(*k))
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    if kind.is_empty() && text.is_empty() {
        String::new()
    } else {
        format!("{kind}: {text}")
    }
}

/// Proposals for a stack's newest version (limits, healthchecks, image pinning), as a diff
/// the user may apply; nothing is changed here.
pub async fn optimize(
    app: &App,
    access: &OrgAccess,
    stack_name: &str,
) -> ApiResult<wire::AiProposal> {
    let org = &access.org.id;
    let stack = services::stacks::find(app, org, stack_name).await?;
    let content = app
        .store
        .get_stack_version(org, &stack.id, stack.latest_version)
        .await?
        .content;
    let (environment, policy) = check_context(app, access, Some(&stack.id), None).await?;
    let advice = match services::stacks::load(&stack.name, &content, environment.clone()) {
        Ok(loaded) => services::stacks::advice(&content, &loaded.stack),
        Err(_) => Vec::new(),
    };
    let mut call = open(app, access, "optimize").await?;
    // What the stack uses now where it runs (the first target it is deployed on that can be
    // read): the model sizes limits from it.
    let mut usage = Vec::new();
    for deployed in app.store.list_deployed(org, Some(&stack.id), None).await? {
        if let Ok(found) =
            services::containers::stack_usage(app, access, &stack.name, &deployed.target_name).await
        {
            usage = found
                .into_iter()
                .map(
                    |(service, memory_peak_bytes, cpu)| windflow_ai::ServiceUsage {
                        service,
                        memory_peak_bytes,
                        cpu,
                    },
                )
                .collect();
            break;
        }
    }
    let input = OptimizeInput {
        compose: content,
        usage,
        findings: advice
            .iter()
            .map(|a| format!("{} {}: {} (fix: {})", a.severity, a.rule, a.message, a.fix))
            .collect(),
    };
    let project = stack.name.clone();
    let check = |text: &str| stack_check(&project, &environment, &policy, text);
    let resource = format!("stack/{}", stack.name);
    match windflow_ai::optimize(&call.provider, &input, check).await {
        Ok(proposal) => {
            call.record("optimize", &resource, Some(&proposal.usage), "ok")
                .await;
            Ok(wire::AiProposal {
                summary: proposal.summary,
                compose: proposal.compose,
                diff: proposal.diff,
                advice,
                model: call.model.clone(),
            })
        }
        Err(error) => {
            call.record("optimize", &resource, None, outcome_of(&error))
                .await;
            Err(api_error(error))
        }
    }
}

/// Answers a free prompt from a workflow's `ai` node (the organization's provider, budget and
/// rate limit, recorded like every call). The model sees only the prompt the workflow wrote.
pub async fn prompt(
    app: &App,
    access: &OrgAccess,
    prompt: &str,
    resource: &str,
) -> ApiResult<String> {
    if prompt.trim().is_empty() || prompt.len() > 32_000 {
        return Err(ApiError::invalid(
            "prompt",
            "write a prompt of 1 to 32000 characters",
        ));
    }
    let mut call = open(app, access, "workflow").await?;
    let messages = [
        windflow_ai::Message::system(
            "You help operate container deployments. Answer briefly and concretely.",
        ),
        windflow_ai::Message::user(prompt),
    ];
    match call
        .provider
        .chat(&messages, &windflow_ai::ChatOptions::default())
        .await
    {
        Ok(answer) => {
            call.record("workflow", resource, Some(&answer.usage), "ok")
                .await;
            Ok(answer.text)
        }
        Err(error) => {
            call.record("workflow", resource, None, outcome_of(&error))
                .await;
            Err(api_error(error))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert!(check_base_url("https://api.openai.com/v1").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("file:///etc/passwd").is_err());
        assert!(check_base_url("https://user:key@api.example.com").is_err());
        assert!(check_base_url("not a url").is_err());
    }

    #[test]
    fn month_starts_at_midnight_on_the_first() {
        // 2026-12-07T04:00:00Z → 2026-12-01T00:00:00Z
        assert_eq!(month_start(1_796_616_000_000), 1_796_083_200_000);
    }
}
