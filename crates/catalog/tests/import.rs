//! Importing the real corpora: every Coolify one-click template and a community Portainer v3
//! list (copied under `tests/data/`, see the READMEs there), then resolving and loading
//! what was imported. Prints a report by reason code (`cargo test -p windflow-catalog --test
//! import -- --nocapture`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use windflow_catalog::import::{Note, Reason, coolify, portainer};
use windflow_catalog::{Choice, Generator, InputKind, Template, resolve};
use windflow_compose::LoadOptions;

/// Imported templates of the Coolify corpus must not fall below this (of 366).
const COOLIFY_FLOOR: usize = 355;
/// Imported templates of the Portainer list (its container templates; stack templates need
/// their repositories).
const PORTAINER_FLOOR: usize = 285;

fn data(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir)
}

fn coolify_corpus() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(data("coolify"))
        .expect("tests/data/coolify")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[derive(Default)]
struct Report {
    imported: usize,
    clean: usize,
    failed: BTreeMap<String, Vec<String>>,
    notes: BTreeMap<String, usize>,
    templates: Vec<Template>,
}

impl Report {
    fn add(
        &mut self,
        result: Result<(Template, Vec<Note>), windflow_catalog::import::ImportFailure>,
    ) {
        match result {
            Ok((template, notes)) => {
                self.imported += 1;
                if notes.is_empty() {
                    self.clean += 1;
                }
                let mut reasons: Vec<Reason> = notes.iter().map(|n| n.reason).collect();
                reasons.sort();
                reasons.dedup();
                for reason in reasons {
                    *self.notes.entry(reason.to_string()).or_default() += 1;
                }

                self.templates.push(template);
            }
            Err(failure) => {
                self.failed
                    .entry(failure.reason.to_string())
                    .or_default()
                    .push(failure.to_string());
            }
        }
    }

    fn print(&self, title: &str, total: usize) {
        println!("== {title}: {total} templates");
        println!(
            "imported {} ({} without any note), failed {}",
            self.imported,
            self.clean,
            total - self.imported
        );
        for (reason, list) in &self.failed {
            println!("  failed [{reason}]: {}", list.len());
            for failure in list {
                println!(
                    "    {}",
                    failure.lines().take(3).collect::<Vec<_>>().join(" | ")
                );
            }
        }
        for (reason, count) in &self.notes {
            println!("  imported with a note [{reason}]: {count} templates");
        }
    }
}

/// Resolves `t` with the default choice (a value for every required input) and loads the
/// result with the compose loader.
fn resolve_and_load(t: &Template) -> Result<(), String> {
    let mut choice = Choice::default();
    for input in &t.inputs {
        if input.required && input.default.is_none() && input.generate.is_none() {
            let value = match input.kind {
                InputKind::Domain => format!(
                    "{}.example.test",
                    input.name.to_lowercase().replace('_', "-")
                ),
                InputKind::Number => "1".into(),
                InputKind::Boolean => "true".into(),
                InputKind::Port => "8080".into(),
                InputKind::Size => "64m".into(),
                InputKind::Enum => input.options[0].clone(),
                InputKind::String | InputKind::Secret => "value".into(),
            };
            choice.values.insert(input.name.clone(), value);
        }
    }
    let resolved = resolve(t, &choice, None, &mut StdRng::seed_from_u64(1))
        .map_err(|e| format!("{}: resolve: {e:?}", t.id))?;
    let options = LoadOptions {
        working_dir: Some(PathBuf::from("/srv/windflow").join(&t.id)),
        project_name: Some(t.id.clone()),
        environment: resolved.environment(),
        isolated: true,
        ..LoadOptions::default()
    };
    windflow_compose::load_from_str(&t.id, &t.compose, &options)
        .map(|_| ())
        .map_err(|e| format!("{}: load: {e}", t.id))
}

