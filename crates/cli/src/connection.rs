//! The engine connection from the global flags, as the docker CLI reads them: `-H`/
//! `DOCKER_HOST`, `--tlsverify`/`DOCKER_TLS_VERIFY` with `--tlscacert`, `--tlscert`,
//! `--tlskey` (default: `ca.pem`, `cert.pem`, `key.pem` in `DOCKER_CERT_PATH`, else
//! `~/.docker`), and `--ssh-identity` for `ssh://` hosts.

use std::path::PathBuf;

use windflow_engine::connect::{ConnectOptions, SshIdentity, TlsMaterial};

use crate::Global;
use crate::exit;
use crate::failure::Failure;

fn cert_dir() -> PathBuf {
    std::env::var_os("DOCKER_CERT_PATH")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            dirs::home_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join(".docker")
        })
}

/// The connect options the global flags describe.
pub fn options(g: &Global) -> Result<ConnectOptions, Failure> {
    let mut options = ConnectOptions::host(g.host.as_deref());
    let wants_tls =
        g.tlsverify || g.tlscacert.is_some() || g.tlscert.is_some() || g.tlskey.is_some();
    if wants_tls {
        let dir = cert_dir();
        let ca = g.tlscacert.clone().unwrap_or_else(|| dir.join("ca.pem"));
        let explicit = g.tlscert.is_some() || g.tlskey.is_some();
        let cert = g.tlscert.clone().unwrap_or_else(|| dir.join("cert.pem"));
        let key = g.tlskey.clone().unwrap_or_else(|| dir.join("key.pem"));
        // As the docker CLI: default client files are used when both exist.
        let client = explicit || (cert.exists() && key.exists());
        let material = if client {
            TlsMaterial::from_files(&ca, Some(&cert), Some(&key))
        } else {
            TlsMaterial::from_files(&ca, None, None)
        }
        .map_err(|e| Failure::new(exit::USAGE, e.to_string()))?;
        options.tls = Some(material);
    }
    options.ssh.identities = g
        .ssh_identity
        .iter()
        .cloned()
        .map(SshIdentity::File)
        .collect();
    Ok(options)
}
