//! Outbound calls the server or a target makes on an organization's behalf (an AI provider,
//! a backup repository): public addresses always; loopback, private, link-local and other
//! internal addresses only through a prefix a server administrator allowed, so an
//! organization cannot point WindFlow at the operator's own network.

use std::net::IpAddr;

use crate::error::{ApiError, ApiResult};

/// Whether `ip` is on an internal network.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]) // CGNAT
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// Refuses `url` when its host resolves to an internal address, unless `raw` starts with a
/// prefix in `allowed` (set with the server's `flag`). `what` names the endpoint in errors.
pub async fn check(
    allowed: &[String],
    raw: &str,
    url: &reqwest::Url,
    what: &str,
    flag: &str,
) -> ApiResult<()> {
    if allowed.iter().any(|prefix| {
        raw.trim_end_matches('/')
            .starts_with(prefix.trim_end_matches('/'))
    }) {
        return Ok(());
    }
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| ApiError::BadGateway(format!("{what}'s host {host}: {e}")))?
            .map(|a| a.ip())
            .collect(),
    };
    if let Some(ip) = addresses.into_iter().find(|ip| is_internal(*ip)) {
        return Err(ApiError::Forbidden(format!(
            "{what}'s address {ip} is on an internal network; a server administrator \
             must allow this endpoint (windflow serve {flag} {})",
            raw.trim_end_matches('/')
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["1.1.1.1", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }
}
