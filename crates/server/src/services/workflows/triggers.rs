//! What starts a run without a person: cron schedules (fired by the runner's loop, one
//! server per firing), signed webhooks (GitHub, GitLab, Gitea or WindFlow's own signature)
//! and platform events (a deployment ended, a target went down or up).
//!
//! *Invariants:* a webhook is checked against the workflow's sealed key before its body is
//! read as JSON, with a constant-time comparison; a run a workflow's own deployment caused
//! never starts that same workflow again from the event (no loop).

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use windflow_workflow::{EventKind, Trigger, WebhookProvider};

use super::{Start, document_of, enqueue, next_cron};
use crate::error::{ApiError, ApiResult};
use crate::services::audit::{Actor, record_as};
use crate::state::{App, now_ms};

/// How old a WindFlow-signed webhook may be.
const MAX_SIGNATURE_AGE_S: i64 = 300;

pub(crate) fn next_fire(schedule: &str, timezone: Option<&str>, after_ms: i64) -> Option<i64> {
    windflow_workflow::validate::next_fire(schedule, timezone, after_ms)
}

/// Starts the runs of every cron trigger due now. Two servers may look at once: the one
/// that moves the workflow's next firing time starts the run.
pub async fn fire_due_crons(app: &App) {
    let now = now_ms();
    let due = match app.store.list_due_cron_workflows(now).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "listing due cron workflows");
            return;
        }
    };
    for w in due {
        let Ok(doc) = document_of(&w.document) else {
            continue;
        };
        let scheduled = w.next_cron_at;
        let next = next_cron(&doc, now);
        match app
            .store
            .advance_workflow_cron(&w.id, scheduled, next)
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::error!(error = %e, workflow = %w.name, "advancing a cron trigger");
                continue;
            }
        }
        let payload = json!({
            "scheduled_at": scheduled.map(|ms| crate::convert::time(ms).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()),
        });
        match enqueue(
            app,
            &w,
            Start {
                kind: "cron",
                payload,
                inputs: defaults(&doc),
                requested_by: None,
                parent_run: None,
                kept: Vec::new(),
                version: None,
            },
        )
        .await
        {
            Ok(Some(run)) => {
                tracing::info!(workflow = %w.name, run = %run.id, "cron trigger fired");
                record_trigger(app, &w.org_id, "cron", &w.name, &run.id).await;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, workflow = %w.name, "starting a cron run"),
        }
    }
}

/// The declared inputs' defaults (runs a trigger starts have no other inputs).
fn defaults(doc: &windflow_workflow::Workflow) -> Value {
    Value::Object(
        doc.inputs
            .iter()
            .map(|(k, spec)| (k.clone(), spec.default.clone().unwrap_or(Value::Null)))
            .collect(),
    )
}

