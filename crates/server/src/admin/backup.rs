//! `windflow admin backup` and `windflow admin restore`: the control plane's own state — its
//! database and its secrets keyring — as one archive, and back.
//!
//! The archive is a tar stream of three members, in this order:
//!
//! | member                | what                                                              |
//! |-----------------------|-------------------------------------------------------------------|
//! | `manifest.json`       | [`Manifest`]: format, WindFlow version, backend, schema migration version, time, each member's size and sha256 |
//! | `database/windflow.db`  | SQLite: a `VACUUM INTO` copy (consistent while the server runs)  |
//! | `database/windflow.sql` | PostgreSQL: `pg_dump --format=plain --no-owner --no-privileges`  |
//! | `secret.keys`         | the keyring that decrypts every secret in the database            |
//!
//! Because it holds the keyring, the tar stream is sealed with a passphrase by default
//! (`sealed.rs` documents the format); `--unencrypted` writes the plain tar.
//!
//! Invariants: a backup never changes the database it copies (no migrations run); a restore
//! reads and verifies the whole archive before it replaces anything, refuses a target that
//! already holds data unless forced, and keeps what it replaces beside it
//! (`*.before-restore-<time>`), except a PostgreSQL schema, which `--force` drops. The
//! PostgreSQL password travels to `pg_dump` and `psql` in `PGPASSWORD`, never in arguments.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use windflow_storage::DatabaseLocation;
use windflow_storage::snapshot;

use super::sealed::{self, KdfCost, Opener, Sealer};
use crate::config::ServeConfig;

/// The environment variable a backup passphrase may come from (else `--passphrase-file`).
pub const PASSPHRASE_ENV: &str = "WINDFLOW_ADMIN_BACKUP_PASSPHRASE";
/// Shortest passphrase accepted for a new backup.
pub const MIN_PASSPHRASE_LEN: usize = 12;

const FORMAT: &str = "windflow-server-backup";
const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SQLITE_MEMBER: &str = "database/windflow.db";
const POSTGRES_MEMBER: &str = "database/windflow.sql";
const KEYRING_MEMBER: &str = "secret.keys";
/// A keyring is a few lines; anything larger is not one.
const MAX_KEYRING_BYTES: u64 = 1 << 20;
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// What the archive says about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub windflow_version: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The highest applied migration of the database.
    pub schema_version: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Member {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// The passphrase for a backup: the file's first line (`--passphrase-file`), else
/// `WINDFLOW_ADMIN_BACKUP_PASSPHRASE`, else none.
pub fn read_passphrase(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the passphrase file {}", path.display()))?;
        let line = text.lines().next().unwrap_or_default().to_string();
        if line.is_empty() {
            bail!("the passphrase file {} is empty", path.display());
        }
        return Ok(Some(line));
    }
    Ok(std::env::var(PASSPHRASE_ENV).ok().filter(|p| !p.is_empty()))
}

/// How `windflow admin backup` writes.
#[derive(Debug, Clone)]
pub struct BackupOptions {
    pub output: PathBuf,
    /// `None` only with `unencrypted`.
    pub passphrase: Option<String>,
    pub unencrypted: bool,
}

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub output: PathBuf,
    pub manifest: Manifest,
    pub encrypted: bool,
}

