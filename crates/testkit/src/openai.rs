//! A scripted OpenAI-compatible server on loopback, for the AI tests of the `ai` crate and
//! of the server: each test queues the answers it wants, in order, and reads back every
//! request the server received (a real HTTP server: the client under test speaks to it
//! exactly as to OpenAI, LiteLLM or llama.cpp).
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use futures::StreamExt as _;
use serde_json::{Value, json};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this JSON body.
    Json(Value),
    /// This status, headers and raw body.
    Raw {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// 200 `text/event-stream`: the chunks sent as given (split them anywhere), with a pause
    /// between; `abort` breaks the connection after the last one instead of ending cleanly.
    Stream {
        chunks: Vec<String>,
        pause: Duration,
        abort: bool,
    },
    /// Waits, then answers.
    Delay(Duration, Box<Reply>),
}

/// A complete answer with usage, as OpenAI sends it.
pub fn answer(text: &str) -> Reply {
    Reply::Json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "scripted-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }))
}

/// A complete answer without `usage`, with llama.cpp's extra fields.
pub fn answer_without_usage(text: &str) -> Reply {
    Reply::Json(json!({
        "model": "gemma",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "timings": {"prompt_n": 12, "predicted_per_second": 30.5},
        "system_fingerprint": "b1-abc",
    }))
}

/// An error status with an OpenAI-style `{error: {message}}` body.
pub fn error(status: u16, message: &str) -> Reply {
    Reply::Raw {
        status,
        headers: vec![("content-type", "application/json".to_string())],
        body: json!({"error": {"message": message, "type": "error"}}).to_string(),
    }
}

/// The SSE text of a streamed answer made of `pieces`, ending with `finish_reason`, a usage
/// chunk and `[DONE]` (when `done`).
pub fn sse(pieces: &[&str], finish_reason: &str, done: bool) -> String {
    let mut text = String::new();
    for piece in pieces {
        let chunk =
            json!({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]});
        text.push_str(&format!("data: {chunk}\n\n"));
    }
    let last = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": finish_reason}]});
    text.push_str(&format!("data: {last}\n\n"));
    if done {
        let usage = json!({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3}});
        text.push_str(&format!(
            ": keep-alive\n\ndata: {usage}\n\ndata: [DONE]\n\n"
        ));
    }
    text
}

/// `text` cut every `size` bytes (in the middle of lines and of `data:` prefixes).
pub fn split_every(text: &str, size: usize) -> Vec<String> {
    text.as_bytes()
        .chunks(size)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("request bodies are JSON")
    }

    /// The `content` of every message in the request, joined.
    pub fn contents(&self) -> String {
        self.json()["messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|m| m["content"].as_str().unwrap_or_default().to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Shared {
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
}

/// The scripted server; it stops with the test's runtime.
pub struct ScriptedServer {
    /// `http://127.0.0.1:PORT` (no `/v1`).
    pub url: String,
    shared: Arc<Shared>,
}

impl ScriptedServer {
    pub async fn start(replies: impl IntoIterator<Item = Reply>) -> Self {
        let shared = Arc::new(Shared::default());
        shared.replies.lock().unwrap().extend(replies);
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, shared }
    }

    pub fn push(&self, reply: Reply) {
        self.shared.replies.lock().unwrap().push_back(reply);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.requests.lock().unwrap().push(Recorded {
        path: uri.path().to_string(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let reply = shared.replies.lock().unwrap().pop_front();
    match reply {
        Some(reply) => render(reply).await,
        None => Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from("no scripted reply left"))
            .unwrap(),
    }
}

async fn render(mut reply: Reply) -> Response {
    while let Reply::Delay(pause, inner) = reply {
        tokio::time::sleep(pause).await;
        reply = *inner;
    }
    match reply {
        Reply::Json(value) => Response::builder()
            .header("content-type", "application/json")
            .body(Body::from(value.to_string()))
            .unwrap(),
        Reply::Raw {
            status,
            headers,
            body,
        } => {
            let mut builder = Response::builder().status(status);
            for (name, value) in headers {
                builder = builder.header(name, value);
            }
            builder.body(Body::from(body)).unwrap()
        }
        Reply::Stream {
            chunks,
            pause,
            abort,
        } => {
            let stream = futures::stream::iter(chunks.into_iter().enumerate()).then(
                move |(i, chunk)| async move {
                    if i > 0 {
                        tokio::time::sleep(pause).await;
                    }
                    Ok::<_, std::io::Error>(Bytes::from(chunk))
                },
            );
            let body = if abort {
                let broken = futures::stream::once(async {
                    Err(std::io::Error::other("scripted connection break"))
                });
                Body::from_stream(stream.chain(broken))
            } else {
                Body::from_stream(stream)
            };
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(body)
                .unwrap()
        }
        Reply::Delay(..) => unreachable!("unwrapped above"),
    }
}
