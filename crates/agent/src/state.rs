//! What the agent keeps in its state directory: its identity (`agent.json`, 0600: the agent
//! id and credential) and the journal of state-changing commands (`commands.jsonl`), so a
//! restarted agent answers a re-sent command from memory instead of running it again.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use windflow_protocol::agent::{CommandError, Outcome};

/// The agent's identity, from enrollment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub agent_id: String,
    pub credential: String,
    pub server: String,
    pub org: String,
    pub target: String,
}

const IDENTITY_FILE: &str = "agent.json";
const JOURNAL_FILE: &str = "commands.jsonl";
/// Outcomes remembered (in memory and in the journal after compaction).
pub const REMEMBERED: usize = 1000;

pub fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the state directory {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting the state directory {}", dir.display()))
}

pub fn load_identity(dir: &Path) -> anyhow::Result<Option<Identity>> {
    let path = dir.join(IDENTITY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(
            serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes the identity 0600, atomically.
pub fn save_identity(dir: &Path, identity: &Identity) -> anyhow::Result<()> {
    let path = dir.join(IDENTITY_FILE);
    let tmp = dir.join(format!("{IDENTITY_FILE}.tmp"));
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    file.write_all(serde_json::to_string_pretty(identity)?.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalLine {
    id: String,
    /// `None`: the command started (and its outcome is unknown until a later line).
    #[serde(default)]
    outcome: Option<Outcome>,
}

/// Outcomes of recent state-changing commands, persisted as JSON lines.
pub struct Journal {
    path: Option<PathBuf>,
    file: Mutex<Option<File>>,
    lines: Mutex<usize>,
}

impl Journal {
    /// A journal that keeps nothing on disk (for simulated agents).
    pub fn in_memory() -> Self {
        Self {
            path: None,
            file: Mutex::new(None),
            lines: Mutex::new(0),
        }
    }

    /// Opens the journal in `dir` and returns what it remembers: the outcome of each command
    /// that finished, and for one that started but never finished (the agent died while it
    /// ran), an error saying so — running it again could repeat its effect.
    pub fn open(dir: &Path) -> anyhow::Result<(Self, Vec<(String, Outcome)>)> {
        let path = dir.join(JOURNAL_FILE);
        let mut order: VecDeque<String> = VecDeque::new();
        let mut known: HashMap<String, Option<Outcome>> = HashMap::new();
        if let Ok(file) = File::open(&path) {
            for line in BufReader::new(file).lines() {
                let Ok(line) = line else { break };
                // A torn last line (the agent died mid-write) is skipped.
                let Ok(entry) = serde_json::from_str::<JournalLine>(&line) else {
                    continue;
                };
                if !known.contains_key(&entry.id) {
                    order.push_back(entry.id.clone());
                }
                known.insert(entry.id, entry.outcome);
            }
        }
        while order.len() > REMEMBERED {
            if let Some(id) = order.pop_front() {
                known.remove(&id);
            }
        }
        let remembered: Vec<(String, Outcome)> = order
            .into_iter()
            .map(|id| {
                let outcome = known.remove(&id).flatten().unwrap_or_else(|| {
                    Outcome::Error(CommandError {
                        kind: "engine".into(),
                        subject: "agent".into(),
                        message: "the agent restarted while running this command; its outcome \
                                  is unknown, so it is not run again (the next deployment \
                                  reconciles the target's real state)"
                            .into(),
                    })
                });
                (id, outcome)
            })
            .collect();
        // Compact: rewrite what is remembered, then append from there.
        let tmp = dir.join(format!("{JOURNAL_FILE}.tmp"));
        {
            let mut out = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .with_context(|| format!("writing {}", tmp.display()))?;
            for (id, outcome) in &remembered {
                let line = JournalLine {
                    id: id.clone(),
                    outcome: Some(outcome.clone()),
                };
                writeln!(out, "{}", serde_json::to_string(&line)?)?;
            }
            out.sync_all()?;
        }
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok((
            Self {
                path: Some(path),
                file: Mutex::new(Some(file)),
                lines: Mutex::new(remembered.len()),
            },
            remembered,
        ))
    }

    pub fn started(&self, id: &str) {
        self.write(JournalLine {
            id: id.to_string(),
            outcome: None,
        });
    }

    pub fn finished(&self, id: &str, outcome: &Outcome) {
        self.write(JournalLine {
            id: id.to_string(),
            outcome: Some(outcome.clone()),
        });
    }

    fn write(&self, line: JournalLine) {
        let mut file = self.file.lock().expect("journal");
        let Some(file) = file.as_mut() else { return };
        let Ok(text) = serde_json::to_string(&line) else {
            return;
        };
        if let Err(e) = writeln!(file, "{text}") {
            tracing::warn!(error = %e, path = ?self.path, "writing the command journal");
        }
        let mut lines = self.lines.lock().expect("journal");
        *lines += 1;
    }
}
