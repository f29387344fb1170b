//! Backups, measured side by side with what a user would do instead, in one run:
//!
//!   cargo bench -p windflow-cli --bench backup [-- --size-mib 1024 --db-mib 1024]
//!
//! On the real engine, with a SeaweedFS S3 server on loopback as the repository
//! (`scripts/ensure-backup-tools.sh` first):
//! - a volume of `--size-mib` of random data (incompressible: the worst case): the raw copy of
//!   the same data on the same disk (`cp -a` between two volumes), restic run by hand in its
//!   image to a fresh bucket (what a user scripts without WindFlow), then WindFlow's backup and
//!   restore of it — throughputs and their ratios to the raw copy;
//! - the same volume with 5 % of it rewritten, backed up again: the bytes the second backup
//!   adds over the data size (deduplication);
//! - a PostgreSQL database of about `--db-mib`: `pg_dump | psql` into a new database by hand
//!   in its container, against WindFlow's backup (dump streamed into restic) and restore (dump
//!   streamed back into a scratch database, then swapped in).
//!
//! Writes the table to bench/results/backup.md.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use windflow_engine::driver::Driver;
use windflow_engine::task::{TaskFile, TaskMount, TaskSpec};
use windflow_testkit::s3::S3Server;
use windflow_testkit::server::{Api, Database, Server};
use windflow_testkit::{TEST_IMAGE, docker, unique_project};

