//! E-mail deliveries to a real SMTP server: aiosmtpd (Python) on loopback, in plain, STARTTLS
//! and implicit-TLS modes, with and without SMTP AUTH.
//!
//! The server runs from the venv that `scripts/ensure-aiosmtpd.sh` creates (or the python named
//! by `WINDFLOW_AIOSMTPD_PYTHON`). Without it these tests fail, telling to run the script;
//! `WINDFLOW_SKIP_SMTP_TESTS=1` skips them on a developer's machine.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use windflow_notify::{Channel, Level, Message, Notifier, NotifyError, Security};

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
fn aiosmtpd_python() -> Option<PathBuf> {
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

struct Sink {
    port: u16,
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    _dir: tempfile::TempDir,
}

impl Sink {
    async fn start(python: &PathBuf, security: &str, auth: Option<(&str, &str)>) -> Sink {
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
    async fn received(&mut self) -> Value {
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

fn channel(port: u16, security: Security) -> Channel {
    Channel::Email {
        host: "127.0.0.1".into(),
        port,
        security,
        accept_invalid_certs: false,
        username: None,
        password: None,
        from: "WindFlow <windflow@example.com>".into(),
        to: vec![
            "ops@example.com".into(),
            "Dev Team <dev@example.com>".into(),
        ],
    }
}

fn message() -> Message {
    Message::new(
        Level::Failure,
        "Deployment of web failed",
        "Container web-1 exited with code 1.",
    )
    .field("Stack", "web")
    .link("https://windflow.example.com/deployments/42")
}

fn notifier() -> Notifier {
    Notifier::new(Duration::from_secs(15)).unwrap()
}

#[tokio::test]
async fn plain_smtp_delivers_a_text_message() {
    let Some(python) = aiosmtpd_python() else {
        return;
    };
    let mut sink = Sink::start(&python, "none", None).await;
    let delivery = notifier()
        .send(&channel(sink.port, Security::None), &message())
        .await
        .unwrap();
    assert_eq!(delivery.status, Some(250));
    let mail = sink.received().await;
    assert_eq!(mail["mail_from"], "windflow@example.com");
    assert_eq!(
        mail["rcpt_tos"],
        json!(["ops@example.com", "dev@example.com"])
    );
    assert_eq!(mail["tls"], false);
    assert_eq!(mail["login"], Value::Null);
    let data = mail["data"].as_str().unwrap();
    assert!(data.contains("Subject: Deployment of web failed"), "{data}");
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    assert!(
        data.contains("Container web-1 exited with code 1."),
        "{data}"
    );
    assert!(data.contains("Stack: web"), "{data}");
    assert!(
        data.contains("https://windflow.example.com/deployments/42"),
        "{data}"
    );
}

#[tokio::test]
async fn smtp_auth_sends_the_credentials_and_a_wrong_password_is_not_shown() {
    let Some(python) = aiosmtpd_python() else {
        return;
    };
    let mut sink = Sink::start(&python, "none", Some(("robot", "s3cret-smtp-pass"))).await;
    let mut good = channel(sink.port, Security::None);
    if let Channel::Email {
        username, password, ..
    } = &mut good
    {
        *username = Some("robot".into());
        *password = Some("s3cret-smtp-pass".into());
    }
    notifier().send(&good, &message()).await.unwrap();
    let mail = sink.received().await;
    assert_eq!(mail["login"], "robot");

    let mut bad = good.clone();
    if let Channel::Email { password, .. } = &mut bad {
        *password = Some("WRONG-smtp-pass".into());
    }
    let error = notifier().send(&bad, &message()).await.unwrap_err();
    assert!(matches!(error, NotifyError::Delivery { .. }), "{error:?}");
    let shown = format!("{error} {error:?}");
    eprintln!("wrong password: {error}");
    assert!(shown.contains("535"), "{shown}");
    assert!(!shown.contains("WRONG-smtp-pass"), "{shown}");
}

#[tokio::test]
async fn starttls_with_a_self_signed_certificate() {
    let Some(python) = aiosmtpd_python() else {
        return;
    };
    let mut sink = Sink::start(&python, "starttls", Some(("robot", "tls-pass"))).await;
    let mut channel = channel(sink.port, Security::Starttls);
    if let Channel::Email {
        username, password, ..
    } = &mut channel
    {
        *username = Some("robot".into());
        *password = Some("tls-pass".into());
    }
    // Verified by default: an unknown issuer is refused before anything is sent.
    let error = notifier().send(&channel, &message()).await.unwrap_err();
    assert!(matches!(error, NotifyError::Delivery { .. }), "{error:?}");
    eprintln!("self-signed, not accepted: {error}");
    assert!(!error.to_string().contains("tls-pass"));

    if let Channel::Email {
        accept_invalid_certs,
        ..
    } = &mut channel
    {
        *accept_invalid_certs = true;
    }
    notifier().send(&channel, &message()).await.unwrap();
    let mail = sink.received().await;
    assert_eq!(mail["tls"], true);
    assert_eq!(mail["login"], "robot");
}

#[tokio::test]
async fn starttls_is_required_when_asked_for() {
    let Some(python) = aiosmtpd_python() else {
        return;
    };
    // A server without STARTTLS: a starttls channel must not fall back to plain text.
    let sink = Sink::start(&python, "none", None).await;
    let error = notifier()
        .send(&channel(sink.port, Security::Starttls), &message())
        .await
        .unwrap_err();
    eprintln!("no STARTTLS offered: {error}");
    assert!(matches!(error, NotifyError::Delivery { .. }), "{error:?}");
}

#[tokio::test]
async fn implicit_tls_with_a_self_signed_certificate() {
    let Some(python) = aiosmtpd_python() else {
        return;
    };
    let mut sink = Sink::start(&python, "tls", None).await;
    let mut channel = channel(sink.port, Security::Tls);
    if let Channel::Email {
        accept_invalid_certs,
        ..
    } = &mut channel
    {
        *accept_invalid_certs = true;
    }
    let delivery = notifier().send(&channel, &message()).await.unwrap();
    assert_eq!(delivery.status, Some(250));
    let mail = sink.received().await;
    assert_eq!(mail["tls"], true);
}

#[tokio::test]
async fn a_silent_smtp_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let notifier = Notifier::new(Duration::from_millis(500)).unwrap();
    let started = std::time::Instant::now();
    let error = notifier
        .send(&channel(port, Security::None), &message())
        .await
        .unwrap_err();
    eprintln!("silent SMTP server: {error}");
    assert!(matches!(error, NotifyError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
