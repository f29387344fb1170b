//! A stack's domains through the API: the compose file's, settings per environment over
//! them (checked against the service: well-formed hosts, an exposed port, a known service),
//! and one host and path per engine — a second stack claiming a deployed stack's domain is
//! refused, naming the stack that holds it, even through another target on the same engine.

use std::time::Duration;

use serde_json::json;
use windflow_testkit::{TEST_IMAGE, docker, list_project_containers, unique_project};

use crate::support::{
    GATEWAY_TURN, create_stack, databases, remove_gateway, run_deployment, run_deployment_on,
    served_gateway_config, start_with,
};

fn compose(domain: &str) -> String {
    format!(
        "services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sleep\", \"600\"]\n    expose: [\"80\"]\n    x-windflow:\n      domains: [\"{domain}\"]\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domains_are_set_per_environment_and_claimed_once_per_target() {
    let docker = docker().await;
    let _turn = GATEWAY_TURN.lock().await;
    let image = windflow_testkit::gateway_test_image();
    for database in databases("domains").await {
        let server = start_with(database, &[("WINDFLOW_GATEWAY_IMAGE", &image)]).await;
        let api = server.admin().await.unwrap();
        let shop = unique_project("shop");
        let rival = unique_project("rival");
        let third = unique_project("third");
        let _guards = [&shop, &rival, &third].map(windflow_testkit::ProjectGuard::new);
        create_stack(&api, &shop, &compose("shop.example.test")).await;
        let r = api
            .post("/orgs/default/environments", json!({ "name": "staging" }))
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);

        let listed = api
            .get(&format!("/orgs/default/stacks/{shop}/domains"))
            .await
            .unwrap();
        assert_eq!(listed.status, 200, "{}", listed.text);
        assert_eq!(
            listed.body,
            json!([{ "service": "web", "domains": ["shop.example.test"], "port": 80,
                     "tls": "auto", "source": "compose" }])
        );

        // Staging answers elsewhere; the port comes from the compose file.
        let set = api
            .put(
                &format!("/orgs/default/stacks/{shop}/domains/web?environment=staging"),
                json!({ "domains": ["Shop.Staging.example.test", "staging.example.test/shop"] }),
            )
            .await
            .unwrap();
        assert_eq!(set.status, 200, "{}", set.text);
        assert_eq!(
            set.body["domains"],
            json!(["shop.staging.example.test", "staging.example.test/shop"])
        );
        assert_eq!(set.body["port"], 80);
        assert_eq!(set.body["environment"], "staging");

        // Bad input names its field and changes nothing.
        for (body, service, field, says) in [
            (
                json!({ "domains": ["https://shop.example.test"] }),
                "web",
                "domains[0]",
                "without a scheme",
            ),
            (
                json!({ "domains": ["a.example.test", "a.example.test"] }),
                "web",
                "domains[1]",
                "listed twice",
            ),
            (
                json!({ "domains": ["a.example.test"], "port": 8080 }),
                "web",
                "port",
                "does not expose port 8080",
            ),
            (
                json!({ "domains": ["a.example.test"], "tls": "a b" }),
                "web",
                "tls",
                "stored certificate",
            ),
            (
                json!({ "domains": ["a.example.test"] }),
                "api",
                "service",
                "has no service \"api\" (its services: web)",
            ),
        ] {
            let r = api
                .put(
                    &format!("/orgs/default/stacks/{shop}/domains/{service}"),
                    body.clone(),
                )
                .await
                .unwrap();
            assert_eq!(r.status, 422, "{body}: {}", r.text);
            assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
            let message = r.body["errors"][0]["message"].as_str().unwrap_or("");
            assert!(message.contains(says), "{body}: {}", r.text);
        }
        let listed = api
            .get(&format!("/orgs/default/stacks/{shop}/domains"))
            .await
            .unwrap();
        assert_eq!(listed.body.as_array().unwrap().len(), 2, "{}", listed.text);

        // Deployed (no environment: the compose file's domain), shop holds
        // shop.example.test on `local`.
        let done = run_deployment(&api, &shop, "deploy").await;
        // No ACME server answers here: the deployment still succeeds, its route is served
        // over plain HTTP, and the event says why.
        let events = crate::support::deployment_events(&api, done["id"].as_str().unwrap()).await;
        let events = serde_json::to_string(&events).unwrap();
        assert!(
            events.contains("served over plain HTTP meanwhile") && events.contains("127.0.0.1:9"),
            "{events}"
        );

        // A second stack claiming it is refused at queue time, naming the holder.
        create_stack(&api, &rival, &compose("shop.example.test")).await;
        let refused = api
            .post(
                "/orgs/default/deployments",
                json!({ "stack": rival, "target": "local" }),
            )
            .await
            .unwrap();
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert!(
            refused
                .text
                .contains(&format!("already served on target local by stack {shop}")),
            "{}",
            refused.text
        );
        assert!(
            list_project_containers(&docker, &rival)
                .await
                .unwrap()
                .is_empty()
        );
        // Moved to a free domain in the control plane, it deploys.
        let moved = api
            .put(
                &format!("/orgs/default/stacks/{rival}/domains/web"),
                json!({ "domains": ["rival.example.test"] }),
            )
            .await
            .unwrap();
        assert_eq!(moved.status, 200, "{}", moved.text);
        run_deployment(&api, &rival, "deploy").await;

        // Removing a setting brings the compose file's domains back.
        let removed = api
            .delete(&format!("/orgs/default/stacks/{rival}/domains/web"))
            .await
            .unwrap();
        assert_eq!(removed.status, 204, "{}", removed.text);
        let listed = api
            .get(&format!("/orgs/default/stacks/{rival}/domains"))
            .await
            .unwrap();
        assert_eq!(listed.body[0]["source"], "compose", "{}", listed.text);
        assert_eq!(listed.body.as_array().unwrap().len(), 1);

        // A second target on the same engine shares its gateway: a host held through
        // `local` stays claimed through it, and its own stacks' routes join the others
        // instead of replacing them.
        let again = api
            .post(
                "/orgs/default/targets",
                json!({ "name": "again", "kind": "docker",
                        "endpoint": "unix:///var/run/docker.sock" }),
            )
            .await
            .unwrap();
        assert_eq!(again.status, 201, "{}", again.text);
        create_stack(&api, &third, &compose("shop.example.test")).await;
        let refused = api
            .post(
                "/orgs/default/deployments",
                json!({ "stack": third, "target": "again" }),
            )
            .await
            .unwrap();
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert!(
            refused
                .text
                .contains(&format!("already served on target local by stack {shop}")),
            "{}",
            refused.text
        );
        let moved = api
            .put(
                &format!("/orgs/default/stacks/{third}/domains/web"),
                json!({ "domains": ["third.example.test"] }),
            )
            .await
            .unwrap();
        assert_eq!(moved.status, 200, "{}", moved.text);
        run_deployment_on(&api, &third, "again", "deploy").await;
        let served = served_gateway_config(&docker).await;
        for host in [
            "shop.example.test",
            "rival.example.test",
            "third.example.test",
        ] {
            assert!(served.contains(host), "{host} not served: {served}");
        }

        // A target label picks the engine's gateway image; the gateway is recreated with it
        // at the next deployment and keeps every route. Two targets on the engine naming
        // different images leave the server's.
        let labelled = format!("windflow/gateway:label-{third}");
        let (repo, tag) = labelled.split_once(':').unwrap();
        docker
            .tag_image(
                &image,
                Some(bollard::query_parameters::TagImageOptions {
                    repo: Some(repo.to_string()),
                    tag: Some(tag.to_string()),
                }),
            )
            .await
            .unwrap();
        let gateway_image = || async {
            docker
                .inspect_container("windflow-gateway", None)
                .await
                .unwrap()
                .config
                .unwrap()
                .image
                .unwrap()
        };
        let labels = api
            .patch(
                "/orgs/default/targets/local",
                json!({ "labels": { "gateway-image": labelled } }),
            )
            .await
            .unwrap();
        assert_eq!(labels.status, 200, "{}", labels.text);
        run_deployment_on(&api, &third, "again", "deploy").await;
        assert_eq!(gateway_image().await, labelled);
        let served = served_gateway_config(&docker).await;
        for host in ["shop.example.test", "third.example.test"] {
            assert!(served.contains(host), "{host} not served: {served}");
        }
        let labels = api
            .patch(
                "/orgs/default/targets/again",
                json!({ "labels": { "gateway-image": "somewhere/else:1" } }),
            )
            .await
            .unwrap();
        assert_eq!(labels.status, 200, "{}", labels.text);
        run_deployment_on(&api, &third, "again", "deploy").await;
        assert_eq!(gateway_image().await, image);
        let _ = docker
            .remove_image(
                &labelled,
                None::<bollard::query_parameters::RemoveImageOptions>,
                None,
            )
            .await;

        let removed = api
            .delete(&format!("/orgs/default/stacks/{third}?undeploy=true"))
            .await
            .unwrap();
        assert!(matches!(removed.status, 202 | 204), "{}", removed.text);

        for stack in [&shop, &rival] {
            let r = api
                .delete(&format!("/orgs/default/stacks/{stack}?undeploy=true"))
                .await
                .unwrap();
            assert!(matches!(r.status, 202 | 204), "{}", r.text);
        }
        for stack in [&shop, &rival, &third] {
            for _ in 0..200 {
                if list_project_containers(&docker, stack)
                    .await
                    .unwrap()
                    .is_empty()
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    remove_gateway(&docker).await;
}
