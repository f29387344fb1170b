//! `web/e2e/sso.mjs` in Debian's headless Chromium against a real server (SQLite) and a real
//! OpenID Provider (panva's `oidc-provider` on loopback): "Sign in with …" through the
//! provider's login and consent pages into the console with the mapped role, the admin's
//! Single sign-on tab, and the RP-initiated logout back to the login page.

use serde_json::json;
use windflow_testkit::oidc::OidcProvider;
use windflow_testkit::server::Database;

use crate::support::{run_e2e, start};

const SECRET: &str = "e2e-client-secret-9d2f61";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_end_to_end_in_chromium() {
    let server = start(Database::Sqlite).await;
    let provider = OidcProvider::start(
        json!([{
            "client_id": "windflow-e2e",
            "client_secret": SECRET,
            "redirect_uris": [format!("{}/api/v1/auth/sso/test/callback", server.url)],
            "post_logout_redirect_uris": [format!("{}/login", server.url)],
        }]),
        json!({ "carol": { "email": "carol@example.com", "email_verified": true,
                           "name": "Carol", "preferred_username": "carol",
                           "groups": ["devs"] } }),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:#}"));
    let admin = server.admin().await.unwrap();
    let r = admin
        .post(
            "/sso/providers",
            json!({
                "slug": "test", "display_name": "Test IdP", "issuer_url": provider.issuer,
                "client_id": "windflow-e2e", "client_secret": SECRET,
                "scopes": ["email", "profile", "groups"], "auto_provision": true,
                "group_mappings": [{ "group": "devs", "org": "default", "role": "operator" }],
            }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let _browser = crate::BROWSER_TURN.lock().await;
    run_e2e(
        &server,
        "sso.mjs",
        &[
            ("E2E_SSO_LOGIN", "carol".into()),
            ("E2E_SSO_NAME", "Carol".into()),
            ("E2E_SSO_SECRET", SECRET.into()),
        ],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
}
