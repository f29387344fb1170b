//! Recording mutating actions in the audit log: who, what, on which resource, from where.

use serde_json::Value;
use windflow_protocol::{AuditEntry, Page};
use windflow_storage::{AuditFilter, NewAuditEntry, Organization, PageRequest};

use crate::auth::{Caller, OrgAccess};
use crate::convert;
use crate::error::ApiResult;
use crate::state::{App, new_id, now_ms};

/// Who an audit entry says acted, when it is not a request's caller (a failed login, a
/// deletion a worker finishes for the user who asked for it).
pub struct Actor<'a> {
    pub id: Option<&'a str>,
    pub name: &'a str,
    pub ip: Option<&'a str>,
}

/// WindFlow itself, for what the server does on its own (renewals, health checks).
pub const SYSTEM: Actor<'static> = Actor {
    id: None,
    name: "windflow",
    ip: None,
};

/// Records an action. A failure to record is logged loudly but does not undo the action.
pub async fn record(
    app: &App,
    caller: &Caller,
    org_id: Option<&str>,
    action: &str,
    resource: &str,
    detail: Value,
) {
    let actor = Actor {
        id: Some(&caller.user.id),
        name: &caller.user.username,
        ip: caller.ip.as_deref(),
    };
    record_as(app, actor, org_id, action, resource, detail).await;
}

/// [`record`] for an actor that is not the caller of a request.
pub async fn record_as(
    app: &App,
    actor: Actor<'_>,
    org_id: Option<&str>,
    action: &str,
    resource: &str,
    detail: Value,
) {
    let entry = NewAuditEntry {
        id: new_id(),
        org_id: org_id.map(str::to_string),
        actor_id: actor.id.map(str::to_string),
        actor: actor.name.to_string(),
        action: action.to_string(),
        resource: resource.to_string(),
        detail,
        ip: actor.ip.map(str::to_string),
        at: now_ms(),
    };
    if let Err(e) = app.store.append_audit(entry).await {
        tracing::error!(error = %e, action, resource, "writing the audit log");
    }
}

/// [`App::audit`] inside the caller's organization.
pub async fn record_org(
    app: &App,
    access: &OrgAccess,
    action: &str,
    resource: &str,
    detail: Value,
) {
    record(
        app,
        &access.caller,
        Some(&access.org.id),
        action,
        resource,
        detail,
    )
    .await;
}

/// One page of the audit log: the organization's entries, or every entry (server-level ones
/// included) when `org` is `None`.
pub async fn list(
    app: &App,
    org: Option<&Organization>,
    filter: &AuditFilter,
    request: PageRequest,
) -> ApiResult<Page<AuditEntry>> {
    let page = app
        .store
        .list_audit(org.map(|o| o.id.as_str()), filter, request)
        .await?;
    let slug = org.map(|o| o.slug.clone());
    Ok(convert::page(page, request, |e| {
        convert::audit(e, slug.clone())
    }))
}
