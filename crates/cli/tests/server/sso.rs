//! Single sign-on against a real OpenID Provider: panva's `oidc-provider` (installed by
//! `scripts/ensure-oidc-provider.sh`, started by `crates/testkit/oidc/provider.mjs` on a
//! loopback port), driven over HTTP like a browser — its development login and consent
//! forms filled in — through the server's start and callback endpoints. SQLite and
//! PostgreSQL.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use windflow_testkit::oidc::OidcProvider;
use windflow_testkit::server::{Api, Server};

use crate::support::{self, bin, databases, start, start_with};

const CLIENT_ID: &str = "windflow-test";
const CLIENT_SECRET: &str = "oidc-client-secret-7f3a9c2e51";

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The test provider: a confidential client whose redirect URI is `server`'s callback for
/// the provider `test`, and four accounts.
pub async fn provider(server: &Server) -> OidcProvider {
    let clients = json!([{
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [format!("{}/api/v1/auth/sso/test/callback", server.url)],
        "post_logout_redirect_uris": [format!("{}/login", server.url)],
    }]);
    let accounts = json!({
        "alice": { "email": "alice@example.com", "email_verified": true, "name": "Alice Liddell",
                   "preferred_username": "alice", "groups": ["devs"] },
        "dave": { "email": "dave@example.com", "email_verified": true, "name": "Dave",
                  "preferred_username": "dave", "groups": ["devs"] },
        "mallory": { "email": "mallory@evil.example", "email_verified": true,
                     "name": "Mallory", "preferred_username": "mallory", "groups": ["admins"] },
    });
    OidcProvider::start(clients, accounts)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

/// A browser: a cookie store, no automatic redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn absolute(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// The first `<form … action="…">` of a page.
fn form_action(html: &str) -> Option<String> {
    let form = &html[html.find("<form")?..];
    let action = &form[form.find("action=\"")? + 8..];
    Some(action[..action.find('"')?].replace("&amp;", "&"))
}

/// The hidden inputs of a page's form: (name, value).
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    html.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            if !tag.contains("type=\"hidden\"") {
                return None;
            }
            Some((
                attribute(tag, "name")?,
                attribute(tag, "value").unwrap_or_default(),
            ))
        })
        .collect()
}

/// Follows the provider's pages from `url` (logging in as `login`, consenting) until it
/// redirects to a URL starting with `stop_at`, which is returned (not followed).
async fn through_provider(
    browser: &reqwest::Client,
    url: &str,
    login: &str,
    stop_at: &str,
) -> String {
    let mut next = url.to_string();
    for _ in 0..20 {
        if next.starts_with(stop_at) {
            return next;
        }
        let r = browser.get(&next).send().await.unwrap();
        let status = r.status().as_u16();
        if let Some(location) = r.headers().get("location") {
            next = absolute(&next, location.to_str().unwrap());
            continue;
        }
        let page = r.text().await.unwrap();
        assert_eq!(status, 200, "{next}: {page}");
        let action = form_action(&page).unwrap_or_else(|| panic!("no form at {next}: {page}"));
        let action = absolute(&next, &action);
        let mut form = hidden_inputs(&page);
        if page.contains("name=\"login\"") {
            form.push(("login".into(), login.into()));
            form.push(("password".into(), "any".into()));
        }
        let mut encoded = reqwest::Url::parse("http://form/").unwrap();
        encoded.query_pairs_mut().extend_pairs(&form);
        let r = browser
            .post(&action)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encoded.query().unwrap_or_default().to_string())
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("{action} did not redirect: {}", r.status()));
        next = absolute(&action, location.to_str().unwrap());
    }
    panic!("the provider never sent the browser back")
}

/// How a login ended: the callback's redirect and whether a session cookie came with it.
struct Ended {
    location: String,
    callback: String,
}

/// A whole browser login as `login`: start → the provider → the callback.
async fn sso_login(server: &Server, browser: &reqwest::Client, login: &str) -> Ended {
    sso_login_with(server, browser, login, "").await
}

