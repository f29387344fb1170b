//! The curated templates (`crates/catalog/templates/*.yaml`) deployed for real: `windflow up`
//! of the template file with its inputs in the environment, as a user deploys a template from
//! the command line, then the check a user would make (log in with the generated password, read
//! back the tuning a formula computed, fetch the page), then `windflow down -v`.
//!
//! No registry is reachable here, so `scripts/ensure-template-images.sh` builds local stand-ins
//! tagged with the templates' exact image references: Debian's real redis-server, nginx,
//! PostgreSQL and MariaDB behind entrypoints that honour the official images' variables, and for
//! Gitea and WordPress (whose software the stand-ins do not run) a busybox + psql or mariadb
//! client stand-in that logs into the stack's database with the variables it was given and
//! serves the result. What is proven is the template's wiring —
//! inputs → variables → environment, command, volumes, configs, healthcheck, limits — not the
//! upstream image.
//!
//! The values of computed inputs are the formulas' results for the size the test picks,
//! written out here (the catalog computes them when a template is deployed through it).

mod common;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, ContainerSummary, HealthStatusEnum};
use common::{Run, Scratch, run_windflow_with};
use futures::future::LocalBoxFuture;
use futures::{FutureExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use windflow_testkit::{docker_or_skip, list_project_containers, workspace_root};

/// The template file `id`.
fn template(id: &str) -> PathBuf {
    workspace_root()
        .join("crates/catalog/templates")
        .join(format!("{id}.yaml"))
}

/// A value as `generate: alnum:N` makes it.
fn alnum(len: usize) -> String {
    let mut out = String::new();
    while out.len() < len {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(len);
    out
}

/// A value as `generate: password` might make it: letters, digits and punctuation that a
/// shell, SQL or YAML would trip over if a template quoted it wrongly.
fn password() -> String {
    format!("Pw-{}_.!@%*", alnum(20))
}

/// Builds the stand-in images once per test process (a second or less when they are current).
async fn ensure_template_images() {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        let script = workspace_root().join("scripts/ensure-template-images.sh");
        let output = tokio::process::Command::new("bash")
            .arg(&script)
            .current_dir(workspace_root())
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "{} failed ({}):\n{}{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    })
    .await;
}

/// Whether [`ensure_gateway_network`] created the network (then the test removes it at the end,
/// as the server's gateway tests remove theirs).
static CREATED_GATEWAY_NETWORK: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// A local `windflow up` of a stack with domains needs the target's gateway network (the control
/// plane's gateway creates it, with these labels, and would reuse this one): created when
/// missing.
async fn ensure_gateway_network(docker: &Docker) {
    use windflow_domain::naming::{GATEWAY_NETWORK, LABEL_MANAGED_BY};
    // The engine does not refuse a second network of the same name: the tests of this binary
    // create it one at a time.
    static CREATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = CREATING.lock().await;
    let existing = docker
        .list_networks(Some(bollard::query_parameters::ListNetworksOptions {
            filters: Some(HashMap::from([(
                "name".to_string(),
                vec![format!("^{GATEWAY_NETWORK}$")],
            )])),
        }))
        .await
        .unwrap();
    if !existing.is_empty() {
        return;
    }
    let request = bollard::models::NetworkCreateRequest {
        name: GATEWAY_NETWORK.to_string(),
        driver: Some("bridge".into()),
        labels: Some(HashMap::from([
            (LABEL_MANAGED_BY.to_string(), "windflow".to_string()),
            // windflow_gateway::LABEL_GATEWAY
            ("io.windflow.gateway".to_string(), "network".to_string()),
        ])),
        ..Default::default()
    };
    docker
        .create_network(request)
        .await
        .unwrap_or_else(|e| panic!("creating the network {GATEWAY_NETWORK}: {e}"));
    CREATED_GATEWAY_NETWORK.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// One template deployed under a unique project, with its inputs.
struct Deployed {
    scratch: Scratch,
    template: PathBuf,
    inputs: Vec<(String, OsString)>,
}

impl Deployed {
    /// `windflow up` of template `id` with `inputs` (and the size's built-ins) in the
    /// environment; `None` when the developer skips Docker tests.
    async fn up(id: &str, memory: &str, inputs: &[(&str, &str)]) -> Option<Self> {
        docker_or_skip().await?;
        ensure_template_images().await;
        let scratch = Scratch::new(&format!("tpl-{id}")).await;
        ensure_gateway_network(&scratch.docker).await;
        let mut all: Vec<(String, OsString)> = vec![
            ("WINDFLOW_MEMORY".into(), memory.into()),
            ("WINDFLOW_CPUS".into(), "0.5".into()),
        ];
        all.extend(
            inputs
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v))),
        );
        let deployed = Self {
            scratch,
            template: template(id),
            inputs: all,
        };
        let up = deployed.windflow(&["up", "--wait-timeout", "120"]).ok();
        assert!(
            !up.stderr.to_lowercase().contains("warning"),
            "windflow up warned about {id}:\n{}",
            up.stderr
        );
        Some(deployed)
    }

    fn windflow(&self, args: &[&str]) -> Run {
        let file = self.template.to_string_lossy().into_owned();
        let mut full = vec!["-p", self.scratch.project(), "-f", &file];
        full.extend_from_slice(args);
        let env: Vec<(&str, &std::ffi::OsStr)> = self
            .inputs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_os_str()))
            .collect();
        run_windflow_with(&self.scratch.dir, &full, &env)
    }

    fn docker(&self) -> &Docker {
        &self.scratch.docker
    }

    /// The (only) container of `service`.
    async fn container(&self, service: &str) -> ContainerInspectResponse {
        let containers: Vec<ContainerSummary> =
            list_project_containers(self.docker(), self.scratch.project())
                .await
                .unwrap();
        let found: Vec<&ContainerSummary> = containers
            .iter()
            .filter(|c| {
                c.labels
                    .as_ref()
                    .and_then(|l| l.get("com.docker.compose.service"))
                    .is_some_and(|s| s == service)
            })
            .collect();
        assert_eq!(found.len(), 1, "containers of {service}: {containers:#?}");
        self.scratch.inspect(found[0].id.as_deref().unwrap()).await
    }

    /// Asserts that `service` is healthy, restarts unless stopped and has `memory` bytes.
    async fn assert_running(&self, service: &str, memory: i64) -> ContainerInspectResponse {
        let container = self.container(service).await;
        let state = container.state.clone().unwrap();
        assert_eq!(
            state.health.and_then(|h| h.status),
            Some(HealthStatusEnum::HEALTHY),
            "{service} is not healthy"
        );
        let host = container.host_config.clone().unwrap();
        assert_eq!(host.memory, Some(memory), "{service}'s memory limit");
        assert_eq!(host.nano_cpus, Some(500_000_000), "{service}'s cpus");
        assert_eq!(
            host.restart_policy
                .and_then(|p| p.name)
                .map(|n| n.to_string())
                .as_deref(),
            Some("unless-stopped"),
            "{service}'s restart policy"
        );
        assert!(
            host.port_bindings.unwrap_or_default().is_empty(),
            "{service} publishes no host port"
        );
        container
    }

    /// Runs `cmd` in `service`'s container with `env`: exit code and output (stdout + stderr).
    async fn exec(&self, service: &str, cmd: &[&str], env: &[&str]) -> (i64, String) {
        let id = self.container(service).await.id.unwrap();
        let exec = self
            .docker()
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
            self.docker().start_exec(&exec.id, None).await.unwrap()
        {
            while let Some(Ok(chunk)) = output.next().await {
                text.push_str(&chunk.to_string());
            }
        }
        let code = self
            .docker()
            .inspect_exec(&exec.id)
            .await
            .unwrap()
            .exit_code
            .unwrap_or(-1);
        (code, text)
    }

    /// Like [`Self::exec`], asserting success; the trimmed output.
    async fn exec_ok(&self, service: &str, cmd: &[&str], env: &[&str]) -> String {
        let (code, text) = self.exec(service, cmd, env).await;
        assert_eq!(code, 0, "{cmd:?} in {service} failed: {text}");
        text.trim().to_string()
    }

    /// `GET path` from `service`'s address on the stack's network (as the gateway reaches it),
    /// with `Host: host`: status and body.
    async fn http_get(&self, service: &str, port: u16, host: &str, path: &str) -> (u16, String) {
        let container = self.container(service).await;
        let networks = container.network_settings.unwrap().networks.unwrap();
        let ip = networks
            .iter()
            .find(|(name, _)| name.starts_with(self.scratch.project()))
            .and_then(|(_, n)| n.ip_address.clone())
            .filter(|ip| !ip.is_empty())
            .unwrap_or_else(|| panic!("{service} has no address on the stack's network"));
        let mut stream = tokio::time::timeout(
            Duration::from_secs(10),
            tokio::net::TcpStream::connect((ip.as_str(), port)),
        )
        .await
        .expect("connect timed out")
        .unwrap_or_else(|e| panic!("connecting to {service} at {ip}:{port}: {e}"));
        let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
            .await
            .expect("read timed out")
            .unwrap();
        let response = String::from_utf8_lossy(&response);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad response from {service}: {head}"));
        (status, body.to_string())
    }

    /// `windflow down -v`: nothing of the project is left, volumes included.
    async fn down(self) {
        self.windflow(&["down", "-v"]).ok();
        assert!(
            list_project_containers(self.docker(), self.scratch.project())
                .await
                .unwrap()
                .is_empty()
        );
        let volumes = self
            .docker()
            .list_volumes(None::<bollard::query_parameters::ListVolumesOptions>)
            .await
            .unwrap()
            .volumes
            .unwrap_or_default();
        let left: Vec<_> = volumes
            .iter()
            .filter(|v| v.name.starts_with(&format!("{}_", self.scratch.project())))
            .map(|v| v.name.clone())
            .collect();
        assert!(left.is_empty(), "volumes left after down -v: {left:?}");
    }
}

