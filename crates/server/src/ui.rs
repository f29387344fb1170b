//! The web console, embedded: `web/dist` (or, when it was not built, a page saying how to
//! build it — see `build.rs`) served at `/` with a fallback to `index.html` for the SPA's own
//! routes. Hashed assets are cached for a year as immutable; `index.html` is revalidated on
//! every load. A gzip twin written by the build (`*.gz`) is sent to clients that accept it.
//! Every answer carries a Content-Security-Policy the console satisfies (no inline scripts,
//! no third-party origins).
//!
//! *Invariant:* API-looking paths (`/api/…`, `/health/…`, `/metrics`) never fall back to the
//! console: an unknown one is a problem+json 404, so clients get errors, not HTML.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

#[derive(rust_embed::Embed)]
#[folder = "$WINDFLOW_WEB_DIST"]
struct Assets;

/// What the console needs and nothing more. Styles allow inline: Element Plus sets style
/// attributes and CodeMirror injects its theme as `<style>` elements.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; \
    frame-ancestors 'none'; form-action 'self'";

fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path.starts_with("/health") || path == "/metrics"
}

/// The router's fallback: console files, the SPA's index for its routes, or the API's 404.
pub async fn serve(request: Request) -> Response {
    let path = request.uri().path();
    if is_api_path(path) || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return ApiError::NotFound("no such endpoint".into()).into_response();
    }
    let relative = path.trim_start_matches('/');
    let accepts_gzip = accepts_gzip(request.headers());
    if !relative.is_empty()
        && !relative.ends_with(".gz")
        && let Some(response) = file(relative, accepts_gzip)
    {
        return response;
    }
    // A missing asset is a 404, not the index (a stale tab asking for an old chunk must fail
    // loudly); any other path is a route of the SPA.
    if relative.starts_with("assets/") || relative.contains('.') {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    file("index.html", accepts_gzip)
        .unwrap_or_else(|| (StatusCode::NOT_FOUND, "index.html missing").into_response())
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.trim().split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

fn file(relative: &str, accepts_gzip: bool) -> Option<Response> {
    let plain = Assets::get(relative)?;
    let mime = plain.metadata.mimetype().to_string();
    let gzipped = accepts_gzip
        .then(|| Assets::get(&format!("{relative}.gz")))
        .flatten();
    let cache = if relative.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, mime)
        .header(header::CACHE_CONTROL, cache)
        .header(header::VARY, "accept-encoding")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "same-origin")
        .header(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    let data = match gzipped {
        Some(gz) => {
            builder = builder.header(header::CONTENT_ENCODING, "gzip");
            gz.data
        }
        None => plain.data,
    };
    builder.body(Body::from(data.into_owned())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(accept: &str, expected: bool) {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, accept.parse().unwrap());
        assert_eq!(accepts_gzip(&headers), expected, "{accept}");
    }

    #[test]
    fn gzip_negotiation() {
        check("gzip, deflate, br", true);
        check("br;q=1.0, gzip;q=0.8", true);
        check("gzip;q=0", false);
        check("identity", false);
        check("*", true);
    }

    #[test]
    fn api_paths_never_fall_back() {
        for path in ["/api", "/api/v1/nope", "/health/x", "/metrics"] {
            assert!(is_api_path(path), "{path}");
        }
        for path in ["/", "/stacks/web", "/apis", "/assets/app.js"] {
            assert!(!is_api_path(path), "{path}");
        }
    }
}
