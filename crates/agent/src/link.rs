//! The agent's side of the link: dial out, say hello, heartbeat, run commands, reconnect
//! with capped exponential backoff and jitter. Generic over an [`Executor`], so simulated
//! agents (the benchmark) speak exactly this protocol without touching Docker.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use windflow_protocol::agent::{
    AgentMessage, CommandError, DEFAULT_HEARTBEAT_SECONDS, HostInfo, Outcome, ServerMessage,
};

use crate::state::{Journal, REMEMBERED};

/// What runs the commands: the local engine, or a stub for simulated agents.
#[async_trait]
pub trait Executor: Send + Sync + 'static {
    async fn host_info(&self) -> HostInfo;
    /// Whether the op changes state (its outcome is journaled before and after it runs).
    fn changes_state(&self, op: &Value) -> bool;
    async fn execute(&self, op: Value, emit: &(dyn Fn(Value) + Send + Sync)) -> Outcome;
}

/// Why the link stopped for good.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(
        "the control plane refused this agent's credential (HTTP {0}): it was revoked or the agent was deleted; enroll again with a new token"
    )]
    Refused(u16),
}

pub struct LinkOptions {
    /// `wss://host:port/api/v1/agents/connect` (or `ws://` to loopback).
    pub url: String,
    pub credential: String,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub version: String,
    /// Backoff bounds.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

enum Entry {
    Running(watch::Receiver<Option<Outcome>>, tokio::task::AbortHandle),
    Done(Outcome),
}

/// Commands by id: running ones, and the outcomes of the last [`REMEMBERED`].
struct Commands {
    entries: HashMap<String, Entry>,
    done_order: VecDeque<String>,
}

impl Commands {
    fn finish(&mut self, id: &str, outcome: Outcome) {
        self.entries.insert(id.to_string(), Entry::Done(outcome));
        self.done_order.push_back(id.to_string());
        while self.done_order.len() > REMEMBERED {
            if let Some(old) = self.done_order.pop_front() {
                self.entries.remove(&old);
            }
        }
    }
}

/// One agent: its commands outlive any one connection.
pub struct Agent {
    executor: Arc<dyn Executor>,
    journal: Arc<Journal>,
    commands: Mutex<Commands>,
    /// The current connection's outbound queue, if connected.
    outbox: Mutex<Option<mpsc::UnboundedSender<AgentMessage>>>,
    /// Commands executed (not answered from memory), for tests and the bench.
    pub executed: AtomicU64,
}

impl Agent {
    pub fn new(
        executor: Arc<dyn Executor>,
        journal: Journal,
        remembered: Vec<(String, Outcome)>,
    ) -> Arc<Self> {
        let mut commands = Commands {
            entries: HashMap::new(),
            done_order: VecDeque::new(),
        };
        for (id, outcome) in remembered {
            commands.finish(&id, outcome);
        }
        Arc::new(Self {
            executor,
            journal: Arc::new(journal),
            commands: Mutex::new(commands),
            outbox: Mutex::new(None),
            executed: AtomicU64::new(0),
        })
    }

    fn send(&self, message: AgentMessage) {
        if let Some(tx) = self.outbox.lock().expect("outbox").as_ref() {
            let _ = tx.send(message);
        }
    }

