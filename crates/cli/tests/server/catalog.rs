//! The template catalog through the server, onto the real engine.
//!
//! - A catalog source is a real git repository served by `git daemon` on loopback, holding
//!   WindFlow templates and Coolify templates (copied from the importer's corpus, plus a
//!   broken one the report must name). Only server administrators add sources.
//! - A template deploys as a stack: the container's environment (read through the Engine
//!   API) holds the given, default, generated and formula values and its memory limit is the
//!   size class's; the generated secret is a stack secret the API never shows; a dry run
//!   creates nothing; a bad value or a size the target cannot fit is a 422 naming the input.
//! - A new template version in the repository, after a refresh, upgrades the stack with a
//!   diff; the generated secret is kept across the upgrade; a refresh that cannot reach the
//!   repository keeps the templates and says why.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bollard::query_parameters::{InspectContainerOptions, ListContainersOptions};
use serde_json::{Value, json};
use windflow_testkit::server::{Api, Database};
use windflow_testkit::{TEST_IMAGE, docker, free_port, unique_project};

use crate::support::{member, start};

fn template(version: &str, extra_env: &str) -> String {
    format!(
        r#"x-windflow:
  template:
    id: hello
    name: Hello
    version: "{version}"
    description: A greeting, sized for its target.
    categories: [web]
    inputs:
      - name: GREETING
        type: string
        default: hello
      - name: TOKEN
        type: secret
        generate: hex:16
      - name: CACHE_BYTES
        type: number
        formula: "floor(memory / 4)"
      - name: MODE
        type: enum
        default: fast
        options: [fast, safe]
services:
  web:
    image: {TEST_IMAGE}
    command: ["sleep", "600"]
    restart: unless-stopped
    environment:
      GREETING: ${{GREETING}}
      TOKEN: ${{TOKEN}}
      CACHE_BYTES: ${{CACHE_BYTES}}
      MODE: ${{MODE}}{extra_env}
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      retries: 10
    mem_limit: ${{WINDFLOW_MEMORY}}
"#
    )
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.test")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.test")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?} in {}", dir.display());
}

/// A bare repository `templates.git` under `root` and a work tree to push from.
struct Repository {
    root: PathBuf,
    work: PathBuf,
    daemon: Option<Child>,
    port: u16,
}

impl Repository {
    fn create() -> Repository {
        let root = std::env::temp_dir().join(unique_project("catalog-git"));
        let work = root.join("work");
        std::fs::create_dir_all(&work).unwrap();
        git(
            &root,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "templates.git",
            ],
        );
        git(&work, &["init", "--quiet", "--initial-branch=main"]);
        git(&work, &["remote", "add", "origin", "../templates.git"]);
        Repository {
            root,
            work,
            daemon: None,
            port: free_port(),
        }
    }

    fn write(&self, path: &str, text: &str) {
        let file = self.work.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }

    fn push(&self, message: &str) {
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "--quiet", "-m", message]);
        git(&self.work, &["push", "--quiet", "origin", "main"]);
    }

    fn serve(&mut self) {
        // `git daemon` would run git-daemon as a child of its own, which killing `git` leaves
        // behind: run git-daemon itself.
        let exec_path = Command::new("git")
            .arg("--exec-path")
            .output()
            .expect("git");
        let exec_path = String::from_utf8_lossy(&exec_path.stdout)
            .trim()
            .to_string();
        let child = Command::new(Path::new(&exec_path).join("git-daemon"))
            .args([
                "--reuseaddr",
                "--export-all",
                "--listen=127.0.0.1",
                &format!("--port={}", self.port),
                &format!("--base-path={}", self.root.display()),
            ])
            .arg(&self.root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon");
        self.daemon = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "git daemon did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("git://127.0.0.1:{}/templates.git", self.port)
    }
}

