//! The control plane's side of agent links: a registry of agents by id, each with its live
//! WebSocket (when connected) and its commands in flight, and [`AgentHandle`], the
//! `AgentLink` the engine's `AgentDriver` sends commands through.
//!
//! Delivery: every command gets a fresh id and stays pending until its result arrives. When
//! the link drops, pending commands wait; when the agent comes back they are re-sent with
//! the same id (the agent answers a known id from memory, so nothing runs twice). A command
//! still unanswered once the agent has been gone for [`Registry::deadline`] fails with
//! `agent <name> is unreachable`. The target is marked down when the link closes or three
//! heartbeats are missed, and up again on the next hello.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::extract::ws::{Message, WebSocket};
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use windflow_engine::agent::{AgentLink, Frames, Op, error_from_parts};
use windflow_engine::driver::{DriverError, DriverResult};
use windflow_protocol::EngineInfo;
use windflow_protocol::agent::{AgentMessage, HostInfo, Outcome, ServerMessage};
use windflow_storage::{AgentRecord, TargetStatus};

use windflow_storage::Store;

use crate::stamp::now_ms;

struct Pending {
    op: Value,
    frames: Option<mpsc::UnboundedSender<Value>>,
    done: oneshot::Sender<Result<Outcome, String>>,
}

struct Link {
    generation: u64,
    tx: mpsc::UnboundedSender<ServerMessage>,
    close: Arc<tokio::sync::Notify>,
}

struct ConnState {
    link: Option<Link>,
    generation: u64,
    down_since: Instant,
    pending: HashMap<String, Pending>,
    version: Option<String>,
    address: Option<String>,
    last_heartbeat: Option<Instant>,
}

/// One agent, connected or not.
pub struct AgentConn {
    pub target_name: String,
    endpoint: String,
    deadline: Duration,
    state: Mutex<ConnState>,
}

impl AgentConn {
    pub fn is_connected(&self) -> bool {
        self.state.lock().expect("agent").link.is_some()
    }

    fn unreachable(&self) -> DriverError {
        DriverError::Engine {
            context: format!("agent {} is unreachable", self.target_name),
            message: format!(
                "no link to it for {} s; check that `windflow agent` runs on its host and reaches this server",
                self.deadline.as_secs()
            ),
        }
    }

    fn send(&self, message: ServerMessage) {
        if let Some(link) = &self.state.lock().expect("agent").link {
            let _ = link.tx.send(message);
        }
    }

    fn register(
        &self,
        op: Value,
        frames: Option<mpsc::UnboundedSender<Value>>,
    ) -> (String, oneshot::Receiver<Result<Outcome, String>>) {
        let id = uuid::Uuid::new_v4().to_string();
        let (done, rx) = oneshot::channel();
        let mut state = self.state.lock().expect("agent");
        if let Some(link) = &state.link {
            let _ = link.tx.send(ServerMessage::Command {
                id: id.clone(),
                op: op.clone(),
            });
        }
        state
            .pending
            .insert(id.clone(), Pending { op, frames, done });
        (id, rx)
    }

    fn forget(&self, id: &str) {
        self.state.lock().expect("agent").pending.remove(id);
    }

    /// Whether the agent has been away longer than the deadline.
    fn gone_too_long(&self) -> bool {
        let state = self.state.lock().expect("agent");
        state.link.is_none() && state.down_since.elapsed() >= self.deadline
    }

    fn fail_all(&self, message: &str) {
        let mut state = self.state.lock().expect("agent");
        for (_, pending) in state.pending.drain() {
            let _ = pending.done.send(Err(message.to_string()));
        }
    }
}

/// Every agent this server knows of in this process.
pub struct Registry {
    conns: Mutex<HashMap<String, Arc<AgentConn>>>,
    /// How often agents heartbeat; three missed heartbeats close the link.
    pub heartbeat: Duration,
}

