//! Reading a YAML mapping field by field with the file, line and field of every problem:
//! the typed readers that WindFlow's extension blocks (`x-windflow.template`,
//! `x-windflow.backup`) are parsed with.

use crate::Diagnostic;
use crate::yaml::{Node, Value};

/// Reads one field after another, recording every problem.
pub struct FieldReader<'a> {
    pub file: &'a str,
    pub errors: Vec<Diagnostic>,
}

impl<'a> FieldReader<'a> {
    pub fn new(file: &'a str) -> Self {
        FieldReader {
            file,
            errors: Vec::new(),
        }
    }

    /// A whole number (an integer, or text holding one).
    pub fn integer(&mut self, node: &Node, path: &str) -> Option<i64> {
        let value = match &node.value {
            Value::Int(i) => Some(*i),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        if value.is_none() {
            self.error(
                node,
                path,
                format!("expected a whole number, got {}", node.describe()),
            );
        }
        value
    }

    /// A boolean (`true`/`false`, also as text).
    pub fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        let value = match &node.value {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if value.is_none() {
            self.error(
                node,
                path,
                format!("expected true or false, got {}", node.describe()),
            );
        }
        value
    }

    pub fn error(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        self.errors.push(Diagnostic::new(
            self.file,
            Some(node.line),
            path,
            message.into(),
        ));
    }

    pub fn text(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::String(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => node.scalar_text(),
            _ => {
                self.error(
                    node,
                    path,
                    format!("expected text, got {}", node.describe()),
                );
                None
            }
        }
    }

    pub fn number(&mut self, node: &Node, path: &str) -> Option<f64> {
        let value = match &node.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        };
        if value.is_none() {
            self.error(
                node,
                path,
                format!("expected a number, got {}", node.describe()),
            );
        }
        value
    }

    pub fn bytes(&mut self, node: &Node, path: &str) -> Option<u64> {
        let text = match &node.value {
            Value::Int(i) if *i >= 0 => return Some(*i as u64),
            _ => self.text(node, path)?,
        };
        match windflow_domain::units::parse_bytes(&text) {
            Ok(b) => Some(b),
            Err(e) => {
                self.error(node, path, e);
                None
            }
        }
    }

    pub fn words(&mut self, node: &Node, path: &str) -> Vec<String> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.text(item, &format!("{path}[{i}]")))
                .collect(),
            Value::Null => Vec::new(),
            _ => {
                self.error(
                    node,
                    path,
                    format!("expected a list, got {}", node.describe()),
                );
                Vec::new()
            }
        }
    }

    pub fn known_keys(&mut self, node: &Node, path: &str, known: &[&str]) {
        if let Some(map) = node.as_map() {
            for (key, value) in map {
                if !known.contains(&key.as_str()) {
                    self.error(
                        value,
                        &format!("{path}.{key}"),
                        format!("unknown key {key:?} (known: {})", known.join(", ")),
                    );
                }
            }
        }
    }
}
