//! What the agent keeps in its state directory: its identity (`agent.json`, 0600: the agent
//! id and credential) and the journal of state-changing commands (`commands.jsonl`), so a
//! restarted agent answers a re-sent command from memory instead of running it again.

use std::collections::HashMap;
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

/// Outcomes of recent state-changing commands, persisted as JSON lines. The file is
/// rewritten with what is remembered when the agent starts and whenever it has grown to
/// [`COMPACT_AT`] lines, so it stays bounded however long the agent runs.
pub struct Journal {
    path: Option<PathBuf>,
    /// The append handle and the number of lines in the file.
    file: Mutex<Option<(File, usize)>>,
}

/// Lines in the journal file that trigger a compaction while the agent runs.
pub const COMPACT_AT: usize = 2 * REMEMBERED;

/// Each id's latest line, oldest first by that line: the last [`REMEMBERED`] ids, plus any
/// older one still running (`None`: started, not finished).
fn read_entries(path: &Path) -> Vec<(String, Option<Outcome>)> {
    let mut latest: HashMap<String, (usize, Option<Outcome>)> = HashMap::new();
    if let Ok(file) = File::open(path) {
        for (seq, line) in BufReader::new(file).lines().enumerate() {
            let Ok(line) = line else { break };
            // A torn last line (the agent died mid-write) is skipped.
            let Ok(entry) = serde_json::from_str::<JournalLine>(&line) else {
                continue;
            };
            latest.insert(entry.id, (seq, entry.outcome));
        }
    }
    let mut entries: Vec<(usize, String, Option<Outcome>)> = latest
        .into_iter()
        .map(|(id, (seq, outcome))| (seq, id, outcome))
        .collect();
    entries.sort_by_key(|(seq, _, _)| *seq);
    let keep_from = entries.len().saturating_sub(REMEMBERED);
    entries
        .into_iter()
        .enumerate()
        .filter(|(i, (_, _, outcome))| *i >= keep_from || outcome.is_none())
        .map(|(_, (_, id, outcome))| (id, outcome))
        .collect()
}

/// Replaces the journal with `entries` (atomically) and opens it for appending.
fn rewrite(path: &Path, entries: &[(String, Option<Outcome>)]) -> anyhow::Result<File> {
    let tmp = path.with_extension("jsonl.tmp");
    {
        let mut out = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        for (id, outcome) in entries {
            let line = JournalLine {
                id: id.clone(),
                outcome: outcome.clone(),
            };
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        }
        out.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

impl Journal {
    /// A journal that keeps nothing on disk (for simulated agents).
    pub fn in_memory() -> Self {
        Self {
            path: None,
            file: Mutex::new(None),
        }
    }

    /// Opens the journal in `dir` and returns what it remembers: the outcome of each command
    /// that finished, and for one that started but never finished (the agent died while it
    /// ran), an error saying so — running it again could repeat its effect.
    pub fn open(dir: &Path) -> anyhow::Result<(Self, Vec<(String, Outcome)>)> {
        let path = dir.join(JOURNAL_FILE);
        let remembered: Vec<(String, Outcome)> = read_entries(&path)
            .into_iter()
            .map(|(id, outcome)| {
                let outcome = outcome.unwrap_or_else(|| {
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
        let entries: Vec<(String, Option<Outcome>)> = remembered
            .iter()
            .map(|(id, outcome)| (id.clone(), Some(outcome.clone())))
            .collect();
        let file = rewrite(&path, &entries)?;
        Ok((
            Self {
                path: Some(path),
                file: Mutex::new(Some((file, entries.len()))),
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
        let mut guard = self.file.lock().expect("journal");
        let (Some((file, lines)), Some(path)) = (guard.as_mut(), self.path.as_deref()) else {
            return;
        };
        let Ok(text) = serde_json::to_string(&line) else {
            return;
        };
        if let Err(e) = writeln!(file, "{text}") {
            tracing::warn!(error = %e, path = %path.display(), "writing the command journal");
        }
        *lines += 1;
        if *lines >= COMPACT_AT {
            let entries = read_entries(path);
            match rewrite(path, &entries) {
                Ok(compacted) => *guard = Some((compacted, entries.len())),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "compacting the command journal")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(n: usize) -> Outcome {
        Outcome::Ok(serde_json::json!(n))
    }

    #[test]
    fn the_journal_stays_bounded_while_running_and_keeps_running_commands() {
        let dir = std::env::temp_dir().join(format!("windflow-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (journal, remembered) = Journal::open(&dir).unwrap();
        assert!(remembered.is_empty());
        // A command that started first and is still running when many others finished.
        journal.started("long");
        for n in 0..3 * REMEMBERED {
            let id = format!("c{n}");
            journal.started(&id);
            journal.finished(&id, &ok(n));
        }
        let path = dir.join(JOURNAL_FILE);
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines <= COMPACT_AT, "{lines} lines");
        journal.finished("long", &ok(7));

        let (_, remembered) = Journal::open(&dir).unwrap();
        assert_eq!(remembered.len(), REMEMBERED);
        // The long command survived the compactions that ran while it did, and finishing
        // made it the newest entry.
        assert_eq!(remembered.last(), Some(&("long".to_string(), ok(7))));
        let last = format!("c{}", 3 * REMEMBERED - 1);
        assert!(remembered.contains(&(last, ok(3 * REMEMBERED - 1))));
        assert!(!remembered.iter().any(|(id, _)| id == "c0"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_command_running_when_the_agent_died_is_not_run_again() {
        let dir =
            std::env::temp_dir().join(format!("windflow-journal-died-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (journal, _) = Journal::open(&dir).unwrap();
        journal.started("a");
        journal.finished("a", &ok(1));
        journal.started("b");
        drop(journal);
        let (_, remembered) = Journal::open(&dir).unwrap();
        assert_eq!(remembered[0], ("a".to_string(), ok(1)));
        assert_eq!(remembered[1].0, "b");
        assert!(matches!(&remembered[1].1, Outcome::Error(e) if e.message.contains("restarted")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
