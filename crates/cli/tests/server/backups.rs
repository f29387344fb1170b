//! Backups through the server, against real parts: a SeaweedFS S3 server on loopback (the
//! repository), restic in its helper image, a PostgreSQL service (Debian's PostgreSQL in the
//! `postgres:17` stand-in) and a files volume on the real engine.
//!
//! What a user checks: the rows are back and the files have their hashes after the stack and
//! its volumes were destroyed; the second backup adds far less than the data; a wrong key, a
//! stopped S3 server, a corrupted pack each give a clear error and lose nothing; a failed
//! restore leaves the live data as it was; a drill restores into a throwaway copy and runs
//! its checks; `kill -9` of the server mid-backup, then a restart, ends with a complete
//! backup and a repository that checks clean; the secrets appear nowhere.

use std::time::{Duration, Instant};

use bollard::query_parameters::{ListContainersOptions, RemoveVolumeOptions};
use serde_json::{Value, json};
use windflow_testkit::s3::S3Server;
use windflow_testkit::server::{Api, Database};
use windflow_testkit::{TEST_IMAGE, docker, unique_project};

use crate::support::{member, run_deployment, start_with};

const DB_PASSWORD: &str = "db-pass-8c1f0e";

fn stack(repository: &str) -> String {
    format!(
        r#"services:
  db:
    image: postgres:17
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: {DB_PASSWORD}
      POSTGRES_DB: shop
    volumes: [pgdata:/var/lib/postgresql/data]
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "app", "-d", "shop"]
      interval: 1s
      retries: 60
  files:
    image: {TEST_IMAGE}
    command: ["sleep", "3600"]
    init: true
    volumes: [uploads:/uploads]
volumes:
  pgdata: {{}}
  uploads: {{}}
x-windflow:
  backup:
    repository: {repository}
    retention: {{last: 5}}
    drill:
      checks:
        - service: db
          command: [psql, -U, app, -d, shop, -tAc, "select count(*) from items"]
          expect: "1200"
        - service: files
          command: [sha256sum, /uploads/blob.bin]
"#
    )
}

/// Runs `cmd` in the stack's `service` container: exit code and output.
async fn exec(project: &str, service: &str, cmd: &[&str], env: &[&str]) -> (i64, String) {
    crate::support::exec_in(project, service, cmd, env).await
}

async fn exec_ok(project: &str, service: &str, cmd: &[&str]) -> String {
    let env = [format!("PGPASSWORD={DB_PASSWORD}")];
    let env: Vec<&str> = env.iter().map(String::as_str).collect();
    let (code, text) = exec(project, service, cmd, &env).await;
    assert_eq!(code, 0, "{cmd:?} in {service}: {text}");
    text.trim().to_string()
}

async fn psql(project: &str, sql: &str) -> String {
    exec_ok(
        project,
        "db",
        &[
            "psql",
            "-U",
            "app",
            "-d",
            "shop",
            "-v",
            "ON_ERROR_STOP=1",
            "-tAc",
            sql,
        ],
    )
    .await
}

