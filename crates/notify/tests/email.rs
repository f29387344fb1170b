//! E-mail deliveries to a real SMTP server: aiosmtpd (Python) on loopback, in plain, STARTTLS
//! and implicit-TLS modes, with and without SMTP AUTH.
//!
//! The server runs from the venv that `scripts/ensure-aiosmtpd.sh` creates (or the python named
//! by `WINDFLOW_AIOSMTPD_PYTHON`). Without it these tests fail, telling to run the script;
//! `WINDFLOW_SKIP_SMTP_TESTS=1` skips them on a developer's machine.

use std::time::Duration;

use serde_json::{Value, json};
use windflow_notify::{Channel, Level, Message, Notifier, NotifyError, Security};
use windflow_testkit::smtp::{Sink, aiosmtpd_python};

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
