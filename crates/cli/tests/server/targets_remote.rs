//! An `ssh` target registered through the API: the client key stored encrypted and never
//! returned, the host key trusted only by its exact fingerprint, then a deployment onto the
//! engine behind a real sshd (Debian's, fronting the local engine's socket).
//! A `docker` target at `tcp://` with TLS certificates, onto a second dockerd with a
//! `--tlsverify` listener.

use std::time::Duration;

use bollard::query_parameters::InspectContainerOptions;
use serde_json::json;
use windflow_testkit::server::{Api, Server};
use windflow_testkit::sshd::Sshd;
use windflow_testkit::tls_engine::TlsEngine;
use windflow_testkit::{
    ProjectGuard, TEST_IMAGE, docker, ensure_test_images, list_project_containers, unique_project,
};

use crate::support::{create_stack, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_target_is_trusted_by_fingerprint_then_deployed_onto() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let sshd = Sshd::start().unwrap();
    let fingerprint =
        windflow_engine::connect::known_hosts::openssh_fingerprint(&sshd.host_public_key).unwrap();
    let private_key = std::fs::read_to_string(&sshd.client_key).unwrap();
    let server = start(windflow_testkit::server::Database::Sqlite).await;
    let api = server.admin().await.unwrap();

    // Registered with its client key and no host key: listed, but not connected.
    let created = api
        .post(
            "/orgs/default/targets",
            json!({ "name": "remote", "kind": "ssh", "endpoint": sshd.url(),
                    "ssh": { "private_key": private_key } }),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["has_client_key"], true, "{}", created.text);
    assert_eq!(created.body["status"], "down", "{}", created.text);
    assert!(!created.text.contains("PRIVATE KEY"), "{}", created.text);
    let listed = api.get("/orgs/default/targets").await.unwrap();
    assert!(!listed.text.contains("PRIVATE KEY"), "{}", listed.text);

    // The test names the offered fingerprint and how to trust it.
    let test = api
        .post("/orgs/default/targets/remote/test", json!({}))
        .await
        .unwrap();
    assert_eq!(test.status, 200, "{}", test.text);
    assert_eq!(test.body["ok"], false, "{}", test.text);
    let error = test.body["error"].as_str().unwrap();
    assert!(
        error.contains("host key not trusted yet")
            && error.contains("/targets/remote/trust")
            && error.contains(&fingerprint),
        "{error}"
    );

    // A wrong fingerprint is refused, naming the field; nothing is pinned.
    let wrong = api
        .post(
            "/orgs/default/targets/remote/trust",
            json!({ "fingerprint": "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }),
        )
        .await
        .unwrap();
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(wrong.text.contains("fingerprint"), "{}", wrong.text);
    let target = api.get("/orgs/default/targets/remote").await.unwrap();
    assert!(
        target.body["host_key_fingerprint"].is_null(),
        "{}",
        target.text
    );

    // The right one: pinned, and the engine answers through the tunnel.
    let trusted = api
        .post(
            "/orgs/default/targets/remote/trust",
            json!({ "fingerprint": fingerprint }),
        )
        .await
        .unwrap();
    assert_eq!(trusted.status, 200, "{}", trusted.text);
    assert_eq!(trusted.body["ok"], true, "{}", trusted.text);
    let engine = docker.info().await.unwrap();
    assert_eq!(
        trusted.body["info"]["hostname"].as_str(),
        engine.name.as_deref(),
        "{}",
        trusted.text
    );
    let target = api.get("/orgs/default/targets/remote").await.unwrap();
    assert_eq!(target.body["host_key_fingerprint"], fingerprint.as_str());
    assert_eq!(target.body["status"], "up", "{}", target.text);

    // A stack deployed onto it runs, with its configuration, on the engine behind sshd.
    let name = unique_project("ssh");
    let _guard = ProjectGuard::new(&name);
    deploy_and_check(&api, &server, &docker, &name, "remote", "ssh").await;
}

/// Deploys a one-service stack with `VIA=<via>` onto `target` through the API and checks,
/// through `engine` (the engine behind the target), that its container runs with that
/// environment. Returns the container's id.
async fn deploy_and_check(
    api: &Api,
    server: &Server,
    engine: &bollard::Docker,
    name: &str,
    target: &str,
    via: &str,
) -> String {
    create_stack(
        api,
        name,
        &format!(
            "services:\n  app:\n    image: {TEST_IMAGE}\n    command: [\"sleep\", \"600\"]\n    environment:\n      VIA: {via}\n"
        ),
    )
    .await;
    let deployment = api
        .post(
            "/orgs/default/deployments",
            json!({ "stack": name, "target": target }),
        )
        .await
        .unwrap();
    assert_eq!(deployment.status, 201, "{}", deployment.text);
    let id = deployment.body["id"].as_str().unwrap().to_string();
    let done = api
        .wait_deployment("default", &id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(done["state"], "succeeded", "{done}\n{}", server.logs());
    let containers = list_project_containers(engine, name).await.unwrap();
    assert_eq!(containers.len(), 1, "{containers:?}");
    let id = containers[0].id.clone().unwrap();
    let inspect = engine
        .inspect_container(&id, None::<InspectContainerOptions>)
        .await
        .unwrap();
    assert_eq!(inspect.state.unwrap().running, Some(true));
    let env = inspect.config.unwrap().env.unwrap();
    assert!(env.contains(&format!("VIA={via}")), "{env:?}");
    assert!(!server.logs().contains("PRIVATE KEY"));
    id
}

/// A `docker` target at `tcp://` with TLS material given through the API: a second real
/// dockerd with a `--tlsverify` listener. Without a client certificate, or with one from
/// another CA, the connection test fails naming the endpoint and the TLS reason; with the
/// right material the target is up and a stack deployed onto it runs on that engine (checked
/// through its own unix socket); the client key is never returned or logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_docker_target_over_tls_needs_the_right_certificates_then_is_deployed_onto() {
    let docker = docker().await;
    ensure_test_images(&docker).await.unwrap();
    let engine = TlsEngine::start(&docker).await.unwrap();
    let read = |path: &std::path::Path| std::fs::read_to_string(path).unwrap();
    let server = start(windflow_testkit::server::Database::Sqlite).await;
    let api = server.admin().await.unwrap();

    // Material that PEM-checks badly is refused naming the field.
    let bad = api
        .post(
            "/orgs/default/targets",
            json!({ "name": "bad", "kind": "docker", "endpoint": engine.url(),
                    "tls": { "ca": read(&engine.client.key) } }),
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("tls.ca"), "{}", bad.text);

    // The CA only (no client certificate): the engine refuses the connection.
    let created = api
        .post(
            "/orgs/default/targets",
            json!({ "name": "anonymous", "kind": "docker", "endpoint": engine.url(),
                    "tls": { "ca": read(&engine.client.ca) } }),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "down", "{}", created.text);
    let test = api
        .post("/orgs/default/targets/anonymous/test", json!({}))
        .await
        .unwrap();
    assert_eq!(test.body["ok"], false, "{}", test.text);
    let error = test.body["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&engine.url()) && error.to_lowercase().contains("certificate"),
        "{error}"
    );

    // A client certificate from another CA: refused too.
    let created = api
        .post(
            "/orgs/default/targets",
            json!({ "name": "foreign", "kind": "docker", "endpoint": engine.url(),
                    "tls": { "ca": read(&engine.client.ca),
                             "cert": read(&engine.foreign_client.cert),
                             "key": read(&engine.foreign_client.key) } }),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "down", "{}", created.text);

    // The right material: up, reporting the second engine.
    let created = api
        .post(
            "/orgs/default/targets",
            json!({ "name": "tls", "kind": "docker", "endpoint": engine.url(),
                    "tls": { "ca": read(&engine.client.ca),
                             "cert": read(&engine.client.cert),
                             "key": read(&engine.client.key) } }),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "up", "{}", created.text);
    assert_eq!(created.body["has_client_key"], true, "{}", created.text);
    assert!(!created.text.contains("PRIVATE KEY"), "{}", created.text);

    let name = unique_project("tls");
    // It runs on the TLS engine, not on the main one.
    let remote = engine.unix_client().unwrap();
    let id = deploy_and_check(&api, &server, &remote, &name, "tls", "tls").await;
    assert!(
        list_project_containers(&docker, &name)
            .await
            .unwrap()
            .is_empty()
    );
    remote
        .remove_container(
            &id,
            Some(bollard::query_parameters::RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
        .unwrap();
}
