//! The corpus of bad compose files: each `tests/bad/NAME.yml` must fail to load with exactly
//! the diagnostics written in `tests/bad/NAME.expected` (one per line).
//!
//! To regenerate the expected files after a deliberate message change, run with
//! `BLESS_BAD_FILES=1` and review the diff.

use std::collections::BTreeMap;
use std::path::PathBuf;

use windflow_compose::{LoadOptions, load_from_str};

fn bad_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad")
}

#[test]
fn every_bad_file_fails_with_its_expected_diagnostics() {
    let dir = bad_dir();
    let bless = std::env::var_os("BLESS_BAD_FILES").is_some();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 20,
        "the corpus has only {} files",
        names.len()
    );
    let mut failures = Vec::new();
    for path in &names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let options = LoadOptions {
            working_dir: Some(dir.clone()),
            environment: BTreeMap::new(),
            ..LoadOptions::default()
        };
        let got = match load_from_str(&name, &text, &options) {
            Ok(_) => "<loaded without error>".to_string(),
            Err(e) => e.to_string(),
        };
        let expected_path = path.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, format!("{got}\n")).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
        if got.trim_end() != expected.trim_end() {
            failures.push(format!(
                "{name}:\n  expected: {}\n  got:      {got}",
                expected.trim_end()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
