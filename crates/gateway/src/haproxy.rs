//! The pure translation of TCP routes into an HAProxy 2.6 configuration
//! ([`haproxy_cfg`]), tested as data. Nothing here does I/O.
//!
//! One `frontend` per listen port, bound on that port inside the container (the runtime
//! publishes it on the same host port), and one `backend` per route. A plain port sends every
//! connection to its one route. A port routed by SNI waits (`tcp-request inspect-delay`) for
//! the TLS ClientHello and picks the backend by `req.ssl_sni`; the bytes go through
//! untouched, so the client sees the upstream's certificate. A name no route lists gets no
//! backend, and HAProxy closes the connection.
//!
//! Upstreams are container names resolved through Docker's embedded DNS
//! (`parse-resolv-conf`) every second, so a recreated container's new address is followed, and
//! a name that does not resolve yet neither stops HAProxy nor fails `haproxy -c`
//! (`init-addr libc,none`). No stats socket and no `stats` listener exist: nothing in the
//! configuration can be published that controls the proxy.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::TcpRoute;

/// How long a port routed by SNI waits for the ClientHello before closing the connection.
pub const SNI_INSPECT_DELAY: &str = "5s";

/// The HAProxy configuration serving `routes` (assumed valid, see
/// [`crate::validate_tcp`]).
pub fn haproxy_cfg(routes: &[TcpRoute]) -> String {
    let mut cfg = String::from(
        "# Written by WindFlow; replaced whole on every change.\n\
         global\n    \
             log stderr format raw local0 notice\n\
         \n\
         resolvers docker\n    \
             parse-resolv-conf\n    \
             hold valid 1s\n    \
             timeout resolve 1s\n    \
             timeout retry 1s\n\
         \n\
         defaults\n    \
             mode tcp\n    \
             log global\n    \
             timeout connect 5s\n    \
             timeout client 1h\n    \
             timeout server 1h\n    \
             timeout check 2s\n    \
             default-server resolvers docker init-addr libc,none\n",
    );
    // listen port → (routes in order) with their backend names.
    let mut ports: BTreeMap<u16, Vec<(&TcpRoute, String)>> = BTreeMap::new();
    for (index, route) in routes.iter().enumerate() {
        ports
            .entry(route.listen)
            .or_default()
            .push((route, backend_name(index, &route.id)));
    }
    for (port, routes) in &ports {
        let _ = write!(cfg, "\nfrontend port_{port}\n    bind :{port}\n");
        let by_sni = routes.iter().any(|(route, _)| !route.sni.is_empty());
        if by_sni {
            let _ = write!(
                cfg,
                "    tcp-request inspect-delay {SNI_INSPECT_DELAY}\n    \
                 tcp-request content accept if {{ req.ssl_hello_type 1 }}\n"
            );
            for (route, backend) in routes {
                let _ = writeln!(
                    cfg,
                    "    use_backend {backend} if {{ req.ssl_sni -i {} }}",
                    route.sni.join(" ")
                );
            }
        } else if let Some((_, backend)) = routes.first() {
            let _ = writeln!(cfg, "    default_backend {backend}");
        }
    }
    for (index, route) in routes.iter().enumerate() {
        let _ = write!(
            cfg,
            "\nbackend {}\n    # route {:?}\n    balance roundrobin\n",
            backend_name(index, &route.id),
            route.id
        );
        if let Some(health) = &route.health {
            let _ = writeln!(
                cfg,
                "    default-server check inter {}ms fall 2 rise 1",
                health.interval.as_millis().max(1)
            );
        }
        for (number, upstream) in route.upstreams.iter().enumerate() {
            if upstream.every_address {
                // One server slot per address the name resolves to (Swarm's `tasks.<service>`),
                // filled and emptied by the resolver as tasks come and go.
                let _ = writeln!(
                    cfg,
                    "    server-template s{number}_ {MAX_ADDRESSES} {} init-addr none",
                    upstream.address()
                );
            } else {
                let _ = writeln!(cfg, "    server s{number} {}", upstream.address());
            }
        }
    }
    cfg
}

/// How many addresses of an `every_address` upstream a backend can hold (server slots).
const MAX_ADDRESSES: usize = 16;

/// `tcp_<index>_<id with anything but [A-Za-z0-9_.-] as _>`: unique, and still readable in
/// HAProxy's messages.
fn backend_name(index: usize, id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("tcp_{index}_{id}")
}

