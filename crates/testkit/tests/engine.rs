//! The harness against the real engine: images present, a project's resources created
//! with the project label are all removed by `ProjectGuard`, and published ports answer
//! `http_get`.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, HostConfig, NetworkCreateRequest, PortBinding, VolumeCreateRequest,
};
use bollard::query_parameters::CreateContainerOptionsBuilder;
use windflow_testkit::{
    PROJECT_LABEL, ProjectGuard, TEST_IMAGE, TEST_IMAGE_ALT, docker_or_skip, ensure_test_images,
    free_port, http_get, list_project_containers,
};

fn project_labels(project: &str) -> HashMap<String, String> {
    HashMap::from([(PROJECT_LABEL.to_string(), project.to_string())])
}

#[tokio::test]
async fn guard_removes_containers_networks_and_volumes_of_its_project() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    ensure_test_images(&docker).await.unwrap();
    let guard = ProjectGuard::unique("testkit-guard");
    let project = guard.project().to_string();

    docker
        .create_network(NetworkCreateRequest {
            name: format!("{project}_default"),
            labels: Some(project_labels(&project)),
            ..Default::default()
        })
        .await
        .unwrap();
    docker
        .create_volume(VolumeCreateRequest {
            name: Some(format!("{project}_data")),
            labels: Some(project_labels(&project)),
            ..Default::default()
        })
        .await
        .unwrap();
    let port = free_port();
    let name = format!("{project}-web-1");
    let created = docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(&name).build()),
            ContainerCreateBody {
                image: Some(TEST_IMAGE_ALT.to_string()),
                cmd: Some(
                    ["httpd", "-f", "-p", "8080", "-h", "/var/www"]
                        .map(String::from)
                        .to_vec(),
                ),
                labels: Some(project_labels(&project)),
                exposed_ports: Some(vec!["8080/tcp".to_string()]),
                host_config: Some(HostConfig {
                    network_mode: Some(format!("{project}_default")),
                    port_bindings: Some(HashMap::from([(
                        "8080/tcp".to_string(),
                        Some(vec![PortBinding {
                            host_ip: Some("127.0.0.1".to_string()),
                            host_port: Some(port.to_string()),
                        }]),
                    )])),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    docker.start_container(&created.id, None).await.unwrap();

    let (status, body) = http_get(
        &format!("http://127.0.0.1:{port}/"),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body.trim(), "windflow test image (alt)");
    assert_eq!(
        list_project_containers(&docker, &project)
            .await
            .unwrap()
            .len(),
        1
    );

    drop(guard);

    assert!(
        list_project_containers(&docker, &project)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        docker
            .inspect_network(&format!("{project}_default"), None)
            .await
            .is_err()
    );
    assert!(
        docker
            .inspect_volume(&format!("{project}_data"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn test_images_differ_in_content() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    ensure_test_images(&docker).await.unwrap();
    let latest = docker.inspect_image(TEST_IMAGE).await.unwrap();
    let alt = docker.inspect_image(TEST_IMAGE_ALT).await.unwrap();
    assert_ne!(latest.id, alt.id);
    let cmd = latest
        .config
        .and_then(|config| config.cmd)
        .unwrap_or_default();
    assert_eq!(cmd, vec!["sh".to_string()]);
}
