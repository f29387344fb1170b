//! DNS records follow deployments: a Knot server (TSIG, the zone `example.test`) registered
//! as a provider through the API — a wrong secret is refused with Knot's answer and nothing
//! is stored — then a stack with a domain deployed onto `local` gets its A record (as `dig`
//! shows), a record made by hand is untouched, and removing the stack deletes the record.
//! The TSIG secret never appears in an answer or in the server's log. Zones, DNSSEC and
//! record health are shown against PowerDNS and Knot together.

use std::time::Duration;

use serde_json::json;
use windflow_testkit::dns::{KNOT_KEY, Knot, PowerDns, dig, dns_tests_enabled, random_secret};
use windflow_testkit::pebble::{Pebble, pebble_tests_enabled};
use windflow_testkit::server::Database;
use windflow_testkit::{TEST_IMAGE, docker, free_port, gateway_test_image, unique_project};

use crate::support::{
    GATEWAY_TURN, create_stack, deployment_events, member, remove_gateway, run_deployment,
    start_with,
};

const HOST: &str = "shop.example.test";
const PUBLIC_ADDRESS: &str = "192.0.2.10";

fn compose() -> String {
    format!(
        "services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sleep\", \"600\"]\n    expose: [\"80\"]\n    x-windflow:\n      domains: [\"{HOST}\"]\n      tls: \"off\"\n"
    )
}

