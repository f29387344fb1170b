//! The server's own health: readiness (the database answers, and the local engine when one
//! is configured) and the gauges Prometheus reads.

use std::time::Duration;

use windflow_engine::docker::DockerDriver;
use windflow_engine::driver::Driver;
use windflow_protocol::{Check, Readiness};
use windflow_storage::{DeploymentState, TargetStatus};

use crate::state::App;

/// How long the readiness probe waits for the local engine.
const ENGINE_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether the server is ready to serve, and why not.
pub async fn readiness(app: &App) -> Readiness {
    let database = match app.store.ping().await {
        Ok(()) => Check {
            ok: true,
            detail: Some(app.store.backend().to_string()),
        },
        Err(e) => Check {
            ok: false,
            detail: Some(e.to_string()),
        },
    };
    let engine = match &app.config.local_docker {
        None => Check {
            ok: true,
            detail: Some("no local engine configured".into()),
        },
        Some(host) => {
            let host = (!host.is_empty()).then_some(host.as_str());
            match DockerDriver::connect(host) {
                Ok(driver) => match tokio::time::timeout(ENGINE_TIMEOUT, driver.info()).await {
                    Ok(Ok(info)) => Check {
                        ok: true,
                        detail: Some(format!("Docker {}", info.version)),
                    },
                    Ok(Err(e)) => Check {
                        ok: false,
                        detail: Some(e.to_string()),
                    },
                    Err(_) => Check {
                        ok: false,
                        detail: Some("the engine did not answer within 3 s".into()),
                    },
                },
                Err(e) => Check {
                    ok: false,
                    detail: Some(e.to_string()),
                },
            }
        }
    };
    let ready = database.ok && engine.ok;
    Readiness {
        ready,
        database,
        engine,
    }
}

/// Sets the gauges read from the store (deployments by state, targets by status) and the
/// live event subscribers, before the metrics are rendered.
pub async fn refresh_gauges(app: &App) {
    if let Ok(counts) = app.store.count_deployments_by_state().await {
        for st in DeploymentState::ALL {
            let n = counts.iter().find(|(s, _)| *s == st).map_or(0, |(_, n)| *n);
            metrics::gauge!("windflow_deployments", "state" => st.as_str()).set(n as f64);
        }
    }
    if let Ok(targets) = app.store.list_all_targets().await {
        let up = targets
            .iter()
            .filter(|t| t.status == TargetStatus::Up)
            .count();
        metrics::gauge!("windflow_targets", "status" => "up").set(up as f64);
        metrics::gauge!("windflow_targets", "status" => "down").set(
            targets
                .iter()
                .filter(|t| t.status == TargetStatus::Down)
                .count() as f64,
        );
        metrics::gauge!("windflow_targets", "status" => "unknown").set(
            targets
                .iter()
                .filter(|t| t.status == TargetStatus::Unknown)
                .count() as f64,
        );
    }
    metrics::gauge!("windflow_event_stream_subscribers").set(app.hub.subscribers() as f64);
}
