//! A service's `x-windflow:` extension → [`windflow_domain::Ingress`]: its domains at the
//! target's gateway, the container port to forward to, and its TLS mode.
//!
//! ```yaml
//! services:
//!   web:
//!     x-windflow:
//!       domains: ["shop.example.test", "example.test/api"]
//!       port: 8080
//!       tls: auto
//!   db:
//!     x-windflow:
//!       tcp:
//!         - listen: 15432          # the gateway port on the target
//!           port: 5432             # the container port (default: the only declared one)
//!           sni: [db.example.test] # optional: TLS passthrough by server name
//! ```
//!
//! `tcp` becomes [`windflow_domain::TcpForward`]s on the service, beside its `Ingress`: a
//! service may forward TCP without any domain.

use std::collections::BTreeMap;

use windflow_domain::ingress::{parse_sni, resolve_port};
use windflow_domain::{Domain, Ingress, Service, TcpForward, TlsMode};

use super::Ctx;
use crate::yaml::{Node, Value};

/// The key of WindFlow's extension in a service.
pub(super) const EXTENSION: &str = "x-windflow";

/// The keys `x-windflow` knows in a service; others are warned about (a later WindFlow may
/// know them) rather than refused.
const KEYS: &[&str] = &[
    "domains", "port", "tls", "health", "max_body", "timeout", "tcp",
];

/// The keys of one `x-windflow.tcp` entry.
const TCP_KEYS: &[&str] = &["listen", "port", "sni"];

/// Reads `x-windflow` of one service, whose ports and `expose` are already converted.
pub(super) fn ingress(
    node: &Node,
    path: &str,
    service: &Service,
    ctx: &mut Ctx<'_>,
) -> Option<Ingress> {
    let fields = ctx.map_or_null(node, path)?.clone();
    for (key, value) in &fields {
        if !KEYS.contains(&key.as_str()) {
            ctx.warn(
                value,
                &format!("{path}.{key}"),
                format!(
                    "unknown key {key:?} in x-windflow (ignored; known: {})",
                    KEYS.join(", ")
                ),
            );
        }
    }
    let domains_node = fields.get("domains")?;
    if let Some(mode) = &service.network_mode {
        ctx.error(
            node,
            path,
            format!(
                "a service with network_mode {mode:?} cannot be reached by the gateway: its domains need it on a network"
            ),
        );
        return None;
    }
    let domains = domains(domains_node, &format!("{path}.domains"), ctx);
    let tls = match fields.get("tls") {
        Some(node) => {
            let at = format!("{path}.tls");
            let text = ctx.string(node, &at)?;
            match text.parse::<TlsMode>() {
                Ok(mode) => mode,
                Err(e) => {
                    ctx.error(node, &at, e.0);
                    return None;
                }
            }
        }
        None => TlsMode::Auto,
    };
    let health = match fields.get("health") {
        Some(node) => {
            let at = format!("{path}.health");
            let text = ctx.string(node, &at)?;
            match windflow_domain::ingress::parse_health_path(&text) {
                Ok(path) => Some(path),
                Err(e) => {
                    ctx.error(node, &at, e.0);
                    return None;
                }
            }
        }
        None => None,
    };
    let max_body = match fields.get("max_body") {
        Some(node) => Some(ctx.bytes(node, &format!("{path}.max_body"))?),
        None => None,
    };
    let timeout = match fields.get("timeout") {
        Some(node) => Some(ctx.duration(node, &format!("{path}.timeout"))?),
        None => None,
    };
    let port = port(fields.get("port"), node, path, service, ctx)?;
    if domains.is_empty() {
        return None;
    }
    if tls == TlsMode::Auto
        && let Some(wildcard) = domains.iter().find(|d| d.is_wildcard())
    {
        // ACME issues wildcards through DNS-01 only; say so now rather than at issuance.
        ctx.warn(
            domains_node,
            &format!("{path}.domains"),
            format!(
                "{wildcard} needs a DNS provider for its zone: ACME issues wildcard certificates through DNS-01 only"
            ),
        );
    }
    Some(Ingress {
        domains,
        port,
        tls,
        health,
        max_body,
        timeout,
    })
}

fn domains(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Vec<Domain> {
    let items: Vec<Node> = match &node.value {
        Value::Seq(items) => items.clone(),
        Value::Null => Vec::new(),
        _ => vec![node.clone()],
    };
    if items.is_empty() {
        ctx.error(node, path, "domains is empty: name at least one host");
    }
    let mut out: Vec<Domain> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Some(text) = ctx.string(item, &at) else {
            continue;
        };
        match text.parse::<Domain>() {
            Ok(domain) if out.contains(&domain) => {
                ctx.error(item, &at, format!("{domain} is listed twice"))
            }
            Ok(domain) => out.push(domain),
            Err(e) => ctx.error(item, &at, e.0),
        }
    }
    out
}

/// The container port: the one given, or the service's only declared TCP port.
fn port(
    given: Option<&Node>,
    extension: &Node,
    path: &str,
    service: &Service,
    ctx: &mut Ctx<'_>,
) -> Option<u16> {
    let declared = service.declared_tcp_ports();
    let (number, node, at) = match given {
        Some(node) => {
            let at = format!("{path}.port");
            (Some(ctx.int_in::<u16>(node, &at)?), node, at)
        }
        None => (None, extension, path.to_string()),
    };
    match resolve_port(number, &declared) {
        Ok(port) => Some(port),
        Err(e) => {
            ctx.error(node, &at, e.0);
            None
        }
    }
}