impl Registry {
    pub fn new(heartbeat: Duration) -> Self {
        Self {
            conns: Mutex::new(HashMap::new()),
            heartbeat,
        }
    }

    /// How long a command waits for an agent that went away before it fails.
    pub fn deadline(&self) -> Duration {
        self.heartbeat * 3
    }

    pub fn conn(&self, agent_id: &str, target_name: &str) -> Arc<AgentConn> {
        let mut conns = self.conns.lock().expect("agents");
        conns
            .entry(agent_id.to_string())
            .or_insert_with(|| {
                Arc::new(AgentConn {
                    target_name: target_name.to_string(),
                    endpoint: format!("agent://{agent_id}"),
                    deadline: self.deadline(),
                    state: Mutex::new(ConnState {
                        link: None,
                        generation: 0,
                        down_since: Instant::now(),
                        pending: HashMap::new(),
                        version: None,
                        address: None,
                        last_heartbeat: None,
                    }),
                })
            })
            .clone()
    }

    pub fn get(&self, agent_id: &str) -> Option<Arc<AgentConn>> {
        self.conns.lock().expect("agents").get(agent_id).cloned()
    }

    pub fn connected_count(&self) -> usize {
        self.conns
            .lock()
            .expect("agents")
            .values()
            .filter(|c| c.is_connected())
            .count()
    }

    /// Revocation: closes the live link at once and fails the agent's pending commands.
    pub fn revoke(&self, agent_id: &str) {
        let conn = self.conns.lock().expect("agents").remove(agent_id);
        if let Some(conn) = conn {
            if let Some(link) = conn.state.lock().expect("agent").link.take() {
                link.close.notify_one();
            }
            conn.fail_all(&format!("agent {} was revoked", conn.target_name));
        }
    }
}

/// The `AgentLink` of one agent's target.
pub struct AgentHandle {
    pub conn: Arc<AgentConn>,
}

impl AgentHandle {
    /// Whether the agent's link is open now.
    pub fn is_connected(&self) -> bool {
        self.conn.is_connected()
    }

    /// The agent's target, for messages.
    pub fn target_name(&self) -> &str {
        &self.conn.target_name
    }

    /// Sends `op` (any op the agent executes, as JSON: a `Driver` op or a gateway op) and
    /// waits for its outcome, which the caller maps to its own error kinds. `Err` only when
    /// the link fails it: the agent stayed away past the deadline, or was revoked.
    pub async fn send(&self, op: Value, frames: Option<Frames<'_>>) -> DriverResult<Outcome> {
        let conn = &self.conn;
        if conn.gone_too_long() {
            return Err(conn.unreachable());
        }
        let (frame_tx, mut frame_rx) = mpsc::unbounded_channel();
        let (id, mut done) = conn.register(op, frames.is_some().then_some(frame_tx));
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        let result = loop {
            tokio::select! {
                result = &mut done => break result,
                Some(frame) = frame_rx.recv() => {
                    if let Some(frames) = frames { frames(frame) }
                }
                _ = tick.tick() => {
                    if conn.gone_too_long() {
                        conn.forget(&id);
                        return Err(conn.unreachable());
                    }
                }
            }
        };
        while let Ok(frame) = frame_rx.try_recv() {
            if let Some(frames) = frames {
                frames(frame)
            }
        }
        delivered(result)
    }
}

#[async_trait]
impl AgentLink for AgentHandle {
    fn endpoint(&self) -> &str {
        &self.conn.endpoint
    }

    async fn call(&self, op: Op, frames: Option<Frames<'_>>) -> DriverResult<Value> {
        let value = serde_json::to_value(&op).map_err(|e| DriverError::Engine {
            context: op.describe(),
            message: e.to_string(),
        })?;
        match self.send(value, frames).await? {
            Outcome::Ok(value) => Ok(value),
            Outcome::Error(e) => Err(error_from_parts(&e.kind, e.subject, e.message)),
        }
    }

