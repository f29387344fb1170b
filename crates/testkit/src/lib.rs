//! Test harness for WindFlow's integration tests and benchmarks.
//!
//! Integration tests run the real `windflow` binary against a real Docker engine. This crate
//! holds what every such test needs: a connected engine client ([`docker`]), the local test
//! image ([`TEST_IMAGE`], built by `scripts/ensure-test-images.sh`), project names that never
//! collide ([`unique_project`]), cleanup of everything a test created ([`remove_project`],
//! [`ProjectGuard`]), free loopback ports ([`free_port`]), a tiny loopback HTTP client
//! ([`http_get`]) and the path of the built binary ([`windflow_bin`]).
//!
//! Invariants:
//! - A missing engine is a failure, never a silent pass: [`docker`] panics with the command
//!   that fixes it. Only [`docker_or_skip`] skips, and only when `WINDFLOW_SKIP_DOCKER_TESTS=1`
//!   is set by a developer; `.ci/run` never sets it.
//! - Everything a test creates carries the label `com.docker.compose.project=<project>`, and
//!   cleanup finds resources by that label alone, so it also removes what a crashed test
//!   left behind under the same name. Cleanup never touches unlabelled resources.
//! - No registry is needed: tests use only images built locally from Debian's busybox-static.
//! - Apart from [`conformance`] (the Driver suite, which drives `windflow_engine::driver::Driver`
//!   and builds `windflow_domain` stacks), the crate sees the system under test only from
//!   outside: its binary, the engine, and the network. [`sshd`] and [`tls_engine`] run the real
//!   OpenSSH server and a second real dockerd for the remote transports. [`dns`] runs Knot
//!   and PowerDNS and hands out `windflow_dns` providers pointed at them (shared by the dns
//!   crate's tests and the server's).
//! - [`s3`] runs SeaweedFS's S3 gateway (`weed server`, from `scripts/ensure-backup-tools.sh`)
//!   on loopback ports with random credentials, for the backup tests' repositories.
//! - [`runtime_image`] runs a host-built binary in containers (its libraries in a `FROM
//!   scratch` image, the binary bind-mounted), for agents on private Docker networks.

pub mod conformance;
pub mod dns;
pub mod kube;
pub mod oidc;
pub mod openai;
pub mod pebble;
pub mod postgres;
pub mod runtime_image;
pub mod s3;
pub mod server;
pub mod smtp;
pub mod sshd;
pub mod swarm;
pub mod tls_engine;

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use bollard::Docker;
use bollard::models::{ContainerSummary, NetworkDisconnectRequest};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The everyday test image: Debian's static busybox with its applets (`sh`, `httpd`, `wget`,
/// `nc`, `sleep`, …), `/tmp`, and users `root` and `nobody`. Default command: `sh`.
pub const TEST_IMAGE: &str = "windflow-test/busybox:latest";

/// [`TEST_IMAGE`] with different content (it adds `/etc/windflow-variant` and a different
/// `/var/www/index.html`), for tests that change a service's image.
pub const TEST_IMAGE_ALT: &str = "windflow-test/busybox:alt";

/// The label that ties containers, networks and volumes to a project (compose-compatible).
pub const PROJECT_LABEL: &str = "com.docker.compose.project";

/// Set to `1` to make [`docker_or_skip`] skip Docker-backed tests locally.
pub const SKIP_DOCKER_TESTS_ENV: &str = "WINDFLOW_SKIP_DOCKER_TESTS";

const UNREACHABLE_MESSAGE: &str = "Docker engine not reachable: run scripts/ensure-docker.sh";

/// How long [`docker`] waits for the engine's `/_ping` before giving up.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to the engine named by `DOCKER_HOST`, or the local socket, and pings it.
///
/// # Panics
/// When the engine does not answer, with "Docker engine not reachable: run
/// scripts/ensure-docker.sh" and the underlying error.
pub async fn docker() -> Docker {
    match connect_docker().await {
        Ok(docker) => docker,
        Err(error) => panic!("{UNREACHABLE_MESSAGE} ({error:#})"),
    }
}

