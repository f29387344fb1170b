//! Loading from disk: several `-f` files merged, `extends` in the same and another file,
//! profiles, `.env` and `--env-file`, interpolation through the whole pipeline.

use std::collections::BTreeMap;
use std::path::PathBuf;

use windflow_compose::{LoadOptions, Loaded, load, load_from_str};

fn fixture(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn must_load(options: &LoadOptions) -> Loaded {
    load(options).unwrap_or_else(|e| panic!("load failed:\n{e}"))
}

fn merge_options(files: &[&str]) -> LoadOptions {
    LoadOptions {
        files: files.iter().map(|f| fixture("merge").join(f)).collect(),
        ..LoadOptions::default()
    }
}

#[test]
fn default_files_are_found_with_their_override() {
    let loaded = must_load(&LoadOptions {
        working_dir: Some(fixture("merge")),
        ..LoadOptions::default()
    });
    assert_eq!(
        loaded.stack.config_files,
        vec![
            fixture("merge").join("compose.yml"),
            fixture("merge").join("compose.override.yml")
        ]
    );
    assert_eq!(loaded.stack.name, "merge", "the directory name");
}

#[test]
fn two_files_merge_by_compose_rules() {
    let stack = must_load(&merge_options(&["compose.yml", "compose.override.yml"])).stack;
    let web = &stack.services["web"];
    assert_eq!(web.image, "nginx:1.25");
    assert_eq!(
        web.command,
        Some(strings(&["nginx-debug", "-g", "daemon off;"])),
        "command is replaced"
    );
    assert_eq!(web.environment, env(&[("LOG", "debug"), ("MODE", "prod")]));
    assert_eq!(web.labels, env(&[("owner", "ops"), ("tier", "front")]));
    let ports: Vec<(u16, Option<&str>)> = web
        .ports
        .iter()
        .map(|p| (p.target, p.published.as_deref()))
        .collect();
    assert_eq!(
        ports,
        [(80, Some("8080")), (443, Some("443")), (90, Some("9090"))],
        "ports merge by their unique key"
    );
    let volumes: Vec<(&str, bool)> = web
        .volumes
        .iter()
        .map(|v| (v.target.as_str(), v.read_only))
        .collect();
    assert_eq!(
        volumes,
        [("/usr/share/nginx/html", true), ("/cache", false)],
        "volumes merge by target"
    );
    assert_eq!(
        web.volumes[0].source.as_deref(),
        Some(fixture("merge").join("public").to_str().unwrap())
    );
    assert_eq!(web.extra_hosts, strings(&["db:10.0.0.2"]));
    assert_eq!(web.dns, strings(&["1.1.1.1", "8.8.8.8"]));
    let check = web.healthcheck.as_ref().unwrap();
    assert_eq!(
        check.test,
        strings(&["CMD-SHELL", "curl -f http://localhost"])
    );
    assert_eq!(check.interval, Some(std::time::Duration::from_secs(30)));
    assert!(
        !stack.services.contains_key("db"),
        "db is in an inactive profile"
    );
}

#[test]
fn three_files_with_reset_and_override() {
    let stack = must_load(&merge_options(&[
        "compose.yml",
        "compose.override.yml",
        "prod.yml",
    ]))
    .stack;
    let web = &stack.services["web"];
    assert_eq!(web.image, "nginx:1.27");
    assert_eq!(web.ports.len(), 1);
    assert_eq!(web.ports[0].published.as_deref(), Some("80"));
    assert!(web.labels.is_empty(), "!reset drops the labels");
    assert_eq!(web.deploy.replicas, 2);
    assert_eq!(stack.networks["default"].name, "prod-net");
}

#[test]
fn profiles_from_options_and_environment() {
    let mut options = merge_options(&["compose.yml"]);
    options.profiles = vec!["db".into()];
    assert!(must_load(&options).stack.services.contains_key("db"));
    let mut options = merge_options(&["compose.yml"]);
    options.environment = env(&[("COMPOSE_PROFILES", "other, db")]);
    assert!(must_load(&options).stack.services.contains_key("db"));
    let mut options = merge_options(&["compose.yml"]);
    options.profiles = vec!["*".into()];
    assert!(must_load(&options).stack.services.contains_key("db"));
}

#[test]
fn optional_dependency_on_a_disabled_service_is_dropped() {
    let yaml = "services:\n  web:\n    image: a\n    depends_on:\n      tools:\n        condition: service_started\n        required: false\n  tools:\n    image: b\n    profiles: [debug]\n";
    let loaded = load_from_str("compose.yml", yaml, &LoadOptions::default()).unwrap();
    assert!(loaded.stack.services["web"].depends_on.is_empty());
    assert!(!loaded.stack.services.contains_key("tools"));
}

#[test]
fn extends_in_the_same_file_and_recursively() {
    let stack = must_load(&LoadOptions {
        files: vec![fixture("extends").join("compose.yml")],
        ..LoadOptions::default()
    })
    .stack;
    let child = &stack.services["child"];
    assert_eq!(child.image, "busybox");
    assert_eq!(child.restart.as_deref(), Some("always"));
    assert_eq!(
        child.environment,
        env(&[("A", "1"), ("B", "20"), ("C", "30")])
    );
    assert_eq!(child.labels, env(&[("from", "base")]));
    let grandchild = &stack.services["grandchild"];
    assert_eq!(grandchild.environment, child.environment);
    assert_eq!(grandchild.command, Some(strings(&["echo", "hi"])));
}

#[test]
fn extends_from_another_file_rebases_its_paths() {
    let stack = must_load(&LoadOptions {
        files: vec![fixture("extends").join("compose.yml")],
        ..LoadOptions::default()
    })
    .stack;
    let common = fixture("extends").join("common");
    let remote = &stack.services["remote"];
    assert_eq!(remote.image, "extends-remote");
    assert_eq!(remote.build.as_ref().unwrap().context, common.join("app"));
    assert_eq!(
        remote.environment,
        env(&[
            ("APP_ENV", "from-app-env"),
            ("FROM_BASE_FILE", "true"),
            ("LOCAL", "yes")
        ])
    );
    let sources: Vec<Option<&str>> = remote.volumes.iter().map(|v| v.source.as_deref()).collect();
    assert_eq!(
        sources,
        [
            Some(common.join("data").to_str().unwrap()),
            Some(common.join("conf").to_str().unwrap()),
            Some("named"),
        ]
    );
    assert!(
        !stack.services.contains_key("unrelated"),
        "only the extended service comes from the other file"
    );
}

#[test]
fn dotenv_feeds_interpolation_and_the_process_environment_wins() {
    let loaded = must_load(&LoadOptions {
        files: vec![fixture("dotenv").join("compose.yml")],
        environment: env(&[("FROM_SHELL", "from-shell")]),
        ..LoadOptions::default()
    });
    let stack = &loaded.stack;
    assert_eq!(stack.name, "dotenv-demo");
    let app = &stack.services["app"];
    assert_eq!(app.image, "registry.local:5000/app:1.2.3");
    assert_eq!(
        app.environment,
        env(&[
            ("FROM_SHELL", "from-shell"),
            ("GREETING", "hello\nworld"),
            ("MISSING", ""),
            ("PRICE", "$5"),
            ("QUOTED", "single $REGISTRY"),
        ])
    );
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [format!(
            "{}:9: services.app.environment.MISSING: variable \"MISSING\" is not set, defaulting to a blank string",
            fixture("dotenv").join("compose.yml").display()
        )]
    );
}

