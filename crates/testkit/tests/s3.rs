//! The S3 harness against the backup engine: the host's restic (Debian's) and the
//! `restic/restic:0.17.3` helper image (the local stand-in `scripts/ensure-backup-tools.sh`
//! builds) both init, back up to and list a repository on [`S3Server`]. The container gets the
//! password as a mounted file, and the S3 credentials from the environment or, with no secret
//! in its environment, from a mounted shared-credentials file (`AWS_SHARED_CREDENTIALS_FILE`).

use std::path::Path;
use std::process::{Command, Output};

use windflow_testkit::s3::S3Server;

/// The product's default backup helper image.
const RESTIC_IMAGE: &str = "restic/restic:0.17.3";
const PASSWORD: &str = "correct horse battery staple";

fn skipped() -> bool {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !ci && windflow_testkit::skip_docker_tests() {
        eprintln!("skipped: WINDFLOW_SKIP_DOCKER_TESTS=1 (CI never sets it)");
        return true;
    }
    false
}

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| {
        panic!("running {command:?}: {e} (scripts/ensure-backup-tools.sh installs restic)")
    });
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The host's restic with the server's credentials and the password in the environment.
fn restic(server: &S3Server, repository: &str) -> Command {
    let mut command = Command::new("restic");
    command
        .args(["--repo", repository, "--no-cache"])
        .env("RESTIC_PASSWORD", PASSWORD)
        .env("AWS_ACCESS_KEY_ID", server.access_key())
        .env("AWS_SECRET_ACCESS_KEY", server.secret_key())
        .env_remove("RESTIC_PASSWORD_FILE")
        .env_remove("RESTIC_REPOSITORY");
    command
}

/// How the helper container gets the S3 credentials.
enum Credentials<'a> {
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, named on the command line and valued
    /// only in the docker CLI's environment.
    Environment,
    /// A shared credentials file (`[default]` section) mounted read-only and named by
    /// `AWS_SHARED_CREDENTIALS_FILE`: no secret in the container's environment.
    File(&'a Path),
}

/// `docker run` of the helper image on the host network, the password as a mounted file,
/// the source directory read-only at /data/volume.
fn restic_in_container(
    server: &S3Server,
    repository: &str,
    password_file: &Path,
    credentials: Credentials<'_>,
    source: &Path,
) -> Command {
    let mut command = Command::new("docker");
    command
        .args(["run", "--rm", "--network", "host"])
        .arg("--volume")
        .arg(format!(
            "{}:/run/secrets/restic-password:ro",
            password_file.display()
        ))
        .arg("--volume")
        .arg(format!("{}:/data/volume:ro", source.display()));
    match credentials {
        Credentials::Environment => {
            command
                .args(["--env", "AWS_ACCESS_KEY_ID"])
                .args(["--env", "AWS_SECRET_ACCESS_KEY"])
                .env("AWS_ACCESS_KEY_ID", server.access_key())
                .env("AWS_SECRET_ACCESS_KEY", server.secret_key());
        }
        Credentials::File(file) => {
            command
                .arg("--volume")
                .arg(format!(
                    "{}:/run/secrets/aws-credentials:ro",
                    file.display()
                ))
                .args([
                    "--env",
                    "AWS_SHARED_CREDENTIALS_FILE=/run/secrets/aws-credentials",
                ]);
        }
    }
    command.args([
        RESTIC_IMAGE,
        "--repo",
        repository,
        "--password-file",
        "/run/secrets/restic-password",
    ]);
    command
}

fn snapshots(output: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice::<Vec<serde_json::Value>>(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "snapshots --json is not a JSON array ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn restic_on_the_host_and_in_the_helper_image_back_up_to_the_s3_server() {
    if skipped() {
        return;
    }
    let server = S3Server::start();
    let repository = server.restic_repository("windflow-backups");
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    std::fs::create_dir_all(source.join("nested")).unwrap();
    std::fs::write(source.join("hello.txt"), "hello from the volume\n").unwrap();
    std::fs::write(source.join("nested/data.bin"), vec![7u8; 64 * 1024]).unwrap();

    // The host's restic: init, backup, one snapshot.
    run(restic(&server, &repository).arg("init"));
    let backup = run(restic(&server, &repository)
        .args(["backup", "--json", "--host", "windflow-test"])
        .arg(&source));
    let summary = String::from_utf8_lossy(&backup.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|message| message["message_type"] == "summary")
        .unwrap_or_else(|| {
            panic!(
                "no summary line in backup --json:\n{}",
                String::from_utf8_lossy(&backup.stdout)
            )
        });
    assert_eq!(summary["files_new"], 2, "{summary}");
    let listed = snapshots(&run(
        restic(&server, &repository).args(["snapshots", "--json"])
    ));
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["hostname"], "windflow-test");

    // The helper image: the same repository, the password from a mounted file, the volume
    // mounted read-only under /data; the credentials from the environment, then from a file.
    let password_file = work.path().join("restic-password");
    std::fs::write(&password_file, PASSWORD).unwrap();
    let credentials_file = work.path().join("aws-credentials");
    std::fs::write(
        &credentials_file,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            server.access_key(),
            server.secret_key()
        ),
    )
    .unwrap();
    let mut backup = restic_in_container(
        &server,
        &repository,
        &password_file,
        Credentials::Environment,
        &source,
    );
    backup.args([
        "backup",
        "--host",
        "windflow-helper",
        "--tag",
        "stack=demo",
        "/data/volume",
    ]);
    run(&mut backup);
    let mut list = restic_in_container(
        &server,
        &repository,
        &password_file,
        Credentials::File(&credentials_file),
        &source,
    );
    list.args(["snapshots", "--json"]);
    let listed = snapshots(&run(&mut list));
    assert_eq!(listed.len(), 2, "{listed:?}");
    let helper = listed
        .iter()
        .find(|snapshot| snapshot["hostname"] == "windflow-helper")
        .unwrap_or_else(|| panic!("no snapshot of the helper: {listed:?}"));
    assert_eq!(helper["paths"], serde_json::json!(["/data/volume"]));
    assert_eq!(helper["tags"], serde_json::json!(["stack=demo"]));

    // What the container wrote reads back on the host.
    let dumped = run(restic(&server, &repository).args([
        "dump",
        "--host",
        "windflow-helper",
        "latest",
        "/data/volume/hello.txt",
    ]));
    assert_eq!(
        String::from_utf8_lossy(&dumped.stdout),
        "hello from the volume\n"
    );
}

#[test]
fn a_stopped_server_refuses_connections_and_a_restarted_one_keeps_its_buckets() {
    if skipped() {
        return;
    }
    let mut server = S3Server::start();
    let repository = server.restic_repository("kept");
    run(restic(&server, &repository).arg("init"));

    server.stop();
    assert!(!server.is_running());
    let port = server
        .endpoint()
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the S3 port still accepts connections after stop"
    );

    server.restart();
    assert!(server.is_running());
    let listed = snapshots(&run(
        restic(&server, &repository).args(["snapshots", "--json"])
    ));
    assert!(listed.is_empty(), "{listed:?}");
}