async fn record_trigger(app: &App, org_id: &str, kind: &str, workflow: &str, run: &str) {
    record_as(
        app,
        Actor {
            id: None,
            name: &format!("{kind} trigger"),
            ip: None,
        },
        Some(org_id),
        "workflow.run",
        &format!("workflow/{workflow}"),
        json!({"run": run, "trigger": kind}),
    )
    .await;
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Whether the request carries the provider's signature of `body` under `secret`.
fn signed(provider: WebhookProvider, secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let hub = || {
        header(headers, "x-hub-signature-256")
            .and_then(|v| v.strip_prefix("sha256="))
            .is_some_and(|sig| same(&sig.to_ascii_lowercase(), &hmac_hex(secret, body)))
    };
    match provider {
        WebhookProvider::Github => hub(),
        WebhookProvider::Gitea => {
            header(headers, "x-gitea-signature")
                .is_some_and(|sig| same(&sig.to_ascii_lowercase(), &hmac_hex(secret, body)))
                || hub()
        }
        WebhookProvider::Gitlab => {
            header(headers, "x-gitlab-token").is_some_and(|t| same(t, secret))
        }
        WebhookProvider::Generic => {
            let (Some(timestamp), Some(signature)) = (
                header(headers, windflow_notify::TIMESTAMP_HEADER),
                header(headers, windflow_notify::SIGNATURE_HEADER),
            ) else {
                return false;
            };
            let fresh = timestamp
                .parse::<i64>()
                .is_ok_and(|t| (now_ms() / 1000 - t).abs() <= MAX_SIGNATURE_AGE_S);
            fresh && windflow_notify::verify_signature(secret, timestamp, body, signature)
        }
    }
}

/// The push event's name, when the provider says it is not a push (a ping, an issue…).
fn not_a_push(provider: WebhookProvider, headers: &HeaderMap) -> Option<String> {
    let event = match provider {
        WebhookProvider::Github => header(headers, "x-github-event"),
        WebhookProvider::Gitea => {
            header(headers, "x-gitea-event").or(header(headers, "x-github-event"))
        }
        WebhookProvider::Gitlab => header(headers, "x-gitlab-event"),
        WebhookProvider::Generic => None,
    }?;
    let push = matches!(event, "push" | "Push Hook" | "Tag Push Hook");
    (!push).then(|| event.to_string())
}

fn text_at<'a>(payload: &'a Value, pointers: &[&str]) -> Option<&'a str> {
    pointers
        .iter()
        .find_map(|p| payload.pointer(p).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// The push's facts under one set of names whatever the provider: `ref`, `branch` or
/// `tag`, `commit`, `repository`, `clone_url`, `pusher`, plus the whole `body`.
pub(crate) fn normalize(provider: WebhookProvider, payload: Value) -> Value {
    let reference = text_at(&payload, &["/ref"]).map(str::to_string);
    let branch = reference
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/heads/"))
        .map(str::to_string);
    let tag = reference
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/tags/"))
        .map(str::to_string);
    json!({
        "provider": format!("{provider:?}").to_lowercase(),
        "ref": reference,
        "branch": branch,
        "tag": tag,
        "commit": text_at(&payload, &["/after", "/checkout_sha", "/head_commit/id"]),
        "repository": text_at(&payload, &["/repository/full_name", "/project/path_with_namespace", "/repository/name"]),
        "clone_url": text_at(&payload, &["/repository/clone_url", "/project/git_http_url", "/repository/git_http_url"]),
        "pusher": text_at(&payload, &["/pusher/name", "/pusher/login", "/user_username", "/sender/login"]),
        "body": payload,
    })
}

/// Handles a webhook call: `(status, answer)`. Unknown routes, workflows without a webhook
/// trigger and bad signatures all answer alike to a caller without the key.
pub async fn webhook(
    app: &App,
    token: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<(u16, Value)> {
    let unknown = || ApiError::NotFound("webhook".into());
    if token.len() > 100 {
        return Err(unknown());
    }
    let w = app
        .store
        .find_workflow_by_webhook(token)
        .await?
        .ok_or_else(unknown)?;
    let doc = document_of(&w.document)?;
    let Some(Trigger::Webhook { provider, branch }) = doc
        .triggers
        .iter()
        .find(|t| matches!(t, Trigger::Webhook { .. }))
        .cloned()
    else {
        return Err(unknown());
    };
    let secret = super::webhook_secret(app, &w)?.ok_or_else(unknown)?;
    if !signed(provider, &secret, headers, body) {
        metrics::counter!("windflow_workflow_webhooks_refused_total").increment(1);
        return Err(ApiError::Unauthenticated);
    }
    if let Some(event) = not_a_push(provider, headers) {
        return Ok((
            200,
            json!({"ignored": format!("{event} events start nothing; pushes do")}),
        ));
    }
    if !w.enabled {
        return Ok((
            200,
            json!({"ignored": format!("workflow {} is disabled", w.name)}),
        ));
    }
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the webhook body is not JSON: {e}")))?;
    let trigger = normalize(provider, payload);
    if let Some(wanted) = &branch
        && trigger["branch"].as_str() != Some(wanted.as_str())
    {
        return Ok((
            200,
            json!({"ignored": format!("the push is to {}, the trigger watches branch {wanted}", trigger["ref"].as_str().unwrap_or("no branch"))}),
        ));
    }
    match enqueue(
        app,
        &w,
        Start {
            kind: "webhook",
            payload: trigger,
            inputs: defaults(&doc),
            requested_by: None,
            parent_run: None,
            kept: Vec::new(),
            version: None,
        },
    )
    .await?
    {
        Some(run) => {
            tracing::info!(workflow = %w.name, run = %run.id, "webhook started a run");
            record_trigger(app, &w.org_id, "webhook", &w.name, &run.id).await;
            Ok((202, json!({"run": run.id})))
        }
        None => Ok((
            200,
            json!({"ignored": "the workflow's concurrency policy skipped this run"}),
        )),
    }
}

/// Starts the workflows of `org_id` with an event trigger for `kind` (and the event's stack,
/// when the trigger names one). `from_workflow` is the workflow whose run caused the event:
/// it is not started again by it.
pub async fn on_event(
    app: &App,
    org_id: &str,
    kind: EventKind,
    payload: Value,
    from_workflow: Option<&str>,
) {
    let workflows = match app.store.list_workflows(org_id).await {
        Ok(list) => list,
        Err(e) => {
            tracing::error!(error = %e, "listing workflows for an event");
            return;
        }
    };
    for w in workflows.into_iter().filter(|w| w.enabled) {
        if from_workflow == Some(w.id.as_str()) {
            continue;
        }
        let Ok(doc) = document_of(&w.document) else {
            continue;
        };
        let wanted = doc.triggers.iter().any(|t| match t {
            Trigger::Event { event, stack } => {
                *event == kind
                    && stack
                        .as_deref()
                        .is_none_or(|s| payload["stack"].as_str() == Some(s))
            }
            _ => false,
        });
        if !wanted {
            continue;
        }
        let mut event = payload.clone();
        event["event"] = json!(kind.as_str());
        match enqueue(
            app,
            &w,
            Start {
                kind: "event",
                payload: event,
                inputs: defaults(&doc),
                requested_by: None,
                parent_run: None,
                kept: Vec::new(),
                version: None,
            },
        )
        .await
        {
            Ok(Some(run)) => {
                tracing::info!(workflow = %w.name, run = %run.id, event = kind.as_str(), "event started a run");
                record_trigger(app, org_id, "event", &w.name, &run.id).await;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, workflow = %w.name, "starting an event run"),
        }
    }
}

/// The workflow whose run queued a deployment (its idempotency key names the run).
pub async fn origin_workflow(
    app: &App,
    org_id: &str,
    idempotency_key: Option<&str>,
) -> Option<String> {
    let run_id = idempotency_key?
        .strip_prefix("workflow:")?
        .split(':')
        .next()?;
    app.store
        .get_workflow_run(org_id, run_id)
        .await
        .ok()
        .map(|r| r.workflow_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn signatures_of_each_provider() {
        let body = br#"{"ref":"refs/heads/main"}"#;
        let sig = hmac_hex("s3cret", body);
        let github = headers(&[("x-hub-signature-256", format!("sha256={sig}"))]);
        assert!(signed(WebhookProvider::Github, "s3cret", &github, body));
        assert!(!signed(WebhookProvider::Github, "other", &github, body));
        assert!(!signed(WebhookProvider::Github, "s3cret", &github, b"{}"));
        assert!(!signed(
            WebhookProvider::Github,
            "s3cret",
            &HeaderMap::new(),
            body
        ));
        let gitea = headers(&[("x-gitea-signature", sig.clone())]);
        assert!(signed(WebhookProvider::Gitea, "s3cret", &gitea, body));
        let gitlab = headers(&[("x-gitlab-token", "s3cret".into())]);
        assert!(signed(WebhookProvider::Gitlab, "s3cret", &gitlab, body));
        assert!(!signed(WebhookProvider::Gitlab, "s3cre", &gitlab, body));
        let now = (now_ms() / 1000).to_string();
        let generic = headers(&[
            ("x-windflow-timestamp", now.clone()),
            (
                "x-windflow-signature",
                windflow_notify::signature("s3cret", &now, body),
            ),
        ]);
        assert!(signed(WebhookProvider::Generic, "s3cret", &generic, body));
        // An old signature is a replay.
        let old = (now_ms() / 1000 - 3600).to_string();
        let replay = headers(&[
            ("x-windflow-timestamp", old.clone()),
            (
                "x-windflow-signature",
                windflow_notify::signature("s3cret", &old, body),
            ),
        ]);
        assert!(!signed(WebhookProvider::Generic, "s3cret", &replay, body));
    }

    #[test]
    fn pushes_read_alike_from_each_provider() {
        let github = normalize(
            WebhookProvider::Github,
            json!({"ref": "refs/heads/main", "after": "abc", "repository": {"full_name": "o/r", "clone_url": "http://x/o/r.git"}, "pusher": {"name": "ann"}}),
        );
        assert_eq!(github["branch"], "main");
        assert_eq!(github["commit"], "abc");
        assert_eq!(github["repository"], "o/r");
        assert_eq!(github["pusher"], "ann");
        let gitlab = normalize(
            WebhookProvider::Gitlab,
            json!({"ref": "refs/tags/v1", "checkout_sha": "def", "project": {"path_with_namespace": "g/p", "git_http_url": "http://x/g/p.git"}, "user_username": "bob"}),
        );
        assert_eq!(gitlab["tag"], "v1");
        assert_eq!(gitlab["branch"], Value::Null);
        assert_eq!(gitlab["commit"], "def");
        assert_eq!(gitlab["clone_url"], "http://x/g/p.git");
    }
}
