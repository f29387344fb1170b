//! The local stack history: every deployment of a project on an endpoint, with the normalized
//! stack it deployed (images pinned to the ids that ran), so `rollback` can put any earlier
//! version back even after tags moved.
//!
//! Stored as one JSON file per project under
//! `$WINDFLOW_STATE_DIR` (default `$XDG_DATA_HOME/windflow`)`/history/<endpoint>/<project>.json`,
//! written atomically (temporary file, then rename).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use windflow_domain::Stack;

/// How many revisions are kept per project.
pub const KEEP_REVISIONS: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub version: u64,
    /// Unix seconds.
    pub deployed_at: u64,
    pub outcome: RevisionOutcome,
    /// `up`, or `rollback to vN`.
    pub source: String,
    /// The plan's human lines.
    pub changes: Vec<String>,
    /// The stack as deployed, with every image pinned to its id.
    pub stack: Stack,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RevisionOutcome {
    Deployed,
    /// The deployment failed; `restored` tells whether the previous version was put back.
    Failed {
        message: String,
        restored: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("reading stack history {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("stack history {path} is damaged: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("writing stack history {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// WindFlow's local state directory: `$WINDFLOW_STATE_DIR`, else `$XDG_DATA_HOME/windflow`.
pub fn state_root() -> PathBuf {
    std::env::var_os("WINDFLOW_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("windflow")))
        .unwrap_or_else(|| PathBuf::from(".windflow"))
}

#[derive(Debug, Clone)]
pub struct History {
    dir: PathBuf,
}

impl History {
    /// The history for `endpoint` in the default state directory.
    pub fn for_endpoint(endpoint: &str) -> Self {
        Self::at(state_root().join("history").join(endpoint_key(endpoint)))
    }

    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn file(&self, project: &str) -> PathBuf {
        self.dir.join(format!("{project}.json"))
    }

    /// All revisions of `project`, oldest first (empty when it was never deployed).
    pub fn load(&self, project: &str) -> Result<Vec<Revision>, HistoryError> {
        let path = self.file(project);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|source| HistoryError::Parse { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(HistoryError::Read { path, source }),
        }
    }

    pub fn next_version(&self, project: &str) -> Result<u64, HistoryError> {
        Ok(self.load(project)?.last().map_or(1, |r| r.version + 1))
    }

    /// The revision that runs now: the newest one that deployed.
    pub fn current(&self, project: &str) -> Result<Option<Revision>, HistoryError> {
        Ok(self
            .load(project)?
            .into_iter()
            .rev()
            .find(|r| r.outcome == RevisionOutcome::Deployed))
    }

    pub fn append(&self, project: &str, mut revision: Revision) -> Result<(), HistoryError> {
        let mut revisions = self.load(project)?;
        if revision.deployed_at == 0 {
            revision.deployed_at = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
        }
        revisions.push(revision);
        if revisions.len() > KEEP_REVISIONS {
            revisions.drain(..revisions.len() - KEEP_REVISIONS);
        }
        let path = self.file(project);
        write_atomic(
            &path,
            &serde_json::to_vec_pretty(&revisions).expect("revisions serialize"),
        )
        .map_err(|source| HistoryError::Write { path, source })
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// A directory name for an endpoint: readable, and safe on any filesystem.
fn endpoint_key(endpoint: &str) -> String {
    let mut key = String::with_capacity(endpoint.len());
    for c in endpoint.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            c
        } else {
            '_'
        };
        if !(c == '_' && key.ends_with('_')) {
            key.push(c);
        }
    }
    key.trim_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_finds_current() {
        let dir = std::env::temp_dir().join(format!("wf-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let history = History::at(&dir);
        assert_eq!(history.next_version("shop").unwrap(), 1);
        let revision = |version, outcome| Revision {
            version,
            deployed_at: 0,
            outcome,
            source: "up".into(),
            changes: vec![],
            stack: Stack {
                name: "shop".into(),
                ..Default::default()
            },
        };
        history
            .append("shop", revision(1, RevisionOutcome::Deployed))
            .unwrap();
        history
            .append(
                "shop",
                revision(
                    2,
                    RevisionOutcome::Failed {
                        message: "x".into(),
                        restored: true,
                    },
                ),
            )
            .unwrap();
        assert_eq!(history.next_version("shop").unwrap(), 3);
        assert_eq!(history.current("shop").unwrap().unwrap().version, 1);
        assert_eq!(
            endpoint_key("unix:///var/run/docker.sock"),
            "unix_var_run_docker.sock"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
