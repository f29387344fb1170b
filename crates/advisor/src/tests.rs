//! Compose text in, findings out: one `check` per rule through [`crate::advise_text`], with
//! negative cases, then the catalogue's own invariants and property tests.

use std::collections::BTreeSet;

use crate::{Finding, RULES, Severity, advise, advise_text, has_errors, locate_lines, render_text};

/// A compose text from its lines (line `n` of the text is `lines[n - 1]`).
fn doc(lines: &[&str]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The findings of `rule` in `text`, as (service, field, line).
fn check(rule: &str, text: &str, expected: &[(Option<&str>, &str, usize)]) {
    let findings = advise_text("compose.yaml", text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let got: Vec<(Option<&str>, &str, usize)> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.service.as_deref(), f.field.as_str(), f.line.unwrap_or(0)))
        .collect();
    assert_eq!(
        got, expected,
        "rule {rule} in:\n{text}\nfindings: {findings:#?}"
    );
    for finding in findings.iter().filter(|f| f.rule == rule) {
        let rule = crate::rule(finding.rule).expect("rule in RULES");
        assert_eq!(finding.severity, rule.severity, "{finding:?}");
        assert!(!finding.fix.is_empty() && !finding.message.is_empty());
        if let Some(service) = &finding.service {
            assert!(
                finding.message.contains(&format!("service {service} ")),
                "the message names the service: {}",
                finding.message
            );
        }
    }
}

/// A service that every rule is happy with.
const GOOD: &[&str] = &[
    "services:",
    "  web:",
    "    image: nginx:1.27",
    "    user: \"101:101\"",
    "    restart: unless-stopped",
    "    healthcheck:",
    "      test: [\"CMD\", \"wget\", \"-q\", \"--spider\", \"http://localhost:8080/\"]",
    "    deploy:",
    "      resources:",
    "        limits:",
    "          memory: 256M",
];

/// [`GOOD`] with more lines for `web` (from line 12 on).
fn good_with(extra: &[&str]) -> String {
    let mut lines = GOOD.to_vec();
    lines.extend_from_slice(extra);
    doc(&lines)
}

#[test]
fn a_well_configured_stack_has_no_findings() {
    let text = doc(&[
        "services:",
        "  web:",
        "    image: nginx:1.27",
        "    user: \"101:101\"",
        "    restart: unless-stopped",
        "    healthcheck:",
        "      test: [\"CMD\", \"wget\", \"-q\", \"--spider\", \"http://localhost:8080/\"]",
        "    deploy:",
        "      resources:",
        "        limits:",
        "          memory: 256M",
        "    ports: [\"8080:8080\", \"127.0.0.1:5432:5432\"]",
        "    cap_add: []",
        "    volumes:",
        "      - data:/data",
        "      - /etc/localtime:/etc/localtime:ro",
        "      - ./conf:/conf:ro",
        "    environment:",
        "      DB_PASSWORD: ${DB_PASSWORD}",
        "      API_TOKEN:",
        "      DB_PASSWORD_FILE: /run/secrets/db",
        "      TOKEN_TTL: 3600",
        "      LOG_LEVEL: info",
        "  db:",
        "    image: postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "    user: postgres",
        "    restart: always",
        "    mem_limit: 1g",
        "    healthcheck:",
        "      test: [\"CMD-SHELL\", \"pg_isready\"]",
        "    environment:",
        "      - POSTGRES_PASSWORD",
        "      - POSTGRES_USER=app",
        "    volumes:",
        "      - db:/var/lib/postgresql/data",
        "volumes:",
        "  data:",
        "    x-windflow:",
        "      backup: {schedule: daily}",
        "  db:",
        "    x-windflow: {backup: true}",
    ]);
    let findings = advise_text("compose.yaml", &text).unwrap();
    assert_eq!(
        findings,
        vec![],
        "{}",
        render_text("compose.yaml", &findings, false)
    );
}

