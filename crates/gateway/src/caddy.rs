//! The translation of a [`GatewayConfig`] into Caddy's JSON configuration. Pure: data in,
//! JSON out.
//!
//! The shape:
//! - `admin` listens on `localhost:2019` only (inside the gateway container's own network
//!   namespace); `caddy reload` reads that address from the file it is given.
//! - Server `http` on `:80`: HTTP-01 answers first (for any host), then one entry per route and
//!   host — a 308 to `https://` or the proxy — then a 404 for everything else.
//! - Server `https` on `:443` (when a route wants TLS): the TLS routes, then a 404. Caddy
//!   picks the certificate by SNI among `tls.certificates.load_pem`.
//! - Both servers set `automatic_https.disable`: Caddy never obtains, renews or redirects on
//!   its own — WindFlow owns certificates and redirects.
//! - Entries are ordered exact hosts before wildcards, then by host, then longest path prefix
//!   first, so the most specific route answers.

use std::cmp::Reverse;
use std::time::Duration;

use serde_json::{Value, json};

use crate::model::{DYNAMIC_REFRESH, GatewayConfig, HttpRoute, Upstream};
use crate::validate::normalized_prefix;

/// Where Caddy's admin API listens, inside the gateway container.
pub const ADMIN_LISTEN: &str = "localhost:2019";
/// The container ports the two servers listen on.
pub const HTTP_PORT: u16 = 80;
pub const HTTPS_PORT: u16 = 443;

/// How long a request may be retried on other upstreams when one cannot be reached.
const TRY_DURATION: &str = "5s";
const TRY_INTERVAL: &str = "100ms";
/// How long an upstream that failed a request is skipped (passive health check). Short: a
/// rolling redeploy makes every replica fail a dial in turn, and a long window would leave
/// no replica in rotation at the end of it (requests then wait out `TRY_DURATION`).
const PASSIVE_FAIL_DURATION: &str = "2s";

/// Caddy's JSON for `config`. Expects a config [`crate::validate`] accepted. `https_port` is
/// the port clients reach the HTTPS server on (where the gateway is published): redirects to
/// HTTPS name it unless it is 443.
pub fn caddy_json(config: &GatewayConfig, https_port: u16) -> Value {
    let location = if https_port == HTTPS_PORT {
        "https://{http.request.host}{http.request.uri}".to_string()
    } else {
        format!("https://{{http.request.host}}:{https_port}{{http.request.uri}}")
    };
    let entries = ordered_entries(config);
    let mut http_routes: Vec<Value> = config
        .acme_challenges
        .iter()
        .map(|challenge| {
            json!({
                "match": [{"path": [format!("/.well-known/acme-challenge/{}", challenge.token)]}],
                "handle": [{
                    "handler": "static_response",
                    "status_code": 200,
                    "headers": {"Content-Type": ["text/plain"]},
                    "body": challenge.key_authorization,
                }],
                "terminal": true,
            })
        })
        .collect();
    let mut https_routes = Vec::new();
    for (host, route) in &entries {
        if route.tls {
            https_routes.push(proxy_entry(host, route));
        }
        if route.tls && route.redirect_http_to_https {
            http_routes.push(json!({
                "match": [matcher(host, route)],
                "handle": [{
                    "handler": "static_response",
                    "status_code": 308,
                    "headers": {"Location": [location]},
                }],
                "terminal": true,
            }));
        } else {
            http_routes.push(proxy_entry(host, route));
        }
    }
    http_routes.push(not_found());
    let mut servers = serde_json::Map::new();
    servers.insert(
        "http".into(),
        json!({
            "listen": [format!(":{HTTP_PORT}")],
            "automatic_https": {"disable": true},
            "routes": http_routes,
            "errors": errors(),
        }),
    );
    if !https_routes.is_empty() {
        https_routes.push(not_found());
        servers.insert(
            "https".into(),
            json!({
                "listen": [format!(":{HTTPS_PORT}")],
                "automatic_https": {"disable": true},
                "tls_connection_policies": [{}],
                "routes": https_routes,
                "errors": errors(),
            }),
        );
    }
    let mut apps = json!({"http": {"servers": servers}});
    if !config.certificates.is_empty() {
        let load_pem: Vec<Value> = config
            .certificates
            .iter()
            .map(|c| json!({"certificate": c.chain_pem, "key": c.key_pem}))
            .collect();
        apps["tls"] = json!({"certificates": {"load_pem": load_pem}});
    }
    json!({
        "admin": {"listen": ADMIN_LISTEN},
        "apps": apps,
    })
}

