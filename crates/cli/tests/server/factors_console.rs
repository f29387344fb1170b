//! `web/e2e/factors.mjs` in Debian's headless Chromium against a real server (SQLite): with
//! the organization requiring a second factor from every member, a member logs in, is sent to
//! the enrolment page, sets up TOTP with a code the script computes from the key on the page,
//! sees the recovery codes once, and logs in again with a code after the password.

use serde_json::json;
use windflow_testkit::server::Database;

use crate::support::{MEMBER_PASSWORD, member, run_e2e, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_factor_enrolment_and_login_in_chromium() {
    let server = start(Database::Sqlite).await;
    let admin = server.admin().await.unwrap();
    member(&server, &admin, "vera", "default", "viewer").await;
    let r = admin
        .put(
            "/orgs/default/login-policy",
            json!({ "require_second_factor": "all", "password_login": "allowed" }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    {
        let _browser = crate::BROWSER_TURN.lock().await;
        run_e2e(
            &server,
            "factors.mjs",
            &[
                ("E2E_USER", "vera".into()),
                ("E2E_PASSWORD", MEMBER_PASSWORD.into()),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    }
    // What the browser did, as the server recorded it.
    let enrolled = admin
        .get("/audit?action=auth.factor.enrol&limit=10")
        .await
        .unwrap();
    assert_eq!(
        enrolled.body["items"][0]["actor"], "vera",
        "{}",
        enrolled.text
    );
    let logins = admin
        .get("/audit?action=auth.login&limit=10")
        .await
        .unwrap();
    let vera_logins = logins.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "vera")
        .count();
    assert!(vera_logins >= 3, "{}", logins.text);
}
