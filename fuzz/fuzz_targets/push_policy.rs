//! The server's push gate on any bytes: isolated loading (as `windflow serve` loads a stored
//! stack), then the host-access policy at every level, and the line lookup of every
//! violation. Nothing may panic, and the levels must nest: what `baseline` refuses,
//! `restricted` refuses too, and `privileged` refuses nothing.
#![no_main]

use std::collections::HashSet;
use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use windflow_compose::{LoadOptions, load_from_str, locate};
use windflow_domain::policy::{HostAccessPolicy, PolicyLevel, check};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let options = LoadOptions {
        project_name: Some("fuzz".into()),
        working_dir: Some(PathBuf::from("/nonexistent/windflow-fuzz")),
        environment: [("ROOT", "/"), ("SOCK", "/var/run/docker.sock")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        isolated: true,
        ..LoadOptions::default()
    };
    let Ok(loaded) = load_from_str("compose.yaml", &text, &options) else {
        return;
    };
    let at = |level: PolicyLevel| HostAccessPolicy {
        level,
        allowed_host_paths: vec!["/srv/allowed".into()],
    };
    assert!(check(&loaded.stack, &at(PolicyLevel::Privileged)).is_empty());
    let baseline = check(&loaded.stack, &at(PolicyLevel::Baseline));
    let restricted: HashSet<String> = check(&loaded.stack, &at(PolicyLevel::Restricted))
        .into_iter()
        .map(|v| v.path)
        .collect();
    let lines = text.lines().count().max(1);
    for violation in &baseline {
        assert!(
            restricted.contains(&violation.path),
            "restricted lets through what baseline refuses: {violation:?}"
        );
        if let Some(line) = locate(&text, &violation.path) {
            assert!(line >= 1 && line <= lines, "{violation:?} at line {line}");
        }
    }
});
