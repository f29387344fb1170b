//! Checks a [`GatewayConfig`] before it is translated: every problem found, each naming the
//! route (or challenge, or certificate) at fault and what to change. TCP routes are checked
//! on their own too ([`validate_tcp`]), against the ports the HTTP gateway publishes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{GatewayConfig, HttpRoute, TcpRoute, Upstream};

/// One problem in a [`GatewayConfig`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConfigError {
    #[error("route {route:?}: the id is used by another route too; give each route its own id")]
    DuplicateRouteId { route: String },
    #[error("route {route:?}: no host names; a route needs at least one (unknown hosts get 404)")]
    NoHosts { route: String },
    #[error(
        "route {route:?}: {host:?} is not a valid host name (lowercase letters, digits and \
         hyphens in dot-separated labels, optionally starting with `*.`)"
    )]
    BadHostName { route: String, host: String },
    #[error(
        "route {route:?}: the path prefix {prefix:?} must start with `/` and contain no `*`, \
         `?`, `#` or whitespace"
    )]
    BadPathPrefix { route: String, prefix: String },
    #[error(
        "routes {first:?} and {second:?} both serve host {host:?} at path prefix {prefix:?}; \
         remove one or give it another path prefix"
    )]
    DuplicateRoute {
        host: String,
        prefix: String,
        first: String,
        second: String,
    },
    #[error("route {route:?}: no upstreams; name at least one container and port")]
    NoUpstreams { route: String },
    #[error(
        "route {route:?}: upstream {upstream:?} is not a container name or address with a port"
    )]
    BadUpstream { route: String, upstream: String },
    #[error("route {route:?}: redirect_http_to_https needs tls, or requests would loop")]
    RedirectWithoutTls { route: String },
    #[error(
        "route {route:?}: the health check needs a path starting with `/` and a non-zero \
         interval and timeout"
    )]
    BadHealthCheck { route: String },
    #[error("tcp route {route:?}: the id is used by another TCP route too; give each its own id")]
    DuplicateTcpRouteId { route: String },
    #[error("tcp route {route:?}: listen port 0 is not a port; name the gateway port to forward")]
    BadListenPort { route: String },
    #[error(
        "tcp route {route:?}: listen port {port} is the gateway's HTTP or HTTPS port; pick \
         another"
    )]
    ReservedListenPort { route: String, port: u16 },
    #[error(
        "tcp routes {plain:?} and {sni:?} both use listen port {port}: {plain:?} forwards the \
         whole port, {sni:?} routes by TLS server name (SNI); a port is one or the other, so \
         move one to another port"
    )]
    MixedListenPort {
        port: u16,
        plain: String,
        sni: String,
    },
    #[error(
        "tcp routes {first:?} and {second:?} both forward the whole listen port {port}; give one \
         another port, or route both by TLS server name (sni)"
    )]
    DuplicateListenPort {
        port: u16,
        first: String,
        second: String,
    },
    #[error(
        "tcp routes {first:?} and {second:?} both claim TLS server name {name:?} on listen port \
         {port}; remove it from one"
    )]
    DuplicateSni {
        port: u16,
        name: String,
        first: String,
        second: String,
    },
    #[error(
        "tcp route {route:?}: {name:?} is not a valid TLS server name (an exact lowercase DNS \
         name; wildcards are not supported)"
    )]
    BadSniName { route: String, name: String },
    #[error("tcp route {route:?}: the health check needs a non-zero interval")]
    BadTcpHealthCheck { route: String },
    #[error("ACME challenge token {token:?} is not a base64url token, or is listed twice")]
    BadChallengeToken { token: String },
    #[error("certificate {index}: {problem}")]
    BadCertificate { index: usize, problem: String },
}

/// A refused configuration: every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid gateway configuration: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InvalidConfig(pub Vec<ConfigError>);

