//! windflow-ai against a real OpenAI-compatible server: llama.cpp's `llama-server` with a small
//! model. Opt-in: runs only when `WINDFLOW_TEST_LLAMA_SERVER` names the binary
//! (`eval "$(scripts/ensure-llama.sh)"` builds it, fetches the model and sets it, with
//! `WINDFLOW_TEST_LLAMA_MODEL`); without it each test says so and passes. The model is tiny, so
//! these tests check the protocol and the pipeline, not the quality of its stacks.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use windflow_ai::{
    AiError, ChatOptions, GenerateRequest, JsonSchema, Message, Provider, ProviderConfig,
    compose_check, generate, generation_check,
};

const API_KEY: &str = "windflow-llama-test-key";

/// A `llama-server` on a loopback port, stopped (by its own pid) when dropped.
struct LlamaServer {
    child: Child,
    url: String,
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn model_path() -> PathBuf {
    if let Some(path) = std::env::var_os("WINDFLOW_TEST_LLAMA_MODEL") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    cache.join("windflow/llama/models/gemma-3-270m-q4_k_m.gguf")
}

/// Starts the server named by `WINDFLOW_TEST_LLAMA_SERVER`, or `None` (the test is skipped).
async fn start() -> Option<LlamaServer> {
    let Some(binary) = std::env::var_os("WINDFLOW_TEST_LLAMA_SERVER") else {
        eprintln!("skipped: set WINDFLOW_TEST_LLAMA_SERVER (see scripts/ensure-llama.sh)");
        return None;
    };
    let model = model_path();
    assert!(
        model.is_file(),
        "no model at {} (WINDFLOW_TEST_LLAMA_MODEL)",
        model.display()
    );
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let log = std::env::temp_dir().join(format!("windflow-llama-{port}.log"));
    let child = Command::new(&binary)
        .arg("--model")
        .arg(&model)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--api-key", API_KEY, "--ctx-size", "4096", "--threads", "2"])
        .args(["--parallel", "1"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", PathBuf::from(&binary).display()));
    let server = LlamaServer {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    // `/health` answers 200 once the model is loaded.
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let ready = client
            .get(format!("{}/health", server.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return Some(server);
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "llama-server did not become healthy in 180 s; see {}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn provider(server: &LlamaServer, key: &str) -> Provider {
    let mut config = ProviderConfig::new(format!("{}/v1/", server.url), "gemma").with_api_key(key);
    config.timeout = Duration::from_secs(300);
    config.idle_timeout = Duration::from_secs(60);
    config.max_tokens = Some(256);
    config.json_schema = true;
    Provider::new(config).unwrap()
}

#[tokio::test]
async fn a_real_server_answers_complete_and_streamed() {
    let Some(server) = start().await else { return };
    let provider = provider(&server, API_KEY);
    let messages = [Message::user("Name three colours.")];

    let completion = match provider.chat(&messages, &ChatOptions::default()).await {
        Ok(completion) => completion,
        // A tiny base model may ramble to the limit: that, too, is the real protocol.
        Err(AiError::Truncated { partial, .. }) => {
            assert!(!partial.is_empty());
            return;
        }
        Err(other) => panic!("{other}"),
    };
    assert!(!completion.text.trim().is_empty());
    assert!(!completion.usage.estimated, "llama-server reports usage");
    assert!(completion.usage.prompt_tokens > 0);

    let items: Vec<_> = provider
        .chat_stream(&messages, &ChatOptions::default())
        .collect()
        .await;
    let text: String = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|d| d.text.as_str())
        .collect();
    assert!(!text.is_empty(), "{items:?}");
    match items.last().unwrap() {
        Ok(_) | Err(AiError::Truncated { .. }) => {}
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_real_server_refuses_a_wrong_key() {
    let Some(server) = start().await else { return };
    let error = provider(&server, "not-the-key")
        .chat(&[Message::user("hi")], &ChatOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, AiError::Unauthorized { .. }), "{error:?}");
    assert!(!error.to_string().contains("not-the-key"));
}

#[tokio::test]
async fn a_real_server_follows_a_json_schema() {
    let Some(server) = start().await else { return };
    let options = ChatOptions {
        json_schema: Some(JsonSchema {
            name: "colours".to_string(),
            schema: serde_json::json!({
                "type": "object",
                "properties": {"colours": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 20},
                    "maxItems": 3,
                }},
                "required": ["colours"],
            }),
        }),
        ..ChatOptions::default()
    };
    let completion = provider(&server, API_KEY)
        .chat(&[Message::user("Name three colours as JSON.")], &options)
        .await
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&completion.text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", completion.text));
    assert!(value["colours"].is_array(), "{value}");
}

#[tokio::test]
async fn the_pipeline_runs_against_a_real_model() {
    let Some(server) = start().await else { return };
    let mut provider_config = provider(&server, API_KEY).config().clone();
    provider_config.max_tokens = Some(512);
    let provider = Provider::new(provider_config).unwrap();
    let mut request = GenerateRequest::new("a single nginx web server on port 8080");
    request.max_rounds = 2;
    let mut asked = 0;
    match generate(&provider, &request, generation_check, |p| {
        if matches!(p, windflow_ai::Progress::Asking { .. }) {
            asked += 1;
        }
    })
    .await
    {
        // Whatever the model wrote, only a stack the loader accepts comes back.
        Ok(generated) => {
            assert!(
                compose_check(&generated.compose)
                    .iter()
                    .all(|p| !p.is_error())
            );
        }
        Err(AiError::NoValidStack { rounds }) => assert_eq!(rounds.len(), 2),
        Err(other) => panic!("{other}"),
    }
    assert!(asked >= 1);
}
