//! A Server-Sent Events parser (the subset the WindFlow server sends): `id:`, `event:`,
//! `data:` fields, comments (`:` keep-alives) and the blank line that ends an event.
//! Bytes go in as they arrive; whole events come out.

use futures::{Stream, StreamExt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    /// `message` when the server named none.
    pub event: String,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.buffer.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line);
            if let Some(event) = self.line(&line) {
                events.push(event);
            }
        }
        events
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            let data = self.data.take();
            let event = self.event.take();
            return data.map(|data| SseEvent {
                id: self.id.clone(),
                event: event.unwrap_or_else(|| "message".into()),
                data,
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "id" => self.id = Some(value.to_string()),
            "event" => self.event = Some(value.to_string()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            _ => {}
        }
        None
    }
}

/// The events of a streaming HTTP body. A transport error ends the stream with that error.
pub fn events(response: reqwest::Response) -> impl Stream<Item = Result<SseEvent, reqwest::Error>> {
    let mut parser = SseParser::default();
    response
        .bytes_stream()
        .map(move |chunk| match chunk {
            Ok(bytes) => Ok(futures::stream::iter(
                parser.push(&bytes).into_iter().map(Ok),
            )),
            Err(e) => Err(e),
        })
        .flat_map(|item| match item {
            Ok(events) => events.left_stream(),
            Err(e) => futures::stream::once(async { Err(e) }).right_stream(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(chunks: &[&str], expected: &[(&str, &str, &str)]) {
        let mut parser = SseParser::default();
        let events: Vec<SseEvent> = chunks
            .iter()
            .flat_map(|c| parser.push(c.as_bytes()))
            .collect();
        let got: Vec<(String, String, String)> = events
            .into_iter()
            .map(|e| (e.id.unwrap_or_default(), e.event, e.data))
            .collect();
        let expected: Vec<(String, String, String)> = expected
            .iter()
            .map(|(i, e, d)| (i.to_string(), e.to_string(), d.to_string()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn parses_events_split_anywhere() {
        check(
            &["id: 1\nevent: step_started\nda", "ta: {\"a\":1}\n", "\n"],
            &[("1", "step_started", "{\"a\":1}")],
        );
    }

    #[test]
    fn skips_comments_and_joins_data_lines() {
        check(
            &[": keep-alive\n\nevent: log\r\ndata: one\r\ndata: two\r\n\r\n"],
            &[("", "log", "one\ntwo")],
        );
    }

    #[test]
    fn default_kind_is_message_and_id_is_sticky() {
        check(
            &["id: 7\ndata: x\n\ndata:y\n\n"],
            &[("7", "message", "x"), ("7", "message", "y")],
        );
    }

    #[test]
    fn an_event_without_data_is_dropped() {
        check(
            &["event: end\n\n", "event: end\ndata: {}\n\n"],
            &[("", "end", "{}")],
        );
    }
}