/// Checks `config`; `Err` lists every problem.
pub fn validate(config: &GatewayConfig) -> Result<(), InvalidConfig> {
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    // (host, prefix) → the route that claimed it first.
    let mut claimed: BTreeMap<(String, String), String> = BTreeMap::new();
    for route in &config.routes {
        if !ids.insert(route.id.as_str()) {
            problems.push(ConfigError::DuplicateRouteId {
                route: route.id.clone(),
            });
        }
        check_route(route, &mut problems);
        let prefix = normalized_prefix(route.path_prefix.as_deref()).to_string();
        for host in &route.hosts {
            let key = (host.clone(), prefix.clone());
            match claimed.get(&key) {
                Some(first) if first != &route.id => problems.push(ConfigError::DuplicateRoute {
                    host: host.clone(),
                    prefix: if prefix.is_empty() {
                        "/".into()
                    } else {
                        prefix.clone()
                    },
                    first: first.clone(),
                    second: route.id.clone(),
                }),
                Some(_) => {}
                None => {
                    claimed.insert(key, route.id.clone());
                }
            }
        }
    }
    check_tcp_routes(&config.tcp_routes, &[], &mut problems);
    let mut tokens = BTreeSet::new();
    for challenge in &config.acme_challenges {
        let token = &challenge.token;
        let base64url = !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !base64url || !tokens.insert(token.as_str()) {
            problems.push(ConfigError::BadChallengeToken {
                token: token.clone(),
            });
        }
    }
    for (index, certificate) in config.certificates.iter().enumerate() {
        if !certificate
            .chain_pem
            .contains("-----BEGIN CERTIFICATE-----")
        {
            problems.push(ConfigError::BadCertificate {
                index,
                problem: "chain_pem holds no PEM certificate".into(),
            });
        }
        if !certificate.key_pem.contains("PRIVATE KEY-----") {
            problems.push(ConfigError::BadCertificate {
                index,
                problem: "key_pem holds no PEM private key".into(),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InvalidConfig(problems))
    }
}

/// Checks TCP routes alone; `reserved_ports` are the host ports the HTTP gateway publishes
/// (80 and 443 by default), which no TCP route may listen on. `Err` lists every problem.
pub fn validate_tcp(routes: &[TcpRoute], reserved_ports: &[u16]) -> Result<(), InvalidConfig> {
    let mut problems = Vec::new();
    check_tcp_routes(routes, reserved_ports, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InvalidConfig(problems))
    }
}

fn check_tcp_routes(routes: &[TcpRoute], reserved_ports: &[u16], problems: &mut Vec<ConfigError>) {
    let mut ids = BTreeSet::new();
    // listen port → the first route forwarding it whole / the first routing it by SNI.
    let mut plain: BTreeMap<u16, &str> = BTreeMap::new();
    let mut by_sni: BTreeMap<u16, &str> = BTreeMap::new();
    // (port, name) → the route that claimed it first.
    let mut names: BTreeMap<(u16, &str), &str> = BTreeMap::new();
    for route in routes {
        let id = || route.id.clone();
        if !ids.insert(route.id.as_str()) {
            problems.push(ConfigError::DuplicateTcpRouteId { route: id() });
        }
        let port = route.listen;
        if port == 0 {
            problems.push(ConfigError::BadListenPort { route: id() });
        } else if reserved_ports.contains(&port) {
            problems.push(ConfigError::ReservedListenPort { route: id(), port });
        }
        if route.sni.is_empty() {
            if let Some(first) = plain.get(&port) {
                problems.push(ConfigError::DuplicateListenPort {
                    port,
                    first: first.to_string(),
                    second: id(),
                });
            } else {
                plain.insert(port, &route.id);
            }
            if let Some(sni) = by_sni.get(&port) {
                problems.push(ConfigError::MixedListenPort {
                    port,
                    plain: id(),
                    sni: sni.to_string(),
                });
            }
        } else {
            if !by_sni.contains_key(&port)
                && let Some(first) = plain.get(&port)
            {
                problems.push(ConfigError::MixedListenPort {
                    port,
                    plain: first.to_string(),
                    sni: id(),
                });
            }
            by_sni.entry(port).or_insert(&route.id);
        }
        for name in &route.sni {
            if name.starts_with("*.") || !is_valid_host(name) {
                problems.push(ConfigError::BadSniName {
                    route: id(),
                    name: name.clone(),
                });
                continue;
            }
            match names.get(&(port, name.as_str())) {
                Some(first) => problems.push(ConfigError::DuplicateSni {
                    port,
                    name: name.clone(),
                    first: first.to_string(),
                    second: id(),
                }),
                None => {
                    names.insert((port, name), &route.id);
                }
            }
        }
        if route.upstreams.is_empty() {
            problems.push(ConfigError::NoUpstreams { route: id() });
        }
        for upstream in &route.upstreams {
            if !is_valid_upstream(upstream) {
                problems.push(ConfigError::BadUpstream {
                    route: id(),
                    upstream: upstream.address(),
                });
            }
        }
        if route.health.as_ref().is_some_and(|h| h.interval.is_zero()) {
            problems.push(ConfigError::BadTcpHealthCheck { route: id() });
        }
    }
}

fn check_route(route: &HttpRoute, problems: &mut Vec<ConfigError>) {
    let id = || route.id.clone();
    if route.hosts.is_empty() {
        problems.push(ConfigError::NoHosts { route: id() });
    }
    for host in &route.hosts {
        if !is_valid_host(host) {
            problems.push(ConfigError::BadHostName {
                route: id(),
                host: host.clone(),
            });
        }
    }
    if let Some(prefix) = &route.path_prefix
        && (!prefix.starts_with('/')
            || prefix
                .chars()
                .any(|c| matches!(c, '*' | '?' | '#') || c.is_whitespace()))
    {
        problems.push(ConfigError::BadPathPrefix {
            route: id(),
            prefix: prefix.clone(),
        });
    }
    if route.upstreams.is_empty() {
        problems.push(ConfigError::NoUpstreams { route: id() });
    }
    for upstream in &route.upstreams {
        if !is_valid_upstream(upstream) {
            problems.push(ConfigError::BadUpstream {
                route: id(),
                upstream: upstream.address(),
            });
        }
    }
    if route.redirect_http_to_https && !route.tls {
        problems.push(ConfigError::RedirectWithoutTls { route: id() });
    }
    if let Some(health) = &route.health
        && (!health.path.starts_with('/')
            || health.path.chars().any(char::is_whitespace)
            || health.interval.is_zero()
            || health.timeout.is_zero())
    {
        problems.push(ConfigError::BadHealthCheck { route: id() });
    }
}

/// The prefix as matched: `None`, `""` and `/` match everything (empty); a trailing `/` is
/// dropped (`/api/` is `/api`).
pub(crate) fn normalized_prefix(prefix: Option<&str>) -> &str {
    prefix.unwrap_or("").trim_end_matches('/')
}

/// A DNS name of lowercase labels (`a-z0-9-`, 1–63 characters, no hyphen at either end),
/// at most 253 characters, optionally `*.` then such a name.
pub fn is_valid_host(host: &str) -> bool {
    let name = host.strip_prefix("*.").unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// A container name, network alias or IPv4 address (`[A-Za-z0-9_.-]`), and a port.
fn is_valid_upstream(upstream: &Upstream) -> bool {
    upstream.port != 0
        && !upstream.host.is_empty()
        && upstream.host.len() <= 253
        && upstream
            .host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::*;

    fn route(id: &str, hosts: &[&str], prefix: Option<&str>) -> HttpRoute {
        HttpRoute {
            id: id.into(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            path_prefix: prefix.map(String::from),
            upstreams: vec![Upstream::new("web-1", 8080)],
            health: None,
            tls: false,
            redirect_http_to_https: false,
            max_request_body: None,
            timeouts: Timeouts::default(),
        }
    }

    fn check(config: GatewayConfig, expected: &[&str]) {
        let got: Vec<String> = match validate(&config) {
            Ok(()) => Vec::new(),
            Err(InvalidConfig(problems)) => problems.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn a_sound_config_passes() {
        check(
            GatewayConfig {
                routes: vec![
                    route("shop", &["shop.example.com", "*.shop.example.com"], None),
                    route("api", &["shop.example.com"], Some("/api")),
                ],
                ..Default::default()
            },
            &[],
        );
    }

    #[test]
    fn the_same_host_and_prefix_twice_names_both_routes() {
        check(
            GatewayConfig {
                routes: vec![
                    route("a", &["x.test"], Some("/api/")),
                    route("b", &["x.test"], Some("/api")),
                    route("c", &["x.test"], None),
                    route("d", &["x.test"], Some("/")),
                ],
                ..Default::default()
            },
            &[
                "routes \"a\" and \"b\" both serve host \"x.test\" at path prefix \"/api\"; \
                 remove one or give it another path prefix",
                "routes \"c\" and \"d\" both serve host \"x.test\" at path prefix \"/\"; \
                 remove one or give it another path prefix",
            ],
        );
    }

    #[test]
    fn bad_hosts_paths_upstreams_and_checks_are_each_reported() {
        let mut bad = route(
            "bad",
            &["Shop.example.com", "-x.test", "a..b", "*"],
            Some("api*"),
        );
        bad.upstreams = vec![Upstream::new("web 1", 80), Upstream::new("web", 0)];
        bad.redirect_http_to_https = true;
        bad.health = Some(ActiveHealthCheck {
            path: "health".into(),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            expect_status: None,
        });
        let mut empty = route("empty", &[], None);
        empty.upstreams.clear();
        let config = GatewayConfig {
            routes: vec![bad, empty],
            tcp_routes: vec![TcpRoute {
                id: "db".into(),
                listen: 0,
                sni: vec![],
                upstreams: vec![Upstream::new("db", 5432)],
                health: None,
            }],
            certificates: vec![PemCertificate {
                chain_pem: "nope".into(),
                key_pem: "-----BEGIN PRIVATE KEY-----".into(),
            }],
            acme_challenges: vec![AcmeChallenge {
                token: "../etc".into(),
                key_authorization: "x".into(),
            }],
        };
        let problems = validate(&config).unwrap_err().0;
        let kinds: Vec<&str> = problems
            .iter()
            .map(|p| match p {
                ConfigError::BadHostName { .. } => "host",
                ConfigError::BadPathPrefix { .. } => "prefix",
                ConfigError::BadUpstream { .. } => "upstream",
                ConfigError::RedirectWithoutTls { .. } => "redirect",
                ConfigError::BadHealthCheck { .. } => "health",
                ConfigError::NoHosts { .. } => "no hosts",
                ConfigError::NoUpstreams { .. } => "no upstreams",
                ConfigError::BadListenPort { .. } => "tcp",
                ConfigError::BadChallengeToken { .. } => "token",
                ConfigError::BadCertificate { .. } => "certificate",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "host",
                "host",
                "host",
                "host",
                "prefix",
                "upstream",
                "upstream",
                "redirect",
                "health",
                "no hosts",
                "no upstreams",
                "tcp",
                "token",
                "certificate"
            ]
        );
        let message = InvalidConfig(problems).to_string();
        assert!(
            message.contains("\"Shop.example.com\" is not a valid host name"),
            "{message}"
        );
        assert!(message.contains("listen port 0 is not a port"), "{message}");
    }

    fn tcp(id: &str, listen: u16, sni: &[&str]) -> TcpRoute {
        TcpRoute {
            id: id.into(),
            listen,
            sni: sni.iter().map(|n| n.to_string()).collect(),
            upstreams: vec![Upstream::new("db-1", 5432)],
            health: None,
        }
    }

    fn check_tcp(routes: &[TcpRoute], reserved: &[u16], expected: &[&str]) {
        let got: Vec<String> = match validate_tcp(routes, reserved) {
            Ok(()) => Vec::new(),
            Err(InvalidConfig(problems)) => problems.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn tcp_routes_share_a_port_only_by_distinct_server_names() {
        check_tcp(
            &[
                tcp("db", 15432, &[]),
                tcp("a", 8443, &["a.example.test"]),
                tcp("b", 8443, &["b.example.test", "c.example.test"]),
            ],
            &[80, 443],
            &[],
        );
    }

    #[test]
    fn every_tcp_problem_is_reported_at_once() {
        let mut bad = tcp("bad", 9000, &["Bad.test", "*.wild.test"]);
        bad.upstreams = vec![Upstream::new("db 1", 5432)];
        let mut empty = tcp("empty", 9001, &[]);
        empty.upstreams.clear();
        empty.health = Some(TcpHealthCheck {
            interval: Duration::ZERO,
        });
        check_tcp(
            &[
                tcp("plain", 8443, &[]),
                tcp("a", 8443, &["a.test"]),
                tcp("b", 8443, &["a.test"]),
                tcp("again", 8443, &[]),
                tcp("web", 443, &[]),
                tcp("plain", 7000, &[]),
                bad,
                empty,
            ],
            &[80, 443],
            &[
                "tcp routes \"plain\" and \"a\" both use listen port 8443: \"plain\" forwards the \
                 whole port, \"a\" routes by TLS server name (SNI); a port is one or the other, \
                 so move one to another port",
                "tcp routes \"a\" and \"b\" both claim TLS server name \"a.test\" on listen port \
                 8443; remove it from one",
                "tcp routes \"plain\" and \"again\" both forward the whole listen port 8443; give \
                 one another port, or route both by TLS server name (sni)",
                "tcp routes \"again\" and \"a\" both use listen port 8443: \"again\" forwards the \
                 whole port, \"a\" routes by TLS server name (SNI); a port is one or the other, \
                 so move one to another port",
                "tcp route \"web\": listen port 443 is the gateway's HTTP or HTTPS port; pick \
                 another",
                "tcp route \"plain\": the id is used by another TCP route too; give each its own id",
                "tcp route \"bad\": \"Bad.test\" is not a valid TLS server name (an exact \
                 lowercase DNS name; wildcards are not supported)",
                "tcp route \"bad\": \"*.wild.test\" is not a valid TLS server name (an exact \
                 lowercase DNS name; wildcards are not supported)",
                "route \"bad\": upstream \"db 1:5432\" is not a container name or address with a \
                 port",
                "route \"empty\": no upstreams; name at least one container and port",
                "tcp route \"empty\": the health check needs a non-zero interval",
            ],
        );
    }
}