/// One entry per (host, route), most specific first.
fn ordered_entries(config: &GatewayConfig) -> Vec<(&str, &HttpRoute)> {
    let mut entries: Vec<(&str, &HttpRoute)> = config
        .routes
        .iter()
        .flat_map(|route| route.hosts.iter().map(move |host| (host.as_str(), route)))
        .collect();
    entries.sort_by_key(|(host, route)| {
        (
            host.starts_with("*."),
            *host,
            Reverse(normalized_prefix(route.path_prefix.as_deref()).len()),
            route.id.as_str(),
        )
    });
    entries
}

fn matcher(host: &str, route: &HttpRoute) -> Value {
    let prefix = normalized_prefix(route.path_prefix.as_deref());
    if prefix.is_empty() {
        json!({"host": [host]})
    } else {
        json!({"host": [host], "path": [prefix, format!("{prefix}/*")]})
    }
}

fn proxy_entry(host: &str, route: &HttpRoute) -> Value {
    let mut handle = Vec::new();
    if let Some(max) = route.max_request_body {
        handle.push(body_too_large(max));
        handle.push(json!({"handler": "request_body", "max_size": max}));
    }
    let (dynamic, fixed): (Vec<&Upstream>, Vec<&Upstream>) =
        route.upstreams.iter().partition(|u| u.every_address);
    let mut proxy = json!({
        "handler": "reverse_proxy",
        "upstreams": fixed
            .iter()
            .map(|u| json!({"dial": u.address()}))
            .collect::<Vec<_>>(),
        "load_balancing": {
            "selection_policy": {"policy": "round_robin"},
            "try_duration": TRY_DURATION,
            "try_interval": TRY_INTERVAL,
        },
        "health_checks": {
            "passive": {"fail_duration": PASSIVE_FAIL_DURATION, "max_fails": 1},
        },
    });
    if let Some(health) = &route.health {
        let mut active = json!({
            "uri": health.path,
            "interval": duration(health.interval),
            "timeout": duration(health.timeout),
        });
        if let Some(status) = health.expect_status {
            active["expect_status"] = json!(status);
        }
        proxy["health_checks"]["active"] = active;
    }
    // Every address of a name, looked up again each `DYNAMIC_REFRESH` (Caddy prefers these
    // and falls back to the fixed ones when a lookup fails). Caddy 2.6 probes only fixed
    // upstreams actively; passive checks and retries cover the dynamic ones.
    let sources: Vec<Value> = dynamic
        .iter()
        .map(|u| {
            json!({
                "source": "a",
                "name": u.host,
                "port": u.port.to_string(),
                "refresh": duration(DYNAMIC_REFRESH),
            })
        })
        .collect();
    match sources.len() {
        0 => {}
        1 => proxy["dynamic_upstreams"] = sources[0].clone(),
        _ => proxy["dynamic_upstreams"] = json!({"source": "multi", "sources": sources}),
    }
    if fixed.is_empty() {
        proxy
            .as_object_mut()
            .expect("an object")
            .remove("upstreams");
    }
    let mut transport = json!({"protocol": "http"});
    if let Some(connect) = route.timeouts.connect {
        transport["dial_timeout"] = json!(duration(connect));
    }
    if let Some(header) = route.timeouts.response_header {
        transport["response_header_timeout"] = json!(duration(header));
    }
    proxy["transport"] = transport;
    handle.push(proxy);
    json!({
        "match": [matcher(host, route)],
        "handle": handle,
        "terminal": true,
    })
}

fn not_found() -> Value {
    json!({
        "handle": [{
            "handler": "static_response",
            "status_code": 404,
            "body": "no route for this host and path\n",
        }],
        "terminal": true,
    })
}

/// A declared `Content-Length` over the limit is answered 413 before the proxy sees the
/// request: Caddy 2.6's proxy would report it as a failed round trip, and the passive health
/// check would take a healthy replica out of rotation for a client's oversized upload. A
/// chunked body without a length still meets `request_body`'s limit.
fn body_too_large(max: u64) -> Value {
    json!({
        "handler": "subroute",
        "routes": [{
            "match": [{"expression": format!(
                "{{http.request.header.Content-Length}} != \"\" && int({{http.request.header.Content-Length}}) > {max}"
            )}],
            "handle": [{"handler": "static_response", "status_code": 413, "body": "request body too large\n"}],
            "terminal": true,
        }],
    })
}

/// Error routes: Caddy 2.6's proxy reports a body over `request_body`'s limit as a 502; it is
/// the client's fault, so it becomes a 413. Other errors keep Caddy's status.
fn errors() -> Value {
    json!({"routes": [{
        "match": [{"expression": "{http.error.message}.contains('request body too large')"}],
        "handle": [{
            "handler": "static_response",
            "status_code": 413,
            "body": "request body too large\n",
        }],
        "terminal": true,
    }]})
}

