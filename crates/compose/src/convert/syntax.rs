//! Short syntaxes that pack several fields into one string: ports (`127.0.0.1:8080:80/udp`)
//! and volumes (`./data:/data:ro,z`). Pure functions, shared by conversion and merging.

use windflow_domain::Port;

/// Parses a short port spec into one `Port` per container port (ranges are expanded).
pub fn parse_port(spec: &str) -> Result<Vec<Port>, String> {
    let invalid = || format!("invalid port {spec:?}");
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((rest, protocol)) => (rest, protocol.to_ascii_lowercase()),
        None => (spec, "tcp".to_string()),
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!(
            "invalid port {spec:?}: unknown protocol {protocol:?} (use tcp, udp or sctp)"
        ));
    }
    let (host_ip, published, target) = if let Some(bracketed) = rest.strip_prefix('[') {
        let (ip, after) = bracketed.split_once(']').ok_or_else(invalid)?;
        let after = after.strip_prefix(':').ok_or_else(invalid)?;
        let (published, target) = after.split_once(':').ok_or_else(invalid)?;
        (Some(ip), Some(published), target)
    } else {
        let parts: Vec<&str> = rest.split(':').collect();
        match parts.as_slice() {
            [target] => (None, None, *target),
            [published, target] => (None, Some(*published), *target),
            [ip, published, target] => (Some(*ip), Some(*published), *target),
            _ => return Err(invalid()),
        }
    };
    let host_ip = host_ip.filter(|ip| !ip.is_empty()).map(str::to_string);
    if host_ip.as_deref().is_some_and(|ip| {
        !ip.chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '%'))
    }) {
        return Err(invalid());
    }
    let target = port_range(target).map_err(|e| e.unwrap_or_else(invalid))?;
    let published = match published.filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(port_range(p).map_err(|e| e.unwrap_or_else(invalid))?),
    };
    let make = |target: u16, published: Option<String>| Port {
        target,
        published,
        host_ip: host_ip.clone(),
        protocol: protocol.clone(),
        name: None,
        app_protocol: None,
    };
    let (t0, t1) = target;
    if t0 == t1 {
        return Ok(vec![make(t0, published.map(range_text))]);
    }
    match published {
        None => Ok((t0..=t1).map(|t| make(t, None)).collect()),
        Some((p0, p1)) if p1 - p0 == t1 - t0 => Ok((t0..=t1)
            .zip(p0..=p1)
            .map(|(t, p)| make(t, Some(p.to_string())))
            .collect()),
        Some(_) => Err(format!(
            "invalid port {spec:?}: host and container port ranges have different sizes"
        )),
    }
}

fn range_text((a, b): (u16, u16)) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// Parses `80` or `8000-8010`. `Err(None)` is a syntax error, `Err(Some(msg))` a range error.
pub fn port_range(text: &str) -> Result<(u16, u16), Option<String>> {
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (a, b),
        None => (text, text),
    };
    let a = port_number(a)?;
    let b = port_number(b)?;
    if a > b {
        return Err(Some(format!(
            "invalid port range {text:?}: start is after end"
        )));
    }
    Ok((a, b))
}

fn port_number(text: &str) -> Result<u16, Option<String>> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(None);
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(Some(format!(
            "invalid port {text:?}: port numbers must be between 1 and 65535"
        ))),
    }
}

/// A short volume spec split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortVolume {
    /// Host path or volume name; `None` for an anonymous volume.
    pub source: Option<String>,
    pub target: String,
    pub options: Vec<String>,
}

impl ShortVolume {
    /// Whether the source is a host path (`/x`, `./x`, `../x`, `~/x`) rather than a volume name.
    pub fn is_bind(&self) -> bool {
        self.source.as_deref().is_some_and(is_host_path)
    }
}

pub fn is_host_path(source: &str) -> bool {
    source.starts_with('/') || source.starts_with('.') || source.starts_with('~')
}

