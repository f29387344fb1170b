//! `web/e2e/catalog.mjs` in Debian's headless Chromium against a real server (SQLite) and the
//! real engine: an admin finds Redis in the catalog, fills the deploy form generated from its
//! inputs, previews the resolved values (the generated password hidden, the maxmemory formula's
//! value shown), creates and deploys it — the deployment succeeds on the local engine, running
//! the local `redis:7.4` stand-in of scripts/ensure-template-images.sh — and the new stack's
//! editor shows the advisor's findings at their lines; axe finds no accessibility violation.

use bollard::query_parameters::RemoveVolumeOptions;
use windflow_testkit::server::Database;
use windflow_testkit::{docker, unique_project};

use crate::support::{run_e2e, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_end_to_end_in_chromium() {
    let docker = docker().await;
    assert!(
        docker.inspect_image("redis:7.4").await.is_ok(),
        "no redis:7.4 image: run scripts/ensure-template-images.sh"
    );
    let server = start(Database::Sqlite).await;
    let api = server.admin().await.unwrap();
    let stack = unique_project("e2e-redis");
    let outcome = {
        let _browser = crate::BROWSER_TURN.lock().await;
        run_e2e(
            &server,
            "catalog.mjs",
            &[("E2E_STACK", stack.clone()), ("E2E_TARGET", "local".into())],
        )
        .await
    };
    // The stack and its volume go whatever the outcome.
    crate::support::remove_stack(&api, &stack).await;
    let _ = docker
        .remove_volume(&format!("{stack}_data"), None::<RemoveVolumeOptions>)
        .await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}