/// Writes the server's database and keyring into one archive at `options.output` (through
/// `<output>.partial`, renamed when complete). The server may be running.
pub async fn backup(config: &ServeConfig, options: BackupOptions) -> anyhow::Result<BackupSummary> {
    let passphrase = match (&options.passphrase, options.unencrypted) {
        (Some(_), true) => bail!("--unencrypted and a passphrase: give one or the other"),
        (None, false) => bail!(
            "the backup holds the secrets keyring, so it is encrypted: give \
             --passphrase-file FILE or set {PASSPHRASE_ENV} (or --unencrypted to write it \
             in the clear)"
        ),
        (Some(p), false) if p.chars().count() < MIN_PASSPHRASE_LEN => {
            bail!("the passphrase must be at least {MIN_PASSPHRASE_LEN} characters")
        }
        (p, _) => p.clone(),
    };
    let location =
        DatabaseLocation::from_env_or_dir(config.database_url.as_deref(), &config.data_dir)?;
    let keyring = read_keyring(&config.secret_key_file)?;
    let output = absolute(&options.output)?;
    let parent = output
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let staging = Staging::create(&parent)?;

    let (member, database_copy, schema_version) = match &location {
        DatabaseLocation::Sqlite(path) => {
            let copy = staging.path.join("windflow.db");
            private_file(&copy)?;
            snapshot::copy_sqlite(path, &copy)
                .await
                .with_context(|| format!("copying the database {}", path.display()))?;
            let version = snapshot::schema_version(&DatabaseLocation::Sqlite(copy.clone()))
                .await?
                .with_context(|| format!("{} has no WindFlow schema", path.display()))?;
            (SQLITE_MEMBER, copy, version)
        }
        DatabaseLocation::Postgres(url) => {
            let version = snapshot::schema_version(&location)
                .await
                .context("reading the schema version (DATABASE_URL)")?
                .context("the PostgreSQL database (DATABASE_URL) has no WindFlow schema")?;
            let dump = staging.path.join("windflow.sql");
            let url = url.clone();
            let target = dump.clone();
            tokio::task::spawn_blocking(move || pg_dump(&url, &target)).await??;
            (POSTGRES_MEMBER, dump, version)
        }
    };
    let database_member = Member {
        path: member.into(),
        size: std::fs::metadata(&database_copy)?.len(),
        sha256: sha256_file(&database_copy)?,
    };
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        windflow_version: env!("CARGO_PKG_VERSION").into(),
        backend: backend_name(&location).into(),
        schema_version,
        created_at: now_rfc3339(),
        members: vec![
            database_member,
            Member {
                path: KEYRING_MEMBER.into(),
                size: keyring.len() as u64,
                sha256: hex::encode(Sha256::digest(&keyring)),
            },
        ],
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)?;
    let partial = PathBuf::from(format!("{}.partial", output.display()));
    let written = {
        let partial = partial.clone();
        let output = output.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let file = create_private(&partial)?;
            let writer = BufWriter::new(file);
            let file = match passphrase {
                Some(passphrase) => {
                    let sealer = Sealer::new(
                        writer,
                        passphrase.as_bytes(),
                        KdfCost::DEFAULT,
                        sealed::DEFAULT_CHUNK_SIZE,
                    )?;
                    let sealer =
                        write_tar(sealer, &manifest_json, member, &database_copy, &keyring)?;
                    sealer.finish()?
                }
                None => write_tar(writer, &manifest_json, member, &database_copy, &keyring)?,
            }
            .into_inner()
            .map_err(|e| e.into_error())?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&partial, &output).with_context(|| {
                format!("renaming {} to {}", partial.display(), output.display())
            })?;
            sync_dir(&output);
            Ok(())
        })
        .await?
    };
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e.context(format!("writing {}", output.display())));
    }
    drop(staging);
    Ok(BackupSummary {
        output,
        manifest,
        encrypted: !options.unencrypted,
    })
}

fn write_tar<W: Write>(
    writer: W,
    manifest: &[u8],
    database_member: &str,
    database: &Path,
    keyring: &[u8],
) -> io::Result<W> {
    let mut tar = tar::Builder::new(writer);
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let header = |size: u64| {
        let mut header = tar::Header::new_ustar();
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        header
    };
    tar.append_data(&mut header(manifest.len() as u64), MANIFEST, manifest)?;
    let file = File::open(database)?;
    let size = file.metadata()?.len();
    tar.append_data(&mut header(size), database_member, BufReader::new(file))?;
    tar.append_data(&mut header(keyring.len() as u64), KEYRING_MEMBER, keyring)?;
    tar.into_inner()
}

/// How `windflow admin restore` reads and writes.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    pub input: PathBuf,
    pub passphrase: Option<String>,
    /// Replace a database or keyring that already holds data.
    pub force: bool,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    pub manifest: Manifest,
    /// The SQLite file, or the PostgreSQL URL without its password.
    pub database: String,
    pub keyring: PathBuf,
    /// What was replaced and kept (`*.before-restore-<time>`).
    pub kept: Vec<PathBuf>,
    pub encrypted: bool,
}

