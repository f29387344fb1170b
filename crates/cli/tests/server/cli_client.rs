//! The `windflow` CLI against a real server: `login` (credentials file 0600, a working
//! token), `stack push` (create, a second version, a broken file with its line),
//! `deploy` onto the real Docker engine with live progress, `deployments`, `logs --stack`,
//! a failing deployment that keeps the old version serving, `rollback --stack`, `logout`,
//! and `--output json` throughout.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use windflow_testkit::server::{ADMIN_PASSWORD, Api, Database};
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker_or_skip, ensure_test_images, free_port, http_get,
};

use crate::support;

/// The `windflow` binary with its own home and config directory, and no server settings
/// from the environment of whoever runs the tests (also used by `backups_cli`).
pub(crate) struct Cli {
    pub(crate) home: PathBuf,
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Every stdout line parsed as JSON.
    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Cli {
    pub(crate) fn new() -> Cli {
        let home = std::env::temp_dir().join(format!(
            "windflow-cli-client-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&home).unwrap();
        Cli { home }
    }

    fn config_dir(&self) -> PathBuf {
        self.home.join(".config")
    }

    fn credentials(&self) -> PathBuf {
        self.config_dir().join("windflow").join("credentials.json")
    }

    pub(crate) fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.home.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    pub(crate) async fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None).await
    }

    async fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        self.run_full(args, stdin, &[]).await
    }

