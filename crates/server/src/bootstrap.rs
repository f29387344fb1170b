//! First run and upkeep: the first administrator, a default organization with a
//! `production` environment, the `local` target when the local engine answers; then periodic
//! target health checks and expired-session cleanup.

use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use windflow_storage::{NewEnvironment, NewOrganization, NewTarget, NewUser, Role, TargetKind};

use crate::password;
use crate::services;
use crate::state::{AppState, new_id, now_ms};

/// The first administrator's name.
pub const ADMIN_USERNAME: &str = "admin";

pub async fn first_run(state: &AppState) -> anyhow::Result<()> {
    if state.store.count_users().await? > 0 {
        return Ok(());
    }
    let (password, generated) = match std::env::var("WINDFLOW_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => {
            password::check_password_rules(&p)
                .map_err(|m| anyhow::anyhow!("WINDFLOW_ADMIN_PASSWORD {m}"))?;
            (p, false)
        }
        _ => (password::generate_password(), true),
    };
    let now = now_ms();
    let admin = state
        .store
        .create_user(NewUser {
            id: new_id(),
            username: ADMIN_USERNAME.into(),
            display_name: "Administrator".into(),
            password_hash: password::hash_password(password.clone()).await?,
            is_admin: true,
            created_at: now,
        })
        .await?;
    let org = state
        .store
        .create_organization(NewOrganization {
            id: new_id(),
            slug: "default".into(),
            name: "Default".into(),
            created_at: now,
        })
        .await?;
    state
        .store
        .set_member(&org.id, &admin.id, Role::Owner)
        .await?;
    // The server administrator's own organization may use the host (bind mounts, the
    // engine socket, privileged containers); every organization created later is baseline
    // until a server administrator says otherwise.
    services::policies::set(
        state.store.as_ref(),
        &org.id,
        windflow_storage::PolicyScope::Organization,
        &windflow_domain::policy::HostAccessPolicy::privileged(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("setting the first organization's host-access policy: {e}"))?;
    let env = state
        .store
        .create_environment(NewEnvironment {
            id: new_id(),
            org_id: org.id.clone(),
            name: "production".into(),
            description: "Created on first run".into(),
            created_at: now,
        })
        .await?;
    if generated {
        // Shown once, on the terminal only: never through the log.
        eprintln!(
            "\n  WindFlow first run: created user `{ADMIN_USERNAME}` with password\n\n      {password}\n\n  It is not shown again; `windflow admin reset-password` sets a new one.\n"
        );
    }
    tracing::info!(
        user = ADMIN_USERNAME,
        organization = "default",
        "first run: created the administrator and the default organization"
    );

    if let Some(host) = &state.config.local_docker {
        let endpoint = if host.is_empty() {
            "unix:///var/run/docker.sock".to_string()
        } else {
            host.clone()
        };
        let target = state
            .store
            .create_target(NewTarget {
                id: new_id(),
                org_id: org.id.clone(),
                environment_id: Some(env.id.clone()),
                name: "local".into(),
                kind: TargetKind::Docker,
                endpoint,
                labels: serde_json::Map::new(),
                config: json!({}),
                created_at: now,
            })
            .await?;
        let test = services::targets::check(state, &target).await;
        if test.ok {
            tracing::info!(endpoint = %target.endpoint, "first run: registered the local Docker engine as target `local`");
        } else {
            // Nobody answers: registering it would only show a dead target.
            state.store.delete_target(&org.id, "local", true).await?;
            tracing::info!(endpoint = %target.endpoint, error = ?test.error, "first run: no local Docker engine answers; no `local` target");
        }
    }
    Ok(())
}

/// Target health checks every 30 s, DNS record health checks every 5 minutes, expired-session and old health-history cleanup every hour, and the upkeep
/// that keeps an idle server small: the metrics recorder drains its histogram samples every
/// 5 s (they would otherwise pile up until the next scrape), and freed heap goes back to the
/// system every 30 s.
pub async fn maintenance(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut health = tokio::time::interval(Duration::from_secs(30));
    let mut cleanup = tokio::time::interval(Duration::from_secs(3600));
    let mut upkeep = tokio::time::interval(Duration::from_secs(5));
    let mut trim = tokio::time::interval(Duration::from_secs(30));
    let mut certificate_metrics = tokio::time::interval(Duration::from_secs(60));
    // Certificates are renewed at two thirds of their lifetime (30 days before expiry for
    // Let's Encrypt's 90): an hourly pass is early enough and retries with backoff.
    let mut renewals = tokio::time::interval(Duration::from_secs(3600));
    let mut dns_health = tokio::time::interval(services::dns::HEALTH_INTERVAL);
    // Catalog sources are refreshed on their own intervals (a day by default); a pass every
    // ten minutes finds those that are due.
    let mut catalog = tokio::time::interval(Duration::from_secs(600));
    // Backup schedules have minute granularity: a pass every 20 s queues what is due.
    let mut backups = tokio::time::interval(Duration::from_secs(20));
    loop {
        tokio::select! {
            _ = certificate_metrics.tick() => {
                services::certificates::publish_metrics(&state).await;
                services::backups::publish_metrics(&state).await;
            }
            _ = renewals.tick() => services::gateway::renew_due(&state).await,
            _ = dns_health.tick() => services::dns::check_all(&state).await,
            _ = catalog.tick() => services::catalog::sources::refresh_due(&state).await,
            _ = backups.tick() => services::backups::schedule_due(&state).await,
            _ = upkeep.tick() => state.metrics.run_upkeep(),
            _ = trim.tick() => release_free_memory(),
            _ = health.tick() => {
                match state.store.list_all_targets().await {
                    Ok(targets) => {
                        let checks = targets.iter().map(|t| services::targets::check(&state, t));
                        futures::future::join_all(checks).await;
                    }
                    Err(e) => tracing::warn!(error = %e, "listing targets for health checks"),
                }
            }
            _ = cleanup.tick() => {
                if let Err(e) = state.store.delete_expired_sessions(now_ms()).await {
                    tracing::warn!(error = %e, "removing expired sessions");
                }
                let week_ago = now_ms() - 7 * 24 * 3600 * 1000;
                if let Err(e) = state.store.prune_target_checks(week_ago).await {
                    tracing::warn!(error = %e, "pruning target health history");
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Returns freed heap pages to the system. glibc keeps the peak of a burst of requests
/// otherwise (one arena per thread), which reads as a server that never shrinks.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it is safe to call at
    // any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
