//! `windflow backup`: backup repositories (credentials go up once and never come back), each
//! stack's policy, and the runs that back up, restore, check and drill, with the snapshots
//! they wrote — browsed and downloaded file by file.
//!
//! *Invariant:* a secret (an S3 secret key, an SSH private key, a repository password) is
//! never a command-line value: it comes from a file or the environment, so it lands neither
//! in shell history nor in `ps`.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use windflow_protocol::{
    BackupEntry, BackupLocation, BackupPolicy, BackupRepository, BackupRun, BackupSnapshot,
    CreateBackupRepositoryRequest, RestorePlan, RestoreRequest, SetBackupPolicyRequest,
    StartBackupRequest,
};

use super::ServerArgs;
use super::commands::{Session, connect, format_time, interrupts, segment};
use crate::failure::Failure;
use crate::render::{self, print_json, warning_text};
use crate::{Global, Output, exit};

type Result<T> = std::result::Result<T, Failure>;

/// The environment variable an S3 secret key is read from without --secret-access-key-file.
pub const SECRET_ACCESS_KEY_ENV: &str = "WINDFLOW_BACKUP_SECRET_ACCESS_KEY";

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// Backup repositories: add (WindFlow initializes it first), list, remove.
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Check a repository's integrity (restic check); --read-data also reads back part of
    /// the data.
    Check {
        /// The repository's name.
        repository: String,
        /// The percentage of the data read back and verified (0: the structure only).
        #[arg(long, value_name = "PERCENT", default_value_t = 0,
              value_parser = clap::value_parser!(u8).range(0..=100))]
        read_data: u8,
        /// Wait for the check to end; exit non-zero when it fails.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// A stack's backup policy: show, set (it then overrides the compose file's
    /// `x-windflow.backup`), remove.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Back a stack up now (its policy says what and where).
    Run {
        stack: String,
        /// The target the stack runs on, when it runs on several.
        #[arg(long)]
        target: Option<String>,
        /// Wait for the backup to end, printing each item with its size, the bytes it added
        /// and how long it took; exit non-zero when it fails.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List backup runs (backups, restores, checks, drills), newest first.
    Ls {
        /// Only this stack's runs.
        stack: Option<String>,
        /// Only runs of this kind: backup, restore, check, drill.
        #[arg(long, value_parser = ["backup", "restore", "check", "drill", "prune"])]
        kind: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Show one run, with its items; --wait follows it to its end.
    Show {
        run: String,
        /// Wait for the run to end; exit non-zero when it fails.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List snapshots (one per item of each backup), newest first.
    Snapshots {
        /// Only this stack's snapshots.
        stack: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List the files and folders of a snapshot under a path (default: its top). SNAPSHOT is
    /// its id or a unique prefix of it, as `windflow backup snapshots` shows.
    Files {
        snapshot: String,
        /// A folder inside the item.
        path: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Download one file of a snapshot (a database item: its dump, no PATH needed).
    Get {
        snapshot: String,
        /// The file inside the item, as `windflow backup files` shows it.
        path: Option<String>,
        /// Where to write it; `-` is standard output (default: the file's name in the
        /// current directory, never overwritten).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Restore a backup into the stack (or --into another one). Shows the plan first — what
    /// is replaced, which services stop — and asks before it starts, unless --yes.
    Restore {
        /// The stack whose backup is restored.
        stack: String,
        /// The backup run to restore (default: the stack's latest successful backup).
        #[arg(long, value_name = "ID")]
        run: Option<String>,
        /// Only this item, e.g. `volume:data` or `database:db` (repeatable; default: all).
        #[arg(long = "item", value_name = "ITEM")]
        items: Vec<String>,
        /// Only this path inside a volume item, a file or a folder (repeatable).
        #[arg(long = "path", value_name = "PATH")]
        paths: Vec<String>,
        /// Restore into this stack instead (a migration, or a copy).
        #[arg(long = "into", value_name = "STACK")]
        into_stack: Option<String>,
        /// The destination stack's target, when it runs on several.
        #[arg(long)]
        target: Option<String>,
        /// Only show the plan.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (needed when standard input is not a terminal).
        #[arg(short = 'y', long)]
        yes: bool,
        /// Wait for the restore to end; exit non-zero when it fails.
        #[arg(long, conflicts_with = "dry_run")]
        wait: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Run a restore drill now: the latest backup restored into a throwaway copy of the
    /// stack, the policy's drill checks run in it, the copy removed.
    Drill {
        stack: String,
        /// Wait for the drill to end, printing its checks; exit non-zero when it fails.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Cancel a queued or running run (a restore puts the previous data back).
    Cancel {
        run: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum RepoCommand {
    /// List the repositories (never a credential) with their last check.
    Ls {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Add a repository: `windflow backup repo add offsite --target local --s3-endpoint
    /// https://s3.example.com --bucket backups --access-key-id AKIA… --secret-access-key-file
    /// s3.secret`. WindFlow initializes it (or, with --password-file, opens an existing restic
    /// repository) before storing it. Secrets are read from files or the environment, never
    /// from the command line.
    Add(Box<RepoAddArgs>),
    /// Remove a repository from WindFlow (its data stays where it is). Refused while a
    /// stack's policy uses it.
    Rm {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("location").required(true).multiple(false)))]
pub struct RepoAddArgs {
    /// The repository's name, as a policy's `repository` names it.
    pub name: String,
    /// The target whose engine runs the repository's own operations (initialization,
    /// checks); a folder repository lives there.
    #[arg(long)]
    pub target: String,
    /// An S3-compatible endpoint, `https://host[:port]` (with --bucket).
    #[arg(long, value_name = "URL", group = "location", requires = "bucket")]
    pub s3_endpoint: Option<String>,
    /// The S3 bucket.
    #[arg(long, requires = "s3_endpoint", conflicts_with_all = ["folder", "sftp"])]
    pub bucket: Option<String>,
    /// A folder inside the bucket.
    #[arg(long, requires = "s3_endpoint", conflicts_with_all = ["folder", "sftp"])]
    pub prefix: Option<String>,
    /// The S3 region.
    #[arg(long, requires = "s3_endpoint", conflicts_with_all = ["folder", "sftp"])]
    pub region: Option<String>,
    /// A folder on the target: a host path (the organization's host-access policy must
    /// allow it) or, with --volume, a named volume.
    #[arg(long, value_name = "PATH", group = "location")]
    pub folder: Option<String>,
    /// --folder names a Docker volume, not a host path.
    #[arg(long, requires = "folder", conflicts_with_all = ["s3_endpoint", "sftp"])]
    pub volume: bool,
    /// An SFTP location: `user@host[:port]:/path`.
    #[arg(long, value_name = "USER@HOST[:PORT]:PATH", group = "location")]
    pub sftp: Option<String>,
    /// The S3 access key id (its secret: --secret-access-key-file or
    /// WINDFLOW_BACKUP_SECRET_ACCESS_KEY).
    #[arg(long, value_name = "ID", requires = "s3_endpoint", conflicts_with_all = ["folder", "sftp"])]
    pub access_key_id: Option<String>,
    /// A file holding the S3 secret access key; `-` reads standard input.
    #[arg(long, value_name = "FILE", requires = "access_key_id", conflicts_with_all = ["folder", "sftp"])]
    pub secret_access_key_file: Option<PathBuf>,
    /// SFTP: the private key (OpenSSH format) WindFlow logs in with.
    #[arg(long, value_name = "FILE", requires = "sftp", conflicts_with_all = ["s3_endpoint", "folder"])]
    pub ssh_key_file: Option<PathBuf>,
    /// SFTP: the server's host key line(s), as in `known_hosts`.
    #[arg(long, value_name = "FILE", requires = "sftp", conflicts_with_all = ["s3_endpoint", "folder"])]
    pub known_hosts_file: Option<PathBuf>,
    /// Open an existing restic repository with the password in this file (`-`: standard
    /// input) instead of initializing a new one (which gets a random password, sealed by
    /// the server).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Show the stack's policy in effect (set through the API, or its compose file's), with
    /// its next scheduled backup, check and drill. The policy prints as YAML that `policy
    /// set -f` takes back.
    Show {
        stack: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Set the stack's policy from a YAML or JSON file holding the policy object
    /// (`repository`, `schedule`, `retention`, `volumes`, `databases`, `hooks`, `check`,
    /// `drill`, …; a compose file's `x-windflow.backup` block is taken too).
    Set {
        stack: String,
        /// The policy file; `-` reads standard input.
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: PathBuf,
        /// Store it disabled: nothing runs on schedule.
        #[arg(long)]
        disabled: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Remove the policy set through the API (the compose file's, if any, applies again).
    Rm {
        stack: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

pub async fn backup(g: &Global, command: &BackupCommand) -> Result<()> {
    match command {
        BackupCommand::Repo(command) => repo(g, command).await,
        BackupCommand::Policy(command) => policy(g, command).await,
        BackupCommand::Check {
            repository,
            read_data,
            wait,
            server,
        } => {
            let s = connect(server)?;
            let path = s.org_path(&format!(
                "/backup/repositories/{}/check",
                segment(repository)
            ));
            let run: BackupRun = s
                .client
                .post(&path, &json!({ "read_data": read_data }))
                .await?;
            started(g, &s, run, *wait).await
        }
        BackupCommand::Run {
            stack,
            target,
            wait,
            server,
        } => {
            let s = connect(server)?;
            let path = s.org_path(&format!("/stacks/{}/backup/run", segment(stack)));
            let run: BackupRun = s
                .client
                .post(
                    &path,
                    &StartBackupRequest {
                        target: target.clone(),
                    },
                )
                .await?;
            started(g, &s, run, *wait).await
        }
        BackupCommand::Drill {
            stack,
            wait,
            server,
        } => {
            let s = connect(server)?;
            let path = s.org_path(&format!("/stacks/{}/backup/drill", segment(stack)));
            let run: BackupRun = s.client.call(s.client.request(Method::POST, &path)).await?;
            started(g, &s, run, *wait).await
        }
        BackupCommand::Show { run, wait, server } => {
            let s = connect(server)?;
            let run: BackupRun = s
                .client
                .get(&s.org_path(&format!("/backup/runs/{}", segment(run))))
                .await?;
            if *wait {
                return follow(g, &s, run).await;
            }
            if g.output == Output::Json {
                print_json(&run);
            } else {
                show_run(&run);
            }
            Ok(())
        }
        BackupCommand::Cancel { run, server } => {
            let s = connect(server)?;
            let path = s.org_path(&format!("/backup/runs/{}/cancel", segment(run)));
            let run: BackupRun = s.client.call(s.client.request(Method::POST, &path)).await?;
            if g.output == Output::Json {
                print_json(&run);
            } else if is_finished(&run) {
                println!("{} {} has ended: {}", run.kind, run.id, run.status);
            } else {
                println!(
                    "cancelling {} {}{}",
                    run.kind,
                    run.id,
                    if run.kind == "restore" {
                        " (the previous data is put back)"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        BackupCommand::Ls {
            stack,
            kind,
            server,
        } => {
            let s = connect(server)?;
            let mut query: Vec<(&str, String)> = Vec::new();
            if let Some(stack) = stack {
                query.push(("stack", stack.clone()));
            }
            if let Some(kind) = kind {
                query.push(("kind", kind.clone()));
            }
            let runs: Vec<BackupRun> = s
                .client
                .call(
                    s.client
                        .request(Method::GET, &s.org_path("/backup/runs"))
                        .query(&query),
                )
                .await?;
            if g.output == Output::Json {
                print_json(&runs);
                return Ok(());
            }
            let mut table = render::table([
                "ID",
                "KIND",
                "STATUS",
                "STACK",
                "REPOSITORY",
                "STARTED",
                "DURATION",
                "SIZE",
                "ADDED",
            ]);
            for run in &runs {
                table.add_row([
                    run.id.clone(),
                    run.kind.clone(),
                    run.status.clone(),
                    run.stack.clone().unwrap_or_default(),
                    run.repository.clone(),
                    run.started_at.as_ref().map(format_time).unwrap_or_default(),
                    run_duration(run).map(render::duration).unwrap_or_default(),
                    number(&run.result, "size_bytes")
                        .map(render::bytes)
                        .unwrap_or_default(),
                    number(&run.result, "added_bytes")
                        .map(render::bytes)
                        .unwrap_or_default(),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        BackupCommand::Snapshots { stack, server } => {
            let s = connect(server)?;
            let snapshots = list_snapshots(&s, stack.as_deref()).await?;
            if g.output == Output::Json {
                print_json(&snapshots);
                return Ok(());
            }
            let mut table = render::table([
                "SNAPSHOT",
                "STACK",
                "ITEM",
                "RUN",
                "REPOSITORY",
                "FILES",
                "SIZE",
                "ADDED",
                "TOOK",
                "CREATED",
            ]);
            for snapshot in &snapshots {
                table.add_row([
                    short(&snapshot.id).to_string(),
                    snapshot.stack.clone(),
                    snapshot.item.clone(),
                    snapshot.run.clone(),
                    snapshot.repository.clone(),
                    snapshot.files.to_string(),
                    render::bytes(snapshot.size_bytes.max(0) as u64),
                    render::bytes(snapshot.added_bytes.max(0) as u64),
                    render::duration(snapshot.duration_ms.max(0) as u64),
                    format_time(&snapshot.created_at),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        BackupCommand::Files {
            snapshot,
            path,
            server,
        } => {
            let s = connect(server)?;
            let id = resolve_snapshot(&s, snapshot).await?;
            let entries: Vec<BackupEntry> = s
                .client
                .call(
                    s.client
                        .request(
                            Method::GET,
                            &s.org_path(&format!("/backup/snapshots/{}/files", segment(&id))),
                        )
                        .query(&[("path", path.clone().unwrap_or_default())]),
                )
                .await?;
            if g.output == Output::Json {
                print_json(&entries);
                return Ok(());
            }
            let mut table = render::table(["PATH", "KIND", "SIZE", "MODIFIED"]);
            for entry in &entries {
                let path = if entry.kind == "dir" {
                    format!("{}/", entry.path)
                } else {
                    entry.path.clone()
                };
                table.add_row([
                    path,
                    entry.kind.clone(),
                    entry.size.map(render::bytes).unwrap_or_default(),
                    entry.mtime.clone().unwrap_or_default(),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        BackupCommand::Get {
            snapshot,
            path,
            out,
            server,
        } => download(g, snapshot, path.as_deref(), out.as_deref(), server).await,
        BackupCommand::Restore {
            stack,
            run,
            items,
            paths,
            into_stack,
            target,
            dry_run,
            yes,
            wait,
            server,
        } => {
            let mut request = RestoreRequest {
                run: run.clone(),
                items: items.clone(),
                paths: paths.clone(),
                into_stack: into_stack.clone(),
                target: target.clone(),
                dry_run: true,
            };
            restore(g, stack, &mut request, *dry_run, *yes, *wait, server).await
        }
    }
}

async fn repo(g: &Global, command: &RepoCommand) -> Result<()> {
    match command {
        RepoCommand::Ls { server } => {
            let s = connect(server)?;
            let list: Vec<BackupRepository> =
                s.client.get(&s.org_path("/backup/repositories")).await?;
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            let mut table = render::table(["NAME", "KIND", "LOCATION", "TARGET", "LAST CHECK"]);
            for r in &list {
                table.add_row([
                    r.name.clone(),
                    location_kind(&r.location).to_string(),
                    location_text(&r.location),
                    r.target.clone(),
                    check_text(r),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        RepoCommand::Add(args) => {
            let request = add_request(args)?;
            let s = connect(&args.server)?;
            eprintln!(
                "{} the repository {} at {} …",
                if request.password.is_some() {
                    "opening"
                } else {
                    "initializing"
                },
                request.name,
                location_text(&request.location)
            );
            let created: BackupRepository = s
                .client
                .post(&s.org_path("/backup/repositories"), &request)
                .await?;
            if g.output == Output::Json {
                print_json(&created);
            } else {
                println!(
                    "added the {} repository {} ({}) on {}; name it in a policy's `repository`",
                    location_kind(&created.location),
                    created.name,
                    location_text(&created.location),
                    created.target
                );
            }
            Ok(())
        }
        RepoCommand::Rm { name, server } => {
            let s = connect(server)?;
            s.client
                .delete(&s.org_path(&format!("/backup/repositories/{}", segment(name))))
                .await?;
            if g.output == Output::Json {
                print_json(&json!({ "removed": name }));
            } else {
                println!("removed the backup repository {name} (its data stays in place)");
            }
            Ok(())
        }
    }
}

/// The request `repo add` sends: the location from its flags, the secrets from files or
/// the environment.
fn add_request(args: &RepoAddArgs) -> Result<CreateBackupRepositoryRequest> {
    let location = match (&args.s3_endpoint, &args.folder, &args.sftp) {
        (Some(endpoint), _, _) => BackupLocation::S3 {
            endpoint: endpoint.clone(),
            bucket: args.bucket.clone().unwrap_or_default(),
            prefix: args.prefix.clone(),
            region: args.region.clone(),
        },
        (_, Some(path), _) => BackupLocation::Folder {
            path: path.clone(),
            volume: args.volume,
        },
        (_, _, Some(text)) => parse_sftp(text).map_err(|e| Failure::new(exit::USAGE, e))?,
        _ => {
            return Err(Failure::new(
                exit::USAGE,
                "a repository needs a location: --s3-endpoint, --folder or --sftp",
            ));
        }
    };
    let secret_access_key = match (&args.secret_access_key_file, &args.access_key_id) {
        (Some(file), _) => Some(read_secret(file, "the secret access key")?),
        (None, Some(_)) => Some(
            std::env::var(SECRET_ACCESS_KEY_ENV)
                .ok()
                .map(|v| v.trim_end_matches(['\n', '\r']).to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Failure::new(
                        exit::USAGE,
                        format!(
                            "--access-key-id needs its secret: pass --secret-access-key-file FILE (or -) or set {SECRET_ACCESS_KEY_ENV}"
                        ),
                    )
                })?,
        ),
        _ => None,
    };
    let sftp = matches!(location, BackupLocation::Sftp { .. });
    if sftp && (args.ssh_key_file.is_none() || args.known_hosts_file.is_none()) {
        return Err(Failure::new(
            exit::USAGE,
            "an SFTP repository needs --ssh-key-file (the private key) and --known-hosts-file (the server's host key, e.g. from ssh-keyscan, checked)",
        ));
    }
    Ok(CreateBackupRepositoryRequest {
        name: args.name.clone(),
        target: args.target.clone(),
        location,
        access_key_id: args.access_key_id.clone(),
        secret_access_key,
        ssh_private_key: args
            .ssh_key_file
            .as_deref()
            .map(|f| read_file(f, "the SSH private key"))
            .transpose()?,
        ssh_known_hosts: args
            .known_hosts_file
            .as_deref()
            .map(|f| read_file(f, "the host keys"))
            .transpose()?,
        password: args
            .password_file
            .as_deref()
            .map(|f| read_secret(f, "the repository password"))
            .transpose()?,
    })
}

/// A file's text (`-`: standard input), as is.
pub(super) fn read_file(path: &Path, what: &str) -> Result<String> {
    let fail = |e: std::io::Error, from: String| {
        Failure::new(exit::USAGE, format!("reading {what} from {from}: {e}"))
    };
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| fail(e, "standard input".into()))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| fail(e, path.display().to_string()))
}

/// A one-line secret from a file, without its line ending; an empty one is refused.
pub(super) fn read_secret(path: &Path, what: &str) -> Result<String> {
    let text = read_file(path, what)?;
    let secret = text.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            format!("{} holds no {what}", path.display()),
        ));
    }
    Ok(secret.to_string())
}

/// `user@host[:port]:path` (IPv6 hosts in brackets) → an SFTP location.
fn parse_sftp(text: &str) -> std::result::Result<BackupLocation, String> {
    let invalid = || format!("--sftp {text:?}: use user@host[:port]:/path");
    let (user, rest) = text.split_once('@').ok_or_else(invalid)?;
    let (host, rest) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let (host, rest) = bracketed.split_once(']').ok_or_else(invalid)?;
            (host, rest.strip_prefix(':').ok_or_else(invalid)?)
        }
        None => rest.split_once(':').ok_or_else(invalid)?,
    };
    let (port, path) = match rest.split_once(':') {
        Some((port, path)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (port.parse::<u16>().map_err(|_| invalid())?, path)
        }
        _ => (22, rest),
    };
    if user.is_empty() || host.is_empty() || path.is_empty() {
        return Err(invalid());
    }
    Ok(BackupLocation::Sftp {
        host: host.to_string(),
        port,
        user: user.to_string(),
        path: path.to_string(),
    })
}

fn location_kind(location: &BackupLocation) -> &'static str {
    match location {
        BackupLocation::S3 { .. } => "s3",
        BackupLocation::Folder { .. } => "folder",
        BackupLocation::Sftp { .. } => "sftp",
    }
}

/// One line saying where the data is.
fn location_text(location: &BackupLocation) -> String {
    match location {
        BackupLocation::S3 {
            endpoint,
            bucket,
            prefix,
            region,
        } => {
            let mut text = format!("{}/{bucket}", endpoint.trim_end_matches('/'));
            if let Some(prefix) = prefix.as_deref().filter(|p| !p.is_empty()) {
                text.push('/');
                text.push_str(prefix.trim_matches('/'));
            }
            if let Some(region) = region {
                text.push_str(&format!(" ({region})"));
            }
            text
        }
        BackupLocation::Folder { path, volume: true } => format!("volume {path}"),
        BackupLocation::Folder { path, .. } => path.clone(),
        BackupLocation::Sftp {
            host,
            port,
            user,
            path,
        } => {
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            match port {
                22 => format!("{user}@{host}:{path}"),
                port => format!("{user}@{host}:{port}:{path}"),
            }
        }
    }
}

fn check_text(repository: &BackupRepository) -> String {
    let Some(at) = &repository.checked_at else {
        return "never".into();
    };
    let at = format_time(at);
    match (repository.check_ok, &repository.check_message) {
        (Some(true), _) => format!("ok {at}"),
        (_, Some(message)) if !message.is_empty() => format!("FAILED {at}: {message}"),
        _ => format!("FAILED {at}"),
    }
}

// ---- policies ------------------------------------------------------------------------

async fn policy(g: &Global, command: &PolicyCommand) -> Result<()> {
    match command {
        PolicyCommand::Show { stack, server } => {
            let s = connect(server)?;
            let policy: BackupPolicy = s
                .client
                .get(&s.org_path(&format!("/stacks/{}/backup", segment(stack))))
                .await?;
            if g.output == Output::Json {
                print_json(&policy);
            } else {
                show_policy(&policy);
            }
            Ok(())
        }
        PolicyCommand::Set {
            stack,
            file,
            disabled,
            server,
        } => {
            let policy = read_policy(file)?;
            let s = connect(server)?;
            let stored: BackupPolicy = s
                .client
                .call(
                    s.client
                        .request(
                            Method::PUT,
                            &s.org_path(&format!("/stacks/{}/backup", segment(stack))),
                        )
                        .json(&SetBackupPolicyRequest {
                            enabled: !disabled,
                            policy,
                        }),
                )
                .await
                .map_err(|e| {
                    let mut failure = Failure::from(e);
                    failure.message = format!("{}: {}", file.display(), failure.message);
                    failure
                })?;
            if g.output == Output::Json {
                print_json(&stored);
            } else {
                println!(
                    "set the backup policy of {} ({}){}",
                    stored.stack,
                    if stored.enabled {
                        "enabled"
                    } else {
                        "disabled"
                    },
                    stored
                        .next_backup_at
                        .as_ref()
                        .map(|at| format!("; next backup {}", format_time(at)))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        PolicyCommand::Rm { stack, server } => {
            let s = connect(server)?;
            s.client
                .delete(&s.org_path(&format!("/stacks/{}/backup", segment(stack))))
                .await?;
            if g.output == Output::Json {
                print_json(&json!({ "removed": stack }));
            } else {
                println!(
                    "removed the backup policy set for {stack} (its compose file's x-windflow.backup, if any, applies again)"
                );
            }
            Ok(())
        }
    }
}

fn show_policy(policy: &BackupPolicy) {
    println!(
        "# {}: policy from {}, {}",
        policy.stack,
        match policy.source.as_str() {
            "compose" => "the compose file (x-windflow.backup)",
            "api" => "the API (windflow backup policy set)",
            other => other,
        },
        if policy.enabled {
            "enabled"
        } else {
            "disabled"
        }
    );
    for (what, at) in [
        ("last success", &policy.last_success_at),
        ("next backup", &policy.next_backup_at),
        ("next check", &policy.next_check_at),
        ("next drill", &policy.next_drill_at),
    ] {
        if let Some(at) = at {
            println!("# {what}: {}", format_time(at));
        }
    }
    match serde_saphyr::to_string(&policy.policy) {
        Ok(yaml) => print!("{yaml}"),
        Err(_) => print_json(&policy.policy),
    }
}

/// The policy object of a YAML or JSON file (`.json`: JSON; anything else: YAML, which
/// JSON is too). A compose file's `x-windflow.backup` block is taken as the policy.
fn read_policy(file: &Path) -> Result<Value> {
    let text = read_file(file, "the policy")?;
    let name = file.display().to_string();
    let value = if file.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| {
            Failure::new(
                exit::USAGE,
                format!("{name}:{}: invalid JSON: {e}", e.line()),
            )
        })?
    } else {
        let node = windflow_compose::yaml::parse(&name, &text).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Failure::new(exit::USAGE, lines.join("\n"))
        })?;
        yaml_to_json(&node)
    };
    let value = match value.pointer("/x-windflow/backup") {
        Some(block) => block.clone(),
        None => value,
    };
    if !value.is_object() {
        return Err(Failure::new(
            exit::USAGE,
            format!("{name}: a policy is a mapping (repository, schedule, retention, …)"),
        ));
    }
    Ok(value)
}

fn yaml_to_json(node: &windflow_compose::yaml::Node) -> Value {
    use windflow_compose::yaml::Value as Yaml;
    match &node.value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Int(i) => Value::from(*i),
        Yaml::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(node.scalar_text().unwrap_or_default())),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Seq(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Map(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), yaml_to_json(v)))
                .collect(),
        ),
    }
}

// ---- snapshots -----------------------------------------------------------------------

async fn list_snapshots(s: &Session, stack: Option<&str>) -> Result<Vec<BackupSnapshot>> {
    let mut request = s
        .client
        .request(Method::GET, &s.org_path("/backup/snapshots"));
    if let Some(stack) = stack {
        request = request.query(&[("stack", stack)]);
    }
    Ok(s.client.call(request).await?)
}

/// The first 8 characters of a snapshot id, as restic shows it.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// A snapshot's full id from a unique prefix of it (a full id is taken as is).
async fn resolve_snapshot(s: &Session, id: &str) -> Result<String> {
    if id.len() >= 64 {
        return Ok(id.to_string());
    }
    let matches: Vec<String> = list_snapshots(s, None)
        .await?
        .into_iter()
        .filter(|snapshot| snapshot.id.starts_with(id))
        .map(|snapshot| snapshot.id)
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Failure::new(
            exit::FAILURE,
            format!("no snapshot {id}: see `windflow backup snapshots`"),
        )),
        _ => Err(Failure::new(
            exit::USAGE,
            format!(
                "{id} is the start of {} snapshot ids: give more of it",
                matches.len()
            ),
        )),
    }
}

/// `backup get`: streams the file to a `.part` file beside the destination, renamed once
/// complete (or to standard output with `-o -`).
async fn download(
    g: &Global,
    snapshot: &str,
    path: Option<&str>,
    output: Option<&Path>,
    server: &ServerArgs,
) -> Result<()> {
    let s = connect(server)?;
    let id = resolve_snapshot(&s, snapshot).await?;
    let response = s
        .client
        .send(
            s.client
                .request(
                    Method::GET,
                    &s.org_path(&format!("/backup/snapshots/{}/download", segment(&id))),
                )
                .query(&[("path", path.unwrap_or_default())]),
        )
        .await?;
    let mut body = std::pin::pin!(response.bytes_stream());
    let fail_read = |e: reqwest::Error| Failure::from(s.client.transport(e));
    if output.is_some_and(|o| o.as_os_str() == "-") {
        let mut stdout = std::io::stdout();
        while let Some(chunk) = body.next().await {
            stdout
                .write_all(&chunk.map_err(fail_read)?)
                .map_err(|e| Failure::new(exit::FAILURE, format!("writing the file: {e}")))?;
        }
        return stdout
            .flush()
            .map_err(|e| Failure::new(exit::FAILURE, format!("writing the file: {e}")));
    }
    let destination = match output {
        Some(file) => file.to_path_buf(),
        None => {
            let name = path
                .and_then(|p| p.trim_end_matches('/').rsplit('/').next())
                .filter(|n| !n.is_empty() && *n != "." && *n != "..")
                .unwrap_or("download");
            let file = PathBuf::from(name);
            if file.exists() {
                return Err(Failure::new(
                    exit::FAILURE,
                    format!(
                        "{} exists: choose where to write with -o FILE",
                        file.display()
                    ),
                ));
            }
            file
        }
    };
    let mut partial = destination.clone().into_os_string();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let write_error = |e: std::io::Error| {
        Failure::new(exit::FAILURE, format!("writing {}: {e}", partial.display()))
    };
    let mut file = std::fs::File::create(&partial).map_err(write_error)?;
    let mut written: u64 = 0;
    let mut failure = None;
    while let Some(chunk) = body.next().await {
        let copied = chunk.map_err(fail_read).and_then(|chunk| {
            file.write_all(&chunk).map_err(write_error)?;
            written += chunk.len() as u64;
            Ok(())
        });
        if let Err(e) = copied {
            failure = Some(e);
            break;
        }
    }
    if let Some(e) = failure.or_else(|| file.sync_all().map_err(write_error).err()) {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, &destination).map_err(|e| {
        Failure::new(
            exit::FAILURE,
            format!("renaming to {}: {e}", destination.display()),
        )
    })?;
    if g.output == Output::Json {
        print_json(&json!({
            "snapshot": id,
            "path": path.unwrap_or_default(),
            "file": destination,
            "bytes": written,
        }));
    } else {
        println!(
            "wrote {} ({})",
            destination.display(),
            render::bytes(written)
        );
    }
    Ok(())
}

// ---- restore -------------------------------------------------------------------------

async fn restore(
    g: &Global,
    stack: &str,
    request: &mut RestoreRequest,
    dry_run: bool,
    yes: bool,
    wait: bool,
    server: &ServerArgs,
) -> Result<()> {
    let s = connect(server)?;
    let path = s.org_path(&format!("/stacks/{}/backup/restore", segment(stack)));
    let plan: RestorePlan = s.client.post(&path, &*request).await?;
    if dry_run {
        if g.output == Output::Json {
            print_json(&plan);
        } else {
            println!("{}", plan_text(stack, &plan));
        }
        return Ok(());
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "{}\nnot on a terminal: pass --yes to restore (or --dry-run to only see the plan)",
                    plan_text(stack, &plan)
                ),
            ));
        }
        eprintln!("{}", plan_text(stack, &plan));
        eprint!("Restore? Type 'yes' to go on: ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok();
        if answer.trim() != "yes" {
            return Err(Failure::new(exit::FAILURE, "nothing was restored"));
        }
    }
    // The run confirmed is the one restored, even if a backup ended in between.
    request.run = Some(plan.from_run.clone());
    request.dry_run = false;
    let started_plan: RestorePlan = s.client.post(&path, &*request).await?;
    let Some(run) = started_plan.run.clone() else {
        return Err(Failure::new(
            exit::FAILURE,
            "the server planned the restore but started no run",
        ));
    };
    if wait {
        return follow(g, &s, run).await;
    }
    if g.output == Output::Json {
        print_json(&started_plan);
    } else {
        println!(
            "restoring {} into {} on {} (run {}); follow it with `windflow backup show {} --wait`",
            started_plan.from_run, started_plan.stack, started_plan.target, run.id, run.id
        );
    }
    Ok(())
}

fn plan_text(stack: &str, plan: &RestorePlan) -> String {
    let mut text = format!(
        "restore of {stack}'s backup {} into {} on {}:",
        plan.from_run, plan.stack, plan.target
    );
    for item in &plan.items {
        text.push_str(&format!(
            "\n  {} ({}, snapshot {}) replaces {}",
            item.item,
            render::bytes(item.size_bytes.max(0) as u64),
            short(&item.snapshot),
            item.replaces
        ));
        if !item.stops.is_empty() {
            text.push_str(&format!("; stops {} meanwhile", item.stops.join(", ")));
        }
    }
    text
}

// ---- runs ----------------------------------------------------------------------------

/// A run was queued: print it, or (`--wait`) follow it to its end.
async fn started(g: &Global, s: &Session, run: BackupRun, wait: bool) -> Result<()> {
    if wait {
        return follow(g, s, run).await;
    }
    if g.output == Output::Json {
        print_json(&run);
    } else {
        println!(
            "queued {} {}{} on repository {}; follow it with `windflow backup show {} --wait`",
            run.kind,
            run.id,
            run.stack
                .as_deref()
                .map(|stack| format!(" of {stack}"))
                .unwrap_or_default(),
            run.repository,
            run.id
        );
    }
    Ok(())
}

fn is_finished(run: &BackupRun) -> bool {
    matches!(run.status.as_str(), "succeeded" | "failed" | "cancelled")
}

/// How often a followed run is asked for.
const POLL: Duration = Duration::from_millis(700);
/// How long the server may stay unreachable (in polls) before `follow` gives up.
const UNREACHABLE_POLLS: u32 = 90;

/// Polls a run until it ends, printing its items (and a drill's checks) on stderr as they
/// finish; the outcome becomes the exit code. The first Ctrl-C asks the server to cancel
/// and keeps following; a second one stops watching.
async fn follow(g: &Global, s: &Session, mut run: BackupRun) -> Result<()> {
    let text = g.output == Output::Text;
    if text {
        eprintln!(
            "{} {}{} on repository {}: {}",
            run.kind,
            run.id,
            run.stack
                .as_deref()
                .map(|stack| format!(" of {stack}"))
                .unwrap_or_default(),
            run.repository,
            run.status
        );
    }
    let path = s.org_path(&format!("/backup/runs/{}", segment(&run.id)));
    let mut interrupts = interrupts("the run");
    let mut cancel_sent = false;
    let mut status = run.status.clone();
    let mut items_shown = 0;
    let mut checks_shown = 0;
    let mut unreachable = 0u32;
    loop {
        if text {
            if run.status != status {
                status = run.status.clone();
                if !is_finished(&run) {
                    eprintln!("  {status}");
                }
            }
            let items = list(&run.result, "items");
            for item in items.iter().skip(items_shown) {
                eprintln!("  ✔ {}", item_text(item));
            }
            items_shown = items_shown.max(items.len());
            let checks = list(&run.result, "checks");
            for check in checks.iter().skip(checks_shown) {
                eprintln!("  {}", check_line(check));
            }
            checks_shown = checks_shown.max(checks.len());
        }
        if is_finished(&run) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            Some(()) = interrupts.recv(), if !cancel_sent => {
                cancel_sent = true;
                eprintln!("{}", warning_text("interrupted: asking the server to cancel; Ctrl-C again to stop watching"));
                let cancel = s.org_path(&format!("/backup/runs/{}/cancel", segment(&run.id)));
                if let Err(e) = s.client.call::<BackupRun>(s.client.request(Method::POST, &cancel)).await {
                    eprintln!("{}", warning_text(&format!("cancelling failed: {e}")));
                }
            }
        }
        match s.client.get::<BackupRun>(&path).await {
            Ok(next) => {
                unreachable = 0;
                run = next;
            }
            Err(e) if e.is_connect() && unreachable < UNREACHABLE_POLLS => {
                if unreachable == 0 && text {
                    eprintln!(
                        "{}",
                        warning_text(&format!("lost the server ({e}); retrying"))
                    );
                }
                unreachable += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if g.output == Output::Json {
        print_json(&run);
    } else if run.status == "succeeded" {
        println!("{}", summary(&run));
    }
    match run.status.as_str() {
        "succeeded" => Ok(()),
        _ => Err(Failure::new(
            exit::FAILURE,
            format!(
                "{} {}: {}",
                what(&run),
                run.status,
                run.error.as_deref().unwrap_or("no detail")
            ),
        )),
    }
}

/// `backup of shop`, `check of repository offsite`.
fn what(run: &BackupRun) -> String {
    match &run.stack {
        Some(stack) => format!("{} {} of {stack}", run.kind, run.id),
        None => format!("{} {} of repository {}", run.kind, run.id, run.repository),
    }
}

/// The line a successful run ends with.
fn summary(run: &BackupRun) -> String {
    let took = run_duration(run)
        .map(|ms| format!(" in {}", render::duration(ms)))
        .unwrap_or_default();
    let mut line = format!("{} succeeded{took}", what(run));
    let items = list(&run.result, "items").len();
    match run.kind.as_str() {
        "backup" => line.push_str(&format!(
            ": {items} item(s), {}, {} added",
            render::bytes(number(&run.result, "size_bytes").unwrap_or(0)),
            render::bytes(number(&run.result, "added_bytes").unwrap_or(0))
        )),
        "restore" => line.push_str(&format!(": {items} item(s) restored")),
        "drill" => line.push_str(&format!(
            ": {items} item(s) restored into a throwaway copy, {} check(s) passed",
            list(&run.result, "checks").len()
        )),
        "check" => {
            if let Some(message) = run.result["message"].as_str().filter(|m| !m.is_empty()) {
                line.push_str(&format!(": {message}"));
            }
        }
        _ => {}
    }
    line
}

fn show_run(run: &BackupRun) {
    println!("run         {}", run.id);
    println!("kind        {} ({})", run.kind, run.trigger);
    if let Some(stack) = &run.stack {
        println!("stack       {stack}");
    }
    println!("repository  {}", run.repository);
    println!("status      {}", run.status);
    println!(
        "requested   by {} at {}",
        run.requested_by,
        format_time(&run.created_at)
    );
    if let Some(at) = &run.started_at {
        println!("started     {}", format_time(at));
    }
    if let Some(at) = &run.finished_at {
        let took = run_duration(run)
            .map(|ms| format!(" ({})", render::duration(ms)))
            .unwrap_or_default();
        println!("finished    {}{took}", format_time(at));
    }
    if let (Some(size), Some(added)) = (
        number(&run.result, "size_bytes"),
        number(&run.result, "added_bytes"),
    ) {
        println!(
            "size        {} ({} added)",
            render::bytes(size),
            render::bytes(added)
        );
    }
    let items = list(&run.result, "items");
    if !items.is_empty() {
        println!("items");
        for item in items {
            println!("  {}", item_text(item));
        }
    }
    let checks = list(&run.result, "checks");
    if !checks.is_empty() {
        println!("checks");
        for check in checks {
            println!("  {}", check_line(check));
        }
    }
    if let Some(note) = run.result["note"].as_str() {
        println!("note        {note}");
    }
    if let Some(error) = &run.error {
        println!("error       {error}");
    }
}

/// `volume:uploads 2.0 MiB, 1.1 MiB added, 3 files, 1.2s (snapshot 1a2b3c4d)`.
fn item_text(item: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(size) = number(item, "size_bytes") {
        parts.push(render::bytes(size));
    }
    if let Some(added) = number(item, "added_bytes") {
        parts.push(format!("{} added", render::bytes(added)));
    }
    if let Some(files) = number(item, "files") {
        parts.push(format!("{files} file(s)"));
    }
    if let Some(ms) = number(item, "duration_ms") {
        parts.push(render::duration(ms));
    }
    let mut text = item["item"].as_str().unwrap_or("?").to_string();
    if !parts.is_empty() {
        text.push(' ');
        text.push_str(&parts.join(", "));
    }
    if let Some(snapshot) = item["snapshot"].as_str() {
        text.push_str(&format!(" (snapshot {})", short(snapshot)));
    }
    text
}

/// A drill check: `✔ db psql -U app … → 42`, or `✘ …` with its output.
fn check_line(check: &Value) -> String {
    let command: Vec<&str> = list(check, "command")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mark = if check["ok"] == true { "✔" } else { "✘" };
    let mut line = format!(
        "{mark} {} {}",
        check["service"].as_str().unwrap_or("?"),
        command.join(" ")
    );
    if let Some(output) = check["output"].as_str().filter(|o| !o.is_empty()) {
        let first = output.lines().next().unwrap_or_default();
        line.push_str(&format!(" → {first}"));
    }
    line
}

fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn number(value: &Value, key: &str) -> Option<u64> {
    value.get(key).and_then(Value::as_u64)
}

/// How long a run took (or has taken so far, while it runs).
fn run_duration(run: &BackupRun) -> Option<u64> {
    if let Some(ms) = number(&run.result, "duration_ms") {
        return Some(ms);
    }
    let started = run.started_at?;
    let end = run
        .finished_at
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    Some((end - started).whole_milliseconds().max(0) as u64)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    /// Whether `windflow backup <args>` parses.
    fn parses(args: &str) -> bool {
        let argv = std::iter::once("windflow")
            .chain(std::iter::once("backup"))
            .chain(args.split_whitespace());
        crate::Cli::try_parse_from(argv).is_ok()
    }

    #[test]
    fn the_command_tree_is_consistent_and_completes() {
        crate::Cli::command().debug_assert();
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut crate::Cli::command(),
            "windflow",
            &mut script,
        );
        let script = String::from_utf8(script).unwrap();
        for word in [
            "backup",
            "snapshots",
            "--read-data",
            "--password-file",
            "--into",
        ] {
            assert!(script.contains(word), "{word} is not completed");
        }
    }

    #[test]
    fn a_repository_has_exactly_one_location_and_secrets_only_from_files() {
        for (args, ok) in [
            ("repo add r --target local --folder v --volume", true),
            (
                "repo add r --target local --s3-endpoint https://s3 --bucket b --prefix p --region eu --access-key-id a --secret-access-key-file f",
                true,
            ),
            (
                "repo add r --target local --sftp u@h:/r --ssh-key-file k --known-hosts-file h",
                true,
            ),
            (
                "repo add r --target local --folder v --password-file p",
                true,
            ),
            ("repo add r --target local", false),
            ("repo add r --target local --folder v --sftp u@h:/r", false),
            ("repo add r --target local --s3-endpoint https://s3", false),
            ("repo add r --target local --folder v --bucket b", false),
            ("repo add r --target local --sftp u@h:/r --volume", false),
            (
                "repo add r --target local --folder v --access-key-id a",
                false,
            ),
            (
                "repo add r --target local --folder v --ssh-key-file k",
                false,
            ),
            ("repo add r --target local --folder v --password p", false),
            (
                "repo add r --target local --s3-endpoint e --bucket b --access-key-id a --secret-access-key s",
                false,
            ),
            ("repo add r --target local --sftp u@h:/r --ssh-key k", false),
            ("check r --read-data 100", true),
            ("check r --read-data 101", false),
            (
                "restore s --item volume:a --item database:db --path a/b --into t --yes --wait",
                true,
            ),
            ("restore s --dry-run --wait", false),
            ("ls --kind drill", true),
            ("ls --kind nightly", false),
        ] {
            assert_eq!(parses(args), ok, "{args}");
        }
    }

    fn check_sftp(text: &str, expected: Option<(&str, &str, u16, &str)>) {
        let parsed = parse_sftp(text).ok();
        let expected = expected.map(|(user, host, port, path)| BackupLocation::Sftp {
            host: host.into(),
            port,
            user: user.into(),
            path: path.into(),
        });
        assert_eq!(parsed, expected, "{text}");
    }

    #[test]
    fn sftp_locations_parse_with_and_without_a_port() {
        check_sftp(
            "backup@nas.lan:/srv/restic",
            Some(("backup", "nas.lan", 22, "/srv/restic")),
        );
        check_sftp(
            "backup@nas.lan:2222:/srv/restic",
            Some(("backup", "nas.lan", 2222, "/srv/restic")),
        );
        check_sftp(
            "u@[2001:db8::1]:2200:/r",
            Some(("u", "2001:db8::1", 2200, "/r")),
        );
        check_sftp("u@[2001:db8::1]:/r", Some(("u", "2001:db8::1", 22, "/r")));
        check_sftp("u@host:restic", Some(("u", "host", 22, "restic")));
        check_sftp("nas.lan:/srv", None);
        check_sftp("u@nas.lan", None);
        check_sftp("u@nas.lan:99999:/srv", None);
        check_sftp("@nas.lan:/srv", None);
    }

    #[test]
    fn locations_print_in_one_line() {
        for (location, text) in [
            (
                BackupLocation::S3 {
                    endpoint: "https://s3.example.com/".into(),
                    bucket: "b".into(),
                    prefix: Some("/wf/".into()),
                    region: Some("eu-west-1".into()),
                },
                "https://s3.example.com/b/wf (eu-west-1)",
            ),
            (
                BackupLocation::Folder {
                    path: "repo".into(),
                    volume: true,
                },
                "volume repo",
            ),
            (
                BackupLocation::Sftp {
                    host: "nas".into(),
                    port: 2222,
                    user: "u".into(),
                    path: "/r".into(),
                },
                "u@nas:2222:/r",
            ),
        ] {
            assert_eq!(location_text(&location), text);
        }
    }

    #[test]
    fn policy_files_are_read_as_yaml_json_or_a_compose_block() {
        let dir = std::env::temp_dir().join(format!("wf-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let check = |name: &str, content: &str, expected: Option<Value>| {
            let file = dir.join(name);
            std::fs::write(&file, content).unwrap();
            assert_eq!(read_policy(&file).ok(), expected, "{name}: {content}");
        };
        let expected = json!({"repository": "r", "retention": {"last": 3}, "binds": false});
        check(
            "p.yaml",
            "repository: r\nretention: {last: 3}\nbinds: false\n",
            Some(expected.clone()),
        );
        check(
            "p.json",
            r#"{"repository": "r", "retention": {"last": 3}, "binds": false}"#,
            Some(expected.clone()),
        );
        check(
            "compose.yaml",
            "services: {a: {image: x}}\nx-windflow:\n  backup:\n    repository: r\n    retention: {last: 3}\n    binds: false\n",
            Some(expected),
        );
        check("list.yaml", "- a\n", None);
        check("bad.json", "{", None);
        check("bad.yaml", "a: [\n", None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
