//! Workflows: documents and their versions, runs with each node's state, approvals,
//! notification channels and the webhook that starts a workflow.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A workflow as the list shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowSummary {
    pub name: String,
    pub description: Option<String>,
    pub version: i64,
    pub enabled: bool,
    /// The kinds of its triggers (`manual`, `cron`, `webhook`, `event`).
    pub triggers: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
    pub last_run: Option<WorkflowRunBrief>,
}

/// A run in one line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowRunBrief {
    pub id: String,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A workflow with its current (or a given) version's document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Workflow {
    pub name: String,
    pub version: i64,
    pub enabled: bool,
    /// The workflow file (see docs/workflows.md), as JSON.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// Where a webhook trigger is called, once a webhook secret exists.
    pub webhook_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

/// Save a workflow: a new version when the document changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PutWorkflowRequest {
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// The version this edit is based on; a save over a newer version is refused (409).
    #[serde(default)]
    pub base_version: Option<i64>,
}

/// Check a document without saving it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ValidateWorkflowRequest {
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// One problem in a workflow document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct WorkflowIssue {
    /// Where: `nodes.<id>.<setting>`, `edges[3].to`, `triggers[0].schedule`, `name`.
    pub field: String,
    pub message: String,
}

/// What validation found (nothing: the document is valid).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowValidation {
    pub issues: Vec<WorkflowIssue>,
}

/// One saved version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowVersion {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub author: String,
}

/// The webhook of a workflow: call `url` with a body signed with `secret` (shown once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowWebhook {
    pub url: String,
    pub secret: String,
}

/// Start a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct StartWorkflowRunRequest {
    /// Values of the workflow's declared inputs.
    #[serde(default)]
    pub inputs: std::collections::BTreeMap<String, serde_json::Value>,
    /// Re-run from a node of an earlier run: the nodes that ran before it keep their
    /// results, it and everything after it run again.
    #[serde(default)]
    pub from_run: Option<String>,
    #[serde(default)]
    pub from_node: Option<String>,
}

/// What an approval node waits for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowApproval {
    /// The role an approver needs.
    pub role: String,
    pub message: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// One node's state in a run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowNodeRun {
    pub node: String,
    /// `pending`, `running`, `waiting`, `succeeded`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// The port a condition or switch chose.
    pub port: Option<String>,
    pub attempt: i64,
    #[schema(value_type = Option<Object>)]
    pub input: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub output: Option<serde_json::Value>,
    pub logs: String,
    pub error: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    pub approval: Option<WorkflowApproval>,
}

/// A run of a workflow.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowRun {
    pub id: String,
    pub workflow: String,
    pub version: i64,
    /// `queued`, `running`, `waiting`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    pub trigger: WorkflowTrigger,
    #[schema(value_type = Object)]
    pub inputs: serde_json::Value,
    pub requested_by: Option<String>,
    pub attempts: i64,
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Each node's state (empty in lists).
    #[serde(default)]
    pub nodes: Vec<WorkflowNodeRun>,
}

/// What started a run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowTrigger {
    /// `manual`, `cron`, `webhook`, `event` or `call`.
    pub kind: String,
    /// The trigger's payload (secrets masked).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// Approve or reject a waiting approval node.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApprovalDecision {
    pub approve: bool,
    #[serde(default)]
    pub comment: Option<String>,
}

/// A notification channel (its credentials are never shown).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationChannel {
    pub name: String,
    /// `webhook`, `slack`, `discord`, `email`, `ntfy` or `gotify`.
    pub kind: String,
    /// The public settings, with `<secret>_set` flags for the credentials.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Add a notification channel: `channel` holds `kind` and its settings, credentials
/// included (they are sealed and never shown again).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateNotificationChannelRequest {
    pub name: String,
    #[schema(value_type = Object)]
    pub channel: serde_json::Value,
}
