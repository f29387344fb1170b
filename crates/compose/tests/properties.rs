//! Property tests: the loader never panics, whatever it is fed, and the port syntax
//! round-trips.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{Value, json};
use windflow_compose::interpolate::interpolate_with_map;
use windflow_compose::{LoadOptions, load_from_str, parse_port};

fn options() -> LoadOptions {
    LoadOptions {
        // A directory that does not exist: no `.env` or `env_file` is ever found.
        working_dir: Some(PathBuf::from("/nonexistent/windflow-proptest")),
        environment: [("SET", "1"), ("EMPTY", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    }
}

/// Text made mostly of YAML's structural characters, to reach deep into the parser.
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
            Just("<<: *a".to_string()),
            Just("&a ".to_string()),
            Just("*a".to_string()),
            Just("!reset ".to_string()),
            Just("${SET:-x}".to_string()),
            Just("${".to_string()),
            "[\\[\\]{},:&*!|>'\"#%@`$~?-]".prop_map(|s| s.to_string()),
            "[a-z0-9]{1,6}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

const SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "tmpfs",
    "networks",
    "network_mode",
    "depends_on",
    "healthcheck",
    "restart",
    "labels",
    "container_name",
    "user",
    "privileged",
    "init",
    "stop_grace_period",
    "ulimits",
    "sysctls",
    "extra_hosts",
    "dns",
    "shm_size",
    "logging",
    "deploy",
    "scale",
    "mem_limit",
    "cpus",
    "secrets",
    "configs",
    "profiles",
    "extends",
    "pull_policy",
    "bogus",
    "x-ext",
];

const NESTED_KEYS: &[&str] = &[
    "target",
    "published",
    "source",
    "type",
    "read_only",
    "condition",
    "required",
    "test",
    "interval",
    "replicas",
    "resources",
    "limits",
    "memory",
    "cpus",
    "soft",
    "hard",
    "mode",
    "file",
    "service",
    "context",
    "args",
    "aliases",
    "driver",
    "options",
    "bind",
    "tmpfs",
    "size",
    "disable",
    "external",
    "name",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        Just(json!("80:abc")),
        Just(json!("127.0.0.1:8080:80/udp")),
        Just(json!("8000-8001:80-81")),
        Just(json!("data:/data:ro")),
        Just(json!("./x:/x:rw,z")),
        Just(json!("1m30s")),
        Just(json!("512m")),
        Just(json!("service:web")),
        Just(json!("${SET:-3}")),
        Just(json!("web")),
        Just(json!("0440")),
        ".{0,12}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            proptest::collection::btree_map(
                proptest::sample::select(NESTED_KEYS).prop_map(str::to_string),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn service() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(proptest::sample::select(SERVICE_KEYS), value(), 0..8)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

fn document() -> impl Strategy<Value = Value> {
    (
        proptest::collection::btree_map(
            proptest::sample::select(&["web", "db", "api", "worker"][..]),
            service(),
            0..4,
        ),
        proptest::option::of(value()),
        proptest::option::of(value()),
    )
        .prop_map(|(services, networks, volumes)| {
            let mut root = serde_json::Map::new();
            root.insert(
                "services".into(),
                Value::Object(
                    services
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                ),
            );
            if let Some(n) = networks {
                root.insert("networks".into(), n);
            }
            if let Some(v) = volumes {
                root.insert("volumes".into(), v);
            }
            Value::Object(root)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = load_from_str("fuzz.yml", &text, &options());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = load_from_str("fuzz.yml", &text, &options());
    }

    #[test]
    fn yamlish_text_never_panics(text in yamlish_text()) {
        let _ = load_from_str("fuzz.yml", &text, &options());
    }

    /// JSON is YAML: generated compose-shaped documents with random field values.
    #[test]
    fn generated_documents_never_panic(doc in document()) {
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let result = load_from_str("gen.yml", &text, &options());
        if let Err(e) = result {
            // Every error names the file it came from.
            for d in &e.diagnostics {
                prop_assert_eq!(d.file.as_str(), "gen.yml");
            }
        }
    }

    #[test]
    fn interpolation_never_panics(text in ".{0,200}") {
        let env: BTreeMap<String, String> = [("SET".to_string(), "v".to_string())].into();
        let _ = interpolate_with_map(&text, &env);
    }

    #[test]
    fn text_without_dollars_is_unchanged(text in "[^$]{0,200}") {
        let result = interpolate_with_map(&text, &BTreeMap::new()).unwrap();
        prop_assert_eq!(result.text, text);
        prop_assert!(result.unset.is_empty());
    }

    #[test]
    fn valid_ports_round_trip(
        host_ip in proptest::option::of(prop_oneof![Just("127.0.0.1"), Just("0.0.0.0"), Just("::1")]),
        published in proptest::option::of(1u16..=65535),
        target in 1u16..=65535,
        protocol in prop_oneof![Just("tcp"), Just("udp"), Just("sctp")],
    ) {
        let ip_part = match host_ip {
            Some(ip) if ip.contains(':') => format!("[{ip}]:"),
            Some(ip) => format!("{ip}:"),
            None => String::new(),
        };
        let spec = match (host_ip, published) {
            (None, None) => format!("{target}/{protocol}"),
            (_, published) => format!(
                "{ip_part}{}:{target}/{protocol}",
                published.map(|p| p.to_string()).unwrap_or_default()
            ),
        };
        let ports = parse_port(&spec).unwrap();
        prop_assert_eq!(ports.len(), 1);
        let port = &ports[0];
        prop_assert_eq!(port.target, target);
        prop_assert_eq!(port.published.clone(), published.map(|p| p.to_string()));
        prop_assert_eq!(port.host_ip.as_deref(), host_ip);
        prop_assert_eq!(port.protocol.as_str(), protocol);
    }

    #[test]
    fn port_ranges_expand_pairwise(start in 1u16..=60000, len in 0u16..20, offset in 0u16..5000) {
        let host = start.saturating_add(offset).min(65535 - len);
        let spec = format!("{host}-{}:{start}-{}", host + len, start + len);
        let ports = parse_port(&spec).unwrap();
        prop_assert_eq!(ports.len(), usize::from(len) + 1);
        for (i, port) in ports.iter().enumerate() {
            prop_assert_eq!(port.target, start + i as u16);
            let expected = (host + i as u16).to_string();
            prop_assert_eq!(port.published.as_deref(), Some(expected.as_str()));
        }
    }
}

/// Hostile but small inputs must be refused quickly rather than exhaust memory.
#[test]
fn expansion_is_bounded() {
    let mut yaml = String::from("x-ports: &p [\"1-65535:1-65535\"]\nservices:\n");
    for i in 0..5 {
        yaml.push_str(&format!("  s{i}:\n    image: a\n    ports: *p\n"));
    }
    let err = load_from_str("ports.yml", &yaml, &options()).unwrap_err();
    assert!(err.to_string().contains("too many ports"), "{err}");

    // A base of about 60 000 values, extended by 60 services.
    let mut yaml = String::from("x-a: &a [a, a, a, a, a, a, a, a, a, a, a, a, a, a, a]\n");
    yaml.push_str("x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n");
    yaml.push_str("x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n");
    yaml.push_str("services:\n  base:\n    image: a\n    x-big: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n");
    for i in 0..60 {
        yaml.push_str(&format!("  s{i}: {{extends: base}}\n"));
    }
    let err = load_from_str("extends.yml", &yaml, &options()).unwrap_err();
    assert!(err.to_string().contains("extends copies too much"), "{err}");
}