    pub(crate) async fn run_full(
        &self,
        args: &[&str],
        stdin: Option<&str>,
        env: &[(&str, &str)],
    ) -> Run {
        let mut command = tokio::process::Command::new(support::bin());
        command.envs(env.iter().copied());
        command
            .args(args)
            .current_dir(&self.home)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.config_dir())
            .env("NO_COLOR", "1")
            .env_remove("WINDFLOW_SERVER")
            .env_remove("WINDFLOW_TOKEN")
            .env_remove("WINDFLOW_ORG")
            .env_remove("COMPOSE_PROJECT_NAME")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("running windflow");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.as_bytes()).await.unwrap();
            drop(pipe);
        }
        let output = tokio::time::timeout(Duration::from_secs(240), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("windflow {args:?} did not finish within 240 s"))
            .unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub(crate) async fn login(&self, url: &str) -> Run {
        self.run_with_stdin(
            &["login", url, "--username", "admin", "--password-stdin"],
            Some(&format!("{ADMIN_PASSWORD}\n")),
        )
        .await
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

fn stored_token(path: &Path) -> String {
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    stored["token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_push_and_logout() {
    let server = support::start(Database::Sqlite).await;
    let cli = Cli::new();

    let run = cli.run(&["deployments"]).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("windflow login"), "{run}");

    let run = cli
        .run_with_stdin(
            &["login", &server.url, "-u", "admin", "--password-stdin"],
            Some("wrong-password\n"),
        )
        .await;
    assert_ne!(run.code, 0, "{run}");
    assert!(!cli.credentials().exists());

    let run = cli.login(&server.url).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("as admin"), "{run}");
    let path = cli.credentials();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "credentials mode {mode:o}");
    }
    let token = stored_token(&path);
    assert!(token.starts_with("wf_"), "{token}");
    let api = Api::new(&server.url, Some(token.clone()));
    let session = api.get("/auth/session").await.unwrap();
    assert_eq!(session.status, 200, "{}", session.text);
    assert_eq!(session.body["user"]["username"], "admin");
    let tokens = api.get("/auth/tokens").await.unwrap();
    assert!(
        tokens
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"].as_str().unwrap().starts_with("cli@")),
        "{}",
        tokens.text
    );

    // Create, then a second version; --if-version refuses a stale base.
    let file = |v: &str| {
        format!(
            "services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sh\", \"-c\", \"echo {v}; exec sleep 100000\"]\n"
        )
    };
    cli.write("compose.yml", &file("one"));
    let run = cli
        .run(&["stack", "push", "-f", "compose.yml", "shop"])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("version 1"), "{run}");
    cli.write("compose.yml", &file("two"));
    let run = cli
        .run(&["stack", "push", "shop", "-m", "second", "--output", "json"])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.json()["current"]["version"], 2, "{run}");
    assert_eq!(run.json()["current"]["message"], "second", "{run}");
    let run = cli
        .run(&["stack", "push", "shop", "--if-version", "1"])
        .await;
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("version 2"), "{run}");

    // A broken file: exit 3, file:line: field: message, nothing pushed.
    cli.write(
        "broken.yml",
        "services:\n  web:\n    image: nginx\n    healthcheck:\n      test: curl -f http://localhost\n      interval: 10x\n",
    );
    let run = cli
        .run(&["stack", "push", "-f", "broken.yml", "shop"])
        .await;
    assert_eq!(run.code, 3, "{run}");
    assert!(
        run.stderr
            .contains("broken.yml:6: services.web.healthcheck.interval: invalid duration"),
        "{run}"
    );
    let run = cli.run(&["stack", "ls", "--output", "json"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.json()[0]["name"], "shop", "{run}");
    assert_eq!(run.json()[0]["version"], 2, "{run}");
    let run = cli.run(&["stack", "show", "shop"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("echo two"), "{run}");
    let run = cli
        .run(&["stack", "diff", "shop", "--from", "1", "--to", "2"])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("-") && run.stdout.contains("echo two"),
        "{run}"
    );

    // Domains: set over the compose file, listed, refused with the field at fault, removed.
    let run = cli
        .run(&[
            "domain",
            "set",
            "shop",
            "web",
            "shop.example.test",
            "--port",
            "8080",
        ])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("answers at shop.example.test (port 8080, tls auto)"),
        "{run}"
    );
    let run = cli.run(&["domain", "ls", "shop", "--output", "json"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.json()[0]["domains"][0], "shop.example.test", "{run}");
    assert_eq!(run.json()[0]["source"], "control-plane", "{run}");
    let run = cli
        .run(&["domain", "set", "shop", "web", "bad_host.example.test"])
        .await;
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("domains[0]"), "{run}");
    let run = cli.run(&["domain", "rm", "shop", "web"]).await;
    assert_eq!(run.code, 0, "{run}");
    let run = cli.run(&["domain", "ls", "shop", "--output", "json"]).await;
    assert_eq!(run.json(), serde_json::json!([]), "{run}");

    // Certificates: uploaded from PEM files, listed without their key, removed.
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["shop.example.test".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    cli.write("chain.pem", &cert.pem());
    cli.write("key.pem", &key.serialize_pem());
    let run = cli
        .run(&[
            "cert",
            "upload",
            "shop",
            "--chain",
            "chain.pem",
            "--key",
            "key.pem",
        ])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("stored shop: shop.example.test"),
        "{run}"
    );
    let run = cli.run(&["cert", "ls", "--output", "json"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.json()[0]["source"], "uploaded", "{run}");
    assert!(!run.stdout.contains("PRIVATE KEY"), "{run}");
    let run = cli
        .run(&[
            "cert", "upload", "bad", "--chain", "key.pem", "--key", "key.pem",
        ])
        .await;
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("chain_pem"), "{run}");
    let run = cli.run(&["cert", "rm", "shop"]).await;
    assert_eq!(run.code, 0, "{run}");

    // WINDFLOW_SERVER / WINDFLOW_TOKEN work without the file (CI).
    let run = cli.run(&["logout"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(!path.exists());
    let revoked = api.get("/auth/session").await.unwrap();
    assert_eq!(revoked.status, 401, "the token still works after logout");
    let ci_token = server.admin().await.unwrap().token.unwrap();
    let mut command = tokio::process::Command::new(support::bin());
    let output = command
        .args(["stack", "ls", "--output", "json"])
        .env("HOME", &cli.home)
        .env("XDG_CONFIG_HOME", cli.config_dir())
        .env("WINDFLOW_SERVER", &server.url)
        .env("WINDFLOW_TOKEN", &ci_token)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(list[0]["name"], "shop");
}

fn web_stack(port: u16, version: &str, healthy: bool) -> String {
    let healthcheck = if healthy {
        String::new()
    } else {
        "    healthcheck:\n      test: [\"CMD\", \"sh\", \"-c\", \"exit 1\"]\n      interval: 300ms\n      timeout: 1s\n      retries: 2\n      start_period: 0s\n"
            .to_string()
    };
    format!(
        r#"services:
  web:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "echo hello-from-web {version}; mkdir -p /www; echo {version} > /www/index.html; exec httpd -f -p 8080 -h /www"]
    init: true
    stop_grace_period: 1s
    ports:
      - "127.0.0.1:{port}:8080"
{healthcheck}"#
    )
}