/// The listen ports `routes` need published, ascending, each once.
pub fn listen_ports(routes: &[TcpRoute]) -> Vec<u16> {
    let mut ports: Vec<u16> = routes.iter().map(|r| r.listen).collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{TcpHealthCheck, Upstream};

    fn check(routes: &[TcpRoute], expected_after_defaults: &str) {
        let cfg = haproxy_cfg(routes);
        let (_, rest) = cfg
            .split_once("init-addr libc,none\n")
            .expect("the defaults section");
        assert_eq!(rest, expected_after_defaults, "whole configuration:\n{cfg}");
    }

    fn route(id: &str, listen: u16, sni: &[&str], upstreams: &[(&str, u16)]) -> TcpRoute {
        TcpRoute {
            id: id.into(),
            listen,
            sni: sni.iter().map(|s| s.to_string()).collect(),
            upstreams: upstreams
                .iter()
                .map(|(h, p)| Upstream::new(*h, *p))
                .collect(),
            health: None,
        }
    }

    #[test]
    fn the_preamble_resolves_through_docker_and_has_no_stats_or_socket() {
        let cfg = haproxy_cfg(&[]);
        assert!(
            cfg.contains("resolvers docker\n    parse-resolv-conf\n"),
            "{cfg}"
        );
        assert!(cfg.contains("    mode tcp\n"), "{cfg}");
        assert!(!cfg.contains("stats"), "{cfg}");
        assert!(!cfg.contains("socket"), "{cfg}");
    }

    #[test]
    fn every_address_of_a_name_gets_server_slots_the_resolver_fills() {
        let mut db = route("shop/db", 15432, &[], &[]);
        db.upstreams = vec![Upstream::every_address("tasks.shop_db", 5432)];
        check(
            &[db],
            "\nfrontend port_15432\n    bind :15432\n    default_backend tcp_0_shop_db\n\
             \nbackend tcp_0_shop_db\n    # route \"shop/db\"\n    balance roundrobin\n    \
             server-template s0_ 16 tasks.shop_db:5432 init-addr none\n",
        );
    }

    #[test]
    fn a_plain_port_forwards_everything_to_its_route() {
        let mut db = route(
            "shop/db",
            15432,
            &[],
            &[("shop-db-1", 5432), ("shop-db-2", 5432)],
        );
        db.health = Some(TcpHealthCheck {
            interval: Duration::from_secs(2),
        });
        check(
            &[db],
            "\nfrontend port_15432\n    bind :15432\n    default_backend tcp_0_shop_db\n\
             \nbackend tcp_0_shop_db\n    # route \"shop/db\"\n    balance roundrobin\n    \
             default-server check inter 2000ms fall 2 rise 1\n    \
             server s0 shop-db-1:5432\n    server s1 shop-db-2:5432\n",
        );
    }

    #[test]
    fn routes_sharing_a_port_are_picked_by_sni_and_ports_come_in_order() {
        check(
            &[
                route("a", 8443, &["a.example.test"], &[("a-1", 443)]),
                route("plain", 7000, &[], &[("echo-1", 7000)]),
                route(
                    "b",
                    8443,
                    &["b.example.test", "c.example.test"],
                    &[("b-1", 443)],
                ),
            ],
            "\nfrontend port_7000\n    bind :7000\n    default_backend tcp_1_plain\n\
             \nfrontend port_8443\n    bind :8443\n    tcp-request inspect-delay 5s\n    \
             tcp-request content accept if { req.ssl_hello_type 1 }\n    \
             use_backend tcp_0_a if { req.ssl_sni -i a.example.test }\n    \
             use_backend tcp_2_b if { req.ssl_sni -i b.example.test c.example.test }\n\
             \nbackend tcp_0_a\n    # route \"a\"\n    balance roundrobin\n    server s0 a-1:443\n\
             \nbackend tcp_1_plain\n    # route \"plain\"\n    balance roundrobin\n    \
             server s0 echo-1:7000\n\
             \nbackend tcp_2_b\n    # route \"b\"\n    balance roundrobin\n    server s0 b-1:443\n",
        );
    }

    #[test]
    fn listen_ports_are_sorted_and_distinct() {
        let routes = [
            route("a", 8443, &["a.test"], &[("a", 1)]),
            route("p", 7000, &[], &[("p", 1)]),
            route("b", 8443, &["b.test"], &[("b", 1)]),
        ];
        assert_eq!(listen_ports(&routes), [7000, 8443]);
    }
}
