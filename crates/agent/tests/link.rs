//! The agent's link at the protocol level, against a WebSocket server written here that
//! speaks the real frames: a command re-sent with the same id (on the same link, after a
//! dropped link, and after the agent itself restarted from its state directory) is answered
//! with the first outcome and executed once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use windflow_agent::{Agent, Executor, Journal, LinkOptions};
use windflow_protocol::agent::{AgentMessage, HostInfo, Outcome, ServerMessage};

/// Makes a "container" per call: the id it returns is the call's number.
struct Counting(AtomicU64);

#[async_trait]
impl Executor for Counting {
    async fn host_info(&self) -> HostInfo {
        HostInfo {
            cpus: 1,
            ..Default::default()
        }
    }
    fn changes_state(&self, _op: &Value) -> bool {
        true
    }
    async fn execute(&self, _op: Value, emit: &(dyn Fn(Value) + Send + Sync)) -> Outcome {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        emit(json!({ "progress": n }));
        tokio::time::sleep(Duration::from_millis(50)).await;
        Outcome::Ok(json!(format!("container-{n}")))
    }
}

async fn accept(listener: &TcpListener) -> WebSocketStream<TcpStream> {
    let (tcp, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the agent dials in")
        .unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    let hello = next(&mut ws).await;
    assert!(matches!(hello, AgentMessage::Hello { .. }), "{hello:?}");
    send(
        &mut ws,
        ServerMessage::Welcome {
            agent_id: "a1".into(),
            target: "edge".into(),
            heartbeat_seconds: 1,
        },
    )
    .await;
    ws
}

async fn next(ws: &mut WebSocketStream<TcpStream>) -> AgentMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame")
            .expect("open")
            .unwrap();
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

async fn send(ws: &mut WebSocketStream<TcpStream>, message: ServerMessage) {
    ws.send(Message::text(serde_json::to_string(&message).unwrap()))
        .await
        .unwrap();
}

/// Sends `id` and returns its result, skipping acks, frames and heartbeats.
async fn run(ws: &mut WebSocketStream<TcpStream>, id: &str) -> Outcome {
    send(
        ws,
        ServerMessage::Command {
            id: id.into(),
            op: json!({ "op": "create_container" }),
        },
    )
    .await;
    loop {
        if let AgentMessage::Result { id: got, outcome } = next(ws).await
            && got == id
        {
            return outcome;
        }
    }
}

fn options(port: u16) -> LinkOptions {
    LinkOptions {
        url: format!("ws://127.0.0.1:{port}/api/v1/agents/connect"),
        credential: "wfa_test".into(),
        tls: None,
        version: "test".into(),
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
    }
}

#[tokio::test]
async fn a_resent_command_id_runs_once_across_reconnects_and_restarts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("windflow-agent-link-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let executor = Arc::new(Counting(AtomicU64::new(0)));
    let (journal, remembered) = Journal::open(&dir).unwrap();
    let agent = Agent::new(executor.clone(), journal, remembered);
    let task = tokio::spawn(agent.clone().run(options(port)));

    let mut ws = accept(&listener).await;
    let first = run(&mut ws, "c1").await;
    assert_eq!(first, Outcome::Ok(json!("container-1")));
    // The same id on the same link: answered from memory.
    assert_eq!(run(&mut ws, "c1").await, first);
    // A new id runs.
    assert_eq!(run(&mut ws, "c2").await, Outcome::Ok(json!("container-2")));

    // The link drops; the agent dials again; the re-sent id is not executed again.
    drop(ws);
    let mut ws = accept(&listener).await;
    assert_eq!(run(&mut ws, "c1").await, first);
    assert_eq!(executor.0.load(Ordering::SeqCst), 2);

    // The agent restarts from its state directory: still answered from the journal.
    task.abort();
    drop(ws);
    let restarted = Arc::new(Counting(AtomicU64::new(100)));
    let (journal, remembered) = Journal::open(&dir).unwrap();
    let agent = Agent::new(restarted.clone(), journal, remembered);
    let task = tokio::spawn(agent.run(options(port)));
    let mut ws = accept(&listener).await;
    assert_eq!(run(&mut ws, "c1").await, first);
    assert_eq!(run(&mut ws, "c2").await, Outcome::Ok(json!("container-2")));
    assert_eq!(restarted.0.load(Ordering::SeqCst), 100, "nothing ran twice");
    assert_eq!(
        run(&mut ws, "c3").await,
        Outcome::Ok(json!("container-101"))
    );
    task.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_refused_credential_stops_the_agent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = tokio::io::AsyncReadExt::read(&mut tcp, &mut buf).await;
        let _ = tokio::io::AsyncWriteExt::write_all(
            &mut tcp,
            b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
    });
    let agent = Agent::new(
        Arc::new(Counting(AtomicU64::new(0))),
        Journal::in_memory(),
        Vec::new(),
    );
    let result = tokio::time::timeout(Duration::from_secs(10), agent.run(options(port)))
        .await
        .expect("the agent stops");
    let error = result.unwrap_err().to_string();
    assert!(error.contains("refused this agent's credential"), "{error}");
    server.await.unwrap();
}