/// Like [`docker`], but returns `None` (and says so on stderr) when the developer has set
/// `WINDFLOW_SKIP_DOCKER_TESTS=1`. Without that variable an unreachable engine still panics.
pub async fn docker_or_skip() -> Option<Docker> {
    if skip_docker_tests() {
        eprintln!("skipping: {SKIP_DOCKER_TESTS_ENV}=1 is set (CI never sets it)");
        return None;
    }
    Some(docker().await)
}

/// Whether the developer asked to skip Docker-backed tests.
pub fn skip_docker_tests() -> bool {
    std::env::var(SKIP_DOCKER_TESTS_ENV).is_ok_and(|value| value == "1")
}

/// Connects and pings, returning the error instead of panicking.
pub async fn connect_docker() -> anyhow::Result<Docker> {
    let docker = Docker::connect_with_defaults().context("configuring the Docker client")?;
    tokio::time::timeout(PING_TIMEOUT, docker.ping())
        .await
        .map_err(|_| anyhow!("no answer to /_ping within {PING_TIMEOUT:?}"))?
        .context("pinging the Docker engine")?;
    Ok(docker)
}

/// A project name unique to this test run: the sanitized `prefix`, then the process id, a
/// per-process counter and a random suffix, e.g. `up-scale-4242-3-9f1c2a`.
///
/// The result is lowercase and matches compose's project-name rule `[a-z0-9][a-z0-9_-]*`.
pub fn unique_project(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_start_matches(['-', '_']).to_string();
    if name.is_empty() {
        name.push_str("wf");
    }
    format!(
        "{name}-{}-{count}-{:06x}",
        std::process::id(),
        random_u64() & 0xff_ffff
    )
}

/// A random number from std's per-process hasher keys mixed with the clock and a counter.
pub(crate) fn random_u64() -> u64 {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hasher.write_u128(nanos);
    hasher.write_u64(SEQUENCE.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

fn label_filter(project: &str) -> std::collections::HashMap<&'static str, Vec<String>> {
    std::collections::HashMap::from([("label", vec![format!("{PROJECT_LABEL}={project}")])])
}

/// All containers (running or not) labelled with `project`.
pub async fn list_project_containers(
    docker: &Docker,
    project: &str,
) -> anyhow::Result<Vec<ContainerSummary>> {
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&label_filter(project))
        .build();
    docker
        .list_containers(Some(options))
        .await
        .with_context(|| format!("listing containers of project {project}"))
}

/// Force-removes every container (with its anonymous volumes), network and volume labelled
/// `com.docker.compose.project=<project>`. Resources that vanish meanwhile are not errors.
pub async fn remove_project(docker: &Docker, project: &str) -> anyhow::Result<()> {
    let containers = list_project_containers(docker, project).await?;
    let removals = containers.iter().filter_map(|c| c.id.as_deref()).map(|id| {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        async move {
            match docker.remove_container(id, Some(options)).await {
                Ok(()) => Ok(()),
                Err(error) if is_not_found(&error) || is_removal_in_progress(&error) => Ok(()),
                Err(error) => Err(anyhow!(error).context(format!("removing container {id}"))),
            }
        }
    });
    // Every removal runs to completion (no early exit that would drop requests in flight).
    let outcomes = futures::future::join_all(removals).await;
    if let Some(error) = outcomes.into_iter().find_map(Result::err) {
        return Err(error);
    }
    let container_names: Vec<String> = containers
        .iter()
        .flat_map(|c| c.names.clone().unwrap_or_default())
        .map(|name| name.trim_start_matches('/').to_string())
        .collect();

    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&label_filter(project))
                .build(),
        ))
        .await
        .with_context(|| format!("listing networks of project {project}"))?;
    for network in networks {
        let Some(id) = network.id.as_deref() else {
            continue;
        };
        remove_network(
            docker,
            id,
            network.name.as_deref().unwrap_or(id),
            &container_names,
        )
        .await?;
    }

    let volumes = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&label_filter(project))
                .build(),
        ))
        .await
        .with_context(|| format!("listing volumes of project {project}"))?;
    for volume in volumes.volumes.unwrap_or_default() {
        let options = RemoveVolumeOptionsBuilder::default().force(true).build();
        match docker.remove_volume(&volume.name, Some(options)).await {
            Ok(()) => {}
            Err(error) if is_not_found(&error) => {}
            Err(error) => {
                return Err(anyhow!(error).context(format!("removing volume {}", volume.name)));
            }
        }
    }
    Ok(())
}