const MIB: i64 = 1024 * 1024;

async fn redis_requires_its_password_and_caps_memory_at_three_quarters() {
    let password = alnum(32);
    // floor(256 MiB * 3 / 4)
    let maxmemory = (256 * MIB * 3 / 4).to_string();
    let Some(d) = Deployed::up(
        "redis",
        "256m",
        &[
            ("REDIS_PASSWORD", &password),
            ("REDIS_MAXMEMORY", &maxmemory),
            ("REDIS_MAXMEMORY_POLICY", "allkeys-lru"),
        ],
    )
    .await
    else {
        return;
    };
    d.assert_running("redis", 256 * MIB).await;
    let cli = |args: &[&'static str]| {
        let mut cmd = vec!["redis-cli", "--no-auth-warning", "-a", password.as_str()];
        cmd.extend_from_slice(args);
        cmd
    };
    assert_eq!(d.exec_ok("redis", &cli(&["ping"]), &[]).await, "PONG");
    let got = d
        .exec_ok("redis", &cli(&["CONFIG", "GET", "maxmemory*"]), &[])
        .await;
    let values: Vec<&str> = got.lines().collect();
    let pairs: HashMap<&str, &str> = values
        .chunks(2)
        .filter_map(|c| Some((c[0], *c.get(1)?)))
        .collect();
    assert_eq!(pairs.get("maxmemory"), Some(&maxmemory.as_str()), "{got}");
    assert_eq!(pairs.get("maxmemory-policy"), Some(&"allkeys-lru"), "{got}");
    // Without the password: refused.
    let (_, refused) = d
        .exec(
            "redis",
            &["sh", "-c", "REDISCLI_AUTH= redis-cli get x"],
            &[],
        )
        .await;
    assert!(refused.contains("NOAUTH"), "{refused}");
    d.down().await;
}

