//! Delivery: one message to one channel, each kind in its own format, within a timeout.

use std::time::Duration;

use base64::Engine as _;
use lettre::AsyncTransport as _;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use reqwest::header::CONTENT_TYPE;
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::channel::{Channel, Security, gotify_message_url};
use crate::error::NotifyError;
use crate::message::{Level, Message};
use crate::redact::redact;
use crate::sign::{SIGNATURE_HEADER, TIMESTAMP_HEADER, signature};

/// The most of an error answer's body kept in [`NotifyError::Status`].
pub const MAX_ERROR_BODY: usize = 512;

/// What the endpoint said when it accepted the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The HTTP status, or the SMTP reply code (250) for e-mail.
    pub status: Option<u16>,
}

/// Sends messages. Holds one HTTP client (rustls, no redirects followed, so a channel cannot
/// be bounced past the caller's egress check) and the timeout that bounds every delivery,
/// connection and answer included.
#[derive(Debug, Clone)]
pub struct Notifier {
    http: reqwest::Client,
    timeout: Duration,
}

/// What an error may name: the kind, a safe endpoint label, and the secrets to mask.
struct Target {
    kind: &'static str,
    endpoint: String,
    secrets: Vec<String>,
}

impl Target {
    fn failed(&self, reason: impl std::fmt::Display) -> NotifyError {
        NotifyError::Delivery {
            kind: self.kind,
            endpoint: self.endpoint.clone(),
            reason: redact(&reason.to_string(), &self.secrets),
        }
    }

    fn timed_out(&self, after: Duration) -> NotifyError {
        NotifyError::Timeout {
            kind: self.kind,
            endpoint: self.endpoint.clone(),
            after,
        }
    }

    fn invalid_message(&self, reason: impl std::fmt::Display) -> NotifyError {
        NotifyError::InvalidMessage {
            kind: self.kind,
            reason: redact(&reason.to_string(), &self.secrets),
        }
    }
}

impl Notifier {
    /// A notifier whose deliveries each take at most `timeout`.
    pub fn new(timeout: Duration) -> Result<Notifier, NotifyError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("WindFlow/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| NotifyError::Client(error_chain(&error.without_url())))?;
        Ok(Notifier { http, timeout })
    }

    /// The bound on each delivery.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Delivers `message` to `channel`. The channel is validated first (nothing is sent when
    /// it is invalid); the caller checks [`Channel::endpoint_urls`] against its egress policy
    /// before calling. Errors never contain the channel's secrets.
    pub async fn send(
        &self,
        channel: &Channel,
        message: &Message,
    ) -> Result<Delivery, NotifyError> {
        channel
            .validate()
            .map_err(|problems| NotifyError::InvalidChannel {
                kind: channel.kind_name(),
                problems,
            })?;
        let target = Target {
            kind: channel.kind_name(),
            endpoint: channel.endpoint_label(),
            secrets: channel.secrets(),
        };
        let delivery = self.deliver(channel, message, &target);
        match tokio::time::timeout(self.timeout, delivery).await {
            Ok(result) => result,
            Err(_) => Err(target.timed_out(self.timeout)),
        }
    }

