//! Scoped roles in the console (issue 18), in Chromium: the owner grants a viewer `operator`
//! on `staging` in Admin → Teams & access; the viewer then deploys the stack to staging's
//! target — the container runs on the engine — and is refused on production's, the refusal
//! naming the role it needs (`web/e2e/access.mjs`).

use serde_json::json;
use windflow_testkit::server::Database;
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, list_project_containers, unique_project,
};

use crate::support::{MEMBER_PASSWORD, member, run_e2e, staging_target, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_operator_deploys_there_only_in_the_console() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let server = start(Database::Sqlite).await;
    let admin = server.admin().await.unwrap();
    member(&server, &admin, "stella", "default", "viewer").await;
    staging_target(&admin).await;
    let stack = unique_project("e2e-scoped");
    let _guard = ProjectGuard::new(&stack);
    let r = admin
        .post(
            "/orgs/default/stacks",
            json!({ "name": stack, "content": format!(
                "services:\n  app:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    init: true\n"
            ) }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);

    let outcome = {
        let _browser = crate::BROWSER_TURN.lock().await;
        run_e2e(
            &server,
            "access.mjs",
            &[
                ("E2E_USER", "stella".into()),
                ("E2E_PASSWORD", MEMBER_PASSWORD.into()),
                ("E2E_ENV", "staging".into()),
                ("E2E_STACK", stack.clone()),
                ("E2E_STAGE_TARGET", "stage".into()),
                ("E2E_PROD_TARGET", "local".into()),
            ],
        )
        .await
    };
    outcome.unwrap();

    // What the browser did, checked where it lands: one container of the stack on the
    // engine, deployed through `stage` by stella; nothing on production.
    let containers = list_project_containers(&docker, &stack).await.unwrap();
    assert_eq!(containers.len(), 1, "{containers:?}");
    let deployments = admin
        .get(&format!("/orgs/default/deployments?stack={stack}"))
        .await
        .unwrap();
    let items = deployments.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", deployments.text);
    assert_eq!(items[0]["target"], "stage");
    assert_eq!(items[0]["environment"], "staging");
    assert_eq!(items[0]["requested_by"], "stella");
}
