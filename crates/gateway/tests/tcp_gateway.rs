//! The TCP (layer-4) gateway against the real engine: HAProxy from the local image
//! (`scripts/ensure-gateway-tcp-image.sh`) on a network of the test's own, busybox `nc` echo
//! upstreams for plain forwarding, and two TLS upstreams (HAProxy from the same image,
//! terminating TLS with a certificate from a CA of their own) sharing one listen port by SNI.
//! Clients connect from the host through published loopback ports.
//!
//! One scenario, in steps; every container and the network are removed at the end, also when
//! a step fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, NetworkCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, RestartContainerOptions, StartContainerOptions,
    UploadToContainerOptions,
};
use futures::FutureExt;
use windflow_gateway::*;
use windflow_testkit::{TEST_IMAGE, ensure_test_images, free_port};

struct Created {
    network: String,
    containers: Vec<String>,
}

impl Created {
    async fn remove(&self, docker: &Docker) {
        for name in &self.containers {
            let _ = docker
                .remove_container(
                    name,
                    Some(RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..Default::default()
                    }),
                )
                .await;
        }
        let _ = docker.remove_network(&self.network).await;
    }
}

/// Creates `name` on `network` from `image`, writes `files` into it, starts it.
async fn run_container(
    docker: &Docker,
    network: &str,
    name: &str,
    image: &str,
    entrypoint: &[&str],
    files: &[(&str, &str)],
) {
    let body = ContainerCreateBody {
        image: Some(image.into()),
        entrypoint: Some(entrypoint.iter().map(|s| s.to_string()).collect()),
        host_config: Some(HostConfig {
            network_mode: Some(network.into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.into()),
                ..Default::default()
            }),
            body,
        )
        .await
        .unwrap_or_else(|e| panic!("creating {name}: {e}"));
    if !files.is_empty() {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            builder
                .append_data(
                    &mut header,
                    path.trim_start_matches('/'),
                    content.as_bytes(),
                )
                .unwrap();
        }
        let archive = builder.into_inner().unwrap();
        docker
            .upload_to_container(
                name,
                Some(UploadToContainerOptions {
                    path: "/".into(),
                    ..Default::default()
                }),
                bollard::body_full(archive.into()),
            )
            .await
            .unwrap_or_else(|e| panic!("writing files into {name}: {e}"));
    }
    docker
        .start_container(name, None::<StartContainerOptions>)
        .await
        .unwrap_or_else(|e| panic!("starting {name}: {e}"));
}

/// A busybox echo server on port 7000.
async fn start_echo(docker: &Docker, network: &str, name: &str) {
    run_container(
        docker,
        network,
        name,
        TEST_IMAGE,
        &["nc", "-ll", "-p", "7000", "-e", "cat"],
        &[],
    )
    .await;
}

/// An HTTPS server on port 8443 (HAProxy terminating TLS with `cert`) answering `body`.
async fn start_tls_upstream(
    docker: &Docker,
    network: &str,
    name: &str,
    image: &str,
    cert: &Leaf,
    body: &str,
) {
    let cfg = format!(
        "global\n    log stderr format raw local0 notice\n\
         defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    \
         timeout server 30s\n\
         frontend tls\n    bind :8443 ssl crt /upstream.pem\n    \
         http-request return status 200 content-type text/plain string \"{body}\"\n"
    );
    let pem = format!("{}{}", cert.cert_pem, cert.key_pem);
    run_container(
        docker,
        network,
        name,
        image,
        &["haproxy", "-db", "-f", "/upstream.cfg"],
        &[("/upstream.cfg", &cfg), ("/upstream.pem", &pem)],
    )
    .await;
}

struct Leaf {
    ca_der: Vec<u8>,
    cert_pem: String,
    key_pem: String,
}

/// A CA of its own and a certificate it signs for `names`: a client trusting only this CA
/// accepts only this upstream.
fn leaf(names: &[&str]) -> Leaf {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("CA of {}", names[0]));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    Leaf {
        ca_der: ca.der().to_vec(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// Connects to 127.0.0.1:`port` with TLS for `name`, trusting only `ca_der`; the answer's
/// body and the DNS names of the certificate the server showed.
fn https_get(port: u16, name: &str, ca_der: &[u8]) -> Result<(String, Vec<String>), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca_der.to_vec()))
        .unwrap();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_name = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), server_name).unwrap();
    let socket = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut tls = rustls::StreamOwned::new(connection, socket);
    tls.write_all(format!("GET / HTTP/1.0\r\nHost: {name}\r\n\r\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    // HAProxy closes without close_notify after an HTTP/1.0 answer: keep what came.
    if let Err(e) = tls.read_to_end(&mut response)
        && response.is_empty()
    {
        return Err(e.to_string());
    }
    let response = String::from_utf8_lossy(&response).to_string();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.trim().to_string())
        .ok_or_else(|| format!("no HTTP answer: {response:?}"))?;
    let der = tls.conn.peer_certificates().unwrap()[0].to_vec();
    let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
    let names = parsed
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    Ok((body, names))
}

