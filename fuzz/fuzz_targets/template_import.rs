//! Any text through the Coolify and Portainer importers: templates with notes, or a failure
//! with its reason, never a panic; every imported template parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use windflow_catalog::Template;
use windflow_catalog::import::{coolify, portainer};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((template, _)) = coolify::import("fuzz.yaml", &text) {
        assert!(Template::parse("again.yaml", &template.compose).is_ok());
    }
    if let Ok(entries) = portainer::import("fuzz.json", &text) {
        for entry in entries {
            if let Ok((template, _)) = entry.result {
                assert!(Template::parse("again.yaml", &template.compose).is_ok());
            }
        }
    }
});
