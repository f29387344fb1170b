//! Where a service answers from outside: its domains at the target's gateway, the container
//! port the gateway forwards to, and how its certificate is obtained.
//!
//! Declared per service in the compose file under the portable extension `x-windflow`
//! (`docker compose` ignores `x-*` keys), or per stack and environment in the control plane.
//! Everything here is syntax and pure checks; routing, certificates and DNS live in their
//! own crates.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A service's public entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ingress {
    /// The domains the service answers at, in the order given; never empty.
    pub domains: Vec<Domain>,
    /// The container port the gateway forwards to.
    pub port: u16,
    #[serde(default)]
    pub tls: TlsMode,
    /// A path the gateway requests on each replica every few seconds: a replica that does
    /// not answer 2xx is taken out of rotation until it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// Largest request body the gateway lets through (bytes); larger ones get 413.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body: Option<u64>,
    /// How long the gateway waits for a replica's response headers.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::units::opt_go_duration"
    )]
    pub timeout: Option<std::time::Duration>,
}

/// A raw TCP forward of a gateway port to one of the service's container ports
/// (`x-windflow.tcp`), e.g. a database exposed to one network. With `sni`, the port carries
/// TLS that the gateway passes through untouched, picking the service by the ClientHello's
/// server name, so several services may share `listen` with different names.
///
/// A sibling of [`Ingress`] on the service, not a part of it: a service may forward TCP
/// without any domain, and an `Ingress` always has domains.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TcpForward {
    /// The gateway port on the target.
    pub listen: u16,
    /// The container port.
    pub port: u16,
    /// Exact server names, lowercase; empty: the whole port goes to this service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sni: Vec<String>,
}

impl TcpForward {
    /// Whether `self` and `other` (of different services) would take the same connections:
    /// the same listen port, unless both route by SNI with no name in common.
    pub fn conflict(&self, other: &TcpForward) -> Option<String> {
        if self.listen != other.listen {
            return None;
        }
        match (self.sni.is_empty(), other.sni.is_empty()) {
            (true, true) => Some(format!("listen port {} is forwarded whole", self.listen)),
            (true, false) | (false, true) => Some(format!(
                "listen port {} is forwarded whole on one side and by TLS server name on the other",
                self.listen
            )),
            (false, false) => self
                .sni
                .iter()
                .find(|name| other.sni.contains(name))
                .map(|name| format!("listen port {} already routes {name}", self.listen)),
        }
    }
}

/// A TLS server name for SNI routing: a host name as [`parse_host`] takes it, without a
/// wildcard (HAProxy matches the ClientHello's name exactly).
pub fn parse_sni(text: &str) -> Result<String, IngressError> {
    if text.trim().starts_with("*.") {
        return Err(IngressError(format!(
            "{text:?}: TLS passthrough routes exact server names; list each name instead of a wildcard"
        )));
    }
    parse_host(text)
}

/// A host name, optionally with a path prefix: `shop.example.test`, `example.test/api`,
/// `*.example.test`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Domain {
    /// Lowercase ASCII (IDNs in their `xn--` form); a leading `*.` for a wildcard.
    pub host: String,
    /// `None` for the whole host; otherwise starts with `/` and has no trailing `/`.
    pub path: Option<String>,
}

/// How the domains' certificate is obtained.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Issued and renewed by WindFlow through ACME.
    #[default]
    Auto,
    /// Plain HTTP only.
    Off,
    /// A certificate the user stored under this name.
    Named(String),
}

/// Why a domain, a path or a certificate name was refused; the message says what to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IngressError(pub String);

const MAX_HOST: usize = 253;
const MAX_LABEL: usize = 63;

impl Domain {
    /// Whether `self` and `other` claim the same requests: the same host and path prefix.
    pub fn same_route(&self, other: &Domain) -> bool {
        self == other
    }

    pub fn is_wildcard(&self) -> bool {
        self.host.starts_with("*.")
    }
}

impl FromStr for Domain {
    type Err = IngressError;