async fn postgresql_accepts_the_generated_password_and_is_tuned_from_the_size() {
    let password = password();
    let Some(d) = Deployed::up(
        "postgresql",
        "256m",
        &[
            ("POSTGRES_USER", "app"),
            ("POSTGRES_DB", "appdb"),
            ("POSTGRES_PASSWORD", &password),
            // memory / 4, memory * 3 / 4 (unit: MB), min(max(floor(memory / 2.5 MiB), 20), 200)
            ("POSTGRES_SHARED_BUFFERS", "64MB"),
            ("POSTGRES_EFFECTIVE_CACHE_SIZE", "192MB"),
            ("POSTGRES_MAX_CONNECTIONS", "102"),
        ],
    )
    .await
    else {
        return;
    };
    d.assert_running("postgres", 256 * MIB).await;
    let query = "select current_user, current_database(), current_setting('shared_buffers'), \
                 current_setting('effective_cache_size'), current_setting('max_connections')";
    let pgpassword = format!("PGPASSWORD={password}");
    let got = d
        .exec_ok(
            "postgres",
            &[
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "app",
                "-d",
                "appdb",
                "-Atc",
                query,
            ],
            &[&pgpassword],
        )
        .await;
    assert_eq!(got, "app|appdb|64MB|192MB|102");
    let (code, wrong) = d
        .exec(
            "postgres",
            &[
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "app",
                "-d",
                "appdb",
                "-c",
                "select 1",
            ],
            &["PGPASSWORD=wrong"],
        )
        .await;
    assert_ne!(code, 0, "a wrong password is refused: {wrong}");
    assert!(wrong.contains("password authentication failed"), "{wrong}");
    d.down().await;
}

