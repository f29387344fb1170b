//! windflow-ai against a scripted OpenAI-compatible server on loopback: real HTTP, real
//! SSE, nothing of the crate mocked.

use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::StreamExt as _;
use windflow_ai::{
    AiError, ChatOptions, DiagnoseInput, GenerateRequest, Message, OptimizeInput, Provider,
    ProviderConfig, Redactor, ServiceUsage, compose_check, diagnose, generate, generation_check,
    optimize,
};
use windflow_testkit::openai::{
    Reply, ScriptedServer, answer, answer_without_usage, error, split_every, sse,
};

const API_KEY: &str = "sk-test-0123456789abcdef";

fn provider(server: &ScriptedServer) -> Provider {
    let mut config = ProviderConfig::new(&server.url, "scripted-model").with_api_key(API_KEY);
    config.timeout = Duration::from_secs(10);
    config.retry_delay = Duration::from_millis(10);
    Provider::new(config).unwrap()
}

fn hello() -> Vec<Message> {
    vec![Message::user("hello")]
}

const GOOD_STACK: &str = "\
services:
  web:
    image: nginx:1.27.3
    ports:
      - \"8080:80\"
    healthcheck:
      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost\"]
    restart: unless-stopped
";

/// A YAML syntax error on line 4 (an unclosed flow sequence).
const YAML_ERROR_STACK: &str = "\
services:
  web:
    image: nginx:1.27.3
    ports: [\"8080:80\"
  db:
    image: postgres:16.4
";

/// A bad field: a port with an unknown protocol on line 5.
const BAD_FIELD_STACK: &str = "\
services:
  web:
    image: nginx:1.27.3
    ports:
      - \"8080:80/xyz\"
";

fn fenced(stack: &str) -> String {
    format!("Here is the stack.\n\n```yaml\n{stack}```\n")
}

#[tokio::test]
async fn the_repair_loop_feeds_file_line_diagnostics_back() {
    let server = ScriptedServer::start([
        answer(&fenced(YAML_ERROR_STACK)),
        answer(&fenced(BAD_FIELD_STACK)),
        answer(&fenced(GOOD_STACK)),
    ])
    .await;
    let mut progress = Vec::new();
    let generated = generate(
        &provider(&server),
        &GenerateRequest::new("an nginx web server"),
        compose_check,
        |p| progress.push(p),
    )
    .await
    .unwrap();

    assert_eq!(generated.compose, GOOD_STACK);
    assert_eq!(generated.rounds.len(), 3);
    assert!(generated.rounds[0].problems.iter().any(|p| p.is_error()));
    assert!(generated.rounds[2].problems.iter().all(|p| !p.is_error()));
    assert_eq!(generated.usage.prompt_tokens, 300);
    assert!(!generated.usage.estimated);
    assert_eq!(progress.len(), 9);

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    // The first feedback names the YAML error's place; the second the bad field's.
    let yaml_error = generated.rounds[0]
        .problems
        .iter()
        .find(|p| p.is_error())
        .unwrap();
    assert_eq!(yaml_error.file, "compose.yaml");
    let second = requests[1].contents();
    assert!(
        second.contains(&format!("compose.yaml:{}", yaml_error.line.unwrap())),
        "{second}"
    );
    let third = requests[2].contents();
    assert!(
        third.contains("compose.yaml:5: services.web.ports"),
        "{third}"
    );
    assert!(third.contains("xyz"), "{third}");
    // The repair request restates the broken answer and asks for a whole file.
    assert!(third.contains("8080:80/xyz"));
    assert!(third.contains("corrected, complete compose file"));
}

#[tokio::test]
async fn a_fixed_second_answer_is_accepted_after_two_rounds() {
    let server = ScriptedServer::start([
        // Prose around a fence, and a YAML error in it.
        answer(&fenced(YAML_ERROR_STACK)),
        // The raw file, no fence.
        answer(GOOD_STACK),
    ])
    .await;
    let generated = generate(
        &provider(&server),
        &GenerateRequest::new("an nginx web server"),
        compose_check,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(generated.compose, GOOD_STACK);
    assert_eq!(generated.rounds.len(), 2);
    let problem = &generated.rounds[0].problems[0];
    assert!(problem.is_error() && problem.line.is_some(), "{problem:?}");
    let second = server.requests()[1].contents();
    assert!(second.contains(&format!("- {problem}")), "{second}");
    assert!(second.contains("compose.yaml:"), "{second}");
}

#[tokio::test]
async fn the_generation_check_refuses_host_access_the_prompt_forbids() {
    let privileged = GOOD_STACK.replace(
        "    restart: unless-stopped\n",
        "    restart: unless-stopped\n    privileged: true\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n",
    );
    let server =
        ScriptedServer::start([answer(&fenced(&privileged)), answer(&fenced(GOOD_STACK))]).await;
    let generated = generate(
        &provider(&server),
        &GenerateRequest::new("nginx that manages other containers"),
        generation_check,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(generated.compose, GOOD_STACK);
    let second = server.requests()[1].contents();
    assert!(
        second.contains("compose.yaml:9: services.web.privileged"),
        "{second}"
    );
    assert!(
        second.contains("compose.yaml:11: services.web.volumes[0]"),
        "{second}"
    );
}

#[tokio::test]
async fn an_exhausted_repair_budget_returns_no_stack() {
    let server = ScriptedServer::start([
        answer(&fenced(BAD_FIELD_STACK)),
        answer("I am not sure what you mean."),
    ])
    .await;
    let mut request = GenerateRequest::new("an nginx web server");
    request.max_rounds = 2;
    let error = generate(&provider(&server), &request, compose_check, |_| {})
        .await
        .unwrap_err();
    let AiError::NoValidStack { rounds } = &error else {
        panic!("expected NoValidStack, got {error:?}");
    };
    assert_eq!(rounds.len(), 2);
    assert!(
        rounds[1].problems[0]
            .message
            .contains("no compose file found")
    );
    assert!(error.to_string().contains("2 round(s)"), "{error}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn secrets_never_reach_the_model() {
    let secret = "hunter2-S3cr3t-value!";
    let heuristic_only = "only-the-heuristic-knows";
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    let url_encoded = "hunter2-S3cr3t-value%21";
    let compose = format!(
        "services:\n  db:\n    image: postgres:16.4\n    environment:\n      GREETING: \"{secret}\"\n      API_TOKEN: {heuristic_only}\n      DATABASE_URL: postgres://app:{heuristic_only}@db/app\n"
    );
    let fix = compose.replace("postgres:16.4", "postgres:16.5");
    // What the model writes back: the file as it saw it, placeholders included.
    let model_fix = fix
        .replace(secret, "<redacted:DB_PASSWORD>")
        .replace(heuristic_only, "<redacted>");
    let server = ScriptedServer::start([
        answer(&format!(
            "CAUSE: the password <redacted:DB_PASSWORD> is wrong.\n```yaml\n{model_fix}```"
        )),
        answer(&fenced(GOOD_STACK)),
        answer(&format!("SUMMARY: nothing.\n```yaml\n{GOOD_STACK}```")),
    ])
    .await;
    let provider = provider(&server).with_redactor(Redactor::named([(
        "DB_PASSWORD".to_string(),
        secret.to_string(),
    )]));

    let input = DiagnoseInput {
        compose: compose.clone(),
        plan_summary: format!("recreate db (env DB_PASSWORD={secret})"),
        events: vec![format!("db exited 1, auth {b64}")],
        logs: vec![(
            "db".to_string(),
            vec![
                format!("FATAL: password authentication failed for {secret}"),
                format!("GET /login?pw={url_encoded}"),
            ],
        )],
        findings: vec![format!("weak password {secret}")],
    };
    let diagnosis = diagnose(&provider, &input, compose_check).await.unwrap();
    // The model saw (and echoed) placeholders; the fix handed back to the user has the
    // values again, so the diff shows only the model's change.
    assert_eq!(
        diagnosis.fix_compose.as_deref(),
        Some(fix.as_str()),
        "{diagnosis:?}"
    );
    let diff = diagnosis.diff.as_deref().unwrap();
    assert!(
        diff.contains("-    image: postgres:16.4\n+    image: postgres:16.5\n"),
        "{diff}"
    );
    assert_eq!(
        diff.lines().filter(|l| l.starts_with(['+', '-'])).count(),
        4,
        "{diff}"
    );
    generate(
        &provider,
        &GenerateRequest::new(format!("postgres with password {secret}")),
        compose_check,
        |_| {},
    )
    .await
    .unwrap();
    optimize(
        &provider,
        &OptimizeInput {
            compose: compose.clone(),
            usage: vec![],
            findings: vec![],
        },
        compose_check,
    )
    .await
    .unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        for planted in [secret, b64.as_str(), url_encoded, heuristic_only] {
            assert!(
                !request.body.contains(planted),
                "{planted:?} reached the model: {}",
                request.body
            );
        }
        assert!(!request.body.contains(API_KEY));
    }
    assert!(requests[0].contents().contains("<redacted:DB_PASSWORD>"));
}

#[tokio::test]
async fn streaming_tolerates_chunks_split_mid_line() {
    let text = sse(
        &["services:\n", "  web:\n", "    image: nginx:1.27.3\n"],
        "stop",
        true,
    );
    let server = ScriptedServer::start([Reply::Stream {
        chunks: split_every(&text, 7),
        pause: Duration::from_millis(1),
        abort: false,
    }])
    .await;
    let deltas: Vec<_> = provider(&server)
        .chat_stream(&hello(), &ChatOptions::default())
        .collect()
        .await;
    let deltas: Vec<_> = deltas.into_iter().map(Result::unwrap).collect();
    let joined: String = deltas.iter().map(|d| d.text.as_str()).collect();
    assert_eq!(joined, "services:\n  web:\n    image: nginx:1.27.3\n");
    let usage = deltas.iter().rev().find_map(|d| d.usage).unwrap();
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (7, 3));
    assert!(!usage.estimated);
    assert_eq!(server.requests()[0].json()["stream"], true);
}

#[tokio::test]
async fn a_stream_cut_mid_answer_is_truncated() {
    // The connection breaks in the middle of the second piece's JSON, before finish_reason
    // and [DONE].
    let text = sse(&["services:\n", "  web:\n"], "stop", false);
    let cut = text[..text.len() / 2].to_string();
    for abort in [true, false] {
        let server = ScriptedServer::start([Reply::Stream {
            chunks: split_every(&cut, 11),
            pause: Duration::ZERO,
            abort,
        }])
        .await;
        let items: Vec<_> = provider(&server)
            .chat_stream(&hello(), &ChatOptions::default())
            .collect()
            .await;
        let last = items.last().unwrap();
        match last {
            Err(AiError::Truncated { reason, partial }) => {
                assert!(reason.contains("connection"), "{reason}");
                assert!(partial.starts_with("services:"), "{partial:?}");
            }
            other => panic!("expected Truncated (abort {abort}), got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_stream_that_hits_the_token_limit_is_truncated() {
    let text = sse(&["services:\n"], "length", true);
    let server = ScriptedServer::start([Reply::Stream {
        chunks: vec![text],
        pause: Duration::ZERO,
        abort: false,
    }])
    .await;
    let items: Vec<_> = provider(&server)
        .chat_stream(&hello(), &ChatOptions::default())
        .collect()
        .await;
    let error = items.last().unwrap().as_ref().unwrap_err();
    assert!(matches!(error, AiError::Truncated { .. }), "{error:?}");
    assert!(error.to_string().contains("max_tokens"), "{error}");
}

#[tokio::test]
async fn a_stalled_stream_hits_the_idle_timeout() {
    let text = sse(&["a", "b"], "stop", true);
    let server = ScriptedServer::start([Reply::Stream {
        chunks: split_every(&text, 40),
        pause: Duration::from_secs(5),
        abort: false,
    }])
    .await;
    let mut config = ProviderConfig::new(&server.url, "m");
    config.idle_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let items: Vec<_> = Provider::new(config)
        .unwrap()
        .chat_stream(&hello(), &ChatOptions::default())
        .collect()
        .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    let error = items.last().unwrap().as_ref().unwrap_err();
    assert!(matches!(error, AiError::Timeout { .. }), "{error:?}");
}

#[tokio::test]
async fn a_slow_server_times_out_within_the_bound() {
    let server = ScriptedServer::start([Reply::Delay(
        Duration::from_secs(5),
        Box::new(answer("late")),
    )])
    .await;
    let mut config = ProviderConfig::new(&server.url, "m");
    config.timeout = Duration::from_millis(400);
    let started = Instant::now();
    let error = Provider::new(config)
        .unwrap()
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(error, AiError::Timeout { .. }), "{error:?}");
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert!(error.to_string().contains("400ms"), "{error}");
}

#[tokio::test]
async fn a_malformed_answer_is_a_clear_error() {
    let server = ScriptedServer::start([
        Reply::Raw {
            status: 200,
            headers: vec![],
            body: "<html>proxy error page</html>".to_string(),
        },
        Reply::Json(serde_json::json!({"object": "list", "data": []})),
    ])
    .await;
    let provider = provider(&server);
    let error = provider
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, AiError::Malformed(_)), "{error:?}");
    assert!(error.to_string().contains("not JSON"), "{error}");
    let error = provider
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no `choices`"), "{error}");
}

#[tokio::test]
async fn an_answer_cut_at_the_token_limit_is_truncated() {
    let server = ScriptedServer::start([Reply::Json(serde_json::json!({
        "choices": [{"message": {"content": "services:\n  web:\n    ima"}, "finish_reason": "length"}],
    }))])
    .await;
    let error = provider(&server)
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap_err();
    let AiError::Truncated { partial, .. } = &error else {
        panic!("expected Truncated, got {error:?}");
    };
    assert!(partial.ends_with("ima"));
    assert!(error.to_string().contains("max_tokens 4096"), "{error}");
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_without_showing_it() {
    let server = ScriptedServer::start([error(
        401,
        &format!("Incorrect API key provided: {API_KEY}"),
    )])
    .await;
    let error = provider(&server)
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, AiError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains(API_KEY), "{error}");
    assert!(!format!("{error:?}").contains(API_KEY), "{error:?}");
    assert!(error.to_string().contains("Incorrect API key provided"));
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "401 is not retried");
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some(&*format!("Bearer {API_KEY}"))
    );
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_with_a_bound() {
    let server = ScriptedServer::start([
        Reply::Raw {
            status: 429,
            headers: vec![("retry-after", "0".to_string())],
            body: "slow down".to_string(),
        },
        error(503, "loading model"),
        answer("hello back"),
    ])
    .await;
    let provider = provider(&server);
    let completion = provider
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap();
    assert_eq!(completion.text, "hello back");
    assert_eq!(server.requests().len(), 3);

    for _ in 0..4 {
        server.push(error(429, "quota"));
    }
    let error = provider
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, AiError::RateLimited { attempts: 4, .. }),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 7);

    server.push(Reply::Raw {
        status: 400,
        headers: vec![],
        body: "model 'x' not found\n".to_string(),
    });
    let error = provider
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, AiError::Server { status: 400, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("model 'x' not found"), "{error}");
    assert_eq!(server.requests().len(), 8, "400 is not retried");
}

