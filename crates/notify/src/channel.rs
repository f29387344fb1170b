//! Channels: where a notification goes, as configured once per organization.
//!
//! A [`Channel`] holds public settings (which server, which recipients) and secret ones (a
//! signing key, a token, a password, or a URL that embeds a token). The caller stores them
//! apart: [`Channel::split`] gives the two JSON objects, [`Channel::join`] puts them back
//! together, [`Channel::public_view`] is what a user may see (secrets reduced to
//! `"<field>_set": true|false`), and [`Channel::secrets`] lists the values to mask in logs.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How an e-mail channel protects its SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// Plain connection upgraded with `STARTTLS`, which the server must offer (usually 587).
    #[default]
    Starttls,
    /// No encryption at all: only for a relay on a trusted network.
    None,
}

/// One notification channel: its kind and everything needed to deliver to it.
///
/// `Debug` shows [`Channel::public_view`], never a secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Channel {
    /// A generic JSON webhook, signed with HMAC-SHA256 when `secret` is set (see
    /// [`crate::sign`]).
    Webhook {
        url: String,
        /// The HMAC-SHA256 key. Secret.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
    },
    /// A Slack incoming webhook. The URL embeds the token: secret.
    Slack { url: String },
    /// A Discord webhook. The URL embeds the token: secret.
    Discord { url: String },
    /// E-mail through an SMTP server.
    Email {
        host: String,
        port: u16,
        #[serde(default)]
        security: Security,
        /// Accept any certificate (self-signed, expired, wrong name): for a relay on a trusted
        /// network only.
        #[serde(default, skip_serializing_if = "is_false")]
        accept_invalid_certs: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// Secret.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
        /// The sender, `name@example.com` or `WindFlow <name@example.com>`.
        from: String,
        to: Vec<String>,
    },
    /// An ntfy topic: `url` is the server and the topic, `https://ntfy.sh/my-topic`.
    Ntfy {
        url: String,
        /// An access token (`Authorization: Bearer`). Secret.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// A Gotify server: `url` is the server's base URL; messages go to `{url}/message`.
    Gotify {
        url: String,
        /// The application token (`X-Gotify-Key`). Secret.
        token: String,
    },
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Why [`Channel::join`] could not rebuild a channel. Messages never contain secret values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// One of the two parts is not a JSON object.
    #[error("the {part} settings of a channel must be a JSON object")]
    NotAnObject { part: &'static str },
    /// The public settings name no known `kind`.
    #[error("unknown or missing channel kind {0:?} (one of: {KINDS})")]
    UnknownKind(String),
    /// The public part holds a secret field, or the secret part a public one.
    #[error(
        "field `{field}` of a {kind} channel is {expected} and cannot be stored with the {part} settings"
    )]
    MisplacedField {
        kind: &'static str,
        field: String,
        expected: &'static str,
        part: &'static str,
    },
    /// The joined settings do not describe a channel (a missing or mistyped field).
    #[error("invalid {kind} channel settings: {message}")]
    Malformed { kind: String, message: String },
}

const KINDS: &str = "webhook, slack, discord, email, ntfy, gotify";

/// The kinds and their secret fields.
fn secret_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "webhook" => &["secret"],
        "slack" | "discord" => &["url"],
        "email" => &["password"],
        "ntfy" | "gotify" => &["token"],
        _ => return None,
    })
}

fn static_kind(kind: &str) -> &'static str {
    match kind {
        "webhook" => "webhook",
        "slack" => "slack",
        "discord" => "discord",
        "email" => "email",
        "ntfy" => "ntfy",
        "gotify" => "gotify",
        _ => "unknown",
    }
}