/// Refuses a host and path claimed by two services of the stack, at the second claim.
pub(super) fn check_unique_routes(
    services: &BTreeMap<String, Service>,
    nodes: &BTreeMap<String, (Node, String)>,
    ctx: &mut Ctx<'_>,
) {
    let mut claimed: BTreeMap<&Domain, &str> = BTreeMap::new();
    for (name, service) in services {
        let Some(ingress) = &service.ingress else {
            continue;
        };
        for domain in &ingress.domains {
            if let Some(first) = claimed.get(domain) {
                if let Some((node, path)) = nodes.get(name) {
                    ctx.error(
                        node,
                        path,
                        format!("{domain} is already the domain of service {first:?}"),
                    );
                }
            } else {
                claimed.insert(domain, name);
            }
        }
    }
}

/// Reads `x-windflow.tcp` of one service, whose ports and `expose` are already converted.
pub(super) fn tcp_forwards(
    extension: &Node,
    path: &str,
    service: &Service,
    ctx: &mut Ctx<'_>,
) -> Vec<TcpForward> {
    let Some(list) = extension.at(&["tcp"]) else {
        return Vec::new();
    };
    let at = format!("{path}.tcp");
    if let Some(mode) = &service.network_mode {
        ctx.error(
            list,
            &at,
            format!(
                "a service with network_mode {mode:?} cannot be reached by the gateway: its TCP forwards need it on a network"
            ),
        );
        return Vec::new();
    }
    let Some(items) = ctx.seq(list, &at) else {
        return Vec::new();
    };
    let declared = service.declared_tcp_ports();
    let mut out: Vec<TcpForward> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_at = format!("{at}[{i}]");
        let Some(fields) = ctx.map(item, &item_at) else {
            continue;
        };
        for (key, value) in fields {
            if !TCP_KEYS.contains(&key.as_str()) {
                ctx.error(
                    value,
                    &format!("{item_at}.{key}"),
                    format!(
                        "unknown key {key:?} in a tcp forward (known: {})",
                        TCP_KEYS.join(", ")
                    ),
                );
            }
        }
        let listen = match fields.get("listen") {
            Some(node) => match ctx.int_in::<u16>(node, &format!("{item_at}.listen")) {
                Some(0) => {
                    ctx.error(
                        node,
                        &format!("{item_at}.listen"),
                        "listen port 0 is not a port: name the gateway port to forward",
                    );
                    None
                }
                other => other,
            },
            None => {
                ctx.error(
                    item,
                    &item_at,
                    "listen is missing: name the gateway port to forward (e.g. listen: 15432)",
                );
                None
            }
        };
        let port = match fields.get("port") {
            Some(node) => {
                let port_at = format!("{item_at}.port");
                match ctx.int_in::<u16>(node, &port_at) {
                    Some(0) => {
                        ctx.error(node, &port_at, "port 0 is not a container port");
                        None
                    }
                    Some(port) if declared.is_empty() || declared.contains(&port) => Some(port),
                    Some(port) => {
                        ctx.error(
                            node,
                            &port_at,
                            format!(
                                "the service does not expose port {port} (it declares {}); add it to expose:",
                                list_ports(&declared)
                            ),
                        );
                        None
                    }
                    None => None,
                }
            }
            None if declared.len() == 1 => declared.first().copied(),
            None => {
                ctx.error(
                    item,
                    &item_at,
                    if declared.is_empty() {
                        "the service declares no port: set port: to the container port to forward to"
                            .to_string()
                    } else {
                        format!(
                            "the service declares several ports ({}): set port: to the one to forward to",
                            list_ports(&declared)
                        )
                    },
                );
                None
            }
        };
        let mut sni: Vec<String> = Vec::new();
        if let Some(node) = fields.get("sni") {
            let sni_at = format!("{item_at}.sni");
            let names = ctx.string_or_list(node, &sni_at);
            for text in &names {
                match parse_sni(text) {
                    Ok(name) if sni.contains(&name) => {
                        ctx.error(node, &sni_at, format!("{name} is listed twice"))
                    }
                    Ok(name) => sni.push(name),
                    Err(e) => ctx.error(node, &sni_at, e.0),
                }
            }
            if names.is_empty() {
                ctx.error(node, &sni_at, "sni is empty: name at least one server name, or leave sni out to forward the whole port");
            }
        }
        let (Some(listen), Some(port)) = (listen, port) else {
            continue;
        };
        let forward = TcpForward { listen, port, sni };
        if let Some(conflict) = out.iter().find_map(|earlier| earlier.conflict(&forward)) {
            ctx.error(
                item,
                &item_at,
                format!("{conflict} by another entry of this service"),
            );
            continue;
        }
        out.push(forward);
    }
    out
}

fn list_ports(ports: &std::collections::BTreeSet<u16>) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refuses a TCP forward that takes connections another service of the stack already takes
/// (the same listen port, unless both route distinct TLS server names), at the second claim.
pub(super) fn check_unique_tcp(
    services: &BTreeMap<String, Service>,
    nodes: &BTreeMap<String, (Node, String)>,
    ctx: &mut Ctx<'_>,
) {
    let mut claimed: Vec<(&TcpForward, &str)> = Vec::new();
    for (name, service) in services {
        for forward in &service.tcp {
            let conflict = claimed
                .iter()
                .find_map(|(earlier, owner)| earlier.conflict(forward).map(|c| (c, *owner)));
            match conflict {
                Some((conflict, first)) => {
                    if let Some((node, path)) = nodes.get(name) {
                        ctx.error(
                            node,
                            path,
                            format!("{conflict} by service {first:?} already"),
                        );
                    }
                }
                None => claimed.push((forward, name)),
            }
        }
    }
}