/// Restores an archive written by [`backup`] into the configured data directory and
/// database. The server must be stopped.
pub async fn restore(
    config: &ServeConfig,
    options: RestoreOptions,
) -> anyhow::Result<RestoreSummary> {
    let location =
        DatabaseLocation::from_env_or_dir(config.database_url.as_deref(), &config.data_dir)?;
    // Refuse early, before a long read, when the target holds data.
    let tables = snapshot::table_count(&location)
        .await
        .with_context(|| format!("looking into {}", location.redacted()))?;
    let keyring_exists = config.secret_key_file.exists();
    if !options.force && (tables > 0 || keyring_exists) {
        let what = if tables > 0 {
            format!("the database {} already holds data", location.redacted())
        } else {
            format!(
                "the keyring {} already exists",
                config.secret_key_file.display()
            )
        };
        bail!(
            "{what}: stop the server and restore with --force to replace it (the SQLite file \
             and the keyring are kept as *.before-restore-<time>; a PostgreSQL schema is \
             dropped, so pg_dump it first)"
        );
    }
    create_private_dir(&config.data_dir)?;
    if let Some(dir) = config.secret_key_file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // The database member is staged beside where it goes: a SQLite file is renamed into
    // place (same file system), a dump is read by psql.
    let staging_dir = match &location {
        DatabaseLocation::Sqlite(path) => path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| config.data_dir.clone()),
        DatabaseLocation::Postgres(_) => config.data_dir.clone(),
    };
    std::fs::create_dir_all(&staging_dir)
        .with_context(|| format!("creating {}", staging_dir.display()))?;
    let staging = Staging::create(&staging_dir)?;
    let staged = {
        let input = options.input.clone();
        let passphrase = options.passphrase.clone();
        let dir = staging.path.clone();
        let backend = backend_name(&location);
        let known = snapshot::known_schema_version(&location);
        tokio::task::spawn_blocking(move || {
            read_archive(&input, passphrase.as_deref(), &dir, backend, known)
        })
        .await??
    };
    let time = compact_time();
    let mut kept = Vec::new();
    let database = match &location {
        DatabaseLocation::Sqlite(path) => {
            let restored = DatabaseLocation::Sqlite(staged.database.clone());
            snapshot::schema_version(&restored)
                .await
                .context("the restored database does not open")?;
            kept.extend(replace_sqlite(path, &staged.database, &time)?);
            path.display().to_string()
        }
        DatabaseLocation::Postgres(url) => {
            let (url, dump, drop_schema) = (url.clone(), staged.database.clone(), tables > 0);
            tokio::task::spawn_blocking(move || psql_restore(&url, &dump, drop_schema)).await??;
            location.redacted()
        }
    };
    kept.extend(replace_keyring(
        &config.secret_key_file,
        &staged.keyring,
        &time,
    )?);
    drop(staging);
    Ok(RestoreSummary {
        manifest: staged.manifest,
        database,
        keyring: config.secret_key_file.clone(),
        kept,
        encrypted: staged.encrypted,
    })
}

struct Staged {
    manifest: Manifest,
    database: PathBuf,
    keyring: Vec<u8>,
    encrypted: bool,
}

