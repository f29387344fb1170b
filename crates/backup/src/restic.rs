//! restic, as data: where a repository is, the argv of each operation, what its JSON output
//! says, and what its failures mean to a user. The binary runs in a helper container on the
//! target (see the server's backup service); this module never runs anything.
//!
//! Secrets never appear in an argv or an environment variable: the repository password is a
//! file ([`PASSWORD_FILE`]), S3 keys an AWS credentials file ([`AWS_CREDENTIALS_FILE`]), an
//! SFTP key a key file ([`SSH_KEY_FILE`]), all put into the helper container before it starts.
//!
//! Only flags restic 0.14 already had are used, so any restic from 0.14 on works.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where the helper container finds the repository password.
pub const PASSWORD_FILE: &str = "/run/windflow/password";
/// Where it finds the S3 keys (an AWS shared credentials file; restic reads it through
/// `AWS_SHARED_CREDENTIALS_FILE`).
pub const AWS_CREDENTIALS_FILE: &str = "/run/windflow/aws-credentials";
/// Where it finds the SSH private key of an SFTP repository, and the host's key.
pub const SSH_KEY_FILE: &str = "/run/windflow/ssh-key";
pub const KNOWN_HOSTS_FILE: &str = "/run/windflow/known_hosts";
/// Where a folder repository is mounted in the helper container.
pub const FOLDER_MOUNT: &str = "/repository";
/// Where the volumes to back up (or restore into) are mounted: `/data/<item>`.
pub const DATA_ROOT: &str = "/data";

/// A repository's location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    /// An S3-compatible bucket (path-style addressing for any endpoint but AWS's).
    S3 {
        endpoint: String,
        bucket: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
    /// A folder on the target (a host path, or a named volume when `volume`), mounted into
    /// the helper container.
    Folder {
        path: String,
        #[serde(default)]
        volume: bool,
    },
    /// A folder on an SSH host.
    Sftp {
        host: String,
        #[serde(default = "ssh_port")]
        port: u16,
        user: String,
        path: String,
    },
}

fn ssh_port() -> u16 {
    22
}

