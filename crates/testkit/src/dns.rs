//! Real DNS servers from Debian's packages (installed by scripts/ensure-dns.sh), each a child
//! of the test on free loopback ports with a generated config in a temporary directory, and
//! the command-line tools a user would check the result with (dig, delv, keymgr, pdnsutil).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use tempfile::TempDir;
use windflow_dns::{
    DomainName, PowerDnsConfig, PowerDnsProvider, Rfc2136Config, Rfc2136Provider, Secret,
    TsigAlgorithm, TsigKey,
};

pub const SKIP_ENV: &str = "WINDFLOW_SKIP_DNS_TESTS";

/// False (and a note) when the developer set WINDFLOW_SKIP_DNS_TESTS=1 outside CI; otherwise
/// every binary must be there, or the test fails saying how to install it.
pub fn dns_tests_enabled(binaries: &[&str]) -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !ci && std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!("skipping: {SKIP_ENV}=1 is set (CI never skips)");
        return false;
    }
    for binary in binaries {
        assert!(
            find_binary(binary).is_some(),
            "{binary} is missing: run scripts/ensure-dns.sh (it installs Debian's knot, \
             knot-dnsutils, pdns-server, pdns-backend-sqlite3, bind9-dnsutils, bind9-utils and \
             sqlite3), or set {SKIP_ENV}=1 to skip the DNS tests locally"
        );
    }
    true
}

fn find_binary(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.exists())
}

fn binary(name: &str) -> PathBuf {
    find_binary(name).unwrap_or_else(|| panic!("{name} is missing: run scripts/ensure-dns.sh"))
}

/// A loopback port free for both TCP and UDP right now.
pub fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A fresh TSIG secret (32 random bytes, base64).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn name(text: &str) -> DomainName {
    DomainName::parse(text).unwrap()
}

