//! Second factors and login policies, through the real server on SQLite and PostgreSQL: TOTP
//! enrolment with codes computed here by `totp-rs` from the returned secret, logins refused
//! without a code, with a wrong, replayed or stale one, recovery codes spent once, the limiter,
//! the secret sealed at rest (and re-sealed by `admin rotate-secret-key`), organizations'
//! policies, and the administrator's reset.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use totp_rs::{Builder, Secret, Totp};
use windflow_testkit::server::{ADMIN_PASSWORD, Api, Database, Server};

use crate::support::{MEMBER_PASSWORD, databases, member, start};

const REQUIRED: &str = "https://windflow.dev/problems/second-factor-required";
const ENROL: &str = "https://windflow.dev/problems/second-factor-enrolment-required";

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Waits until the current 30 s step has at least 6 s left, so a code computed now is
/// still in the same step when the server checks it.
async fn early_in_step() {
    let into = now_s() % 30;
    if into >= 24 {
        tokio::time::sleep(Duration::from_secs(30 - into)).await;
    }
}

fn totp_of(secret: &str) -> Totp {
    Builder::new()
        .with_secret(Secret::try_from_base32(secret).expect("base32 secret"))
        .build()
        .expect("a TOTP")
}

/// The code of the step `steps` away from now.
fn code(totp: &Totp, steps: i64) -> String {
    totp.generate((now_s() as i64 + steps * 30) as u64)
        .to_string()
}

/// A password login with an optional code: the status, the body, and whether a session
/// cookie was set.
async fn login(
    server: &Server,
    username: &str,
    password: &str,
    code: Option<&str>,
) -> (u16, Value, bool) {
    let mut body = json!({ "username": username, "password": password });
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let cookie = r.headers().get("set-cookie").is_some();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        cookie,
    )
}

