//! Reads one file of a git repository at a branch or tag, for the `git_update` node: a
//! shallow clone by the `git` program into a scratch directory that is removed afterwards.
//!
//! *Invariants:* `git` runs with an argument vector (never a shell), only over http, https
//! and git (no `file`, `ssh` or `ext` transport: a workflow cannot read the server's disk or
//! run a helper), without the user's or the system's configuration, without prompts, with
//! symbolic links checked out as plain files; the file read is a regular file inside the
//! clone, at most 1 MiB.

use std::path::{Component, Path};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// The most a compose file read from a repository may hold.
const MAX_FILE: u64 = 1 << 20;

/// A file as the repository holds it at `reference`.
#[derive(Debug)]
pub struct Fetched {
    pub commit: String,
    pub content: String,
}

/// Checks what a workflow may name: an http(s) or git URL, a reference and a relative path.
pub fn check_request(
    repository: &str,
    reference: &str,
    path: &str,
) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(repository)
        .map_err(|e| format!("repository {repository:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https" | "git") {
        return Err(format!(
            "repository {repository:?}: only http, https and git URLs are allowed"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("repository URLs may not carry credentials".into());
    }
    if reference.is_empty()
        || reference.starts_with('-')
        || reference.len() > 200
        || reference
            .chars()
            .any(|c| c.is_control() || c == ' ' || c == '~' || c == '^' || c == ':' || c == '\\')
        || reference.contains("..")
    {
        return Err(format!("{reference:?} is not a branch or tag name"));
    }
    let relative = Path::new(path);
    if path.is_empty()
        || relative.is_absolute()
        || relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "path {path:?} must be a relative path inside the repository"
        ));
    }
    Ok(url)
}

/// Clones `repository` at `reference` (depth 1) under `scratch` and reads `path`.
pub async fn fetch_file(
    scratch: &Path,
    repository: &str,
    reference: &str,
    path: &str,
    timeout: Duration,
) -> Result<Fetched, String> {
    check_request(repository, reference, path)?;
    tokio::fs::create_dir_all(scratch)
        .await
        .map_err(|e| format!("creating {}: {e}", scratch.display()))?;
    let dir = tempfile::Builder::new()
        .prefix("git-")
        .tempdir_in(scratch)
        .map_err(|e| format!("creating a scratch directory: {e}"))?;
    let checkout = dir.path().join("checkout");
    let target = checkout.to_string_lossy().into_owned();
    let args = [
        "-c",
        "core.symlinks=false",
        "-c",
        "protocol.allow=never",
        "-c",
        "protocol.http.allow=always",
        "-c",
        "protocol.https.allow=always",
        "-c",
        "protocol.git.allow=always",
        "clone",
        "--quiet",
        "--depth",
        "1",
        "--single-branch",
        "--no-tags",
        "--branch",
        reference,
        "--",
        repository,
        &target,
    ];
    tokio::time::timeout(timeout, git(dir.path(), &args))
        .await
        .map_err(|_| format!("cloning {repository} took longer than {timeout:?}"))??;
    let commit = tokio::time::timeout(
        Duration::from_secs(10),
        git(&checkout, &["rev-parse", "HEAD"]),
    )
    .await
    .map_err(|_| "reading the commit took too long".to_string())??
    .trim()
    .to_string();
    let file = checkout.join(path);
    let meta = tokio::fs::symlink_metadata(&file)
        .await
        .map_err(|_| format!("{path} is not in {repository} at {reference}"))?;
    if !meta.is_file() {
        return Err(format!("{path} in {repository} is not a regular file"));
    }
    if meta.len() > MAX_FILE {
        return Err(format!("{path} is larger than 1 MiB"));
    }
    // Every directory on the way is a real one inside the clone (links are plain files).
    let real = tokio::fs::canonicalize(&file)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let root = tokio::fs::canonicalize(&checkout)
        .await
        .map_err(|e| format!("the clone: {e}"))?;
    if !real.starts_with(&root) {
        return Err(format!("{path} leads outside the repository"));
    }
    let content = tokio::fs::read_to_string(&real)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(Fetched { commit, content })
}

/// Runs `git args` in `dir` with no configuration but git's defaults; its standard output,
/// or an error with the end of its standard error.
async fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ALLOW_PROTOCOL", "http:https:git")
        .env("GIT_ASKPASS", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("running git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String = stderr
            .trim()
            .chars()
            .rev()
            .take(500)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Err(format!(
            "git {}: {tail}",
            args.iter()
                .find(|a| !a.starts_with('-') && !a.contains('='))
                .unwrap_or(&"")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check_request;

    #[test]
    fn only_remote_transports_and_relative_paths() {
        assert!(check_request("https://example.com/r.git", "main", "compose.yaml").is_ok());
        assert!(check_request("git://127.0.0.1:9418/r.git", "v1.2", "deploy/compose.yaml").is_ok());
        for bad in [
            "file:///etc",
            "ssh://host/r.git",
            "ext::sh -c touch% /tmp/pwned",
            "/srv/repo.git",
            "https://user:pass@example.com/r.git",
        ] {
            assert!(check_request(bad, "main", "compose.yaml").is_err(), "{bad}");
        }
        for bad in ["-upload-pack=touch", "a..b", "", "x y", "x:y"] {
            assert!(
                check_request("https://e.com/r.git", bad, "c.yaml").is_err(),
                "{bad}"
            );
        }
        for bad in ["../../etc/passwd", "/etc/passwd", "a/../../b", ""] {
            assert!(
                check_request("https://e.com/r.git", "main", bad).is_err(),
                "{bad}"
            );
        }
    }
}
