//! The gateway network's driver against the real engine (made a single-node Swarm manager if
//! it is not one): a bridge found where an overlay is wanted is refused while another
//! container uses it, naming it, and recreated as an attachable overlay once only the
//! gateway's own containers are left; and back to a bridge the same way.

use std::panic::AssertUnwindSafe;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, NetworkCreateRequest, SwarmInitRequest};
use bollard::query_parameters::{
    CreateContainerOptions, InspectNetworkOptions, RemoveContainerOptions, StartContainerOptions,
};
use futures::FutureExt;
use windflow_gateway::*;
use windflow_testkit::TEST_IMAGE;

async fn ensure_swarm_manager(docker: &Docker) {
    let info = docker.info().await.unwrap();
    let active = info
        .swarm
        .and_then(|s| s.control_available)
        .unwrap_or(false);
    if !active {
        docker
            .init_swarm(SwarmInitRequest {
                listen_addr: Some("127.0.0.1:2377".into()),
                advertise_addr: Some("127.0.0.1".into()),
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

async fn driver_of(docker: &Docker, network: &str) -> (String, bool) {
    let n = docker
        .inspect_network(network, None::<InspectNetworkOptions>)
        .await
        .unwrap();
    (n.driver.unwrap_or_default(), n.attachable.unwrap_or(false))
}

async fn remove(docker: &Docker, containers: &[&str], network: &str) {
    for name in containers {
        let _ = docker
            .remove_container(
                name,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await;
    }
    let _ = docker.remove_network(network).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_network_of_the_wrong_driver_is_refused_while_used_and_recreated_once_not() {
    let docker = windflow_testkit::docker().await;
    windflow_testkit::ensure_test_images(&docker).await.unwrap();
    ensure_swarm_manager(&docker).await;
    let unique = format!("wfnet-{}", std::process::id());
    let (network, gateway, other) = (
        unique.clone(),
        format!("{unique}-gateway"),
        format!("{unique}-other"),
    );
    let outcome = AssertUnwindSafe(scenario(&docker, &network, &gateway, &other))
        .catch_unwind()
        .await;
    remove(&docker, &[&gateway, &other], &network).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(docker: &Docker, network: &str, gateway: &str, other: &str) {
    docker
        .create_network(NetworkCreateRequest {
            name: network.to_string(),
            driver: Some("bridge".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(other.to_string()),
                ..Default::default()
            }),
            ContainerCreateBody {
                image: Some(TEST_IMAGE.into()),
                cmd: Some(vec!["sleep".into(), "600".into()]),
                host_config: Some(HostConfig {
                    network_mode: Some(network.to_string()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    docker
        .start_container(other, None::<StartContainerOptions>)
        .await
        .unwrap();
    let settings = |driver| GatewaySettings {
        image: GatewayImage(windflow_testkit::gateway_test_image()),
        container_name: gateway.to_string(),
        network: network.to_string(),
        network_driver: driver,
        http: None,
        https: None,
    };
    let overlay = GatewayRuntime::new(docker.clone(), settings(GatewayNetworkDriver::Overlay));

    // Another container uses the bridge: refused, naming it; the network stays as it is.
    let refused = overlay.ensure().await.unwrap_err().to_string();
    assert!(refused.contains("bridge"), "{refused}");
    assert!(refused.contains(other), "{refused}");
    assert!(refused.contains("attachable overlay"), "{refused}");
    assert_eq!(driver_of(docker, network).await, ("bridge".into(), false));

    // Once it is gone, the bridge is recreated as an attachable overlay.
    remove(docker, &[other], "").await;
    assert_eq!(overlay.ensure().await.unwrap(), Ensured::Created);
    assert_eq!(driver_of(docker, network).await, ("overlay".into(), true));
    assert_eq!(overlay.ensure().await.unwrap(), Ensured::Running);

    // Back to a bridge: only the gateway's own container is attached, so it goes and comes
    // back on the new network.
    let bridge = GatewayRuntime::new(docker.clone(), settings(GatewayNetworkDriver::Bridge));
    assert_eq!(bridge.ensure().await.unwrap(), Ensured::Created);
    assert_eq!(driver_of(docker, network).await.0, "bridge");
    bridge.apply(&GatewayConfig::default()).await.unwrap();
}
