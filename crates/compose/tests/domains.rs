//! A service's domains (`x-windflow:`): loaded with their port and TLS mode, interpolated,
//! and refused with file, line and field when malformed, when the port is not one the
//! service exposes, or when two services claim the same host and path.

use windflow_compose::{LoadOptions, load_from_str};
use windflow_domain::{Ingress, StackSpec, TlsMode};

fn load_with(yaml: &str, env: &[(&str, &str)]) -> (StackSpec, Vec<String>) {
    let options = LoadOptions {
        environment: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    };
    let loaded = load_from_str("compose.yaml", yaml, &options)
        .unwrap_or_else(|e| panic!("load failed:\n{e}"));
    let warnings = loaded.warnings.iter().map(|w| w.to_string()).collect();
    (loaded.stack, warnings)
}

fn ingress(yaml: &str) -> Ingress {
    let (stack, warnings) = load_with(yaml, &[]);
    assert!(warnings.is_empty(), "{warnings:?}");
    stack.services["web"].ingress.clone().expect("an ingress")
}

fn refused(yaml: &str) -> String {
    load_from_str("compose.yaml", yaml, &LoadOptions::default())
        .expect_err("the file must be refused")
        .to_string()
}

#[test]
fn domains_port_and_tls_load_as_written() {
    let web = ingress(
        "services:\n  web:\n    image: a\n    expose: [\"8080\"]\n    x-windflow:\n      domains: [\"Shop.Example.test\", \"example.test/api/\"]\n      port: 8080\n      tls: shop-cert\n",
    );
    let domains: Vec<String> = web.domains.iter().map(|d| d.to_string()).collect();
    assert_eq!(domains, ["shop.example.test", "example.test/api"]);
    assert_eq!(web.port, 8080);
    assert_eq!(web.tls, TlsMode::Named("shop-cert".into()));
}

#[test]
fn the_port_defaults_to_the_only_one_declared_and_tls_to_auto() {
    let web = ingress(
        "services:\n  web:\n    image: a\n    ports: [\"8000:80\"]\n    x-windflow:\n      domains: shop.example.test\n",
    );
    assert_eq!(web.port, 80);
    assert_eq!(web.tls, TlsMode::Auto);
    // A service that declares no port may name any: the image decides what it listens on.
    let web = ingress(
        "services:\n  web:\n    image: a\n    x-windflow:\n      domains: [shop.example.test]\n      port: 3000\n",
    );
    assert_eq!(web.port, 3000);
}

