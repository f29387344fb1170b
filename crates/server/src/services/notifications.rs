//! Notification channels: configured once per organization (`windflow_notify::Channel`),
//! used by workflows' `notify` nodes. Their credentials are sealed apart from their public
//! settings and never returned, logged or audited.
//!
//! *Invariants:* a channel is stored only when it validates; every delivery goes through the
//! egress check (internal addresses need `--workflow-allow-endpoint`); errors are masked with
//! the channel's secrets.

use std::time::Duration;

use serde_json::{Value, json};
use windflow_notify::{Channel, Message, Notifier};
use windflow_protocol as wire;
use windflow_storage::NotificationChannelRecord;

use crate::auth::OrgAccess;
use crate::convert::time as ts;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{App, new_id, now_ms};

/// How long one delivery may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

fn aad(channel_id: &str) -> Vec<u8> {
    format!("notification-channel:{channel_id}").into_bytes()
}

fn wire_channel(
    record: &NotificationChannelRecord,
    channel: Option<&Channel>,
) -> wire::NotificationChannel {
    wire::NotificationChannel {
        name: record.name.clone(),
        kind: record.kind.clone(),
        settings: channel.map_or_else(|| record.settings.clone(), Channel::public_view),
        created_at: ts(record.created_at),
    }
}

fn open(app: &App, record: &NotificationChannelRecord) -> ApiResult<Channel> {
    let secret = match &record.secret {
        Some(sealed) => serde_json::from_slice::<Value>(
            &app.keyring
                .decrypt(&aad(&record.id), sealed)
                .map_err(ApiError::Internal)?,
        )
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("a channel's secret is not JSON: {e}")))?,
        None => json!({}),
    };
    Channel::join(record.settings.clone(), secret)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("channel {}: {e}", record.name)))
}

fn check_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name",
            "1 to 63 lowercase letters, digits, '-' or '_'",
        ))
    }
}

pub async fn list(app: &App, access: &OrgAccess) -> ApiResult<Vec<wire::NotificationChannel>> {
    let mut out = Vec::new();
    for record in app.store.list_notification_channels(&access.org.id).await? {
        let channel = open(app, &record).ok();
        out.push(wire_channel(&record, channel.as_ref()));
    }
    Ok(out)
}

pub async fn create(
    app: &App,
    access: &OrgAccess,
    request: wire::CreateNotificationChannelRequest,
) -> ApiResult<wire::NotificationChannel> {
    check_name(&request.name)?;
    let channel: Channel = serde_json::from_value(request.channel)
        .map_err(|e| ApiError::invalid("channel", format!("not a notification channel: {e}")))?;
    if let Err(problems) = channel.validate() {
        return Err(ApiError::Invalid {
            message: problems
                .first()
                .map(|(f, m)| format!("{f}: {m}"))
                .unwrap_or_default(),
            errors: problems
                .into_iter()
                .map(|(field, message)| wire::FieldError {
                    field: format!("channel.{field}"),
                    message,
                    line: None,
                })
                .collect(),
        });
    }
    for url in channel.endpoint_urls() {
        check_endpoint(app, &url).await?;
    }
    let kind = channel.kind_name().to_string();
    let view = channel.public_view();
    let (public, secret) = channel.split();
    let id = new_id();
    let has_secret = secret.as_object().is_some_and(|o| !o.is_empty());
    let sealed = has_secret.then(|| {
        app.keyring
            .encrypt(&aad(&id), secret.to_string().as_bytes())
    });
    let now = now_ms();
    let record = app
        .store
        .create_notification_channel(NotificationChannelRecord {
            id,
            org_id: access.org.id.clone(),
            name: request.name.clone(),
            kind: kind.clone(),
            settings: public,
            secret: sealed,
            created_by: access.caller.user.id.clone(),
            created_at: now,
            updated_at: now,
        })
        .await?;
    services::audit::record_org(
        app,
        access,
        "notification-channel.create",
        &format!("notification-channel/{}", record.name),
        json!({"kind": kind}),
    )
    .await;
    let mut out = wire_channel(&record, None);
    out.settings = view;
    Ok(out)
}

pub async fn delete(app: &App, access: &OrgAccess, name: &str) -> ApiResult<()> {
    let record = app
        .store
        .find_notification_channel(&access.org.id, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("notification channel {name}")))?;
    app.store
        .delete_notification_channel(&access.org.id, &record.id)
        .await?;
    services::audit::record_org(
        app,
        access,
        "notification-channel.delete",
        &format!("notification-channel/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}

/// Sends a test message through the channel.
pub async fn test(app: &App, access: &OrgAccess, name: &str) -> ApiResult<Value> {
    let message = Message::new(
        windflow_notify::Level::Info,
        "WindFlow test notification",
        format!(
            "{} sent this test from organization {}.",
            access.caller.user.username, access.org.slug
        ),
    );
    let status = send(app, &access.org.id, name, &message)
        .await
        .map_err(ApiError::BadGateway)?;
    Ok(json!({"delivered": true, "status": status}))
}

async fn check_endpoint(app: &App, raw: &str) -> ApiResult<()> {
    let url = reqwest::Url::parse(raw)
        .map_err(|e| ApiError::invalid("channel", format!("{raw:?} is not a URL: {e}")))?;
    crate::egress::check(
        &app.config.workflow_allowed_endpoints,
        raw,
        &url,
        "the notification channel",
        "--workflow-allow-endpoint",
    )
    .await
}

/// Delivers `message` through the organization's channel `name`: the delivery's status (HTTP
/// or SMTP), or why it failed (secrets masked).
pub async fn send(
    app: &App,
    org_id: &str,
    name: &str,
    message: &Message,
) -> Result<Option<u16>, String> {
    let record = app
        .store
        .find_notification_channel(org_id, name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("there is no notification channel named {name}"))?;
    let channel = open(app, &record).map_err(|e| e.to_string())?;
    for url in channel.endpoint_urls() {
        check_endpoint(app, &url)
            .await
            .map_err(|e| windflow_notify::redact(&e.to_string(), &channel.secrets()))?;
    }
    let notifier = Notifier::new(DELIVERY_TIMEOUT).map_err(|e| e.to_string())?;
    let outcome = notifier.send(&channel, message).await;
    metrics::counter!(
        "windflow_notifications_total",
        "kind" => channel.kind_name(),
        "outcome" => if outcome.is_ok() { "delivered" } else { "failed" }
    )
    .increment(1);
    outcome
        .map(|d| d.status)
        .map_err(|e| windflow_notify::redact(&e.to_string(), &channel.secrets()))
}

/// Re-seals every channel's credentials under the keyring's current key (key rotation).
pub async fn reseal_all(
    store: &dyn windflow_storage::Store,
    keyring: &crate::secrets::Keyring,
) -> anyhow::Result<usize> {
    let all = store.list_all_notification_channels().await?;
    for c in &all {
        let Some(sealed) = &c.secret else {
            continue;
        };
        let plain = keyring.decrypt(&aad(&c.id), sealed)?;
        store
            .replace_notification_channel_secret(&c.id, Some(keyring.encrypt(&aad(&c.id), &plain)))
            .await?;
    }
    Ok(all.len())
}
