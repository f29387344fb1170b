//! The CLI's login: `$XDG_CONFIG_HOME/windflow/credentials.json` (the platform's config
//! directory elsewhere), readable by its owner only. `WINDFLOW_SERVER` / `WINDFLOW_TOKEN`
//! override it, so CI needs no file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The environment variable holding an API token (CI).
pub const TOKEN_ENV: &str = "WINDFLOW_TOKEN";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    /// The server's base URL, without a trailing slash.
    pub server: String,
    /// A personal API token (`wf_…`).
    pub token: String,
    /// The token's id on the server, to revoke it at logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    pub username: String,
    /// The organization commands act on unless `--org` says otherwise.
    pub org: String,
}

/// Where the credentials live, or `None` when the platform has no config directory.
pub fn path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("windflow").join("credentials.json"))
}

/// The stored credentials, if any.
pub fn load(path: &Path) -> anyhow::Result<Option<Credentials>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow::anyhow!("reading {}: {e}", path.display())),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        anyhow::anyhow!(
            "{} is not valid: {e} (run `windflow login` again)",
            path.display()
        )
    })
}

/// Writes the credentials atomically: a new file created with mode 0600 (never widened,
/// never chmod-ed afterwards), then renamed over the old one.
pub fn save(path: &Path, credentials: &Credentials) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| anyhow::anyhow!("{} has no parent directory", path.display()))?;
    create_private_dir(dir)?;
    let temporary = dir.join(format!(".credentials.json.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut file = options.open(&temporary)?;
        let mut text = serde_json::to_string_pretty(credentials)?;
        text.push('\n');
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        anyhow::Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// Removes the file; a missing file is fine.
pub fn delete(path: &Path) -> anyhow::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(anyhow::anyhow!("removing {}: {e}", path.display())),
    }
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_owner_only_and_loads_back() {
        let dir = std::env::temp_dir().join(format!("wf-creds-{}", std::process::id()));
        let path = dir.join("windflow").join("credentials.json");
        let credentials = Credentials {
            server: "http://127.0.0.1:1".into(),
            token: "wf_secret".into(),
            token_id: Some("t1".into()),
            username: "admin".into(),
            org: "default".into(),
        };
        save(&path, &credentials).unwrap();
        save(&path, &credentials).unwrap();
        assert_eq!(load(&path).unwrap(), Some(credentials));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(delete(&path).unwrap());
        assert_eq!(load(&path).unwrap(), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
