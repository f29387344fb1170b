//! Passkeys (issue 18) in Chromium with a virtual authenticator (`web/e2e/passkeys.mjs`): a
//! member adds a passkey in the console, is then refused a password login, signs in with the
//! passkey alone, and a replayed assertion is refused. Then, through the API: the audit log
//! records both logins with their method, and the administrator's reset removes the passkey.

use serde_json::json;
use windflow_testkit::server::Database;

use crate::support::{MEMBER_PASSWORD, member, run_e2e, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_replaces_password_and_code_in_chromium() {
    let server = start(Database::Sqlite).await;
    let admin = server.admin().await.unwrap();
    member(&server, &admin, "pat", "default", "viewer").await;

    // Refusals before any browser: a wrong password cannot start a registration, an unknown
    // user or one without a passkey cannot start a passkey login, an unknown ceremony is
    // refused.
    let pat = server
        .anonymous()
        .login("pat", MEMBER_PASSWORD)
        .await
        .unwrap();
    let r = pat
        .post("/auth/passkeys/register", json!({ "password": "not it" }))
        .await
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text);
    for username in ["nobody", "pat"] {
        let r = server
            .anonymous()
            .post("/auth/passkeys/login", json!({ "username": username }))
            .await
            .unwrap();
        assert_eq!(r.status, 401, "{username}: {}", r.text);
    }
    let r = server
        .anonymous()
        .post(
            "/auth/passkeys/login/finish",
            json!({ "ceremony": "forged", "credential": {} }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text);

    let outcome = {
        let _browser = crate::BROWSER_TURN.lock().await;
        run_e2e(
            &server,
            "passkeys.mjs",
            &[
                ("E2E_USER", "pat".into()),
                ("E2E_PASSWORD", MEMBER_PASSWORD.into()),
            ],
        )
        .await
    };
    outcome.unwrap();

    let audit = admin
        .get("/audit?action=auth.login&limit=50")
        .await
        .unwrap();
    let methods: Vec<String> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "pat")
        .map(|e| e["detail"]["method"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(methods.contains(&"password".to_string()), "{}", audit.text);
    assert!(methods.contains(&"passkey".to_string()), "{}", audit.text);

    // The administrator's reset removes the passkey: pat logs in with the password again.
    let users = admin.get("/users").await.unwrap();
    let id = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "pat")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = admin.delete(&format!("/users/{id}/factors")).await.unwrap();
    assert_eq!(r.status, 204, "{}", r.text);
    server
        .anonymous()
        .login("pat", MEMBER_PASSWORD)
        .await
        .unwrap();
}