#[test]
fn privileged() {
    check(
        "privileged",
        &good_with(&["    privileged: true"]),
        &[(Some("web"), "services.web.privileged", 12)],
    );
    check("privileged", &good_with(&["    privileged: false"]), &[]);
}

#[test]
fn capabilities() {
    let text = good_with(&[
        "    cap_add:",
        "      - NET_BIND_SERVICE",
        "      - SYS_ADMIN",
        "      - cap_net_admin",
        "      - CHOWN",
    ]);
    check(
        "dangerous-capability",
        &text,
        &[
            (Some("web"), "services.web.cap_add[1]", 14),
            (Some("web"), "services.web.cap_add[2]", 15),
        ],
    );
    check(
        "added-capability",
        &text,
        &[
            (Some("web"), "services.web.cap_add[0]", 13),
            (Some("web"), "services.web.cap_add[3]", 16),
        ],
    );
    check(
        "dangerous-capability",
        &good_with(&["    cap_add: [ALL]"]),
        &[(Some("web"), "services.web.cap_add[0]", 12)],
    );
    check(
        "added-capability",
        &good_with(&["    cap_drop: [ALL]"]),
        &[],
    );
}

#[test]
fn docker_socket() {
    let text = good_with(&[
        "    volumes:",
        "      - data:/data",
        "      - /var/run/docker.sock:/var/run/docker.sock:ro",
        "      - type: bind",
        "        source: /run/docker.sock",
        "        target: /sock",
        "      - sock:/mnt/sock",
        "      - /run:/host-run",
        "volumes:",
        "  data:",
        "  sock:",
        "    driver_opts: {type: none, o: bind, device: /var/run/docker.sock}",
    ]);
    check(
        "docker-socket",
        &text,
        &[
            (Some("web"), "services.web.volumes[1]", 14),
            (Some("web"), "services.web.volumes[2]", 15),
            (Some("web"), "services.web.volumes[3]", 18),
            (Some("web"), "services.web.volumes[4]", 19),
        ],
    );
    let text = good_with(&["    volumes: [\"/srv/docker.sockets:/s\", \"/var/run/app:/run/app\"]"]);
    check("docker-socket", &text, &[]);
}

#[test]
fn sensitive_host_mounts() {
    let text = good_with(&[
        "    volumes:",
        "      - /:/host:ro",
        "      - /etc:/host-etc",
        "      - /etc/localtime:/etc/localtime:ro",
        "      - /var/lib/docker/:/docker",
        "      - /proc:/host/proc:ro",
        "      - /srv/app:/app",
        "      - etc:/etc-volume",
        "      - ..:/up",
        "      - .:/code",
        "volumes:",
        "  etc:",
        "    driver_opts: {type: none, o: bind, device: /etc}",
    ]);
    check(
        "sensitive-host-mount",
        &text,
        &[
            (Some("web"), "services.web.volumes[0]", 13),
            (Some("web"), "services.web.volumes[1]", 14),
            (Some("web"), "services.web.volumes[3]", 16),
            (Some("web"), "services.web.volumes[4]", 17),
            (Some("web"), "services.web.volumes[6]", 19),
        ],
    );
}

#[test]
fn host_namespaces() {
    let text = good_with(&["    network_mode: host", "    pid: host", "    ipc: host"]);
    check(
        "host-namespace",
        &text,
        &[
            (Some("web"), "services.web.network_mode", 12),
            (Some("web"), "services.web.pid", 13),
            (Some("web"), "services.web.ipc", 14),
        ],
    );
    let text = good_with(&[
        "    network_mode: bridge",
        "    pid: \"service:db\"",
        "    ipc: private",
        "  db:",
        "    image: redis:7",
    ]);
    check("host-namespace", &text, &[]);
}

#[test]
fn unconfined_security_profiles() {
    let text = good_with(&[
        "    security_opt:",
        "      - no-new-privileges:true",
        "      - seccomp:unconfined",
        "      - apparmor=unconfined",
        "      - label:disable",
    ]);
    check(
        "unconfined-security-profile",
        &text,
        &[
            (Some("web"), "services.web.security_opt[1]", 14),
            (Some("web"), "services.web.security_opt[2]", 15),
            (Some("web"), "services.web.security_opt[3]", 16),
        ],
    );
}

