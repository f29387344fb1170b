//! Recording mutating actions in the audit log: who, what, on which resource, from where.

use serde_json::Value;
use windflow_storage::NewAuditEntry;

use crate::auth::{Caller, OrgAccess};
use crate::state::{App, new_id, now_ms};

/// Records an action. A failure to record is logged loudly but does not undo the action.
pub async fn record(
    app: &App,
    caller: &Caller,
    org_id: Option<&str>,
    action: &str,
    resource: &str,
    detail: Value,
) {
    let entry = NewAuditEntry {
        id: new_id(),
        org_id: org_id.map(str::to_string),
        actor_id: Some(caller.user.id.clone()),
        actor: caller.user.username.clone(),
        action: action.to_string(),
        resource: resource.to_string(),
        detail,
        ip: caller.ip.clone(),
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
    crate::services::audit::record(
        &app,
        &access.caller,
        Some(&access.org.id),
        action,
        resource,
        detail,
    )
    .await;
}
