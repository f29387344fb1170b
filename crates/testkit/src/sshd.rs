//! A real OpenSSH server (Debian's `/usr/sbin/sshd`, installed by `scripts/ensure-sshd.sh`)
//! on a loopback port, run as a child of the test with its own config, a generated host key
//! and a generated client key, allowing the test's own user to forward stream-local
//! sockets — so `ssh://user@127.0.0.1:PORT` reaches the local engine's socket through SSH.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A running `sshd -D` and the files it was given. Killed (and reaped) on drop.
pub struct Sshd {
    child: Child,
    dir: PathBuf,
    pub port: u16,
    /// The user the server lets in (the test's own user).
    pub user: String,
    /// The client's private key (OpenSSH format) the server accepts.
    pub client_key: PathBuf,
    /// The server's public host key, `ssh-ed25519 AAAA…`.
    pub host_public_key: String,
}

/// The path of Debian's sshd, or an error saying how to install it.
pub fn sshd_binary() -> anyhow::Result<PathBuf> {
    let path = PathBuf::from("/usr/sbin/sshd");
    if path.exists() {
        Ok(path)
    } else {
        bail!(
            "/usr/sbin/sshd is missing: run scripts/ensure-sshd.sh (apt-get install openssh-server)"
        )
    }
}

/// `ssh-keygen -t <kind> -N '' -f <path>`.
pub fn generate_key(kind: &str, path: &Path) -> anyhow::Result<()> {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", "windflow-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .context("running ssh-keygen (scripts/ensure-sshd.sh installs it)")?;
    if !status.success() {
        bail!("ssh-keygen -t {kind} failed for {}", path.display());
    }
    Ok(())
}

impl Sshd {
    /// Starts sshd on a free loopback port with fresh keys under a new temporary directory.
    pub fn start() -> anyhow::Result<Self> {
        let binary = sshd_binary()?;
        let dir = std::env::temp_dir().join(format!(
            "windflow-sshd-{}-{}",
            std::process::id(),
            crate::unique_project("k")
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // The privilege separation directory sshd insists on.
        std::fs::create_dir_all("/run/sshd").context("creating /run/sshd")?;
        let host_key = dir.join("host_ed25519");
        let client_key = dir.join("client_ed25519");
        generate_key("ed25519", &host_key)?;
        generate_key("ed25519", &client_key)?;
        let authorized = dir.join("authorized_keys");
        std::fs::copy(client_key.with_extension("pub"), &authorized)?;
        let user = current_user();
        let port = crate::free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\n\
                 Port {port}\n\
                 HostKey {host}\n\
                 PidFile {dir}/sshd.pid\n\
                 AuthorizedKeysFile {authorized}\n\
                 AllowUsers {user}\n\
                 PermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\n\
                 AllowStreamLocalForwarding yes\n\
                 Subsystem sftp internal-sftp\n\
                 AllowTcpForwarding local\n\
                 X11Forwarding no\n\
                 PermitTTY no\n\
                 StrictModes no\n\
                 UsePAM no\n\
                 MaxStartups 100\n\
                 MaxSessions 100\n\
                 LogLevel ERROR\n",
                host = host_key.display(),
                dir = dir.display(),
                authorized = authorized.display(),
            ),
        )?;
        let child = Command::new(&binary)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let host_public_key = std::fs::read_to_string(host_key.with_extension("pub"))?
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let mut sshd = Self {
            child,
            dir,
            port,
            user,
            client_key,
            host_public_key,
        };
        sshd.wait_listening()?;
        Ok(sshd)
    }

    fn wait_listening(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "sshd exited with {status} before listening on port {}",
                    self.port
                );
            }
            if Instant::now() > deadline {
                bail!("sshd did not listen on 127.0.0.1:{} within 10 s", self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `ssh://user@127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("ssh://{}@127.0.0.1:{}", self.user, self.port)
    }

    /// A known_hosts file (in the server's directory) that trusts this server's key.
    pub fn known_hosts_file(&self) -> anyhow::Result<PathBuf> {
        let path = self.dir.join("known_hosts");
        std::fs::write(
            &path,
            format!("[127.0.0.1]:{} {}\n", self.port, self.host_public_key),
        )?;
        Ok(path)
    }

    /// The scratch directory of this server (for tests' own files).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn current_user() -> String {
    if let Ok(output) = Command::new("id").arg("-un").output()
        && output.status.success()
    {
        let name = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !name.is_empty() {
            return name;
        }
    }
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}