async fn sso_login_with(
    server: &Server,
    browser: &reqwest::Client,
    login: &str,
    query: &str,
) -> Ended {
    let r = browser
        .get(format!("{}/api/v1/auth/sso/test/start{query}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302, "{}", r.text().await.unwrap());
    let to_provider = r.headers()["location"].to_str().unwrap().to_string();
    let callback = through_provider(
        browser,
        &to_provider,
        login,
        &format!("{}/api/v1/auth/sso/test/callback", server.url),
    )
    .await;
    let r = browser.get(&callback).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "callback: {}", r.status());
    Ended {
        location: r.headers()["location"].to_str().unwrap().to_string(),
        callback,
    }
}

async fn session(server: &Server, browser: &reqwest::Client) -> (u16, Value) {
    let r = browser
        .get(format!("{}/api/v1/auth/session", server.url))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn role_in(session: &Value, org: &str) -> Option<String> {
    session["organizations"]
        .as_array()?
        .iter()
        .find(|m| m["organization"]["slug"] == org)
        .map(|m| m["role"].as_str().unwrap().to_string())
}

fn provider_body(issuer: &str) -> Value {
    json!({
        "slug": "test",
        "display_name": "Test IdP",
        "issuer_url": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": ["email", "profile", "groups"],
        "allowed_domains": ["example.com"],
        "auto_provision": true,
        "group_mappings": [
            { "group": "devs", "org": "default", "role": "operator" },
            { "group": "admins", "org": "default", "role": "admin" },
        ],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_login_through_a_real_provider() {
    for database in databases("sso").await {
        let name = database.name();
        let server = start(database).await;
        let provider = provider(&server).await;
        let admin = server.admin().await.unwrap();

        // Providers: administrators only; the secret is never answered.
        let r = admin
            .post("/sso/providers", provider_body("http://10.1.2.3:1"))
            .await
            .unwrap();
        assert_eq!(
            r.status, 422,
            "{name}: a plain-HTTP internal issuer: {}",
            r.text
        );
        assert!(r.text.contains("issuer_url"), "{}", r.text);
        let r = admin
            .post("/sso/providers", provider_body(&provider.issuer))
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{name}: {}", r.text);
        assert_eq!(r.body["client_secret_set"], true);
        assert_eq!(
            r.body["redirect_uri"],
            format!("{}/api/v1/auth/sso/test/callback", server.url)
        );
        assert!(!r.text.contains(CLIENT_SECRET));
        let listed = admin.get("/sso/providers").await.unwrap();
        assert_eq!(listed.status, 200);
        assert!(!listed.text.contains(CLIENT_SECRET));
        let public = server.anonymous().get("/auth/sso/providers").await.unwrap();
        assert_eq!(public.status, 200);
        assert_eq!(
            public.body,
            json!([{ "slug": "test", "display_name": "Test IdP" }])
        );

        // A full login: the group `devs` maps to operator in `default`.
        let alice = browser();
        let ended = sso_login(&server, &alice, "alice").await;
        assert_eq!(ended.location, "/", "{name}");
        let (status, me) = session(&server, &alice).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["user"]["username"], "alice");
        assert_eq!(me["user"]["display_name"], "Alice Liddell");
        assert_eq!(role_in(&me, "default").as_deref(), Some("operator"), "{me}");

        // The state was taken: the same callback again is refused.
        let replay = browser().get(&ended.callback).send().await.unwrap();
        assert_eq!(replay.status().as_u16(), 303);
        let location = replay.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/login?sso_error="), "{location}");
        assert!(location.contains("already+used"), "{location}");

        // Audited like a password login, with its method; a refusal with its reason.
        let audit = admin
            .get("/audit?action=auth.login&limit=100")
            .await
            .unwrap();
        let entries = audit.body["items"]
            .as_array()
            .or(audit.body.as_array())
            .cloned();
        let entries = entries.unwrap_or_else(|| panic!("{}", audit.text));
        assert!(
            entries
                .iter()
                .any(|e| e["actor"] == "alice" && e["detail"]["method"] == "sso"),
            "{}",
            audit.text
        );
        let refused = admin
            .get("/audit?action=auth.login_failed&limit=100")
            .await
            .unwrap();
        assert!(
            refused.text.contains("unknown, used or expired state"),
            "{}",
            refused.text
        );

        // Login CSRF: a callback carrying someone else's code and state, followed by another
        // browser (a victim lured to it), is refused; the state is spent all the same.
        let attacker = browser();
        let r = attacker
            .get(format!("{}/api/v1/auth/sso/test/start", server.url))
            .send()
            .await
            .unwrap();
        let to_provider = r.headers()["location"].to_str().unwrap().to_string();
        let lure = through_provider(
            &attacker,
            &to_provider,
            "mallory",
            &format!("{}/api/v1/auth/sso/test/callback", server.url),
        )
        .await;
        let victim = browser();
        let r = victim.get(&lure).send().await.unwrap();
        let location = r.headers()["location"].to_str().unwrap();
        assert!(
            location.contains("not+started+in+this+browser"),
            "{location}"
        );
        assert_eq!(session(&server, &victim).await.0, 401);
        let r = attacker.get(&lure).send().await.unwrap();
        let location = r.headers()["location"].to_str().unwrap();
        assert!(location.contains("already+used"), "{location}");

        // Groups are read at each login: another group, another role; none, no role.
        provider.set_groups("alice", &["admins", "devs"]);
        let again = browser();
        sso_login(&server, &again, "alice").await;
        assert_eq!(
            role_in(&session(&server, &again).await.1, "default").as_deref(),
            Some("admin")
        );
        provider.set_groups("alice", &[]);
        let again = browser();
        sso_login(&server, &again, "alice").await;
        assert_eq!(
            role_in(&session(&server, &again).await.1, "default"),
            None,
            "{name}"
        );

        // A membership granted by hand is never changed or removed by the mapping.
        let r = admin
            .put(
                "/orgs/default/members",
                json!({ "user": "alice", "role": "viewer" }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        provider.set_groups("alice", &["admins"]);
        let again = browser();
        sso_login(&server, &again, "alice").await;
        assert_eq!(
            role_in(&session(&server, &again).await.1, "default").as_deref(),
            Some("viewer")
        );
        provider.set_groups("alice", &[]);
        let again = browser();
        sso_login(&server, &again, "alice").await;
        assert_eq!(
            role_in(&session(&server, &again).await.1, "default").as_deref(),
            Some("viewer")
        );

        // A foreign email domain is refused.
        let mallory = browser();
        let ended = sso_login(&server, &mallory, "mallory").await;
        assert!(ended.location.contains("sso_error="), "{}", ended.location);
        assert!(
            ended.location.contains("evil.example"),
            "{}",
            ended.location
        );
        assert_eq!(session(&server, &mallory).await.0, 401);

        // A wrong audience and an expired ID token, signed with the provider's own key.
        provider
            .tamper(json!({ "aud": "someone-else" }))
            .await
            .unwrap();
        let ended = sso_login(&server, &browser(), "alice").await;
        assert!(ended.location.contains("sso_error="), "{}", ended.location);
        assert!(ended.location.contains("audience"), "{}", ended.location);
        provider
            .tamper(json!({ "exp_offset_s": -600 }))
            .await
            .unwrap();
        let ended = sso_login(&server, &browser(), "alice").await;
        assert!(ended.location.contains("sso_error="), "{}", ended.location);
        assert!(
            ended.location.to_lowercase().contains("expired"),
            "{}",
            ended.location
        );

        // The provider rotates its signing key: the server reads its keys again.
        provider.rotate_keys().await.unwrap();
        let rotated = browser();
        assert_eq!(sso_login(&server, &rotated, "alice").await.location, "/");
        assert_eq!(session(&server, &rotated).await.0, 200);

        // Auto-provisioning off: a linked identity still logs in, a new one is refused.
        let mut body = provider_body(&provider.issuer);
        body["auto_provision"] = json!(false);
        body.as_object_mut().unwrap().remove("client_secret");
        let r = admin.put("/sso/providers/test", body).await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["client_secret_set"], true, "the secret was kept");
        let dave = browser();
        let ended = sso_login(&server, &dave, "dave").await;
        assert!(
            ended.location.contains("no+WindFlow+account"),
            "{}",
            ended.location
        );
        assert_eq!(session(&server, &dave).await.0, 401);
        let alice = browser();
        assert_eq!(sso_login(&server, &alice, "alice").await.location, "/");

        // Logout answers the provider's RP-initiated logout URL.
        let (_, me) = session(&server, &alice).await;
        let r = alice
            .post(format!("{}/api/v1/auth/logout", server.url))
            .header("x-csrf-token", me["csrf_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let logout: Value = r.json().await.unwrap();
        let url = logout["end_session_url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/session/end?", provider.issuer)),
            "{url}"
        );
        assert!(url.contains("post_logout_redirect_uri="), "{url}");
        assert_eq!(session(&server, &alice).await.0, 401);

        // The login round trip (start → provider → callback → session), printed: a few logins
        // (under a second), so it stays in this test rather than a server of its own.
        if name == "sqlite" {
            let mut times = Vec::new();
            for _ in 0..5 {
                let web = browser();
                let started = Instant::now();
                assert_eq!(sso_login(&server, &web, "alice").await.location, "/");
                assert_eq!(session(&server, &web).await.0, 200);
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            println!(
                "sso login round trip: median {:.1} ms over {} runs (min {:.1}, max {:.1})",
                times[times.len() / 2],
                times.len(),
                times[0],
                times[times.len() - 1]
            );
        }

        // The secret is sealed at rest.
        if name == "sqlite" {
            for file in ["windflow.db", "windflow.db-wal"] {
                if let Ok(bytes) = std::fs::read(server.data_dir.join(file)) {
                    assert!(
                        !bytes
                            .windows(CLIENT_SECRET.len())
                            .any(|w| w == CLIENT_SECRET.as_bytes()),
                        "the client secret is in clear in {file}"
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_cli_loopback_login() {
    let mut server = start(windflow_testkit::server::Database::Sqlite).await;
    let provider = provider(&server).await;
    let admin = server.admin().await.unwrap();

    // `windflow sso provider add|ls|rm`, as a server administrator; the secret from stdin.
    let server_url = server.url.clone();
    let cli_as_admin = |args: &[&str]| {
        let mut command = std::process::Command::new(bin());
        command
            .args(args)
            .env("WINDFLOW_SERVER", &server_url)
            .env("WINDFLOW_TOKEN", admin.token.as_deref().unwrap())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let mut add = cli_as_admin(&[
        "sso",
        "provider",
        "add",
        "test",
        "--name",
        "Test IdP",
        "--issuer",
        &provider.issuer,
        "--client-id",
        CLIENT_ID,
        "--secret-file",
        "-",
        "--scope",
        "email",
        "--scope",
        "profile",
        "--scope",
        "groups",
        "--domain",
        "example.com",
        "--map",
        "devs=default:operator",
        "--map",
        "admins=default:admin",
    ])
    .spawn()
    .unwrap();
    {
        use std::io::Write;
        let mut stdin = add.stdin.take().unwrap();
        writeln!(stdin, "{CLIENT_SECRET}").unwrap();
    }
    let added = add.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&added.stdout);
    assert!(
        added.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(out.contains("/api/v1/auth/sso/test/callback"), "{out}");
    let listed = cli_as_admin(&["sso", "provider", "ls"]).output().unwrap();
    let out = String::from_utf8_lossy(&listed.stdout);
    assert!(
        out.contains("Test IdP") && out.contains("devs=default:operator"),
        "{out}"
    );
    assert!(!out.contains(CLIENT_SECRET));
    let shown = admin.get("/sso/providers/test").await.unwrap();
    assert_eq!(shown.body["client_secret_set"], true, "{}", shown.text);
    let bad = cli_as_admin(&[
        "sso",
        "provider",
        "add",
        "x",
        "--name",
        "X",
        "--issuer",
        "https://id.example.com",
        "--client-id",
        "c",
        "--map",
        "devs=default",
    ])
    .output()
    .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("GROUP=ORG:ROLE"));

    // Only loopback redirects.
    for foreign in [
        "http://evil.example:8080/cb",
        "https://127.0.0.1:8080/cb",
        "http://127.0.0.1.evil.example:80/",
    ] {
        let r = browser()
            .get(format!("{}/api/v1/auth/sso/test/start", server.url))
            .query(&[("cli_redirect", foreign)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 422, "{foreign}");
    }

    // `windflow login --sso` listens on loopback and prints the URL to open.
    let home = std::env::temp_dir().join(format!("windflow-sso-cli-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let _home = TempDir(home.clone());
    let mut cli = tokio::process::Command::new(bin())
        .args(["login", &server.url, "--sso", "test", "--no-browser"])
        .env("XDG_CONFIG_HOME", &home)
        .env("HOME", &home)
        .env_remove("WINDFLOW_TOKEN")
        .env_remove("WINDFLOW_SERVER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(cli.stderr.take().unwrap()).lines();
    let start_url = loop {
        let line = tokio::time::timeout(Duration::from_secs(20), stderr.next_line())
            .await
            .expect("the CLI printed its URL")
            .unwrap()
            .expect("the CLI printed its URL");
        if let Some(at) = line.find("http") {
            break line[at..].trim().to_string();
        }
    };
    assert!(
        start_url.contains("cli_redirect=http%3A%2F%2F127.0.0.1%3A"),
        "{start_url}"
    );
    let web = browser();
    let r = web.get(&start_url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let to_provider = r.headers()["location"].to_str().unwrap().to_string();
    let callback = through_provider(
        &web,
        &to_provider,
        "alice",
        &format!("{}/api/v1/auth/sso/test/callback", server.url),
    )
    .await;
    let r = web.get(&callback).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let loopback = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loopback.starts_with("http://127.0.0.1:"), "{loopback}");
    assert!(loopback.contains("code="), "{loopback}");
    // The browser lands on the CLI's loopback; the CLI exchanges the code.
    let page = web.get(&loopback).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let status = tokio::time::timeout(Duration::from_secs(30), cli.wait())
        .await
        .unwrap()
        .unwrap();
    let out = {
        use tokio::io::AsyncReadExt;
        let mut text = String::new();
        cli.stdout
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .await
            .unwrap();
        text
    };
    assert!(status.success(), "{out}");
    assert!(out.contains("as alice"), "{out}");

    // The code was good once.
    let code = reqwest::Url::parse(&loopback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    let r = server
        .anonymous()
        .post("/auth/sso/cli/token", json!({ "code": code }))
        .await
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text);

    // The CLI's stored token works.
    let stored = std::fs::read_to_string(home.join("windflow/credentials.json"))
        .or_else(|_| std::fs::read_to_string(home.join("windflow/credentials.toml")))
        .unwrap_or_default();
    let token = stored
        .split('"')
        .find(|s| s.starts_with("wf_"))
        .unwrap_or_else(|| panic!("no token in {stored}"));
    let me = Api::new(&server.url, Some(token.to_string()))
        .get("/auth/session")
        .await
        .unwrap();
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user"]["username"], "alice");

    // `windflow admin rotate-secret-key` re-seals the client secret: a login after it still
    // authenticates the client at the provider's token endpoint.
    let status = server.terminate(Duration::from_secs(30)).unwrap();
    assert!(status.success(), "{}", server.logs());
    let before = std::fs::read_to_string(server.data_dir.join("secret.keys")).unwrap();
    let rotated = std::process::Command::new(bin())
        .args(["admin", "rotate-secret-key"])
        .env("WINDFLOW_DATA", &server.data_dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&rotated.stderr);
    assert!(rotated.status.success(), "{said}");
    assert!(said.contains("1 secret(s) re-encrypted"), "{said}");
    assert_ne!(
        before,
        std::fs::read_to_string(server.data_dir.join("secret.keys")).unwrap()
    );
    server.restart().await.unwrap();
    let web = browser();
    assert_eq!(sso_login(&server, &web, "alice").await.location, "/");
    assert_eq!(session(&server, &web).await.0, 200);

    let removed = cli_as_admin(&["sso", "provider", "rm", "test"])
        .output()
        .unwrap();
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    assert_eq!(admin.get("/sso/providers/test").await.unwrap().status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_login_can_be_disabled_server_wide() {
    let server = start_with(
        windflow_testkit::server::Database::Sqlite,
        &[("WINDFLOW_DISABLE_PASSWORD_LOGIN", "true")],
    )
    .await;
    // Break-glass: server administrators still log in with a password.
    let admin = server.admin().await.expect("an administrator logs in");
    let r = admin
        .post(
            "/users",
            json!({ "username": "bob", "password": support::MEMBER_PASSWORD }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let r = server
        .anonymous()
        .post(
            "/auth/login",
            json!({ "username": "bob", "password": support::MEMBER_PASSWORD }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.text.contains("single sign-on"), "{}", r.text);
}
