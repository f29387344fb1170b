//! `windflow backup …` against a real server and the real engine: a folder repository on a
//! named volume (an existing restic repository, opened with a password from a file), a
//! stack whose compose file names it, then `backup run --wait`, `ls`, `snapshots`, `files`,
//! `get` (the same bytes), a deleted file brought back by `restore --yes --wait`, a policy
//! set from YAML, and `check --wait`. No secret is a command-line option, and none comes back
//! in `--output json`.

use bollard::query_parameters::RemoveVolumeOptions;
use windflow_testkit::server::Database;
use windflow_testkit::{TEST_IMAGE, docker_or_skip, ensure_test_images, unique_project};

use crate::cli_client::Cli;
use crate::support;

/// The helper image the server runs restic in (the stand-in scripts/ensure-backup-tools.sh
/// builds).
const RESTIC_IMAGE: &str = "restic/restic:0.17.3";
const PASSWORD: &str = "repo-pass-5d2e9a7c";

/// Runs `sh -c script` in the stack's `files` container; panics unless it exits 0.
async fn shell(_docker: &bollard::Docker, project: &str, script: &str) -> String {
    let (code, text) = support::exec_in(project, "files", &["sh", "-c", script], &[]).await;
    assert_eq!(code, 0, "{script}: {text}");
    text
}

