//! Every file of the compose crate's bad corpus, deployed with `windflow up`: exit code 3,
//! the exact diagnostic (file, line, field), and nothing created on the engine.

mod common;

use std::path::Path;

use common::run_windflow;
use windflow_testkit::docker;

async fn engine_inventory(docker: &bollard::Docker) -> (usize, usize, usize) {
    let containers = docker
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            all: true,
            ..Default::default()
        }))
        .await
        .unwrap()
        .len();
    let networks = docker
        .list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
        .await
        .unwrap()
        .len();
    let volumes = docker
        .list_volumes(None::<bollard::query_parameters::ListVolumesOptions>)
        .await
        .unwrap()
        .volumes
        .unwrap_or_default()
        .len();
    (containers, networks, volumes)
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_files_fail_clearly_and_create_nothing() {
    let docker = docker().await;
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../compose/tests/bad");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .filter(|p| p.with_extension("expected").exists())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus has {} files", files.len());
    let before = engine_inventory(&docker).await;
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        let expected = std::fs::read_to_string(file.with_extension("expected")).unwrap();
        let run = run_windflow(&corpus, &["-f", name, "up"]);
        assert_eq!(
            run.code, 3,
            "{name}: expected exit code 3\nstderr:\n{}",
            run.stderr
        );
        for line in expected.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                run.stderr.contains(line),
                "{name}: missing diagnostic {line:?}\nstderr:\n{}",
                run.stderr
            );
        }
    }
    assert_eq!(
        engine_inventory(&docker).await,
        before,
        "a bad file must not create anything"
    );
}
