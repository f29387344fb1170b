//! One OpenAI-compatible chat endpoint: OpenAI, LiteLLM, Ollama's `/v1`, vLLM, llama.cpp's
//! `llama-server`, and the deviations they are known for.
//!
//! Every request body is built by one function, which runs every message through the
//! provider's [`Redactor`]: no other path sends text to the model.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::time::{Instant, timeout_at};
use tokio_util::sync::CancellationToken;

use crate::error::AiError;
use crate::redact::Redactor;

/// Longest wait between two retries, whatever a `Retry-After` header asks for.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// Longest excerpt of a provider's error body kept in an error message.
const MAX_ERROR_CHARS: usize = 300;

/// A secret string (an API key) that never shows in `Debug` output or error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must send it (the `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<hidden>)")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

/// Where the model is and how to talk to it.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// `http://host:port`, `http://host:port/v1` (with or without a trailing slash), or any
    /// prefix ending before `/chat/completions` (`https://openrouter.ai/api/v1`). A bare host
    /// gets `/v1`.
    pub base_url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …`; none for local servers without auth.
    pub api_key: Option<SecretString>,
    /// The bound on one call, retries included.
    pub timeout: Duration,
    /// The bound on the silence between two chunks of a streamed answer.
    pub idle_timeout: Duration,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    /// The provider accepts `response_format: {type: "json_schema", …}` (OpenAI, vLLM,
    /// llama-server); without it a schema in [`ChatOptions`] is not sent.
    pub json_schema: bool,
    /// Retries after a 429 or a 5xx.
    pub max_retries: u32,
    /// The first retry's delay, doubled each time (a `Retry-After` header wins).
    pub retry_delay: Duration,
}

impl ProviderConfig {
    /// A configuration with the defaults: 120 s per call, 30 s idle, 4096 tokens, temperature
    /// 0.2, no schema support, 3 retries from 500 ms.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(30),
            max_tokens: Some(4096),
            temperature: Some(0.2),
            json_schema: false,
            max_retries: 3,
            retry_delay: Duration::from_millis(500),
        }
    }

    pub fn with_api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.api_key = Some(key.into());
        self
    }
}

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A JSON schema the answer must follow (sent only when the provider supports it).
#[derive(Debug, Clone)]
pub struct JsonSchema {
    pub name: String,
    pub schema: Value,
}

/// Per-call options; the configuration's values apply where these are `None`.
#[derive(Debug, Clone, Default)]
pub struct ChatOptions {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub json_schema: Option<JsonSchema>,
    /// Cancels the call (or the stream) when triggered.
    pub cancel: Option<CancellationToken>,
}

/// Tokens spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// The provider reported no usage; these are estimates (characters / 4).
    pub estimated: bool,
}

impl Usage {
    /// The usage guessed from the text sent and received.
    pub fn estimate(prompt_chars: usize, completion_chars: usize) -> Self {
        Self {
            prompt_tokens: prompt_chars.div_ceil(4) as u64,
            completion_tokens: completion_chars.div_ceil(4) as u64,
            estimated: true,
        }
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Self) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.estimated |= other.estimated;
    }
}

/// A complete answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The answer (`content`, or `reasoning_content` when a reasoning model left `content`
    /// null).
    pub text: String,
    /// `reasoning_content`, when the server separates the model's thinking.
    pub reasoning: Option<String>,
    pub usage: Usage,
    /// The model that answered, as the provider names it.
    pub model: String,
    pub duration: Duration,
    pub finish_reason: Option<String>,
}

/// One piece of a streamed answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delta {
    pub text: String,
    pub reasoning: String,
    /// Set on the last piece of content (`stop`; `length` ends the stream with
    /// [`AiError::Truncated`] instead).
    pub finish_reason: Option<String>,
    /// Sent by most providers in the last chunk.
    pub usage: Option<Usage>,
}

/// A client for one OpenAI-compatible chat endpoint. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Provider {
    config: ProviderConfig,
    endpoint: String,
    client: reqwest::Client,
    redactor: Redactor,
}

impl Provider {
    pub fn new(config: ProviderConfig) -> Result<Self, AiError> {
        let endpoint = chat_endpoint(&config.base_url)?;
        let client = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| AiError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            config,
            endpoint,
            client,
            redactor: Redactor::default(),
        })
    }

    /// Sets the redactor every outgoing message passes through.
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The `…/chat/completions` URL requests go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Asks for a complete answer.
    pub async fn chat(
        &self,
        messages: &[Message],
        options: &ChatOptions,
    ) -> Result<Completion, AiError> {
        let call = self.chat_uncancellable(messages, options);
        match &options.cancel {
            Some(token) => tokio::select! {
                _ = token.cancelled() => Err(AiError::Cancelled),
                result = call => result,
            },
            None => call.await,
        }
    }

    async fn chat_uncancellable(
        &self,
        messages: &[Message],
        options: &ChatOptions,
    ) -> Result<Completion, AiError> {
        let started = Instant::now();
        let deadline = started + self.config.timeout;
        let (body, prompt_chars) = self.request_body(messages, options, false);
        let response = self.send(&body, deadline).await?;
        let bytes = match timeout_at(deadline, response.bytes()).await {
            Err(_) => return Err(self.whole_timeout()),
            Ok(Err(e)) => {
                return Err(AiError::Truncated {
                    reason: format!(
                        "the connection closed before the answer was complete ({})",
                        error_chain(&e)
                    ),
                    partial: String::new(),
                });
            }
            Ok(Ok(bytes)) => bytes,
        };
        // A server (or proxy) that streams although `stream: false` was asked.
        let parsed = if bytes.trim_ascii_start().starts_with(b"data:") {
            self.collect_sse(&bytes, prompt_chars)
        } else {
            parse_completion(&bytes, prompt_chars, &self.config)
        };
        let mut completion = parsed.map_err(|e| match e {
            AiError::Server { status, message } => AiError::Server {
                status,
                message: self.scrub(&message),
            },
            other => other,
        })?;
        completion.duration = started.elapsed();
        tracing::debug!(
            model = %completion.model,
            prompt_tokens = completion.usage.prompt_tokens,
            completion_tokens = completion.usage.completion_tokens,
            estimated = completion.usage.estimated,
            duration_ms = completion.duration.as_millis() as u64,
            "AI completion"
        );
        Ok(completion)
    }

    /// A whole SSE answer read at once, as one completion.
    fn collect_sse(&self, bytes: &[u8], prompt_chars: usize) -> Result<Completion, AiError> {
        let mut state = StreamState::new(self.clone(), Value::Null, prompt_chars, None);
        let mut events = state.parser.push(bytes);
        events.extend(state.parser.finish());
        for data in &events {
            state.handle_event(data);
        }
        if !state.finished && !state.pending.iter().any(Result::is_err) {
            return Err(AiError::Truncated {
                reason: "the streamed answer stopped before its finish_reason or [DONE]"
                    .to_string(),
                partial: state.text,
            });
        }
        let mut text = String::new();
        let mut reasoning = String::new();
        let mut usage = None;
        let mut finish_reason = None;
        for item in state.pending {
            let delta = item?;
            text.push_str(&delta.text);
            reasoning.push_str(&delta.reasoning);
            usage = delta.usage.or(usage);
            finish_reason = delta.finish_reason.or(finish_reason);
        }
        if text.trim().is_empty() {
            text = reasoning.clone();
        }
        if text.trim().is_empty() {
            return Err(AiError::Malformed("the answer has no content".to_string()));
        }
        Ok(Completion {
            usage: usage.unwrap_or_else(|| Usage::estimate(prompt_chars, text.chars().count())),
            text,
            reasoning: (!reasoning.is_empty()).then_some(reasoning),
            model: self.config.model.clone(),
            duration: Duration::ZERO,
            finish_reason,
        })
    }

    /// Asks for a streamed answer (server-sent events). The stream ends after the last
    /// piece, or with one error: [`AiError::Truncated`] when the answer hit the token limit
    /// or the connection closed before `[DONE]`, [`AiError::Timeout`] when a chunk took
    /// longer than `idle_timeout`, [`AiError::Cancelled`] when the token fired. Dropping the
    /// stream closes the connection.
    pub fn chat_stream(
        &self,
        messages: &[Message],
        options: &ChatOptions,
    ) -> impl Stream<Item = Result<Delta, AiError>> + Send + 'static {
        let (body, prompt_chars) = self.request_body(messages, options, true);
        let state = StreamState::new(self.clone(), body, prompt_chars, options.cancel.clone());
        futures::stream::unfold(state, |mut state| async move {
            let item = state.next_item().await?;
            Some((item, state))
        })
    }

    /// The JSON body for `messages`, every message redacted, and the characters sent (for
    /// usage estimates).
    fn request_body(
        &self,
        messages: &[Message],
        options: &ChatOptions,
        stream: bool,
    ) -> (Value, usize) {
        let mut chars = 0;
        let messages: Vec<Message> = messages
            .iter()
            .map(|m| {
                let content = self.redactor.redact(&m.content);
                chars += content.chars().count();
                Message {
                    role: m.role,
                    content,
                }
            })
            .collect();
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "stream": stream,
        });
        if stream {
            body["stream_options"] = json!({"include_usage": true});
        }
        if let Some(max) = options.max_tokens.or(self.config.max_tokens) {
            body["max_tokens"] = json!(max);
        }
        if let Some(t) = options.temperature.or(self.config.temperature) {
            body["temperature"] = json!(t);
        }
        if let (Some(schema), true) = (&options.json_schema, self.config.json_schema) {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": schema.name, "schema": schema.schema, "strict": true},
            });
        }
        (body, chars)
    }

    /// Posts `body`, retrying 429 and 5xx with backoff, until `deadline`.
    async fn send(&self, body: &Value, deadline: Instant) -> Result<reqwest::Response, AiError> {
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let mut request = self.client.post(&self.endpoint).json(body);
            if let Some(key) = &self.config.api_key {
                request = request.bearer_auth(key.expose());
            }
            let response = match timeout_at(deadline, request.send()).await {
                Err(_) => return Err(self.whole_timeout()),
                Ok(Err(e)) if e.is_timeout() => return Err(self.whole_timeout()),
                Ok(Err(e)) => {
                    return Err(AiError::Unreachable {
                        url: self.endpoint.clone(),
                        reason: self.scrub(&error_chain(&e)),
                    });
                }
                Ok(Ok(response)) => response,
            };
            let status = response.status().as_u16();
            if response.status().is_success() {
                return Ok(response);
            }
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = match timeout_at(deadline, response.text()).await {
                Ok(Ok(text)) => text,
                _ => String::new(),
            };
            let message = self.scrub(&error_message(&text));
            let retryable = matches!(status, 429 | 500 | 502 | 503 | 504);
            if retryable && attempt <= self.config.max_retries {
                let backoff = self
                    .config
                    .retry_delay
                    .saturating_mul(1u32 << (attempt - 1).min(16));
                let delay = retry_after.unwrap_or(backoff).min(MAX_RETRY_DELAY);
                if Instant::now() + delay < deadline {
                    tracing::warn!(status, attempt, delay_ms = delay.as_millis() as u64, %message, "AI provider failed; retrying");
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
            return Err(match status {
                401 | 403 => AiError::Unauthorized { status, message },
                429 => AiError::RateLimited {
                    attempts: attempt,
                    message,
                },
                _ => AiError::Server { status, message },
            });
        }
    }

    fn whole_timeout(&self) -> AiError {
        AiError::Timeout {
            after: self.config.timeout,
            what: "the whole request",
        }
    }

    /// `text` without the API key (some providers echo it in their 401 message).
    fn scrub(&self, text: &str) -> String {
        match &self.config.api_key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "<api key>"),
            _ => text.to_string(),
        }
    }
}

/// `…/chat/completions` for a base URL in any of the accepted forms.
fn chat_endpoint(base_url: &str) -> Result<String, AiError> {
    let trimmed = base_url.trim().trim_end_matches('/');
    let trimmed = trimmed
        .strip_suffix("/chat/completions")
        .unwrap_or(trimmed)
        .trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| AiError::Config(format!("base URL {base_url:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AiError::Config(format!(
            "base URL {base_url:?}: use http:// or https://"
        )));
    }
    if url.path().trim_matches('/').is_empty() {
        Ok(format!("{trimmed}/v1/chat/completions"))
    } else {
        Ok(format!("{trimmed}/chat/completions"))
    }
}

/// An error and its sources, `: `-joined.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

/// The message of an error body: `{error: {message}}`, `{error: "…"}`, `{message}`,
/// `{detail}`, or the plain text, shortened.
fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        let error = v.get("error");
        error
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .or_else(|| error.and_then(Value::as_str))
            .or_else(|| v.get("message").and_then(Value::as_str))
            .or_else(|| v.get("detail").and_then(Value::as_str))
            .map(str::to_string)
    });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    if text.is_empty() {
        "(no error message)".to_string()
    } else {
        excerpt(&text, MAX_ERROR_CHARS)
    }
}

/// At most `max` characters of `text`, with `…` when cut.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// `content` as a string: a string, an array of `{type: "text", text}` parts, or null.
fn content_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str).or_else(|| p.as_str()))
            .collect(),
        _ => String::new(),
    }
}

fn reasoning_text(value: &Value) -> String {
    value
        .get("reasoning_content")
        .or_else(|| value.get("reasoning"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn parse_usage(value: Option<&Value>) -> Option<Usage> {
    let usage = value?;
    Some(Usage {
        prompt_tokens: usage.get("prompt_tokens")?.as_u64()?,
        completion_tokens: usage
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        estimated: false,
    })
}

fn length_reason(config: &ProviderConfig) -> String {
    match config.max_tokens {
        Some(max) => format!(
            "the model reached the token limit (max_tokens {max}); raise max_tokens or ask for less"
        ),
        None => "the model reached its token limit; raise max_tokens or ask for less".to_string(),
    }
}

fn parse_completion(
    bytes: &[u8],
    prompt_chars: usize,
    config: &ProviderConfig,
) -> Result<Completion, AiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        AiError::Malformed(format!(
            "not JSON ({e}): {:?}",
            excerpt(&String::from_utf8_lossy(bytes), 200)
        ))
    })?;
    if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
        return Err(AiError::Server {
            status: 200,
            message: error_message(&error.to_string()),
        });
    }
    let choice = value
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| AiError::Malformed("no `choices` in the answer".to_string()))?;
    let message = choice
        .get("message")
        .or_else(|| choice.get("delta"))
        .ok_or_else(|| AiError::Malformed("no `message` in the answer's choice".to_string()))?;
    let content = content_text(message.get("content"));
    let reasoning = reasoning_text(message);
    let text = if content.trim().is_empty() {
        reasoning.clone()
    } else {
        content
    };
    let finish_reason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_string);
    if finish_reason.as_deref() == Some("length") {
        return Err(AiError::Truncated {
            reason: length_reason(config),
            partial: text,
        });
    }
    if text.trim().is_empty() {
        return Err(AiError::Malformed(
            "the answer has no content (content and reasoning_content are empty)".to_string(),
        ));
    }
    let usage = parse_usage(value.get("usage"))
        .unwrap_or_else(|| Usage::estimate(prompt_chars, text.chars().count()));
    Ok(Completion {
        model: value
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(&config.model)
            .to_string(),
        reasoning: (!reasoning.is_empty()).then_some(reasoning),
        text,
        usage,
        duration: Duration::ZERO,
        finish_reason,
    })
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

struct StreamState {
    provider: Provider,
    body: Value,
    prompt_chars: usize,
    cancel: Option<CancellationToken>,
    deadline: Option<Instant>,
    chunks: Option<ByteStream>,
    parser: SseParser,
    pending: VecDeque<Result<Delta, AiError>>,
    /// Everything streamed so far (for `Truncated::partial` and usage estimates).
    text: String,
    /// A `finish_reason` or `[DONE]` arrived: the answer is complete.
    finished: bool,
    /// Nothing more will be read.
    ended: bool,
}

impl StreamState {
    fn new(
        provider: Provider,
        body: Value,
        prompt_chars: usize,
        cancel: Option<CancellationToken>,
    ) -> Self {
        Self {
            provider,
            body,
            prompt_chars,
            cancel,
            deadline: None,
            chunks: None,
            parser: SseParser::default(),
            pending: VecDeque::new(),
            text: String::new(),
            finished: false,
            ended: false,
        }
    }

    async fn next_item(&mut self) -> Option<Result<Delta, AiError>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                if item.is_err() {
                    self.pending.clear();
                    self.ended = true;
                    self.chunks = None;
                }
                return Some(item);
            }
            if self.ended {
                return None;
            }
            let config = &self.provider.config;
            let deadline = *self
                .deadline
                .get_or_insert_with(|| Instant::now() + config.timeout);
            let Some(chunks) = self.chunks.as_mut() else {
                let send = self.provider.send(&self.body, deadline);
                let result = match &self.cancel {
                    Some(token) => tokio::select! {
                        _ = token.cancelled() => Err(AiError::Cancelled),
                        result = send => result,
                    },
                    None => send.await,
                };
                match result {
                    Ok(response) => self.chunks = Some(Box::pin(response.bytes_stream())),
                    Err(e) => self.pending.push_back(Err(e)),
                }
                continue;
            };
            let idle_deadline = Instant::now() + config.idle_timeout;
            let wait_until = idle_deadline.min(deadline);
            let next = timeout_at(wait_until, chunks.next());
            let next = match &self.cancel {
                Some(token) => tokio::select! {
                    _ = token.cancelled() => {
                        self.pending.push_back(Err(AiError::Cancelled));
                        continue;
                    }
                    next = next => next,
                },
                None => next.await,
            };
            match next {
                Err(_) => {
                    let error = if idle_deadline < deadline {
                        AiError::Timeout {
                            after: config.idle_timeout,
                            what: "no chunk of the streamed answer within the idle timeout",
                        }
                    } else {
                        self.provider.whole_timeout()
                    };
                    self.pending.push_back(Err(error));
                }
                Ok(Some(Ok(bytes))) => {
                    for data in self.parser.push(&bytes) {
                        self.handle_event(&data);
                    }
                }
                Ok(Some(Err(e))) => {
                    for data in self.parser.finish() {
                        self.handle_event(&data);
                    }
                    if !self.finished {
                        self.pending.push_back(Err(AiError::Truncated {
                            reason: format!(
                                "the connection broke mid-stream ({})",
                                error_chain(&e)
                            ),
                            partial: self.text.clone(),
                        }));
                    }
                    self.ended = true;
                }
                Ok(None) => {
                    for data in self.parser.finish() {
                        self.handle_event(&data);
                    }
                    if !self.finished {
                        self.pending.push_back(Err(AiError::Truncated {
                            reason: "the connection closed before the end of the streamed answer"
                                .to_string(),
                            partial: self.text.clone(),
                        }));
                    }
                    self.ended = true;
                }
            }
        }
    }

    /// One SSE event's data.
    fn handle_event(&mut self, data: &str) {
        if self.ended {
            return;
        }
        let data = data.trim();
        if data == "[DONE]" {
            self.finished = true;
            self.ended = true;
            return;
        }
        let value: Value = match serde_json::from_str(data) {
            Ok(v) => v,
            Err(e) => {
                self.pending.push_back(Err(AiError::Malformed(format!(
                    "a streamed chunk is not JSON ({e}): {:?}",
                    excerpt(data, 200)
                ))));
                return;
            }
        };
        if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
            self.pending.push_back(Err(AiError::Server {
                status: 200,
                message: self.provider.scrub(&error_message(&error.to_string())),
            }));
            return;
        }
        let choice = value.get("choices").and_then(|c| c.get(0));
        let delta_value = choice.and_then(|c| c.get("delta").or_else(|| c.get("message")));
        let mut delta = Delta {
            text: content_text(delta_value.and_then(|d| d.get("content"))),
            reasoning: delta_value.map(reasoning_text).unwrap_or_default(),
            finish_reason: choice
                .and_then(|c| c.get("finish_reason"))
                .and_then(Value::as_str)
                .map(str::to_string),
            usage: parse_usage(value.get("usage")),
        };
        self.text.push_str(&delta.text);
        let truncated = delta.finish_reason.as_deref() == Some("length");
        if truncated {
            delta.finish_reason = None;
        } else if delta.finish_reason.is_some() {
            self.finished = true;
        }
        if delta.finish_reason.is_some() && delta.usage.is_none() {
            // Providers that send no usage: an estimate on the last piece, replaced if a
            // usage chunk follows.
            delta.usage = Some(Usage::estimate(
                self.prompt_chars,
                self.text.chars().count(),
            ));
        }
        if delta != Delta::default() {
            self.pending.push_back(Ok(delta));
        }
        if truncated {
            self.pending.push_back(Err(AiError::Truncated {
                reason: length_reason(&self.provider.config),
                partial: self.text.clone(),
            }));
        }
    }
}

/// Server-sent events: bytes in, each event's `data` out (multi-line data joined with `\n`).
/// Tolerates `\r\n`, comments, other fields, and servers that omit the blank line between
/// events.
#[derive(Debug, Default)]
struct SseParser {
    buffer: Vec<u8>,
    data: Vec<String>,
}

impl SseParser {
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(pos) = self.buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1]);
            self.line(line.trim_end_matches('\r'), &mut events);
        }
        events
    }

    /// The events left when the connection ends: the last one only if it is whole (a cut
    /// one is the truncation the caller reports, not a malformed answer).
    fn finish(&mut self) -> Vec<String> {
        let mut events = Vec::new();
        if !self.buffer.is_empty() {
            let line = String::from_utf8_lossy(&std::mem::take(&mut self.buffer)).into_owned();
            self.line(line.trim_end_matches('\r'), &mut events);
        }
        if is_whole_event(&self.data.join("\n")) {
            self.dispatch(&mut events);
        }
        self.data.clear();
        events
    }

    fn line(&mut self, line: &str, events: &mut Vec<String>) {
        if line.is_empty() {
            self.dispatch(events);
            return;
        }
        let Some(data) = line.strip_prefix("data:") else {
            // `:` comments (keep-alives), `event:`, `id:`, `retry:`.
            return;
        };
        let data = data.strip_prefix(' ').unwrap_or(data);
        // A server that sends `data:` lines without blank lines in between: the previous
        // data is already a whole event.
        if !self.data.is_empty() && is_whole_event(&self.data.join("\n")) {
            self.dispatch(events);
        }
        self.data.push(data.to_string());
    }

    fn dispatch(&mut self, events: &mut Vec<String>) {
        if !self.data.is_empty() {
            events.push(std::mem::take(&mut self.data).join("\n"));
        }
    }
}

fn is_whole_event(data: &str) -> bool {
    data.trim() == "[DONE]" || serde_json::from_str::<serde::de::IgnoredAny>(data).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_endpoint(base: &str, expected: &str) {
        assert_eq!(chat_endpoint(base).unwrap(), expected, "base: {base}");
    }

    #[test]
    fn endpoints_from_base_urls() {
        check_endpoint("http://h:8080", "http://h:8080/v1/chat/completions");
        check_endpoint("http://h:8080/", "http://h:8080/v1/chat/completions");
        check_endpoint("http://h:8080/v1", "http://h:8080/v1/chat/completions");
        check_endpoint("http://h:8080/v1/", "http://h:8080/v1/chat/completions");
        check_endpoint(
            "https://openrouter.ai/api/v1",
            "https://openrouter.ai/api/v1/chat/completions",
        );
        check_endpoint(
            "http://h/v1/chat/completions",
            "http://h/v1/chat/completions",
        );
        assert!(chat_endpoint("not a url").is_err());
        assert!(chat_endpoint("ftp://h").is_err());
    }

    #[test]
    fn error_messages_from_bodies() {
        assert_eq!(
            error_message(r#"{"error":{"message":"bad model"}}"#),
            "bad model"
        );
        assert_eq!(
            error_message(r#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(error_message(r#"{"detail":"nope"}"#), "nope");
        assert_eq!(
            error_message("Internal Server Error\n"),
            "Internal Server Error"
        );
        assert_eq!(error_message(""), "(no error message)");
    }

    #[test]
    fn sse_events_across_chunks() {
        let mut parser = SseParser::default();
        let mut events = parser.push(b"da");
        events.extend(parser.push(b"ta: {\"a\":1}\r\n\r\n: keep-alive\n\ndata: [DO"));
        events.extend(parser.push(b"NE]\n\n"));
        assert_eq!(events, ["{\"a\":1}", "[DONE]"]);
    }

    #[test]
    fn sse_events_without_blank_lines() {
        let mut parser = SseParser::default();
        let mut events = parser.push(b"data: {\"a\":1}\ndata: {\"b\":2}\n");
        events.extend(parser.finish());
        assert_eq!(events, ["{\"a\":1}", "{\"b\":2}"]);
        // A cut last event is dropped.
        let mut events = parser.push(b"data: {\"a\":1}\n\ndata: {\"b\"");
        events.extend(parser.finish());
        assert_eq!(events, ["{\"a\":1}"]);
    }

    #[test]
    fn secret_string_debug_hides_the_value() {
        let config = ProviderConfig::new("http://h", "m").with_api_key("sk-very-secret");
        assert!(!format!("{config:?}").contains("sk-very-secret"));
    }

    #[test]
    fn completion_with_null_content_uses_reasoning() {
        let config = ProviderConfig::new("http://h", "m");
        let body = br#"{"choices":[{"message":{"content":null,"reasoning_content":"hi there"},"finish_reason":"stop"}],"timings":{"x":1}}"#;
        let completion = parse_completion(body, 8, &config).unwrap();
        assert_eq!(completion.text, "hi there");
        assert_eq!(
            completion.usage,
            Usage {
                prompt_tokens: 2,
                completion_tokens: 2,
                estimated: true
            }
        );
    }
}