#[test]
fn imports_the_coolify_corpus() {
    let files = coolify_corpus();
    assert!(files.len() > 300, "the corpus is missing: {}", files.len());
    let mut report = Report::default();
    for (name, text) in &files {
        report.add(coolify::import(name, text));
    }
    report.print("Coolify templates/compose", files.len());
    // Every imported template parses again from its own text, resolves and loads.
    let mut broken = Vec::new();
    for t in &report.templates {
        if let Err(e) = Template::parse(&t.id, &t.compose) {
            broken.push(format!("{}: {e:?}", t.id));
        }
        if let Err(e) = resolve_and_load(t) {
            broken.push(e);
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert!(
        report.imported >= COOLIFY_FLOOR,
        "imported {} of {}, the floor is {COOLIFY_FLOOR}",
        report.imported,
        files.len()
    );
}

#[test]
fn imports_a_portainer_list() {
    let file = "templates.json";
    let text = std::fs::read_to_string(data("portainer").join(file)).unwrap();
    // The list's own repository's stack files are in `repo/`; other repositories' are not.
    let stackfile = |source: &windflow_catalog::import::portainer::StackFile| {
        let repository = source.repository.trim_end_matches('/').to_lowercase();
        if repository != "https://github.com/lissy93/portainer-templates" {
            return None;
        }
        std::fs::read_to_string(data("portainer").join("repo").join(&source.path)).ok()
    };
    let entries = portainer::import_with(file, &text, &stackfile).expect(file);
    let total = entries.len();
    let mut report = Report::default();
    let mut needs_repository = 0;
    for entry in entries {
        if let Err(f) = &entry.result
            && f.reason == Reason::NeedsRepository
        {
            assert!(f.message.contains("https://"), "the report says where: {f}");
            needs_repository += 1;
        }
        report.add(entry.result);
    }
    report.print(
        "Portainer templates.json (v3, Lissy93/portainer-templates)",
        total,
    );
    let mut broken = Vec::new();
    for t in &report.templates {
        if let Err(e) = resolve_and_load(t) {
            broken.push(e);
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert!(
        report.imported >= PORTAINER_FLOOR,
        "imported {} of {total}",
        report.imported
    );
    // Every entry is accounted for: imported, or failed with a reason (stack templates
    // whose repository was not given say so, with its URL).
    assert_eq!(
        report.imported + report.failed.values().map(Vec::len).sum::<usize>(),
        total
    );
    assert!(needs_repository > 200, "{needs_repository}");
}

const MAGIC: &str = r#"# documentation: https://example.test/docs
# slogan: An app with every magic variable.
# category: productivity
# tags: wiki, notes,Notes
# logo: svgs/app.svg
# port: 3000

services:
  app:
    image: app:1
    exclude_from_hc: false
    environment:
      - SERVICE_URL_APP_3000
      - SERVICE_URL_API_3000=/api
      - DB_PASSWORD=${SERVICE_PASSWORD_DB}
      - LONG=${SERVICE_PASSWORD_64_DB}
      - SYMBOLS=$SERVICE_PASSWORDWITHSYMBOLS_X
      - USER=${SERVICE_USER_DB}
      - LOWER=${SERVICE_LOWERCASEUSER_DB}
      - B1=${SERVICE_BASE64_S}
      - B2=${SERVICE_BASE64_64_S}
      - B3=${SERVICE_BASE64_128_S}
      - R1=${SERVICE_REALBASE64_64_S}
      - H1=${SERVICE_HEX_32_S}
      - ANON=${SERVICE_SUPABASEANON_KEY}
      - PUBLIC=$SERVICE_URL_APP/public
      - HOST=${SERVICE_FQDN_APP}
      - MODE=${MODE:-production}
      - ADMIN=${ADMIN_EMAIL:?an administrator's e-mail}
      - OPTIONAL=${OPTIONAL}
      - API_TOKEN=${API_TOKEN-}
    volumes:
      - type: bind
        source: ./config/app.conf
        target: /etc/app.conf
        content: |
          listen 3000;
          set $$var 1;
          host $host;
      - type: bind
        source: ./data
        target: /data
        is_directory: true
      - ${COOLIFY_VOLUME_APP}:/state
    healthcheck:
      test: ["CMD-SHELL", "curl -f http://localhost:3000 && test $${HOME}"]
  worker:
    image: worker:1
    environment:
      APP_URL: ${SERVICE_URL_APP}
      SERVICE_FQDN_WORKER_8080:
"#;

#[test]
fn maps_every_magic_variable_and_header() {
    let (t, notes) = coolify::import("my-app.yaml", MAGIC).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(t.id, "my-app");
    assert_eq!(t.name, "My App");
    assert_eq!(t.description, "An app with every magic variable.");
    assert_eq!(t.categories, vec!["productivity"]);
    assert_eq!(t.tags, vec!["wiki", "notes"]);
    assert_eq!(t.port, Some(3000));
    assert_eq!(
        t.documentation.as_deref(),
        Some("https://example.test/docs")
    );
    assert_eq!(
        t.logo.as_deref(),
        Some("https://raw.githubusercontent.com/coollabsio/coolify/main/public/svgs/app.svg")
    );
    assert_eq!(t.source.as_deref(), Some("coolify:my-app.yaml"));

    let input = |name: &str| {
        t.input(name)
            .unwrap_or_else(|| panic!("no input {name}: {:?}", t.inputs))
    };
    for (name, generator) in [
        ("SERVICE_PASSWORD_DB", Generator::Password),
        ("SERVICE_PASSWORD_64_DB", Generator::Alnum(64)),
        ("SERVICE_PASSWORDWITHSYMBOLS_X", Generator::Password),
        ("SERVICE_USER_DB", Generator::Alnum(16)),
        ("SERVICE_LOWERCASEUSER_DB", Generator::Hex(16)),
        ("SERVICE_BASE64_S", Generator::Alnum(32)),
        ("SERVICE_BASE64_64_S", Generator::Alnum(64)),
        ("SERVICE_BASE64_128_S", Generator::Alnum(128)),
        ("SERVICE_REALBASE64_64_S", Generator::Base64(64)),
        ("SERVICE_HEX_32_S", Generator::Hex(32)),
    ] {
        assert_eq!(input(name).generate, Some(generator), "{name}");
        assert!(input(name).is_secret() && !input(name).required, "{name}");
    }
    for name in [
        "SERVICE_FQDN_APP",
        "SERVICE_FQDN_API",
        "SERVICE_FQDN_WORKER",
    ] {
        assert_eq!(input(name).kind, InputKind::Domain, "{name}");
        assert!(input(name).required);
    }
    assert_eq!(input("MODE").default.as_deref(), Some("production"));
    assert!(!input("MODE").required);
    assert!(input("ADMIN_EMAIL").required);
    assert_eq!(
        input("ADMIN_EMAIL").description.as_deref(),
        Some("an administrator's e-mail")
    );
    assert!(!input("OPTIONAL").required && input("OPTIONAL").default.is_none());
    assert_eq!(input("API_TOKEN").kind, InputKind::Secret);
    assert_eq!(input("SERVICE_SUPABASEANON_KEY").kind, InputKind::Secret);
    assert!(input("SERVICE_SUPABASEANON_KEY").required);

    let reasons: Vec<String> = notes.iter().map(ToString::to_string).collect();
    let joined = reasons.join("\n");
    assert!(
        joined.contains("[unsupported-key] services.app.exclude_from_hc"),
        "{joined}"
    );
    assert!(
        joined.contains("[unmapped-variable]") && joined.contains("SERVICE_SUPABASEANON_KEY"),
        "{joined}"
    );
    assert!(
        joined.contains("[host-path] services.app.volumes[1]"),
        "{joined}"
    );

    let c = &t.compose;
    assert!(
        c.contains("SERVICE_URL_APP_3000=https://${SERVICE_FQDN_APP}"),
        "{c}"
    );
    assert!(
        c.contains("SERVICE_URL_API_3000=https://${SERVICE_FQDN_API}/api"),
        "{c}"
    );
    assert!(
        c.contains("PUBLIC=https://${SERVICE_FQDN_APP}/public"),
        "{c}"
    );
    assert!(c.contains("HOST=${SERVICE_FQDN_APP}"), "{c}");
    assert!(c.contains("APP_URL: https://${SERVICE_FQDN_APP}"), "{c}");
    assert!(
        c.contains("SERVICE_FQDN_WORKER_8080: ${SERVICE_FQDN_WORKER}"),
        "{c}"
    );
    assert!(
        !c.contains("exclude_from_hc") && !c.contains("is_directory"),
        "{c}"
    );
    assert!(
        c.contains("- app:/state") && c.contains("volumes:\n  app: null"),
        "{c}"
    );

    // Domains and ports on the services, configs from content, as the loader reads them.
    let mut choice = Choice::default();
    for (name, value) in [
        ("SERVICE_FQDN_APP", "app.example.test"),
        ("SERVICE_FQDN_API", "app.example.test"),
        ("SERVICE_FQDN_WORKER", "worker.example.test"),
        ("ADMIN_EMAIL", "a@example.test"),
        ("SERVICE_SUPABASEANON_KEY", "jwt"),
    ] {
        choice.values.insert(name.into(), value.into());
    }
    let resolved = resolve(&t, &choice, None, &mut StdRng::seed_from_u64(2)).unwrap();
    let loaded = windflow_compose::load_from_str(
        "my-app.yaml",
        c,
        &LoadOptions {
            working_dir: Some("/srv/my-app".into()),
            environment: resolved.environment(),
            isolated: true,
            ..LoadOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}\n{c}"));
    let app = &loaded.stack.services["app"];
    let ingress = app.ingress.as_ref().expect("app has domains");
    let domains: Vec<String> = ingress.domains.iter().map(ToString::to_string).collect();
    assert_eq!(domains, vec!["app.example.test", "app.example.test/api"]);
    assert_eq!(ingress.port, 3000);
    let worker = loaded.stack.services["worker"]
        .ingress
        .as_ref()
        .expect("worker has a domain");
    assert_eq!(worker.port, 8080);
    let config = loaded
        .stack
        .configs
        .values()
        .next()
        .expect("a config from content");
    assert_eq!(
        config.content.as_deref(),
        Some("listen 3000;\nset $$var 1;\nhost $host;\n")
    );
    let env = &app.environment;
    let password = env["DB_PASSWORD"].as_str();
    assert!(password.len() >= 24);
    assert_eq!(env["MODE"], "production");
}

#[test]
fn reports_what_it_cannot_import() {
    let f = coolify::import("bad.yaml", "services: [\n").unwrap_err();
    assert_eq!(f.reason, Reason::InvalidYaml);
    let f = coolify::import("empty.yaml", "# slogan: x\n").unwrap_err();
    assert_eq!(f.reason, Reason::InvalidYaml);
    let f = coolify::import(
        "broken.yaml",
        "services:\n  a:\n    image: x\n    depends_on: [b]\n",
    )
    .unwrap_err();
    assert_eq!(f.reason, Reason::DoesNotLoad);
    assert!(
        f.diagnostics.iter().any(|d| d.message.contains("\"b\"")),
        "{f}"
    );
    let f = portainer::import("x.json", "{").unwrap_err();
    assert_eq!(f.reason, Reason::InvalidJson);
}

#[test]
fn portainer_container_templates_keep_what_the_advisor_flags() {
    let list = r#"{"version": "2", "templates": [
      {"type": 1, "title": "Agent", "description": "An <b>agent</b>", "note": "Read <a href='x'>this</a>",
       "categories": ["Monitoring"], "platform": "linux", "logo": "https://x.test/a.png",
       "image": "agent:1", "privileged": true, "network": "host", "restart_policy": "always",
       "ports": ["8080:80/tcp", "443/tcp"],
       "volumes": [{"container": "/data"}, {"container": "/var/run/docker.sock", "bind": "/var/run/docker.sock", "readonly": true}],
       "labels": [{"name": "a.b", "value": "c"}],
       "env": [
         {"name": "ADMIN_PASSWORD", "label": "Admin password"},
         {"name": "mode", "label": "Mode", "select": [{"text": "Fast", "value": "fast"}, {"text": "Safe", "value": "safe", "default": true}]},
         {"name": "LEVEL", "label": "Level", "default": "info", "description": "log level"}
       ]},
      {"type": 3, "title": "Stack", "description": "d", "repository": {"url": "https://github.com/someone/else", "stackfile": "compose.yml"}},
      {"type": 9, "title": "Odd", "description": "d"}
    ]}"#;
    let entries = portainer::import("list.json", list).unwrap();
    assert_eq!(entries.len(), 3);
    let (t, notes) = entries[0].result.clone().unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(t.id, "agent");
    assert_eq!(t.description, "An agent\n\nRead this");
    assert_eq!(t.categories, vec!["monitoring"]);
    let mode = t.input("MODE").unwrap();
    assert_eq!(mode.kind, InputKind::Enum);
    assert_eq!(mode.options, vec!["fast", "safe"]);
    assert_eq!(mode.default.as_deref(), Some("safe"));
    assert_eq!(mode.label, "Mode");
    assert_eq!(t.input("ADMIN_PASSWORD").unwrap().kind, InputKind::Secret);
    assert_eq!(t.input("LEVEL").unwrap().default.as_deref(), Some("info"));
    for kept in [
        "privileged: true",
        "network_mode: host",
        "restart: always",
        "/var/run/docker.sock:/var/run/docker.sock:ro",
        "agent-data:/data",
        "mode: ${MODE}",
        "8080:80/tcp",
    ] {
        assert!(t.compose.contains(kept), "{kept} in\n{}", t.compose);
    }
    assert!(notes.iter().any(|n| n.reason == Reason::HostPath));
    let f = entries[1].result.clone().unwrap_err();
    assert_eq!(f.reason, Reason::NeedsRepository);
    assert!(f.message.contains("https://github.com/someone/else"), "{f}");
    assert_eq!(
        entries[2].result.clone().unwrap_err().reason,
        Reason::UnsupportedKind
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn importers_never_panic(text in "\\PC{0,300}") {
        let _ = coolify::import("x.yaml", &text);
        let _ = portainer::import("x.json", &text);
    }

    #[test]
    fn importers_never_panic_on_mangled_templates(cut in 0usize..2000, insert in "[ :${}\\[\\]A-Z_\\n-]{0,8}") {
        let mut text = MAGIC.to_string();
        let at = cut.min(text.len());
        if text.is_char_boundary(at) {
            text.insert_str(at, &insert);
        }
        if let Ok((t, _)) = coolify::import("x.yaml", &text) {
            proptest::prop_assert!(Template::parse("x.yaml", &t.compose).is_ok());
        }
    }
}

#[test]
fn the_emitter_round_trips_the_corpus() {
    use windflow_compose::yaml::{Node, Value};
    fn shape(node: &Node, out: &mut String) {
        match &node.value {
            Value::Map(map) => {
                out.push('{');
                for (k, v) in map {
                    out.push_str(&format!("{k:?}:"));
                    shape(v, out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Seq(items) => {
                out.push('[');
                for v in items {
                    shape(v, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&format!("{other:?}")),
        }
    }
    let mut checked = 0;
    for (name, text) in coolify_corpus() {
        let Ok(node) = windflow_compose::yaml::parse(&name, &text) else {
            continue;
        };
        let emitted = windflow_catalog::emit::to_yaml(&node);
        let again = windflow_compose::yaml::parse(&name, &emitted)
            .unwrap_or_else(|e| panic!("{name}: {e:?}\n{emitted}"));
        let (mut a, mut b) = (String::new(), String::new());
        shape(&node, &mut a);
        shape(&again, &mut b);
        assert_eq!(a, b, "{name}:\n{emitted}");
        checked += 1;
    }
    assert!(checked > 300);
}

fn any_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        "\\PC{0,12}".prop_map(serde_json::Value::String),
        Just(serde_json::json!("C:/temp/")),
        Just(serde_json::json!("${X:-y}")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("name".to_string()),
                    Just("container".to_string()),
                    Just("bind".to_string()),
                    Just("value".to_string()),
                    Just("url".to_string()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
    /// Any field of a real Portainer entry replaced by any JSON value: no panic, and what is
    /// imported parses.
    #[test]
    fn portainer_never_panics_on_odd_fields(
        index in 0usize..524,
        key in proptest::sample::select(vec!["type", "title", "image", "ports", "volumes", "env", "command", "labels", "repository", "stackfile", "network", "privileged", "categories", "logo", "restart_policy", "note", "name", "platform"]),
        value in any_json(),
    ) {
        let text = std::fs::read_to_string(data("portainer").join("templates.json")).unwrap();
        let list: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut entry = list["templates"][index].clone();
        if let Some(fields) = entry.as_object_mut() {
            fields.insert(key.to_string(), value);
        }
        let text = serde_json::json!({"version": "2", "templates": [entry]}).to_string();
        let entries = portainer::import_with("x.json", &text, &|_| Some("services:\n  a:\n    image: ${IMAGE:-x}\n".into())).unwrap();
        for entry in entries {
            if let Ok((t, _)) = entry.result {
                proptest::prop_assert!(Template::parse("x", &t.compose).is_ok());
            }
        }
    }
}
