//! The local stack history: every deployment of a project on an endpoint, with the normalized
//! stack it deployed (images pinned to the ids that ran), so `rollback` can put any earlier
//! version back even after tags moved.
//!
//! Stored as one JSON file per project under
//! `$WINDFLOW_STATE_DIR` (default `$XDG_DATA_HOME/windflow`)`/history/<endpoint>/<project>.json`,
//! written atomically (temporary file, then rename), readable by its owner only (files 0600,
//! directories 0700): a stack holds its interpolated environment.
//!
//! A history can *withhold* values ([`History::withholding`]): the control plane passes its
//! secret variables' values, and every revision is recorded with each of them replaced by
//! [`WITHHELD`], so no secret value is ever written here. Such a revision records what was
//! deployed, not something to deploy again: the control plane re-deploys from its stack
//! versions and variables, never from this history.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use windflow_domain::StackSpec;

/// How many revisions are kept per project.
pub const KEEP_REVISIONS: usize = 50;

/// What a withheld value is recorded as.
pub const WITHHELD: &str = "******";

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
    pub stack: StackSpec,
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

#[derive(Clone)]
pub struct History {
    dir: PathBuf,
    /// Values never written (the control plane's secrets), longest first.
    withheld: Vec<String>,
}

/// Shows how many values are withheld, never the values.
impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("dir", &self.dir)
            .field("withheld", &self.withheld.len())
            .finish()
    }
}

impl History {
    /// The history for `endpoint` in the default state directory.
    pub fn for_endpoint(endpoint: &str) -> Self {
        Self::at(state_root().join("history").join(endpoint_key(endpoint)))
    }

    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            withheld: Vec::new(),
        }
    }

    /// This history, recording every occurrence of each of `values` as [`WITHHELD`].
    pub fn withholding(mut self, values: impl IntoIterator<Item = String>) -> Self {
        self.withheld
            .extend(values.into_iter().filter(|v| !v.is_empty()));
        // A longer value containing a shorter one is replaced first.
        self.withheld.sort_by_key(|v| std::cmp::Reverse(v.len()));
        self.withheld.dedup();
        self
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

    pub fn append(&self, project: &str, revision: Revision) -> Result<(), HistoryError> {
        let mut revision = self.withhold(revision);
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

impl History {
    /// `revision` with every withheld value replaced, in its stack (strings and map keys), its
    /// plan lines and its failure message. A stack that no longer reads back once masked (a
    /// value inside an enumeration's name, say) is recorded as its name alone.
    fn withhold(&self, mut revision: Revision) -> Revision {
        if self.withheld.is_empty() {
            return revision;
        }
        let mask = |text: &str| mask_text(text, &self.withheld);
        revision.changes = revision.changes.iter().map(|c| mask(c)).collect();
        if let RevisionOutcome::Failed { message, .. } = &mut revision.outcome {
            *message = mask(message);
        }
        let name = revision.stack.name.clone();
        revision.stack = serde_json::to_value(&revision.stack)
            .ok()
            .map(|value| mask_json(value, &self.withheld))
            .and_then(|value| serde_json::from_value::<StackSpec>(value).ok())
            .unwrap_or_else(|| StackSpec {
                name,
                ..Default::default()
            });
        revision
    }
}

fn mask_text(text: &str, withheld: &[String]) -> String {
    let mut out = text.to_string();
    for value in withheld {
        if out.contains(value.as_str()) {
            out = out.replace(value.as_str(), WITHHELD);
        }
    }
    out
}

fn mask_json(value: serde_json::Value, withheld: &[String]) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(mask_text(&s, withheld)),
        Value::Array(items) => items.into_iter().map(|v| mask_json(v, withheld)).collect(),
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (mask_text(&k, withheld), mask_json(v, withheld)))
            .collect(),
        other => other,
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename; the file is 0600 and any
/// directory created for it 0700.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        private_dir_builder().create(dir)?;
    }
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let mut file = private_file_options().open(&tmp)?;
    file.write_all(bytes)?;
    drop(file);
    std::fs::rename(&tmp, path)
}

fn private_dir_builder() -> std::fs::DirBuilder {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
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
            stack: StackSpec {
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

    #[test]
    fn withheld_values_are_never_written_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("wf-history-withheld-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let history = History::at(dir.join("target")).withholding(["s3cr3t-pw".to_string()]);
        let mut service = windflow_domain::stack::Service {
            image: "busybox".into(),
            ..Default::default()
        };
        service
            .environment
            .insert("DB_URL".into(), "postgres://app:s3cr3t-pw@db/app".into());
        let mut stack = StackSpec {
            name: "shop".into(),
            ..Default::default()
        };
        stack.services.insert("web".into(), service);
        history
            .append(
                "shop",
                Revision {
                    version: 1,
                    deployed_at: 0,
                    outcome: RevisionOutcome::Failed {
                        message: "web exited: s3cr3t-pw refused".into(),
                        restored: false,
                    },
                    source: "deployment 1".into(),
                    changes: vec!["create web (DB_URL=postgres://app:s3cr3t-pw@db/app)".into()],
                    stack,
                },
            )
            .unwrap();
        let text = std::fs::read_to_string(dir.join("target/shop.json")).unwrap();
        assert!(!text.contains("s3cr3t-pw"), "{text}");
        let revision = &history.load("shop").unwrap()[0];
        assert_eq!(
            revision.stack.services["web"].environment["DB_URL"],
            "postgres://app:******@db/app"
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("target")), 0o700);
        assert_eq!(mode(&dir.join("target/shop.json")), 0o600);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