async fn mariadb_logs_in_root_and_the_user_and_sizes_the_buffer_pool() {
    let root = password();
    let user = password();
    let Some(d) = Deployed::up(
        "mariadb",
        "256m",
        &[
            ("MARIADB_DATABASE", "appdb"),
            ("MARIADB_USER", "app"),
            ("MARIADB_PASSWORD", &user),
            ("MARIADB_ROOT_PASSWORD", &root),
            // memory / 2; min(max(floor(memory / 4 MiB), 20), 500)
            ("MARIADB_INNODB_BUFFER_POOL_SIZE", "128m"),
            ("MARIADB_MAX_CONNECTIONS", "64"),
        ],
    )
    .await
    else {
        return;
    };
    d.assert_running("mariadb", 256 * MIB).await;
    let root_flag = format!("-p{root}");
    assert_eq!(
        d.exec_ok(
            "mariadb",
            &["mariadb", "-uroot", &root_flag, "-N", "-e", "select 1"],
            &[]
        )
        .await,
        "1"
    );
    let user_flag = format!("-p{user}");
    let got = d
        .exec_ok(
            "mariadb",
            &[
                "mariadb",
                "-h",
                "127.0.0.1",
                "-uapp",
                &user_flag,
                "appdb",
                "-N",
                "-e",
                "select database(), @@innodb_buffer_pool_size, @@max_connections",
            ],
            &[],
        )
        .await;
    assert_eq!(got, format!("appdb\t{}\t64", 128 * MIB));
    let (code, _) = d
        .exec(
            "mariadb",
            &["mariadb", "-uroot", "-pwrong", "-e", "select 1"],
            &[],
        )
        .await;
    assert_ne!(code, 0, "a wrong root password is refused");
    d.down().await;
}

async fn static_site_serves_the_page_written_from_its_inputs() {
    let title = format!("Hello {}", alnum(8));
    let Some(d) = Deployed::up(
        "static-site",
        "64m",
        &[
            ("DOMAIN", "site.windflow.test"),
            ("SITE_TITLE", &title),
            (
                "SITE_MESSAGE",
                "Deployed from a WindFlow template & its configs.",
            ),
        ],
    )
    .await
    else {
        return;
    };
    d.assert_running("web", 64 * MIB).await;
    let (status, body) = d.http_get("web", 80, "site.windflow.test", "/").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("<title>{title}</title>")), "{body}");
    assert!(
        body.contains("<p>Deployed from a WindFlow template &amp; its configs.</p>")
            || body.contains("<p>Deployed from a WindFlow template & its configs.</p>"),
        "{body}"
    );
    d.down().await;
}

async fn nginx_serves_its_volume_with_the_configured_server() {
    let Some(d) = Deployed::up(
        "nginx",
        "64m",
        &[
            ("DOMAIN", "www.windflow.test"),
            ("NGINX_CLIENT_MAX_BODY_SIZE", "1k"),
        ],
    )
    .await
    else {
        return;
    };
    d.assert_running("nginx", 64 * MIB).await;
    // The image's page, copied into the empty `site` volume on first start.
    let (status, body) = d.http_get("nginx", 80, "www.windflow.test", "/").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Welcome to nginx!"), "{body}");
    let (status, _) = d
        .http_get("nginx", 80, "www.windflow.test", "/missing")
        .await;
    assert_eq!(status, 404);
    // The configured server block is the one nginx runs.
    let config = d.exec_ok("nginx", &["nginx", "-T"], &[]).await;
    assert!(
        config.contains("server_name www.windflow.test localhost;"),
        "{config}"
    );
    assert!(config.contains("client_max_body_size 1k;"), "{config}");
    assert!(config.contains("try_files $uri $uri/ =404;"), "{config}");
    d.down().await;
}