#[tokio::test]
async fn every_base_url_form_reaches_the_chat_endpoint() {
    let server = ScriptedServer::start((0..4).map(|_| answer("ok"))).await;
    for base in [
        server.url.clone(),
        format!("{}/", server.url),
        format!("{}/v1", server.url),
        format!("{}/v1/", server.url),
    ] {
        let provider = Provider::new(ProviderConfig::new(base, "m")).unwrap();
        provider
            .chat(&hello(), &ChatOptions::default())
            .await
            .unwrap();
    }
    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec!["/v1/chat/completions"; 4]);
}

#[tokio::test]
async fn missing_usage_is_estimated_and_extra_fields_ignored() {
    let server = ScriptedServer::start([
        answer_without_usage("abcdefgh"),
        Reply::Json(serde_json::json!({
            "choices": [{"message": {"content": null, "reasoning_content": "thinking out loud"}, "finish_reason": "stop"}],
        })),
    ])
    .await;
    let provider = provider(&server);
    let completion = provider
        .chat(
            &[Message::user("1234567890123456")],
            &ChatOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(completion.text, "abcdefgh");
    assert_eq!(completion.model, "gemma");
    assert!(completion.usage.estimated);
    assert_eq!(
        (
            completion.usage.prompt_tokens,
            completion.usage.completion_tokens
        ),
        (4, 2)
    );
    let completion = provider
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap();
    assert_eq!(completion.text, "thinking out loud");
}

#[tokio::test]
async fn an_unreachable_provider_says_so() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = Provider::new(ProviderConfig::new(&url, "m"))
        .unwrap()
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, AiError::Unreachable { .. }), "{error:?}");
    assert!(error.to_string().contains(&url), "{error}");
}

