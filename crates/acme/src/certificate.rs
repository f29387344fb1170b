//! Reading certificates: `CertificateInfo` from a PEM chain, and `check_uploaded` for a
//! chain and key a user uploads. No network, no clock of its own (`now` is passed in).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

use crate::error::CertificateError;

/// What WindFlow shows and schedules by for a certificate: the leaf of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// The subject alternative names: DNS names (wildcards as `*.example.com`) and IP
    /// addresses, in the certificate's order.
    pub sans: Vec<String>,
    /// The subject, as an RFC 4514 string.
    pub subject: String,
    /// The issuer, as an RFC 4514 string.
    pub issuer: String,
    /// The serial number in lowercase hex without separators (as `openssl x509 -serial`).
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// The leaf's key: `ECDSA P-256`, `ECDSA P-384`, `RSA 2048`, `Ed25519`, …
    pub key_algorithm: String,
    /// SHA-256 of the leaf's DER, lowercase hex.
    pub sha256_fingerprint: String,
    /// How many certificates the chain holds, the leaf included.
    pub chain_length: usize,
}

/// The DER blocks of a PEM chain, in order. Blocks other than `CERTIFICATE` are skipped.
pub fn chain_der(chain_pem: &str) -> Result<Vec<Vec<u8>>, CertificateError> {
    let mut ders = Vec::new();
    for pem in Pem::iter_from_buffer(chain_pem.as_bytes()) {
        let pem = pem.map_err(|e| CertificateError::Pem(e.to_string()))?;
        if pem.label == "CERTIFICATE" {
            ders.push(pem.contents);
        }
    }
    if ders.is_empty() {
        return Err(CertificateError::NoCertificate);
    }
    Ok(ders)
}

fn parse(position: usize, der: &[u8]) -> Result<X509Certificate<'_>, CertificateError> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(CertificateError::Parse {
            position,
            reason: "trailing bytes after the certificate".into(),
        }),
        Err(e) => Err(CertificateError::Parse {
            position,
            reason: e.to_string(),
        }),
    }
}

/// Reads the leaf (the first certificate) of a PEM chain.
pub fn certificate_info(chain_pem: &str) -> Result<CertificateInfo, CertificateError> {
    let ders = chain_der(chain_pem)?;
    // Every certificate must parse, not only the leaf.
    for (i, der) in ders.iter().enumerate().skip(1) {
        parse(i + 1, der)?;
    }
    let leaf = parse(1, &ders[0])?;
    info_of(&leaf, &ders[0], ders.len())
}

fn info_of(
    cert: &X509Certificate<'_>,
    der: &[u8],
    chain_length: usize,
) -> Result<CertificateInfo, CertificateError> {
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(dns) => sans.push(dns.to_string()),
                GeneralName::IPAddress(bytes) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                        sans.push(std::net::Ipv4Addr::from(v4).to_string());
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                        sans.push(std::net::Ipv6Addr::from(v6).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    let serial = cert.tbs_certificate.raw_serial();
    // A leading zero byte keeps a DER integer positive; `openssl -serial` omits it.
    let serial = match serial {
        [0, rest @ ..] if !rest.is_empty() => rest,
        other => other,
    };
    Ok(CertificateInfo {
        sans,
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: hex(serial),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        key_algorithm: key_algorithm(cert),
        sha256_fingerprint: hex(&Sha256::digest(der)),
        chain_length,
    })
}

fn key_algorithm(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string());
            match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => "ECDSA P-256".into(),
                Some("1.3.132.0.34") => "ECDSA P-384".into(),
                Some("1.3.132.0.35") => "ECDSA P-521".into(),
                _ => format!("ECDSA ({} bits)", point.key_size()),
            }
        }
        _ => match spki.algorithm.algorithm.to_id_string().as_str() {
            "1.3.101.112" => "Ed25519".into(),
            "1.3.101.113" => "Ed448".into(),
            other => format!("unknown ({other})"),
        },
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a certificate chain and private key a user uploads, before WindFlow stores or
/// serves them: the PEM parses, the key matches the leaf's public key, each certificate is
/// issued and signed by the next one, and none is expired or not yet valid at `now`.
/// Returns the leaf's `CertificateInfo`. Errors name the certificate at fault by its
/// position (leaf = #1) and subject.
///
/// The last certificate is not checked against a trust store: a chain may end at an
/// intermediate (the root is the client's business), and private CAs are allowed.
pub fn check_uploaded(
    chain_pem: &str,
    key_pem: &str,
    now: OffsetDateTime,
) -> Result<CertificateInfo, CertificateError> {
    let ders = chain_der(chain_pem)?;
    let certs = ders
        .iter()
        .enumerate()
        .map(|(i, der)| parse(i + 1, der))
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = &certs[0];

    check_key_matches(leaf, key_pem)?;

    for (i, pair) in certs.windows(2).enumerate() {
        let (child, issuer) = (&pair[0], &pair[1]);
        let order_error = |reason: String| CertificateError::ChainOrder {
            position: i + 1,
            subject: child.subject().to_string(),
            issuer_position: i + 2,
            issuer_subject: issuer.subject().to_string(),
            reason,
        };
        if child.issuer().as_raw() != issuer.subject().as_raw() {
            return Err(order_error(format!("its issuer is {}", child.issuer())));
        }
        child
            .verify_signature(Some(issuer.public_key()))
            .map_err(|e| order_error(format!("the signature does not verify ({e})")))?;
    }

    for (i, cert) in certs.iter().enumerate() {
        let validity = cert.validity();
        let not_before = validity.not_before.to_datetime();
        let not_after = validity.not_after.to_datetime();
        if now > not_after {
            return Err(CertificateError::Expired {
                position: i + 1,
                subject: cert.subject().to_string(),
                not_after: rfc3339(not_after),
            });
        }
        if now < not_before {
            return Err(CertificateError::NotYetValid {
                position: i + 1,
                subject: cert.subject().to_string(),
                not_before: rfc3339(not_before),
            });
        }
    }

    info_of(leaf, &ders[0], ders.len())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// The key (PKCS#8, PKCS#1 RSA or SEC1 EC, in PEM) must be the leaf's key pair.
fn check_key_matches(leaf: &X509Certificate<'_>, key_pem: &str) -> Result<(), CertificateError> {
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;

    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| {
        CertificateError::Key(format!(
            "expected a PEM private key (PKCS#8, RSA or EC): {e}"
        ))
    })?;
    let signing_key = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key)
        .map_err(|e| CertificateError::Key(e.to_string()))?;
    let public = signing_key
        .public_key()
        .ok_or_else(|| CertificateError::Key("the key's public half cannot be derived".into()))?;
    if public.as_ref() != leaf.public_key().raw {
        return Err(CertificateError::KeyMismatch {
            subject: leaf.subject().to_string(),
        });
    }
    Ok(())
}