async fn gitea_reaches_postgres_by_service_name_with_the_generated_password() {
    let db_password = password();
    let secret_key = alnum(64);
    let token = alnum(64);
    let Some(d) = Deployed::up(
        "gitea",
        "512m",
        &[
            ("DOMAIN", "git.windflow.test"),
            ("DB_PASSWORD", &db_password),
            ("GITEA_SECRET_KEY", &secret_key),
            ("GITEA_INTERNAL_TOKEN", &token),
            // memory * 0.6, memory * 0.4, memory * 0.1 and * 0.3 (unit: MB) of 512 MiB
            ("GITEA_MEMORY", "307m"),
            ("DB_MEMORY", "204m"),
            ("DB_SHARED_BUFFERS", "51MB"),
            ("DB_EFFECTIVE_CACHE_SIZE", "153MB"),
        ],
    )
    .await
    else {
        return;
    };
    d.assert_running("gitea", 307 * MIB).await;
    d.assert_running("db", 204 * MIB).await;
    // The stand-in logged into `db:5432` as gitea with DB_PASSWORD before serving.
    let (status, page) = d.http_get("gitea", 3000, "git.windflow.test", "/").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("database: connected as gitea to gitea"),
        "{page}"
    );
    assert!(
        page.contains("GITEA__server__ROOT_URL=https://git.windflow.test/"),
        "{page}"
    );
    assert!(
        page.contains(&format!("GITEA__security__SECRET_KEY={secret_key}")),
        "{page}"
    );
    assert!(
        page.contains("GITEA__security__INSTALL_LOCK=true"),
        "{page}"
    );
    let (status, _) = d
        .http_get("gitea", 3000, "git.windflow.test", "/api/healthz")
        .await;
    assert_eq!(status, 200);
    // The database's tuning came from the formulas.
    let settings = d
        .exec_ok(
            "db",
            &[
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "gitea",
                "-d",
                "gitea",
                "-Atc",
                "select current_setting('shared_buffers'), current_setting('effective_cache_size')",
            ],
            &[&format!("PGPASSWORD={db_password}")],
        )
        .await;
    assert_eq!(settings, "51MB|153MB");
    // Gitea's data is in its named volume.
    assert_eq!(
        d.exec_ok("gitea", &["cat", "/data/gitea/standin-was-here"], &[])
            .await,
        "ok"
    );
    d.down().await;
}

async fn wordpress_reaches_mariadb_by_service_name_with_the_generated_password() {
    let db_password = password();
    let root_password = password();
    let Some(d) = Deployed::up(
        "wordpress",
        "512m",
        &[
            ("DOMAIN", "blog.windflow.test"),
            ("DB_PASSWORD", &db_password),
            ("DB_ROOT_PASSWORD", &root_password),
            // memory * 0.6, * 0.4 and * 0.2 of 512 MiB
            ("WORDPRESS_MEMORY", "307m"),
            ("DB_MEMORY", "204m"),
            ("DB_INNODB_BUFFER_POOL_SIZE", "102m"),
        ],
    )
    .await
    else {
        return;
    };
    d.assert_running("wordpress", 307 * MIB).await;
    d.assert_running("db", 204 * MIB).await;
    // The stand-in logged into `db:3306` as wordpress with DB_PASSWORD before serving.
    let (status, page) = d.http_get("wordpress", 80, "blog.windflow.test", "/").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("database: connected as wordpress@% to wordpress"),
        "{page}"
    );
    // WORDPRESS_CONFIG_EXTRA: the domain interpolated, `$$` left as PHP's `$`.
    assert!(
        page.contains("define('WP_HOME', 'https://blog.windflow.test');"),
        "{page}"
    );
    assert!(
        page.contains("if (($_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '') === 'https') { $_SERVER['HTTPS'] = 'on'; }"),
        "{page}"
    );
    // The root password and the buffer pool reached MariaDB.
    let root_flag = format!("-p{root_password}");
    let pool: i64 = d
        .exec_ok(
            "db",
            &[
                "mariadb",
                "-uroot",
                &root_flag,
                "-N",
                "-e",
                "select @@innodb_buffer_pool_size",
            ],
            &[],
        )
        .await
        .parse()
        .unwrap();
    assert_eq!(pool, 102 * MIB);
    d.down().await;
}