#[test]
fn database_ports() {
    let text = good_with(&[
        "    ports:",
        "      - \"8000-8002:80-82\"",
        "      - \"5432:5432\"",
        "      - \"127.0.0.1:6379:6379\"",
        "      - target: 27017",
        "        published: \"27018\"",
        "      - \"0.0.0.0:13306:3306\"",
        "      - \"[::]:9200:9200\"",
        "      - \"11211\"",
        "      - \"10.0.0.5:1433:1433\"",
    ]);
    check(
        "database-port-published",
        &text,
        &[
            (Some("web"), "services.web.ports[1]", 14),
            (Some("web"), "services.web.ports[3]", 16),
            (Some("web"), "services.web.ports[4]", 18),
            (Some("web"), "services.web.ports[5]", 19),
            (Some("web"), "services.web.ports[6]", 20),
        ],
    );
    check(
        "database-port-published",
        &good_with(&["    expose: [\"5432\"]"]),
        &[],
    );
}

#[test]
fn secrets_in_environment() {
    let text = good_with(&[
        "    environment:",
        "      DB_PASSWORD: hunter2",
        "      STRIPE_API_KEY: sk_live_123",
        "      FROM_VARIABLE: ${X}",
        "      JWT_SECRET: ${JWT_SECRET}",
        "      SESSION_SECRET: ${SESSION_SECRET:-changeme}",
        "      GITHUB_TOKEN:",
        "      SMTP_PASSWORD: \"\"",
        "      ADMIN_PASSWORD_FILE: /run/secrets/admin",
        "      PASSWORD_MIN_LENGTH: 8",
        "      AUTH_TOKEN_URL: https://auth.example.com/token",
        "  worker:",
        "    image: app:1",
        "    environment:",
        "      - REDIS_PASSWORD=secret",
        "      - AWS_SECRET_ACCESS_KEY",
        "      - GIT_TOKEN=${GIT_TOKEN}",
    ]);
    check(
        "secret-in-environment",
        &text,
        &[
            (Some("web"), "services.web.environment.DB_PASSWORD", 13),
            (Some("web"), "services.web.environment.SESSION_SECRET", 17),
            (Some("web"), "services.web.environment.STRIPE_API_KEY", 14),
            (
                Some("worker"),
                "services.worker.environment.REDIS_PASSWORD",
                26,
            ),
        ],
    );
    // The value is never repeated.
    let findings = advise_text("compose.yaml", &text).unwrap();
    assert!(
        findings
            .iter()
            .all(|f| !f.message.contains("hunter2") && !f.fix.contains("hunter2"))
    );
}

#[test]
fn secrets_from_variables_count_as_literal_in_advise_only() {
    let text = good_with(&["    environment:", "      JWT_SECRET: ${JWT_SECRET}"]);
    let options = windflow_compose::LoadOptions {
        environment: [("JWT_SECRET".to_string(), "s3cret".to_string())].into(),
        ..Default::default()
    };
    let loaded = windflow_compose::load_from_str("compose.yaml", &text, &options).unwrap();
    let from_stack: Vec<&str> = advise(&loaded.stack).iter().map(|f| f.rule).collect();
    assert!(
        from_stack.contains(&"secret-in-environment"),
        "{from_stack:?}"
    );
    let from_text = crate::advise_text_with("compose.yaml", &text, &options).unwrap();
    assert!(
        from_text.iter().all(|f| f.rule != "secret-in-environment"),
        "{from_text:?}"
    );
}