    fn from_str(text: &str) -> Result<Self, IngressError> {
        let text = text.trim();
        if text.contains("://") {
            return Err(IngressError(format!(
                "{text:?}: write the host without a scheme (the gateway serves both http and https)"
            )));
        }
        let (host, path) = match text.find('/') {
            Some(at) => (&text[..at], Some(&text[at..])),
            None => (text, None),
        };
        let host = parse_host(host)?;
        let path = path.map(parse_path).transpose()?.flatten();
        Ok(Domain { host, path })
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host)?;
        if let Some(path) = &self.path {
            f.write_str(path)?;
        }
        Ok(())
    }
}

impl Serialize for Domain {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Domain {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A host name as a gateway routes it and a CA certifies it: at least two labels of letters,
/// digits and inner hyphens, a leading `*.` allowed for a wildcard. Upper case is folded.
pub fn parse_host(text: &str) -> Result<String, IngressError> {
    let host = text.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return Err(IngressError("the host is empty".into()));
    }
    if !host.is_ascii() {
        return Err(IngressError(format!(
            "{text:?} is not ASCII: write an internationalized name in its xn-- (punycode) form"
        )));
    }
    if host.len() > MAX_HOST {
        return Err(IngressError(format!(
            "{text:?} is longer than {MAX_HOST} characters"
        )));
    }
    if host.contains(':') {
        return Err(IngressError(format!(
            "{text:?}: no port in a domain (the gateway listens on 80 and 443; set x-windflow.port for the container's port)"
        )));
    }
    let rest = host.strip_prefix("*.").unwrap_or(&host);
    let labels: Vec<&str> = rest.split('.').collect();
    if labels.len() < 2 && !host.starts_with("*.") {
        return Err(IngressError(format!(
            "{text:?} is not a fully qualified name (e.g. app.example.com)"
        )));
    }
    for label in labels {
        let fault = if label.is_empty() {
            Some("has an empty label".to_string())
        } else if label.len() > MAX_LABEL {
            Some(format!("has a label longer than {MAX_LABEL} characters"))
        } else if label.contains('*') {
            Some("may hold a wildcard only as its whole first label (*.example.com)".into())
        } else if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            Some(format!(
                "has {label:?}: only letters, digits and hyphens are allowed"
            ))
        } else if label.starts_with('-') || label.ends_with('-') {
            Some(format!(
                "has {label:?}: a label cannot start or end with '-'"
            ))
        } else {
            None
        };
        if let Some(fault) = fault {
            return Err(IngressError(format!("{text:?} {fault}")));
        }
    }
    Ok(host)
}

/// A health-check path: absolute, no whitespace or fragment (a query is kept).
pub fn parse_health_path(text: &str) -> Result<String, IngressError> {
    if !text.starts_with('/')
        || text.chars().any(|c| c.is_whitespace() || c.is_control())
        || text.contains('#')
    {
        return Err(IngressError(format!(
            "health {text:?}: an absolute path such as /healthz, requested on each replica"
        )));
    }
    Ok(text.to_string())
}

/// A path prefix: `/api`, normalized without its trailing `/`; `/` alone is the whole host.
fn parse_path(text: &str) -> Result<Option<String>, IngressError> {
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(IngressError(format!("path {text:?} has whitespace")));
    }
    if text.contains(['?', '#', '*']) {
        return Err(IngressError(format!(
            "path {text:?}: a path prefix has no query, fragment or pattern (it matches {text:?} and everything under it)"
        )));
    }
    if text.split('/').any(|segment| segment == "..") {
        return Err(IngressError(format!("path {text:?} has a '..' segment")));
    }
    let trimmed = text.trim_end_matches('/');
    Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
}