/// Removes a network, riding out the moment after its containers are removed when the
/// engine still counts their endpoints as active: force-disconnects the removed containers'
/// endpoints and retries for a few seconds before giving up.
async fn remove_network(
    docker: &Docker,
    id: &str,
    name: &str,
    removed_containers: &[String],
) -> anyhow::Result<()> {
    let mut attempt = 0;
    loop {
        match docker.remove_network(id).await {
            Ok(()) => return Ok(()),
            Err(error) if is_not_found(&error) => return Ok(()),
            Err(error) if attempt < 10 && is_active_endpoints(&error) => {
                attempt += 1;
                for container in removed_containers {
                    let request = NetworkDisconnectRequest {
                        container: container.clone(),
                        force: Some(true),
                    };
                    // Best effort: most of these endpoints are already gone.
                    let _ = docker.disconnect_network(id, request).await;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(error) => {
                return Err(anyhow!(error).context(format!("removing network {name}")));
            }
        }
    }
}

fn is_active_endpoints(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError { status_code: 403, message }
            if message.contains("active endpoints")
    )
}

fn is_removal_in_progress(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError { status_code: 409, message }
            if message.contains("already in progress")
    )
}

fn is_not_found(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Removes a project's resources when dropped, including when the test panics.
///
/// Drop may run inside a tokio runtime (an async test) where blocking on that runtime is
/// forbidden, so cleanup runs on a fresh std thread with its own current-thread runtime,
/// and Drop waits for it. Cleanup errors are printed, never raised: a panic in Drop while
/// unwinding would abort the test binary. Set `WINDFLOW_KEEP_TEST_PROJECTS=1` to keep the
/// resources for inspection.
#[derive(Debug)]
pub struct ProjectGuard {
    project: String,
}

impl ProjectGuard {
    /// Guards `project`; create the guard before creating anything in the project.
    pub fn new(project: impl Into<String>) -> Self {
        Self {
            project: project.into(),
        }
    }

    /// A guard for a fresh [`unique_project`] name.
    pub fn unique(prefix: &str) -> Self {
        Self::new(unique_project(prefix))
    }

    /// The guarded project name.
    pub fn project(&self) -> &str {
        &self.project
    }
}

impl Drop for ProjectGuard {
    fn drop(&mut self) {
        if std::env::var("WINDFLOW_KEEP_TEST_PROJECTS").is_ok_and(|value| value == "1") {
            eprintln!(
                "keeping project {} (WINDFLOW_KEEP_TEST_PROJECTS=1)",
                self.project
            );
            return;
        }
        let project = self.project.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => return Err(anyhow!(error).context("building a cleanup runtime")),
            };
            runtime.block_on(async {
                let docker = connect_docker().await?;
                remove_project(&docker, &project).await
            })
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("cleanup of project {} failed: {error:#}", self.project),
            Err(_) => eprintln!("cleanup of project {} panicked", self.project),
        }
    }
}

