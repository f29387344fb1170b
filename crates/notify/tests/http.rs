//! Deliveries over HTTP to real receivers on loopback (axum servers that capture each request).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::Value;
use windflow_notify::{
    Channel, Level, Message, Notifier, NotifyError, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    verify_signature,
};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Captured {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Clone)]
struct Behaviour {
    status: StatusCode,
    /// The answer's body; `{path}` is replaced by the request's path (to echo a token back).
    answer: String,
    /// When set, the receiver verifies `X-WindFlow-Signature` and answers 401 if it is wrong.
    verify_with: Option<String>,
}

#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Captured>>>,
}

impl Receiver {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn only_request(&self) -> Captured {
        let requests = self.requests.lock().unwrap();
        assert_eq!(requests.len(), 1, "{requests:?}");
        requests[0].clone()
    }
}

async fn capture(
    State((behaviour, requests)): State<(Behaviour, Arc<Mutex<Vec<Captured>>>)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let path = uri.path().to_string();
    requests.lock().unwrap().push(Captured {
        method,
        path: path.clone(),
        headers: headers.clone(),
        body: body.clone(),
    });
    if let Some(secret) = &behaviour.verify_with {
        let timestamp = headers
            .get(TIMESTAMP_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let signature = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !verify_signature(secret, timestamp, &body, signature) {
            return (StatusCode::UNAUTHORIZED, "bad signature".into());
        }
    }
    (behaviour.status, behaviour.answer.replace("{path}", &path))
}

async fn receiver(behaviour: Behaviour) -> Receiver {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .fallback(capture)
        .with_state((behaviour, requests.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { addr, requests }
}

async fn ok_receiver() -> Receiver {
    receiver(Behaviour {
        status: StatusCode::OK,
        answer: "ok".into(),
        verify_with: None,
    })
    .await
}

fn notifier() -> Notifier {
    Notifier::new(Duration::from_secs(10)).unwrap()
}

fn message() -> Message {
    Message::new(
        Level::Failure,
        "Deployment of web failed",
        "Container web-1 exited with code 1.",
    )
    .field("Stack", "web")
    .field("Target", "prod-eu")
    .link("https://windflow.example.com/deployments/42")
}

#[tokio::test]
async fn webhook_is_signed_and_the_receiver_verifies_it() {
    let secret = "whsec-0123456789abcdef";
    let receiver = receiver(Behaviour {
        status: StatusCode::OK,
        answer: "ok".into(),
        verify_with: Some(secret.into()),
    })
    .await;
    let channel = Channel::Webhook {
        url: receiver.url("/hooks/windflow"),
        secret: Some(secret.into()),
    };
    let delivery = notifier().send(&channel, &message()).await.unwrap();
    assert_eq!(delivery.status, Some(200));

    let request = receiver.only_request();
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/hooks/windflow");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let timestamp: i64 = request.header(TIMESTAMP_HEADER).unwrap().parse().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - timestamp).abs() < 60);
    let body = request.json();
    assert_eq!(body["title"], "Deployment of web failed");
    assert_eq!(body["body"], "Container web-1 exited with code 1.");
    assert_eq!(body["level"], "failure");
    assert_eq!(body["link"], "https://windflow.example.com/deployments/42");
    assert_eq!(
        body["fields"],
        serde_json::json!([{"name": "Stack", "value": "web"}, {"name": "Target", "value": "prod-eu"}])
    );
    let sent_at = body["sent_at"].as_str().unwrap();
    time::OffsetDateTime::parse(sent_at, &time::format_description::well_known::Rfc3339).unwrap();
    // The signature covers the exact bytes: any change breaks it.
    let signature = request.header(SIGNATURE_HEADER).unwrap();
    assert!(signature.starts_with("sha256="));
    let mut tampered = request.body.to_vec();
    tampered[0] = b' ';
    assert!(!verify_signature(
        secret,
        &timestamp.to_string(),
        &tampered,
        signature
    ));
}

#[tokio::test]
async fn a_wrong_webhook_secret_is_refused_by_the_receiver() {
    let receiver = receiver(Behaviour {
        status: StatusCode::OK,
        answer: "ok".into(),
        verify_with: Some("the-right-secret".into()),
    })
    .await;
    let channel = Channel::Webhook {
        url: receiver.url("/hook"),
        secret: Some("a-wrong-secret".into()),
    };
    let error = notifier().send(&channel, &message()).await.unwrap_err();
    assert_eq!(error.status(), Some(401), "{error}");
    assert!(!error.to_string().contains("a-wrong-secret"));
}

#[tokio::test]
async fn unsigned_webhook_has_a_timestamp_and_no_signature() {
    let receiver = ok_receiver().await;
    let channel = Channel::Webhook {
        url: receiver.url("/hook"),
        secret: None,
    };
    notifier().send(&channel, &message()).await.unwrap();
    let request = receiver.only_request();
    assert!(request.header(TIMESTAMP_HEADER).is_some());
    assert!(request.header(SIGNATURE_HEADER).is_none());
}

#[tokio::test]
async fn slack_gets_text_and_blocks() {
    let receiver = ok_receiver().await;
    let channel = Channel::Slack {
        url: receiver.url("/services/T000/B000/XXXXXXXX"),
    };
    notifier().send(&channel, &message()).await.unwrap();
    let request = receiver.only_request();
    assert_eq!(request.path, "/services/T000/B000/XXXXXXXX");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("Deployment of web failed"), "{text}");
    let blocks = body["blocks"].as_array().unwrap();
    let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["header", "section", "section", "actions", "context"]
    );
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert!(
        blocks[0]["text"]["text"]
            .as_str()
            .unwrap()
            .ends_with("Deployment of web failed")
    );
    assert_eq!(
        blocks[1]["text"]["text"],
        "Container web-1 exited with code 1."
    );
    assert_eq!(blocks[2]["fields"][0]["text"], "*Stack*\nweb");
    assert_eq!(blocks[2]["fields"][1]["type"], "mrkdwn");
    assert_eq!(
        blocks[3]["elements"][0]["url"],
        "https://windflow.example.com/deployments/42"
    );
}

#[tokio::test]
async fn discord_gets_content_and_an_embed() {
    let receiver = ok_receiver().await;
    let channel = Channel::Discord {
        url: receiver.url("/api/webhooks/123/tokentoken"),
    };
    let delivery = notifier().send(&channel, &message()).await.unwrap();
    assert_eq!(delivery.status, Some(200));
    let body = receiver.only_request().json();
    assert!(
        body["content"]
            .as_str()
            .unwrap()
            .contains("Deployment of web failed")
    );
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    let embed = &body["embeds"][0];
    assert_eq!(embed["title"], "Deployment of web failed");
    assert_eq!(embed["description"], "Container web-1 exited with code 1.");
    assert_eq!(embed["color"], 0xe74c3c);
    assert_eq!(embed["url"], "https://windflow.example.com/deployments/42");
    assert_eq!(
        embed["fields"][0],
        serde_json::json!({"name": "Stack", "value": "web", "inline": true})
    );
    assert_eq!(embed["fields"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn ntfy_gets_text_and_headers() {
    let receiver = ok_receiver().await;
    let channel = Channel::Ntfy {
        url: receiver.url("/windflow-alerts"),
        token: Some("tk_ntfytoken".into()),
    };
    notifier().send(&channel, &message()).await.unwrap();
    let request = receiver.only_request();
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/windflow-alerts");
    assert_eq!(request.header("title"), Some("Deployment of web failed"));
    assert_eq!(request.header("priority"), Some("high"));
    assert_eq!(request.header("tags"), Some("rotating_light,windflow"));
    assert_eq!(
        request.header("click"),
        Some("https://windflow.example.com/deployments/42")
    );
    assert_eq!(request.header("authorization"), Some("Bearer tk_ntfytoken"));
    let text = std::str::from_utf8(&request.body).unwrap();
    assert_eq!(
        text,
        "Container web-1 exited with code 1.\n\nStack: web\nTarget: prod-eu\n\nhttps://windflow.example.com/deployments/42"
    );
}

#[tokio::test]
async fn ntfy_without_token_and_with_a_non_ascii_title() {
    let receiver = ok_receiver().await;
    let channel = Channel::Ntfy {
        url: receiver.url("/topic"),
        token: None,
    };
    let message = Message::new(Level::Success, "Déploiement réussi", "");
    notifier().send(&channel, &message).await.unwrap();
    let request = receiver.only_request();
    assert!(request.header("authorization").is_none());
    assert_eq!(request.header("priority"), Some("default"));
    assert_eq!(
        request.header("title"),
        Some("=?UTF-8?B?RMOpcGxvaWVtZW50IHLDqXVzc2k=?=")
    );
    // An empty body would make ntfy show "triggered": the title stands in.
    assert_eq!(&request.body[..], "Déploiement réussi".as_bytes());
}

#[tokio::test]
async fn gotify_gets_json_with_its_key() {
    let receiver = ok_receiver().await;
    let channel = Channel::Gotify {
        url: receiver.url("/gotify/"),
        token: "AbCdEfGotify".into(),
    };
    notifier().send(&channel, &message()).await.unwrap();
    let request = receiver.only_request();
    assert_eq!(request.path, "/gotify/message");
    assert_eq!(request.header("x-gotify-key"), Some("AbCdEfGotify"));
    let body = request.json();
    assert_eq!(body["title"], "Deployment of web failed");
    assert_eq!(body["priority"], 8);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Container web-1 exited with code 1.\n\nStack: web")
    );
    assert_eq!(
        body["extras"]["client::notification"]["click"]["url"],
        "https://windflow.example.com/deployments/42"
    );
    assert_eq!(
        body["extras"]["client::display"]["contentType"],
        "text/plain"
    );
}

#[tokio::test]
async fn an_error_answer_keeps_the_status_and_never_the_secret_url() {
    // The receiver echoes the path (the token) and pads the answer past 512 bytes.
    let receiver = receiver(Behaviour {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        answer: format!("no such hook {{path}} {}", "x".repeat(2000)),
        verify_with: None,
    })
    .await;
    for channel in [
        Channel::Slack {
            url: receiver.url("/services/T000/B000/SLACKSECRETTOKEN"),
        },
        Channel::Discord {
            url: receiver.url("/api/webhooks/1/DISCORDSECRETTOKEN"),
        },
    ] {
        let error = notifier().send(&channel, &message()).await.unwrap_err();
        let NotifyError::Status {
            status,
            body,
            endpoint,
            ..
        } = &error
        else {
            panic!("expected a status error, got {error:?}");
        };
        assert_eq!(*status, 500);
        assert!(
            body.len() <= windflow_notify::MAX_ERROR_BODY,
            "{}",
            body.len()
        );
        assert!(body.starts_with("no such hook [redacted] xxx"), "{body}");
        assert_eq!(endpoint, &format!("http://{}", receiver.addr));
        let shown = format!("{error} {error:?}");
        eprintln!("500: {error}");
        assert!(!shown.contains("SECRETTOKEN"), "{shown}");
        assert!(error.is_transient());
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_does_not_leak_the_secret_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let channel = Channel::Slack {
        url: format!("http://{addr}/services/T000/B000/SLACKSECRETTOKEN"),
    };
    let error = notifier().send(&channel, &message()).await.unwrap_err();
    assert!(matches!(error, NotifyError::Delivery { .. }), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("SLACKSECRETTOKEN"), "{shown}");
    assert!(!shown.contains("/services/"), "{shown}");
    eprintln!("refused: {error}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // Accepts connections and holds them without a byte of answer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let notifier = Notifier::new(Duration::from_millis(500)).unwrap();
    let channel = Channel::Discord {
        url: format!("http://{addr}/api/webhooks/1/DISCORDSECRETTOKEN"),
    };
    let started = Instant::now();
    let error = notifier.send(&channel, &message()).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(error, NotifyError::Timeout { .. }), "{error:?}");
    eprintln!("silent HTTP server: {error}");
    assert!(!error.to_string().contains("DISCORDSECRETTOKEN"));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let target = ok_receiver().await;
    let location = target.url("/elsewhere");
    let app = Router::new().fallback(move || {
        let location = location.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [("location", location)], "") }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let channel = Channel::Webhook {
        url: format!("http://{addr}/hook"),
        secret: None,
    };
    let error = notifier().send(&channel, &message()).await.unwrap_err();
    assert_eq!(error.status(), Some(307), "{error}");
    assert!(target.requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_invalid_channel_sends_nothing() {
    let channel = Channel::Gotify {
        url: "gotify.local".into(),
        token: "SECRET-GOTIFY".into(),
    };
    let error = notifier().send(&channel, &message()).await.unwrap_err();
    assert!(
        matches!(error, NotifyError::InvalidChannel { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("SECRET-GOTIFY"));
}
