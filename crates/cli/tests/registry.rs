//! Pulling from a real registry with authentication: Debian's docker-registry on loopback
//! with an htpasswd file, credentials read from `$DOCKER_CONFIG/config.json` as the docker CLI
//! keeps them. A wrong password fails the deployment before anything is created.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bollard::auth::DockerCredentials;
use common::Scratch;
use futures::StreamExt;
use windflow_testkit::{TEST_IMAGE, free_port};

struct Registry {
    child: Child,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_registry(dir: &std::path::Path, port: u16) -> Registry {
    let htpasswd = Command::new("htpasswd").args(["-Bbn", "deployer", "s3cret"]).output().expect(
        "htpasswd (Debian's apache2-utils) is needed for the registry test: .ci/run installs it",
    );
    assert!(htpasswd.status.success());
    std::fs::write(dir.join("htpasswd"), &htpasswd.stdout).unwrap();
    let config = format!(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: windflow-test\n    path: {htpasswd}\n",
        root = dir.join("storage").display(),
        htpasswd = dir.join("htpasswd").display(),
    );
    std::fs::write(dir.join("registry.yml"), config).unwrap();
    let child = Command::new("docker-registry")
        .args(["serve", dir.join("registry.yml").to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker-registry (Debian's docker-registry) is needed: .ci/run installs it");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the registry did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Registry { child }
}

fn docker_config(dir: &std::path::Path, registry: &str, password: &str) -> std::path::PathBuf {
    let config_dir = dir.join(format!("docker-config-{password}"));
    std::fs::create_dir_all(&config_dir).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("deployer:{password}"));
    std::fs::write(
        config_dir.join("config.json"),
        serde_json::json!({ "auths": { registry: { "auth": auth } } }).to_string(),
    )
    .unwrap();
    config_dir
}

#[tokio::test(flavor = "multi_thread")]
async fn pulls_with_credentials_from_the_docker_config() {
    let s = Scratch::new("registry").await;
    let port = free_port();
    let _registry = start_registry(&s.dir, port);
    let registry = format!("127.0.0.1:{port}");
    let image = format!("{registry}/windflow/busybox:pulled");

    // Put the test image into the registry, then forget it locally.
    s.docker
        .tag_image(
            TEST_IMAGE,
            Some(bollard::query_parameters::TagImageOptions {
                repo: Some(format!("{registry}/windflow/busybox")),
                tag: Some("pulled".into()),
            }),
        )
        .await
        .unwrap();
    let credentials = DockerCredentials {
        username: Some("deployer".into()),
        password: Some("s3cret".into()),
        serveraddress: Some(registry.clone()),
        ..Default::default()
    };
    let mut push = s.docker.push_image(
        &format!("{registry}/windflow/busybox"),
        Some(bollard::query_parameters::PushImageOptions {
            tag: Some("pulled".into()),
            ..Default::default()
        }),
        Some(credentials),
    );
    while let Some(item) = push.next().await {
        let info = item.expect("push");
        assert!(info.error_detail.is_none(), "push failed: {info:?}");
    }
    s.docker
        .remove_image(
            &image,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        )
        .await
        .unwrap();

    s.write(
        "compose.yml",
        &format!("services:\n  app:\n    image: {image}\n    command: [\"sleep\", \"100000\"]\n    init: true\n"),
    );

    // A wrong password: the pull fails with the registry's answer, nothing is created.
    let bad = run_with_config(&s, &docker_config(&s.dir, &registry, "wrong"));
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains(&format!("pulling {image}")),
        "{}",
        bad.stderr
    );
    assert!(s.container_names().await.is_empty());

    // The right one: pulled with per-layer progress, then running from the pulled image.
    let good = run_with_config(&s, &docker_config(&s.dir, &registry, "s3cret"));
    assert_eq!(good.code, 0, "{}", good.stderr);
    assert!(
        good.stderr.contains(&format!("pull {image}")),
        "{}",
        good.stderr
    );
    let pulled = s.docker.inspect_image(&image).await.unwrap();
    let app = s.inspect(&format!("{}-app-1", s.project())).await;
    assert_eq!(app.image, pulled.id);
    assert_eq!(app.state.unwrap().running, Some(true));

    s.docker
        .remove_image(
            &image,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        )
        .await
        .ok();
}

fn run_with_config(s: &Scratch, config: &std::path::Path) -> common::Run {
    common::run_windflow_with(
        &s.dir,
        &["-p", s.project(), "--plain", "up"],
        &[("DOCKER_CONFIG", config.as_os_str())],
    )
}
