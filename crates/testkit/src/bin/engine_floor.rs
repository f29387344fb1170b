//! `engine-floor`: the lower bound for deploying N containers through the Engine API.
//!
//! Creates one network and N containers attached to it, then starts them, with all N
//! create+start sequences running concurrently straight through the Engine API (no
//! planning, no state, no health waits). Prints `{"n":N,"ms":T}` — the wall time from the
//! first request to the last start — then removes everything (untimed).
//!
//! Usage: `engine-floor N [IMAGE] [--project NAME] [--concurrency C] [--keep]`
//!
//! `--concurrency C` bounds how many create+start sequences are in flight (default: all N),
//! to find out whether the engine itself prefers bounded parallelism.
//!
//! Everything created carries `com.docker.compose.project=<project>` (and the compose
//! service/number labels), so `windflow_testkit::remove_project` cleans it up.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, bail};
use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkCreateRequest, NetworkingConfig,
};
use bollard::query_parameters::CreateContainerOptionsBuilder;
use futures::StreamExt;
use windflow_testkit::{PROJECT_LABEL, TEST_IMAGE, connect_docker, remove_project, unique_project};

/// A long-running command that exits at once on SIGTERM (a plain `sleep` as PID 1 ignores
/// it and makes every stop wait for the kill timeout). Same as bench/gen-stack.py's.
const LONG_RUNNING: &str = "trap 'exit 0' TERM; sleep 86400 & wait";

struct Args {
    count: usize,
    image: String,
    project: Option<String>,
    concurrency: Option<usize>,
    keep: bool,
}

const USAGE: &str = "usage: engine-floor N [IMAGE] [--project NAME] [--concurrency C] [--keep]";

fn parse_args() -> anyhow::Result<Args> {
    let mut positional = Vec::new();
    let mut project = None;
    let mut keep = false;
    let mut concurrency = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--project" | "-p" => project = Some(args.next().context("--project needs a name")?),
            "--keep" => keep = true,
            "--concurrency" | "-c" => {
                let value: usize = args
                    .next()
                    .context("--concurrency needs a number")?
                    .parse()
                    .context("--concurrency must be a positive integer")?;
                if value == 0 {
                    bail!("--concurrency must be at least 1");
                }
                concurrency = Some(value);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            flag if flag.starts_with('-') => bail!("unknown flag {flag}"),
            _ => positional.push(arg),
        }
    }
    let count: usize = positional
        .first()
        .context(USAGE)?
        .parse()
        .context("N must be a positive integer")?;
    if count == 0 {
        bail!("N must be at least 1");
    }
    let image = positional
        .get(1)
        .cloned()
        .unwrap_or_else(|| TEST_IMAGE.to_string());
    Ok(Args {
        count,
        image,
        project,
        concurrency,
        keep,
    })
}

fn labels(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

async fn deploy(
    docker: &Docker,
    project: &str,
    image: &str,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let network = format!("{project}_default");
    docker
        .create_network(NetworkCreateRequest {
            name: network.clone(),
            driver: Some("bridge".to_string()),
            labels: Some(labels(&[
                (PROJECT_LABEL, project),
                ("com.docker.compose.network", "default"),
            ])),
            ..Default::default()
        })
        .await
        .with_context(|| format!("creating network {network}"))?;

    let deployments = (1..=count).map(|index| {
        let network = network.clone();
        async move {
            let service = format!("svc{index}");
            let name = format!("{project}-{service}-1");
            let body = ContainerCreateBody {
                image: Some(image.to_string()),
                cmd: Some(vec!["sh".into(), "-c".into(), LONG_RUNNING.into()]),
                env: Some(vec![format!("SERVICE_INDEX={index}")]),
                labels: Some(labels(&[
                    (PROJECT_LABEL, project),
                    ("com.docker.compose.service", &service),
                    ("com.docker.compose.container-number", "1"),
                    ("com.docker.compose.oneoff", "False"),
                    ("org.windflow.bench", "engine-floor"),
                ])),
                host_config: Some(HostConfig {
                    network_mode: Some(network.clone()),
                    ..Default::default()
                }),
                networking_config: Some(NetworkingConfig {
                    endpoints_config: Some(HashMap::from([(
                        network.clone(),
                        EndpointSettings {
                            aliases: Some(vec![service.clone()]),
                            ..Default::default()
                        },
                    )])),
                }),
                ..Default::default()
            };
            let options = CreateContainerOptionsBuilder::default().name(&name).build();
            let created = docker
                .create_container(Some(options), body)
                .await
                .with_context(|| format!("creating container {name}"))?;
            docker
                .start_container(&created.id, None)
                .await
                .with_context(|| format!("starting container {name}"))?;
            anyhow::Ok(())
        }
    });
    // Collect every outcome instead of stopping at the first error: dropping in-flight
    // requests leaves the engine half-way through creates and starts, which then race
    // with the cleanup (and can leave stale network endpoints behind on Engine 20.10).
    let outcomes: Vec<anyhow::Result<()>> = futures::stream::iter(deployments)
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let failures: Vec<_> = outcomes.into_iter().filter_map(Result::err).collect();
    if let Some(first) = failures.into_iter().next() {
        return Err(first.context(format!(
            "deploying {count} containers (showing the first failure)"
        )));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let docker = connect_docker()
        .await
        .context("Docker engine not reachable: run scripts/ensure-docker.sh")?;
    docker.inspect_image(&args.image).await.with_context(|| {
        format!(
            "image {} is missing: run scripts/ensure-test-images.sh",
            args.image
        )
    })?;
    let project = args
        .project
        .clone()
        .unwrap_or_else(|| unique_project("floor"));
    // Start from nothing, as a cold deploy does (untimed).
    remove_project(&docker, &project).await?;

    let started = Instant::now();
    let concurrency = args.concurrency.unwrap_or(args.count);
    let outcome = deploy(&docker, &project, &args.image, args.count, concurrency).await;
    let elapsed = started.elapsed();

    if !args.keep || outcome.is_err() {
        remove_project(&docker, &project)
            .await
            .with_context(|| format!("cleaning up project {project}"))?;
    }
    outcome?;
    println!(
        "{}",
        serde_json::json!({
            "n": args.count,
            "ms": elapsed.as_millis() as u64,
            "concurrency": concurrency,
        })
    );
    Ok(())
}