/// Reads the whole archive into `dir`, checking every member against the manifest and the
/// manifest against this server: nothing is replaced until this has succeeded.
fn read_archive(
    input: &Path,
    passphrase: Option<&str>,
    dir: &Path,
    backend: &str,
    known_schema: i64,
) -> anyhow::Result<Staged> {
    let mut file = File::open(input).with_context(|| format!("opening {}", input.display()))?;
    let encrypted = {
        let mut head = Vec::new();
        (&mut file).take(8).read_to_end(&mut head)?;
        file.seek(io::SeekFrom::Start(0))?;
        head.as_slice() == sealed::MAGIC
    };
    let file = BufReader::new(file);
    let reader: Box<dyn Read> = if encrypted {
        let Some(passphrase) = passphrase else {
            bail!(
                "{} is encrypted: give --passphrase-file FILE or set {PASSPHRASE_ENV}",
                input.display()
            );
        };
        Box::new(Opener::new(file, passphrase.as_bytes())?)
    } else {
        Box::new(file)
    };
    let mut archive = tar::Archive::new(reader);
    let mut manifest: Option<Manifest> = None;
    let mut database: Option<(PathBuf, Member)> = None;
    let mut keyring: Option<(Vec<u8>, Member)> = None;
    let entries = archive.entries().map_err(|e| archive_error(e, input))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| archive_error(e, input))?;
        let path = entry
            .path()
            .map_err(|e| archive_error(e, input))?
            .to_string_lossy()
            .into_owned();
        if entry.header().entry_type() != tar::EntryType::Regular {
            bail!(
                "{}: unexpected member {path:?} (not a file)",
                input.display()
            );
        }
        if manifest.is_none() {
            if path != MANIFEST {
                bail!(
                    "{} is not a WindFlow server backup: its first member is {path:?}, not \
                     {MANIFEST}",
                    input.display()
                );
            }
            let mut bytes = Vec::new();
            (&mut entry)
                .take(MAX_MANIFEST_BYTES)
                .read_to_end(&mut bytes)
                .map_err(|e| archive_error(e, input))?;
            let parsed: Manifest = serde_json::from_slice(&bytes)
                .with_context(|| format!("{}: reading {MANIFEST}", input.display()))?;
            check_manifest(&parsed, backend, known_schema)?;
            manifest = Some(parsed);
            continue;
        }
        let listed = manifest
            .as_ref()
            .and_then(|m| m.members.iter().find(|m| m.path == path))
            .cloned();
        let Some(listed) = listed else {
            bail!(
                "{}: member {path:?} is not in the manifest",
                input.display()
            );
        };
        if path == KEYRING_MEMBER {
            let mut bytes = Vec::new();
            (&mut entry)
                .take(MAX_KEYRING_BYTES)
                .read_to_end(&mut bytes)
                .map_err(|e| archive_error(e, input))?;
            verify(
                &listed,
                bytes.len() as u64,
                &hex::encode(Sha256::digest(&bytes)),
            )?;
            keyring = Some((bytes, listed));
        } else if path == SQLITE_MEMBER || path == POSTGRES_MEMBER {
            let target = dir.join(if path == SQLITE_MEMBER {
                "windflow.db"
            } else {
                "windflow.sql"
            });
            let mut out = BufWriter::new(create_private(&target)?);
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let n = entry
                    .read(&mut buffer)
                    .map_err(|e| archive_error(e, input))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buffer[..n]);
                out.write_all(&buffer[..n])?;
                size += n as u64;
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            verify(&listed, size, &hex::encode(hasher.finalize()))?;
            database = Some((target, listed));
        } else {
            bail!("{}: unexpected member {path:?}", input.display());
        }
    }
    // The tar stream ends with zero blocks; what follows must still authenticate (a sealed
    // stream checks its last chunk and that nothing follows it).
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| archive_error(e, input))?;
    let Some(manifest) = manifest else {
        bail!(
            "{} is empty or not a WindFlow server backup",
            input.display()
        );
    };
    let (Some((database, _)), Some((keyring, _))) = (database, keyring) else {
        bail!(
            "{}: the archive lacks its database or keyring member (incomplete backup?)",
            input.display()
        );
    };
    Ok(Staged {
        manifest,
        database,
        keyring,
        encrypted,
    })
}

fn archive_error(error: io::Error, input: &Path) -> anyhow::Error {
    if let Some(seal) = sealed::seal_error(&error) {
        return anyhow::anyhow!("{}: {seal}", input.display());
    }
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return anyhow::anyhow!(
            "{}: the archive is truncated (an incomplete copy?)",
            input.display()
        );
    }
    anyhow::Error::new(error).context(format!("reading {}", input.display()))
}