#[tokio::test]
async fn a_cancelled_call_returns_at_once() {
    let server = ScriptedServer::start([Reply::Delay(
        Duration::from_secs(5),
        Box::new(answer("late")),
    )])
    .await;
    let token = tokio_util::sync::CancellationToken::new();
    let options = ChatOptions {
        cancel: Some(token.clone()),
        ..ChatOptions::default()
    };
    tokio::spawn({
        let token = token.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            token.cancel();
        }
    });
    let started = Instant::now();
    let error = provider(&server)
        .chat(&hello(), &options)
        .await
        .unwrap_err();
    assert!(matches!(error, AiError::Cancelled), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_diagnosis_keeps_only_a_fix_that_loads() {
    let compose = "services:\n  web:\n    image: nginx:1.27.3\n    ports:\n      - \"8080:80\"\n";
    let fixed = compose.replace("8080:80", "8081:80");
    let server = ScriptedServer::start([
        // A fix that loads: kept, with a diff.
        answer(&format!(
            "CAUSE: port 8080 is taken on the host.\nFIX: publish 8081.\n```yaml\n{fixed}```"
        )),
        // A fix that does not load, twice: dropped with a note.
        answer(&format!("CAUSE: bad port.\n```yaml\n{BAD_FIELD_STACK}```")),
        answer(&format!("Sorry:\n```yaml\n{BAD_FIELD_STACK}```")),
    ])
    .await;
    let provider = provider(&server);
    let input = DiagnoseInput {
        compose: compose.to_string(),
        events: vec!["web: bind: address already in use".to_string()],
        ..DiagnoseInput::default()
    };
    let diagnosis = diagnose(&provider, &input, compose_check).await.unwrap();
    assert_eq!(
        diagnosis.cause,
        "port 8080 is taken on the host.\nFIX: publish 8081."
    );
    assert_eq!(diagnosis.fix_compose.as_deref(), Some(fixed.as_str()));
    let diff = diagnosis.diff.unwrap();
    assert!(
        diff.contains("-      - \"8080:80\"\n+      - \"8081:80\"\n"),
        "{diff}"
    );

    let diagnosis = diagnose(&provider, &input, compose_check).await.unwrap();
    assert_eq!(diagnosis.fix_compose, None);
    assert_eq!(diagnosis.diff, None);
    assert_eq!(diagnosis.cause, "bad port.");
    assert!(
        diagnosis.notes[0].contains("dropped"),
        "{:?}",
        diagnosis.notes
    );
    assert!(
        diagnosis.notes[0].contains("compose.yaml:5"),
        "{:?}",
        diagnosis.notes
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests[2]
            .contents()
            .contains("compose.yaml:5: services.web.ports")
    );
}

#[tokio::test]
async fn an_optimization_proposal_is_checked_and_diffed() {
    let compose = "services:\n  web:\n    image: nginx:1.27.3\n";
    let proposed = "services:\n  web:\n    image: nginx:1.27.3\n    mem_limit: 64m\n";
    let server = ScriptedServer::start([answer(&format!(
        "SUMMARY: web peaks at 40 MiB: limit 64m.\n```yaml\n{proposed}```"
    ))])
    .await;
    let proposal = optimize(
        &provider(&server),
        &OptimizeInput {
            compose: compose.to_string(),
            usage: vec![ServiceUsage {
                service: "web".to_string(),
                memory_peak_bytes: 40 << 20,
                cpu: 0.05,
            }],
            findings: vec![],
        },
        compose_check,
    )
    .await
    .unwrap();
    assert_eq!(proposal.summary, "web peaks at 40 MiB: limit 64m.");
    assert_eq!(proposal.compose.as_deref(), Some(proposed));
    assert!(proposal.diff.unwrap().contains("+    mem_limit: 64m\n"));
    assert!(
        server.requests()[0]
            .contents()
            .contains("web: peak memory 40 MiB, CPU 0.05 cores")
    );
}

#[tokio::test]
async fn a_cancelled_stream_ends_with_cancelled() {
    let text = sse(&["a", "b", "c"], "stop", true);
    let server = ScriptedServer::start([Reply::Stream {
        chunks: split_every(&text, 30),
        pause: Duration::from_millis(500),
        abort: false,
    }])
    .await;
    let token = tokio_util::sync::CancellationToken::new();
    let options = ChatOptions {
        cancel: Some(token.clone()),
        ..ChatOptions::default()
    };
    let provider = provider(&server);
    let mut stream = std::pin::pin!(provider.chat_stream(&hello(), &options));
    let started = Instant::now();
    let mut last = None;
    while let Some(item) = stream.next().await {
        if last.is_none() {
            token.cancel();
        }
        last = Some(item);
    }
    assert!(matches!(last, Some(Err(AiError::Cancelled))), "{last:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_cut_answer_is_fed_back_during_generation() {
    let server = ScriptedServer::start([
        Reply::Json(serde_json::json!({
            "choices": [{"message": {"content": "Sure! Let me explain at length"}, "finish_reason": "length"}],
        })),
        answer(&fenced(GOOD_STACK)),
    ])
    .await;
    let generated = generate(
        &provider(&server),
        &GenerateRequest::new("an nginx web server"),
        compose_check,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(generated.rounds.len(), 2);
    let second = server.requests()[1].contents();
    assert!(second.contains("your answer was cut off"), "{second}");
    assert!(
        second.contains("Sure! Let me explain at length"),
        "{second}"
    );
}

#[tokio::test]
async fn a_json_schema_is_sent_only_to_providers_that_support_it() {
    let server = ScriptedServer::start([answer("{}"), answer("{}")]).await;
    let options = ChatOptions {
        json_schema: Some(windflow_ai::JsonSchema {
            name: "diagnosis".to_string(),
            schema: serde_json::json!({"type": "object"}),
        }),
        ..ChatOptions::default()
    };
    provider(&server).chat(&hello(), &options).await.unwrap();
    let mut config = provider(&server).config().clone();
    config.json_schema = true;
    Provider::new(config)
        .unwrap()
        .chat(&hello(), &options)
        .await
        .unwrap();
    let requests = server.requests();
    assert!(requests[0].json().get("response_format").is_none());
    let format = &requests[1].json()["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "diagnosis");
    assert_eq!(requests[1].json()["max_tokens"], 4096);
    assert_eq!(requests[1].json()["temperature"], 0.2);
    assert_eq!(requests[1].json()["model"], "scripted-model");
}

#[tokio::test]
async fn a_streamed_answer_to_a_plain_request_is_collected() {
    let server = ScriptedServer::start([Reply::Stream {
        chunks: vec![sse(&["hel", "lo"], "stop", true)],
        pause: Duration::ZERO,
        abort: false,
    }])
    .await;
    let completion = provider(&server)
        .chat(&hello(), &ChatOptions::default())
        .await
        .unwrap();
    assert_eq!(completion.text, "hello");
    assert_eq!(completion.usage.completion_tokens, 3);
}
