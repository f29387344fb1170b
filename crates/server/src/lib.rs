//! The WindFlow control plane behind `windflow serve`: a REST API (OpenAPI at
//! `/api/openapi.json`) over one [`windflow_storage::Store`], users with argon2id passwords,
//! sessions and API tokens, organizations with roles, durable deployments run by a worker
//! pool through the stack engine, live events and logs over Server-Sent Events, Prometheus
//! metrics.
//!
//! Layout: `routes::*` are thin HTTP handlers (extract, authorize, call one service, map);
//! `services::*` hold the behaviour, one module per concern (targets, stacks, deployments,
//! containers, policies, organizations, users, sessions, variables, agents, audit, health,
//! swarm); `jobs` runs deployments; `agents` keeps the agents' live links; `hub` fans
//! deployment events out live; `state` is the shared `App` (store, keyring, caches, driver
//! pool); `secrets` encrypts at rest; `convert` maps store records to the wire types of
//! `windflow-protocol`; `error` is the only place errors become HTTP answers.
//!
//! *Invariants:* every `/orgs/{org}/…` handler goes through [`auth::OrgAccess`], which hides
//! other tenants behind 404s and checks one permission per endpoint; handlers reach neither
//! the store nor an engine (`crates/testkit/tests/architecture.rs` checks it); secret values
//! are decrypted only inside a deployment and never returned, logged or recorded in events.

pub mod admin;
mod agents;
mod ai_limiter;
mod auth;
mod bootstrap;
pub mod config;
mod convert;
mod data_dir;
mod egress;
mod error;
mod hub;
mod jobs;
mod list_cache;
mod login_policy;
mod oidc;
mod password;
mod routes;
mod secrets;
mod services;
mod stamp;
mod state;
mod tls;
mod ui;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;
use windflow_storage::DatabaseLocation;

pub use config::{LogFormat, ServeArgs, ServeConfig};
pub use routes::openapi;

/// Installs the log subscriber for the server: JSON lines (the default) or text, on stderr.
pub fn init_logging(config: &ServeConfig) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Bounds glibc's malloc arenas to two (one per core here) before the runtime starts its
/// threads: with one arena per thread, a burst of requests leaves its peak behind in every
/// arena and the idle server never shrinks back.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn metrics_recorder() -> PrometheusHandle {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(
                "windflow_http_request_duration_seconds".into(),
            ),
            &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ],
        )
        .and_then(|b| {
            b.set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(
                    "windflow_deploy_duration_seconds".into(),
                ),
                &[1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0],
            )
        })
        .expect("valid buckets")
        .build_recorder();
    let handle = recorder.handle();
    // One recorder per process; a second server in the same process shares the first.
    let _ = metrics::set_global_recorder(recorder);
    handle
}

pub(crate) async fn open_store(
    config: &ServeConfig,
) -> anyhow::Result<Arc<dyn windflow_storage::Store>> {
    let location =
        DatabaseLocation::from_env_or_dir(config.database_url.as_deref(), &config.data_dir)?;
    data_dir::prepare(config, &location)?;
    let store = windflow_storage::open(&location)
        .await
        .with_context(|| match &location {
            DatabaseLocation::Sqlite(path) => format!("opening the database {}", path.display()),
            DatabaseLocation::Postgres(_) => "connecting to PostgreSQL (DATABASE_URL)".into(),
        })?;
    data_dir::secure(config, &location)?;
    Ok(store)
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = open_store(&config).await?;
    let keyring = secrets::Keyring::load_or_create(&config.secret_key_file)?;
    let state = Arc::new(state::App::new(
        config.clone(),
        store,
        keyring,
        metrics_recorder(),
    ));
    bootstrap::first_run(&state).await?;

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);

    let workers = tokio::spawn(jobs::run_workers(state.clone(), shutdown_rx.clone()));
    tokio::spawn(services::backups::runner::run_workers(
        state.clone(),
        shutdown_rx.clone(),
    ));
    tokio::spawn(services::workflows::runner::run_workers(
        state.clone(),
        shutdown_rx.clone(),
    ));
    tokio::spawn(bootstrap::maintenance(state.clone(), shutdown_rx.clone()));

    let app = routes::app(state.clone());
    let mut server_shutdown = shutdown_rx.clone();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = server_shutdown.wait_for(|v| *v).await;
    });
    // Every listener is bound and serving before the plain one answers: a client that saw
    // `/health/ready` may use the HTTPS listener at once.
    if let Some((cert, key)) = &config.tls {
        let tls_config = tls::server_config(cert, key)?;
        let tcp = tokio::net::TcpListener::bind(config.tls_listen)
            .await
            .with_context(|| format!("listening on {}", config.tls_listen))?;
        let tls_address = tcp.local_addr()?;
        let listener =
            axum::serve::ListenerExt::tap_io(tls::TlsListener::new(tcp, tls_config)?, |_| {});
        let mut tls_shutdown = shutdown_rx.clone();
        let tls_server = axum::serve(
            listener,
            routes::https_app(state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = tls_shutdown.wait_for(|v| *v).await;
        });
        tracing::info!(address = %tls_address, "WindFlow is listening on https://{tls_address}");
        tokio::spawn(async move { tls_server.await });
    }
    tracing::info!(
        address = %address,
        database = state.store.backend(),
        data = %config.data_dir.display(),
        startup_ms = started.elapsed().as_millis() as u64,
        "WindFlow is listening on http://{address}"
    );
    let server = tokio::spawn(async move { server.await });

    if let Some(metrics_listen) = config.metrics_listen {
        let tcp = tokio::net::TcpListener::bind(metrics_listen)
            .await
            .with_context(|| format!("listening on {metrics_listen} (metrics)"))?;
        let metrics_address = tcp.local_addr()?;
        let mut metrics_shutdown = shutdown_rx.clone();
        let metrics_server = axum::serve(tcp, routes::metrics_app(state.clone()))
            .with_graceful_shutdown(async move {
                let _ = metrics_shutdown.wait_for(|v| *v).await;
            });
        tracing::info!(address = %metrics_address, "metrics at http://{metrics_address}/metrics");
        tokio::spawn(async move { metrics_server.await });
    }

    shutdown_signal().await;
    tracing::info!(
        "shutting down: no new requests; running deployments get {} s",
        config.shutdown_grace.as_secs()
    );
    let _ = shutdown_tx.send(true);
    // Long-lived streams (events, logs) would hold the server open: give requests a moment.
    let _ = tokio::time::timeout(Duration::from_secs(3), server).await;
    let _ = workers.await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
