//! A second, real Docker engine listening on `tcp://127.0.0.1:PORT` with `--tlsverify`, run
//! as a child of the test (its own `--data-root`, `--exec-root`, pid file and unix socket,
//! no default bridge, no iptables), with certificates generated here: a CA, the engine's
//! certificate for 127.0.0.1, a client certificate, and a client certificate from another
//! CA (which the engine must refuse). The test images are copied into it from the main
//! engine (`docker save` / `docker load` through the Engine API).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bollard::Docker;
use futures::{StreamExt, TryStreamExt};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};

/// PEM files for one side of a TLS connection.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The running engine. Stopped (SIGTERM, then SIGKILL after 15 s) and its directory removed
/// on drop.
pub struct TlsEngine {
    child: Child,
    dir: PathBuf,
    pub port: u16,
    /// The CA, the client certificate and key the engine accepts (the docker CLI's
    /// `ca.pem`, `cert.pem`, `key.pem` in one directory: `DOCKER_CERT_PATH`).
    pub client: TlsFiles,
    /// A client certificate and key from another CA (with the right CA file).
    pub foreign_client: TlsFiles,
    /// The engine's own unix socket, for assertions that bypass TLS.
    pub socket: PathBuf,
}

impl TlsEngine {
    /// Starts the engine, waits until it answers, and loads the test images into it from
    /// `source` (the main engine).
    pub async fn start(source: &Docker) -> anyhow::Result<Self> {
        // Short paths: containerd's socket path under exec-root must stay under 108 bytes.
        let dir = PathBuf::from(format!(
            "/tmp/wf-tls-{}-{:x}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let certs = dir.join("certs");
        let foreign = dir.join("foreign");
        std::fs::create_dir_all(&certs)?;
        std::fs::create_dir_all(&foreign)?;
        let server = generate_certificates(&certs, &foreign)?;
        let port = crate::free_port();
        let socket = dir.join("docker.sock");
        let log = std::fs::File::create(dir.join("dockerd.log"))?;
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .arg("-H")
            .arg(format!("tcp://127.0.0.1:{port}"))
            .arg("--tlsverify")
            .arg("--tlscacert")
            .arg(&server.ca)
            .arg("--tlscert")
            .arg(&server.cert)
            .arg("--tlskey")
            .arg(&server.key)
            .args(["--bridge=none", "--iptables=false", "--ip-masq=false"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting a second dockerd (scripts/ensure-docker.sh installs docker.io)")?;
        let mut engine = Self {
            child,
            dir,
            port,
            client: TlsFiles {
                ca: certs.join("ca.pem"),
                cert: certs.join("cert.pem"),
                key: certs.join("key.pem"),
            },
            foreign_client: TlsFiles {
                ca: certs.join("ca.pem"),
                cert: foreign.join("cert.pem"),
                key: foreign.join("key.pem"),
            },
            socket,
        };
        let local = engine.wait_ready().await?;
        load_test_images(source, &local).await?;
        Ok(engine)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<Docker> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("dockerd exited with {status}: {}", self.log_tail());
            }
            if self.socket.exists() {
                let docker = Docker::connect_with_unix(
                    &self.socket.to_string_lossy(),
                    30,
                    bollard::API_DEFAULT_VERSION,
                )?;
                if docker.ping().await.is_ok()
                    && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                {
                    return Ok(docker);
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "the TLS dockerd did not answer within 60 s: {}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `tcp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// The directory holding `ca.pem`, `cert.pem` and `key.pem` (`DOCKER_CERT_PATH`).
    pub fn cert_path(&self) -> &Path {
        self.client.ca.parent().expect("certs directory")
    }

    /// A client on the engine's unix socket (no TLS), for checks from outside.
    pub fn unix_client(&self) -> anyhow::Result<Docker> {
        Ok(Docker::connect_with_unix(
            &self.socket.to_string_lossy(),
            60,
            bollard::API_DEFAULT_VERSION,
        )?)
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for TlsEngine {
    fn drop(&mut self) {
        // A dockerd leaves the host bridges of its user-defined networks behind when it
        // stops; over repeated runs they use up the address pools every engine on the host
        // draws from ("could not find an available, non-overlapping IPv4 address pool").
        // Remove what the tests left on this engine, then its networks, first.
        let host = format!("unix://{}", self.socket.display());
        let docker = |args: &[&str]| {
            Command::new("docker")
                .arg("-H")
                .arg(&host)
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .output()
        };
        if let Ok(listed) = docker(&["ps", "-aq"]) {
            let ids: Vec<String> = String::from_utf8_lossy(&listed.stdout)
                .split_whitespace()
                .map(str::to_string)
                .collect();
            if !ids.is_empty() {
                let mut args = vec!["rm", "-f"];
                args.extend(ids.iter().map(String::as_str));
                let _ = docker(&args);
            }
        }
        let _ = docker(&["network", "prune", "-f"]);
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Mounts under exec-root/data-root are gone once dockerd exits; remove what is left.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish() & 0xff_ffff
}

fn ca(name: &str) -> anyhow::Result<CertifiedIssuer<'static, KeyPair>> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ok(CertifiedIssuer::self_signed(params, KeyPair::generate()?)?)
}

fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    name: &str,
    server: bool,
    dir: &Path,
) -> anyhow::Result<()> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if server {
        params.subject_alt_names = vec![
            SanType::IpAddress("127.0.0.1".parse()?),
            SanType::DnsName("localhost".try_into()?),
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    } else {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    }
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;
    std::fs::write(dir.join("cert.pem"), cert.pem())?;
    std::fs::write(dir.join("key.pem"), key.serialize_pem())?;
    Ok(())
}

/// Writes the client's `ca.pem`/`cert.pem`/`key.pem` into `client_dir`, a foreign client's
/// into `foreign_dir`, and returns the engine's files (in `client_dir/server`).
fn generate_certificates(client_dir: &Path, foreign_dir: &Path) -> anyhow::Result<TlsFiles> {
    let authority = ca("windflow test CA")?;
    std::fs::write(client_dir.join("ca.pem"), authority.pem())?;
    let server_dir = client_dir.join("server");
    std::fs::create_dir_all(&server_dir)?;
    leaf(&authority, "windflow test engine", true, &server_dir)?;
    leaf(&authority, "windflow test client", false, client_dir)?;
    let other = ca("some other CA")?;
    std::fs::write(foreign_dir.join("ca.pem"), other.pem())?;
    leaf(&other, "foreign client", false, foreign_dir)?;
    Ok(TlsFiles {
        ca: client_dir.join("ca.pem"),
        cert: server_dir.join("cert.pem"),
        key: server_dir.join("key.pem"),
    })
}

/// Copies the test images from `source` into `target` through the Engine API.
pub async fn load_test_images(source: &Docker, target: &Docker) -> anyhow::Result<()> {
    crate::ensure_test_images(source).await?;
    let tarball: Vec<u8> = source
        .export_images(&[crate::TEST_IMAGE, crate::TEST_IMAGE_ALT])
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await
        .context("exporting the test images")?;
    let mut load = target.import_image(
        bollard::query_parameters::ImportImageOptions::default(),
        bollard::body_full(tarball.into()),
        None,
    );
    while let Some(progress) = load.next().await {
        let progress = progress.context("loading the test images into the TLS engine")?;
        if let Some(error) = progress.error_detail.and_then(|e| e.message) {
            bail!("loading the test images: {error}");
        }
    }
    Ok(())
}