/// Every deployment check, side by side: each mostly waits for its first healthcheck, so the
/// test takes about as long as the slowest one rather than their sum. Each runs on its own
/// thread and runtime; a failing one prints its panic and is named in the failure.
#[test]
fn templates_deploy_and_answer_like_their_software() {
    type Check = fn() -> LocalBoxFuture<'static, ()>;
    let checks: &[(&str, Check)] = &[
        (
            "redis_requires_its_password_and_caps_memory_at_three_quarters",
            || redis_requires_its_password_and_caps_memory_at_three_quarters().boxed_local(),
        ),
        (
            "postgresql_accepts_the_generated_password_and_is_tuned_from_the_size",
            || postgresql_accepts_the_generated_password_and_is_tuned_from_the_size().boxed_local(),
        ),
        (
            "mariadb_logs_in_root_and_the_user_and_sizes_the_buffer_pool",
            || mariadb_logs_in_root_and_the_user_and_sizes_the_buffer_pool().boxed_local(),
        ),
        (
            "static_site_serves_the_page_written_from_its_inputs",
            || static_site_serves_the_page_written_from_its_inputs().boxed_local(),
        ),
        ("nginx_serves_its_volume_with_the_configured_server", || {
            nginx_serves_its_volume_with_the_configured_server().boxed_local()
        }),
        (
            "gitea_reaches_postgres_by_service_name_with_the_generated_password",
            || gitea_reaches_postgres_by_service_name_with_the_generated_password().boxed_local(),
        ),
        (
            "wordpress_reaches_mariadb_by_service_name_with_the_generated_password",
            || {
                wordpress_reaches_mariadb_by_service_name_with_the_generated_password()
                    .boxed_local()
            },
        ),
    ];
    let running: Vec<_> = checks
        .iter()
        .map(|&(name, check)| {
            let thread = std::thread::Builder::new()
                .name(name.to_string())
                .spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime")
                        .block_on(check())
                })
                .expect("spawning a check");
            (name, thread)
        })
        .collect();
    let failed: Vec<&str> = running
        .into_iter()
        .filter_map(|(name, thread)| thread.join().is_err().then_some(name))
        .collect();
    if CREATED_GATEWAY_NETWORK.load(std::sync::atomic::Ordering::SeqCst) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(async {
                if let Ok(docker) = windflow_testkit::connect_docker().await {
                    let _ = docker
                        .remove_network(windflow_domain::naming::GATEWAY_NETWORK)
                        .await;
                }
            });
    }
    assert!(
        failed.is_empty(),
        "failed (their panics are printed above): {failed:?}"
    );
}

