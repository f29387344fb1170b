//! The HTTPS transport under instant-acme: hyper + rustls with the aws-lc-rs provider chosen
//! here (no process-wide default), the system roots or an operator-supplied root for a
//! private CA, a per-request timeout, and transport failures classified so they become
//! `AcmeError::Unreachable` or `AcmeError::UntrustedCaRoot`.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Request;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use instant_acme::{BodyWrapper, BytesResponse, HttpClient};
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::AcmeError;

/// Why a request never got an HTTP response; carried inside `instant_acme::Error::Other`
/// and turned into an `AcmeError` by `from_acme`.
#[derive(Debug)]
pub(crate) struct TransportError {
    pub(crate) url: String,
    pub(crate) kind: TransportErrorKind,
    pub(crate) reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportErrorKind {
    Unreachable,
    UntrustedCertificate,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.url, self.reason)
    }
}

impl StdError for TransportError {}

impl From<TransportError> for AcmeError {
    fn from(e: TransportError) -> Self {
        match e.kind {
            TransportErrorKind::Unreachable => AcmeError::Unreachable {
                url: e.url,
                reason: e.reason,
            },
            TransportErrorKind::UntrustedCertificate => AcmeError::UntrustedCaRoot {
                url: e.url,
                reason: e.reason,
            },
        }
    }
}

/// Maps instant-acme's error, with the `Retry-After` the transport saw, to `AcmeError`.
pub(crate) fn from_acme(error: instant_acme::Error, retry_after: Option<SystemTime>) -> AcmeError {
    match error {
        instant_acme::Error::Api(problem) => crate::error::from_problem(&problem, retry_after),
        instant_acme::Error::Other(inner) => match inner.downcast::<TransportError>() {
            Ok(transport) => (*transport).into(),
            Err(other) => AcmeError::Protocol(other.to_string()),
        },
        instant_acme::Error::Timeout(_) => AcmeError::Timeout {
            stage: "polling the order",
        },
        other => AcmeError::Protocol(other.to_string()),
    }
}

/// The trust roots for the CA's HTTPS endpoint.
pub(crate) fn root_store(trusted_root_pem: Option<&str>) -> Result<RootCertStore, AcmeError> {
    let mut roots = RootCertStore::empty();
    match trusted_root_pem {
        Some(pem) => {
            let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| AcmeError::InvalidRootPem(e.to_string()))?;
            if certs.is_empty() {
                return Err(AcmeError::InvalidRootPem(
                    "no -----BEGIN CERTIFICATE----- block found".into(),
                ));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| AcmeError::InvalidRootPem(e.to_string()))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(AcmeError::InvalidRootPem(
                    "no system root certificates found (install ca-certificates) and no root \
                     was supplied for the CA"
                        .into(),
                ));
            }
        }
    }
    Ok(roots)
}

/// instant-acme's `HttpClient` over hyper + rustls (aws-lc-rs).
pub(crate) struct AcmeHttpClient {
    client: Client<HttpsConnector<HttpConnector>, BodyWrapper<Bytes>>,
    timeout: Duration,
    retry_after: RetryAfter,
}

/// The last `Retry-After` a CA sent with a 429 or 503, which instant-acme's problem type
/// does not carry; read when the resulting error is mapped (`AcmeError::RateLimited`).
#[derive(Clone, Default, Debug)]
pub(crate) struct RetryAfter(Arc<Mutex<Option<SystemTime>>>);

impl RetryAfter {
    pub(crate) fn take(&self) -> Option<SystemTime> {
        self.0.lock().map(|mut at| at.take()).unwrap_or(None)
    }

    fn record(&self, response: &BytesResponse) {
        let status = response.parts.status.as_u16();
        if status != 429 && status != 503 {
            return;
        }
        let at = response
            .parts
            .headers
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        if let Ok(mut slot) = self.0.lock() {
            *slot = at;
        }
    }
}

