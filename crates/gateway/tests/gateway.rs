//! The gateway against the real engine: a Caddy container from the local image
//! (`scripts/ensure-gateway-image.sh`), busybox `httpd` backends on a network of the test's
//! own, requests from the host through published loopback ports.
//!
//! One scenario, in steps, because a gateway and five backends take seconds to set up; every
//! container and the network are removed at the end, also when a step fails.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::panic::AssertUnwindSafe;
use std::process::Command;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, RestartContainerOptions, StartContainerOptions,
};
use futures::FutureExt;
use windflow_gateway::*;

const BUSYBOX_IMAGE: &str = "windflow-test/busybox:latest";
const SHOP_HOST: &str = "shop.example.test";

fn scripts_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts")
}

fn gateway_image() -> String {
    windflow_testkit::gateway_test_image()
}

async fn ensure_busybox(docker: &Docker) {
    if docker.inspect_image(BUSYBOX_IMAGE).await.is_ok() {
        return;
    }
    let status = Command::new(scripts_dir().join("ensure-test-images.sh"))
        .status()
        .expect("running scripts/ensure-test-images.sh");
    assert!(status.success(), "scripts/ensure-test-images.sh failed");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What the scenario created, removed at the end whatever happened.
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

/// A busybox httpd on `network` whose `/` says `page`, `/health.html` says ok, and
/// `/cgi-bin/env` prints the request's CGI environment (the forwarded headers).
async fn start_backend(docker: &Docker, network: &str, name: &str, page: &str) {
    let script = format!(
        "mkdir -p /www/api /www/cgi-bin && echo '{page}' > /www/index.html && \
         echo '{page}' > /www/api/index.html && echo ok > /www/health.html && \
         printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\nenv\\n' > /www/cgi-bin/env && \
         chmod +x /www/cgi-bin/env && exec httpd -f -p 8080 -h /www"
    );
    run_container(docker, network, name, script).await;
}

/// A minimal WebSocket-shaped server on port 8080: it reads the request's headers, answers
/// `101 Switching Protocols`, then echoes every byte (a tunnel is all the gateway must give).
async fn start_upgrade_echo(docker: &Docker, network: &str, name: &str) {
    let script = "printf '%s\\n' '#!/bin/sh' \
        'cr=$(printf \"\\r\")' \
        'while IFS= read -r line; do case \"$line\" in \"$cr\"|\"\") break;; esac; done' \
        'printf \"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n\"' \
        'exec cat' > /echo.sh && chmod +x /echo.sh && exec nc -ll -p 8080 -e /echo.sh"
        .to_string();
    run_container(docker, network, name, script).await;
}

async fn run_container(docker: &Docker, network: &str, name: &str, script: String) {
    let body = ContainerCreateBody {
        image: Some(BUSYBOX_IMAGE.into()),
        hostname: Some(name.into()),
        cmd: Some(vec!["sh".into(), "-c".into(), script]),
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
    docker
        .start_container(name, None::<StartContainerOptions>)
        .await
        .unwrap_or_else(|e| panic!("starting {name}: {e}"));
}

async fn exec_in(docker: &Docker, container: &str, argv: &[&str]) {
    use bollard::exec::{CreateExecOptions, StartExecResults};
    let exec = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(argv.iter().map(|a| a.to_string()).collect()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    if let StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&exec.id, None).await.unwrap()
    {
        while output.next().await.is_some() {}
    }
}

use futures::StreamExt;

struct Certificates {
    ca_pem: String,
    leaf: PemCertificate,
}

/// A CA of the test's own and a certificate it signs for `shop.example.test`.
fn certificates() -> Certificates {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "WindFlow gateway test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![SHOP_HOST.to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    Certificates {
        ca_pem: ca.pem(),
        leaf: PemCertificate {
            chain_pem: format!("{}{}", leaf.pem(), ca.pem()),
            key_pem: leaf_key.serialize_pem(),
        },
    }
}

fn shop_route(upstreams: &[&str]) -> HttpRoute {
    HttpRoute {
        id: "shop/web".into(),
        hosts: vec![SHOP_HOST.into()],
        path_prefix: None,
        upstreams: upstreams.iter().map(|u| Upstream::new(*u, 8080)).collect(),
        health: Some(ActiveHealthCheck {
            path: "/health.html".into(),
            interval: Duration::from_millis(500),
            timeout: Duration::from_secs(1),
            expect_status: Some(200),
        }),
        tls: true,
        redirect_http_to_https: true,
        max_request_body: Some(1024),
        timeouts: Timeouts {
            connect: Some(Duration::from_secs(2)),
            response_header: Some(Duration::from_secs(10)),
        },
    }
}

fn api_route(upstream: &str) -> HttpRoute {
    HttpRoute {
        id: "shop/api".into(),
        hosts: vec![SHOP_HOST.into()],
        path_prefix: Some("/api".into()),
        upstreams: vec![Upstream::new(upstream, 8080)],
        health: None,
        tls: true,
        redirect_http_to_https: false,
        max_request_body: None,
        timeouts: Timeouts::default(),
    }
}

/// Plain HTTP (no TLS) to a WebSocket-style upstream.
fn ws_route(upstream: &str) -> HttpRoute {
    HttpRoute {
        id: "chat/ws".into(),
        hosts: vec!["ws.example.test".into()],
        path_prefix: None,
        upstreams: vec![Upstream::new(upstream, 8080)],
        health: None,
        tls: false,
        redirect_http_to_https: false,
        max_request_body: None,
        timeouts: Timeouts::default(),
    }
}

/// An HTTP/1.1 upgrade through the gateway, then bytes both ways through the tunnel.
async fn upgrade_and_echo(http_port: u16) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", http_port))
        .await
        .unwrap();
    stream
        .write_all(
            b"GET /chat HTTP/1.1\r\nHost: ws.example.test\r\nConnection: Upgrade\r\n\
              Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        )
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    let read_until = async |stream: &mut tokio::net::TcpStream,
                            received: &mut Vec<u8>,
                            buffer: &mut [u8],
                            needle: &str| {
        while !String::from_utf8_lossy(received).contains(needle) {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(buffer))
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "waiting for {needle:?}, got {:?}",
                        String::from_utf8_lossy(received)
                    )
                })
                .unwrap();
            assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(received));
            received.extend_from_slice(&buffer[..n]);
        }
    };
    read_until(&mut stream, &mut received, &mut buffer, "\r\n\r\n").await;
    let head = String::from_utf8_lossy(&received).to_string();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
        .write_all(b"hello through the tunnel\n")
        .await
        .unwrap();
    read_until(
        &mut stream,
        &mut received,
        &mut buffer,
        "hello through the tunnel",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_routes_terminates_tls_balances_and_reloads_without_losing_requests() {
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
    ensure_busybox(&docker).await;
    let image = gateway_image();

    let unique = format!(
        "wf-gw-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
            % 1_000_000
    );
    let backends: Vec<String> = ["a1", "a2", "b1", "b2", "api", "ws"]
        .iter()
        .map(|b| format!("{unique}-{b}"))
        .collect();
    let settings = GatewaySettings {
        image: GatewayImage(image),
        container_name: format!("{unique}-gateway"),
        network: unique.clone(),
        network_driver: Default::default(),
        http: Some(PublishedPort {
            host_ip: Some("127.0.0.1".into()),
            port: free_port(),
        }),
        https: Some(PublishedPort {
            host_ip: Some("127.0.0.1".into()),
            port: free_port(),
        }),
    };
    let mut containers = backends.clone();
    containers.push(settings.container_name.clone());
    let created = Created {
        network: unique.clone(),
        containers,
    };
    let outcome = AssertUnwindSafe(scenario(&docker, settings, &backends))
        .catch_unwind()
        .await;
    created.remove(&docker).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(docker: &Docker, settings: GatewaySettings, backends: &[String]) {
    let [a1, a2, b1, b2, api, ws] = [0, 1, 2, 3, 4, 5].map(|i| backends[i].as_str());
    let http_port = settings.http.as_ref().unwrap().port;
    let https_port = settings.https.as_ref().unwrap().port;
    let runtime = GatewayRuntime::new(docker.clone(), settings);

    // The network and the gateway come first; the backends join the gateway's network.
    assert_eq!(runtime.ensure().await.unwrap(), Ensured::Created);
    assert_eq!(runtime.ensure().await.unwrap(), Ensured::Running);
    let network = runtime.settings().network.clone();
    for name in [a1, a2, b1, b2] {
        start_backend(docker, &network, name, &format!("page from {name}")).await;
    }
    start_backend(docker, &network, api, &format!("api from {api}")).await;
    start_upgrade_echo(docker, &network, ws).await;

    let certs = certificates();
    let config = |upstreams: &[&str]| GatewayConfig {
        routes: vec![shop_route(upstreams), api_route(api), ws_route(ws)],
        certificates: vec![certs.leaf.clone()],
        acme_challenges: vec![AcmeChallenge {
            token: "tok-123_abc".into(),
            key_authorization: "tok-123_abc.thumbprint".into(),
        }],
        ..Default::default()
    };
    runtime.apply(&config(&[a1, a2])).await.unwrap();

    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(certs.ca_pem.as_bytes()).unwrap()])
        .resolve(SHOP_HOST, loopback)
        .resolve("unknown.example.test", loopback)
        .redirect(reqwest::redirect::Policy::none())
        .tls_info(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let https = |path: &str| format!("https://{SHOP_HOST}:{https_port}{path}");
    let http = |host: &str, path: &str| format!("http://{host}:{http_port}{path}");

    // HTTPS with the loaded certificate, balanced over both replicas, over HTTP/2.
    let mut seen = BTreeSet::new();
    for _ in 0..10 {
        let response = client.get(https("/")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        let tls = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .unwrap();
        let der = tls.peer_certificate().unwrap().to_vec();
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
        let sans: Vec<String> = parsed
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(sans, [format!("DNSName({SHOP_HOST})")]);
        seen.insert(response.text().await.unwrap().trim().to_string());
    }
    assert_eq!(
        seen,
        BTreeSet::from([format!("page from {a1}"), format!("page from {a2}")])
    );

    // Plain HTTP is redirected, except the HTTP-01 answer; unknown hosts get 404.
    let response = client
        .get(http(SHOP_HOST, "/cart?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(
        response.headers()["location"],
        format!("https://{SHOP_HOST}:{https_port}/cart?x=1").as_str()
    );
    let response = client
        .get(http(SHOP_HOST, "/.well-known/acme-challenge/tok-123_abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "tok-123_abc.thumbprint");
    let response = client
        .get(http("unknown.example.test", "/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // A path prefix goes to its own service, the rest of the host to the other.
    let response = client.get(https("/api/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap().trim(),
        format!("api from {api}")
    );
    let response = client.get(https("/apix")).send().await.unwrap();
    assert_eq!(
        response.status(),
        404,
        "/apix is the shop's (which has none)"
    );

    // WebSockets: the upgrade passes and the tunnel carries bytes both ways.
    upgrade_and_echo(http_port).await;

    // Caddy sets the forwarded headers.
    let response = client.get(https("/cgi-bin/env")).send().await.unwrap();
    let env = response.text().await.unwrap();
    assert!(env.contains("HTTP_X_FORWARDED_PROTO=https"), "{env}");
    assert!(
        env.contains(&format!("HTTP_X_FORWARDED_HOST={SHOP_HOST}")),
        "{env}"
    );
    assert!(env.contains("HTTP_X_FORWARDED_FOR="), "{env}");

    // A body over the route's limit is refused (the CGI makes httpd read the whole body).
    let response = client
        .post(https("/cgi-bin/env"))
        .body(vec![b'x'; 64 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    // A replica failing its health check gets no more traffic; every request succeeds.
    exec_in(docker, a2, &["rm", "/www/health.html"]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for _ in 0..20 {
        let response = client.get(https("/")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.text().await.unwrap().trim(),
            format!("page from {a1}")
        );
    }
    let status = runtime.status().await.unwrap();
    let addresses: BTreeSet<&str> = status
        .upstreams
        .iter()
        .map(|u| u.address.as_str())
        .collect();
    assert!(
        addresses.contains(format!("{a1}:8080").as_str()),
        "{status:?}"
    );
    exec_in(docker, a2, &["sh", "-c", "echo ok > /www/health.html"]).await;

    // Swapping upstream sets while requests run sequentially loses none.
    let loop_client = client.clone();
    let url = https("/");
    let requests = tokio::spawn(async move {
        let started = Instant::now();
        let mut ok = 0u32;
        let mut failures = Vec::new();
        let mut bodies = Vec::new();
        while started.elapsed() < Duration::from_secs(5) {
            match loop_client.get(&url).send().await {
                Ok(response) if response.status() == 200 => {
                    ok += 1;
                    bodies.push(response.text().await.unwrap_or_default());
                }
                Ok(response) => failures.push(format!("status {}", response.status())),
                Err(e) => failures.push(format!("{e:?}")),
            }
        }
        (ok, failures, bodies, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    runtime.apply(&config(&[b1, b2])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    runtime.apply(&config(&[a1, a2])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    runtime.apply(&config(&[b1, b2])).await.unwrap();
    let (ok, failures, bodies, elapsed) = requests.await.unwrap();
    eprintln!(
        "reload under load: {ok} requests in {:.1} s ({:.0}/s), {} lost across 3 reloads",
        elapsed.as_secs_f64(),
        f64::from(ok) / elapsed.as_secs_f64(),
        failures.len()
    );
    assert!(failures.is_empty(), "lost requests: {failures:?}");
    assert!(ok > 50, "only {ok} requests in 5 s");
    let last: BTreeSet<String> = bodies
        .iter()
        .rev()
        .take(10)
        .map(|b| b.trim().to_string())
        .collect();
    assert!(
        last.iter().all(|b| b.contains(b1) || b.contains(b2)),
        "after the last swap: {last:?}"
    );

    // A configuration Caddy refuses is reported verbatim and the previous one keeps serving.
    let mut bad = config(&[a1, a2]);
    bad.certificates.push(PemCertificate {
        chain_pem: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
            .into(),
        key_pem: "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n".into(),
    });
    let error = runtime.apply(&bad).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, GatewayError::Rejected { .. }), "{message}");
    assert!(
        message.contains("caddy responded with error: HTTP 400"),
        "{message}"
    );
    eprintln!("refused configuration: {message}");
    let response = client.get(https("/")).send().await.unwrap();
    let body = response.text().await.unwrap();
    assert!(body.contains(b1) || body.contains(b2), "{body}");

    // A configuration validation refuses never reaches Caddy.
    let mut invalid = config(&[a1]);
    invalid.routes[0].upstreams.clear();
    assert!(matches!(
        runtime.apply(&invalid).await.unwrap_err(),
        GatewayError::Invalid(_)
    ));

    // A restarted gateway serves the last accepted configuration.
    docker
        .restart_container(
            &runtime.settings().container_name,
            None::<RestartContainerOptions>,
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match client.get(https("/")).send().await {
            Ok(response) if response.status() == 200 => {
                let body = response.text().await.unwrap();
                assert!(body.contains(b1) || body.contains(b2), "{body}");
                break;
            }
            other if Instant::now() > deadline => panic!("not serving after restart: {other:?}"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert_eq!(runtime.ensure().await.unwrap(), Ensured::Running);
}