impl Location {
    pub fn kind(&self) -> &'static str {
        match self {
            Location::S3 { .. } => "s3",
            Location::Folder { .. } => "folder",
            Location::Sftp { .. } => "sftp",
        }
    }

    /// Checks the fields: URLs, names, paths.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        match self {
            Location::S3 {
                endpoint,
                bucket,
                prefix,
                region,
            } => {
                let scheme_ok = endpoint.starts_with("https://") || endpoint.starts_with("http://");
                let rest = endpoint.split_once("://").map(|(_, r)| r).unwrap_or("");
                if !scheme_ok || rest.is_empty() || rest.contains(['/', '?', '#', ' ', '@']) {
                    out.push((
                        "endpoint".into(),
                        format!("{endpoint:?}: an http(s)://host[:port] URL without a path"),
                    ));
                }
                let bucket_ok = (3..=63).contains(&bucket.len())
                    && bucket.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                    })
                    && !bucket.starts_with(['-', '.']);
                if !bucket_ok {
                    out.push((
                        "bucket".into(),
                        format!("{bucket:?}: 3 to 63 lower-case letters, digits, dots and hyphens"),
                    ));
                }
                if let Some(p) = prefix
                    && !safe_relative(p)
                {
                    out.push((
                        "prefix".into(),
                        format!("{p:?}: a relative path without .."),
                    ));
                }
                if let Some(r) = region
                    && !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                {
                    out.push((
                        "region".into(),
                        format!("{r:?}: a region name such as us-east-1"),
                    ));
                }
            }
            Location::Folder { path, volume } => {
                if *volume {
                    if path.is_empty()
                        || !path
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
                    {
                        out.push(("path".into(), format!("{path:?}: a volume name")));
                    }
                } else if !path.starts_with('/')
                    || path.split('/').any(|c| c == "..")
                    || path == "/"
                {
                    out.push((
                        "path".into(),
                        format!("{path:?}: an absolute folder path on the target, without .."),
                    ));
                }
            }
            Location::Sftp {
                host,
                user,
                path,
                port,
            } => {
                if host.is_empty() || host.contains(['/', ' ', '@', ':']) && !host.starts_with('[')
                {
                    out.push(("host".into(), format!("{host:?}: a host name or address")));
                }
                if user.is_empty() || user.starts_with('-') || user.contains(['@', ' ', '/', ':']) {
                    out.push(("user".into(), format!("{user:?}: a user name")));
                }
                if !path.starts_with('/') || path.split('/').any(|c| c == "..") {
                    out.push((
                        "path".into(),
                        format!("{path:?}: an absolute path without .."),
                    ));
                }
                if *port == 0 {
                    out.push(("port".into(), "a port from 1 to 65535".into()));
                }
            }
        }
        out
    }

    /// restic's `-r` value, as the helper container sees the repository.
    pub fn repository(&self) -> String {
        match self {
            Location::S3 {
                endpoint,
                bucket,
                prefix,
                ..
            } => {
                let mut r = format!("s3:{}/{}", endpoint.trim_end_matches('/'), bucket);
                if let Some(p) = prefix
                    .as_deref()
                    .map(|p| p.trim_matches('/'))
                    .filter(|p| !p.is_empty())
                {
                    r.push('/');
                    r.push_str(p);
                }
                r
            }
            Location::Folder { .. } => FOLDER_MOUNT.to_string(),
            // The scp-like form keeps an absolute path absolute; the port is in the SSH
            // command (`options`).
            Location::Sftp {
                host, user, path, ..
            } => format!("sftp:{user}@{host}:{path}"),
        }
    }

    /// Options given with `-o` (the SFTP command, with the key and known hosts files).
    pub fn options(&self) -> Vec<String> {
        match self {
            Location::Sftp {
                host, user, port, ..
            } => vec![
                "-o".into(),
                format!(
                    "sftp.command=ssh -i {SSH_KEY_FILE} -o UserKnownHostsFile={KNOWN_HOSTS_FILE} -o StrictHostKeyChecking=yes -o BatchMode=yes -p {port} {user}@{host} -s sftp"
                ),
            ],
            _ => Vec::new(),
        }
    }

    /// Non-secret environment for the helper container.
    pub fn env(&self) -> Vec<String> {
        match self {
            Location::S3 { region, .. } => {
                let mut env = vec![format!(
                    "AWS_SHARED_CREDENTIALS_FILE={AWS_CREDENTIALS_FILE}"
                )];
                if let Some(r) = region {
                    env.push(format!("AWS_DEFAULT_REGION={r}"));
                }
                env
            }
            _ => Vec::new(),
        }
    }

    /// Whether the helper container must share the host's network to reach the repository:
    /// an endpoint on the target's own loopback.
    pub fn needs_host_network(&self) -> bool {
        let host = match self {
            Location::S3 { endpoint, .. } => endpoint
                .split_once("://")
                .map(|(_, r)| r)
                .unwrap_or(endpoint)
                .rsplit_once(':')
                .map(|(h, _)| h.to_string())
                .unwrap_or_else(|| {
                    endpoint
                        .split_once("://")
                        .map(|(_, r)| r.to_string())
                        .unwrap_or_default()
                }),
            Location::Sftp { host, .. } => host.clone(),
            Location::Folder { .. } => return false,
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false)
    }
}

fn safe_relative(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && p.split('/').all(|c| c != ".." && c != ".")
        && !p.contains('\0')
}

/// The AWS shared credentials file for S3 keys.
pub fn aws_credentials(access_key: &str, secret_key: &str) -> Vec<u8> {
    format!("[default]\naws_access_key_id = {access_key}\naws_secret_access_key = {secret_key}\n")
        .into_bytes()
}

/// The argv of a restic operation (after the binary), and what it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub args: Vec<String>,
}