#[test]
fn latest_image_tags() {
    let text = doc(&[
        "services:",
        "  a:",
        "    image: nginx",
        "  b:",
        "    image: nginx:latest",
        "  c:",
        "    image: registry.example.com:5000/team/app",
        "  d:",
        "    image: registry.example.com:5000/team/app:2.1",
        "  e:",
        "    image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "  f:",
        "    image: ghcr.io/owner/app:LATEST",
    ]);
    check(
        "latest-image-tag",
        &text,
        &[
            (Some("a"), "services.a.image", 3),
            (Some("b"), "services.b.image", 5),
            (Some("c"), "services.c.image", 7),
            (Some("f"), "services.f.image", 13),
        ],
    );
}

#[test]
fn healthchecks() {
    let text = doc(&[
        "services:",
        "  web:",
        "    image: nginx:1.27",
        "    depends_on:",
        "      migrate: {condition: service_completed_successfully}",
        "  migrate:",
        "    image: app:1",
        "  quiet:",
        "    image: app:1",
        "    healthcheck: {disable: true}",
    ]);
    check("no-healthcheck", &text, &[(Some("web"), "services.web", 2)]);
    check("no-healthcheck", &doc(GOOD), &[]);
    let findings = advise_text(
        "compose.yaml",
        &doc(&["services:", "  db:", "    image: postgres:16"]),
    )
    .unwrap();
    let fix = &findings
        .iter()
        .find(|f| f.rule == "no-healthcheck")
        .unwrap()
        .fix;
    assert!(fix.contains("pg_isready"), "{fix}");
}

#[test]
fn restart_policies() {
    let text = doc(&[
        "services:",
        "  a:",
        "    image: app:1",
        "  b:",
        "    image: app:1",
        "    restart: \"no\"",
        "  c:",
        "    image: app:1",
        "    deploy:",
        "      restart_policy: {condition: on-failure}",
        "  d:",
        "    image: app:1",
        "    restart: on-failure:3",
    ]);
    check(
        "no-restart-policy",
        &text,
        &[
            (Some("a"), "services.a", 2),
            (Some("b"), "services.b.restart", 6),
        ],
    );
}

#[test]
fn memory_limits() {
    let text = doc(&[
        "services:",
        "  a:",
        "    image: app:1",
        "  b:",
        "    image: app:1",
        "    mem_limit: 512m",
        "  c:",
        "    image: app:1",
        "    deploy: {resources: {reservations: {memory: 64M}}}",
    ]);
    check(
        "no-memory-limit",
        &text,
        &[(Some("a"), "services.a", 2), (Some("c"), "services.c", 7)],
    );
}

#[test]
fn root_users() {
    let text = doc(&[
        "services:",
        "  a:",
        "    image: app:1",
        "  b:",
        "    image: app:1",
        "    user: root",
        "  c:",
        "    image: app:1",
        "    user: \"0:0\"",
        "  d:",
        "    image: app:1",
        "    user: \"1000\"",
        "  e:",
        "    image: app:1",
        "    user: node",
        "  f:",
        "    image: app:1",
        "    user: \"${UID}:${GID}\"",
        "  g:",
        "    image: app:1",
        "    user: \"${UID:-0}\"",
    ]);
    check(
        "runs-as-root",
        &text,
        &[
            (Some("a"), "services.a", 2),
            (Some("b"), "services.b.user", 6),
            (Some("c"), "services.c.user", 9),
            (Some("g"), "services.g.user", 21),
        ],
    );
}

#[test]
fn volumes_without_backup() {
    let text = good_with(&[
        "    volumes: [\"data:/data\", \"cache:/cache\", \"logs:/logs\", \"shared:/shared\", \"bound:/bound\"]",
        "volumes:",
        "  data:",
        "  cache:",
        "    x-windflow: {backup: false}",
        "  logs:",
        "    x-windflow: {backup: {}}",
        "  shared:",
        "    external: true",
        "  bound:",
        "  unused:",
    ]);
    check(
        "volume-without-backup",
        &text,
        &[
            (None, "volumes.bound", 21),
            (None, "volumes.cache", 15),
            (None, "volumes.data", 14),
        ],
    );
    let mut listed = text.clone();
    listed.push_str("x-windflow:\n  backup:\n    volumes: [data, bound]\n");
    check(
        "volume-without-backup",
        &listed,
        &[(None, "volumes.cache", 15)],
    );
    let mut all = text.clone();
    all.push_str("x-windflow:\n  backup: {schedule: daily}\n");
    check("volume-without-backup", &all, &[]);
    // The stack alone does not know about extensions: the rule is text-only.
    let loaded =
        windflow_compose::load_from_str("compose.yaml", &text, &Default::default()).unwrap();
    assert!(
        advise(&loaded.stack)
            .iter()
            .all(|f| f.rule != "volume-without-backup")
    );
}