/// Enrols and confirms a TOTP for `api`'s user; returns the secret and the recovery codes.
async fn enrol(api: &Api, password: &str) -> (String, Vec<String>) {
    let r = api
        .post("/auth/factors/totp", json!({ "password": password }))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_string();
    early_in_step().await;
    let totp = totp_of(&secret);
    let r = api
        .post(
            "/auth/factors/totp/confirm",
            json!({ "code": code(&totp, 0) }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    let codes = r.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (secret, codes)
}

async fn audit_actions(admin: &Api, action: &str) -> Vec<Value> {
    let r = admin
        .get(&format!("/audit?action={action}&limit=100"))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Every byte string of `haystack` checked for `needle`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The stored factor rows as text (PostgreSQL) or the SQLite files' bytes.
async fn stored_bytes(server: &Server) -> Vec<u8> {
    match server.database() {
        Database::Sqlite => {
            let mut bytes = Vec::new();
            for name in ["windflow.db", "windflow.db-wal"] {
                if let Ok(b) = std::fs::read(server.data_dir.join(name)) {
                    bytes.extend(b);
                }
            }
            assert!(!bytes.is_empty(), "no SQLite file in {:?}", server.data_dir);
            bytes
        }
        Database::Postgres(db) => {
            let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT row_to_json(t)::text FROM totp_factors t")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            pool.close().await;
            assert!(!rows.is_empty());
            rows.into_iter().flat_map(|(r,)| r.into_bytes()).collect()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_enrolment_login_replay_skew_recovery_and_rate_limit() {
    for database in databases("factors_totp").await {
        let backend = database.name();
        let mut server = start(database).await;
        let admin = server.admin().await.unwrap();
        let alice = member(&server, &admin, "alice", "default", "viewer").await;

        assert_eq!(alice.get("/auth/factors").await.unwrap().body, json!([]));
        let r = alice
            .post("/auth/factors/totp", json!({ "password": "not it" }))
            .await
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "password");
        let r = alice
            .post("/auth/factors/totp", json!({ "password": MEMBER_PASSWORD }))
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        let secret = r.body["secret"].as_str().unwrap().to_string();
        let uri = r.body["otpauth_uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/WindFlow:alice?"), "{uri}");
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        assert!(r.body["qr_svg"].as_str().unwrap().contains("<svg"));
        let totp = totp_of(&secret);

        // Pending: it does not count yet, and a wrong code does not confirm it.
        let factors = alice.get("/auth/factors").await.unwrap();
        assert_eq!(factors.body[0]["confirmed"], false, "{}", factors.text);
        assert_eq!(login(&server, "alice", MEMBER_PASSWORD, None).await.0, 200);
        let r = alice
            .post(
                "/auth/factors/totp/confirm",
                json!({ "code": code(&totp, -10) }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "code");

        // Confirmed with the previous step's code (skew), answering ten recovery codes.
        early_in_step().await;
        let r = alice
            .post(
                "/auth/factors/totp/confirm",
                json!({ "code": code(&totp, -1) }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{backend}: {}", r.text);
        let codes: Vec<String> = r.body["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(codes.len(), 10);
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 10);
        let factors = alice.get("/auth/factors").await.unwrap();
        assert_eq!(factors.body[0]["kind"], "totp");
        assert_eq!(factors.body[0]["confirmed"], true);
        assert_eq!(factors.body[0]["recovery_codes_left"], 10);
        // A second enrolment is refused while one is confirmed.
        let r = alice
            .post("/auth/factors/totp", json!({ "password": MEMBER_PASSWORD }))
            .await
            .unwrap();
        assert_eq!(r.status, 409, "{}", r.text);

        // No code: 401 naming the methods, no session.
        let (status, problem, cookie) = login(&server, "alice", MEMBER_PASSWORD, None).await;
        assert_eq!(status, 401, "{problem}");
        assert_eq!(problem["type"], REQUIRED);
        assert_eq!(problem["errors"][0]["field"], "code");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("recovery_code")
        );
        assert!(!cookie);
        // A wrong password with a right code is still a wrong password.
        let (status, problem, _) = login(&server, "alice", "wrong", Some(&code(&totp, 0))).await;
        assert_eq!(status, 401);
        assert_eq!(
            problem["type"],
            "https://windflow.dev/problems/unauthenticated"
        );

        early_in_step().await;
        // The confirmation's step is spent: its code is a replay.
        let (status, problem, cookie) =
            login(&server, "alice", MEMBER_PASSWORD, Some(&code(&totp, -1))).await;
        assert_eq!(
            (status, problem["type"].as_str(), cookie),
            (401, Some(REQUIRED), false)
        );
        let started = Instant::now();
        let (status, session, cookie) =
            login(&server, "alice", MEMBER_PASSWORD, Some(&code(&totp, 0))).await;
        let totp_login = started.elapsed();
        assert_eq!((status, cookie), (200, true), "{session}");
        // Replayed: refused.
        let (status, _, _) = login(&server, "alice", MEMBER_PASSWORD, Some(&code(&totp, 0))).await;
        assert_eq!(status, 401);
        // The next step (skew) is accepted; three steps ago is not.
        let (status, _, _) = login(&server, "alice", MEMBER_PASSWORD, Some(&code(&totp, 1))).await;
        assert_eq!(status, 200);
        let (status, _, _) = login(&server, "alice", MEMBER_PASSWORD, Some(&code(&totp, -3))).await;
        assert_eq!(status, 401);

        // Recovery codes: each works once, however it is typed.
        let mut recovery_times = Vec::new();
        for c in &codes[..3] {
            let started = Instant::now();
            let (status, body, _) = login(&server, "alice", MEMBER_PASSWORD, Some(c)).await;
            recovery_times.push(started.elapsed());
            assert_eq!(status, 200, "{body}");
        }
        let (status, _, _) = login(&server, "alice", MEMBER_PASSWORD, Some(&codes[0])).await;
        assert_eq!(status, 401);
        let typed = codes[3].to_uppercase().replace('-', " ");
        let (status, _, _) = login(&server, "alice", MEMBER_PASSWORD, Some(&typed)).await;
        assert_eq!(status, 200);
        let factors = alice.get("/auth/factors").await.unwrap();
        assert_eq!(factors.body[0]["recovery_codes_left"], 6);
        let mut plain_times = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            assert_eq!(login(&server, "admin", ADMIN_PASSWORD, None).await.0, 200);
            plain_times.push(started.elapsed());
        }
        eprintln!(
            "{backend}: login with a TOTP code {totp_login:?}; with a recovery code median {:?}; \
             without a second factor median {:?}",
            median(recovery_times),
            median(plain_times)
        );

        // The secret never comes back, and is not stored in clear.
        for path in ["/auth/factors", "/auth/session"] {
            let r = alice.get(path).await.unwrap();
            assert!(!r.text.contains(&secret), "{path}: {}", r.text);
        }
        assert!(!session.to_string().contains(&secret));
        let raw: Vec<u8> = Secret::try_from_base32(&secret).unwrap().as_ref().to_vec();
        let stored = stored_bytes(&server).await;
        assert!(
            !contains(&stored, secret.as_bytes()),
            "{backend}: base32 secret stored"
        );
        assert!(!contains(&stored, &raw), "{backend}: raw secret stored");
        for c in &codes {
            assert!(
                !contains(&stored, c.as_bytes()),
                "{backend}: recovery code stored"
            );
        }

        // Audited.
        assert_eq!(audit_actions(&admin, "auth.factor.enrol").await.len(), 1);
        assert_eq!(
            audit_actions(&admin, "auth.recovery_code.used").await.len(),
            4
        );
        let failed = audit_actions(&admin, "auth.login_failed").await;
        assert!(
            failed
                .iter()
                .any(|e| e["detail"]["reason"] == "wrong second factor"),
            "{failed:?}"
        );

        // The secret survives a key rotation (re-sealed), and codes still verify.
        let database_url = match server.database() {
            Database::Postgres(db) => Some(db.url().to_string()),
            Database::Sqlite => None,
        };
        server.terminate(Duration::from_secs(30)).unwrap();
        let mut command = std::process::Command::new(crate::support::bin());
        command
            .args(["admin", "rotate-secret-key"])
            .env("WINDFLOW_DATA", &server.data_dir)
            .env_remove("WINDFLOW_ADMIN_PASSWORD")
            .env_remove("DATABASE_URL");
        if let Some(url) = &database_url {
            command.env("DATABASE_URL", url);
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("1 secret(s) re-encrypted"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        server.restart().await.unwrap();
        let (status, body, _) = login(&server, "alice", MEMBER_PASSWORD, Some(&codes[4])).await;
        assert_eq!(status, 200, "{body}");
        // The last step used was one ahead of the clock then: one ahead of a later step is
        // unused for sure.
        tokio::time::sleep(Duration::from_secs(30 - now_s() % 30)).await;
        let (status, body, _) =
            login(&server, "alice", MEMBER_PASSWORD, Some(&code(&totp, 1))).await;
        assert_eq!(status, 200, "{backend}: after the rotation: {body}");

        // Wrong codes count in the login limiter: five, then 429 even for a right one.
        for n in 0..5 {
            let (status, body, _) = login(
                &server,
                "alice",
                MEMBER_PASSWORD,
                Some(&code(&totp, -5 - n)),
            )
            .await;
            assert_eq!(status, 401, "{n}: {body}");
            assert_eq!(body["type"], REQUIRED);
        }
        let (status, body, _) = login(&server, "alice", MEMBER_PASSWORD, Some(&codes[5])).await;
        assert_eq!(status, 429, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_regeneration_and_administrator_reset() {
    for database in databases("factors_reset").await {
        let server = start(database).await;
        let admin = server.admin().await.unwrap();
        let bob = member(&server, &admin, "bob", "default", "operator").await;
        let (_, codes) = enrol(&bob, MEMBER_PASSWORD).await;

        // `windflow login --code`: a wrong code is named, a recovery code logs in.
        let cli = crate::cli_client::Cli::new();
        let stdin = format!("{MEMBER_PASSWORD}\n");
        let mut args = vec![
            "login",
            &server.url,
            "-u",
            "bob",
            "--password-stdin",
            "--code",
        ];
        let run = cli
            .run_full(&[&args[..], &["000000"]].concat(), Some(&stdin), &[])
            .await;
        assert_ne!(run.code, 0, "{run}");
        assert!(run.stderr.contains("refused the second factor"), "{run}");
        args.push(&codes[9]);
        let run = cli.run_full(&args, Some(&stdin), &[]).await;
        assert_eq!(run.code, 0, "{run}");
        assert!(run.stdout.contains("as bob"), "{run}");

        // New recovery codes need a code; the old ones stop working.
        let r = bob
            .post("/auth/factors/recovery-codes", json!({ "code": "000000x" }))
            .await
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text);
        let r = bob
            .post("/auth/factors/recovery-codes", json!({ "code": codes[0] }))
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        let fresh: Vec<String> = serde_json::from_value(r.body["codes"].clone()).unwrap();
        assert_eq!(fresh.len(), 10);
        let (status, _, _) = login(&server, "bob", MEMBER_PASSWORD, Some(&codes[1])).await;
        assert_eq!(status, 401);

        // Removing needs the password or a code.
        let r = bob
            .request(
                reqwest::Method::DELETE,
                "/auth/factors/totp",
                Some(&json!({ "password": "wrong" })),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text);
        let r = bob
            .request(
                reqwest::Method::DELETE,
                "/auth/factors/totp",
                Some(&json!({ "code": fresh[0] })),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(r.status, 204, "{}", r.text);
        assert_eq!(bob.get("/auth/factors").await.unwrap().body, json!([]));
        assert_eq!(login(&server, "bob", MEMBER_PASSWORD, None).await.0, 200);
        assert_eq!(audit_actions(&admin, "auth.factor.remove").await.len(), 1);

        // Enrolled again; the administrator resets: factors gone, sessions ended.
        enrol(&bob, MEMBER_PASSWORD).await;
        let cookie_client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r = cookie_client
            .post(format!("{}/api/v1/auth/login", server.url))
            .json(&json!({ "username": "bob", "password": MEMBER_PASSWORD, "code": fresh[1] }))
            .send()
            .await
            .unwrap();
        // Those codes went with the removal.
        assert_eq!(r.status(), 401);
        let user_id = bob.get("/auth/session").await.unwrap().body["user"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = bob
            .delete(&format!("/users/{user_id}/factors"))
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text);
        let r = admin.delete("/users/zz-missing/factors").await.unwrap();
        assert_eq!(r.status, 404, "{}", r.text);
        let r = admin
            .delete(&format!("/users/{user_id}/factors"))
            .await
            .unwrap();
        assert_eq!(r.status, 204, "{}", r.text);
        assert_eq!(bob.get("/auth/factors").await.unwrap().body, json!([]));
        let bob_session = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let (status, _, _) = login(&server, "bob", MEMBER_PASSWORD, None).await;
        assert_eq!(status, 200);
        let r = bob_session
            .post(format!("{}/api/v1/auth/login", server.url))
            .json(&json!({ "username": "bob", "password": MEMBER_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        admin
            .delete(&format!("/users/{user_id}/factors"))
            .await
            .unwrap();
        let r = bob_session
            .get(format!("{}/api/v1/auth/session", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "bob's session survived the reset");
        let reset = audit_actions(&admin, "user.factors.reset").await;
        assert_eq!(reset.len(), 2);
        assert_eq!(reset[0]["resource"], "user/bob");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_login_policies_are_enforced() {
    for database in databases("factors_policy").await {
        let backend = database.name();
        let server = start(database).await;
        let admin = server.admin().await.unwrap();
        let viewer = member(&server, &admin, "vera", "default", "viewer").await;
        let org_admin = member(&server, &admin, "adam", "default", "admin").await;

        let r = viewer.get("/orgs/default/login-policy").await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["require_second_factor"], "none");
        assert_eq!(r.body["password_login"], "allowed");
        let admins_only = json!({ "require_second_factor": "admins", "password_login": "allowed" });
        let r = org_admin
            .put("/orgs/default/login-policy", admins_only.clone())
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text);
        let r = admin
            .put(
                "/orgs/default/login-policy",
                json!({ "require_second_factor": "some", "password_login": "allowed" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 422, "{}", r.text);
        // The server administrator (owner of default) enrols first, then sets the policy.
        let (admin_secret, admin_codes) = enrol(&admin, ADMIN_PASSWORD).await;
        let r = admin
            .put("/orgs/default/login-policy", admins_only)
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["updated_by"], "admin");

        // admins: the org admin without a factor is blocked, the viewer is not.
        assert_eq!(
            viewer.get("/orgs/default/stacks").await.unwrap().status,
            200
        );
        let r = org_admin.get("/orgs/default/stacks").await.unwrap();
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.body["type"], ENROL);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("/auth/factors/totp")
        );
        assert_eq!(admin.get("/orgs/default/stacks").await.unwrap().status, 200);

        // all: the viewer too, until enrolled; the session names the organization.
        let r = admin
            .put(
                "/orgs/default/login-policy",
                json!({ "require_second_factor": "all", "password_login": "allowed" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        let r = viewer.get("/orgs/default/stacks").await.unwrap();
        assert_eq!(
            (r.status, r.body["type"].as_str()),
            (403, Some(ENROL)),
            "{backend}"
        );
        let r = viewer.get("/orgs/default/login-policy").await.unwrap();
        assert_eq!(r.status, 403);
        let session = viewer.get("/auth/session").await.unwrap();
        assert_eq!(
            session.body["second_factor_enrolment_required"],
            json!(["default"]),
            "{}",
            session.text
        );
        // The member still logs in (to be guided), and enrolment stays reachable.
        assert_eq!(login(&server, "vera", MEMBER_PASSWORD, None).await.0, 200);
        let (vera_secret, _) = enrol(&viewer, MEMBER_PASSWORD).await;
        assert_eq!(
            viewer.get("/orgs/default/stacks").await.unwrap().status,
            200
        );
        let session = viewer.get("/auth/session").await.unwrap();
        assert_eq!(session.body["second_factor_enrolment_required"], json!([]));

        // Password login disabled: members are refused, the server administrator is not.
        let r = admin
            .put(
                "/orgs/default/login-policy",
                json!({ "require_second_factor": "all", "password_login": "disabled" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        early_in_step().await;
        let vera = totp_of(&vera_secret);
        let (status, body, cookie) =
            login(&server, "vera", MEMBER_PASSWORD, Some(&code(&vera, 1))).await;
        assert_eq!((status, cookie), (403, false), "{body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("organization default disables password login"),
            "{body}"
        );
        let (status, body, _) = login(&server, "adam", MEMBER_PASSWORD, None).await;
        assert_eq!(status, 403, "{body}");
        let admin_totp = totp_of(&admin_secret);
        let (status, body, _) = login(&server, "admin", ADMIN_PASSWORD, None).await;
        assert_eq!((status, body["type"].as_str()), (401, Some(REQUIRED)));
        let (status, body, _) = login(
            &server,
            "admin",
            ADMIN_PASSWORD,
            Some(&code(&admin_totp, 1)),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, _, _) = login(&server, "admin", ADMIN_PASSWORD, Some(&admin_codes[0])).await;
        assert_eq!(status, 200);

        let changes = audit_actions(&admin, "org.login_policy.update").await;
        assert_eq!(changes.len(), 3);
        let refusals = audit_actions(&admin, "auth.login_failed").await;
        assert!(
            refusals
                .iter()
                .any(|e| e["detail"]["reason"] == "password login disabled")
        );
    }
}
