//! The generic webhook's signature.
//!
//! Every webhook request carries `X-WindFlow-Timestamp: <unix seconds>`. When the channel has a
//! secret it also carries `X-WindFlow-Signature: sha256=<hex>`, where `<hex>` is the lowercase
//! hex HMAC-SHA256, keyed with the secret, of the timestamp, a dot and the exact request body
//! bytes: `"<timestamp>.<body>"`. A receiver recomputes it over the raw body (before parsing
//! the JSON), compares in constant time ([`verify_signature`] does both), and should reject
//! timestamps too far from its clock (a few minutes) to stop replays.
//!
//! ```
//! use windflow_notify::{signature, verify_signature};
//!
//! // What WindFlow sends…
//! let body = br#"{"title":"Deployment of web failed","level":"failure"}"#;
//! let header = signature("the-shared-secret", "1700000000", body);
//! // …and what a receiver checks, over the raw body and the two headers.
//! assert!(verify_signature("the-shared-secret", "1700000000", body, &header));
//! assert!(!verify_signature("the-shared-secret", "1700000001", body, &header));
//! ```

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header with the unix timestamp.
pub const TIMESTAMP_HEADER: &str = "X-WindFlow-Timestamp";
/// The header with `sha256=<hex HMAC>`.
pub const SIGNATURE_HEADER: &str = "X-WindFlow-Signature";

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-WindFlow-Signature` value for `body` sent at `timestamp`: `sha256=<hex>`.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Whether `header` (the `X-WindFlow-Signature` value) is the signature of `body` sent at
/// `timestamp` (the `X-WindFlow-Timestamp` value) with `secret`. Constant-time comparison; the
/// timestamp's age is the receiver's to check.
pub fn verify_signature(secret: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(digest) = hex::decode(hex_digest) else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&digest).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector_and_verification() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
        let sig = signature("key", "1700000000", br#"{"a":1}"#);
        assert_eq!(
            sig,
            "sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03"
        );
        assert!(verify_signature("key", "1700000000", br#"{"a":1}"#, &sig));
        assert!(!verify_signature("key", "1700000001", br#"{"a":1}"#, &sig));
        assert!(!verify_signature(
            "other",
            "1700000000",
            br#"{"a":1}"#,
            &sig
        ));
        assert!(!verify_signature("key", "1700000000", br#"{"a":2}"#, &sig));
        assert!(!verify_signature(
            "key",
            "1700000000",
            br#"{"a":1}"#,
            "sha256=zz"
        ));
        assert!(!verify_signature(
            "key",
            "1700000000",
            br#"{"a":1}"#,
            &sig[7..]
        ));
    }
}