impl Drop for Repository {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn coolify_corpus(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../catalog/tests/data/coolify")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The environment of the stack's one container, through the Engine API, and its memory
/// limit.
async fn container_env(stack: &str) -> (Vec<String>, i64) {
    let docker = docker().await;
    let list = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(
                [(
                    "label".to_string(),
                    vec![format!("com.docker.compose.project={stack}")],
                )]
                .into(),
            ),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let inspect = docker
        .inspect_container(
            list[0].id.as_deref().unwrap(),
            None::<InspectContainerOptions>,
        )
        .await
        .unwrap();
    let env = inspect.config.unwrap().env.unwrap_or_default();
    let memory = inspect.host_config.unwrap().memory.unwrap_or_default();
    (env, memory)
}

fn env_value<'a>(env: &'a [String], name: &str) -> &'a str {
    env.iter()
        .find_map(|e| e.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {env:?}"))
}

async fn wait_succeeded(api: &Api, id: &str) -> Value {
    let done = api
        .wait_deployment("default", id, Duration::from_secs(180))
        .await
        .unwrap();
    assert_eq!(done["state"], "succeeded", "{done}");
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_from_a_git_source_deploy_size_and_upgrade() {
    let mut repo = Repository::create();
    repo.write("windflow/hello.yaml", &template("1.0.0", ""));
    repo.write(
        "coolify/uptime-kuma.yaml",
        &coolify_corpus("uptime-kuma.yaml"),
    );
    repo.write("coolify/n8n.yaml", &coolify_corpus("n8n.yaml"));
    repo.write("coolify/broken.yaml", "services:\n  web:\n\timage: x\n");
    repo.push("v1");
    repo.serve();

    let server = start(Database::Sqlite).await;
    let admin = server.admin().await.unwrap();
    let source =
        json!({"name": "team", "url": repo.url(), "path": "windflow", "format": "windflow"});

    // Only server administrators add sources (an organization admin is not one).
    let org_admin = member(&server, &admin, "olga", "default", "admin").await;
    let denied = org_admin
        .post("/catalog/sources", source.clone())
        .await
        .unwrap();
    assert_eq!(denied.status, 403, "{}", denied.text);
    // A URL the server cannot fetch is refused, nothing stored.
    let unreachable = admin
        .post(
            "/catalog/sources",
            json!({"name": "nowhere", "url": format!("git://127.0.0.1:{}/x.git", free_port()), "format": "windflow"}),
        )
        .await
        .unwrap();
    assert_eq!(unreachable.status, 422, "{}", unreachable.text);
    // A transport that would run a command is refused before anything runs.
    let ext = admin
        .post(
            "/catalog/sources",
            json!({"name": "ext", "url": "ext::sh -c touch% /tmp/pwned", "format": "windflow"}),
        )
        .await
        .unwrap();
    assert_eq!(ext.status, 422, "{}", ext.text);

    let created = admin.post("/catalog/sources", source).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["templates"], 1, "{}", created.text);
    let coolify = admin
        .post(
            "/catalog/sources",
            json!({"name": "coolify", "url": repo.url(), "path": "coolify", "format": "coolify"}),
        )
        .await
        .unwrap();
    assert_eq!(coolify.status, 201, "{}", coolify.text);
    assert_eq!(coolify.body["templates"], 2, "{}", coolify.text);
    let report = coolify.body["report"].as_array().unwrap();
    assert!(
        report
            .iter()
            .any(|n| n["template"] == "broken.yaml" && n["outcome"] == "skipped"),
        "the broken template is reported: {}",
        coolify.text
    );

    // Every member sees the catalog: built-in templates and the sources'.
    let listed = org_admin
        .get("/orgs/default/templates?q=hello")
        .await
        .unwrap();
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body[0]["source"], "team", "{}", listed.text);
    let kuma = org_admin
        .get("/orgs/default/templates/coolify/uptime-kuma")
        .await
        .unwrap();
    assert_eq!(kuma.status, 200, "{}", kuma.text);
    assert!(
        kuma.body["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "domain"),
        "{}",
        kuma.text
    );

    // Bad input: a value outside the enum, named by its input; nothing created.
    let stack = unique_project("hello");
    let bad = org_admin
        .post(
            "/orgs/default/templates/team/hello/deploy",
            json!({"stack": stack, "values": {"MODE": "reckless"}}),
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(
        bad.body["errors"][0]["field"], "values.MODE",
        "{}",
        bad.text
    );
    // A size the target cannot fit, once the target's capacity is known.
    wait_for_capacity(&admin).await;
    let huge = org_admin
        .post(
            "/orgs/default/templates/team/hello/deploy",
            json!({"stack": stack, "target": "local", "size": {"cpus": 1, "memory": "64TiB"}}),
        )
        .await
        .unwrap();
    assert_eq!(huge.status, 422, "{}", huge.text);
    assert!(huge.text.contains("memory"), "{}", huge.text);
    // A dry run shows what would be made and makes nothing.
    let dry = org_admin
        .post(
            "/orgs/default/templates/team/hello/deploy",
            json!({"stack": stack, "target": "local", "size": {"class": "small"}, "dry_run": true}),
        )
        .await
        .unwrap();
    assert_eq!(dry.status, 200, "{}", dry.text);
    let origins: Vec<(String, String)> = dry.body["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().into(),
                i["origin"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (name, origin) in [
        ("GREETING", "default"),
        ("TOKEN", "generated"),
        ("CACHE_BYTES", "formula"),
    ] {
        assert!(
            origins.contains(&(name.into(), origin.into())),
            "{origins:?}"
        );
    }
    for input in dry.body["inputs"].as_array().unwrap() {
        if input["secret"] == true {
            assert!(
                input.get("value").is_none(),
                "a secret is never shown: {input}"
            );
        }
    }
    assert_eq!(
        org_admin
            .get(&format!("/orgs/default/stacks/{stack}"))
            .await
            .unwrap()
            .status,
        404
    );

    // Deploy it for real: small (256 MiB).
    let deployed = org_admin
        .post(
            "/orgs/default/templates/team/hello/deploy",
            json!({"stack": stack, "target": "local", "size": {"class": "small"},
                   "values": {"GREETING": "bonjour"}, "deploy": true}),
        )
        .await
        .unwrap();
    assert_eq!(deployed.status, 201, "{}", deployed.text);
    wait_succeeded(&org_admin, deployed.body["deployment"].as_str().unwrap()).await;
    let (env, memory) = container_env(&stack).await;
    assert_eq!(env_value(&env, "GREETING"), "bonjour");
    assert_eq!(env_value(&env, "MODE"), "fast");
    assert_eq!(
        env_value(&env, "CACHE_BYTES"),
        (256u64 << 20 >> 2).to_string()
    );
    assert_eq!(
        memory,
        256 << 20,
        "the size class's memory is the container's limit"
    );
    let token = env_value(&env, "TOKEN").to_string();
    assert!(
        token.len() == 16 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "hex:16 is 16 hex digits: {token}"
    );
    // The generated secret is a stack secret: listed, never shown.
    let variables = org_admin
        .get(&format!("/orgs/default/stacks/{stack}/variables"))
        .await
        .unwrap();
    let token_var = variables
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "TOKEN")
        .unwrap();
    assert_eq!(token_var["secret"], true);
    assert!(token_var.get("value").is_none(), "{}", variables.text);
    for text in [
        &variables.text,
        &deployed.text,
        &admin.get("/orgs/default/audit").await.unwrap().text,
    ] {
        assert!(!text.contains(&token), "the generated secret leaked");
    }
    let info = org_admin
        .get(&format!("/orgs/default/stacks/{stack}/template"))
        .await
        .unwrap();
    assert_eq!(info.body["version"], "1.0.0", "{}", info.text);
    assert!(info.body.get("available").is_none(), "{}", info.text);

    // Version 1.1.0 lands in the repository; a refresh brings it; the stack upgrades with a
    // diff and keeps its generated secret.
    repo.write(
        "windflow/hello.yaml",
        &template("1.1.0", "\n      EDITION: \"2\""),
    );
    repo.push("v1.1.0");
    let refreshed = admin
        .post("/catalog/sources/team/refresh", json!({}))
        .await
        .unwrap();
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert!(
        refreshed.body.get("refresh_error").is_none(),
        "{}",
        refreshed.text
    );
    let info = org_admin
        .get(&format!("/orgs/default/stacks/{stack}/template"))
        .await
        .unwrap();
    assert_eq!(info.body["available"], "1.1.0", "{}", info.text);
    let preview = org_admin
        .post(
            &format!("/orgs/default/stacks/{stack}/template/upgrade"),
            json!({"dry_run": true}),
        )
        .await
        .unwrap();
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert!(
        preview.body["diff"]
            .as_str()
            .unwrap()
            .contains("+      EDITION: \"2\""),
        "{}",
        preview.text
    );
    assert!(preview.body.get("stack_version").is_none());
    let upgraded = org_admin
        .post(
            &format!("/orgs/default/stacks/{stack}/template/upgrade"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(upgraded.status, 200, "{}", upgraded.text);
    assert_eq!(upgraded.body["stack_version"], 2, "{}", upgraded.text);
    let redeploy = org_admin
        .post(
            "/orgs/default/deployments",
            json!({"stack": stack, "target": "local"}),
        )
        .await
        .unwrap();
    assert_eq!(redeploy.status, 201, "{}", redeploy.text);
    wait_succeeded(&org_admin, redeploy.body["id"].as_str().unwrap()).await;
    let (env, _) = container_env(&stack).await;
    assert_eq!(env_value(&env, "EDITION"), "2");
    assert_eq!(
        env_value(&env, "TOKEN"),
        token,
        "the generated secret is kept"
    );
    assert_eq!(
        env_value(&env, "GREETING"),
        "bonjour",
        "the given value is kept"
    );

    // The repository goes away: a refresh fails, says why, and keeps the templates.
    repo.stop();
    let failed = admin
        .post("/catalog/sources/team/refresh", json!({}))
        .await
        .unwrap();
    assert_eq!(failed.status, 200, "{}", failed.text);
    assert!(
        failed.body["refresh_error"]
            .as_str()
            .is_some_and(|e| e.contains("git clone")),
        "{}",
        failed.text
    );
    assert_eq!(failed.body["templates"], 1, "{}", failed.text);
    let still = org_admin
        .get("/orgs/default/templates/team/hello")
        .await
        .unwrap();
    assert_eq!(still.status, 200, "{}", still.text);
    assert_eq!(still.body["version"], "1.1.0");

    crate::support::remove_stack(&org_admin, &stack).await;
}

/// Waits until the `local` target reported its capacity (its first health check).
async fn wait_for_capacity(api: &Api) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let target = api.get("/orgs/default/targets/local").await.unwrap();
        if target.body["info"]["memory_bytes"]
            .as_u64()
            .is_some_and(|m| m > 0)
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no capacity: {}",
            target.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
