//! The example documents: the contract's example and every file of docs/workflows/examples
//! read, validate clean and survive a YAML and a JSON round trip unchanged.

use std::path::PathBuf;

use windflow_workflow::{Action, Trigger, Workflow, validate};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &PathBuf) -> Workflow {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let wf = Workflow::from_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let issues = validate(&wf);
    assert!(issues.is_empty(), "{}: {issues:#?}", path.display());
    let yaml = wf.to_yaml();
    let back = Workflow::from_yaml(&yaml).unwrap_or_else(|e| panic!("{yaml}\n{e}"));
    assert_eq!(back, wf, "YAML round trip of {}:\n{yaml}", path.display());
    let json = Workflow::from_json(wf.to_json()).expect("JSON round trip");
    assert_eq!(json, wf, "JSON round trip of {}", path.display());
    wf
}

#[test]
fn contract_example() {
    let wf = read(&root().join("tests/data/contract-example.yaml"));
    assert_eq!(wf.name, "git-to-prod");
    assert_eq!(wf.triggers.len(), 4);
    assert!(matches!(
        &wf.triggers[1],
        Trigger::Cron { schedule, timezone: Some(zone) } if schedule == "0 3 * * *" && zone == "Europe/Paris"
    ));
    let pull = wf.node("pull").expect("pull");
    assert_eq!(pull.retry.count, 2);
    assert_eq!(pull.retry.backoff, "5s");
    assert_eq!(pull.timeout.as_deref(), Some("2m"));
    assert!(
        matches!(&pull.action, Action::GitUpdate { reference, path, .. } if reference == "main" && path == "compose.yaml")
    );
    // Defaults are left out of the exported document.
    let yaml = wf.to_yaml();
    assert!(!yaml.contains("continue_on_error"), "{yaml}");
    assert!(!yaml.contains("reference"), "{yaml}");
    assert!(!yaml.contains("concurrency"), "{yaml}");
}

#[test]
fn documented_examples() {
    let dir = root().join("../../docs/workflows/examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("docs/workflows/examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let names: Vec<String> = files.iter().map(|p| read(p).name).collect();
    for expected in [
        "git-to-production",
        "nightly-restart",
        "deployment-failed-diagnosis",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
}
