//! A real ACME server for tests: Debian's `pebble`, with `pebble-challtestsrv` as the DNS
//! server it resolves names through (every name answers 127.0.0.1), one pair of processes
//! per [`Pebble`] on loopback ports picked here, killed on drop.
//!
//! Pebble validates HTTP-01 challenges by connecting to the name on its `httpPort`: give
//! [`Pebble::start_with`] the port a gateway under test listens on, and pebble reaches the
//! gateway. DNS-01 answers come from challtestsrv, driven through its management API
//! ([`Pebble::challtestsrv_url`]).
//!
//! Skipped only with `WINDFLOW_SKIP_ACME_TESTS=1` outside CI ([`pebble_tests_enabled`]); a
//! missing pebble fails with a pointer to `scripts/ensure-pebble.sh`.

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// Whether the pebble tests run here; panics (fails the test) when pebble is missing.
pub fn pebble_tests_enabled() -> bool {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !ci && std::env::var("WINDFLOW_SKIP_ACME_TESTS").as_deref() == Ok("1") {
        eprintln!("skipped: WINDFLOW_SKIP_ACME_TESTS=1");
        return false;
    }
    for binary in ["pebble", "pebble-challtestsrv"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {binary}")])
            .stdout(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            found,
            "{binary} is not installed: run scripts/ensure-pebble.sh (Debian's pebble package), \
             or set WINDFLOW_SKIP_ACME_TESTS=1 to skip these tests locally"
        );
    }
    true
}

/// Ports handed out in this process, so parallel tests never get the same one.
static TAKEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());

