//! The compose-spec interpolation table, run through the whole loader: every form in a real
//! compose value, typed fields that only become numbers after interpolation, and errors that
//! carry file, line and field.

use std::collections::BTreeMap;

use windflow_compose::{LoadOptions, load_from_str};

fn options() -> LoadOptions {
    LoadOptions {
        environment: [
            ("SET", "value"),
            ("EMPTY", ""),
            ("PORT", "8080"),
            ("N", "3"),
            ("YES", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        ..LoadOptions::default()
    }
}

/// Loads `image: <value>` and returns the image, or the error text.
fn image(value: &str) -> String {
    let yaml = format!("services:\n  web:\n    image: \"{value}\"\n");
    match load_from_str("c.yml", &yaml, &options()) {
        Ok(loaded) => loaded.stack.services["web"].image.clone(),
        Err(e) => format!("!{e}"),
    }
}

#[test]
fn spec_table_through_the_loader() {
    let table: &[(&str, &str)] = &[
        ("x${SET}", "xvalue"),
        ("x$SET", "xvalue"),
        ("x${UNSET:-default}", "xdefault"),
        ("x${EMPTY:-default}", "xdefault"),
        ("x${UNSET-default}", "xdefault"),
        ("x${EMPTY-default}", "x"),
        ("x${SET:+alt}", "xalt"),
        ("x${EMPTY:+alt}", "x"),
        ("x${EMPTY+alt}", "xalt"),
        ("x${UNSET+alt}", "x"),
        ("x${SET:?msg}", "xvalue"),
        ("x${EMPTY?msg}", "x"),
        ("x${UNSET:-${SET}}", "xvalue"),
        ("x${UNSET:-${ALSO_UNSET:-deep}}", "xdeep"),
        ("x$$SET", "x$SET"),
        (
            "x${UNSET:?is required}",
            "!c.yml:3: services.web.image: required variable \"UNSET\" is missing a value: is required",
        ),
        (
            "x${EMPTY:?}",
            "!c.yml:3: services.web.image: required variable \"EMPTY\" is missing a value",
        ),
        (
            "x${UNSET?}",
            "!c.yml:3: services.web.image: required variable \"UNSET\" is missing a value",
        ),
        (
            "x${}",
            "!c.yml:3: services.web.image: invalid interpolation format for \"x${}\": \"${}\"",
        ),
    ];
    for (input, expected) in table {
        assert_eq!(&image(input), expected, "input: {input}");
    }
}

#[test]
fn typed_fields_after_interpolation() {
    let yaml = "services:\n  web:\n    image: a\n    ports: [\"${PORT}:80\"]\n    deploy:\n      replicas: ${N}\n    privileged: ${YES}\n    stop_grace_period: ${N}s\n";
    let stack = load_from_str("c.yml", yaml, &options()).unwrap().stack;
    let web = &stack.services["web"];
    assert_eq!(web.ports[0].published.as_deref(), Some("8080"));
    assert_eq!(web.deploy.replicas, 3);
    assert!(web.privileged);
    assert_eq!(
        web.stop_grace_period,
        Some(std::time::Duration::from_secs(3))
    );
}

#[test]
fn keys_are_not_interpolated_and_unset_warns_once() {
    let yaml = "services:\n  web:\n    image: a${NOPE}\n    labels:\n      ${SET}: ${NOPE}\n";
    let loaded = load_from_str("c.yml", yaml, &options()).unwrap();
    let web = &loaded.stack.services["web"];
    assert_eq!(
        web.labels,
        BTreeMap::from([("${SET}".to_string(), String::new())])
    );
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["c.yml:3: services.web.image: variable \"NOPE\" is not set, defaulting to a blank string"]
    );
}

#[test]
fn several_interpolation_errors_are_all_reported() {
    let yaml =
        "services:\n  web:\n    image: ${A:?need A}\n    environment:\n      - X=${B:?need B}\n";
    let err = load_from_str("c.yml", yaml, &options()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.yml:3: services.web.image: required variable \"A\" is missing a value: need A\n\
         c.yml:5: services.web.environment[0]: required variable \"B\" is missing a value: need B"
    );
}