fn provider_request(knot: &Knot, secret: &str) -> serde_json::Value {
    json!({
        "name": "knot",
        "kind": "rfc2136",
        "zones": ["example.test"],
        "server": knot.addr().to_string(),
        "key_name": KNOT_KEY,
        "algorithm": "hmac-sha256",
        "secret": secret,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_follow_a_stack_through_a_tsig_provider() {
    if !dns_tests_enabled(&["knotd", "dig"]) {
        return;
    }
    let docker = docker().await;
    let _turn = GATEWAY_TURN.lock().await;
    remove_gateway(&docker).await;
    let knot = Knot::start();
    let image = gateway_test_image();
    let http = format!("127.0.0.1:{}", free_port());
    let https = format!("127.0.0.1:{}", free_port());
    let server = start_with(
        Database::Sqlite,
        &[
            ("WINDFLOW_GATEWAY_IMAGE", &image),
            ("WINDFLOW_GATEWAY_HTTP", &http),
            ("WINDFLOW_GATEWAY_HTTPS", &https),
            ("WINDFLOW_PUBLIC_ADDRESS", PUBLIC_ADDRESS),
        ],
    )
    .await;
    let api = server.admin().await.unwrap();

    // A wrong TSIG secret: 422 with Knot's refusal, nothing stored.
    let wrong = random_secret();
    let refused = api
        .post(
            "/orgs/default/dns/providers",
            provider_request(&knot, &wrong),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("example.test"),
        "the error names the zone: {}",
        refused.text
    );
    assert!(!refused.text.contains(&wrong), "{}", refused.text);
    let listed = api.get("/orgs/default/dns/providers").await.unwrap();
    assert_eq!(listed.body, json!([]), "{}", listed.text);

    // An unknown zone is refused too.
    let mut unknown = provider_request(&knot, &knot.secret);
    unknown["zones"] = json!(["nowhere.test"]);
    let refused = api
        .post("/orgs/default/dns/providers", unknown)
        .await
        .unwrap();
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("nowhere.test"), "{}", refused.text);

    // The right one.
    let created = api
        .post(
            "/orgs/default/dns/providers",
            provider_request(&knot, &knot.secret),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["zones"], json!(["example.test"]));
    assert!(created.body.get("secret").is_none(), "{}", created.text);
    let listed = api.get("/orgs/default/dns/providers").await.unwrap();
    assert_eq!(listed.body[0]["name"], "knot", "{}", listed.text);
    assert_eq!(listed.body[0]["key_name"], KNOT_KEY);
    assert!(!listed.text.contains(&knot.secret), "{}", listed.text);

    // Deploy: the domain's A record points at the public address.
    let stack = unique_project("dnsshop");
    let _guard = windflow_testkit::ProjectGuard::new(&stack);
    create_stack(&api, &stack, &compose()).await;
    let done = run_deployment(&api, &stack, "deploy").await;
    let id = done["id"].as_str().unwrap().to_string();
    assert_eq!(
        dig(knot.port, HOST, "A"),
        [PUBLIC_ADDRESS],
        "events: {}",
        serde_json::to_string(&deployment_events(&api, &id).await).unwrap()
    );
    assert_eq!(dig(knot.port, "existing.example.test", "A"), ["192.0.2.99"]);

    let records = api.get("/orgs/default/dns/records").await.unwrap();
    assert_eq!(records.status, 200, "{}", records.text);
    let record = &records.body[0];
    assert_eq!(record["name"], format!("{HOST}."), "{}", records.text);
    assert_eq!(record["record_type"], "A");
    assert_eq!(record["values"], json!([PUBLIC_ADDRESS]));
    assert_eq!(record["provider"], "knot");
    assert!(
        record["owner"].as_str().unwrap().starts_with("stack:"),
        "{}",
        records.text
    );

    // The provider cannot go while its records are there.
    let busy = api
        .delete("/orgs/default/dns/providers/knot")
        .await
        .unwrap();
    assert_eq!(busy.status, 409, "{}", busy.text);

    // Removing the stack deletes exactly its record.
    run_deployment(&api, &stack, "remove").await;
    assert!(dig(knot.port, HOST, "A").is_empty());
    assert!(dig(knot.port, &format!("_wf-owner-a.{HOST}"), "TXT").is_empty());
    assert_eq!(dig(knot.port, "existing.example.test", "A"), ["192.0.2.99"]);
    assert_eq!(
        dig(knot.port, "existing.example.test", "TXT"),
        ["\"made by hand\""]
    );
    let records = api.get("/orgs/default/dns/records").await.unwrap();
    assert_eq!(records.body, json!([]), "{}", records.text);

    let gone = api
        .delete("/orgs/default/dns/providers/knot")
        .await
        .unwrap();
    assert_eq!(gone.status, 204, "{}", gone.text);

    // The secret never reached the log.
    let logs = server.logs();
    assert!(
        !logs.contains(&knot.secret),
        "the TSIG secret is in the log"
    );
    assert!(
        !logs.contains(&wrong),
        "the wrong TSIG secret is in the log"
    );
    remove_gateway(&docker).await;
}

/// A wildcard domain with `tls: auto` gets its certificate through DNS-01: pebble resolves
/// through Knot, WindFlow adds the `_acme-challenge` TXT value through the registered
/// provider, waits for Knot to serve it, and removes it afterwards; any name under the
/// wildcard then answers over HTTPS with the issued certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wildcard_certificate_is_issued_through_dns_01() {
    if !dns_tests_enabled(&["knotd", "dig"]) || !pebble_tests_enabled() {
        return;
    }
    let docker = docker().await;
    let _turn = GATEWAY_TURN.lock().await;
    remove_gateway(&docker).await;
    let knot = Knot::start();
    let (http_port, https_port) = (free_port(), free_port());
    let pebble = Pebble::start_resolving(Some(http_port), Some(knot.addr())).await;
    let root_file = pebble.dir.join("https-root.pem");
    std::fs::write(&root_file, &pebble.https_root_pem).unwrap();
    let image = gateway_test_image();
    let http = format!("127.0.0.1:{http_port}");
    let https = format!("127.0.0.1:{https_port}");
    let server = start_with(
        Database::Sqlite,
        &[
            ("WINDFLOW_ACME_DIRECTORY", &pebble.directory_url),
            ("WINDFLOW_ACME_CA_ROOT", root_file.to_str().unwrap()),
            ("WINDFLOW_ACME_EMAIL", "ops@example.test"),
            ("WINDFLOW_GATEWAY_IMAGE", &image),
            ("WINDFLOW_GATEWAY_HTTP", &http),
            ("WINDFLOW_GATEWAY_HTTPS", &https),
            ("WINDFLOW_PUBLIC_ADDRESS", PUBLIC_ADDRESS),
        ],
    )
    .await;
    let api = server.admin().await.unwrap();
    let created = api
        .post(
            "/orgs/default/dns/providers",
            provider_request(&knot, &knot.secret),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);

    let stack = unique_project("wild");

    let _guard = windflow_testkit::ProjectGuard::new(&stack);
    create_stack(
        &api,
        &stack,
        &format!(
            "services:\n  web:\n    image: {TEST_IMAGE}\n    command: [\"sh\", \"-c\", \"mkdir -p /www && echo wild > /www/index.html && exec httpd -f -p 8080 -h /www\"]\n    expose: [\"8080\"]\n    x-windflow:\n      domains: [\"*.example.test\"]\n"
        ),
    )
    .await;
    let done = run_deployment(&api, &stack, "deploy").await;
    let id = done["id"].as_str().unwrap().to_string();
    let events = serde_json::to_string(&deployment_events(&api, &id).await).unwrap();

    let certificates = api.get("/orgs/default/certificates").await.unwrap();
    assert_eq!(
        certificates.body[0]["domains"],
        json!(["*.example.test"]),
        "{}\nevents: {events}\n{}\n{}",
        certificates.text,
        server.logs(),
        pebble.logs()
    );
    assert!(
        dig(knot.port, "_acme-challenge.example.test", "TXT").is_empty(),
        "the challenge's TXT value was removed"
    );

    // Any name under the wildcard answers over HTTPS with the issued certificate.
    let issuing_root = pebble.issuing_root_pem().await;
    let host = "anything.example.test";
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(issuing_root.as_bytes()).unwrap()])
        .resolve(host, https.parse().unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match client
            .get(format!("https://{host}:{https_port}/"))
            .send()
            .await
        {
            Ok(r) if r.status() == 200 => {
                assert_eq!(r.text().await.unwrap().trim(), "wild");
                break;
            }
            other => assert!(
                std::time::Instant::now() < deadline,
                "no HTTPS answer at {host}: {other:?}\nevents: {events}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    run_deployment(&api, &stack, "remove").await;
    remove_gateway(&docker).await;
}

/// Zones, DNSSEC and record health through the API, against PowerDNS (its HTTP API) and Knot
/// (RFC 2136): every zone is listed with its DNSSEC state (Knot's `signed.test` with the DS
/// `keymgr` computes); enabling signing works on PowerDNS (the DS is `pdnsutil`'s), is
/// refused with what to set on Knot for an unsigned zone, needs an admin, and names an
/// unknown zone. A stack's domain in the PowerDNS zone gets its record on deploy; the
/// record changed behind WindFlow's back is reported `mismatch` by the on-demand check and
/// in the audit log, and its recovery too. A provider that stops answering gives its zones
/// an error, not a failed request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_dnssec_and_record_health_through_powerdns_and_knot() {
    if !dns_tests_enabled(&[
        "pdns_server",
        "pdnsutil",
        "sqlite3",
        "knotd",
        "keymgr",
        "dig",
    ]) {
        return;
    }
    const PDNS_HOST: &str = "shop.pdns.test";
    let docker = docker().await;
    let _turn = GATEWAY_TURN.lock().await;
    remove_gateway(&docker).await;
    let pdns = PowerDns::start();
    pdns.create_zone("pdns.test").await;
    let knot = Knot::start();
    let image = gateway_test_image();
    let http = format!("127.0.0.1:{}", free_port());
    let https = format!("127.0.0.1:{}", free_port());
    let server = start_with(
        Database::Sqlite,
        &[
            ("WINDFLOW_GATEWAY_IMAGE", &image),
            ("WINDFLOW_GATEWAY_HTTP", &http),
            ("WINDFLOW_GATEWAY_HTTPS", &https),
            ("WINDFLOW_PUBLIC_ADDRESS", PUBLIC_ADDRESS),
        ],
    )
    .await;
    let api = server.admin().await.unwrap();
    let created = api
        .post(
            "/orgs/default/dns/providers",
            json!({
                "name": "pdns",
                "kind": "powerdns",
                "zones": ["pdns.test"],
                "api_url": pdns.api_url(),
                "secret": pdns.api_key,
            }),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);
    let mut knot_request = provider_request(&knot, &knot.secret);
    knot_request["zones"] = json!(["example.test", "signed.test"]);
    let created = api
        .post("/orgs/default/dns/providers", knot_request)
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text);

    // Every zone with its DNSSEC state; Knot signs signed.test by its own policy.
    let zone = |body: &serde_json::Value, name: &str| {
        body.as_array()
            .unwrap()
            .iter()
            .find(|z| z["zone"] == name)
            .unwrap_or_else(|| panic!("no zone {name} in {body}"))
            .clone()
    };
    let zones = api.get("/orgs/default/dns/zones").await.unwrap();
    assert_eq!(zones.status, 200, "{}", zones.text);
    assert_eq!(zones.body.as_array().unwrap().len(), 3, "{}", zones.text);
    let pdns_zone = zone(&zones.body, "pdns.test");
    assert_eq!(pdns_zone["provider"], "pdns");
    assert_eq!(pdns_zone["signed"], false, "{}", zones.text);
    assert_eq!(zone(&zones.body, "example.test")["signed"], false);
    let signed = zone(&zones.body, "signed.test");
    assert_eq!(signed["signed"], true, "{}", zones.text);
    assert_eq!(signed["keys"][0]["algorithm"], 13, "{}", zones.text);
    let keymgr: Vec<String> = knot
        .keymgr_ds("signed.test")
        .iter()
        .filter_map(|line| line.split(" DS ").nth(1))
        .map(str::to_ascii_uppercase)
        .collect();
    let reported = signed["ds_records"][0].as_str().unwrap().to_string();
    assert!(
        keymgr.contains(&reported),
        "API {reported}, keymgr {keymgr:?}"
    );

    // A viewer reads the zones but cannot enable signing.
    let viewer = member(&server, &api, "dns-viewer", "default", "viewer").await;
    assert_eq!(
        viewer.get("/orgs/default/dns/zones").await.unwrap().status,
        200
    );
    let refused = viewer
        .post("/orgs/default/dns/zones/pdns.test/dnssec", json!(null))
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.text);

    // PowerDNS signs on request; the DS is what pdnsutil reports.
    let enabled = api
        .post("/orgs/default/dns/zones/pdns.test/dnssec", json!(null))
        .await
        .unwrap();
    assert_eq!(enabled.status, 200, "{}", enabled.text);
    assert_eq!(enabled.body["signed"], true, "{}", enabled.text);
    assert_eq!(enabled.body["keys"][0]["role"], "csk", "{}", enabled.text);
    let pdnsutil: Vec<String> = pdns
        .pdnsutil_ds("pdns.test")
        .iter()
        .map(|d| d.to_ascii_uppercase())
        .collect();
    assert_eq!(
        enabled.body["ds_records"],
        json!(pdnsutil),
        "{}",
        enabled.text
    );
    let zones = api.get("/orgs/default/dns/zones").await.unwrap();
    assert_eq!(
        zone(&zones.body, "pdns.test")["ds_records"],
        json!(pdnsutil)
    );

    // Knot cannot be told to sign through RFC 2136: the answer says what to set.
    let unsupported = api
        .post("/orgs/default/dns/zones/example.test/dnssec", json!(null))
        .await
        .unwrap();
    assert_eq!(unsupported.status, 422, "{}", unsupported.text);
    assert!(
        unsupported.text.contains("dnssec-signing: on"),
        "{}",
        unsupported.text
    );
    // A zone Knot signs already is reported as it is.
    let already = api
        .post("/orgs/default/dns/zones/signed.test/dnssec", json!(null))
        .await
        .unwrap();
    assert_eq!(already.status, 200, "{}", already.text);
    assert_eq!(already.body["ds_records"][0], reported.as_str());
    let unknown = api
        .post("/orgs/default/dns/zones/nowhere.test/dnssec", json!(null))
        .await
        .unwrap();
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert!(unknown.text.contains("nowhere.test"), "{}", unknown.text);

    // Deploy: the domain's record goes through PowerDNS's API.
    let stack = unique_project("dnspdns");
    let _guard = windflow_testkit::ProjectGuard::new(&stack);
    create_stack(&api, &stack, &compose().replace(HOST, PDNS_HOST)).await;
    let done = run_deployment(&api, &stack, "deploy").await;
    let id = done["id"].as_str().unwrap().to_string();
    assert_eq!(
        dig(pdns.port, PDNS_HOST, "A"),
        [PUBLIC_ADDRESS],
        "events: {}",
        serde_json::to_string(&deployment_events(&api, &id).await).unwrap()
    );
    let records = api.get("/orgs/default/dns/records").await.unwrap();
    assert_eq!(records.body[0]["provider"], "pdns", "{}", records.text);
    assert_eq!(records.body[0]["health"], "unchecked", "{}", records.text);

    // Checked on demand: in sync.
    let viewer_check = viewer
        .post("/orgs/default/dns/records/check", json!(null))
        .await
        .unwrap();
    assert_eq!(viewer_check.status, 403, "{}", viewer_check.text);
    let checked = api
        .post("/orgs/default/dns/records/check", json!(null))
        .await
        .unwrap();
    assert_eq!(checked.status, 200, "{}", checked.text);
    assert_eq!(checked.body[0]["health"], "in_sync", "{}", checked.text);
    assert!(
        checked.body[0]["checked_at"].is_string(),
        "{}",
        checked.text
    );

    // Someone changes the record behind WindFlow's back, through PowerDNS's API.
    let replace = |address: &str| {
        json!({ "rrsets": [{
            "name": format!("{PDNS_HOST}."), "type": "A", "ttl": 300, "changetype": "REPLACE",
            "records": [{ "content": address, "disabled": false }],
        }]})
    };
    let patch = |body: serde_json::Value| {
        let url = format!(
            "{}/api/v1/servers/localhost/zones/pdns.test.",
            pdns.api_url()
        );
        let key = pdns.api_key.clone();
        async move {
            let r = reqwest::Client::new()
                .patch(url)
                .header("X-API-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
        }
    };
    patch(replace("192.0.2.66")).await;
    let checked = api
        .post("/orgs/default/dns/records/check", json!(null))
        .await
        .unwrap();
    assert_eq!(checked.body[0]["health"], "mismatch", "{}", checked.text);
    let detail = checked.body[0]["health_detail"]
        .as_str()
        .unwrap_or_default();
    assert!(detail.contains("192.0.2.66"), "{}", checked.text);
    assert!(detail.contains(PUBLIC_ADDRESS), "{}", checked.text);
    let listed = api.get("/orgs/default/dns/records").await.unwrap();
    assert_eq!(listed.body[0]["health"], "mismatch", "{}", listed.text);
    let audit_actions = || async {
        api.get("/orgs/default/audit?action=dns_")
            .await
            .unwrap()
            .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_string(),
                    e["resource"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let actions = audit_actions().await;
    let resource = format!("dns-record/{PDNS_HOST}. A");
    assert!(
        actions.contains(&("dns_record.mismatch".to_string(), resource.clone())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&(
            "dns_zone.dnssec_enable".to_string(),
            "dns-zone/pdns.test".to_string()
        )),
        "{actions:?}"
    );

    // Put back: in sync again, and the recovery is recorded.
    patch(replace(PUBLIC_ADDRESS)).await;
    let checked = api
        .post("/orgs/default/dns/records/check", json!(null))
        .await
        .unwrap();
    assert_eq!(checked.body[0]["health"], "in_sync", "{}", checked.text);
    let actions = audit_actions().await;
    assert!(
        actions.contains(&("dns_record.recovered".to_string(), resource.clone())),
        "{actions:?}"
    );

    // The CLI shows the same: zones with DNSSEC and DS, records with their health.
    let zones_table = windflow_cli(&api, &["dns", "zones"]);
    assert!(zones_table.contains("pdns.test"), "{zones_table}");
    assert!(zones_table.contains(&pdnsutil[0]), "{zones_table}");
    assert!(zones_table.contains("unsigned"), "{zones_table}");
    let records_table = windflow_cli(&api, &["dns", "records", "--check"]);
    assert!(records_table.contains("in sync"), "{records_table}");
    let enabled: serde_json::Value = serde_json::from_str(&windflow_cli(
        &api,
        &["--output", "json", "dns", "dnssec", "enable", "pdns.test"],
    ))
    .unwrap();
    assert_eq!(enabled["ds_records"], json!(pdnsutil));

    // A provider that stops answering: its zones carry the error, the others are read.
    drop(knot);
    let zones = api.get("/orgs/default/dns/zones").await.unwrap();
    assert_eq!(zones.status, 200, "{}", zones.text);
    assert!(
        zone(&zones.body, "signed.test")["error"].is_string(),
        "{}",
        zones.text
    );
    assert!(
        zone(&zones.body, "pdns.test")["error"].is_null(),
        "{}",
        zones.text
    );
    assert_eq!(zone(&zones.body, "pdns.test")["signed"], true);

    run_deployment(&api, &stack, "remove").await;
    assert!(dig(pdns.port, PDNS_HOST, "A").is_empty());
    assert!(
        !server.logs().contains(&pdns.api_key),
        "the API key is in the log"
    );
    remove_gateway(&docker).await;
}

/// Runs `windflow ARGS` against the test server with the API's token; its stdout.
fn windflow_cli(api: &windflow_testkit::server::Api, args: &[&str]) -> String {
    let home = std::env::temp_dir().join(format!("windflow-dns-cli-{}", free_port()));
    std::fs::create_dir_all(&home).unwrap();
    let output = std::process::Command::new(crate::support::bin())
        .args(args)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("NO_COLOR", "1")
        .env("WINDFLOW_SERVER", &api.base)
        .env("WINDFLOW_TOKEN", api.token.as_deref().unwrap_or_default())
        .env_remove("WINDFLOW_ORG")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "windflow {args:?}: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
