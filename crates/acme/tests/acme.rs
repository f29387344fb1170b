//! windflow-acme against a real ACME server: Debian's `pebble` (with `pebble-challtestsrv`
//! as its DNS), one pair of processes per test on loopback ports this harness picks, plus
//! the certificate checks for uploads (no server needed).
//!
//! Skipped only with `WINDFLOW_SKIP_ACME_TESTS=1` (never in CI); a missing pebble fails
//! with a pointer to `scripts/ensure-pebble.sh`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use time::OffsetDateTime;
use windflow_acme::{
    AcmeAccount, AcmeDirectory, AcmeError, CertificateError, ChallengeKind, ChallengeSolvers,
    Dns01Solver, Http01Solver, NewAccount, RevocationReason, SolverError, check_uploaded,
};
use windflow_testkit::pebble::{Pebble, make_ca, pebble_tests_enabled};

// ---------------------------------------------------------------------------------------
// Harness: pebble + challtestsrv
// ---------------------------------------------------------------------------------------

fn directory(pebble: &Pebble) -> AcmeDirectory {
    AcmeDirectory::custom(&pebble.directory_url, Some(pebble.https_root_pem.clone()))
}

async fn account(pebble: &Pebble) -> AcmeAccount {
    AcmeAccount::create(
        &directory(pebble),
        &NewAccount {
            contact_email: Some("ops@example.test".into()),
            terms_of_service_agreed: true,
        },
    )
    .await
    .map(|(account, _)| account)
    .unwrap_or_else(|e| panic!("creating the account: {e}\n{}", pebble.logs()))
}

fn rustls_roots(pem: &str) -> rustls::RootCertStore {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    roots
}

// ---------------------------------------------------------------------------------------
// Solvers: what the gateway and the DNS providers will implement
// ---------------------------------------------------------------------------------------

/// Serves `/.well-known/acme-challenge/<token>` on pebble's httpPort, as the gateway will.
struct GatewayStandIn {
    tokens: Arc<Mutex<HashMap<String, String>>>,
    cleaned: Mutex<Vec<String>>,
    /// Serve a wrong key authorization, to make the CA's validation fail.
    corrupt: bool,
    _server: tokio::task::JoinHandle<()>,
}

impl GatewayStandIn {
    async fn start(port: u16, corrupt: bool) -> Arc<GatewayStandIn> {
        let tokens: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        async fn serve(
            State(tokens): State<Arc<Mutex<HashMap<String, String>>>>,
            Path(token): Path<String>,
        ) -> Result<String, StatusCode> {
            tokens
                .lock()
                .unwrap()
                .get(&token)
                .cloned()
                .ok_or(StatusCode::NOT_FOUND)
        }
        let app = axum::Router::new()
            .route("/.well-known/acme-challenge/{token}", get(serve))
            .with_state(tokens.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Arc::new(GatewayStandIn {
            tokens,
            cleaned: Mutex::default(),
            corrupt,
            _server: server,
        })
    }
}

#[async_trait]
impl Http01Solver for GatewayStandIn {
    async fn present(&self, token: &str, key_authorization: &str) -> Result<(), SolverError> {
        let value = if self.corrupt {
            format!("{token}.not-the-account-thumbprint")
        } else {
            key_authorization.to_owned()
        };
        self.tokens.lock().unwrap().insert(token.to_owned(), value);
        Ok(())
    }

    async fn cleanup(&self, token: &str) -> Result<(), SolverError> {
        self.tokens.lock().unwrap().remove(token);
        self.cleaned.lock().unwrap().push(token.to_owned());
        Ok(())
    }
}

/// Drives challtestsrv's management API, standing in for a DNS provider.
struct DnsStandIn {
    management: String,
    client: reqwest::Client,
    presented: Mutex<Vec<(String, String)>>,
    cleaned: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl Dns01Solver for DnsStandIn {
    async fn present(&self, fqdn: &str, txt_value: &str) -> Result<(), SolverError> {
        let response = self
            .client
            .post(format!("{}/set-txt", self.management))
            .json(&serde_json::json!({"host": format!("{fqdn}."), "value": txt_value}))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(format!("set-txt answered {}", response.status()).into());
        }
        self.presented
            .lock()
            .unwrap()
            .push((fqdn.to_owned(), txt_value.to_owned()));
        Ok(())
    }