/// The container port the gateway forwards to: `given`, which must be one of the service's
/// `declared` TCP ports when it declares any (a service that declares none may name any: its
/// image decides what it listens on); without `given`, the only declared port.
pub fn resolve_port(given: Option<u16>, declared: &BTreeSet<u16>) -> Result<u16, IngressError> {
    let list = || {
        declared
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match given {
        Some(0) => Err(IngressError("port 0 is not a container port".into())),
        Some(port) if declared.is_empty() || declared.contains(&port) => Ok(port),
        Some(port) => Err(IngressError(format!(
            "the service does not expose port {port} (it declares {}); add it to expose:",
            list()
        ))),
        None => match declared.len() {
            1 => Ok(*declared.first().expect("one port")),
            0 => Err(IngressError(
                "the service declares no port: set x-windflow.port to the container port the gateway forwards to".into(),
            )),
            _ => Err(IngressError(format!(
                "the service declares several ports ({}): set x-windflow.port to the one the gateway forwards to",
                list()
            ))),
        },
    }
}

impl FromStr for TlsMode {
    type Err = IngressError;

    fn from_str(text: &str) -> Result<Self, IngressError> {
        match text {
            "auto" => Ok(TlsMode::Auto),
            "off" => Ok(TlsMode::Off),
            name if is_certificate_name(name) => Ok(TlsMode::Named(name.to_string())),
            other => Err(IngressError(format!(
                "tls {other:?}: use auto (certificates from ACME), off, or the name of a stored certificate (letters, digits, '.', '-', '_')"
            ))),
        }
    }
}

fn is_certificate_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsMode::Auto => f.write_str("auto"),
            TlsMode::Off => f.write_str("off"),
            TlsMode::Named(name) => f.write_str(name),
        }
    }
}

