//! One-off work on a target: a helper container that runs one command and is removed
//! ([`TaskSpec`], `Driver::run_task`), and a command run inside a service's running container
//! (`Driver::exec`). Both take an argv (never a shell string), can be fed a byte stream on
//! standard input and stream their standard output to a channel, which is how a database dump
//! flows from a service's container into a backup without touching a disk in between.
//!
//! Secrets a task needs go in [`TaskFile`]s, written into the container before it starts: the
//! engine shows a container's environment to anyone who can inspect it, not its files.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::stream::BoxStream;
use tokio::sync::mpsc;

/// A helper container's definition.
#[derive(Clone, Default)]
pub struct TaskSpec {
    /// The container's name (unique on the engine).
    pub name: String,
    pub image: String,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// `KEY=value`, non-secret only.
    pub env: Vec<String>,
    pub mounts: Vec<TaskMount>,
    pub files: Vec<TaskFile>,
    /// `host` to share the host's network (to reach a service on the target's loopback).
    pub network_mode: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub hostname: Option<String>,
    pub user: Option<String>,
}

impl std::fmt::Debug for TaskSpec {
    /// Files' contents are left out: they hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskSpec")
            .field("name", &self.name)
            .field("image", &self.image)
            .field("entrypoint", &self.entrypoint)
            .field("cmd", &self.cmd)
            .field("mounts", &self.mounts)
            .field(
                "files",
                &self.files.iter().map(|f| &f.path).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A volume (by its engine name) or a host folder mounted into a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskMount {
    pub source: String,
    pub target: String,
    pub read_only: bool,
    /// A host path rather than a named volume.
    pub bind: bool,
}

/// A file written into a task's container before it starts.
#[derive(Clone)]
pub struct TaskFile {
    pub path: String,
    pub contents: Vec<u8>,
    pub mode: u32,
}

/// A command run in a running container.
#[derive(Clone, Default)]
pub struct ExecSpec {
    pub cmd: Vec<String>,
    /// `KEY=value` for this command only (may hold a password: never logged).
    pub env: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
}

impl std::fmt::Debug for ExecSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exec {:?}", self.cmd)
    }
}

/// A stream of bytes fed to a task's standard input.
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

/// Where a task's input comes from and its output goes.
#[derive(Default)]
pub struct TaskIo {
    /// Fed to standard input, which is closed at its end.
    pub stdin: Option<ByteStream>,
    /// Receives standard output as it comes; when `None` it is collected into
    /// [`TaskOutput::stdout`] (up to [`MAX_COLLECTED`]).
    pub stdout: Option<mpsc::Sender<Bytes>>,
}

/// The most standard output a task collects in memory.
pub const MAX_COLLECTED: usize = 16 << 20;
/// The most standard error a task keeps (its end).
pub const MAX_STDERR: usize = 64 << 10;

/// How a task or exec ended.
#[derive(Debug, Clone, Default)]
pub struct TaskOutput {
    pub exit_code: i64,
    /// Standard output, when it was not streamed (truncated past [`MAX_COLLECTED`]).
    pub stdout: Vec<u8>,
    /// The end of standard error.
    pub stderr: String,
    /// Whether the stdout receiver went away before the output ended.
    pub output_dropped: bool,
}

impl TaskOutput {
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Collects output: streamed to a channel or kept, stderr's tail kept.
pub(crate) struct Collector {
    pub sink: Option<mpsc::Sender<Bytes>>,
    pub out: TaskOutput,
    stderr: Vec<u8>,
}

impl Collector {
    pub fn new(sink: Option<mpsc::Sender<Bytes>>) -> Self {
        Collector {
            sink,
            out: TaskOutput::default(),
            stderr: Vec::new(),
        }
    }

    pub async fn stdout(&mut self, bytes: Bytes) {
        match &self.sink {
            Some(tx) => {
                if tx.send(bytes).await.is_err() {
                    self.out.output_dropped = true;
                    self.sink = None;
                }
            }
            None if self.out.output_dropped => {}
            None => {
                let room = MAX_COLLECTED.saturating_sub(self.out.stdout.len());
                self.out
                    .stdout
                    .extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
        }
    }

    pub fn stderr(&mut self, bytes: &[u8]) {
        self.stderr.extend_from_slice(bytes);
        if self.stderr.len() > 2 * MAX_STDERR {
            let cut = self.stderr.len() - MAX_STDERR;
            self.stderr.drain(..cut);
        }
    }

    pub fn finish(mut self, exit_code: i64) -> TaskOutput {
        let start = self.stderr.len().saturating_sub(MAX_STDERR);
        self.out.stderr = String::from_utf8_lossy(&self.stderr[start..]).into_owned();
        self.out.exit_code = exit_code;
        self.out
    }
}
