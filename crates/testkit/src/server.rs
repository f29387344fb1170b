//! A real `windflow serve` process for integration tests: its own port, data directory and
//! database (SQLite, or a fresh PostgreSQL database), started, killed (`kill -9`), restarted
//! on the same data, and an HTTP client for its API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::free_port;
use crate::postgres::TestDatabase;

/// The first administrator's password in every test server.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// Which database a test server keeps its data in.
pub enum Database {
    Sqlite,
    Postgres(TestDatabase),
}

impl Database {
    pub fn name(&self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }
}

pub struct Server {
    pub url: String,
    pub port: u16,
    pub data_dir: PathBuf,
    bin: PathBuf,
    database: Database,
    child: Option<Child>,
    extra_env: Vec<(String, String)>,
}

impl Server {
    /// Starts a server on a free port with a fresh data directory and waits until
    /// `/health/ready` answers 200.
    pub async fn start(bin: &Path, database: Database) -> anyhow::Result<Server> {
        Self::start_with(bin, database, Vec::new()).await
    }

    /// [`Server::start`] with extra environment variables (`WINDFLOW_WORKERS`…).
    pub async fn start_with(
        bin: &Path,
        database: Database,
        extra_env: Vec<(String, String)>,
    ) -> anyhow::Result<Server> {
        let port = free_port();
        let data_dir = std::env::temp_dir().join(format!(
            "windflow-server-test-{}-{port}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        std::fs::create_dir_all(&data_dir)?;
        let mut server = Server {
            url: format!("http://127.0.0.1:{port}"),
            port,
            data_dir,
            bin: bin.to_path_buf(),
            database,
            child: None,
            extra_env,
        };
        server.spawn().await?;
        Ok(server)
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.join("server.log")
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let mut command = Command::new(&self.bin);
        command
            .arg("serve")
            .env("WINDFLOW_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("WINDFLOW_DATA", &self.data_dir)
            .env("WINDFLOW_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("WINDFLOW_LOG_FORMAT", "json")
            .env("WINDFLOW_LOG", "info,windflow_server=debug")
            // Tests never reach a public CA nor take the host's ports 80 and 443: certificates
            // come from a pebble the test starts, gateways publish on loopback ports the
            // engine picks, unless the test says otherwise.
            .env(
                "WINDFLOW_ACME_DIRECTORY",
                "https://127.0.0.1:9/no-acme-server-in-this-test",
            )
            .env("WINDFLOW_GATEWAY_HTTP", "127.0.0.1:0")
            .env("WINDFLOW_GATEWAY_HTTPS", "127.0.0.1:0")
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Database::Postgres(db) = &self.database {
            command.env("DATABASE_URL", db.url());
        }
        for (k, v) in &self.extra_env {
            command.env(k, v);
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = reqwest::Client::new();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                bail!("windflow serve exited with {status}:\n{}", self.logs());
            }
            if let Ok(r) = client
                .get(format!("{}/health/ready", self.url))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                && r.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("windflow serve was not ready within 20 s:\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything the server logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// `kill -9`: no shutdown, no checkpoint.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the process to exit (graceful shutdown).
    pub fn terminate(&mut self, timeout: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let Some(mut child) = self.child.take() else {
            bail!("the server is not running");
        };
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                bail!("the server did not stop within {timeout:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the server again on the same port, data and database.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill9();
        self.spawn().await
    }

    /// An unauthenticated client.
    pub fn anonymous(&self) -> Api {
        Api::new(&self.url, None)
    }

    /// A client with a fresh personal API token of the first administrator.
    pub async fn admin(&self) -> anyhow::Result<Api> {
        self.anonymous().login("admin", ADMIN_PASSWORD).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// A small JSON client for the API (loopback only).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    client: reqwest::Client,
}

/// An answer: status, headers and the body as JSON (`Value::Null` when empty or not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Api {
    pub fn new(base: &str, token: Option<String>) -> Api {
        assert!(
            base.starts_with("http://127.0.0.1:") || base.starts_with("http://localhost:"),
            "tests only talk to loopback: {base}"
        );
        Api {
            base: base.to_string(),
            token,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Logs in with a password, creates a personal token, and returns a client using it.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<Api> {
        let client = reqwest::Client::builder().cookie_store(true).build()?;
        let r = client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await?;
        let status = r.status();
        let session: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("login as {username} failed: {status} {session}");
        }
        let csrf = session["csrf_token"].as_str().unwrap_or("").to_string();
        let created: Value = client
            .post(format!("{}/api/v1/auth/tokens", self.base))
            .header("x-csrf-token", csrf)
            .json(&json!({ "name": "tests" }))
            .send()
            .await?
            .json()
            .await?;
        let secret = created["secret"]
            .as_str()
            .with_context(|| format!("no token secret in {created}"))?;
        Ok(Api::new(&self.base, Some(secret.to_string())))
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Answer> {
        let url = if path.starts_with("/api/") || path.starts_with("/health") || path == "/metrics"
        {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/v1{path}", self.base)
        };
        let mut request = self.client.request(method, url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            headers,
            body,
            text,
        })
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Answer> {
        self.request(reqwest::Method::GET, path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Answer> {
        self.request(reqwest::Method::POST, path, Some(&body), &[])
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> anyhow::Result<Answer> {
        self.request(reqwest::Method::PUT, path, Some(&body), &[])
            .await
    }
    pub async fn patch(&self, path: &str, body: Value) -> anyhow::Result<Answer> {
        self.request(reqwest::Method::PATCH, path, Some(&body), &[])
            .await
    }
    pub async fn delete(&self, path: &str) -> anyhow::Result<Answer> {
        self.request(reqwest::Method::DELETE, path, None, &[]).await
    }

    /// Polls a deployment until it reaches a terminal state; returns it.
    pub async fn wait_deployment(
        &self,
        org: &str,
        id: &str,
        timeout: Duration,
    ) -> anyhow::Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let answer = self.get(&format!("/orgs/{org}/deployments/{id}")).await?;
            let state = answer.body["state"].as_str().unwrap_or("");
            if !matches!(state, "queued" | "running") && answer.status == 200 {
                return Ok(answer.body);
            }
            if Instant::now() > deadline {
                bail!(
                    "deployment {id} still {state} after {timeout:?}: {}",
                    answer.body
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