const DB_PASSWORD: &str = "bench-db-password";

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn exec(project: &str, service: &str, cmd: &[&str]) -> String {
    let docker = docker().await;
    let filters = std::collections::HashMap::from([(
        "label".to_string(),
        vec![
            format!("com.docker.compose.project={project}"),
            format!("com.docker.compose.service={service}"),
        ],
    )]);
    let id = docker
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_iter()
        .next()
        .and_then(|c| c.id)
        .expect("a running container");
    let exec = docker
        .create_exec(
            &id,
            bollard::models::ExecConfig {
                cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                env: Some(vec![format!("PGPASSWORD={DB_PASSWORD}")]),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut text = String::new();
    if let bollard::exec::StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&exec.id, None).await.unwrap()
    {
        while let Some(Ok(chunk)) = output.next().await {
            text.push_str(&chunk.to_string());
        }
    }
    let code = docker
        .inspect_exec(&exec.id)
        .await
        .unwrap()
        .exit_code
        .unwrap_or(-1);
    assert_eq!(code, 0, "{cmd:?}: {text}");
    text.trim().to_string()
}

async fn wait_run(api: &Api, id: &str) -> Value {
    loop {
        // A poll that fails (the machine is busy) is tried again.
        let r = match api.get(&format!("/orgs/default/backup/runs/{id}")).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("polling run {id}: {e:#}; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if matches!(
            r.body["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            assert_eq!(r.body["status"], "succeeded", "{}", r.body);
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs an operation; returns it and its wall-clock seconds.
async fn timed_run(api: &Api, path: &str, body: Value) -> (Value, f64) {
    let started = Instant::now();
    let r = api.post(path, body).await.unwrap();
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["id"]
        .as_str()
        .or(r.body["run"]["id"].as_str())
        .unwrap()
        .to_string();
    let run = wait_run(api, &id).await;
    (run, started.elapsed().as_secs_f64())
}

async fn task(driver: &dyn Driver, spec: TaskSpec) -> f64 {
    let started = Instant::now();
    let out = driver.run_task(&spec, Default::default()).await.unwrap();
    assert_eq!(out.exit_code, 0, "{}: {}", spec.name, out.stderr);
    started.elapsed().as_secs_f64()
}

fn mount(source: &str, target: &str) -> TaskMount {
    TaskMount {
        source: source.into(),
        target: target.into(),
        read_only: false,
        bind: false,
    }
}

fn mib_s(bytes: f64, seconds: f64) -> f64 {
    bytes / seconds / (1 << 20) as f64
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let size_mib = arg("--size-mib", 1024);
    let db_mib = arg("--db-mib", 1024);
    let s3 = S3Server::start();
    let bin = windflow_testkit::locate_windflow_bin(option_env!("CARGO_BIN_EXE_windflow")).unwrap();
    let server = Server::start_with(
        &bin,
        Database::Sqlite,
        vec![("WINDFLOW_BACKUP_ALLOW_ENDPOINTS".into(), s3.endpoint())],
    )
    .await
    .unwrap();
    let admin = server.admin().await.unwrap();
    let r = admin
        .post(
            "/orgs/default/backup/repositories",
            json!({"name": "bench", "target": "local",
                   "location": {"kind": "s3", "endpoint": s3.endpoint(), "bucket": "wf-bench"},
                   "access_key_id": s3.access_key(), "secret_access_key": s3.secret_key()}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let project = unique_project("bench-backup");
    let content = format!(
        "services:\n  files:\n    image: {TEST_IMAGE}\n    command: [sleep, \"36000\"]\n    init: true\n    volumes: [data:/data]\n  db:\n    image: postgres:17\n    environment: {{POSTGRES_USER: app, POSTGRES_PASSWORD: {DB_PASSWORD}, POSTGRES_DB: shop}}\n    volumes: [pg:/var/lib/postgresql/data]\nvolumes:\n  data: {{}}\n  pg: {{}}\nx-windflow:\n  backup:\n    repository: bench\n    volumes: [data]\n    databases: none\n"
    );
    let r = admin
        .post(
            "/orgs/default/stacks",
            json!({"name": project, "content": content}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let r = admin
        .post(
            "/orgs/default/deployments",
            json!({"stack": project, "target": "local"}),
        )
        .await
        .unwrap();
    let done = admin
        .wait_deployment(
            "default",
            r.body["id"].as_str().unwrap(),
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    assert_eq!(done["state"], "succeeded", "{done}");
    let volume = format!("{project}_data");
    let driver = windflow_engine::docker::DockerDriver::connect(None).unwrap();

    eprintln!("writing {size_mib} MiB of random data");
    exec(
        &project,
        "files",
        &[
            "dd",
            "if=/dev/urandom",
            "of=/data/blob.bin",
            "bs=1048576",
            &format!("count={size_mib}"),
        ],
    )
    .await;
    exec(&project, "files", &["sync"]).await;
    let bytes = (size_mib << 20) as f64;

    // 1. The raw copy of the same data on the same disk.
    let copy_volume = format!("{project}-copy");
    let raw = task(
        &driver,
        TaskSpec {
            name: unique_project("bench-cp"),
            image: TEST_IMAGE.into(),
            entrypoint: vec!["sh".into()],
            cmd: vec!["-c".into(), "cp -a /src/. /dst/ && sync".into()],
            mounts: vec![mount(&volume, "/src"), mount(&copy_volume, "/dst")],
            ..Default::default()
        },
    )
    .await;
    let _ = driver.remove_volume(&copy_volume).await;
    eprintln!("raw copy: {raw:.1} s");

    // 2. restic by hand, in its image, to a fresh bucket.
    let repo = format!("s3:{}/wf-bench-by-hand", s3.endpoint());
    let credentials = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        s3.access_key(),
        s3.secret_key()
    );
    let by_hand = |cmd: Vec<String>| TaskSpec {
        name: unique_project("bench-restic"),
        image: "restic/restic:0.17.3".into(),
        entrypoint: vec!["/usr/bin/restic".into()],
        cmd,
        env: vec!["AWS_SHARED_CREDENTIALS_FILE=/run/c".into()],
        mounts: vec![TaskMount {
            read_only: true,
            ..mount(&volume, "/data/data")
        }],
        files: vec![
            TaskFile {
                path: "/run/p".into(),
                contents: b"by-hand-password".to_vec(),
                mode: 0o400,
            },
            TaskFile {
                path: "/run/c".into(),
                contents: credentials.clone().into_bytes(),
                mode: 0o400,
            },
        ],
        network_mode: Some("host".into()),
        ..Default::default()
    };
    let base = |c: &str| {
        vec![
            c.to_string(),
            "--repo".into(),
            repo.clone(),
            "--password-file".into(),
            "/run/p".into(),
            "--no-cache".into(),
        ]
    };
    task(&driver, by_hand(base("init"))).await;
    let mut backup_args = base("backup");
    backup_args.push("/data/data".into());
    let restic_by_hand = task(&driver, by_hand(backup_args)).await;
    eprintln!("restic by hand: {restic_by_hand:.1} s");

    // 3. WindFlow's backup, and its restore.
    let run_path = format!("/orgs/default/stacks/{project}/backup/run");
    let (first, backup_s) = timed_run(&admin, &run_path, json!({})).await;
    eprintln!("windflow backup: {backup_s:.1} s");
    let (_, restore_s) = timed_run(
        &admin,
        &format!("/orgs/default/stacks/{project}/backup/restore"),
        json!({"run": first["id"], "items": ["volume:data"]}),
    )
    .await;
    eprintln!("windflow restore: {restore_s:.1} s");

    // 4. 5 % rewritten, backed up again.
    let changed = (size_mib / 20).max(1);
    exec(
        &project,
        "files",
        &[
            "dd",
            "if=/dev/urandom",
            "of=/data/blob.bin",
            "bs=1048576",
            &format!("count={changed}"),
            &format!("seek={}", size_mib / 2),
            "conv=notrunc",
        ],
    )
    .await;
    let (second, second_s) = timed_run(&admin, &run_path, json!({})).await;
    let added = second["result"]["items"][0]["added_bytes"]
        .as_f64()
        .unwrap_or(0.0);

    // 5. PostgreSQL: about db_mib of rows.
    let rows = db_mib * (1 << 20) / 330;
    eprintln!("inserting {rows} rows");
    exec(&project, "db", &["psql", "-U", "app", "-d", "shop", "-v", "ON_ERROR_STOP=1", "-qc",
        &format!("create table items as select g as id, repeat(md5(g::text), 8) as body from generate_series(1, {rows}) g")]).await;
    let db_bytes: f64 = exec(
        &project,
        "db",
        &[
            "psql",
            "-U",
            "app",
            "-d",
            "shop",
            "-tAc",
            "select pg_database_size('shop')",
        ],
    )
    .await
    .parse()
    .unwrap();
    let started = Instant::now();
    exec(&project, "db", &["sh", "-c", "psql -U app -d shop -qc 'create database copy' && pg_dump -U app shop | psql -q -U app -d copy -v ON_ERROR_STOP=1 >/dev/null && psql -U app -d shop -qc 'drop database copy'"]).await;
    let by_hand_db = started.elapsed().as_secs_f64();
    let policy = json!({"enabled": true, "policy": {"repository": "bench", "volumes": []}});
    let r = admin
        .put(&format!("/orgs/default/stacks/{project}/backup"), policy)
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    let (db_run, db_backup_s) = timed_run(&admin, &run_path, json!({})).await;
    let (_, db_restore_s) = timed_run(
        &admin,
        &format!("/orgs/default/stacks/{project}/backup/restore"),
        json!({"run": db_run["id"], "items": ["database:db"]}),
    )
    .await;
    let count = exec(
        &project,
        "db",
        &[
            "psql",
            "-U",
            "app",
            "-d",
            "shop",
            "-tAc",
            "select count(*) from items",
        ],
    )
    .await;
    assert_eq!(count, rows.to_string(), "every row is back");

    let table = format!(
        "| Measure | Time | Throughput | Ratio |\n|---|---:|---:|---:|\n\
         | raw copy of the {size_mib} MiB volume (`cp -a`, same disk) | {raw:.1} s | {:.0} MiB/s | 1.00 |\n\
         | restic by hand to S3 (its image, first backup) | {restic_by_hand:.1} s | {:.0} MiB/s | {:.2} |\n\
         | WindFlow backup to S3 (first) | {backup_s:.1} s | {:.0} MiB/s | {:.2} |\n\
         | WindFlow restore from S3 (staging, then swap; health-gated) | {restore_s:.1} s | {:.0} MiB/s | {:.2} |\n\
         | WindFlow backup after 5 % rewritten | {second_s:.1} s | adds {:.1} MiB of {size_mib} MiB | dedup {:.1} % new |\n\
         | PostgreSQL {:.0} MiB: `pg_dump \\| psql` by hand, in the container | {by_hand_db:.1} s | | 1.00 |\n\
         | PostgreSQL: WindFlow backup (dump streamed into restic) | {db_backup_s:.1} s | | {:.2} |\n\
         | PostgreSQL: WindFlow restore (scratch database, then swap) | {db_restore_s:.1} s | | {:.2} |\n",
        mib_s(bytes, raw),
        mib_s(bytes, restic_by_hand),
        restic_by_hand / raw,
        mib_s(bytes, backup_s),
        backup_s / raw,
        mib_s(bytes, restore_s),
        restore_s / raw,
        added / (1 << 20) as f64,
        100.0 * added / bytes,
        db_bytes / (1 << 20) as f64,
        db_backup_s / by_hand_db,
        db_restore_s / by_hand_db,
    );
    println!("{table}");
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/results/backup.md");
    let _ = std::fs::write(
        &out,
        format!(
            "# Backups (cargo bench -p windflow-cli --bench backup -- --size-mib {size_mib} --db-mib {db_mib})\n\n{table}"
        ),
    );

    let r = admin
        .post(
            "/orgs/default/deployments",
            json!({"stack": project, "target": "local", "kind": "remove"}),
        )
        .await
        .unwrap();
    let _ = admin
        .wait_deployment(
            "default",
            r.body["id"].as_str().unwrap(),
            Duration::from_secs(120),
        )
        .await;
    for v in [volume, format!("{project}_pg")] {
        let _ = driver.remove_volume(&v).await;
    }
}
