//! A typed client for the WindFlow REST API: bearer-token auth, problem+json errors, and
//! Server-Sent Event streams.

use std::time::Duration;

use futures::Stream;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use windflow_protocol::{API_PREFIX, Problem};

use super::sse::{self, SseEvent};

/// How long an ordinary (non-streaming) call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What went wrong talking to the server.
#[derive(Debug)]
pub enum ApiError {
    /// No connection (refused, DNS, TLS, timeout): the request may not have arrived.
    Connect { server: String, message: String },
    /// The server answered with an error status.
    Problem(Box<Problem>),
    /// Anything else (an unreadable answer, a body that is not what the API promises).
    Other(String),
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Problem(p) => Some(p.status),
            _ => None,
        }
    }

    /// The request may not have reached the server: safe to retry with the same
    /// idempotency key.
    pub fn is_connect(&self) -> bool {
        matches!(self, ApiError::Connect { .. })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Connect { server, message } => {
                write!(f, "cannot reach the WindFlow server at {server}: {message}")
            }
            ApiError::Problem(problem) => {
                write!(
                    f,
                    "{}",
                    problem.detail.as_deref().unwrap_or(problem.title.as_str())
                )?;
                for e in &problem.errors {
                    match e.line {
                        Some(line) => write!(f, "\n  line {line}: {}: {}", e.field, e.message)?,
                        None => write!(f, "\n  {}: {}", e.field, e.message)?,
                    }
                }
                Ok(())
            }
            ApiError::Other(message) => f.write_str(message),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Clone)]
pub struct Client {
    /// `http://host:port`, no trailing slash.
    pub server: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    pub fn new(server: &str, token: Option<String>) -> ApiResult<Client> {
        Self::build(server, token, false)
    }

    /// A client that keeps cookies: for the password login that precedes token creation.
    pub fn with_cookies(server: &str) -> ApiResult<Client> {
        Self::build(server, None, true)
    }

    fn build(server: &str, token: Option<String>, cookies: bool) -> ApiResult<Client> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("windflow-cli/", env!("CARGO_PKG_VERSION")))
            .cookie_store(cookies)
            .build()
            .map_err(|e| ApiError::Other(format!("building the HTTP client: {e}")))?;
        Ok(Client {
            server: server.trim_end_matches('/').to_string(),
            token,
            http,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.server)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends a request and returns the successful response, or the server's problem.
    pub async fn send(&self, request: RequestBuilder) -> ApiResult<Response> {
        let response = request.send().await.map_err(|e| self.transport(e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(problem(response).await)
    }

    /// Sends and decodes the JSON answer.
    pub async fn call<T: DeserializeOwned>(&self, request: RequestBuilder) -> ApiResult<T> {
        let response = self.send(request.timeout(CALL_TIMEOUT)).await?;
        let text = response.text().await.map_err(|e| self.transport(e))?;
        serde_json::from_str(&text)
            .map_err(|e| ApiError::Other(format!("unexpected answer from the server: {e}")))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> ApiResult<T> {
        self.call(self.request(Method::GET, path)).await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> ApiResult<T> {
        self.call(self.request(Method::POST, path).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> ApiResult<()> {
        self.send(self.request(Method::DELETE, path).timeout(CALL_TIMEOUT))
            .await
            .map(drop)
    }

    /// Opens an event stream (no overall timeout: it lasts as long as the server sends).
    pub async fn events(
        &self,
        request: RequestBuilder,
    ) -> ApiResult<impl Stream<Item = Result<SseEvent, reqwest::Error>> + use<>> {
        let response = self
            .send(request.header(reqwest::header::ACCEPT, "text/event-stream"))
            .await?;
        Ok(sse::events(response))
    }

    pub fn transport(&self, e: reqwest::Error) -> ApiError {
        if e.is_connect() || e.is_timeout() || e.is_request() {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message = format!("{message}: {s}");
                source = s.source();
            }
            ApiError::Connect {
                server: self.server.clone(),
                message,
            }
        } else {
            ApiError::Other(format!("reading the server's answer: {e}"))
        }
    }
}

async fn problem(response: Response) -> ApiError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let problem = serde_json::from_str::<Problem>(&text).unwrap_or_else(|_| Problem {
        kind: "about:blank".into(),
        title: status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
        status: status.as_u16(),
        detail: Some(if text.trim().is_empty() {
            format!("the server answered {status}")
        } else {
            format!("the server answered {status}: {}", text.trim())
        }),
        instance: None,
        request_id: None,
        errors: Vec::new(),
    });
    let mut problem = problem;
    if status == StatusCode::UNAUTHORIZED {
        let detail = problem.detail.take().unwrap_or(problem.title.clone());
        problem.detail = Some(format!(
            "{detail}\nhint: run `windflow login <url>`, or set WINDFLOW_TOKEN to a valid API token"
        ));
    }
    ApiError::Problem(Box::new(problem))
}