    async fn stream(&self, op: Op) -> DriverResult<BoxStream<'static, DriverResult<Value>>> {
        let conn = self.conn.clone();
        if conn.gone_too_long() || !conn.is_connected() {
            return Err(conn.unreachable());
        }
        let value = serde_json::to_value(&op).map_err(|e| DriverError::Engine {
            context: op.describe(),
            message: e.to_string(),
        })?;
        let (frame_tx, mut frame_rx) = mpsc::unbounded_channel();
        let (id, mut done) = conn.register(value, Some(frame_tx));
        struct CancelOnDrop(Arc<AgentConn>, String, bool);
        impl Drop for CancelOnDrop {
            fn drop(&mut self) {
                if !self.2 {
                    self.0.send(ServerMessage::Cancel { id: self.1.clone() });
                }
                self.0.forget(&self.1);
            }
        }
        Ok(Box::pin(async_stream::stream! {
            let mut guard = CancelOnDrop(conn.clone(), id, false);
            loop {
                tokio::select! {
                    Some(frame) = frame_rx.recv() => yield Ok(frame),
                    result = &mut done => {
                        while let Ok(frame) = frame_rx.try_recv() { yield Ok(frame) }
                        guard.2 = true;
                        match delivered(result) {
                            Ok(Outcome::Error(e)) => yield Err(error_from_parts(&e.kind, e.subject, e.message)),
                            Err(e) => yield Err(e),
                            Ok(Outcome::Ok(_)) => {}
                        }
                        break;
                    }
                }
            }
        }))
    }
}

/// The agent's answer, or why the link gave none.
fn delivered(
    result: Result<Result<Outcome, String>, oneshot::error::RecvError>,
) -> DriverResult<Outcome> {
    match result {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(message)) => Err(DriverError::Engine {
            context: "agent".into(),
            message,
        }),
        Err(_) => Err(DriverError::Engine {
            context: "agent".into(),
            message: "the command was dropped".into(),
        }),
    }
}

fn engine_info(host: &HostInfo) -> Value {
    serde_json::to_value(EngineInfo::from(host)).unwrap_or(Value::Null)
}

async fn set_status(
    store: &dyn Store,
    registry: &Registry,
    agent: &AgentRecord,
    status: TargetStatus,
    info: Option<Value>,
) {
    if let Err(e) = store
        .update_target_status(&agent.target_id, status, info, now_ms())
        .await
    {
        tracing::warn!(error = %e, target = %agent.target_name, "recording an agent target's status");
    }
    metrics::gauge!("windflow_agents_connected").set(registry.connected_count() as f64);
}

fn text(message: &ServerMessage) -> Message {
    Message::Text(serde_json::to_string(message).unwrap_or_default().into())
}

