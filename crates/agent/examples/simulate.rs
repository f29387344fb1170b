//! Simulated agents for the benchmark (`bench/agents.sh`): enrolls N agents against a real
//! `windflow serve` (one enrollment token per agent, created through the API with an admin's
//! API token) and runs N [`Agent`]s as tokio tasks in this one process, each over its own
//! WebSocket + TLS connection, speaking exactly the protocol of `windflow agent` (hello,
//! heartbeats at the interval the server's welcome gives, commands answered by id). Only the
//! executor is a stub: it answers `info` (the server's 30 s target health check) with a fixed
//! engine description and refuses everything else, so no Docker engine is involved.
//!
//! ```sh
//! cargo run --release -p windflow-agent --example simulate -- \
//!     --server https://127.0.0.1:8443 --ca-cert ca.pem --api-token wf_… --agents 500
//! ```
//!
//! Prints `ready <N>` on stdout once every agent is enrolled and its link task started; the
//! server's `GET /api/v1/orgs/{org}/agents` tells when they are connected. Runs until killed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_trait::async_trait;
use clap::Parser;
use futures::StreamExt;
use serde_json::{Value, json};
use windflow_agent::{Agent, Executor, Journal, LinkOptions, connect_url, enroll, tls};
use windflow_engine::driver::EngineInfo;
use windflow_protocol::agent::{CommandError, HostInfo, Outcome};

#[derive(Debug, Parser)]
#[command(about = "Runs N simulated windflow agents against a real control plane")]
struct Args {
    /// The control plane's HTTPS URL (its TLS listener)
    #[arg(long)]
    server: String,
    /// The CA certificate (PEM) that signed the control plane's certificate
    #[arg(long)]
    ca_cert: PathBuf,
    /// An admin's API token (wf_…), to create the enrollment tokens
    #[arg(long, env = "WINDFLOW_SIMULATE_API_TOKEN", hide_env_values = true)]
    api_token: String,
    /// The organization the agents join
    #[arg(long, default_value = "default")]
    org: String,
    /// How many agents
    #[arg(long, default_value_t = 100)]
    agents: usize,
    /// Target names are `<prefix>-<n>`
    #[arg(long, default_value = "sim")]
    prefix: String,
    /// First n of the target names
    #[arg(long, default_value_t = 0)]
    first: usize,
    /// Enrollments in flight at once
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

/// No engine: `info` gets a fixed description, everything else a clear refusal.
struct Stub {
    hostname: String,
}

#[async_trait]
impl Executor for Stub {
    async fn host_info(&self) -> HostInfo {
        HostInfo {
            hostname: self.hostname.clone(),
            cpus: 2,
            memory_bytes: 4 << 30,
            disk_free_bytes: Some(100 << 30),
            engine_version: "20.10.24".into(),
            api_version: "1.41".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            engine_id: None,
        }
    }

    fn changes_state(&self, _op: &Value) -> bool {
        false
    }

    async fn execute(&self, op: Value, _emit: &(dyn Fn(Value) + Send + Sync)) -> Outcome {
        if op.get("op").and_then(Value::as_str) == Some("info") {
            let info = EngineInfo {
                version: "20.10.24".into(),
                api_version: "1.41".into(),
                os: "linux".into(),
                arch: "x86_64".into(),
                hostname: self.hostname.clone(),
                cpus: 2,
                memory_bytes: 4 << 30,
                free_disk_bytes: Some(100 << 30),
                ..Default::default()
            };
            return Outcome::Ok(serde_json::to_value(info).unwrap_or(Value::Null));
        }
        Outcome::Error(CommandError {
            kind: "engine".into(),
            subject: "agent".into(),
            message: format!("simulated agent {} has no engine: {op}", self.hostname),
        })
    }
}

/// POST /api/v1/orgs/{org}/agents/enrollments → the single-use token.
async fn enrollment_token(
    client: &reqwest::Client,
    base: &str,
    args: &Args,
    target: &str,
) -> anyhow::Result<String> {
    let url = format!("{base}/api/v1/orgs/{}/agents/enrollments", args.org);
    let response = client
        .post(&url)
        .bearer_auth(&args.api_token)
        .json(&json!({ "target": target }))
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("POST {url} for target {target}: HTTP {status}: {body}");
    }
    body.get("token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .with_context(|| format!("POST {url}: no token in {body}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = args.server.trim_end_matches('/').to_string();
    if !base.starts_with("https://") {
        bail!("--server {base}: expected the control plane's https:// URL");
    }
    let tls = Arc::new(tls::client_config(Some(&args.ca_cert))?);
    let mut api_tls = (*tls).clone();
    api_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .tls_backend_preconfigured(api_tls)
        .build()
        .context("building the HTTP client")?;

    let started = Instant::now();
    let names: Vec<String> = (args.first..args.first + args.agents)
        .map(|n| format!("{}-{n:04}", args.prefix))
        .collect();
    let enrolled: Vec<anyhow::Result<(String, String)>> = futures::stream::iter(names)
        .map(|target| {
            let (client, base, args, tls) = (&client, &base, &args, tls.clone());
            async move {
                let token = enrollment_token(client, base, args, &target).await?;
                let identity = enroll(base, &token, Some(&tls))
                    .await
                    .with_context(|| format!("enrolling {target}"))?;
                Ok((target, identity.credential))
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    let enrolled = enrolled.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    eprintln!(
        "simulate: enrolled {} agents in {:.1} s",
        enrolled.len(),
        started.elapsed().as_secs_f64()
    );

    let url = connect_url(&base);
    let mut tasks = tokio::task::JoinSet::new();
    for (target, credential) in enrolled {
        let agent = Agent::new(
            Arc::new(Stub { hostname: target }),
            Journal::in_memory(),
            Vec::new(),
        );
        let options = LinkOptions {
            url: url.clone(),
            credential,
            tls: Some(tls.clone()),
            version: format!("{}-simulated", windflow_agent::VERSION),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        };
        tasks.spawn(agent.run(options));
    }
    println!("ready {}", tasks.len());
    // An agent's run ends only when its credential is refused.
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok(Err(e)) => eprintln!("simulate: an agent stopped: {e}"),
            Ok(Ok(())) => {}
            Err(e) => eprintln!("simulate: an agent task failed: {e}"),
        }
    }
    Ok(())
}
