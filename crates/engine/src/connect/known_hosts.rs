//! OpenSSH `known_hosts` files: which host keys a user trusts, read the way `ssh` reads them
//! (plain and hashed `|1|salt|hash` host patterns, `[host]:port` for ports other than 22,
//! `*`/`?` wildcards, `!` negation, `@revoked` lines), and appended to the way `ssh` appends.
//!
//! Invariant: nothing here trusts a key by itself; a key is trusted only when a line names
//! it for the host, and a host known with other keys is [`HostKeyCheck::Changed`], never
//! silently re-learned.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::{HashAlg, PublicKey};
use sha1::Sha1;

/// The SHA-256 fingerprint of a key as OpenSSH prints it: `SHA256:<unpadded base64>`.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The fingerprint of a public key given as an OpenSSH line (`ssh-ed25519 AAAA… [comment]`).
pub fn openssh_fingerprint(line: &str) -> Result<String, String> {
    parse_public_key(line).map(|key| fingerprint(&key))
}

/// Parses an OpenSSH public key line (`ssh-ed25519 AAAA… [comment]`).
pub fn parse_public_key(line: &str) -> Result<PublicKey, String> {
    PublicKey::from_openssh(line.trim()).map_err(|e| format!("not an OpenSSH public key: {e}"))
}

/// The host field for `host` and `port`: `host` on port 22, `[host]:port` otherwise.
pub fn host_field(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// The line `ssh` would write for `key` of `host:port` (no trailing newline).
pub fn entry_line(host: &str, port: u16, key: &PublicKey) -> String {
    let openssh = key.to_openssh().unwrap_or_default();
    let key_text: Vec<&str> = openssh.split_whitespace().take(2).collect();
    format!("{} {}", host_field(host, port), key_text.join(" "))
}

/// What a known_hosts file says about a host's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// A line names this key for this host.
    Trusted { line: usize },
    /// No line names this host.
    Unknown,
    /// The host is known, with other keys: `line` is the first line that names it.
    Changed { line: usize, recorded: String },
    /// The key is marked `@revoked`.
    Revoked { line: usize },
}

#[derive(Debug, Clone)]
enum Marker {
    None,
    Revoked,
    CertAuthority,
}

#[derive(Debug, Clone)]
struct Entry {
    line: usize,
    marker: Marker,
    patterns: String,
    key: PublicKey,
}

/// The parsed lines of one known_hosts file (or of keys pinned elsewhere).
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    path: Option<PathBuf>,
    entries: Vec<Entry>,
}

impl KnownHosts {
    /// Reads `path`; a missing file knows no host. Lines `ssh` would skip (comments, unknown
    /// key types, garbage) are skipped here too.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        let mut known = Self::parse(&text);
        known.path = Some(path.to_path_buf());
        Ok(known)
    }

    /// Parses known_hosts text.
    pub fn parse(text: &str) -> Self {
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let mut first = fields.next().unwrap_or_default();
            let marker = match first {
                "@revoked" => Marker::Revoked,
                "@cert-authority" => Marker::CertAuthority,
                _ => Marker::None,
            };
            if !matches!(marker, Marker::None) {
                first = fields.next().unwrap_or_default();
            }
            let (Some(algorithm), Some(data)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Ok(key) = PublicKey::from_openssh(&format!("{algorithm} {data}")) else {
                continue;
            };
            entries.push(Entry {
                line: index + 1,
                marker,
                patterns: first.to_string(),
                key,
            });
        }
        Self {
            path: None,
            entries,
        }
    }

    /// The file these lines came from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The key algorithms recorded for `host:port`, in file order (to prefer them in the
    /// handshake, as `ssh` does, so a host known by one key type is asked for that type).
    pub fn algorithms_for(&self, host: &str, port: u16) -> Vec<russh::keys::Algorithm> {
        let name = host_field(host, port);
        let mut algorithms = Vec::new();
        for entry in &self.entries {
            if matches!(entry.marker, Marker::None)
                && host_matches(&name, &entry.patterns)
                && !algorithms.contains(&entry.key.algorithm())
            {
                algorithms.push(entry.key.algorithm());
            }
        }
        algorithms
    }

    /// What the file says about `key` offered by `host:port`.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> HostKeyCheck {
        let name = host_field(host, port);
        let mut first_other = None;
        for entry in &self.entries {
            if matches!(entry.marker, Marker::Revoked) && entry.key.key_data() == key.key_data() {
                return HostKeyCheck::Revoked { line: entry.line };
            }
        }
        for entry in &self.entries {
            if !matches!(entry.marker, Marker::None) || !host_matches(&name, &entry.patterns) {
                continue;
            }
            if entry.key.key_data() == key.key_data() {
                return HostKeyCheck::Trusted { line: entry.line };
            }
            first_other.get_or_insert(entry);
        }
        match first_other {
            Some(entry) => HostKeyCheck::Changed {
                line: entry.line,
                recorded: format!(
                    "{} {}",
                    entry.key.algorithm().as_str(),
                    fingerprint(&entry.key)
                ),
            },
            None => HostKeyCheck::Unknown,
        }
    }
}