/// Runs one agent's WebSocket until it closes, is revoked or misses three heartbeats.
pub async fn serve_link(
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    agent: AgentRecord,
    socket: WebSocket,
    address: Option<String>,
) {
    let (mut sink, mut stream) = socket.split();
    let hello = tokio::time::timeout(Duration::from_secs(15), stream.next()).await;
    let (version, host, running) = match hello {
        Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str::<AgentMessage>(&text) {
            Ok(AgentMessage::Hello {
                version,
                host,
                running,
            }) => (version, host, running),
            _ => {
                tracing::warn!(agent = %agent.id, "the agent's first message was not a hello");
                return;
            }
        },
        _ => return,
    };
    let conn = registry.conn(&agent.id, &agent.target_name);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let close = Arc::new(tokio::sync::Notify::new());
    let generation = {
        let mut state = conn.state.lock().expect("agent");
        state.generation += 1;
        if let Some(old) = state.link.take() {
            old.close.notify_one();
        }
        state.link = Some(Link {
            generation: state.generation,
            tx: tx.clone(),
            close: close.clone(),
        });
        state.version = Some(version.clone());
        state.address = address.clone();
        state.last_heartbeat = Some(Instant::now());
        // Everything unanswered goes again, under its id: the agent answers what it already
        // ran from memory.
        for (id, pending) in &state.pending {
            let _ = tx.send(ServerMessage::Command {
                id: id.clone(),
                op: pending.op.clone(),
            });
        }
        state.generation
    };
    let welcome = ServerMessage::Welcome {
        agent_id: agent.id.clone(),
        target: agent.target_name.clone(),
        heartbeat_seconds: registry.heartbeat.as_secs().max(1),
    };
    if sink.send(text(&welcome)).await.is_err() {
        disconnect(store.as_ref(), &registry, &conn, &agent, generation).await;
        return;
    }
    tracing::info!(agent = %agent.id, target = %agent.target_name, version = %version, address = ?address, running = running.len(), "agent connected");
    if let Err(e) = store
        .record_agent_seen(&agent.id, Some(&version), address.as_deref(), now_ms())
        .await
    {
        tracing::warn!(error = %e, agent = %agent.id, "recording an agent's connection");
    }
    set_status(
        store.as_ref(),
        &registry,
        &agent,
        TargetStatus::Up,
        Some(engine_info(&host)),
    )
    .await;

    let missed_after = registry.heartbeat * 3;
    let mut check = tokio::time::interval(registry.heartbeat.max(Duration::from_millis(500)));
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => match serde_json::from_str::<AgentMessage>(&text) {
                    Ok(message) => handle(&conn, message),
                    Err(e) => tracing::warn!(error = %e, agent = %agent.id, "ignoring an unknown agent message"),
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            Some(message) = rx.recv() => {
                if sink.send(text(&message)).await.is_err() { break }
            }
            _ = close.notified() => {
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
            _ = check.tick() => {
                let last = conn.state.lock().expect("agent").last_heartbeat;
                if last.is_some_and(|at| at.elapsed() > missed_after) {
                    tracing::warn!(agent = %agent.id, target = %agent.target_name, "agent missed three heartbeats; closing its link");
                    break;
                }
            }
        }
    }
    disconnect(store.as_ref(), &registry, &conn, &agent, generation).await;
}

fn handle(conn: &AgentConn, message: AgentMessage) {
    let mut state = conn.state.lock().expect("agent");
    state.last_heartbeat = Some(Instant::now());
    match message {
        AgentMessage::Heartbeat | AgentMessage::Ack { .. } | AgentMessage::Hello { .. } => {}
        AgentMessage::Stream { id, data, .. } => {
            if let Some(Some(frames)) = state.pending.get(&id).map(|p| p.frames.as_ref()) {
                let _ = frames.send(data);
            }
        }
        AgentMessage::Result { id, outcome } => {
            if let Some(pending) = state.pending.remove(&id) {
                let _ = pending.done.send(Ok(outcome));
            }
        }
    }
}

async fn disconnect(
    store: &dyn Store,
    registry: &Registry,
    conn: &AgentConn,
    agent: &AgentRecord,
    generation: u64,
) {
    let ours = {
        let mut state = conn.state.lock().expect("agent");
        if state
            .link
            .as_ref()
            .is_some_and(|l| l.generation == generation)
        {
            state.link = None;
            state.down_since = Instant::now();
            true
        } else {
            false
        }
    };
    if ours {
        tracing::warn!(agent = %agent.id, target = %agent.target_name, "agent disconnected");
        set_status(store, registry, agent, TargetStatus::Down, None).await;
    }
}

/// What `GET …/agents` shows about a live agent.
pub fn live(registry: &Registry, agent_id: &str) -> (bool, Option<String>, Option<String>) {
    match registry.get(agent_id) {
        Some(conn) => {
            let state = conn.state.lock().expect("agent");
            (
                state.link.is_some(),
                state.version.clone(),
                state.address.clone(),
            )
        }
        None => (false, None, None),
    }
}

#[cfg(test)]
mod tests;
