//! `DockerDriver` on remote transports, all real: the conformance suite over dockerd's own
//! TCP+TLS listener (a second dockerd started by the test) and over SSH (Debian's sshd on a
//! loopback port fronting the local engine's socket), plus what a user must see when the
//! certificate, the host key or the SSH key is wrong.

use windflow_engine::connect::known_hosts::{fingerprint, openssh_fingerprint};
use windflow_engine::connect::{
    ConnectOptions, HostKeyPolicy, SshEndpoint, SshIdentity, SshOptions, TlsMaterial,
};
use windflow_engine::docker::DockerDriver;
use windflow_engine::driver::Driver;
use windflow_testkit::sshd::{Sshd, generate_key};
use windflow_testkit::tls_engine::TlsEngine;
use windflow_testkit::{ProjectGuard, conformance, docker_or_skip, ensure_test_images};

fn tls_options(
    engine: &TlsEngine,
    files: &windflow_testkit::tls_engine::TlsFiles,
) -> ConnectOptions {
    ConnectOptions {
        host: Some(engine.url()),
        tls: Some(TlsMaterial::from_files(&files.ca, Some(&files.cert), Some(&files.key)).unwrap()),
        ..Default::default()
    }
}

async fn info_error(options: &ConnectOptions) -> String {
    let driver = DockerDriver::connect_with(options).unwrap();
    driver.info().await.unwrap_err().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_driver_over_tcp_tls() {
    let Some(local) = docker_or_skip().await else {
        return;
    };
    let engine = TlsEngine::start(&local).await.unwrap();

    let driver = DockerDriver::connect_with(&tls_options(&engine, &engine.client)).unwrap();
    let info = driver.info().await.unwrap();
    assert!(!info.version.is_empty(), "{info:?}");
    assert_eq!(driver.endpoint(), engine.url());
    // It really is the second engine: its unix socket sees what TLS created.
    let guard = ProjectGuard::unique("conformance-tls");
    conformance::run(&driver, guard.project()).await;
    let through_socket = engine.unix_client().unwrap().info().await.unwrap();
    assert_eq!(
        through_socket
            .docker_root_dir
            .as_deref()
            .map(|d| d.starts_with("/tmp/wf-tls-")),
        Some(true)
    );

    // No client certificate: the engine refuses the connection.
    let mut anonymous = tls_options(&engine, &engine.client);
    anonymous.tls.as_mut().unwrap().cert_pem = None;
    anonymous.tls.as_mut().unwrap().key_pem = None;
    let error = info_error(&anonymous).await;
    assert!(
        error.contains(&engine.url()) && error.to_lowercase().contains("certificate"),
        "{error}"
    );

    // A client certificate from another CA: refused too. With TLS 1.3 the server's alert
    // about the client certificate arrives after the client's side of the handshake is done,
    // so hyper's pool now and then reports the dropped connection ("connection was not
    // ready") before the alert; a second call reads the alert.
    let mut error = String::new();
    for _ in 0..3 {
        error = info_error(&tls_options(&engine, &engine.foreign_client)).await;
        if error.to_lowercase().contains("certificate")
            || error.contains("BadCertificate")
            || error.contains("UnknownCA")
        {
            break;
        }
    }
    assert!(
        error.contains(&engine.url())
            && (error.contains("BadCertificate")
                || error.contains("UnknownCA")
                || error.to_lowercase().contains("certificate")),
        "{error}"
    );

    // Trusting the wrong CA: the engine's certificate is refused by the client.
    let foreign_ca = engine.foreign_client.cert.with_file_name("ca.pem");
    let wrong_root = ConnectOptions {
        host: Some(engine.url()),
        tls: Some(
            TlsMaterial::from_files(
                &foreign_ca,
                Some(&engine.client.cert),
                Some(&engine.client.key),
            )
            .unwrap(),
        ),
        ..Default::default()
    };
    let error = info_error(&wrong_root).await;
    assert!(error.contains("UnknownIssuer"), "{error}");

    // Unusable material names the file.
    let broken = ConnectOptions {
        host: Some(engine.url()),
        tls: Some(TlsMaterial::from_files(&engine.client.key, None, None).unwrap()),
        ..Default::default()
    };
    let error = match DockerDriver::connect_with(&broken) {
        Ok(_) => panic!("a key file as the CA was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("key.pem") && error.contains("no PEM certificate"),
        "{error}"
    );
}

fn ssh_options(sshd: &Sshd, known_hosts: std::path::PathBuf) -> ConnectOptions {
    ConnectOptions {
        host: Some(sshd.url()),
        ssh: SshOptions {
            identities: vec![SshIdentity::File(sshd.client_key.clone())],
            use_agent: false,
            host_keys: HostKeyPolicy::KnownHostsFile(known_hosts),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_driver_over_ssh() {
    let Some(local) = docker_or_skip().await else {
        return;
    };
    ensure_test_images(&local).await.unwrap();
    let sshd = Sshd::start().unwrap();
    let known_hosts = sshd.known_hosts_file().unwrap();

    let driver = DockerDriver::connect_with(&ssh_options(&sshd, known_hosts.clone())).unwrap();
    assert!(!driver.info().await.unwrap().version.is_empty());
    assert_eq!(driver.endpoint(), sshd.url());
    let guard = ProjectGuard::unique("conformance-ssh");
    conformance::run(&driver, guard.project()).await;

    // Hashed known_hosts entries (`ssh-keygen -H`) are recognized.
    let hashed = sshd.dir().join("known_hosts_hashed");
    std::fs::copy(&known_hosts, &hashed).unwrap();
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-H", "-f"])
        .arg(&hashed)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::read_to_string(&hashed).unwrap().starts_with("|1|"));
    let hashed_driver = DockerDriver::connect_with(&ssh_options(&sshd, hashed)).unwrap();
    hashed_driver.info().await.unwrap();

    let offered =
        windflow_engine::connect::ssh::offered_host_key(&SshEndpoint::parse(&sshd.url()).unwrap())
            .await
            .unwrap();
    let expected = openssh_fingerprint(&sshd.host_public_key).unwrap();
    assert_eq!(fingerprint(&offered), expected);

    // First contact: an error with the key's fingerprint and how to trust it.
    let empty = sshd.dir().join("known_hosts_empty");
    let error = info_error(&ssh_options(&sshd, empty.clone())).await;
    assert!(
        error.contains("unknown SSH host key ssh-ed25519")
            && error.contains(&expected)
            && error.contains(&format!("windflow ssh trust {}", sshd.url()))
            && error.contains(&empty.display().to_string()),
        "{error}"
    );

    // A changed key: a hard error naming the offered fingerprint and the recorded line.
    let other = sshd.dir().join("other_host_key");
    generate_key("ed25519", &other).unwrap();
    let other_public = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let changed = sshd.dir().join("known_hosts_changed");
    std::fs::write(
        &changed,
        format!("# first line\n[127.0.0.1]:{} {other_public}", sshd.port),
    )
    .unwrap();
    let error = info_error(&ssh_options(&sshd, changed.clone())).await;
    assert!(
        error.contains("HOST KEY HAS CHANGED")
            && error.contains(&expected)
            && error.contains(&format!("{}:2", changed.display())),
        "{error}"
    );

    // A key the server does not accept: the error lists what was tried.
    let stranger = sshd.dir().join("stranger_key");
    generate_key("ed25519", &stranger).unwrap();
    let mut options = ssh_options(&sshd, known_hosts.clone());
    options.ssh.identities = vec![SshIdentity::File(stranger.clone())];
    let error = info_error(&options).await;
    assert!(
        error.contains("no key was accepted")
            && error.contains(&format!("{} (refused)", stranger.display())),
        "{error}"
    );
}