/// Every curated template, loaded by WindFlow's compose loader (`windflow config`) with a value
/// for each of its inputs: no error, no warning; and the rules every template keeps — its id is
/// its file name, every `${VARIABLE}` is an input or a sizing built-in and every input is used,
/// images pinned to a tag other than `latest`, and each service with a healthcheck, a restart
/// policy and a memory limit, publishing no host port. Needs no engine.
#[test]
fn every_template_loads_without_warnings_and_keeps_the_rules() {
    let dir = workspace_root().join("crates/catalog/templates");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{} templates", files.len());
    let scratch =
        std::env::temp_dir().join(format!("windflow-it-templates-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut failures = Vec::new();
    for file in &files {
        if let Err(problem) = check_template(file, &scratch) {
            failures.push(format!("{}: {problem}", file.display()));
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const BUILT_INS: &[&str] = &[
    "WINDFLOW_CPUS",
    "WINDFLOW_MEMORY",
    "WINDFLOW_MEMORY_BYTES",
    "WINDFLOW_DISK_BYTES",
];

/// The names of the `${NAME}` references in `text` (`$${` is an escaped dollar).
fn referenced_variables(text: &str) -> std::collections::BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut names = std::collections::BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            if bytes.get(i + 1) == Some(&b'$') {
                i += 2;
                continue;
            }
            if bytes.get(i + 1) == Some(&b'{') {
                let rest = &text[i + 2..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                names.insert(rest[..end].to_string());
            }
        }
        i += 1;
    }
    names
}

fn check_template(file: &std::path::Path, scratch: &std::path::Path) -> Result<(), String> {
    use serde_json::Value;
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let doc: Value = serde_saphyr::from_str(&text).map_err(|e| format!("YAML: {e}"))?;
    let meta = &doc["x-windflow"]["template"];
    let id = meta["id"].as_str().ok_or("no x-windflow.template.id")?;
    let stem = file.file_stem().unwrap().to_string_lossy();
    if id != stem {
        return Err(format!("id {id:?} is not the file name {stem:?}"));
    }
    for key in ["name", "version", "description", "documentation"] {
        if !meta[key].is_string() {
            return Err(format!("x-windflow.template.{key} is missing"));
        }
    }
    if meta["categories"].as_array().is_none_or(|c| c.is_empty()) {
        return Err("no categories".into());
    }
    let inputs = meta["inputs"].as_array().cloned().unwrap_or_default();
    let mut env: Vec<(String, OsString)> = vec![
        ("WINDFLOW_CPUS".into(), "0.5".into()),
        ("WINDFLOW_MEMORY".into(), "512m".into()),
        (
            "WINDFLOW_MEMORY_BYTES".into(),
            (512 * MIB).to_string().into(),
        ),
        (
            "WINDFLOW_DISK_BYTES".into(),
            (10240 * MIB).to_string().into(),
        ),
    ];
    let mut names = std::collections::BTreeSet::new();
    for input in &inputs {
        let name = input["name"].as_str().ok_or("an input without a name")?;
        names.insert(name.to_string());
        let value = match input["type"].as_str().unwrap_or("string") {
            "secret" => password(),
            "domain" => format!("{id}.windflow.test"),
            "size" if input["unit"].as_str() == Some("MB") => "64MB".into(),
            "size" => "64m".into(),
            "number" => "100".into(),
            "boolean" => "true".into(),
            "port" => "8080".into(),
            "enum" => input["options"][0]
                .as_str()
                .ok_or(format!("enum {name} without options"))?
                .into(),
            _ => match &input["default"] {
                Value::String(s) => s.clone(),
                Value::Null => "value".into(),
                other => other.to_string(),
            },
        };
        env.push((name.to_string(), value.into()));
    }
    let used = referenced_variables(&text);
    let unknown: Vec<_> = used
        .iter()
        .filter(|v| !names.contains(*v) && !BUILT_INS.contains(&v.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(format!("variables that are no input: {unknown:?}"));
    }
    let unused: Vec<_> = names.iter().filter(|n| !used.contains(*n)).collect();
    if !unused.is_empty() {
        return Err(format!("inputs never used: {unused:?}"));
    }
    let services = doc["services"].as_object().ok_or("no services")?;
    for (name, service) in services {
        let image = service["image"]
            .as_str()
            .ok_or(format!("{name}: no image"))?;
        let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
        if tag.is_empty() || tag.contains('/') || tag == "latest" {
            return Err(format!("{name}: image {image:?} is not pinned to a tag"));
        }
        for key in ["healthcheck", "restart", "mem_limit"] {
            if service[key].is_null() {
                return Err(format!("{name}: no {key}"));
            }
        }
        if !service["ports"].is_null() {
            return Err(format!("{name}: publishes host ports"));
        }
    }
    let web_facing = services
        .values()
        .filter(|s| !s["x-windflow"]["domains"].is_null())
        .count();
    if names.contains("DOMAIN") != (web_facing == 1) {
        return Err(format!(
            "a DOMAIN input goes with one web-facing service (x-windflow.domains): {web_facing} have domains"
        ));
    }
    let path = file.to_string_lossy().into_owned();
    let env_refs: Vec<(&str, &std::ffi::OsStr)> = env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_os_str()))
        .collect();
    let run = run_windflow_with(
        scratch,
        &["-p", &format!("tpl-config-{id}"), "-f", &path, "config"],
        &env_refs,
    );
    if run.code != 0 {
        return Err(format!(
            "windflow config failed:\n{}{}",
            run.stdout, run.stderr
        ));
    }
    if run.stderr.to_lowercase().contains("warning") {
        return Err(format!("windflow config warned:\n{}", run.stderr));
    }
    Ok(())
}