impl Channel {
    /// The kind as in the JSON `kind` field: `webhook`, `slack`, `discord`, `email`, `ntfy`
    /// or `gotify`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Channel::Webhook { .. } => "webhook",
            Channel::Slack { .. } => "slack",
            Channel::Discord { .. } => "discord",
            Channel::Email { .. } => "email",
            Channel::Ntfy { .. } => "ntfy",
            Channel::Gotify { .. } => "gotify",
        }
    }

    /// The names of this kind's secret fields (`url` for Slack and Discord).
    pub fn secret_field_names(&self) -> &'static [&'static str] {
        secret_fields(self.kind_name()).unwrap_or(&[])
    }

    fn to_object(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // An internally tagged enum of structs with string keys always serializes to an
            // object.
            _ => unreachable!("a channel serializes to a JSON object"),
        }
    }

    /// Splits the channel into its public settings (with `kind`, without secret fields) and an
    /// object of its secret fields (only those that are set). [`Channel::join`] is the inverse.
    pub fn split(self) -> (Value, Value) {
        let fields = self.secret_field_names();
        let mut public = self.to_object();
        let mut secret = Map::new();
        for field in fields {
            if let Some(value) = public.remove(*field) {
                secret.insert((*field).to_string(), value);
            }
        }
        (Value::Object(public), Value::Object(secret))
    }

    /// Rebuilds a channel from the two parts [`Channel::split`] gave. A secret field in the
    /// public part, or a public field in the secret part, is an error: each part must stay
    /// where it is stored. `Value::Null` stands for an empty secret part.
    pub fn join(public: Value, secret: Value) -> Result<Channel, ChannelError> {
        let Value::Object(mut object) = public else {
            return Err(ChannelError::NotAnObject { part: "public" });
        };
        let secret = match secret {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            _ => return Err(ChannelError::NotAnObject { part: "secret" }),
        };
        let kind = match object.get("kind") {
            Some(Value::String(kind)) => kind.clone(),
            Some(other) => return Err(ChannelError::UnknownKind(other.to_string())),
            None => return Err(ChannelError::UnknownKind(String::new())),
        };
        let Some(fields) = secret_fields(&kind) else {
            return Err(ChannelError::UnknownKind(kind));
        };
        if let Some(field) = object.keys().find(|key| fields.contains(&key.as_str())) {
            return Err(ChannelError::MisplacedField {
                kind: static_kind(&kind),
                field: field.clone(),
                expected: "secret",
                part: "public",
            });
        }
        if let Some(field) = secret.keys().find(|key| !fields.contains(&key.as_str())) {
            return Err(ChannelError::MisplacedField {
                kind: static_kind(&kind),
                field: field.clone(),
                expected: "public",
                part: "secret",
            });
        }
        let secret_values: Vec<String> = secret
            .values()
            .filter_map(|value| value.as_str().map(str::to_string))
            .collect();
        object.extend(secret);
        serde_json::from_value(Value::Object(object)).map_err(|error| ChannelError::Malformed {
            kind: kind.clone(),
            message: crate::redact::redact(&error.to_string(), &secret_values),
        })
    }

    /// What a user may see: the public settings and, for each secret field,
    /// `"<field>_set": true|false`; for Slack and Discord also `"url_host"`, the host of the
    /// secret URL.
    pub fn public_view(&self) -> Value {
        let fields = self.secret_field_names();
        let mut view = self.to_object();
        for field in fields {
            let set =
                matches!(view.remove(*field), Some(Value::String(value)) if !value.is_empty());
            view.insert(format!("{field}_set"), Value::Bool(set));
        }
        if let Channel::Slack { url } | Channel::Discord { url } = self {
            let host = reqwest::Url::parse(url)
                .ok()
                .and_then(|url| url.host_str().map(str::to_string));
            view.insert(
                "url_host".to_string(),
                host.map(Value::String).unwrap_or(Value::Null),
            );
        }
        Value::Object(view)
    }

    /// The secret values to mask wherever text might show them (logs, errors, answers): each
    /// secret field that is set, and for Slack and Discord also the URL's normalized form and
    /// its path, which carries the token.
    pub fn secrets(&self) -> Vec<String> {
        let mut values = Vec::new();
        match self {
            Channel::Webhook { secret, .. } => values.extend(secret.clone()),
            Channel::Slack { url } | Channel::Discord { url } => {
                values.push(url.clone());
                if let Ok(parsed) = reqwest::Url::parse(url) {
                    values.push(parsed.as_str().to_string());
                    if parsed.path().len() > 1 {
                        values.push(parsed.path().to_string());
                    }
                    if let Some(query) = parsed.query() {
                        values.push(query.to_string());
                    }
                }
            }
            Channel::Email { password, .. } => values.extend(password.clone()),
            Channel::Ntfy { token, .. } => values.extend(token.clone()),
            Channel::Gotify { token, .. } => values.push(token.clone()),
        }
        values.retain(|value| !value.is_empty());
        values.sort();
        values.dedup();
        values
    }

    /// The URLs the server must check against its egress policy before [`crate::Notifier::send`]:
    /// the URL each request goes to, and `smtp://host:port` for e-mail. Slack's and Discord's
    /// embed their token: check them, never log them.
    pub fn endpoint_urls(&self) -> Vec<String> {
        match self {
            Channel::Webhook { url, .. }
            | Channel::Slack { url }
            | Channel::Discord { url }
            | Channel::Ntfy { url, .. } => vec![url.clone()],
            Channel::Gotify { url, .. } => vec![gotify_message_url(url)],
            Channel::Email { host, port, .. } => {
                vec![format!("smtp://{}:{port}", host_for_url(host))]
            }
        }
    }

    /// Where deliveries go, safe to show: scheme, host and port only (no path, query or user
    /// info, which may carry a token).
    pub fn endpoint_label(&self) -> String {
        match self {
            Channel::Email { host, port, .. } => format!("smtp://{}:{port}", host_for_url(host)),
            Channel::Webhook { url, .. }
            | Channel::Slack { url }
            | Channel::Discord { url }
            | Channel::Ntfy { url, .. }
            | Channel::Gotify { url, .. } => match reqwest::Url::parse(url) {
                Ok(parsed) => {
                    let host = parsed.host_str().unwrap_or("");
                    match parsed.port() {
                        Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
                        None => format!("{}://{host}", parsed.scheme()),
                    }
                }
                Err(_) => "(an invalid URL)".to_string(),
            },
        }
    }

    /// Checks the settings without contacting anything: URLs parse and are http(s), e-mail
    /// addresses parse, recipients are given, the port is not zero, tokens are not empty.
    /// Each problem is `(field, message)`; messages never repeat a value.
    pub fn validate(&self) -> Result<(), Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: &str| {
            problems.push((field.to_string(), message.to_string()));
        };
        match self {
            Channel::Webhook { url, secret } => {
                check_http_url(url, "url", &mut problem);
                if secret.as_deref().is_some_and(str::is_empty) {
                    problem(
                        "secret",
                        "the signing secret is empty: remove it or set one",
                    );
                }
            }
            Channel::Slack { url } | Channel::Discord { url } => {
                check_http_url(url, "url", &mut problem);
            }
            Channel::Ntfy { url, token } => {
                if let Some(parsed) = check_http_url(url, "url", &mut problem)
                    && parsed.path().trim_matches('/').is_empty()
                {
                    problem(
                        "url",
                        "the URL must name the topic, like https://ntfy.sh/my-topic",
                    );
                }
                if token.as_deref().is_some_and(str::is_empty) {
                    problem("token", "the access token is empty: remove it or set one");
                }
            }
            Channel::Gotify { url, token } => {
                check_http_url(url, "url", &mut problem);
                if token.is_empty() {
                    problem("token", "the application token is required");
                }
            }
            Channel::Email {
                host,
                port,
                username,
                password,
                from,
                to,
                ..
            } => {
                if host.trim().is_empty() {
                    problem("host", "the SMTP server's host name is required");
                } else if host.chars().any(|c| c.is_whitespace() || c == '/') {
                    problem("host", "not a host name or IP address");
                }
                if *port == 0 {
                    problem("port", "the port must be between 1 and 65535");
                }
                match (username.as_deref(), password.as_deref()) {
                    (Some(""), _) => {
                        problem("username", "the user name is empty: remove it or set one")
                    }
                    (Some(_), None | Some("")) => {
                        problem("password", "a password is required with a user name")
                    }
                    (None, Some(_)) => problem("username", "a password is set without a user name"),
                    _ => {}
                }
                if let Err(error) = from.parse::<lettre::message::Mailbox>() {
                    problem("from", &format!("not an e-mail address ({error})"));
                }
                if to.is_empty() {
                    problem("to", "at least one recipient is required");
                }
                for (index, address) in to.iter().enumerate() {
                    if let Err(error) = address.parse::<lettre::message::Mailbox>() {
                        problem(
                            &format!("to[{index}]"),
                            &format!("not an e-mail address ({error})"),
                        );
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Channel({})", self.public_view())
    }
}

/// `{url}/message`, keeping a base path (`https://example.com/gotify/` → `…/gotify/message`).
pub(crate) fn gotify_message_url(url: &str) -> String {
    format!("{}/message", url.trim_end_matches('/'))
}

/// IPv6 literals in brackets, as URLs want them.
fn host_for_url(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn check_http_url(
    url: &str,
    field: &str,
    problem: &mut impl FnMut(&str, &str),
) -> Option<reqwest::Url> {
    if url.trim().is_empty() {
        problem(field, "the URL is required");
        return None;
    }
    match reqwest::Url::parse(url) {
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => {
            problem(field, "the URL must start with http:// or https://");
            None
        }
        Ok(parsed) if parsed.host_str().is_none_or(str::is_empty) => {
            problem(field, "the URL has no host");
            None
        }
        Ok(parsed) => Some(parsed),
        Err(error) => {
            problem(field, &format!("not a URL ({error})"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn email() -> Channel {
        Channel::Email {
            host: "smtp.example.com".into(),
            port: 587,
            security: Security::Starttls,
            accept_invalid_certs: false,
            username: Some("robot".into()),
            password: Some("hunter2-password".into()),
            from: "WindFlow <windflow@example.com>".into(),
            to: vec!["ops@example.com".into()],
        }
    }

    #[test]
    fn split_removes_secret_fields_and_join_puts_them_back() {
        let channel = email();
        let (public, secret) = channel.clone().split();
        assert_eq!(
            public,
            json!({"kind": "email", "host": "smtp.example.com", "port": 587,
                   "security": "starttls", "username": "robot",
                   "from": "WindFlow <windflow@example.com>", "to": ["ops@example.com"]})
        );
        assert_eq!(secret, json!({"password": "hunter2-password"}));
        assert_eq!(Channel::join(public, secret).unwrap(), channel);
    }

    #[test]
    fn slack_url_is_secret_and_only_its_host_is_shown() {
        let channel = Channel::Slack {
            url: "https://hooks.slack.com/services/T000/B000/XXXXSECRET".into(),
        };
        let (public, secret) = channel.clone().split();
        assert_eq!(public, json!({"kind": "slack"}));
        assert_eq!(
            secret,
            json!({"url": "https://hooks.slack.com/services/T000/B000/XXXXSECRET"})
        );
        assert_eq!(
            channel.public_view(),
            json!({"kind": "slack", "url_set": true, "url_host": "hooks.slack.com"})
        );
        assert!(!format!("{channel:?}").contains("XXXXSECRET"));
        assert!(
            channel
                .secrets()
                .contains(&"/services/T000/B000/XXXXSECRET".to_string())
        );
    }

    #[test]
    fn public_view_marks_unset_secrets() {
        let channel = Channel::Webhook {
            url: "https://example.com/hook".into(),
            secret: None,
        };
        assert_eq!(
            channel.public_view(),
            json!({"kind": "webhook", "url": "https://example.com/hook", "secret_set": false})
        );
        assert!(channel.secrets().is_empty());
    }

    #[test]
    fn email_security_defaults_to_starttls() {
        let channel: Channel = serde_json::from_value(json!({
            "kind": "email", "host": "mail", "port": 25, "from": "a@b.c", "to": ["d@e.f"]
        }))
        .unwrap();
        assert!(matches!(
            channel,
            Channel::Email {
                security: Security::Starttls,
                ..
            }
        ));
    }

    #[test]
    fn join_refuses_misplaced_fields_and_unknown_kinds() {
        let err = Channel::join(
            json!({"kind": "gotify", "url": "https://g", "token": "abc"}),
            json!({}),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            ChannelError::MisplacedField { part: "public", .. }
        ));
        let err = Channel::join(json!({"kind": "gotify"}), json!({"url": "x", "token": "t"}))
            .unwrap_err();
        assert!(matches!(
            err,
            ChannelError::MisplacedField { part: "secret", .. }
        ));
        let err = Channel::join(json!({"kind": "pager"}), json!({})).unwrap_err();
        assert!(matches!(err, ChannelError::UnknownKind(_)));
        let err = Channel::join(
            json!({"kind": "webhook", "url": "https://x", "urll": 1}),
            Value::Null,
        )
        .unwrap_err();
        assert!(matches!(err, ChannelError::Malformed { .. }), "{err}");
    }

    #[test]
    fn join_errors_never_show_secret_values() {
        // A secret where the model wants something else: serde's message would quote it.
        let err = Channel::join(
            json!({"kind": "email", "host": "h", "port": 25, "from": "a@b.c", "to": ["d@e.f"]}),
            json!({"password": ["not-a-string-TOPSECRET"]}),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("TOPSECRET"), "{err}");
        let err = Channel::join(
            json!({"kind": "gotify", "url": 7}),
            json!({"token": "TOPSECRET-TOKEN"}),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("TOPSECRET"), "{err}");
    }

    fn check_validate(channel: Channel, expected: &[&str]) {
        let fields: Vec<String> = match channel.validate() {
            Ok(()) => Vec::new(),
            Err(problems) => problems.into_iter().map(|(field, _)| field).collect(),
        };
        assert_eq!(fields, expected, "{channel:?}");
    }

    #[test]
    fn validate_reports_each_field() {
        check_validate(email(), &[]);
        check_validate(
            Channel::Email {
                host: "".into(),
                port: 0,
                security: Security::None,
                accept_invalid_certs: false,
                username: Some("u".into()),
                password: None,
                from: "not an address".into(),
                to: vec!["ok@example.com".into(), "bad@".into()],
            },
            &["host", "port", "password", "from", "to[1]"],
        );
        check_validate(
            Channel::Email {
                host: "mail".into(),
                port: 25,
                security: Security::None,
                accept_invalid_certs: false,
                username: None,
                password: Some("p".into()),
                from: "a@b.c".into(),
                to: vec![],
            },
            &["username", "to"],
        );
        check_validate(
            Channel::Webhook {
                url: "ftp://example.com/x".into(),
                secret: Some(String::new()),
            },
            &["url", "secret"],
        );
        check_validate(
            Channel::Slack {
                url: "not a url".into(),
            },
            &["url"],
        );
        check_validate(
            Channel::Discord {
                url: "https://discord.com/api/webhooks/1/abc".into(),
            },
            &[],
        );
        check_validate(
            Channel::Ntfy {
                url: "https://ntfy.sh/".into(),
                token: None,
            },
            &["url"],
        );
        check_validate(
            Channel::Gotify {
                url: "http://gotify.local:8080".into(),
                token: String::new(),
            },
            &["token"],
        );
    }

    #[test]
    fn validation_messages_do_not_repeat_values() {
        let channel = Channel::Slack {
            url: "hxxps://hooks.slack.com/services/SECRETPATH".into(),
        };
        let problems = channel.validate().unwrap_err();
        assert!(!format!("{problems:?}").contains("SECRETPATH"));
    }

    #[test]
    fn endpoint_urls_and_labels() {
        let gotify = Channel::Gotify {
            url: "https://push.example.com/gotify/".into(),
            token: "t".into(),
        };
        assert_eq!(
            gotify.endpoint_urls(),
            ["https://push.example.com/gotify/message"]
        );
        assert_eq!(gotify.endpoint_label(), "https://push.example.com");
        assert_eq!(email().endpoint_urls(), ["smtp://smtp.example.com:587"]);
        let slack = Channel::Slack {
            url: "https://hooks.slack.com:8443/services/T/B/SECRET".into(),
        };
        assert_eq!(slack.endpoint_label(), "https://hooks.slack.com:8443");
    }

    fn secret_value() -> impl Strategy<Value = String> {
        "[A-Za-z0-9]{12,20}".prop_map(|s| format!("sek-{s}"))
    }

    fn channel() -> impl Strategy<Value = Channel> {
        let host = "[a-z]{1,10}\\.example\\.(com|org)";
        prop_oneof![
            (host, proptest::option::of(secret_value())).prop_map(|(host, secret)| {
                Channel::Webhook {
                    url: format!("https://{host}/hook"),
                    secret,
                }
            }),
            secret_value().prop_map(|token| Channel::Slack {
                url: format!("https://hooks.slack.com/services/{token}")
            }),
            secret_value().prop_map(|token| Channel::Discord {
                url: format!("https://discord.com/api/webhooks/1/{token}")
            }),
            (
                host,
                1u16..,
                prop_oneof![
                    Just(Security::Tls),
                    Just(Security::Starttls),
                    Just(Security::None)
                ],
                any::<bool>(),
                proptest::option::of(("[a-z]{1,8}", secret_value())),
                proptest::collection::vec("[a-z]{1,8}@example\\.com", 0..3),
            )
                .prop_map(|(host, port, security, accept_invalid_certs, login, to)| {
                    Channel::Email {
                        host,
                        port,
                        security,
                        accept_invalid_certs,
                        username: login.as_ref().map(|(user, _)| user.clone()),
                        password: login.map(|(_, password)| password),
                        from: "windflow@example.com".into(),
                        to,
                    }
                }),
            (host, proptest::option::of(secret_value())).prop_map(|(host, token)| {
                Channel::Ntfy {
                    url: format!("https://{host}/topic"),
                    token,
                }
            }),
            (host, secret_value()).prop_map(|(host, token)| Channel::Gotify {
                url: format!("https://{host}"),
                token,
            }),
        ]
    }

    proptest! {
        #[test]
        fn split_join_round_trips(channel in channel()) {
            let (public, secret) = channel.clone().split();
            // Stored as text and read back, as a database would.
            let public: Value = serde_json::from_str(&public.to_string()).unwrap();
            let secret: Value = serde_json::from_str(&secret.to_string()).unwrap();
            prop_assert_eq!(Channel::join(public, secret).unwrap(), channel);
        }

        #[test]
        fn public_parts_never_contain_secrets(channel in channel()) {
            let view = channel.public_view().to_string();
            let debug = format!("{channel:?}");
            let (public, _) = channel.clone().split();
            let public = public.to_string();
            let label = channel.endpoint_label();
            for secret in channel.secrets() {
                prop_assert!(!view.contains(&secret), "public_view shows {secret}");
                prop_assert!(!debug.contains(&secret), "Debug shows {secret}");
                prop_assert!(!public.contains(&secret), "split's public part has {secret}");
                prop_assert!(!label.contains(&secret), "endpoint_label shows {secret}");
            }
            for field in channel.secret_field_names() {
                let set = channel.public_view()[format!("{field}_set")].as_bool();
                prop_assert!(set.is_some());
            }
        }
    }
}