/// The snapshot host WindFlow records a stack's snapshots under.
pub fn snapshot_host(stack_id: &str) -> String {
    format!("windflow-{stack_id}")
}

fn base(location: &Location, command: &str) -> Vec<String> {
    let mut args = vec![
        command.to_string(),
        "--repo".into(),
        location.repository(),
        "--password-file".into(),
        PASSWORD_FILE.into(),
        "--no-cache".into(),
        "--json".into(),
    ];
    args.extend(location.options());
    args
}

impl Invocation {
    pub fn init(location: &Location) -> Invocation {
        Invocation {
            args: base(location, "init"),
        }
    }

    /// `cat config`: whether the repository exists and the password opens it.
    pub fn probe(location: &Location) -> Invocation {
        let mut args = base(location, "cat");
        args.push("config".into());
        Invocation { args }
    }

    /// Backs up `path` (a mounted volume) for a stack.
    pub fn backup_path(
        location: &Location,
        stack_id: &str,
        item: &str,
        path: &str,
        exclude: &[String],
    ) -> Invocation {
        let mut args = base(location, "backup");
        args.extend(tags(stack_id, item));
        for pattern in exclude {
            args.push("--exclude".into());
            args.push(pattern.clone());
        }
        args.push("--".into());
        args.push(path.to_string());
        Invocation { args }
    }

    /// Backs up standard input (a database dump) as `file_name`.
    pub fn backup_stdin(
        location: &Location,
        stack_id: &str,
        item: &str,
        file_name: &str,
    ) -> Invocation {
        let mut args = base(location, "backup");
        args.extend(tags(stack_id, item));
        args.push("--stdin".into());
        args.push("--stdin-filename".into());
        args.push(file_name.to_string());
        Invocation { args }
    }

    pub fn snapshots(location: &Location, stack_id: Option<&str>) -> Invocation {
        let mut args = base(location, "snapshots");
        if let Some(s) = stack_id {
            args.push("--host".into());
            args.push(snapshot_host(s));
        }
        Invocation { args }
    }

    /// Restores `snapshot` to `/` (its paths are under [`DATA_ROOT`], where the destination
    /// volume is mounted), or only `include` paths.
    pub fn restore(location: &Location, snapshot: &str, include: &[String]) -> Invocation {
        let mut args = base(location, "restore");
        args.push(snapshot.to_string());
        args.push("--target".into());
        args.push("/".into());
        for p in include {
            args.push("--include".into());
            args.push(p.clone());
        }
        Invocation { args }
    }

    /// Writes one file of a snapshot to standard output.
    pub fn dump(location: &Location, snapshot: &str, path: &str) -> Invocation {
        let mut args = base(location, "dump");
        // `dump` prints the file itself; --json only changes its errors.
        args.retain(|a| a != "--json");
        args.push(snapshot.to_string());
        args.push(path.to_string());
        Invocation { args }
    }

    /// Lists a snapshot's entries under `path`.
    pub fn ls(location: &Location, snapshot: &str, path: Option<&str>) -> Invocation {
        let mut args = base(location, "ls");
        args.push(snapshot.to_string());
        if let Some(p) = path {
            args.push(p.to_string());
        }
        Invocation { args }
    }

    /// Applies the retention to one stack's snapshots (each item is its own group), and
    /// prunes the data nothing references any more.
    pub fn forget(location: &Location, stack_id: &str, flags: &[String]) -> Invocation {
        let mut args = base(location, "forget");
        args.push("--host".into());
        args.push(snapshot_host(stack_id));
        args.push("--group-by".into());
        args.push("host,paths".into());
        args.extend(flags.iter().cloned());
        args.push("--prune".into());
        Invocation { args }
    }

    /// Forgets given snapshots (e.g. one a failed dump left).
    pub fn forget_ids(location: &Location, ids: &[String]) -> Invocation {
        let mut args = base(location, "forget");
        args.extend(ids.iter().cloned());
        Invocation { args }
    }