#[test]
fn findings_are_sorted_by_service_then_rule() {
    let text = doc(&[
        "services:",
        "  z:",
        "    image: a",
        "  a:",
        "    image: b:latest",
        "    privileged: true",
    ]);
    let findings = advise_text("compose.yaml", &text).unwrap();
    let keys: Vec<(Option<String>, &str)> = findings
        .iter()
        .map(|f| (f.service.clone(), f.rule))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(has_errors(&findings));
    assert!(!has_errors(
        &advise_text("compose.yaml", &doc(GOOD)).unwrap()
    ));
}

#[test]
fn locate_lines_maps_expanded_ports_to_written_entries() {
    let text = doc(&[
        "services:",
        "  db:",
        "    image: postgres:16",
        "    ports:",
        "      - \"7000-7003:7000-7003\"",
        "      - \"5432:5432\"",
    ]);
    let mut findings = vec![Finding {
        rule: "database-port-published",
        severity: Severity::Warning,
        service: Some("db".into()),
        field: "services.db.ports[4]".into(),
        line: None,
        message: String::new(),
        fix: String::new(),
    }];
    locate_lines(&text, &mut findings);
    assert_eq!(
        (findings[0].field.as_str(), findings[0].line),
        ("services.db.ports[1]", Some(6))
    );
    // Text that does not parse leaves lines unknown.
    findings[0].line = None;
    locate_lines("{{{", &mut findings);
    assert_eq!(findings[0].line, None);
}

#[test]
fn renders_like_a_compiler() {
    let text = doc(&[
        "services:",
        "  web:",
        "    image: app:1",
        "    privileged: true",
    ]);
    let findings: Vec<Finding> = advise_text("compose.yaml", &text)
        .unwrap()
        .into_iter()
        .filter(|f| f.rule == "privileged" || f.rule == "no-memory-limit")
        .collect();
    let out = render_text("compose.yaml", &findings, false);
    let expected = "compose.yaml:2: info[no-memory-limit] service web has no memory limit: a leak in it can exhaust the host's memory and get other services killed\n  \
fix: set a limit above the service's normal use:\n      deploy:\n        resources:\n          limits:\n            memory: 512M\n\
compose.yaml:4: error[privileged] service web runs privileged: it gets every capability and every host device, so a compromise of the container is a compromise of the host\n  \
fix: remove privileged: true and grant only what the service needs, e.g. a device (devices: [\"/dev/dri:/dev/dri\"]) or one capability (cap_add: [NET_BIND_SERVICE])\n";
    assert_eq!(out, expected);
    let colored = render_text("compose.yaml", &findings, true);
    assert!(
        colored.contains("\x1b[1;31merror[privileged]\x1b[0m"),
        "{colored}"
    );
    assert_eq!(render_text("compose.yaml", &[], true), "");
}

#[test]
fn load_errors_are_the_loaders() {
    let err = advise_text("compose.yaml", "services:\n  web:\n    image: [1\n").unwrap_err();
    assert!(!err.diagnostics.is_empty());
    // Isolated: a build context on the server's disk is not read.
    assert!(advise_text("compose.yaml", "services:\n  web:\n    build: .\n").is_err());
    // A required variable needs its value, as when deploying.
    let text = "services:\n  web:\n    image: app:${TAG:?set TAG}\n";
    assert!(advise_text("compose.yaml", text).is_err());
    let options = windflow_compose::LoadOptions {
        environment: [("TAG".to_string(), "1.2".to_string())].into(),
        ..Default::default()
    };
    assert!(crate::advise_text_with("compose.yaml", text, &options).is_ok());
}