/// Runs a command, panicking with its output when it fails; returns stdout.
pub fn run(command: &mut Command) -> String {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `dig @127.0.0.1 -p PORT +short NAME TYPE`, the answer's lines sorted.
pub fn dig(port: u16, name: &str, record_type: &str) -> Vec<String> {
    let out = run(Command::new(binary("dig")).args([
        "@127.0.0.1",
        "-p",
        &port.to_string(),
        "+short",
        "+norecurse",
        "+tries=3",
        "+time=2",
        name,
        record_type,
    ]));
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// `delv` with a static DS trust anchor for `zone`: its full output (the last line says
/// "; fully validated" when the chain checks).
pub fn delv(dir: &Path, port: u16, zone: &str, ds: &str, name: &str, record_type: &str) -> String {
    let mut parts = ds.split_whitespace();
    let (tag, algorithm, digest_type) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let digest: String = parts.collect();
    let anchors = dir.join("anchors.conf");
    std::fs::write(
        &anchors,
        format!(
            "trust-anchors {{ {zone} static-ds {tag} {algorithm} {digest_type} \"{digest}\"; }};\n"
        ),
    )
    .unwrap();
    let output = Command::new(binary("delv"))
        .arg("@127.0.0.1")
        .args(["-p", &port.to_string(), "-a"])
        .arg(&anchors)
        .arg(format!("+root={zone}"))
        .args([name, record_type])
        .stdin(Stdio::null())
        .output()
        .expect("running delv");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn wait_for(what: &str, child: &mut Child, log: &Path, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if ready() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited with {status} before it was ready:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} was not ready within 20 s:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn spawn_logged(command: &mut Command, log: &Path) -> Child {
    let file = std::fs::File::create(log).unwrap();
    command
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {command:?}: {e}"))
}

/// A zone file's text: SOA, NS and a record a user created by hand (`existing A 192.0.2.99`).
fn zone_file(zone: &str) -> String {
    format!(
        "$ORIGIN {zone}.\n$TTL 300\n\
         @ SOA ns1 hostmaster 1 3600 900 604800 300\n\
         @ NS ns1\n\
         ns1 A 127.0.0.1\n\
         existing A 192.0.2.99\n\
         existing TXT \"made by hand\"\n"
    )
}

/// knotd serving `example.test` (unsigned) and `signed.test` (signed automatically with an
/// ECDSA P-256 policy), both updatable and transferable with the TSIG key `windflow`.
pub struct Knot {
    child: Child,
    pub dir: TempDir,
    pub port: u16,
    pub secret: String,
    pub conf: PathBuf,
}

pub const KNOT_KEY: &str = "windflow";
/// A second key with the same secret and HMAC-SHA512.
pub const KNOT_KEY_512: &str = "windflow-sha512";

impl Knot {
    pub fn start() -> Self {
        Self::start_with("")
    }

    /// Like `start`, with `extra` zone-file lines appended to `example.test`.
    pub fn start_with(extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let secret = random_secret();
        let path = dir.path().display().to_string();
        for zone in ["example.test", "signed.test"] {
            let mut text = zone_file(zone);
            if zone == "example.test" {
                text.push_str(extra);
            }
            std::fs::write(dir.path().join(format!("{zone}.zone")), text).unwrap();
        }
        let conf = dir.path().join("knot.conf");
        std::fs::write(
            &conf,
            format!(
                "server:\n    listen: 127.0.0.1@{port}\n    rundir: {path}\n\
                 database:\n    storage: {path}\n\
                 key:\n  - id: {KNOT_KEY}\n    algorithm: hmac-sha256\n    secret: {secret}\n  - id: {KNOT_KEY_512}\n    algorithm: hmac-sha512\n    secret: {secret}\n\
                 acl:\n  - id: windflow\n    key: [{KNOT_KEY}, {KNOT_KEY_512}]\n    action: [update, transfer]\n\
                 policy:\n  - id: ecdsa\n    algorithm: ecdsap256sha256\n\
                 template:\n  - id: default\n    storage: {path}\n    file: \"%s.zone\"\n    acl: windflow\n\
                 zone:\n  - domain: example.test\n  - domain: signed.test\n    dnssec-signing: on\n    dnssec-policy: ecdsa\n\
                 log:\n  - target: stderr\n    any: info\n"
            ),
        )
        .unwrap();
        let log = dir.path().join("knotd.log");
        let mut child = spawn_logged(Command::new(binary("knotd")).arg("-c").arg(&conf), &log);
        wait_for("knotd", &mut child, &log, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && !dig(port, "signed.test", "DNSKEY").is_empty()
                && !dig(port, "example.test", "SOA").is_empty()
        });
        Self {
            child,
            dir,
            port,
            secret,
            conf,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn provider_with(&self, key_name: &str, secret: &str) -> Rfc2136Provider {
        let algorithm = if key_name == KNOT_KEY_512 {
            TsigAlgorithm::HmacSha512
        } else {
            TsigAlgorithm::HmacSha256
        };
        let mut config = Rfc2136Config::new(
            self.addr(),
            TsigKey {
                name: key_name.to_string(),
                algorithm,
                secret: Secret::new(secret),
            },
        );
        config.timeout = Duration::from_secs(5);
        Rfc2136Provider::new(config).unwrap()
    }

    pub fn provider(&self) -> Rfc2136Provider {
        self.provider_with(KNOT_KEY, &self.secret)
    }

    /// `keymgr -c knot.conf ZONE ds`: the DS lines Knot computes (`zone. DS tag alg 2 hex`).
    pub fn keymgr_ds(&self, zone: &str) -> Vec<String> {
        run(Command::new(binary("keymgr"))
            .arg("-c")
            .arg(&self.conf)
            .args([zone, "ds"]))
        .lines()
        .map(str::to_string)
        .collect()
    }
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// pdns_server with the gsqlite3 backend (DNSSEC enabled in the backend) and the HTTP API on
/// loopback. Zones are created through the API by [`PowerDns::create_zone`].
pub struct PowerDns {
    child: Child,
    pub dir: TempDir,
    pub port: u16,
    pub api_port: u16,
    pub api_key: String,
}

impl PowerDns {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let database = dir.path().join("pdns.sqlite3");
        let schema = "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql";
        let schema_sql = std::fs::read_to_string(schema)
            .unwrap_or_else(|e| panic!("{schema}: {e}; run scripts/ensure-dns.sh"));
        let mut sqlite = Command::new(binary("sqlite3"))
            .arg(&database)
            .stdin(Stdio::piped())
            .spawn()
            .expect("running sqlite3");
        use std::io::Write;
        sqlite
            .stdin
            .take()
            .unwrap()
            .write_all(schema_sql.as_bytes())
            .unwrap();
        assert!(sqlite.wait().unwrap().success(), "creating the schema");
        let port = free_port();
        let api_port = free_port();
        let api_key = random_secret();
        std::fs::write(
            dir.path().join("pdns.conf"),
            format!(
                "launch=gsqlite3\n\
                 gsqlite3-database={database}\n\
                 gsqlite3-dnssec=yes\n\
                 local-address=127.0.0.1\n\
                 local-port={port}\n\
                 webserver=yes\n\
                 webserver-address=127.0.0.1\n\
                 webserver-port={api_port}\n\
                 webserver-allow-from=127.0.0.0/8\n\
                 api=yes\n\
                 api-key={api_key}\n\
                 socket-dir={path}\n\
                 guardian=no\n\
                 daemon=no\n\
                 disable-syslog=yes\n\
                 security-poll-suffix=\n\
                 dnsupdate=yes\n\
                 allow-dnsupdate-from=127.0.0.0/8\n\
                 allow-axfr-ips=127.0.0.0/8\n\
                 disable-axfr=no\n\
                 zone-metadata-cache-ttl=0\n\
                 cache-ttl=0\n\
                 negquery-cache-ttl=0\n\
                 query-cache-ttl=0\n",
                database = database.display(),
            ),
        )
        .unwrap();
        let log = dir.path().join("pdns.log");
        let mut child = spawn_logged(
            Command::new(binary("pdns_server")).arg(format!("--config-dir={path}")),
            &log,
        );
        wait_for("pdns_server", &mut child, &log, || {
            std::net::TcpStream::connect(("127.0.0.1", api_port)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Self {
            child,
            dir,
            port,
            api_port,
            api_key,
        }
    }

    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }

    pub fn provider_with(&self, api_key: &str) -> PowerDnsProvider {
        let mut config = PowerDnsConfig::new(self.api_url(), Secret::new(api_key));
        config.timeout = Duration::from_secs(5);
        PowerDnsProvider::new(config).unwrap()
    }

    pub fn provider(&self) -> PowerDnsProvider {
        self.provider_with(&self.api_key)
    }

    /// Creates a native zone with an NS record, as an operator would (through the API).
    pub async fn create_zone(&self, zone: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/servers/localhost/zones", self.api_url()))
            .header("X-API-Key", &self.api_key)
            .json(&serde_json::json!({
                "name": format!("{zone}."),
                "kind": "Native",
                "nameservers": [format!("ns1.{zone}.")],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }

    fn pdnsutil(&self, args: &[&str]) -> String {
        run(Command::new(binary("pdnsutil"))
            .arg(format!("--config-dir={}", self.dir.path().display()))
            .args(args))
    }

    /// An RFC 2136 provider for `zone`: a TSIG key imported with pdnsutil and allowed to
    /// update and transfer the zone (zone metadata), as an operator would set it up.
    pub fn rfc2136_provider(&self, zone: &str) -> Rfc2136Provider {
        let secret = random_secret();
        self.pdnsutil(&["import-tsig-key", "windflow", "hmac-sha256", &secret]);
        self.pdnsutil(&["set-meta", zone, "TSIG-ALLOW-DNSUPDATE", "windflow"]);
        self.pdnsutil(&["set-meta", zone, "TSIG-ALLOW-AXFR", "windflow"]);
        let mut config = Rfc2136Config::new(
            SocketAddr::from(([127, 0, 0, 1], self.port)),
            TsigKey {
                name: "windflow".into(),
                algorithm: TsigAlgorithm::HmacSha256,
                secret: Secret::new(secret),
            },
        );
        config.timeout = Duration::from_secs(5);
        Rfc2136Provider::new(config).unwrap()
    }

    /// `pdnsutil show-zone`'s DS lines for SHA-256 (`tag alg 2 hex`).
    pub fn pdnsutil_ds(&self, zone: &str) -> Vec<String> {
        run(Command::new(binary("pdnsutil"))
            .arg(format!("--config-dir={}", self.dir.path().display()))
            .args(["show-zone", zone]))
        .lines()
        .filter_map(|line| line.split(" IN DS ").nth(1))
        .map(|ds| ds.split(" ;").next().unwrap_or(ds).trim().to_string())
        .filter(|ds| ds.split_whitespace().nth(2) == Some("2"))
        .collect()
    }
}

impl Drop for PowerDns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
