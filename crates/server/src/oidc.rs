//! OpenID Connect plumbing for single sign-on (`services::sso`): the `openidconnect` crate's
//! types with what WindFlow reads beyond its core (every extra claim, the discovery
//! document's `end_session_endpoint`), the crate's HTTP calls made with the server's reqwest
//! (redirects never followed), and the cache of discovered metadata `App::sso` holds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGenderClaim,
    CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalClaims, AdditionalProviderMetadata, IdToken, ProviderMetadata};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long discovered metadata (and its signing keys) is reused before it is read again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

// ---- the crate's types, with what WindFlow reads beyond the core ----------------------------

/// Every claim of the ID token or userinfo beyond the standard ones (groups, custom names).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub all: serde_json::Map<String, Value>,
}
impl AdditionalClaims for ExtraClaims {}

/// The discovery document's `end_session_endpoint` (RP-initiated logout).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LogoutMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

pub type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

pub type ExtraIdToken = IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Discovered metadata per provider (with its signing keys), reused for [`METADATA_TTL`] and
/// read again once when an ID token's signature or key is not recognised (key rotation).
#[derive(Default)]
pub struct SsoCache {
    metadata: Mutex<HashMap<String, (Instant, Arc<Metadata>)>>,
}

impl SsoCache {
    pub fn get(&self, provider_id: &str) -> Option<Arc<Metadata>> {
        let map = self.metadata.lock().unwrap_or_else(|e| e.into_inner());
        map.get(provider_id)
            .filter(|(at, _)| at.elapsed() < METADATA_TTL)
            .map(|(_, m)| m.clone())
    }

    pub fn put(&self, provider_id: &str, metadata: Arc<Metadata>) {
        let mut map = self.metadata.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(provider_id.to_string(), (Instant::now(), metadata));
    }

    pub fn forget(&self, provider_id: &str) {
        let mut map = self.metadata.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(provider_id);
    }
}

// ---- HTTP for the crate: reqwest 0.13, no redirects -----------------------------------------

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

fn http_client() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                // The crate's advice: following redirects would let a provider steer the
                // server's requests (SSRF).
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap_or_default()
        })
        .clone()
}

pub async fn send(
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let request =
        reqwest::Request::try_from(request).map_err(|e| HttpError(format!("request: {e}")))?;
    let response = http_client()
        .execute(request)
        .await
        .map_err(|e| HttpError(e.without_url().to_string()))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| HttpError(format!("reading the answer: {e}")))?;
    let mut builder = http::Response::builder().status(status);
    if let Some(map) = builder.headers_mut() {
        *map = headers;
    }
    builder
        .body(body.to_vec())
        .map_err(|e| HttpError(e.to_string()))
}

/// An error with its sources, for people.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