/// A Caddy duration string in milliseconds (`1500ms`).
fn duration(value: Duration) -> String {
    format!("{}ms", value.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn route(id: &str, hosts: &[&str], prefix: Option<&str>) -> HttpRoute {
        HttpRoute {
            id: id.into(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            path_prefix: prefix.map(String::from),
            upstreams: vec![Upstream::new(format!("{id}-1"), 8080)],
            health: None,
            tls: false,
            redirect_http_to_https: false,
            max_request_body: None,
            timeouts: Timeouts::default(),
        }
    }

    fn check(config: GatewayConfig, expected: Value) {
        crate::validate(&config).unwrap();
        let got = caddy_json(&config, HTTPS_PORT);
        assert_eq!(
            got,
            expected,
            "got:\n{}",
            serde_json::to_string_pretty(&got).unwrap()
        );
    }

    fn proxy(dials: &[&str]) -> Value {
        json!({
            "handler": "reverse_proxy",
            "upstreams": dials.iter().map(|d| json!({"dial": d})).collect::<Vec<_>>(),
            "load_balancing": {
                "selection_policy": {"policy": "round_robin"},
                "try_duration": "5s",
                "try_interval": "100ms",
            },
            "health_checks": {"passive": {"fail_duration": "2s", "max_fails": 1}},
            "transport": {"protocol": "http"},
        })
    }

    fn not_found() -> Value {
        json!({
            "handle": [{"handler": "static_response", "status_code": 404,
                        "body": "no route for this host and path\n"}],
            "terminal": true,
        })
    }

    #[test]
    fn a_plain_http_route_has_no_https_server_and_ends_with_404() {
        check(
            GatewayConfig {
                routes: vec![route("blog", &["blog.test"], None)],
                ..Default::default()
            },
            json!({
                "admin": {"listen": "localhost:2019"},
                "apps": {"http": {"servers": {"http": {
                    "listen": [":80"],
                    "automatic_https": {"disable": true},
                    "routes": [
                        {"match": [{"host": ["blog.test"]}], "handle": [proxy(&["blog-1:8080"])],
                         "terminal": true},
                        not_found(),
                    ],
                    "errors": super::errors(),
                }}}},
            }),
        );
    }

    #[test]
    fn tls_with_redirect_challenges_first_and_certificates_loaded() {
        let mut shop = route("shop", &["shop.test"], None);
        shop.tls = true;
        shop.redirect_http_to_https = true;
        shop.upstreams.push(Upstream::new("shop-2", 8080));
        shop.max_request_body = Some(1_000_000);
        shop.health = Some(ActiveHealthCheck {
            path: "/healthz".into(),
            interval: Duration::from_secs(2),
            timeout: Duration::from_millis(500),
            expect_status: Some(200),
        });
        shop.timeouts = Timeouts {
            connect: Some(Duration::from_secs(1)),
            response_header: Some(Duration::from_secs(30)),
        };
        let mut shop_proxy = proxy(&["shop-1:8080", "shop-2:8080"]);
        shop_proxy["health_checks"]["active"] = json!({
            "uri": "/healthz", "interval": "2000ms", "timeout": "500ms", "expect_status": 200,
        });
        shop_proxy["transport"] = json!({
            "protocol": "http", "dial_timeout": "1000ms", "response_header_timeout": "30000ms",
        });
        let shop_handle = json!([
            super::body_too_large(1_000_000),
            {"handler": "request_body", "max_size": 1_000_000},
            shop_proxy,
        ]);
        check(
            GatewayConfig {
                routes: vec![shop],
                certificates: vec![PemCertificate {
                    chain_pem: "-----BEGIN CERTIFICATE-----\nA\n".into(),
                    key_pem: "-----BEGIN PRIVATE KEY-----\nB\n".into(),
                }],
                acme_challenges: vec![AcmeChallenge {
                    token: "tok_1".into(),
                    key_authorization: "tok_1.thumb".into(),
                }],
                ..Default::default()
            },
            json!({
                "admin": {"listen": "localhost:2019"},
                "apps": {
                    "http": {"servers": {
                        "http": {
                            "listen": [":80"],
                            "automatic_https": {"disable": true},
                            "routes": [
                                {"match": [{"path": ["/.well-known/acme-challenge/tok_1"]}],
                                 "handle": [{"handler": "static_response", "status_code": 200,
                                             "headers": {"Content-Type": ["text/plain"]},
                                             "body": "tok_1.thumb"}],
                                 "terminal": true},
                                {"match": [{"host": ["shop.test"]}],
                                 "handle": [{"handler": "static_response", "status_code": 308,
                                             "headers": {"Location":
                                                 ["https://{http.request.host}{http.request.uri}"]}}],
                                 "terminal": true},
                                not_found(),
                            ],
                            "errors": super::errors(),
                        },
                        "https": {
                            "listen": [":443"],
                            "automatic_https": {"disable": true},
                            "tls_connection_policies": [{}],
                            "routes": [
                                {"match": [{"host": ["shop.test"]}], "handle": shop_handle,
                                 "terminal": true},
                                not_found(),
                            ],
                            "errors": super::errors(),
                        },
                    }},
                    "tls": {"certificates": {"load_pem": [{
                        "certificate": "-----BEGIN CERTIFICATE-----\nA\n",
                        "key": "-----BEGIN PRIVATE KEY-----\nB\n",
                    }]}},
                },
            }),
        );
    }

    #[test]
    fn routes_go_exact_hosts_first_then_by_host_then_longest_prefix() {
        let config = GatewayConfig {
            routes: vec![
                route("wild", &["*.b.test"], None),
                route("root", &["b.test", "a.test"], None),
                route("api", &["b.test"], Some("/api")),
                route("api-v2", &["b.test"], Some("/api/v2/")),
            ],
            ..Default::default()
        };
        crate::validate(&config).unwrap();
        let json = caddy_json(&config, HTTPS_PORT);
        let order: Vec<String> = json["apps"]["http"]["servers"]["http"]["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let m = &r["match"][0];
                format!(
                    "{} {} -> {}",
                    m["host"][0].as_str().unwrap_or("*"),
                    m["path"][0].as_str().unwrap_or(""),
                    r["handle"][0]["upstreams"][0]["dial"]
                        .as_str()
                        .unwrap_or("404")
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                "a.test  -> root-1:8080",
                "b.test /api/v2 -> api-v2-1:8080",
                "b.test /api -> api-1:8080",
                "b.test  -> root-1:8080",
                "*.b.test  -> wild-1:8080",
                "*  -> 404",
            ]
        );
        // A prefix matches itself and what is below it, never a longer sibling (`/apix`).
        assert_eq!(
            json["apps"]["http"]["servers"]["http"]["routes"][2]["match"][0]["path"],
            json!(["/api", "/api/*"])
        );
    }

    #[test]
    fn every_address_of_a_name_is_a_dynamic_a_source_refreshed_every_second() {
        let mut one = route("one", &["one.test"], None);
        one.upstreams = vec![Upstream::every_address("tasks.shop_web", 8080)];
        let mut two = route("two", &["two.test"], None);
        two.upstreams = vec![
            Upstream::every_address("tasks.shop_a", 80),
            Upstream::every_address("tasks.shop_b", 80),
        ];
        let config = GatewayConfig {
            routes: vec![one, two],
            ..Default::default()
        };
        crate::validate(&config).unwrap();
        let json = caddy_json(&config, HTTPS_PORT);
        let routes = &json["apps"]["http"]["servers"]["http"]["routes"];
        let proxy = &routes[0]["handle"][0];
        assert_eq!(proxy["upstreams"], Value::Null, "{proxy}");
        assert_eq!(
            proxy["dynamic_upstreams"],
            json!({"source": "a", "name": "tasks.shop_web", "port": "8080", "refresh": "1000ms"})
        );
        assert_eq!(
            routes[1]["handle"][0]["dynamic_upstreams"]["source"],
            "multi"
        );
        assert_eq!(
            routes[1]["handle"][0]["dynamic_upstreams"]["sources"][1]["name"],
            "tasks.shop_b"
        );
    }

    #[test]
    fn a_tls_route_without_redirect_is_proxied_on_both_servers() {
        let mut both = route("both", &["both.test"], None);
        both.tls = true;
        let json = caddy_json(
            &GatewayConfig {
                routes: vec![both],
                ..Default::default()
            },
            HTTPS_PORT,
        );
        for server in ["http", "https"] {
            assert_eq!(
                json["apps"]["http"]["servers"][server]["routes"][0]["handle"][0]["handler"],
                "reverse_proxy",
                "{server}"
            );
        }
    }

    #[test]
    fn redirects_name_the_https_port_unless_it_is_443() {
        let mut shop = route("shop", &["shop.test"], None);
        shop.tls = true;
        shop.redirect_http_to_https = true;
        let config = GatewayConfig {
            routes: vec![shop],
            ..Default::default()
        };
        let location = |port| {
            caddy_json(&config, port)["apps"]["http"]["servers"]["http"]["routes"][0]["handle"][0]
                ["headers"]["Location"][0]
                .clone()
        };
        assert_eq!(
            location(443),
            "https://{http.request.host}{http.request.uri}"
        );
        assert_eq!(
            location(8443),
            "https://{http.request.host}:8443{http.request.uri}"
        );
    }
}