#[test]
fn env_file_option_replaces_dotenv() {
    let loaded = must_load(&LoadOptions {
        files: vec![fixture("dotenv").join("compose.yml")],
        env_files: vec![fixture("dotenv").join("other.env")],
        project_name: Some("custom".into()),
        ..LoadOptions::default()
    });
    assert_eq!(loaded.stack.name, "custom");
    assert_eq!(loaded.stack.services["app"].image, "other.registry/app:9.0");
}

#[test]
fn project_name_from_the_environment() {
    let loaded = load_from_str(
        "compose.yml",
        "services:\n  a:\n    image: x\n",
        &LoadOptions {
            environment: env(&[("COMPOSE_PROJECT_NAME", "from-env")]),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(loaded.stack.name, "from-env");
    assert_eq!(loaded.stack.networks["default"].name, "from-env_default");
}

#[test]
fn missing_files_are_reported() {
    let err = load(&LoadOptions {
        files: vec![fixture("merge").join("nope.yml")],
        ..LoadOptions::default()
    })
    .unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
    assert!(
        err.diagnostics[0]
            .message
            .contains("cannot read file: No such file or directory"),
        "{err}"
    );
    let err = load(&LoadOptions {
        working_dir: Some(fixture("extends").join("common")),
        ..LoadOptions::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("no compose file found"), "{err}");
}

#[test]
fn unknown_keys_are_warnings_with_lines() {
    let yaml = "services:\n  web:\n    image: a\n    colour: blue\n    develop: {}\nx-anything: 1\nbogus: 2\n";
    let loaded = load_from_str("c.yml", yaml, &LoadOptions::default()).unwrap();
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "c.yml:7: unknown key \"bogus\" (ignored)",
            "c.yml:4: services.web: unknown key \"colour\" (ignored)",
            "c.yml:5: services.web.develop: \"develop\" is ignored: `docker compose watch` settings; a WindFlow deployment does not watch files",
        ]
    );
}

#[test]
fn volume_targets_are_cleaned_as_compose_cleans_them() {
    let text = "services:\n  web:\n    image: busybox\n    volumes:\n      - data:/var/www/html/\n      - type: tmpfs\n        target: /run//cache/\nvolumes:\n  data: {}\n";
    let options = LoadOptions {
        project_name: Some("p".into()),
        working_dir: Some("/srv/p".into()),
        ..LoadOptions::default()
    };
    let loaded = load_from_str("compose.yaml", text, &options).unwrap();
    let targets: Vec<&str> = loaded.stack.services["web"]
        .volumes
        .iter()
        .map(|m| m.target.as_str())
        .collect();
    assert_eq!(targets, ["/var/www/html", "/run/cache"]);
}

#[test]
fn a_bind_block_creates_the_host_path_unless_it_says_otherwise() {
    let text = "services:\n  web:\n    image: busybox\n    volumes:\n      - {type: bind, source: /a, target: /a}\n      - {type: bind, source: /b, target: /b, bind: {}}\n      - {type: bind, source: /c, target: /c, bind: {create_host_path: false}}\n";
    let options = LoadOptions {
        project_name: Some("p".into()),
        working_dir: Some("/srv/p".into()),
        ..LoadOptions::default()
    };
    let loaded = load_from_str("compose.yaml", text, &options).unwrap();
    let creates: Vec<bool> = loaded.stack.services["web"]
        .volumes
        .iter()
        .map(|m| m.create_host_path)
        .collect();
    assert_eq!(creates, [false, true, false]);
}

#[test]
fn an_empty_dns_entry_is_dropped() {
    let text = "services:\n  web:\n    image: busybox\n    dns: ${UNSET}\n";
    let options = LoadOptions {
        project_name: Some("p".into()),
        working_dir: Some("/srv/p".into()),
        ..LoadOptions::default()
    };
    let loaded = load_from_str("compose.yaml", text, &options).unwrap();
    assert!(loaded.stack.services["web"].dns.is_empty());
}