    /// Verifies the repository's structure, and reads back `read_data` percent of its data.
    pub fn check(location: &Location, read_data: u8) -> Invocation {
        let mut args = base(location, "check");
        if read_data > 0 {
            args.push(format!("--read-data-subset={}%", read_data.min(100)));
        }
        Invocation { args }
    }

    /// Removes the locks a killed helper left (WindFlow runs one operation per repository at
    /// a time, so any lock found when it starts one is stale).
    pub fn unlock(location: &Location) -> Invocation {
        let mut args = base(location, "unlock");
        args.push("--remove-all".into());
        Invocation { args }
    }
}

fn tags(stack_id: &str, item: &str) -> Vec<String> {
    vec![
        "--host".into(),
        snapshot_host(stack_id),
        "--tag".into(),
        "windflow".into(),
        "--tag".into(),
        format!("item={}", item.replace(',', "_")),
    ]
}

// ---- output ------------------------------------------------------------------------------

/// The summary line of `backup --json`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct BackupSummary {
    #[serde(default)]
    pub files_new: u64,
    #[serde(default)]
    pub files_changed: u64,
    #[serde(default)]
    pub files_unmodified: u64,
    #[serde(default)]
    pub data_added: u64,
    #[serde(default)]
    pub total_files_processed: u64,
    #[serde(default)]
    pub total_bytes_processed: u64,
    #[serde(default)]
    pub total_duration: f64,
    #[serde(default)]
    pub snapshot_id: String,
}

/// The summary in `backup --json`'s output (JSON lines; the last `summary` message).
pub fn backup_summary(stdout: &str) -> Option<BackupSummary> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .filter(|v| v.get("message_type").and_then(|m| m.as_str()) == Some("summary"))
        .filter_map(|v| serde_json::from_value::<BackupSummary>(v).ok())
        .next_back()
}

/// A snapshot as `snapshots --json` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Snapshot {
    pub id: String,
    #[serde(default)]
    pub short_id: String,
    pub time: String,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

pub fn snapshots(stdout: &str) -> Result<Vec<Snapshot>, String> {
    let text = stdout.trim();
    if text.is_empty() || text == "null" {
        return Ok(Vec::new());
    }
    serde_json::from_str(text).map_err(|e| format!("unexpected output of restic snapshots: {e}"))
}

/// One entry of `ls --json`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Entry {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub mtime: Option<String>,
    #[serde(default)]
    pub mode: Option<u64>,
}

/// The entries of `ls --json` (its first line describes the snapshot; nodes follow).
pub fn entries(stdout: &str) -> Vec<Entry> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .filter(|v| v.get("struct_type").and_then(|s| s.as_str()) == Some("node"))
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect()
}

/// Why restic failed, for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The repository is not there (not initialized, or the wrong path/bucket).
    NoRepository,
    WrongPassword,
    /// The storage refused the credentials.
    AccessDenied,
    /// The storage did not answer.
    Unreachable,
    /// No space left where data was written.
    DiskFull,
    /// The repository's data does not verify.
    Corrupted,
    /// Another process holds the repository's lock.
    Locked,
    Other,
}

/// A classified failure, with the first meaningful line restic printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub detail: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            FailureKind::NoRepository => {
                "there is no restic repository at this location (it is initialized when the repository is added)"
            }
            FailureKind::WrongPassword => {
                "the repository's password does not open it (was it initialized by another WindFlow server?)"
            }
            FailureKind::AccessDenied => "the storage refused the credentials",
            FailureKind::Unreachable => "the storage did not answer",
            FailureKind::DiskFull => "no space is left on the storage",
            FailureKind::Corrupted => "the repository's data does not verify: it is damaged",
            FailureKind::Locked => "the repository is locked by another operation",
            FailureKind::Other => "restic failed",
        };
        if self.detail.is_empty() {
            f.write_str(what)
        } else {
            write!(f, "{what}: {}", self.detail)
        }
    }
}