/// An existing restic repository in the volume `volume`, with [`PASSWORD`].
async fn init_repository(volume: &str) {
    let task = windflow_engine::task::TaskSpec {
        name: unique_project("wf-cli-restic-init"),
        image: RESTIC_IMAGE.into(),
        entrypoint: vec!["/usr/bin/restic".into()],
        cmd: ["-r", "/repo", "init"].map(String::from).to_vec(),
        env: vec![format!("RESTIC_PASSWORD={PASSWORD}")],
        mounts: vec![windflow_engine::task::TaskMount {
            source: volume.to_string(),
            target: "/repo".into(),
            read_only: false,
            bind: false,
        }],
        ..Default::default()
    };
    let driver = windflow_engine::docker::DockerDriver::connect(None).unwrap();
    let out = windflow_engine::driver::Driver::run_task(&driver, &task, Default::default())
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0, "restic init: {}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn back_up_browse_download_and_restore_with_the_cli() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    ensure_test_images(&docker).await.unwrap();
    let server = support::start(Database::Sqlite).await;
    let admin = server.admin().await.unwrap();
    let cli = Cli::new();
    let run = cli.login(&server.url).await;
    assert_eq!(run.code, 0, "{run}");

    // Secrets are never command-line values.
    for option in ["--password", "--secret-access-key", "--ssh-key"] {
        let run = cli
            .run(&[
                "backup", "repo", "add", "x", "--target", "local", "--folder", "x", "--volume",
                option, PASSWORD,
            ])
            .await;
        assert_eq!(run.code, 2, "{option}: {run}");
        assert!(
            run.stderr
                .contains(&format!("unexpected argument '{option}'")),
            "{option}: {run}"
        );
    }
    let run = cli
        .run(&[
            "backup",
            "repo",
            "add",
            "x",
            "--target",
            "local",
            "--folder",
            "x",
            "--access-key-id",
            "a",
        ])
        .await;
    assert_eq!(run.code, 2, "an S3 key for a folder: {run}");

    // A folder repository on a named volume: an existing restic repository, opened with the
    // password from a file.
    let repo_volume = unique_project("wf-cli-repo");
    init_repository(&repo_volume).await;
    let password_file = cli.write("repo.password", &format!("{PASSWORD}\n"));
    let run = cli
        .run(&[
            "backup",
            "repo",
            "add",
            "local",
            "--target",
            "local",
            "--folder",
            &repo_volume,
            "--volume",
            "--password-file",
            password_file.to_str().unwrap(),
        ])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("added the folder repository local"),
        "{run}"
    );
    let run = cli.run(&["backup", "repo", "ls"]).await;
    assert_eq!(run.code, 0, "{run}");
    let location = format!("volume {repo_volume}");
    for column in ["local", "folder", location.as_str(), "never"] {
        assert!(run.stdout.contains(column), "{column}: {run}");
    }
    let run = cli.run(&["backup", "repo", "ls", "--output", "json"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.json()[0]["name"], "local", "{run}");
    assert_eq!(run.json()[0]["location"]["volume"], true, "{run}");
    assert!(!run.stdout.contains(PASSWORD), "a secret in {run}");

    // A stack whose compose file names the repository, deployed, with a file in its volume.
    let project = unique_project("backup-cli");
    let compose = format!(
        "services:\n  files:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    init: true\n    volumes: [data:/data]\nvolumes:\n  data: {{}}\nx-windflow:\n  backup:\n    repository: local\n"
    );
    cli.write("compose.yml", &compose);
    let run = cli
        .run(&["stack", "push", "-f", "compose.yml", &project])
        .await;
    assert_eq!(run.code, 0, "{run}");
    support::run_deployment(&admin, &project, "deploy").await;
    shell(
        &docker,
        &project,
        "mkdir -p /data/docs && echo 'hello from the cli test' > /data/docs/note.txt",
    )
    .await;

    let run = cli.run(&["backup", "policy", "show", &project]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("repository: local"), "{run}");
    assert!(run.stdout.contains("compose file"), "{run}");

    // A backup, followed to its end: the item with its size, added bytes and duration.
    let run = cli.run(&["backup", "run", &project, "--wait"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("succeeded"), "{run}");
    assert!(run.stdout.contains("added"), "{run}");
    assert!(run.stderr.contains("✔ volume:data"), "{run}");
    assert!(run.stderr.contains("file(s)"), "{run}");

    let run = cli.run(&["backup", "ls", &project]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("backup") && run.stdout.contains("succeeded"),
        "{run}"
    );
    let run = cli
        .run(&["backup", "ls", &project, "--output", "json"])
        .await;
    assert_eq!(run.code, 0, "{run}");
    let backup_run = run.json()[0]["id"].as_str().unwrap().to_string();

    let run = cli
        .run(&["backup", "snapshots", &project, "--output", "json"])
        .await;
    assert_eq!(run.code, 0, "{run}");
    let snapshots = run.json();
    assert_eq!(snapshots[0]["item"], "volume:data", "{run}");
    assert_eq!(snapshots[0]["run"], backup_run.as_str(), "{run}");
    let snapshot = snapshots[0]["id"].as_str().unwrap().to_string();
    let short = &snapshot[..8];
    let run = cli.run(&["backup", "snapshots", &project]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains(short) && run.stdout.contains("volume:data"),
        "{run}"
    );

    // Browsed and downloaded by the short id.
    let run = cli.run(&["backup", "files", short]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("docs/"), "{run}");
    let run = cli.run(&["backup", "files", short, "docs"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("docs/note.txt"), "{run}");
    let downloaded = cli.home.join("note-copy.txt");
    let run = cli
        .run(&[
            "backup",
            "get",
            short,
            "docs/note.txt",
            "-o",
            downloaded.to_str().unwrap(),
        ])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        std::fs::read_to_string(&downloaded).unwrap(),
        "hello from the cli test\n"
    );

    // The file goes; a restore brings it back, after its plan and a confirmation.
    shell(&docker, &project, "rm /data/docs/note.txt").await;
    let run = cli.run(&["backup", "restore", &project, "--dry-run"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("volume:data") && run.stdout.contains("replaces"),
        "{run}"
    );
    let run = cli.run(&["backup", "restore", &project]).await;
    assert_eq!(run.code, 2, "no terminal, no --yes: {run}");
    assert!(run.stderr.contains("--yes"), "{run}");
    shell(&docker, &project, "test ! -e /data/docs/note.txt").await;
    let run = cli
        .run(&[
            "backup",
            "restore",
            &project,
            "--run",
            &backup_run,
            "--yes",
            "--wait",
        ])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("restored"), "{run}");
    assert_eq!(
        shell(&docker, &project, "cat /data/docs/note.txt").await,
        "hello from the cli test\n"
    );

    // A drill restores the backup into a throwaway copy (no checks declared: restoring is
    // the proof).
    let run = cli.run(&["backup", "drill", &project, "--wait"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("drill") && run.stdout.contains("succeeded"),
        "{run}"
    );

    // A queued backup, cancelled; following it then ends with its outcome.
    let run = cli
        .run(&["backup", "run", &project, "--output", "json"])
        .await;
    assert_eq!(run.code, 0, "{run}");
    let queued = run.json()["id"].as_str().unwrap().to_string();
    let run = cli.run(&["backup", "cancel", &queued]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains(&queued), "{run}");
    let run = cli.run(&["backup", "show", &queued, "--wait"]).await;
    match run.code {
        0 => assert!(run.stdout.contains("succeeded"), "{run}"),
        _ => assert!(run.stderr.contains("cancelled"), "{run}"),
    }

    // A policy from YAML overrides the compose file's; removed, the compose file's is back.
    cli.write("policy.yaml", "repository: local\nretention: {last: 2}\n");
    let run = cli
        .run(&[
            "backup",
            "policy",
            "set",
            &project,
            "-f",
            "policy.yaml",
            "--disabled",
        ])
        .await;
    assert_eq!(run.code, 0, "{run}");
    let run = cli
        .run(&["backup", "policy", "show", &project, "--output", "json"])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.json()["source"], "api", "{run}");
    assert_eq!(run.json()["enabled"], false, "{run}");
    assert_eq!(run.json()["policy"]["retention"]["last"], 2, "{run}");
    cli.write(
        "bad-policy.yaml",
        "repository: local\nretention: {lst: 2}\n",
    );
    let run = cli
        .run(&["backup", "policy", "set", &project, "-f", "bad-policy.yaml"])
        .await;
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("bad-policy.yaml"), "{run}");
    let run = cli.run(&["backup", "policy", "rm", &project]).await;
    assert_eq!(run.code, 0, "{run}");

    // The repository checks clean.
    let run = cli.run(&["backup", "check", "local", "--wait"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("succeeded"), "{run}");
    let run = cli.run(&["backup", "repo", "ls"]).await;
    assert!(run.stdout.contains("ok "), "{run}");

    // Clean up: the stack, its volume, the repository and its volume.
    support::remove_stack(&admin, &project).await;
    let run = cli.run(&["backup", "repo", "rm", "local"]).await;
    assert_eq!(run.code, 0, "{run}");
    for volume in [format!("{project}_data"), repo_volume] {
        let _ = docker
            .remove_volume(&volume, Some(RemoveVolumeOptions { force: true }))
            .await;
    }
}
