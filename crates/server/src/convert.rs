//! Store records → wire types. The only place both vocabularies meet.

use time::OffsetDateTime;
use windflow_protocol as wire;
use windflow_storage as rec;

pub fn time(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn opt_time(ms: Option<i64>) -> Option<OffsetDateTime> {
    ms.map(time)
}

pub fn user(user: rec::User) -> wire::User {
    wire::User {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        is_admin: user.is_admin,
        disabled: user.disabled,
        created_at: time(user.created_at),
        last_login_at: opt_time(user.last_login_at),
    }
}

pub fn organization(org: rec::Organization) -> wire::Organization {
    wire::Organization {
        id: org.id,
        slug: org.slug,
        name: org.name,
        created_at: time(org.created_at),
    }
}

pub fn token(token: rec::ApiToken) -> wire::ApiToken {
    wire::ApiToken {
        id: token.id,
        name: token.name,
        prefix: token.prefix,
        scopes: token
            .scopes
            .iter()
            .filter_map(|s| match s.as_str() {
                "read" => Some(wire::TokenScope::Read),
                "write" => Some(wire::TokenScope::Write),
                _ => None,
            })
            .collect(),
        created_at: time(token.created_at),
        expires_at: opt_time(token.expires_at),
        last_used_at: opt_time(token.last_used_at),
        revoked_at: opt_time(token.revoked_at),
    }
}

pub fn environment(env: rec::Environment) -> wire::Environment {
    wire::Environment {
        id: env.id,
        name: env.name,
        description: env.description,
        created_at: time(env.created_at),
    }
}

pub fn stack(stack: rec::Stack) -> wire::Stack {
    wire::Stack {
        id: stack.id,
        name: stack.name,
        description: stack.description,
        version: stack.latest_version,
        created_at: time(stack.created_at),
        updated_at: time(stack.updated_at),
        deployed: Vec::new(),
        last_deployment: None,
    }
}

pub fn deployed_stack(d: rec::Deployment) -> wire::DeployedStack {
    wire::DeployedStack {
        since: d.finished_at.map(time),
        target: d.target_name,
        version: d.stack_version,
        deployment: d.id,
    }
}

pub fn deployment_summary(d: rec::Deployment) -> wire::DeploymentSummary {
    wire::DeploymentSummary {
        id: d.id,
        kind: d.kind,
        state: d.state,
        target: d.target_name,
        version: d.stack_version,
        created_at: time(d.created_at),
    }
}

pub fn stack_version(version: rec::StackVersion) -> wire::StackVersion {
    wire::StackVersion {
        version: version.version,
        content: version.content,
        author: version.author,
        message: version.message,
        created_at: time(version.created_at),
    }
}

pub fn stack_version_summary(version: rec::StackVersionSummary) -> wire::StackVersionSummary {
    wire::StackVersionSummary {
        version: version.version,
        author: version.author,
        message: version.message,
        created_at: time(version.created_at),
    }
}

pub fn deployment(d: rec::Deployment) -> wire::Deployment {
    wire::Deployment {
        id: d.id,
        stack: d.stack_name,
        version: d.stack_version,
        target: d.target_name,
        environment: d.environment_name,
        kind: d.kind,
        state: d.state,
        requested_by: d.requested_by_name,
        plan: d
            .plan
            .and_then(|p| serde_json::from_value::<Vec<String>>(p).ok()),
        placement: d
            .placement
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok()),
        error: d.error,
        cancel_requested: d.cancel_requested,
        attempts: d.attempts,
        created_at: time(d.created_at),
        started_at: opt_time(d.started_at),
        finished_at: opt_time(d.finished_at),
    }
}

pub fn target_check(c: rec::TargetCheck) -> wire::TargetCheck {
    wire::TargetCheck {
        checked_at: time(c.checked_at),
        status: c.status,
        latency_ms: c.latency_ms.max(0) as u64,
        error: c.error,
    }
}

pub fn event(e: rec::DeploymentEvent) -> wire::DeploymentEvent {
    wire::DeploymentEvent {
        seq: e.seq,
        at: time(e.at),
        data: e.data,
    }
}

pub fn audit(e: rec::AuditEntry, org_slug: Option<String>) -> wire::AuditEntry {
    wire::AuditEntry {
        id: e.id,
        organization: org_slug,
        actor: e.actor,
        action: e.action,
        resource: e.resource,
        detail: e.detail,
        ip: e.ip,
        at: time(e.at),
    }
}

pub fn page<T, U>(
    page: rec::Page<T>,
    request: rec::PageRequest,
    f: impl FnMut(T) -> U,
) -> wire::Page<U> {
    wire::Page {
        items: page.items.into_iter().map(f).collect(),
        total: page.total,
        limit: request.limit,
        offset: request.offset,
    }
}

/// `?limit=&offset=` → a bounded page request (1–500, default 50).
pub fn page_request(limit: Option<i64>, offset: Option<i64>) -> rec::PageRequest {
    rec::PageRequest::new(
        limit.unwrap_or(50).clamp(1, 500),
        offset.unwrap_or(0).max(0),
    )
}

/// The advisor's finding as the API shows it.
pub fn advice(finding: windflow_advisor::Finding) -> wire::Advice {
    wire::Advice {
        rule: finding.rule.to_string(),
        severity: format!("{:?}", finding.severity).to_lowercase(),
        service: finding.service,
        field: finding.field,
        line: finding.line.map(|l| l as u32),
        message: finding.message,
        fix: finding.fix,
    }
}

pub fn ai_request(row: rec::AiRequestRow, user: String) -> wire::AiRequestRecord {
    wire::AiRequestRecord {
        id: row.id,
        user,
        kind: row.kind,
        model: row.model,
        prompt_tokens: row.prompt_tokens,
        completion_tokens: row.completion_tokens,
        duration_ms: row.duration_ms,
        outcome: row.outcome,
        at: time(row.created_at),
    }
}
