//! `include`: other compose applications loaded as parts of this one, with their own project
//! directory and environment, as compose-go does (fixtures in `fixtures/include/`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use windflow_compose::{LoadOptions, Loaded, load, load_from_str};

fn fixture(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/include")
        .join(dir)
}

/// Options that load `compose.yaml` from a fixture directory (so files are named relative to
/// it in diagnostics).
fn options(dir: &str) -> LoadOptions {
    LoadOptions {
        working_dir: Some(fixture(dir)),
        ..LoadOptions::default()
    }
}

fn must_load(options: &LoadOptions) -> Loaded {
    load(options).unwrap_or_else(|e| panic!("load failed:\n{e}"))
}

/// The errors of a load that must fail, one `file:line: path: message` each.
fn errors(options: &LoadOptions) -> Vec<String> {
    match load(options) {
        Ok(_) => panic!("the load should fail"),
        Err(e) => e.diagnostics.iter().map(ToString::to_string).collect(),
    }
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn short_syntax_imports_services_networks_volumes_and_secrets() {
    let loaded = must_load(&options("short"));
    let stack = &loaded.stack;
    assert_eq!(
        stack.services.keys().collect::<Vec<_>>(),
        ["db", "web"],
        "adminer's profile is not active"
    );
    let web = &stack.services["web"];
    assert!(web.depends_on.contains_key("db"));
    assert!(web.networks.contains_key("backend"));
    // One project: the included network and volume carry the main project's name.
    assert_eq!(stack.networks["backend"].name, "shop_backend");
    assert_eq!(stack.volumes["dbdata"].name, "shop_dbdata");
    assert_eq!(
        stack.config_files,
        vec![fixture("short").join("compose.yaml")]
    );
    assert!(
        loaded.warnings.is_empty(),
        "the included file's name: is ignored silently: {:?}",
        loaded.warnings
    );
}

#[test]
fn relative_paths_resolve_against_the_included_project_directory() {
    let stack = must_load(&options("short")).stack;
    let db = &stack.services["db"];
    let dir = fixture("short/db");
    assert_eq!(db.build.as_ref().unwrap().context, dir.join("image"));
    let init = db
        .volumes
        .iter()
        .find(|m| m.target == "/docker-entrypoint-initdb.d")
        .unwrap();
    assert_eq!(
        init.source.as_deref(),
        Some(dir.join("init").to_str().unwrap())
    );
    assert_eq!(stack.secrets["dbpass"].file, Some(dir.join("secret.txt")));
    // env_file read from the included directory.
    assert_eq!(db.environment["FROM_ENV_FILE"], "1");
}

#[test]
fn the_included_env_interpolates_the_included_files_under_the_main_environment() {
    let stack = must_load(&options("short")).stack;
    let db = &stack.services["db"];
    let web = &stack.services["web"];
    // db/.env sets PG_VERSION for the included project only.
    assert_eq!(db.image, "postgres:16");
    assert_eq!(web.labels["pg"], "unset");
    // TAG is set by both .env files: the including project's environment wins.
    assert_eq!(db.labels["tag"], "main");
    // A key without a value takes it from the included project's environment.
    assert_eq!(db.environment["PASSWORD_FILE"], "/run/secrets/dbpass");
    assert!(!web.environment.contains_key("PASSWORD_FILE"));

    // The process environment wins over the included .env too.
    let stack = must_load(&LoadOptions {
        environment: env(&[("PG_VERSION", "17")]),
        ..options("short")
    })
    .stack;
    assert_eq!(stack.services["db"].image, "postgres:17");
}

#[test]
fn included_services_follow_the_active_profiles() {
    let stack = must_load(&LoadOptions {
        profiles: vec!["debug".into()],
        ..options("short")
    })
    .stack;
    assert!(stack.services["adminer"].depends_on.contains_key("db"));
}

#[test]
fn long_syntax_merges_files_with_a_project_directory_and_env_files() {
    let stack = must_load(&options("long")).stack;
    let api = &stack.services["api"];
    // env_file (relative to the including project) replaces app/.env.
    assert_eq!(api.image, "api:2");
    // Files of one entry merge in order.
    assert_eq!(api.environment["MODE"], "override");
    assert_eq!(api.environment["LEVEL"], "info");
    // Relative paths resolve against project_directory, not the file's directory.
    let dir = fixture("long/app/src");
    assert_eq!(api.build.as_ref().unwrap().context, dir);
    assert_eq!(
        api.volumes[0].source.as_deref(),
        Some(dir.join("data").to_str().unwrap())
    );
    // path and env_file as strings.
    assert_eq!(stack.services["worker"].image, "worker:3");
    assert!(stack.services["proxy"].depends_on.contains_key("worker"));
}

#[test]
fn the_including_file_overrides_an_included_resource_by_the_merge_rules() {
    // As compose-go (importResource merges the imported definition under the existing one);
    // the same file included twice is no conflict.
    let stack = must_load(&options("override")).stack;
    let db = &stack.services["db"];
    assert_eq!(db.image, "postgres:17");
    assert_eq!(db.environment["A"], "1");
    assert_eq!(db.environment["B"], "2");
}

#[test]
fn nested_includes_and_extends_of_included_services() {
    let stack = must_load(&options("nested")).stack;
    let back = &stack.services["back"];
    // b's extends file resolves beside b, and its build context against b's directory.
    assert_eq!(back.image, "back");
    assert_eq!(
        back.build.as_ref().unwrap().context,
        fixture("nested/a/b/ctx")
    );
    assert!(stack.services["front"].networks.contains_key("inner"));
    assert_eq!(stack.networks["inner"].name, "nested_inner");
    // The main file extends a service it included.
    let app = &stack.services["app"];
    assert_eq!(app.image, "front");
    assert!(app.depends_on.contains_key("back"));
    assert_eq!(app.environment["ROLE"], "app");
}

#[test]
fn an_include_cycle_is_refused_naming_the_chain() {
    assert_eq!(
        errors(&options("cycle")),
        [
            "a/compose.yaml:2: include[0]: include cycle: compose.yaml -> a/compose.yaml -> compose.yaml"
        ]
    );
}

#[test]
fn a_missing_included_file_is_refused_at_its_line() {
    assert_eq!(
        errors(&options("missing")),
        [
            "compose.yaml:5: include[0]: cannot read included file \"nothere/compose.yaml\": No such file or directory"
        ]
    );
}

#[test]
fn errors_in_an_included_file_name_that_file_and_line() {
    let loaded = load(&options("bad")).unwrap_err();
    let errors: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "each reported once: {errors:#?}");
    assert!(
        errors[1].starts_with("sub/compose.yaml:5: services.api.ports[0]: "),
        "{errors:#?}"
    );
    assert_eq!(
        errors[0],
        "sub/compose.yaml:7: services.worker.extends: extends: service \"nothere\" not found in sub/compose.yaml"
    );
}

#[test]
fn unknown_keys_of_an_entry_or_an_included_file_are_warned_at_their_line() {
    let loaded = must_load(&options("warn"));
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "compose.yaml:4: include[0]: unknown key \"env_files\" (ignored)",
            "sub/compose.yaml:1: version: \"version\" is ignored: obsolete: `docker compose` ignores it too (with a warning)",
            "sub/compose.yaml:5: unknown key \"servics\" (ignored)",
        ]
    );
}

#[test]
fn malformed_entries_are_errors_at_their_line() {
    let text = "services:\n  web:\n    image: nginx\ninclude:\n  - [a]\n  - env_file: x.env\n  - path: {a: 1}\n";
    let err = load_from_str("compose.yaml", text, &LoadOptions::default()).unwrap_err();
    let errors: Vec<String> = err.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "compose.yaml:5: include[0]: expected a file or a mapping with path:, got a list",
            "compose.yaml:6: include[1]: include entry needs a path: the compose file(s) to include",
            "compose.yaml:7: include[2].path: expected a file path, got a mapping",
        ]
    );
}
