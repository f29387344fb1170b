//! `web/e2e/catalog.mjs` in Debian's headless Chromium against a real server (SQLite) and the
//! real engine: an admin finds Redis in the catalog, fills the deploy form generated from its
//! inputs, previews the resolved values (the generated password hidden, the maxmemory formula's
//! value shown), creates and deploys it — the deployment succeeds on the local engine, running
//! the local `redis:7.4` stand-in of scripts/ensure-template-images.sh — and the new stack's
//! editor shows the advisor's findings at their lines; axe finds no accessibility violation.

use bollard::query_parameters::RemoveVolumeOptions;
use windflow_testkit::server::Database;
use windflow_testkit::{docker, unique_project};

use crate::support::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_end_to_end_in_chromium() {
    let web = windflow_testkit::workspace_root().join("web");
    assert!(
        web.join("dist/index.html").is_file() && web.join("node_modules/playwright-core").is_dir(),
        "web/dist or web/node_modules is missing: run scripts/build-web.sh"
    );
    let docker = docker().await;
    assert!(
        docker.inspect_image("redis:7.4").await.is_ok(),
        "no redis:7.4 image: run scripts/ensure-template-images.sh"
    );
    let server = start(Database::Sqlite).await;
    let api = server.admin().await.unwrap();
    let stack = unique_project("e2e-redis");
    let _browser = crate::BROWSER_TURN.lock().await;
    let (url, name) = (server.url.clone(), stack.clone());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg("e2e/catalog.mjs")
            .current_dir(&web)
            .env("WINDFLOW_URL", url)
            .env("WINDFLOW_ADMIN_USER", "admin")
            .env(
                "WINDFLOW_ADMIN_PASSWORD",
                windflow_testkit::server::ADMIN_PASSWORD,
            )
            .env("E2E_STACK", name)
            .env("E2E_TARGET", "local")
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .output()
            .expect("running node (install Node 20)")
    })
    .await
    .unwrap();
    // The stack and its volume go whatever the outcome.
    let removed = api
        .delete(&format!("/orgs/default/stacks/{stack}?undeploy=true"))
        .await
        .unwrap();
    if removed.status == 202 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while api
            .get(&format!("/orgs/default/stacks/{stack}"))
            .await
            .unwrap()
            .status
            == 200
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }
    let _ = docker
        .remove_volume(&format!("{stack}_data"), None::<RemoveVolumeOptions>)
        .await;
    assert!(
        output.status.success(),
        "the catalog console e2e failed:\n{}\n{}\nserver log (end):\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        {
            let log = server.logs();
            let start = (log.len().saturating_sub(4096)..log.len())
                .find(|i| log.is_char_boundary(*i))
                .unwrap_or(0);
            log[start..].to_string()
        }
    );
}
