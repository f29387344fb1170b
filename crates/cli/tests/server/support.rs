//! Shared setup for the server tests.

use std::path::PathBuf;

use serde_json::{Value, json};
use windflow_testkit::postgres;
use windflow_testkit::server::{Api, Database, Server};

pub fn bin() -> PathBuf {
    windflow_testkit::locate_windflow_bin(option_env!("CARGO_BIN_EXE_windflow"))
        .expect("the windflow binary")
}

/// The databases every API test runs against: SQLite always, PostgreSQL unless a developer
/// set `WINDFLOW_SKIP_POSTGRES=1` (CI never does).
pub async fn databases(prefix: &str) -> Vec<Database> {
    let mut list = vec![Database::Sqlite];
    if let Some(db) = postgres::fresh_database(prefix).await {
        list.push(Database::Postgres(db));
    }
    list
}

pub async fn start(database: Database) -> Server {
    Server::start(&bin(), database)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

/// [`start`] with extra environment variables for the server (`WINDFLOW_WORKERS`…).
pub async fn start_with(database: Database, env: &[(&str, &str)]) -> Server {
    let env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Server::start_with(&bin(), database, env)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

/// The password of the users [`member`] creates.
pub const MEMBER_PASSWORD: &str = "a long password 1";

/// A new user with `role` in `org` (created by the server administrator `admin`), logged in.
pub async fn member(server: &Server, admin: &Api, username: &str, org: &str, role: &str) -> Api {
    let r = admin
        .post(
            "/users",
            json!({ "username": username, "password": MEMBER_PASSWORD }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let r = admin
        .put(
            &format!("/orgs/{org}/members"),
            json!({ "user": username, "role": role }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    server
        .anonymous()
        .login(username, MEMBER_PASSWORD)
        .await
        .unwrap()
}

/// `default` has `production` with its `local` target: adds `staging` with a target of its
/// own, `stage`, on the same engine.
pub async fn staging_target(admin: &Api) {
    let r = admin
        .post("/orgs/default/environments", json!({ "name": "staging" }))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let r = admin
        .post(
            "/orgs/default/targets",
            json!({ "name": "stage", "endpoint": "unix:///var/run/docker.sock",
                    "environment": "staging" }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
}

/// Creates a stack in `default`; panics unless it is created.
pub async fn create_stack(api: &Api, name: &str, content: &str) -> Value {
    let answer = api
        .post(
            "/orgs/default/stacks",
            json!({ "name": name, "content": content }),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body
}

/// The configuration the engine's gateway serves, as Caddy's admin API reports it (read from
/// inside the container, where the admin API listens).
pub async fn served_gateway_config(docker: &bollard::Docker) -> String {
    use futures::StreamExt;
    let exec = docker
        .create_exec(
            "windflow-gateway",
            bollard::models::ExecConfig {
                cmd: Some(
                    ["wget", "-q", "-O", "-", "http://localhost:2019/config/"]
                        .map(String::from)
                        .to_vec(),
                ),
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
    text
}

/// Queues a deployment of `stack` onto `local`: the status and the body.
pub async fn deploy(api: &Api, stack: &str, key: Option<&str>) -> (u16, Value) {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    let answer = api
        .request(
            reqwest::Method::POST,
            "/orgs/default/deployments",
            Some(&json!({ "stack": stack, "target": "local" })),
            &headers,
        )
        .await
        .unwrap();
    (answer.status, answer.body)
}

/// A deployment's events, oldest first.
pub async fn deployment_events(api: &Api, id: &str) -> Vec<Value> {
    let answer = api
        .get(&format!("/orgs/default/deployments/{id}/events"))
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body.as_array().cloned().unwrap_or_default()
}

/// Each engine has one WindFlow gateway (container and network `windflow-gateway`): the
/// tests that deploy services with domains take turns with it.
pub static GATEWAY_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Removes the engine's gateway container and network, as a test that made them leaves.
pub async fn remove_gateway(docker: &bollard::Docker) {
    // The TCP gateway first: the network cannot go while it is attached.
    for container in ["windflow-gateway-tcp", "windflow-gateway"] {
        let _ = docker
            .remove_container(
                container,
                Some(bollard::query_parameters::RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await;
    }
    let _ = docker.remove_network("windflow-gateway").await;
}

/// Queues a deployment of `stack` onto `local` (`kind`: `deploy` or `remove`), waits for it
/// and panics unless it succeeded; returns the finished deployment.
pub async fn run_deployment(api: &Api, stack: &str, kind: &str) -> Value {
    run_deployment_on(api, stack, "local", kind).await
}

/// [`run_deployment`] onto `target`.
pub async fn run_deployment_on(api: &Api, stack: &str, target: &str, kind: &str) -> Value {
    let done = finish_deployment(api, stack, target, kind).await;
    assert_eq!(
        done["state"], "succeeded",
        "{kind} {stack} on {target}: {done}"
    );
    done
}

/// Queues a deployment of `kind` of `stack` onto `target` and returns it once it ended,
/// whichever way.
pub async fn finish_deployment(api: &Api, stack: &str, target: &str, kind: &str) -> Value {
    let queued = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": stack, "target": target, "kind": kind }),
        )
        .await
        .unwrap();
    assert_eq!(queued.status, 201, "{}", queued.text);
    api.wait_deployment(
        "default",
        queued.body["id"].as_str().unwrap(),
        std::time::Duration::from_secs(180),
    )
    .await
    .unwrap()
}

/// A CA (`ca.pem`) and a server certificate for the addresses `ips` (`cert.pem`, `key.pem`)
/// in `dir`.
pub fn certificates(dir: &std::path::Path, ips: &[std::net::IpAddr]) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "windflow agent test CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca =
        rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "windflow control plane");
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.subject_alt_names = ips
        .iter()
        .map(|ip| rcgen::SanType::IpAddress(*ip))
        .collect();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

/// Runs `web/e2e/<script>` (Debian's Chromium through playwright-core) against `server` as its
/// administrator, with `env`; on failure, the script's output and the end of the server's log.
#[allow(dead_code)] // used by the browser binary only
pub async fn run_e2e(server: &Server, script: &str, env: &[(&str, String)]) -> Result<(), String> {
    let web = windflow_testkit::workspace_root().join("web");
    assert!(
        web.join("dist/index.html").is_file() && web.join("node_modules/playwright-core").is_dir(),
        "web/dist or web/node_modules is missing: run scripts/build-web.sh"
    );
    let mut command = std::process::Command::new("node");
    command
        .arg(format!("e2e/{script}"))
        .current_dir(&web)
        .env("WINDFLOW_URL", &server.url)
        .env("WINDFLOW_ADMIN_USER", "admin")
        .env(
            "WINDFLOW_ADMIN_PASSWORD",
            windflow_testkit::server::ADMIN_PASSWORD,
        )
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = tokio::task::spawn_blocking(move || {
        command.output().expect("running node (install Node 20)")
    })
    .await
    .unwrap();
    let log = server.logs();
    let start = (log.len().saturating_sub(4096)..log.len())
        .find(|i| log.is_char_boundary(*i))
        .unwrap_or(0);
    if output.status.success() {
        // Figures the scripts measure (`NAME=value` lines), for the test's output.
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if line.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            }) {
                println!("{script}: {line}");
            }
        }
        return Ok(());
    }
    Err(format!(
        "{script} failed:\n{}\n{}\nserver log (end):\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        &log[start..]
    ))
}

/// Deletes `stack`, undeploying it first, and waits until it is gone (its containers removed
/// from every target), so a test leaves nothing running.
#[allow(dead_code)]
pub async fn remove_stack(api: &Api, stack: &str) {
    let r = api
        .delete(&format!("/orgs/default/stacks/{stack}?undeploy=true"))
        .await
        .unwrap();
    assert!(matches!(r.status, 202 | 204), "{}", r.text);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while api
        .get(&format!("/orgs/default/stacks/{stack}"))
        .await
        .unwrap()
        .status
        == 200
    {
        assert!(
            std::time::Instant::now() < deadline,
            "stack {stack} was not removed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Runs `cmd` (argv) with `env` in the running container of `service` in the stack `project`:
/// its exit code and output (stdout and stderr); `(-1, why)` when no such container runs.
#[allow(dead_code)]
pub async fn exec_in(project: &str, service: &str, cmd: &[&str], env: &[&str]) -> (i64, String) {
    use futures::StreamExt;
    let docker = windflow_testkit::docker().await;
    let filters = std::collections::HashMap::from([(
        "label".to_string(),
        vec![
            format!("com.docker.compose.project={project}"),
            format!("com.docker.compose.service={service}"),
        ],
    )]);
    let Some(id) = docker
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_iter()
        .find_map(|c| c.id)
    else {
        return (-1, format!("no running {service} container in {project}"));
    };
    let exec = docker
        .create_exec(
            &id,
            bollard::models::ExecConfig {
                cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                env: Some(env.iter().map(|s| s.to_string()).collect()),
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
    (code, text)
}

// ---- workflows: a git repository served on loopback and a webhook receiver ----

pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare repository served by `git daemon` on loopback, and a working copy that pushes to it.
pub struct Repository {
    _dir: tempfile::TempDir,
    pub work: std::path::PathBuf,
    pub url: String,
    daemon: std::process::Child,
}

impl Repository {
    pub fn start() -> Repository {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("srv");
        std::fs::create_dir_all(&root).unwrap();
        git(
            &root,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "web.git",
            ],
        );
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        git(&work, &["init", "--quiet", "--initial-branch=main"]);
        git(&work, &["config", "user.email", "dev@example.com"]);
        git(&work, &["config", "user.name", "Dev"]);
        git(
            &work,
            &[
                "remote",
                "add",
                "origin",
                &root.join("web.git").to_string_lossy(),
            ],
        );
        let port = windflow_testkit::free_port();
        let daemon = std::process::Command::new("git")
            .args([
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &format!("--base-path={}", root.display()),
                &root.to_string_lossy(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("git daemon");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "git daemon did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Repository {
            _dir: dir,
            work,
            url: format!("git://127.0.0.1:{port}/web.git"),
            daemon,
        }
    }

    /// Commits `content` as `path` and pushes it to `branch`; the commit's id.
    pub fn push(&self, path: &str, content: &str, branch: &str) -> String {
        let file = self.work.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "--quiet", "-m", "change"]);
        git(
            &self.work,
            &[
                "push",
                "--quiet",
                "origin",
                &format!("HEAD:refs/heads/{branch}"),
            ],
        );
        git(&self.work, &["rev-parse", "HEAD"])
    }
}

impl Drop for Repository {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// A loopback HTTP receiver recording every request's path and JSON body.
pub async fn receiver() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>) {
    let seen: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>> = std::sync::Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::any(move |uri: axum::http::Uri, body: axum::body::Bytes| {
            let record = record.clone();
            async move {
                let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                record.lock().unwrap().push((uri.path().to_string(), value));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, seen)
}
