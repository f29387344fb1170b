//! Every endpoint × every role × a foreign organization × a scope: a role below the one an
//! endpoint needs gets 403, a role at or above it gets past authorization, a member of another
//! organization gets the same 404 as for an organization that does not exist, and a viewer
//! holding owner on another environment and another stack is refused as a viewer. The table
//! below must name every organization endpoint of the OpenAPI document, so a new endpoint
//! cannot ship without its row.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use windflow_testkit::server::Api;

use crate::support::{databases, start};

const ROLES: [&str; 4] = ["viewer", "operator", "admin", "owner"];

/// (method, path, body, least role; `server` for server administrators only). `{org}` is the organization; other parameters name
/// things that exist where reads need them, and things that do not where a write would
/// otherwise change the fixture (authorization comes before the lookup).
fn table() -> Vec<(&'static str, &'static str, Value, &'static str)> {
    let none = Value::Null;
    vec![
        ("GET", "/orgs/{org}", none.clone(), "viewer"),
        ("GET", "/orgs/{org}/members", none.clone(), "viewer"),
        ("GET", "/orgs/{org}/teams", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/teams",
            json!({"name": "Bad Name"}),
            "owner",
        ),
        (
            "DELETE",
            "/orgs/{org}/teams/zz-missing",
            none.clone(),
            "owner",
        ),
        (
            "PUT",
            "/orgs/{org}/teams/zz-missing/members/zz-missing",
            json!({}),
            "owner",
        ),
        (
            "DELETE",
            "/orgs/{org}/teams/zz-missing/members/zz-missing",
            none.clone(),
            "owner",
        ),
        ("GET", "/orgs/{org}/roles", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/roles",
            json!({"name": "Bad Name", "permissions": ["read"]}),
            "owner",
        ),
        (
            "DELETE",
            "/orgs/{org}/roles/zz-missing",
            none.clone(),
            "owner",
        ),
        ("GET", "/orgs/{org}/grants", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/grants",
            json!({"user": "zz-missing", "role": "viewer", "scope": "stack", "scope_name": "s1"}),
            "owner",
        ),
        (
            "DELETE",
            "/orgs/{org}/grants/zz-missing",
            none.clone(),
            "owner",
        ),
        (
            "GET",
            "/orgs/{org}/service-accounts",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/service-accounts",
            json!({"name": "Bad Name"}),
            "owner",
        ),
        (
            "DELETE",
            "/orgs/{org}/service-accounts/zz-missing",
            none.clone(),
            "owner",
        ),
        (
            "GET",
            "/orgs/{org}/service-accounts/zz-missing/tokens",
            none.clone(),
            "owner",
        ),
        (
            "POST",
            "/orgs/{org}/service-accounts/zz-missing/tokens",
            json!({"name": "x"}),
            "owner",
        ),
        (
            "DELETE",
            "/orgs/{org}/service-accounts/zz-missing/tokens/zz-missing",
            none.clone(),
            "owner",
        ),
        (
            "PUT",
            "/orgs/{org}/members",
            json!({"user": "zz-missing", "role": "viewer"}),
            "owner",
        ),
        (
            "DELETE",
            "/orgs/{org}/members/zz-missing",
            none.clone(),
            "owner",
        ),
        ("GET", "/orgs/{org}/login-policy", none.clone(), "viewer"),
        (
            "PUT",
            "/orgs/{org}/login-policy",
            json!({"require_second_factor": "bogus", "password_login": "allowed"}),
            "owner",
        ),
        ("GET", "/orgs/{org}/policy", none.clone(), "viewer"),
        (
            "PUT",
            "/orgs/{org}/policy",
            json!({"level": "baseline", "allowed_host_paths": ["relative"]}),
            "server",
        ),
        (
            "PUT",
            "/orgs/{org}/environments/zz-missing/policy",
            json!({"level": "restricted"}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/environments/zz-missing/policy",
            none.clone(),
            "admin",
        ),
        (
            "PUT",
            "/orgs/{org}/targets/zz-missing/policy",
            json!({"level": "restricted"}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/targets/zz-missing/policy",
            none.clone(),
            "admin",
        ),
        ("GET", "/orgs/{org}/environments", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/environments",
            json!({"name": "Bad Name"}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/environments/zz-missing",
            none.clone(),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/environments/e1/variables",
            none.clone(),
            "viewer",
        ),
        (
            "PUT",
            "/orgs/{org}/environments/zz-missing/variables/X",
            json!({"value": "x"}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/environments/zz-missing/variables/X",
            none.clone(),
            "admin",
        ),
        (
            "POST",
            "/orgs/{org}/agents/enrollments",
            json!({"target": "Bad Name"}),
            "admin",
        ),
        ("GET", "/orgs/{org}/agents", none.clone(), "viewer"),
        (
            "DELETE",
            "/orgs/{org}/agents/zz-missing",
            none.clone(),
            "admin",
        ),
        ("GET", "/orgs/{org}/targets", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/targets",
            json!({"name": "Bad Name", "endpoint": "x"}),
            "admin",
        ),
        ("GET", "/orgs/{org}/targets/t1", none.clone(), "viewer"),
        (
            "DELETE",
            "/orgs/{org}/targets/zz-missing",
            none.clone(),
            "admin",
        ),
        (
            "POST",
            "/orgs/{org}/targets/zz-missing/test",
            json!({}),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/targets/zz-missing/trust",
            json!({ "fingerprint": "SHA256:x" }),
            "admin",
        ),
        (
            "PATCH",
            "/orgs/{org}/targets/zz-missing",
            json!({"labels": {"tier": "edge"}}),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/targets/t1/checks",
            none.clone(),
            "viewer",
        ),
        ("GET", "/orgs/{org}/stacks", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/stacks",
            json!({"name": "Bad Name", "content": ""}),
            "admin",
        ),
        ("GET", "/orgs/{org}/stacks/s1", none.clone(), "viewer"),
        (
            "PUT",
            "/orgs/{org}/stacks/zz-missing",
            json!({"content": ""}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/stacks/zz-missing",
            none.clone(),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/stacks/s1/versions",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/stacks/s1/versions/1",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/stacks/s1/diff?from=1&to=1",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/stacks/s1/validate",
            json!({"content": "services: {}"}),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/stacks/zz-missing/plan",
            json!({"target": "t1"}),
            "operator",
        ),
        (
            "POST",
            "/orgs/{org}/stacks/zz-missing/rollback",
            json!({"target": "t1"}),
            "operator",
        ),
        (
            "GET",
            "/orgs/{org}/stacks/s1/variables",
            none.clone(),
            "viewer",
        ),
        (
            "PUT",
            "/orgs/{org}/stacks/zz-missing/variables/X",
            json!({"value": "x"}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/stacks/zz-missing/variables/X",
            none.clone(),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/stacks/s1/domains",
            none.clone(),
            "viewer",
        ),
        (
            "PUT",
            "/orgs/{org}/stacks/zz-missing/domains/web",
            json!({"domains": ["shop.example.test"]}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/stacks/zz-missing/domains/web",
            none.clone(),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/stacks/s1/logs?target=zz-missing",
            none.clone(),
            "viewer",
        ),
        ("GET", "/orgs/{org}/certificates", none.clone(), "viewer"),
        (
            "GET",
            "/orgs/{org}/targets/zz-missing/gateway",
            none.clone(),
            "viewer",
        ),
        (
            "PUT",
            "/orgs/{org}/certificates/zz-missing",
            json!({"chain_pem": "x", "key_pem": "y"}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/certificates/zz-missing",
            none.clone(),
            "admin",
        ),
        (
            "POST",
            "/orgs/{org}/certificates/zz-missing/renew",
            none.clone(),
            "admin",
        ),
        ("GET", "/orgs/{org}/dns/providers", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/dns/providers",
            json!({"name": "Bad Name", "kind": "rfc2136", "zones": ["example.test"], "secret": "x"}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/dns/providers/zz-missing",
            none.clone(),
            "admin",
        ),
        ("GET", "/orgs/{org}/dns/records", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/dns/records/check",
            none.clone(),
            "operator",
        ),
        ("GET", "/orgs/{org}/dns/zones", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/dns/zones/zz-missing/dnssec",
            none.clone(),
            "admin",
        ),
        ("GET", "/orgs/{org}/deployments", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/deployments",
            json!({"stack": "zz-missing", "target": "t1"}),
            "operator",
        ),
        (
            "GET",
            "/orgs/{org}/deployments/zz-missing",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/deployments/zz-missing/cancel",
            json!({}),
            "operator",
        ),
        (
            "GET",
            "/orgs/{org}/deployments/zz-missing/events",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/deployments/zz-missing/events/stream",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/targets/t1/inventory",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/targets/t1/stats",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/targets/t1/nodes",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/targets/t1/kubernetes",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/targets/t1/kubernetes/namespaces/zz-missing/pods/zz-missing/log",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/targets/t1/containers/zz-missing",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/targets/t1/containers/zz-missing/logs",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/targets/zz-missing/containers/zz-missing/restart",
            json!({}),
            "operator",
        ),
        ("GET", "/orgs/{org}/templates", none.clone(), "viewer"),
        (
            "GET",
            "/orgs/{org}/templates/builtin/zz-missing",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/templates/builtin/zz-missing/deploy",
            json!({"stack": "Bad Name"}),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/stacks/s1/template",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/stacks/zz-missing/template/upgrade",
            json!({}),
            "admin",
        ),
        ("GET", "/orgs/{org}/ai/provider", none.clone(), "viewer"),
        (
            "PUT",
            "/orgs/{org}/ai/provider",
            json!({"base_url": "ftp://x", "model": "m"}),
            "admin",
        ),
        ("DELETE", "/orgs/{org}/ai/provider", none.clone(), "admin"),
        (
            "POST",
            "/orgs/{org}/ai/generate",
            json!({"description": ""}),
            "operator",
        ),
        ("GET", "/orgs/{org}/ai/requests", none.clone(), "admin"),
        (
            "POST",
            "/orgs/{org}/deployments/zz-missing/diagnose",
            json!({}),
            "operator",
        ),
        (
            "POST",
            "/orgs/{org}/stacks/zz-missing/optimize",
            json!({}),
            "operator",
        ),
        (
            "GET",
            "/orgs/{org}/backup/repositories",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/backup/repositories",
            json!({"name": "Bad Name!", "target": "zz-missing", "location": {"kind": "folder", "path": "v", "volume": true}}),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/backup/repositories/zz-missing",
            none.clone(),
            "viewer",
        ),
        (
            "PATCH",
            "/orgs/{org}/backup/repositories/zz-missing",
            json!({}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/backup/repositories/zz-missing",
            none.clone(),
            "admin",
        ),
        (
            "POST",
            "/orgs/{org}/backup/repositories/zz-missing/check",
            json!({}),
            "operator",
        ),
        ("GET", "/orgs/{org}/workflows", none.clone(), "viewer"),
        (
            "POST",
            "/orgs/{org}/workflows/validate",
            json!({"document": {"name": "x"}}),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/workflows/zz-missing",
            none.clone(),
            "viewer",
        ),
        (
            "PUT",
            "/orgs/{org}/workflows/zz-missing",
            json!({"document": {"name": "Bad Name!"}}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/workflows/zz-missing",
            none.clone(),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/workflows/zz-missing/versions",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/workflows/zz-missing/versions/1",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/workflows/zz-missing/webhook",
            none.clone(),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/workflows/zz-missing/runs",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/workflows/zz-missing/runs",
            json!({}),
            "operator",
        ),
        (
            "GET",
            "/orgs/{org}/workflow-runs/zz-missing",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/workflow-runs/zz-missing/events",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/workflow-runs/zz-missing/cancel",
            none.clone(),
            "operator",
        ),
        (
            "POST",
            "/orgs/{org}/workflow-runs/zz-missing/approvals/zz-missing",
            json!({"approve": true}),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/notification-channels",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/notification-channels",
            json!({"name": "Bad Name!", "channel": {"kind": "slack", "url": "https://hooks.slack.test/x"}}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/notification-channels/zz-missing",
            none.clone(),
            "admin",
        ),
        (
            "POST",
            "/orgs/{org}/notification-channels/zz-missing/test",
            none.clone(),
            "admin",
        ),
        ("GET", "/orgs/{org}/backup/runs", none.clone(), "viewer"),
        (
            "GET",
            "/orgs/{org}/backup/runs/zz-missing",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/backup/runs/zz-missing/events",
            none.clone(),
            "viewer",
        ),
        (
            "POST",
            "/orgs/{org}/backup/runs/zz-missing/cancel",
            none.clone(),
            "operator",
        ),
        (
            "GET",
            "/orgs/{org}/backup/snapshots",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/backup/snapshots/zz-missing/files",
            none.clone(),
            "viewer",
        ),
        (
            "GET",
            "/orgs/{org}/backup/snapshots/zz-missing/download",
            none.clone(),
            "admin",
        ),
        (
            "GET",
            "/orgs/{org}/stacks/s1/backup",
            none.clone(),
            "viewer",
        ),
        (
            "PUT",
            "/orgs/{org}/stacks/zz-missing/backup",
            json!({"policy": {}}),
            "admin",
        ),
        (
            "DELETE",
            "/orgs/{org}/stacks/zz-missing/backup",
            none.clone(),
            "admin",
        ),
        (
            "POST",
            "/orgs/{org}/stacks/zz-missing/backup/run",
            json!({}),
            "operator",
        ),
        (
            "POST",
            "/orgs/{org}/stacks/zz-missing/backup/restore",
            json!({}),
            "admin",
        ),
        (
            "POST",
            "/orgs/{org}/stacks/zz-missing/backup/drill",
            none.clone(),
            "operator",
        ),
        ("GET", "/orgs/{org}/audit", none, "admin"),
    ]
}

/// The table's rows as OpenAPI operations (`GET /api/v1/orgs/{org}/stacks/{stack}`).
fn table_operations() -> BTreeSet<String> {
    let names = [
        ("/teams/zz-missing", "/teams/{team}"),
        ("/roles/zz-missing", "/roles/{role}"),
        ("/grants/zz-missing", "/grants/{id}"),
        ("/service-accounts/zz-missing", "/service-accounts/{name}"),
        ("/tokens/zz-missing", "/tokens/{id}"),
        ("/members/zz-missing", "/members/{user}"),
        ("/environments/e1/", "/environments/{env}/"),
        ("/environments/zz-missing", "/environments/{env}"),
        ("/agents/zz-missing", "/agents/{agent}"),
        ("/targets/t1", "/targets/{target}"),
        ("/targets/zz-missing", "/targets/{target}"),
        ("/stacks/s1", "/stacks/{stack}"),
        ("/stacks/zz-missing", "/stacks/{stack}"),
        ("/versions/1", "/versions/{version}"),
        ("/variables/X", "/variables/{name}"),
        ("/domains/web", "/domains/{service}"),
        ("/certificates/zz-missing", "/certificates/{name}"),
        ("/dns/providers/zz-missing", "/dns/providers/{name}"),
        ("/dns/zones/zz-missing/", "/dns/zones/{zone}/"),
        ("/deployments/zz-missing", "/deployments/{id}"),
        (
            "/containers/zz-missing/restart",
            "/containers/{container}/{action}",
        ),
        ("/containers/zz-missing", "/containers/{container}"),
        ("/namespaces/zz-missing/", "/namespaces/{namespace}/"),
        ("/pods/zz-missing/", "/pods/{pod}/"),
        ("/templates/builtin/zz-missing", "/templates/{source}/{id}"),
        (
            "/backup/repositories/zz-missing",
            "/backup/repositories/{repository}",
        ),
        ("/backup/runs/zz-missing", "/backup/runs/{run}"),
        ("/approvals/zz-missing", "/approvals/{node}"),
        ("/workflow-runs/zz-missing", "/workflow-runs/{run}"),
        ("/workflows/zz-missing", "/workflows/{name}"),
        (
            "/notification-channels/zz-missing",
            "/notification-channels/{channel}",
        ),
        (
            "/backup/snapshots/zz-missing",
            "/backup/snapshots/{snapshot}",
        ),
    ];
    table()
        .into_iter()
        .map(|(method, path, _, _)| {
            let mut path = path.split('?').next().unwrap().to_string();
            for (from, to) in names {
                path = path.replace(from, to);
            }
            format!("{method} /api/v1{path}")
        })
        .collect()
}

async fn call(api: &Api, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let body = (!body.is_null()).then_some(body);
    let answer = api.request(method, path, body, &[]).await.unwrap();
    (answer.status, answer.body)
}

fn rank(role: &str) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_checks_role_and_tenant() {
    for database in databases("authz").await {
        let backend = database.name();
        let server = start(database).await;
        let admin = server.admin().await.unwrap();

        // The table covers every organization endpoint the server documents.
        let doc = admin.get("/api/openapi.json").await.unwrap().body;
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            if path.starts_with("/api/v1/orgs/{org}") {
                for method in item.as_object().unwrap().keys() {
                    documented.insert(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        assert_eq!(
            table_operations(),
            documented,
            "the authorization table and the API differ"
        );

        // Organization alpha with one member per role; beta's owner is the outsider.
        for slug in ["alpha", "beta"] {
            let r = admin.post("/orgs", json!({ "slug": slug })).await.unwrap();
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let mut clients = Vec::new();
        for role in ROLES.iter().chain(["outsider"].iter()) {
            let username = format!("user-{role}");
            let r = admin
                .post(
                    "/users",
                    json!({ "username": username, "password": "a long password 1" }),
                )
                .await
                .unwrap();
            assert_eq!(r.status, 201, "{}", r.text);
            let (org, as_role) = if *role == "outsider" {
                ("beta", "owner")
            } else {
                ("alpha", *role)
            };
            let r = admin
                .put(
                    &format!("/orgs/{org}/members"),
                    json!({ "user": username, "role": as_role }),
                )
                .await
                .unwrap();
            assert_eq!(r.status, 200, "{}", r.text);
            let client = server
                .anonymous()
                .login(&username, "a long password 1")
                .await
                .unwrap();
            clients.push((role.to_string(), client));
        }
        // Fixtures in alpha.
        let fixtures = [
            ("/orgs/alpha/environments", json!({ "name": "e1" })),
            (
                "/orgs/alpha/targets",
                // The server's own engine is `default`'s: alpha gets it shared by the server
                // administrator (one engine belongs to one organization otherwise).
                json!({ "name": "t1", "endpoint": "unix:///var/run/docker.sock", "environment": "e1", "shared": true }),
            ),
            (
                "/orgs/alpha/stacks",
                json!({ "name": "s1", "content": "services:\n  web:\n    image: nginx\n" }),
            ),
        ];
        for (path, body) in fixtures {
            let r = admin.post(path, body).await.unwrap();
            assert_eq!(r.status, 201, "{path}: {}", r.text);
        }

        let mut failures = Vec::new();
        for (method, template, body, least) in table() {
            let path = template.replace("{org}", "alpha");
            for (role, client) in &clients {
                let (status, problem) = call(client, method, &path, &body).await;
                let detail = problem["detail"].as_str().unwrap_or("").to_string();
                let verdict = if least == "server" {
                    // For server administrators only: every member and outsider gets 403,
                    // for this organization and for one that does not exist alike.
                    let (ghost_status, _) = call(
                        client,
                        method,
                        &template.replace("{org}", "nonexistent"),
                        &body,
                    )
                    .await;
                    (status == 403 && ghost_status == 403)
                        .then_some(())
                        .ok_or(format!("{status} {detail} (missing org: {ghost_status})"))
                } else if role == "outsider" {
                    // Indistinguishable from an organization that does not exist.
                    let (ghost_status, ghost) = call(
                        client,
                        method,
                        &template.replace("{org}", "nonexistent"),
                        &body,
                    )
                    .await;
                    let same = status == 404
                        && ghost_status == 404
                        && detail == "organization alpha not found"
                        && ghost["detail"] == "organization nonexistent not found";
                    same.then_some(()).ok_or(format!("{status} {detail}"))
                } else if rank(role) >= rank(least) {
                    let passed =
                        !matches!(status, 401 | 403) && detail != "organization alpha not found";
                    passed.then_some(()).ok_or(format!("{status} {detail}"))
                } else {
                    (status == 403)
                        .then_some(())
                        .ok_or(format!("{status} {detail}"))
                };
                if let Err(got) = verdict {
                    failures.push(format!(
                        "{backend}: {method} {path} as {role} (needs {least}): got {got}"
                    ));
                }
            }
        }
        // A viewer holding owner on another environment and another stack: every endpoint
        // above viewer is refused as for a viewer. The endpoints whose stack and environment
        // are only known from the request (deployments, plans, rollbacks, cancellations,
        // container actions) check once those are read, so a missing one is a 404 first.
        for (path, body) in [
            ("/orgs/alpha/environments", json!({ "name": "e2" })),
            (
                "/orgs/alpha/stacks",
                json!({ "name": "s2", "content": "services:\n  web:\n    image: nginx\n" }),
            ),
        ] {
            let r = admin.post(path, body).await.unwrap();
            assert_eq!(r.status, 201, "{path}: {}", r.text);
        }
        let scoped =
            crate::support::member(&server, &admin, "user-scoped", "alpha", "viewer").await;
        for (scope, name) in [("environment", "e2"), ("stack", "s2")] {
            let r = admin
                .post(
                    "/orgs/alpha/grants",
                    json!({ "user": "user-scoped", "role": "owner", "scope": scope, "scope_name": name }),
                )
                .await
                .unwrap();
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let checked_late = [
            "POST /orgs/{org}/stacks/zz-missing/plan",
            "POST /orgs/{org}/stacks/zz-missing/rollback",
            "POST /orgs/{org}/deployments",
            "POST /orgs/{org}/deployments/zz-missing/cancel",
            "POST /orgs/{org}/targets/zz-missing/containers/zz-missing/restart",
        ];
        for (method, template, body, least) in table() {
            if least == "server" || least == "viewer" {
                continue;
            }
            let path = template.replace("{org}", "alpha");
            let (status, problem) = call(&scoped, method, &path, &body).await;
            let late = checked_late.contains(&format!("{method} {template}").as_str());
            let ok = status == 403 || (late && status == 404);
            if !ok {
                failures.push(format!(
                    "{backend}: {method} {path} as a viewer with grants elsewhere (needs {least}): got {status} {}",
                    problem["detail"]
                ));
            }
        }
        // The same grants do reach their own environment and stack.
        let r = scoped
            .put(
                "/orgs/alpha/environments/e2/variables/X",
                json!({ "value": "x" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{backend}: {}", r.text);
        let r = scoped
            .put(
                "/orgs/alpha/stacks/s2",
                json!({ "content": "services:\n  web:\n    image: nginx:1\n" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{backend}: {}", r.text);

        // Server-level endpoints are for server administrators only.
        let server_level = [
            ("GET", "/users", Value::Null),
            (
                "POST",
                "/users",
                json!({ "username": "x", "password": "short" }),
            ),
            ("PATCH", "/users/zz-missing", json!({ "disabled": true })),
            ("DELETE", "/users/zz-missing/factors", Value::Null),
            ("POST", "/orgs", json!({ "slug": "Bad Slug" })),
            ("GET", "/audit", Value::Null),
            ("GET", "/sso/providers", Value::Null),
            (
                "POST",
                "/sso/providers",
                json!({ "slug": "x", "display_name": "", "issuer_url": "", "client_id": "" }),
            ),
            ("GET", "/sso/providers/zz-missing", Value::Null),
            (
                "PUT",
                "/sso/providers/zz-missing",
                json!({ "display_name": "", "issuer_url": "", "client_id": "" }),
            ),
            ("DELETE", "/sso/providers/zz-missing", Value::Null),
            (
                "PUT",
                "/orgs/alpha/policy",
                json!({"level": "baseline", "allowed_host_paths": ["relative"]}),
            ),
        ];
        for (method, path, body) in server_level {
            for (role, client) in &clients {
                let (status, _) = call(client, method, path, &body).await;
                if status != 403 {
                    failures.push(format!(
                        "{backend}: {method} {path} as {role}: got {status}, want 403"
                    ));
                }
            }
            let (status, _) = call(&admin, method, path, &body).await;
            if matches!(status, 401 | 403) {
                failures.push(format!(
                    "{backend}: {method} {path} as server admin: got {status}"
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} authorization failures:\n{}",
            failures.len(),
            failures.join("\n")
        );

        // The outsider's own organization lists none of alpha's resources.
        let outsider = &clients.last().unwrap().1;
        let stacks = outsider.get("/orgs/beta/stacks").await.unwrap();
        assert_eq!(stacks.body["total"], 0, "{}", stacks.text);
        let orgs = outsider.get("/orgs").await.unwrap();
        let slugs: Vec<&str> = orgs
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["organization"]["slug"].as_str().unwrap())
            .collect();
        assert_eq!(slugs, ["beta"]);
    }
}
