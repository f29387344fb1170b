//! The data directory is private to the server's user: the directory 0700, and what the
//! server keeps in it 0600 — the SQLite database (SQLite gives its `-wal` and `-shm` files the
//! database file's mode), the secrets keyring, and the engine's history of each target
//! (`engine-history/`, whose own writer makes new files 0600 and directories 0700). An
//! existing installation is brought to these modes at every start. No process-wide umask is
//! set: files injected into containers keep the modes their stacks give them.

use std::path::Path;

use anyhow::Context;
use windflow_storage::DatabaseLocation;

use crate::config::ServeConfig;

const PRIVATE_DIR: u32 = 0o700;
const PRIVATE_FILE: u32 = 0o600;

/// Creates the data directory (0700) and, for a SQLite database not there yet, an empty 0600
/// database file, so SQLite's own files start private too.
pub fn prepare(config: &ServeConfig, location: &DatabaseLocation) -> anyhow::Result<()> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;
    set_mode(dir, PRIVATE_DIR)?;
    if let DatabaseLocation::Sqlite(path) = location
        && !path.exists()
    {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE);
        match options.open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(e).with_context(|| format!("creating the database {}", path.display()));
            }
        }
    }
    Ok(())
}

/// Brings what the server owns to private modes: the database files, the keyring and the
/// engine history (files written by earlier versions were 0644 in 0755 directories).
pub fn secure(config: &ServeConfig, location: &DatabaseLocation) -> anyhow::Result<()> {
    if let DatabaseLocation::Sqlite(path) = location {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            set_mode_if_present(Path::new(&name), PRIVATE_FILE)?;
        }
    }
    set_mode_if_present(&config.secret_key_file, PRIVATE_FILE)?;
    secure_tree(&config.data_dir.join("engine-history"))
}

fn secure_tree(dir: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    set_mode(dir, PRIVATE_DIR)?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            secure_tree(&entry.path())?;
        } else if file_type.is_file() {
            set_mode(&entry.path(), PRIVATE_FILE)?;
        }
    }
    Ok(())
}

fn set_mode_if_present(path: &Path, mode: u32) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => set_mode(path, mode),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .permissions()
        .mode()
        & 0o7777;
    if current != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("making {} private (mode {mode:o})", path.display()))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_existing_installation_becomes_private() {
        let dir = std::env::temp_dir().join(format!("wf-data-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let history = dir.join("engine-history/target-1");
        std::fs::create_dir_all(&history).unwrap();
        for file in ["windflow.db", "windflow.db-wal", "secret.keys"] {
            std::fs::write(dir.join(file), "x").unwrap();
            std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        std::fs::write(history.join("shop.json"), "[]").unwrap();
        for path in [&dir, &dir.join("engine-history"), &history] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let config = ServeConfig {
            secret_key_file: dir.join("secret.keys"),
            ..ServeConfig::resolve(crate::config::ServeArgs {
                data: Some(dir.clone()),
                local_docker: Some("none".into()),
                ..Default::default()
            })
            .unwrap()
        };
        let location = DatabaseLocation::Sqlite(dir.join("windflow.db"));
        prepare(&config, &location).unwrap();
        secure(&config, &location).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("engine-history")), 0o700);
        assert_eq!(mode(&history), 0o700);
        for file in ["windflow.db", "windflow.db-wal", "secret.keys"] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
        }
        assert_eq!(mode(&history.join("shop.json")), 0o600);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
