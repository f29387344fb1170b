//! The Driver conformance suite: what every target kind must do the same way — images,
//! networks and volumes with their labels, a container with several networks and injected
//! files, logs, inventory, stats and inspect, rename/stop/restart/remove (idempotent removals),
//! and project listing. Each driver's test calls [`run`] (the local socket, TCP+TLS and SSH in
//! `crates/engine/tests`, and the other target kinds beside them).

use std::time::Duration;

use futures::StreamExt;
use windflow_domain::naming::LABEL_DEFINITION_HASH;
use windflow_domain::observed::ContainerState;
use windflow_domain::spec::container_spec;
use windflow_domain::{
    FileObject, FileReference, Mount, MountKind, Network, Service, ServiceNetwork, StackSpec,
    Volume,
};
use windflow_engine::driver::{Driver, LogOptions};

use crate::TEST_IMAGE;

fn stack(project: &str) -> StackSpec {
    let mut stack = StackSpec {
        name: project.into(),
        working_dir: "/tmp".into(),
        ..Default::default()
    };
    for key in ["default", "back"] {
        stack.networks.insert(
            key.into(),
            Network {
                name: format!("{project}_{key}"),
                ..Default::default()
            },
        );
    }
    stack.volumes.insert(
        "data".into(),
        Volume {
            name: format!("{project}_data"),
            ..Default::default()
        },
    );
    stack.configs.insert(
        "app".into(),
        FileObject {
            name: format!("{project}_app"),
            content: Some("mode=conformance\n".into()),
            ..Default::default()
        },
    );
    let mut service = Service {
        image: TEST_IMAGE.into(),
        command: Some(vec![
            "sh".into(),
            "-c".into(),
            "echo started $GREETING; cat /etc/app.conf; exec sleep 100000".into(),
        ]),
        init: Some(true),
        ..Default::default()
    };
    service.environment.insert("GREETING".into(), "hi".into());
    service
        .networks
        .insert("default".into(), ServiceNetwork::default());
    service.networks.insert(
        "back".into(),
        ServiceNetwork {
            aliases: vec!["api".into()],
            ..Default::default()
        },
    );
    service
        .volumes
        .push(Mount::new(MountKind::Volume, Some("data".into()), "/data"));
    service.configs.push(FileReference {
        source: "app".into(),
        target: "/etc/app.conf".into(),
        uid: None,
        gid: None,
        mode: Some(0o440),
    });
    stack.services.insert("web".into(), service);
    stack
}

async fn logs_of(driver: &dyn Driver, id: &str) -> Vec<String> {
    let mut stream = driver.logs(id, LogOptions::default()).await.unwrap();
    let mut lines = Vec::new();
    while let Some(line) = stream.next().await {
        lines.push(line.unwrap().text);
    }
    lines
}

