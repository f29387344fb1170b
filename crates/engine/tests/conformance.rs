//! The Driver conformance suite (`windflow_testkit::conformance::run`) against `DockerDriver`
//! on the local socket. The same suite runs over TCP+TLS and SSH in `tests/remote.rs`, and
//! for each other target kind beside its driver.

use windflow_engine::docker::DockerDriver;
use windflow_testkit::{ProjectGuard, conformance, docker, ensure_test_images};

#[tokio::test(flavor = "multi_thread")]
async fn docker_driver_on_the_local_socket() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let guard = ProjectGuard::unique("conformance");
    let driver = DockerDriver::connect(None).unwrap();
    conformance::run(&driver, guard.project()).await;
}
