//! The message: what happened, in a form every channel can render.

use serde::{Deserialize, Serialize};

/// How serious the event is; channels map it to colours, priorities and tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Success,
    Warning,
    Failure,
}

impl Level {
    /// The name as in JSON: `info`, `success`, `warning`, `failure`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Success => "success",
            Level::Warning => "warning",
            Level::Failure => "failure",
        }
    }
}

/// One notification. `fields` are short facts shown as a list or table (`("Stack", "web")`),
/// `link` a page to open (a deployment, a log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub title: String,
    pub body: String,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default)]
    pub fields: Vec<(String, String)>,
}

impl Message {
    /// A message without link or fields.
    pub fn new(level: Level, title: impl Into<String>, body: impl Into<String>) -> Self {
        Message {
            title: title.into(),
            body: body.into(),
            level,
            link: None,
            fields: Vec::new(),
        }
    }

    /// Adds a field.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// Sets the link.
    pub fn link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }

    /// The body followed by the fields (`name: value`, one a line) and the link: the plain-text
    /// rendering of ntfy, Gotify and e-mail.
    pub fn plain_text(&self) -> String {
        let mut text = self.body.trim_end().to_string();
        if !self.fields.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            let lines: Vec<String> = self
                .fields
                .iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .collect();
            text.push_str(&lines.join("\n"));
        }
        if let Some(link) = &self.link {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(link);
        }
        text
    }

    /// The link when it is an http(s) URL (the only kind rendered as a button or click target).
    pub(crate) fn http_link(&self) -> Option<&str> {
        self.link
            .as_deref()
            .filter(|link| matches!(reqwest::Url::parse(link), Ok(url) if matches!(url.scheme(), "http" | "https")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_lists_fields_and_link() {
        let message = Message::new(Level::Failure, "Deploy failed", "web: exit 1\n")
            .field("Stack", "web")
            .field("Target", "prod")
            .link("https://windflow.example.com/d/1");
        assert_eq!(
            message.plain_text(),
            "web: exit 1\n\nStack: web\nTarget: prod\n\nhttps://windflow.example.com/d/1"
        );
        assert_eq!(Message::new(Level::Info, "t", "").plain_text(), "");
    }
}
