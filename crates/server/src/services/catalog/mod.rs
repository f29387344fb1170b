//! The template catalog as organizations see it: WindFlow's built-in templates and those
//! imported from the server's catalog sources ([`sources`]), deployed as normal stacks.
//!
//! Deploying a template resolves its inputs (`windflow_catalog::resolve`: values checked,
//! secrets generated once, sizing formulas computed for the chosen size and refused when the
//! target cannot fit it), loads the result with the organization's policy, then creates a
//! stack whose compose text is the template's and whose stack variables are the inputs —
//! secret and generated ones sealed. The template, its version, the size and the non-secret
//! inputs are kept beside the stack, so it can be upgraded to a newer version with a diff.

pub mod sources;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::json;
use windflow_catalog::{Capacity, Choice, Origin, Resolved, SizeChoice, Template, resolve};
use windflow_domain::units;
use windflow_protocol as wire;
use windflow_storage::{NewVariable, StackTemplate, Target, VariableScope, VariableValue};

use crate::auth::OrgAccess;
use crate::error::{ApiError, ApiResult};
use crate::secrets::secret_aad;
use crate::services;
use crate::state::{App, new_id, now_ms};

/// The source name of WindFlow's own templates.
pub const BUILTIN: &str = "builtin";

fn builtin() -> &'static [Template] {
    static BUILTIN_TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    BUILTIN_TEMPLATES.get_or_init(windflow_catalog::builtin)
}

fn summary(source: &str, t: &Template) -> wire::TemplateSummary {
    wire::TemplateSummary {
        source: source.to_string(),
        id: t.id.clone(),
        name: t.name.clone(),
        version: t.version.clone(),
        description: t.description.clone(),
        categories: t.categories.clone(),
        tags: t.tags.clone(),
        logo: t.logo.clone(),
        documentation: t.documentation.clone(),
    }
}

/// Every template: built-in first, then each source's, filtered by a search text (name,
/// id, description, tags) and a category.
pub async fn list(
    app: &App,
    query: Option<&str>,
    category: Option<&str>,
) -> ApiResult<Vec<wire::TemplateSummary>> {
    let mut out: Vec<wire::TemplateSummary> =
        builtin().iter().map(|t| summary(BUILTIN, t)).collect();
    let sources: BTreeMap<String, String> = app
        .store
        .list_catalog_sources()
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    for row in app.store.list_catalog_templates().await? {
        let Some(source) = sources.get(&row.source_id) else {
            continue;
        };
        out.push(wire::TemplateSummary {
            source: source.clone(),
            id: row.template_id,
            name: row.name,
            version: row.version,
            description: row.description,
            categories: row.categories,
            tags: Vec::new(),
            logo: None,
            documentation: None,
        });
    }
    let needle = query
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    let mut found: Vec<(u8, wire::TemplateSummary)> = out
        .into_iter()
        .filter(|t| {
            category.is_none_or(|c| t.categories.iter().any(|tc| tc.eq_ignore_ascii_case(c)))
        })
        .filter_map(|t| {
            let Some(n) = needle.as_deref() else {
                return Some((0, t));
            };
            // Best matches first: the id itself, then in the id or name, then elsewhere.
            let score = if t.id == n {
                0
            } else if t.id.contains(n) || t.name.to_lowercase().contains(n) {
                1
            } else if t.description.to_lowercase().contains(n)
                || t.tags.iter().any(|tag| tag.to_lowercase().contains(n))
            {
                2
            } else {
                return None;
            };
            Some((score, t))
        })
        .collect();
    // A stable sort: within a score, built-in templates first, then each source's.
    found.sort_by_key(|(score, _)| *score);
    Ok(found.into_iter().map(|(_, t)| t).collect())
}