async fn wait_db(project: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let env = [format!("PGPASSWORD={DB_PASSWORD}")];
        let env: Vec<&str> = env.iter().map(String::as_str).collect();
        let (code, _) = exec(
            project,
            "db",
            &["psql", "-U", "app", "-d", "shop", "-tAc", "select 1"],
            &env,
        )
        .await;
        if code == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the database did not come up");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits for a backup run to end; returns it.
async fn wait_run(api: &Api, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let r = api
            .get(&format!("/orgs/default/backup/runs/{id}"))
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        if matches!(
            r.body["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            return r.body;
        }
        assert!(
            Instant::now() < deadline,
            "run {id} did not end: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn backup(api: &Api, stack: &str) -> Value {
    let r = api
        .post(
            &format!("/orgs/default/stacks/{stack}/backup/run"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 202, "{}", r.text);
    wait_run(api, r.body["id"].as_str().unwrap()).await
}

fn item<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["result"]["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["item"] == name))
        .unwrap_or_else(|| panic!("no {name} in {run}"))
}

/// Creates and deploys a stack of one busybox service `files` with the named volume `volume`
/// at `/<volume>`, backed up to `repository`; returns its name.
async fn files_stack(admin: &Api, prefix: &str, repository: &str, volume: &str) -> String {
    let project = unique_project(prefix);
    let content = format!(
        "services:\n  files:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    init: true\n    volumes: [{volume}:/{volume}]\nvolumes:\n  {volume}: {{}}\nx-windflow:\n  backup:\n    repository: {repository}\n"
    );
    let r = admin
        .post(
            "/orgs/default/stacks",
            json!({"name": project, "content": content}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    run_deployment(admin, &project, "deploy").await;
    project
}

async fn remove_volumes(project: &str) {
    let docker = docker().await;
    for v in ["pgdata", "uploads"] {
        let _ = docker
            .remove_volume(
                &format!("{project}_{v}"),
                Some(RemoveVolumeOptions { force: true }),
            )
            .await;
    }
}

async fn helpers_left(run: &str) -> usize {
    let docker = docker().await;
    let filters = std::collections::HashMap::from([(
        "label".to_string(),
        vec![format!("org.windflow.backup.run={run}")],
    )]);
    docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn back_up_destroy_restore_and_drill_a_database_and_files() {
    let s3 = S3Server::start();
    let server = start_with(
        Database::Sqlite,
        &[("WINDFLOW_BACKUP_ALLOW_ENDPOINTS", s3.endpoint().as_str())],
    )
    .await;
    let admin = server.admin().await.unwrap();
    let location = json!({"kind": "s3", "endpoint": s3.endpoint(), "bucket": "wf-backups"});

    // An endpoint on the operator's network needs a server administrator's allowance.
    let internal = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "inside", "target": "local",
                   "location": {"kind": "s3", "endpoint": "http://127.0.0.1:9", "bucket": "x-b"},
                   "access_key_id": "a", "secret_access_key": "b"}),
        )
        .await
        .unwrap();
    assert_eq!(internal.status, 403, "{}", internal.text);
    assert!(
        internal.text.contains("--backup-allow-endpoint"),
        "{}",
        internal.text
    );

    // Wrong credentials: a clear error, nothing stored.
    let wrong = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "offsite", "target": "local", "location": location,
                   "access_key_id": s3.access_key(), "secret_access_key": "not-the-key"}),
        )
        .await
        .unwrap();
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(
        wrong.text.contains("refused the credentials"),
        "{}",
        wrong.text
    );
    let none = admin
        .get("/orgs/default/backup/repositories")
        .await
        .unwrap();
    assert_eq!(none.body, json!([]), "{}", none.text);

    // Only an admin adds repositories.
    let operator = member(&server, &admin, "oscar", "default", "operator").await;
    let denied = operator
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "x", "target": "local", "location": location}),
        )
        .await
        .unwrap();
    assert_eq!(denied.status, 403, "{}", denied.text);

    let created = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "offsite", "target": "local", "location": location,
                   "access_key_id": s3.access_key(), "secret_access_key": s3.secret_key()}),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["credentials_set"], true);
    assert!(!created.text.contains(s3.secret_key()));

    // A compose file naming a repository the organization lacks is refused.
    let project = unique_project("backup");
    let refused = admin
        .post(
            "/orgs/default/stacks",
            json!({"name": project, "content": stack("nowhere")}),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("x-windflow.backup.repository"),
        "{}",
        refused.text
    );

    let created = admin
        .post(
            "/orgs/default/stacks",
            json!({"name": project, "content": stack("offsite")}),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    let policy = admin
        .get(&format!("/orgs/default/stacks/{project}/backup"))
        .await
        .unwrap();
    assert_eq!(policy.status, 200, "{}", policy.text);
    assert_eq!(policy.body["source"], "compose");
    run_deployment(&admin, &project, "deploy").await;
    wait_db(&project).await;

    // Data: 1000 rows, and a 32 MiB file of random bytes.
    psql(
        &project,
        "create table items (id serial primary key, name text not null)",
    )
    .await;
    psql(
        &project,
        "insert into items (name) select 'item ' || g from generate_series(1, 1000) g",
    )
    .await;
    exec_ok(
        &project,
        "files",
        &[
            "dd",
            "if=/dev/urandom",
            "of=/uploads/blob.bin",
            "bs=1024",
            "count=32768",
        ],
    )
    .await;
    exec_ok(
        &project,
        "files",
        &[
            "sh",
            "-c",
            "mkdir -p /uploads/docs && echo hello > /uploads/docs/a.txt",
        ],
    )
    .await;

    let first = backup(&operator, &project).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let first_files = item(&first, "volume:uploads");
    assert!(
        first_files["size_bytes"].as_u64().unwrap() >= 32 << 20,
        "{first}"
    );
    item(&first, "database:db");
    assert_eq!(
        helpers_left(first["id"].as_str().unwrap()).await,
        0,
        "helpers are removed"
    );
    // Its progress as Server-Sent Events: the stream ends with the finished run.
    let events = operator
        .get(&format!(
            "/orgs/default/backup/runs/{}/events",
            first["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(events.status, 200, "{}", events.text);
    assert!(events.text.contains("event: run"), "{}", events.text);
    assert!(
        events.text.contains("\"status\":\"succeeded\""),
        "{}",
        events.text
    );

    // 5 % more data, then a second backup: deduplicated, it adds far less than the data.
    exec_ok(
        &project,
        "files",
        &[
            "sh",
            "-c",
            "dd if=/dev/urandom bs=1024 count=1638 >> /uploads/blob.bin",
        ],
    )
    .await;
    psql(
        &project,
        "insert into items (name) select 'more ' || g from generate_series(1, 200) g",
    )
    .await;
    let hash = exec_ok(&project, "files", &["sha256sum", "/uploads/blob.bin"]).await;
    let second = backup(&operator, &project).await;
    assert_eq!(second["status"], "succeeded", "{second}");
    let files2 = item(&second, "volume:uploads");
    let size = first_files["size_bytes"].as_u64().unwrap() + (1638 << 10);
    let added = files2["added_bytes"].as_u64().unwrap();
    // restic cuts content-defined chunks of 512 KiB to 8 MiB: appending re-chunks at most the
    // file's last chunk, so the second backup adds the new data plus at most one chunk — not
    // the file again (a fixed fraction of it would depend on where the random data's chunk
    // boundaries fell).
    assert!(
        added <= (1638 << 10) + (8 << 20) && added < size / 3,
        "the second backup added {added} of {size} bytes"
    );

    // Browse the snapshot and download a file (needs admin).
    let snapshot = files2["snapshot"].as_str().unwrap();
    let listing = operator
        .get(&format!(
            "/orgs/default/backup/snapshots/{snapshot}/files?path=docs"
        ))
        .await
        .unwrap();
    assert_eq!(listing.status, 200, "{}", listing.text);
    assert_eq!(listing.body[0]["path"], "docs/a.txt", "{}", listing.text);
    let denied = operator
        .get(&format!(
            "/orgs/default/backup/snapshots/{snapshot}/download?path=docs/a.txt"
        ))
        .await
        .unwrap();
    assert_eq!(denied.status, 403);
    let file = admin
        .get(&format!(
            "/orgs/default/backup/snapshots/{snapshot}/download?path=docs/a.txt"
        ))
        .await
        .unwrap();
    assert_eq!((file.status, file.text.as_str()), (200, "hello\n"));

    // The S3 server stops: a clear error, and the earlier backups are still there.
    let mut s3 = s3;
    s3.stop();
    let failed = backup(&operator, &project).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("did not answer"),
        "{failed}"
    );
    s3.restart();

    // Destroy the stack's containers and volumes, deploy it empty, restore.
    run_deployment(&admin, &project, "remove").await;
    remove_volumes(&project).await;
    run_deployment(&admin, &project, "deploy").await;
    wait_db(&project).await;
    let (code, _) = exec(&project, "files", &["test", "-f", "/uploads/blob.bin"], &[]).await;
    assert_ne!(code, 0, "the new volume is empty");
    let plan = admin
        .post(
            &format!("/orgs/default/stacks/{project}/backup/restore"),
            json!({"run": second["id"], "dry_run": true}),
        )
        .await
        .unwrap();
    assert_eq!(plan.status, 200, "{}", plan.text);
    assert_eq!(
        plan.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        plan.text
    );
    assert!(plan.body["run"].is_null());
    let denied = operator
        .post(
            &format!("/orgs/default/stacks/{project}/backup/restore"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(denied.status, 403, "restores need admin");
    let restore = admin
        .post(
            &format!("/orgs/default/stacks/{project}/backup/restore"),
            json!({"run": second["id"]}),
        )
        .await
        .unwrap();
    assert_eq!(restore.status, 202, "{}", restore.text);
    let restored = wait_run(&admin, restore.body["run"]["id"].as_str().unwrap()).await;
    assert_eq!(restored["status"], "succeeded", "{restored}");
    wait_db(&project).await;
    assert_eq!(psql(&project, "select count(*) from items").await, "1200");
    assert_eq!(
        exec_ok(&project, "files", &["sha256sum", "/uploads/blob.bin"]).await,
        hash
    );
    assert_eq!(
        exec_ok(&project, "files", &["cat", "/uploads/docs/a.txt"]).await,
        "hello"
    );

    // A single file, restored from the first backup, beside the rest.
    exec_ok(&project, "files", &["rm", "/uploads/docs/a.txt"]).await;
    let one = admin
        .post(
            &format!("/orgs/default/stacks/{project}/backup/restore"),
            json!({"run": first["id"], "items": ["volume:uploads"], "paths": ["docs/a.txt"]}),
        )
        .await
        .unwrap();
    assert_eq!(one.status, 202, "{}", one.text);
    let one = wait_run(&admin, one.body["run"]["id"].as_str().unwrap()).await;
    assert_eq!(one["status"], "succeeded", "{one}");
    assert_eq!(
        exec_ok(&project, "files", &["cat", "/uploads/docs/a.txt"]).await,
        "hello"
    );
    assert_eq!(
        exec_ok(&project, "files", &["sha256sum", "/uploads/blob.bin"]).await,
        hash,
        "the rest is untouched"
    );

    // A drill restores into a throwaway copy and runs the checks.
    let drill = operator
        .post(
            &format!("/orgs/default/stacks/{project}/backup/drill"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(drill.status, 202, "{}", drill.text);
    let drill = wait_run(&operator, drill.body["id"].as_str().unwrap()).await;
    assert_eq!(drill["status"], "succeeded", "{drill}");
    let checks = drill["result"]["checks"].as_array().unwrap();
    assert!(checks.iter().all(|c| c["ok"] == true), "{drill}");
    assert!(
        checks[1]["output"]
            .as_str()
            .unwrap()
            .starts_with(hash.split_whitespace().next().unwrap()),
        "{drill}"
    );
    assert_eq!(
        helpers_left(drill["id"].as_str().unwrap()).await,
        0,
        "the drill's copy is removed"
    );

    // A scheduled integrity check reading all the data back.
    let check = operator
        .post(
            "/orgs/default/backup/repositories/offsite/check",
            json!({"read_data": 100}),
        )
        .await
        .unwrap();
    assert_eq!(check.status, 202, "{}", check.text);
    let check = wait_run(&operator, check.body["id"].as_str().unwrap()).await;
    assert_eq!(check["status"], "succeeded", "{check}");

    // Secrets: not in answers, the audit log or the server's log.
    let audit = admin.get("/orgs/default/audit").await.unwrap();
    let repos = admin
        .get("/orgs/default/backup/repositories")
        .await
        .unwrap();
    let logs = server.logs();
    for text in [audit.text.as_str(), repos.text.as_str(), logs.as_str()] {
        assert!(!text.contains(s3.secret_key()), "the S3 secret leaked");
        assert!(
            !text.contains(DB_PASSWORD) || text == logs,
            "the database password leaked"
        );
    }
    assert!(
        !logs.contains(DB_PASSWORD),
        "the database password is in the server's log"
    );

    // Another organization sees none of it.
    let r = admin
        .post("/orgs", json!({"slug": "other", "name": "Other"}))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let outsider = member(&server, &admin, "olivia", "other", "owner").await;
    for path in [
        "/orgs/default/backup/repositories".to_string(),
        format!(
            "/orgs/default/backup/runs/{}",
            first["id"].as_str().unwrap()
        ),
        format!("/orgs/other/backup/runs/{}", first["id"].as_str().unwrap()),
        format!("/orgs/other/backup/snapshots/{snapshot}/files"),
    ] {
        let r = outsider.get(&path).await.unwrap();
        assert_eq!(r.status, 404, "{path}: {}", r.text);
    }

    // The stack goes; its volumes too.
    run_deployment(&admin, &project, "remove").await;
    remove_volumes(&project).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_corrupted_repository_fails_its_check_and_a_failed_restore_keeps_the_live_data() {
    let server = start_with(Database::Sqlite, &[]).await;
    let admin = server.admin().await.unwrap();
    let repo_volume = unique_project("wf-repo");
    let created = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "local", "target": "local", "location": {"kind": "folder", "path": repo_volume, "volume": true}}),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    // A host folder needs the host-access policy's allowance: at the baseline level with
    // /srv/windflow-backups allowed, /etc is refused before restic runs.
    let r = admin
        .put(
            "/orgs/default/policy",
            json!({"level": "baseline", "allowed_host_paths": ["/srv/windflow-backups"]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    let host = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "host", "target": "local", "location": {"kind": "folder", "path": "/etc"}}),
        )
        .await
        .unwrap();
    assert_eq!(host.status, 403, "{}", host.text);
    assert!(host.text.contains("host-access policy"), "{}", host.text);
    let r = admin
        .put("/orgs/default/policy", json!({"level": "privileged"}))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);

    let project = files_stack(&admin, "backup-corrupt", "local", "uploads").await;
    exec_ok(
        &project,
        "files",
        &[
            "dd",
            "if=/dev/urandom",
            "of=/uploads/blob.bin",
            "bs=1024",
            "count=2048",
        ],
    )
    .await;
    let done = backup(&admin, &project).await;
    assert_eq!(done["status"], "succeeded", "{done}");

    // New data after the backup, which a failed restore must not lose.
    exec_ok(
        &project,
        "files",
        &["sh", "-c", "echo newer > /uploads/newer.txt"],
    )
    .await;
    let before = exec_ok(&project, "files", &["sh", "-c", "sha256sum /uploads/*"]).await;

    // Corrupt every pack file of the repository.
    let docker = docker().await;
    let corrupter = windflow_engine::task::TaskSpec {
        name: unique_project("corrupt"),
        image: TEST_IMAGE.into(),
        entrypoint: vec!["sh".into()],
        cmd: vec![
            "-c".into(),
            "for f in $(find /repo/data -type f); do printf 'garbage-garbage-garbage' | dd of=$f bs=1 seek=100 conv=notrunc 2>/dev/null; done".into(),
        ],
        mounts: vec![windflow_engine::task::TaskMount { source: repo_volume.clone(), target: "/repo".into(), read_only: false, bind: false }],
        ..Default::default()
    };
    let driver = windflow_engine::docker::DockerDriver::connect(None).unwrap();
    let out = windflow_engine::driver::Driver::run_task(&driver, &corrupter, Default::default())
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0, "{}", out.stderr);

    let check = admin
        .post(
            "/orgs/default/backup/repositories/local/check",
            json!({"read_data": 100}),
        )
        .await
        .unwrap();
    let check = wait_run(&admin, check.body["id"].as_str().unwrap()).await;
    assert_eq!(check["status"], "failed", "{check}");
    let repo = admin
        .get("/orgs/default/backup/repositories/local")
        .await
        .unwrap();
    assert_eq!(repo.body["check_ok"], false, "{}", repo.text);

    let restore = admin
        .post(
            &format!("/orgs/default/stacks/{project}/backup/restore"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(restore.status, 202, "{}", restore.text);
    let restore = wait_run(&admin, restore.body["run"]["id"].as_str().unwrap()).await;
    assert_eq!(restore["status"], "failed", "{restore}");
    assert_eq!(
        exec_ok(&project, "files", &["sh", "-c", "sha256sum /uploads/*"]).await,
        before,
        "the live data is as it was"
    );

    run_deployment(&admin, &project, "remove").await;
    let _ = docker
        .remove_volume(
            &format!("{project}_uploads"),
            Some(RemoveVolumeOptions { force: true }),
        )
        .await;
    let _ = docker
        .remove_volume(&repo_volume, Some(RemoveVolumeOptions { force: true }))
        .await;
}

/// `kill -9` of the server while a backup runs (PostgreSQL holds the state): after the
/// restart the run is taken again and completes, and the repository checks clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_interrupted_by_kill_9_completes_after_the_restart() {
    let Some(database) = windflow_testkit::postgres::fresh_database("backup-crash").await else {
        eprintln!("skipped: no PostgreSQL");
        return;
    };
    let s3 = S3Server::start();
    let mut server = start_with(
        Database::Postgres(database),
        &[("WINDFLOW_BACKUP_ALLOW_ENDPOINTS", s3.endpoint().as_str())],
    )
    .await;
    let admin = server.admin().await.unwrap();
    let r = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "offsite", "target": "local",
                   "location": {"kind": "s3", "endpoint": s3.endpoint(), "bucket": "wf-crash"},
                   "access_key_id": s3.access_key(), "secret_access_key": s3.secret_key()}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let project = files_stack(&admin, "backup-crash", "offsite", "bulk").await;
    // Enough data for the backup to take a few seconds.
    exec_ok(&project, "files", &["sh", "-c", "for i in $(seq 1 12); do dd if=/dev/urandom of=/bulk/f$i bs=1M count=16 2>/dev/null; done"]).await;

    let r = admin
        .post(
            &format!("/orgs/default/stacks/{project}/backup/run"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    // Pull the plug once the backup runs (its helper exists).
    let deadline = Instant::now() + Duration::from_secs(60);
    while helpers_left(&id).await == 0 {
        assert!(Instant::now() < deadline, "the backup never started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill9();
    server.restart().await.unwrap();
    let admin = server.admin().await.unwrap();
    let done = wait_run(&admin, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(done["attempts"].as_i64().unwrap() >= 2, "{done}");
    let check = admin
        .post(
            "/orgs/default/backup/repositories/offsite/check",
            json!({"read_data": 10}),
        )
        .await
        .unwrap();
    let check = wait_run(&admin, check.body["id"].as_str().unwrap()).await;
    assert_eq!(check["status"], "succeeded", "{check}");

    run_deployment(&admin, &project, "remove").await;
    let docker = docker().await;
    let _ = docker
        .remove_volume(
            &format!("{project}_bulk"),
            Some(RemoveVolumeOptions { force: true }),
        )
        .await;
}

/// A repository that runs out of space: the backup fails saying so, and the earlier backup
/// still restores.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_repository_fails_clearly_and_loses_nothing() {
    let server = start_with(Database::Sqlite, &[]).await;
    let admin = server.admin().await.unwrap();
    // The repository: a 24 MiB tmpfs volume.
    let repo_volume = unique_project("wf-full");
    let docker = docker().await;
    docker
        .create_volume(bollard::models::VolumeCreateRequest {
            name: Some(repo_volume.clone()),
            driver: Some("local".into()),
            driver_opts: Some(std::collections::HashMap::from([
                ("type".to_string(), "tmpfs".to_string()),
                ("device".to_string(), "tmpfs".to_string()),
                ("o".to_string(), "size=24m".to_string()),
            ])),
            ..Default::default()
        })
        .await
        .unwrap();
    // A tmpfs volume lives while it is mounted: a keeper holds it across the helpers.
    let driver = windflow_engine::docker::DockerDriver::connect(None).unwrap();
    let keeper = windflow_engine::driver::Driver::start_task(
        &driver,
        &windflow_engine::task::TaskSpec {
            name: unique_project("keeper"),
            image: TEST_IMAGE.into(),
            entrypoint: vec!["sleep".into()],
            cmd: vec!["3600".into()],
            mounts: vec![windflow_engine::task::TaskMount {
                source: repo_volume.clone(),
                target: "/repo".into(),
                read_only: false,
                bind: false,
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let created = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "small", "target": "local", "location": {"kind": "folder", "path": repo_volume, "volume": true}}),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    let project = files_stack(&admin, "backup-full", "small", "uploads").await;
    exec_ok(
        &project,
        "files",
        &[
            "dd",
            "if=/dev/urandom",
            "of=/uploads/small.bin",
            "bs=1024",
            "count=1024",
        ],
    )
    .await;
    let hash = exec_ok(&project, "files", &["sha256sum", "/uploads/small.bin"]).await;
    let first = backup(&admin, &project).await;
    assert_eq!(first["status"], "succeeded", "{first}");

    exec_ok(
        &project,
        "files",
        &[
            "dd",
            "if=/dev/urandom",
            "of=/uploads/big.bin",
            "bs=1048576",
            "count=40",
        ],
    )
    .await;
    let full = backup(&admin, &project).await;
    assert_eq!(full["status"], "failed", "{full}");
    assert!(
        full["error"].as_str().unwrap().contains("no space is left"),
        "{full}"
    );

    // The first backup still restores.
    exec_ok(&project, "files", &["rm", "/uploads/small.bin"]).await;
    let restore = admin
        .post(
            &format!("/orgs/default/stacks/{project}/backup/restore"),
            json!({"run": first["id"], "paths": ["small.bin"]}),
        )
        .await
        .unwrap();
    assert_eq!(restore.status, 202, "{}", restore.text);
    let restore = wait_run(&admin, restore.body["run"]["id"].as_str().unwrap()).await;
    assert_eq!(restore["status"], "succeeded", "{restore}");
    assert_eq!(
        exec_ok(&project, "files", &["sha256sum", "/uploads/small.bin"]).await,
        hash
    );

    run_deployment(&admin, &project, "remove").await;
    let _ = docker
        .remove_volume(
            &format!("{project}_uploads"),
            Some(RemoveVolumeOptions { force: true }),
        )
        .await;
    let _ = windflow_engine::driver::Driver::remove_container(&driver, &keeper, true).await;
    let _ = docker
        .remove_volume(&repo_volume, Some(RemoveVolumeOptions { force: true }))
        .await;
}

/// An SFTP repository on a real OpenSSH server (the host key checked): a backup, then a
/// restore of a removed file; a wrong host key is refused before anything is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_sftp_repository_backs_up_and_restores() {
    let sshd = windflow_testkit::sshd::Sshd::start().unwrap();
    let allowed = format!("sftp://127.0.0.1:{}", sshd.port);
    let server = start_with(
        Database::Sqlite,
        &[("WINDFLOW_BACKUP_ALLOW_ENDPOINTS", allowed.as_str())],
    )
    .await;
    let admin = server.admin().await.unwrap();
    let key = std::fs::read_to_string(&sshd.client_key).unwrap();
    let path = sshd.dir().join("restic-repo");
    let location = json!({"kind": "sftp", "host": "127.0.0.1", "port": sshd.port, "user": sshd.user, "path": path.display().to_string()});
    let wrong = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "sftp", "target": "local", "location": location,
                   "ssh_private_key": key,
                   "ssh_known_hosts": format!("[127.0.0.1]:{} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n", sshd.port)}),
        )
        .await
        .unwrap();
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(!path.join("config").exists(), "nothing was written");
    let known_hosts = std::fs::read_to_string(sshd.known_hosts_file().unwrap()).unwrap();
    let created = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "sftp", "target": "local", "location": location,
                   "ssh_private_key": key, "ssh_known_hosts": known_hosts}),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        path.join("config").exists(),
        "restic initialized the repository over SFTP"
    );
    assert!(!created.text.contains("PRIVATE KEY"));

    let project = files_stack(&admin, "backup-sftp", "sftp", "uploads").await;
    exec_ok(
        &project,
        "files",
        &["sh", "-c", "echo over-sftp > /uploads/note.txt"],
    )
    .await;
    let done = backup(&admin, &project).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    exec_ok(&project, "files", &["rm", "/uploads/note.txt"]).await;
    let restore = admin
        .post(
            &format!("/orgs/default/stacks/{project}/backup/restore"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(restore.status, 202, "{}", restore.text);
    let restore = wait_run(&admin, restore.body["run"]["id"].as_str().unwrap()).await;
    assert_eq!(restore["status"], "succeeded", "{restore}");
    assert_eq!(
        exec_ok(&project, "files", &["cat", "/uploads/note.txt"]).await,
        "over-sftp"
    );

    // The same backup restored into another stack (a copy, or a migration to another target):
    // its volume of the same key receives the data.
    let copy = files_stack(&admin, "backup-sftp-copy", "sftp", "uploads").await;
    let into = admin
        .post(
            &format!("/orgs/default/stacks/{project}/backup/restore"),
            json!({"into_stack": copy, "dry_run": true}),
        )
        .await
        .unwrap();
    assert_eq!(into.status, 200, "{}", into.text);
    assert_eq!(into.body["stack"], copy.as_str(), "{}", into.text);
    assert!(
        into.body["items"][0]["replaces"]
            .as_str()
            .unwrap()
            .contains(&format!("{copy}_uploads")),
        "{}",
        into.text
    );
    let into = admin
        .post(
            &format!("/orgs/default/stacks/{project}/backup/restore"),
            json!({"into_stack": copy}),
        )
        .await
        .unwrap();
    let into = wait_run(&admin, into.body["run"]["id"].as_str().unwrap()).await;
    assert_eq!(into["status"], "succeeded", "{into}");
    assert_eq!(
        exec_ok(&copy, "files", &["cat", "/uploads/note.txt"]).await,
        "over-sftp"
    );

    let docker = docker().await;
    for stack in [&project, &copy] {
        run_deployment(&admin, stack, "remove").await;
        let _ = docker
            .remove_volume(
                &format!("{stack}_uploads"),
                Some(RemoveVolumeOptions { force: true }),
            )
            .await;
    }
}
