//! `web/e2e/backups.mjs` in Debian's headless Chromium against a real server (SQLite), the
//! real engine and restic in its helper image. First the browser adds a folder repository on a
//! named volume in the organization's settings; then a stack whose compose file names it in
//! `x-windflow.backup` is created and deployed through the API, and a file is written into its
//! volume; then, in the browser, its Backups tab backs it up (the run succeeds with its size),
//! the snapshot's files show the file in its folder, the restore wizard's dry run names the
//! volume it replaces, and the confirmed restore succeeds. A viewer sees neither "Back up now"
//! nor the restore controls. The stack and both volumes go at the end.

use bollard::query_parameters::RemoveVolumeOptions;
use serde_json::json;
use windflow_testkit::server::{Api, Database};
use windflow_testkit::{TEST_IMAGE, docker, unique_project};

use crate::support::{MEMBER_PASSWORD, finish_deployment, member, remove_stack, run_e2e, start};

const RESTIC_IMAGE: &str = "restic/restic:0.17.3";
const NOTE: &str = "written before the backup";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_end_to_end_in_chromium() {
    let docker = docker().await;
    assert!(
        docker.inspect_image(RESTIC_IMAGE).await.is_ok(),
        "no {RESTIC_IMAGE} image: run scripts/ensure-backup-tools.sh"
    );
    let server = start(Database::Sqlite).await;
    let api = server.admin().await.unwrap();
    member(&server, &api, "vera", "default", "viewer").await;
    let repository = unique_project("e2e-repo");
    let repository_volume = unique_project("e2e-repo-data");
    let stack = unique_project("e2e-backup");
    let outcome = {
        let _browser = crate::BROWSER_TURN.lock().await;
        scenario(&server, &api, &repository, &repository_volume, &stack).await
    };
    // The stack, its volume and the repository's volume go whatever the outcome.
    if api
        .get(&format!("/orgs/default/stacks/{stack}"))
        .await
        .is_ok_and(|r| r.status == 200)
    {
        remove_stack(&api, &stack).await;
    }
    for volume in [format!("{stack}_data"), repository_volume] {
        let _ = docker
            .remove_volume(&volume, Some(RemoveVolumeOptions { force: true }))
            .await;
    }
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn scenario(
    server: &windflow_testkit::server::Server,
    api: &Api,
    repository: &str,
    repository_volume: &str,
    stack: &str,
) -> Result<(), String> {
    run_e2e(
        server,
        "backups.mjs",
        &[
            ("E2E_PHASE", "repository".into()),
            ("E2E_REPOSITORY", repository.into()),
            ("E2E_REPOSITORY_VOLUME", repository_volume.into()),
            ("E2E_TARGET", "local".into()),
        ],
    )
    .await?;

    // The stack names the repository the browser added: through the API.
    let content = format!(
        "services:\n  files:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    init: true\n    volumes: [data:/data]\nvolumes:\n  data: {{}}\nx-windflow:\n  backup:\n    repository: {repository}\n    retention: {{last: 3}}\n"
    );
    let created = api
        .post(
            "/orgs/default/stacks",
            json!({"name": stack, "content": content}),
        )
        .await
        .map_err(|e| e.to_string())?;
    if created.status != 201 {
        return Err(format!("creating {stack}: {}", created.text));
    }
    let deployed = finish_deployment(api, stack, "local", "deploy").await;
    if deployed["state"] != "succeeded" {
        return Err(format!("deploying {stack}: {deployed}"));
    }
    let (code, out) = exec(
        stack,
        &[
            "sh",
            "-c",
            &format!("mkdir -p /data/notes && echo '{NOTE}' > /data/notes/hello.txt"),
        ],
    )
    .await;
    if code != 0 {
        return Err(format!("writing into the volume: {out}"));
    }

    run_e2e(
        server,
        "backups.mjs",
        &[
            ("E2E_PHASE", "stack".into()),
            ("E2E_STACK", stack.into()),
            ("E2E_VOLUME", format!("{stack}_data")),
            ("E2E_FOLDER", "notes".into()),
            ("E2E_FILE", "hello.txt".into()),
            ("E2E_NOTE", NOTE.into()),
            ("E2E_VIEWER_USER", "vera".into()),
            ("E2E_VIEWER_PASSWORD", MEMBER_PASSWORD.into()),
        ],
    )
    .await?;

    // The restore put the backed-up file back in place, and the service runs again.
    let (code, out) = exec(stack, &["cat", "/data/notes/hello.txt"]).await;
    if code != 0 || out.trim() != NOTE {
        return Err(format!(
            "after the restore, /data/notes/hello.txt reads {out:?} (exit {code})"
        ));
    }
    Ok(())
}

/// Runs `cmd` in the stack's `files` container: exit code and output.
async fn exec(project: &str, cmd: &[&str]) -> (i64, String) {
    crate::support::exec_in(project, "files", cmd, &[]).await
}