/// Splits `[SOURCE:]TARGET[:OPTIONS]`.
pub fn parse_volume(spec: &str) -> Result<ShortVolume, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target, options) = match parts.as_slice() {
        [target] => (None, *target, ""),
        [source, target] => (Some(*source), *target, ""),
        [source, target, options] => (Some(*source), *target, *options),
        _ => return Err(format!("invalid volume {spec:?}: too many colons")),
    };
    if source == Some("") {
        return Err(format!("invalid volume {spec:?}: empty source"));
    }
    if target.is_empty() {
        return Err(format!("invalid volume {spec:?}: empty target"));
    }
    if !target.starts_with('/') {
        return Err(format!(
            "invalid volume {spec:?}: the container path {target:?} must be absolute"
        ));
    }
    let options = options
        .split(',')
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect();
    Ok(ShortVolume {
        source: source.map(str::to_string),
        target: target.to_string(),
        options,
    })
}

/// The key two port entries are merged by: `{ip, target, published, protocol}`.
pub fn port_key(
    host_ip: Option<&str>,
    target: &str,
    published: Option<&str>,
    protocol: &str,
) -> String {
    format!(
        "{}|{}|{}|{}",
        host_ip.unwrap_or(""),
        target,
        published.unwrap_or(""),
        protocol
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(ports: &[Port]) -> String {
        ports
            .iter()
            .map(|p| {
                format!(
                    "{}{}{}/{}",
                    p.host_ip
                        .as_deref()
                        .map(|ip| format!("[{ip}]"))
                        .unwrap_or_default(),
                    p.published
                        .as_deref()
                        .map(|p| format!("{p}->"))
                        .unwrap_or_default(),
                    p.target,
                    p.protocol
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn check(spec: &str, expected: &str) {
        let got = match parse_port(spec) {
            Ok(ports) => render(&ports),
            Err(e) => format!("!{e}"),
        };
        assert_eq!(got, expected, "spec: {spec:?}");
    }

    #[test]
    fn short_ports() {
        check("80", "80/tcp");
        check("8080:80", "8080->80/tcp");
        check("127.0.0.1:8080:80/udp", "[127.0.0.1]8080->80/udp");
        check("127.0.0.1::80", "[127.0.0.1]80/tcp");
        check("8000-8001:80-81", "8000->80/tcp 8001->81/tcp");
        check("80-81", "80/tcp 81/tcp");
        check("9000-9010:80", "9000-9010->80/tcp");
        check("[::1]:80:80", "[::1]80->80/tcp");
        check("[::1]::53/UDP", "[::1]53/udp");
    }

    #[test]
    fn bad_ports() {
        check("80:abc", "!invalid port \"80:abc\"");
        check("", "!invalid port \"\"");
        check(
            "70000",
            "!invalid port \"70000\": port numbers must be between 1 and 65535",
        );
        check(
            "0:80",
            "!invalid port \"0\": port numbers must be between 1 and 65535",
        );
        check(
            "80/xyz",
            "!invalid port \"80/xyz\": unknown protocol \"xyz\" (use tcp, udp or sctp)",
        );
        check(
            "8000-8002:80-81",
            "!invalid port \"8000-8002:80-81\": host and container port ranges have different sizes",
        );
        check("81-80", "!invalid port range \"81-80\": start is after end");
        check("1:2:3:4", "!invalid port \"1:2:3:4\"");
        check("[::1:80:80", "!invalid port \"[::1:80:80\"");
        check("a b:1:80", "!invalid port \"a b:1:80\"");
    }

    fn check_volume(spec: &str, expected: &str) {
        let got = match parse_volume(spec) {
            Ok(v) => format!(
                "{:?} {} {:?} bind={}",
                v.source,
                v.target,
                v.options,
                v.is_bind()
            ),
            Err(e) => format!("!{e}"),
        };
        assert_eq!(got, expected, "spec: {spec:?}");
    }

    #[test]
    fn short_volumes() {
        check_volume("/data", "None /data [] bind=false");
        check_volume("data:/x:ro", "Some(\"data\") /x [\"ro\"] bind=false");
        check_volume("./dir:/x", "Some(\"./dir\") /x [] bind=true");
        check_volume(
            "/abs:/x:rw,z",
            "Some(\"/abs\") /x [\"rw\", \"z\"] bind=true",
        );
        check_volume("~/x:/x", "Some(\"~/x\") /x [] bind=true");
        check_volume("a:b:c:d", "!invalid volume \"a:b:c:d\": too many colons");
        check_volume(
            "/data:ro",
            "!invalid volume \"/data:ro\": the container path \"ro\" must be absolute",
        );
        check_volume(":/x", "!invalid volume \":/x\": empty source");
    }
}
