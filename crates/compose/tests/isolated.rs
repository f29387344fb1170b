//! Isolated loading (what the server does with a stored compose file): nothing names a file
//! or directory of the machine that loads it — `env_file`, `extends.file`, `include`, secret and
//! config `file:` and build contexts are refused at their line and field; everything else loads.

use windflow_compose::{LoadOptions, load_from_str};

fn errors(text: &str) -> Vec<String> {
    let options = LoadOptions {
        project_name: Some("p".into()),
        working_dir: Some("/srv/windflow-data/stacks/s1".into()),
        isolated: true,
        ..LoadOptions::default()
    };
    match load_from_str("compose.yaml", text, &options) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics
            .iter()
            .map(|d| format!("{}:{} {}", d.line.unwrap_or(0), d.path, d.message))
            .collect(),
    }
}

fn check(text: &str, expected: &[&str]) {
    let got = errors(text);
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (got, want) in got.iter().zip(expected) {
        assert!(
            got.starts_with(want),
            "{got:?} does not start with {want:?}"
        );
    }
}

#[test]
fn secret_and_config_files_are_refused_naming_the_alternative() {
    let text = "services:\n  web:\n    image: busybox\n    secrets: [s]\n    configs: [k]\n\
                secrets:\n  s:\n    file: /etc/shadow\n\
                configs:\n  k:\n    file: ../../secret.keys\n";
    check(
        text,
        &[
            "8:secrets.s.file file \"/etc/shadow\" cannot be read on the server",
            "11:configs.k.file file \"../../secret.keys\" cannot be read on the server",
        ],
    );
    assert!(
        errors(text)[0].contains("environment: NAME"),
        "{:?}",
        errors(text)
    );
    assert!(errors(text)[1].contains("content:"), "{:?}", errors(text));
}

#[test]
fn include_is_refused() {
    check(
        "services:\n  web:\n    image: busybox\ninclude:\n  - /etc/windflow/compose.yaml\n",
        &["4:include include cannot be read here: a stack stored on the server reads no file"],
    );
}

#[test]
fn build_contexts_are_refused_in_both_syntaxes() {
    check(
        "services:\n  a:\n    build: /\n  b:\n    build:\n      context: .\n      dockerfile: Dockerfile\n",
        &[
            "3:services.a.build a build context cannot be read on the server",
            "5:services.b.build a build context cannot be read on the server",
        ],
    );
}

#[test]
fn environment_and_content_sources_still_load() {
    check(
        "services:\n  web:\n    image: busybox\n    secrets: [s]\n    configs: [k]\n\
         secrets:\n  s:\n    environment: TOKEN\n\
         configs:\n  k:\n    content: hello\n",
        &[],
    );
}

#[test]
fn environment_sources_take_the_stack_variable_never_the_process_environment() {
    // A variable of the loading process (as the server's DATABASE_URL would be).
    let process_only = std::env::vars()
        .map(|(k, _)| k)
        .find(|k| k == "PATH")
        .expect("PATH is set");
    let text = format!(
        "services:\n  web:\n    image: busybox\n    secrets: [s, leak]\n\
         secrets:\n  s:\n    environment: TOKEN\n  leak:\n    environment: {process_only}\n"
    );
    let options = LoadOptions {
        project_name: Some("p".into()),
        isolated: true,
        environment: [("TOKEN".to_string(), "from-the-stack".to_string())].into(),
        ..LoadOptions::default()
    };
    let loaded = load_from_str("compose.yaml", &text, &options).unwrap();
    let s = &loaded.stack.secrets["s"];
    assert_eq!(s.content.as_deref(), Some("from-the-stack"));
    assert_eq!(s.environment, None);
    let leak = &loaded.stack.secrets["leak"];
    assert_eq!(
        leak.content.as_deref(),
        Some(""),
        "never the process's {process_only}"
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.path == "secrets.leak.environment"),
        "{:?}",
        loaded.warnings
    );
}