/// Reads restic's standard error (and exit code) into a [`Failure`].
pub fn classify(exit_code: i64, stderr: &str) -> Failure {
    let lower = stderr.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    let kind = if has(&["wrong password", "no key found"]) {
        FailureKind::WrongPassword
    } else if has(&[
        "accessdenied",
        "access denied",
        "invalidaccesskeyid",
        "signaturedoesnotmatch",
        "signature we calculated does not match",
        "check your key and signing method",
        "the access key id you provided",
        "permission denied (publickey",
        "forbidden",
    ]) {
        FailureKind::AccessDenied
    } else if has(&[
        "no space left on device",
        "disk quota exceeded",
        "entitytoolarge",
    ]) {
        FailureKind::DiskFull
    } else if has(&[
        "connection refused",
        "no such host",
        "i/o timeout",
        "network is unreachable",
        "connection reset",
        "dial tcp",
        "timeout awaiting",
        "context deadline exceeded",
        "server misbehaving",
    ]) {
        FailureKind::Unreachable
    } else if has(&[
        "is there a repository at the following location",
        "repository does not exist",
        "config file does not exist",
        "unable to open config file",
        "nosuchbucket",
    ]) {
        FailureKind::NoRepository
    } else if has(&["repository is already locked", "unable to create lock"]) {
        FailureKind::Locked
    } else if has(&[
        "ciphertext verification failed",
        "repository contains errors",
        "hash does not match",
        "pack file cannot be listed",
        "invalid data returned",
        "data blob",
        "checksum mismatch",
    ]) {
        FailureKind::Corrupted
    } else {
        FailureKind::Other
    };
    let detail = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            // restic --json prints some errors as JSON messages.
            match serde_json::from_str::<serde_json::Value>(l) {
                Ok(v) => v.get("message").or_else(|| v.get("error")).and_then(|m| {
                    m.as_str()
                        .map(str::to_string)
                        .or_else(|| Some(m.to_string()))
                }),
                Err(_) => Some(l.to_string()),
            }
        })
        .find(|l| l.starts_with("Fatal:") || l.contains("rror"))
        .or_else(|| {
            stderr
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
        })
        .map(|l| l.trim_start_matches("Fatal: ").chars().take(400).collect())
        .unwrap_or_else(|| format!("exit code {exit_code}"));
    Failure { kind, detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3() -> Location {
        Location::S3 {
            endpoint: "http://127.0.0.1:8333".into(),
            bucket: "backups".into(),
            prefix: Some("team/a".into()),
            region: None,
        }
    }

    #[test]
    fn locations() {
        assert_eq!(s3().repository(), "s3:http://127.0.0.1:8333/backups/team/a");
        assert!(s3().needs_host_network());
        assert!(s3().problems().is_empty());
        let bad = Location::S3 {
            endpoint: "ftp://x/y".into(),
            bucket: "A".into(),
            prefix: Some("../up".into()),
            region: None,
        };
        let fields: Vec<String> = bad.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["endpoint", "bucket", "prefix"]);
        let remote = Location::S3 {
            endpoint: "https://s3.example.test".into(),
            bucket: "b-1".into(),
            prefix: None,
            region: Some("eu-west-1".into()),
        };
        assert!(!remote.needs_host_network());
        assert_eq!(remote.env()[1], "AWS_DEFAULT_REGION=eu-west-1");
        let sftp = Location::Sftp {
            host: "10.0.0.5".into(),
            port: 2222,
            user: "backup".into(),
            path: "/srv/restic".into(),
        };
        assert_eq!(sftp.repository(), "sftp:backup@10.0.0.5:/srv/restic");
        assert!(sftp.options()[1].contains("-p 2222 backup@10.0.0.5 -s sftp"));
        let folder = Location::Folder {
            path: "/srv/../etc".into(),
            volume: false,
        };
        assert_eq!(folder.problems()[0].0, "path");
    }

    #[test]
    fn invocations_keep_secrets_in_files() {
        let inv = Invocation::backup_path(
            &s3(),
            "stk1",
            "volume:data",
            "/data/data",
            &["*.tmp".into()],
        );
        assert_eq!(
            inv.args,
            [
                "backup",
                "--repo",
                "s3:http://127.0.0.1:8333/backups/team/a",
                "--password-file",
                PASSWORD_FILE,
                "--no-cache",
                "--json",
                "--host",
                "windflow-stk1",
                "--tag",
                "windflow",
                "--tag",
                "item=volume:data",
                "--exclude",
                "*.tmp",
                "--",
                "/data/data"
            ]
        );
        let forget = Invocation::forget(&s3(), "stk1", &["--keep-last".into(), "3".into()]);
        assert!(
            forget
                .args
                .ends_with(&["--keep-last".into(), "3".into(), "--prune".into()])
        );
        assert!(
            !Invocation::dump(&s3(), "abc", "/db.sql")
                .args
                .contains(&"--json".to_string())
        );
        assert_eq!(
            Invocation::check(&s3(), 5).args.last().unwrap(),
            "--read-data-subset=5%"
        );
    }

    #[test]
    fn output_is_read() {
        let out = "{\"message_type\":\"status\",\"percent_done\":0.5}\n{\"message_type\":\"summary\",\"files_new\":2,\"files_changed\":0,\"files_unmodified\":0,\"dirs_new\":1,\"data_added\":1234,\"total_files_processed\":2,\"total_bytes_processed\":2048,\"total_duration\":0.5,\"snapshot_id\":\"abcdef\"}\n";
        let s = backup_summary(out).unwrap();
        assert_eq!((s.data_added, s.snapshot_id.as_str()), (1234, "abcdef"));
        assert!(snapshots("null").unwrap().is_empty());
        let list = snapshots(r#"[{"time":"2026-12-07T08:00:00Z","paths":["/data/x"],"hostname":"windflow-s","tags":["windflow"],"id":"ff00","short_id":"ff"}]"#).unwrap();
        assert_eq!(list[0].paths, ["/data/x"]);
        let ls = "{\"time\":\"t\",\"struct_type\":\"snapshot\"}\n{\"name\":\"a.txt\",\"type\":\"file\",\"path\":\"/data/x/a.txt\",\"size\":3,\"struct_type\":\"node\"}\n";
        assert_eq!(entries(ls)[0].size, Some(3));
    }

    #[test]
    fn failures_are_classified() {
        for (stderr, kind) in [
            (
                "Fatal: wrong password or no key found\n",
                FailureKind::WrongPassword,
            ),
            (
                "Fatal: unable to open config file: Stat: The Access Key Id you provided does not exist in our records.\nIs there a repository at the following location?",
                FailureKind::AccessDenied,
            ),
            (
                "Fatal: unable to open config file: Stat: stat /repository/config: no such file or directory\nIs there a repository at the following location?\n/repository",
                FailureKind::NoRepository,
            ),
            (
                "Fatal: create repository at s3:http://127.0.0.1:1/b failed: client.BucketExists: Get \"http://127.0.0.1:1/b/?location=\": dial tcp 127.0.0.1:1: connect: connection refused",
                FailureKind::Unreachable,
            ),
            (
                "Save(<data/0123>) returned error, retrying after 552ms: write /repository/data/01/0123: no space left on device",
                FailureKind::DiskFull,
            ),
            (
                "Pack ID does not match, want 1234, got 5678\nFatal: repository contains errors",
                FailureKind::Corrupted,
            ),
            ("something else", FailureKind::Other),
        ] {
            let f = classify(1, stderr);
            assert_eq!(f.kind, kind, "{stderr}");
            assert!(!f.to_string().is_empty());
        }
        assert_eq!(
            classify(1, "Fatal: wrong password or no key found").detail,
            "wrong password or no key found"
        );
    }
}
