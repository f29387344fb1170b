//! The typed event stream of a deployment: every step's start, progress and end, service
//! readiness, rollback. The CLI renders it; the server will persist and stream it.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The plan about to run, one human line per change.
    Planned {
        changes: Vec<String>,
    },
    StepStarted {
        step: usize,
        label: String,
    },
    StepProgress {
        step: usize,
        /// A layer id during pulls; empty otherwise.
        id: String,
        message: String,
        current: Option<u64>,
        total: Option<u64>,
    },
    StepFinished {
        step: usize,
        label: String,
        elapsed_ms: u64,
        error: Option<String>,
    },
    /// A service reached a state dependents can be gated on (`started`, `healthy`,
    /// `completed`) or failed.
    ServiceState {
        service: String,
        state: String,
        detail: Option<String>,
    },
    Warning {
        message: String,
    },
    RollbackStarted {
        reason: String,
    },
    RollbackAction {
        message: String,
        error: Option<String>,
    },
    RollbackFinished {
        restored: bool,
    },
    Finished {
        elapsed_ms: u64,
        ok: bool,
    },
}

/// Where events go. Sending never blocks and never fails the deployment: a receiver that went
/// away (or none at all) only means nobody is watching.
#[derive(Clone, Default)]
pub struct EventSink {
    sender: Option<mpsc::UnboundedSender<Event>>,
}

impl EventSink {
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<Event>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (
            Self {
                sender: Some(sender),
            },
            receiver,
        )
    }

    /// A sink that drops everything.
    pub fn discard() -> Self {
        Self { sender: None }
    }

    pub fn emit(&self, kind: EventKind) {
        if let Some(sender) = &self.sender {
            let at_ms = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let _ = sender.send(Event { at_ms, kind });
        }
    }
}
