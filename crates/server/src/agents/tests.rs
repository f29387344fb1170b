//! The Driver conformance suite through an agent: this server's HTTP router and link code
//! (`serve_link`, [`AgentHandle`]) on one side of a real WebSocket, the real agent (`Agent`
//! with its journal and the `DockerExecutor` on the local engine) on the other, and the
//! engine's `AgentDriver` on top — the same suite the socket, TLS, SSH and Swarm drivers pass.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use windflow_agent::{Agent, DockerExecutor, Journal, LinkOptions};
use windflow_engine::agent::AgentDriver;
use windflow_engine::docker::DockerDriver;
use windflow_storage::NewAgentEnrollment;
use windflow_testkit::{ProjectGuard, conformance, docker_or_skip, ensure_test_images};

use super::AgentHandle;
use crate::auth::credential_hash;
use crate::config::{ServeArgs, ServeConfig};
use crate::state::{App, new_id, now_ms};

/// A server on a loopback port (plain HTTP: the agent allows `ws://` to loopback only), with
/// its first-run organization and administrator.
async fn server(dir: &std::path::Path) -> (Arc<App>, SocketAddr) {
    let config = ServeConfig::resolve(ServeArgs {
        data: Some(dir.to_path_buf()),
        local_docker: Some("none".into()),
        agent_heartbeat: Some("1s".into()),
        ..Default::default()
    })
    .unwrap();
    let store = crate::open_store(&config).await.unwrap();
    let keyring = crate::secrets::Keyring::load_or_create(&config.secret_key_file).unwrap();
    let app = Arc::new(App::new(config, store, keyring, crate::metrics_recorder()));
    crate::bootstrap::first_run(&app).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = crate::routes::app(app.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    (app, address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_driver_passes_the_conformance_suite() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    ensure_test_images(&docker).await.unwrap();
    let dir = std::env::temp_dir().join(format!("windflow-agent-conformance-{}", new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (app, address) = server(&dir.join("server")).await;

    // An enrollment token, as an administrator creates one.
    let org = app.store.get_organization("default").await.unwrap();
    let admin = app
        .store
        .find_user_credentials(crate::bootstrap::ADMIN_USERNAME)
        .await
        .unwrap()
        .unwrap()
        .user;
    let token = format!("wfe_{}", new_id());
    app.store
        .create_agent_enrollment(NewAgentEnrollment {
            id: new_id(),
            org_id: org.id.clone(),
            hash: credential_hash(&token),
            target_name: "conformance".into(),
            environment_id: None,
            labels: Default::default(),
            created_by: admin.id,
            expires_at: now_ms() + 600_000,
            created_at: now_ms(),
        })
        .await
        .unwrap();

    // The agent enrolls over HTTP and links over the WebSocket, executing on the local engine.
    let base = format!("http://{address}");
    let enrolled = windflow_agent::enroll(&base, &token, None).await.unwrap();
    let state_dir = dir.join("agent");
    std::fs::create_dir_all(&state_dir).unwrap();
    let (journal, remembered) = Journal::open(&state_dir).unwrap();
    let executor = Arc::new(DockerExecutor::new(
        DockerDriver::connect(None).unwrap(),
        state_dir.clone(),
    ));
    let agent = Agent::new(executor, journal, remembered);
    let link = tokio::spawn(agent.clone().run(LinkOptions {
        url: windflow_agent::connect_url(&base),
        credential: enrolled.credential,
        tls: None,
        version: windflow_agent::VERSION.into(),
        min_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
    }));
    let deadline = Instant::now() + Duration::from_secs(30);
    let conn = loop {
        if let Some(conn) = app.agents.get(&enrolled.agent_id)
            && conn.is_connected()
        {
            break conn;
        }
        assert!(Instant::now() < deadline, "the agent did not connect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let driver = AgentDriver::new(Arc::new(AgentHandle { conn }));
    let guard = ProjectGuard::unique("conformance-agent");
    conformance::run(&driver, guard.project()).await;
    assert!(
        agent.executed.load(std::sync::atomic::Ordering::Relaxed) > 10,
        "the suite's calls ran on the agent"
    );

    link.abort();
    drop(guard);
    let _ = std::fs::remove_dir_all(&dir);
}
