//! `tcp://` with TLS: dockerd's `--tlsverify` listener, reached with the CA that signed the
//! engine's certificate and (normally) a client certificate and key, as the docker CLI's
//! `--tlscacert`, `--tlscert` and `--tlskey` do.
//!
//! Invariant: the engine's certificate is checked against the given CA only (never the
//! system's roots) and against the host name or IP address of the endpoint.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;

use super::{ConnectError, Dial, Io};

/// The PEM material of a TLS connection. `source` names where it came from (file paths or
/// "the target's configuration") for error messages.
#[derive(Clone)]
pub struct TlsMaterial {
    pub ca_pem: Vec<u8>,
    pub cert_pem: Option<Vec<u8>>,
    pub key_pem: Option<Vec<u8>>,
    pub source: String,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("source", &self.source)
            .field("client_certificate", &self.cert_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl TlsMaterial {
    /// Reads the CA and, when given, the client certificate and key from files.
    pub fn from_files(
        ca: &Path,
        cert: Option<&Path>,
        key: Option<&Path>,
    ) -> Result<Self, ConnectError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| ConnectError::Tls {
                source_name: path.display().to_string(),
                message: format!("cannot read it: {e}"),
            })
        };
        if cert.is_some() != key.is_some() {
            return Err(ConnectError::Tls {
                source_name: cert.or(key).unwrap_or(ca).display().to_string(),
                message: "a client certificate needs its key (--tlscert and --tlskey go together)"
                    .into(),
            });
        }
        let mut sources = vec![ca.display().to_string()];
        sources.extend(cert.map(|p| p.display().to_string()));
        sources.extend(key.map(|p| p.display().to_string()));
        Ok(Self {
            ca_pem: read(ca)?,
            cert_pem: cert.map(read).transpose()?,
            key_pem: key.map(read).transpose()?,
            source: sources.join(", "),
        })
    }

    /// The rustls client configuration: roots from the CA only, the client certificate
    /// when present. The provider is chosen here (aws-lc-rs), so no process-wide default is
    /// needed.
    pub(crate) fn client_config(&self) -> Result<rustls::ClientConfig, ConnectError> {
        let err = |message: String| ConnectError::Tls {
            source_name: self.source.clone(),
            message,
        };
        let mut roots = rustls::RootCertStore::empty();
        let cas: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&self.ca_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| err(format!("the CA is not PEM certificates: {e}")))?;
        if cas.is_empty() {
            return Err(err("the CA file holds no PEM certificate".into()));
        }
        for ca in cas {
            roots
                .add(ca)
                .map_err(|e| err(format!("the CA certificate is invalid: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| err(e.to_string()))?
            .with_root_certificates(roots);
        match (&self.cert_pem, &self.key_pem) {
            (Some(cert), Some(key)) => {
                let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
                    .collect::<Result<_, _>>()
                    .map_err(|e| err(format!("the client certificate is not PEM: {e}")))?;
                if chain.is_empty() {
                    return Err(err(
                        "the client certificate file holds no certificate".into()
                    ));
                }
                let key = PrivateKeyDer::from_pem_slice(key)
                    .map_err(|e| err(format!("the client key is not a PEM private key: {e}")))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| err(format!("the client certificate and key do not fit: {e}")))
            }
            _ => Ok(builder.with_no_client_auth()),
        }
    }
}

/// Opens TCP connections and runs the TLS handshake on each.
pub(crate) struct TlsDialer {
    pub address: String,
    pub server_name: ServerName<'static>,
    pub connector: tokio_rustls::TlsConnector,
}

impl TlsDialer {
    pub fn new(host: &str, port: u16, material: &TlsMaterial) -> Result<Self, ConnectError> {
        let config = material.client_config()?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let server_name =
            ServerName::try_from(bare.to_string()).map_err(|e| ConnectError::InvalidHost {
                host: host.to_string(),
                reason: format!("not a valid TLS server name: {e}"),
            })?;
        Ok(Self {
            address: format!("{host}:{port}"),
            server_name,
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }
}

#[async_trait::async_trait]
impl Dial for TlsDialer {
    async fn dial(&self) -> std::io::Result<Io> {
        let tcp = TcpStream::connect(&self.address).await?;
        tcp.set_nodelay(true)?;
        let tls = self
            .connector
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| std::io::Error::other(format!("TLS handshake failed: {e}")))?;
        Ok(Io::new(tls))
    }
}