/// One template, parsed.
pub async fn find(app: &App, source: &str, id: &str) -> ApiResult<Template> {
    let not_found = || ApiError::NotFound(format!("template {source}/{id}"));
    if source == BUILTIN {
        return builtin()
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .ok_or_else(not_found);
    }
    let record = match app.store.get_catalog_source(source).await {
        Ok(record) => record,
        Err(windflow_storage::StoreError::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let row = match app.store.get_catalog_template(&record.id, id).await {
        Ok(row) => row,
        Err(windflow_storage::StoreError::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    Template::parse(&format!("{source}/{id}"), &row.text).map_err(|d| {
        ApiError::internal(anyhow::anyhow!(
            "cached template {source}/{id} no longer parses: {}",
            d.first().map(|d| d.message.clone()).unwrap_or_default()
        ))
    })
}

fn size_of(class: &str, size: &windflow_catalog::Size) -> wire::TemplateSize {
    wire::TemplateSize {
        class: class.to_string(),
        cpus: size.cpus,
        memory_bytes: size.memory_bytes,
        disk_bytes: size.disk_bytes,
    }
}

/// A template with its inputs, sizes, compose file, and the advisor's findings on it.
pub async fn detail(app: &App, source: &str, id: &str) -> ApiResult<wire::TemplateDetail> {
    let t = find(app, source, id).await?;
    let advice = template_advice(&t);
    Ok(wire::TemplateDetail {
        summary: summary(source, &t),
        inputs: t
            .inputs
            .iter()
            .map(|i| wire::TemplateInput {
                name: i.name.clone(),
                label: i.label.clone(),
                description: i.description.clone().unwrap_or_default(),
                kind: i.kind.as_str().to_string(),
                required: i.required,
                default: i.default.clone(),
                options: i.options.clone(),
                min: i.min,
                max: i.max,
                pattern: i.pattern.clone(),
                generate: i.generate.map(|g| g.to_string()),
                formula: i.formula.clone(),
            })
            .collect(),
        sizes: vec![
            size_of("small", &t.sizes.small),
            size_of("medium", &t.sizes.medium),
            size_of("large", &t.sizes.large),
        ],
        compose: t.compose.clone(),
        advice,
    })
}

/// The advisor's findings on a template resolved with its defaults (placeholders where an
/// input has none).
fn template_advice(t: &Template) -> Vec<wire::Advice> {
    let mut choice = Choice::default();
    for input in &t.inputs {
        if input.default.is_none() && input.generate.is_none() && input.formula.is_none() {
            choice.values.insert(input.name.clone(), placeholder(input));
        }
    }
    let Ok(resolved) = resolve(t, &choice, None, &mut rand::rng()) else {
        return Vec::new();
    };
    match services::stacks::load(&t.id, &t.compose, resolved.environment()) {
        Ok(loaded) => services::stacks::advice(&t.compose, &loaded.stack),
        Err(_) => Vec::new(),
    }
}

fn placeholder(input: &windflow_catalog::Input) -> String {
    use windflow_catalog::InputKind as K;
    match input.kind {
        K::Number => input.min.map_or("1".into(), |m| m.to_string()),
        K::Boolean => "false".into(),
        K::Enum => input.options.first().cloned().unwrap_or_default(),
        K::Domain => "app.example.test".into(),
        K::Port => "8080".into(),
        K::Size => "256m".into(),
        K::String | K::Secret => "placeholder".into(),
    }
}

/// The target's capacity from its last health check, when it reported one.
fn capacity(target: &Target) -> Option<Capacity> {
    let info = target
        .info
        .clone()
        .and_then(|v| serde_json::from_value::<windflow_domain::observed::EngineInfo>(v).ok())?;
    Some(Capacity::from(&info))
}

fn size_choice(request: &wire::SizeRequest) -> ApiResult<SizeChoice> {
    let bytes = |field: &str, value: &Option<String>| -> ApiResult<Option<u64>> {
        value
            .as_deref()
            .map(|v| {
                units::parse_bytes(v)
                    .map_err(|e| ApiError::invalid(field, format!("{v:?} is not a size: {e}")))
            })
            .transpose()
    };
    let memory = bytes("size.memory", &request.memory)?;
    let disk = bytes("size.disk", &request.disk)?;
    let base = match request.class.as_deref().unwrap_or("small") {
        "small" => SizeChoice::Small,
        "medium" => SizeChoice::Medium,
        "large" => SizeChoice::Large,
        other => {
            return Err(ApiError::invalid(
                "size.class",
                format!("{other:?}: use small, medium or large (or cpus, memory and disk)"),
            ));
        }
    };
    if request.cpus.is_none() && memory.is_none() && disk.is_none() {
        return Ok(base);
    }
    match (request.cpus, memory) {
        (Some(cpus), Some(memory_bytes)) if cpus > 0.0 && memory_bytes > 0 => {
            Ok(SizeChoice::Explicit {
                cpus,
                memory_bytes,
                disk_bytes: disk.unwrap_or(0),
            })
        }
        _ => Err(ApiError::invalid(
            "size",
            "explicit sizes need both cpus and memory (and optionally disk)",
        )),
    }
}

fn input_errors(errors: Vec<windflow_catalog::InputError>) -> ApiError {
    let message = format!(
        "the template's inputs are not usable: {}",
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    );
    ApiError::Invalid {
        message,
        errors: errors
            .into_iter()
            .map(|e| wire::FieldError {
                field: if e.input == "size" {
                    "size".into()
                } else {
                    format!("values.{}", e.input)
                },
                message: e.message,
                line: None,
            })
            .collect(),
    }
}

fn resolved_inputs(resolved: &Resolved) -> Vec<wire::ResolvedInput> {
    resolved
        .variables
        .iter()
        .map(|v| {
            let (origin, why) = match &v.origin {
                Origin::Given => ("given", None),
                Origin::Default => ("default", None),
                Origin::Generated => ("generated", None),
                Origin::Kept => ("kept", None),
                Origin::Formula { formula, why } => ("formula", Some(format!("{formula}: {why}"))),
                Origin::Builtin => ("builtin", None),
            };
            wire::ResolvedInput {
                name: v.name.clone(),
                secret: v.secret,
                value: (!v.secret).then(|| v.value.clone()),
                origin: origin.to_string(),
                why,
            }
        })
        .collect()
}

/// The non-secret input values, as kept beside the stack.
fn kept_inputs(resolved: &Resolved) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = resolved
        .variables
        .iter()
        .filter(|v| !v.secret)
        .map(|v| (v.name.clone(), json!(v.value)))
        .collect();
    serde_json::Value::Object(map)
}

fn wire_size(resolved: &Resolved) -> wire::TemplateSize {
    wire::TemplateSize {
        class: resolved.size.class.to_string(),
        cpus: resolved.size.cpus,
        memory_bytes: resolved.size.memory_bytes,
        disk_bytes: resolved.size.disk_bytes,
    }
}

/// Loads the template's compose with `resolved` and checks it against the policy that will
/// apply: 422 with the loader's or the policy's field errors.
async fn check_resolved(
    app: &App,
    access: &OrgAccess,
    stack: &str,
    t: &Template,
    resolved: &Resolved,
    target: Option<&Target>,
) -> ApiResult<(Vec<wire::Advice>, Vec<String>)> {
    let loaded =
        services::stacks::load(stack, &t.compose, resolved.environment()).map_err(|d| {
            ApiError::Invalid {
                message: format!(
                    "template {} does not load with these inputs: {}",
                    t.id,
                    d.first().map(|d| d.message.clone()).unwrap_or_default()
                ),
                errors: d.iter().map(services::stacks::field_error).collect(),
            }
        })?;
    let policies =
        services::policies::OrgPolicies::load(app.store.as_ref(), &access.org.id).await?;
    let policy = match target {
        Some(target) => policies.effective(target.environment_id.as_deref(), target),
        None => policies.organization.clone(),
    };
    let refused = services::policies::violations(&t.compose, &loaded.stack, &policy);
    if !refused.is_empty() {
        return Err(ApiError::Invalid {
            message: format!(
                "the host-access policy refuses template {}: {}",
                t.id,
                services::policies::describe(&refused)
            ),
            errors: refused,
        });
    }
    let warnings = loaded.warnings.iter().map(|d| d.message.clone()).collect();
    Ok((
        services::stacks::advice(&t.compose, &loaded.stack),
        warnings,
    ))
}

/// Stores the resolved variables as the stack's variables (secrets sealed).
async fn store_variables(
    app: &App,
    access: &OrgAccess,
    stack_id: &str,
    resolved: &Resolved,
    only_changed: Option<&BTreeMap<String, String>>,
) -> ApiResult<()> {
    let scope = VariableScope::Stack {
        stack_id: stack_id.to_string(),
        environment_id: None,
    };
    for v in &resolved.variables {
        if only_changed.is_some_and(|before| before.get(&v.name) == Some(&v.value)) {
            continue;
        }
        let value = if v.secret {
            let aad = secret_aad(&access.org.id, &scope, &v.name);
            VariableValue::Secret(app.keyring.encrypt(&aad, v.value.as_bytes()))
        } else {
            VariableValue::Plain(v.value.clone())
        };
        app.store
            .set_variable(
                &access.org.id,
                NewVariable {
                    id: new_id(),
                    scope: scope.clone(),
                    name: v.name.clone(),
                    value,
                    updated_by: access.caller.user.username.clone(),
                    updated_at: now_ms(),
                },
            )
            .await?;
    }
    Ok(())
}

/// Deploys a template as a new stack (`dry_run`: resolves, sizes and checks only).
pub async fn deploy(
    app: &App,
    access: &OrgAccess,
    source: &str,
    id: &str,
    request: wire::DeployTemplateRequest,
) -> ApiResult<wire::TemplateDeployment> {
    services::names::check_name("stack", &request.stack)?;
    if app
        .store
        .get_stack(&access.org.id, &request.stack)
        .await
        .is_ok()
    {
        return Err(ApiError::Conflict {
            message: format!("a stack named {} exists", request.stack),
            field: Some("stack".into()),
        });
    }
    let t = find(app, source, id).await?;
    let target = match &request.target {
        Some(name) => Some(services::targets::find(app, &access.org.id, name).await?),
        None => None,
    };
    if request.deploy && target.is_none() {
        return Err(ApiError::invalid(
            "target",
            "name the target to deploy onto",
        ));
    }
    let choice = Choice {
        size: size_choice(&request.size)?,
        values: request.values.clone(),
        existing: BTreeMap::new(),
    };
    let capacity = target.as_ref().and_then(capacity);
    let resolved =
        resolve(&t, &choice, capacity.as_ref(), &mut rand::rng()).map_err(input_errors)?;
    let (advice, mut warnings) =
        check_resolved(app, access, &request.stack, &t, &resolved, target.as_ref()).await?;
    warnings.extend(resolved.warnings.iter().cloned());
    let mut out = wire::TemplateDeployment {
        template: summary(source, &t),
        stack: request.stack.clone(),
        size: wire_size(&resolved),
        inputs: resolved_inputs(&resolved),
        advice,
        warnings,
        deployment: None,
        dry_run: request.dry_run,
    };
    if request.dry_run {
        return Ok(out);
    }
    let (stack, _) = services::stacks::insert(
        app,
        access,
        request.stack.clone(),
        if request.description.is_empty() {
            t.description.clone()
        } else {
            request.description.clone()
        },
        t.compose.clone(),
        format!("from template {source}/{} {}", t.id, t.version),
    )
    .await?;
    store_variables(app, access, &stack.id, &resolved, None).await?;
    app.store
        .set_stack_template(
            &access.org.id,
            StackTemplate {
                stack_id: stack.id.clone(),
                source: source.to_string(),
                template_id: t.id.clone(),
                version: t.version.clone(),
                size: serde_json::to_value(wire_size(&resolved)).unwrap_or_default(),
                inputs: kept_inputs(&resolved),
                updated_by: access.caller.user.id.clone(),
                updated_at: now_ms(),
            },
        )
        .await?;
    services::audit::record_org(
        app,
        access,
        "template.deploy",
        &format!("stack/{}", stack.name),
        json!({
            "template": format!("{source}/{}", t.id),
            "version": t.version,
            "size": resolved.size.class,
            // Names only: the values of secrets never reach the audit log.
            "generated": resolved.variables.iter()
                .filter(|v| v.origin == Origin::Generated).map(|v| v.name.clone())
                .collect::<Vec<_>>(),
        }),
    )
    .await;
    if request.deploy
        && let Some(target) = &target
    {
        let (deployment, _) = services::deployments::queue(
            app,
            access,
            services::deployments::DeploymentRequest {
                stack: &stack.name,
                version: None,
                target: services::deployments::TargetChoice::Named(&target.name),
                environment: None,
                kind: windflow_storage::DeploymentKind::Deploy,
                idempotency_key: None,
            },
        )
        .await?;
        out.deployment = Some(deployment.id);
    }
    Ok(out)
}

/// The template a stack came from, and the catalog's version of it now.
pub async fn stack_template(
    app: &App,
    access: &OrgAccess,
    stack_name: &str,
) -> ApiResult<wire::StackTemplateInfo> {
    let stack = services::stacks::find(app, &access.org.id, stack_name).await?;
    let Some(record) = app
        .store
        .get_stack_template(&access.org.id, &stack.id)
        .await?
    else {
        return Err(ApiError::NotFound(format!(
            "template of stack {stack_name} (it was not created from a template)"
        )));
    };
    let available = find(app, &record.source, &record.template_id)
        .await
        .ok()
        .map(|t| t.version)
        .filter(|v| *v != record.version);
    Ok(wire::StackTemplateInfo {
        source: record.source,
        id: record.template_id,
        version: record.version,
        available,
        size: record.size,
        inputs: record.inputs,
    })
}

/// Moves a stack to the catalog's current version of its template: the inputs kept (secrets
/// included), new ones resolved, the compose file replaced as a new stack version; a dry run
/// shows the diff only.
pub async fn upgrade(
    app: &App,
    access: &OrgAccess,
    stack_name: &str,
    request: wire::UpgradeTemplateRequest,
) -> ApiResult<wire::TemplateUpgrade> {
    let org = &access.org.id;
    let stack = services::stacks::find(app, org, stack_name).await?;
    let Some(record) = app.store.get_stack_template(org, &stack.id).await? else {
        return Err(ApiError::NotFound(format!(
            "template of stack {stack_name} (it was not created from a template)"
        )));
    };
    let t = find(app, &record.source, &record.template_id).await?;
    // The stack's own variables are the values kept: generated secrets stay the same.
    let scope = VariableScope::Stack {
        stack_id: stack.id.clone(),
        environment_id: None,
    };
    let mut existing = BTreeMap::new();
    for variable in app.store.list_variables(org, &scope).await? {
        let value = app.keyring.reveal(&variable).map_err(ApiError::internal)?;
        existing.insert(variable.name, value);
    }
    let size: wire::TemplateSize = serde_json::from_value(record.size.clone()).map_err(|e| {
        ApiError::internal(anyhow::anyhow!("stored template size of {stack_name}: {e}"))
    })?;
    let choice = Choice {
        size: match size.class.as_str() {
            "small" => SizeChoice::Small,
            "medium" => SizeChoice::Medium,
            "large" => SizeChoice::Large,
            _ => SizeChoice::Explicit {
                cpus: size.cpus,
                memory_bytes: size.memory_bytes,
                disk_bytes: size.disk_bytes,
            },
        },
        values: request.values.clone(),
        existing: existing.clone(),
    };
    let resolved = resolve(&t, &choice, None, &mut rand::rng()).map_err(input_errors)?;
    check_resolved(app, access, &stack.name, &t, &resolved, None).await?;
    let current = app
        .store
        .get_stack_version(org, &stack.id, stack.latest_version)
        .await?
        .content;
    let diff = services::stacks::diff(
        stack.latest_version,
        &current,
        stack.latest_version + 1,
        &t.compose,
    )
    .unified;
    let mut out = wire::TemplateUpgrade {
        from: record.version.clone(),
        to: t.version.clone(),
        diff,
        stack_version: None,
        inputs: resolved_inputs(&resolved),
    };
    if request.dry_run {
        return Ok(out);
    }
    store_variables(app, access, &stack.id, &resolved, Some(&existing)).await?;
    let detail = if current == t.compose {
        None
    } else {
        Some(
            services::stacks::update(
                app,
                access,
                &stack.name,
                Some(stack.latest_version),
                wire::UpdateStackRequest {
                    content: t.compose.clone(),
                    message: Some(format!(
                        "template {} {} → {}",
                        t.id, record.version, t.version
                    )),
                },
            )
            .await?,
        )
    };
    out.stack_version = Some(
        detail
            .map(|d| d.current.version)
            .unwrap_or(stack.latest_version),
    );
    app.store
        .set_stack_template(
            org,
            StackTemplate {
                version: t.version.clone(),
                inputs: kept_inputs(&resolved),
                updated_by: access.caller.user.id.clone(),
                updated_at: now_ms(),
                ..record
            },
        )
        .await?;
    services::audit::record_org(
        app,
        access,
        "template.upgrade",
        &format!("stack/{}", stack.name),
        json!({ "template": t.id, "from": out.from, "to": out.to }),
    )
    .await;
    Ok(out)
}

/// The catalog offered to the model as context: the built-in templates and their images.
pub async fn hints(_app: &App) -> Vec<windflow_ai::CatalogHint> {
    builtin()
        .iter()
        .map(|t| windflow_ai::CatalogHint {
            id: t.id.clone(),
            name: t.name.clone(),
            description: t.description.clone(),
            images: t
                .compose
                .lines()
                .filter_map(|l| l.trim().strip_prefix("image:"))
                .map(|i| i.trim().trim_matches(['"', '\'']).to_string())
                .collect(),
        })
        .collect()
}