#[test]
fn variables_interpolate_into_domains() {
    let (stack, _) = load_with(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [\"shop.${DOMAIN:-example.test}\"]\n",
        &[("DOMAIN", "staging.example.test")],
    );
    let ingress = stack.services["web"].ingress.as_ref().unwrap();
    assert_eq!(ingress.domains[0].to_string(), "shop.staging.example.test");
}

#[test]
fn domains_change_routes_not_containers() {
    let yaml = |domain: &str| {
        format!(
            "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [{domain}]\n"
        )
    };
    let (a, _) = load_with(&yaml("a.example.test"), &[]);
    let (b, _) = load_with(&yaml("b.example.test"), &[]);
    let (none, _) = load_with(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n",
        &[],
    );
    let hash = |s: &StackSpec| windflow_domain::plan::config_hash(s, "web", None);
    assert_eq!(hash(&a), hash(&b));
    // Joining or leaving the gateway's network is a container change.
    assert_ne!(hash(&a), hash(&none));
}

#[test]
fn bad_domains_are_refused_at_their_item() {
    let error = refused(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains:\n        - shop.example.test\n        - \"https://bad host\"\n",
    );
    assert!(
        error.contains("compose.yaml:8: services.web.x-windflow.domains[1]")
            && error.contains("without a scheme"),
        "{error}"
    );
    let error = refused(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [localhost]\n",
    );
    assert!(error.contains("fully qualified"), "{error}");
    let error = refused(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: []\n",
    );
    assert!(error.contains("domains is empty"), "{error}");
}

#[test]
fn a_port_the_service_does_not_expose_is_refused() {
    let error = refused(
        "services:\n  web:\n    image: a\n    ports: [\"8000:80\"]\n    expose: [\"9000-9001\"]\n    x-windflow:\n      domains: [shop.example.test]\n      port: 8080\n",
    );
    assert!(
        error.contains("compose.yaml:8: services.web.x-windflow.port")
            && error.contains("does not expose port 8080 (it declares 80, 9000, 9001)"),
        "{error}"
    );
    let error = refused(
        "services:\n  web:\n    image: a\n    expose: [\"80\", \"443\"]\n    x-windflow:\n      domains: [shop.example.test]\n",
    );
    assert!(
        error.contains("services.web.x-windflow") && error.contains("several ports (80, 443)"),
        "{error}"
    );
    let error = refused(
        "services:\n  web:\n    image: a\n    x-windflow:\n      domains: [shop.example.test]\n",
    );
    assert!(error.contains("declares no port"), "{error}");
}

#[test]
fn two_services_claiming_one_route_are_refused_naming_the_first() {
    let error = refused(
        "services:\n  api:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [example.test/api]\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [example.test, example.test/api]\n",
    );
    assert!(
        error.contains("compose.yaml:11: services.web.x-windflow.domains")
            && error.contains("example.test/api is already the domain of service \"api\""),
        "{error}"
    );
    // The same host under different paths is two routes.
    let (stack, _) = load_with(
        "services:\n  api:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [example.test/api]\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [example.test]\n",
        &[],
    );
    assert!(stack.services.values().all(|s| s.ingress.is_some()));
}

#[test]
fn unknown_extension_keys_and_wildcards_are_warned_about() {
    let (stack, warnings) = load_with(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [\"*.example.test\"]\n      domian: x\n",
        &[],
    );
    assert!(stack.services["web"].ingress.is_some());
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("unknown key \"domian\"")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("DNS-01")),
        "{warnings:?}"
    );
}

#[test]
fn a_service_off_every_network_cannot_have_domains() {
    let error = refused(
        "services:\n  web:\n    image: a\n    network_mode: host\n    x-windflow:\n      domains: [shop.example.test]\n      port: 80\n",
    );
    assert!(
        error.contains("services.web.x-windflow") && error.contains("network_mode \"host\""),
        "{error}"
    );
}

#[test]
fn a_health_path_is_an_absolute_path() {
    let web = ingress(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [shop.example.test]\n      health: /healthz?full=1\n",
    );
    assert_eq!(web.health.as_deref(), Some("/healthz?full=1"));
    let error = refused(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [shop.example.test]\n      health: healthz\n",
    );
    assert!(
        error.contains("compose.yaml:7: services.web.x-windflow.health")
            && error.contains("absolute path"),
        "{error}"
    );
}

#[test]
fn a_body_limit_and_a_timeout_load_in_compose_units() {
    let web = ingress(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [shop.example.test]\n      max_body: 10m\n      timeout: 1m30s\n",
    );
    assert_eq!(web.max_body, Some(10 * 1024 * 1024));
    assert_eq!(web.timeout, Some(std::time::Duration::from_secs(90)));
    let error = refused(
        "services:\n  web:\n    image: a\n    expose: [\"80\"]\n    x-windflow:\n      domains: [shop.example.test]\n      timeout: soon\n",
    );
    assert!(error.contains("services.web.x-windflow.timeout"), "{error}");
}

fn tcp(yaml: &str, service: &str) -> Vec<windflow_domain::TcpForward> {
    let (stack, warnings) = load_with(yaml, &[]);
    assert!(warnings.is_empty(), "{warnings:?}");
    stack.services[service].tcp.clone()
}