    async fn deliver(
        &self,
        channel: &Channel,
        message: &Message,
        target: &Target,
    ) -> Result<Delivery, NotifyError> {
        match channel {
            Channel::Webhook { url, secret } => {
                let body = serde_json::to_vec(&webhook_payload(message))
                    .map_err(|error| target.invalid_message(error))?;
                let timestamp = OffsetDateTime::now_utc().unix_timestamp().to_string();
                let mut request = self
                    .http
                    .post(url)
                    .header(CONTENT_TYPE, "application/json")
                    .header(TIMESTAMP_HEADER, &timestamp);
                if let Some(secret) = secret {
                    request =
                        request.header(SIGNATURE_HEADER, signature(secret, &timestamp, &body));
                }
                self.post(target, request.body(body)).await
            }
            Channel::Slack { url } => {
                self.post(target, self.http.post(url).json(&slack_payload(message)))
                    .await
            }
            Channel::Discord { url } => {
                self.post(target, self.http.post(url).json(&discord_payload(message)))
                    .await
            }
            Channel::Ntfy { url, token } => {
                let mut text = message.plain_text();
                if text.is_empty() {
                    text = message.title.clone();
                }
                let mut request = self
                    .http
                    .post(url)
                    .header(CONTENT_TYPE, "text/plain; charset=utf-8")
                    .header("Title", header_value(&truncate(&message.title, 250)))
                    .header("Priority", ntfy_priority(message.level))
                    .header("Tags", format!("{},windflow", level_tag(message.level)));
                if let Some(link) = message.http_link() {
                    request = request.header("Click", link);
                }
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                self.post(target, request.body(text)).await
            }
            Channel::Gotify { url, token } => {
                let request = self
                    .http
                    .post(gotify_message_url(url))
                    .header("X-Gotify-Key", token)
                    .json(&gotify_payload(message));
                self.post(target, request).await
            }
            Channel::Email {
                host,
                port,
                security,
                accept_invalid_certs,
                username,
                password,
                from,
                to,
            } => {
                let email =
                    email_message(message, from, to).map_err(|e| target.invalid_message(e))?;
                let tls = match security {
                    Security::None => Tls::None,
                    Security::Tls | Security::Starttls => {
                        let parameters = TlsParameters::builder(host.clone())
                            .dangerous_accept_invalid_certs(*accept_invalid_certs)
                            .build_rustls()
                            .map_err(|error| target.failed(error))?;
                        if *security == Security::Tls {
                            Tls::Wrapper(parameters)
                        } else {
                            Tls::Required(parameters)
                        }
                    }
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    .port(*port)
                    .tls(tls)
                    .timeout(Some(self.timeout));
                if let (Some(username), Some(password)) = (username, password) {
                    builder =
                        builder.credentials(Credentials::new(username.clone(), password.clone()));
                }
                let response = builder.build().send(email).await.map_err(|error| {
                    if error.is_timeout() {
                        target.timed_out(self.timeout)
                    } else {
                        target.failed(error_chain(&error))
                    }
                })?;
                Ok(Delivery {
                    status: Some(u16::from(response.code())),
                })
            }
        }
    }

    async fn post(
        &self,
        target: &Target,
        request: reqwest::RequestBuilder,
    ) -> Result<Delivery, NotifyError> {
        let response = request.send().await.map_err(|error| {
            if error.is_timeout() {
                target.timed_out(self.timeout)
            } else {
                // Without the URL: Slack's and Discord's carry the token.
                target.failed(error_chain(&error.without_url()))
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(Delivery {
                status: Some(status.as_u16()),
            });
        }
        let body = read_prefix(response, target).await;
        Err(NotifyError::Status {
            kind: target.kind,
            endpoint: target.endpoint.clone(),
            status: status.as_u16(),
            body,
        })
    }
}

/// At most [`MAX_ERROR_BODY`] bytes of the answer, secrets masked. Reads a little more first so
/// that a secret cut by the limit is still recognized; a body that cannot be read is left out.
async fn read_prefix(mut response: reqwest::Response, target: &Target) -> String {
    let longest_secret = target.secrets.iter().map(String::len).max().unwrap_or(0);
    let wanted = MAX_ERROR_BODY + longest_secret;
    let mut bytes = Vec::new();
    while bytes.len() < wanted {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    bytes.truncate(wanted);
    let text = redact(&String::from_utf8_lossy(&bytes), &target.secrets);
    let mut end = text.len().min(MAX_ERROR_BODY);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// An error and its sources, `a: b: c`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    // Some errors repeat their source's prefix ("Connection error: Connection error: …").
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split(": ") {
        if parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The generic webhook's JSON body.
fn webhook_payload(message: &Message) -> Value {
    let fields: Vec<Value> = message
        .fields
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    json!({
        "title": message.title,
        "body": message.body,
        "level": message.level,
        "link": message.link,
        "fields": fields,
        "sent_at": now_rfc3339(),
    })
}

fn level_emoji(level: Level) -> &'static str {
    match level {
        Level::Info => "ℹ️",
        Level::Success => "✅",
        Level::Warning => "⚠️",
        Level::Failure => "❌",
    }
}

/// ntfy's tag (an emoji short code shown before the title).
fn level_tag(level: Level) -> &'static str {
    match level {
        Level::Info => "information_source",
        Level::Success => "white_check_mark",
        Level::Warning => "warning",
        Level::Failure => "rotating_light",
    }
}

fn ntfy_priority(level: Level) -> &'static str {
    match level {
        Level::Failure => "high",
        Level::Info | Level::Success | Level::Warning => "default",
    }
}

fn gotify_priority(level: Level) -> u8 {
    match level {
        Level::Info | Level::Success => 4,
        Level::Warning => 6,
        Level::Failure => 8,
    }
}

fn discord_color(level: Level) -> u32 {
    match level {
        Level::Info => 0x3498db,
        Level::Success => 0x2ecc71,
        Level::Warning => 0xf1c40f,
        Level::Failure => 0xe74c3c,
    }
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Slack's mrkdwn treats `&`, `<` and `>` as control characters.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack incoming-webhook body: `text` (the notification's fallback) and Block Kit blocks
/// (header, body, fields ten per section, a link button, the level).
fn slack_payload(message: &Message) -> Value {
    let emoji = level_emoji(message.level);
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(&format!("{emoji} {}", message.title), 150), "emoji": true},
    })];
    if !message.body.trim().is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate(&slack_escape(&message.body), 3000)},
        }));
    }
    for chunk in message.fields.chunks(10).take(4) {
        let fields: Vec<Value> = chunk
            .iter()
            .map(|(name, value)| {
                json!({"type": "mrkdwn", "text": truncate(&format!("*{}*\n{}", slack_escape(name), slack_escape(value)), 2000)})
            })
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if let Some(link) = message.http_link() {
        blocks.push(json!({
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open in WindFlow"}, "url": link}],
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": format!("WindFlow · {}", message.level.as_str())}],
    }));
    let mut text = format!("{emoji} {}", slack_escape(&message.title));
    if !message.body.trim().is_empty() {
        text.push('\n');
        text.push_str(&slack_escape(&message.body));
    }
    json!({"text": truncate(&text, 3000), "blocks": blocks})
}

/// A Discord webhook body: the title as `content`, one embed with the body, colour, fields,
/// link and time, within Discord's limits; mentions disabled (`@everyone` in a message stays
/// text).
fn discord_payload(message: &Message) -> Value {
    let title = truncate(&message.title, 256);
    let description = truncate(&message.body, 4096);
    let footer = format!("WindFlow · {}", message.level.as_str());
    // Discord caps an embed at 6000 characters in all.
    let mut budget = 6000usize.saturating_sub(
        title.chars().count() + description.chars().count() + footer.chars().count(),
    );
    let mut fields = Vec::new();
    for (name, value) in message.fields.iter().take(25) {
        let name = if name.trim().is_empty() {
            "\u{200b}".to_string()
        } else {
            truncate(name, 256)
        };
        let value = if value.trim().is_empty() {
            "\u{200b}".to_string()
        } else {
            truncate(value, 1024)
        };
        let size = name.chars().count() + value.chars().count();
        if size > budget {
            break;
        }
        budget -= size;
        fields.push(json!({"name": name, "value": value, "inline": value.chars().count() <= 40}));
    }
    let mut embed = json!({
        "title": title,
        "description": description,
        "color": discord_color(message.level),
        "fields": fields,
        "footer": {"text": footer},
        "timestamp": now_rfc3339(),
    });
    if let Some(link) = message.http_link() {
        embed["url"] = json!(link);
    }
    json!({
        "content": truncate(&format!("{} {}", level_emoji(message.level), message.title), 2000),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    })
}

/// A Gotify message: plain text, the link as the notification's click target.
fn gotify_payload(message: &Message) -> Value {
    let mut text = message.plain_text();
    if text.is_empty() {
        text = message.title.clone();
    }
    let mut extras = json!({"client::display": {"contentType": "text/plain"}});
    if let Some(link) = message.http_link() {
        extras["client::notification"] = json!({"click": {"url": link}});
    }
    json!({
        "title": message.title,
        "message": text,
        "priority": gotify_priority(message.level),
        "extras": extras,
    })
}

/// An HTTP header value: one line, and non-ASCII text as an RFC 2047 encoded word (which
/// ntfy decodes).
fn header_value(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.is_ascii() {
        line
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(line.as_bytes())
        )
    }
}

