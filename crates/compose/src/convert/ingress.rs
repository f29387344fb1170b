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
//! ```

use std::collections::BTreeMap;

use windflow_domain::ingress::resolve_port;
use windflow_domain::{Domain, Ingress, Service, TlsMode};

use super::Ctx;
use crate::yaml::{Node, Value};

/// The key of WindFlow's extension in a service.
pub(super) const EXTENSION: &str = "x-windflow";

/// The keys `x-windflow` knows in a service; others are warned about (a later WindFlow may
/// know them) rather than refused.
const KEYS: &[&str] = &["domains", "port", "tls", "health", "max_body", "timeout"];

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