#[test]
fn relative_binds_resolve_in_a_neutral_directory() {
    let text = good_with(&["    volumes: [\".:/code\"]"]);
    check("sensitive-host-mount", &text, &[]);
    let options = windflow_compose::LoadOptions {
        working_dir: Some("/".into()),
        project_name: Some("demo".into()),
        ..Default::default()
    };
    let findings = crate::advise_text_with("compose.yaml", &text, &options).unwrap();
    let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["sensitive-host-mount"]);
}

#[test]
fn severities_order_and_serialize_in_lowercase() {
    assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
    assert_eq!(
        serde_json::to_string(&Severity::Warning).unwrap(),
        "\"warning\""
    );
    let findings = advise_text(
        "compose.yaml",
        &doc(&["services:", "  web:", "    image: app"]),
    )
    .unwrap();
    let json = serde_json::to_string(&findings).unwrap();
    let back: Vec<Finding> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, findings);
    let unknown = json.replacen("no-healthcheck", "no-such-rule", 1);
    assert!(serde_json::from_str::<Vec<Finding>>(&unknown).is_err());
}

/// A stack that breaks every rule.
const EVERYTHING_WRONG: &str = "services:
  web:
    image: nginx
    privileged: true
    cap_add: [SYS_ADMIN, CHOWN]
    network_mode: host
    security_opt: [\"seccomp:unconfined\"]
    environment: {DB_PASSWORD: hunter2}
    volumes: [\"/var/run/docker.sock:/s\", \"/etc:/e\", \"data:/data\"]
  db:
    image: postgres:16
    ports: [\"5432:5432\"]
volumes:
  data:
";

#[test]
fn rule_ids_are_unique_kebab_case_and_all_reachable() {
    let mut ids = BTreeSet::new();
    for rule in RULES {
        assert!(ids.insert(rule.id), "duplicate rule id {}", rule.id);
        let kebab = rule.id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        }) && rule.id.starts_with(|c: char| c.is_ascii_lowercase());
        assert!(kebab, "rule id {} is not kebab-case", rule.id);
        assert!(!rule.summary.is_empty());
        assert!(crate::rule(rule.id).is_some());
    }
    let findings = advise_text("compose.yaml", EVERYTHING_WRONG).unwrap();
    let fired: BTreeSet<&str> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(fired, ids, "every rule fires on EVERYTHING_WRONG");
    for finding in &findings {
        assert!(finding.line.is_some(), "{finding:?}");
    }
    // The crate documentation's table lists every rule with its severity.
    let docs = include_str!("lib.rs");
    for rule in RULES {
        let row = format!("//! | `{}` | {} |", rule.id, rule.severity);
        assert!(docs.contains(&row), "the rule table lacks {row}");
    }
}

mod properties {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde_json::{Value, json};
    use windflow_domain::{Mount, MountKind, Port, Service, StackSpec};

    use crate::{RULES, advise, advise_text, locate_lines, render_text};

    /// Text made mostly of YAML's structural characters and compose words.
    fn yamlish_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("\n".to_string()),
                Just("  ".to_string()),
                Just(": ".to_string()),
                Just("- ".to_string()),
                Just("services".to_string()),
                Just("web".to_string()),
                Just("image".to_string()),
                Just("ports".to_string()),
                Just("environment".to_string()),
                Just("volumes".to_string()),
                Just("x-windflow".to_string()),
                Just("backup".to_string()),
                Just("<<: *a".to_string()),
                Just("&a ".to_string()),
                Just("${X:-y}".to_string()),
                "[\\[\\]{},:&*!|>'\"#%@`$~?=-]".prop_map(|s| s.to_string()),
                "[a-z0-9]{1,6}",
            ],
            0..60,
        )
        .prop_map(|parts| parts.concat())
    }

    const SERVICE_KEYS: &[&str] = &[
        "image",
        "environment",
        "ports",
        "volumes",
        "network_mode",
        "pid",
        "ipc",
        "healthcheck",
        "restart",
        "user",
        "privileged",
        "cap_add",
        "security_opt",
        "deploy",
        "mem_limit",
        "depends_on",
        "x-windflow",
    ];

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            Just(json!("5432:5432")),
            Just(json!("8000-8001:80-81")),
            Just(json!("/var/run/docker.sock:/s")),
            Just(json!("/:/host")),
            Just(json!("data:/data")),
            Just(json!("host")),
            Just(json!("SYS_ADMIN")),
            Just(json!("seccomp:unconfined")),
            Just(json!("DB_PASSWORD=x")),
            Just(json!("${X:-1}")),
            Just(json!("nginx:latest")),
            ".{0,12}".prop_map(Value::from),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(
                    proptest::sample::select(
                        &[
                            "target",
                            "published",
                            "host_ip",
                            "source",
                            "type",
                            "test",
                            "limits",
                            "resources",
                            "memory",
                            "DB_PASSWORD",
                            "API_TOKEN",
                            "backup",
                            "volumes",
                            "condition",
                            "disable"
                        ][..]
                    )
                    .prop_map(str::to_string),
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Field values the rules look at, some fine and some not.
    fn plausible_fields() -> Vec<(&'static str, Value)> {
        vec![
            ("image", json!("nginx")),
            ("image", json!("nginx:latest")),
            (
                "image",
                json!(
                    "registry:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                ),
            ),
            (
                "ports",
                json!(["5432:5432", "8000-8001:80-81", {"target": 27017}, "127.0.0.1:6379:6379"]),
            ),
            (
                "volumes",
                json!(["/var/run/docker.sock:/s", "/:/host:ro", "data:/data", {"type": "bind", "source": "/etc", "target": "/e"}]),
            ),
            (
                "environment",
                json!({"DB_PASSWORD": "x", "API_TOKEN": "${T}", "N": null}),
            ),
            ("environment", json!(["A_SECRET=1", "TOKEN", "K=${K:-v}"])),
            ("cap_add", json!(["SYS_ADMIN", "CHOWN", "cap_net_raw"])),
            (
                "security_opt",
                json!(["seccomp:unconfined", "no-new-privileges:true"]),
            ),
            ("network_mode", json!("host")),
            ("pid", json!("host")),
            ("ipc", json!("host")),
            ("user", json!("root")),
            ("user", json!(1000)),
            ("restart", json!("no")),
            ("restart", json!("always")),
            ("privileged", json!(true)),
            ("healthcheck", json!({"test": ["CMD", "true"]})),
            ("healthcheck", json!({"disable": true})),
            (
                "deploy",
                json!({"resources": {"limits": {"memory": "64M"}}, "restart_policy": {"condition": "any"}}),
            ),
            ("mem_limit", json!("1g")),
        ]
    }

    fn service() -> impl Strategy<Value = Value> {
        (
            proptest::sample::subsequence(plausible_fields(), 0..10),
            proptest::collection::vec((proptest::sample::select(SERVICE_KEYS), value()), 0..2),
        )
            .prop_map(|(plausible, random)| {
                let mut fields = serde_json::Map::new();
                fields.insert("image".into(), json!("app:1"));
                for (key, value) in plausible.into_iter().chain(random) {
                    fields.insert(key.to_string(), value);
                }
                Value::Object(fields)
            })
    }

    fn document() -> impl Strategy<Value = Value> {
        (
            proptest::collection::btree_map(
                proptest::sample::select(&["web", "db", "a.b"][..]),
                service(),
                0..3,
            ),
            prop_oneof![
                Just(json!({"data": {"x-windflow": {"backup": true}}})),
                Just(json!({"data": null})),
                value(),
            ],
            proptest::option::of(prop_oneof![
                Just(json!({"backup": {"volumes": ["data"]}})),
                value()
            ]),
        )
            .prop_map(|(services, volumes, extension)| {
                let services: serde_json::Map<String, Value> = services
                    .into_iter()
                    .map(|(name, fields)| (name.to_string(), fields))
                    .collect();
                let mut root = serde_json::Map::new();
                root.insert("services".into(), Value::Object(services));
                root.insert("volumes".into(), volumes);
                if let Some(x) = extension {
                    root.insert("x-windflow".into(), x);
                }
                Value::Object(root)
            })
    }

    fn any_service() -> impl Strategy<Value = Service> {
        let text = || ".{0,10}";
        (
            text(),
            proptest::option::of(text()),
            proptest::collection::btree_map(text(), text(), 0..3),
            proptest::collection::vec(
                (
                    any::<u16>(),
                    proptest::option::of(text()),
                    proptest::option::of(text()),
                ),
                0..3,
            ),
            proptest::collection::vec((proptest::option::of(text()), text(), any::<bool>()), 0..3),
            proptest::collection::vec(text(), 0..3),
            (
                proptest::option::of(text()),
                proptest::option::of(text()),
                any::<bool>(),
            ),
        )
            .prop_map(
                |(
                    image,
                    user,
                    environment,
                    ports,
                    mounts,
                    strings,
                    (mode, restart, privileged),
                )| Service {
                    image,
                    user,
                    environment,
                    ports: ports
                        .into_iter()
                        .map(|(target, published, host_ip)| Port {
                            target,
                            published,
                            host_ip,
                            protocol: "tcp".into(),
                            name: None,
                            app_protocol: None,
                        })
                        .collect(),
                    volumes: mounts
                        .into_iter()
                        .map(|(source, target, bind)| {
                            Mount::new(
                                if bind {
                                    MountKind::Bind
                                } else {
                                    MountKind::Volume
                                },
                                source,
                                target,
                            )
                        })
                        .collect(),
                    cap_add: strings.clone(),
                    security_opt: strings,
                    network_mode: mode.clone(),
                    pid: mode,
                    restart,
                    privileged,
                    ..Service::default()
                },
            )
    }

    fn assert_well_formed(findings: &[crate::Finding]) {
        for finding in findings {
            assert!(
                RULES
                    .iter()
                    .any(|r| r.id == finding.rule && r.severity == finding.severity)
            );
        }
        let keys: Vec<_> = findings.iter().map(|f| (&f.service, f.rule)).collect();
        assert!(
            keys.windows(2).all(|w| w[0] <= w[1]),
            "sorted by (service, rule)"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            if let Ok(findings) = advise_text("fuzz.yml", &text) {
                assert_well_formed(&findings);
            }
        }

        #[test]
        fn yamlish_text_never_panics(text in yamlish_text()) {
            if let Ok(findings) = advise_text("fuzz.yml", &text) {
                assert_well_formed(&findings);
                let _ = render_text("fuzz.yml", &findings, true);
            }
        }

        /// JSON is YAML: compose-shaped documents with random field values.
        #[test]
        fn generated_documents_never_panic(doc in document()) {
            let text = serde_json::to_string_pretty(&doc).unwrap();
            if let Ok(findings) = advise_text("gen.yml", &text) {
                assert_well_formed(&findings);
                for finding in &findings {
                    prop_assert!(finding.line.is_some(), "every field is found: {:?}", finding);
                }
                prop_assert_eq!(advise_text("gen.yml", &text).unwrap(), findings, "deterministic");
            }
        }

        /// Arbitrary service maps straight into `advise`, and their findings located in
        /// arbitrary text.
        #[test]
        fn arbitrary_stacks_never_panic(
            services in proptest::collection::btree_map(".{0,8}", any_service(), 0..4),
            text in ".{0,120}",
        ) {
            let stack = StackSpec { services: services.into_iter().collect::<BTreeMap<_, _>>(), ..StackSpec::default() };
            let mut findings = advise(&stack);
            assert_well_formed(&findings);
            locate_lines(&text, &mut findings);
        }
    }
}