/// The e-mail: the title as subject, the plain-text rendering as body.
fn email_message(message: &Message, from: &str, to: &[String]) -> Result<lettre::Message, String> {
    let subject: String = message
        .title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut builder = lettre::Message::builder()
        .from(from.parse().map_err(|e| format!("from: {e}"))?)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN);
    for (index, address) in to.iter().enumerate() {
        builder = builder.to(address.parse().map_err(|e| format!("to[{index}]: {e}"))?);
    }
    let mut text = message.plain_text();
    if text.is_empty() {
        text = message.title.clone();
    }
    text.push_str(&format!(
        "\n\n-- \nWindFlow notification ({})\n",
        message.level.as_str()
    ));
    builder.body(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo", 4), "hél…");
    }

    #[test]
    fn header_values_are_single_line_and_ascii() {
        assert_eq!(header_value("a\r\nb"), "a  b");
        assert_eq!(header_value("déploiement"), "=?UTF-8?B?ZMOpcGxvaWVtZW50?=");
    }

    #[test]
    fn slack_escapes_control_characters() {
        let payload = slack_payload(&Message::new(Level::Info, "a <b>", "x & <!channel>"));
        assert_eq!(
            payload["blocks"][1]["text"]["text"],
            "x &amp; &lt;!channel&gt;"
        );
    }

    #[test]
    fn discord_respects_the_embed_budget() {
        let mut message = Message::new(Level::Warning, "t", "b".repeat(5000));
        for i in 0..30 {
            message = message.field(format!("f{i}"), "v".repeat(2000));
        }
        let payload = discord_payload(&message);
        let embed = &payload["embeds"][0];
        let total: usize = embed["title"].as_str().unwrap().chars().count()
            + embed["description"].as_str().unwrap().chars().count()
            + embed["footer"]["text"].as_str().unwrap().chars().count()
            + embed["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    f["name"].as_str().unwrap().chars().count()
                        + f["value"].as_str().unwrap().chars().count()
                })
                .sum::<usize>();
        assert!(total <= 6000, "{total}");
        assert_eq!(embed["description"].as_str().unwrap().chars().count(), 4096);
    }
}
