//! The gateway on an agent target (issue 14, one gateway per target): a stack with a domain
//! and a TCP forward deployed through a real `windflow agent` gets its routes on the gateways
//! the agent runs on its engine — an HTTP request at the domain through the gateway's
//! published port answers from the service, a line sent to the TCP listen port comes back
//! from the echo service, the target's gateway page lists both routes, and removing the stack
//! removes them (404 for that host, no TCP gateway). With the agent stopped, the gateway page
//! says so.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use windflow_testkit::server::Api;
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, free_port, gateway_tcp_test_image, gateway_test_image,
};

use crate::agents::{certificates, enrollment_token, start_agent, start_server_with, wait_for};
use crate::support::{GATEWAY_TURN, create_stack, remove_gateway};

const HOST: &str = "edge.example.test";
const TARGET: &str = "edge-gw";

fn compose(listen: u16) -> String {
    format!(
        "services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sh\", \"-c\", \"mkdir -p /www && echo through-the-agent-gateway > /www/index.html && exec httpd -f -p 8080 -h /www\"]\n    expose: [\"8080\"]\n    init: true\n    x-windflow:\n      domains: [\"{HOST}\"]\n      tls: \"off\"\n  echo:\n    image: {TEST_IMAGE}\n    command: [\"nc\", \"-ll\", \"-p\", \"7000\", \"-e\", \"cat\"]\n    expose: [\"7000\"]\n    init: true\n    x-windflow:\n      tcp:\n        - listen: {listen}\n"
    )
}

async fn run_on_agent(api: &Api, stack: &str, kind: &str) -> Value {
    crate::support::run_deployment_on(api, stack, TARGET, kind).await
}

/// The status and body of `GET http://HOST/` through the gateway, or the error.
async fn through_gateway(
    client: &reqwest::Client,
    http_port: u16,
) -> Result<(u16, String), String> {
    let response = client
        .get(format!("http://{HOST}:{http_port}/"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_target_serves_a_domain_through_its_gateway() {
    let docker = docker().await;
    windflow_testkit::ensure_test_images(&docker).await.unwrap();
    let _turn = GATEWAY_TURN.lock().await;
    remove_gateway(&docker).await;
    let dir = std::env::temp_dir().join(format!("windflow-agent-gw-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    certificates(&dir, &["127.0.0.1".parse().unwrap()]);
    let (tls_port, http_port, https_port) = (free_port(), free_port(), free_port());
    let listen = free_port();
    let image = gateway_test_image();
    let tcp_image = gateway_tcp_test_image();
    let http = format!("127.0.0.1:{http_port}");
    let https = format!("127.0.0.1:{https_port}");
    let server = start_server_with(
        &dir,
        &format!("127.0.0.1:{tls_port}"),
        &[
            ("WINDFLOW_GATEWAY_IMAGE", &image),
            ("WINDFLOW_GATEWAY_TCP_IMAGE", &tcp_image),
            ("WINDFLOW_GATEWAY_HTTP", &http),
            ("WINDFLOW_GATEWAY_HTTPS", &https),
        ],
    )
    .await;
    let api = server.admin().await.unwrap();
    let url = format!("https://127.0.0.1:{tls_port}");
    let token = enrollment_token(&api, TARGET, json!({})).await;
    let mut agent = start_agent(&url, Some(&token), &dir);
    wait_for(
        "the agent to connect",
        Duration::from_secs(30),
        async || crate::agents::target_status(&api, TARGET).await == "up",
    )
    .await;

    let stack = windflow_testkit::unique_project("edgeweb");
    let guard = ProjectGuard::new(&stack);
    create_stack(&api, &stack, &compose(listen)).await;
    let done = run_on_agent(&api, &stack, "deploy").await;
    let id = done["id"].as_str().unwrap().to_string();

    // The domain answers through the gateway's published HTTP port, from the service.
    let client = reqwest::Client::builder()
        .resolve(HOST, http.parse().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match through_gateway(&client, http_port).await {
            Ok((200, body)) => {
                assert_eq!(body.trim(), "through-the-agent-gateway");
                break;
            }
            other => assert!(
                Instant::now() < deadline,
                "no answer at {HOST} through the agent's gateway: {other:?}\nevents: {}\n{}",
                serde_json::to_string(&crate::support::deployment_events(&api, &id).await).unwrap(),
                server.logs()
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The TCP forward answers through the TCP gateway the agent runs.
    let line = "hello through the agent's TCP gateway";
    tokio::task::spawn_blocking(move || crate::tcp::echo_eventually(listen, line))
        .await
        .unwrap();

    // The target's gateway page lists the routes, read through the agent.
    let gateway = api
        .get(&format!("/orgs/default/targets/{TARGET}/gateway"))
        .await
        .unwrap();
    assert_eq!(gateway.status, 200, "{}", gateway.text);
    assert_eq!(gateway.body["supported"], true, "{}", gateway.text);
    assert_eq!(gateway.body["running"], true, "{}", gateway.text);
    assert!(gateway.body["error"].is_null(), "{}", gateway.text);
    let route = &gateway.body["routes"][0];
    assert_eq!(route["domain"], HOST, "{}", gateway.text);
    assert_eq!(route["stack"], stack.as_str(), "{}", gateway.text);
    assert_eq!(route["service"], "web", "{}", gateway.text);
    assert_eq!(route["tls"], "off", "{}", gateway.text);
    assert_eq!(
        route["upstreams"].as_array().map(Vec::len),
        Some(1),
        "{}",
        gateway.text
    );
    assert_eq!(gateway.body["tcp_running"], true, "{}", gateway.text);
    assert_eq!(
        gateway.body["tcp_routes"],
        json!([{
            "listen": listen,
            "sni": [],
            "stack": stack,
            "service": "echo",
            "upstreams": [format!("{stack}-echo-1:7000")],
        }]),
        "{}",
        gateway.text
    );

    // Removing the stack removes its route: the host is unknown to the gateway again.
    let removed = run_on_agent(&api, &stack, "remove").await;
    let removal = removed["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match through_gateway(&client, http_port).await {
            Ok((404, _)) => break,
            other => assert!(
                Instant::now() < deadline,
                "{HOST} still answers after the removal: {other:?}\nevents: {}\n{}",
                serde_json::to_string(&crate::support::deployment_events(&api, &removal).await)
                    .unwrap(),
                server.logs()
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let gateway = api
        .get(&format!("/orgs/default/targets/{TARGET}/gateway"))
        .await
        .unwrap();
    assert_eq!(gateway.body["routes"], json!([]), "{}", gateway.text);
    assert_eq!(gateway.body["tcp_routes"], json!([]), "{}", gateway.text);
    // The TCP gateway went with its last route.
    assert!(
        docker
            .inspect_container("windflow-gateway-tcp", None)
            .await
            .is_err()
    );

    // The agent stops: the gateway page says it cannot be reached, at once.
    let _ = agent.0.kill();
    let _ = agent.0.wait();
    wait_for(
        "the target to go down",
        Duration::from_secs(15),
        async || crate::agents::target_status(&api, TARGET).await == "down",
    )
    .await;
    let asked = Instant::now();
    let gateway = api
        .get(&format!("/orgs/default/targets/{TARGET}/gateway"))
        .await
        .unwrap();
    assert_eq!(gateway.status, 200, "{}", gateway.text);
    assert!(
        gateway.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("agent edge-gw is not connected")),
        "{}",
        gateway.text
    );
    assert!(asked.elapsed() < Duration::from_secs(5));

    drop(guard);
    remove_gateway(&docker).await;
    let _ = std::fs::remove_dir_all(&dir);
}