fn check_manifest(manifest: &Manifest, backend: &str, known_schema: i64) -> anyhow::Result<()> {
    if manifest.format != FORMAT {
        bail!(
            "not a WindFlow server backup (format {:?})",
            manifest.format
        );
    }
    if manifest.format_version > FORMAT_VERSION {
        bail!(
            "the backup's format version {} is newer than this WindFlow reads ({FORMAT_VERSION}): \
             restore with WindFlow {} or newer",
            manifest.format_version,
            manifest.windflow_version
        );
    }
    if manifest.backend != backend {
        bail!(
            "the backup holds a {} database but this server is configured for {backend} \
             (DATABASE_URL): restore into the same kind of database",
            manifest.backend
        );
    }
    if manifest.schema_version > known_schema {
        bail!(
            "the backup's schema (migration {}) is newer than this WindFlow knows ({known_schema}): \
             restore with WindFlow {} or newer",
            manifest.schema_version,
            manifest.windflow_version
        );
    }
    for expected in [database_member(backend), KEYRING_MEMBER] {
        if !manifest.members.iter().any(|m| m.path == expected) {
            bail!("the backup's manifest does not list {expected}");
        }
    }
    Ok(())
}

fn database_member(backend: &str) -> &'static str {
    if backend == "postgres" {
        POSTGRES_MEMBER
    } else {
        SQLITE_MEMBER
    }
}

fn verify(listed: &Member, size: u64, sha256: &str) -> anyhow::Result<()> {
    if listed.size != size || listed.sha256 != sha256 {
        bail!(
            "{} does not match the manifest (size {size}, sha256 {sha256}; expected size {}, \
             sha256 {}): the backup is damaged",
            listed.path,
            listed.size,
            listed.sha256
        );
    }
    Ok(())
}

/// Moves the restored file into place: the current database and its `-wal`/`-shm` files
/// (if any) become `<db>.before-restore-<time>[-wal|-shm]`, then the restored copy is
/// renamed over the path and the directory synced.
fn replace_sqlite(path: &Path, restored: &Path, time: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut kept = Vec::new();
    let kept_base = format!("{}.before-restore-{time}", path.display());
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let current = PathBuf::from(format!("{}{suffix}", path.display()));
        if current.exists() {
            let to = PathBuf::from(format!("{kept_base}{suffix}"));
            std::fs::rename(&current, &to)
                .with_context(|| format!("moving {} to {}", current.display(), to.display()))?;
            if suffix.is_empty() {
                kept.push(to);
            }
        }
    }
    std::fs::rename(restored, path)
        .with_context(|| format!("moving the restored database to {}", path.display()))?;
    sync_dir(path);
    Ok(kept)
}

fn replace_keyring(path: &Path, keyring: &[u8], time: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut kept = Vec::new();
    let tmp = PathBuf::from(format!("{}.restore-{}", path.display(), std::process::id()));
    {
        let mut file = create_private(&tmp)?;
        file.write_all(keyring)?;
        file.sync_all()?;
    }
    if path.exists() {
        let to = PathBuf::from(format!("{}.before-restore-{time}", path.display()));
        std::fs::rename(path, &to)
            .with_context(|| format!("moving {} to {}", path.display(), to.display()))?;
        kept.push(to);
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    sync_dir(path);
    Ok(kept)
}

fn read_keyring(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "reading the secrets keyring {} (has this server started once? is \
             --secret-key-file the one `windflow serve` uses?)",
            path.display()
        )
    })?;
    if bytes.len() as u64 > MAX_KEYRING_BYTES {
        bail!("{} is too large to be a keyring", path.display());
    }
    Ok(bytes)
}

/// `cmd` for a libpq tool against `url`: the URL without its password in `--dbname`, the
/// password in `PGPASSWORD`.
fn libpq_command(program: &str, url: &str) -> anyhow::Result<Command> {
    let mut parsed = reqwest::Url::parse(url)
        .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a valid URL: {e}"))?;
    let password = parsed.password().map(percent_decode);
    let _ = parsed.set_password(None);
    let mut command = Command::new(program);
    command.arg(format!("--dbname={parsed}"));
    command.env_remove("PGPASSWORD");
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    Ok(command)
}