/// The suite. `project` must be unused on the target; the test images
/// ([`TEST_IMAGE`]) must be present there. Nothing here depends on the endpoint or the kind
/// of driver.
pub async fn run(driver: &dyn Driver, project: &str) {
    let info = driver.info().await.unwrap();
    assert!(!info.api_version.is_empty(), "info reports the API version");

    // Images.
    assert!(driver.image_id(TEST_IMAGE).await.unwrap().is_some());
    assert_eq!(
        driver
            .image_id("windflow-test/does-not-exist:1")
            .await
            .unwrap(),
        None
    );

    // Networks and volumes carry the project label and definition hash, and are observed.
    let stack = stack(project);
    for (key, network) in &stack.networks {
        driver.create_network(project, key, network).await.unwrap();
    }
    driver
        .create_volume(project, "data", &stack.volumes["data"])
        .await
        .unwrap();
    let observed = driver.observe(project, Some(&stack)).await.unwrap();
    let default = &observed.networks[&format!("{project}_default")];
    assert_eq!(default.project.as_deref(), Some(project));
    assert!(
        default.definition_hash.is_some(),
        "{LABEL_DEFINITION_HASH} is set"
    );
    assert_eq!(
        observed.volumes[&format!("{project}_data")]
            .project
            .as_deref(),
        Some(project)
    );
    assert_eq!(
        observed
            .images
            .get(TEST_IMAGE)
            .map(|id| id.starts_with("sha256:")),
        Some(true)
    );

    // A container: created with all its networks and injected files, started, observed.
    let spec = container_spec(&stack, "web", 1, "hash-1", Some(1));
    let id = driver.create_container(&spec).await.unwrap();
    assert_eq!(
        driver.container_status(&id).await.unwrap().state,
        ContainerState::Created
    );
    driver.start_container(&id).await.unwrap();
    driver
        .start_container(&id)
        .await
        .expect("starting a running container is not an error");
    let status = driver.container_status(&id).await.unwrap();
    assert_eq!(
        (status.state, status.name.as_str()),
        (ContainerState::Running, format!("{project}-web-1").as_str())
    );
    let observed = driver.observe(project, Some(&stack)).await.unwrap();
    let c = &observed.containers[0];
    assert_eq!(
        (c.service.as_str(), c.number, c.config_hash.as_deref()),
        ("web", 1, Some("hash-1"))
    );
    assert_eq!(c.stack_version, Some(1));

    // Logs hold what the container printed, the environment and the injected file included.
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = logs_of(driver, &id).await;
        if lines.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(lines, ["started hi", "mode=conformance"]);

    // Inventory, stats and inspect: the container, its image, networks and volume are listed
    // with their stack labels; a running container reports memory; inspect is the engine's JSON.
    let inventory = driver.inventory().await.unwrap();
    let listed = inventory
        .containers
        .iter()
        .find(|c| c.id == id)
        .expect("the container is in the inventory");
    assert_eq!(
        (
            listed.name.as_str(),
            listed.project.as_deref(),
            listed.service.as_deref(),
            listed.state,
            listed.image.as_str()
        ),
        (
            format!("{project}-web-1").as_str(),
            Some(project),
            Some("web"),
            ContainerState::Running,
            TEST_IMAGE
        )
    );
    assert!(
        inventory
            .images
            .iter()
            .any(|i| i.tags.iter().any(|t| t == TEST_IMAGE))
    );
    let network = inventory
        .networks
        .iter()
        .find(|n| n.name == format!("{project}_back"))
        .expect("the stack's network is in the inventory");
    assert_eq!(network.project.as_deref(), Some(project));
    assert!(
        inventory
            .volumes
            .iter()
            .any(|v| v.name == format!("{project}_data") && v.project.as_deref() == Some(project))
    );
    let stats = driver.container_stats(&id).await.unwrap();
    assert!(stats.memory_bytes > 0, "{stats:?}");
    assert!(stats.memory_limit_bytes >= stats.memory_bytes, "{stats:?}");
    assert!(stats.cpu_percent >= 0.0, "{stats:?}");
    let inspect = driver.inspect_container(&id).await.unwrap();
    assert_eq!(inspect["Id"], serde_json::Value::String(id.clone()));
    assert_eq!(
        inspect["Config"]["Labels"]["com.docker.compose.service"],
        "web"
    );
    assert!(
        driver
            .inspect_container("windflow-no-such-container")
            .await
            .unwrap_err()
            .is_not_found()
    );

    // Rename, stop, restart, remove; removals are idempotent.
    driver
        .rename_container(&id, &format!("parked_{project}"))
        .await
        .unwrap();
    assert_eq!(
        driver.container_status(&id).await.unwrap().name,
        format!("parked_{project}")
    );
    driver
        .stop_container(&id, Some(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(
        driver.container_status(&id).await.unwrap().state,
        ContainerState::Exited
    );
    driver.restart_container(&id, None).await.unwrap();
    assert_eq!(
        driver.container_status(&id).await.unwrap().state,
        ContainerState::Running
    );
    driver.remove_container(&id, true).await.unwrap();
    driver.remove_container(&id, true).await.unwrap();
    assert!(
        driver
            .container_status(&id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        driver
            .observe(project, Some(&stack))
            .await
            .unwrap()
            .containers
            .is_empty()
    );

    for network in stack.networks.values() {
        driver.remove_network(&network.name).await.unwrap();
        driver.remove_network(&network.name).await.unwrap();
    }
    driver
        .remove_volume(&format!("{project}_data"))
        .await
        .unwrap();
    driver
        .remove_volume(&format!("{project}_data"))
        .await
        .unwrap();
    let observed = driver.observe(project, None).await.unwrap();
    assert!(observed.networks.is_empty() && observed.volumes.is_empty());

    // Projects are listed by label.
    let listed = driver.list_projects().await.unwrap();
    assert!(!listed.iter().any(|p| p.name == project));
}