/// The gateway's test image (Caddy from Debian's package, `FROM scratch`), built by
/// `scripts/ensure-gateway-image.sh` when missing; its tag.
pub fn gateway_test_image() -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/ensure-gateway-image.sh");
    let output = std::process::Command::new(&script)
        .output()
        .expect("running scripts/ensure-gateway-image.sh");
    assert!(
        output.status.success(),
        "scripts/ensure-gateway-image.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The TCP (layer-4) gateway's test image (HAProxy from Debian's package, `FROM scratch`),
/// built by `scripts/ensure-gateway-tcp-image.sh` when missing; its tag.
pub fn gateway_tcp_test_image() -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/ensure-gateway-tcp-image.sh");
    let output = std::process::Command::new(&script)
        .output()
        .expect("running scripts/ensure-gateway-tcp-image.sh");
    assert!(
        output.status.success(),
        "scripts/ensure-gateway-tcp-image.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed
/// out before. Another process may still take it before the test binds it; that race is
/// inherent to picking ports up front and is rare on a CI machine.
pub fn free_port() -> u16 {
    static HANDED_OUT: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let handed_out = HANDED_OUT.get_or_init(|| Mutex::new(HashSet::new()));
    for _ in 0..100 {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("binding 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("local address of a bound listener")
            .port();
        let mut handed_out = handed_out.lock().unwrap_or_else(|e| e.into_inner());
        if handed_out.insert(port) {
            return port;
        }
    }
    panic!("no free loopback port after 100 attempts")
}

/// `GET url` over HTTP/1.0 on loopback, retried until a complete response arrives or
/// `timeout` passes (for services that are still starting). Returns status and body.
///
/// Only `http://` URLs on `127.0.0.1`, `localhost` or `[::1]` are accepted: tests reach
/// published ports, never the network.
pub async fn http_get(url: &str, timeout: Duration) -> anyhow::Result<(u16, String)> {
    let target = LoopbackUrl::parse(url)?;
    let deadline = Instant::now() + timeout;
    let mut last_error;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, http_get_once(&target)).await {
            Ok(Ok(response)) => return Ok(response),
            Ok(Err(error)) => last_error = error,
            Err(_) => last_error = anyhow!("no complete response"),
        }
        if Instant::now() + Duration::from_millis(100) >= deadline {
            return Err(last_error.context(format!("GET {url} failed for {timeout:?}")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[derive(Debug, PartialEq)]
struct LoopbackUrl {
    host: String,
    port: u16,
    path: String,
}

impl LoopbackUrl {
    fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("http://")
            .with_context(|| format!("{url}: only http:// URLs are supported"))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rfind(':') {
            Some(colon) if !authority[colon..].contains(']') => {
                let port = authority[colon + 1..]
                    .parse()
                    .with_context(|| format!("{url}: bad port"))?;
                (&authority[..colon], port)
            }
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if !matches!(host, "127.0.0.1" | "localhost" | "::1") {
            bail!("{url}: http_get only talks to loopback (127.0.0.1, localhost, [::1])");
        }
        Ok(Self {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }
}

async fn http_get_once(target: &LoopbackUrl) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .with_context(|| format!("connecting to {}:{}", target.host, target.port))?;
    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {}:{}\r\nConnection: close\r\n\r\n",
        target.path, target.host, target.port
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_http_response(&raw)
}

fn parse_http_response(raw: &[u8]) -> anyhow::Result<(u16, String)> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("incomplete HTTP response (no end of headers)")?;
    let status_line = head.lines().next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("bad HTTP status line {status_line:?}"))?;
    Ok((status, body.to_string()))
}

/// The workspace root (the directory holding `scripts/` and the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/testkit sits two levels below the workspace root")
        .to_path_buf()
}

/// The built `windflow` binary; panics with the build command when there is none.
///
/// The cli crate's tests should pass `option_env!("CARGO_BIN_EXE_windflow")` to
/// [`locate_windflow_bin`] instead, which always names the binary cargo just built.
pub fn windflow_bin() -> PathBuf {
    locate_windflow_bin(None).unwrap_or_else(|error| panic!("{error:#}"))
}

/// Finds the `windflow` binary: `explicit` if given, else `$WINDFLOW_BIN`, else the newest of
/// `windflow` under `$CARGO_TARGET_DIR` or the workspace's `target/`, in `debug/` or `release/`.
pub fn locate_windflow_bin(explicit: Option<&str>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return existing_file(PathBuf::from(path));
    }
    if let Some(path) = std::env::var_os("WINDFLOW_BIN") {
        return existing_file(PathBuf::from(path)).context("$WINDFLOW_BIN");
    }
    let mut target_dirs = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        target_dirs.push(if dir.is_relative() {
            workspace_root().join(dir)
        } else {
            dir
        });
    }
    target_dirs.push(workspace_root().join("target"));
    let newest = target_dirs
        .iter()
        .flat_map(|dir| ["debug", "release"].map(|profile| dir.join(profile).join("windflow")))
        .filter_map(|path| {
            let modified = path.metadata().ok()?.modified().ok()?;
            path.is_file().then_some((modified, path))
        })
        .max_by_key(|(modified, _)| *modified);
    match newest {
        Some((_, path)) => Ok(path),
        None => bail!(
            "windflow binary not found in {}: run `cargo build -p windflow-cli` or set WINDFLOW_BIN",
            target_dirs
                .iter()
                .map(|dir| dir.display().to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

fn existing_file(path: PathBuf) -> anyhow::Result<PathBuf> {
    if path.is_file() {
        Ok(path)
    } else {
        bail!("{} is not a file", path.display())
    }
}

/// Makes sure [`TEST_IMAGE`] and [`TEST_IMAGE_ALT`] exist, running
/// `scripts/ensure-test-images.sh` when either is missing. Safe to call from every test:
/// after the first check it costs two image inspections.
pub async fn ensure_test_images(docker: &Docker) -> anyhow::Result<()> {
    static BUILD_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    if images_present(docker).await {
        return Ok(());
    }
    let _build = BUILD_LOCK.lock().await;
    if images_present(docker).await {
        return Ok(());
    }
    let script = workspace_root().join("scripts/ensure-test-images.sh");
    let output = tokio::process::Command::new("bash")
        .arg(&script)
        .current_dir(workspace_root())
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}):\n{}{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    if !images_present(docker).await {
        bail!(
            "{} succeeded but {TEST_IMAGE} or {TEST_IMAGE_ALT} is still missing",
            script.display()
        );
    }
    Ok(())
}

async fn images_present(docker: &Docker) -> bool {
    docker.inspect_image(TEST_IMAGE).await.is_ok()
        && docker.inspect_image(TEST_IMAGE_ALT).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_project_is_a_valid_lowercase_compose_name() {
        let a = unique_project("Up Scale/Test");
        let b = unique_project("Up Scale/Test");
        assert_ne!(a, b);
        assert!(a.starts_with("up-scale-test-"), "{a}");
        let first = a.chars().next().unwrap();
        assert!(first.is_ascii_lowercase() || first.is_ascii_digit(), "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'),
            "{a}"
        );
        assert!(unique_project("--").starts_with("wf-"));
    }

    #[test]
    fn free_port_never_repeats_within_a_process() {
        let ports: HashSet<u16> = (0..50).map(|_| free_port()).collect();
        assert_eq!(ports.len(), 50);
    }

    fn check_url(url: &str, expected: Option<(&str, u16, &str)>) {
        let parsed = LoopbackUrl::parse(url).ok();
        let expected = expected.map(|(host, port, path)| LoopbackUrl {
            host: host.to_string(),
            port,
            path: path.to_string(),
        });
        assert_eq!(parsed, expected, "{url}");
    }

    #[test]
    fn loopback_urls_parse_and_others_are_refused() {
        check_url(
            "http://127.0.0.1:8080/x?y=1",
            Some(("127.0.0.1", 8080, "/x?y=1")),
        );
        check_url("http://localhost:81", Some(("localhost", 81, "/")));
        check_url("http://[::1]:9000/", Some(("::1", 9000, "/")));
        check_url("http://localhost/", Some(("localhost", 80, "/")));
        check_url("http://example.com:80/", None);
        check_url("https://127.0.0.1/", None);
        check_url("http://127.0.0.1:notaport/", None);
    }

    #[test]
    fn http_responses_parse() {
        let ok = parse_http_response(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nhello");
        assert_eq!(ok.unwrap(), (200, "hello".to_string()));
        assert!(parse_http_response(b"HTTP/1.0 200 OK\r\n").is_err());
        assert!(parse_http_response(b"garbage\r\n\r\n").is_err());
    }

    #[tokio::test]
    async fn http_get_serves_a_local_listener_and_times_out_on_a_closed_port() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await.unwrap();
            socket
                .write_all(b"HTTP/1.0 404 Not Found\r\n\r\nnope")
                .await
                .unwrap();
        });
        let response = http_get(
            &format!("http://127.0.0.1:{port}/missing"),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(response, (404, "nope".to_string()));

        let closed = free_port();
        let started = Instant::now();
        let error = http_get(
            &format!("http://127.0.0.1:{closed}/"),
            Duration::from_millis(400),
        )
        .await
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "{error:#}");
    }
}