impl Serialize for TlsMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TlsMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The stack as the engine deploys it: each service with domains or TCP forwards also joins
/// the target's
/// gateway network (an external network the gateway owns), answering there as
/// [`gateway_alias`](crate::naming::gateway_alias). A stack without domains is returned
/// as it is.
pub fn with_gateway(stack: &crate::StackSpec) -> std::borrow::Cow<'_, crate::StackSpec> {
    use crate::naming::{GATEWAY_NETWORK, GATEWAY_NETWORK_KEY, gateway_alias};
    let attached = |s: &crate::Service| s.networks.contains_key(GATEWAY_NETWORK_KEY);
    let needed = stack
        .services
        .values()
        .any(|s| s.uses_gateway() && s.network_mode.is_none() && !attached(s));
    if !needed {
        return std::borrow::Cow::Borrowed(stack);
    }
    let mut stack = stack.clone();
    stack.networks.insert(
        GATEWAY_NETWORK_KEY.to_string(),
        crate::Network {
            name: GATEWAY_NETWORK.to_string(),
            external: true,
            ..crate::Network::default()
        },
    );
    let project = stack.name.clone();
    for (name, service) in stack.services.iter_mut() {
        if service.uses_gateway() && service.network_mode.is_none() {
            service.networks.insert(
                GATEWAY_NETWORK_KEY.to_string(),
                crate::ServiceNetwork {
                    aliases: vec![gateway_alias(&project, name)],
                    // The stack's own networks come first (the default route stays theirs).
                    priority: Some(-1),
                    ..crate::ServiceNetwork::default()
                },
            );
        }
    }
    std::borrow::Cow::Owned(stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(text: &str) -> Result<String, String> {
        text.parse::<Domain>()
            .map(|d| d.to_string())
            .map_err(|e| e.0)
    }

    #[test]
    fn hosts_and_paths_are_normalized() {
        assert_eq!(domain("Shop.Example.TEST").unwrap(), "shop.example.test");
        assert_eq!(domain("example.test/api/").unwrap(), "example.test/api");
        assert_eq!(domain("example.test/").unwrap(), "example.test");
        assert_eq!(domain("*.example.test").unwrap(), "*.example.test");
        assert_eq!(
            domain("xn--bcher-kva.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(domain("example.test.").unwrap(), "example.test");
    }

    #[test]
    fn malformed_hosts_say_what_is_wrong() {
        for (text, says) in [
            ("https://example.test", "without a scheme"),
            ("localhost", "fully qualified"),
            ("exa_mple.test", "only letters, digits and hyphens"),
            ("-shop.example.test", "cannot start or end"),
            ("shop..example.test", "empty label"),
            ("a.*.example.test", "wildcard only as its whole first label"),
            ("bücher.example", "punycode"),
            ("example.test:8080", "no port"),
            ("example.test/a b", "whitespace"),
            ("example.test/api?x=1", "no query"),
            ("example.test/../etc", "'..'"),
            ("", "empty"),
        ] {
            let err = domain(text).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
        }
        let long = format!("{}.test", "a".repeat(64));
        assert!(domain(&long).unwrap_err().contains("longer than 63"));
    }

    #[test]
    fn tls_modes_round_trip() {
        for text in ["auto", "off", "shop-cert"] {
            let mode: TlsMode = text.parse().unwrap();
            assert_eq!(mode.to_string(), text);
        }
        assert!(
            "a b"
                .parse::<TlsMode>()
                .unwrap_err()
                .0
                .contains("stored certificate")
        );
        let ingress: Ingress = serde_json::from_str(
            r#"{"domains":["shop.example.test","example.test/api"],"port":8080,"tls":"off"}"#,
        )
        .unwrap();
        assert_eq!(ingress.tls, TlsMode::Off);
        assert_eq!(ingress.domains[1].path.as_deref(), Some("/api"));
        assert!(serde_json::from_str::<Domain>(r#""bad host""#).is_err());
    }

    #[test]
    fn services_with_domains_join_the_gateway_network() {
        let mut stack = crate::StackSpec {
            name: "shop".into(),
            ..Default::default()
        };
        let web = crate::Service {
            ingress: Some(Ingress {
                domains: vec!["shop.example.test".parse().unwrap()],
                port: 80,
                tls: TlsMode::Auto,
                health: None,
                max_body: None,
                timeout: None,
            }),
            ..Default::default()
        };
        stack
            .services
            .insert("db".into(), crate::Service::default());
        stack.services.insert("web".into(), web);
        let db_forward = crate::Service {
            tcp: vec![TcpForward {
                listen: 15432,
                port: 5432,
                sni: vec![],
            }],
            ..Default::default()
        };
        stack.services.insert("pg".into(), db_forward);
        let deployed = with_gateway(&stack);
        let pg = &deployed.services["pg"].networks[crate::naming::GATEWAY_NETWORK_KEY];
        assert_eq!(pg.aliases, ["shop-pg"]);
        let network = &deployed.networks[crate::naming::GATEWAY_NETWORK_KEY];
        assert!(network.external);
        assert_eq!(network.name, crate::naming::GATEWAY_NETWORK);
        let attached = &deployed.services["web"].networks[crate::naming::GATEWAY_NETWORK_KEY];
        assert_eq!(attached.aliases, ["shop-web"]);
        assert!(deployed.services["db"].networks.is_empty());
        // Applying it again changes nothing; a stack without domains is borrowed as is.
        assert!(matches!(
            with_gateway(&deployed),
            std::borrow::Cow::Borrowed(_)
        ));
        stack.services.remove("web");
        stack.services.remove("pg");
        assert!(matches!(
            with_gateway(&stack),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn tcp_forwards_conflict_on_a_shared_port_unless_names_differ() {
        let forward = |listen: u16, sni: &[&str]| TcpForward {
            listen,
            port: 5432,
            sni: sni.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(forward(1, &[]).conflict(&forward(2, &[])), None);
        assert_eq!(
            forward(1, &[]).conflict(&forward(1, &[])).unwrap(),
            "listen port 1 is forwarded whole"
        );
        assert!(forward(1, &["a.test"]).conflict(&forward(1, &[])).is_some());
        assert_eq!(
            forward(1, &["a.test"]).conflict(&forward(1, &["b.test"])),
            None
        );
        assert_eq!(
            forward(1, &["a.test", "b.test"])
                .conflict(&forward(1, &["b.test"]))
                .unwrap(),
            "listen port 1 already routes b.test"
        );
        assert_eq!(parse_sni("DB.Example.test").unwrap(), "db.example.test");
        assert!(parse_sni("*.example.test").unwrap_err().0.contains("exact"));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_round_trips(text in "\\PC{0,80}") {
            if let Ok(parsed) = text.parse::<Domain>() {
                let again: Domain = parsed.to_string().parse().unwrap();
                proptest::prop_assert_eq!(again, parsed);
            }
            let _ = text.parse::<TlsMode>();
        }
    }
}