/// Appends the line for `key` of `host:port` to `path`, creating the file (0600) and its
/// directory (0700) when missing, as `ssh` does on first contact.
pub fn append(path: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        std::fs::create_dir_all(parent)?;
        set_mode(parent, 0o700)?;
    }
    let existing = std::fs::read(path).unwrap_or_default();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    if existing.is_empty() {
        set_mode(path, 0o600)?;
    }
    let mut text = String::new();
    if !existing.is_empty() && !existing.ends_with(b"\n") {
        text.push('\n');
    }
    text.push_str(&entry_line(host, port, key));
    text.push('\n');
    file.write_all(text.as_bytes())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// Whether `name` (`host` or `[host]:port`) matches a comma-separated pattern list: some
/// positive pattern matches and no negated one does.
fn host_matches(name: &str, patterns: &str) -> bool {
    let mut matched = false;
    for pattern in patterns.split(',') {
        if let Some(hashed) = pattern.strip_prefix("|1|") {
            if hashed_matches(name, hashed) {
                matched = true;
            }
        } else if let Some(negated) = pattern.strip_prefix('!') {
            if glob(&negated.to_ascii_lowercase(), &name.to_ascii_lowercase()) {
                return false;
            }
        } else if glob(&pattern.to_ascii_lowercase(), &name.to_ascii_lowercase()) {
            matched = true;
        }
    }
    matched
}

/// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as written with `HashKnownHosts yes`.
fn hashed_matches(name: &str, hashed: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (BASE64.decode(salt), BASE64.decode(hash)) else {
        return false;
    };
    let Ok(mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt) else {
        return false;
    };
    mac.chain_update(name.as_bytes())
        .verify_slice(&hash)
        .is_ok()
}

/// OpenSSH's wildcard match: `*` any run, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILIG2T/B0l0gaqj3puu510tu9N1OkQ4znY3LYuEm5zCF";

    fn key(text: &str) -> PublicKey {
        PublicKey::from_openssh(text).unwrap()
    }

    fn check(file: &str, host: &str, port: u16, offered: &str, expected: HostKeyCheck) {
        assert_eq!(
            KnownHosts::parse(file).check(host, port, &key(offered)),
            expected,
            "{host}:{port} in\n{file}"
        );
    }

    #[test]
    fn plain_and_bracketed_hosts() {
        let file = format!("# comment\nexample.org,10.0.0.1 {KEY_A}\n[127.0.0.1]:2222 {KEY_B}\n");
        check(
            &file,
            "example.org",
            22,
            KEY_A,
            HostKeyCheck::Trusted { line: 2 },
        );
        check(
            &file,
            "10.0.0.1",
            22,
            KEY_A,
            HostKeyCheck::Trusted { line: 2 },
        );
        check(
            &file,
            "127.0.0.1",
            2222,
            KEY_B,
            HostKeyCheck::Trusted { line: 3 },
        );
        // Port 22 entries do not cover other ports, and vice versa.
        check(&file, "example.org", 2222, KEY_A, HostKeyCheck::Unknown);
        check(&file, "127.0.0.1", 22, KEY_B, HostKeyCheck::Unknown);
    }

    #[test]
    fn a_different_key_for_a_known_host_is_a_change() {
        let file = format!("\n[127.0.0.1]:2222 {KEY_A}\n");
        let recorded = format!("ssh-ed25519 {}", fingerprint(&key(KEY_A)));
        check(
            &file,
            "127.0.0.1",
            2222,
            KEY_B,
            HostKeyCheck::Changed { line: 2, recorded },
        );
    }

    #[test]
    fn hashed_entries() {
        let salt = [7u8; 20];
        let mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt)
            .unwrap()
            .chain_update(b"[10.1.2.3]:2200")
            .finalize()
            .into_bytes();
        let file = format!(
            "|1|{}|{} {KEY_A}\n",
            BASE64.encode(salt),
            BASE64.encode(mac)
        );
        check(
            &file,
            "10.1.2.3",
            2200,
            KEY_A,
            HostKeyCheck::Trusted { line: 1 },
        );
        check(&file, "10.1.2.3", 22, KEY_A, HostKeyCheck::Unknown);
    }

    #[test]
    fn wildcards_negation_and_revocation() {
        let file = format!("*.lan,!bad.lan {KEY_A}\n@revoked * {KEY_B}\n");
        check(
            &file,
            "box.lan",
            22,
            KEY_A,
            HostKeyCheck::Trusted { line: 1 },
        );
        check(&file, "bad.lan", 22, KEY_A, HostKeyCheck::Unknown);
        check(
            &file,
            "box.lan",
            22,
            KEY_B,
            HostKeyCheck::Revoked { line: 2 },
        );
        assert!(glob("h?st*", "host-1") && !glob("h?st", "hst"));
    }

    #[test]
    fn garbage_lines_are_skipped_and_appending_round_trips() {
        let dir = std::env::temp_dir().join(format!("wf-known-hosts-{}", std::process::id()));
        let path = dir.join("ssh").join("known_hosts");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "not a key line\nhost ssh-ed25519 @@@").unwrap();
        append(&path, "127.0.0.1", 2222, &key(KEY_A)).unwrap();
        let known = KnownHosts::load(&path).unwrap();
        assert_eq!(
            known.check("127.0.0.1", 2222, &key(KEY_A)),
            HostKeyCheck::Trusted { line: 3 }
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().lines().nth(2),
            Some(entry_line("127.0.0.1", 2222, &key(KEY_A)).as_str())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
