//! A service's raw TCP forward (`x-windflow.tcp`), deployed through the control plane: the
//! target's TCP gateway (HAProxy, from the local test image) forwards a gateway port on
//! loopback to the service's replica; the gateway info lists it; a second stack asking for
//! the same listen port (or the gateway's HTTPS port) is refused at queue time naming the
//! first, and nothing of it runs;
//! removing the stack removes the TCP gateway with its last route.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;
use windflow_testkit::server::Database;
use windflow_testkit::{
    TEST_IMAGE, docker, free_port, gateway_tcp_test_image, gateway_test_image,
    list_project_containers, unique_project,
};

use crate::support::{GATEWAY_TURN, create_stack, remove_gateway, run_deployment, start_with};

fn compose(listen: u16) -> String {
    format!(
        "services:\n  echo:\n    image: {TEST_IMAGE}\n    command: [\"nc\", \"-ll\", \"-p\", \"7000\", \"-e\", \"cat\"]\n    expose: [\"7000\"]\n    x-windflow:\n      tcp:\n        - listen: {listen}\n"
    )
}

/// Sends a line through 127.0.0.1:`port` and expects it back.
fn echo(port: u16, line: &str) -> Result<(), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(format!("{line}\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut got = String::new();
    BufReader::new(stream)
        .read_line(&mut got)
        .map_err(|e| e.to_string())?;
    if got == format!("{line}\n") {
        Ok(())
    } else {
        Err(format!("sent {line:?}, got {got:?}"))
    }
}

pub(crate) fn echo_eventually(port: u16, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match echo(port, line) {
            Ok(()) => return,
            Err(e) if Instant::now() > deadline => panic!("echo through :{port}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_forward_reaches_the_service_and_its_port_is_claimed_once_per_target() {
    let docker = docker().await;
    let _turn = GATEWAY_TURN.lock().await;
    remove_gateway(&docker).await;
    let image = gateway_test_image();
    let tcp_image = gateway_tcp_test_image();
    let https_port = free_port();
    let https = format!("127.0.0.1:{https_port}");
    let server = start_with(
        Database::Sqlite,
        &[
            ("WINDFLOW_GATEWAY_IMAGE", &image),
            ("WINDFLOW_GATEWAY_TCP_IMAGE", &tcp_image),
            ("WINDFLOW_GATEWAY_HTTPS", &https),
        ],
    )
    .await;
    let api = server.admin().await.unwrap();
    let first = unique_project("tcpdb");
    let rival = unique_project("tcprival");
    let third = unique_project("tcpthird");
    let _guards = [&first, &rival, &third].map(windflow_testkit::ProjectGuard::new);
    let listen = free_port();
    create_stack(&api, &first, &compose(listen)).await;
    run_deployment(&api, &first, "deploy").await;

    // Through the gateway port on loopback, to the service's replica.
    echo_eventually(listen, "hello through the TCP gateway");
    let info = api
        .get("/orgs/default/targets/local/gateway")
        .await
        .unwrap();
    assert_eq!(info.status, 200, "{}", info.text);
    assert_eq!(info.body["tcp_running"], true, "{}", info.text);
    assert_eq!(
        info.body["tcp_routes"],
        json!([{
            "listen": listen,
            "sni": [],
            "stack": first,
            "service": "echo",
            "upstreams": [format!("{first}-echo-1:7000")],
        }]),
        "{}",
        info.text
    );

    // Another stack asking for the same listen port is refused, naming the first.
    create_stack(&api, &rival, &compose(listen)).await;
    let refused = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": rival, "target": "local" }),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(
        refused.text.contains(&format!(
            "gateway port {listen} (service echo) is already taken on target local by stack {first}, service echo"
        )),
        "{}",
        refused.text
    );
    assert!(
        list_project_containers(&docker, &rival)
            .await
            .unwrap()
            .is_empty()
    );
    echo(listen, "still served").unwrap();
    // Nor may a stack take the gateway's own HTTPS port.
    create_stack(&api, &third, &compose(https_port)).await;
    let refused = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": third, "target": "local" }),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(
        refused.text.contains(&format!(
            "gateway port {https_port} (service echo) is the gateway's own HTTP or HTTPS port on target local"
        )),
        "{}",
        refused.text
    );

    // The last TCP route gone, the TCP gateway goes too.
    run_deployment(&api, &first, "remove").await;
    let gone = docker
        .inspect_container(
            "windflow-gateway-tcp",
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await;
    assert!(gone.is_err(), "the TCP gateway is still there: {gone:?}");
    assert!(echo(listen, "nobody").is_err());

    for stack in [&first, &rival, &third] {
        let r = api
            .delete(&format!("/orgs/default/stacks/{stack}?undeploy=true"))
            .await
            .unwrap();
        assert!(matches!(r.status, 202 | 204), "{}", r.text);
    }
    remove_gateway(&docker).await;
}