fn run_libpq(mut command: Command, program: &str) -> anyhow::Result<()> {
    let output = match command.output() {
        Ok(output) => output,
        Err(e) if e.kind() == io::ErrorKind::NotFound => bail!(
            "{program} was not found: install the Debian package postgresql-client (at the \
             PostgreSQL server's major version or newer), e.g. `apt-get install \
             postgresql-client`"
        ),
        Err(e) => return Err(e).with_context(|| format!("running {program}")),
    };
    if !output.status.success() {
        bail!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

fn pg_dump(url: &str, target: &Path) -> anyhow::Result<()> {
    let mut command = libpq_command("pg_dump", url)?;
    command.args(["--format=plain", "--no-owner", "--no-privileges", "--file"]);
    command.arg(target);
    run_libpq(command, "pg_dump")
}

/// Loads a plain dump in one transaction; `drop_schema` first replaces the `public` schema
/// (a forced restore into a database that holds data).
fn psql_restore(url: &str, dump: &Path, drop_schema: bool) -> anyhow::Result<()> {
    let mut command = libpq_command("psql", url)?;
    command.args([
        "--no-psqlrc",
        "--quiet",
        "--set=ON_ERROR_STOP=1",
        "--single-transaction",
    ]);
    if drop_schema {
        command.args([
            "--command",
            "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
        ]);
    }
    command.arg("--file").arg(dump);
    run_libpq(command, "psql")
}

fn percent_decode(text: &str) -> String {
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (digit(bytes[i + 1]), digit(bytes[i + 2]))
        {
            out.push(high << 4 | low);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn backend_name(location: &DatabaseLocation) -> &'static str {
    match location {
        DatabaseLocation::Sqlite(_) => "sqlite",
        DatabaseLocation::Postgres(_) => "postgres",
    }
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `20261207T084512Z`, for the names of kept files.
fn compact_time() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(std::env::current_dir()
        .context("reading the current directory")?
        .join(path))
}

/// A new file, 0600, that must not exist yet.
fn create_private(path: &Path) -> anyhow::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))
}

/// An empty 0600 file, so that `VACUUM INTO` (which keeps an empty file's mode) writes a
/// private copy.
fn private_file(path: &Path) -> anyhow::Result<()> {
    create_private(path).map(drop)
}

fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private", path.display()))?;
    }
    Ok(())
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(dir) = File::open(dir)
    {
        let _ = dir.sync_all();
    }
}

/// A private working directory, removed with everything in it when dropped.
struct Staging {
    path: PathBuf,
}

impl Staging {
    fn create(parent: &Path) -> anyhow::Result<Staging> {
        let path = parent.join(format!(
            ".windflow-admin-{}-{}",
            std::process::id(),
            hex::encode(crate::secrets::random_bytes::<6>())
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&path)
            .with_context(|| format!("creating a working directory in {}", parent.display()))?;
        Ok(Staging { path })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url_for_the_environment() {
        let command = libpq_command(
            "pg_dump",
            "postgres://wf:p%40ss%3Aw0rd@db.example:5433/windflow?sslmode=disable",
        )
        .unwrap();
        let args: Vec<String> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            ["--dbname=postgres://wf@db.example:5433/windflow?sslmode=disable"]
        );
        let password = command
            .get_envs()
            .find(|(k, _)| k.to_str() == Some("PGPASSWORD"))
            .and_then(|(_, v)| v)
            .unwrap();
        assert_eq!(password.to_str(), Some("p@ss:w0rd"));
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn manifests_from_elsewhere_are_refused_with_the_reason() {
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            windflow_version: "9.9.9".into(),
            backend: "sqlite".into(),
            schema_version: 11,
            created_at: now_rfc3339(),
            members: vec![
                Member {
                    path: SQLITE_MEMBER.into(),
                    size: 1,
                    sha256: "00".into(),
                },
                Member {
                    path: KEYRING_MEMBER.into(),
                    size: 1,
                    sha256: "00".into(),
                },
            ],
        };
        check_manifest(&manifest, "sqlite", 11).unwrap();
        let error = |backend: &str, known: i64| {
            check_manifest(&manifest, backend, known)
                .unwrap_err()
                .to_string()
        };
        assert!(error("postgres", 11).contains("holds a sqlite database"));
        assert!(error("sqlite", 10).contains("WindFlow 9.9.9 or newer"));
    }
}