/// `n` distinct free TCP ports on loopback (held open together while picked). With
/// `udp_too`, the ports are free for UDP as well (challtestsrv's DNS listens on both).
pub fn free_ports(n: usize, udp_too: bool) -> Vec<u16> {
    let mut held = Vec::new();
    let mut held_udp = Vec::new();
    let mut ports = Vec::new();
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    while ports.len() < n {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let port = listener.local_addr().expect("a bound port").port();
        held.push(listener);
        if taken.contains(&port) {
            continue;
        }
        if udp_too {
            match UdpSocket::bind(("127.0.0.1", port)) {
                Ok(socket) => held_udp.push(socket),
                Err(_) => continue,
            }
        }
        taken.push(port);
        ports.push(port);
    }
    ports
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running pebble and its challenge test server.
pub struct Pebble {
    /// Holds the configuration, pebble's HTTPS key pair and the logs.
    pub dir: PathBuf,
    /// The ACME directory (`https://127.0.0.1:<port>/dir`).
    pub directory_url: String,
    /// Pebble's management API (roots, certificate status).
    pub management_url: String,
    /// challtestsrv's management API (`/set-txt`, `/clear-txt`, …).
    pub challtestsrv_url: String,
    /// Where pebble connects to validate HTTP-01 challenges.
    pub http_port: u16,
    /// The CA that signed pebble's own HTTPS certificate: what an ACME client must trust.
    pub https_root_pem: String,
    http: reqwest::Client,
    _processes: Vec<Killed>,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        self._processes.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Pebble {
    /// Starts pebble validating HTTP-01 on a free port of its own.
    pub async fn start() -> Pebble {
        Pebble::start_with(None).await
    }

    /// Starts pebble validating HTTP-01 challenges on `http_port` (a gateway's), or on a
    /// free port; tries again with fresh ports when a port picked as free was taken before
    /// the server bound it.
    pub async fn start_with(http_port: Option<u16>) -> Pebble {
        Pebble::start_resolving(http_port, None).await
    }

    /// Like [`Pebble::start_with`], with pebble resolving names (DNS-01 TXT records, HTTP-01
    /// hosts) through `dns_server` — an authoritative server of the test, such as Knot —
    /// instead of challtestsrv.
    pub async fn start_resolving(
        http_port: Option<u16>,
        dns_server: Option<std::net::SocketAddr>,
    ) -> Pebble {
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Pebble::try_start(http_port, dns_server).await {
                Ok(pebble) => return pebble,
                Err(failure) => failures.push(failure),
            }
        }
        panic!("pebble did not start:\n{}", failures.join("\n\n"));
    }

    async fn try_start(
        http_port: Option<u16>,
        dns_server: Option<std::net::SocketAddr>,
    ) -> Result<Pebble, String> {
        let dir = std::env::temp_dir().join(format!(
            "windflow-pebble-{}-{}",
            std::process::id(),
            free_ports(1, false)[0]
        ));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let (ca_pem, ca_issuer) = make_ca("pebble test HTTPS CA");
        let server_key = KeyPair::generate().expect("a key");
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("names");
        params.distinguished_name.push(DnType::CommonName, "pebble");
        let server_cert = params
            .signed_by(&server_key, &ca_issuer)
            .expect("signing pebble's certificate");
        let cert_path = dir.join("cert.pem");
        let key_path = dir.join("key.pem");
        std::fs::write(&cert_path, server_cert.pem()).map_err(|e| e.to_string())?;
        std::fs::write(&key_path, server_key.serialize_pem()).map_err(|e| e.to_string())?;

        let ports = free_ports(5, false);
        let (acme_port, management_port, challtest_port, tls_port) =
            (ports[0], ports[1], ports[2], ports[3]);
        let http_port = http_port.unwrap_or(ports[4]);
        let dns_port = free_ports(1, true)[0];
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{acme_port}"),
            "managementListenAddress": format!("127.0.0.1:{management_port}"),
            "certificate": cert_path,
            "privateKey": key_path,
            "httpPort": http_port,
            "tlsPort": tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        }});
        let config_path = dir.join("pebble-config.json");
        std::fs::write(&config_path, config.to_string()).map_err(|e| e.to_string())?;

        let log = |name: &str| std::fs::File::create(dir.join(name)).expect("a log file");
        let challtestsrv = Command::new("pebble-challtestsrv")
            .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{challtest_port}")])
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .stdout(log("challtestsrv.log"))
            .stderr(log("challtestsrv.err"))
            .spawn()
            .map_err(|e| format!("starting pebble-challtestsrv: {e}"))?;
        let mut processes = vec![Killed(challtestsrv)];
        let pebble = Command::new("pebble")
            .arg("-config")
            .arg(&config_path)
            .args([
                "-dnsserver",
                &dns_server.map_or_else(|| format!("127.0.0.1:{dns_port}"), |a| a.to_string()),
            ])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .current_dir(&dir)
            .stdout(log("pebble.log"))
            .stderr(log("pebble.err"))
            .spawn()
            .map_err(|e| format!("starting pebble: {e}"))?;
        processes.push(Killed(pebble));

        let deadline = Instant::now() + Duration::from_secs(20);
        for port in [acme_port, management_port, challtest_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                let exited = processes
                    .iter_mut()
                    .any(|p| matches!(p.0.try_wait(), Ok(Some(_))));
                if exited || Instant::now() > deadline {
                    let logs = logs(&dir);
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(format!(
                        "pebble or challtestsrv {} before listening on {port}:\n{logs}",
                        if exited { "exited" } else { "timed out" },
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let root = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("the CA's PEM");
        let http = reqwest::Client::builder()
            .tls_certs_only([root])
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTPS client");
        Ok(Pebble {
            directory_url: format!("https://127.0.0.1:{acme_port}/dir"),
            management_url: format!("https://127.0.0.1:{management_port}"),
            challtestsrv_url: format!("http://127.0.0.1:{challtest_port}"),
            http_port,
            https_root_pem: ca_pem,
            http,
            dir,
            _processes: processes,
        })
    }

    /// The root that signs issued certificates (regenerated at each pebble start).
    pub async fn issuing_root_pem(&self) -> String {
        let response = self
            .http
            .get(format!("{}/roots/0", self.management_url))
            .send()
            .await
            .expect("pebble's management API");
        assert!(response.status().is_success(), "{}", response.status());
        response.text().await.expect("the root's PEM")
    }

    /// Pebble's view of a certificate (`Status`: `Valid` or `Revoked`, `Reason`).
    pub async fn cert_status(&self, serial: &str) -> serde_json::Value {
        let serial = serial.trim_start_matches('0');
        self.http
            .get(format!(
                "{}/cert-status-by-serial/{serial}",
                self.management_url
            ))
            .send()
            .await
            .expect("pebble's management API")
            .json()
            .await
            .expect("a JSON status")
    }

    /// What pebble and challtestsrv printed, for failure messages.
    pub fn logs(&self) -> String {
        logs(&self.dir)
    }
}

fn logs(dir: &Path) -> String {
    [
        "pebble.log",
        "pebble.err",
        "challtestsrv.log",
        "challtestsrv.err",
    ]
    .iter()
    .map(|name| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        format!("--- {name}\n{text}")
    })
    .collect()
}

/// A self-signed CA: its PEM and what signs with it.
pub fn make_ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("a key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("self-signing");
    (cert.pem(), Issuer::new(params, key))
}
