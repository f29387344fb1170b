//! Teams, custom roles, roles scoped to an environment or a stack, and service accounts
//! (issue 18): an operator on staging deploys to staging — the container runs on the engine —
//! and gets 403 on production, whichever way it asks (target, environment, rollback, cancel,
//! a container's restart); a stack's admin edits that stack only; a team's grant reaches its
//! members and leaves with them; a service account's token acts within its grants and never
//! logs in. On SQLite and PostgreSQL.

use std::time::Duration;

use serde_json::{Value, json};
use windflow_testkit::server::Api;
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, list_project_containers, unique_project,
};

use crate::support::{create_stack, databases, member, staging_target, start};

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(180);

fn compose(marker: &str) -> String {
    format!(
        "services:\n  app:\n    image: {TEST_IMAGE}\n    command: [\"sh\", \"-c\", \"echo {marker}; exec sleep 3600\"]\n    init: true\n"
    )
}

async fn queue(api: &Api, stack: &str, target: &str, environment: Option<&str>) -> (u16, Value) {
    let mut body = json!({ "stack": stack, "target": target });
    if let Some(env) = environment {
        body["environment"] = json!(env);
    }
    let r = api.post("/orgs/default/deployments", body).await.unwrap();
    (r.status, r.body)
}

async fn grant(admin: &Api, body: Value) -> Value {
    let r = admin.post("/orgs/default/grants", body).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_scoped_to_an_environment_or_a_stack_hold_there_only() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    for database in databases("scoped").await {
        let backend = database.name();
        let server = start(database).await;
        let admin = server.admin().await.unwrap();

        staging_target(&admin).await;
        let app = unique_project("scoped-app");
        let other = unique_project("scoped-other");
        let _guards = (ProjectGuard::new(&app), ProjectGuard::new(&other));
        create_stack(&admin, &app, &compose("v1")).await;
        create_stack(&admin, &other, &compose("other")).await;

        // An operator on staging, a viewer everywhere else.
        let ops = member(&server, &admin, "ops", "default", "viewer").await;
        let (status, body) = queue(&ops, &app, "stage", None).await;
        assert_eq!(status, 403, "{backend}: a viewer deployed: {body}");
        let g = grant(
            &admin,
            json!({ "user": "ops", "role": "operator", "scope": "environment", "scope_name": "staging" }),
        )
        .await;
        assert_eq!(g["scope"], "environment");
        assert_eq!(g["scope_name"], "staging");

        let (status, queued) = queue(&ops, &app, "stage", None).await;
        assert_eq!(status, 201, "{backend}: {queued}");
        let done = ops
            .wait_deployment("default", queued["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(done["state"], "succeeded", "{backend}: {done}");
        assert_eq!(done["environment"], "staging", "{done}");
        let running = list_project_containers(&docker, &app).await.unwrap();
        assert_eq!(running.len(), 1, "{backend}: the staging deployment runs");
        let container = running[0].id.clone().unwrap();

        // Production, asked every way: by its target, by naming staging for a production
        // target, by a rollback, by restarting a production container.
        let (status, body) = queue(&ops, &app, "local", None).await;
        assert_eq!(status, 403, "{backend}: deployed to production: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains("operator"),
            "{body}"
        );
        let (status, body) = queue(&ops, &app, "local", Some("staging")).await;
        assert_eq!(
            status, 403,
            "{backend}: reached production through staging's name: {body}"
        );
        let r = ops
            .post(
                &format!("/orgs/default/stacks/{app}/rollback"),
                json!({ "target": "local" }),
            )
            .await
            .unwrap();
        assert_eq!(
            r.status, 403,
            "{backend}: rolled back production: {}",
            r.text
        );
        // Stack settings need admin on the stack or the organization.
        let r = ops
            .put(
                &format!("/orgs/default/stacks/{app}"),
                json!({ "content": compose("v2") }),
            )
            .await
            .unwrap();
        assert_eq!(
            r.status, 403,
            "{backend}: an operator edited a stack: {}",
            r.text
        );

        // The staging container restarts; a production one does not.
        let r = ops
            .post(
                &format!("/orgs/default/targets/stage/containers/{container}/restart"),
                json!({}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 204, "{backend}: {}", r.text);
        let (status, prod) = queue(&admin, &other, "local", None).await;
        assert_eq!(status, 201, "{prod}");
        let prod_done = admin
            .wait_deployment("default", prod["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(prod_done["state"], "succeeded", "{prod_done}");
        let prod_container = list_project_containers(&docker, &other).await.unwrap()[0]
            .id
            .clone()
            .unwrap();
        let r = ops
            .post(
                &format!("/orgs/default/targets/local/containers/{prod_container}/restart"),
                json!({}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{backend}: restarted production: {}", r.text);
        // A production deployment cannot be cancelled either (checked before its state).
        let r = ops
            .post(
                &format!(
                    "/orgs/default/deployments/{}/cancel",
                    prod["id"].as_str().unwrap()
                ),
                json!({}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{backend}: cancelled production: {}", r.text);

        // A team's grant reaches its members, and leaves with them.
        let r = admin
            .post("/orgs/default/teams", json!({ "name": "releasers" }))
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        grant(
            &admin,
            json!({ "team": "releasers", "role": "operator", "scope": "environment", "scope_name": "production" }),
        )
        .await;
        let r = admin
            .put("/orgs/default/teams/releasers/members/ops", json!({}))
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["members"], json!(["ops"]));
        let (status, body) = queue(&ops, &app, "local", None).await;
        assert_eq!(status, 201, "{backend}: the team's grant: {body}");
        ops.wait_deployment("default", body["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        let r = admin
            .delete("/orgs/default/teams/releasers/members/ops")
            .await
            .unwrap();
        assert_eq!(r.status, 204, "{}", r.text);
        let (status, body) = queue(&ops, &app, "local", None).await;
        assert_eq!(
            status, 403,
            "{backend}: left the team, kept its grant: {body}"
        );

        // A stack's admin edits that stack and no other, and nothing organization-wide.
        let dev = member(&server, &admin, "dev", "default", "viewer").await;
        grant(
            &admin,
            json!({ "user": "dev", "role": "admin", "scope": "stack", "scope_name": app }),
        )
        .await;
        let r = dev
            .put(
                &format!("/orgs/default/stacks/{app}"),
                json!({ "content": compose("v2") }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{backend}: {}", r.text);
        let r = dev
            .put(
                &format!("/orgs/default/stacks/{app}/variables/MODE"),
                json!({ "value": "x" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{backend}: {}", r.text);
        let r = dev
            .put(
                &format!("/orgs/default/stacks/{other}"),
                json!({ "content": compose("v2") }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{backend}: edited another stack: {}", r.text);
        let r = dev
            .put(
                "/orgs/default/stacks/zz-missing",
                json!({ "content": compose("x") }),
            )
            .await
            .unwrap();
        assert_eq!(
            r.status, 403,
            "{backend}: a missing stack answers like a forbidden one"
        );
        for (path, body) in [
            (
                "/orgs/default/environments/staging/variables/X",
                json!({ "value": "x" }),
            ),
            ("/orgs/default/environments", json!({ "name": "qa" })),
            (
                "/orgs/default/members",
                json!({ "user": "dev", "role": "owner" }),
            ),
            (
                "/orgs/default/grants",
                json!({ "user": "dev", "role": "owner", "scope": "stack", "scope_name": other }),
            ),
        ] {
            let r = if path.ends_with("/X") || path.ends_with("/members") {
                dev.put(path, body).await.unwrap()
            } else {
                dev.post(path, body).await.unwrap()
            };
            assert_eq!(r.status, 403, "{backend}: {path}: {}", r.text);
        }
        // The stack grant deploys that stack in any environment (admin holds deploy).
        let (status, body) = queue(&dev, &app, "stage", None).await;
        assert_eq!(status, 201, "{backend}: {body}");
        dev.wait_deployment("default", body["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();

        // A custom role: deploy without configure.
        let r = admin
            .post(
                "/orgs/default/roles",
                json!({ "name": "deployer", "permissions": ["read", "deploy"] }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let r = admin
            .post(
                "/orgs/default/roles",
                json!({ "name": "auditor", "permissions": ["audit"] }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let r = admin
            .post(
                "/orgs/default/grants",
                json!({ "user": "dev", "role": "auditor", "scope": "stack", "scope_name": other }),
            )
            .await
            .unwrap();
        assert_eq!(
            r.status, 422,
            "an audit-only role on a stack grants nothing: {}",
            r.text
        );
        let r = admin
            .post(
                "/orgs/default/grants",
                json!({ "user": "dev", "role": "operator", "scope": "organization" }),
            )
            .await
            .unwrap();
        assert_eq!(
            r.status, 422,
            "a user's organization role is its membership: {}",
            r.text
        );
        let deployer = grant(
            &admin,
            json!({ "user": "dev", "role": "deployer", "scope": "stack", "scope_name": other }),
        )
        .await;
        assert_eq!(deployer["custom"], true);
        let (status, body) = queue(&dev, &other, "local", None).await;
        assert_eq!(status, 201, "{backend}: {body}");
        dev.wait_deployment("default", body["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        let r = dev
            .put(
                &format!("/orgs/default/stacks/{other}"),
                json!({ "content": compose("v3") }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{backend}: deployer configured: {}", r.text);
        // Deleting the custom role takes its grants with it.
        let r = admin.delete("/orgs/default/roles/deployer").await.unwrap();
        assert_eq!(r.status, 204, "{}", r.text);
        let (status, _) = queue(&dev, &other, "local", None).await;
        assert_eq!(status, 403, "{backend}: a deleted role still granted");

        // Leaving the organization takes every grant: back as a viewer, nothing remains.
        let dev_id = admin
            .get("/orgs/default/members")
            .await
            .unwrap()
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user"]["username"] == "dev")
            .unwrap()["user"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = admin
            .delete(&format!("/orgs/default/members/{dev_id}"))
            .await
            .unwrap();
        assert_eq!(r.status, 204, "{}", r.text);
        let r = admin
            .put(
                "/orgs/default/members",
                json!({ "user": "dev", "role": "viewer" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        let (status, _) = queue(&dev, &app, "stage", None).await;
        assert_eq!(
            status, 403,
            "{backend}: grants survived leaving the organization"
        );
        let grants = admin.get("/orgs/default/grants").await.unwrap().body;
        assert!(
            grants
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["user"] != "dev"),
            "{grants}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_acts_through_its_tokens_within_its_grants() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    for database in databases("svcacct").await {
        let backend = database.name();
        let server = start(database).await;
        let admin = server.admin().await.unwrap();
        staging_target(&admin).await;
        let app = unique_project("svc-app");
        let _guard = ProjectGuard::new(&app);
        create_stack(&admin, &app, &compose("ci")).await;

        // An owner creates the account; a viewer may list but not create.
        let viewer = member(&server, &admin, "watcher", "default", "viewer").await;
        let r = viewer
            .post("/orgs/default/service-accounts", json!({ "name": "ci" }))
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text);
        let r = admin
            .post(
                "/orgs/default/service-accounts",
                json!({ "name": "ci", "role": "owner" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 422, "a service account cannot own: {}", r.text);
        let r = admin
            .post(
                "/orgs/default/service-accounts",
                json!({ "name": "ci", "description": "GitHub Actions" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["username"], "default:ci");
        assert_eq!(r.body["role"], "viewer");
        grant(
            &admin,
            json!({ "user": "default:ci", "role": "operator", "scope": "environment", "scope_name": "staging" }),
        )
        .await;
        let r = admin
            .post(
                "/orgs/default/service-accounts/ci/tokens",
                json!({ "name": "pipeline" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let secret = r.body["secret"].as_str().unwrap().to_string();
        let token_id = r.body["token"]["id"].as_str().unwrap().to_string();
        let listed = admin
            .get("/orgs/default/service-accounts/ci/tokens")
            .await
            .unwrap();
        assert!(
            !listed.text.contains(&secret),
            "a token list shows the secret"
        );
        assert_eq!(listed.body.as_array().unwrap().len(), 1);

        let ci = Api::new(&server.url, Some(secret.clone()));
        let (status, body) = queue(&ci, &app, "stage", None).await;
        assert_eq!(status, 201, "{backend}: {body}");
        let done = ci
            .wait_deployment("default", body["id"].as_str().unwrap(), DEPLOY_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(done["state"], "succeeded", "{backend}: {done}");
        assert_eq!(done["requested_by"], "default:ci", "{done}");
        let (status, body) = queue(&ci, &app, "local", None).await;
        assert_eq!(
            status, 403,
            "{backend}: the CI token reached production: {body}"
        );
        // Nor does it mint tokens of its own, which would outlive its revocation.
        let r = ci
            .post("/auth/tokens", json!({ "name": "spare" }))
            .await
            .unwrap();
        assert_eq!(
            r.status, 403,
            "{backend}: a service account minted a token: {}",
            r.text
        );

        // It never logs in, is no person in the user list, and belongs to one organization.
        let anonymous = server.anonymous();
        let r = anonymous
            .post(
                "/auth/login",
                json!({ "username": "default:ci", "password": "!service-account" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 401, "a service account logged in: {}", r.text);
        let users = admin.get("/users").await.unwrap().body;
        assert!(
            !users.to_string().contains("default:ci"),
            "service accounts listed as users: {users}"
        );
        let r = admin
            .post("/orgs", json!({ "slug": "beta" }))
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let r = admin
            .put(
                "/orgs/beta/members",
                json!({ "user": "default:ci", "role": "admin" }),
            )
            .await
            .unwrap();
        assert_eq!(
            r.status, 422,
            "{backend}: another organization took the account: {}",
            r.text
        );

        // Revoking the token, then deleting the account, stop it at once.
        let r = admin
            .delete(&format!(
                "/orgs/default/service-accounts/ci/tokens/{token_id}"
            ))
            .await
            .unwrap();
        assert_eq!(r.status, 204, "{}", r.text);
        let r = ci.get("/orgs/default/stacks").await.unwrap();
        assert_eq!(r.status, 401, "{backend}: a revoked token still works");
        let r = admin
            .post(
                "/orgs/default/service-accounts/ci/tokens",
                json!({ "name": "second" }),
            )
            .await
            .unwrap();
        let second = Api::new(
            &server.url,
            Some(r.body["secret"].as_str().unwrap().to_string()),
        );
        assert_eq!(
            second.get("/orgs/default/stacks").await.unwrap().status,
            200
        );
        let r = admin
            .delete("/orgs/default/service-accounts/ci")
            .await
            .unwrap();
        assert_eq!(r.status, 204, "{}", r.text);
        let r = second.get("/orgs/default/stacks").await.unwrap();
        assert_eq!(
            r.status, 401,
            "{backend}: a deleted account's token still works"
        );
    }
}