/// `https_get`, retried for up to 10 s (upstreams come up as their names resolve).
fn https_get_eventually(port: u16, name: &str, ca_der: &[u8]) -> (String, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match https_get(port, name, ca_der) {
            Ok(answer) => return answer,
            Err(e) if Instant::now() > deadline => panic!("TLS to {name} via {port}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// An open connection to an echo upstream through the gateway.
struct Echo {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Echo {
    fn connect(port: u16) -> Result<Self, String> {
        let writer = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        writer
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let reader = BufReader::new(writer.try_clone().unwrap());
        let mut echo = Self { writer, reader };
        echo.round_trip("hello")?;
        Ok(echo)
    }

    fn connect_eventually(port: u16) -> Self {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match Self::connect(port) {
                Ok(echo) => return echo,
                Err(e) if Instant::now() > deadline => panic!("echo via {port}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    fn round_trip(&mut self, line: &str) -> Result<(), String> {
        self.writer
            .write_all(format!("{line}\n").as_bytes())
            .map_err(|e| e.to_string())?;
        let mut got = String::new();
        self.reader.read_line(&mut got).map_err(|e| e.to_string())?;
        if got == format!("{line}\n") {
            Ok(())
        } else {
            Err(format!("sent {line:?}, got {got:?}"))
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tcp_routes_forward_pass_tls_through_by_sni_and_reload_without_cutting_connections() {
    if std::env::var("WINDFLOW_SKIP_DOCKER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("skipping: WINDFLOW_SKIP_DOCKER_TESTS=1 is set (CI never sets it)");
        return;
    }
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let docker = Docker::connect_with_defaults().expect("configuring the Docker client");
    docker
        .ping()
        .await
        .expect("Docker engine not reachable: run scripts/ensure-docker.sh");
    ensure_test_images(&docker).await.unwrap();
    let image = windflow_testkit::gateway_tcp_test_image();
    let unique = format!(
        "wf-gwtcp-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
            % 1_000_000
    );
    let upstreams: Vec<String> = ["echo", "echo2", "tls-a", "tls-b"]
        .iter()
        .map(|u| format!("{unique}-{u}"))
        .collect();
    let settings = TcpGatewaySettings {
        image: TcpGatewayImage(image),
        container_name: format!("{unique}-tcp"),
        network: unique.clone(),
        network_driver: Default::default(),
        host_ip: Some("127.0.0.1".into()),
        reserved_ports: vec![],
    };
    let mut containers = upstreams.clone();
    containers.push(settings.container_name.clone());
    let created = Created {
        network: unique.clone(),
        containers,
    };
    let outcome = AssertUnwindSafe(scenario(&docker, settings, &upstreams))
        .catch_unwind()
        .await;
    created.remove(&docker).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(docker: &Docker, settings: TcpGatewaySettings, upstreams: &[String]) {
    let [echo, echo2, tls_a, tls_b] = [0, 1, 2, 3].map(|i| upstreams[i].as_str());
    let network = settings.network.clone();
    let image = settings.image.0.clone();
    let gateway = settings.container_name.clone();
    docker
        .create_network(NetworkCreateRequest {
            name: network.clone(),
            driver: Some("bridge".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let cert_a = leaf(&["a.example.test"]);
    // B's certificate names c.example.test too, for when a route sends that name to B.
    let cert_b = leaf(&["b.example.test", "c.example.test"]);
    start_echo(docker, &network, echo).await;
    start_echo(docker, &network, echo2).await;
    start_tls_upstream(docker, &network, tls_a, &image, &cert_a, "upstream A").await;
    start_tls_upstream(docker, &network, tls_b, &image, &cert_b, "upstream B").await;
    let runtime = TcpGatewayRuntime::new(docker.clone(), settings);
    let (plain_port, other_port, tls_port) = (free_port(), free_port(), free_port());
    let route = |id: &str, listen: u16, sni: &[&str], upstream: &str, port: u16| TcpRoute {
        id: id.into(),
        listen,
        sni: sni.iter().map(|s| s.to_string()).collect(),
        upstreams: vec![Upstream::new(upstream, port)],
        health: Some(TcpHealthCheck {
            interval: Duration::from_secs(1),
        }),
    };

    // No routes: no container.
    assert_eq!(runtime.apply(&[]).await.unwrap(), TcpApplied::Removed);
    assert_eq!(runtime.status().await.unwrap(), None);

    // A plain forward of a whole port.
    let db = route("shop/db", plain_port, &[], echo, 7000);
    assert_eq!(
        runtime.apply(std::slice::from_ref(&db)).await.unwrap(),
        TcpApplied::Created
    );
    Echo::connect_eventually(plain_port)
        .round_trip("plain")
        .unwrap();

    // TLS passthrough: two upstreams on one listen port, told apart by SNI. New listen ports
    // recreate the container.
    let a = route("a/web", tls_port, &["a.example.test"], tls_a, 8443);
    let b = route("b/web", tls_port, &["b.example.test"], tls_b, 8443);
    let other = route("other/echo", other_port, &[], echo2, 7000);
    let routes = vec![db.clone(), a.clone(), b.clone(), other.clone()];
    assert_eq!(runtime.apply(&routes).await.unwrap(), TcpApplied::Created);
    let status = runtime.status().await.unwrap().unwrap();
    assert!(status.running);
    let mut expected_ports = vec![plain_port, other_port, tls_port];
    expected_ports.sort_unstable();
    assert_eq!(status.listen_ports, expected_ports);
    let (body, names) = https_get_eventually(tls_port, "a.example.test", &cert_a.ca_der);
    assert_eq!(body, "upstream A");
    // The upstream's own certificate: the gateway passed TLS through untouched.
    assert_eq!(names, ["DNSName(a.example.test)"]);
    let (body, names) = https_get_eventually(tls_port, "b.example.test", &cert_b.ca_der);
    assert_eq!(body, "upstream B");
    assert_eq!(
        names,
        ["DNSName(b.example.test)", "DNSName(c.example.test)"]
    );
    // A name no route lists reaches nobody.
    let refused = https_get(tls_port, "c.example.test", &cert_b.ca_der);
    assert!(refused.is_err(), "c.example.test was served: {refused:?}");

    // An established connection survives a reload that changes other routes.
    let mut held = Echo::connect_eventually(plain_port);
    held.round_trip("before the reload").unwrap();
    let mut other_held = Echo::connect_eventually(other_port);
    let b_and_c = route(
        "b/web",
        tls_port,
        &["b.example.test", "c.example.test"],
        tls_b,
        8443,
    );
    let routes = vec![db.clone(), a.clone(), b_and_c.clone(), other.clone()];
    assert_eq!(runtime.apply(&routes).await.unwrap(), TcpApplied::Reloaded);
    held.round_trip("after the reload").unwrap();
    other_held.round_trip("after the reload").unwrap();
    let (body, _) = https_get_eventually(tls_port, "c.example.test", &cert_b.ca_der);
    assert_eq!(body, "upstream B");

    // A configuration HAProxy refuses leaves the previous one serving, with its message.
    let bad = route("bad/db", free_port(), &[], "bad..name", 7000);
    let mut with_bad = routes.clone();
    with_bad[3] = TcpRoute {
        listen: other_port,
        ..bad.clone()
    };
    match runtime.apply(&with_bad).await {
        Err(GatewayError::Rejected { message }) => {
            assert!(
                message.contains("Can't create DNS resolution for server 's0'"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    held.round_trip("after the refusal").unwrap();
    other_held.round_trip("after the refusal").unwrap();
    // Refused before recreating, too: new listen ports and a bad upstream leave it running.
    let mut with_new_port = routes.clone();
    with_new_port.push(bad);
    assert!(matches!(
        runtime.apply(&with_new_port).await,
        Err(GatewayError::Rejected { .. })
    ));
    held.round_trip("after the second refusal").unwrap();

    // Invalid routes are refused before HAProxy sees them, every problem at once.
    let clash = route("clash", tls_port, &[], echo, 7000);
    let mut invalid = routes.clone();
    invalid.push(clash);
    match runtime.apply(&invalid).await {
        Err(GatewayError::Invalid(InvalidConfig(problems))) => {
            assert_eq!(
                problems,
                [ConfigError::MixedListenPort {
                    port: tls_port,
                    plain: "clash".into(),
                    sni: "a/web".into(),
                }]
            );
        }
        other => panic!("expected invalid routes, got {other:?}"),
    }

    // A restarted gateway serves the last accepted configuration.
    docker
        .restart_container(&gateway, None::<RestartContainerOptions>)
        .await
        .unwrap();
    let (body, _) = https_get_eventually(tls_port, "c.example.test", &cert_b.ca_der);
    assert_eq!(body, "upstream B");
    Echo::connect_eventually(plain_port)
        .round_trip("after the restart")
        .unwrap();

    // The last route gone: the container goes too.
    assert_eq!(runtime.apply(&[]).await.unwrap(), TcpApplied::Removed);
    assert_eq!(runtime.status().await.unwrap(), None);
}