    async fn cleanup(&self, fqdn: &str, txt_value: &str) -> Result<(), SolverError> {
        // challtestsrv clears every value of a name at once.
        self.client
            .post(format!("{}/clear-txt", self.management))
            .json(&serde_json::json!({"host": format!("{fqdn}.")}))
            .send()
            .await?
            .error_for_status()?;
        self.cleaned
            .lock()
            .unwrap()
            .push((fqdn.to_owned(), txt_value.to_owned()));
        Ok(())
    }
}

/// Verifies the chain for `name` against pebble's issuing root, as a TLS client would.
fn verify_chain(chain_pem: &str, issuing_root_pem: &str, name: &str) {
    use rustls::client::danger::ServerCertVerifier;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(rustls_roots(issuing_root_pem)),
        provider,
    )
    .build()
    .unwrap();
    verifier
        .verify_server_cert(
            &chain[0],
            &chain[1..],
            &ServerName::try_from(name.to_owned()).unwrap(),
            &[],
            UnixTime::now(),
        )
        .unwrap_or_else(|e| panic!("the chain does not verify for {name}: {e}"));
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// (a) HTTP-01, several names, account restored from its credentials
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn http01_issues_one_certificate_for_several_names_that_verifies_against_the_ca() {
    if !pebble_tests_enabled() {
        return;
    }
    let pebble = Pebble::start().await;
    let (_, credentials) = AcmeAccount::create(
        &directory(&pebble),
        &NewAccount {
            contact_email: Some("ops@example.test".into()),
            terms_of_service_agreed: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(format!("{credentials:?}"), "AccountCredentials([redacted])");
    // What the control plane stores sealed, read back.
    let stored = serde_json::to_string(&credentials).unwrap();
    let account =
        AcmeAccount::restore(&directory(&pebble), &serde_json::from_str(&stored).unwrap())
            .await
            .unwrap();

    let gateway = GatewayStandIn::start(pebble.http_port, false).await;
    let solvers = ChallengeSolvers::http01(gateway.clone());
    let domains = names(&["app.example.test", "www.example.test", "api.example.test"]);
    let started = Instant::now();
    let issued = account.issue(&domains, &solvers).await.unwrap();
    let took = started.elapsed();
    eprintln!("issuance with pebble (3 names, HTTP-01): {took:?}");

    let mut sans = issued.info.sans.clone();
    sans.sort();
    let mut expected = domains.clone();
    expected.sort();
    assert_eq!(sans, expected);
    assert_eq!(issued.info.key_algorithm, "ECDSA P-256");
    assert!(issued.info.chain_length >= 2, "{:?}", issued.info);
    assert!(issued.key_pem.expose().contains("BEGIN PRIVATE KEY"));
    assert_eq!(format!("{:?}", issued.key_pem), "[redacted]");
    assert!(!format!("{issued:?}").contains("PRIVATE KEY"));

    let root = pebble.issuing_root_pem().await;
    for name in &domains {
        verify_chain(&issued.chain_pem, &root, name);
    }
    // The chain and key pass the same checks as an upload.
    let info = check_uploaded(
        &issued.chain_pem,
        issued.key_pem.expose(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(info, issued.info);

    // Every token was served and then withdrawn.
    assert!(gateway.tokens.lock().unwrap().is_empty());
    assert_eq!(gateway.cleaned.lock().unwrap().len(), domains.len());
}

// ---------------------------------------------------------------------------------------
// (b) DNS-01, a wildcard and its base name
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn dns01_issues_a_wildcard_with_its_base_name() {
    if !pebble_tests_enabled() {
        return;
    }
    let pebble = Pebble::start().await;
    let account = account(&pebble).await;
    let dns = Arc::new(DnsStandIn {
        management: pebble.challtestsrv_url.clone(),
        client: reqwest::Client::new(),
        presented: Mutex::default(),
        cleaned: Mutex::default(),
    });
    // HTTP-01 is preferred, but a wildcard must go through DNS-01; its base name then
    // goes through HTTP-01 only when an HTTP solver exists — here only DNS does.
    let solvers = ChallengeSolvers {
        http01: None,
        dns01: Some(dns.clone()),
        preference: ChallengeKind::Http01,
    };
    let domains = names(&["*.example.test", "example.test"]);
    let started = Instant::now();
    let issued = account.issue(&domains, &solvers).await.unwrap();
    eprintln!(
        "issuance with pebble (wildcard + base, DNS-01): {:?}",
        started.elapsed()
    );

    let mut sans = issued.info.sans.clone();
    sans.sort();
    assert_eq!(sans, names(&["*.example.test", "example.test"]));
    let root = pebble.issuing_root_pem().await;
    verify_chain(&issued.chain_pem, &root, "anything.example.test");
    verify_chain(&issued.chain_pem, &root, "example.test");

    let presented = dns.presented.lock().unwrap().clone();
    assert_eq!(presented.len(), 2);
    assert!(
        presented
            .iter()
            .all(|(fqdn, _)| fqdn == "_acme-challenge.example.test")
    );
    assert_ne!(presented[0].1, presented[1].1, "two values at one name");
    let mut cleaned = dns.cleaned.lock().unwrap().clone();
    cleaned.sort();
    let mut expected = presented.clone();
    expected.sort();
    assert_eq!(cleaned, expected);
}

// ---------------------------------------------------------------------------------------
// (c) A failing challenge
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_failed_challenge_reports_the_cas_detail_and_leaves_nothing_behind() {
    if !pebble_tests_enabled() {
        return;
    }
    let pebble = Pebble::start().await;
    let account = account(&pebble).await;
    let gateway = GatewayStandIn::start(pebble.http_port, true).await;
    let solvers = ChallengeSolvers::http01(gateway.clone());
    let error = account
        .issue(&names(&["broken.example.test"]), &solvers)
        .await
        .unwrap_err();
    eprintln!("failed challenge: {error}");
    match &error {
        AcmeError::ChallengeFailed {
            identifier,
            kind,
            detail,
        } => {
            assert_eq!(identifier, "broken.example.test");
            assert_eq!(*kind, ChallengeKind::Http01);
            assert!(
                detail.contains("key authorization") || detail.contains("unauthorized"),
                "pebble's detail: {detail}"
            );
        }
        other => panic!("expected ChallengeFailed, got {other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.starts_with("the http-01 challenge for broken.example.test failed: "),
        "{text}"
    );
    assert!(
        gateway.tokens.lock().unwrap().is_empty(),
        "a token was left served"
    );
    assert_eq!(gateway.cleaned.lock().unwrap().len(), 1);

    // A wildcard without a DNS-01 solver is refused before any order.
    let error = account
        .issue(&names(&["*.example.test"]), &solvers)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("wildcard, which needs a DNS-01 solver"),
        "{error}"
    );
}

/// Publishes like the gateway, but fails for one name, or never returns for one.
struct Flaky {
    inner: Arc<GatewayStandIn>,
    fail_after: usize,
    hang: bool,
    presented: Mutex<usize>,
    started: tokio::sync::Notify,
}

#[async_trait]
impl Http01Solver for Flaky {
    async fn present(&self, token: &str, key_authorization: &str) -> Result<(), SolverError> {
        let count = {
            let mut n = self.presented.lock().unwrap();
            *n += 1;
            *n
        };
        if count > self.fail_after {
            if self.hang {
                self.started.notify_one();
                std::future::pending::<()>().await;
            }
            return Err("the gateway refused the route".into());
        }
        self.inner.present(token, key_authorization).await
    }

    async fn cleanup(&self, token: &str) -> Result<(), SolverError> {
        self.inner.cleanup(token).await
    }
}

#[tokio::test]
async fn a_failing_solver_is_named_and_what_it_published_is_withdrawn() {
    if !pebble_tests_enabled() {
        return;
    }
    let pebble = Pebble::start().await;
    let account = account(&pebble).await;
    let gateway = GatewayStandIn::start(pebble.http_port, false).await;
    let flaky = Arc::new(Flaky {
        inner: gateway.clone(),
        fail_after: 1,
        hang: false,
        presented: Mutex::default(),
        started: tokio::sync::Notify::new(),
    });
    let error = account
        .issue(
            &names(&["one.example.test", "two.example.test"]),
            &ChallengeSolvers::http01(flaky),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, AcmeError::Solver { .. }), "{error:?}");
    assert!(
        error.to_string().contains("the gateway refused the route"),
        "{error}"
    );
    assert!(gateway.tokens.lock().unwrap().is_empty());
    // Both the published token and the one that failed half-way are cleaned up.
    assert_eq!(gateway.cleaned.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_abandoned_issuance_still_withdraws_its_challenges() {
    if !pebble_tests_enabled() {
        return;
    }
    let pebble = Pebble::start().await;
    let account = account(&pebble).await;
    let gateway = GatewayStandIn::start(pebble.http_port, false).await;
    let flaky = Arc::new(Flaky {
        inner: gateway.clone(),
        fail_after: 1,
        hang: true,
        presented: Mutex::default(),
        started: tokio::sync::Notify::new(),
    });
    let solvers = ChallengeSolvers::http01(flaky.clone());
    let domains = names(&["one.example.test", "two.example.test"]);
    let issuing = account.issue(&domains, &solvers);
    tokio::select! {
        _ = issuing => panic!("the hanging solver returned"),
        _ = flaky.started.notified() => {}
    }
    // The issuing future is dropped here; its cleanup runs on a spawned task.
    let deadline = Instant::now() + Duration::from_secs(5);
    while gateway.cleaned.lock().unwrap().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "cleanup did not run after cancellation"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gateway.tokens.lock().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// (d) Revocation
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn revocation_is_recorded_by_the_ca_and_a_second_one_says_already_revoked() {
    if !pebble_tests_enabled() {
        return;
    }
    let pebble = Pebble::start().await;
    let account = account(&pebble).await;
    let gateway = GatewayStandIn::start(pebble.http_port, false).await;
    let issued = account
        .issue(
            &names(&["gone.example.test"]),
            &ChallengeSolvers::http01(gateway),
        )
        .await
        .unwrap();
    let before = pebble.cert_status(&issued.info.serial).await;
    assert_eq!(before["Status"], "Valid", "{before}");

    windflow_acme::revoke(&account, &issued.chain_pem, RevocationReason::Superseded)
        .await
        .unwrap();
    let after = pebble.cert_status(&issued.info.serial).await;
    assert_eq!(after["Status"], "Revoked", "{after}");
    assert_eq!(after["Reason"], 4, "{after}"); // superseded

    let again = account
        .revoke(&issued.chain_pem, RevocationReason::Superseded)
        .await
        .unwrap_err();
    assert!(
        matches!(again, AcmeError::AlreadyRevoked { .. }),
        "{again:?}"
    );
}

// ---------------------------------------------------------------------------------------
// (e) Unreachable directory, untrusted root
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unreachable_directory_is_named_in_the_error() {
    let port = windflow_testkit::free_port(); // nothing listens there
    let url = format!("https://127.0.0.1:{port}/dir");
    let error = AcmeAccount::create(
        &AcmeDirectory::custom(&url, Some(make_ca("unused").0)),
        &NewAccount {
            contact_email: None,
            terms_of_service_agreed: true,
        },
    )
    .await
    .unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, AcmeError::Unreachable { .. }), "{error:?}");
    assert!(
        text.contains(&url) && text.contains("unreachable"),
        "{text}"
    );
}

#[tokio::test]
async fn a_ca_signed_by_an_untrusted_root_is_refused_with_a_hint() {
    if !pebble_tests_enabled() {
        return;
    }
    let pebble = Pebble::start().await;
    let new = NewAccount {
        contact_email: None,
        terms_of_service_agreed: true,
    };
    let (other_root, _) = make_ca("some other CA");
    for directory in [
        AcmeDirectory::custom(&pebble.directory_url, Some(other_root)),
        AcmeDirectory::custom(&pebble.directory_url, None), // the system roots
    ] {
        // Pebble on a loaded machine may reset the first connections while it settles: that is
        // `Unreachable`, rightly, and not what this test is about.
        let mut error = AcmeAccount::create(&directory, &new).await.unwrap_err();
        for _ in 0..5 {
            if !matches!(error, AcmeError::Unreachable { .. }) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            error = AcmeAccount::create(&directory, &new).await.unwrap_err();
        }
        assert!(
            matches!(error, AcmeError::UntrustedCaRoot { .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("supply its root certificate"),
            "{error}"
        );
    }
    let error = AcmeAccount::create(
        &AcmeDirectory::custom(&pebble.directory_url, Some("garbage".into())),
        &new,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, AcmeError::InvalidRootPem(_)), "{error:?}");
}

// ---------------------------------------------------------------------------------------
// (f) Uploaded certificates
// ---------------------------------------------------------------------------------------

struct TestChain {
    leaf_pem: String,
    leaf_key_pem: String,
    intermediate_pem: String,
    root_pem: String,
}

fn test_chain(leaf_validity: (OffsetDateTime, OffsetDateTime)) -> TestChain {
    let (root_pem, root_issuer) = make_ca("Upload Root");
    let intermediate_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Upload Intermediate");
    let intermediate = params.signed_by(&intermediate_key, &root_issuer).unwrap();
    let intermediate_issuer = Issuer::new(params, intermediate_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["shop.example.com".into(), "*.shop.example.com".into()])
            .unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "shop.example.com");
    params.not_before = leaf_validity.0;
    params.not_after = leaf_validity.1;
    let leaf = params.signed_by(&leaf_key, &intermediate_issuer).unwrap();
    TestChain {
        leaf_pem: leaf.pem(),
        leaf_key_pem: leaf_key.serialize_pem(),
        intermediate_pem: intermediate.pem(),
        root_pem,
    }
}

fn valid_now() -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    (
        now - time::Duration::days(1),
        now + time::Duration::days(89),
    )
}

#[test]
fn an_uploaded_chain_with_its_key_is_accepted_and_described() {
    let chain = test_chain(valid_now());
    let pem = format!(
        "{}{}{}",
        chain.leaf_pem, chain.intermediate_pem, chain.root_pem
    );
    let info = check_uploaded(&pem, &chain.leaf_key_pem, OffsetDateTime::now_utc()).unwrap();
    assert_eq!(
        info.sans,
        names(&["shop.example.com", "*.shop.example.com"])
    );
    assert_eq!(info.subject, "CN=shop.example.com");
    assert_eq!(info.issuer, "CN=Upload Intermediate");
    assert_eq!(info.key_algorithm, "ECDSA P-256");
    assert_eq!(info.chain_length, 3);
    assert_eq!(info.sha256_fingerprint.len(), 64);
    // Without the root is fine too.
    let pem = format!("{}{}", chain.leaf_pem, chain.intermediate_pem);
    check_uploaded(&pem, &chain.leaf_key_pem, OffsetDateTime::now_utc()).unwrap();
}

#[test]
fn an_upload_with_another_key_is_refused() {
    let chain = test_chain(valid_now());
    let other = KeyPair::generate().unwrap().serialize_pem();
    let pem = format!("{}{}", chain.leaf_pem, chain.intermediate_pem);
    let error = check_uploaded(&pem, &other, OffsetDateTime::now_utc()).unwrap_err();
    assert!(
        matches!(error, CertificateError::KeyMismatch { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("certificate #1 (CN=shop.example.com)"),
        "{error}"
    );
    let error = check_uploaded(&pem, "not a key", OffsetDateTime::now_utc()).unwrap_err();
    assert!(matches!(error, CertificateError::Key(_)), "{error:?}");
}

#[test]
fn an_upload_in_the_wrong_order_names_the_certificates_at_fault() {
    let chain = test_chain(valid_now());
    // Root before intermediate.
    let pem = format!(
        "{}{}{}",
        chain.leaf_pem, chain.root_pem, chain.intermediate_pem
    );
    let error = check_uploaded(&pem, &chain.leaf_key_pem, OffsetDateTime::now_utc()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "certificate #1 (CN=shop.example.com) is not issued by certificate #2 (CN=Upload Root): \
         its issuer is CN=Upload Intermediate; order the chain leaf first, each certificate \
         followed by its issuer"
    );
    // The right name but another key: the signature check catches it.
    let impostor = test_chain(valid_now()).intermediate_pem;
    let pem = format!("{}{}", chain.leaf_pem, impostor);
    let error = check_uploaded(&pem, &chain.leaf_key_pem, OffsetDateTime::now_utc()).unwrap_err();
    assert!(
        matches!(&error, CertificateError::ChainOrder { position: 1, issuer_position: 2, reason, .. } if reason.contains("signature")),
        "{error:?}"
    );
}

#[test]
fn an_expired_or_future_upload_is_refused() {
    let now = OffsetDateTime::now_utc();
    let chain = test_chain((
        now - time::Duration::days(100),
        now - time::Duration::days(10),
    ));
    let pem = format!("{}{}", chain.leaf_pem, chain.intermediate_pem);
    let error = check_uploaded(&pem, &chain.leaf_key_pem, now).unwrap_err();
    assert!(
        matches!(error, CertificateError::Expired { position: 1, .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("certificate #1 (CN=shop.example.com) expired at ")
    );

    let chain = test_chain((
        now + time::Duration::days(1),
        now + time::Duration::days(90),
    ));
    let pem = format!("{}{}", chain.leaf_pem, chain.intermediate_pem);
    let error = check_uploaded(&pem, &chain.leaf_key_pem, now).unwrap_err();
    assert!(
        matches!(error, CertificateError::NotYetValid { position: 1, .. }),
        "{error:?}"
    );
}

#[test]
fn garbage_uploads_get_clear_errors() {
    let now = OffsetDateTime::now_utc();
    let key = KeyPair::generate().unwrap().serialize_pem();
    assert_eq!(
        check_uploaded("", &key, now).unwrap_err(),
        CertificateError::NoCertificate
    );
    let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        check_uploaded(broken, &key, now).unwrap_err(),
        CertificateError::Parse { position: 1, .. }
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic_the_parsers(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = windflow_acme::certificate_info(&text);
        let _ = check_uploaded(&text, &text, OffsetDateTime::now_utc());
    }

    #[test]
    fn arbitrary_base64_in_a_pem_block_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1500)) {
        use std::fmt::Write;
        let mut b64 = String::new();
        // A crude base64 of the bytes, so the PEM layer passes and the DER parser sees them.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | *b as u32) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                b64.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
            for _ in chunk.len()..3 { b64.push('='); }
        }
        let mut pem = String::new();
        let _ = write!(pem, "-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n");
        let _ = windflow_acme::certificate_info(&pem);
        let _ = check_uploaded(&pem, &pem, OffsetDateTime::now_utc());
    }
}