#[test]
fn tcp_forwards_load_with_their_port_and_server_names() {
    let forwards = tcp(
        "services:\n  db:\n    image: a\n    expose: [\"5432\"]\n    x-windflow:\n      tcp:\n        - listen: 15432\n        - listen: 8443\n          port: 5432\n          sni: [DB.example.test, replica.example.test]\n",
        "db",
    );
    assert_eq!(
        forwards,
        [
            windflow_domain::TcpForward {
                listen: 15432,
                port: 5432,
                sni: vec![],
            },
            windflow_domain::TcpForward {
                listen: 8443,
                port: 5432,
                sni: vec!["db.example.test".into(), "replica.example.test".into()],
            },
        ]
    );
    // A service with TCP forwards only still joins the gateway's network, and the forwards
    // themselves change routes, not containers.
    let (with, _) = load_with(
        "services:\n  db:\n    image: a\n    expose: [\"5432\"]\n    x-windflow:\n      tcp: [{listen: 15432}]\n",
        &[],
    );
    let (moved, _) = load_with(
        "services:\n  db:\n    image: a\n    expose: [\"5432\"]\n    x-windflow:\n      tcp: [{listen: 25432}]\n",
        &[],
    );
    let (none, _) = load_with(
        "services:\n  db:\n    image: a\n    expose: [\"5432\"]\n",
        &[],
    );
    assert!(with.services["db"].ingress.is_none());
    let deployed = windflow_domain::ingress::with_gateway(&with);
    assert!(
        deployed.services["db"]
            .networks
            .contains_key(windflow_domain::naming::GATEWAY_NETWORK_KEY)
    );
    let hash = |s: &StackSpec| windflow_domain::plan::config_hash(s, "db", None);
    assert_eq!(hash(&with), hash(&moved));
    assert_ne!(hash(&with), hash(&none));
    // Rendered back under x-windflow, and loaded again the same.
    let rendered = windflow_compose::render::render(&with);
    assert_eq!(
        rendered["services"]["db"]["x-windflow"],
        serde_json::json!({"tcp": [{"listen": 15432, "port": 5432}]})
    );
}

#[test]
fn bad_tcp_forwards_are_refused_at_their_field() {
    let error = refused(
        "services:\n  db:\n    image: a\n    expose: [\"5432\"]\n    x-windflow:\n      tcp:\n        - listen: 0\n        - listen: 15432\n          port: 6000\n        - listen: 8443\n          sni: [\"*.example.test\"]\n        - port: 5432\n",
    );
    for expected in [
        "compose.yaml:7: services.db.x-windflow.tcp[0].listen",
        "listen port 0 is not a port",
        "compose.yaml:9: services.db.x-windflow.tcp[1].port",
        "does not expose port 6000 (it declares 5432)",
        "compose.yaml:11: services.db.x-windflow.tcp[2].sni",
        "exact server names",
        "services.db.x-windflow.tcp[3]",
        "listen is missing",
    ] {
        assert!(error.contains(expected), "{expected:?} in {error}");
    }
    let error = refused(
        "services:\n  db:\n    image: a\n    network_mode: host\n    x-windflow:\n      tcp: [{listen: 15432, port: 5432}]\n",
    );
    assert!(error.contains("network_mode \"host\""), "{error}");
}

#[test]
fn two_services_taking_one_listen_port_are_refused_naming_the_first() {
    let error = refused(
        "services:\n  a:\n    image: a\n    expose: [\"5432\"]\n    x-windflow:\n      tcp: [{listen: 15432}]\n  b:\n    image: a\n    expose: [\"5432\"]\n    x-windflow:\n      tcp: [{listen: 15432, sni: [b.example.test]}]\n",
    );
    assert!(
        error.contains("compose.yaml:11: services.b.x-windflow.tcp")
            && error.contains(
                "listen port 15432 is forwarded whole on one side and by TLS server name on \
                 the other by service \"a\" already"
            ),
        "{error}"
    );
    let error = refused(
        "services:\n  a:\n    image: a\n    expose: [\"443\"]\n    x-windflow:\n      tcp: [{listen: 8443, sni: [x.example.test]}]\n  b:\n    image: a\n    expose: [\"443\"]\n    x-windflow:\n      tcp: [{listen: 8443, sni: [y.example.test, x.example.test]}]\n",
    );
    assert!(
        error.contains("listen port 8443 already routes x.example.test by service \"a\""),
        "{error}"
    );
    // Distinct server names share a listen port.
    let (stack, _) = load_with(
        "services:\n  a:\n    image: a\n    expose: [\"443\"]\n    x-windflow:\n      tcp: [{listen: 8443, sni: [x.example.test]}]\n  b:\n    image: a\n    expose: [\"443\"]\n    x-windflow:\n      tcp: [{listen: 8443, sni: [y.example.test]}]\n",
        &[],
    );
    assert!(stack.services.values().all(|s| s.tcp.len() == 1));
}
