//! A real SMTP server for tests: aiosmtpd (Python) on loopback, in plain, STARTTLS or
//! implicit-TLS mode, with or without SMTP AUTH, printing each message it accepts.
//!
//! It runs from the venv that `scripts/ensure-aiosmtpd.sh` creates (or the python named by
//! `WINDFLOW_AIOSMTPD_PYTHON`). Without it [`aiosmtpd_python`] panics, telling to run the
//! script; `WINDFLOW_SKIP_SMTP_TESTS=1` makes it return `None` on a developer's machine.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The sink: an aiosmtpd server on 127.0.0.1 and a free port (printed as `READY <port>`), that
/// prints each message it accepts as `MAIL <json>`. Configured by one JSON argument:
/// `security` (none | starttls | tls), `cert`/`key` (PEM files), `user`/`password` (AUTH
/// required when set, allowed without TLS).
const SINK: &str = r#"
import asyncio, json, logging, ssl, sys, warnings
warnings.filterwarnings("ignore")
logging.getLogger("mail.log").setLevel(logging.CRITICAL)
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

cfg = json.loads(sys.argv[1])

class Handler:
    async def handle_DATA(self, server, session, envelope):
        content = envelope.content
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="replace")
        login = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode()
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                  "data": content, "login": login, "tls": tls}
        print("MAIL " + json.dumps(record), flush=True)
        return "250 2.0.0 Message accepted"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login.decode() == cfg["user"]
          and auth_data.password.decode() == cfg["password"])
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

async def main():
    loop = asyncio.get_running_loop()
    context = None
    if cfg.get("cert"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cfg["cert"], cfg["key"])
    options = dict(hostname="sink.test", auth_require_tls=False, loop=loop)
    if cfg.get("user"):
        options.update(authenticator=authenticator, auth_required=True)
    if cfg["security"] == "starttls":
        options.update(tls_context=context, require_starttls=True)
    server = await loop.create_server(
        lambda: SMTP(Handler(), **options), host="127.0.0.1", port=0,
        ssl=context if cfg["security"] == "tls" else None)
    print("READY %d" % server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"#;

/// The venv's python, or `None` when the developer skips SMTP tests. Panics with what to do
/// when aiosmtpd is not installed.
pub fn aiosmtpd_python() -> Option<PathBuf> {
    if std::env::var("WINDFLOW_SKIP_SMTP_TESTS").as_deref() == Ok("1") {
        eprintln!("WINDFLOW_SKIP_SMTP_TESTS=1: skipping the SMTP test");
        return None;
    }
    if let Some(python) = std::env::var_os("WINDFLOW_AIOSMTPD_PYTHON") {
        let python = PathBuf::from(python);
        assert!(
            python.exists(),
            "WINDFLOW_AIOSMTPD_PYTHON={} does not exist: run scripts/ensure-aiosmtpd.sh",
            python.display()
        );
        return Some(python);
    }
    let cache = std::env::var_os("WINDFLOW_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("windflow")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/windflow")))
        .expect("HOME is not set");
    let python = cache.join("aiosmtpd/venv/bin/python");
    assert!(
        python.exists(),
        "the SMTP tests need aiosmtpd, and {} does not exist: run scripts/ensure-aiosmtpd.sh \
         (or set WINDFLOW_AIOSMTPD_PYTHON to a python that imports aiosmtpd, or \
         WINDFLOW_SKIP_SMTP_TESTS=1 to skip them locally)",
        python.display()
    );
    Some(python)
}

pub struct Sink {
    pub port: u16,
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    _dir: tempfile::TempDir,
}

impl Sink {
    pub async fn start(python: &PathBuf, security: &str, auth: Option<(&str, &str)>) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        let mut config = json!({"security": security, "cert": cert, "key": key});
        if let Some((user, password)) = auth {
            config["user"] = json!(user);
            config["password"] = json!(password);
        }
        let mut child = Command::new(python)
            .arg("-c")
            .arg(SINK)
            .arg(config.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", python.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("aiosmtpd did not start within 20 s")
            .unwrap()
            .expect("aiosmtpd exited before it was ready (see its stderr above)");
        let port = ready
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the sink: {ready}"));
        Sink {
            port,
            child,
            lines,
            _dir: dir,
        }
    }

    /// The next message the sink accepted.
    pub async fn received(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), self.lines.next_line())
            .await
            .expect("no message reached the sink within 10 s")
            .unwrap()
            .expect("the sink exited");
        let record = line.strip_prefix("MAIL ").expect("a MAIL line");
        serde_json::from_str(record).unwrap()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