/// `Retry-After: <seconds>` or an HTTP date (RFC 9110 §10.2.3).
fn parse_retry_after(value: &str) -> Option<SystemTime> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(SystemTime::now() + Duration::from_secs(seconds));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(value, format)
        .ok()
        .map(|at| SystemTime::from(at.assume_utc()))
}

impl AcmeHttpClient {
    pub(crate) fn new(
        roots: RootCertStore,
        timeout: Duration,
        retry_after: RetryAfter,
    ) -> Result<Self, AcmeError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| AcmeError::Protocol(format!("TLS protocol versions: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
            retry_after,
        })
    }
}

impl HttpClient for AcmeHttpClient {
    fn request(
        &self,
        req: Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let url = req.uri().to_string();
        let timeout = self.timeout;
        let retry_after = self.retry_after.clone();
        let fut = self.client.request(req);
        Box::pin(async move {
            match tokio::time::timeout(timeout, fut).await {
                Ok(Ok(response)) => {
                    let response = BytesResponse::from(response);
                    retry_after.record(&response);
                    Ok(response)
                }
                Ok(Err(e)) => Err(instant_acme::Error::Other(Box::new(classify(&url, &e)))),
                Err(_) => Err(instant_acme::Error::Other(Box::new(TransportError {
                    url,
                    kind: TransportErrorKind::Unreachable,
                    reason: format!("no response within {}s", timeout.as_secs()),
                }))),
            }
        })
    }
}

/// Walks an error's sources for a rustls certificate error (behind an `io::Error`, whose
/// `source()` skips its payload) and otherwise calls the failure unreachable.
fn classify(url: &str, error: &(dyn StdError + 'static)) -> TransportError {
    let mut reasons = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if reasons.last() != Some(&text) {
            reasons.push(text);
        }
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) = rustls_error(e) {
            return TransportError {
                url: url.to_owned(),
                kind: TransportErrorKind::UntrustedCertificate,
                reason: tls.to_string(),
            };
        }
        current = e.source();
    }
    let reason = reasons.join(": ");
    // Last resort when a layer hid the typed error: rustls's own wording.
    let kind = if reason.contains("invalid peer certificate") {
        TransportErrorKind::UntrustedCertificate
    } else {
        TransportErrorKind::Unreachable
    };
    TransportError {
        url: url.to_owned(),
        kind,
        reason,
    }
}

/// The rustls error inside `e`, looking through `io::Error` payloads.
fn rustls_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return io.get_ref().and_then(|inner| rustls_error(inner));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let soon = parse_retry_after("120").unwrap();
        let wait = soon.duration_since(SystemTime::now()).unwrap().as_secs();
        assert!((118..=120).contains(&wait), "{wait}");
        let date = parse_retry_after("Fri, 31 Dec 2099 23:59:59 GMT").unwrap();
        assert_eq!(
            time::OffsetDateTime::from(date),
            time::macros::datetime!(2099-12-31 23:59:59 UTC)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[derive(Debug)]
    struct Connect(Box<dyn StdError + Send + Sync>);
    impl fmt::Display for Connect {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("client error (Connect)")
        }
    }
    impl StdError for Connect {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&*self.0)
        }
    }

    #[test]
    fn transport_failures_are_classified_through_nested_io_errors() {
        // What hyper-util + hyper-rustls + tokio-rustls produce for an unknown issuer.
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let nested =
            std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        let error = classify("https://ca/dir", &Connect(Box::new(nested)));
        assert_eq!(error.kind, TransportErrorKind::UntrustedCertificate);
        assert_eq!(error.reason, "invalid peer certificate: UnknownIssuer");

        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let error = classify("https://ca/dir", &Connect(Box::new(refused)));
        assert_eq!(error.kind, TransportErrorKind::Unreachable);
        assert_eq!(error.reason, "client error (Connect): connection refused");
    }

    #[test]
    fn a_root_pem_without_certificates_is_refused() {
        assert!(matches!(
            root_store(Some("not a pem")),
            Err(AcmeError::InvalidRootPem(_))
        ));
    }
}
