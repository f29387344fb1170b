//! `windflow admin backup` and `windflow admin restore`: a whole server — users, stacks and
//! their secrets — written to one encrypted archive (also while the server runs), the data
//! wiped, restored, and the restored server deploying with the secret still decrypting.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use bollard::query_parameters::InspectContainerOptions;
use serde_json::json;
use windflow_testkit::server::{Database, Server};
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, free_port, list_project_containers,
    unique_project,
};

use crate::support::{MEMBER_PASSWORD, bin, create_stack, databases, deploy, member, start};

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(120);
const SECRET: &str = "restored-pw-0xBACC0FF";
const PASSPHRASE: &str = "a passphrase for server backups";

fn stack(port: u16) -> String {
    format!(
        r#"services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "exec httpd -f -p 8080 -h /"]
    environment:
      DB_PASSWORD: ${{DB_PASSWORD}}
    ports: ["127.0.0.1:{port}:8080"]
    init: true
"#
    )
}

/// Runs `windflow admin <args>` against a data directory and, for PostgreSQL, a database.
fn admin(args: &[&str], data: &Path, database_url: Option<&str>) -> Output {
    let mut command = std::process::Command::new(bin());
    command
        .arg("admin")
        .args(args)
        .env("WINDFLOW_DATA", data)
        .env_remove("DATABASE_URL")
        .env_remove("WINDFLOW_SECRET_KEY_FILE")
        .env_remove("WINDFLOW_ADMIN_BACKUP_PASSPHRASE");
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn assert_ok(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
}

#[track_caller]
fn assert_refused(output: &Output, expected: &str) {
    assert!(!output.status.success(), "succeeded: {}", stderr(output));
    assert!(stderr(output).contains(expected), "{}", stderr(output));
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "windflow-admin-backup-{}-{name}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A user, a stack and its secret on a running server.
async fn populate(server: &Server, name: &str) {
    let api = server.admin().await.unwrap();
    member(server, &api, "operator", "default", "operator").await;
    create_stack(&api, name, &stack(free_port())).await;
    let r = api
        .put(
            &format!("/orgs/default/stacks/{name}/variables/DB_PASSWORD"),
            json!({ "value": SECRET, "secret": true }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The restored server: the user logs in, and a deployment of the stack gets the secret's
/// value (it decrypts with the restored keyring).
async fn check_restored(server: &Server, name: &str, backend: &str) {
    let docker = docker().await;
    let operator = server
        .anonymous()
        .login("operator", MEMBER_PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{backend}: {e:#}\n{}", server.logs()));
    let (status, d) = deploy(&operator, name, None).await;
    assert_eq!(status, 201, "{backend}: {d}");
    let d = operator
        .wait_deployment("default", d["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(d["state"], "succeeded", "{backend}: {d}");
    let containers = list_project_containers(&docker, name).await.unwrap();
    let inspect = docker
        .inspect_container(
            containers[0].id.as_deref().unwrap(),
            None::<InspectContainerOptions>,
        )
        .await
        .unwrap();
    let env = inspect.config.unwrap().env.unwrap();
    assert!(
        env.contains(&format!("DB_PASSWORD={SECRET}")),
        "{backend}: {env:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_server_is_backed_up_and_restored() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let work = scratch("files");
    let passphrase_file = work.join("passphrase");
    std::fs::write(&passphrase_file, format!("{PASSPHRASE}\n")).unwrap();
    let wrong_passphrase = work.join("wrong");
    std::fs::write(&wrong_passphrase, "not the passphrase at all\n").unwrap();
    let pass = passphrase_file.to_str().unwrap();

    for database in databases("admin_backup").await {
        let backend = database.name();
        let database_url = match &database {
            Database::Postgres(db) => Some(db.url().to_string()),
            Database::Sqlite => None,
        };
        let url = database_url.as_deref();
        let mut server = start(database).await;
        let name = unique_project("srvbackup");
        let _guard = ProjectGuard::new(&name);
        populate(&server, &name).await;

        // While the server runs.
        let live = work.join(format!("{backend}-live.wfbackup"));
        let out = admin(
            &[
                "backup",
                "--out",
                live.to_str().unwrap(),
                "--passphrase-file",
                pass,
            ],
            &server.data_dir,
            url,
        );
        assert_ok(&out);
        assert!(stderr(&out).contains("encrypted"), "{}", stderr(&out));
        let bytes = std::fs::read(&live).unwrap();
        assert!(bytes.starts_with(b"WFBACKUP"), "{backend}");
        let keyring = std::fs::read_to_string(server.data_dir.join("secret.keys")).unwrap();
        let key_line = keyring.lines().find(|l| !l.starts_with('#')).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(key_line),
            "{backend}: the keyring is in the clear"
        );
        // No passphrase, no encrypted backup.
        let out = admin(
            &["backup", "--out", work.join("none").to_str().unwrap()],
            &server.data_dir,
            url,
        );
        assert_refused(&out, "--passphrase-file");

        let status = server.terminate(Duration::from_secs(30)).unwrap();
        assert!(status.success(), "{backend}: {}", server.logs());

        // The data is there: a restore needs --force; a wrong passphrase is named.
        let args = |input: &Path, pass: &str| {
            vec![
                "restore".to_string(),
                "--input".into(),
                input.display().to_string(),
                "--passphrase-file".into(),
                pass.to_string(),
            ]
        };
        let run = |args: Vec<String>, data: &Path, url: Option<&str>| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            admin(&args, data, url)
        };
        assert_refused(
            &run(args(&live, pass), &server.data_dir, url),
            "already holds data",
        );

        match url {
            None => {
                // Wipe the data directory, restore the backup taken while the server ran.
                std::fs::remove_dir_all(&server.data_dir).unwrap();
                let fresh = work.join("fresh-data");
                assert_refused(
                    &run(args(&live, wrong_passphrase.to_str().unwrap()), &fresh, url),
                    "passphrase is wrong",
                );
                let out = run(args(&live, pass), &server.data_dir, url);
                assert_ok(&out);
                assert!(stderr(&out).contains("Restored"), "{}", stderr(&out));
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(server.data_dir.join("secret.keys"))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600);
                server.restart().await.unwrap();
                check_restored(&server, &name, backend).await;

                // A forced restore over a live installation keeps what it replaces.
                server.terminate(Duration::from_secs(30)).unwrap();
                let mut forced = args(&live, pass);
                forced.push("--force".into());
                assert_ok(&run(forced, &server.data_dir, url));
                let kept: Vec<String> = std::fs::read_dir(&server.data_dir)
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| n.contains(".before-restore-"))
                    .collect();
                assert!(
                    kept.iter()
                        .any(|n| n.starts_with("windflow.db.before-restore-"))
                        && kept
                            .iter()
                            .any(|n| n.starts_with("secret.keys.before-restore-")),
                    "{kept:?}"
                );
                server.restart().await.unwrap();
                server
                    .anonymous()
                    .login("operator", MEMBER_PASSWORD)
                    .await
                    .unwrap();
            }
            Some(_) => {
                // Another database and data directory, as on a new host.
                let offline = work.join("postgres-offline.wfbackup");
                assert_ok(&admin(
                    &[
                        "backup",
                        "--out",
                        offline.to_str().unwrap(),
                        "--passphrase-file",
                        pass,
                    ],
                    &server.data_dir,
                    url,
                ));
                let target = windflow_testkit::postgres::fresh_database("admin_restore")
                    .await
                    .unwrap();
                let data = work.join("postgres-restored");
                let out = run(args(&live, pass), &data, Some(target.url()));
                assert_ok(&out);
                assert_refused(
                    &run(args(&offline, pass), &data, Some(target.url())),
                    "already holds data",
                );
                let mut forced = args(&offline, pass);
                forced.push("--force".into());
                assert_ok(&run(forced, &data, Some(target.url())));
                drop(server);
                let keyring = data.join("secret.keys");
                let restored = Server::start_with(
                    &bin(),
                    Database::Postgres(target),
                    vec![(
                        "WINDFLOW_SECRET_KEY_FILE".to_string(),
                        keyring.display().to_string(),
                    )],
                )
                .await
                .unwrap_or_else(|e| panic!("{e:#}"));
                check_restored(&restored, &name, backend).await;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// A damaged archive is refused before anything is replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_backup_changes_nothing() {
    let server = start(Database::Sqlite).await;
    let work = scratch("damaged");
    let pass = work.join("passphrase");
    std::fs::write(&pass, PASSPHRASE).unwrap();
    let pass = pass.to_str().unwrap();
    let archive = work.join("a.wfbackup");
    assert_ok(&admin(
        &[
            "backup",
            "--out",
            archive.to_str().unwrap(),
            "--passphrase-file",
            pass,
        ],
        &server.data_dir,
        None,
    ));
    let plain = work.join("plain.tar");
    let out = admin(
        &["backup", "--out", plain.to_str().unwrap(), "--unencrypted"],
        &server.data_dir,
        None,
    );
    assert_ok(&out);
    assert!(stderr(&out).contains("unencrypted"), "{}", stderr(&out));

    let bytes = std::fs::read(&archive).unwrap();
    let truncated = work.join("truncated.wfbackup");
    std::fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    let tampered = work.join("tampered.wfbackup");
    let mut altered = bytes.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 1;
    std::fs::write(&tampered, &altered).unwrap();
    let target = work.join("target");
    for (input, expected) in [(&truncated, "truncated"), (&tampered, "altered")] {
        let out = admin(
            &[
                "restore",
                "--input",
                input.to_str().unwrap(),
                "--passphrase-file",
                pass,
            ],
            &target,
            None,
        );
        assert_refused(&out, expected);
        assert!(!target.join("windflow.db").exists());
        assert!(!target.join("secret.keys").exists());
    }
    // The plain tar restores without a passphrase.
    let out = admin(
        &["restore", "--input", plain.to_str().unwrap()],
        &target,
        None,
    );
    assert_ok(&out);
    assert!(target.join("windflow.db").exists());
    let _ = std::fs::remove_dir_all(&work);
}
