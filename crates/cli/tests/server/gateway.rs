//! A service with a domain, deployed through the control plane, answers at its domain over
//! HTTPS with a certificate issued by a real ACME server (pebble, validating HTTP-01 through
//! the target's gateway), load-balanced across its replicas; plain HTTP redirects; removing
//! the stack removes its route; the certificate is listed with its names and expiry.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use windflow_testkit::pebble::{Pebble, pebble_tests_enabled};
use windflow_testkit::server::Database;
use windflow_testkit::{TEST_IMAGE, docker, free_port, gateway_test_image, unique_project};

use crate::support::{GATEWAY_TURN, create_stack, remove_gateway, run_deployment, start_with};

const HOST: &str = "shop.example.test";

fn compose() -> String {
    format!(
        "services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sh\", \"-c\", \"mkdir -p /www && echo ok > /www/healthz && hostname > /www/index.html && exec httpd -f -p 8080 -h /www\"]\n    expose: [\"8080\"]\n    deploy:\n      replicas: 2\n    x-windflow:\n      domains: [\"{HOST}\"]\n      health: /healthz\n      max_body: 1k\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_answers_over_https_with_an_issued_certificate_across_replicas() {
    if !pebble_tests_enabled() {
        return;
    }
    let docker = docker().await;
    let _turn = GATEWAY_TURN.lock().await;
    remove_gateway(&docker).await;
    let image = gateway_test_image();
    let (http_port, https_port) = (free_port(), free_port());
    let pebble = Pebble::start_with(Some(http_port)).await;
    let root_file = pebble.dir.join("https-root.pem");
    std::fs::write(&root_file, &pebble.https_root_pem).unwrap();
    let http = format!("127.0.0.1:{http_port}");
    let https = format!("127.0.0.1:{https_port}");
    let mut server = start_with(
        Database::Sqlite,
        &[
            ("WINDFLOW_ACME_DIRECTORY", &pebble.directory_url),
            ("WINDFLOW_ACME_CA_ROOT", root_file.to_str().unwrap()),
            ("WINDFLOW_ACME_EMAIL", "ops@example.test"),
            ("WINDFLOW_GATEWAY_IMAGE", &image),
            ("WINDFLOW_GATEWAY_HTTP", &http),
            ("WINDFLOW_GATEWAY_HTTPS", &https),
        ],
    )
    .await;
    let api = server.admin().await.unwrap();
    let stack = unique_project("shop");
    let _guard = windflow_testkit::ProjectGuard::new(&stack);
    create_stack(&api, &stack, &compose()).await;

    let started = Instant::now();
    let done = run_deployment(&api, &stack, "deploy").await;
    let id = done["id"].as_str().unwrap().to_string();

    // HTTPS at the domain, trusting only pebble's issuing root: the handshake checks the
    // certificate's names against the host.
    let issuing_root = pebble.issuing_root_pem().await;
    let https_addr: SocketAddr = https.parse().unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(issuing_root.as_bytes()).unwrap()])
        .resolve(HOST, https_addr)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let url = format!("https://{HOST}:{https_port}/");
    let mut replicas = std::collections::BTreeSet::new();
    let mut first_answer = None;
    let deadline = Instant::now() + Duration::from_secs(30);
    while replicas.len() < 2 {
        match client.get(&url).send().await {
            Ok(r) if r.status() == 200 => {
                first_answer.get_or_insert_with(|| started.elapsed());
                replicas.insert(r.text().await.unwrap().trim().to_string());
            }
            other => assert!(
                Instant::now() < deadline,
                "no HTTPS answer from both replicas ({replicas:?}): {other:?}\nevents: {}\n{}",
                serde_json::to_string(&crate::support::deployment_events(&api, &id).await).unwrap(),
                server.logs()
            ),
        }
    }
    eprintln!(
        "deploy to a valid HTTPS answer at a new domain: {:?}",
        first_answer.unwrap()
    );

    // The certificate is listed with its names and expiry; its key is never shown.
    let certificates = api.get("/orgs/default/certificates").await.unwrap();
    assert_eq!(certificates.status, 200, "{}", certificates.text);
    let issued = &certificates.body[0];
    assert_eq!(
        issued["name"],
        format!("{stack}.web"),
        "{}",
        certificates.text
    );
    assert_eq!(issued["source"], "acme");
    assert_eq!(issued["domains"], json!([HOST]));
    assert_eq!(issued["status"], "valid");
    assert!(issued["renewal_at"].is_string(), "{}", certificates.text);
    assert!(!certificates.text.contains("PRIVATE KEY"));

    // A body over the service's limit is refused by the gateway.
    let large = client
        .post(&url)
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(large.status(), 413);

    // The target's gateway lists the route, its certificate and both replicas.
    let gateway = api
        .get("/orgs/default/targets/local/gateway")
        .await
        .unwrap();
    assert_eq!(gateway.status, 200, "{}", gateway.text);
    assert_eq!(gateway.body["running"], true, "{}", gateway.text);
    let route = &gateway.body["routes"][0];
    assert_eq!(route["domain"], HOST, "{}", gateway.text);
    assert_eq!(route["certificate"], format!("{stack}.web"));
    assert_eq!(route["upstreams"].as_array().unwrap().len(), 2);
    assert!(
        route["upstreams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["healthy"] == true),
        "{}",
        gateway.text
    );

    // Plain HTTP redirects to HTTPS.
    let plain = reqwest::Client::builder()
        .resolve(HOST, format!("127.0.0.1:{http_port}").parse().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = plain
        .get(format!("http://{HOST}:{http_port}/cart?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 308);
    assert_eq!(
        redirect.headers()["location"].to_str().unwrap(),
        format!("https://{HOST}:{https_port}/cart?x=1")
    );

    // A redeploy keeps the certificate: nothing is issued twice.
    run_deployment(&api, &stack, "deploy").await;
    let listed = api.get("/orgs/default/certificates").await.unwrap();
    assert_eq!(
        listed.body[0]["serial"], issued["serial"],
        "{}",
        listed.text
    );

    // A redeploy that replaces every replica, under a steady request loop: no request fails.
    let loop_client = client.clone();
    let loop_url = url.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_loop = stop.clone();
    let requests = tokio::spawn(async move {
        let (mut ok, mut failed, mut errors) = (0u64, 0u64, Vec::new());
        let started = Instant::now();
        while !stop_loop.load(std::sync::atomic::Ordering::Relaxed) {
            match loop_client.get(&loop_url).send().await {
                Ok(r) if r.status() == 200 => ok += 1,
                other => {
                    failed += 1;
                    errors.push(format!("{other:?}"));
                }
            }
        }
        (ok, failed, errors, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let v2 = api
        .put(
            &format!("/orgs/default/stacks/{stack}"),
            json!({ "content": compose().replace("hostname >", "echo v2 >> /www/index.html; hostname >>") }),
        )
        .await
        .unwrap();
    assert_eq!(v2.status, 200, "{}", v2.text);
    run_deployment(&api, &stack, "deploy").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (ok, failed, errors, elapsed) = requests.await.unwrap();
    eprintln!(
        "redeploy under load: {ok} requests answered, {failed} failed, {:.0} requests/s",
        ok as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(failed, 0, "requests failed during the redeploy: {errors:?}");
    let body = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(body.starts_with("v2"), "{body}");

    // A replica failing its health check leaves the rotation: every request lands on the
    // other one.
    let sick = format!("{stack}-web-1");
    let exec = docker
        .create_exec(
            &sick,
            bollard::models::ExecConfig {
                cmd: Some(vec!["rm".into(), "/www/healthz".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    docker.start_exec(&exec.id, None).await.unwrap();
    let sick_hostname = docker
        .inspect_container(&sick, None)
        .await
        .unwrap()
        .config
        .unwrap()
        .hostname
        .unwrap();
    // Two active checks (2 s apart) take the sick replica out; the gateway's status (Caddy
    // reports passive failures only) must also show the other replica back in rotation, with
    // no failure left from the redeploy's replacements.
    let removed = Instant::now();
    let deadline = removed + Duration::from_secs(30);
    loop {
        let gateway = api
            .get("/orgs/default/targets/local/gateway")
            .await
            .unwrap();
        let upstreams = gateway.body["routes"][0]["upstreams"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let settled = upstreams.len() == 2 && upstreams.iter().all(|u| u["fails"] == 0);
        if settled && removed.elapsed() >= Duration::from_secs(5) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the healthy replica never came back in rotation: {}",
            gateway.text
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for _ in 0..20 {
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(
            !body.contains(&sick_hostname),
            "the replica failing its health check still gets requests"
        );
    }

    // Renewed on demand: a new serial, served at once; the metrics show its expiry.
    let renewed = api
        .post(
            &format!("/orgs/default/certificates/{stack}.web/renew"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    assert_ne!(renewed.body["serial"], issued["serial"], "{}", renewed.text);
    let served_after = client.get(&url).send().await.unwrap();
    assert_eq!(served_after.status(), 200);
    let metrics = api.get("/metrics").await.unwrap();
    assert!(
        metrics
            .text
            .contains("windflow_certificate_expiry_seconds{"),
        "{}",
        metrics.text
    );

    // Due for renewal — its validity moved back in the stopped server's store, as if two
    // thirds of its life had passed (pebble issues five-year certificates) — it is renewed
    // by the server's own renewal pass when it starts again, and the new one is served.
    let before = renewed.body["serial"].clone();
    let status = server.terminate(Duration::from_secs(30)).unwrap();
    assert!(status.success(), "{}", server.logs());
    let database = server.data_dir.join("windflow.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", database.display()))
        .await
        .unwrap();
    let eleven_years_ms: i64 = 11 * 365 * 86_400_000;
    let moved = sqlx::query("UPDATE certificates SET not_before = not_before - ? WHERE name = ?")
        .bind(eleven_years_ms)
        .bind(format!("{stack}.web"))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(moved.rows_affected(), 1);
    pool.close().await;
    server.restart().await.unwrap();
    let api = server.admin().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let listed = api.get("/orgs/default/certificates").await.unwrap();
        let current = listed
            .body
            .as_array()
            .and_then(|all| {
                all.iter()
                    .find(|c| c["name"] == format!("{stack}.web"))
                    .cloned()
            })
            .unwrap_or_default();
        if current["serial"] != before && current["serial"].is_string() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the due certificate was not renewed: {}\n{}",
            listed.text,
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    let audit = api
        .get("/orgs/default/audit?action=certificate.renewed")
        .await
        .unwrap();
    assert_eq!(
        audit.body["items"][0]["actor"], "windflow",
        "{}",
        audit.text
    );

    // A certificate in use cannot be deleted.
    let in_use = api
        .delete(&format!("/orgs/default/certificates/{stack}.web"))
        .await
        .unwrap();
    assert_eq!(in_use.status, 409, "{}", in_use.text);
    assert!(in_use.text.contains("serves"), "{}", in_use.text);

    // The issuance at the first deployment is an event of its own.
    let audit = api
        .get("/orgs/default/audit?action=certificate.")
        .await
        .unwrap();
    assert!(
        audit.text.contains("certificate.issued") && audit.text.contains("certificate.renew"),
        "{}",
        audit.text
    );

    // A renewal that fails (the CA is gone) is recorded, is an event and is on /metrics; the
    // working certificate keeps serving.
    let certificate = |listed: serde_json::Value| {
        listed
            .as_array()
            .and_then(|all| {
                all.iter()
                    .find(|c| c["name"] == format!("{stack}.web"))
                    .cloned()
            })
            .unwrap_or_default()
    };
    let serving = certificate(api.get("/orgs/default/certificates").await.unwrap().body);
    drop(pebble);
    let failed = api
        .post(
            &format!("/orgs/default/certificates/{stack}.web/renew"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(failed.status, 502, "{}", failed.text);
    let after = certificate(api.get("/orgs/default/certificates").await.unwrap().body);
    assert_eq!(after["serial"], serving["serial"], "{after}");
    assert!(after["renewal_error"].is_string(), "{after}");
    let still = client.get(&url).send().await.unwrap();
    assert_eq!(still.status(), 200);
    let metrics = api.get("/metrics").await.unwrap();
    let certificate_label = format!("certificate=\"{stack}.web\"");
    assert!(
        metrics.text.lines().any(|l| {
            l.starts_with("windflow_certificate_renewal_failing{")
                && l.contains(&certificate_label)
                && l.ends_with(" 1")
        }),
        "{}",
        metrics.text
    );
    let audit = api
        .get("/orgs/default/audit?action=certificate.renewal_failed")
        .await
        .unwrap();
    let entry = &audit.body["items"][0];
    assert_eq!(entry["actor"], "windflow", "{}", audit.text);
    assert!(
        entry["detail"]["error"].is_string() && entry["detail"]["next_attempt"].is_string(),
        "{}",
        audit.text
    );

    // Removing the stack removes its route.
    run_deployment(&api, &stack, "remove").await;
    let gone = plain
        .get(format!("http://{HOST}:{http_port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.status(),
        404,
        "the removed stack's route still answers"
    );
    remove_gateway(&docker).await;
}