async fn web_serves(port: u16) -> String {
    let (status, body) = http_get(
        &format!("http://127.0.0.1:{port}/index.html"),
        Duration::from_secs(20),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    body.trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_follow_logs_failure_and_rollback() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    ensure_test_images(&docker).await.unwrap();
    let guard = ProjectGuard::unique("cli-web");
    let stack = guard.project().to_string();
    let server = support::start(Database::Sqlite).await;
    let cli = Cli::new();
    assert_eq!(cli.login(&server.url).await.code, 0);
    let port = free_port();

    cli.write("compose.yml", &web_stack(port, "v1", true));
    let run = cli.run(&["stack", "push", &stack]).await;
    assert_eq!(run.code, 0, "{run}");

    // Deploy, following the server's events with the local renderer.
    let run = cli
        .run(&["deploy", &stack, "--target", "local", "--plain"])
        .await;
    assert_eq!(run.code, 0, "{run}\n{}", server.logs());
    assert!(run.stderr.contains("✔"), "no finished step in\n{run}");
    assert!(run.stdout.contains("deployed"), "{run}");
    assert_eq!(web_serves(port).await, "v1");
    let containers = windflow_testkit::list_project_containers(&docker, &stack)
        .await
        .unwrap();
    assert_eq!(containers.len(), 1, "{containers:?}");
    let inspected = docker
        .inspect_container(
            containers[0].id.as_deref().unwrap(),
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap();
    assert_eq!(inspected.state.and_then(|s| s.running), Some(true));

    // The list and one deployment, as text and JSON.
    let run = cli.run(&["deployments", "--stack", &stack]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("succeeded"), "{run}");
    let run = cli
        .run(&["deployments", "--stack", &stack, "--output", "json"])
        .await;
    let list = run.json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{run}");
    assert_eq!(list[0]["state"], "succeeded");
    let first_id = list[0]["id"].as_str().unwrap().to_string();
    let run = cli.run(&["deployments", &first_id]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("plan"), "{run}");

    // Logs through the server, with compose's prefixes.
    let run = cli
        .run(&["logs", "--stack", &stack, "--target", "local", "-n", "20"])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("web-1") && l.contains("| hello-from-web v1")),
        "{run}"
    );
    let run = cli
        .run(&[
            "logs", "--stack", &stack, "--target", "local", "web", "--output", "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.json_lines()
            .iter()
            .any(|l| l["service"] == "web" && l["text"] == "hello-from-web v1"),
        "{run}"
    );

    // Version 2, deployed with JSON lines: engine events, then the final deployment.
    cli.write("compose.yml", &web_stack(port, "v2", true));
    assert_eq!(cli.run(&["stack", "push", &stack]).await.code, 0);
    let run = cli
        .run(&["deploy", &stack, "--target", "local", "--output", "json"])
        .await;
    assert_eq!(run.code, 0, "{run}");
    let lines = run.json_lines();
    assert!(lines.iter().any(|l| l["event"] == "step_started"), "{run}");
    assert!(lines.iter().any(|l| l["event"] == "state"), "{run}");
    let last = lines.last().unwrap();
    assert_eq!(last["state"], "succeeded", "{run}");
    assert_eq!(last["version"], 2, "{run}");
    assert_eq!(web_serves(port).await, "v2");

    // Version 3 never gets healthy: exit 5, and version 2 still answers.
    cli.write("compose.yml", &web_stack(port, "v3", false));
    assert_eq!(cli.run(&["stack", "push", &stack]).await.code, 0);
    let run = cli
        .run(&["deploy", &stack, "--target", "local", "--plain"])
        .await;
    assert_eq!(run.code, 5, "{run}\n{}", server.logs());
    assert!(
        run.stderr.contains("previous version was restored"),
        "{run}"
    );
    assert_eq!(web_serves(port).await, "v2");
    let run = cli
        .run(&[
            "deployments",
            "--stack",
            &stack,
            "--state",
            "rolled_back",
            "--output",
            "json",
        ])
        .await;
    assert_eq!(run.json().as_array().unwrap().len(), 1, "{run}");

    // Roll back to version 1 through the server.
    let run = cli
        .run(&[
            "rollback", "--stack", &stack, "--target", "local", "--to", "1", "--plain",
        ])
        .await;
    assert_eq!(run.code, 0, "{run}\n{}", server.logs());
    assert_eq!(web_serves(port).await, "v1");
    let run = cli
        .run(&["deployments", "--stack", &stack, "--output", "json"])
        .await;
    let newest = &run.json()[0];
    assert_eq!(newest["kind"], "rollback", "{run}");
    assert_eq!(newest["version"], 1, "{run}");
    assert_eq!(newest["state"], "succeeded", "{run}");

    // A detached deploy returns the queued deployment; --follow picks it up.
    let run = cli
        .run(&[
            "deploy",
            &stack,
            "--target",
            "local",
            "--version",
            "2",
            "--detach",
            "--output",
            "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{run}");
    let id = run.json()["id"].as_str().unwrap().to_string();
    let run = cli.run(&["deployments", &id, "--follow", "--plain"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(web_serves(port).await, "v2");

    // `stack ls` says where it runs; `stack rm` refuses while it does, and with --undeploy
    // removes it from the target, then deletes it.
    let run = cli.run(&["stack", "ls"]).await;
    assert!(run.stdout.contains("local (v2)"), "{run}");
    let run = cli.run(&["stack", "rm", &stack]).await;
    assert_ne!(run.code, 0, "{run}");
    assert!(run.stderr.contains("is deployed on local"), "{run}");
    let run = cli.run(&["stack", "rm", &stack, "--undeploy"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains(&format!("removing {stack} from local")),
        "{run}"
    );
    let mut gone = false;
    for _ in 0..100 {
        let run = cli.run(&["stack", "ls", "--output", "json"]).await;
        if !run.stdout.contains(&format!("\"{stack}\"")) {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(gone, "the stack is deleted once removed\n{}", server.logs());
    assert!(
        windflow_testkit::list_project_containers(&docker, &stack)
            .await
            .unwrap()
            .is_empty()
    );
    drop(guard);
}

/// `windflow advise` (no server), `windflow template` against a server, and `windflow ai
/// generate` straight to an OpenAI-compatible provider (a scripted one on loopback) with the
/// repair loop.
#[tokio::test(flavor = "multi_thread")]
async fn advise_templates_and_ai_generate() {
    let cli = Cli::new();
    cli.write(
        "compose.yml",
        "services:\n  web:\n    image: busybox:latest\n    privileged: true\n",
    );
    let run = cli.run(&["-f", "compose.yml", "advise"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("compose.yml:4: error[privileged]"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("compose.yml:3: warning[latest-image-tag]"),
        "{run}"
    );
    let run = cli.run(&["-f", "compose.yml", "advise", "--strict"]).await;
    assert_eq!(run.code, 7, "{run}");
    let run = cli
        .run(&["-f", "compose.yml", "--output", "json", "advise"])
        .await;
    let findings = run.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "privileged" && f["line"] == 4 && f["severity"] == "error"),
        "{run}"
    );

    let server = support::start(Database::Sqlite).await;
    assert_eq!(cli.login(&server.url).await.code, 0);
    let run = cli.run(&["template", "ls", "redis"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with("redis "), "{run}");
    let run = cli
        .run(&[
            "template",
            "deploy",
            "redis",
            "--stack",
            "cache",
            "--size",
            "small",
            "--dry-run",
        ])
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("would create stack cache"), "{run}");
    assert!(run.stdout.contains("REDIS_PASSWORD"), "{run}");
    assert!(run.stdout.contains("(secret)"), "{run}");
    assert!(run.stdout.contains("formula"), "{run}");

    let broken = "```yaml\nservices:\n  web:\n\timage: x\n```";
    let fixed = "services:\n  web:\n    image: busybox:1.36\n    restart: unless-stopped\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n";
    let provider = windflow_testkit::openai::ScriptedServer::start([
        windflow_testkit::openai::answer(broken),
        windflow_testkit::openai::answer(&format!("```yaml\n{fixed}```")),
    ])
    .await;
    let run = cli
        .run_full(
            &["ai", "generate", "a web server", "-o", "generated.yml"],
            None,
            &[
                ("WINDFLOW_AI_BASE_URL", &provider.url),
                ("WINDFLOW_AI_MODEL", "scripted"),
            ],
        )
        .await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("round 2/3"), "{run}");
    assert_eq!(
        std::fs::read_to_string(cli.home.join("generated.yml")).unwrap(),
        fixed
    );
    assert!(
        provider.requests()[1].contents().contains("compose.yaml:3"),
        "the diagnostics were fed back"
    );
}