    fn running(&self) -> Vec<String> {
        let commands = self.commands.lock().expect("commands");
        commands
            .entries
            .iter()
            .filter(|(_, e)| matches!(e, Entry::Running(..)))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Handles one command: acknowledged at once; answered from memory when its id is known,
    /// attached to when it is still running, run otherwise.
    fn command(self: &Arc<Self>, id: String, op: Value) {
        self.send(AgentMessage::Ack { id: id.clone() });
        let mut commands = self.commands.lock().expect("commands");
        match commands.entries.get(&id) {
            Some(Entry::Done(outcome)) => {
                let outcome = outcome.clone();
                drop(commands);
                self.send(AgentMessage::Result { id, outcome });
            }
            Some(Entry::Running(done, _)) => {
                let mut done = done.clone();
                drop(commands);
                let agent = self.clone();
                tokio::spawn(async move {
                    if let Ok(outcome) = done.wait_for(Option::is_some).await {
                        let outcome = outcome.clone().expect("checked");
                        agent.send(AgentMessage::Result { id, outcome });
                    }
                });
            }
            None => {
                let (tx, rx) = watch::channel(None);
                let agent = self.clone();
                let task_id = id.clone();
                let remember = self.executor.changes_state(&op);
                if remember {
                    self.journal.started(&id);
                }
                self.executed.fetch_add(1, Ordering::Relaxed);
                let task = tokio::spawn(async move {
                    let seq = AtomicU64::new(0);
                    let emit_agent = agent.clone();
                    let emit_id = task_id.clone();
                    let emit = move |data: Value| {
                        emit_agent.send(AgentMessage::Stream {
                            id: emit_id.clone(),
                            seq: seq.fetch_add(1, Ordering::Relaxed),
                            data,
                        });
                    };
                    let outcome = agent.executor.execute(op, &emit).await;
                    if remember {
                        agent.journal.finished(&task_id, &outcome);
                    }
                    agent
                        .commands
                        .lock()
                        .expect("commands")
                        .finish(&task_id, outcome.clone());
                    let _ = tx.send(Some(outcome.clone()));
                    agent.send(AgentMessage::Result {
                        id: task_id,
                        outcome,
                    });
                });
                commands
                    .entries
                    .insert(id, Entry::Running(rx, task.abort_handle()));
            }
        }
    }

    fn cancel(&self, id: &str) {
        let mut commands = self.commands.lock().expect("commands");
        if let Some(Entry::Running(_, abort)) = commands.entries.get(id) {
            abort.abort();
            let outcome = Outcome::Error(CommandError {
                kind: "engine".into(),
                subject: "agent".into(),
                message: "cancelled".into(),
            });
            commands.finish(id, outcome.clone());
            drop(commands);
            self.send(AgentMessage::Result {
                id: id.to_string(),
                outcome,
            });
        }
    }

    /// Connects and reconnects until the server refuses the credential.
    pub async fn run(self: Arc<Self>, options: LinkOptions) -> Result<(), LinkError> {
        let mut backoff = options.min_backoff;
        loop {
            let started = Instant::now();
            match self.connect_once(&options).await {
                Ok(()) => tracing::warn!("the control plane closed the link"),
                Err(ConnectError::Refused(status)) => return Err(LinkError::Refused(status)),
                Err(ConnectError::Other(message)) => {
                    tracing::warn!(error = %message, url = %options.url, "link to the control plane failed")
                }
            }
            *self.outbox.lock().expect("outbox") = None;
            if started.elapsed() > Duration::from_secs(30) {
                backoff = options.min_backoff;
            }
            let jitter = rand::random_range(0.5..1.0);
            let wait = backoff.mul_f64(jitter);
            tracing::info!(wait_ms = wait.as_millis() as u64, "reconnecting");
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(options.max_backoff);
        }
    }

    async fn connect_once(self: &Arc<Self>, options: &LinkOptions) -> Result<(), ConnectError> {
        let mut request = options
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| ConnectError::Other(e.to_string()))?;
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {}", options.credential)
                .parse()
                .map_err(|_| ConnectError::Other("the credential is not a valid header".into()))?,
        );
        let connector = options
            .tls
            .clone()
            .map(tokio_tungstenite::Connector::Rustls);
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(
                tungstenite::protocol::WebSocketConfig::default().max_message_size(Some(64 << 20)),
            ),
            true,
            connector,
        );
        let (ws, _) = match tokio::time::timeout(Duration::from_secs(15), connect).await {
            Err(_) => return Err(ConnectError::Other("no answer within 15 s".into())),
            Ok(Err(tungstenite::Error::Http(response)))
                if matches!(response.status().as_u16(), 401 | 403) =>
            {
                return Err(ConnectError::Refused(response.status().as_u16()));
            }
            Ok(Err(e)) => return Err(ConnectError::Other(e.to_string())),
            Ok(Ok(ws)) => ws,
        };
        let (mut sink, mut stream) = ws.split();
        let host = self.executor.host_info().await;
        let hello = AgentMessage::Hello {
            version: options.version.clone(),
            host,
            running: self.running(),
        };
        send(&mut sink, &hello).await?;
        let welcome = tokio::time::timeout(Duration::from_secs(15), stream.next())
            .await
            .map_err(|_| ConnectError::Other("no welcome within 15 s".into()))?;
        let heartbeat = match welcome {
            Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerMessage>(&text) {
                Ok(ServerMessage::Welcome {
                    heartbeat_seconds,
                    target,
                    ..
                }) => {
                    tracing::info!(target = %target, heartbeat_seconds, "connected to the control plane");
                    Duration::from_secs(heartbeat_seconds.max(1))
                }
                _ => {
                    return Err(ConnectError::Other(format!(
                        "unexpected first message: {text}"
                    )));
                }
            },
            Some(Ok(Message::Close(_))) | None => {
                return Err(ConnectError::Other("closed before the welcome".into()));
            }
            Some(Ok(other)) => {
                return Err(ConnectError::Other(format!("unexpected frame {other:?}")));
            }
            Some(Err(e)) => return Err(ConnectError::Other(e.to_string())),
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        *self.outbox.lock().expect("outbox") = Some(tx);
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + heartbeat,
            if heartbeat.is_zero() {
                Duration::from_secs(DEFAULT_HEARTBEAT_SECONDS)
            } else {
                heartbeat
            },
        );
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                frame = stream.next() => match frame {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(ServerMessage::Command { id, op }) => self.command(id, op),
                        Ok(ServerMessage::Cancel { id }) => self.cancel(&id),
                        Ok(ServerMessage::Welcome { .. }) => {}
                        Err(e) => tracing::warn!(error = %e, "ignoring an unknown message from the control plane"),
                    },
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(ConnectError::Other(e.to_string())),
                },
                Some(message) = rx.recv() => send(&mut sink, &message).await?,
                _ = ticker.tick() => send(&mut sink, &AgentMessage::Heartbeat).await?,
            }
        }
    }
}

enum ConnectError {
    Refused(u16),
    Other(String),
}

async fn send<S>(sink: &mut S, message: &AgentMessage) -> Result<(), ConnectError>
where
    S: futures::Sink<Message, Error = tungstenite::Error> + Unpin,
{
    let text = serde_json::to_string(message).map_err(|e| ConnectError::Other(e.to_string()))?;
    sink.send(Message::text(text))
        .await
        .map_err(|e| ConnectError::Other(e.to_string()))
}
